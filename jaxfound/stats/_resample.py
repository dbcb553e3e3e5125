"""Shared machinery of the resampling functions: data checks and chunked vmaps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors

__all__ = ["RowGather", "prepare_data", "call_stat", "chunk_size", "hash_indices", "check_stat"]

#: elements gathered per vmapped chunk: ~4 MB in float32, which stays in cache (measured
#: 2-4x faster than chunks of 2**24 elements on a 2-core CPU)
CHUNK_ELEMENTS = 2**20


def prepare_data(data: Any, name: str = "data", min_rows: int = 2) -> tuple[tuple, bool, int]:
    """Return ``(arrays, was_tuple, n)``: checked jax arrays sharing a leading size ``n``."""
    was_tuple = isinstance(data, (tuple, list))
    arrays = tuple(data) if was_tuple else (data,)
    if not arrays:
        raise errors.ValidationError(f"{name} is an empty tuple; pass at least one array.")
    arrays = tuple(_validate.any_array(a, f"{name}[{i}]" if was_tuple else name) for i, a in
                   enumerate(arrays))
    for a in arrays:
        if a.ndim == 0:
            raise errors.ShapeError(f"{name} is a scalar; pass one row per observation.")
    lengths = {a.shape[0] for a in arrays}
    if len(lengths) > 1:
        raise errors.ShapeError(
            f"the arrays of {name} have different lengths {sorted(lengths)}; paired data must "
            "have one row per observation in every array."
        )
    n = lengths.pop()
    if n < min_rows:
        raise errors.EmptyDataError(
            f"{name} has {n} row(s); resampling needs at least {min_rows}."
        )
    return arrays, was_tuple, n


def call_stat(stat: Callable, arrays: tuple, was_tuple: bool):
    """``stat(*arrays)`` for tuple data, ``stat(array)`` for a single array."""
    return stat(*arrays) if was_tuple else stat(arrays[0])


def check_stat(stat: Callable, arrays: tuple, was_tuple: bool) -> None:
    """Raise `ShapeError` unless ``stat`` returns a scalar (checked by tracing)."""
    out = jax.eval_shape(lambda *a: call_stat(stat, a, was_tuple), *arrays)
    shape = getattr(out, "shape", None)
    if shape != ():
        raise errors.ShapeError(
            f"the statistic returned shape {shape}; it must return a scalar (reduce it, or "
            "bootstrap each component separately)."
        )


class RowGather(NamedTuple):
    """Arrays grouped by dtype and stacked column-wise, so one gather fetches every row."""

    stacked: tuple  # one (n, width) array per dtype group
    groups: tuple  # per group: tuple of (position, width, trailing shape)
    count: int

    @staticmethod
    def build(arrays: tuple) -> RowGather:
        n = arrays[0].shape[0]
        by_dtype: dict = {}
        for i, a in enumerate(arrays):
            by_dtype.setdefault(jnp.dtype(a.dtype), []).append(i)
        stacked, groups = [], []
        for pos in by_dtype.values():
            flat = [arrays[i].reshape(n, -1) for i in pos]
            stacked.append(flat[0] if len(flat) == 1 else jnp.concatenate(flat, axis=1))
            groups.append(tuple((i, f.shape[1], arrays[i].shape[1:]) for i, f in zip(pos, flat)))
        return RowGather(tuple(stacked), tuple(groups), len(arrays))

    def take(self, stacked: tuple, rows) -> tuple:
        """The arrays' rows ``rows`` (indices, or a function of each stacked array)."""
        out = [None] * self.count
        for s, group in zip(stacked, self.groups):
            g = rows(s) if callable(rows) else s[rows]  # (m, width): gathers whole rows
            start = 0
            for i, w, shape in group:
                out[i] = g[:, start:start + w].reshape((g.shape[0],) + shape)
                start += w
        return tuple(out)


def row_width(arrays: tuple) -> int:
    """Number of scalars in one row of all the arrays together."""
    return int(sum(np.prod(a.shape[1:], dtype=int) for a in arrays))


def chunk_size(n_items: int, n: int, batch_size: int | None) -> int:
    """Items per vmapped chunk: ``batch_size`` or as many as fit ``CHUNK_ELEMENTS``."""
    if batch_size is not None:
        if int(batch_size) < 1:
            raise errors.ValidationError(f"batch_size={batch_size}; use a positive integer.")
        return min(int(batch_size), n_items)
    return int(max(1, min(n_items, CHUNK_ELEMENTS // max(n, 1))))


_M1, _M2 = np.uint32(0x7FEB352D), np.uint32(0x846CA68B)  # "lowbias32" (C. Wellons)
#: largest ``n`` resampled by the hash sampler (index bias below ``n / 2**32``)
HASH_MAX_N = 2**20


def _mix(h: jax.Array) -> jax.Array:
    """A 32-bit integer hash with strong avalanche (a bijection of uint32)."""
    h = (h ^ (h >> 16)) * _M1
    h = (h ^ (h >> 15)) * _M2
    return h ^ (h >> 16)


def _mulhi(u: jax.Array, n: int) -> jax.Array:
    """``floor(u * n / 2**32)`` in 32-bit arithmetic (Lemire's multiply-shift)."""
    u16, mask = np.uint32(16), np.uint32(0xFFFF)
    nh, nl = np.uint32(n >> 16), np.uint32(n & 0xFFFF)
    uh, ul = u >> u16, u & mask
    m1 = uh * nl + ((ul * nl) >> u16)
    m2 = ul * nh + (m1 & mask)
    return uh * nh + (m1 >> u16) + (m2 >> u16)


def hash_indices(seed: jax.Array, n: int) -> jax.Array:
    """``n`` integers uniform on ``[0, n)`` from a ``(2,)`` uint32 seed (counter-based hash).

    Element ``j`` is ``floor(h_j n / 2^32)`` with ``h_j = mix(mix(j XOR s_0) + s_1)``: a
    counter-based generator (like threefry, but 2 rounds of a 32-bit avalanche hash
    instead of 20 cipher rounds), about 6x cheaper than ``jax.random.randint`` on CPU.
    Seeds come from `jax.random.bits` (threefry), one pair per resample.
    """
    j = jnp.arange(n, dtype=jnp.uint32)
    h = _mix(_mix(j ^ seed[0]) + seed[1])
    return _mulhi(h, n).astype(jnp.int32)


def check_level(confidence_level: float) -> float:
    if not 0 < float(confidence_level) < 1:
        raise errors.ValidationError(
            f"confidence_level={confidence_level}; it must lie strictly between 0 and 1."
        )
    return float(confidence_level)


def check_resamples(n_resamples: int) -> int:
    if int(n_resamples) < 2 or int(n_resamples) != n_resamples:
        raise errors.ValidationError(
            f"n_resamples={n_resamples}; use an integer of at least 2 (typically 10,000)."
        )
    return int(n_resamples)
