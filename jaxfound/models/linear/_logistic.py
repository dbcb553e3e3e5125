r"""L2-penalised logistic regression (binary and multinomial) by damped Newton steps.

**Solver constants.** Newton's method with the exact Hessian, each step damped by a
backtracking (Armijo) line search over the fixed steps $t \in \{1, \tfrac12, \dots,
2^{-(\text{LINE\_SEARCH\_STEPS} - 1)}\}$, all evaluated at once (one ``vmap``), taking the
longest $t$ with $f(\theta + t d) \le f(\theta) + c\, t\, \nabla f^\top d$, $c$ =
`ARMIJO`. Once the predicted decrease $-\nabla f^\top d$ is below the rounding of $f$
(`ROUNDING_ULPS` units of $\epsilon\,(1 + |f|)$), values of $f$ can no longer tell steps
apart and the full Newton step is taken (the quadratic model is exact there) for as long as
the max-norm of the gradient keeps falling. The loop stops with ``converged=True`` when the
max-norm of the gradient of the weight-normalised objective is at most ``tol`` (`TOL_F64` /
`TOL_F32` by default); it stops with ``converged=False`` when ``max_iter`` steps are spent
or when no step of the line search decreases the objective or, below its rounding, the
gradient stops falling (the rounding floor is reached before the tolerance).
Two classes: the Newton system is solved by Cholesky, with `JITTER` on the diagonal of the
unpenalised intercept so that $C = \infty$ stays definite. $K > 2$: Jacobi-preconditioned
conjugate gradients on Hessian-vector products, to the relative residual `CG_TOL_F64` /
`CG_TOL_F32`, at most `CG_MAXITER_PER_UNKNOWN` iterations per unknown.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxfound import _validate, errors
from jaxfound._aot import cached_jit, register_serialization
from jaxfound.base import Estimator, FitInfo
from jaxfound.typing import ArrayLike

TOL_F64 = 1e-10  # default gradient tolerance in float64 ...
TOL_F32 = 1e-5  # ... and in float32
CG_TOL_F64 = 1e-12  # relative residual of the multinomial Newton system (float64) ...
CG_TOL_F32 = 1e-6  # ... (float32)
CG_MAXITER_PER_UNKNOWN = 10  # CG iterations allowed per unknown, (d + 1) K unknowns
JITTER = 1e-10  # added to the intercept's (unpenalised) Hessian diagonal, before / sum(w)
LINE_SEARCH_STEPS = 12  # step lengths 1, 1/2, ..., 2**-11
ARMIJO = 1e-4  # sufficient-decrease constant c of the Armijo test
ROUNDING_ULPS = 64.0  # predicted decrease below 64 eps (1 + |f|): take the full Newton step
LBFGS_TOL = 1e-4  # solver="lbfgs": scikit-learn's default tol (max-norm of the gradient)
LBFGS_MAX_ITER = 100  # solver="lbfgs": scikit-learn's default max_iter


@register_serialization
class LogisticParams(NamedTuple):
    """Parameters of a logistic regression.

    Attributes:
      coef: ``(d, 1)`` for two classes (the logit of class 1) or ``(d, K)`` for ``K > 2``.
      intercept: ``(1,)`` or ``(K,)``.
      info: `FitInfo`: whether the Newton loop met its gradient tolerance, and its steps.
    """

    coef: jax.Array
    intercept: jax.Array
    info: FitInfo


def logistic(C: float = 1.0, n_classes: int | None = None, fit_intercept: bool = True,
             max_iter: int | None = None, tol: float | None = None,
             solver: str = "newton") -> Estimator:
    r"""L2-penalised logistic regression (scikit-learn's ``LogisticRegression(C=C)``).

    $$
    \min_{W, b}\; \frac{1}{2C}\|W\|_F^2 + \sum_i s_i\,\ell(y_i, W^\top x_i + b)
    $$

    with $\ell(y, z) = \log(1 + e^{z}) - y z$ for two classes (one logit) and the
    softmax cross-entropy $\ell(y, z) = \operatorname{logsumexp}(z) - z_y$ for
    $K > 2$ (multinomial; intercepts are centred to sum to zero). The problem is strictly
    convex; it is solved by Newton's method with the exact Hessian
    $H = \sum_i s_i\,(\tilde x_i \tilde x_i^\top) \otimes (\mathrm{diag}(p_i) -
    p_i p_i^\top) + C^{-1} I$ and a backtracking (Armijo) step inside ``lax.while_loop``
    (see the module notes for the constants).

    The estimator's ``fit(X, y, *, sample_weight=None, C=C) -> LogisticParams`` takes
    ``(n, d)`` features and ``(n,)`` integer labels in ``[0, n_classes)``; ``C`` and
    ``sample_weight`` may be traced (vmap over a grid or k-fold 0/1 masks).
    ``params.info.converged`` is true only when the gradient tolerance was met.
    ``predict`` gives the most probable class, ``predict_proba`` the ``(m, K)``
    probabilities, ``decision_function`` the logits (``(m, 1)`` for two classes).

    Args:
      C: default inverse penalty strength $C > 0$ (``jnp.inf`` for no penalty); traced.
      n_classes: number of classes (default ``max(y) + 1`` at fit time); static.
      fit_intercept: fit an unpenalised intercept; static.
      max_iter: maximum Newton steps (default 50) or L-BFGS iterations (default
        `LBFGS_MAX_ITER`, scikit-learn's 100); static.
      tol: stop when the max-norm of the gradient of the (weight-normalised) objective is
        at most this (Newton: default `TOL_F64` in float64, `TOL_F32` in float32; L-BFGS:
        `LBFGS_TOL` = 1e-4, scikit-learn's ``tol`` on the same normalised objective);
        static.
      solver: ``"newton"`` (exact Hessian, to the optimum) or ``"lbfgs"`` (`optax.lbfgs`
        with its zoom line search, what scikit-learn runs by default: compare the two at
        equal tolerance with ``tol=``); static.

    Returns:
      An `Estimator` (a classifier; cached: equal settings give the same object).

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[-2.0], [-1.0], [1.0], [2.0]]); y = jnp.array([0, 0, 1, 1])
    >>> est = logistic(C=1.0)
    >>> p = est.fit(X, y)
    >>> est.predict(p, X).tolist(), bool(p.info.converged)
    ([0, 0, 1, 1], True)
    """
    C = _validate.hyperparameter(C, "C", low=0.0, open_low=True)
    n_classes = None if n_classes is None else int(n_classes)
    if solver not in ("newton", "lbfgs"):
        raise errors.ValidationError(
            f"solver={solver!r} is not understood; use 'newton' (exact, to the optimum) or "
            "'lbfgs' (optax L-BFGS, scikit-learn's default solver)."
        )
    if max_iter is None:
        max_iter = 50 if solver == "newton" else LBFGS_MAX_ITER
    max_iter = _validate.whole_number(max_iter, "max_iter", 1)
    if tol is None and solver == "lbfgs":
        tol = LBFGS_TOL
    tol = None if tol is None else float(_validate.hyperparameter(tol, "tol", low=0.0))
    return _logistic(C, n_classes, bool(fit_intercept), int(max_iter), tol, solver)


@functools.cache
def _logistic(default_C, n_classes, fit_intercept, max_iter, tol, solver="newton") -> Estimator:
    def fit(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
            C: ArrayLike = default_C) -> LogisticParams:
        X = _validate.features(X)
        y, k = _validate.class_labels(y, X.shape[0], n_classes)
        w = _validate.sample_weights(sample_weight, X.shape[0], X.dtype)
        C = _validate.hyperparameter(C, "C", low=0.0, open_low=True)
        t = tol if tol is not None else (TOL_F64 if X.dtype == jnp.float64 else TOL_F32)
        fitter = _fit_logistic if solver == "newton" else _fit_logistic_lbfgs
        return fitter(X, y, _validate.device_array(C, X.dtype), w, k, fit_intercept, max_iter, t)

    name = (f"logistic(C={default_C:g}, n_classes={n_classes}, fit_intercept={fit_intercept}, "
            f"max_iter={max_iter}, tol={tol}, solver={solver!r})")
    return Estimator(fit=fit, predict=predict, predict_proba=predict_proba,
                     decision_function=logits, is_classifier=True, name=name)


def logits(params: LogisticParams, X: ArrayLike) -> jax.Array:
    """Logits $X W + b$: ``(m, 1)`` for two classes, ``(m, K)`` otherwise."""
    return _logits(params, _validate.n_features_match(params.coef.shape[0], X))


def predict_proba(params: LogisticParams, X: ArrayLike) -> jax.Array:
    """Class probabilities ``(m, K)`` (sigmoid for two classes, softmax otherwise)."""
    return _proba(params, _validate.n_features_match(params.coef.shape[0], X))


def predict(params: LogisticParams, X: ArrayLike) -> jax.Array:
    """Most probable class ``(m,)``."""
    return _labels(params, _validate.n_features_match(params.coef.shape[0], X))


# one compiled program per prediction (not one dispatch per operation), kept on disk
@cached_jit
def _logits(params: LogisticParams, X: jax.Array) -> jax.Array:
    return X @ params.coef + params.intercept


@cached_jit
def _proba(params: LogisticParams, X: jax.Array) -> jax.Array:
    z = _logits(params, X)
    if z.shape[1] == 1:
        p1 = jax.nn.sigmoid(z[:, 0])
        return jnp.stack([1.0 - p1, p1], axis=1)
    return jax.nn.softmax(z, axis=1)


@cached_jit
def _labels(params: LogisticParams, X: jax.Array) -> jax.Array:
    z = _logits(params, X)
    if z.shape[1] == 1:
        return (z[:, 0] > 0).astype(jnp.int32)
    return jnp.argmax(z, axis=1).astype(jnp.int32)


def objective(theta, Z, Y, w, inv_c, binary, mask):
    """Weight-normalised penalised loss; theta is (d+1, K') with intercept in row 0."""
    z = Z @ theta
    if binary:
        losses = jax.nn.softplus(z[:, 0]) - Y[:, 0] * z[:, 0]
    else:
        losses = jax.nn.logsumexp(z, axis=1) - jnp.sum(Y * z, axis=1)
    sw = jnp.sum(w)
    return (w @ losses) / sw + 0.5 * inv_c * jnp.sum(mask * theta**2) / sw


class _State(NamedTuple):
    theta: jax.Array
    it: jax.Array
    converged: jax.Array  # the gradient test passed
    stalled: jax.Array  # no step decreased the objective (or, in its rounding, the gradient)
    gmax: jax.Array  # max-norm of the gradient at the previous iterate


@cached_jit(static_argnames=("k", "fit_intercept", "max_iter", "tol"))
def _fit_logistic(X, y, C, w, k, fit_intercept, max_iter, tol):
    binary, Z, Y, mask, free = _design(X, y, k, fit_intercept)
    d, kk = X.shape[1], Y.shape[1]
    inv_c = 1.0 / C
    sw = jnp.sum(w)
    f = lambda th: objective(th, Z, Y, w, inv_c, binary, mask)

    cg_tol = CG_TOL_F64 if X.dtype == jnp.float64 else CG_TOL_F32

    def binary_direction(theta):
        """Exact Newton step: Cholesky of the (d+1) x (d+1) Hessian."""
        p = jax.nn.sigmoid(Z @ theta)
        g = (Z.T @ (w[:, None] * (p - Y)) + inv_c * mask * theta) / sw * free
        h = (Z * (w * p[:, 0] * (1 - p[:, 0]))[:, None]).T @ Z / sw
        h = h + jnp.diag((inv_c * mask.reshape(-1) + JITTER * (1.0 - mask.reshape(-1))) / sw)
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
        step, _ = jax.scipy.sparse.linalg.cg(
            hvp, -g, tol=cg_tol, maxiter=CG_MAXITER_PER_UNKNOWN * (d + 1) * kk,
            M=lambda r: r / diag)
        return g, step

    steps = 0.5 ** jnp.arange(LINE_SEARCH_STEPS, dtype=X.dtype)
    rounding = ROUNDING_ULPS * jnp.finfo(X.dtype).eps

    def body(s: _State) -> _State:
        g, direction = binary_direction(s.theta) if binary else multinomial_direction(s.theta)
        f0 = f(s.theta)
        gmax = jnp.max(jnp.abs(g))
        slope = jnp.sum(g * direction)
        vals = jax.vmap(lambda t: f(s.theta + t * direction))(steps)
        ok = vals <= f0 + ARMIJO * steps * slope
        t = jnp.where(jnp.any(ok), steps[jnp.argmax(ok)], 0.0)
        # below the rounding of f the Armijo test is noise: the full step is the exact one,
        # until the gradient stops falling (its own rounding floor)
        noise = -slope <= rounding * (1.0 + jnp.abs(f0))
        t = jnp.where(noise, jnp.where(gmax < s.gmax, 1.0, 0.0), t)
        t = jnp.where(jnp.isfinite(t), t, 0.0)
        # the stopping test is on the gradient at the current iterate; a passing iterate
        # still takes its (tiny) Newton step, which only lowers the gradient further
        converged = gmax <= tol
        return _State(s.theta + t * direction, s.it + 1, converged, (t == 0) & ~converged,
                      gmax)

    def cond(s: _State):
        return (s.it < max_iter) & ~s.converged & ~s.stalled

    init = _State(jnp.zeros((d + 1, kk), X.dtype), jnp.asarray(0), jnp.asarray(False),
                  jnp.asarray(False), jnp.asarray(jnp.inf, X.dtype))
    out = jax.lax.while_loop(cond, body, init)
    theta = out.theta
    intercept = theta[0]
    if not binary:
        intercept = intercept - jnp.mean(intercept)
    return LogisticParams(theta[1:], intercept, FitInfo(out.converged, out.it))


def _design(X, y, k, fit_intercept):
    binary = k == 2
    n, d = X.shape
    Z = jnp.concatenate([jnp.ones((n, 1), X.dtype), X], axis=1)
    kk = 1 if binary else k
    Y = (y[:, None] == (jnp.arange(kk) + (1 if binary else 0))).astype(X.dtype)
    mask = jnp.ones((d + 1, kk), X.dtype).at[0].set(0.0)  # intercept row unpenalised
    free = mask.at[0].set(1.0 if fit_intercept else 0.0)  # which entries move at all
    return binary, Z, Y, mask, free


@cached_jit(static_argnames=("k", "fit_intercept", "max_iter", "tol"))
def _fit_logistic_lbfgs(X, y, C, w, k, fit_intercept, max_iter, tol):
    """``solver="lbfgs"``: `optax.lbfgs` (zoom line search) until the max-norm of the
    gradient is at most ``tol`` or ``max_iter`` iterations, inside ``lax.while_loop``
    (``converged`` reports the test on the last iterate tested, which then takes one more
    step)."""
    binary, Z, Y, mask, free = _design(X, y, k, fit_intercept)
    inv_c = 1.0 / C

    def f(th):  # frozen entries (no intercept) see a zero gradient and never move
        return objective(th * free, Z, Y, w, inv_c, binary, mask)

    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(f)

    def body(carry):
        theta, state, it, _ = carry
        value, grad = value_and_grad(theta, state=state)
        gmax = jnp.max(jnp.abs(grad))  # the test is on the current iterate (as Newton's)
        updates, state = opt.update(grad, state, theta, value=value, grad=grad, value_fn=f)
        return optax.apply_updates(theta, updates), state, it + 1, gmax

    def cond(carry):
        _, _, it, gmax = carry
        return (it < max_iter) & (gmax > tol)

    theta0 = jnp.zeros((X.shape[1] + 1, 1 if binary else k), X.dtype)
    init = (theta0, opt.init(theta0), jnp.asarray(0), jnp.asarray(jnp.inf, X.dtype))
    theta, _, it, gmax = jax.lax.while_loop(cond, body, init)
    theta = theta * free
    intercept = theta[0]
    if not binary:
        intercept = intercept - jnp.mean(intercept)
    return LogisticParams(theta[1:], intercept, FitInfo(gmax <= tol, it))
