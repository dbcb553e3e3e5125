r"""Continual-learning metrics on the accuracy matrix $R_{ij}$ (context $j$ after training $i$)."""

from __future__ import annotations

import numpy as np

from jaxfound import _validate, errors
from jaxfound.typing import Array

#: what the metrics accept: an array or nested lists.
Matrix = Array | np.ndarray | list

__all__ = ["average_accuracy", "forgetting", "backward_transfer", "forward_transfer"]


def _matrix(R, name: str = "R", square: bool = True) -> np.ndarray:
    R = np.asarray(_validate.as_numeric(R, name), np.float64)
    if R.ndim < 2:
        raise errors.ShapeError(f"{name} has shape {R.shape}; pass an accuracy matrix "
                                "(stages, contexts), optionally with leading seed axes.")
    if R.shape[-1] == 0 or R.shape[-2] == 0:
        raise errors.EmptyDataError(f"{name} is empty (shape {R.shape}).")
    if square and R.shape[-1] != R.shape[-2]:
        raise errors.ShapeError(
            f"{name} has shape {R.shape}; this metric needs one row per context (a square "
            "matrix): R[i, j] = accuracy on context j after training context i."
        )
    _validate.check_finite(R, name)
    if (R < 0).any() or (R > 1).any():
        raise errors.ValidationError(f"{name} holds values outside [0, 1]; pass accuracies "
                                     "as fractions, not percentages.")
    return R


def average_accuracy(R: Matrix) -> np.ndarray:
    r"""Average accuracy over all contexts after the last stage: $\frac1T\sum_j R_{T-1,j}$.

    Accepts ``(S, T)`` or ``(..., S, T)`` (seeds first); returns one value per seed.

    Examples:
      >>> R = [[0.9, 0.1], [0.6, 0.8]]
      >>> float(average_accuracy(R))
      0.7
    """
    m = _matrix(R, square=False)
    return m[..., -1, :].mean(-1)


def forgetting(R: Matrix) -> np.ndarray:
    r"""Average forgetting (Chaudhry et al.): how far each old context fell from its best.

    $$
    F = \frac{1}{T-1}\sum_{j<T-1}\;\max_{i<T-1} R_{ij} - R_{T-1,j}
    $$

    Examples:
      >>> round(float(forgetting([[0.9, 0.1], [0.6, 0.8]])), 6)
      0.3
    """
    R = _matrix(R)
    T = R.shape[-1]
    if T < 2:
        raise errors.ValidationError("forgetting needs at least two contexts.")
    best = R[..., : T - 1, : T - 1].max(-2)
    return (best - R[..., -1, : T - 1]).mean(-1)


def backward_transfer(R: Matrix) -> np.ndarray:
    r"""Backward transfer (Lopez-Paz & Ranzato): $\frac{1}{T-1}\sum_{j<T-1} R_{T-1,j}-R_{jj}$.

    Negative values are forgetting.

    Examples:
      >>> round(float(backward_transfer([[0.9, 0.1], [0.6, 0.8]])), 6)
      -0.3
    """
    R = _matrix(R)
    T = R.shape[-1]
    if T < 2:
        raise errors.ValidationError("backward_transfer needs at least two contexts.")
    diag = np.diagonal(R, axis1=-2, axis2=-1)[..., : T - 1]
    return (R[..., -1, : T - 1] - diag).mean(-1)


def forward_transfer(R: Matrix, baseline: Matrix) -> np.ndarray:
    r"""Forward transfer: $\frac{1}{T-1}\sum_{j>0} R_{j-1,j} - b_j$.

    ``baseline`` $b_j$ is the accuracy on context $j$ of a model before any training
    (random initialisation), shape ``(T,)`` or ``(..., T)``.

    Examples:
      >>> round(float(forward_transfer([[0.9, 0.6], [0.6, 0.8]], [0.5, 0.5])), 6)
      0.1
    """
    R = _matrix(R)
    b = np.asarray(_validate.as_numeric(baseline, "baseline"), np.float64)
    T = R.shape[-1]
    if b.shape[-1] != T:
        raise errors.ShapeError(f"baseline has shape {b.shape}; it needs one accuracy per "
                                f"context ({T}).")
    if T < 2:
        raise errors.ValidationError("forward_transfer needs at least two contexts.")
    above = np.diagonal(R, offset=1, axis1=-2, axis2=-1)
    return (above - b[..., 1:]).mean(-1)
