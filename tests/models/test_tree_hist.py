"""Histogram trees: binning, NaN routing, parity with the exact splitter and scikit-learn."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.models import trees

sk_datasets = pytest.importorskip("sklearn.datasets")
sk_tree = pytest.importorskip("sklearn.tree")


def test_edges_are_midpoints_for_few_values_and_codes_match_thresholds():
    X = np.array([[0.0, 5.0], [1.0, 5.0], [1.0, 6.0], [3.0, np.nan]])
    e = np.asarray(trees.bin_edges(X, max_bins=5))
    assert e.shape == (2, 3)
    assert e[0].tolist() == [0.5, 2.0, np.inf] and e[1].tolist() == [5.5, np.inf, np.inf]
    c = np.asarray(trees.bin_codes(e, X))
    assert c.dtype == np.uint8 and c[:, 0].tolist() == [0, 1, 1, 2] and c[3, 1] == 4
    # code <= b  <=>  x <= edge[b]
    x = np.random.default_rng(0).normal(size=(200, 1))
    e = np.asarray(trees.bin_edges(x, max_bins=16))
    c = np.asarray(trees.bin_codes(e, x))[:, 0]
    for b in range(e.shape[1]):
        assert np.array_equal(c <= b, x[:, 0] <= e[0, b])


def test_edges_equal_whether_numpy_or_xla_sorts_the_columns():
    # concrete X on the CPU is sorted by NumPy, traced X by XLA: the same edges either way
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    X[:, 1] = rng.integers(0, 5, 300)  # few distinct values: midpoints
    X[rng.random(300) < 0.1, 2] = np.nan
    X[:, 3] = np.nan  # all missing
    for bins in (2, 8, 256):
        concrete = np.asarray(trees.bin_edges(X, max_bins=bins))
        traced = np.asarray(jax.jit(lambda x, b=bins: trees.bin_edges(x, max_bins=b))(X))
        np.testing.assert_array_equal(concrete, traced)


def test_quantile_bins_transform_round_trip_codes():
    from jaxfound.data import fit_transform

    x = np.random.default_rng(1).normal(size=(500, 3))
    t = trees.quantile_bins(32)
    state, codes = fit_transform(t, x)
    assert int(np.asarray(codes).max()) <= 30
    upper = np.asarray(t.inverse(state, codes))
    assert np.all(x <= upper)


@pytest.mark.parametrize("bad", [1, 257, 0, 2.5])
def test_bad_bin_count_raises(bad):
    with pytest.raises(errors.ValidationError, match="max_bins"):
        trees.bin_edges(np.ones((4, 1)), max_bins=bad)
    with pytest.raises(errors.ValidationError, match="max_bins"):
        trees.cart_classifier(max_bins=bad)


def test_bad_splitter_and_infinite_features_raise():
    with pytest.raises(errors.ValidationError, match="splitter"):
        trees.cart_classifier(splitter="best")
    X = np.array([[0.0], [np.inf], [1.0], [2.0]])
    with pytest.raises(errors.NonFiniteError, match="infinite"):
        trees.cart_classifier(splitter="hist").fit(X, np.array([0, 1, 0, 1]))
    with pytest.raises(errors.NonFiniteError):  # the exact splitter takes no NaN
        trees.cart_classifier(splitter="exact").fit(np.array([[np.nan], [1.0]]), [0, 1])


def test_nan_goes_to_the_better_side():
    # class 1 lives at x > 5 and at missing x: NaN must join the right child
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 300)
    y = (x > 5).astype(int)
    x[:40] = np.nan
    y[:40] = 1
    est = trees.cart_classifier(max_depth=1, splitter="hist")
    t = est.fit(x[:, None], y)
    assert bool(np.asarray(t.missing_right)[0])
    assert 4.5 < float(t.threshold[0]) < 5.5
    pred = np.asarray(est.predict(t, np.array([[np.nan], [1.0], [9.0]])))
    assert pred.tolist() == [1, 0, 1]
    # and to the left when missing rows look like the low side
    y2 = (x > 5).astype(int)
    y2[:40] = 0
    t2 = est.fit(x[:, None], y2)
    assert not bool(np.asarray(t2.missing_right)[0])
    assert np.asarray(est.predict(t2, np.array([[np.nan]]))).tolist() == [0]


@pytest.mark.slow
@pytest.mark.parametrize("name,depth", [("wine", 3), ("breast_cancer", 3)])
def test_hist_accuracy_within_two_points_of_sklearn(name, depth):
    X, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    tr, te = idx[: int(0.7 * len(y))], idx[int(0.7 * len(y)) :]
    est = trees.cart_classifier(max_depth=depth, splitter="hist")
    t = est.fit(X[tr], y[tr])
    ours = np.mean(np.asarray(est.predict(t, X[te])) == y[te])
    sk = sk_tree.DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X[tr], y[tr])
    theirs = sk.score(X[te], y[te])
    assert ours >= theirs - 0.02 - 1.0 / len(te), (ours, theirs)


@pytest.mark.slow
def test_hist_regressor_matches_exact_on_few_valued_features():
    # features with < 255 distinct values: the bins are every midpoint, so both splitters agree
    rng = np.random.default_rng(2)
    X = rng.integers(0, 20, size=(300, 3)).astype(float)
    y = X[:, 0] * 2 + np.sin(X[:, 1]) + rng.normal(0, 0.1, 300)
    a = trees.cart_regressor(max_depth=2, splitter="hist")
    b = trees.cart_regressor(max_depth=2, splitter="exact")
    pa = np.asarray(a.predict(a.fit(X, y), X))
    pb = np.asarray(b.predict(b.fit(X, y), X))
    np.testing.assert_allclose(pa, pb, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_hist_forest_vmaps_trees_and_predicts():
    X, y = sk_datasets.load_iris(return_X_y=True)
    est = trees.forest_classifier(n_estimators=4, max_depth=2, splitter="hist",
                                    batch_size=2)
    f = est.fit(X, y, key=jax.random.key(0))
    assert f.feature.shape == (4, 3) and f.missing_right.shape == (4, 3)
    assert float(np.mean(np.asarray(est.predict(f, X)) == y)) > 0.8
    Xn = X.copy()
    Xn[::7, 2] = np.nan
    assert np.asarray(est.predict(f, Xn)).shape == (150,)


def test_auto_splitter_takes_hist_from_the_cell_threshold_or_with_missing_values():
    rng = np.random.default_rng(4)
    est = trees.cart_classifier(max_depth=2)  # splitter="auto", the default
    small = rng.normal(size=(40, 3))
    assert est.fit(small, (small[:, 0] > 0).astype(int)).missing_right is None  # exact
    n = trees.AUTO_HIST_MIN_CELLS // 2
    big = rng.normal(size=(n, 2))
    assert est.fit(big, (big[:, 0] > 0).astype(int)).missing_right is not None  # hist
    below = big[: n - 1]
    assert est.fit(below, (below[:, 0] > 0).astype(int)).missing_right is None
    # traced X (a vmap over fold weights) chooses by size alone, as concrete X does
    w = np.ones((2, 40))
    fitted = jax.vmap(lambda wt: est.fit(small, (small[:, 0] > 0).astype(int), sample_weight=wt))(w)
    assert fitted.missing_right is None


@pytest.mark.parametrize("flat", [True, False])
def test_sparse_class_histograms_equal_dense_one_hot_rows(flat, monkeypatch):
    """Slots (class + count) give the histogram of the dense one-hot rows, on both the one
    scatter path and the per-feature path; the count slot counts positive weights."""
    from jaxfound.models.trees import _hist

    if not flat:
        monkeypatch.setattr(_hist, "FLAT_SCATTER_MAX", 0)
    rng = np.random.default_rng(0)
    T, n, F, B, K, M = 3, 50, 4, 6, 5, 4
    codes = jax.numpy.asarray(rng.integers(0, B, (1, n, F)), jax.numpy.uint8)
    node = jax.numpy.asarray(rng.integers(0, M, (T, n)))
    y = jax.numpy.asarray(rng.integers(0, K, n))
    w = jax.numpy.asarray(rng.poisson(1.0, (T, n)).astype(np.float32))
    dense = np.concatenate([np.eye(K)[np.asarray(y)][None] * np.asarray(w)[..., None],
                            (np.asarray(w) > 0)[..., None]], axis=-1)
    want = trees.histograms(codes, node, jax.numpy.asarray(dense, np.float32), M, B)
    values, slots = _hist.class_stats(y, w, K, np.float32)
    got = trees.histograms(codes, node, values, M, B, slots, K + 1)
    assert got.shape == (T, M, F, B, K + 1)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    # by hand: tree 0, feature 0, every node and bin: the weights of each class
    c0, nd = np.asarray(codes)[0, :, 0], np.asarray(node)[0]
    yy, ww = np.asarray(y), np.asarray(w)[0]
    by_hand = np.zeros((M, B, K))
    np.add.at(by_hand, (nd, c0, yy), ww)
    np.testing.assert_array_equal(np.asarray(got)[0, :, 0, :, :K], by_hand)


def test_sparse_histograms_need_the_number_of_slots():
    codes = jax.numpy.zeros((1, 2, 1), jax.numpy.uint8)
    with pytest.raises(errors.ValidationError, match="n_stats"):
        trees.histograms(codes, jax.numpy.zeros((1, 2), int), jax.numpy.ones((1, 2, 1)), 1, 1,
                         jax.numpy.zeros((1, 2, 1), int))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("sparse", [False, True])
def test_subtracted_histograms_equal_a_direct_scatter(sparse, seed):
    """The smaller children scattered, the larger ones as parent minus sibling: the same
    histograms as scattering every row (exact for counts, to rounding for floats)."""
    from jaxfound.models.trees import _hist

    rng = np.random.default_rng(seed)
    T, n, F, B, K, M = 2, 41, 3, 5, 3, 8
    jnp = jax.numpy
    codes = jnp.asarray(rng.integers(0, B, (n, F)), jnp.uint8)
    node = jnp.asarray(rng.integers(0, M, (T, n)))
    w = jnp.asarray(rng.poisson(1.0, (T, n)).astype(np.float32))  # some rows carry nothing
    if sparse:
        stats, slots = _hist.class_stats(jnp.asarray(rng.integers(0, K, n)), w, K, np.float32)
        extra = (slots, K + 1)
    else:
        g = jnp.asarray(rng.normal(size=(T, n)).astype(np.float32))
        stats, extra = jnp.stack([g * w, w, (w > 0).astype(np.float32)], -1), ()
    parent = trees.histograms(codes[None], node // 2, stats, M // 2, B, *extra)
    want = trees.histograms(codes[None], node, stats, M, B, *extra)
    got = trees.subtracted_histograms(codes, node, stats, parent, *extra)
    assert got.shape == want.shape
    if sparse:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    else:
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5)


def test_bin_codes_agree_between_compare_all_and_binary_search(monkeypatch):
    from jaxfound.models.trees import _binning

    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(300, 5)), 1)  # ties on the edges
    X[::17, 2] = np.nan
    edges = trees.bin_edges(X, max_bins=16)
    on_edges = np.asarray(edges).T
    X_new = np.concatenate([X, np.where(np.isfinite(on_edges), on_edges, 0.0)])
    small = np.asarray(trees.bin_codes(edges, X_new))
    monkeypatch.setattr(_binning, "COMPARE_ALL_MAX", 0)  # the raw function sees the patch
    jnp = jax.numpy
    big = np.asarray(_binning._codes.__wrapped__(jnp.asarray(edges), jnp.asarray(X_new)))
    np.testing.assert_array_equal(small, big)
    # by hand: the code is the number of edges below the value (NaN: the last code)
    e, x32 = np.asarray(edges), X_new.astype(np.asarray(edges).dtype)
    want = np.where(np.isnan(x32), 15, (x32[:, :, None] > e[None]).sum(-1))
    np.testing.assert_array_equal(small, want)


@pytest.mark.parametrize(("criterion", "features"), [("gini", None), ("entropy", 3)])
def test_count_free_class_histograms_grow_the_same_trees(criterion, features):
    """Whole-number weights at min_samples_leaf=1, min_samples_split=2: the trees grown from
    class weights alone (no count column) equal those grown with it, split for split and
    leaf for leaf, with bootstrap counts, zero weights and NaN routed."""
    from jaxfound.models.trees import _hist

    rng = np.random.default_rng(7)
    X, y = sk_datasets.load_wine(return_X_y=True)
    X = X.astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan
    edges = trees.bin_edges(X, max_bins=16)
    codes = trees.bin_codes(edges, X)
    w = rng.poisson(1.0, (4, len(y))).astype(np.float32)  # bootstrap-like counts, some 0
    keys = jax.random.split(jax.random.key(0), 4) if features else None
    mid = jax.numpy.float32(0.0)
    fits = [
        _hist.fit_hist(codes, edges, jax.numpy.asarray(y), w, keys, mid, None,
                       task="classification", n_classes=3, criterion=criterion,
                       counted=counted, depth=4, min_samples_leaf=1, min_samples_split=2,
                       max_features=features, missing=True)
        for counted in (True, False)
    ]
    for a, b in zip(*fits):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(np.sum(np.asarray(fits[0][0]) != 0)) > 0  # the trees did split


def test_count_column_is_dropped_only_when_it_is_redundant():
    from jaxfound.models.trees import _cart

    assert _cart.whole_weights(None) and _cart.whole_weights(np.array([0.0, 2.0, 1.0]))
    assert not _cart.whole_weights(np.array([0.5, 1.0]))
    assert not jax.jit(lambda w: jax.numpy.asarray(_cart.whole_weights(w)))(np.ones(2))

    def counted(whole=True, task="classification", criterion="gini", leaf=1, split=2):
        s = _cart.settings(task, criterion=criterion, max_depth=3, n_classes=None,
                           min_samples_leaf=leaf, min_samples_split=split, max_features=None)
        return _cart.hist_cfg(s, {}, False, whole).get("counted")

    assert counted() is False
    assert counted(whole=False) is True
    assert counted(leaf=2) is True and counted(split=3) is True
    assert counted(task="regression", criterion="squared_error") is None  # never a count-free


def test_fractional_weights_keep_min_samples_leaf_on_samples():
    """min_samples_leaf counts samples, not weight: with weights 0.1 a leaf of one sample is
    allowed at min_samples_leaf=1 (weight sums below 1 must not forbid it)."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]], np.float32)
    y = np.array([0, 0, 1, 1])
    est = trees.cart_classifier(max_depth=2, splitter="hist")
    p = est.fit(X, y, sample_weight=np.full(4, 0.1, np.float32))
    np.testing.assert_array_equal(np.asarray(est.predict(p, X)), y)
