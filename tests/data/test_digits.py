"""The digits set shipped in jaxfound/data/digits.npz equals scikit-learn's copy."""

import numpy as np
import pytest

from jaxfound.data import load_digits


def test_same_images_and_labels_as_scikit_learn():
    sk = pytest.importorskip("sklearn.datasets")
    ref = sk.load_digits()
    x, y = load_digits(normalize=False)
    np.testing.assert_array_equal(x, ref.data.astype(np.float32))
    np.testing.assert_array_equal(y, ref.target)
    assert x.dtype == np.float32 and y.dtype == np.int32


def test_normalized_pixels_in_unit_interval():
    x, _ = load_digits()
    assert x.min() == 0.0 and x.max() == 1.0
