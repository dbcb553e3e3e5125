"""Grid search of estimators against scikit-learn's GridSearchCV, a plain cross-validation per
point, and itself across ``n_jobs`` and ``batch_size``."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.base import Estimator
from jaxfound.models import linear, svm
from jaxfound.stats import accuracy, cross_validate, grid_search, mse
from jaxfound.stats._grid_search import _split
from tests.stats.cv_helpers import (
    KEYED,
    RIDGE,
    kfold_masks,
    mean_prediction,
    ridge_fit,
    ridge_predict,
)


def test_grid_search_matches_sklearn(regression_data):
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, KFold

    X, y = regression_data
    alphas = np.array([0.01, 1.0, 30.0, 300.0])
    with jax.enable_x64(True):
        res = grid_search(RIDGE, {"alpha": alphas}, X, y, kfold_masks(60, 5), metric=mse,
                          greater_is_better=False)
    gs = GridSearchCV(Ridge(fit_intercept=False), {"alpha": alphas}, cv=KFold(5),
                      scoring="neg_mean_squared_error").fit(X, y)
    np.testing.assert_allclose(res.mean, -gs.cv_results_["mean_test_score"], rtol=1e-6)
    np.testing.assert_allclose(res.std, gs.cv_results_["std_test_score"], rtol=1e-5)
    assert res.best_params == {"alpha": gs.best_params_["alpha"]}
    assert res.scores.shape == (4, 5)


def test_library_estimator_default_r2_matches_gridsearchcv(regression_data):
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, KFold

    X, y = regression_data
    alphas = np.array([0.1, 10.0, 100.0])
    with jax.enable_x64(True):
        res = grid_search(linear.ridge(), {"alpha": alphas}, X, y, kfold_masks(60, 5))
    gs = GridSearchCV(Ridge(), {"alpha": alphas}, cv=KFold(5)).fit(X, y)  # scoring: R²
    np.testing.assert_allclose(res.mean, gs.cv_results_["mean_test_score"], rtol=1e-6)
    assert res.best_params == {"alpha": gs.best_params_["alpha"]}


def _kernel_ridge_fit(X, y, *, sample_weight=None, C=1.0, gamma=1.0):
    K = jnp.exp(-gamma * jnp.sum((X[:, None] - X[None]) ** 2, -1))
    t = 2.0 * y - 1.0
    A = K * sample_weight[:, None] + jnp.eye(X.shape[0]) / C
    return X, jnp.linalg.solve(A, sample_weight * t), gamma


def _kernel_ridge_predict(params, Xn):
    Xt, a, gamma = params
    K = jnp.exp(-gamma * jnp.sum((Xn[:, None] - Xt[None]) ** 2, -1))
    return (K @ a > 0).astype(jnp.int32)


KERNEL_RIDGE = Estimator(fit=_kernel_ridge_fit, predict=_kernel_ridge_predict,
                         is_classifier=True, name="kernel ridge classifier")


def test_grid_search_two_parameters_product_and_batching():
    # kernel-ridge-like classifier with two hyper-parameters (C, gamma): RBF features.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int32)
    grid = {"C": np.array([0.1, 10.0]), "gamma": np.array([0.01, 1.0, 5.0])}
    masks = kfold_masks(80, 4)
    full = grid_search(KERNEL_RIDGE, grid, X, y, masks)  # default metric: accuracy
    chunked = grid_search(KERNEL_RIDGE, grid, X, y, masks, metric=accuracy, batch_size=2)
    assert full.params["C"].tolist() == [0.1, 0.1, 0.1, 10.0, 10.0, 10.0]
    assert full.params["gamma"].tolist() == [0.01, 1.0, 5.0] * 2
    np.testing.assert_allclose(full.scores, chunked.scores)
    for g in (4,):  # a grid point equals a separate cross-validation
        hp = {k: v[g] for k, v in full.params.items()}
        one = cross_validate(KERNEL_RIDGE, X, y, masks, **hp)
        np.testing.assert_allclose(full.scores[g], one.scores, atol=1e-6)
    assert full.best_score == pytest.approx(float(np.max(full.mean)))
    assert full.best_score > 0.8


def test_inputs_not_modified(regression_data):
    X, y = regression_data
    X0, y0 = X.copy(), y.copy()
    masks = kfold_masks(60, 3)
    m0 = masks[0].copy()
    grid_search(RIDGE, {"alpha": [1.0, 2.0]}, X, y, masks, metric=mse)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(masks[0], m0)


SHIFTED_RIDGE = Estimator(
    fit=lambda X, y, *, sample_weight=None, alpha=1.0, beta=0.0: ridge_fit(
        X, y + beta, sample_weight=sample_weight, alpha=alpha),
    predict=ridge_predict, name="shifted ridge")


def test_n_jobs_gives_the_same_scores_as_one_job(regression_data):
    X, y = regression_data
    grid = {"alpha": [0.01, 0.1, 1.0, 10.0, 100.0], "beta": [0.0, 1.0]}
    masks = kfold_masks(60, 4)
    kw = dict(metric=mse, greater_is_better=False)
    one = grid_search(SHIFTED_RIDGE, grid, X, y, masks, **kw)
    for n_jobs in (2, 3, -1):
        res = grid_search(SHIFTED_RIDGE, grid, X, y, masks, n_jobs=n_jobs, **kw)
        np.testing.assert_array_equal(np.asarray(res.scores), np.asarray(one.scores))
        assert res.best_params == one.best_params
    chunked = grid_search(SHIFTED_RIDGE, grid, X, y, masks, n_jobs=2, batch_size=3, **kw)
    np.testing.assert_allclose(chunked.scores, one.scores, rtol=1e-6)


def test_points_follow_the_cartesian_product_order(regression_data):
    X, y = regression_data
    grid = {"a": [1.0, 2.0], "b": [10.0, 20.0, 30.0], "c": [100.0, 200.0]}
    # the "score" of a fold is a + b + c (the fit returns it, predict broadcasts it)
    est = Estimator(fit=lambda X, y, *, sample_weight=None, a=0.0, b=0.0, c=0.0: a + b + c,
                    predict=lambda p, X: jnp.full(X.shape[0], p))
    for n_jobs in (1, 2):
        res = grid_search(est, grid, X, y, kfold_masks(60, 3), metric=mean_prediction,
                          n_jobs=n_jobs)
        expect = [sum(p) for p in itertools.product(*grid.values())]
        np.testing.assert_allclose(res.mean, expect)
        assert res.params["b"].tolist() == [10.0, 10.0, 20.0, 20.0, 30.0, 30.0] * 2
        assert res.best_params == {"a": 2.0, "b": 30.0, "c": 200.0}


def test_key_is_required_and_the_same_for_every_grid_point(regression_data):
    X, y = regression_data
    masks = kfold_masks(60, 3)
    grid = {"shift": [0.0, 10.0, 20.0]}
    with pytest.raises(errors.ValidationError, match="key"):
        grid_search(KEYED, grid, X, y, masks, metric=mean_prediction)
    key = jax.random.key(3)
    fold = np.array([float(jax.random.uniform(jax.random.fold_in(key, i))) for i in range(3)])
    for n_jobs in (1, 2):
        res = grid_search(KEYED, grid, X, y, masks, metric=mean_prediction, key=key,
                          n_jobs=n_jobs)
        np.testing.assert_allclose(res.scores, fold[None, :] + np.array(grid["shift"])[:, None],
                                   rtol=1e-6)


def test_split_deals_the_longest_axis_in_snake_order():
    axes = {"C": np.arange(4.0), "gamma": np.arange(3.0)}
    a, parts = _split(axes, 2)
    assert a == 0 and [p.tolist() for p in parts] == [[0, 3], [1, 2]]
    a, parts = _split({"x": np.arange(2.0), "y": np.arange(7.0)}, 3)
    assert a == 1 and [p.tolist() for p in parts] == [[0, 5, 6], [1, 4], [2, 3]]
    a, parts = _split({"x": np.arange(2.0)}, 8)  # at most one job per value
    assert [p.tolist() for p in parts] == [[0], [1]]


def test_svm_grid_with_two_jobs_matches_one_job():
    from sklearn.datasets import load_wine
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    grid = {"C": [0.1, 1.0, 10.0], "gamma": [0.01, 0.1]}
    one = grid_search(svm.svc(), grid, X, y, folds)
    two = grid_search(svm.svc(), grid, X, y, folds, n_jobs=2)
    np.testing.assert_array_equal(np.asarray(one.scores), np.asarray(two.scores))
    assert one.best_score > 0.95


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, "2", True])
def test_bad_n_jobs(regression_data, n_jobs):
    X, y = regression_data
    with pytest.raises(errors.ValidationError, match="n_jobs"):
        grid_search(RIDGE, {"alpha": [1.0]}, X, y, kfold_masks(60, 3), n_jobs=n_jobs)


def test_bad_grid_and_batch_size(regression_data):
    X, y = regression_data
    masks = kfold_masks(60, 3)
    with pytest.raises(errors.ValidationError, match="empty"):
        grid_search(RIDGE, {}, X, y, masks)
    with pytest.raises(errors.ShapeError, match="1-D"):
        grid_search(RIDGE, {"alpha": [[1.0]]}, X, y, masks)
    with pytest.raises(errors.ValidationError, match="batch_size"):
        grid_search(RIDGE, {"alpha": [1.0]}, X, y, masks, batch_size=0)
    with pytest.raises(errors.ValidationError, match="Estimator"):
        grid_search(ridge_fit, {"alpha": [1.0]}, X, y, masks)


class _Counting:  # counts the traces and compilations of a search
    def __init__(self, jitted, lowered):
        self.jitted, self.lowered = jitted, lowered

    def lower(self, *args):
        self.lowered.append(args)
        return self.jitted.lower(*args)


def test_untraceable_fit_is_a_clear_error_and_executables_are_reused(regression_data):
    from jaxfound.stats import _grid_search

    X, y = regression_data
    masks = kfold_masks(60, 3)
    python_fit = Estimator(  # float() of a tracer
        fit=lambda X, y, *, sample_weight=None, alpha=1.0: ridge_fit(
            X, y, sample_weight=sample_weight, alpha=float(alpha)),
        predict=ridge_predict)
    with pytest.raises(errors.ValidationError, match="jittable"):
        grid_search(python_fit, {"alpha": [1.0, 2.0]}, X, y, masks, metric=mse, n_jobs=2)
    runner = _grid_search._runner(RIDGE, mse, y, ("alpha",), None)
    lowered = []
    runner._jit, runner._exe = _Counting(runner._jit, lowered), {}
    grid = {"alpha": [0.1, 1.0, 10.0, 100.0]}
    first = grid_search(RIDGE, grid, X, y, masks, metric=mse, n_jobs=2)
    again = grid_search(RIDGE, grid, X, y, masks, metric=mse, n_jobs=2)
    assert len(lowered) == 1  # two halves of one shape, twice: compiled once
    np.testing.assert_array_equal(np.asarray(first.scores), np.asarray(again.scores))
    grid_search(RIDGE, {"alpha": [1.0, 2.0, 3.0]}, X, y, masks, metric=mse, n_jobs=2)
    assert len(lowered) == 2  # halves of 1 and 2 values: only the 1-value one is new


def test_cached_constructor_compiles_once(regression_data):
    """A fresh `linear.ridge()` call per search is the same estimator: no recompilation."""
    from jaxfound.stats import _grid_search

    X, y = regression_data
    masks = kfold_masks(60, 3)
    runner = _grid_search._runner(linear.ridge(), None, y, ("alpha",), None)
    lowered = []
    runner._jit, runner._exe = _Counting(runner._jit, lowered), {}
    for _ in range(2):
        grid_search(linear.ridge(), {"alpha": [0.1, 1.0]}, X, y, masks)
    assert len(lowered) == 1
    grid_search(linear.ridge(fit_intercept=False), {"alpha": [0.1, 1.0]}, X, y, masks)
    assert len(lowered) == 1  # another setting: another estimator, its own runner
