r"""Linear SVM solved in the primal (scikit-learn's ``LinearSVC``) by generalised Newton steps."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import _validate as _checks
from jaxfound import errors
from jaxfound.typing import ArrayLike


class LinearSVCParams(NamedTuple):
    """A primal linear SVM: ``coef (d, P)``, ``intercept (P,)``; ``P = 1`` for two classes
    (positive decision = class 1), else one column per class (one-vs-rest)."""

    coef: jax.Array
    intercept: jax.Array


def fit_linear(X: ArrayLike, y: ArrayLike, *, C: ArrayLike = 1.0,
               sample_weight: ArrayLike | None = None, n_classes: int | None = None,
               max_iter: int = 50, tol: float | None = None) -> LinearSVCParams:
    r"""Linear SVM with the squared hinge loss, in the primal (``LinearSVC(dual=False)``).

    $$
    \min_{w}\; \tfrac12 \|w\|^2 + C \sum_i s_i \max(0,\, 1 - y_i\, w^\top \tilde x_i)^2,
    \qquad \tilde x_i = [x_i, 1]
    $$

    (the intercept is the weight of a constant feature and is penalised, as in ``LinearSVC``
    with ``intercept_scaling=1``). The objective is piecewise quadratic; generalised Newton
    steps with $H = I + 2C \sum_{i \in A} s_i \tilde x_i \tilde x_i^\top$ over the active set
    $A = \{i : y_i w^\top \tilde x_i < 1\}$ and an Armijo step converge in a few iterations.
    More than two classes: one-vs-rest, all problems in one ``jax.vmap``. ``C`` and
    ``sample_weight`` may be traced.

    Args:
      X: ``(n, d)`` features.
      y: ``(n,)`` integer labels in ``[0, n_classes)``.
      C: penalty trade-off $C > 0$.
      sample_weight: optional ``(n,)`` non-negative weights; 0 removes a row.
      n_classes: number of classes (default ``max(y) + 1``; static).
      max_iter: maximum Newton steps.
      tol: stop when the max-norm of the gradient is below it (default 1e-8 in float64,
        1e-4 in float32, relative to $C \sum_i s_i$).

    Returns:
      `LinearSVCParams`.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[-2.0], [-1.0], [1.0], [2.0]]); y = jnp.array([0, 0, 1, 1])
    >>> linear_predict(fit_linear(X, y), X).tolist()
    [0, 0, 1, 1]
    """
    X = _checks.features(X)
    y, k = _checks.class_labels(y, X.shape[0], n_classes)
    w = _checks.sample_weights(sample_weight, X.shape[0], X.dtype)
    if not _checks.is_traced(C) and not C > 0:
        raise errors.ValidationError(f"C must be > 0, got {C}.")
    if tol is None:
        tol = 1e-8 if X.dtype == jnp.float64 else 1e-4
    return _fit_linear(X, jnp.asarray(y), jnp.asarray(C, X.dtype), w, k, max_iter, tol)


@jax.jit(static_argnames=("k", "max_iter", "tol"))
def _fit_linear(X, y, C, w, k, max_iter, tol):
    Z = jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)
    classes = jnp.array([1]) if k == 2 else jnp.arange(k)
    Y = jnp.where(y[None, :] == classes[:, None], 1.0, -1.0).astype(X.dtype)  # (P, n)
    scale = C * jnp.sum(w)
    steps = 0.5 ** jnp.arange(12, dtype=X.dtype)

    def solve(yy):
        f = lambda v: 0.5 * v @ v + C * jnp.sum(w * jnp.maximum(0.0, 1.0 - yy * (Z @ v)) ** 2)

        def body(state):
            v, it, _ = state
            margin = 1.0 - yy * (Z @ v)
            act = w * (margin > 0)
            g = v - 2.0 * C * (Z.T @ (act * yy * margin))
            h = jnp.eye(Z.shape[1], dtype=X.dtype) + 2.0 * C * (Z * act[:, None]).T @ Z
            d = -jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(h), g)
            f0, slope = f(v), g @ d
            vals = jax.vmap(lambda t: f(v + t * d))(steps)
            ok = vals <= f0 + 1e-4 * steps * slope
            t = jnp.where(jnp.any(ok), steps[jnp.argmax(ok)], 0.0)
            gmax = jnp.where(t > 0, jnp.max(jnp.abs(g)) / scale, 0.0)
            return v + t * d, it + 1, gmax

        cond = lambda s: (s[1] < max_iter) & (s[2] > tol)
        v0 = jnp.zeros(Z.shape[1], X.dtype)
        v, _, _ = jax.lax.while_loop(cond, body, (v0, 0, jnp.asarray(jnp.inf, X.dtype)))
        return v

    V = jax.vmap(solve)(Y)  # (P, d + 1)
    return LinearSVCParams(V[:, :-1].T, V[:, -1])


def linear_decision_function(params: LinearSVCParams, X: ArrayLike) -> jax.Array:
    """Decision values: ``(m,)`` for two classes (positive = class 1), else ``(m, K)``."""
    X = _checks.n_features_match(params.coef.shape[0], X)
    out = X @ params.coef + params.intercept
    return out[:, 0] if out.shape[1] == 1 else out


def linear_predict(params: LinearSVCParams, X: ArrayLike) -> jax.Array:
    """Predicted class ``(m,)``: the sign for two classes, else the largest decision value."""
    dec = linear_decision_function(params, X)
    if dec.ndim == 1:
        return (dec > 0).astype(jnp.int32)
    return jnp.argmax(dec, axis=1).astype(jnp.int32)
