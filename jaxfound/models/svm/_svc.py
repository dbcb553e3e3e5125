r"""Kernel support vector classification (scikit-learn's ``SVC``) as pure functions."""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxfound import _validate, errors
from jaxfound.base import Estimator, FitInfo
from jaxfound.models.svm._kernels import KERNELS, kernel_matrix
from jaxfound.models.svm._smo import smo
from jaxfound.typing import ArrayLike


@struct.dataclass
class SVCParams:
    r"""A fitted kernel SVM: one binary dual problem per class pair (or per class).

    Attributes:
      X: ``(n, d)`` training points (the support vectors are those with non-zero ``dual_coef``).
      dual_coef: ``(P, m)`` $\alpha_i y_i$ of each of the ``P`` binary problems.
      index: ``(P, m)`` rows of ``X`` that problem ``p`` uses (padded).
      rho: ``(P,)`` offsets; problem ``p`` decides $f_p(x) = \sum_i \alpha_i y_i k(x_i, x)
        - \rho_p$.
      gamma: kernel scale; coef0: kernel constant (both traced).
      gap: ``(P,)`` final KKT violation of each problem (``< tol`` when it converged).
      sides: ``(P, 2)`` whether each problem had rows of positive weight on its +1 / -1 side
        (a class absent from a k-fold training mask takes no part in the vote).
      info: `FitInfo`: ``converged`` when every problem met the tolerance, ``n_iter`` the
        most SMO steps a problem took.
      kernel, degree, n_classes, strategy: static settings.
    """

    X: jax.Array
    dual_coef: jax.Array
    index: jax.Array
    rho: jax.Array
    gamma: jax.Array
    coef0: jax.Array
    gap: jax.Array
    sides: jax.Array
    info: FitInfo
    kernel: str = struct.field(pytree_node=False, default="rbf")
    degree: int = struct.field(pytree_node=False, default=3)
    n_classes: int = struct.field(pytree_node=False, default=2)
    strategy: str = struct.field(pytree_node=False, default="ovo")

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Class pair ``(a, b)`` of each one-vs-one problem (positive values vote ``a``)."""
        return list(itertools.combinations(range(self.n_classes), 2))


def _problems(y, n_classes: int, strategy: str, traced: bool):
    """Fixed-shape layout: ``index (P, m)``, labels ``(P, m)`` in {+1,-1}, ``valid (P, m)``."""
    n = y.shape[0]
    if strategy == "ovr" and n_classes > 2:
        idx = np.broadcast_to(np.arange(n), (n_classes, n))
        lab = jnp.where(jnp.asarray(y)[None, :] == jnp.arange(n_classes)[:, None], 1.0, -1.0)
        return jnp.asarray(idx), lab, jnp.ones((n_classes, n), bool)
    pairs = list(itertools.combinations(range(n_classes), 2))
    if traced:  # labels unknown at trace time: every problem sees all rows, masked
        a = jnp.array([p[0] for p in pairs])[:, None]
        b = jnp.array([p[1] for p in pairs])[:, None]
        lab = jnp.where(y[None, :] == a, 1.0, -1.0)
        valid = (y[None, :] == a) | (y[None, :] == b)
        return jnp.broadcast_to(jnp.arange(n), (len(pairs), n)), lab, valid
    y = np.asarray(y)
    # libsvm's order: the rows of class a, then those of class b (it breaks ties by position)
    rows = [np.concatenate([np.flatnonzero(y == a), np.flatnonzero(y == b)]) for a, b in pairs]
    m = max(len(r) for r in rows)
    idx = np.zeros((len(pairs), m), np.int32)
    lab = np.zeros((len(pairs), m), np.float32)
    valid = np.zeros((len(pairs), m), bool)
    for p, ((a, _), r) in enumerate(zip(pairs, rows)):
        idx[p, : len(r)] = r
        lab[p, : len(r)] = np.where(y[r] == a, 1.0, -1.0)
        valid[p, : len(r)] = True
    return jnp.asarray(idx), jnp.asarray(lab), jnp.asarray(valid)


def svc(kernel: str = "rbf", C: float = 1.0, gamma: float | str = "scale", degree: int = 3,
        coef0: float = 0.0, n_classes: int | None = None, strategy: str = "ovo",
        tol: float = 1e-3, max_iter: int = 100_000) -> Estimator:
    r"""Kernel SVM classifier solved in the dual by SMO (as libsvm / ``sklearn.svm.SVC``).

    Each binary problem (labels $y_i \in \{\pm 1\}$) is

    $$
    \min_\alpha \tfrac12 \sum_{ij} \alpha_i \alpha_j y_i y_j k(x_i, x_j) - \sum_i \alpha_i
    \quad\text{s.t.}\quad 0 \le \alpha_i \le C s_i,\quad \sum_i y_i \alpha_i = 0,
    $$

    with decision $f(x) = \sum_i \alpha_i y_i k(x_i, x) - \rho$. Multi-class uses one-vs-one
    (``"ovo"``, $K(K-1)/2$ problems, majority vote, like ``SVC``) or one-vs-rest (``"ovr"``,
    $K$ problems, largest decision). All problems share one Gram matrix and run as one
    ``jax.vmap`` of a ``lax.while_loop``. A weight $s_i = 0$ makes the box $[0, 0]$, i.e. removes
    the row, so k-fold masks and ``C``/``gamma`` grids vmap over the fit.

    The estimator's ``fit(X, y, *, sample_weight=None, C=C, gamma=gamma, coef0=coef0) ->
    SVCParams`` takes ``(n, d)`` features (standardise them first) and ``(n,)`` integer labels
    in ``[0, n_classes)``; ``C``, ``gamma`` and ``coef0`` may be traced, ``gamma="scale"``
    means $1 / (d \operatorname{Var}(X))$ over the rows of positive weight (scikit-learn's
    default); ``sample_weight`` rescales ``C`` per row. ``params.info.converged`` is true when
    every binary problem met the KKT tolerance (``params.gap < tol``). ``decision_function``
    gives `SVCParams` decision values (see `decision_function`), ``predict`` the class.

    Args:
      kernel: ``"linear"``, ``"rbf"``, ``"poly"`` or ``"sigmoid"``; static.
      C: default box constraint $C > 0$; traced.
      gamma: default kernel scale $\gamma > 0$, or ``"scale"``; traced.
      degree: degree of ``"poly"``; static.
      coef0: default constant of ``"poly"``/``"sigmoid"``; traced.
      n_classes: number of classes (default ``max(y) + 1`` at fit time); static.
      strategy: ``"ovo"`` or ``"ovr"`` for more than two classes; static.
      tol: KKT-violation tolerance (libsvm's ``eps``, ``SVC(tol=...)``); static.
      max_iter: cap on SMO steps per problem; static.

    Returns:
      An `Estimator` (a classifier; cached: equal settings give the same object).

    Raises:
      ValidationError: an unknown kernel or strategy, ``C <= 0``, ``gamma <= 0``, a bad degree.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[-2.0], [-1.0], [1.0], [2.0]]); y = jnp.array([0, 0, 1, 1])
    >>> est = svc(kernel="linear", C=1.0)
    >>> p = est.fit(X, y)
    >>> est.predict(p, jnp.array([[-3.0], [3.0]])).tolist(), bool(p.info.converged)
    ([0, 1], True)
    """
    if kernel not in KERNELS:
        raise errors.ValidationError(f"kernel={kernel!r} is not one of {KERNELS}.")
    if strategy not in ("ovo", "ovr"):
        raise errors.ValidationError(f"strategy={strategy!r} must be 'ovo' or 'ovr'.")
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 1:
        raise errors.ValidationError(f"degree must be a positive int (static), got {degree!r}.")
    C = _validate.hyperparameter(C, "C", low=0.0, open_low=True)
    gamma = _gamma(gamma)
    coef0 = _validate.hyperparameter(coef0, "coef0")
    n_classes = None if n_classes is None else int(n_classes)
    return _svc(kernel, C, gamma, degree, coef0, n_classes, strategy, float(tol), int(max_iter))


def _gamma(gamma):
    if isinstance(gamma, str):
        if gamma != "scale":
            raise errors.ValidationError(f"gamma={gamma!r}: pass a positive number or 'scale'.")
        return gamma
    return _validate.hyperparameter(gamma, "gamma", low=0.0, open_low=True)


@functools.cache
def _svc(kernel, default_C, default_gamma, degree, default_coef0, n_classes, strategy, tol,
         max_iter) -> Estimator:
    def fit(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
            C: ArrayLike = default_C, gamma: ArrayLike | str = default_gamma,
            coef0: ArrayLike = default_coef0) -> SVCParams:
        X = _validate.features(X)
        y, k = _validate.class_labels(y, X.shape[0], n_classes)
        w = _validate.sample_weights(sample_weight, X.shape[0], X.dtype)
        C = _validate.hyperparameter(C, "C", low=0.0, open_low=True)
        gamma = _gamma(gamma)
        if isinstance(gamma, str):
            gamma = _scale_gamma(X, w)
        coef0 = _validate.hyperparameter(coef0, "coef0")
        idx, lab, valid = _problems(y, k, strategy, _validate.is_traced(y))
        return _fit(X, idx, lab, valid, w, jnp.asarray(C, X.dtype), jnp.asarray(gamma, X.dtype),
                    jnp.asarray(coef0, X.dtype), kernel=kernel, degree=degree, n_classes=k,
                    strategy=strategy, tol=tol, max_iter=max_iter)

    name = (f"svc(kernel={kernel!r}, C={default_C:g}, gamma={default_gamma!r}, degree={degree}, "
            f"coef0={default_coef0:g}, n_classes={n_classes}, strategy={strategy!r}, tol={tol:g}, "
            f"max_iter={max_iter})")
    return Estimator(fit=fit, predict=predict, decision_function=decision_function,
                     is_classifier=True, name=name)


def _scale_gamma(X, w):
    keep = (w > 0).astype(X.dtype)[:, None]
    cnt = jnp.sum(keep) * X.shape[1]
    mean = jnp.sum(keep * X) / cnt
    var = jnp.sum(keep * (X - mean) ** 2) / cnt
    return 1.0 / (X.shape[1] * jnp.where(var > 0, var, 1.0))


@jax.jit(static_argnames=("kernel", "degree", "n_classes", "strategy", "tol", "max_iter"))
def _fit(X, idx, lab, valid, w, C, gamma, coef0, *, kernel, degree, n_classes, strategy, tol,
         max_iter):
    upper = jnp.where(valid, C * w[idx], 0.0).astype(X.dtype)

    def solve(i, yy, u):
        Xp = X[i]
        return smo(kernel_matrix(kernel, Xp, Xp, gamma, degree, coef0), yy, u, tol, max_iter)

    res = jax.vmap(solve)(idx, lab.astype(X.dtype), upper)
    dual = res.alpha * jnp.where(valid, lab, 0.0).astype(X.dtype)
    live = upper > 0
    sides = jnp.stack([jnp.any(live & (lab > 0), axis=1), jnp.any(live & (lab < 0), axis=1)], 1)
    info = FitInfo(jnp.all(res.gap < tol), jnp.max(res.n_iter))
    return SVCParams(X, dual, idx, res.rho, gamma, coef0, res.gap, sides, info, kernel=kernel,
                     degree=degree, n_classes=n_classes, strategy=strategy)


def decision_function(params: SVCParams, X: ArrayLike) -> jax.Array:
    r"""Decision values of the binary problems.

    Two classes: ``(m,)``, positive for class 1 (as ``SVC.decision_function``). More classes:
    ``(m, P)`` with one-vs-one values (positive votes for the pair's first class, as
    ``SVC(decision_function_shape="ovo")``), or ``(m, K)`` one-vs-rest values.

    Args:
      params: a fitted `SVCParams`.
      X: ``(m, d)`` points with the features used at fit time.
    """
    X = _validate.n_features_match(params.X.shape[1], X)
    return _decision(params, X)


@jax.jit
def _decision(params, X):
    Kx = kernel_matrix(params.kernel, X, params.X, params.gamma, params.degree, params.coef0)
    # dual coefficients scattered onto the training rows: one (m, n) @ (n, P) product
    P = params.index.shape[0]
    dense = jnp.zeros((P, params.X.shape[0]), params.dual_coef.dtype)
    dense = dense.at[jnp.arange(P)[:, None], params.index].add(params.dual_coef)
    vals = Kx @ dense.T - params.rho
    if params.n_classes == 2:
        return -vals[:, 0]
    return vals


def predict(params: SVCParams, X: ArrayLike) -> jax.Array:
    """Predicted class ``(m,)``: sign for two classes, one-vs-one majority vote (ties to the
    lowest class, as libsvm) or the largest one-vs-rest value."""
    X = _validate.n_features_match(params.X.shape[1], X)
    return _predict(params, X)


@jax.jit
def _predict(params, X):
    dec = _decision(params, X)
    if params.n_classes == 2:
        return (dec > 0).astype(jnp.int32)
    if params.strategy == "ovr":
        return jnp.argmax(dec, axis=1).astype(jnp.int32)
    pairs = np.array(params.pairs)
    has_a, has_b = params.sides[:, 0], params.sides[:, 1]
    # a pair with one class absent (k-fold mask) votes for the present one: the same
    # extra vote for every present class, so the winner is that of the present classes only
    winner = jnp.where((dec > 0) & has_a | ~has_b, pairs[:, 0], pairs[:, 1])
    counts = (has_a | has_b).astype(jnp.int32)[None, :, None]
    votes = jnp.sum(jax.nn.one_hot(winner, params.n_classes, dtype=jnp.int32) * counts, axis=1)
    return jnp.argmax(votes, axis=1).astype(jnp.int32)
