r"""The histogram split finder: per-node statistics histograms over binned features.

Features are binned once (`jaxfound.models.trees.bin_edges`: ``B`` codes per feature, the
last one for missing values). At every level of a level-wise grown tree each sample adds
its statistics row $s_i$ (class counts, or $[w, wy]$, or gradient and Hessian) to the
histogram cell of its node $v_i$, feature $j$ and bin $c_{ij}$,

$$
H_{v,j,b} = \sum_{i:\,v_i = v,\; c_{ij} = b} s_i ,
$$

by one ``segment_sum`` (scatter-add) per feature: $O(n F)$ work a level instead of the
$O(n F \cdot C)$ of a sorted scan. A cumulative sum over the bins gives the left side
$L_{v,j,b} = \sum_{b' \le b} H_{v,j,b'}$ of every candidate split "code $\le b$", the right
side is the node total minus it, and each node takes the split of largest gain
$\operatorname{score}(L) + \operatorname{score}(R) - \operatorname{score}(L + R)$. Missing
values are tried on both sides, as LightGBM does: the gain is evaluated with the NaN bin
added to the left and to the right, and the better side is stored in the tree
(``missing_right``). With ``max_features = k`` each node first draws $k$ features and only
their histograms are built ($O(n k)$ a level), which is what makes random forests cheap.

The grower is a plain function of arrays (levels unrolled, every shape static), so it
``vmap``\ s over statistics and keys: a forest fits a batch of trees in one pass per level.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound._aot import cached_jit
from jaxfound.models.trees._grow import SPLIT_TOL
from jaxfound.typing import Array, PRNGKey

__all__ = [
    "FLAT_SCATTER_MAX", "STATS_WIDTH", "fit_hist", "grow_hist", "histograms", "padded_stats",
    "subtracted_histograms",
]

#: Up to this many (sample, feature) pairs a histogram is one scatter over all of them;
#: above it, one scatter per feature (a ``lax.map``), which keeps a feature's histogram in
#: cache and measured 2x faster on 100k x 50 on XLA:CPU.
FLAT_SCATTER_MAX = 1 << 20

#: Dense statistics rows are zero-padded to this width (`padded_stats`): XLA:CPU scatters
#: rows of 4 floats about 1.8x faster than rows of 3 (the root histogram of 75,000 rows x 50
#: features x 256 bins: 7.0 ms against 13.0 ms; rows of 6 were slower still, 8 as fast as 4).
STATS_WIDTH = 4

#: Up to this many bins the split search scores every bin at once (dense); above it, a
#: ``lax.scan`` over the bins keeps only the running best (less memory, no long cumsum).
DENSE_BINS_MAX = 64


def histograms(
    codes: Array,
    node: Array,
    stats: Array,
    n_nodes: int,
    n_bins: int,
    slots: Array | None = None,
    n_stats: int | None = None,
    per_feature: bool | None = None,
) -> Array:
    r"""Per-node histograms ``(T, n_nodes, F, n_bins, S)`` of ``stats`` ``(T, n, P)``.

    ``T`` trees share one scatter-add: tree $t$'s node $v$ is segment $t \cdot$
    ``n_nodes`` $+ v$. ``codes`` ``(T or 1, n, F)`` are bin codes in ``[0, n_bins)``,
    ``node`` ``(T, n)`` node ids in ``[0, n_nodes)``. Small problems run one scatter over
    every (tree, sample, feature) triple; large ones one scatter per feature (a ``lax.map``,
    so a feature's histogram stays in cache). ``per_feature`` forces the choice (``None``: by
    size, `FLAT_SCATTER_MAX`).

    Dense statistics (``slots=None``) add the whole row ``stats[t, i]`` ($S = P$). Sparse
    ones add ``stats[t, i, p]`` to statistic ``slots[t, i, p]`` of the ``n_stats`` = $S$
    (``slots`` ``(T or 1, n, P)`` integers): a class histogram adds a sample's weight to its
    class and 1 to the count, $P = 2$ scalars instead of a row of $K + 1$. XLA:CPU's scatter
    of scalars is much faster than its scatter of rows: 10 trees x 1347 digits rows x 8
    features into 64 nodes x 24 bins x 11 statistics took 1.8 ms instead of 14 ms.

    Examples:
      >>> import jax.numpy as jnp
      >>> codes = jnp.array([[[0], [1], [1]]], jnp.uint8); node = jnp.array([[0, 0, 1]])
      >>> histograms(codes, node, jnp.ones((1, 3, 1)), 2, 2)[0, ..., 0].tolist()
      [[[1.0, 1.0]], [[0.0, 1.0]]]
      >>> y = jnp.array([[[1], [0], [1]]])  # classes as slots: per-node class counts
      >>> histograms(codes, node, jnp.ones((1, 3, 1)), 2, 2, y, 2)[0, :, 0, :].tolist()
      [[[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]]
    """
    T, n, P = stats.shape
    F = codes.shape[-1]
    S = P
    if slots is not None:
        if n_stats is None:
            raise errors.ValidationError(
                "histograms: sparse statistics (slots=...) need n_stats=, the number of slots."
            )
        S = n_stats
    base = (jnp.arange(T, dtype=jnp.int32)[:, None] * n_nodes + node.astype(jnp.int32))
    if not per_feature and (per_feature is not None or T * n * F <= FLAT_SCATTER_MAX):
        codes = jnp.broadcast_to(codes, (T, n, F)).astype(jnp.int32)
        cell = (base[..., None] * F + jnp.arange(F)) * n_bins + codes  # (T, n, F)
        if slots is None:
            data = jnp.broadcast_to(stats[:, :, None, :], (T, n, F, S)).reshape(-1, S)
            h = jax.ops.segment_sum(data, cell.ravel(), T * n_nodes * F * n_bins)
        else:
            seg = cell[..., None] * S + slots[:, :, None, :].astype(jnp.int32)
            data = jnp.broadcast_to(stats[:, :, None, :], (T, n, F, P))
            h = jax.ops.segment_sum(data.ravel(), seg.ravel(), T * n_nodes * F * n_bins * S)
        return h.reshape(T, n_nodes, F, n_bins, S)
    base = base * n_bins
    cols = jnp.moveaxis(codes, -1, 0)  # (F, T or 1, n) uint8: a feature's codes contiguous
    if slots is None:
        flat = stats.reshape(T * n, S)

        def one(col):  # (T or 1, n) codes of one feature
            seg = jnp.broadcast_to(base + col.astype(jnp.int32), (T, n)).ravel()
            return jax.ops.segment_sum(flat, seg, T * n_nodes * n_bins)
    else:
        flat, slot = stats.ravel(), slots.astype(jnp.int32)

        def one(col):
            cell = (base + col.astype(jnp.int32))[..., None] * S + slot  # (T, n, P)
            seg = jnp.broadcast_to(cell, (T, n, P)).ravel()
            return jax.ops.segment_sum(flat, seg, T * n_nodes * n_bins * S)

    h = jax.lax.map(one, cols)  # (F, T * n_nodes * n_bins [* S], [S])
    h = h.reshape(F, T, n_nodes, n_bins, S)
    return jnp.transpose(h, (1, 2, 0, 3, 4))


def padded_stats(*columns: Array) -> Array:
    """Per-sample statistic columns ``(..., n)`` stacked into rows ``(..., n, S)``, zeros
    inserted before the last column (the count, where the growers read it) up to
    `STATS_WIDTH` columns.

    Examples:
      >>> import jax.numpy as jnp
      >>> padded_stats(jnp.array([2.0]), jnp.array([3.0]), jnp.array([1.0])).tolist()
      [[2.0, 3.0, 0.0, 1.0]]
    """
    *head, count = columns
    pad = [jnp.zeros_like(count)] * max(STATS_WIDTH - len(columns), 0)
    return jnp.stack([*head, *pad, count], axis=-1)


def subtracted_histograms(
    codes: Array,
    node: Array,
    stats: Array,
    parent: Array,
    slots: Array | None = None,
    n_stats: int | None = None,
) -> Array:
    r"""`histograms` of one level from the level above, by LightGBM's subtraction trick.

    Children $2p$ and $2p + 1$ split node $p$'s rows, so
    $H_{\text{larger}} = H_p - H_{\text{smaller}}$: only the rows of each pair's smaller
    child (by rows that carry statistics) are scattered. Those are at most $\lfloor n/2
    \rfloor$ rows, gathered into a fixed buffer of that size, so every shape stays static;
    the level's scatter work halves, or better. Exact for counts; for float statistics
    (gradients) the larger child's sums differ from a direct scatter by rounding.

    Args:
      codes: ``(n, F)`` bin codes.
      node: ``(T, n)`` node ids in ``[0, M)``, ``M`` even.
      stats: ``(T, n, P)`` statistics, as in `histograms`.
      parent: ``(T, M / 2, F, B, S)`` the histograms of the level above.
      slots: sparse statistics' slots, as in `histograms`.
      n_stats: the number of slots, as in `histograms`.

    Returns:
      ``(T, M, F, B, S)``, equal to ``histograms(codes[None], node, stats, M, B, ...)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> codes = jnp.array([[0], [1], [1], [0]], jnp.uint8); s = jnp.ones((1, 4, 1))
      >>> top = histograms(codes[None], jnp.zeros((1, 4), int), s, 1, 2)
      >>> node = jnp.array([[0, 1, 1, 1]])
      >>> subtracted_histograms(codes, node, s, top)[0, :, 0, :, 0].tolist()
      [[1.0, 0.0], [1.0, 2.0]]
    """
    T, n, P = stats.shape
    M, B = 2 * parent.shape[1], parent.shape[3]
    active = jnp.any(stats != 0, axis=-1)  # (T, n): rows that add anything
    count = jax.vmap(lambda a, v: jax.ops.segment_sum(a.astype(jnp.int32), v, M))(active, node)
    pairs = count.reshape(T, M // 2, 2)
    right_smaller = pairs[..., 1] < pairs[..., 0]
    small = jnp.stack([~right_smaller, right_smaller], axis=-1).reshape(T, M)  # (T, M)
    take = active & jnp.take_along_axis(small, node, axis=1)
    room = n // 2  # sum over pairs of min(left, right) <= n // 2
    idx = jax.vmap(lambda t: jnp.nonzero(t, size=room, fill_value=0)[0])(take)  # (T, room)
    keep = jnp.arange(room) < jnp.sum(take, axis=1, keepdims=True)  # False on the padding
    sub = jnp.take_along_axis(stats, idx[..., None], axis=1) * keep[..., None]
    sub_slots = None if slots is None else jnp.take_along_axis(
        jnp.broadcast_to(slots, (T, n, slots.shape[-1])), idx[..., None], axis=1)
    h = histograms(codes[idx], jnp.take_along_axis(node, idx, axis=1), sub, M, B, sub_slots,
                   n_stats)  # the smaller children's histograms, zero on the larger ones
    sibling = jnp.flip(h.reshape(T, M // 2, 2, *h.shape[2:]), axis=2).reshape(h.shape)
    larger = jnp.repeat(parent, 2, axis=1) - sibling
    return jnp.where(small[:, :, None, None, None], h, larger)


def grow_hist(
    codes: Array,
    edges: Array,
    stats: Array,
    key: PRNGKey | None,
    score: Callable[[Array], Array],
    total: Array,
    min_impurity_decrease: Array,
    depth_limit: Array | None,
    *,
    depth: int,
    min_samples_leaf,
    min_samples_split,
    max_features: int | None,
    min_child_hessian: float | None = None,
    missing: bool = True,
    slots: Array | None = None,
    n_stats: int | None = None,
    counted: bool = True,
) -> tuple[Array, Array, Array, Array, Array]:
    """Grow ``T`` complete trees of depth ``depth`` on the same binned features, together.

    Args:
      codes: ``(n, F)`` uint8 codes, the last code ``B - 1`` for NaN; ``edges``: ``(F, B - 2)``
        upper bin edges (the thresholds stored in the trees).
      stats: ``(T, n, S)`` per-tree, per-sample statistics, last column the 0/1 indicator of
        a positive weight (it counts samples for ``min_samples_*``); or, with ``slots``,
        sparse ones as in `histograms` (the last of the ``n_stats`` slots the indicator).
      key: ``(T,)`` keys drawing ``max_features`` features per node and level (``None``:
        every feature).
      score: ``score(stats[..., S]) -> [...]``, larger is purer; the gain of a split is
        ``score(L) + score(R) - score(L + R)``.
      total: ``(T,)`` summed sample weights; a split needs
        ``gain / total + SPLIT_TOL >= min_impurity_decrease``.
      depth_limit: no split at levels ``>= depth_limit`` (``None``: no limit).
      min_child_hessian: if set, both children need ``stats[..., 1] >=`` it (boosting).
      missing: whether any code is the NaN bin (static); ``False`` skips the second side.
      slots: sparse statistics' slots, as in `histograms`.
      n_stats: the number of slots (static), as in `histograms`.
      counted: whether the last statistic is the sample count (static). ``False``: there is
        none, and a side's sample count is read as the sum of its statistics, exact when they
        are whole-number weights (bootstrap counts) and ``min_samples_leaf = 1``,
        ``min_samples_split = 2`` (a one-sample node is pure, so it never splits).

    Returns:
      The heap-ordered split arrays ``(T, 2^D - 1)`` (feature, threshold, missing_right),
      their gains, and each sample's leaf ``(T, n)`` in ``[0, 2^D)``.
    """
    n, F = codes.shape
    T = stats.shape[0]
    B = edges.shape[1] + 2
    thr_table = jnp.concatenate([edges, jnp.full((F, 1), jnp.inf, edges.dtype)], axis=1)
    rows = jnp.arange(n)[None, :]
    draw = max_features is not None and max_features < F
    keys = jax.vmap(lambda k: jax.random.split(k, depth))(key) if draw else None
    node = jnp.zeros((T, n), jnp.int32)
    out_f, out_t, out_m, out_g = [], [], [], []
    for lev in range(depth):
        M = 2**lev
        if keys is not None and max_features is not None:  # draw
            u = jax.vmap(lambda k, M=M: jax.random.uniform(k, (M, F)))(keys[:, lev])
            sel = jax.lax.top_k(u, max_features)[1]  # (T, M, k) features drawn per node
            sel_n = jnp.take_along_axis(sel, node[..., None], axis=1)  # (T, n, k)
            cs = codes[rows[..., None], sel_n]
            hist = histograms(cs, node, stats, M, B, slots, n_stats)  # (T, M, Fs, B, S)
        elif lev == 0:
            sel = None
            hist = histograms(codes[None], node, stats, M, B, slots, n_stats)
        else:  # every node sees every feature: build the smaller children, subtract the rest
            sel = None
            hist = subtracted_histograms(codes, node, stats, hist, slots, n_stats)
        g, side, j, b, node_tot = _best_splits(
            hist, score, missing, min_samples_leaf, min_child_hessian, counted
        )
        f = j if sel is None else jnp.take_along_axis(sel, j[..., None], axis=2)[..., 0]
        split = jnp.isfinite(g) & (g > 0) & (_count(node_tot, counted) >= min_samples_split)
        split &= g / total[:, None] + SPLIT_TOL >= min_impurity_decrease
        if depth_limit is not None:
            split &= lev < depth_limit
        f = jnp.where(split, f, 0).astype(jnp.int32)
        b = jnp.where(split, b, B - 1)
        miss_r = split & (side == 1)
        out_f.append(f)
        out_t.append(jnp.where(split, thr_table[f, jnp.minimum(b, B - 2)], jnp.inf))
        out_m.append(miss_r)
        out_g.append(jnp.where(split, g, 0.0))
        at = functools.partial(jnp.take_along_axis, indices=node, axis=1)
        c = codes[rows, at(f)]
        right = jnp.where(c == B - 1, at(miss_r), c > at(b)) & at(split)
        node = 2 * node + right.astype(jnp.int32)
    cat = functools.partial(jnp.concatenate, axis=1)
    return cat(out_f), cat(out_t).astype(edges.dtype), cat(out_m), cat(out_g), node


def _count(stats, counted: bool):
    """Samples behind summed statistics: the count column, or (``counted=False``) the sum of
    whole-number weights, which is at least 1 exactly when a sample is there."""
    return stats[..., -1] if counted else jnp.sum(stats, axis=-1)


def _gains(lefts, *, tot, parent, score, min_samples_leaf, min_child_hessian, counted):
    """Gains of the splits whose left sides sum to ``lefts`` ``(..., S)`` in nodes summing to
    ``tot`` (broadcast) and scoring ``parent``: ``-inf`` where a child is too small."""
    rights = tot - lefts
    ok = (_count(lefts, counted) >= min_samples_leaf)
    ok &= (_count(rights, counted) >= min_samples_leaf)
    if min_child_hessian is not None:
        ok &= (lefts[..., 1] >= min_child_hessian) & (rights[..., 1] >= min_child_hessian)
    return jnp.where(ok, score(lefts) + score(rights) - parent, -jnp.inf)


def _best_splits_dense(hist, score, missing: bool, min_samples_leaf, min_child_hessian,
                       counted: bool = True):  # fmt: skip
    r"""`_best_splits` for few bins: every bin's left sums at once, then one arg-max.

    The left sums are a prefix sum over the bins by `jax.lax.associative_scan`
    ($\log_2 B$ passes of adds): XLA:CPU lowers ``jnp.cumsum`` to a reduce-window whose
    cost grows with $B^2$; on digits' ``(10, 128, 8, 23, 11)`` level it took 24 ms, the
    associative scan 5.6 ms."""
    B = hist.shape[3]
    nan = hist[:, :, :, B - 1]
    cum = jax.lax.associative_scan(jnp.add, hist[:, :, :, : B - 1], axis=3)  # (T, M, F, B-1, S)
    node_tot = cum[:, :, 0, -1] + nan[:, :, 0]
    parent = score(node_tot)[:, :, None, None]

    gains_of = functools.partial(  # (T, M, F, B-1) gains of one NaN side
        _gains, tot=node_tot[:, :, None, None, :], parent=parent, score=score,
        min_samples_leaf=min_samples_leaf, min_child_hessian=min_child_hessian, counted=counted)

    T, M, F = nan.shape[:3]

    def best(lefts):  # the best (gain, flat feature-bin index) of one NaN side
        gain = gains_of(lefts).reshape(T, M, -1)
        k = jnp.argmax(gain, axis=2)
        return jnp.take_along_axis(gain, k[..., None], axis=2)[..., 0], k

    # each NaN side is searched on its own, then the better one taken (ties: NaN left, as
    # one arg-max over both would): a side axis on the (..., S) tensors, even of size 1,
    # made the search of a digits level (10, 128, 8, 23, 10) 3-4x slower on XLA:CPU
    g, k = best(cum + nan[:, :, :, None] if missing else cum)
    side = jnp.zeros_like(k)
    if missing:
        g_right, k_right = best(cum)
        side = (g_right > g).astype(k.dtype)
        g, k = jnp.where(side == 1, g_right, g), jnp.where(side == 1, k_right, k)
    return g, side, k // (B - 1), k % (B - 1), node_tot


def _best_splits(hist, score, missing: bool, min_samples_leaf, min_child_hessian,
                 counted: bool = True, dense: bool | None = None):  # fmt: skip
    """Best split of every (tree, node): a ``lax.scan`` over the bins carries the left-side
    sums and, per feature and NaN side, the best gain so far (no ``(bins, ...)`` cumulative
    tensor: XLA:CPU's ``cumsum`` over a long axis is quadratic in it). ``dense`` forces
    `_best_splits_dense` (True) or the scan (False); ``None``: dense up to `DENSE_BINS_MAX`
    bins.

    Returns ``(gain, side, feature_slot, bin, node_totals)``, ``side`` 1 = NaN goes right.
    """
    B = hist.shape[3]
    if dense or (dense is None and B <= DENSE_BINS_MAX):
        return _best_splits_dense(hist, score, missing, min_samples_leaf, min_child_hessian,
                                  counted)  # fmt: skip
    hist = jnp.moveaxis(hist, 3, 0)  # bins first, for the scan
    nan = hist[B - 1]  # (T, M, F, S)
    node_tot = jnp.sum(hist[:, :, :, 0], axis=0)  # (T, M, S)
    P = node_tot[:, :, None, :]
    P_score = score(node_tot)[:, :, None]
    sides = 2 if missing else 1

    gains_of = functools.partial(  # (T, M, F, S) left sums of one NaN side -> (T, M, F)
        _gains, tot=P, parent=P_score, score=score, min_samples_leaf=min_samples_leaf,
        min_child_hessian=min_child_hessian, counted=counted)

    def step(carry, xs):
        cum, best_g, best_b = carry
        h_b, b = xs
        cum = cum + h_b
        # sides stacked after the reduction over the statistics, as in `_best_splits_dense`
        gain = (jnp.stack([gains_of(cum + nan), gains_of(cum)], axis=2) if missing
                else gains_of(cum)[:, :, None])  # fmt: skip
        better = gain > best_g
        return (cum, jnp.where(better, gain, best_g), jnp.where(better, b, best_b)), None

    T, M, F, S = nan.shape
    init = (jnp.zeros_like(nan), jnp.full((T, M, sides, F), -jnp.inf, hist.dtype),
            jnp.zeros((T, M, sides, F), jnp.int32))  # fmt: skip
    bins = jnp.arange(B - 1, dtype=jnp.int32)
    (_, best_g, best_b), _ = jax.lax.scan(step, init, (hist[: B - 1], bins))
    flat = best_g.reshape(T, M, -1)
    k = jnp.argmax(flat, axis=2)
    g = jnp.take_along_axis(flat, k[..., None], axis=2)[..., 0]
    b = jnp.take_along_axis(best_b.reshape(T, M, -1), k[..., None], axis=2)[..., 0]
    return g, k // F, k % F, b, node_tot


def importances(feature: Array, gains: Array, n_features: int) -> Array:
    """Gains summed per feature and normalised to one (zeros for a tree that never split)."""
    seg = jax.vmap(lambda g, f: jax.ops.segment_sum(g, f, n_features))
    imp = jnp.maximum(seg(gains, feature), 0.0)
    s = jnp.sum(imp, axis=-1, keepdims=True)
    return jnp.where(s > 0, imp / jnp.where(s > 0, s, 1.0), 0.0)


def class_stats(y: Array, w: Array, n_classes: int, dtype, counted: bool = True
                ) -> tuple[Array, Array]:  # fmt: skip
    """Sparse class statistics for `histograms`: values ``(..., n, 2)``, the weight and the
    positive-weight indicator, and their slots ``(1, n, 2)``: the class and ``n_classes``
    (``counted=False``: the weight into its class alone, ``(..., n, 1)``)."""
    if not counted:
        return w[..., None].astype(dtype), y.astype(jnp.int32)[None, :, None]
    values = jnp.stack([w, (w > 0)], axis=-1).astype(dtype)
    slots = jnp.stack([y.astype(jnp.int32), jnp.full(y.shape, n_classes, jnp.int32)], -1)
    return values, slots[None]


def _class_score(criterion: str, counted: bool = True):
    from jaxfound.models.trees._grow import _score

    return lambda s: _score(s, criterion, counted)


def _regression_score(s):
    from jaxfound.models.trees._grow import _score

    return _score(s, "squared_error")


def _leaf_sums(stats, leaf, n_leaves, slots=None, n_stats=None):
    """``(T, n_leaves, S)`` statistics summed per leaf (a one-bin, one-feature histogram)."""
    one_bin = jnp.zeros((1, leaf.shape[1], 1), jnp.int32)
    return histograms(one_bin, leaf, stats, n_leaves, 1, slots, n_stats)[:, :, 0, 0]


@cached_jit(
    static_argnames=("task", "n_classes", "criterion", "depth", "max_features", "missing",
                     "counted"),
)
def fit_hist(codes, edges, y, w, key, mid, depth_limit, *, task, n_classes=None,
             criterion=None, counted=True, **cfg):  # fmt: skip
    """Compiled histogram CART fit of ``T`` trees (``w`` ``(T, n)``, ``key`` ``(T,)`` or
    None) or one tree (``w`` ``(n,)``): ``(feature, threshold, missing_right, value,
    importances)``, with the leading axis ``T`` when ``w`` has it."""
    single = w.ndim == 1
    W = w[None] if single else w
    key = None if key is None else (key[None] if single else key)
    n_leaves = 2 ** cfg["depth"]
    if task == "classification":
        stats, slots = class_stats(y, W, n_classes, edges.dtype, counted)
        S = n_classes + 1 if counted else n_classes
        f, t, m, g, leaf = grow_hist(
            codes, edges, stats, key, _class_score(criterion, counted), jnp.sum(W, axis=1),
            mid, depth_limit, slots=slots, n_stats=S, counted=counted, **cfg,
        )  # fmt: skip
        counts = _leaf_sums(stats, leaf, n_leaves, slots, S)[..., :n_classes]
        tot = jnp.sum(counts, axis=-1, keepdims=True)
        value = counts / jnp.where(tot > 0, tot, 1.0)
    else:
        wsum = jnp.sum(W, axis=1, keepdims=True)
        mu = jnp.sum(W * y, axis=1, keepdims=True) / wsum
        sd = jnp.sqrt(jnp.sum(W * (y - mu) ** 2, axis=1, keepdims=True) / wsum)
        sd = jnp.where(sd > 0, sd, 1.0)
        stats = padded_stats(W, W * (y - mu) / sd, (W > 0).astype(W.dtype))
        f, t, m, g, leaf = grow_hist(
            codes, edges, stats, key, _regression_score,
            wsum[:, 0],
            mid / sd**2, depth_limit, **cfg,
        )  # fmt: skip
        ls = _leaf_sums(stats, leaf, n_leaves)
        Wl = ls[..., 0]
        value = (jnp.where(Wl > 0, ls[..., 1] / jnp.where(Wl > 0, Wl, 1.0), 0.0) * sd + mu)
        value = value[..., None]
    imp = importances(f, g, codes.shape[1])
    out = (f, t, m, value, imp)
    return jax.tree_util.tree_map(lambda a: a[0], out) if single else out
