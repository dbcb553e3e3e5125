r"""Best-first (leaf-wise) tree growth on histograms, as LightGBM and ``HistGradientBoosting``.

Instead of splitting every node of a level, the tree keeps at most ``max_leaves`` leaves and
always splits the leaf whose best split has the largest gain
$\operatorname{score}(L) + \operatorname{score}(R) - \operatorname{score}(L + R)$, until the
budget is spent or no leaf has a positive gain. With the budget $2^D$ and depth cap $D$ every
splittable node is split and the tree is the level-wise one; with fewer leaves the budget goes
where the loss falls most, and branches may run deeper than a level-wise tree of as many
leaves.

Everything keeps a static shape: the tree is stored in the complete heap layout of
`jaxfound.models.trees.Tree` of depth ``depth`` (the cap; nodes that are never split keep
``threshold = +inf``), each of the ``max_leaves`` leaf *slots* holds its histogram, and a step
is one iteration of a ``lax.while_loop``. The rows stay partitioned by slot (each slot's rows
contiguous in one index array, LightGBM's data partition): a split stably re-orders only its
parent's rows, and scatters only its smaller child's rows (the larger child is parent minus
smaller, LightGBM's subtraction trick). Both work in the smallest of a few fixed window sizes
that holds the rows (a ``lax.switch``), so a step's work follows the size of the leaf rather
than of the data: 51 ms for a 31-leaf tree on 75,000 rows x 50 features, against 81 ms when
each step compacted the child's rows out of all ``n``. A split writes its children into two
fresh slots (``2L - 1`` slots in all) as one slice, so XLA updates the histogram carry in
place; overwriting the parent's slot as well made it copy the carry every step (the tree took
63-79 ms instead of 106-119 ms in one A/B on a slowed machine).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jaxfound.models.trees._hist import _best_splits, histograms
from jaxfound.typing import Array

__all__ = ["BUFFER_RATIO", "MIN_BUFFER", "buffer_sizes", "grow_best_first"]

#: Ratio between consecutive buffer sizes of the smaller child's rows (``n // 2``,
#: ``n // 4``, ...): each size is one branch of the ``lax.switch``, compiled once. On the
#: 75,000-row boosting benchmark (31 leaves) 2 fitted in 10.9 s, 4 in 13.2 s.
BUFFER_RATIO = 2

#: The smallest buffer: below it the per-step overhead outweighs the scatter.
MIN_BUFFER = 512


def buffer_sizes(n: int) -> tuple[int, ...]:
    """The buffer sizes for ``n`` rows, largest first: ``n // 2`` (a smaller child never has
    more rows), then divided by `BUFFER_RATIO` while they stay at least `MIN_BUFFER`.

    Examples:
      >>> buffer_sizes(10_000)
      (5000, 2500, 1250, 625)
      >>> buffer_sizes(100)
      (50,)
    """
    sizes = [max(n // 2, 1)]
    while sizes[-1] // BUFFER_RATIO >= MIN_BUFFER:
        sizes.append(sizes[-1] // BUFFER_RATIO)
    return tuple(sizes)


def grow_best_first(
    codes: Array,
    edges: Array,
    stats: Array,
    score: Callable[[Array], Array],
    *,
    max_leaves: int,
    depth: int,
    min_samples_leaf: int | Array,
    min_child_hessian: float | None = None,
    missing: bool = True,
) -> tuple[Array, Array, Array, Array, Array]:
    """Grow ``T`` trees best-first, each with at most ``max_leaves`` leaves and depth ``depth``.

    Args:
      codes: ``(n, F)`` uint8 bin codes, the last code ``B - 1`` for NaN; ``edges``:
        ``(F, B - 2)`` upper bin edges (the thresholds stored in the trees).
      stats: ``(T, n, S)`` per-tree, per-sample statistics, the last column the 0/1
        indicator of a positive weight (it counts samples for ``min_samples_leaf``).
      score: ``score(stats[..., S]) -> [...]``, larger is purer (see `grow_hist`).
      max_leaves: the leaf budget, 2 to ``2**depth`` (static).
      depth: the depth cap, which is also the depth of the heap layout (static).
      min_samples_leaf: fewest samples per child.
      min_child_hessian: if set, both children need ``stats[..., 1] >=`` it (boosting).
      missing: whether any code is the NaN bin (static).

    Returns:
      As `grow_hist`: the heap-ordered ``(T, 2^D - 1)`` feature, threshold and missing_right,
      the gains, and each sample's leaf ``(T, n)`` in ``[0, 2^D)`` (the leftmost leaf below
      its node: unsplit nodes send every sample left).

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.models.trees import bin_codes, bin_edges
      >>> x = jnp.arange(8.0)[:, None]; y = jnp.array([0., 0, 0, 0, 1, 1, 5, 5])
      >>> edges = bin_edges(x); codes = bin_codes(edges, x)
      >>> stats = jnp.stack([jnp.ones(8), y, jnp.ones(8)], -1)[None]  # [w, wy, count]
      >>> sse = lambda s: s[..., 1] ** 2 / jnp.maximum(s[..., 0], 1.0)
      >>> out = grow_best_first(codes, edges, stats, sse, max_leaves=3, depth=3,
      ...                       min_samples_leaf=1, missing=False)
      >>> out[1][0, :3].tolist()  # the root splits off the 5s, then its left child the 1s
      [5.5, 3.5, inf]
      >>> out[4].tolist()  # leaves: node 2 is unsplit, its samples in its leftmost leaf, 4
      [[0, 0, 0, 0, 2, 2, 4, 4]]
    """
    n, F = codes.shape
    T, _, S = stats.shape
    B = edges.shape[1] + 2
    L = max_leaves
    n_int = 2**depth - 1
    t_ix = jnp.arange(T)
    rows = jnp.arange(n, dtype=jnp.int32)
    thr_table = jnp.concatenate([edges, jnp.full((F, 1), jnp.inf, edges.dtype)], axis=1)
    codes_t = codes.T  # (F, n): a split feature's codes contiguous
    child_sizes = buffer_sizes(n)
    parent_sizes = (n, *[c for c in child_sizes if c < n])  # a parent holds up to n rows

    def search(h):  # (T, M, F, B, S) -> best split per (tree, slot)
        # the scan over the bins: for the two slots of a step it measured 2x faster than the
        # dense search even at digits' 24 bins (0.26 ms against 0.54 ms, 10 trees; the whole
        # 31-leaf tree 73 ms against 82 ms)
        g, side, j, b, _ = _best_splits(h, score, missing, min_samples_leaf, min_child_hessian,
                                        dense=False)  # fmt: skip
        return jnp.where(jnp.isfinite(g) & (g > 0), g, -jnp.inf), side, j, b

    def partition(size, order, start, count, f, b, miss_r, do):
        """Stable partition of each tree's parent rows ``order[start : start + count]`` into
        left- then right-going ones, in a window of ``size >= count``; the left count."""

        def one(o, st, ct, f, b, mr, do):
            w = jax.lax.dynamic_slice(o, (st,), (size,))
            c = codes_t[f, w]
            seg = jnp.arange(size) < ct
            right = jnp.where(c == B - 1, mr, c > b) & seg & do
            left = seg & ~right
            n_left = jnp.sum(left, dtype=jnp.int32)
            lefts = jax.lax.associative_scan(jnp.add, left.astype(jnp.int32))  # inclusive
            j = jnp.arange(size)
            # a right-going row j has j - lefts[j] right-going rows before it
            pos = jnp.where(left, lefts - 1, jnp.where(right, n_left + j - lefts, j))
            w = jnp.zeros_like(w).at[pos].set(w, unique_indices=True)
            return jax.lax.dynamic_update_slice(o, w, (st,)), n_left

        return jax.vmap(one)(order, start, count, f, b, miss_r, do)

    def child_hist(size, order, start, count):
        """Histograms ``(T, F, B, S)`` of each tree's rows ``order[start : start + count]``."""
        idx = jax.vmap(lambda o, st: jax.lax.dynamic_slice(o, (st,), (size,)))(order, start)
        keep = jnp.arange(size)[None, :] < count[:, None]  # False past the child's rows
        sub = jnp.take_along_axis(stats, idx[..., None], axis=1) * keep[..., None]
        # one scatter per feature: for a single tree it measured 1.5-2x faster than one flat
        # scatter at every buffer size (0.4 ms against 0.7 ms on 2,343 rows x 50 features)
        return histograms(codes[idx], jnp.zeros((T, size), jnp.int32), sub, 1, B,
                          per_feature=True)[:, 0]  # fmt: skip

    def bucket(sizes, need):  # index into ``sizes`` (descending) of the smallest >= need
        return jnp.clip(jnp.sum(jnp.asarray(sizes) >= need) - 1, 0, len(sizes) - 1)

    root = histograms(codes[None], jnp.zeros((T, n), jnp.int32), stats, 1, B)  # (T,1,F,B,S)
    g0, side0, j0, b0 = search(root)

    K = 2 * L - 1  # node slots: the root, then split i writes its children to 2i+1, 2i+2

    def pad(a, fill):  # (T, 1) -> (T, K)
        return jnp.concatenate([a, jnp.full((T, K - 1), fill, a.dtype)], axis=1)

    carry = dict(
        i=jnp.asarray(0, jnp.int32), go=jnp.asarray(True),
        hist=jnp.zeros((T, K, F, B, S), stats.dtype).at[:, 0].set(root[:, 0]),
        gain=pad(g0, -jnp.inf), side=pad(side0, 0), feat=pad(j0, 0), bin=pad(b0, 0),
        heap=jnp.zeros((T, K), jnp.int32), level=jnp.zeros((T, K), jnp.int32),
        # each leaf's rows are order[start : start + count] (count 0: not a leaf); n padding
        # rows keep every window of at most n rows that starts inside the data in bounds
        order=jnp.broadcast_to(jnp.concatenate([rows, jnp.zeros(n, jnp.int32)]), (T, 2 * n)),
        start=jnp.zeros((T, K), jnp.int32), count=pad(jnp.full((T, 1), n, jnp.int32), 0),
        f=jnp.zeros((T, n_int), jnp.int32), t=jnp.full((T, n_int), jnp.inf, edges.dtype),
        m=jnp.zeros((T, n_int), bool), g=jnp.zeros((T, n_int), stats.dtype),
    )  # fmt: skip

    def step(c):
        s = jnp.argmax(c["gain"], axis=1)  # (T,) the leaf to split
        at = lambda a: a[t_ix, s]  # noqa: E731
        gs, f, b, h = at(c["gain"]), at(c["feat"]), at(c["bin"]), at(c["heap"])
        mr = at(c["side"]) == 1  # NaN goes right
        do = jnp.isfinite(gs)  # (T,)
        kid = 2 * c["i"] + 1  # the children's slots: kid, kid + 1
        hc = jnp.where(do, h, 0)
        put = lambda a, v: a.at[t_ix, hc].set(jnp.where(do, v, a[t_ix, hc]).astype(a.dtype))  # noqa: E731
        thr = thr_table[f, jnp.minimum(b, B - 2)]
        out = dict(f=put(c["f"], f), t=put(c["t"], thr), m=put(c["m"], mr), g=put(c["g"], gs))

        st, ct = at(c["start"]), jnp.where(do, at(c["count"]), 0)
        branches = [lambda *a, z=z: partition(z, *a) for z in parent_sizes]
        order, n_left = jax.lax.switch(bucket(parent_sizes, jnp.max(ct)), branches,
                                       c["order"], st, ct, f, b, mr, do)  # fmt: skip
        n_right = ct - n_left
        small_right = n_right <= n_left
        c_start = st + jnp.where(small_right, n_left, 0)
        c_count = jnp.minimum(n_left, n_right)
        branches = [lambda *a, z=z: child_hist(z, *a) for z in child_sizes]
        small = jax.lax.switch(bucket(child_sizes, jnp.max(c_count)), branches,
                               order, c_start, c_count)  # fmt: skip
        large = at(c["hist"]) - small
        sr = small_right[:, None, None, None]
        kids_h = jnp.stack([jnp.where(sr, large, small), jnp.where(sr, small, large)], axis=1)
        gn, sn, jn, bn = search(kids_h)  # (T, 2)
        lev = at(c["level"]) + 1
        gn = jnp.where((lev < depth)[:, None] & do[:, None], gn, -jnp.inf)

        def two(a, v, parent=None):  # the children's values into their slots (one slice);
            a = a if parent is None else a.at[t_ix, s].set(parent)  # the parent's, if given
            return jax.lax.dynamic_update_slice_in_dim(a, v.astype(a.dtype), kid, axis=1)

        # the histograms are written as ONE slice of fresh slots, none read in this step:
        # XLA updates the (T, K, F, B, S) carry in place (writing the parent's slot as well
        # made it copy the carry every step, ~0.4 ms on the 100k set's 6 MB)
        hist = jax.lax.dynamic_update_slice_in_dim(c["hist"], kids_h, kid, axis=1)
        rows_lr = jnp.stack([st, st + n_left], axis=1)
        return dict(
            out, i=c["i"] + 1, go=jnp.any(do) & (c["i"] + 2 < L), hist=hist,
            gain=two(c["gain"], gn, jnp.full((T,), -jnp.inf, gn.dtype)),
            side=two(c["side"], sn), feat=two(c["feat"], jn), bin=two(c["bin"], bn),
            heap=two(c["heap"], jnp.stack([2 * h + 1, 2 * h + 2], axis=1)),
            level=two(c["level"], jnp.stack([lev, lev], axis=1)), order=order,
            start=two(c["start"], rows_lr),
            count=two(c["count"], jnp.stack([n_left, n_right], axis=1),
                      jnp.where(do, 0, at(c["count"]))),
        )  # fmt: skip

    c = jax.lax.while_loop(lambda c: c["go"] & (L > 1), step, carry)
    slot = jax.vmap(_slot_of_rows)(c["order"][:, :n], c["start"], c["count"])  # (T, n)
    h = jnp.take_along_axis(c["heap"], slot, axis=1)  # (T, n) heap node of each sample
    d = jnp.take_along_axis(c["level"], slot, axis=1)
    leaf = (h + 1) * (2 ** (depth - d)) - 1 - n_int  # leftmost leaf below the node
    return c["f"], c["t"], c["m"], c["g"], leaf


def _slot_of_rows(order: Array, start: Array, count: Array) -> Array:
    """Each row's slot, from the partition: leaf slot ``l`` holds ``order[start_l : start_l +
    count_l]`` (slots never used, and split ones, have ``count = 0``)."""
    n = order.shape[0]
    key = jnp.where(count > 0, start, n)  # unused slots sort last, past every position
    by_start = jnp.argsort(key)
    at = jnp.searchsorted(key[by_start], jnp.arange(n), side="right") - 1
    return jnp.zeros(n, jnp.int32).at[order].set(by_start[at].astype(jnp.int32))
