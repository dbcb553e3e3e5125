"""Least squares, ridge and inference against scikit-learn and closed forms (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats as sps
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, Ridge

from jaxfound import errors
from jaxfound.models import linear

RTOL = 1e-5


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def weights(diabetes):
    return np.random.default_rng(0).uniform(0.2, 3.0, size=diabetes[0].shape[0])


def _close(a, b, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=rtol * np.abs(b).max())


@pytest.mark.parametrize("use_weight", [False, True])
def test_ols_matches_sklearn(diabetes, weights, use_weight):
    X, y = diabetes
    sw = weights if use_weight else None
    ref = LinearRegression().fit(X, y, sample_weight=sw)
    with jax.enable_x64(True):
        p = linear.ols().fit(X, y, sample_weight=sw)
        assert p.coef.dtype == jnp.float64
        _close(p.coef, ref.coef_)
        _close(p.intercept, ref.intercept_)
        _close(linear.ols().predict(p, X), ref.predict(X))


def test_wls_is_weighted_normal_equations(diabetes, weights):
    X, y = diabetes
    Z = np.c_[np.ones(len(X)), X]
    theta = np.linalg.solve(Z.T @ (weights[:, None] * Z), Z.T @ (weights * y))
    with jax.enable_x64(True):
        p = linear.ols().fit(X, y, sample_weight=weights)  # WLS
        _close(p.coef, theta[1:])
        _close(p.intercept, theta[0])


def test_ols_multi_output_and_no_intercept(diabetes):
    X, y = diabetes
    Y = np.c_[y, -2 * y + X[:, 0]]
    ref = LinearRegression(fit_intercept=False).fit(X, Y)
    with jax.enable_x64(True):
        p = linear.ols(fit_intercept=False).fit(X, Y)
        _close(p.coef.T, ref.coef_)
        assert np.all(np.asarray(p.intercept) == 0)


@pytest.mark.parametrize("alpha", [0.01, 1.0, 30.0])
def test_ridge_matches_sklearn(diabetes, weights, alpha):
    X, y = diabetes
    ref = Ridge(alpha=alpha, solver="cholesky").fit(X, y, sample_weight=weights)
    with jax.enable_x64(True):
        p = linear.ridge(alpha).fit(X, y, sample_weight=weights)
        _close(p.coef, ref.coef_)
        _close(p.intercept, ref.intercept_)


def test_ridge_path_equals_vmap_and_sklearn(diabetes):
    X, y = diabetes
    alphas = np.logspace(-3, 2, 7)
    with jax.enable_x64(True):
        path = linear.ridge_path(X, y, alphas)
        vm = jax.vmap(lambda a: linear.ridge().fit(X, y, alpha=a))(jnp.asarray(alphas))
        assert path.coef.shape == (7, X.shape[1])
        _close(path.coef, vm.coef)
        _close(path.intercept, vm.intercept)
        for a, c in zip(alphas, np.asarray(path.coef)):
            _close(c, Ridge(alpha=a, solver="cholesky").fit(X, y).coef_)


def test_zero_weight_removes_rows_and_vmaps_over_masks(diabetes):
    X, y = diabetes
    masks = np.zeros((3, len(X)))
    for k in range(3):
        masks[k, k::3] = 1.0
    with jax.enable_x64(True):
        batched = jax.vmap(lambda m: linear.ridge(0.5).fit(X, y, sample_weight=m))(masks)
        for k in range(3):
            keep = masks[k] > 0
            ref = Ridge(alpha=0.5, solver="cholesky").fit(X[keep], y[keep])
            _close(batched.coef[k], ref.coef_)
            _close(linear.ols().fit(X, y, sample_weight=masks[k]).coef,
                   LinearRegression().fit(X[keep], y[keep]).coef_)


def test_float32_close_to_float64(diabetes):
    X, y = diabetes
    p32 = linear.ols().fit(X, y)
    assert p32.coef.dtype == jnp.float32
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(p32.coef, ref.coef_, rtol=2e-2, atol=1.0)
    np.testing.assert_allclose(linear.ols().predict(p32, X), ref.predict(X), rtol=1e-3,
                               atol=0.05)


def test_inference_matches_closed_form(diabetes, weights):
    X, y = diabetes
    n, d = X.shape
    Z = np.c_[np.ones(n), X]
    W = weights
    A = Z.T @ (W[:, None] * Z)
    theta = np.linalg.solve(A, Z.T @ (W * y))
    r = y - Z @ theta
    dof = n - d - 1
    sigma2 = (W * r**2).sum() / dof
    se = np.sqrt(np.diag(np.linalg.inv(A)) * sigma2)
    tq = sps.t.ppf(0.975, dof)
    ybar = (W * y).sum() / W.sum()
    r2 = 1 - (W * r**2).sum() / (W * (y - ybar) ** 2).sum()
    with jax.enable_x64(True):
        p = linear.ols().fit(X, y, sample_weight=W)
        inf = linear.inference(p, X, y, sample_weight=W)
        _close(inf.stderr.coef, se[1:])
        _close(inf.stderr.intercept, se[0])
        _close(inf.ci_low.coef, theta[1:] - tq * se[1:])
        _close(inf.ci_high.intercept, theta[0] + tq * se[0])
        _close(inf.p_value.coef, 2 * sps.t.sf(np.abs(theta[1:] / se[1:]), dof), rtol=1e-4)
        _close(inf.r2, r2)
        _close(inf.sigma2, sigma2)
        assert float(inf.dof) == dof


def test_inference_r2_matches_sklearn_and_ridge_reduces_to_ols(diabetes):
    X, y = diabetes
    with jax.enable_x64(True):
        p = linear.ols().fit(X, y)
        inf = linear.inference(p, X, y)
        _close(inf.r2, LinearRegression().fit(X, y).score(X, y))
        inf0 = linear.inference(linear.ridge(0.0).fit(X, y), X, y, alpha=0.0)
        _close(inf0.stderr.coef, inf.stderr.coef)
        inf_r = linear.inference(linear.ridge(10.0).fit(X, y), X, y, alpha=10.0)
        assert np.all(np.asarray(inf_r.stderr.coef) < np.asarray(inf.stderr.coef))


def test_t_quantile_matches_scipy():
    with jax.enable_x64(True):
        from jaxfound.models.linear._inference import t_quantile

        dof = np.array([1.0, 3.0, 30.0, 400.0])
        _close(t_quantile(0.975, jnp.asarray(dof)), sps.t.ppf(0.975, dof), rtol=1e-8)


def test_singular_design_raises_and_ridge_regularises():
    X = np.c_[np.arange(10.0), 2 * np.arange(10.0)]
    y = np.arange(10.0)
    with pytest.raises(errors.SingularMatrixError, match="rank 1"):
        linear.ols().fit(X, y)
    with pytest.raises(errors.SingularMatrixError):
        linear.ridge(0.0).fit(X, y)
    with pytest.raises(errors.SingularMatrixError):
        linear.ridge().fit(X, y, alpha=0.0)
    with pytest.raises(errors.SingularMatrixError):
        linear.ols().fit(np.ones((2, 5)), np.ones(2))  # fewer rows than columns
    assert np.all(np.isfinite(linear.ridge(1.0).fit(X, y).coef))


def test_bad_inputs_raise_clear_errors():
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = X @ np.ones(3)
    X_nan = X.copy()
    X_nan[4, 1] = np.nan
    X_before = X_nan.copy()
    with pytest.raises(errors.NonFiniteError, match="X"):
        linear.ols().fit(X_nan, y)
    np.testing.assert_array_equal(X_nan, X_before)  # input not modified
    with pytest.raises(errors.DTypeError):
        linear.ridge().fit(X.astype(str), y)
    with pytest.raises(errors.ShapeError, match="rows"):
        linear.ols().fit(X, y[:-1])
    p = linear.ols().fit(X, y)
    with pytest.raises(errors.ShapeError, match="3"):
        linear.ols().predict(p, X[:, :2])
    with pytest.raises(errors.ValidationError, match="negative"):
        linear.ols().fit(X, y, sample_weight=-np.ones(20))
    with pytest.raises(errors.ValidationError, match="all zero"):
        linear.ols().fit(X, y, sample_weight=np.zeros(20))
    with pytest.raises(errors.ValidationError, match="alpha"):
        linear.ridge(-1.0)
    with pytest.raises(errors.ValidationError, match="alpha"):
        linear.ridge().fit(X, y, alpha=-1.0)


def test_fit_is_jittable():
    X = np.random.default_rng(1).normal(size=(30, 4))
    y = X @ np.arange(4.0) + 1.0
    f = jax.jit(lambda X, y, a: linear.ridge().fit(X, y, alpha=a))
    p = f(X, y, 1e-6)
    np.testing.assert_allclose(p.coef, np.arange(4.0), atol=1e-3)


def test_ridge_path_rejects_negative_alpha_like_ridge():
    """Issue 14: a negative penalty made ridge_path return +-inf instead of an error."""
    X = np.random.default_rng(2).normal(size=(12, 3))
    y = X @ np.ones(3)
    lam = np.linalg.eigvalsh((X - X.mean(0)).T @ (X - X.mean(0)))
    with pytest.raises(errors.ValidationError, match="negative"):
        linear.ridge_path(X, y, np.array([1.0, -lam[0]]))  # -lambda_min: a singular system
    with pytest.raises(errors.ValidationError, match="alpha"):
        linear.ridge(-lam[0])
    with pytest.raises(errors.SingularMatrixError):  # alpha = 0 needs a full-rank design
        linear.ridge_path(np.c_[X[:, :1], X[:, :1]], y, np.array([0.0, 1.0]))


def test_constructors_are_cached_and_flag_regressors():
    assert linear.ridge(2.0) is linear.ridge(alpha=2.0)
    assert linear.ridge(2.0) is not linear.ridge(3.0)
    assert linear.ols() is linear.ols(True) and linear.ols() is not linear.ols(False)
    est = linear.ridge()
    assert not est.is_classifier and not est.needs_key and est.predict_proba is None
    assert "ridge" in est.name
    X = np.random.default_rng(3).normal(size=(20, 2))
    y = X @ np.array([1.0, 2.0])
    np.testing.assert_allclose(linear.ridge(5.0).fit(X, y).coef,
                               linear.ridge().fit(X, y, alpha=5.0).coef, rtol=1e-6)
