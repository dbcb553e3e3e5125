"""Random forests: parity with scikit-learn's RandomForest*, bootstrap weights, keys, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.models import trees

sk_datasets = pytest.importorskip("sklearn.datasets")
sk_ensemble = pytest.importorskip("sklearn.ensemble")
sk_ms = pytest.importorskip("sklearn.model_selection")


def _masks(X, y, k=5):
    masks = np.zeros((k, len(y)), np.float32)
    for i, (tr, _) in enumerate(sk_ms.StratifiedKFold(k, shuffle=True, random_state=0).split(X, y)):
        masks[i, tr] = 1.0
    return masks


@pytest.mark.slow
# breast cancer (569 x 30) with 50 trees: 100 took 52 s to fit the 10 forests on 2 cores, 50
# take 21 s. The bar stays 1 point of 5-fold CV accuracy against scikit-learn with the same
# number of trees; measured gaps (ours - sklearn): 0.02 (100 trees), 0.41 (50), 0.38 (30).
# Wine (178 x 13) is cheap and keeps 100 trees.
@pytest.mark.parametrize(("name", "T"), [("breast_cancer", 50), ("wine", 100)])
def test_forest_accuracy_within_one_point_of_sklearn(name, T):
    X, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
    depth = 8
    masks = _masks(X, y)
    est = trees.forest_classifier(n_estimators=T, max_depth=depth)
    # 5 folds x 2 seeds = 10 forests of T trees, one compiled call
    fit = jax.vmap(
        jax.vmap(lambda w, k: est.fit(X, y, sample_weight=w, key=k), (None, 0)), (0, None)
    )
    forests = fit(jnp.asarray(masks), jax.random.split(jax.random.key(0), 2))
    pred = np.asarray(jax.vmap(jax.vmap(est.predict, (0, None)), (0, None))(forests, X))
    ours, theirs = [], []
    for i, m in enumerate(masks):
        tr, te = m > 0, m == 0
        ours += [np.mean(pred[i, s, te] == y[te]) for s in range(2)]
        for seed in range(3):
            rf = sk_ensemble.RandomForestClassifier(
                n_estimators=T, max_depth=depth, max_features="sqrt", random_state=seed
            ).fit(X[tr], y[tr])
            theirs.append(rf.score(X[te], y[te]))
    acc, ref = 100 * np.mean(ours), 100 * np.mean(theirs)
    assert abs(acc - ref) <= 1.0, (acc, ref)


def test_forest_regressor_close_to_sklearn():
    X, y = sk_datasets.load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = sk_ms.train_test_split(X, y, test_size=0.3, random_state=0)
    est = trees.forest_regressor(n_estimators=30, max_depth=4)
    f = est.fit(Xtr, ytr, key=jax.random.key(1))
    r2 = 1 - np.mean((np.asarray(est.predict(f, Xte)) - yte) ** 2) / np.var(yte)
    rf = sk_ensemble.RandomForestRegressor(30, max_depth=4, random_state=0).fit(Xtr, ytr)
    assert abs(100 * r2 - 100 * rf.score(Xte, yte)) <= 3.0
    imp = trees.feature_importances(f)
    assert imp.shape == (10,)
    np.testing.assert_allclose(float(imp.sum()), 1.0, rtol=1e-5)
    assert int(jnp.argmax(imp)) == int(np.argmax(rf.feature_importances_))


def test_small_forest_shapes_and_averaging():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    est = trees.forest_classifier(n_estimators=6, max_depth=3)
    f = est.fit(X, y, key=jax.random.key(0))
    assert f.feature.shape == (6, 7) and f.value.shape == (6, 8, 2)
    per_tree = jax.vmap(est.predict_proba, (0, None))(f, X)
    np.testing.assert_allclose(est.predict_proba(f, X), per_tree.mean(0), atol=1e-6)
    np.testing.assert_array_equal(est.predict(f, X), np.argmax(per_tree.mean(0), -1))
    assert trees.apply(f, X).shape == (6, 80)
    assert float(np.mean(np.asarray(est.predict(f, X)) == y)) > 0.9
    # the same key gives the same forest, another key another one
    np.testing.assert_array_equal(est.fit(X, y, key=jax.random.key(0)).threshold, f.threshold)
    g = est.fit(X, y, key=jax.random.key(1))
    assert not np.array_equal(f.threshold, g.threshold)
    # no bootstrap + all features: identical trees (whatever the key)
    # (and each the CART tree of the same splitter: the forest's "auto" is "hist" with its
    # bins capped by the rows, the tree's "auto" on 80 x 5 values is "exact")
    for splitter, bins in (("exact", 256), ("hist", trees.rows_capped_bins(256, 80, 16))):
        h = trees.forest_classifier(
            n_estimators=3, max_depth=3, bootstrap=False, max_features=None,
            splitter=splitter if splitter == "exact" else "auto",
        ).fit(X, y, key=jax.random.key(2))  # fmt: skip
        np.testing.assert_array_equal(h.feature[0], h.feature[2])
        t = trees.cart_classifier(max_depth=3, splitter=splitter, max_bins=bins).fit(X, y)
        np.testing.assert_array_equal(h.feature[1], t.feature)
        np.testing.assert_array_equal(h.threshold[1], t.threshold)
    assert bins == 8  # 80 rows / 16 a bin + the missing bin, rounded up to 8


def test_forest_auto_takes_hist_with_row_capped_bins():
    """A forest's ``splitter="auto"`` grows histogram trees at any size, with about
    `FOREST_ROWS_PER_BIN` rows a bin: its thresholds are those of the capped bin edges."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(160, 3))  # 160 distinct values a feature: the cap decides
    y = (X[:, 0] > 0.1).astype(int)
    f = trees.forest_classifier(n_estimators=4, max_depth=2).fit(X, y, key=jax.random.key(0))
    bins = trees.rows_capped_bins(256, 160, trees.FOREST_ROWS_PER_BIN)
    edges = np.asarray(trees.bin_edges(X, max_bins=bins))
    assert bins == 16 and edges.shape == (3, 14)
    split = np.isfinite(np.asarray(f.threshold))
    assert split.any()
    for feat, thr in zip(np.asarray(f.feature)[split], np.asarray(f.threshold)[split]):
        assert np.isclose(edges[feat], thr).any(), (feat, thr)
    # the exact splitter's thresholds are midpoints between data values, not bin edges
    g = trees.forest_classifier(n_estimators=4, max_depth=2, splitter="exact")
    g = g.fit(X, y, key=jax.random.key(0))
    gs = np.isfinite(np.asarray(g.threshold))
    assert not all(np.isclose(edges[a], b).any() for a, b in
                   zip(np.asarray(g.feature)[gs], np.asarray(g.threshold)[gs]))  # fmt: skip


def test_forests_always_need_a_key():
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    for est in (
        trees.forest_classifier(n_estimators=2, max_depth=2),
        trees.forest_classifier(n_estimators=2, max_depth=2, bootstrap=False, max_features=None),
        trees.forest_regressor(n_estimators=2, max_depth=2),
    ):
        assert est.needs_key
        with pytest.raises(errors.ValidationError, match=r"needs key=.*jax\.random\.key\(0\)"):
            est.fit(X, y)
    assert trees.forest_classifier(n_estimators=7) is trees.forest_classifier(n_estimators=7)


def test_forest_traced_depth_limit_and_fold_keys():
    """`depth_limit` is traced through the forest; per-fold keys (fold_in) under vmap."""
    X, y = sk_datasets.load_diabetes(return_X_y=True)
    key = jax.random.key(3)
    # all features: the trees' randomness is the bootstrap alone, so a depth-2 limit in the
    # depth-4 layout is the depth-2 forest of the same key
    deep = trees.forest_regressor(n_estimators=4, max_depth=4)
    limited = deep.fit(X, y, key=key, depth_limit=2)
    shallow = trees.forest_regressor(n_estimators=4, max_depth=2).fit(X, y, key=key)
    np.testing.assert_allclose(deep.predict(limited, X), deep.predict(shallow, X), rtol=1e-5)
    masks = _masks(X, (y > np.median(y)).astype(int), k=3)
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(3))
    stack = jax.vmap(lambda w, k: deep.fit(X, y, sample_weight=w, key=k, depth_limit=2))(
        jnp.asarray(masks), keys
    )
    one = deep.fit(X, y, sample_weight=masks[1], key=jax.random.fold_in(key, 1), depth_limit=2)
    np.testing.assert_allclose(stack.value[1], one.value, rtol=1e-5, atol=1e-5)


def test_bootstrap_weights_are_multinomial_counts_of_the_positive_rows():
    w = jnp.asarray(np.r_[np.ones(50), np.zeros(30), 2 * np.ones(20)], jnp.float32)
    b = np.asarray(trees.bootstrap_weights(jax.random.key(3), w))
    counts = b / np.where(np.asarray(w) > 0, np.asarray(w), 1)
    assert counts.sum() == 70 and np.all(b[50:80] == 0)
    np.testing.assert_array_equal(counts, np.round(counts))
    draws = jax.vmap(trees.bootstrap_weights, (0, None))(
        jax.random.split(jax.random.key(0), 400), jnp.ones(10)
    )
    np.testing.assert_allclose(np.asarray(draws).mean(0), 1.0, atol=0.15)


def test_forest_bad_input():
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    k = jax.random.key(0)
    with pytest.raises(errors.ValidationError, match="n_estimators"):
        trees.forest_classifier(n_estimators=0)
    with pytest.raises(errors.ValidationError, match="bootstrap"):
        trees.forest_regressor(bootstrap=1)
    with pytest.raises(errors.ValidationError, match="batch_size"):
        trees.forest_classifier(batch_size=0)
    est = trees.forest_classifier(n_estimators=2, max_depth=2)
    with pytest.raises(errors.DTypeError):
        est.fit(X, np.array(["a", "b", "a", "b"]), key=k)
    with pytest.raises(errors.LabelError):
        est.fit(X[:2], np.array([0, 2]), key=k)
    with pytest.raises(errors.NonFiniteError):
        trees.forest_regressor(splitter="exact").fit(np.full((4, 2), np.nan), np.ones(4), key=k)
    with pytest.raises(errors.NonFiniteError):  # every splitter refuses infinities
        trees.forest_regressor().fit(np.full((4, 2), np.inf), np.ones(4), key=k)
    with pytest.raises(errors.ValidationError, match="all zero"):
        est.fit(X, y, sample_weight=np.zeros(4), key=k)
    f = est.fit(X, y, key=k)
    with pytest.raises(errors.ShapeError, match="fitted with 4"):
        est.predict(f, np.eye(3))
