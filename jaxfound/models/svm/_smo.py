r"""The SVM dual, solved by sequential minimal optimisation (libsvm's algorithm) in ``lax``.

$$
\min_{\alpha}\; \tfrac12 \alpha^\top Q \alpha - \mathbf 1^\top \alpha
\quad\text{s.t.}\quad 0 \le \alpha_i \le U_i,\; y^\top \alpha = 0,\qquad Q_{ij} = y_i y_j K_{ij}
$$

Each step picks the pair $(i, j)$ by libsvm's second-order working-set selection
(Fan, Chen & Lin, 2005), solves the two-variable sub-problem in closed form, clips it to the
box and updates the gradient $G = Q\alpha - \mathbf 1$ with two kernel rows. It stops when the
maximal KKT violation $m(\alpha) - M(\alpha) < \varepsilon$.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxfound.typing import ArrayLike

TAU = 1e-12
UNROLL = 2  # SMO steps per while-loop trip


class SMOResult(NamedTuple):
    r"""Solution of one dual problem.

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
        max_iter: int = 100_000) -> SMOResult:
    r"""Solve one binary SVM dual given its Gram matrix.

    Args:
      K: ``(m, m)`` kernel Gram matrix $K_{ij} = k(x_i, x_j)$ of the problem's points.
      y: ``(m,)`` labels in $\{-1, +1\}$ (any value on padding rows).
      upper: ``(m,)`` box bounds $U_i = C s_i$; $U_i = 0$ removes row $i$ (padding, k-fold
        masks, rows of other classes in one-vs-one).
      tol: stopping tolerance $\varepsilon$ on the KKT violation (libsvm's ``eps``).
      max_iter: cap on SMO steps (static).

    Returns:
      `SMOResult`. Vmappable over all arguments but the static ``max_iter``.
    """
    dt = K.dtype
    valid = upper > 0
    y = jnp.where(valid, jnp.sign(y), 0.0).astype(dt)
    diag = jnp.diagonal(K)
    inf = jnp.asarray(jnp.inf, dt)
    pos = jnp.arange(y.shape[0], dtype=jnp.int32)

    def select(alpha, G):
        mg = -y * G
        up = valid & (((y > 0) & (alpha < upper)) | ((y < 0) & (alpha > 0)))
        low = valid & (((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < upper)))
        vals = jnp.where(up, mg, -inf)
        gmax = jnp.max(vals)
        i = _last_index(vals == gmax, pos)  # ties: the last index, as libsvm
        gmin = jnp.min(jnp.where(low, mg, inf))
        ki = K[i]
        b = gmax - mg
        a = diag[i] + diag - 2.0 * ki
        a = jnp.where(a > 0, a, TAU)
        cand = low & (b > 0)
        obj = jnp.where(cand, -(b * b) / a, inf)
        j = _last_index(obj == jnp.min(obj), pos)
        gap = jnp.where(jnp.min(obj) < inf, gmax - gmin, -inf)
        return i, j, ki, gap

    def step(alpha, G, i, j, ki, go):
        kj = K[j]
        yi, yj = y[i], y[j]
        ci, cj = upper[i], upper[j]
        ai, aj = alpha[i], alpha[j]
        quad = diag[i] + diag[j] - 2.0 * ki[j]
        quad = jnp.where(quad > 0, quad, TAU)
        # y_i != y_j
        delta = (-G[i] - G[j]) / quad
        diff = ai - aj
        a1, a2 = ai + delta, aj + delta
        a1, a2 = (jnp.where((diff > 0) & (a2 < 0), diff, a1), jnp.where((diff > 0) & (a2 < 0),
                                                                        0.0, a2))
        a1, a2 = (jnp.where((diff <= 0) & (a1 < 0), 0.0, a1), jnp.where((diff <= 0) & (a1 < 0),
                                                                        -diff, a2))
        hi_i = (diff > ci - cj) & (a1 > ci)
        a1, a2 = jnp.where(hi_i, ci, a1), jnp.where(hi_i, ci - diff, a2)
        hi_j = (diff <= ci - cj) & (a2 > cj)
        a1, a2 = jnp.where(hi_j, cj + diff, a1), jnp.where(hi_j, cj, a2)
        # y_i == y_j
        delta = (G[i] - G[j]) / quad
        s = ai + aj
        b1, b2 = ai - delta, aj + delta
        c = (s > ci) & (b1 > ci)
        b1, b2 = jnp.where(c, ci, b1), jnp.where(c, s - ci, b2)
        c = (s <= ci) & (b2 < 0)
        b1, b2 = jnp.where(c, s, b1), jnp.where(c, 0.0, b2)
        c = (s > cj) & (b2 > cj)
        b1, b2 = jnp.where(c, s - cj, b1), jnp.where(c, cj, b2)
        c = (s <= cj) & (b1 < 0)
        b1, b2 = jnp.where(c, 0.0, b1), jnp.where(c, s, b2)
        same = yi == yj
        new_i, new_j = jnp.where(same, b1, a1), jnp.where(same, b2, a2)
        new_i, new_j = jnp.where(go, new_i, ai), jnp.where(go, new_j, aj)
        d_i, d_j = new_i - ai, new_j - aj
        G = G + y * (yi * d_i * ki + yj * d_j * kj)
        alpha = jnp.where(pos == i, new_i, jnp.where(pos == j, new_j, alpha))
        return alpha, G

    def body(state):
        # UNROLL guarded steps per loop trip: fewer loop-condition and (under vmap) carry
        # select passes per step; a converged problem's later steps are no-ops.
        alpha, G, it, i, j, ki, gap = state
        for _ in range(UNROLL):
            go = (gap >= tol) & (it < max_iter)
            alpha, G = step(alpha, G, i, j, ki, go)
            it = it + go.astype(it.dtype)
            i, j, ki, gap = select(alpha, G)
        return alpha, G, it, i, j, ki, gap

    def cond(state):
        it, gap = state[2], state[-1]
        return (it < max_iter) & (gap >= tol)

    alpha0 = jnp.zeros(y.shape, dt)
    G0 = -jnp.ones(y.shape, dt)
    alpha, G, it, *_, gap = jax.lax.while_loop(
        cond, body, (alpha0, G0, jnp.asarray(0, jnp.int32), *select(alpha0, G0)))
    return SMOResult(alpha, _rho(alpha, G, y, upper, valid), it, gap)


def _last_index(hit, pos):
    """Largest position where ``hit`` holds (a max-reduce; much faster than argmax on CPU)."""
    return jnp.max(jnp.where(hit, pos, 0))


def _rho(alpha, G, y, upper, valid):
    """libsvm's offset: mean of $y_i G_i$ over free vectors, else the midpoint of the bounds."""
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
