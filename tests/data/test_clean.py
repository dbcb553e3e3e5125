"""Cleaning: every function reports what it changed and never modifies its input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jaxfound import errors
from jaxfound.data import (
    describe,
    drop_duplicates,
    drop_missing,
    find_missing,
    find_outliers,
    impute,
    imputer,
    load_csv,
    remove_outliers,
)

X = np.array([[1.0, 2.0, np.nan], [np.inf, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 2.0, 3.0]])


def test_find_missing_counts_nan_and_inf_separately():
    r = find_missing(X)
    assert r.n_nan.tolist() == [0, 0, 1] and r.n_inf.tolist() == [1, 0, 0]
    assert r.rows.tolist() == [True, True, False, False] and r.n_rows == 2
    assert r.nan[0, 2] and r.inf[1, 0]


def test_drop_missing_any_all_and_inf_flag():
    x = X.copy()
    out, r = drop_missing(x)
    np.testing.assert_array_equal(out, X[2:])
    assert r.kept.tolist() == [False, False, True, True] and (r.n_before, r.n_dropped) == (4, 2)
    out, r = drop_missing(x, inf_is_missing=False)
    assert r.kept.tolist() == [False, True, True, True]
    out, r = drop_missing(np.array([[np.nan, np.nan], [1.0, np.nan]]), how="all")
    assert r.kept.tolist() == [False, True]
    np.testing.assert_array_equal(x, X)  # input untouched
    y = np.arange(4)
    assert y[drop_missing(X)[1].kept].tolist() == [2, 3]


@pytest.mark.parametrize(
    "strategy,expected",
    [("mean", [3.0, 6.0]), ("median", [1.0, 6.0]), ("constant", [-1.0, -1.0])],
)
def test_impute_strategies(strategy, expected):
    x = np.array([[1.0, np.nan], [np.nan, 6.0], [1.0, np.inf], [7.0, 6.0]])
    before = x.copy()
    out, r = impute(x, strategy, fill_value=-1.0)
    np.testing.assert_array_equal(x, before)
    assert r.fill.tolist() == expected and r.n_filled.tolist() == [1, 2]
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[r.filled], np.array(expected)[np.nonzero(r.filled)[1]])
    np.testing.assert_array_equal(out[~r.filled], x[~r.filled])


def test_impute_keeps_float32_and_accepts_ints():
    out, _ = impute(np.array([[1.0], [np.nan]], dtype=np.float32))
    assert out.dtype == np.float32
    out, r = impute(np.array([[1], [3]]))
    assert out.dtype == np.float64 and r.n_filled.tolist() == [0]


def test_impute_matches_sklearn_simple_imputer():
    sk = pytest.importorskip("sklearn.impute")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    x[rng.random(x.shape) < 0.2] = np.nan
    for strategy in ("mean", "median"):
        ref = sk.SimpleImputer(strategy=strategy).fit_transform(x)
        np.testing.assert_allclose(impute(x, strategy)[0], ref, rtol=1e-12)


def test_all_missing_column_is_a_clear_error():
    x = np.array([[1.0, np.nan], [2.0, np.nan]])
    before = x.copy()
    with pytest.raises(errors.EmptyDataError, match=r"column\(s\) \[1\]"):
        impute(x, "mean")
    with pytest.raises(errors.EmptyDataError):
        find_outliers(x)
    np.testing.assert_array_equal(x, before)
    out, _ = impute(x, "constant", fill_value=0.0)  # a constant needs no observed value
    assert out[:, 1].tolist() == [0.0, 0.0]


def test_all_missing_csv_column_through_load_and_impute(tmp_path):
    p = tmp_path / "gaps.csv"
    p.write_text("a,b\n1,NA\n2,\n3,?\n")
    table = load_csv(p)
    assert np.isnan(table["b"]).all() and describe(table).columns[1].n_missing == 3
    x = np.stack([table["a"], table["b"]], axis=1)
    with pytest.raises(errors.EmptyDataError, match=r"column\(s\) \[1\]"):
        impute(x, "median")
    with pytest.raises(errors.EmptyDataError, match=r"\[1\]"):
        imputer("mean").fit(x)


def test_outlier_methods_closed_form():
    x = np.array([10.0, 11.0, 9.0, 10.0, 10.5, 9.5, 10.0, 100.0])
    for method in ("zscore", "iqr", "mad"):
        r = find_outliers(x, method, threshold=2.0 if method == "zscore" else None)
        assert r.mask.tolist() == [False] * 7 + [True], method
    r = find_outliers(x, "iqr")
    q1, q3 = np.percentile(x, [25, 75])
    assert r.lower == pytest.approx(q1 - 1.5 * (q3 - q1))
    assert r.upper == pytest.approx(q3 + 1.5 * (q3 - q1))
    r = find_outliers(x, "mad")
    med = np.median(x)
    mad = np.median(np.abs(x - med))
    assert r.upper == pytest.approx(med + 3.5 * mad / 0.6745)
    r = find_outliers(x, "zscore", 2.0)
    assert r.upper == pytest.approx(x.mean() + 2 * x.std())


def test_remove_outliers_drop_and_clip_2d():
    x = np.array([[1.0, 0.0], [2.0, 0.1], [3.0, -0.1], [2.0, 50.0], [2.5, 0.0], [1.5, 0.05]])
    before = x.copy()
    out, r = remove_outliers(x, "iqr")
    assert r.kept.tolist() == [True, True, True, False, True, True] and out.shape == (5, 2)
    assert r.n_outliers.tolist() == [0, 1]
    clipped, rc = remove_outliers(x, "iqr", action="clip")
    assert clipped.shape == x.shape and clipped[3, 1] == pytest.approx(rc.upper[1])
    assert rc.kept.all()
    np.testing.assert_array_equal(x, before)


def test_nan_is_not_an_outlier():
    r = find_outliers(np.array([1.0, 2.0, np.nan, 1.5, 2.5]), "mad")
    assert not r.mask.any()


def test_drop_duplicates_rows_and_nan():
    x = np.array([[1.0, np.nan], [2.0, 3.0], [1.0, np.nan], [2.0, 3.0], [-0.0, 1.0], [0.0, 1.0]])
    out, r = drop_duplicates(x)
    assert r.first.tolist() == [0, 1, 0, 1, 4, 4] and r.n_dropped == 3
    assert out.shape == (3, 2) and r.kept.tolist() == [True, True, False, False, True, False]


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 3)),
                  elements=st.sampled_from([0.0, 1.0, 2.5, -3.0, np.nan])))
def test_cleaning_properties(x):
    before = x.copy()
    out, r = drop_missing(x)
    assert not np.isnan(out).any() and len(out) + r.n_dropped == len(x)
    u, d = drop_duplicates(x)
    # dropping duplicates is idempotent and keeps every distinct row
    assert drop_duplicates(u)[1].n_dropped == 0
    assert len(u) == len({tuple(np.where(np.isnan(row), np.inf, row)) for row in x})
    np.testing.assert_array_equal(u, x[d.kept])
    if not np.isnan(x).all(axis=0).any():
        filled, ir = impute(x, "median")
        assert not np.isnan(filled).any() and ir.n_filled.sum() == np.isnan(x).sum()
    np.testing.assert_array_equal(x, before)


def test_bad_arguments():
    with pytest.raises(errors.ValidationError, match="strategy"):
        impute(X, "mode")
    with pytest.raises(errors.ValidationError, match="method"):
        find_outliers(X, "grubbs")
    with pytest.raises(errors.ValidationError, match="threshold"):
        find_outliers(X, "iqr", threshold=-1)
    with pytest.raises(errors.ValidationError, match="action"):
        remove_outliers(X, action="delete")
    with pytest.raises(errors.ValidationError, match="how"):
        drop_missing(X, how="some")
    with pytest.raises(errors.DTypeError):
        drop_missing(np.array(["a", "b"]))
    with pytest.raises(errors.EmptyDataError):
        drop_duplicates(np.zeros((0, 2)))
    with pytest.raises(errors.ShapeError):
        find_missing(np.zeros((2, 2, 2)))
