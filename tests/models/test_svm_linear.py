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
        p = svm.fit_linear(X, y, C=0.5, sample_weight=sw)
        coef = np.asarray(p.coef).T
        np.testing.assert_allclose(coef, ref.coef_, rtol=1e-5, atol=1e-5 * np.abs(ref.coef_).max())
        np.testing.assert_allclose(p.intercept, ref.intercept_, atol=1e-5)
        np.testing.assert_allclose(svm.linear_decision_function(p, X), ref.decision_function(X),
                                   atol=1e-5)
    p32 = svm.fit_linear(X, y, C=0.5, sample_weight=sw)
    np.testing.assert_array_equal(svm.linear_predict(p32, X), ref.predict(X))


def test_zero_weights_remove_rows():
    X, y = _data(load_breast_cancer)
    mask = (np.arange(len(y)) % 3 != 0).astype(np.float32)
    p = jax.jit(lambda m: svm.fit_linear(X, y, C=1.0, sample_weight=m))(mask)
    q = svm.fit_linear(X[mask > 0], y[mask > 0], C=1.0)
    np.testing.assert_allclose(p.coef, q.coef, atol=2e-3)


def test_bad_inputs():
    X, y = _data(load_wine)
    with pytest.raises(errors.DTypeError):
        svm.fit_linear(X, y.astype(str))
    with pytest.raises(errors.ValidationError, match="C"):
        svm.fit_linear(X, y, C=0.0)
    p = svm.fit_linear(X, y)
    with pytest.raises(errors.ShapeError, match="features"):
        svm.linear_predict(p, X[:, :3])
