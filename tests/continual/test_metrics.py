"""Metrics on a hand-made accuracy matrix."""

import numpy as np
import pytest

from jaxfound import errors
from jaxfound.continual import (
    average_accuracy,
    backward_transfer,
    forgetting,
    forward_transfer,
    seen_average,
)

# R[i, j]: accuracy on context j after training context i
R = np.array([
    [0.9, 0.2, 0.1],
    [0.7, 0.8, 0.3],
    [0.5, 0.6, 1.0],
])


def test_hand_made_matrix():
    assert float(average_accuracy(R)) == pytest.approx((0.5 + 0.6 + 1.0) / 3)
    # best of context 0 before the end: 0.9 -> 0.5; context 1: 0.8 -> 0.6
    assert float(forgetting(R)) == pytest.approx((0.4 + 0.2) / 2)
    assert float(backward_transfer(R)) == pytest.approx(((0.5 - 0.9) + (0.6 - 0.8)) / 2)
    fwt = float(forward_transfer(R, [0.1, 0.1, 0.1]))
    assert fwt == pytest.approx(((0.2 - 0.1) + (0.3 - 0.1)) / 2)
    np.testing.assert_allclose(seen_average(R), [0.9, 0.75, 0.7])


def test_seed_axis():
    stacked = np.stack([R, R * 0.5])
    np.testing.assert_allclose(average_accuracy(stacked), [0.7, 0.35])
    assert forgetting(stacked).shape == (2,)


def test_bad_matrices():
    with pytest.raises(errors.ShapeError, match="square"):
        forgetting(R[:2])
    with pytest.raises(errors.ValidationError, match="fractions"):
        average_accuracy(R * 100)
    with pytest.raises(errors.ShapeError):
        average_accuracy(np.ones(3))
    with pytest.raises(errors.NonFiniteError):
        average_accuracy(np.full((2, 2), np.nan))
    with pytest.raises(errors.ShapeError, match="baseline"):
        forward_transfer(R, [0.1, 0.1])
