"""Best-first (leaf-wise) tree growth: the level-wise tree at a full budget, scikit-learn's
best-first regression tree at a small one, the leaf budget and depth cap, vmap, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.models import trees
from jaxfound.models.trees import _best_first
from jaxfound.models.trees._best_first import buffer_sizes, grow_best_first
from jaxfound.models.trees._hist import grow_hist

sk_tree = pytest.importorskip("sklearn.tree")


def _newton_score(s):
    H = s[..., 1]
    return jnp.where(H > 0, s[..., 0] ** 2 / jnp.where(H > 0, H, 1.0), 0.0)


def _binned(n, F, seed, nan=0.0, max_bins=32):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, F))
    if nan:
        X[rng.random(X.shape) < nan] = np.nan
    edges = trees.bin_edges(X, max_bins)
    return rng, X, edges, trees.bin_codes(edges, X)


def _grown(codes, edges, stats, max_leaves, depth, min_samples_leaf, missing=True):
    grow = jax.jit(lambda s: grow_best_first(
        codes, edges, s, _newton_score, max_leaves=max_leaves, depth=depth,
        min_samples_leaf=min_samples_leaf, min_child_hessian=1e-3, missing=missing))  # fmt: skip
    return grow(stats)


@pytest.mark.parametrize("nan", [0.0, 0.1])
def test_full_budget_is_the_level_wise_tree(nan):
    """With 2**depth leaves every splittable node splits: the level-wise tree, exactly (whole-
    number gradients in float64, so the subtraction trick rounds nothing), two trees batched."""
    with jax.enable_x64(True):
        rng, X, edges, codes = _binned(600, 5, 0, nan)
        g = rng.integers(-3, 4, size=(2, 600)).astype(np.float64)
        ones = np.ones((2, 600))
        stats = jnp.asarray(np.stack([g, ones, ones], -1))
        depth, leaf_min = 4, 5
        level = jax.jit(lambda s: grow_hist(
            codes, edges, s, None, _newton_score, jnp.ones(2), jnp.asarray(0.0), None,
            depth=depth, min_samples_leaf=leaf_min, min_samples_split=2, max_features=None,
            min_child_hessian=1e-3, missing=bool(nan)))(stats)  # fmt: skip
        best = _grown(codes, edges, stats, 2**depth, depth, leaf_min, bool(nan))
    assert int(jnp.sum(jnp.isfinite(level[1]))) >= 10  # the trees did split
    for name, a, b in zip(["feature", "threshold", "missing_right", "gain", "leaf"], level, best):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=name)


@pytest.mark.parametrize("max_leaves", [3, 7, 12])
def test_one_newton_step_is_sklearn_best_first_regression_tree(max_leaves, monkeypatch):
    """One boosting iteration of least squares at learning rate 1 fits the leaf means of a
    best-first tree; scikit-learn's ``DecisionTreeRegressor(max_leaf_nodes=...)`` grows the
    same tree (integer features: the bins are exact thresholds; a continuous target: no
    tied gains). 5,000 rows with a 256-row smallest buffer run several buffer sizes."""
    monkeypatch.setattr(_best_first, "MIN_BUFFER", 256)
    rng = np.random.default_rng(1)
    X = rng.integers(0, 30, size=(5000, 4)).astype(float)
    y = np.sin(X[:, 0] / 5) + 0.1 * X[:, 1] + 0.3 * rng.normal(size=5000)
    est = trees.gbdt_regressor(max_iter=1, learning_rate=1.0, max_depth=6,
                               max_leaf_nodes=max_leaves, min_samples_leaf=40)  # fmt: skip
    with jax.enable_x64(True):
        ours = np.asarray(est.predict(est.fit(X, y), X))
    sk = sk_tree.DecisionTreeRegressor(max_leaf_nodes=max_leaves, max_depth=6, min_samples_leaf=40)
    theirs = sk.fit(X, y).predict(X)
    assert sk.get_n_leaves() == max_leaves
    assert len(np.unique(theirs)) == max_leaves
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_leaf_budget_and_depth_cap():
    rng, X, edges, codes = _binned(3000, 6, 2)
    stats = jnp.asarray(np.stack([rng.normal(size=3000), np.ones(3000), np.ones(3000)], -1)[None])
    f, t, m, gain, leaf = _grown(codes, edges, stats, 9, 3, 10)
    split = np.isfinite(np.asarray(t[0]))
    assert split.sum() == 7  # 9 leaves wanted, but a depth-3 tree holds 8: 7 splits
    assert len(np.unique(np.asarray(leaf))) == 8
    f, t, m, gain, leaf = _grown(codes, edges, stats, 5, 6, 10)
    split = np.isfinite(np.asarray(t[0]))
    assert split.sum() == 4 and len(np.unique(np.asarray(leaf))) == 5
    parents = (np.flatnonzero(split)[1:] - 1) // 2  # every split node's parent split too
    assert split[parents].all()
    assert np.all(np.asarray(gain[0])[split] > 0) and np.all(np.asarray(gain[0])[~split] == 0)


def test_stops_when_no_leaf_gains():
    """A target with one step: after that split no leaf gains, the budget is left unspent."""
    X = np.repeat(np.arange(10.0), 20)[:, None]
    y = (X[:, 0] > 4.5).astype(float)
    est = trees.gbdt_regressor(max_iter=1, learning_rate=1.0, max_depth=8, max_leaf_nodes=31,
                               min_samples_leaf=1)  # fmt: skip
    p = est.fit(X, y)
    assert int(np.isfinite(np.asarray(p.trees.threshold)).sum()) == 1
    np.testing.assert_allclose(np.asarray(est.predict(p, X)), y, atol=1e-6)


@pytest.mark.slow
def test_classifier_within_two_points_of_hist_gradient_boosting_best_first():
    sk_ens = pytest.importorskip("sklearn.ensemble")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 6))
    z = X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) + 0.3 * rng.normal(size=1200)
    y = np.digitize(z, np.quantile(z, [1 / 3, 2 / 3]))
    tr, te = slice(0, 900), slice(900, None)
    est = trees.gbdt_classifier(max_iter=30, max_depth=8, max_leaf_nodes=15)
    ours = np.mean(np.asarray(est.predict(est.fit(X[tr], y[tr]), X[te])) == y[te])
    sk = sk_ens.HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, max_depth=8,
                                               early_stopping=False)  # fmt: skip
    theirs = sk.fit(X[tr], y[tr]).score(X[te], y[te])
    assert ours >= theirs - 0.02, (ours, theirs)


def test_vmap_over_learning_rate_equals_separate_fits():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + np.abs(X[:, 1])
    est = trees.gbdt_regressor(max_iter=3, max_depth=4, max_leaf_nodes=6, min_samples_leaf=5)
    both = jax.vmap(lambda lr: est.fit(X, y, learning_rate=lr))(jnp.array([0.2, 0.7]))
    for i, lr in enumerate([0.2, 0.7]):
        one = est.fit(X, y, learning_rate=lr)
        np.testing.assert_allclose(np.asarray(both.trees.value[i]), np.asarray(one.trees.value),
                                   rtol=1e-5, atol=1e-6)  # fmt: skip
        np.testing.assert_array_equal(np.asarray(both.trees.feature[i]),
                                      np.asarray(one.trees.feature))  # fmt: skip


def test_buffer_sizes_hold_any_smaller_child():
    for n in [3, 100, 1023, 4096, 75_000]:
        s = buffer_sizes(n)
        assert s[0] == max(n // 2, 1) and list(s) == sorted(s, reverse=True)
        assert s[-1] >= min(_best_first.MIN_BUFFER, s[0])


def test_bad_max_leaf_nodes():
    with pytest.raises(errors.ValidationError, match="max_leaf_nodes"):
        trees.gbdt_classifier(max_depth=3, max_leaf_nodes=9)  # a depth-3 tree holds 8
    with pytest.raises(errors.ValidationError, match="max_leaf_nodes"):
        trees.gbdt_regressor(max_leaf_nodes=1)
    with pytest.raises(errors.ValidationError, match="max_depth"):
        trees.gbdt_regressor(max_depth=13, max_leaf_nodes=31)
