"""``supervised``: the mean per-example loss of a model on ``(x, y)`` batches, as a `Loss`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.losses._loss import Loss
from jaxfound.models._adapters import as_apply
from jaxfound.typing import Array, Batch, Params, PRNGKey

__all__ = ["supervised"]

#: ``metric(y_true, y_pred) -> scalar`` (the order of `jaxfound.stats`).
Metric = Callable[[Array, Array], Array]


def supervised(
    model: Any,
    per_example_loss: Callable[[Array, Array], Array],
    *,
    metrics: Mapping[str, Metric] | None = None,
    augment: Callable[[PRNGKey, Array], Array] | None = None,
) -> Loss:
    r"""Mean per-example loss of a model on ``(x, y)`` batches.

    $$
    L(\theta) = \frac{1}{B}\sum_{i=1}^{B} \ell(y_i, f_\theta(x_i))
    $$

    **Argument order**: the per-example loss and the metrics are both called as
    ``fn(y_true, y_pred)`` (targets first, model outputs second), the order of
    `jaxfound.stats` and scikit-learn, so ``jaxfound.stats`` metrics plug in directly.
    optax's losses take ``(predictions, targets)``: wrap them, e.g.
    ``lambda y, logits: optax.losses.softmax_cross_entropy_with_integer_labels(logits, y)``
    (an optax function passed directly raises a `ValidationError` that says so, since for
    some of them, such as ``sigmoid_binary_cross_entropy``, swapped arguments would train
    silently on the wrong loss).

    Args:
      model: a ``flax.linen`` Module, or ``apply(params, x, key) -> outputs``
        (see `jaxfound.models` adapters for NNX and plain functions).
      per_example_loss: ``ℓ(y_true, outputs) -> (B,)`` or ``(B, …)``.
      metrics: name -> ``metric(y_true, outputs)`` computed on the same forward
        pass and reported in ``aux`` (e.g. ``{"accuracy": jaxfound.stats.accuracy}``).
      augment: ``augment(key, x) -> x`` applied to the inputs in training only (when a
        key is given; evaluation passes ``key=None``), e.g.
        ``functools.partial(jaxfound.data.random_translate, max_shift=1)``. The key is
        split so the model's dropout draws stay independent of the augmentation's.

    Returns:
      A `Loss` ``(params, (x, y), key) -> (loss, {"loss": loss, **metrics})`` whose
      ``check`` verifies, before training, that ``x`` fits the model and that integer
      labels lie in ``[0, n_outputs)``.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> from jaxfound.models import MLP
      >>> net = MLP((4, 3))
      >>> params = net.init(jax.random.key(0), jnp.ones((1, 2)))
      >>> ce = lambda y, out: optax.losses.softmax_cross_entropy_with_integer_labels(out, y)
      >>> loss = supervised(net, ce)
      >>> value, aux = loss(params, (jnp.ones((5, 2)), jnp.zeros(5, int)))
      >>> sorted(aux)
      ['loss']
    """
    if getattr(per_example_loss, "__module__", "").startswith("optax"):
        name = getattr(per_example_loss, "__name__", "the optax loss")
        raise errors.ValidationError(
            f"per_example_loss is optax's {name}, which takes (predictions, targets); "
            "supervised calls per_example_loss(y_true, outputs), as jaxfound.stats metrics "
            f"take them. Wrap it: lambda y, out: optax.losses.{name}(out, y)."
        )
    apply = as_apply(model)
    metrics = dict(metrics or {})

    def fn(params: Params, batch: Batch, key: PRNGKey | None = None):
        x, y = batch
        if augment is not None and key is not None:
            key, k_aug = jax.random.split(key)
            x = augment(k_aug, x)
        out = apply(params, x, key)
        loss = jnp.mean(per_example_loss(y, out))
        aux = {"loss": loss}
        for name, metric in metrics.items():
            aux[name] = metric(y, jax.lax.stop_gradient(out))
        return loss, aux

    def check(params: Params, data: Batch, name: str = "data") -> None:
        """Boundary check: the model accepts ``x`` and labels fit its outputs."""
        _check_supervised(apply, params, data, name)

    return Loss(fn, check)


def _check_supervised(apply, params: Params, data: Batch, name: str) -> None:
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise errors.ValidationError(
            f"{name} must be a pair (x, y) for a supervised loss, got {type(data).__name__}."
        )
    x, y = data
    try:
        out = jax.eval_shape(lambda p, xb: apply(p, xb, None), params, x[:1])
    except Exception as e:  # noqa: BLE001 - any failure here means x does not fit the model
        raise errors.ShapeError(
            f"{name}[0] (x) with shape {x.shape} does not fit the model: {e}. Check the "
            "number of features against the model's input layer."
        ) from e
    if np.dtype(y.dtype).kind in "iub" and len(out.shape) == y.ndim + 1:
        _validate.check_labels(np.asarray(y), f"{name}[1] (labels)", out.shape[-1])
