"""Cross-validation of estimators against scikit-learn, a plain loop, and the protocol."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.base import Estimator
from jaxfound.models import linear
from jaxfound.stats import accuracy, cross_validate, mse, r2_score
from tests.stats.cv_helpers import KEYED, RIDGE, kfold_masks, mean_prediction


def test_cross_validate_matches_sklearn(regression_data):
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, cross_val_score

    X, y = regression_data
    with jax.enable_x64(True):
        res = cross_validate(RIDGE, X, y, kfold_masks(60, 5), metric=mse, alpha=2.0)
    assert res.vectorized
    ref = -cross_val_score(Ridge(alpha=2.0, fit_intercept=False), X, y, cv=KFold(5),
                           scoring="neg_mean_squared_error")
    np.testing.assert_allclose(res.scores, ref, rtol=1e-6)
    np.testing.assert_allclose(res.mean, ref.mean(), rtol=1e-6)
    np.testing.assert_allclose(res.std, ref.std(), rtol=1e-6)


def test_library_estimator_with_default_r2_matches_sklearn(regression_data):
    """linear.ridge() through the protocol only; the default metric of a regressor is R²."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, cross_val_score

    X, y = regression_data
    with jax.enable_x64(True):
        res = cross_validate(linear.ridge(alpha=3.0), X, y, kfold_masks(60, 5))
        explicit = cross_validate(linear.ridge(), X, y, kfold_masks(60, 5), alpha=3.0,
                                  metric=r2_score)
    ref = cross_val_score(Ridge(alpha=3.0), X, y, cv=KFold(5))  # scoring: R²
    np.testing.assert_allclose(res.scores, ref, rtol=1e-6)
    np.testing.assert_allclose(explicit.scores, ref, rtol=1e-6)


def test_default_metric_accuracy_for_classifiers_and_estimator_score_first():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=90) > 0).astype(np.int32)
    masks = kfold_masks(90, 3)
    est = linear.logistic(C=1.0)
    res = cross_validate(est, X, y, masks)
    ref = cross_validate(est, X, y, masks, metric=accuracy)
    np.testing.assert_array_equal(res.scores, ref.scores)
    assert 0.7 < float(res.mean) <= 1.0
    # an estimator's own score wins over the default (here: minus the log loss)
    def neg_log_loss(params, X, y, *, sample_weight=None):
        p = est.predict_proba(params, X)[jnp.arange(len(y)), y]
        w = jnp.ones(len(y)) if sample_weight is None else sample_weight
        return jnp.sum(w * jnp.log(p)) / jnp.sum(w)

    scored = est._replace(score=neg_log_loss)
    own = cross_validate(scored, X, y, masks)
    assert np.all(np.asarray(own.scores) < 0)
    np.testing.assert_array_equal(cross_validate(scored, X, y, masks, metric=accuracy).scores,
                                  ref.scores)  # an explicit metric wins over score


def test_vmapped_equals_loop_and_index_pairs(regression_data):
    X, y = regression_data
    train, test = kfold_masks(60, 4)
    pairs = [(np.flatnonzero(a), np.flatnonzero(b)) for a, b in zip(train, test)]
    fast = cross_validate(RIDGE, X, y, (train, test), metric=mse)
    slow = cross_validate(RIDGE, X, y, pairs, metric=mse, vectorize=False)
    only_train = cross_validate(RIDGE, X, y, train, metric=mse)
    assert fast.vectorized and not slow.vectorized
    np.testing.assert_allclose(fast.scores, slow.scores, rtol=1e-4)
    np.testing.assert_allclose(only_train.scores, fast.scores, rtol=1e-6)


def test_non_jittable_fit_falls_back_to_loop(regression_data):
    from sklearn.linear_model import Ridge

    X, y = regression_data

    def fit(X, y, *, sample_weight=None):
        return Ridge(alpha=1.0, fit_intercept=False).fit(np.asarray(X), np.asarray(y),
                                                         sample_weight=np.asarray(sample_weight))

    sk = Estimator(fit=fit, predict=lambda m, X: m.predict(np.asarray(X)), name="sklearn ridge")
    res = cross_validate(sk, X, y, kfold_masks(60, 3), metric=mse)
    assert not res.vectorized
    ref = cross_validate(RIDGE, X, y, kfold_masks(60, 3), metric=mse)
    np.testing.assert_allclose(res.scores, ref.scores, rtol=1e-4)


def test_metric_without_sample_weight_uses_loop(regression_data):
    X, y = regression_data
    plain = lambda a, b: jnp.mean((a - b) ** 2)
    res = cross_validate(RIDGE, X, y, kfold_masks(60, 3), metric=plain)
    assert not res.vectorized
    with pytest.raises(errors.ValidationError, match="sample_weight"):
        cross_validate(RIDGE, X, y, kfold_masks(60, 3), metric=plain, vectorize=True)


def test_key_is_required_and_split_per_fold(regression_data):
    X, y = regression_data
    masks = kfold_masks(60, 3)
    with pytest.raises(errors.ValidationError, match="key"):
        cross_validate(KEYED, X, y, masks, metric=mean_prediction)
    key = jax.random.key(7)
    expect = [float(jax.random.uniform(jax.random.fold_in(key, i))) for i in range(3)]
    for vectorize in (None, False):
        res = cross_validate(KEYED, X, y, masks, metric=mean_prediction, key=key,
                             vectorize=vectorize, shift=1.0)
        assert res.vectorized is (vectorize is None)
        np.testing.assert_allclose(res.scores, np.array(expect) + 1.0, rtol=1e-6)


def test_bad_estimator_and_data(regression_data):
    X, y = regression_data
    masks = kfold_masks(60, 3)
    with pytest.raises(errors.ValidationError, match="Estimator"):
        cross_validate(lambda X, y, w: None, X, y, masks)  # the old fit/predict pair API
    with pytest.raises(errors.ShapeError):
        cross_validate(RIDGE, X, y[:-1], masks)
    with pytest.raises(errors.ShapeError, match="sample_weight"):
        cross_validate(RIDGE, X, y, masks, sample_weight=np.ones(5))
    with pytest.raises(errors.ValidationError, match="all zero"):
        cross_validate(RIDGE, X, y, masks, sample_weight=np.zeros(60))
    with pytest.raises(errors.EmptyDataError):  # folds are checked by jf.data.folds_to_masks
        cross_validate(RIDGE, X, y, (masks[0], np.zeros_like(masks[1])))


def test_folds_from_jaxfound_data(regression_data):
    import jaxfound as jf

    X, y = regression_data
    folds = jf.data.kfold(jax.random.key(0), 60, 4)
    masks = jf.data.fold_masks(jax.random.key(0), 60, 4)
    a = cross_validate(RIDGE, X, y, folds, metric=mse)
    b = cross_validate(RIDGE, X, y, masks, metric=mse)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5)
    with pytest.raises(errors.JaxfoundError, match="fold"):  # the data splitter's own error
        jf.data.kfold(None, 3, 5)

