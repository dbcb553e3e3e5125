r"""Cross-validated grid search: every grid point and fold in one compiled call.

The grid is the Cartesian product of its axes (``{"C": [...], "gamma": [...]}``). The fits
are one ``jax.vmap`` per grid axis, nested, around the ``vmap`` over folds of
`cross_validate`. Nesting one ``vmap`` per axis (rather than one
``vmap`` over the flattened points) lets every quantity that depends on some of the
hyper-parameters only be computed once per value of those: an RBF Gram matrix depends on
``gamma`` and not on ``C``, so a ``C x gamma`` grid computes ``len(gamma)`` of them, not
``len(C) * len(gamma)``.

``n_jobs > 1`` splits the longest axis into ``n_jobs`` parts (its values dealt out in a
snake order, so that a cost growing along the axis is shared out evenly) and runs them as
concurrent executions of the compiled search on a thread pool: XLA releases the GIL, so on
a CPU each part gets a core of its own (as ``GridSearchCV(n_jobs=...)`` gives each fit a
process). Those executables are compiled without XLA's intra-op splitting of large loops
(the ``cpu-parallel-task-assigner`` pass): with a job per core, a split loop only waits for
a core that the other job holds, and SMO's microsecond-sized steps lose more to that
hand-off than they gain. The scores do not depend on ``n_jobs``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.stats._cross_validation import (
    _TRACE_ERRORS,
    _accepts_sample_weight,
    _check_xy,
    _score_fn,
    _test_rows,
    as_fold_masks,
)
from jaxfound.typing import Array

__all__ = ["GridSearchResult", "grid_search"]


class GridSearchResult(NamedTuple):
    """Cross-validated scores over a grid of hyper-parameters.

    Attributes:
      params: name -> ``(G,)`` values of each grid point (Cartesian product of the grid).
      scores: ``(G, k)`` held-out score of every grid point and fold.
      mean: ``(G,)`` mean score over folds.
      std: ``(G,)`` standard deviation over folds (``ddof=0``).
      best_index: index of the best grid point.
      best_params: name -> value (Python float) at the best grid point.
      best_score: its mean score.
    """

    params: dict
    scores: Array
    mean: Array
    std: Array
    best_index: int
    best_params: dict
    best_score: float


def _grid_axes(grid: Mapping[str, Sequence]) -> dict[str, np.ndarray]:
    """Validated grid axes: name -> non-empty 1-D array of values."""
    if not grid:
        raise errors.ValidationError("grid is empty; pass e.g. {'C': [0.1, 1.0, 10.0]}.")
    axes = {}
    for name, v in grid.items():
        a = np.asarray(v)
        if a.ndim != 1 or a.size == 0:
            raise errors.ShapeError(
                f"grid[{name!r}] has shape {a.shape}; pass a non-empty 1-D list of values."
            )
        axes[name] = a
    return axes


def _product(axes: Mapping[str, Any], xp=np) -> dict:
    """The grid points: each axis broadcast over the Cartesian product, flattened (the first
    axis varies slowest, as ``itertools.product`` and scikit-learn's ``ParameterGrid``)."""
    mesh = xp.meshgrid(*axes.values(), indexing="ij")
    return {name: m.reshape(-1) for name, m in zip(axes, mesh)}


# XLA's CPU compiler splits large element-wise loops over its intra-op thread pool; with
# one job per core the jobs are the parallelism, and each split loop would only wait for a
# core that another job holds. Harmless elsewhere (a pass that only the CPU compiler runs).
SERIAL = {"xla_disable_hlo_passes": "cpu-parallel-task-assigner"}


class _Runner:
    """A jitted ``(X, sample_weight, train, test_idx, test_w, axes) -> (G_1, ..., G_d, k)``
    scores function, with its executables compiled ahead of time per argument signature (so
    that concurrent parts reuse one compilation instead of racing to compile)."""

    def __init__(self, fn: Callable):
        self._jit = jax.jit(fn)
        self._exe: dict = {}

    def compiled(self, args: tuple, serial: bool = False) -> Callable:
        leaves, tree = jax.tree_util.tree_flatten(args)
        key = (tree, tuple((a.shape, a.dtype) for a in leaves), serial)
        if key not in self._exe:
            if len(self._exe) > 16:
                self._exe.clear()
            self._exe[key] = self._jit.lower(*args).compile(SERIAL if serial else None)
        return self._exe[key]


_RUNNERS: dict = {}


def _runner(fit, predict, metric, y, names: tuple[str, ...], batch_size) -> _Runner:
    """The cached runner of one search.

    ``X`` and the masks are arguments (a closed-over ``X`` would be constant-folded by XLA
    at compile time); ``y`` stays a concrete NumPy constant, because fits may use its
    values to lay out their problems (e.g. one-vs-one SVM pairs). The cache key is the
    identity of the functions, the axis names, the x64 mode and the bytes of ``y``, so a
    repeated search on the same labels reuses the compiled executable.
    """
    y = np.asarray(y)
    key = (
        fit,
        predict,
        metric,
        names,
        batch_size,
        bool(jax.config.jax_enable_x64),
        y.shape,
        y.dtype.str,
        hashlib.sha1(np.ascontiguousarray(y).tobytes()).hexdigest(),
    )
    if key not in _RUNNERS:

        def run(X, sample_weight, train, test_idx, test_w, axes):
            score = _score_fn(fit, predict, metric, X, y, sample_weight)
            over_folds = jax.vmap(score, in_axes=(0, 0, 0, None))
            shape = tuple(len(v) for v in axes)
            if batch_size is not None:  # lax.map over the flattened points, in chunks
                points = _product(dict(zip(names, axes)), jnp)
                out = jax.lax.map(
                    lambda hp: over_folds(train, test_idx, test_w, hp),
                    points,
                    batch_size=batch_size,
                )
                return out.reshape(*shape, -1)

            def nest(level, hp):  # one vmap per axis: values shared along the other axes
                if level == len(names):
                    return over_folds(train, test_idx, test_w, hp)
                return jax.vmap(lambda v: nest(level + 1, {**hp, names[level]: v}))(axes[level])

            return nest(0, {})

        if len(_RUNNERS) > 32:
            _RUNNERS.clear()
        _RUNNERS[key] = _Runner(run)
    return _RUNNERS[key]


def _n_jobs(n_jobs: int | None) -> int:
    if n_jobs is None:
        return 1
    bad_type = isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer)
    if bad_type or n_jobs == 0 or n_jobs < -1:
        raise errors.ValidationError(
            f"n_jobs={n_jobs!r}: pass a positive int, or -1 for one job per CPU core."
        )
    if n_jobs == -1:
        return (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1)
        )
    return int(n_jobs)


def _split(axes: dict[str, np.ndarray], n_jobs: int) -> tuple[int, list[np.ndarray]]:
    """The axis to split (the longest; the first of equals) and each part's value indices.

    Values are dealt out in a snake order (parts ``0, 1, ..., p-1, p-1, ..., 1, 0, 0, 1,
    ...``), so that when the cost grows along the axis (``C`` of an SVM, a tree's depth)
    every part gets cheap and costly values alike.
    """
    lengths = [len(v) for v in axes.values()]
    a = int(np.argmax(lengths))
    p = max(1, min(n_jobs, lengths[a]))
    v = np.arange(lengths[a])
    part = np.where((v // p) % 2 == 0, v % p, p - 1 - v % p)
    return a, [v[part == r] for r in range(p)]


def grid_search(
    fit: Callable,
    predict: Callable,
    metric: Callable,
    X: Any,
    y: Any,
    grid: Mapping[str, Sequence],
    folds: Any,
    *,
    greater_is_better: bool = True,
    sample_weight: Any = None,
    batch_size: int | None = None,
    n_jobs: int | None = 1,
) -> GridSearchResult:
    r"""Cross-validated grid search: folds x grid points in one compiled call.

    Every combination of the values in ``grid`` (their Cartesian product, ``G`` points) is
    cross-validated on the same folds, and the best point maximises (or, with
    ``greater_is_better=False``, minimises) the mean held-out score

    $$
    \bar s(\theta) = \frac1k \sum_{j=1}^k m\big(y_{T_j},\,
    \mathrm{predict}(\mathrm{fit}(X, y, w_j; \theta), X_{T_j})\big).
    $$

    The hyper-parameters are passed to ``fit`` as traced scalars, so ``fit`` must be
    jittable in them (use ``jnp`` operations, not Python control flow, on hyper-parameters).
    The ``G x k`` fits are one ``vmap`` per grid axis, nested, around a ``vmap`` over folds,
    inside one ``jax.jit``: whatever depends on only some hyper-parameters (an RBF Gram
    matrix depends on ``gamma``, not on ``C``) is computed once per value of those. Each fit
    predicts and is scored on its held-out rows only (see `cross_validate`). A fit
    whose solver has a batching rule gets the whole batch at once:
    `jaxfound.models.svm.fit` solves all ``G x k x`` (class pairs) dual problems as one
    compacted batch, each taking only its own SMO steps. The executable is cached: a
    repeated search with the same functions, labels and shapes does not recompile.

    Args:
      fit: ``fit(X, y, sample_weight, **hparams) -> params``, jittable in the hparams.
      predict: ``predict(params, X) -> predictions``.
      metric: ``metric(y_true, y_pred, sample_weight=None) -> scalar``.
      X: inputs with leading dimension ``n``.
      y: targets with leading dimension ``n``.
      grid: name -> 1-D values, e.g. ``{"C": jnp.logspace(-2, 2, 5), "gamma": ...}``.
      folds: fold masks or index pairs, as in `cross_validate`.
      greater_is_better: ``False`` for losses such as `mse`.
      sample_weight: optional ``(n,)`` weights multiplying the fold masks.
      batch_size: fit the flattened grid points ``batch_size`` at a time (a ``lax.map``,
        when memory is short; no sharing across points). Default: all at once.
      n_jobs: split the longest grid axis into this many parts (values dealt out in a
        snake order), run concurrently on threads; on a CPU each part gets a core, and is
        compiled without XLA's intra-op loop splitting (the jobs are the parallelism).
        ``-1``: one job per core. The scores are the same for every ``n_jobs``.

    Returns:
      `GridSearchResult` with per-point ``mean``/``std`` and the ``best_params``.

    Example:
      >>> import jax.numpy as jnp, numpy as np
      >>> from jaxfound.stats import mse
      >>> fit = lambda X, y, w, lam: jnp.sum(w * y) / (jnp.sum(w) + lam)   # shrunk mean
      >>> predict = lambda p, X: jnp.full(X.shape[0], p)
      >>> X, y = np.zeros((6, 1)), np.full(6, 3.0)
      >>> masks = np.array([[0, 0, 1, 1, 1, 1], [1, 1, 0, 0, 1, 1], [1, 1, 1, 1, 0, 0]])
      >>> res = grid_search(fit, predict, mse, X, y, {"lam": [0.0, 1.0, 10.0]}, masks,
      ...                   greater_is_better=False)
      >>> res.best_params
      {'lam': 0.0}
    """
    n = _check_xy(X, y, sample_weight)
    train, test = as_fold_masks(folds, n)
    if not _accepts_sample_weight(metric):
        raise errors.ValidationError(
            "grid_search needs metric(y_true, y_pred, sample_weight=...) to score held-out "
            "rows by weight; every jaxfound.stats metric has it."
        )
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise errors.ValidationError(f"batch_size={batch_size!r}: pass a positive int or None.")
    axes = _grid_axes(grid)
    jobs = _n_jobs(n_jobs)
    run = _runner(fit, predict, metric, y, tuple(axes), batch_size)
    data = (
        jax.tree_util.tree_map(jnp.asarray, X),
        None if sample_weight is None else jnp.asarray(sample_weight),
        jnp.asarray(train),
        *map(jnp.asarray, _test_rows(test)),
    )
    a, parts = _split(axes, jobs)
    calls = []
    try:
        for idx in parts:  # compile here (once per distinct part size), run below
            sub = tuple(jnp.asarray(v[idx] if i == a else v) for i, v in enumerate(axes.values()))
            calls.append((run.compiled((*data, sub), serial=len(parts) > 1), (*data, sub)))
    except _TRACE_ERRORS as e:
        raise errors.ValidationError(
            "grid_search needs fit/predict to be jittable in the data and hyper-parameters "
            f"(tracing failed: {type(e).__name__}); use cross_validate in a loop instead."
        ) from e
    if len(calls) == 1:
        outs = [calls[0][0](*calls[0][1])]
    else:
        with ThreadPoolExecutor(len(calls)) as pool:
            outs = list(pool.map(lambda c: jax.block_until_ready(c[0](*c[1])), calls))
    order = np.argsort(np.concatenate(parts))  # back to the grid's order along axis a
    scores = jnp.take(jnp.concatenate(outs, axis=a), order, axis=a)
    scores = scores.reshape(-1, scores.shape[-1])
    mean, std = jnp.mean(scores, axis=1), jnp.std(scores, axis=1)
    m = np.asarray(mean)
    if np.all(np.isnan(m)):
        raise errors.ConvergenceError("every grid point scored NaN; check fit and the grid.")
    best = int(np.nanargmax(m) if greater_is_better else np.nanargmin(m))
    points = _product(axes)
    best_params = {k: v[best].item() for k, v in points.items()}
    return GridSearchResult(points, scores, mean, std, best, best_params, float(m[best]))
