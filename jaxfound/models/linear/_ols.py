"""Ordinary and weighted least squares by a QR factorisation."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from jaxfound import _validate
from jaxfound.base import Estimator
from jaxfound.models.linear._params import LinearParams, center, intercept_from, predict
from jaxfound.typing import ArrayLike


def ols(fit_intercept: bool = True) -> Estimator:
    r"""Ordinary least squares, weighted when the fit gets a ``sample_weight``.

    $$
    \hat w, \hat b = \arg\min_{w, b} \sum_i s_i (y_i - x_i^\top w - b)^2
    $$

    solved on the weighted-centred design $\tilde X = \sqrt{s}\,(X - \bar x_s)$ by a
    thin QR factorisation $\tilde X = QR$, $\hat w = R^{-1} Q^\top \sqrt{s}\,
    (y - \bar y_s)$, $\hat b = \bar y_s - \bar x_s^\top \hat w$. With
    $s_i = 1/\sigma_i^2$ this is weighted least squares, the best linear unbiased estimator
    for heteroscedastic noise of variance $\sigma_i^2$. A weight $s_i = 0$ removes row
    $i$ (k-fold masks under ``jax.vmap``).

    The estimator's ``fit(X, y, *, sample_weight=None) -> LinearParams`` takes ``(n, d)``
    features and ``(n,)`` or ``(n, k)`` targets and raises `SingularMatrixError` when the
    (weighted, centred) design is rank deficient; ``predict(params, X)`` gives $Xw + b$.

    Args:
      fit_intercept: fit $b$ (else $b = 0$); static.

    Returns:
      An `Estimator` (a regressor; cached: equal settings give the same object).

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[0.0], [1.0], [2.0]]); y = 1.0 + 2.0 * X[:, 0]
    >>> p = ols().fit(X, y)
    >>> round(float(p.coef[0]), 4), round(float(p.intercept), 4)
    (2.0, 1.0)
    >>> w = jnp.array([1.0, 2.0, 3.0])  # weighted least squares
    >>> round(float(ols().fit(X, y, sample_weight=w).coef[0]), 4)
    2.0
    """
    return _ols(bool(fit_intercept))


@functools.cache
def _ols(fit_intercept: bool) -> Estimator:
    def fit(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None
            ) -> LinearParams:
        X = _validate.features(X)
        y = _validate.targets(y, X.shape[0])
        w = _validate.sample_weights(sample_weight, X.shape[0], X.dtype)
        if not _validate.is_traced(X, w):
            _validate.full_rank(X, w, fit_intercept)
        return _fit_ols(X, y, w, fit_intercept)

    return Estimator(fit=fit, predict=predict, is_classifier=False,
                     name=f"ols(fit_intercept={fit_intercept})")


@jax.jit(static_argnames="fit_intercept")
def _fit_ols(X, y, w, fit_intercept):
    x_mean, y_mean, Xc, yc = center(X, y, w, fit_intercept)
    sw = jnp.sqrt(w)
    q, r = jnp.linalg.qr(sw[:, None] * Xc)
    rhs = q.T @ (sw.reshape((-1,) + (1,) * (y.ndim - 1)) * yc)
    coef = jsl.solve_triangular(r, rhs, lower=False)
    return LinearParams(coef, intercept_from(x_mean, y_mean, coef))
