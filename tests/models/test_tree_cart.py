"""CART trees: parity with scikit-learn, weights, vmap, layout, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.models import trees

sk_datasets = pytest.importorskip("sklearn.datasets")
sk_tree = pytest.importorskip("sklearn.tree")
sk_ms = pytest.importorskip("sklearn.model_selection")


def _fold_weights(n, y=None, k=5, seed=0):
    """(k, n) 0/1 training masks of a (stratified) k-fold split."""
    if y is None:
        splits = sk_ms.KFold(k, shuffle=True, random_state=seed).split(np.zeros(n))
    else:
        splits = sk_ms.StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(n), y)
    masks = np.zeros((k, n), np.float32)
    for i, (tr, _) in enumerate(splits):
        masks[i, tr] = 1.0
    return masks


def _r2(y, p):
    return 1.0 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)


@pytest.mark.parametrize(
    "name,criterion,depth",
    [("iris", "gini", 3), ("wine", "entropy", 4), ("breast_cancer", "gini", 5)],
)
def test_classifier_accuracy_matches_sklearn(name, criterion, depth):
    X, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
    masks = _fold_weights(len(y), y)
    # all five folds in one compiled, vmapped call: the fold is a 0/1 sample weight
    fit = jax.vmap(
        lambda w: trees.fit_classifier(
            X, y, max_depth=depth, criterion=criterion, sample_weight=w, n_classes=int(y.max()) + 1
        )
    )
    forest_of_folds = fit(jnp.asarray(masks))
    ours, theirs = [], []
    for i, m in enumerate(masks):
        tr, te = m > 0, m == 0
        t = jax.tree_util.tree_map(lambda a, i=i: a[i], forest_of_folds)
        ours.append(np.mean(np.asarray(trees.predict(t, X[te])) == y[te]))
        for seed in range(3):  # scikit-learn breaks ties by a random feature order
            clf = sk_tree.DecisionTreeClassifier(
                max_depth=depth, criterion=criterion, random_state=seed
            ).fit(X[tr], y[tr])
            theirs.append(clf.score(X[te], y[te]))
    acc, ref = 100 * np.mean(ours), 100 * np.mean(theirs)
    assert abs(acc - ref) <= 2.0, (acc, ref)
    assert acc > 85.0


@pytest.mark.parametrize("depth", [3, 5])
def test_regressor_r2_matches_sklearn(depth):
    X, y = sk_datasets.load_diabetes(return_X_y=True)
    masks = _fold_weights(len(y))
    stack = jax.vmap(lambda w: trees.fit_regressor(X, y, max_depth=depth, sample_weight=w))(
        jnp.asarray(masks)
    )
    pred = np.asarray(jax.vmap(trees.predict, (0, None))(stack, X))
    ours, theirs = [], []
    for i, m in enumerate(masks):
        tr, te = m > 0, m == 0
        ours.append(_r2(y[te], pred[i, te]))
        for seed in range(3):
            reg = sk_tree.DecisionTreeRegressor(max_depth=depth, random_state=seed)
            theirs.append(_r2(y[te], reg.fit(X[tr], y[tr]).predict(X[te])))
    r2, ref = 100 * np.mean(ours), 100 * np.mean(theirs)
    assert abs(r2 - ref) <= 2.0, (r2, ref)


def _tie_free_data(n=300, f=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, f)).astype(np.float32)
    logits = X @ rng.normal(size=(f, classes))
    y = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    return X, y


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_same_tree_as_sklearn_without_ties(criterion):
    """With continuous features and no tiny nodes (no tied gains) the trees coincide."""
    X, y = _tie_free_data(n=600)
    t = trees.fit_classifier(X, y, max_depth=4, criterion=criterion, min_samples_leaf=5)
    clf = sk_tree.DecisionTreeClassifier(
        max_depth=4, criterion=criterion, min_samples_leaf=5, random_state=0
    ).fit(X, y)
    Xt, _ = _tie_free_data(seed=1)
    np.testing.assert_allclose(trees.predict_proba(t, Xt), clf.predict_proba(Xt), atol=1e-5)
    np.testing.assert_allclose(t.importances, clf.feature_importances_, atol=1e-4)
    assert int(t.feature[0]) == clf.tree_.feature[0]
    np.testing.assert_allclose(float(t.threshold[0]), clf.tree_.threshold[0], rtol=1e-6)


def test_regressor_same_as_sklearn_without_ties():
    X, _ = _tie_free_data(n=400, f=4)
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] ** 2 + 0.1 * X[:, 2]
    t = trees.fit_regressor(X, y, max_depth=4, min_samples_leaf=5)
    reg = sk_tree.DecisionTreeRegressor(max_depth=4, min_samples_leaf=5, random_state=0)
    reg.fit(X, y)
    Xt, _ = _tie_free_data(n=100, f=4, seed=3)
    np.testing.assert_allclose(trees.predict(t, Xt), reg.predict(Xt), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(t.importances, reg.feature_importances_, atol=1e-4)


def test_integer_weights_equal_repeated_rows_and_zero_weight_drops():
    X, y = _tie_free_data(n=120, f=3)
    w = np.random.default_rng(0).integers(0, 4, size=len(y)).astype(np.float32)
    tw = trees.fit_classifier(X, y, max_depth=4, sample_weight=w, n_classes=3)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    tr = trees.fit_classifier(X[rep], y[rep], max_depth=4, n_classes=3)
    Xt, _ = _tie_free_data(n=50, f=3, seed=5)
    np.testing.assert_allclose(trees.predict_proba(tw, Xt), trees.predict_proba(tr, Xt), atol=1e-6)


def test_vmap_over_weights_equals_separate_fits():
    X, y = _tie_free_data(n=90, f=4)
    masks = _fold_weights(len(y), y, k=3)
    stack = jax.vmap(
        lambda w: trees.fit_classifier(X, y, max_depth=3, sample_weight=w, n_classes=3)
    )(jnp.asarray(masks))
    for i, m in enumerate(masks):
        single = trees.fit_classifier(X[m > 0], y[m > 0], max_depth=3, n_classes=3)
        np.testing.assert_array_equal(stack.feature[i], single.feature)
        np.testing.assert_allclose(stack.value[i], single.value, atol=1e-6)


@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_depth_limit_equals_a_shallower_tree(task):
    if task == "classifier":
        X, y = sk_datasets.load_wine(return_X_y=True)
        fit = lambda **kw: trees.fit_classifier(X, y, n_classes=3, **kw)
    else:
        X, y = sk_datasets.load_diabetes(return_X_y=True)
        fit = lambda **kw: trees.fit_regressor(X, y, min_samples_leaf=3, **kw)
    for d in (1, 2, 4):  # one compiled layout-4 fit serves every limit
        one, alone = fit(max_depth=4, depth_limit=d), fit(max_depth=d)
        np.testing.assert_array_equal(trees.apply(one, X) >> (4 - d), trees.apply(alone, X))
        np.testing.assert_allclose(trees.predict_value(one, X), trees.predict_value(alone, X),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(one.importances, alone.importances, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(one.feature, alone.feature)  # d = 4: the whole tree


def test_grid_search_over_depth_in_one_compiled_call():
    import jaxfound as jf

    X, y = sk_datasets.load_wine(return_X_y=True)
    masks = _fold_weights(len(y), y, k=3)
    fit = lambda X, y, w, depth: trees.fit_classifier(X, y, max_depth=4, n_classes=3,
                                                      sample_weight=w, depth_limit=depth)
    res = jf.stats.grid_search(fit, trees.predict, jf.stats.accuracy, X, y,
                               {"depth": np.arange(1, 5)}, masks, n_jobs=2)
    for d in (1, 3):  # a grid point equals the cross-validation of a depth-d tree
        alone = lambda X, y, w, d=d: trees.fit_classifier(X, y, max_depth=d, n_classes=3,
                                                          sample_weight=w)
        cv = jf.stats.cross_validate(alone, trees.predict, jf.stats.accuracy, X, y, masks)
        np.testing.assert_allclose(res.scores[d - 1], cv.scores, atol=1e-6)
    assert res.best_score > 0.85


def test_layout_leaves_and_min_samples_leaf():
    X, y = _tie_free_data(n=200, f=3)
    t = trees.fit_classifier(X, y, max_depth=5, min_samples_leaf=7)
    assert t.feature.shape == (31,) and t.threshold.shape == (31,) and t.value.shape == (32, 3)
    assert t.depth == 5 and t.n_features == 3
    leaves = np.asarray(trees.apply(t, X))
    counts = np.bincount(leaves, minlength=32)
    assert counts[counts > 0].min() >= 7
    np.testing.assert_allclose(np.asarray(t.value)[counts > 0].sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(float(jnp.sum(t.importances)), 1.0, rtol=1e-6)


def test_pure_data_gives_constant_tree_and_depth_one_stump():
    X = np.arange(10.0)[:, None]
    t = trees.fit_classifier(X, np.r_[np.zeros(5, int), np.ones(5, int)], max_depth=3)
    assert float(t.threshold[0]) == 4.5
    assert np.all(np.isinf(np.asarray(t.threshold[1:])))  # both children are pure
    np.testing.assert_array_equal(t.importances, [1.0])
    t = trees.fit_regressor(X, np.full(10, 2.5), max_depth=2)
    np.testing.assert_allclose(trees.predict(t, X), 2.5)
    np.testing.assert_array_equal(t.importances, [0.0])


def test_random_feature_subsets_change_with_key():
    X, y = _tie_free_data(n=200, f=8)
    a = trees.fit_classifier(X, y, max_depth=4, max_features=2, key=jax.random.key(0))
    b = trees.fit_classifier(X, y, max_depth=4, max_features=2, key=jax.random.key(1))
    assert not np.array_equal(a.feature, b.feature)
    assert trees.resolve_max_features("sqrt", 30) == 5
    assert trees.resolve_max_features(0.5, 30) == 15
    assert trees.resolve_max_features("log2", 30) == 4


def test_float64():
    with jax.enable_x64(True):
        X, y = _tie_free_data(n=100, f=3)
        t = trees.fit_regressor(X.astype(np.float64), y.astype(np.float64), max_depth=3)
        assert t.threshold.dtype == jnp.float64 and t.value.dtype == jnp.float64
        assert trees.predict(t, X.astype(np.float64)).dtype == jnp.float64


# ----------------------------------------------------------------------------- bad input


def test_fewer_samples_than_classes():
    X = np.zeros((2, 2))
    with pytest.raises(errors.LabelError, match="2 samples for 3 classes"):
        trees.fit_classifier(X, np.array([0, 2]))


def test_string_labels():
    with pytest.raises(errors.DTypeError, match="y has dtype"):
        trees.fit_classifier(np.zeros((3, 2)), np.array(["a", "b", "a"]))


def test_non_integer_float_labels():
    with pytest.raises(errors.DTypeError, match="non-integer"):
        trees.fit_classifier(np.zeros((3, 2)), np.array([0.5, 1.0, 0.0]))


def test_nan_features_and_inputs_unchanged():
    X = np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 3.0]])
    y = np.array([0, 1, 1])
    X0, y0 = X.copy(), y.copy()
    with pytest.raises(errors.NonFiniteError, match="X contains 1 NaN"):
        trees.fit_classifier(X, y)
    with pytest.raises(errors.NonFiniteError):
        trees.fit_regressor(X, y.astype(float))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_predict_with_other_feature_count():
    t = trees.fit_classifier(np.eye(4), np.array([0, 1, 0, 1]), max_depth=2)
    with pytest.raises(errors.ShapeError, match="fitted on 4"):
        trees.predict(t, np.zeros((2, 3)))
    with pytest.raises(errors.NonFiniteError):
        trees.predict(t, np.full((1, 4), np.inf))
    with pytest.raises(errors.ValidationError, match="regression"):
        trees.predict_proba(trees.fit_regressor(np.eye(4), np.arange(4.0)), np.eye(4))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_depth": 0},
        {"max_depth": 2.5},
        {"min_samples_leaf": 0},
        {"min_samples_split": 1},
        {"criterion": "squared_error"},
        {"max_features": "all"},
        {"max_features": 9},
        {"min_impurity_decrease": -1.0},
        {"max_depth": 3, "depth_limit": 0},
        {"max_depth": 3, "depth_limit": 4},
        {"max_depth": 3, "depth_limit": 1.5},
    ],
)
def test_bad_hyperparameters(kwargs):
    with pytest.raises(errors.ValidationError):
        trees.fit_classifier(np.eye(4), np.array([0, 1, 0, 1]), **kwargs)


def test_bad_shapes_and_weights():
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    with pytest.raises(errors.ShapeError, match="y has 3"):
        trees.fit_classifier(X, y[:3])
    with pytest.raises(errors.ShapeError, match="sample_weight has 3"):
        trees.fit_classifier(X, y, sample_weight=np.ones(3))
    with pytest.raises(errors.ValidationError, match="negative"):
        trees.fit_classifier(X, y, sample_weight=-np.ones(4))
    with pytest.raises(errors.EmptyDataError):
        trees.fit_classifier(X, y, sample_weight=np.zeros(4))
    with pytest.raises(errors.LabelError, match="at least 2 classes"):
        trees.fit_classifier(X, np.zeros(4, int))
    with pytest.raises(errors.ShapeError):
        trees.fit_regressor(X, np.ones((4, 2)))
