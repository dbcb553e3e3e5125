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

import jax
import jax.numpy as jnp

from jaxfound._aot import cached_jit
from jaxfound.typing import Array, PRNGKey

__all__ = ["CUMSUM_BLOCK", "SPLIT_TOL", "grow_classifier", "grow_regressor"]

#: Block size of `_cumsum`'s blocked triangular matmuls. XLA:CPU compiles a matmul
#: against a ``(CUMSUM_BLOCK, CUMSUM_BLOCK)`` lower-triangular matrix much faster than
#: ``jnp.cumsum``; 64 keeps the triangle small while few blocks remain for the recursion.
CUMSUM_BLOCK = 64

#: Absolute slack on the normalised gain test ``gain / W >= min_impurity_decrease``, so a
#: split whose gain equals the threshold up to float rounding still passes (scikit-learn
#: has the same kind of slack, its ``EPSILON``, in this test).
SPLIT_TOL = 1e-12


def _plogp(c, w):
    r"""$\sum_k c_k \log_2 (c_k / w)$ over the last axis, $0 \log 0 = 0$: $-w$ times the
    entropy of the class weights $c$ summing to $w$ (``w > 0``; ``w[..., None]`` broadcast).

    Written with the ratio rather than as $\sum_k c_k \log_2 c_k - w \log_2 w$: a pure
    node has $c_k = w$, so each term is $w \log_2 1 = 0$ exactly, whatever XLA fuses
    (the difference form left rounding noise of either sign there, and a pure node split
    on it, differently between fusions of the same statistics)."""
    ratio = c / w[..., None]
    return jnp.sum(jnp.where(c > 0, c * jnp.log2(jnp.where(c > 0, ratio, 1.0)), 0.0), axis=-1)


def _score(stats, criterion: str, counted: bool = True):
    """``-W * impurity`` up to a term that cancels between parent and children.

    ``stats[..., :-1]`` are the weighted sums (class counts, or ``[W, Σwy]``),
    ``stats[..., -1]`` the number of samples (``counted=False``: no count column, every
    column a class sum).
    """
    if criterion == "squared_error":
        w, sy = stats[..., 0], stats[..., 1]
        return sy * sy / jnp.where(w > 0, w, 1.0)
    c = stats[..., :-1] if counted else stats
    w = jnp.sum(c, axis=-1)
    w = jnp.where(w > 0, w, 1.0)  # an empty node: every c is 0, so is its score
    if criterion == "gini":
        return jnp.sum(c * c, axis=-1) / w
    return _plogp(c, w)  # entropy


def _cumsum(v, block: int = CUMSUM_BLOCK):
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
    key: PRNGKey | None,
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
      key: draws the ``max_features`` features each node considers, one key per level;
        ``None``: every node considers every feature (nothing is drawn).

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

        if lev_key is not None:  # random feature subsets (key=None: every feature)
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
        split &= best_gain / total_w + SPLIT_TOL >= min_impurity_decrease
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

    keys = None if key is None else jax.random.split(key, depth)
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


@cached_jit(static_argnames=(*_STATIC, "criterion", "n_classes"))
def grow_classifier(
    X, y, w, key, min_impurity_decrease, depth_limit=None, *, n_classes, criterion, **cfg
):
    """Compiled CART classification fit on checked arrays.

    Returns ``(feature, threshold, class_probabilities, importances)``; ``key=None`` uses
    every feature at every node (no draw).
    """
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


@cached_jit(static_argnames=_STATIC)
def grow_regressor(X, y, w, key, min_impurity_decrease, depth_limit=None, **cfg):
    """Compiled CART regression fit on checked arrays; returns ``(feature, threshold,
    leaf_means, importances)``, the means ``(2^D, 1)``. ``key=None``: every feature."""
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
