"""L2-penalised logistic regression (binary and multinomial) by damped Newton steps."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import _validate as _checks
from jaxfound import errors
from jaxfound.typing import ArrayLike


class LogisticParams(NamedTuple):
    """Parameters of a logistic regression.

    Attributes:
      coef: ``(d, 1)`` for two classes (the logit of class 1) or ``(d, K)`` for ``K > 2``.
      intercept: ``(1,)`` or ``(K,)``.
    """

    coef: jax.Array
    intercept: jax.Array


def fit_logistic(X: ArrayLike, y: ArrayLike, *, C: ArrayLike = 1.0, n_classes: int | None = None,
                 sample_weight: ArrayLike | None = None,
                 fit_intercept: bool = True, max_iter: int = 50, tol: float | None = None
                 ) -> LogisticParams:
    r"""L2-penalised logistic regression (scikit-learn's ``LogisticRegression(C=C)``).

    $$
    \min_{W, b}\; \frac{1}{2C}\|W\|_F^2 + \sum_i s_i\,\ell(y_i, W^\top x_i + b)
    $$

    with $\ell(y, z) = \log(1 + e^{z}) - y z$ for two classes (one logit) and the
    softmax cross-entropy $\ell(y, z) = \operatorname{logsumexp}(z) - z_y$ for
    $K > 2$ (multinomial; intercepts are centred to sum to zero). The problem is strictly
    convex; it is solved by Newton's method with the exact Hessian
    $H = \sum_i s_i\,(\tilde x_i \tilde x_i^\top) \otimes (\mathrm{diag}(p_i) -
    p_i p_i^\top) + C^{-1} I$ and a backtracking (Armijo) step, inside ``lax.while_loop``
    (Cholesky for two classes; for $K > 2$ the Newton system is solved by Jacobi-preconditioned
    conjugate gradients on Hessian-vector products, never forming $H$).
    ``C`` and ``sample_weight`` may be traced (vmap over a grid or k-fold 0/1 masks).

    Args:
      X: ``(n, d)`` features.
      y: ``(n,)`` integer labels in ``[0, n_classes)``.
      C: inverse penalty strength (``jnp.inf`` for no penalty).
      n_classes: number of classes (default ``max(y) + 1``); static.
      sample_weight: optional ``(n,)`` non-negative weights; 0 removes a row.
      fit_intercept: fit an unpenalised intercept.
      max_iter: maximum Newton steps.
      tol: stop when the max-norm of the gradient of the (weight-normalised) objective is
        below it (default 1e-10 in float64, 1e-5 in float32).

    Returns:
      `LogisticParams`.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[-2.0], [-1.0], [1.0], [2.0]]); y = jnp.array([0, 0, 1, 1])
    >>> p = fit_logistic(X, y, C=1.0)
    >>> logistic_predict(p, X).tolist()
    [0, 0, 1, 1]
    """
    X = _checks.features(X)
    y, k = _checks.class_labels(y, X.shape[0], n_classes)
    w = _checks.sample_weights(sample_weight, X.shape[0], X.dtype)
    if not _checks.is_traced(C) and not C > 0:
        raise errors.ValidationError(f"C must be > 0 (inverse penalty), got {C}.")
    if tol is None:
        tol = 1e-10 if X.dtype == jnp.float64 else 1e-5
    return _fit_logistic(X, y, jnp.asarray(C, X.dtype), w, k, fit_intercept, max_iter, tol)


def logistic_logits(params: LogisticParams, X: ArrayLike) -> jax.Array:
    """Logits $X W + b$: ``(m, 1)`` for two classes, ``(m, K)`` otherwise."""
    X = _checks.n_features_match(params.coef.shape[0], X)
    return X @ params.coef + params.intercept


def logistic_proba(params: LogisticParams, X: ArrayLike) -> jax.Array:
    """Class probabilities ``(m, K)`` (sigmoid for two classes, softmax otherwise)."""
    z = logistic_logits(params, X)
    if z.shape[1] == 1:
        p1 = jax.nn.sigmoid(z[:, 0])
        return jnp.stack([1.0 - p1, p1], axis=1)
    return jax.nn.softmax(z, axis=1)


def logistic_predict(params: LogisticParams, X: ArrayLike) -> jax.Array:
    """Most probable class ``(m,)``."""
    z = logistic_logits(params, X)
    if z.shape[1] == 1:
        return (z[:, 0] > 0).astype(jnp.int32)
    return jnp.argmax(z, axis=1).astype(jnp.int32)


def _objective(theta, Z, Y, w, inv_c, binary, mask):
    """Weight-normalised penalised loss; theta is (d+1, K') with intercept in row 0."""
    z = Z @ theta
    if binary:
        losses = jax.nn.softplus(z[:, 0]) - Y[:, 0] * z[:, 0]
    else:
        losses = jax.nn.logsumexp(z, axis=1) - jnp.sum(Y * z, axis=1)
    sw = jnp.sum(w)
    return (w @ losses) / sw + 0.5 * inv_c * jnp.sum(mask * theta**2) / sw


@jax.jit(static_argnames=("k", "fit_intercept", "max_iter", "tol"))
def _fit_logistic(X, y, C, w, k, fit_intercept, max_iter, tol):
    binary = k == 2
    n, d = X.shape
    Z = jnp.concatenate([jnp.ones((n, 1), X.dtype), X], axis=1)
    kk = 1 if binary else k
    Y = (y[:, None] == (jnp.arange(kk) + (1 if binary else 0))).astype(X.dtype)
    mask = jnp.ones((d + 1, kk), X.dtype).at[0].set(0.0)  # intercept row unpenalised
    free = mask.at[0].set(1.0 if fit_intercept else 0.0)  # which entries move at all
    inv_c = 1.0 / C
    sw = jnp.sum(w)
    f = lambda th: _objective(th, Z, Y, w, inv_c, binary, mask)

    cg_tol = 1e-12 if X.dtype == jnp.float64 else 1e-6

    def binary_direction(theta):
        """Exact Newton step: Cholesky of the (d+1) x (d+1) Hessian."""
        p = jax.nn.sigmoid(Z @ theta)
        g = (Z.T @ (w[:, None] * (p - Y)) + inv_c * mask * theta) / sw * free
        h = (Z * (w * p[:, 0] * (1 - p[:, 0]))[:, None]).T @ Z / sw
        h = h + jnp.diag((inv_c * mask.reshape(-1) + 1e-10 * (1.0 - mask.reshape(-1))) / sw)
        fr = free.reshape(-1)  # frozen entries: identity rows, so their step is zero
        h = h * fr[:, None] * fr[None, :] + jnp.diag(1.0 - fr)
        chol = jax.scipy.linalg.cho_factor(h)
        return g, -jax.scipy.linalg.cho_solve(chol, g.reshape(-1)).reshape(theta.shape)

    def multinomial_direction(theta):
        """Newton step by Jacobi-preconditioned conjugate gradients on Hessian-vector products
        (never forming the ((d+1)K)^2 Hessian). Softmax is invariant to adding c to all K
        logits, so H is singular along u_j = e_j (x) 1_K; the gradient is orthogonal to every
        u_j, and adding sum_j u_j u_j^T / K leaves the step unchanged and makes H definite."""
        p = jax.nn.softmax(Z @ theta, axis=1)
        g = (Z.T @ (w[:, None] * (p - Y)) + inv_c * mask * theta) / sw * free

        def hvp(v):
            u = Z @ v
            su = p * u - p * jnp.sum(p * u, axis=1, keepdims=True)
            hv = (Z.T @ (w[:, None] * su) + inv_c * mask * v) / sw
            hv = hv + jnp.mean(v, axis=1, keepdims=True)
            return hv * free + v * (1.0 - free)

        diag = ((Z**2).T @ (w[:, None] * p * (1 - p)) + inv_c * mask) / sw + 1.0 / kk
        diag = diag * free + (1.0 - free)
        step, _ = jax.scipy.sparse.linalg.cg(hvp, -g, tol=cg_tol, maxiter=10 * (d + 1) * kk,
                                             M=lambda r: r / diag)
        return g, step

    steps = 0.5 ** jnp.arange(12, dtype=X.dtype)

    def body(state):
        theta, it, _ = state
        g, direction = binary_direction(theta) if binary else multinomial_direction(theta)
        f0 = f(theta)
        slope = jnp.sum(g * direction)
        vals = jax.vmap(lambda t: f(theta + t * direction))(steps)
        ok = vals <= f0 + 1e-4 * steps * slope
        t = jnp.where(jnp.any(ok), steps[jnp.argmax(ok)], 0.0)
        t = jnp.where(jnp.isfinite(t), t, 0.0)
        new = theta + t * direction
        # no acceptable step left (rounding floor reached): report converged
        gmax = jnp.where(t > 0, jnp.max(jnp.abs(g)), 0.0)
        return new, it + 1, gmax

    def cond(state):
        _, it, gmax = state
        return (it < max_iter) & (gmax > tol)

    theta0 = jnp.zeros((d + 1, kk), X.dtype)
    theta, _, _ = jax.lax.while_loop(cond, body, (theta0, 0, jnp.asarray(jnp.inf, X.dtype)))
    intercept = theta[0]
    if not binary:
        intercept = intercept - jnp.mean(intercept)
    return LogisticParams(theta[1:], intercept)
