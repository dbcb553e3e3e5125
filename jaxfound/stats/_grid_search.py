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
hand-off than they gain. The scores do not depend on ``n_jobs``. The executables and the
thread pool live in `jaxfound.stats._compiled`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.base import Estimator
from jaxfound.stats import _compiled
from jaxfound.stats._cross_validation import (
    _TRACE_ERRORS,
    _check_data,
    _fold_keys,
    _masks,
    _score_fn,
    _scorer,
    _test_rows,
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


def _runner(estimator: Estimator, metric, y, names: tuple[str, ...], batch_size
            ) -> _compiled.Compiled:
    """The cached, compiled ``(X, sample_weight, train, test_idx, test_w, keys, axes) ->
    (G_1, ..., G_d, k)`` scores function of one search.

    ``X``, the masks and the fold keys are arguments (a closed-over ``X`` would be
    constant-folded by XLA at compile time); ``y`` stays a concrete NumPy constant, because
    fits may use its values to lay out their problems (e.g. one-vs-one SVM pairs). The cache
    key is the estimator (constructors are cached, so equal settings give the same one), the
    metric, the axis names, the x64 mode and the bytes of ``y``, so a repeated search on the
    same labels reuses the compiled executable.
    """
    y = np.asarray(y)
    key = (
        estimator,
        metric,
        names,
        batch_size,
        bool(jax.config.jax_enable_x64),
        y.shape,
        y.dtype.str,
        hashlib.sha1(np.ascontiguousarray(y).tobytes()).hexdigest(),
    )

    def make():
        score, _ = _scorer(estimator, metric)

        def run(X, sample_weight, train, test_idx, test_w, keys, axes):
            fold_score = _score_fn(estimator, score, X, y, sample_weight)
            over_folds = jax.vmap(fold_score, in_axes=(0, 0, 0, 0, None))
            shape = tuple(len(v) for v in axes)
            if batch_size is not None:  # lax.map over the flattened points, in chunks
                points = _product(dict(zip(names, axes)), jnp)
                out = jax.lax.map(
                    lambda hp: over_folds(train, test_idx, test_w, keys, hp),
                    points,
                    batch_size=batch_size,
                )
                return out.reshape(*shape, -1)

            def nest(level, hp):  # one vmap per axis: values shared along the other axes
                if level == len(names):
                    return over_folds(train, test_idx, test_w, keys, hp)
                return jax.vmap(lambda v: nest(level + 1, {**hp, names[level]: v}))(axes[level])

            return nest(0, {})

        return run

    return _compiled.cached(key, make)


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
    estimator: Estimator,
    grid: Mapping[str, Sequence],
    X: Any,
    y: Any,
    folds: Any,
    *,
    metric: Callable | None = None,
    greater_is_better: bool = True,
    sample_weight: Any = None,
    key: Any = None,
    batch_size: int | None = None,
    n_jobs: int | None = 1,
) -> GridSearchResult:
    r"""Cross-validated grid search of an estimator: folds x grid points in one compiled call.

    Every combination of the values in ``grid`` (their Cartesian product, ``G`` points) is
    cross-validated on the same folds, and the best point maximises (or, with
    ``greater_is_better=False``, minimises) the mean held-out score

    $$
    \bar s(\theta) = \frac1k \sum_{j=1}^k m\big(y_{T_j},\,
    \mathrm{predict}(\mathrm{fit}(X, y, w_j; \theta), X_{T_j})\big).
    $$

    The grid's names are keyword arguments of ``estimator.fit`` (its traced
    hyper-parameters: ``alpha`` of `jaxfound.models.linear.ridge`, ``C`` and ``gamma`` of
    `jaxfound.models.svm.svc`, ``depth_limit`` of a CART tree ...), passed as traced scalars,
    so ``fit`` must be jittable in them; the other hyper-parameters keep the constructor's
    values. The ``G x k`` fits are one ``vmap`` per grid axis, nested, around a ``vmap`` over
    folds, inside one ``jax.jit``: whatever depends on only some hyper-parameters (an RBF Gram
    matrix depends on ``gamma``, not on ``C``) is computed once per value of those. Each fit
    predicts and is scored on its held-out rows only (see `cross_validate`, which also gives
    the default metric). A fit whose solver has a batching rule gets the whole batch at once:
    `jaxfound.models.svm.svc` solves all ``G x k x`` (class pairs) dual problems as one
    compacted batch, each taking only its own SMO steps. The executable is cached: a repeated
    search with the same estimator, metric, labels and shapes does not recompile.

    Args:
      estimator: a `jaxfound.base.Estimator`.
      grid: name -> 1-D values, e.g. ``{"C": jnp.logspace(-2, 2, 5), "gamma": ...}``.
      X: inputs with leading dimension ``n``.
      y: targets with leading dimension ``n``.
      folds: fold masks or index pairs, as in `cross_validate`.
      metric: ``metric(y_true, y_pred, sample_weight=None) -> scalar``; default as in
        `cross_validate` (``estimator.score``, else accuracy or $R^2$).
      greater_is_better: ``False`` for losses such as `mse`.
      sample_weight: optional ``(n,)`` weights multiplying the fold masks.
      key: a ``jax.random.key``, required when ``estimator.needs_key``: fold ``i`` fits with
        ``jax.random.fold_in(key, i)``, the same for every grid point.
      batch_size: fit the flattened grid points ``batch_size`` at a time (a ``lax.map``,
        when memory is short; no sharing across points). Default: all at once.
      n_jobs: split the longest grid axis into this many parts (values dealt out in a
        snake order), run concurrently on threads; on a CPU each part gets a core, and is
        compiled without XLA's intra-op loop splitting (the jobs are the parallelism).
        ``-1``: one job per core. The scores are the same for every ``n_jobs``.

    Returns:
      `GridSearchResult` with per-point ``mean``/``std`` and the ``best_params``.

    Raises:
      ValidationError: not an `Estimator`, a missing ``key``, an empty grid, bad ``n_jobs``
        or ``batch_size``, a metric without ``sample_weight``, or a fit that cannot be traced.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import linear
      >>> from jaxfound.stats import mse
      >>> X = np.arange(6.0)[:, None]; y = 2 * X[:, 0] + np.array([.1, -.1, .2, -.2, .1, 0])
      >>> masks = np.array([[0, 0, 1, 1, 1, 1], [1, 1, 0, 0, 1, 1], [1, 1, 1, 1, 0, 0]])
      >>> res = grid_search(linear.ridge(), {"alpha": [0.0, 1.0, 100.0]}, X, y, masks,
      ...                   metric=mse, greater_is_better=False)
      >>> res.best_params, res.scores.shape
      ({'alpha': 0.0}, (3, 3))
    """
    n = _check_data(estimator, X, y, sample_weight, key)
    train, test = _masks(folds, n)
    _, weighted = _scorer(estimator, metric)
    if not weighted:
        raise errors.ValidationError(
            "grid_search needs metric(y_true, y_pred, sample_weight=...) to score held-out "
            "rows by weight; every jaxfound.stats metric has it."
        )
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise errors.ValidationError(f"batch_size={batch_size!r}: pass a positive int or None.")
    axes = _grid_axes(grid)
    jobs = _n_jobs(n_jobs)
    run = _runner(estimator, metric, y, tuple(axes), batch_size)
    data = (
        jax.tree_util.tree_map(jnp.asarray, X),
        None if sample_weight is None else jnp.asarray(sample_weight),
        jnp.asarray(train),
        *map(jnp.asarray, _test_rows(test)),
        _fold_keys(estimator, key, len(train)),
    )
    a, parts = _split(axes, jobs)
    calls = []
    try:
        for idx in parts:  # compile here (once per distinct part size), run below
            sub = tuple(jnp.asarray(v[idx] if i == a else v) for i, v in enumerate(axes.values()))
            calls.append((run.compiled((*data, sub), serial=len(parts) > 1), (*data, sub)))
    except _TRACE_ERRORS as e:
        raise errors.ValidationError(
            "grid_search needs estimator.fit/predict to be jittable in the data and "
            f"hyper-parameters (tracing failed: {type(e).__name__}); use cross_validate with "
            "vectorize=False in a loop instead."
        ) from e
    outs = _compiled.run_concurrently(calls)
    order = np.argsort(np.concatenate(parts))  # back to the grid's order along axis a
    scores = jnp.take(jnp.concatenate(outs, axis=a), order, axis=a)
    scores = scores.reshape(-1, scores.shape[-1])
    mean, std = jnp.mean(scores, axis=1), jnp.std(scores, axis=1)
    m = np.asarray(mean)
    if np.all(np.isnan(m)):
        raise errors.ConvergenceError("every grid point scored NaN; check the estimator and "
                                      "the grid.")
    best = int(np.nanargmax(m) if greater_is_better else np.nanargmin(m))
    points = _product(axes)
    best_params = {k: v[best].item() for k, v in points.items()}
    return GridSearchResult(points, scores, mean, std, best, best_params, float(m[best]))
