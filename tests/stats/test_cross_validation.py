"""Cross-validation and grid search against scikit-learn and against a plain loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.stats import accuracy, as_fold_masks, cross_validate, grid_search, mse


def kfold_masks(n, k):
    """Plain-numpy contiguous k-fold test masks (the library's splitter lives in jf.data)."""
    test = np.zeros((k, n), np.float32)
    for j, idx in enumerate(np.array_split(np.arange(n), k)):
        test[j, idx] = 1
    return 1 - test, test


def ridge_fit(X, y, w, alpha=1.0):
    Xw = X * w[:, None]
    return jnp.linalg.solve(Xw.T @ X + alpha * jnp.eye(X.shape[1]), Xw.T @ y)


def ridge_predict(beta, X):
    return X @ beta


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.normal(size=60)
    return X, y


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


def test_grid_search_matches_sklearn(regression_data):
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, KFold

    X, y = regression_data
    alphas = np.array([0.01, 1.0, 30.0, 300.0])
    with jax.enable_x64(True):
        res = grid_search(ridge_fit, ridge_predict, mse, X, y, {"alpha": alphas},
                          kfold_masks(60, 5), greater_is_better=False)
    gs = GridSearchCV(Ridge(fit_intercept=False), {"alpha": alphas}, cv=KFold(5),
                      scoring="neg_mean_squared_error").fit(X, y)
    np.testing.assert_allclose(res.mean, -gs.cv_results_["mean_test_score"], rtol=1e-6)
    np.testing.assert_allclose(res.std, gs.cv_results_["std_test_score"], rtol=1e-5)
    assert res.best_params == {"alpha": gs.best_params_["alpha"]}
    assert res.scores.shape == (4, 5)


def test_grid_search_two_parameters_product_and_batching():
    # kernel-ridge-like classifier with two hyper-parameters (C, gamma): RBF features.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int32)

    def fit(X, y, w, C, gamma):
        K = jnp.exp(-gamma * jnp.sum((X[:, None] - X[None]) ** 2, -1))
        t = 2.0 * y - 1.0
        A = K * w[:, None] + jnp.eye(X.shape[0]) / C
        return X, jnp.linalg.solve(A, w * t), gamma

    def predict(params, Xn):
        Xt, a, gamma = params
        K = jnp.exp(-gamma * jnp.sum((Xn[:, None] - Xt[None]) ** 2, -1))
        return (K @ a > 0).astype(jnp.int32)

    grid = {"C": np.array([0.1, 10.0]), "gamma": np.array([0.01, 1.0, 5.0])}
    masks = kfold_masks(80, 4)
    full = grid_search(fit, predict, accuracy, X, y, grid, masks)
    chunked = grid_search(fit, predict, accuracy, X, y, grid, masks, batch_size=2)
    assert full.params["C"].tolist() == [0.1, 0.1, 0.1, 10.0, 10.0, 10.0]
    assert full.params["gamma"].tolist() == [0.01, 1.0, 5.0] * 2
    np.testing.assert_allclose(full.scores, chunked.scores)
    for g in (4,):  # a grid point equals a separate cross-validation
        hp = {k: v[g] for k, v in full.params.items()}
        one = cross_validate(fit, predict, accuracy, X, y, masks, hparams=hp)
        np.testing.assert_allclose(full.scores[g], one.scores, atol=1e-6)
    assert full.best_score == pytest.approx(float(np.max(full.mean)))
    assert full.best_score > 0.8


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


def test_inputs_not_modified(regression_data):
    X, y = regression_data
    X0, y0 = X.copy(), y.copy()
    masks = kfold_masks(60, 3)
    m0 = masks[0].copy()
    grid_search(ridge_fit, ridge_predict, mse, X, y, {"alpha": [1.0, 2.0]}, masks)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(masks[0], m0)
