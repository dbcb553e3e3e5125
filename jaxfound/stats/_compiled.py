"""Ahead-of-time compiled executables of a search, cached, and their concurrent execution.

`Compiled` wraps one jitted function and keeps an executable per argument signature, so that
the concurrent parts of an ``n_jobs > 1`` search reuse one compilation instead of racing to
compile. `cached` keeps the `Compiled` of each search (by a key the caller builds), and
`run_concurrently` executes several compiled calls on a thread pool (XLA releases the GIL, so
on a CPU each call gets a core of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor

import jax

__all__ = ["MAX_EXECUTABLES", "MAX_SEARCHES", "SERIAL", "Compiled", "cached", "run_concurrently"]

#: executables kept per search (argument signatures: grid part sizes, data shapes, serial or
#: not); the cache is emptied when it holds more
MAX_EXECUTABLES = 16
#: searches kept (estimator, metric, grid axes, labels ...); emptied when it holds more
MAX_SEARCHES = 32

# XLA's CPU compiler splits large element-wise loops over its intra-op thread pool; with
# one job per core the jobs are the parallelism, and each split loop would only wait for a
# core that another job holds. Harmless elsewhere (a pass that only the CPU compiler runs).
SERIAL = {"xla_disable_hlo_passes": "cpu-parallel-task-assigner"}


class Compiled:
    """A jitted function with its executables compiled ahead of time per argument signature."""

    def __init__(self, fn: Callable):
        self._jit = jax.jit(fn)
        self._exe: dict = {}

    def compiled(self, args: tuple, serial: bool = False) -> Callable:
        """The executable for ``args``' shapes and dtypes (compiled without intra-op loop
        splitting when ``serial``)."""
        leaves, tree = jax.tree_util.tree_flatten(args)
        key = (tree, tuple((a.shape, a.dtype) for a in leaves), serial)
        if key not in self._exe:
            if len(self._exe) > MAX_EXECUTABLES:
                self._exe.clear()
            self._exe[key] = self._jit.lower(*args).compile(SERIAL if serial else None)
        return self._exe[key]


_SEARCHES: dict = {}


def cached(key: Hashable, make: Callable[[], Callable]) -> Compiled:
    """The `Compiled` of ``make()`` stored under ``key`` (built on first use)."""
    if key not in _SEARCHES:
        if len(_SEARCHES) > MAX_SEARCHES:
            _SEARCHES.clear()
        _SEARCHES[key] = Compiled(make())
    return _SEARCHES[key]


def run_concurrently(calls: Sequence[tuple[Callable, tuple]]) -> list:
    """Run ``fn(*args)`` for each ``(fn, args)``: inline for one call, else one thread each."""
    if len(calls) == 1:
        fn, args = calls[0]
        return [fn(*args)]
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda c: jax.block_until_ready(c[0](*c[1])), calls))
