"""Bootstrap intervals against scipy.stats.bootstrap (within Monte-Carlo error)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxfound import errors
from jaxfound.stats import bootstrap, bootstrap_distribution, jackknife
from jaxfound.stats._resample import hash_indices

B = 20_000


def slope(x, y):
    xc = x - jnp.mean(x)
    return jnp.sum(xc * (y - jnp.mean(y))) / jnp.sum(xc**2)


def np_slope(x, y, axis=-1):
    xc = x - x.mean(axis, keepdims=True)
    return (xc * (y - y.mean(axis, keepdims=True))).sum(axis) / (xc**2).sum(axis)


@pytest.fixture
def skewed():
    return np.random.default_rng(0).exponential(size=300)


@pytest.mark.parametrize("method", ["bca", "percentile", "basic"])
def test_mean_interval_matches_scipy(skewed, method):
    with jax.enable_x64(True):
        res = bootstrap(jax.random.key(0), jnp.mean, skewed, n_resamples=B, method=method)
    ref = stats.bootstrap((skewed,), np.mean, n_resamples=B, method=method, rng=0)
    se = ref.standard_error
    # Monte-Carlo sd of a 2.5% quantile with B = 20,000 is about 0.02 SE per end point
    assert abs(float(res.low) - ref.confidence_interval.low) < 0.12 * se
    assert abs(float(res.high) - ref.confidence_interval.high) < 0.12 * se
    assert float(res.standard_error) == pytest.approx(se, rel=0.03)
    assert float(res.estimate) == pytest.approx(skewed.mean(), rel=1e-12)
    assert res.distribution.shape == (B,)


def test_bca_differs_from_percentile_for_skewed_statistic(skewed):
    # the BCa shift is real (variance of a skewed sample), so the comparison is not vacuous
    var = lambda x: jnp.var(x, ddof=1)
    with jax.enable_x64(True):
        bca = bootstrap(jax.random.key(1), var, skewed, n_resamples=B)
        pct = bootstrap(jax.random.key(1), var, skewed, n_resamples=B, method="percentile")
    ref = stats.bootstrap((skewed,), lambda x, axis: np.var(x, ddof=1, axis=axis),
                          n_resamples=B, method="BCa", rng=1)
    se = ref.standard_error
    assert abs(float(bca.high) - float(pct.high)) > 0.2 * se
    assert abs(float(bca.low) - ref.confidence_interval.low) < 0.12 * se
    assert abs(float(bca.high) - ref.confidence_interval.high) < 0.12 * se


def test_paired_slope_matches_scipy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=400)
    y = 2.0 * x + rng.standard_t(3, size=400)
    with jax.enable_x64(True):
        res = bootstrap(jax.random.key(3), slope, (x, y), n_resamples=B)
    ref = stats.bootstrap((x, y), np_slope, paired=True, vectorized=True, n_resamples=B,
                          method="BCa", rng=3)
    se = ref.standard_error
    assert float(res.estimate) == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-10)
    assert abs(float(res.low) - ref.confidence_interval.low) < 0.12 * se
    assert abs(float(res.high) - ref.confidence_interval.high) < 0.12 * se


def test_float32_standard_error_of_mean(skewed):
    res = bootstrap(jax.random.key(0), jnp.mean, skewed.astype(np.float32), n_resamples=5000)
    assert res.low.dtype == jnp.float32
    assert float(res.standard_error) == pytest.approx(skewed.std() / np.sqrt(300), rel=0.05)
    assert float(res.low) < skewed.mean() < float(res.high)


def test_jackknife_matches_loop(skewed):
    with jax.enable_x64(True):
        got = jackknife(lambda x: jnp.var(x), skewed[:50])
        pair = jackknife(slope, (skewed[:40], skewed[:40] ** 2))
    ref = [np.var(np.delete(skewed[:50], i)) for i in range(50)]
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    ref = [np_slope(np.delete(skewed[:40], i), np.delete(skewed[:40] ** 2, i)) for i in range(40)]
    np.testing.assert_allclose(pair, ref, rtol=1e-10)


def test_reproducible_and_chunking_invariant(skewed):
    a = bootstrap_distribution(jax.random.key(5), jnp.mean, skewed, 1000)
    b = bootstrap_distribution(jax.random.key(5), jnp.mean, skewed, 1000, batch_size=7)
    c = bootstrap_distribution(jax.random.key(6), jnp.mean, skewed, 1000)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("sampler", ["hash", "threefry"])
def test_resample_indices_are_uniform(sampler):
    n = 1000
    d = bootstrap_distribution(jax.random.key(0), lambda x: jnp.mean(x), np.arange(n) * 1.0, 4000,
                               sampler=sampler)
    # mean of a resampled 0..n-1 has mean (n-1)/2 and sd sqrt((n^2-1)/12 / n)
    sd = np.sqrt((n**2 - 1) / 12 / n)
    assert abs(float(jnp.mean(d)) - (n - 1) / 2) < 4 * sd / np.sqrt(4000)
    assert float(jnp.std(d)) == pytest.approx(sd, rel=0.05)


def test_hash_indices_chi_square_and_distinct_streams():
    n = 500
    seeds = jax.random.bits(jax.random.key(0), (400, 2), jnp.uint32)
    idx = np.asarray(jax.vmap(lambda s: hash_indices(s, n))(seeds))
    assert idx.min() >= 0 and idx.max() < n
    counts = np.bincount(idx.ravel(), minlength=n)
    assert stats.chisquare(counts).pvalue > 1e-3
    unique = np.mean([len(np.unique(r)) / n for r in idx])  # 1 - 1/e for a bootstrap sample
    assert unique == pytest.approx(1 - np.exp(-1), abs=0.01)
    r = np.corrcoef(idx[:-1].ravel(), idx[1:].ravel())[0, 1]  # consecutive resamples
    assert abs(r) < 0.01
    big = np.asarray(hash_indices(seeds[0], 1_000_000))  # 32-bit multiply-high above 2**16
    assert big.min() >= 0 and big.max() < 1_000_000 and abs(big.mean() / 1e6 - 0.5) < 0.002


def test_degenerate_statistic_gives_nan_bca():
    res = bootstrap(jax.random.key(0), jnp.mean, np.ones(20), n_resamples=100)
    assert np.isnan(float(res.low)) or float(res.low) == 1.0


def test_bad_input(skewed):
    key = jax.random.key(0)
    x0 = skewed.copy()
    with pytest.raises(errors.ShapeError, match="scalar"):
        bootstrap(key, lambda x: x[:2], skewed)
    with pytest.raises(errors.EmptyDataError):
        bootstrap(key, jnp.mean, skewed[:1])
    with pytest.raises(errors.NonFiniteError):
        bootstrap(key, jnp.mean, np.array([1.0, np.nan, 2.0]))
    with pytest.raises(errors.ShapeError, match="lengths"):
        bootstrap(key, slope, (skewed, skewed[:-1]))
    with pytest.raises(errors.ValidationError, match="method"):
        bootstrap(key, jnp.mean, skewed, method="bc")
    with pytest.raises(errors.ValidationError, match="confidence_level"):
        bootstrap(key, jnp.mean, skewed, confidence_level=95)
    with pytest.raises(errors.ValidationError, match="n_resamples"):
        bootstrap(key, jnp.mean, skewed, n_resamples=1)
    with pytest.raises(errors.ValidationError, match="sampler"):
        bootstrap(key, jnp.mean, skewed, sampler="mt")
    with pytest.raises(errors.DTypeError):
        bootstrap(key, jnp.mean, np.array(["a", "b"]))
    np.testing.assert_array_equal(skewed, x0)
