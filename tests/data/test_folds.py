"""Cross-validation folds and masks: partitions, scikit-learn parity, vmap-ability, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jaxfound import errors
from jaxfound.data import (
    fold_masks,
    folds_to_masks,
    kfold,
    stratified_kfold,
    time_series_split,
)

sk = pytest.importorskip("sklearn.model_selection")


@pytest.mark.parametrize("n,k", [(10, 2), (11, 3), (7, 7), (100, 5)])
def test_kfold_matches_sklearn_unshuffled(n, k):
    ours = kfold(None, n, k)
    theirs = list(sk.KFold(k).split(np.zeros(n)))
    for f, (tr, te) in zip(ours, theirs):
        np.testing.assert_array_equal(f.train, tr)
        np.testing.assert_array_equal(f.test, te)


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize(
    "y",
    [
        np.array([0] * 10 + [1] * 7 + [2] * 5),
        np.array([2, 0, 1, 1, 0, 2, 2, 2, 1, 0, 0, 1, 2, 2, 0]),
        np.array(["b", "a", "b", "c", "a", "b", "a", "c", "c", "b"]),
    ],
)
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_stratified_kfold_matches_sklearn_unshuffled(y, k):
    try:
        theirs = list(sk.StratifiedKFold(k).split(np.zeros(len(y)), y))
    except ValueError:  # scikit-learn refuses: every class is smaller than k
        with pytest.raises(errors.LabelError):
            stratified_kfold(None, y, k)
        return
    ours = stratified_kfold(None, y, k)
    for f, (tr, te) in zip(ours, theirs):
        np.testing.assert_array_equal(f.test, te)
        np.testing.assert_array_equal(f.train, tr)


@pytest.mark.parametrize("kw", [{}, {"gap": 2}, {"test_size": 3}, {"max_train_size": 4}])
def test_time_series_matches_sklearn(kw):
    ours = time_series_split(20, 4, **kw)
    theirs = list(sk.TimeSeriesSplit(4, **kw).split(np.zeros(20)))
    assert len(ours) == len(theirs)
    for f, (tr, te) in zip(ours, theirs):
        np.testing.assert_array_equal(f.train, tr)
        np.testing.assert_array_equal(f.test, te)


def test_time_series_masks_train_strictly_before_test():
    m = folds_to_masks(time_series_split(20, 4, gap=1), 20)
    for tr, te in zip(m.train, m.test):
        assert np.flatnonzero(tr).max() + 1 < np.flatnonzero(te).min()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 80), k=st.integers(2, 10), seed=st.integers(0, 2**31 - 1))
def test_kfold_partitions_with_sklearn_sizes(n, k, seed):
    if n < k:
        with pytest.raises(errors.EmptyDataError):
            kfold(jax.random.key(seed), n, k)
        return
    folds = kfold(jax.random.key(seed), n, k)
    tests = np.concatenate([f.test for f in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(n))
    sizes = [len(f.test) for f in folds]
    assert sizes == [len(te) for _, te in sk.KFold(k).split(np.zeros(n))]
    for f in folds:
        assert len(np.intersect1d(f.train, f.test)) == 0 and len(f.train) + len(f.test) == n


@settings(max_examples=30, deadline=None)
@given(
    counts=st.lists(st.integers(5, 25), min_size=2, max_size=4),
    k=st.integers(2, 5),
    seed=st.integers(0, 999),
)
def test_stratified_shuffled_has_sklearn_class_counts(counts, k, seed):
    """Shuffling changes which rows go where, never how many of each class a fold gets."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    ours = stratified_kfold(jax.random.key(seed), y, k)
    theirs = list(sk.StratifiedKFold(k).split(np.zeros(len(y)), y))
    for f, (_, te) in zip(ours, theirs):
        assert np.bincount(y[f.test], minlength=len(counts)).tolist() == np.bincount(
            y[te], minlength=len(counts)
        ).tolist()
    m = folds_to_masks(ours, len(y))
    assert (m.test.sum(0) == 1).all()


def test_fold_masks_fixed_shape_and_reproducible():
    a = fold_masks(jax.random.key(0), 23, 4)
    b = fold_masks(jax.random.key(0), 23, 4)
    c = fold_masks(jax.random.key(1), 23, 4)
    assert a.test.shape == a.train.shape == (4, 23) and a.test.dtype == bool
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.test, c.test)
    np.testing.assert_array_equal(a.train, ~a.test)
    assert (a.test.sum(0) == 1).all()
    assert sorted(a.test.sum(1).tolist()) == [5, 6, 6, 6]


def test_fold_masks_stratified_equal_to_folds():
    y = np.array([0, 1] * 6 + [2] * 6)
    m = fold_masks(jax.random.key(3), 18, 3, stratify=y)
    assert (np.stack([np.bincount(y[t]) for t in m.test]) == 2).all()
    expected = folds_to_masks(stratified_kfold(jax.random.key(3), y, 3), 18)
    np.testing.assert_array_equal(m.test, expected.test)


def test_fold_masks_drive_a_vmapped_cross_validation():
    """Weighted least squares on every fold at once equals fitting each fold by slicing."""
    x = jax.random.normal(jax.random.key(0), (30, 2))
    y = x @ jnp.array([1.0, -2.0]) + 0.1 * jax.random.normal(jax.random.key(1), (30,))
    masks = fold_masks(jax.random.key(2), 30, 5)

    def fit(w):
        xw = x * w[:, None]
        return jnp.linalg.solve(xw.T @ x, xw.T @ y)

    coefs = jax.vmap(fit)(jnp.asarray(masks.train, jnp.float32))
    xn, yn = np.asarray(x, np.float64), np.asarray(y, np.float64)
    for i, tr in enumerate(masks.train):
        direct = np.linalg.lstsq(xn[tr], yn[tr], rcond=None)[0]
        np.testing.assert_allclose(coefs[i], direct, rtol=1e-4, atol=1e-5)


def test_fewer_samples_than_folds():
    with pytest.raises(errors.EmptyDataError, match="3 samples"):
        kfold(None, 3, 5)
    with pytest.raises(errors.EmptyDataError):
        fold_masks(jax.random.key(0), 3, 5)
    with pytest.raises(errors.EmptyDataError):
        stratified_kfold(None, np.array([0, 1, 0]), 4)
    with pytest.raises(errors.EmptyDataError):
        time_series_split(3, 3)
    with pytest.raises(errors.EmptyDataError, match="no training rows"):
        time_series_split(10, 3, test_size=3, gap=1)


def test_bad_fold_arguments():
    with pytest.raises(errors.ValidationError, match="n_folds"):
        kfold(None, 10, 1)
    with pytest.raises(errors.ValidationError, match="n_folds"):
        kfold(None, 10, 2.5)
    with pytest.raises(errors.LabelError):
        stratified_kfold(None, np.array([0, 0, 1, 1, 2, 2]), 3)
    with pytest.warns(UserWarning, match="smallest class"):
        stratified_kfold(None, np.array([0] * 8 + [1]), 3)
    with pytest.raises(errors.ShapeError):
        fold_masks(None, 10, 2, stratify=np.zeros(9))
    with pytest.raises(errors.NonFiniteError):
        fold_masks(None, 4, 2, stratify=np.array([0.0, np.nan, 1.0, 1.0]))
    y = np.array([1, 0, 1, 0])
    before = y.copy()
    stratified_kfold(jax.random.key(0), y, 2)
    np.testing.assert_array_equal(y, before)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 40),
    n_splits=st.integers(2, 6),
    gap=st.integers(0, 3),
    test_size=st.one_of(st.none(), st.integers(1, 6)),
    max_train=st.one_of(st.none(), st.integers(1, 10)),
)
def test_time_series_agrees_with_sklearn_or_both_refuse(n, n_splits, gap, test_size, max_train):
    kw = {"gap": gap, "test_size": test_size, "max_train_size": max_train}
    try:
        theirs = list(sk.TimeSeriesSplit(n_splits, **kw).split(np.zeros(n)))
    except ValueError:
        with pytest.raises(errors.ValidationError):
            time_series_split(n, n_splits, **kw)
        return
    ours = time_series_split(n, n_splits, **kw)
    assert len(ours) == len(theirs)
    for f, (tr, te) in zip(ours, theirs):
        np.testing.assert_array_equal(f.train, tr)
        np.testing.assert_array_equal(f.test, te)


def test_folds_to_masks_accepts_every_form_and_validates():
    """The one fold converter (it replaced stats.as_fold_masks): every form, the same masks."""
    pairs = kfold(None, 6, 3)
    m = folds_to_masks(pairs, 6)
    assert m.train.dtype == bool and m.train.shape == (3, 6)
    for form in ((m.train, m.test), m, m.train.astype(np.float32),
                 [(list(f.train), list(f.test)) for f in pairs]):
        again = folds_to_masks(form, 6)
        np.testing.assert_array_equal(again.train, m.train)
        np.testing.assert_array_equal(again.test, m.test)
    train, test = m
    with pytest.raises(errors.EmptyDataError, match="fewer samples"):
        folds_to_masks((np.ones((7, 6)), np.zeros((7, 6))), 6)
    with pytest.raises(errors.ShapeError):
        folds_to_masks((train, test), 5)
    with pytest.raises(errors.EmptyDataError):
        folds_to_masks((train, np.zeros_like(test)), 6)
    with pytest.raises(errors.ValidationError, match="leak"):
        folds_to_masks((np.ones((3, 6)), test), 6)
    with pytest.raises(errors.ValidationError, match="at least 2"):
        folds_to_masks((train[:1], test[:1]), 6)
    with pytest.raises(errors.ValidationError, match="outside"):
        folds_to_masks([([0, 1], [6])] * 2, 6)
    with pytest.raises(errors.ValidationError, match="0 and 1"):
        folds_to_masks(0.5 * train, 6)  # weights belong in sample_weight
