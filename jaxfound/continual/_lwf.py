"""Learning without forgetting: distillation towards the previous model's outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from jaxfound import _validate
from jaxfound.continual._ewc import masked_logits
from jaxfound.losses import Loss
from jaxfound.typing import Array, Params

__all__ = ["distillation", "lwf_loss"]


def distillation(
    logits: Array, teacher_logits: Array, temperature: float = 2.0, mask: Array | None = None
) -> Array:
    r"""Per-example distillation loss (Hinton et al.), the cross-entropy of softened outputs.

    $$
    \ell_{\mathrm{KD}} = -T^2 \sum_c \operatorname{softmax}(z^{\mathrm{old}}/T)_c\,
      \log\operatorname{softmax}(z/T)_c
    $$

    The $T^2$ keeps the gradient's scale independent of $T$. ``mask`` restricts both
    distributions to the logits in play (the previous model's classes).

    Args:
      logits: ``(n, K)`` the current model's logits $z$.
      teacher_logits: ``(n, K)`` the previous model's logits $z^{\mathrm{old}}$ (no gradient).
      temperature: $T > 0$.
      mask: ``(K,)`` or ``(n, K)`` bool.

    Returns:
      ``(n,)`` losses.

    Examples:
      >>> import jax.numpy as jnp
      >>> z = jnp.array([[0.0, 0.0]])
      >>> round(float(distillation(z, z, 1.0)[0]), 4)  # log 2
      0.6931
    """
    temperature = _validate.hyperparameter(temperature, "temperature", low=0.0, open_low=True)
    teacher = jax.lax.stop_gradient(teacher_logits)
    target = jax.nn.softmax(masked_logits(teacher, mask) / temperature)
    logp = jax.nn.log_softmax(masked_logits(logits, mask) / temperature)
    return -(temperature**2) * jnp.sum(jnp.where(target > 0, target * logp, 0.0), axis=-1)


def lwf_loss(apply: Callable[[Params, Array], Array], temperature: float = 2.0) -> Loss:
    r"""LwF as a routed `jaxfound.losses.Loss` term: mean `distillation` on ``batch["lwf"]``.

    The term's data is ``(x, teacher_logits, mask)``: the current inputs, the previous
    model's logits on them (computed before the step, so the previous parameters are
    only read) and the mask of the previous model's classes (``None``: all).

    Examples:
      >>> import jax.numpy as jnp
      >>> loss = lwf_loss(lambda p, x: x * p, temperature=1.0)
      >>> x = jnp.zeros((3, 2))
      >>> round(float(loss(jnp.ones(2), (x, x, None))[0]), 4)
      0.6931
    """
    temperature = _validate.hyperparameter(temperature, "temperature", low=0.0, open_low=True)

    def fn(params: Params, data: Any, key=None):
        x, teacher, mask = data
        return jnp.mean(distillation(apply(params, x), teacher, temperature, mask)), {}

    return Loss(fn, routed=True)
