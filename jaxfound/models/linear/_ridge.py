"""Ridge regression in closed form, and a whole regularisation path in one call."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.base import Estimator
from jaxfound.models.linear._params import LinearParams, center, intercept_from, predict
from jaxfound.typing import ArrayLike


def ridge(alpha: float = 1.0, fit_intercept: bool = True) -> Estimator:
    r"""Ridge regression (L2-penalised least squares) in closed form.

    $$
    \hat w = \arg\min_w \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \|w\|_2^2
    = (\tilde X^\top S \tilde X + \alpha I)^{-1} \tilde X^\top S \tilde y
    $$

    with $\tilde X, \tilde y$ centred by their $s$-weighted means (the intercept
    is not penalised) and solved by a Cholesky factorisation.

    The estimator's ``fit(X, y, *, sample_weight=None, alpha=alpha) -> LinearParams``
    takes ``(n, d)`` features and ``(n,)`` or ``(n, k)`` targets; ``alpha`` may be traced,
    so ``jax.vmap(lambda a: est.fit(X, y, alpha=a))(alphas)`` fits a grid at once (or use
    `ridge_path`). With ``alpha == 0`` a rank-deficient design raises `SingularMatrixError`.

    Args:
      alpha: default penalty $\alpha \ge 0$ (scikit-learn's ``Ridge(alpha=...)``); traced.
      fit_intercept: fit an unpenalised intercept; static.

    Returns:
      An `Estimator` (a regressor; cached: equal settings give the same object).

    Raises:
      ValidationError: ``alpha < 0``.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[0.0], [1.0], [2.0]]); y = jnp.array([0.0, 1.0, 2.0])
    >>> round(float(ridge(alpha=2.0).fit(X, y).coef[0]), 4)  # 2 / (2 + 2)
    0.5
    """
    return _ridge(_validate.hyperparameter(alpha, "alpha", low=0.0), bool(fit_intercept))


@functools.cache
def _ridge(default_alpha: float, fit_intercept: bool) -> Estimator:
    def fit(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
            alpha: ArrayLike = default_alpha) -> LinearParams:
        X = _validate.features(X)
        y = _validate.targets(y, X.shape[0])
        w = _validate.sample_weights(sample_weight, X.shape[0], X.dtype)
        alpha = _validate.hyperparameter(alpha, "alpha", low=0.0)
        if not _validate.is_traced(alpha, X, w) and alpha == 0:
            _validate.full_rank(X, w, fit_intercept)
        return _fit_ridge(X, y, jnp.asarray(alpha, X.dtype), w, fit_intercept)

    return Estimator(fit=fit, predict=predict, is_classifier=False,
                     name=f"ridge(alpha={default_alpha:g}, fit_intercept={fit_intercept})")


@jax.jit(static_argnames="fit_intercept")
def _fit_ridge(X, y, alpha, w, fit_intercept):
    x_mean, y_mean, Xc, yc = center(X, y, w, fit_intercept)
    gram = (Xc * w[:, None]).T @ Xc + alpha * jnp.eye(X.shape[1], dtype=X.dtype)
    rhs = (Xc * w[:, None]).T @ yc
    coef = jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(gram), rhs)
    return LinearParams(coef, intercept_from(x_mean, y_mean, coef))


def ridge_path(X: ArrayLike, y: ArrayLike, alphas: ArrayLike, *,
               sample_weight: ArrayLike | None = None, fit_intercept: bool = True) -> LinearParams:
    r"""Ridge coefficients for every penalty in ``alphas``, from one eigendecomposition.

    With $\tilde X^\top S \tilde X = V \Lambda V^\top$,
    $\hat w(\alpha) = V (\Lambda + \alpha I)^{-1} V^\top \tilde X^\top S \tilde y$,
    evaluated for all $\alpha$ in one vectorised call. Each entry equals
    ``ridge(alpha).fit(X, y)``; predict with ``ridge().predict`` (vmapped over the path).

    Args:
      X: ``(n, d)`` features.
      y: ``(n,)`` or ``(n, k)`` targets.
      alphas: ``(m,)`` penalties $\alpha \ge 0$ (a zero needs a full-rank design).
      sample_weight: optional ``(n,)`` weights.
      fit_intercept: fit an unpenalised intercept.

    Returns:
      `LinearParams` whose leaves have a leading axis of size ``m``.

    Raises:
      ValidationError: a negative (or NaN) penalty.
      SingularMatrixError: a zero penalty and a rank-deficient design.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[0.0], [1.0], [2.0]]); y = jnp.array([0.0, 1.0, 2.0])
    >>> ridge_path(X, y, jnp.array([2.0, 6.0])).coef[:, 0]
    Array([0.5 , 0.25], dtype=float32)
    """
    X = _validate.features(X)
    y = _validate.targets(y, X.shape[0])
    w = _validate.sample_weights(sample_weight, X.shape[0], X.dtype)
    if not _validate.is_traced(alphas):
        a = np.asarray(_validate.check_array(alphas, "alphas", ndim=1))
        if not (a >= 0).all():
            raise errors.ValidationError(
                f"alphas holds {int((~(a >= 0)).sum())} negative or NaN penalt(ies) (smallest "
                f"{np.nanmin(a):g}); ridge needs alpha >= 0.")
        if not _validate.is_traced(X, w) and (a == 0).any():
            _validate.full_rank(X, w, fit_intercept)
    return _ridge_path(X, y, jnp.asarray(alphas, X.dtype), w, fit_intercept)


@jax.jit(static_argnames="fit_intercept")
def _ridge_path(X, y, alphas, w, fit_intercept):
    x_mean, y_mean, Xc, yc = center(X, y, w, fit_intercept)
    lam, V = jnp.linalg.eigh((Xc * w[:, None]).T @ Xc)
    proj = V.T @ ((Xc * w[:, None]).T @ yc)  # (d,) or (d, k)

    def one(alpha):
        scale = 1.0 / (lam + alpha)
        coef = V @ (scale.reshape((-1,) + (1,) * (proj.ndim - 1)) * proj)
        return LinearParams(coef, intercept_from(x_mean, y_mean, coef))

    return jax.vmap(one)(alphas)
