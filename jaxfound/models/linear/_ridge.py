"""Ridge regression in closed form, and a whole regularisation path in one call."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxfound import _validate as _checks
from jaxfound import errors
from jaxfound.models.linear._params import LinearParams, center, intercept_from
from jaxfound.typing import ArrayLike


def fit_ridge(X: ArrayLike, y: ArrayLike, alpha: ArrayLike = 1.0, *,
              sample_weight: ArrayLike | None = None, fit_intercept: bool = True) -> LinearParams:
    r"""Ridge regression (L2-penalised least squares) in closed form.

    $$
    \hat w = \arg\min_w \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \|w\|_2^2
    = (\tilde X^\top S \tilde X + \alpha I)^{-1} \tilde X^\top S \tilde y
    $$

    with $\tilde X, \tilde y$ centred by their $s$-weighted means (the intercept
    is not penalised) and solved by a Cholesky factorisation. ``alpha`` may be a traced value,
    so ``jax.vmap(fit_ridge, in_axes=(None, None, 0))(X, y, alphas)`` fits a grid at once.

    Args:
      X: ``(n, d)`` features.
      y: ``(n,)`` or ``(n, k)`` targets.
      alpha: penalty $\alpha \ge 0$ (scikit-learn's ``Ridge(alpha=...)``).
      sample_weight: optional ``(n,)`` non-negative weights; 0 removes a row.
      fit_intercept: fit an unpenalised intercept.

    Returns:
      `LinearParams`.

    Raises:
      SingularMatrixError: ``alpha == 0`` and the design is rank deficient.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[0.0], [1.0], [2.0]]); y = jnp.array([0.0, 1.0, 2.0])
    >>> round(float(fit_ridge(X, y, 2.0).coef[0]), 4)  # 2 / (2 + 2)
    0.5
    """
    X = _checks.features(X)
    y = _checks.targets(y, X.shape[0])
    w = _checks.sample_weights(sample_weight, X.shape[0], X.dtype)
    if not _checks.is_traced(alpha):
        if not alpha >= 0:
            raise errors.ValidationError(f"alpha must be >= 0, got {alpha}.")
        if alpha == 0 and not _checks.is_traced(X, w):
            _checks.full_rank(X, w, fit_intercept)
    return _fit_ridge(X, y, jnp.asarray(alpha, X.dtype), w, fit_intercept)


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
    evaluated for all $\alpha$ in one vectorised call.

    Args:
      X: ``(n, d)`` features.
      y: ``(n,)`` or ``(n, k)`` targets.
      alphas: ``(m,)`` penalties, all ``> 0`` (or the design must have full rank).
      sample_weight: optional ``(n,)`` weights.
      fit_intercept: fit an unpenalised intercept.

    Returns:
      `LinearParams` whose leaves have a leading axis of size ``m``.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[0.0], [1.0], [2.0]]); y = jnp.array([0.0, 1.0, 2.0])
    >>> ridge_path(X, y, jnp.array([2.0, 6.0])).coef[:, 0]
    Array([0.5 , 0.25], dtype=float32)
    """
    X = _checks.features(X)
    y = _checks.targets(y, X.shape[0])
    w = _checks.sample_weights(sample_weight, X.shape[0], X.dtype)
    alphas = jnp.asarray(alphas, X.dtype)
    if not _checks.is_traced(alphas, X, w) and bool(jnp.any(alphas <= 0)):
        _checks.full_rank(X, w, fit_intercept)
    return _ridge_path(X, y, alphas, w, fit_intercept)


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
