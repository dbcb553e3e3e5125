r"""Quantile binning of features, fitted once: the input of the histogram tree learners.

Each feature $j$ gets at most ``max_bins - 1`` value bins with upper edges
$e_{j,0} < e_{j,1} < \dots$ (``+inf`` pads the unused ones): when the feature has few
distinct values the edges are the midpoints between consecutive ones (every split an exact
CART could make stays available), otherwise its quantiles at
$q = \tfrac{1}{B'}, \dots, \tfrac{B'-1}{B'}$, $B' = $ ``max_bins - 1``. A value's code is
the number of edges below it, $c = \#\{b : e_{j,b} < x\}$, so $c \le b \iff x \le e_{j,b}$:
a split "code $\le b$" is the threshold split "$x \le e_{j,b}$" on raw features. Missing
values (NaN) take the last code, ``max_bins - 1``. Codes are ``uint8`` (``max_bins <= 256``).

`quantile_bins` is the same as a `jaxfound.data.Transform` (state: the edges).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate as V
from jaxfound._aot import cached_jit
from jaxfound.data._transform import Transform
from jaxfound.typing import Array, ArrayLike

__all__ = [
    "BIN_BUCKET", "COMPARE_ALL_MAX", "MAX_BINS", "bin_codes", "bin_edges", "quantile_bins",
    "rows_capped_bins",
]

#: Most bins per feature, the missing-value bin included: codes fit in ``uint8``.
MAX_BINS = 256


#: `fit_bins` rounds the bins in use up to a multiple of this. Rounding to a power of two
#: gave digits (18 bins in use) 32 bins; 24 made a 100-tree depth-8 forest fit 0.31 s
#: instead of 0.40 s, with the same trees (the extra bins are empty).
BIN_BUCKET = 8


def check_max_bins(max_bins) -> int:
    """``max_bins`` as an int in ``[2, 256]`` (`jaxfound.errors.ValidationError` otherwise)."""
    return V.whole_number(
        max_bins, "max_bins", 2, MAX_BINS,
        hint=" (bins per feature, the missing-value bin included; codes are uint8)",
    )  # fmt: skip


def sorted_columns(X: Array) -> Array:
    """Every column of ``X`` sorted (NaN last): by NumPy when ``X`` is concrete and on the
    CPU, where XLA's comparator sort is about 15x slower (2.0 s against 0.13 s on a
    75,000 x 50 block), by `jax.numpy.sort` otherwise (traced, or on an accelerator)."""
    if V.is_traced(X) or jax.default_backend() != "cpu":
        return jnp.sort(X, axis=0)
    return jax.device_put(np.sort(np.asarray(X), axis=0))


def _edges(X: Array, max_bins: int) -> Array:
    return _edges_sorted(sorted_columns(X), max_bins)


@cached_jit(static_argnames="max_bins")
def _edges_sorted(xs: Array, max_bins: int) -> Array:
    """The edges from the column-sorted features ``xs`` (NaN last)."""
    n, F = xs.shape
    n_edges = max_bins - 2  # value bins: max_bins - 1, so max_bins - 2 inner edges
    if n_edges == 0:
        return jnp.zeros((F, 0), xs.dtype)
    nxt = xs[1:]
    distinct = (nxt > xs[:-1]) & ~jnp.isnan(nxt)
    n_distinct = 1 + jnp.sum(distinct, axis=0)  # per feature (an all-NaN column: 1)
    # midpoints between consecutive distinct values, compacted by rank (few-valued features)
    rank = jnp.where(distinct, jnp.cumsum(distinct, axis=0) - 1, n_edges)
    cols = jnp.broadcast_to(jnp.arange(F)[None, :], rank.shape)
    mids = jnp.full((n_edges + 1, F), jnp.inf, xs.dtype)
    mids = mids.at[rank, cols].set((xs[:-1] + nxt) / 2, mode="drop")[:n_edges]
    # quantiles (midpoint rule) of the non-missing values, from the sorted column
    n_valid = jnp.sum(~jnp.isnan(xs), axis=0)
    pos = jnp.arange(1, n_edges + 1, dtype=xs.dtype)[:, None] / (n_edges + 1) * (n_valid - 1)
    lo = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, n - 1)
    hi = jnp.clip(jnp.ceil(pos).astype(jnp.int32), 0, n - 1)
    quant = (jnp.take_along_axis(xs, lo, 0) + jnp.take_along_axis(xs, hi, 0)) / 2
    # duplicated quantiles (heavy ties) are empty bins: compact the others to the front (they
    # are sorted already), +inf after them; a rank scatter, not a sort (slow on XLA:CPU)
    dup = jnp.concatenate([jnp.zeros((1, F), bool), quant[1:] <= quant[:-1]], axis=0)
    keep = ~(dup | jnp.isnan(quant))
    at = jnp.where(keep, jnp.cumsum(keep, axis=0) - 1, n_edges)
    qcols = jnp.broadcast_to(jnp.arange(F)[None, :], at.shape)
    quant = jnp.full((n_edges + 1, F), jnp.inf, xs.dtype).at[at, qcols].set(
        quant, mode="drop")[:n_edges]
    edges = jnp.where((n_distinct <= n_edges + 1)[None, :], mids, quant)
    return edges.T  # (F, n_edges)


def bin_edges(X: ArrayLike, max_bins: int = MAX_BINS) -> Array:
    """Upper bin edges ``(n_features, max_bins - 2)`` of every feature (``+inf`` padded).

    Args:
      X: ``(n, n_features)`` features; NaN marks a missing value (no infinities).
      max_bins: bins per feature, 2 to 256, the missing-value bin included.

    Returns:
      The edges, sorted along the last axis.

    Examples:
      >>> import numpy as np
      >>> bin_edges(np.array([[0.0], [1.0], [1.0], [3.0]]), max_bins=4).tolist()
      [[0.5, 2.0]]
    """
    max_bins = check_max_bins(max_bins)
    return _edges(V.features(X, allow_nan=True), max_bins)


#: Up to this many (row, feature, edge) comparisons `bin_codes` compares every value with
#: every edge (``searchsorted(method="compare_all")``); above it, a binary search. Digits
#: (1347 x 64 x 22 edges): 1.0 ms against 3.9 ms; 75,000 x 50 x 254: 3.3 s against 0.15 s.
COMPARE_ALL_MAX = 1 << 22


@cached_jit
def _codes(edges: Array, X: Array) -> Array:
    n_bins = edges.shape[1] + 2
    method = "compare_all" if X.size * edges.shape[1] <= COMPARE_ALL_MAX else "scan"
    c = jax.vmap(lambda e, x: jnp.searchsorted(e, x, side="left", method=method), (0, 1), 1)(
        edges, X)
    return jnp.where(jnp.isnan(X), n_bins - 1, c).astype(jnp.uint8)


def bin_codes(edges: ArrayLike, X: ArrayLike) -> Array:
    """``uint8`` bin codes ``(n, n_features)`` of ``X`` under ``edges`` (NaN: the last code).

    Examples:
      >>> import numpy as np
      >>> e = bin_edges(np.array([[0.0], [1.0], [3.0]]), max_bins=4)
      >>> bin_codes(e, np.array([[-1.0], [0.7], [9.0], [np.nan]])).ravel().tolist()
      [0, 1, 2, 3]
    """
    edges = jnp.asarray(edges)
    X = V.n_features_match(edges.shape[0], X, allow_nan=True)
    return _codes(edges.astype(X.dtype), X)


def quantile_bins(max_bins: int = MAX_BINS) -> Transform:
    """`bin_edges` / `bin_codes` as a `jaxfound.data.Transform` (its state: the edges).

    ``inverse`` maps a code back to its bin's upper edge (the last value bin and the missing
    bin map to ``+inf`` and NaN).

    Examples:
      >>> import numpy as np
      >>> from jaxfound.data import fit_transform
      >>> state, codes = fit_transform(quantile_bins(8), np.arange(10.0)[:, None])
      >>> codes.dtype.name, int(codes.max())
      ('uint8', 6)
    """
    max_bins = check_max_bins(max_bins)

    def inverse(edges, codes):
        edges = jnp.asarray(edges)
        padded = jnp.concatenate(
            [edges, jnp.full((edges.shape[0], 1), jnp.inf, edges.dtype),
             jnp.full((edges.shape[0], 1), jnp.nan, edges.dtype)], axis=1,
        )  # fmt: skip
        c = jnp.asarray(codes).astype(jnp.int32)
        return jax.vmap(lambda e, col: e[col], (0, 1), 1)(padded, c)

    return Transform(lambda X: bin_edges(X, max_bins), bin_codes, inverse)


def _bucket(bins: int, max_bins: int) -> int:
    """``bins`` rounded up to a multiple of `BIN_BUCKET`, between 4 and ``max_bins``."""
    return min(max_bins, max(4, -(-bins // BIN_BUCKET) * BIN_BUCKET))


def rows_capped_bins(max_bins: int, n_rows: int, rows_per_bin: int) -> int:
    r"""``max_bins`` capped so that the value bins hold about ``rows_per_bin`` rows each.

    The cap is $\lceil n / r \rceil + 1$ bins (the missing bin included), $n$ = ``n_rows``,
    $r$ = ``rows_per_bin``, rounded up to a multiple of `BIN_BUCKET`: finer quantile bins
    would split ties of a handful of rows while the deep levels of a histogram tree pay for
    every empty cell. Static (shapes only), so it holds for traced ``X`` as well.

    Examples:
      >>> [rows_capped_bins(256, n, 8) for n in (133, 426, 100_000)]
      [24, 56, 256]
    """
    return _bucket(-(-n_rows // rows_per_bin) + 1, max_bins)


def fit_bins(X: Array, max_bins: int) -> tuple[Array, Array]:
    """Edges and codes of checked ``X`` for a tree fit, with the bin count bucketed.

    When ``X`` is concrete, the bins actually used (the most value bins of any feature, plus
    the missing bin) are rounded up to a multiple of `BIN_BUCKET`, at most ``max_bins``:
    digits' pixels (17 values) get 24 bins instead of 256, a 10x smaller histogram, and data
    sets of similar shape share one compiled fit. Traced ``X`` keeps ``max_bins``.
    """
    edges = _edges(X, max_bins)
    if not V.is_traced(edges) and edges.shape[1] > 0:
        e = np.asarray(edges)  # (F, max_bins - 2): small, read on the host
        used = int(np.isfinite(e).sum(axis=1).max()) + 2  # value bins + NaN
        edges = jax.device_put(e[:, : _bucket(used, max_bins) - 2])
    return edges, _codes(edges, X)
