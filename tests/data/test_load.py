"""Loaders (CSV, npz, IDX, scikit-learn, arrays) and describe."""

import gzip
import struct

import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data import (
    Dataset,
    describe,
    from_arrays,
    from_table,
    load,
    load_csv,
    load_npz,
    load_sklearn,
    save_npz,
)


def _write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_header_missing_and_text(tmp_path):
    p = _write(tmp_path, 'a,b,c\n1,"x, y",2.5\n,z,NA\n3,?,inf\n')
    t = load_csv(p)
    assert list(t) == ["a", "b", "c"]
    np.testing.assert_array_equal(t["a"], [1.0, np.nan, 3.0])
    assert t["b"].tolist() == ["x, y", "z", ""]
    assert t["c"].dtype == np.float64 and np.isinf(t["c"][2])
    d = describe(t)
    assert d.n_rows == 3
    assert [(c.n_missing, c.n_inf) for c in d.columns] == [(1, 0), (1, 0), (1, 1)]
    assert d.columns[0].min == 1.0 and d.columns[0].max == 3.0 and d.columns[0].mean == 2.0
    assert "3 rows x 3 columns" in str(d)


def test_csv_options(tmp_path):
    p = _write(tmp_path, "1\t2\n3\t4\n\n", "t.tsv")
    t = load(p)  # tab-separated by extension, blank lines ignored
    assert list(t) == ["1", "2"] and t["1"].tolist() == [3.0]
    t = load_csv(p, delimiter="\t", header=False, dtype=np.float32, columns=["1"])
    assert t["1"].dtype == np.float32 and t["1"].tolist() == [2.0, 4.0]


def test_csv_ragged_row_names_the_line(tmp_path):
    p = _write(tmp_path, "a,b\n1,2\n3\n4,5\n")
    with pytest.raises(errors.DataFormatError, match="line 3 has 1 fields, expected 2"):
        load_csv(p)


@pytest.mark.parametrize(
    "text,err,match",
    [
        ("", errors.EmptyDataError, "empty"),
        ("a,b\n", errors.EmptyDataError, "no data rows"),
        ("a,a\n1,2\n", errors.DataFormatError, "duplicate"),
    ],
)
def test_csv_bad_files(tmp_path, text, err, match):
    with pytest.raises(err, match=match):
        load_csv(_write(tmp_path, text))


def test_csv_bad_arguments(tmp_path):
    p = _write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(errors.DataFormatError, match="'c'"):
        load_csv(p, columns=["c"])
    with pytest.raises(errors.DTypeError):
        load_csv(p, dtype=np.int32)
    with pytest.raises(errors.DataFormatError, match="could not read"):
        load_csv(tmp_path / "absent.csv")


def test_npz_roundtrip_and_no_pickle(tmp_path):
    p = tmp_path / "a.npz"
    save_npz(p, {"x": np.arange(4.0), "names": np.array(["a", "b"])})
    d = load(p)
    assert d["x"].tolist() == [0, 1, 2, 3] and d["names"].tolist() == ["a", "b"]
    assert list(load_npz(p, keys=["x"])) == ["x"]
    with pytest.raises(errors.DataFormatError, match="no entries"):
        load_npz(p, keys=["y"])
    bad = tmp_path / "obj.npz"
    np.savez(bad, o=np.array([{"a": 1}], dtype=object))
    with pytest.raises(errors.DataFormatError, match="pickle"):
        load_npz(bad)
    with pytest.raises(errors.DTypeError):
        save_npz(tmp_path / "o.npz", {"o": np.array([None, 1], dtype=object)})
    notzip = _write(tmp_path, "hello", "n.npz")
    with pytest.raises(errors.DataFormatError):
        load_npz(notzip)


def test_idx_through_load(tmp_path):
    data = np.arange(12, dtype=np.uint8).reshape(3, 4)
    p = tmp_path / "train-images-idx2-ubyte.gz"
    with gzip.open(p, "wb") as f:
        f.write(bytes([0, 0, 0x08, 2]) + struct.pack(">2I", 3, 4) + data.tobytes())
    np.testing.assert_array_equal(load(p), data)
    with pytest.raises(errors.DataFormatError, match="cannot tell"):
        load(tmp_path / "x.bin")


def test_from_table_encodes_text_target():
    t = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([0, 1, 0]), "y": np.array(["s", "t", "s"])}
    d = from_table(t, target="y")
    assert d.x.shape == (3, 2) and d.feature_names == ("a", "b")
    assert d.y.tolist() == [0, 1, 0] and d.target_names == ("s", "t")
    with pytest.raises(errors.DTypeError, match="'y'"):
        from_table(t)
    with pytest.raises(errors.DataFormatError):
        from_table(t, target="nope")
    with pytest.raises(errors.LabelError):
        from_table({"a": np.ones(2), "y": np.array(["s", ""])}, target="y")


def test_from_arrays_checks():
    d = from_arrays(np.arange(3.0), np.arange(3))
    assert d.x.shape == (3, 1) and isinstance(d, Dataset)
    with pytest.raises(errors.ShapeError):
        from_arrays(np.zeros((3, 2)), np.arange(4))
    with pytest.raises(errors.ShapeError):
        from_arrays(np.zeros((3, 2)), feature_names=["a"])
    with pytest.raises(errors.DTypeError):
        from_arrays(np.array([["a"]]))
    with pytest.raises(errors.EmptyDataError):
        from_arrays(np.zeros((0, 2)))


@pytest.mark.parametrize("name,shape", [("iris", (150, 4)), ("diabetes", (442, 10))])
def test_load_sklearn(name, shape):
    sk = pytest.importorskip("sklearn.datasets")
    d = load_sklearn(name)
    ref = getattr(sk, f"load_{name}")()
    assert d.x.shape == shape
    np.testing.assert_array_equal(d.x, ref.data)
    np.testing.assert_array_equal(d.y, ref.target)
    desc = describe(d)
    assert desc.n_rows == shape[0] and len(desc.columns) == shape[1] + 1
    assert all(c.n_missing == 0 for c in desc.columns)


def test_load_sklearn_unknown():
    with pytest.raises(errors.ValidationError, match="iris"):
        load_sklearn("mnist")


def test_describe_arrays_and_errors():
    d = describe((np.zeros((4, 2)), np.arange(4)))
    assert [c.name for c in d.columns] == ["0.0", "0.1", "1.0"]
    assert describe(np.full(3, np.nan)).columns[0].min is None
    with pytest.raises(errors.ShapeError):
        describe(np.zeros((2, 2, 2)))
    with pytest.raises(errors.ShapeError):
        describe({"a": np.zeros(2), "b": np.zeros(3)})
