"""Regression metrics: MSE, RMSE, MAE, R², relative L2 error.

Targets may be ``(n,)`` or ``(n, d)``; for ``(n, d)`` the per-output values are averaged
uniformly (scikit-learn's ``multioutput="uniform_average"``). All are jittable and accept
``sample_weight`` of shape ``(n,)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxfound import _validate
from jaxfound.typing import Array, ArrayLike

__all__ = ["mse", "rmse", "mae", "r2_score", "l2_relative_error"]


def _prepare(y_true, y_pred, sample_weight):
    y_true, y_pred = _validate.prediction_pair(y_true, y_pred)
    w = _validate.optional_sample_weights(sample_weight, y_true.shape[0])
    return _cast(y_true, y_pred, w)


def _cast(y_true, y_pred, w):
    dtype = jnp.result_type(y_true.dtype, y_pred.dtype, jnp.float32)
    y_true, y_pred = y_true.astype(dtype), y_pred.astype(dtype)
    w = jnp.ones(y_true.shape[0], dtype) if w is None else w.astype(dtype)
    w = w.reshape((-1,) + (1,) * (y_true.ndim - 1))
    return y_true, y_pred, w


def _checked(kernel, y_true, y_pred, sample_weight):
    """Validate at the boundary, then run the jitted ``kernel(y_true, y_pred, w)``."""
    y_true, y_pred = _validate.prediction_pair(y_true, y_pred)
    return kernel(y_true, y_pred, _validate.optional_sample_weights(sample_weight, y_true.shape[0]))


def _wmean(v: Array, w: Array) -> Array:
    """Weighted mean over the first axis (per output)."""
    return jnp.sum(w * v, axis=0) / jnp.sum(w, axis=0)


def mse(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
    r"""Mean squared error $\frac{1}{n}\sum_i (y_i - \hat y_i)^2$.

    Args:
      y_true: targets ``(n,)`` or ``(n, d)``.
      y_pred: predictions, same shape.
      sample_weight: optional ``(n,)`` weights.

    Returns:
      A scalar (outputs averaged uniformly). Jittable.

    Examples:
      >>> float(mse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0]))
      1.333...
    """
    return _checked(_mse, y_true, y_pred, sample_weight)


@jax.jit
def _mse(y_true, y_pred, w):
    y_true, y_pred, w = _cast(y_true, y_pred, w)
    return jnp.mean(_wmean((y_true - y_pred) ** 2, w))


def rmse(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
    r"""Root mean squared error $\sqrt{\mathrm{MSE}}$ (per output, then averaged).

    Examples:
      >>> float(rmse([0.0, 0.0], [3.0, -3.0]))
      3.0
    """
    return _checked(_rmse, y_true, y_pred, sample_weight)


@jax.jit
def _rmse(y_true, y_pred, w):
    y_true, y_pred, w = _cast(y_true, y_pred, w)
    return jnp.mean(jnp.sqrt(_wmean((y_true - y_pred) ** 2, w)))


def mae(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
    r"""Mean absolute error $\frac{1}{n}\sum_i |y_i - \hat y_i|$.

    Examples:
      >>> float(mae([1.0, 2.0], [2.0, 4.0]))
      1.5
    """
    return _checked(_mae, y_true, y_pred, sample_weight)


@jax.jit
def _mae(y_true, y_pred, w):
    y_true, y_pred, w = _cast(y_true, y_pred, w)
    return jnp.mean(_wmean(jnp.abs(y_true - y_pred), w))


def r2_score(
    y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
) -> Array:
    r"""Coefficient of determination.

    $$
    R^2 = 1 - \frac{\sum_i w_i (y_i - \hat y_i)^2}{\sum_i w_i (y_i - \bar y_w)^2}
    $$

    A constant ``y_true`` gives 1 for a perfect prediction and 0 otherwise (as
    scikit-learn does).

    Examples:
      >>> float(r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]))
      1.0
    """
    return _checked(_r2_score, y_true, y_pred, sample_weight)


@jax.jit
def _r2_score(y_true, y_pred, w):
    y_true, y_pred, w = _cast(y_true, y_pred, w)
    ss_res = jnp.sum(w * (y_true - y_pred) ** 2, axis=0)
    ss_tot = jnp.sum(w * (y_true - _wmean(y_true, w)) ** 2, axis=0)
    safe = jnp.where(ss_tot > 0, ss_tot, 1.0)
    r2 = jnp.where(ss_tot > 0, 1.0 - ss_res / safe, jnp.where(ss_res > 0, 0.0, 1.0))
    return jnp.mean(r2)


def l2_relative_error(
    y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
) -> Array:
    r"""Relative L2 error over all entries (the usual PINN accuracy measure).

    $$
    \frac{\lVert \hat y - y\rVert_2}{\lVert y\rVert_2}
    = \sqrt{\frac{\sum_i w_i \lVert \hat y_i - y_i\rVert^2}{\sum_i w_i \lVert y_i\rVert^2}}
    $$

    Examples:
      >>> round(float(l2_relative_error([3.0, 4.0], [3.0, 4.5])), 6)
      0.1
    """
    return _checked(_l2_relative_error, y_true, y_pred, sample_weight)


@jax.jit
def _l2_relative_error(y_true, y_pred, w):
    y_true, y_pred, w = _cast(y_true, y_pred, w)
    num = jnp.sum(w * (y_pred - y_true) ** 2)
    den = jnp.sum(w * y_true**2)
    return jnp.sqrt(num / den)
