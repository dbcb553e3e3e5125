r"""Feature scaling: standardise, min-max and robust (median / IQR) scalers.

Each fits per column (over axis 0), ignores NaN when fitting and keeps NaN when transforming
(as scikit-learn does), and maps a constant column to a scale of 1 instead of dividing by 0.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.data._impute import check_not_all_missing
from jaxfound.data._transform import (
    Transform,
    check_features,
    float_input,
    is_concrete,
    require_state,
)

__all__ = [
    "StandardState",
    "MinMaxState",
    "RobustState",
    "standardize",
    "min_max",
    "robust_scale",
]


class StandardState(NamedTuple):
    """Per-column ``mean`` and ``scale`` (the standard deviation, 1 for constant columns)."""

    mean: jnp.ndarray
    scale: jnp.ndarray


class MinMaxState(NamedTuple):
    """``y = x * scale + offset``; ``data_min``/``data_max`` are the fitted column ranges."""

    data_min: jnp.ndarray
    data_max: jnp.ndarray
    scale: jnp.ndarray
    offset: jnp.ndarray


class RobustState(NamedTuple):
    """Per-column ``center`` (median) and ``scale`` (inter-quantile range, 1 when 0)."""

    center: jnp.ndarray
    scale: jnp.ndarray


def _fit_input(x):
    """Checked fitting data: NaN is allowed (ignored), ±inf and all-NaN columns are not."""
    x = float_input(x, fitting=True)
    if is_concrete(x):
        inf = np.isinf(np.asarray(x)).reshape(x.shape[0], -1).any(axis=0)
        if inf.any():
            raise errors.NonFiniteError(
                f"column(s) {np.flatnonzero(inf).tolist()} hold ±inf, which no scaler can fit; "
                "drop or impute them first (jaxfound.data.drop_missing / imputer)."
            )
        check_not_all_missing(x, inf_is_missing=False)
    return x


def _affine(cls, fields=("center", "scale")) -> tuple:
    """transform/inverse of ``y = (x - center) / scale`` for a state with those fields."""
    c_name, s_name = fields

    def transform(state, x):
        require_state(state, cls)
        x = float_input(x)
        c, s = getattr(state, c_name), getattr(state, s_name)
        check_features(x, c)
        return (x - c) / s

    def inverse(state, y):
        require_state(state, cls)
        y = float_input(y, "y")
        c, s = getattr(state, c_name), getattr(state, s_name)
        check_features(y, c, "y")
        return y * s + c

    return transform, inverse


def standardize(*, with_mean: bool = True, with_std: bool = True) -> Transform:
    r"""Standardise each column to zero mean and unit variance.

    $$
    y_{ij} = \frac{x_{ij} - \mu_j}{\sigma_j}, \qquad
    \sigma_j^2 = \frac1n \sum_i (x_{ij} - \mu_j)^2
    $$

    (the population variance, as in scikit-learn's ``StandardScaler``). Columns whose variance
    is zero up to rounding get $\sigma_j = 1$.

    Args:
      with_mean: subtract the mean (else $\mu = 0$).
      with_std: divide by the standard deviation (else $\sigma = 1$).

    Returns:
      A `Transform` with state `StandardState`. ``fit``, ``transform`` and
      ``inverse`` are all jittable.

    Examples:
      >>> import numpy as np
      >>> t = standardize()
      >>> s = t.fit(np.array([[1.0], [3.0]]))
      >>> s.mean.tolist(), s.scale.tolist(), t.transform(s, np.array([[5.0]])).tolist()
      ([2.0], [1.0], [[3.0]])
    """

    def fit(x):
        x = _fit_input(x)
        n = jnp.sum(~jnp.isnan(x), axis=0)
        mean = jnp.nanmean(x, axis=0)
        var = jnp.nanvar(x, axis=0)
        eps = jnp.finfo(x.dtype).eps
        # scikit-learn's test for a constant column: var within rounding of 0
        constant = var <= n * eps * var + (n * mean * eps) ** 2
        scale = jnp.where(constant, 1.0, jnp.sqrt(var)).astype(x.dtype)
        return StandardState(
            mean if with_mean else jnp.zeros_like(mean),
            scale if with_std else jnp.ones_like(scale),
        )

    return Transform(fit, *_affine(StandardState, ("mean", "scale")))


def min_max(feature_range: tuple[float, float] = (0.0, 1.0)) -> Transform:
    r"""Scale each column linearly onto ``feature_range`` $[a, b]$.

    $$
    y_{ij} = a + (x_{ij} - \min_i x_{ij}) \frac{b - a}{\max_i x_{ij} - \min_i x_{ij}}
    $$

    A constant column (zero range) maps to $a$ (scale 1, as in scikit-learn's
    ``MinMaxScaler``).

    Returns:
      A `Transform` with state `MinMaxState`; all three functions are jittable.

    Examples:
      >>> import numpy as np
      >>> t = min_max((-1.0, 1.0))
      >>> x = np.array([[0.0], [5.0], [10.0]])
      >>> t.transform(t.fit(x), x).ravel().tolist()
      [-1.0, 0.0, 1.0]
    """
    lo, hi = map(float, feature_range)
    if not lo < hi:
        raise errors.ValidationError(
            f"feature_range must be (low, high) with low < high, got {feature_range}."
        )

    def fit(x):
        x = _fit_input(x)
        dmin, dmax = jnp.nanmin(x, axis=0), jnp.nanmax(x, axis=0)
        rng = dmax - dmin
        rng = jnp.where(rng < 10 * jnp.finfo(x.dtype).eps, 1.0, rng)
        scale = ((hi - lo) / rng).astype(x.dtype)
        return MinMaxState(dmin, dmax, scale, (lo - dmin * scale).astype(x.dtype))

    def transform(state, x):
        require_state(state, MinMaxState)
        x = float_input(x)
        check_features(x, state.scale)
        return x * state.scale + state.offset

    def inverse(state, y):
        require_state(state, MinMaxState)
        y = float_input(y, "y")
        check_features(y, state.scale, "y")
        return (y - state.offset) / state.scale

    return Transform(fit, transform, inverse)


def robust_scale(
    quantile_range: tuple[float, float] = (25.0, 75.0),
    *,
    with_centering: bool = True,
    with_scaling: bool = True,
) -> Transform:
    r"""Centre on the median and divide by an inter-quantile range (outlier-resistant).

    $$
    y_{ij} = \frac{x_{ij} - \mathrm{median}_j}{Q_j(q_{hi}) - Q_j(q_{lo})}
    $$

    with linear-interpolation percentiles, ignoring NaN (scikit-learn's ``RobustScaler``).

    Returns:
      A `Transform` with state `RobustState`; all three functions are jittable.

    Examples:
      >>> import numpy as np
      >>> t = robust_scale()
      >>> x = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
      >>> t.transform(t.fit(x), x).ravel().tolist()
      [-1.0, -0.5, 0.0, 0.5, 48.5]
    """
    q_lo, q_hi = map(float, quantile_range)
    if not 0.0 <= q_lo < q_hi <= 100.0:
        raise errors.ValidationError(
            f"quantile_range must satisfy 0 <= low < high <= 100, got {quantile_range}."
        )

    def fit(x):
        x = _fit_input(x)
        center = jnp.nanmedian(x, axis=0)
        q = jnp.nanpercentile(x, jnp.array([q_lo, q_hi], dtype=x.dtype), axis=0)
        iqr = q[1] - q[0]
        scale = jnp.where(iqr < 10 * jnp.finfo(x.dtype).eps, 1.0, iqr).astype(x.dtype)
        return RobustState(
            center if with_centering else jnp.zeros_like(center),
            scale if with_scaling else jnp.ones_like(scale),
        )

    return Transform(fit, *_affine(RobustState))
