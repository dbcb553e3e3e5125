r"""Gradient-boosted trees on the histogram kernel (scikit-learn's ``HistGradientBoosting``).

Iteration $m$ fits, per output $k$, a depth-``max_depth`` tree to the gradients
$g_i = \partial \ell / \partial F_k(x_i)$ and Hessians $h_i$ of the loss at the current raw
predictions $F$: a split maximises $G_L^2/(H_L+\lambda) + G_R^2/(H_R+\lambda) -
G^2/(H+\lambda)$ and a leaf takes the Newton value $-\eta\,G/(H+\lambda)$ ($\eta$ the
learning rate, $\lambda$ the L2 penalty on leaf values). Losses: ``"squared_error"``
(regression, $g = F - y$, $h = 1$), ``"log_loss"`` (binary: one logit; $K > 2$ classes: the
softmax, $g = p_k - [y = k]$, $h = p_k (1 - p_k)$, as scikit-learn). The $K$ trees of an
iteration grow together (a batch of `grow_hist`), the iterations are a ``lax.scan``, and
``learning_rate`` / ``l2_regularization`` are traced: ``vmap`` over them fits a grid.

**Early stopping** (``early_stopping=True``) needs ``fit(..., validation=(X_val, y_val))``:
after each iteration the validation loss is computed, and once it has not improved by more
than ``tol`` for ``n_iter_no_change`` iterations the later trees are kept at zero (the scan
still runs its ``max_iter`` steps: shapes stay fixed); ``params.n_iter`` says how many count.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import struct

from jaxfound import _validate as V
from jaxfound import errors
from jaxfound._aot import cached_jit, register_serialization
from jaxfound.base import Estimator
from jaxfound.models.trees._best_first import grow_best_first
from jaxfound.models.trees._binning import MAX_BINS, check_max_bins, fit_bins
from jaxfound.models.trees._hist import grow_hist, padded_stats
from jaxfound.models.trees._tree import Tree, _leaf_index
from jaxfound.typing import Array, ArrayLike

__all__ = ["Boosted", "MAX_BOOST_DEPTH", "MIN_CHILD_HESSIAN", "gbdt_classifier",
           "gbdt_regressor"]

#: Deepest boosted tree: the heap layout holds ``2**max_depth`` leaves per tree.
MAX_BOOST_DEPTH = 12

#: Smallest summed Hessian of a child (scikit-learn's ``min_hessian_to_split``).
MIN_CHILD_HESSIAN = 1e-3


@register_serialization
@struct.dataclass
class Boosted:
    """Fitted boosted trees.

    Attributes:
      trees: a `Tree` whose arrays lead with ``(max_iter, K)``; leaf values are the scaled
        Newton steps (``K = 1`` for regression and binary classification).
      baseline: ``(K,)`` raw prediction before the first tree.
      n_iter: iterations that count (``max_iter`` without early stopping).
      loss: the loss name (static).
    """

    trees: Tree
    baseline: Array
    n_iter: Array
    loss: str = struct.field(pytree_node=False, default="squared_error")


def _grad_hess(loss: str, raw, y, K):
    if loss == "squared_error":
        return raw - y[:, None], jnp.ones_like(raw)
    if K == 1:  # binary log-loss on one logit
        p = jax.nn.sigmoid(raw)
        return p - y[:, None], p * (1 - p)
    p = jax.nn.softmax(raw, axis=1)
    return p - jax.nn.one_hot(y, K, dtype=raw.dtype), p * (1 - p)


def _loss(loss: str, raw, y, w, K):
    if loss == "squared_error":
        per = 0.5 * (raw[:, 0] - y) ** 2
    elif K == 1:
        per = jax.nn.softplus(raw[:, 0]) - y * raw[:, 0]
    else:
        per = jax.nn.logsumexp(raw, axis=1) - jnp.take_along_axis(raw, y[:, None], 1)[:, 0]
    return jnp.sum(w * per) / jnp.sum(w)


def _baseline(loss: str, y, w, K, dtype):
    if loss == "squared_error":
        return (jnp.sum(w * y) / jnp.sum(w))[None].astype(dtype)
    if K == 1:
        p = jnp.clip(jnp.sum(w * y) / jnp.sum(w), 1e-7, 1 - 1e-7)
        return jnp.log(p / (1 - p))[None].astype(dtype)
    prior = jax.ops.segment_sum(w, y, K) / jnp.sum(w)
    return jnp.log(jnp.clip(prior, 1e-7, 1.0)).astype(dtype)


def _raw(trees: Tree, baseline, X):
    def one(f, t, v, m):
        return v[_leaf_index(Tree(f, t, v, jnp.zeros(X.shape[1]), m), X), 0]

    per = jax.vmap(jax.vmap(one))(trees.feature, trees.threshold, trees.value,
                                  trees.missing_right)  # (iters, K, n)  # fmt: skip
    return baseline[None, :] + jnp.sum(per, axis=0).T


_raw_compiled = cached_jit(_raw)  # decision_function's program


@cached_jit(static_argnames=("loss", "K", "cfg", "max_iter", "stop"))
def _fit(codes, edges, X, y, w, Xv, yv, lr, l2, *, loss, K, cfg, max_iter, stop):
    cfg = dict(cfg)
    n_iter_no_change, tol = cfg.pop("n_iter_no_change"), cfg.pop("tol")
    max_leaves = cfg.pop("max_leaves")
    depth = cfg["depth"]
    base = _baseline(loss, y, w, K, X.dtype)
    raw0 = jnp.broadcast_to(base, (X.shape[0], K))
    rawv0 = None if Xv is None else jnp.broadcast_to(base, (Xv.shape[0], K))

    def score(s):
        H = s[..., 1] + l2
        return jnp.where(H > 0, s[..., 0] ** 2 / jnp.where(H > 0, H, 1.0), 0.0)

    def step(carry, _):
        raw, rawv, best, since, done = carry
        g, h = _grad_hess(loss, raw, y, K)
        gw = (g * w[:, None]).T  # (g, h, 0, count): rows padded to STATS_WIDTH
        stats = padded_stats(gw, (h * w[:, None]).T,
                             jnp.broadcast_to((w > 0).astype(X.dtype), gw.shape))
        if max_leaves is None:  # level-wise: every node of a level splits
            f, t, m, _, leaf = grow_hist(
                codes, edges, stats, None, score, jnp.ones(K, X.dtype), jnp.asarray(0.0), None,
                max_features=None, min_child_hessian=MIN_CHILD_HESSIAN, **cfg,
            )  # fmt: skip
        else:  # best-first: the leaf of largest gain splits, up to max_leaves leaves
            f, t, m, _, leaf = grow_best_first(
                codes, edges, stats, score, max_leaves=max_leaves, depth=depth,
                min_samples_leaf=cfg["min_samples_leaf"], min_child_hessian=MIN_CHILD_HESSIAN,
                missing=cfg["missing"],
            )  # fmt: skip
        sums = jax.vmap(lambda s, i: jax.ops.segment_sum(s, i, 2**depth))(stats, leaf)
        H = sums[..., 1] + l2
        value = -lr * jnp.where(H > 0, sums[..., 0] / jnp.where(H > 0, H, 1.0), 0.0)
        value = jnp.where(done, 0.0, value)  # (K, 2^D)
        raw = raw + jnp.take_along_axis(value, leaf, axis=1).T
        tree = Tree(f, t, value[..., None], jnp.zeros((K, X.shape[1]), X.dtype), m)
        if stop:
            rawv = rawv + _raw(jax.tree_util.tree_map(lambda a: a[None], tree),
                               jnp.zeros(K, X.dtype), Xv)  # fmt: skip
            lv = _loss(loss, rawv, yv, jnp.ones_like(yv, X.dtype), K)
            better = lv < best - tol
            best = jnp.where(better, lv, best)
            since = jnp.where(better, 0, since + 1)
            done = done | (since >= n_iter_no_change)
        return (raw, rawv, best, since, done), (tree, ~done)

    init = (raw0, rawv0, jnp.asarray(jnp.inf, X.dtype), jnp.asarray(0), jnp.asarray(False))
    _, (trees, active) = jax.lax.scan(step, init, None, length=max_iter)
    # an iteration counts when its trees were added (the stopping one included)
    n_used = jnp.sum(jnp.concatenate([jnp.ones(1, bool), active[:-1]]))
    return trees, base, n_used


_LOSSES = {"classification": ("log_loss",), "regression": ("squared_error",)}


@functools.cache
def _gbdt(task, loss, max_iter, max_depth, max_leaf_nodes, min_samples_leaf, max_bins,
          early_stopping, n_iter_no_change, tol, lr0, l20, n_classes):  # fmt: skip
    classifier = task == "classification"
    name = "gbdt_classifier" if classifier else "gbdt_regressor"

    def fit(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
            validation: tuple | None = None, learning_rate: ArrayLike = lr0,
            l2_regularization: ArrayLike = l20) -> Boosted:  # fmt: skip
        X = V.features(X, allow_nan=True)
        n = X.shape[0]
        w = V.sample_weights(sample_weight, n, X.dtype)
        if early_stopping and validation is None:
            raise errors.ValidationError(
                f"{name}(early_stopping=True) needs fit(..., validation=(X_val, y_val)): a "
                "held-out split to watch (e.g. from jaxfound.data's splits), or pass "
                "early_stopping=False."
            )
        if not early_stopping and validation is not None:
            raise errors.ValidationError(
                f"validation= is only used for early stopping; construct {name}(early_stopping="
                "True) or drop validation=."
            )
        y, K = _labels(y, n)
        Xv = yv = None
        if validation is not None:
            Xv = V.n_features_match(X.shape[1], validation[0], "validation[0]", allow_nan=True)
            yv, _ = _labels(validation[1], Xv.shape[0], max(K, 2) if classifier else None)
        edges, codes = fit_bins(X, max_bins)
        cfg = dict(depth=max_depth, max_leaves=max_leaf_nodes,
                   min_samples_leaf=min_samples_leaf, min_samples_split=2,
                   missing=True if V.is_traced(X) else bool(jnp.isnan(X).any()),
                   n_iter_no_change=n_iter_no_change, tol=tol)  # fmt: skip
        lr = V.hyperparameter(learning_rate, "learning_rate", low=0.0, open_low=True)
        l2 = V.hyperparameter(l2_regularization, "l2_regularization", low=0.0)
        trees, base, n_used = _fit(
            codes, edges, X, y, w, Xv, yv, V.device_array(lr, X.dtype), V.device_array(l2, X.dtype),
            loss=loss, K=K, cfg=tuple(sorted(cfg.items())), max_iter=max_iter,
            stop=early_stopping,
        )  # fmt: skip
        return Boosted(trees, base, n_used, loss=loss)

    def _labels(y, n, k=None):
        if not classifier:
            y = V.targets(y, n)
            V.check_ndim(y, "y", 1)
            return V.device_array(y, jnp.float32 if y.dtype == jnp.float32 else y.dtype), 1
        y, k_all = V.class_labels(y, n, k if k is not None else n_classes)
        if k is not None:
            return V.device_array(y, jnp.int32), (1 if k == 2 else k)
        return V.device_array(y, jnp.int32), (1 if k_all == 2 else k_all)

    def decision_function(params: Boosted, X: ArrayLike) -> Array:
        X = V.n_features_match(params.trees.importances.shape[-1], X, allow_nan=True)
        return _raw_compiled(params.trees, params.baseline, X)

    def predict(params: Boosted, X: ArrayLike) -> Array:
        raw = decision_function(params, X)
        if not classifier:
            return raw[:, 0]
        return (raw[:, 0] > 0).astype(jnp.int32) if raw.shape[1] == 1 else jnp.argmax(raw, 1)

    def predict_proba(params: Boosted, X: ArrayLike) -> Array:
        raw = decision_function(params, X)
        if raw.shape[1] == 1:
            p = jax.nn.sigmoid(raw[:, 0])
            return jnp.stack([1 - p, p], axis=1)
        return jax.nn.softmax(raw, axis=1)

    fit.__qualname__ = fit.__name__ = f"{name}.fit"
    return Estimator(fit=fit, predict=predict, predict_proba=predict_proba if classifier else None,
                     decision_function=decision_function, is_classifier=classifier,
                     name=name)  # fmt: skip


def _settings(task, loss, max_iter, max_depth, max_leaf_nodes, min_samples_leaf, max_bins,
              early_stopping, n_iter_no_change, tol, learning_rate, l2_regularization,
              n_classes):  # fmt: skip
    if loss not in _LOSSES[task]:
        other = "gbdt_regressor" if task == "classification" else "gbdt_classifier"
        raise errors.ValidationError(
            f"loss={loss!r} does not fit {task} labels; use {_LOSSES[task][0]!r} (or {other} "
            f"for {'continuous targets' if task == 'classification' else 'class labels'})."
        )
    if not isinstance(early_stopping, bool):
        raise errors.ValidationError(f"early_stopping={early_stopping!r} must be True or False.")
    depth = V.whole_number(max_depth, "max_depth", 1, MAX_BOOST_DEPTH,
                           hint=" (the depth of every tree's complete heap layout)")
    if max_leaf_nodes is not None:
        max_leaf_nodes = V.whole_number(
            max_leaf_nodes, "max_leaf_nodes", 2, 2**depth,
            hint=f" (leaves grown best-first; at most 2**max_depth = {2**depth}, or None for "
                 "level-wise growth)")  # fmt: skip
    return (
        task, loss, V.whole_number(max_iter, "max_iter", 1), depth, max_leaf_nodes,
        V.whole_number(min_samples_leaf, "min_samples_leaf", 1), check_max_bins(max_bins),
        early_stopping, V.whole_number(n_iter_no_change, "n_iter_no_change", 1),
        float(V.nonnegative_scalar(tol, "tol")),
        float(V.hyperparameter(learning_rate, "learning_rate", low=0.0, open_low=True)),
        float(V.hyperparameter(l2_regularization, "l2_regularization", low=0.0)),
        None if n_classes is None else V.whole_number(n_classes, "n_classes", 2),
    )  # fmt: skip


def gbdt_classifier(*, loss: str = "log_loss", max_iter: int = 100, learning_rate: float = 0.1,
                    max_depth: int = 5, max_leaf_nodes: int | None = None,
                    l2_regularization: float = 0.0,
                    min_samples_leaf: int = 20, max_bins: int = MAX_BINS,
                    early_stopping: bool = False, n_iter_no_change: int = 10,
                    tol: float = 1e-7, n_classes: int | None = None) -> Estimator:  # fmt: skip
    """Gradient-boosted histogram trees for classification (binary logit or softmax).

    Args:
      loss: ``"log_loss"`` (the only classification loss; ``"squared_error"`` raises).
      max_iter: boosting iterations (static).
      learning_rate: shrinkage $\\eta$ (traced).
      max_depth: depth of every tree, 1 to 12: with ``max_leaf_nodes=None`` each tree is
        grown level-wise to ``2**max_depth`` leaves; otherwise the depth cap.
      max_leaf_nodes: ``None`` (level-wise), or grow each tree best-first (the leaf of
        largest gain splits next, as scikit-learn's ``HistGradientBoosting``, whose default
        is 31) to at most this many leaves, 2 to ``2**max_depth``.
      l2_regularization: $\\lambda$ on the leaf values (traced).
      min_samples_leaf: fewest samples per leaf (scikit-learn's default 20).
      max_bins: bins per feature, 2 to 256 (NaN bin included).
      early_stopping: watch ``fit(..., validation=(X_val, y_val))``'s loss.
      n_iter_no_change: stop after this many iterations without improvement.
      tol: the validation-loss decrease that counts as an improvement.
      n_classes: number of classes (default ``max(y) + 1``).

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.random.default_rng(0).normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
      >>> est = trees.gbdt_classifier(max_iter=10, max_depth=2)
      >>> p = est.fit(X, y)
      >>> float((est.predict(p, X) == y).mean()) > 0.95
      True
    """
    return _gbdt(*_settings("classification", loss, max_iter, max_depth, max_leaf_nodes,
                            min_samples_leaf,
                            max_bins, early_stopping, n_iter_no_change, tol, learning_rate,
                            l2_regularization, n_classes))  # fmt: skip


def gbdt_regressor(*, loss: str = "squared_error", max_iter: int = 100,
                   learning_rate: float = 0.1, max_depth: int = 5,
                   max_leaf_nodes: int | None = None,
                   l2_regularization: float = 0.0, min_samples_leaf: int = 20,
                   max_bins: int = MAX_BINS, early_stopping: bool = False,
                   n_iter_no_change: int = 10, tol: float = 1e-7) -> Estimator:  # fmt: skip
    """Gradient-boosted histogram trees for regression (least squares); see `gbdt_classifier`.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.linspace(0, 1, 200)[:, None]; y = np.sin(6 * X[:, 0])
      >>> est = trees.gbdt_regressor(max_iter=30, max_depth=3, min_samples_leaf=5)
      >>> float(np.abs(est.predict(est.fit(X, y), X) - y).mean()) < 0.1
      True
    """
    return _gbdt(*_settings("regression", loss, max_iter, max_depth, max_leaf_nodes,
                            min_samples_leaf,
                            max_bins, early_stopping, n_iter_no_change, tol, learning_rate,
                            l2_regularization, None))  # fmt: skip
