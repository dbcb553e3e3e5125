"""Paired comparison of two models on the same test set: McNemar, paired bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp
from jax.scipy.special import betainc, erfc

from jaxfound import _validate, errors
from jaxfound.stats._bootstrap import bootstrap
from jaxfound.stats._classification import _as_labels
from jaxfound.stats._permutation import pvalue_from_null
from jaxfound.typing import Array, ArrayLike, PRNGKey

__all__ = ["McNemarResult", "PairedComparison", "mcnemar", "paired_bootstrap"]


class McNemarResult(NamedTuple):
    """McNemar's test.

    Attributes:
      statistic: ``min(b, c)`` (exact test) or the chi-square statistic (asymptotic).
      pvalue: two-sided p-value.
      b: examples model A gets right and model B wrong.
      c: examples model A gets wrong and model B right.
    """

    statistic: Array
    pvalue: Array
    b: Array
    c: Array


def _binom_cdf_half(k: Array, n: Array) -> Array:
    """$P(X \\le k)$ for $X \\sim \\mathrm{Binomial}(n, 1/2)$ (regularised beta)."""
    safe = jnp.where(k < n, n - k, 1.0)
    return jnp.where(k >= n, 1.0, betainc(safe, k + 1.0, 0.5))


def mcnemar(
    y_true: ArrayLike,
    pred_a: ArrayLike,
    pred_b: ArrayLike,
    *,
    exact: bool = True,
    correction: bool = True,
) -> McNemarResult:
    r"""McNemar's test that two classifiers have the same error rate on paired examples.

    With $b$ = #(A right, B wrong) and $c$ = #(A wrong, B right):

    * exact: $p = \min\{1,\ 2\,P(X \le \min(b, c))\}$ with
      $X\sim\mathrm{Bin}(b+c,\tfrac12)$;
    * asymptotic: $\chi^2 = (|b - c| - 1)^2/(b + c)$ (without the ``-1`` when
      ``correction=False``), $p = P(\chi^2_1 \ge \chi^2)$.

    Args:
      y_true: labels ``(n,)``.
      pred_a: model A's labels ``(n,)`` or class scores ``(n, k)``.
      pred_b: model B's labels or class scores.
      exact: exact binomial test (default; use for small ``b + c``) or chi-square.
      correction: continuity correction of the chi-square statistic.

    Returns:
      `McNemarResult` ``(statistic, pvalue, b, c)``; ``b + c = 0`` gives p = 1.

    Examples:
      >>> import jax.numpy as jnp
      >>> y = jnp.zeros(20, int)
      >>> a, b = jnp.zeros(20, int), jnp.zeros(20, int).at[:9].set(1)
      >>> round(float(mcnemar(y, a, b).pvalue), 4)
      0.0039
    """
    y_true, pred_a = _validate.prediction_pair(
        y_true, pred_a, allow_scores=True, names=("y_true", "pred_a")
    )
    y_true, pred_b = _validate.prediction_pair(
        y_true, pred_b, allow_scores=True, names=("y_true", "pred_b")
    )
    ok_a = _as_labels(y_true, pred_a) == y_true
    ok_b = _as_labels(y_true, pred_b) == y_true
    b = jnp.sum(ok_a & ~ok_b).astype(jnp.result_type(float))
    c = jnp.sum(~ok_a & ok_b).astype(b.dtype)
    n = b + c
    if exact:
        stat = jnp.minimum(b, c)
        p = jnp.minimum(1.0, 2 * _binom_cdf_half(stat, n))
    else:
        num = jnp.maximum(jnp.abs(b - c) - (1.0 if correction else 0.0), 0.0) ** 2
        stat = jnp.where(n > 0, num / jnp.where(n > 0, n, 1.0), 0.0)
        p = erfc(jnp.sqrt(stat / 2))
    return McNemarResult(stat, jnp.where(n > 0, p, 1.0), b, c)


class PairedComparison(NamedTuple):
    """Bootstrap comparison of a metric between two models on the same examples.

    Attributes:
      difference: ``metric(y, pred_a) - metric(y, pred_b)`` on the full data.
      low: lower end of the confidence interval of the difference.
      high: upper end of the confidence interval of the difference.
      standard_error: bootstrap standard error of the difference.
      pvalue: two-sided bootstrap p-value of "no difference" (percentile inversion:
        twice the smaller tail mass of the bootstrap distribution beyond 0).
      distribution: ``(n_resamples,)`` bootstrap differences.
    """

    difference: Array
    low: Array
    high: Array
    standard_error: Array
    pvalue: Array
    distribution: Array


def paired_bootstrap(
    key: PRNGKey,
    metric: Callable,
    y_true: ArrayLike,
    pred_a: ArrayLike,
    pred_b: ArrayLike,
    *,
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    method: str = "bca",
    batch_size: int | None = None,
) -> PairedComparison:
    r"""Paired bootstrap of a metric difference $m(y, \hat y_A) - m(y, \hat y_B)$.

    The examples (rows of ``y_true``, ``pred_a``, ``pred_b`` together) are resampled, so
    the correlation between the two models' errors is kept (unlike comparing two separate
    intervals). The interval comes from `bootstrap`.

    Args:
      key: PRNG key.
      metric: jittable ``metric(y_true, y_pred) -> scalar``, e.g. `accuracy`
        (bind static arguments first, e.g. ``partial(f1_score, n_classes=10)``).
      y_true: targets ``(n, ...)``.
      pred_a: model A's predictions (same number of rows).
      pred_b: model B's predictions.
      n_resamples: number of bootstrap resamples.
      confidence_level: e.g. ``0.95``.
      method: ``"bca"``, ``"percentile"`` or ``"basic"`` (see `bootstrap`).
      batch_size: resamples per vmapped chunk.

    Returns:
      `PairedComparison`.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.stats import accuracy
      >>> y = jnp.arange(200) % 2
      >>> a = y.at[:10].set(1 - y[:10])           # 95% accurate
      >>> b = y.at[:60].set(1 - y[:60])           # 70% accurate
      >>> res = paired_bootstrap(jax.random.key(0), accuracy, y, a, b, n_resamples=2000)
      >>> round(float(res.difference), 2), bool(res.low > 0)
      (0.25, True)
    """
    data = (y_true, pred_a, pred_b)
    lengths = {jnp.shape(d)[0] if jnp.ndim(d) else None for d in data}
    if len(lengths) != 1 or None in lengths:
        raise errors.ShapeError(
            "y_true, pred_a and pred_b must have the same number of rows (one per example)."
        )
    res = bootstrap(key, _Diff(metric), data, n_resamples=n_resamples,
                    confidence_level=confidence_level, method=method, batch_size=batch_size)
    # differences within rounding of 0 (e.g. identical models) are ties, not evidence
    dist = res.distribution
    rtol = 1e-12 if dist.dtype == jnp.float64 else 1e-5
    scale = jnp.abs(metric(y_true, pred_a)) + jnp.abs(metric(y_true, pred_b))
    p = pvalue_from_null(jnp.zeros((), dist.dtype), dist, atol=rtol * scale)
    return PairedComparison(res.estimate, res.low, res.high, res.standard_error, p,
                            res.distribution)


class _Diff(NamedTuple):
    """Hashable ``(y, a, b) -> metric(y, a) - metric(y, b)`` (jit caches on it)."""

    metric: Callable

    def __call__(self, y, a, b):
        return self.metric(y, a) - self.metric(y, b)
