r"""CART decision trees, fitted level by level with every node's split search vectorised.

At each level every live node looks for the split $(j, t)$ that maximises the
weighted impurity decrease

$$
\Delta = W\,I(\text{node}) - W_L\,I(\text{left}) - W_R\,I(\text{right}),
$$

with $W$ the summed sample weights and $I$ the Gini index
$1 - \sum_c p_c^2$, the entropy $-\sum_c p_c \log_2 p_c$, or the
variance of the target (squared error). Samples are pre-sorted once per feature;
each level stable-sorts them by node, so a segmented cumulative sum gives the
left/right statistics of *every* candidate threshold of *every* node and feature
at once, and a segment arg-max picks each node's best split. No Python recursion
runs at fit time: the levels are a ``lax.scan``, the whole fit is one compiled
program, and it ``vmap``\ s over sample weights (bootstrap counts, k-fold 0/1
masks) and PRNG keys (random feature subsets).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate as V
from jaxfound import errors
from jaxfound.models.trees._tree import CLASSIFICATION, REGRESSION, Tree
from jaxfound.typing import Array, ArrayLike, PRNGKey

__all__ = ["fit_classifier", "fit_regressor", "resolve_max_features"]

_CRITERIA = {"gini", "entropy", "squared_error"}
MAX_DEPTH = 20


def _xlogx(c):
    return jnp.where(c > 0, c * jnp.log2(jnp.where(c > 0, c, 1.0)), 0.0)


def _score(stats, criterion: str):
    """``-W * impurity`` up to a term that cancels between parent and children.

    ``stats[..., :-1]`` are the weighted sums (class counts, or ``[W, Σwy]``),
    ``stats[..., -1]`` the number of samples.
    """
    if criterion == "squared_error":
        w, sy = stats[..., 0], stats[..., 1]
        return sy * sy / jnp.where(w > 0, w, 1.0)
    c = stats[..., :-1]
    w = jnp.sum(c, axis=-1)
    if criterion == "gini":
        return jnp.sum(c * c, axis=-1) / jnp.where(w > 0, w, 1.0)
    return jnp.sum(_xlogx(c), axis=-1) - _xlogx(w)  # entropy


def _cumsum(v, block: int = 64):
    """Inclusive cumulative sum along axis 0 as blocked triangular matmuls.

    Same result as ``jnp.cumsum`` (to float rounding) but XLA:CPU compiles it in a
    fraction of the time, which matters for a function compiled per data shape.
    """
    n = v.shape[0]
    flat = v.reshape(n, -1)
    if n <= block:
        return (jnp.tril(jnp.ones((n, n), v.dtype)) @ flat).reshape(v.shape)
    nb = -(-n // block)
    vp = jnp.pad(flat, ((0, nb * block - n), (0, 0))).reshape(nb, block, -1)
    within = jnp.einsum("ij,bjm->bim", jnp.tril(jnp.ones((block, block), v.dtype)), vp)
    tot = within[:, -1]
    offset = _cumsum(tot, block) - tot  # exclusive sum of the earlier blocks
    return (within + offset[:, None]).reshape(nb * block, -1)[:n].reshape(v.shape)


def _partition(idx, seg, right, n_seg: int):
    """Stable partition of each column of ``idx`` into left- then right-going samples.

    ``idx`` lists sample indices grouped by segment ``seg[idx]`` (segments in
    increasing order); within every segment, samples with ``right`` False keep
    their order and come first, then those with ``right`` True. Costs two
    cumulative sums and a scatter instead of a sort per level.
    """
    n, F = idx.shape
    s = seg[idx]
    r = right[idx].astype(jnp.int32)
    size = jax.ops.segment_sum(jnp.ones(n, jnp.int32), seg, n_seg)
    start = jnp.cumsum(size) - size
    n_left = jax.ops.segment_sum(1 - right.astype(jnp.int32), seg, n_seg)
    r_before = jnp.cumsum(r, axis=0) - r  # rights strictly before each position
    s_start = start[s]
    r_before = r_before - jnp.take_along_axis(r_before, s_start, axis=0)
    l_before = jnp.arange(n, dtype=jnp.int32)[:, None] - s_start - r_before
    new_pos = s_start + jnp.where(r > 0, n_left[s] + r_before, l_before)
    cols = jnp.broadcast_to(jnp.arange(F)[None, :], (n, F))
    return jnp.zeros_like(idx).at[new_pos, cols].set(idx, unique_indices=True)


def _feature_mask(key, n_nodes: int, n_features: int, k: int):
    """``(n_nodes, n_features)`` masks with ``k`` features drawn without replacement per node."""
    u = jax.random.uniform(key, (n_nodes, n_features))
    kth = jnp.sort(u, axis=1)[:, k - 1]  # k may be traced: one compiled fit serves every k
    return u <= kth[:, None]


def _grow(
    X: Array,
    order: Array,
    stats: Array,
    target: Array,
    key: PRNGKey,
    min_impurity_decrease: Array,
    depth_limit: Array,
    *,
    depth: int,
    criterion: str,
    min_samples_leaf,
    min_samples_split,
    max_features,
):
    """Grow one complete tree of depth ``depth`` (no split at levels ``>= depth_limit``,
    unless it is None).

    Args:
      X: ``(n, F)`` features; ``order``: ``(n, F)`` argsort of ``X`` along axis 0.
      stats: ``(n, K + 1)`` per-sample weighted statistics, last column the
        0/1 indicator of a positive weight (samples with weight 0 take no part).
      target: ``(n,)`` label or target, used to detect pure nodes.

    Returns:
      ``(feature, threshold, leaf_stats, importances)``.
    """
    n, F = X.shape
    M = 2 ** (depth - 1)  # most nodes on one level; also the "dead sample" segment id
    alive = stats[:, -1] > 0
    total_w = jnp.sum(stats[:, 0] if criterion == "squared_error" else stats[:, :-1])
    big = jnp.iinfo(jnp.int32).max
    flat_idx = (jnp.arange(F)[None, :] * n + jnp.arange(n)[:, None]).astype(jnp.int32)
    t_inf = jnp.asarray(jnp.inf, X.dtype)
    t_alive_max = jnp.where(alive, target, -jnp.inf)
    t_alive_min = jnp.where(alive, target, jnp.inf)

    def level(carry, lev_in):
        lev, lev_key = lev_in
        node, idx = carry  # idx: per feature, samples grouped by node, by value within
        seg = jnp.where(alive, node, M)  # (n,)
        sseg = seg[idx]  # (n, F)
        xv = jnp.take_along_axis(X, idx, axis=0)
        st = stats[idx]  # (n, F, K+1)
        node_tot = jax.ops.segment_sum(stats, seg, M + 1)  # (M+1, K+1)
        before = _cumsum(node_tot) - node_tot  # stats of the nodes sorted before each node
        left = _cumsum(st) - before[sseg]
        parent = node_tot[sseg]
        right = parent - left
        valid = jnp.concatenate(
            [(sseg[1:] == sseg[:-1]) & (xv[1:] > xv[:-1]), jnp.zeros((1, F), bool)], axis=0
        )
        valid &= (sseg < M) & (left[..., -1] >= min_samples_leaf)
        valid &= right[..., -1] >= min_samples_leaf
        parent_score = _score(node_tot, criterion)
        gain = _score(left, criterion) + _score(right, criterion) - parent_score[sseg]
        gain = jnp.where(valid, gain, -jnp.inf)

        mask = _feature_mask(lev_key, M + 1, F, max_features)
        gain_m = jnp.where(mask[sseg, jnp.arange(F)[None, :]], gain, -jnp.inf)
        best_m = jax.ops.segment_max(gain_m.ravel(), sseg.ravel(), M + 1)
        # as scikit-learn does: if no drawn feature splits, look at the others
        fallback = jnp.isneginf(best_m)
        gain = jnp.where(fallback[sseg], gain, gain_m)
        best = jax.ops.segment_max(gain.ravel(), sseg.ravel(), M + 1)
        cand = jnp.where((gain == best[sseg]) & jnp.isfinite(gain), flat_idx, big)
        pos = jax.ops.segment_min(cand.ravel(), sseg.ravel(), M + 1)[:M]
        has = pos < big
        pos = jnp.where(has, pos, 0)
        f_best, i_best = pos // n, pos % n
        lo = xv[i_best, f_best]
        hi = xv[jnp.minimum(i_best + 1, n - 1), f_best]
        thr = (lo + hi) / 2
        thr = jnp.where((thr == hi) | jnp.isinf(thr), lo, thr)

        cnt = node_tot[:M, -1]
        tmax = jax.ops.segment_max(t_alive_max, seg, M + 1)[:M]
        tmin = jax.ops.segment_min(t_alive_min, seg, M + 1)[:M]
        best_gain = best[:M]
        split = has & (tmax > tmin) & (cnt >= min_samples_split)
        split &= best_gain / total_w + 1e-12 >= min_impurity_decrease
        if depth_limit is not None:  # below the limit a node keeps its samples on the left
            split &= lev < depth_limit
        feat = jnp.where(split, f_best, 0).astype(jnp.int32)
        thr = jnp.where(split, thr, t_inf)
        gains = jnp.where(split, best_gain, 0.0)

        node_c = jnp.minimum(node, M - 1)
        go_right = X[jnp.arange(n), feat[node_c]] > thr[node_c]
        go_right &= alive
        new_node = 2 * node + go_right.astype(node.dtype)
        return (new_node, _partition(idx, seg, go_right, M + 1)), (feat, thr, gains)

    keys = jax.random.split(key, depth)
    node0 = jnp.zeros(n, jnp.int32)
    idx0 = _partition(order, node0, ~alive, 1)  # samples of weight 0 go to the end
    levels = (jnp.arange(depth, dtype=jnp.int32), keys)
    (leaf, _), (feats, thrs, gains) = jax.lax.scan(level, (node0, idx0), levels)
    feature = jnp.concatenate([feats[lv, : 2**lv] for lv in range(depth)])
    threshold = jnp.concatenate([thrs[lv, : 2**lv] for lv in range(depth)])
    imp = jax.ops.segment_sum(
        jnp.concatenate([gains[lv, : 2**lv] for lv in range(depth)]), feature, F
    )
    imp = jnp.maximum(imp, 0.0)
    s = jnp.sum(imp)
    imp = jnp.where(s > 0, imp / jnp.where(s > 0, s, 1.0), 0.0)
    leaf_stats = jax.ops.segment_sum(stats, leaf, 2**depth)
    return feature, threshold, leaf_stats, imp


# only the depth (and the criterion / class count) fix shapes; the other settings are traced,
# so one compiled fit serves every min_samples_* and max_features value
_STATIC = ("depth",)


@functools.partial(jax.jit, static_argnames=(*_STATIC, "criterion", "n_classes"))
def _fit_classifier(X, y, w, key, min_impurity_decrease, depth_limit=None, *, n_classes,
                    criterion, **cfg):
    onehot = jax.nn.one_hot(y, n_classes, dtype=X.dtype)
    stats = jnp.concatenate([onehot * w[:, None], (w > 0).astype(X.dtype)[:, None]], axis=1)
    order = jnp.argsort(X, axis=0)
    feature, threshold, leaf_stats, imp = _grow(
        X, order, stats, y.astype(X.dtype), key, min_impurity_decrease, depth_limit,
        criterion=criterion, **cfg,
    )  # fmt: skip
    counts = leaf_stats[:, :-1]
    tot = jnp.sum(counts, axis=1, keepdims=True)
    return feature, threshold, counts / jnp.where(tot > 0, tot, 1.0), imp


@functools.partial(jax.jit, static_argnames=_STATIC)
def _fit_regressor(X, y, w, key, min_impurity_decrease, depth_limit=None, **cfg):
    # standardise the target: the split sums stay well conditioned in float32
    wsum = jnp.sum(w)
    mu = jnp.sum(w * y) / wsum
    sd = jnp.sqrt(jnp.sum(w * (y - mu) ** 2) / wsum)
    sd = jnp.where(sd > 0, sd, 1.0)
    stats = jnp.stack([w, w * (y - mu) / sd, (w > 0).astype(X.dtype)], axis=1)
    order = jnp.argsort(X, axis=0)
    feature, threshold, leaf_stats, imp = _grow(
        X, order, stats, y, key, min_impurity_decrease / sd**2, depth_limit,
        criterion="squared_error", **cfg,
    )  # fmt: skip
    W = leaf_stats[:, 0]
    mean = jnp.where(W > 0, leaf_stats[:, 1] / jnp.where(W > 0, W, 1.0), 0.0) * sd + mu
    return feature, threshold, mean[:, None], imp


# --------------------------------------------------------------------------- boundary


def _is_traced(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def resolve_max_features(max_features, n_features: int) -> int:
    """Number of features drawn per node: ``None`` (all), int, float fraction, "sqrt", "log2"."""
    if max_features is None:
        return n_features
    if isinstance(max_features, str):
        if max_features == "sqrt":
            k = int(math.sqrt(n_features))
        elif max_features == "log2":
            k = int(math.log2(n_features))
        else:
            raise errors.ValidationError(
                f"max_features={max_features!r} is not understood; use None, an int, a float "
                "in (0, 1], 'sqrt' or 'log2'."
            )
    elif isinstance(max_features, (bool, np.bool_)):
        raise errors.ValidationError(
            "max_features must be None, an int, a float, 'sqrt' or 'log2'."
        )
    elif isinstance(max_features, (int, np.integer)):
        k = int(max_features)
    elif isinstance(max_features, float) and 0.0 < max_features <= 1.0:
        k = int(max_features * n_features)
    else:
        raise errors.ValidationError(
            f"max_features={max_features!r} is out of range; use an int in [1, n_features] or a "
            "float in (0, 1]."
        )
    k = max(1, k)
    if k > n_features:
        raise errors.ValidationError(
            f"max_features={k} exceeds the {n_features} features of X; lower it."
        )
    return k


def _check_hyper(max_depth, min_samples_leaf, min_samples_split, min_impurity_decrease):
    if not isinstance(max_depth, (int, np.integer)) or not 1 <= max_depth <= MAX_DEPTH:
        raise errors.ValidationError(
            f"max_depth={max_depth!r} must be an int in [1, {MAX_DEPTH}] (the tree is stored "
            f"as a complete binary tree of 2**max_depth leaves)."
        )
    if not isinstance(min_samples_leaf, (int, np.integer)) or min_samples_leaf < 1:
        raise errors.ValidationError(f"min_samples_leaf={min_samples_leaf!r} must be an int >= 1.")
    if not isinstance(min_samples_split, (int, np.integer)) or min_samples_split < 2:
        raise errors.ValidationError(
            f"min_samples_split={min_samples_split!r} must be an int >= 2."
        )
    if min_impurity_decrease < 0:
        raise errors.ValidationError("min_impurity_decrease must be >= 0.")


def _check_xw(X, sample_weight):
    if _is_traced(X):
        V.check_ndim(X, "X", 2)
    else:
        X = V.check_array(X, "X", ndim=2)
    X = jnp.asarray(X)
    if not jnp.issubdtype(X.dtype, jnp.floating):
        X = X.astype(jnp.result_type(float))
    n = X.shape[0]
    if sample_weight is None:
        w = jnp.ones(n, X.dtype)
    else:
        if _is_traced(sample_weight):
            V.check_ndim(sample_weight, "sample_weight", 1)
        else:
            sample_weight = V.check_array(sample_weight, "sample_weight", ndim=1)
            if np.any(np.asarray(sample_weight) < 0):
                raise errors.ValidationError(
                    "sample_weight has negative entries; weights must be >= 0."
                )
            if not np.any(np.asarray(sample_weight) > 0):
                raise errors.EmptyDataError(
                    "sample_weight is zero everywhere; at least one sample needs a positive weight."
                )
        if sample_weight.shape[0] != n:
            raise errors.ShapeError(
                f"sample_weight has {sample_weight.shape[0]} entries but X has {n} rows; "
                "pass one weight per row."
            )
        w = jnp.asarray(sample_weight, X.dtype)
    return X, w


def _check_labels(y, n: int, n_classes: int | None) -> tuple[Array, int]:
    if _is_traced(y):
        V.check_ndim(y, "y", 1)
        if n_classes is None:
            raise errors.ValidationError(
                "n_classes must be given when y is traced (inside jit/vmap)."
            )
    else:
        y = V.as_numeric(y, "y")
        V.check_ndim(y, "y", 1)
        if np.dtype(y.dtype).kind == "f":
            yf = np.asarray(y)
            if not np.all(np.isfinite(yf)) or np.any(yf != np.round(yf)):
                raise errors.DTypeError(
                    "y holds non-integer values; class labels must be integers in "
                    "[0, n_classes) (use fit_regressor for a continuous target)."
                )
            y = yf.astype(np.int32)
        V.check_labels(y, "y", n_classes)
        if n_classes is None:
            n_classes = int(np.max(y)) + 1 if np.size(y) else 0
    if n_classes < 2:
        raise errors.LabelError(
            f"a classifier needs at least 2 classes, got n_classes={n_classes}."
        )
    if y.shape[0] != n:
        raise errors.ShapeError(f"X has {n} rows but y has {y.shape[0]}; pass one label per row.")
    if n < n_classes:
        raise errors.LabelError(
            f"only {n} samples for {n_classes} classes; a classifier needs at least one "
            "sample per class (pass more data or fewer classes)."
        )
    return jnp.asarray(y, jnp.int32), int(n_classes)


def _check_target(y, n: int):
    if _is_traced(y):
        V.check_ndim(y, "y", 1)
    else:
        y = V.check_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise errors.ShapeError(f"X has {n} rows but y has {y.shape[0]}; pass one target per row.")
    return y


def prepare(
    X, y, sample_weight, *, task, criterion, max_depth, min_samples_leaf, min_samples_split,
    max_features, min_impurity_decrease=0.0, n_classes=None,
):  # fmt: skip
    """Boundary checks shared by trees and forests.

    Returns ``(X, y, w, cfg)``: device arrays and the static configuration of the
    compiled fit (``_fit_classifier`` / ``_fit_regressor`` keyword arguments).
    """
    if task == CLASSIFICATION and criterion not in ("gini", "entropy"):
        raise errors.ValidationError(
            f"criterion={criterion!r} is not a classification criterion; use 'gini' or 'entropy'."
        )
    if task == REGRESSION and criterion != "squared_error":
        raise errors.ValidationError(
            f"criterion={criterion!r} is not a regression criterion; use 'squared_error'."
        )
    _check_hyper(max_depth, min_samples_leaf, min_samples_split, min_impurity_decrease)
    X, w = _check_xw(X, sample_weight)
    if task == CLASSIFICATION:
        y, n_classes = _check_labels(y, X.shape[0], n_classes)
        cfg = dict(n_classes=n_classes, criterion=criterion)
    else:
        y = jnp.asarray(_check_target(y, X.shape[0]), X.dtype)
        cfg = {}
    cfg.update(
        depth=int(max_depth), min_samples_leaf=int(min_samples_leaf),
        min_samples_split=int(min_samples_split),
        max_features=resolve_max_features(max_features, X.shape[1]),
    )  # fmt: skip
    return X, y, w, cfg


def _key(key):
    return jax.random.key(0) if key is None else key


def _depth_limit(depth_limit, max_depth: int) -> jax.Array | None:
    """The (traceable) level below which nodes may split, checked; None: no limit."""
    if depth_limit is None:
        return None
    if not _is_traced(depth_limit):
        d = np.asarray(depth_limit)
        ok = d.ndim == 0 and np.issubdtype(d.dtype, np.number) and float(d) == round(float(d))
        if not ok or not 1 <= float(d) <= max_depth:
            raise errors.ValidationError(
                f"depth_limit={depth_limit!r} must be a whole number in [1, max_depth="
                f"{max_depth}]; raise max_depth (the layout) to search deeper trees."
            )
    return jnp.asarray(depth_limit).astype(jnp.int32)


def fit_classifier(
    X: ArrayLike,
    y: ArrayLike,
    *,
    max_depth: int = 5,
    criterion: str = "gini",
    n_classes: int | None = None,
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    min_impurity_decrease: float = 0.0,
    max_features: int | float | str | None = None,
    sample_weight: ArrayLike | None = None,
    key: PRNGKey | None = None,
    depth_limit: ArrayLike | None = None,
) -> Tree:
    r"""Fit a CART classification tree of depth ``max_depth``.

    Each node's split maximises the weighted decrease of the Gini index
    $G = 1 - \sum_c p_c^2$ or the entropy $H = -\sum_c p_c\log_2 p_c$,
    with $p_c$ the weighted class fractions in the node. A node stays a
    leaf when it is pure, has fewer than ``min_samples_split`` samples, or no
    threshold leaves ``min_samples_leaf`` samples on each side. Thresholds are
    midpoints between consecutive distinct feature values (as in scikit-learn).

    The function is ``vmap``-able over ``sample_weight`` and ``key`` (pass
    ``n_classes`` when ``y`` is traced): bootstrap counts give a forest,
    0/1 fold masks give k-fold cross-validation, all in one compiled call.

    Args:
      X: ``(n, n_features)`` finite features.
      y: ``(n,)`` integer labels in ``[0, n_classes)``.
      max_depth: depth $D$ of the complete tree (``2^D`` leaves), 1 to 20.
      criterion: ``"gini"`` or ``"entropy"``.
      n_classes: number of classes; ``max(y) + 1`` by default.
      min_samples_leaf: fewest samples (with positive weight) in a leaf.
      min_samples_split: fewest samples a node needs to be split.
      min_impurity_decrease: split only if the weighted impurity decrease,
        divided by the total weight, reaches this.
      depth_limit: optional, traceable whole number in ``[1, max_depth]``: nodes at that
        level or deeper are not split, so the tree predicts as one fitted with
        ``max_depth=depth_limit`` (kept in the ``2**max_depth`` layout; with ``max_features``
        below all features the per-level draws differ). One compiled fit then serves many
        depths: ``vmap`` over it, or search it with `jaxfound.stats.grid_search`.
      max_features: features drawn at random per node (None = all, int, float
        fraction, ``"sqrt"``, ``"log2"``); needs ``key`` to vary.
      sample_weight: ``(n,)`` non-negative weights; weight 0 drops a sample.
      key: PRNG key for the feature draws (``jax.random.key(0)`` if omitted).

    Returns:
      A `Tree` whose leaf values are class probabilities.

    Raises:
      DTypeError: string or non-integer labels. LabelError: fewer samples than
      classes, labels out of range. NonFiniteError: NaN/inf in ``X``.

    Example:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.array([[0.0, 5.0], [1.0, 4.0], [2.0, 3.0], [3.0, 2.0]])
      >>> t = trees.fit_classifier(X, np.array([0, 0, 1, 1]), max_depth=2)
      >>> trees.predict(t, X).tolist()
      [0, 0, 1, 1]
    """
    X, y, w, cfg = prepare(
        X, y, sample_weight, task=CLASSIFICATION, criterion=criterion, n_classes=n_classes,
        max_depth=max_depth, min_samples_leaf=min_samples_leaf,
        min_samples_split=min_samples_split, min_impurity_decrease=min_impurity_decrease,
        max_features=max_features,
    )  # fmt: skip
    feature, threshold, value, imp = _fit_classifier(
        X, y, w, _key(key), jnp.asarray(min_impurity_decrease),
        _depth_limit(depth_limit, max_depth), **cfg,
    )  # fmt: skip
    return Tree(feature, threshold, value, imp, task=CLASSIFICATION)


def fit_regressor(
    X: ArrayLike,
    y: ArrayLike,
    *,
    max_depth: int = 5,
    criterion: str = "squared_error",
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    min_impurity_decrease: float = 0.0,
    max_features: int | float | str | None = None,
    sample_weight: ArrayLike | None = None,
    key: PRNGKey | None = None,
    depth_limit: ArrayLike | None = None,
) -> Tree:
    r"""Fit a CART regression tree (squared error) of depth ``max_depth``.

    A split maximises the decrease of the weighted sum of squared errors,
    which reduces to

    $$
    \Delta = \frac{S_L^2}{W_L} + \frac{S_R^2}{W_R} - \frac{S^2}{W},
    \qquad S = \sum_i w_i y_i,\; W = \sum_i w_i,
    $$

    and a leaf predicts its weighted mean $S/W$. Arguments are those of
    `fit_classifier` (without ``n_classes``); ``y`` is a finite ``(n,)``
    float target. ``vmap``-able over ``sample_weight`` and ``key``.

    Example:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.arange(8.0)[:, None]
      >>> t = trees.fit_regressor(X, (X[:, 0] > 3).astype(float), max_depth=1)
      >>> trees.predict(t, np.array([[1.0], [6.0]])).tolist()
      [0.0, 1.0]
    """
    X, y, w, cfg = prepare(
        X, y, sample_weight, task=REGRESSION, criterion=criterion, max_depth=max_depth,
        min_samples_leaf=min_samples_leaf, min_samples_split=min_samples_split,
        min_impurity_decrease=min_impurity_decrease, max_features=max_features,
    )  # fmt: skip
    feature, threshold, mean, imp = _fit_regressor(
        X, y, w, _key(key), jnp.asarray(min_impurity_decrease),
        _depth_limit(depth_limit, max_depth), **cfg,
    )  # fmt: skip
    return Tree(feature, threshold, mean, imp, task=REGRESSION)
