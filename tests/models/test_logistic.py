"""Logistic regression against scikit-learn (float64, tight tolerances)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from jaxfound import errors
from jaxfound.models import linear

RTOL = 1e-5


def _data(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _sk(X, y, C, sw=None):
    return LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=sw)


def _close(a, b, rtol=RTOL):
    b = np.asarray(b)
    np.testing.assert_allclose(np.asarray(a), b, rtol=rtol, atol=rtol * np.abs(b).max())


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_binary_matches_sklearn(C):
    X, y = _data(load_breast_cancer)
    ref = _sk(X, y, C)
    with jax.enable_x64(True):
        est = linear.logistic(C=C)
        p = est.fit(X, y)
        assert bool(p.info.converged)
        assert p.coef.shape == (X.shape[1], 1)
        _close(p.coef[:, 0], ref.coef_[0])
        _close(p.intercept, ref.intercept_)
        _close(est.predict_proba(p, X), ref.predict_proba(X))
        np.testing.assert_array_equal(est.predict(p, X), ref.predict(X))
        _close(est.decision_function(p, X)[:, 0], ref.decision_function(X))


def test_multinomial_matches_sklearn_with_weights():
    X, y = _data(load_wine)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    ref = _sk(X, y, 0.5, sw)
    with jax.enable_x64(True):
        est = linear.logistic(C=0.5)
        p = est.fit(X, y, sample_weight=sw)
        assert p.coef.shape == (X.shape[1], 3)
        _close(p.coef.T, ref.coef_)
        _close(p.intercept, ref.intercept_)
        _close(est.predict_proba(p, X), ref.predict_proba(X))


def test_vmap_over_C_and_fold_masks():
    X, y = _data(load_wine)
    Cs = jnp.array([0.05, 1.0])
    masks = np.ones((2, len(y)))
    masks[1, ::4] = 0.0
    with jax.enable_x64(True):
        fit = lambda C, m: linear.logistic(n_classes=3).fit(X, y, C=C, sample_weight=m)
        batched = jax.vmap(fit)(Cs, jnp.asarray(masks))
        for b in range(2):
            keep = masks[b] > 0
            ref = _sk(X[keep], y[keep], float(Cs[b]))
            _close(batched.coef[b].T, ref.coef_)


def test_float32_agrees_with_sklearn_predictions():
    X, y = _data(load_breast_cancer)
    est = linear.logistic(C=1.0)
    p = est.fit(X, y)
    assert p.coef.dtype == jnp.float32
    ref = _sk(X, y, 1.0)
    np.testing.assert_allclose(est.predict_proba(p, X), ref.predict_proba(X), atol=1e-3)
    X, y = _data(load_wine)  # multinomial in float32: the Hessian's null space is handled
    p = est.fit(X, y)
    np.testing.assert_allclose(est.predict_proba(p, X), _sk(X, y, 1.0).predict_proba(X),
                               atol=1e-3)


def test_bad_labels_raise():
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(errors.DTypeError, match="y"):
        linear.logistic().fit(X, np.array(["a", "b", "a", "b", "a", "b"]))
    with pytest.raises(errors.DTypeError):
        linear.logistic().fit(X, np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0]))
    with pytest.raises(errors.LabelError, match="fewer|samples"):
        linear.logistic(n_classes=5).fit(X[:3], np.array([0, 1, 2]))
    with pytest.raises(errors.LabelError, match="single class"):
        linear.logistic().fit(X, np.zeros(6, int))
    with pytest.raises(errors.LabelError):
        linear.logistic(n_classes=3).fit(X, np.array([0, 1, 2, 3, 4, 5]))
    with pytest.raises(errors.ValidationError, match="C"):
        linear.logistic().fit(X, np.array([0, 1] * 3), C=0.0)
    with pytest.raises(errors.ValidationError, match="C"):
        linear.logistic(C=-1.0)
    p = linear.logistic().fit(X, np.array([0, 1] * 3))
    with pytest.raises(errors.ShapeError, match="features"):
        linear.logistic().predict(p, np.ones((2, 3)))
    Xn = X.copy()
    Xn[0, 0] = np.inf
    with pytest.raises(errors.NonFiniteError):
        linear.logistic().fit(Xn, np.array([0, 1] * 3))


def _gradient_max(X, y, C, p):
    """Max-norm of the gradient of the weight-normalised objective at the fitted params."""
    from jaxfound.models.linear._logistic import objective

    Z = jnp.c_[jnp.ones(len(y)), X]
    theta = jnp.concatenate([p.intercept[None], p.coef], axis=0)
    binary = p.coef.shape[1] == 1
    kk = p.coef.shape[1]
    Y = (y[:, None] == (np.arange(kk) + (1 if binary else 0))).astype(float)
    mask = jnp.ones_like(theta).at[0].set(0.0)
    g = jax.grad(objective)(theta, Z, Y, jnp.ones(len(y)), 1.0 / C, binary, mask)
    if not binary:  # softmax: the gradient along "all logits + c" is zero; centring is exact
        g = g - jnp.mean(g, axis=1, keepdims=True)
    return float(jnp.max(jnp.abs(g)))


@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine])
def test_convergence_is_reported_by_the_gradient_test(loader):
    """A normal fit reports converged with its gradient below tol; max_iter=1 does not.
    (Before: a failed line search, or any stop, read as converged.)"""
    X, y = _data(loader)
    with jax.enable_x64(True):
        p = linear.logistic(C=1.0).fit(X, y)
        assert bool(p.info.converged) and 1 < int(p.info.n_iter) < 50
        assert _gradient_max(X, y, 1.0, p) <= 1e-10
        one = linear.logistic(C=1.0, max_iter=1).fit(X, y)
        assert not bool(one.info.converged) and int(one.info.n_iter) == 1
        assert _gradient_max(X, y, 1.0, one) > 1e-10


def test_stalled_line_search_is_not_convergence():
    """A tolerance below the rounding floor: the line search stops the loop, unconverged."""
    X, y = _data(load_breast_cancer)
    p = linear.logistic(C=1.0, tol=1e-30, max_iter=200).fit(X, y)  # float32
    assert not bool(p.info.converged)
    assert int(p.info.n_iter) < 200  # stopped by the line search, not by the cap
    np.testing.assert_allclose(linear.logistic(C=1.0).predict_proba(p, X),
                               _sk(X, y, 1.0).predict_proba(X), atol=1e-3)


def test_lbfgs_solver_matches_newton_and_sklearn_at_equal_tolerance():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    lb = linear.logistic(C=1.0, solver="lbfgs")
    p = lb.fit(X, y)
    assert bool(p.info.converged) and 0 < int(p.info.n_iter) <= 100
    q = linear.logistic(C=1.0).fit(X, y)  # Newton, to the optimum
    np.testing.assert_allclose(np.asarray(p.coef), np.asarray(q.coef), atol=2e-2)
    sk = LogisticRegression(C=1.0, tol=1e-4).fit(X, y)
    agree = np.mean(np.asarray(lb.predict(p, X)) == sk.predict(X))
    assert agree >= 0.995


def test_lbfgs_multinomial_and_bad_solver():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = np.argmax(X @ rng.normal(size=(3, 3)), axis=1)
    est = linear.logistic(C=10.0, solver="lbfgs", tol=1e-5)
    p = est.fit(X, y)
    assert p.coef.shape == (3, 3) and abs(float(p.intercept.sum())) < 1e-5
    assert np.mean(np.asarray(est.predict(p, X)) == y) > 0.9
    with pytest.raises(errors.ValidationError, match="solver"):
        linear.logistic(solver="sag")


@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
def test_newton_tail_is_quadratic_below_the_rounding_of_the_objective(C):
    """From a gradient of 1e-8 to 1e-15 takes at most two more Newton steps: once the
    predicted decrease is below the rounding of f, the full step is taken instead of a
    line search that can no longer tell steps apart (which stalled or crawled before)."""
    X, y = _data(load_breast_cancer)
    with jax.enable_x64(True):
        near = linear.logistic(C=C, tol=1e-8).fit(X, y)
        tight = linear.logistic(C=C, tol=1e-15).fit(X, y)
    assert bool(near.info.converged) and bool(tight.info.converged)
    assert int(tight.info.n_iter) <= int(near.info.n_iter) + 2
