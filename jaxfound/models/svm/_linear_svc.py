r"""Linear SVM solved in the primal (scikit-learn's ``LinearSVC``) by generalised Newton steps.

**Solver constants.** Each generalised Newton step is damped by the same backtracking
(Armijo) line search as `jaxfound.models.linear.logistic`: the fixed steps
$1, \tfrac12, \dots, 2^{-(\text{LINE\_SEARCH\_STEPS} - 1)}$ evaluated at once, the longest
one with sufficient decrease (constant `ARMIJO`). The loop stops with ``converged=True``
when the max-norm of the gradient, relative to $C \sum_i s_i$, is at most ``tol``
(`TOL_F64` / `TOL_F32` by default), and with ``converged=False`` when ``max_iter`` steps are
spent or no step decreases the objective.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import _validate
from jaxfound.base import Estimator, FitInfo
from jaxfound.models.linear._logistic import ARMIJO, LINE_SEARCH_STEPS
from jaxfound.typing import ArrayLike

TOL_F64 = 1e-8  # default relative gradient tolerance in float64 ...
TOL_F32 = 1e-4  # ... and in float32


class LinearSVCParams(NamedTuple):
    """A primal linear SVM.

    Attributes:
      coef: ``(d, P)``; ``P = 1`` for two classes (positive decision = class 1), else one
        column per class (one-vs-rest).
      intercept: ``(P,)``.
      info: `FitInfo`: ``converged`` when every problem met the tolerance, ``n_iter`` the
        most Newton steps a problem took.
    """

    coef: jax.Array
    intercept: jax.Array
    info: FitInfo


def linear_svc(C: float = 1.0, n_classes: int | None = None, max_iter: int = 50,
               tol: float | None = None) -> Estimator:
    r"""Linear SVM with the squared hinge loss, in the primal (``LinearSVC(dual=False)``).

    $$
    \min_{w}\; \tfrac12 \|w\|^2 + C \sum_i s_i \max(0,\, 1 - y_i\, w^\top \tilde x_i)^2,
    \qquad \tilde x_i = [x_i, 1]
    $$

    (the intercept is the weight of a constant feature and is penalised, as in ``LinearSVC``
    with ``intercept_scaling=1``). The objective is piecewise quadratic; generalised Newton
    steps with $H = I + 2C \sum_{i \in A} s_i \tilde x_i \tilde x_i^\top$ over the active set
    $A = \{i : y_i w^\top \tilde x_i < 1\}$ and an Armijo step converge in a few iterations.
    More than two classes: one-vs-rest, all problems in one ``jax.vmap``.

    The estimator's ``fit(X, y, *, sample_weight=None, C=C) -> LinearSVCParams`` takes
    ``(n, d)`` features and ``(n,)`` integer labels; ``C`` and ``sample_weight`` may be
    traced. ``decision_function`` gives ``(m,)`` values for two classes (positive = class 1),
    else ``(m, K)``; ``predict`` the class.

    Args:
      C: default penalty trade-off $C > 0$; traced.
      n_classes: number of classes (default ``max(y) + 1`` at fit time); static.
      max_iter: maximum Newton steps; static.
      tol: gradient tolerance relative to $C \sum_i s_i$ (default `TOL_F64` in float64,
        `TOL_F32` in float32); static.

    Returns:
      An `Estimator` (a classifier; cached: equal settings give the same object).

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[-2.0], [-1.0], [1.0], [2.0]]); y = jnp.array([0, 0, 1, 1])
    >>> est = linear_svc()
    >>> est.predict(est.fit(X, y), X).tolist()
    [0, 0, 1, 1]
    """
    C = _validate.hyperparameter(C, "C", low=0.0, open_low=True)
    n_classes = None if n_classes is None else int(n_classes)
    tol = None if tol is None else float(tol)
    return _linear_svc(C, n_classes, int(max_iter), tol)


@functools.cache
def _linear_svc(default_C, n_classes, max_iter, tol) -> Estimator:
    def fit(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
            C: ArrayLike = default_C) -> LinearSVCParams:
        X = _validate.features(X)
        y, k = _validate.class_labels(y, X.shape[0], n_classes)
        w = _validate.sample_weights(sample_weight, X.shape[0], X.dtype)
        C = _validate.hyperparameter(C, "C", low=0.0, open_low=True)
        t = tol if tol is not None else (TOL_F64 if X.dtype == jnp.float64 else TOL_F32)
        return _fit_linear(X, jnp.asarray(y), jnp.asarray(C, X.dtype), w, k, max_iter, t)

    name = f"linear_svc(C={default_C:g}, n_classes={n_classes}, max_iter={max_iter}, tol={tol})"
    return Estimator(fit=fit, predict=predict, decision_function=decision_function,
                     is_classifier=True, name=name)


@jax.jit(static_argnames=("k", "max_iter", "tol"))
def _fit_linear(X, y, C, w, k, max_iter, tol):
    Z = jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)
    classes = jnp.array([1]) if k == 2 else jnp.arange(k)
    Y = jnp.where(y[None, :] == classes[:, None], 1.0, -1.0).astype(X.dtype)  # (P, n)
    scale = C * jnp.sum(w)
    steps = 0.5 ** jnp.arange(LINE_SEARCH_STEPS, dtype=X.dtype)

    def solve(yy):
        f = lambda v: 0.5 * v @ v + C * jnp.sum(w * jnp.maximum(0.0, 1.0 - yy * (Z @ v)) ** 2)

        def body(state):
            v, it, _, _ = state
            margin = 1.0 - yy * (Z @ v)
            act = w * (margin > 0)
            g = v - 2.0 * C * (Z.T @ (act * yy * margin))
            h = jnp.eye(Z.shape[1], dtype=X.dtype) + 2.0 * C * (Z * act[:, None]).T @ Z
            d = -jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(h), g)
            f0, slope = f(v), g @ d
            vals = jax.vmap(lambda t: f(v + t * d))(steps)
            ok = vals <= f0 + ARMIJO * steps * slope
            t = jnp.where(jnp.any(ok), steps[jnp.argmax(ok)], 0.0)
            converged = jnp.max(jnp.abs(g)) / scale <= tol  # the test at the current iterate
            return v + t * d, it + 1, converged, (t == 0) & ~converged

        cond = lambda s: (s[1] < max_iter) & ~s[2] & ~s[3]
        v0 = jnp.zeros(Z.shape[1], X.dtype)
        false = jnp.asarray(False)
        v, it, converged, _ = jax.lax.while_loop(cond, body, (v0, jnp.asarray(0), false, false))
        return v, it, converged

    V, its, conv = jax.vmap(solve)(Y)  # (P, d + 1)
    return LinearSVCParams(V[:, :-1].T, V[:, -1], FitInfo(jnp.all(conv), jnp.max(its)))


def decision_function(params: LinearSVCParams, X: ArrayLike) -> jax.Array:
    """Decision values: ``(m,)`` for two classes (positive = class 1), else ``(m, K)``."""
    X = _validate.n_features_match(params.coef.shape[0], X)
    out = X @ params.coef + params.intercept
    return out[:, 0] if out.shape[1] == 1 else out


def predict(params: LinearSVCParams, X: ArrayLike) -> jax.Array:
    """Predicted class ``(m,)``: the sign for two classes, else the largest decision value."""
    dec = decision_function(params, X)
    if dec.ndim == 1:
        return (dec > 0).astype(jnp.int32)
    return jnp.argmax(dec, axis=1).astype(jnp.int32)
