r"""The SVM dual, solved by sequential minimal optimisation (libsvm's algorithm) in ``lax``.

$$
\min_{\alpha}\; \tfrac12 \alpha^\top Q \alpha - \mathbf 1^\top \alpha
\quad\text{s.t.}\quad 0 \le \alpha_i \le U_i,\; y^\top \alpha = 0,\qquad Q_{ij} = y_i y_j K_{ij}
$$

Each step picks the pair $(i, j)$ by libsvm's second-order working-set selection
(Fan, Chen & Lin, 2005), solves the two-variable sub-problem in closed form, clips it to the
box and updates the gradient $G = Q\alpha - \mathbf 1$ with two kernel rows. It stops when the
maximal KKT violation $m(\alpha) - M(\alpha) < \varepsilon$.

**Many problems at once.** `smo_batch` solves $B$ problems together, but not in lockstep: it
runs ``chunk`` steps of every unconverged problem, then moves the unconverged problems to the
front of its work list and runs the next chunk on as few of them as it can: the smallest of
8, 16, 32 or 64 that holds them, or as many blocks of 64 as they fill. With $s_b$ steps for
problem $b$ the work is about $\sum_b s_b$ steps instead of $B \max_b s_b$ (a vmapped
``while_loop`` steps every problem until the slowest one converges). Each problem takes
exactly the steps it would take alone, so the result does not depend on the batch. `smo` is
one problem; under ``jax.vmap`` (over problems, folds or hyper-parameters, at any depth) it
becomes one `smo_batch` through a custom batching rule, and problems that share a Gram
matrix keep sharing it (no copy per problem).

**Memory traffic.** A step is a handful of passes over the rows of every problem in the
block, so its cost is memory traffic and the number of operations per step. The iterate
carries $F = -y \odot G$ (the quantity the selection ranks), the Gram row $K_i$ that the
selection gathered (the next update reuses it, and reads $K_{ij}$ from it) and the largest
score $F_i$; the step is written on the whole block, so that the scalars of the working pair
come from two gathers (one over the packed per-row constants) and one scatter. Index
searches reduce in floating point (positions are exact below $2^{24}$), which the CPU backend
vectorises. The work list starts sorted by Gram matrix, so the problems of a block share few
matrices, which stay in cache over its chunk; compaction reorders the list (stably) and each
block gathers its problems' rows, so converged problems are never touched again. None of
this changes a problem's steps or result.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxfound.typing import ArrayLike

TAU = 1e-12
CHUNK = 32  # SMO steps between two compactions of the batch
MIN_BUCKET = 8  # smallest batch a chunk runs on (smaller ones cost the same)
BLOCK = 64  # more live problems run block by block (cache-sized working set)


class SMOResult(NamedTuple):
    r"""Solution of one dual problem (or, from `smo_batch`, of each problem: leading axis ``B``).

    Attributes:
      alpha: ``(m,)`` dual variables.
      rho: the offset $\rho$ (decision $f(x) = \sum_i \alpha_i y_i k(x_i, x) - \rho$).
      n_iter: SMO steps taken.
      gap: final KKT violation $m(\alpha) - M(\alpha)$ (``< tol`` when converged).
    """

    alpha: jax.Array
    rho: jax.Array
    n_iter: jax.Array
    gap: jax.Array


def smo(K: ArrayLike, y: ArrayLike, upper: ArrayLike, tol: float = 1e-3,
        max_iter: int = 100_000, chunk: int = CHUNK) -> SMOResult:
    r"""Solve one binary SVM dual given its Gram matrix.

    Under ``jax.vmap`` all the mapped problems are solved by one `smo_batch` call (see the
    module notes): same results, work proportional to the sum of their step counts.

    Args:
      K: ``(m, m)`` kernel Gram matrix $K_{ij} = k(x_i, x_j)$ of the problem's points.
      y: ``(m,)`` labels in $\{-1, +1\}$ (any value on padding rows).
      upper: ``(m,)`` box bounds $U_i = C s_i$; $U_i = 0$ removes row $i$ (padding, k-fold
        masks, rows of other classes in one-vs-one).
      tol: stopping tolerance $\varepsilon$ on the KKT violation (libsvm's ``eps``).
      max_iter: cap on SMO steps (static).
      chunk: steps between two compactions of a batch (static; only speed depends on it).

    Returns:
      `SMOResult`. Vmappable over ``K``, ``y`` and ``upper``.

    >>> import jax.numpy as jnp
    >>> K = jnp.array([[1.0, 0.0], [0.0, 1.0]])
    >>> smo(K, jnp.array([1.0, -1.0]), jnp.array([10.0, 10.0])).alpha.tolist()
    [1.0, 1.0]
    """
    K = jnp.asarray(K)
    res = smo_batch(K[None], jnp.zeros((1,), jnp.int32), jnp.asarray(y)[None],
                    jnp.asarray(upper)[None], tol, max_iter, chunk)
    return SMOResult(*(a[0] for a in res))


def smo_batch(K: ArrayLike, slot: ArrayLike, y: ArrayLike, upper: ArrayLike,
              tol: float = 1e-3, max_iter: int = 100_000, chunk: int = CHUNK) -> SMOResult:
    r"""Solve ``B`` binary SVM duals that index into ``S`` shared Gram matrices.

    Problem $b$ has Gram matrix ``K[slot[b]]``, labels ``y[b]`` and bounds ``upper[b]``
    (the same problem as `smo`). It runs in chunks of ``chunk`` steps; between chunks the
    unconverged problems move to the front and the next chunk runs on the smallest bucket
    ($2^k \ge 8$, up to ``BLOCK``) that holds them, or on as many blocks of ``BLOCK`` as they
    fill, so converged problems cost nothing. Each bucket size (and the block loop) is a
    branch of one ``lax.switch``: one compiled call, no host round trips.

    Args:
      K: ``(S, m, m)`` Gram matrices.
      slot: ``(B,)`` int, the Gram matrix of each problem.
      y: ``(B, m)`` labels in $\{-1, +1\}$.
      upper: ``(B, m)`` box bounds (0 removes a row).
      tol: stopping tolerance on the KKT violation.
      max_iter: cap on SMO steps per problem (static).
      chunk: steps between two compactions (static).

    Returns:
      `SMOResult` with a leading axis ``B`` on every field. Vmappable: a vmapped call folds
      the mapped axis into ``B`` (and into ``S`` where ``K`` is mapped).
    """
    return _batch_solver(float(tol), int(max_iter), max(int(chunk), 1))(
        jnp.asarray(K), jnp.asarray(slot, jnp.int32), jnp.asarray(y), jnp.asarray(upper))


@functools.cache
def _batch_solver(tol: float, max_iter: int, chunk: int):
    """The custom-vmapped batch solver for one (tol, max_iter, chunk)."""

    @jax.custom_batching.custom_vmap
    def solve(K, slot, y, upper):
        return _solve(K, slot, y, upper, tol, max_iter, chunk)

    @solve.def_vmap
    def _rule(axis_size, in_batched, K, slot, y, upper):
        # fold the mapped axis A into the batch: (A, B, ...) -> (A*B, ...), and into the
        # Gram matrices only where K itself is mapped (slot b of copy a -> a*S + b)
        A = axis_size
        k_b, s_b, y_b, u_b = in_batched
        B, m = y.shape[-2:]
        if not s_b:
            slot = jnp.broadcast_to(slot, (A, B))
        if k_b:
            S = K.shape[1]
            slot = slot + (jnp.arange(A, dtype=slot.dtype) * S)[:, None]
            K = K.reshape(A * S, m, m)
        y = y if y_b else jnp.broadcast_to(y, (A, B, m))
        upper = upper if u_b else jnp.broadcast_to(upper, (A, B, m))
        out = solve(K, slot.reshape(A * B), y.reshape(A * B, m), upper.reshape(A * B, m))
        out = SMOResult(*(a.reshape(A, B, *a.shape[1:]) for a in out))
        return out, SMOResult(True, True, True, True)

    return jax.jit(solve)


class _Data(NamedTuple):
    """Per-problem constants (leading axis B)."""

    slot: jax.Array
    diag: jax.Array  # (B, m) Gram diagonal
    rows: jax.Array  # (B, m, 3): y (0 on removed rows), upper, diag: one gather for i, j


class _State(NamedTuple):
    """Per-problem iterate (leading axis B) and the next working pair."""

    alpha: jax.Array
    F: jax.Array  # -y * G: the violation scores (0 on removed rows)
    code: jax.Array  # uint8 (B, m): 1 if the row is in I_up, + 2 if in I_low (0: removed)
    it: jax.Array
    i: jax.Array
    j: jax.Array
    gmax: jax.Array  # F[i], the largest score in I_up
    gap: jax.Array
    ki: jax.Array  # (B, m) row i of the Gram matrix


def _bucket_sizes(B: int) -> list[int]:
    """Batch sizes below one block: 8, 16, ... (or ``B`` itself when it is at most a block)."""
    sizes, s = [], MIN_BUCKET
    while s < min(B, BLOCK):
        sizes.append(s)
        s *= 2
    return [*sizes, min(B, BLOCK)]


def _solve(K, slot, y, upper, tol, max_iter, chunk) -> SMOResult:
    n, m = y.shape
    B = n if n <= BLOCK else -(-n // BLOCK) * BLOCK  # pad with empty problems to whole blocks
    dt = K.dtype
    slot, y = jnp.pad(slot, (0, B - n)), jnp.pad(y, ((0, B - n), (0, 0)))
    upper = jnp.pad(upper.astype(dt), ((0, B - n), (0, 0)))  # U = 0: no rows, never live
    y = jnp.where(upper > 0, jnp.sign(y), 0.0).astype(dt)
    diag = jnp.diagonal(K, axis1=1, axis2=2)[slot]
    data = _Data(slot, diag, jnp.stack([y, upper, diag], axis=-1))
    alpha, F = jnp.zeros((B, m), dt), y  # G = -1 at alpha = 0
    code = _code(y, upper, alpha)
    state = _State(alpha, F, code, jnp.zeros((B,), jnp.int32), *_select(K, data, code, F))
    sizes = _bucket_sizes(B)

    def live(s):
        return (s.gap >= tol) & (s.it < max_iter)

    def gathered(idx, state):  # one chunk on the problems idx, written back in place
        sub = _chunk(K, _at(data, idx), _at(state, idx), tol, max_iter, chunk)
        return _State(*(a.at[idx].set(s, unique_indices=True) for a, s in zip(state, sub)))

    def bucket(b, n_live, state, order):  # one chunk on the first b problems of order
        if b == B:
            return _chunk(K, data, state, tol, max_iter, chunk)
        return gathered(order[:b], state)

    def blocks(n_live, state, order):  # one chunk on each block of order that holds live ones
        at = lambda k: jax.lax.dynamic_slice_in_dim(order, k * BLOCK, BLOCK)
        return jax.lax.fori_loop(0, -(-n_live // BLOCK),
                                 lambda k, state: gathered(at(k), state), state)

    def body(carry):
        state, order = carry
        lv = live(state)
        order = order[jnp.argsort(~lv[order], stable=True)]  # unconverged problems first
        n_live = jnp.sum(lv)
        k = jnp.sum(jnp.asarray(sizes) < n_live)  # smallest bucket that holds them, else blocks
        branches = [functools.partial(bucket, b) for b in sizes]
        if B > BLOCK:
            branches.append(blocks)
        return jax.lax.switch(k, branches, n_live, state, order), order

    # problems that share a Gram matrix side by side: a block's rows then come from few
    # matrices, which stay in cache over its chunk (the compaction keeps this order)
    order = jnp.argsort(slot, stable=True)
    state, _ = jax.lax.while_loop(lambda c: jnp.any(live(c[0])), body, (state, order))
    rho = jax.vmap(_rho)(state.alpha, -y * state.F, y, upper)
    return SMOResult(state.alpha[:n], rho[:n], state.it[:n], state.gap[:n])


def _at(tree, idx):
    return type(tree)(*(a[idx] for a in tree))


def _chunk(K, data, state, tol, max_iter, chunk):
    """Up to ``chunk`` guarded steps of every problem in the (sub-)batch."""

    def body(c):
        t, s = c
        go = (s.gap >= tol) & (s.it < max_iter)  # a converged problem's step is a no-op
        alpha, F, code = _step(K, data, s, go)
        s = _State(alpha, F, code, s.it + go.astype(s.it.dtype), *_select(K, data, code, F))
        return t + 1, s

    def cond(c):
        t, s = c
        return (t < chunk) & jnp.any((s.gap >= tol) & (s.it < max_iter))

    return jax.lax.while_loop(cond, body, (jnp.asarray(0, jnp.int32), state))[1]


def _code(y, upper, alpha):
    r"""Membership of each row in libsvm's index sets: 1 for $I_{up}$ (where $\alpha$ may move
    in the direction of $y$), 2 for $I_{low}$, summed; removed rows ($y = 0$) are in neither."""
    pos_y, neg_y = y > 0, y < 0
    up = (pos_y & (alpha < upper)) | (neg_y & (alpha > 0))
    low = (pos_y & (alpha > 0)) | (neg_y & (alpha < upper))
    return up.astype(jnp.uint8) + 2 * low.astype(jnp.uint8)


def _select(K, d: _Data, code, mg):
    """libsvm's WSS2 for every problem given ``mg = -y G`` (``(B, m)``) and the index-set
    codes: ``(i, j, gmax, gap, ki)`` with ``ki`` the Gram row of ``i``.

    Written on the whole batch (not a ``vmap`` of one problem) so that the compiled step has
    as few (and as large) operations as possible: their count, not their size, is what a
    step costs at small batches."""
    dt = mg.dtype
    inf = jnp.asarray(jnp.inf, dt)
    pos = jnp.arange(mg.shape[1], dtype=jnp.float32)
    up, low = (code & 1) > 0, (code & 2) > 0
    vals = jnp.where(up, mg, -inf)
    gmax = jnp.max(vals, axis=1)
    i = _last_index(vals == gmax[:, None], pos)  # ties: the last index, as libsvm
    gmin = jnp.min(jnp.where(low, mg, inf), axis=1)
    ki = K[d.slot, i]
    b = gmax[:, None] - mg
    B, m = mg.shape
    a = d.diag.reshape(B * m)[jnp.arange(B, dtype=jnp.int32) * m + i][:, None] + d.diag - 2.0 * ki
    a = jnp.where(a > 0, a, TAU)
    obj = jnp.where(low & (b > 0), -(b * b) / a, inf)
    omin = jnp.min(obj, axis=1)
    j = _last_index(obj == omin[:, None], pos)
    gap = jnp.where(omin < inf, gmax - gmin, -inf)
    return i, j, gmax, gap, ki


def _step(K, d: _Data, s: _State, go):
    """The analytic two-variable update of ``(alpha_i, alpha_j)`` and of ``F = -y G``, for
    every problem of the batch (a no-op where ``go`` is False)."""
    B, m = s.F.shape
    base = jnp.arange(B, dtype=jnp.int32) * m  # flat positions: fewer index computations
    fj = base + s.j
    fij = jnp.stack([base + s.i, fj], axis=1)
    rows = d.rows.reshape(B * m, 3)[fij]  # (B, 2, 3)
    yi, yj = rows[:, 0, 0], rows[:, 1, 0]
    ci, cj = rows[:, 0, 1], rows[:, 1, 1]
    aij = s.alpha.reshape(B * m)[fij]
    ai, aj = aij[:, 0], aij[:, 1]
    Gi = -yi * s.gmax  # F[i] is gmax, the score that selected i
    Gj = -yj * s.F.reshape(B * m)[fj]
    quad = rows[:, 0, 2] + rows[:, 1, 2] - 2.0 * s.ki.reshape(B * m)[fj]
    quad = jnp.where(quad > 0, quad, TAU)
    # y_i != y_j
    delta = (-Gi - Gj) / quad
    diff = ai - aj
    a1, a2 = ai + delta, aj + delta
    c = (diff > 0) & (a2 < 0)
    a1, a2 = jnp.where(c, diff, a1), jnp.where(c, 0.0, a2)
    c = (diff <= 0) & (a1 < 0)
    a1, a2 = jnp.where(c, 0.0, a1), jnp.where(c, -diff, a2)
    c = (diff > ci - cj) & (a1 > ci)
    a1, a2 = jnp.where(c, ci, a1), jnp.where(c, ci - diff, a2)
    c = (diff <= ci - cj) & (a2 > cj)
    a1, a2 = jnp.where(c, cj + diff, a1), jnp.where(c, cj, a2)
    # y_i == y_j
    delta = (Gi - Gj) / quad
    sm = ai + aj
    b1, b2 = ai - delta, aj + delta
    c = (sm > ci) & (b1 > ci)
    b1, b2 = jnp.where(c, ci, b1), jnp.where(c, sm - ci, b2)
    c = (sm <= ci) & (b2 < 0)
    b1, b2 = jnp.where(c, sm, b1), jnp.where(c, 0.0, b2)
    c = (sm > cj) & (b2 > cj)
    b1, b2 = jnp.where(c, sm - cj, b1), jnp.where(c, cj, b2)
    c = (sm <= cj) & (b1 < 0)
    b1, b2 = jnp.where(c, 0.0, b1), jnp.where(c, sm, b2)
    same = yi == yj
    new = jnp.stack([jnp.where(same, b1, a1), jnp.where(same, b2, a2)], axis=1)
    new = jnp.where(go[:, None], new, aij)
    code_ij = _code(rows[:, :, 0], rows[:, :, 1], new)
    dij = new - aij
    # G += y (y_i d_i K_i + y_j d_j K_j), so F = -y G moves by -y^2 (...) (y^2 = 1 on live rows)
    F = s.F - ((yi * dij[:, 0])[:, None] * s.ki
               + (yj * dij[:, 1])[:, None] * K[d.slot, s.j])
    put = lambda a, v: a.reshape(B * m).at[fij].set(v, unique_indices=True).reshape(B, m)
    return put(s.alpha, new), F, put(s.code, code_ij)  # i != j where go


def _last_index(hit, pos):
    """Largest position where ``hit`` holds: a float max-reduce (faster than argmax, and than an
    integer max-reduce, on CPU; exact for fewer than $2^{24}$ rows)."""
    return jnp.max(jnp.where(hit, pos, 0.0), axis=-1).astype(jnp.int32)


def _rho(alpha, G, y, upper):
    """libsvm's offset: mean of $y_i G_i$ over free vectors, else the midpoint of the bounds."""
    valid = upper > 0
    yg = y * G
    at_up = alpha >= upper
    at_low = (alpha <= 0) & ~at_up
    free = valid & ~at_up & ~at_low
    ub_set = valid & ((at_up & (y < 0)) | (at_low & (y > 0)))
    lb_set = valid & ((at_up & (y > 0)) | (at_low & (y < 0)))
    ub = jnp.min(jnp.where(ub_set, yg, jnp.inf))
    lb = jnp.max(jnp.where(lb_set, yg, -jnp.inf))
    n_free = jnp.sum(free)
    mean_free = jnp.sum(jnp.where(free, yg, 0.0)) / jnp.maximum(n_free, 1)
    rho = jnp.where(n_free > 0, mean_free, 0.5 * (ub + lb))
    return jnp.where(jnp.isfinite(rho), rho, 0.0)  # a problem with no rows of one class
