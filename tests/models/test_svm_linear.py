"""Primal linear SVM against sklearn.svm.LinearSVC (squared hinge, penalised intercept)."""

import jax
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from jaxfound import errors
from jaxfound.models import svm


def _data(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine])
def test_matches_linearsvc_float64_with_weights(loader):
    X, y = _data(loader)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    ref = LinearSVC(C=0.5, dual=False, tol=1e-10, max_iter=100_000).fit(X, y, sample_weight=sw)
    with jax.enable_x64(True):
        est = svm.linear_svc(C=0.5)
        p = est.fit(X, y, sample_weight=sw)
        assert bool(p.info.converged)
        coef = np.asarray(p.coef).T
        np.testing.assert_allclose(coef, ref.coef_, rtol=1e-5, atol=1e-5 * np.abs(ref.coef_).max())
        np.testing.assert_allclose(p.intercept, ref.intercept_, atol=1e-5)
        np.testing.assert_allclose(est.decision_function(p, X), ref.decision_function(X),
                                   atol=1e-5)
    p32 = est.fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(est.predict(p32, X), ref.predict(X))


def test_zero_weights_remove_rows():
    X, y = _data(load_breast_cancer)
    mask = (np.arange(len(y)) % 3 != 0).astype(np.float32)
    est = svm.linear_svc(C=1.0)
    p = jax.jit(lambda m: est.fit(X, y, sample_weight=m))(mask)
    q = est.fit(X[mask > 0], y[mask > 0])
    np.testing.assert_allclose(p.coef, q.coef, atol=2e-3)


def test_bad_inputs():
    X, y = _data(load_wine)
    with pytest.raises(errors.DTypeError):
        svm.linear_svc().fit(X, y.astype(str))
    with pytest.raises(errors.ValidationError, match="C"):
        svm.linear_svc().fit(X, y, C=0.0)
    with pytest.raises(errors.ValidationError, match="C"):
        svm.linear_svc(C=0.0)
    est = svm.linear_svc()
    p = est.fit(X, y)
    with pytest.raises(errors.ShapeError, match="features"):
        est.predict(p, X[:, :3])


def test_convergence_report():
    X, y = _data(load_wine)
    with jax.enable_x64(True):
        assert bool(svm.linear_svc(C=0.5).fit(X, y).info.converged)
        one = svm.linear_svc(C=0.5, max_iter=1).fit(X, y)
        assert not bool(one.info.converged) and int(one.info.n_iter) == 1
