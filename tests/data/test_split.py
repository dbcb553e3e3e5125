"""Hold-out splits: partitions, reproducibility, stratification, bad input."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jaxfound import errors
from jaxfound.data import split_indices, train_test_split, train_val_test_split


def test_train_test_split_partitions_and_aligns():
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10) * 10
    x_tr, x_te, y_tr, y_te = train_test_split(jax.random.key(1), x, y, test_size=0.3)
    assert len(x_te) == 3 and len(x_tr) == 7
    np.testing.assert_array_equal(x_tr[:, 0] // 2 * 10, y_tr)  # rows stay aligned
    np.testing.assert_array_equal(np.sort(np.r_[y_tr, y_te]), y)


def test_same_key_same_split_other_key_other_split():
    x = np.arange(100)
    a = train_test_split(jax.random.key(3), x)
    b = train_test_split(jax.random.key(3), x)
    c = train_test_split(jax.random.key(4), x)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_works_on_jax_arrays_and_does_not_modify_input():
    x = jax.numpy.arange(10.0)
    x_np = np.arange(10.0)
    before = x_np.copy()
    tr, te = train_test_split(jax.random.key(0), x, test_size=2)
    assert isinstance(tr, jax.Array) and te.shape == (2,)
    train_test_split(jax.random.key(0), x_np, test_size=2)
    np.testing.assert_array_equal(x_np, before)


def test_train_val_test_sizes_and_disjoint():
    x = np.arange(50)
    tr, va, te = train_val_test_split(jax.random.key(0), x, val_size=0.2, test_size=0.1)
    assert (len(tr), len(va), len(te)) == (35, 10, 5)
    assert len(set(tr) | set(va) | set(te)) == 50


def test_stratified_keeps_proportions():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    x = np.arange(100)
    x_tr, x_va, x_te, y_tr, y_va, y_te = train_val_test_split(
        jax.random.key(2), x, y, val_size=0.2, test_size=0.3, stratify=y
    )
    assert np.bincount(y_te).tolist() == [18, 9, 3]
    assert np.bincount(y_va).tolist() == [12, 6, 2]
    assert np.bincount(y_tr).tolist() == [30, 15, 5]
    np.testing.assert_array_equal(y[x_te], y_te)


def test_stratified_string_labels():
    y = np.array(["a", "b"] * 10)
    tr, te = train_test_split(jax.random.key(0), y, test_size=0.5, stratify=y)
    assert sorted(te.tolist()).count("a") == 5


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(3, 60),
    frac=st.floats(0.05, 0.6),
    n_classes=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
)
def test_split_indices_is_a_partition(n, frac, n_classes, seed):
    n_test = max(1, min(n - 2, round(frac * n)))
    labels = np.arange(n) % n_classes
    for strat in (None, labels):
        parts = split_indices(jax.random.key(seed), n, [n_test, 1], stratify=strat)
        assert [len(p) for p in parts[:2]] == [n_test, 1]
        np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(n))


@settings(max_examples=30, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=2, max_size=5), seed=st.integers(0, 999))
def test_stratified_counts_within_one_of_ideal(counts, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    n_test = max(1, n // 4)
    test, train = split_indices(jax.random.key(seed), n, [n_test], stratify=y)
    got = np.bincount(y[test], minlength=len(counts))
    ideal = np.array(counts) * n_test / n
    assert np.all(np.abs(got - ideal) < 1.0 + 1e-9)
    assert got.sum() == n_test


@pytest.mark.parametrize("size", [0, 10, 0.0, 1.0, 1.5, "a", True])
def test_bad_sizes(size):
    with pytest.raises(errors.ValidationError, match="size"):
        train_test_split(jax.random.key(0), np.arange(10), test_size=size)


def test_bad_inputs():
    with pytest.raises(errors.ValidationError, match="at least one array"):
        train_test_split(jax.random.key(0))
    with pytest.raises(errors.ShapeError):
        train_test_split(jax.random.key(0), np.arange(10), np.arange(9))
    with pytest.raises(errors.ShapeError, match="stratify"):
        train_test_split(jax.random.key(0), np.arange(10), stratify=np.arange(9))
    with pytest.raises(errors.ValidationError):
        train_val_test_split(jax.random.key(0), np.arange(3), val_size=0.1, test_size=0.4)


def test_split_tables_and_pytrees():
    table = {"a": np.arange(10.0), "city": np.array(list("abcdefghij"))}
    tr, te, y_tr, y_te = train_test_split(jax.random.key(0), table, np.arange(10), test_size=3)
    assert set(tr) == {"a", "city"} and len(te["city"]) == 3
    np.testing.assert_array_equal(te["a"], y_te)  # rows stay aligned across pytrees
    with pytest.raises(errors.ShapeError, match=r"arrays\[0\]\['city'\]"):
        train_test_split(jax.random.key(0), {"a": np.arange(3), "city": np.arange(4)})


def test_split_a_dataset_keeps_its_names():
    from jaxfound.data import from_arrays

    ds = from_arrays(np.arange(20.0).reshape(10, 2), np.arange(10), feature_names=["a", "b"])
    tr, va, te = train_val_test_split(jax.random.key(0), ds, val_size=2, test_size=3)
    assert tr.feature_names == ("a", "b") and te.x.shape == (3, 2) and va.y.shape == (2,)
    np.testing.assert_array_equal(te.x[:, 0] // 2, te.y)
