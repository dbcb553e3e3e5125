"""Classification metrics."""

from __future__ import annotations

import jax.numpy as jnp

from jaxfound.typing import Array, ArrayLike

__all__ = ["accuracy"]


def _as_labels(y_true: Array, y_pred: Array) -> Array:
    """Turn scores/probabilities ``(..., n_classes)`` into labels; keep labels as they are."""
    if y_pred.ndim == y_true.ndim + 1:
        return jnp.argmax(y_pred, axis=-1)
    return y_pred


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> Array:
    r"""Fraction of correct predictions.

    .. math:: \mathrm{acc} = \frac{1}{n}\sum_i [\hat y_i = y_i]

    Args:
      y_true: integer labels, shape ``(n,)``.
      y_pred: predicted labels ``(n,)`` or class scores/probabilities ``(n, k)``
        (then the arg-max is the prediction).

    Returns:
      A scalar in ``[0, 1]``. Jittable.

    Example:
      >>> import jax.numpy as jnp
      >>> float(accuracy(jnp.array([0, 1, 2]), jnp.array([0, 1, 1])))
      0.666...
    """
    y_true = jnp.asarray(y_true)
    y_pred = _as_labels(y_true, jnp.asarray(y_pred))
    return jnp.mean(y_pred == y_true)
