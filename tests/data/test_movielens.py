"""MovieLens 100K loader: real files (when present), synthetic files, malformed files."""

from __future__ import annotations

import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data._movielens import (
    MOVIELENS_100K_ITEMS,
    MOVIELENS_100K_USERS,
    load_movielens_100k,
    read_movielens_ratings,
)
from tests.conftest import shared_path


def _write(path, text):
    path.write_text(text)
    return path


def test_reads_tab_separated_ratings_zero_based(tmp_path):
    f = _write(tmp_path / "u.data", "1\t10\t4\t881250949\n943\t1682\t1\t5\n\n")
    r = read_movielens_ratings(f)
    assert r.user.tolist() == [0, 942] and r.item.tolist() == [9, 1681]
    assert r.rating.dtype == np.float32 and r.rating.tolist() == [4.0, 1.0]
    assert r.timestamp.tolist() == [881250949, 5]
    np.testing.assert_array_equal(r.ids, [[0, 9], [942, 1681]])


def test_real_u1_split():
    folder = shared_path("movielens-100k", "u1.base").parent
    shared_path("movielens-100k", "u1.test")
    train, test = load_movielens_100k(folder, "u1")
    assert len(train.rating) == 80000 and len(test.rating) == 20000
    assert train.user.max() < MOVIELENS_100K_USERS and train.item.max() < MOVIELENS_100K_ITEMS
    both = np.concatenate([train.rating, test.rating])
    np.testing.assert_array_equal(
        np.bincount(both.astype(int))[1:], [6110, 11370, 27145, 34174, 21201]
    )


@pytest.mark.parametrize(
    "text,match",
    [
        ("1\t2\t3\n4\t5\t6\t7\n", "not a MovieLens ratings file|columns"),  # ragged
        ("1\t2\t3\n", "3 columns"),  # too few columns
        ("1\tabc\t3\t4\n", "not a MovieLens ratings file"),  # corrupt
        ("\x00\xff\x13garbage", "not a MovieLens ratings file"),  # binary junk
        ("", "no ratings"),  # empty
        ("1\t2\t7\t4\n", "outside 1..5"),
        ("0\t2\t3\t4\n", "ids below 1"),
    ],
)
def test_malformed_files(tmp_path, text, match):
    f = tmp_path / "u1.base"
    f.write_bytes(text.encode("latin-1"))
    with pytest.raises(errors.DataFormatError, match=match):
        read_movielens_ratings(f)


def test_missing_files(tmp_path):
    with pytest.raises(errors.DataFormatError, match="does not exist"):
        read_movielens_ratings(tmp_path / "nope.data")
    _write(tmp_path / "u1.base", "1\t2\t3\t4\n")
    with pytest.raises(errors.DataFormatError, match="u1.test does not exist"):
        load_movielens_100k(tmp_path, "u1")
    with pytest.raises(errors.ValidationError, match="split"):
        load_movielens_100k(tmp_path, "u9")


def test_ids_beyond_100k(tmp_path):
    _write(tmp_path / "u2.base", "1\t2\t3\t4\n")
    _write(tmp_path / "u2.test", "1\t5000\t3\t4\n")
    with pytest.raises(errors.DataFormatError, match="beyond"):
        load_movielens_100k(tmp_path, "u2")
