"""Residual diagnostics against scipy/numpy; per-class report against scikit-learn."""

import jax
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import classification_report

from jaxfound import errors
from jaxfound.stats import (
    durbin_watson,
    jarque_bera,
    per_class_report,
    residual_diagnostics,
    standardized_residuals,
)


@pytest.fixture
def ols():
    rng = np.random.default_rng(0)
    X = np.c_[np.ones(80), rng.normal(size=(80, 2))]
    y = X @ [1.0, 2.0, -1.0] + rng.standard_t(4, 80)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    return X, y, X @ beta


def test_standardized_residuals_with_leverage(ols):
    X, y, fit = ols
    h = np.diag(X @ np.linalg.inv(X.T @ X) @ X.T)
    r = y - fit
    s = np.sqrt(r @ r / (80 - 3))
    with jax.enable_x64(True):
        z = standardized_residuals(y, fit, leverage=h, ddof=3)
    np.testing.assert_allclose(z, r / (s * np.sqrt(1 - h)), rtol=1e-12)


def test_durbin_watson_and_jarque_bera(ols):
    _, y, fit = ols
    r = y - fit
    with jax.enable_x64(True):
        dw = durbin_watson(r)
        jb, p = jarque_bera(r)
        rep = residual_diagnostics(y, fit, n_params=3)
    np.testing.assert_allclose(dw, np.sum(np.diff(r) ** 2) / np.sum(r**2), rtol=1e-12)
    ref = stats.jarque_bera(r)
    np.testing.assert_allclose(jb, ref.statistic, rtol=1e-10)
    np.testing.assert_allclose(p, ref.pvalue, rtol=1e-10)
    np.testing.assert_allclose(rep.skewness, stats.skew(r), rtol=1e-10)
    np.testing.assert_allclose(rep.kurtosis, stats.kurtosis(r, fisher=False), rtol=1e-10)
    np.testing.assert_allclose(rep.std, np.std(r, ddof=3), rtol=1e-10)
    assert int(rep.n_outliers) == int(np.sum(np.abs(rep.standardized) > 3))


def test_durbin_watson_detects_autocorrelation():
    rng = np.random.default_rng(1)
    e = rng.normal(size=2000)
    ar = np.zeros(2000)
    for t in range(1, 2000):
        ar[t] = 0.8 * ar[t - 1] + e[t]
    assert 1.85 < float(durbin_watson(e)) < 2.15
    assert float(durbin_watson(ar)) < 0.6  # about 2 (1 - 0.8)
    assert float(jarque_bera(e)[1]) > 0.01
    assert float(jarque_bera(rng.exponential(size=2000))[1]) < 1e-6


def test_per_class_report_matches_sklearn():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, 300)
    pred = np.where(rng.random(300) < 0.7, y, rng.integers(0, 4, 300))
    with jax.enable_x64(True):
        rep = per_class_report(y, pred, 4)
        np.testing.assert_allclose(rep.error_rate, 1 - rep.recall)
    ref = classification_report(y, pred, output_dict=True, zero_division=0)
    for c in range(4):
        assert float(rep.precision[c]) == pytest.approx(ref[str(c)]["precision"], abs=1e-12)
        assert float(rep.recall[c]) == pytest.approx(ref[str(c)]["recall"], abs=1e-12)
        assert float(rep.f1[c]) == pytest.approx(ref[str(c)]["f1-score"], abs=1e-12)
        assert float(rep.support[c]) == ref[str(c)]["support"]
        off = np.bincount(pred[(y == c) & (pred != c)], minlength=4)
        assert int(rep.most_confused_with[c]) == int(np.argmax(off))


def test_bad_input():
    with pytest.raises(errors.EmptyDataError):
        durbin_watson([1.0, 2.0])
    with pytest.raises(errors.ShapeError):
        jarque_bera(np.ones((4, 2)))
    with pytest.raises(errors.NonFiniteError):
        residual_diagnostics([1.0, 2.0, np.nan, 3.0], [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(errors.ShapeError):
        standardized_residuals([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(errors.LabelError):
        per_class_report([0, 1, 3], [0, 1, 1], n_classes=3)
