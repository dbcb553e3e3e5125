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
        p = linear.fit_logistic(X, y, C=C)
        assert p.coef.shape == (X.shape[1], 1)
        _close(p.coef[:, 0], ref.coef_[0])
        _close(p.intercept, ref.intercept_)
        _close(linear.logistic_proba(p, X), ref.predict_proba(X))
        np.testing.assert_array_equal(linear.logistic_predict(p, X), ref.predict(X))


def test_multinomial_matches_sklearn_with_weights():
    X, y = _data(load_wine)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    ref = _sk(X, y, 0.5, sw)
    with jax.enable_x64(True):
        p = linear.fit_logistic(X, y, C=0.5, sample_weight=sw)
        assert p.coef.shape == (X.shape[1], 3)
        _close(p.coef.T, ref.coef_)
        _close(p.intercept, ref.intercept_)
        _close(linear.logistic_proba(p, X), ref.predict_proba(X))


def test_vmap_over_C_and_fold_masks():
    X, y = _data(load_wine)
    Cs = jnp.array([0.05, 1.0])
    masks = np.ones((2, len(y)))
    masks[1, ::4] = 0.0
    with jax.enable_x64(True):
        fit = lambda C, m: linear.fit_logistic(X, y, C=C, n_classes=3, sample_weight=m)
        batched = jax.vmap(fit)(Cs, jnp.asarray(masks))
        for b in range(2):
            keep = masks[b] > 0
            ref = _sk(X[keep], y[keep], float(Cs[b]))
            _close(batched.coef[b].T, ref.coef_)


def test_float32_agrees_with_sklearn_predictions():
    X, y = _data(load_breast_cancer)
    p = linear.fit_logistic(X, y, C=1.0)
    assert p.coef.dtype == jnp.float32
    ref = _sk(X, y, 1.0)
    np.testing.assert_allclose(linear.logistic_proba(p, X), ref.predict_proba(X), atol=1e-3)
    X, y = _data(load_wine)  # multinomial in float32: the Hessian's null space is handled
    p = linear.fit_logistic(X, y, C=1.0)
    np.testing.assert_allclose(linear.logistic_proba(p, X), _sk(X, y, 1.0).predict_proba(X),
                               atol=1e-3)


def test_bad_labels_raise():
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(errors.DTypeError, match="y"):
        linear.fit_logistic(X, np.array(["a", "b", "a", "b", "a", "b"]))
    with pytest.raises(errors.DTypeError):
        linear.fit_logistic(X, np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0]))
    with pytest.raises(errors.LabelError, match="fewer|samples"):
        linear.fit_logistic(X[:3], np.array([0, 1, 2]), n_classes=5)
    with pytest.raises(errors.LabelError, match="single class"):
        linear.fit_logistic(X, np.zeros(6, int))
    with pytest.raises(errors.LabelError):
        linear.fit_logistic(X, np.array([0, 1, 2, 3, 4, 5]), n_classes=3)
    with pytest.raises(errors.ValidationError, match="C"):
        linear.fit_logistic(X, np.array([0, 1] * 3), C=0.0)
    p = linear.fit_logistic(X, np.array([0, 1] * 3))
    with pytest.raises(errors.ShapeError, match="features"):
        linear.logistic_predict(p, np.ones((2, 3)))
    Xn = X.copy()
    Xn[0, 0] = np.inf
    with pytest.raises(errors.NonFiniteError):
        linear.fit_logistic(Xn, np.array([0, 1] * 3))
