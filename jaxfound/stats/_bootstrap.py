"""Bootstrap confidence intervals (percentile, basic, BCa) as one chunked vmap."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr, ndtri

from jaxfound import errors
from jaxfound.stats._resample import (
    HASH_MAX_N,
    RowGather,
    call_stat,
    check_level,
    check_resamples,
    check_stat,
    chunk_size,
    hash_indices,
    prepare_data,
    row_width,
)
from jaxfound.typing import Array, PRNGKey

__all__ = [
    "BootstrapResult",
    "bootstrap",
    "bootstrap_distribution",
    "jackknife",
    "resample_indices",
]

METHODS = ("percentile", "basic", "bca")
SAMPLERS = ("hash", "threefry")


class BootstrapResult(NamedTuple):
    """A bootstrap confidence interval.

    Attributes:
      low: the interval's lower end point.
      high: the interval's upper end point.
      estimate: the statistic on the original data.
      standard_error: standard deviation of the bootstrap distribution (``ddof=1``).
      distribution: ``(n_resamples,)`` values of the statistic on the resamples.
    """

    low: Array
    high: Array
    estimate: Array
    standard_error: Array
    distribution: Array


def resample_indices(key: PRNGKey, n_resamples: int, n: int, sampler: str = "hash"):
    """``(seeds, draw)``: per-resample seeds and ``draw(seed) -> (n,)`` row indices."""
    if sampler not in SAMPLERS:
        raise errors.ValidationError(f"sampler={sampler!r}; use 'hash' or 'threefry'.")
    if sampler == "hash" and n <= HASH_MAX_N:
        return jax.random.bits(key, (n_resamples, 2), jnp.uint32), lambda s: hash_indices(s, n)
    draw = lambda k: jax.random.randint(k, (n,), 0, n)
    return jax.random.split(key, n_resamples), draw


def _distribution_impl(key, arrays, stat, was_tuple, n_resamples, batch_size, sampler):
    # gathering rows of one stacked (n, width) array is 2-4x faster on CPU than gathering
    # each 1-D array separately (XLA's scalar gathers are slow)
    rows = RowGather.build(arrays)
    seeds, draw = resample_indices(key, n_resamples, arrays[0].shape[0], sampler)

    def one(seed):
        return call_stat(stat, rows.take(rows.stacked, draw(seed)), was_tuple)

    return jax.lax.map(one, seeds, batch_size=batch_size)


def _jackknife_impl(arrays, stat, was_tuple, batch_size):
    n = arrays[0].shape[0]
    rows = RowGather.build(arrays)
    doubled = tuple(jnp.concatenate([s, s]) for s in rows.stacked)

    def one(i):  # rows i+1, ..., n-1, 0, ..., i-1: every row but i (rotated)
        take = lambda a: jax.lax.dynamic_slice_in_dim(a, i + 1, n - 1, axis=0)
        return call_stat(stat, rows.take(doubled, take), was_tuple)

    return jax.lax.map(one, jnp.arange(n), batch_size=batch_size)


_distribution = jax.jit(
    _distribution_impl,
    static_argnames=("stat", "was_tuple", "n_resamples", "batch_size", "sampler"),
)
_jackknife = jax.jit(_jackknife_impl, static_argnames=("stat", "was_tuple", "batch_size"))


@partial(jax.jit, static_argnames=(
    "stat", "was_tuple", "n_resamples", "batch_size", "jack_batch", "sampler", "method", "level"
))
def _bootstrap(key, arrays, stat, was_tuple, n_resamples, batch_size, jack_batch, sampler,
               method, level):
    """The whole interval in one compiled call (no eager dispatch between the steps)."""
    dist = _distribution_impl(key, arrays, stat, was_tuple, n_resamples, batch_size, sampler)
    theta = jnp.asarray(call_stat(stat, arrays, was_tuple), dist.dtype)
    alpha = (1 - level) / 2
    if method == "bca":
        jack = _jackknife_impl(arrays, stat, was_tuple, jack_batch).astype(dist.dtype)
        levels = _bca_levels(dist, theta, jack, alpha)
    else:
        levels = jnp.array([alpha, 1 - alpha], dist.dtype)
    low, high = jnp.quantile(dist, levels)
    if method == "basic":
        low, high = 2 * theta - high, 2 * theta - low
    return BootstrapResult(low, high, theta, jnp.std(dist, ddof=1), dist)


def bootstrap_distribution(
    key: PRNGKey,
    stat: Callable,
    data: Any,
    n_resamples: int = 10_000,
    *,
    batch_size: int | None = None,
    sampler: str = "hash",
) -> Array:
    """Values of ``stat`` on ``n_resamples`` resamples (rows drawn with replacement).

    One compiled ``vmap`` over resamples, run in chunks of ``batch_size`` by ``lax.map``
    (default: chunks of about 16 M gathered elements).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> d = bootstrap_distribution(jax.random.key(0), jnp.mean, jnp.arange(10.0), 100)
      >>> d.shape
      (100,)
    """
    arrays, was_tuple, n = prepare_data(data)
    check_stat(stat, arrays, was_tuple)
    n_resamples = check_resamples(n_resamples)
    bs = chunk_size(n_resamples, n * row_width(arrays), batch_size)
    resample_indices(key, 1, n, sampler)  # validates sampler
    return _distribution(key, arrays, stat, was_tuple, n_resamples, bs, sampler)


def jackknife(stat: Callable, data: Any, *, batch_size: int | None = None) -> Array:
    r"""Leave-one-out values $\hat\theta_{(i)}$ of ``stat`` (one vmapped call).

    The ``n - 1`` remaining rows reach ``stat`` rotated (rows ``i+1, …, n-1, 0, …, i-1``),
    so ``stat`` must be symmetric in its rows.

    Examples:
      >>> import jax.numpy as jnp
      >>> jackknife(jnp.mean, jnp.array([1.0, 2.0, 3.0])).tolist()
      [2.5, 2.0, 1.5]
    """
    arrays, was_tuple, n = prepare_data(data)
    check_stat(stat, arrays, was_tuple)
    width = row_width(arrays)
    return _jackknife(arrays, stat, was_tuple, chunk_size(n, n * width, batch_size))


def _bca_levels(dist, theta, theta_jack, alpha):
    """BCa's adjusted quantile levels (Efron & Tibshirani 1993, eq. 14.10, 14.15)."""
    b = dist.shape[0]
    frac = (jnp.sum(dist < theta) + jnp.sum(dist <= theta)) / (2 * b)
    z0 = ndtri(frac)
    d = jnp.mean(theta_jack) - theta_jack
    a = jnp.sum(d**3) / (6 * jnp.sum(d**2) ** 1.5)
    z = ndtri(jnp.array([alpha, 1 - alpha], dist.dtype))
    return ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))


def bootstrap(
    key: PRNGKey,
    stat: Callable,
    data: Any,
    *,
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    method: str = "bca",
    batch_size: int | None = None,
    sampler: str = "hash",
) -> BootstrapResult:
    r"""Bootstrap confidence interval of a scalar statistic.

    Rows of ``data`` are resampled with replacement ``n_resamples`` times and the
    statistic recomputed on each, as ONE compiled ``vmap`` over resamples (chunked by
    ``lax.map``). With $\alpha = (1 - \text{level})/2$ and $\hat G$ the
    bootstrap distribution:

    * ``"percentile"``: $[\hat G^{-1}(\alpha),\ \hat G^{-1}(1-\alpha)]$.
    * ``"basic"``: $[2\hat\theta - \hat G^{-1}(1-\alpha),\
      2\hat\theta - \hat G^{-1}(\alpha)]$.
    * ``"bca"`` (bias-corrected and accelerated, Efron 1987): quantile levels
      $\Phi\big(z_0 + \frac{z_0 + z_\alpha}{1 - a(z_0 + z_\alpha)}\big)$ with bias
      correction $z_0 = \Phi^{-1}(\hat G(\hat\theta))$ and acceleration
      $a = \frac{\sum_i d_i^3}{6(\sum_i d_i^2)^{3/2}}$,
      $d_i = \bar\theta_{(\cdot)} - \hat\theta_{(i)}$ from the jackknife (n more
      evaluations of the statistic, also one vmapped call).

    The same conventions as ``scipy.stats.bootstrap`` (quantiles by linear interpolation,
    mid-rank for $\hat G(\hat\theta)$), so intervals agree to Monte-Carlo error.

    Args:
      key: PRNG key; the same key gives the same interval.
      stat: jittable statistic returning a scalar: ``stat(x)`` for an array ``data``, or
        ``stat(x, y, ...)`` for a tuple ``data`` of paired arrays (rows are resampled
        together, e.g. a regression slope of ``(x, y)``).
      data: an array ``(n, ...)`` or a tuple of arrays sharing the leading size ``n``.
      n_resamples: number of bootstrap resamples.
      confidence_level: e.g. ``0.95``.
      method: ``"bca"`` (default), ``"percentile"`` or ``"basic"``.
      batch_size: resamples per vmapped chunk (default: about 16 M gathered elements).
      sampler: how row indices are drawn. ``"hash"`` (default, for ``n <= 2**20``): a
        counter-based 32-bit hash seeded per resample by ``jax.random.bits`` (see
        `jaxfound.stats._resample.hash_indices`), ~6x cheaper on CPU; ``"threefry"``:
        ``jax.random.randint`` with a split key per resample.

    The statistic must not depend on the order of the rows (the jackknife passes them
    rotated); every statistic of i.i.d. rows that the bootstrap is valid for qualifies.

    Returns:
      `BootstrapResult` ``(low, high, estimate, standard_error, distribution)``.
      A degenerate distribution (e.g. a constant statistic) gives NaN BCa end points.

    Raises:
      ShapeError: ``stat`` does not return a scalar or paired arrays differ in length.
      EmptyDataError: fewer than two rows. NonFiniteError: NaN/inf in the data.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> x = jax.random.normal(jax.random.key(1), (500,))
      >>> res = bootstrap(jax.random.key(0), jnp.mean, x, n_resamples=2000)
      >>> bool(res.low < jnp.mean(x) < res.high)
      True
    """
    if method not in METHODS:
        raise errors.ValidationError(f"method={method!r}; use 'bca', 'percentile' or 'basic'.")
    level = check_level(confidence_level)
    arrays, was_tuple, n = prepare_data(data)
    check_stat(stat, arrays, was_tuple)
    n_resamples = check_resamples(n_resamples)
    if sampler not in SAMPLERS:
        raise errors.ValidationError(f"sampler={sampler!r}; use 'hash' or 'threefry'.")
    width = row_width(arrays)
    return _bootstrap(key, arrays, stat, was_tuple, n_resamples,
                      chunk_size(n_resamples, n * width, batch_size),
                      chunk_size(n, n * width, batch_size), sampler, method, level)
