"""Ordinary and weighted least squares by a QR factorisation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from jaxfound import _validate as _checks
from jaxfound.models.linear._params import LinearParams, center, intercept_from
from jaxfound.typing import ArrayLike


def fit_ols(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
            fit_intercept: bool = True) -> LinearParams:
    r"""Ordinary (optionally weighted) least squares.

    $$
    \hat w, \hat b = \arg\min_{w, b} \sum_i s_i (y_i - x_i^\top w - b)^2
    $$

    solved on the weighted-centred design $\tilde X = \sqrt{s}\,(X - \bar x_s)$ by a
    thin QR factorisation $\tilde X = QR$, $\hat w = R^{-1} Q^\top \sqrt{s}\,
    (y - \bar y_s)$, $\hat b = \bar y_s - \bar x_s^\top \hat w$.
    A weight $s_i = 0$ removes row $i$ (k-fold masks under ``jax.vmap``).

    Args:
      X: ``(n, d)`` features.
      y: ``(n,)`` or ``(n, k)`` targets.
      sample_weight: optional ``(n,)`` non-negative weights (default all ones).
      fit_intercept: fit $b$ (else $b = 0$).

    Returns:
      `LinearParams`.

    Raises:
      SingularMatrixError: the (weighted, centred) design is rank deficient.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[0.0], [1.0], [2.0]]); y = 1.0 + 2.0 * X[:, 0]
    >>> p = fit_ols(X, y)
    >>> round(float(p.coef[0]), 4), round(float(p.intercept), 4)
    (2.0, 1.0)
    """
    X = _checks.features(X)
    y = _checks.targets(y, X.shape[0])
    w = _checks.sample_weights(sample_weight, X.shape[0], X.dtype)
    if not _checks.is_traced(X, w):
        _checks.full_rank(X, w, fit_intercept)
    return _fit_ols(X, y, w, fit_intercept)


def fit_wls(X: ArrayLike, y: ArrayLike, weights: ArrayLike, *,
            fit_intercept: bool = True) -> LinearParams:
    r"""Weighted least squares: `fit_ols` with ``sample_weight=weights``.

    With $s_i = 1/\sigma_i^2$ this is the best linear unbiased estimator for
    heteroscedastic noise of variance $\sigma_i^2$.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[0.0], [1.0], [2.0]]); y = jnp.array([1.0, 3.0, 5.0])
    >>> round(float(fit_wls(X, y, jnp.array([1.0, 2.0, 3.0])).coef[0]), 4)
    2.0
    """
    return fit_ols(X, y, sample_weight=weights, fit_intercept=fit_intercept)


@jax.jit(static_argnames="fit_intercept")
def _fit_ols(X, y, w, fit_intercept):
    x_mean, y_mean, Xc, yc = center(X, y, w, fit_intercept)
    sw = jnp.sqrt(w)
    q, r = jnp.linalg.qr(sw[:, None] * Xc)
    rhs = q.T @ (sw.reshape((-1,) + (1,) * (y.ndim - 1)) * yc)
    coef = jsl.solve_triangular(r, rhs, lower=False)
    return LinearParams(coef, intercept_from(x_mean, y_mean, coef))
