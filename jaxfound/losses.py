"""Compose losses: supervised losses from per-example optax losses, weighted sums, penalties.

Every loss here has the training helper's signature
``loss_fn(params, batch, key) -> (loss, aux)``, where ``aux`` is a dict of
scalars (the terms and metrics to report) and ``key`` is ``None`` in evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.models._adapters import as_apply
from jaxfound.typing import Array, Batch, LossFn, Params, PRNGKey

__all__ = ["supervised", "weighted_sum", "l2_penalty"]

Metric = Callable[[Array, Array], Array]


def supervised(
    model: Any,
    per_example_loss: Callable[[Array, Array], Array],
    *,
    metrics: Mapping[str, Metric] | None = None,
    augment: Callable[[PRNGKey, Array], Array] | None = None,
) -> LossFn:
    r"""Mean per-example loss of a model on ``(x, y)`` batches.

    $$
    L(\theta) = \frac{1}{B}\sum_{i=1}^{B} \ell(f_\theta(x_i), y_i)
    $$

    Args:
      model: a ``flax.linen`` Module, or ``apply(params, x, key) -> outputs``
        (see `jaxfound.models` adapters for NNX and plain functions).
      per_example_loss: ``ℓ(outputs, targets) -> (B,)`` or ``(B, …)``, e.g.
        ``optax.losses.softmax_cross_entropy_with_integer_labels``.
      metrics: name -> ``metric(y_true, outputs)`` computed on the same forward
        pass and reported in ``aux`` (e.g. ``{"accuracy": jaxfound.stats.accuracy}``).
      augment: ``augment(key, x) -> x`` applied to the inputs in training only (when a
        key is given; evaluation passes ``key=None``), e.g.
        ``functools.partial(jaxfound.data.random_translate, max_shift=1)``. The key is
        split so the model's dropout draws stay independent of the augmentation's.

    Returns:
      ``loss_fn(params, (x, y), key) -> (loss, {"loss": loss, **metrics})``.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> from jaxfound.models import MLP
      >>> net = MLP((4, 3))
      >>> params = net.init(jax.random.key(0), jnp.ones((1, 2)))
      >>> loss_fn = supervised(net, optax.losses.softmax_cross_entropy_with_integer_labels)
      >>> loss, aux = loss_fn(params, (jnp.ones((5, 2)), jnp.zeros(5, int)), None)
      >>> sorted(aux)
      ['loss']
    """
    apply = as_apply(model)
    metrics = dict(metrics or {})

    def loss_fn(params: Params, batch: Batch, key: PRNGKey | None = None):
        x, y = batch
        if augment is not None and key is not None:
            key, k_aug = jax.random.split(key)
            x = augment(k_aug, x)
        out = apply(params, x, key)
        loss = jnp.mean(per_example_loss(out, y))
        aux = {"loss": loss}
        for name, metric in metrics.items():
            aux[name] = metric(y, jax.lax.stop_gradient(out))
        return loss, aux

    def check_data(params: Params, data: Batch, name: str = "data") -> None:
        """Boundary check: the model accepts ``x`` and labels fit its outputs."""
        _check_supervised(apply, params, data, name)

    loss_fn.check_data = check_data
    return loss_fn


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


def weighted_sum(terms: Mapping[str, LossFn], weights: Mapping[str, float] | None = None) -> LossFn:
    r"""Weighted sum of named loss terms, each reported in ``aux``.

    $$
    L = \sum_k w_k L_k
    $$

    Each term is ``loss_fn(params, batch, key) -> (loss, aux)``; the batch and a
    different sub-key are passed to every term. ``aux`` holds each term's loss
    under its name and ``"loss"`` for the total.

    Examples:
      >>> import jax.numpy as jnp
      >>> a = lambda p, b, k: (jnp.sum(p ** 2), {})
      >>> b = lambda p, b, k: (jnp.sum(p), {})
      >>> total, aux = weighted_sum({"a": a, "b": b}, {"b": 2.0})(jnp.ones(3), None, None)
      >>> float(total), float(aux["b"])
      (9.0, 3.0)
    """
    names = list(terms)
    weights = {n: 1.0 for n in names} | dict(weights or {})

    def loss_fn(params: Params, batch: Batch, key: PRNGKey | None = None):
        keys = [None] * len(names) if key is None else list(jax.random.split(key, len(names)))
        total = 0.0
        aux = {}
        for name, k in zip(names, keys):
            value, _ = terms[name](params, batch, k)
            aux[name] = value
            total = total + weights[name] * value
        aux["loss"] = total
        return total, aux

    return loss_fn


def l2_penalty(params: Params) -> Array:
    r"""Half the squared L2 norm of all parameters: $\tfrac12\sum\theta^2$.

    Examples:
      >>> import jax.numpy as jnp
      >>> float(l2_penalty({"w": jnp.ones(4)}))
      2.0
    """
    return 0.5 * sum(jnp.sum(jnp.square(p)) for p in jax.tree_util.tree_leaves(params))
