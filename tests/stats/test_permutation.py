"""Permutation tests against scipy's exact permutation distributions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxfound import errors
from jaxfound.stats import permutation_test, pvalue_from_null


def diff(a, b):
    return jnp.mean(a) - jnp.mean(b)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_independent_matches_scipy_exact(alternative):
    rng = np.random.default_rng(0)
    x, y = rng.normal(0.8, 1, 7), rng.normal(0, 1, 6)   # 1716 splits: scipy is exact
    with jax.enable_x64(True):
        res = permutation_test(jax.random.key(0), diff, x, y, n_resamples=20_000,
                               alternative=alternative)
    ref = stats.permutation_test((x, y), lambda a, b: a.mean() - b.mean(), n_resamples=10**6,
                                 alternative=alternative, vectorized=False)
    assert float(res.statistic) == pytest.approx(ref.statistic, rel=1e-12)
    # Monte-Carlo sd of a p-value estimate from 20,000 draws is at most 0.0035
    assert abs(float(res.pvalue) - ref.pvalue) < 0.015


def test_paired_matches_scipy_exact():
    rng = np.random.default_rng(1)
    x = rng.normal(size=9)
    y = x + rng.normal(0.5, 0.7, 9)                      # 512 sign patterns: scipy is exact
    with jax.enable_x64(True):
        res = permutation_test(jax.random.key(1), diff, x, y, paired=True, n_resamples=20_000)
    ref = stats.permutation_test((x, y), lambda a, b: a.mean() - b.mean(),
                                 permutation_type="samples", n_resamples=10**6, vectorized=False)
    assert abs(float(res.pvalue) - ref.pvalue) < 0.015


def test_null_is_centred_and_p_uniform_under_null():
    # under H0 with a symmetric statistic the null distribution is centred on 0
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=30), rng.normal(size=40)
    res = permutation_test(jax.random.key(2), diff, x, y, n_resamples=4000)
    assert abs(float(jnp.mean(res.null_distribution))) < 0.02
    assert 0 < float(res.pvalue) <= 1


def test_pvalue_from_null_conventions():
    null = jnp.arange(10.0)
    assert float(pvalue_from_null(9.0, null, "greater")) == pytest.approx(2 / 11)
    assert float(pvalue_from_null(0.0, null, "less")) == pytest.approx(2 / 11)
    assert float(pvalue_from_null(4.5, null)) == 1.0
    with pytest.raises(errors.ValidationError):
        pvalue_from_null(1.0, null, "both")


def test_bad_input():
    x = np.ones(5)
    x0 = x.copy()
    with pytest.raises(errors.ShapeError):
        permutation_test(jax.random.key(0), diff, x, np.ones(4), paired=True)
    with pytest.raises(errors.EmptyDataError):
        permutation_test(jax.random.key(0), diff, x, np.ones(0))
    with pytest.raises(errors.NonFiniteError):
        permutation_test(jax.random.key(0), diff, x, np.array([1.0, np.inf]))
    np.testing.assert_array_equal(x, x0)
