"""MLE fits against closed forms (normal, Poisson, exponential) and scipy (gamma)."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy import stats as jstats
from scipy import stats

from jaxfound import errors
from jaxfound.stats import aic, bic, fit_mle


def normal_ll(p, x):
    return jnp.sum(jstats.norm.logpdf(x, p["mu"], p["sigma"]))


def test_normal_closed_form():
    x = np.random.default_rng(0).normal(2.0, 3.0, 500)
    n = len(x)
    with jax.enable_x64(True):
        res = fit_mle(normal_ll, {"mu": 0.0, "sigma": 1.0}, x, tol=1e-10)
    mu, sigma = x.mean(), x.std()
    assert bool(res.converged)
    np.testing.assert_allclose(res.params["mu"], mu, rtol=1e-8)
    np.testing.assert_allclose(res.params["sigma"], sigma, rtol=1e-8)
    # observed information of (mu, sigma) at the MLE: diag(n / s^2, 2n / s^2)
    np.testing.assert_allclose(res.stderr["mu"], sigma / np.sqrt(n), rtol=1e-6)
    np.testing.assert_allclose(res.stderr["sigma"], sigma / np.sqrt(2 * n), rtol=1e-6)
    ll = stats.norm.logpdf(x, mu, sigma).sum()
    np.testing.assert_allclose(res.log_likelihood, ll, rtol=1e-10)
    np.testing.assert_allclose(res.aic, 4 - 2 * ll, rtol=1e-10)
    np.testing.assert_allclose(res.bic, 2 * np.log(n) - 2 * ll, rtol=1e-10)
    assert (res.n_params, res.n_obs) == (2, n)


@pytest.mark.slow  # several jit compiles: ~10 s on a loaded 2-core machine
def test_poisson_and_exponential_closed_form():
    rng = np.random.default_rng(1)
    counts = rng.poisson(4.2, 300).astype(float)
    waits = rng.exponential(1 / 0.7, 300)
    with jax.enable_x64(True):
        pois = fit_mle(lambda p, k: jnp.sum(jstats.poisson.logpmf(k, p)), jnp.array(1.0), counts,
                       tol=1e-10)
        expo = fit_mle(lambda p, t: jnp.sum(jnp.log(p["rate"]) - p["rate"] * t),
                       {"rate": jnp.array(1.0)}, waits, tol=1e-10)
    lam = counts.mean()
    np.testing.assert_allclose(pois.params, lam, rtol=1e-8)
    np.testing.assert_allclose(pois.stderr, np.sqrt(lam / 300), rtol=1e-6)
    rate = 1 / waits.mean()
    np.testing.assert_allclose(expo.params["rate"], rate, rtol=1e-8)
    np.testing.assert_allclose(expo.stderr["rate"], rate / np.sqrt(300), rtol=1e-6)


@pytest.mark.slow  # several jit compiles: ~10 s on a loaded 2-core machine
def test_gamma_matches_scipy_fit():
    x = np.random.default_rng(2).gamma(2.5, 1.7, 800)

    def ll(p, x):  # log-parametrised: unconstrained
        return jnp.sum(jstats.gamma.logpdf(x, jnp.exp(p[0]), scale=jnp.exp(p[1])))

    with jax.enable_x64(True):
        res = fit_mle(ll, jnp.zeros(2), x, tol=1e-9)
    a, _, scale = stats.gamma.fit(x, floc=0)
    np.testing.assert_allclose(np.exp(res.params), [a, scale], rtol=1e-5)
    np.testing.assert_allclose(res.log_likelihood, stats.gamma.logpdf(x, a, scale=scale).sum(),
                               rtol=1e-9)
    # standard errors from the Hessian agree with a finite-difference Hessian
    def nll(v):
        return -stats.gamma.logpdf(x, np.exp(v[0]), scale=np.exp(v[1])).sum()
    v, h = np.asarray(res.params), 1e-4
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * h, np.eye(2)[j] * h
            H[i, j] = (nll(v + e_i + e_j) - nll(v + e_i - e_j) - nll(v - e_i + e_j)
                       + nll(v - e_i - e_j)) / (4 * h * h)
    np.testing.assert_allclose(np.asarray(res.cov), np.linalg.inv(H), rtol=1e-4)


@pytest.mark.slow  # several jit compiles: ~10 s on a loaded 2-core machine
def test_float32_and_aic_bic_model_selection():
    x = np.random.default_rng(3).normal(1.0, 2.0, 400).astype(np.float32)
    full = fit_mle(normal_ll, {"mu": 0.0, "sigma": 1.0}, x)
    fixed = fit_mle(lambda p, x: normal_ll({"mu": 0.0, "sigma": p}, x), 1.0, x)
    assert full.params["mu"].dtype == jnp.float32
    np.testing.assert_allclose(full.params["mu"], x.mean(), rtol=1e-4)
    assert float(full.aic) < float(fixed.aic) and float(full.bic) < float(fixed.bic)
    assert float(aic(-10.0, 3)) == 26.0
    assert float(bic(-10.0, 3, np.e**2)) == pytest.approx(26.0)


def test_unidentified_parameter_warns_and_gives_nan_stderr():
    x = np.random.default_rng(4).normal(size=50)
    ll = lambda p, x: normal_ll({"mu": p["a"] + p["b"], "sigma": 1.0}, x)
    with pytest.warns(RuntimeWarning, match="not positive definite"):
        res = fit_mle(ll, {"a": 0.0, "b": 0.0}, x)
    assert np.isnan(float(res.stderr["a"]))
    np.testing.assert_allclose(res.params["a"] + res.params["b"], x.mean(), rtol=1e-4)


def test_bad_input():
    x = np.ones(5)
    with pytest.raises(errors.ShapeError, match="scalar"):
        fit_mle(lambda p, x: p * x, 1.0, x)
    with pytest.raises(errors.NonFiniteError):
        fit_mle(lambda p, x: jnp.sum(jnp.log(p) * x), -1.0, x)
    with pytest.raises(errors.ValidationError):
        fit_mle(lambda p, x: jnp.sum(x), {}, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_mle(lambda p, x: -jnp.sum((x - p) ** 2), 0.0, x)
    assert float(res.params) == pytest.approx(1.0, abs=1e-5)
