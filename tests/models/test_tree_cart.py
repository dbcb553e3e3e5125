"""CART trees: parity with scikit-learn, weights, vmap, layout, keys, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.base import Estimator
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


def _cv_accuracy(est, X, y, masks, key=None, **hparams):
    """Held-out accuracy per fold, a plain loop over 0/1 training masks (fold i: fold_in)."""
    out = []
    for i, m in enumerate(masks):
        kw = {} if key is None else {"key": jax.random.fold_in(key, i)}
        t = est.fit(X, y, sample_weight=m, **kw, **hparams)
        te = m == 0
        out.append(float(np.mean(np.asarray(est.predict(t, X[te])) == y[te])))
    return np.array(out)


@pytest.mark.parametrize(
    "name,criterion,depth",
    [("iris", "gini", 3), ("wine", "entropy", 4), ("breast_cancer", "gini", 5)],
)
def test_classifier_accuracy_matches_sklearn(name, criterion, depth):
    X, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
    masks = _fold_weights(len(y), y)
    est = trees.cart_classifier(max_depth=depth, criterion=criterion)
    # all five folds in one compiled, vmapped call: the fold is a 0/1 sample weight
    forest_of_folds = jax.vmap(lambda w: est.fit(X, y, sample_weight=w))(jnp.asarray(masks))
    ours, theirs = [], []
    for i, m in enumerate(masks):
        tr, te = m > 0, m == 0
        t = jax.tree_util.tree_map(lambda a, i=i: a[i], forest_of_folds)
        ours.append(np.mean(np.asarray(est.predict(t, X[te])) == y[te]))
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
    est = trees.cart_regressor(max_depth=depth)
    stack = jax.vmap(lambda w: est.fit(X, y, sample_weight=w))(jnp.asarray(masks))
    pred = np.asarray(jax.vmap(est.predict, (0, None))(stack, X))
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
    est = trees.cart_classifier(max_depth=4, criterion=criterion, min_samples_leaf=5)
    t = est.fit(X, y)
    clf = sk_tree.DecisionTreeClassifier(
        max_depth=4, criterion=criterion, min_samples_leaf=5, random_state=0
    ).fit(X, y)
    Xt, _ = _tie_free_data(seed=1)
    np.testing.assert_allclose(est.predict_proba(t, Xt), clf.predict_proba(Xt), atol=1e-5)
    np.testing.assert_array_equal(est.predict(t, Xt), clf.predict(Xt))
    np.testing.assert_allclose(t.importances, clf.feature_importances_, atol=1e-4)
    np.testing.assert_allclose(trees.feature_importances(t), clf.feature_importances_, atol=1e-4)
    assert int(t.feature[0]) == clf.tree_.feature[0]
    np.testing.assert_allclose(float(t.threshold[0]), clf.tree_.threshold[0], rtol=1e-6)


def test_regressor_same_as_sklearn_without_ties():
    X, _ = _tie_free_data(n=400, f=4)
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] ** 2 + 0.1 * X[:, 2]
    est = trees.cart_regressor(max_depth=4, min_samples_leaf=5)
    t = est.fit(X, y)
    reg = sk_tree.DecisionTreeRegressor(max_depth=4, min_samples_leaf=5, random_state=0)
    reg.fit(X, y)
    Xt, _ = _tie_free_data(n=100, f=4, seed=3)
    np.testing.assert_allclose(est.predict(t, Xt), reg.predict(Xt), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(trees.predict_value(t, Xt)[:, 0], reg.predict(Xt), atol=1e-4)
    np.testing.assert_allclose(t.importances, reg.feature_importances_, atol=1e-4)


def test_integer_weights_equal_repeated_rows_and_zero_weight_drops():
    X, y = _tie_free_data(n=120, f=3)
    w = np.random.default_rng(0).integers(0, 4, size=len(y)).astype(np.float32)
    est = trees.cart_classifier(max_depth=4, n_classes=3)
    tw = est.fit(X, y, sample_weight=w)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    tr = est.fit(X[rep], y[rep])
    Xt, _ = _tie_free_data(n=50, f=3, seed=5)
    np.testing.assert_allclose(est.predict_proba(tw, Xt), est.predict_proba(tr, Xt), atol=1e-6)


def test_vmap_over_weights_equals_separate_fits():
    X, y = _tie_free_data(n=90, f=4)
    masks = _fold_weights(len(y), y, k=3)
    est = trees.cart_classifier(max_depth=3, n_classes=3)
    stack = jax.vmap(lambda w: est.fit(X, y, sample_weight=w))(jnp.asarray(masks))
    for i, m in enumerate(masks):
        single = est.fit(X[m > 0], y[m > 0])
        np.testing.assert_array_equal(stack.feature[i], single.feature)
        np.testing.assert_allclose(stack.value[i], single.value, atol=1e-6)


@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_depth_limit_equals_a_shallower_tree(task):
    if task == "classifier":
        X, y = sk_datasets.load_wine(return_X_y=True)
        make = lambda d: trees.cart_classifier(max_depth=d)
    else:
        X, y = sk_datasets.load_diabetes(return_X_y=True)
        make = lambda d: trees.cart_regressor(max_depth=d, min_samples_leaf=3)
    layout = make(4)
    for d in (1, 2, 4):  # one compiled layout-4 fit serves every limit
        one, alone = layout.fit(X, y, depth_limit=d), make(d).fit(X, y)
        np.testing.assert_array_equal(trees.apply(one, X) >> (4 - d), trees.apply(alone, X))
        np.testing.assert_allclose(trees.predict_value(one, X), trees.predict_value(alone, X),
                                   rtol=1e-5, atol=1e-6)  # fmt: skip
        np.testing.assert_allclose(one.importances, alone.importances, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(one.feature, alone.feature)  # d = 4: the whole tree


def test_depth_grid_with_cross_validation_in_one_compiled_call():
    """What `jf.stats.grid_search` does with the estimator: X an argument, y concrete, the
    folds and the traced `depth_limit` vmapped, all in one jit; it equals a plain loop."""
    X, y = sk_datasets.load_wine(return_X_y=True)
    masks = _fold_weights(len(y), y, k=3)
    est = trees.cart_classifier(max_depth=4)
    test_w = jnp.asarray(1.0 - masks)

    def fold_score(X, train_w, test_w, depth):
        t = est.fit(X, y, sample_weight=train_w, depth_limit=depth)
        hit = (est.predict(t, X) == y).astype(X.dtype)
        return jnp.sum(test_w * hit) / jnp.sum(test_w)

    grid = jax.jit(jax.vmap(jax.vmap(fold_score, (None, 0, 0, None)), (None, None, None, 0)))
    scores = np.asarray(grid(jnp.asarray(X), jnp.asarray(masks), test_w, jnp.arange(1, 5)))
    assert scores.shape == (4, 3)
    for d in (1, 3):  # a grid point equals the cross-validation of a depth-d tree
        loop = _cv_accuracy(trees.cart_classifier(max_depth=d), X, y, masks)
        np.testing.assert_allclose(scores[d - 1], loop, atol=1e-6)
    assert scores.mean(1).max() > 0.85


def test_min_impurity_decrease_is_traced_and_matches_the_closed_form():
    # root: Gini 1/2, children pure -> the decrease per unit weight is exactly 0.5
    X = np.arange(10.0)[:, None]
    y = np.r_[np.zeros(5, int), np.ones(5, int)]
    est = trees.cart_classifier(max_depth=2)
    stack = jax.vmap(lambda m: est.fit(X, y, min_impurity_decrease=m))(jnp.array([0.5, 0.51]))
    assert float(stack.threshold[0, 0]) == 4.5 and np.isinf(float(stack.threshold[1, 0]))
    # the constructor's default is the default of fit
    assert np.isinf(float(trees.cart_classifier(max_depth=2, min_impurity_decrease=0.51)
                          .fit(X, y).threshold[0]))  # fmt: skip
    # squared error: S^2/W terms; y = 0/1 halves -> decrease / W = var(y) = 0.25
    reg = trees.cart_regressor(max_depth=1)
    for m, splits in ((0.25, True), (0.26, False)):
        t = reg.fit(X, y.astype(float), min_impurity_decrease=m)
        assert np.isfinite(float(t.threshold[0])) == splits


def test_layout_leaves_and_min_samples_leaf():
    X, y = _tie_free_data(n=200, f=3)
    t = trees.cart_classifier(max_depth=5, min_samples_leaf=7).fit(X, y)
    assert t.feature.shape == (31,) and t.threshold.shape == (31,) and t.value.shape == (32, 3)
    assert t.depth == 5 and t.n_features == 3
    leaves = np.asarray(trees.apply(t, X))
    counts = np.bincount(leaves, minlength=32)
    assert counts[counts > 0].min() >= 7
    np.testing.assert_allclose(np.asarray(t.value)[counts > 0].sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(float(jnp.sum(t.importances)), 1.0, rtol=1e-6)


def test_pure_data_gives_constant_tree_and_depth_one_stump():
    X = np.arange(10.0)[:, None]
    t = trees.cart_classifier(max_depth=3).fit(X, np.r_[np.zeros(5, int), np.ones(5, int)])
    assert float(t.threshold[0]) == 4.5
    assert np.all(np.isinf(np.asarray(t.threshold[1:])))  # both children are pure
    np.testing.assert_array_equal(t.importances, [1.0])
    est = trees.cart_regressor(max_depth=2)
    t = est.fit(X, np.full(10, 2.5))
    np.testing.assert_allclose(est.predict(t, X), 2.5)
    np.testing.assert_array_equal(t.importances, [0.0])


def test_estimator_protocol_and_cached_constructors():
    est = trees.cart_classifier(max_depth=8)
    assert isinstance(est, Estimator) and est.is_classifier and not est.needs_key
    assert est is trees.cart_classifier(max_depth=8)  # cached: the very same functions
    assert trees.cart_classifier() is trees.cart_classifier(max_depth=5, criterion="gini")
    assert trees.cart_classifier(max_features=1.0) is trees.cart_classifier()  # all features
    assert trees.cart_classifier(max_depth=3) is not trees.cart_classifier(max_depth=4)
    reg = trees.cart_regressor()
    assert not reg.is_classifier and reg.predict_proba is None and reg.name == "cart_regressor"


def test_keys_are_explicit():
    X, y = _tie_free_data(n=200, f=8)
    # a deterministic CART takes no key: a passed one is ignored
    det = trees.cart_classifier(max_depth=4)
    a, b = det.fit(X, y), det.fit(X, y, key=jax.random.key(5))
    np.testing.assert_array_equal(a.feature, b.feature)
    # random feature subsets need a key, and no silent default
    rnd = trees.cart_classifier(max_depth=4, max_features=2)
    assert rnd.needs_key and trees.cart_regressor(max_features="sqrt").needs_key
    with pytest.raises(errors.ValidationError, match=r"key=jax\.random\.key"):
        rnd.fit(X, y)
    with pytest.raises(errors.ValidationError, match="not a PRNG key"):
        rnd.fit(X, y, key=0)
    k0, k1 = jax.random.key(0), jax.random.key(1)
    np.testing.assert_array_equal(rnd.fit(X, y, key=k0).feature, rnd.fit(X, y, key=k0).feature)
    assert not np.array_equal(rnd.fit(X, y, key=k0).feature, rnd.fit(X, y, key=k1).feature)
    stack = jax.vmap(lambda k: rnd.fit(X, y, key=k))(jax.random.split(k0, 2))  # traced keys
    np.testing.assert_array_equal(stack.feature[1], rnd.fit(X, y, key=jax.random.split(k0)[1])
                                  .feature)  # fmt: skip
    # a subset that resolves to every feature draws nothing that matters: same tree
    full = trees.cart_classifier(max_depth=4, max_features=8).fit(X, y, key=k1)
    np.testing.assert_array_equal(full.feature, a.feature)


def test_resolve_max_features():
    assert trees.resolve_max_features("sqrt", 30) == 5
    assert trees.resolve_max_features(0.5, 30) == 15
    assert trees.resolve_max_features("log2", 30) == 4
    assert trees.resolve_max_features(None, 7) == 7


def test_float64():
    with jax.enable_x64(True):
        X, y = _tie_free_data(n=100, f=3)
        est = trees.cart_regressor(max_depth=3)
        t = est.fit(X.astype(np.float64), y.astype(np.float64))
        assert t.threshold.dtype == jnp.float64 and t.value.dtype == jnp.float64
        assert est.predict(t, X.astype(np.float64)).dtype == jnp.float64


# ----------------------------------------------------------------------------- bad input


def test_fewer_samples_than_classes():
    with pytest.raises(errors.LabelError, match="2 samples but 3 classes"):
        trees.cart_classifier().fit(np.zeros((2, 2)), np.array([0, 2]))


def test_string_and_float_labels():
    with pytest.raises(errors.DTypeError, match="y has dtype"):
        trees.cart_classifier().fit(np.zeros((3, 2)), np.array(["a", "b", "a"]))
    # as every classifier of the package: labels must be integers (no float labels)
    with pytest.raises(errors.DTypeError, match="must be integers"):
        trees.cart_classifier().fit(np.zeros((3, 2)), np.array([0.5, 1.0, 0.0]))


def test_nan_features_and_inputs_unchanged():
    X = np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 3.0]])
    y = np.array([0, 1, 1])
    X0, y0 = X.copy(), y.copy()
    with pytest.raises(errors.NonFiniteError, match="X contains 1 NaN"):
        trees.cart_classifier(splitter="exact").fit(X, y)
    with pytest.raises(errors.NonFiniteError):
        trees.cart_regressor(splitter="exact").fit(X, y.astype(float))
    # the default ("auto") takes the histogram path when a value is missing
    est = trees.cart_classifier(max_depth=1)
    tree = est.fit(X, y)
    assert tree.missing_right is not None
    np.testing.assert_array_equal(np.asarray(est.predict(tree, X)), y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_predict_with_other_feature_count():
    est = trees.cart_classifier(max_depth=2)
    t = est.fit(np.eye(4), np.array([0, 1, 0, 1]))
    with pytest.raises(errors.ShapeError, match="fitted with 4"):
        est.predict(t, np.zeros((2, 3)))
    with pytest.raises(errors.ShapeError, match="fitted with 4"):
        trees.apply(t, np.zeros((2, 3)))
    with pytest.raises(errors.NonFiniteError):
        est.predict(t, np.full((1, 4), np.inf))
    reg_tree = trees.cart_regressor().fit(np.eye(4), np.arange(4.0))
    with pytest.raises(errors.ValidationError, match="regression tree"):
        est.predict_proba(reg_tree, np.eye(4))
    with pytest.raises(errors.ValidationError, match="classification tree"):
        trees.cart_regressor().predict(t, np.eye(4))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_depth": 0},
        {"max_depth": 21},
        {"max_depth": 2.5},
        {"min_samples_leaf": 0},
        {"min_samples_split": 1},
        {"criterion": "squared_error"},
        {"n_classes": 1},
        {"max_features": "all"},
        {"max_features": 0},
        {"max_features": 1.5},
        {"max_features": True},
        {"min_impurity_decrease": -1.0},
        {"max_depth": 3, "depth_limit": 0},
        {"max_depth": 3, "depth_limit": 4},
        {"max_depth": 3, "depth_limit": 1.5},
    ],
)
def test_bad_settings(kwargs):
    with pytest.raises(errors.ValidationError):
        trees.cart_classifier(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"depth_limit": 0}, {"depth_limit": 4}, {"depth_limit": 1.5},
     {"min_impurity_decrease": -1.0}, {"min_impurity_decrease": np.nan}],
)  # fmt: skip
def test_bad_traced_hyperparameters_when_concrete(kwargs):
    with pytest.raises(errors.ValidationError):
        trees.cart_classifier(max_depth=3).fit(np.eye(4), np.array([0, 1, 0, 1]), **kwargs)


def test_bad_shapes_and_weights():
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    est = trees.cart_classifier()
    with pytest.raises(errors.ShapeError, match="y has 3"):
        est.fit(X, y[:3])
    with pytest.raises(errors.ShapeError, match="sample_weight has 3"):
        est.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(errors.ValidationError, match="negative"):
        est.fit(X, y, sample_weight=-np.ones(4))
    # as for every model of the package: a ValidationError (no longer EmptyDataError)
    with pytest.raises(errors.ValidationError, match="all zero") as e:
        est.fit(X, y, sample_weight=np.zeros(4))
    assert not isinstance(e.value, errors.EmptyDataError)
    with pytest.raises(errors.LabelError, match="single class"):
        est.fit(X, np.zeros(4, int))
    with pytest.raises(errors.ValidationError, match="max_features=9 exceeds"):
        trees.cart_classifier(max_features=9).fit(X, y, key=jax.random.key(0))
    with pytest.raises(errors.ShapeError):
        trees.cart_regressor().fit(X, np.ones((4, 2)))
