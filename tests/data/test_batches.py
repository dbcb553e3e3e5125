import jax
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data import batches, load_digits, num_examples


def test_batches_partition_and_stay_aligned():
    x = np.arange(23)
    y = -np.arange(23)
    got = list(batches(jax.random.key(0), {"x": x, "y": y}, 5))
    assert [len(b["x"]) for b in got] == [5, 5, 5, 5, 3]
    allx = np.concatenate([b["x"] for b in got])
    assert sorted(allx.tolist()) == list(range(23)) and allx.tolist() != list(range(23))
    for b in got:
        np.testing.assert_array_equal(b["y"], -b["x"])
    again = list(batches(jax.random.key(0), {"x": x, "y": y}, 5))
    np.testing.assert_array_equal(np.concatenate([b["x"] for b in again]), allx)
    assert len(list(batches(None, (x, y), 5, drop_remainder=True))) == 4


def test_batches_bad_input():
    with pytest.raises(errors.ShapeError):
        num_examples((np.ones(3), np.ones(4)))
    with pytest.raises(errors.ValidationError, match="batch_size must be a positive integer"):
        list(batches(None, np.ones(3), 0))
    with pytest.raises(errors.ValidationError, match="got float 2.5"):
        list(batches(None, np.ones(3), 2.5))
    assert [len(b) for b in batches(None, np.ones(3), np.int64(2))] == [2, 1]


def test_digits_embedded():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32 and x.max() == 1.0
    assert np.bincount(y).min() >= 170
