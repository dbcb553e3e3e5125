"""The estimator protocol (`jaxfound.base`): every classical family follows it, and
cross-validation works through it only."""

import inspect

import jax
import numpy as np
import pytest

from jaxfound.base import Estimator, FitInfo
from jaxfound.models import linear, svm
from jaxfound.stats import cross_validate

# (constructor, settings, traced hyper-parameters and their constructor defaults, classifier)
FAMILIES = [
    (linear.ols, {}, {}, False),
    (linear.ridge, {"alpha": 2.0}, {"alpha": 2.0}, False),
    (linear.logistic, {"C": 0.5}, {"C": 0.5}, True),
    (svm.svc, {"C": 2.0, "gamma": 0.1}, {"C": 2.0, "gamma": 0.1, "coef0": 0.0}, True),
    (svm.linear_svc, {"C": 0.5}, {"C": 0.5}, True),
]


def _data(classifier: bool, n=60):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    if classifier:
        y = (np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])).astype(np.int32)  # 3 classes
    else:
        y = (X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)).astype(np.float32)
    return X, y


@pytest.mark.parametrize("make, settings, traced, classifier", FAMILIES)
def test_constructor_gives_a_cached_estimator_with_the_protocol(make, settings, traced,
                                                                classifier):
    est = make(**settings)
    assert isinstance(est, Estimator)
    assert est is make(**settings)  # functools.cache: the same object, hashable
    hash(est)
    assert est.is_classifier is classifier and not est.needs_key and est.name
    params = inspect.signature(est.fit).parameters
    assert params["sample_weight"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["sample_weight"].default is None
    for name, default in traced.items():  # traced hyper-parameters: keywords, with defaults
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[name].default == default
    if classifier:
        assert est.decision_function is not None


@pytest.mark.parametrize("make, settings, traced, classifier", FAMILIES)
def test_cross_validation_through_the_protocol_equals_the_loop(make, settings, traced,
                                                               classifier):
    """Vmapped 0/1-weighted fits equal fits on the selected rows, for every family."""
    X, y = _data(classifier)
    est = make(**settings)
    folds = [(np.flatnonzero(np.arange(60) % 3 != k), np.flatnonzero(np.arange(60) % 3 == k))
             for k in range(3)]
    fast = cross_validate(est, X, y, folds)
    slow = cross_validate(est, X, y, folds, vectorize=False)
    assert fast.vectorized and not slow.vectorized
    np.testing.assert_allclose(fast.scores, slow.scores, atol=1e-5 if not classifier else 0.0)
    assert float(fast.mean) > (0.8 if classifier else 0.9)  # accuracy or R²


@pytest.mark.parametrize("make", [linear.logistic, svm.svc, svm.linear_svc])
def test_iterative_fits_report_fit_info(make):
    X, y = _data(True)
    params = make().fit(X, y)
    assert isinstance(params.info, FitInfo)
    assert params.info.converged.dtype == bool and params.info.converged.shape == ()
    assert bool(params.info.converged) and int(params.info.n_iter) >= 1
    batched = jax.vmap(lambda w: make().fit(X, y, sample_weight=w))(
        np.ones((2, len(y)), np.float32))
    assert batched.info.converged.shape == (2,)  # one FitInfo per fit under vmap


def test_estimator_defaults():
    est = Estimator(fit=lambda X, y, *, sample_weight=None: 0.0, predict=lambda p, X: X[:, 0])
    assert est.predict_proba is None and est.decision_function is None and est.score is None
    assert not est.is_classifier and not est.needs_key and est.name == "estimator"
