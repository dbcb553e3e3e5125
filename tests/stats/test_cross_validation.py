"""Cross-validation against scikit-learn and against a plain loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.stats import as_fold_masks, cross_validate, mse
from tests.stats.cv_helpers import kfold_masks, ridge_fit, ridge_predict


def test_cross_validate_matches_sklearn(regression_data):
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, cross_val_score

    X, y = regression_data
    with jax.enable_x64(True):
        res = cross_validate(ridge_fit, ridge_predict, mse, X, y, kfold_masks(60, 5),
                             hparams={"alpha": 2.0})
    assert res.vectorized
    ref = -cross_val_score(Ridge(alpha=2.0, fit_intercept=False), X, y, cv=KFold(5),
                           scoring="neg_mean_squared_error")
    np.testing.assert_allclose(res.scores, ref, rtol=1e-6)
    np.testing.assert_allclose(res.mean, ref.mean(), rtol=1e-6)
    np.testing.assert_allclose(res.std, ref.std(), rtol=1e-6)


def test_vmapped_equals_loop_and_index_pairs(regression_data):
    X, y = regression_data
    train, test = kfold_masks(60, 4)
    pairs = [(np.flatnonzero(a), np.flatnonzero(b)) for a, b in zip(train, test)]
    fast = cross_validate(ridge_fit, ridge_predict, mse, X, y, (train, test))
    slow = cross_validate(ridge_fit, ridge_predict, mse, X, y, pairs, vectorize=False)
    only_train = cross_validate(ridge_fit, ridge_predict, mse, X, y, train)
    assert fast.vectorized and not slow.vectorized
    np.testing.assert_allclose(fast.scores, slow.scores, rtol=1e-4)
    np.testing.assert_allclose(only_train.scores, fast.scores, rtol=1e-6)


def test_non_jittable_fit_falls_back_to_loop(regression_data):
    from sklearn.linear_model import Ridge

    X, y = regression_data

    def fit(X, y, w):
        return Ridge(alpha=1.0, fit_intercept=False).fit(np.asarray(X), np.asarray(y),
                                                         sample_weight=np.asarray(w))

    predict = lambda m, X: m.predict(np.asarray(X))
    res = cross_validate(fit, predict, mse, X, y, kfold_masks(60, 3))
    assert not res.vectorized
    ref = cross_validate(ridge_fit, ridge_predict, mse, X, y, kfold_masks(60, 3))
    np.testing.assert_allclose(res.scores, ref.scores, rtol=1e-4)


def test_metric_without_sample_weight_uses_loop(regression_data):
    X, y = regression_data
    plain = lambda a, b: jnp.mean((a - b) ** 2)
    res = cross_validate(ridge_fit, ridge_predict, plain, X, y, kfold_masks(60, 3))
    assert not res.vectorized
    with pytest.raises(errors.ValidationError, match="sample_weight"):
        cross_validate(ridge_fit, ridge_predict, plain, X, y, kfold_masks(60, 3), vectorize=True)


def test_bad_folds():
    X = np.zeros((3, 1))
    train, test = kfold_masks(3, 3)
    with pytest.raises(errors.EmptyDataError, match="fewer samples"):
        as_fold_masks((np.ones((5, 3)), np.zeros((5, 3))), 3)
    with pytest.raises(errors.ShapeError):
        cross_validate(ridge_fit, ridge_predict, mse, X, np.zeros(4), (train, test))
    with pytest.raises(errors.ShapeError):
        as_fold_masks((train, test), 4)
    with pytest.raises(errors.EmptyDataError):
        as_fold_masks((train, np.zeros_like(test)), 3)
    with pytest.raises(errors.ValidationError, match="leak"):
        as_fold_masks((np.ones((3, 3)), test), 3)
    with pytest.raises(errors.ValidationError, match="at least 2"):
        as_fold_masks((train[:1], test[:1]), 3)
    with pytest.raises(errors.ValidationError, match="outside"):
        as_fold_masks([([0, 1], [5])] * 2, 3)


def test_folds_from_jaxfound_data(regression_data):
    import jaxfound as jf

    X, y = regression_data
    folds = jf.data.kfold(jax.random.key(0), 60, 4)
    masks = jf.data.fold_masks(jax.random.key(0), 60, 4)
    a = cross_validate(ridge_fit, ridge_predict, mse, X, y, folds)
    b = cross_validate(ridge_fit, ridge_predict, mse, X, y, masks)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5)
    with pytest.raises(errors.JaxfoundError, match="fold"):  # the data splitter's own error
        jf.data.kfold(None, 3, 5)
