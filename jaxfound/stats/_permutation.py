"""Permutation tests of two samples (independent or paired), one vmapped call."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound.stats._resample import check_resamples, check_stat, chunk_size, prepare_data
from jaxfound.typing import Array, ArrayLike, PRNGKey

__all__ = ["PermutationResult", "permutation_test", "pvalue_from_null"]


class PermutationResult(NamedTuple):
    """Outcome of a permutation test.

    Attributes:
      statistic: the statistic on the observed data.
      pvalue: Monte-Carlo p-value ``(#{null as extreme} + 1) / (n_resamples + 1)``.
      null_distribution: ``(n_resamples,)`` statistic under the null.
    """

    statistic: Array
    pvalue: Array
    null_distribution: Array


def pvalue_from_null(
    observed: Array, null: Array, alternative: str = "two-sided", atol: float = 0.0
) -> Array:
    r"""Monte-Carlo p-value of ``observed`` against a null sample (scipy's conventions).

    ``"greater"``: $(\#\{t^* \ge t\} + 1)/(B + 1)$; ``"less"`` likewise with
    $\le$; ``"two-sided"``: twice the smaller of the two, capped at 1. Values within
    a relative ``1e-12`` (float64) or ``1e-5`` (float32) of ``observed``, or within
    ``atol``, count as ties.

    Examples:
      >>> import jax.numpy as jnp
      >>> round(float(pvalue_from_null(2.0, jnp.arange(10.0), "greater")), 4)
      0.8182
    """
    if alternative not in ("two-sided", "greater", "less"):
        raise errors.ValidationError(
            f"alternative={alternative!r}; use 'two-sided', 'greater' or 'less'."
        )
    null = jnp.asarray(null)
    observed = jnp.asarray(observed, null.dtype)
    rtol = 1e-12 if null.dtype == jnp.float64 else 1e-5
    tol = rtol * jnp.abs(observed) + atol
    b = null.shape[0]
    greater = (jnp.sum(null >= observed - tol) + 1) / (b + 1)
    less = (jnp.sum(null <= observed + tol) + 1) / (b + 1)
    if alternative == "greater":
        return greater
    if alternative == "less":
        return less
    return jnp.minimum(1.0, 2 * jnp.minimum(greater, less))


@partial(jax.jit, static_argnames=("stat", "paired", "n_resamples", "batch_size"))
def _null(key, x, y, stat, paired, n_resamples, batch_size):
    nx = x.shape[0]
    keys = jax.random.split(key, n_resamples)
    if paired:

        def one(k):
            flip = jax.random.bernoulli(k, 0.5, (nx,)).reshape((nx,) + (1,) * (x.ndim - 1))
            return stat(jnp.where(flip, y, x), jnp.where(flip, x, y))

    else:
        pooled = jnp.concatenate([x, y])

        def one(k):
            z = jax.random.permutation(k, pooled, axis=0)
            return stat(z[:nx], z[nx:])

    return jax.lax.map(one, keys, batch_size=batch_size)


def permutation_test(
    key: PRNGKey,
    stat: Callable[[Array, Array], Array],
    x: ArrayLike,
    y: ArrayLike,
    *,
    paired: bool = False,
    n_resamples: int = 10_000,
    alternative: str = "two-sided",
    batch_size: int | None = None,
) -> PermutationResult:
    r"""Permutation test of ``stat(x, y)`` against exchangeability of the two samples.

    Independent samples (``paired=False``): the pooled rows are shuffled and split back
    into sizes ``len(x)``, ``len(y)``. Paired samples (``paired=True``): each pair
    ``(x_i, y_i)`` is swapped with probability 1/2 (scipy's ``permutation_type="samples"``).
    All ``n_resamples`` shuffles run as one compiled ``vmap`` (chunked by ``lax.map``).

    Args:
      key: PRNG key.
      stat: jittable ``stat(x, y) -> scalar``, e.g. a difference of means.
      x: first sample (rows are observations).
      y: second sample; the same length as ``x`` when ``paired``.
      paired: paired design (see above).
      n_resamples: number of random permutations.
      alternative: ``"two-sided"``, ``"greater"`` (large statistics are evidence) or
        ``"less"``.
      batch_size: permutations per vmapped chunk.

    Returns:
      `PermutationResult` ``(statistic, pvalue, null_distribution)``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> diff = lambda a, b: jnp.mean(a) - jnp.mean(b)
      >>> x, y = jnp.arange(10.0) + 5, jnp.arange(10.0)
      >>> res = permutation_test(jax.random.key(0), diff, x, y, n_resamples=999)
      >>> bool(res.pvalue < 0.05)
      True
    """
    (x,), _, nx = prepare_data(x, "x", min_rows=1)
    (y,), _, ny = prepare_data(y, "y", min_rows=1)
    if x.shape[1:] != y.shape[1:]:
        raise errors.ShapeError(f"x rows have shape {x.shape[1:]} but y rows {y.shape[1:]}.")
    if paired and nx != ny:
        raise errors.ShapeError(f"paired samples need equal lengths, got {nx} and {ny}.")
    check_stat(stat, (x, y), True)
    n_resamples = check_resamples(n_resamples)
    dtype = jnp.result_type(x.dtype, y.dtype)
    x, y = x.astype(dtype), y.astype(dtype)
    bs = chunk_size(n_resamples, nx + ny, batch_size)
    null = _null(key, x, y, stat, bool(paired), n_resamples, bs)
    observed = jnp.asarray(stat(x, y), null.dtype)
    return PermutationResult(observed, pvalue_from_null(observed, null, alternative), null)
