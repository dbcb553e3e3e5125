"""Error analysis: residual diagnostics of a regression, per-class breakdown of a classifier."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from jaxfound import _validate, errors
from jaxfound.stats._classification import confusion_matrix, precision_recall_f1_from_confusion
from jaxfound.typing import Array, ArrayLike

__all__ = [
    "ResidualReport",
    "ClassReport",
    "standardized_residuals",
    "durbin_watson",
    "jarque_bera",
    "residual_diagnostics",
    "per_class_report",
]


def _residuals(residuals) -> Array:
    r = _validate.any_array(residuals, "residuals")
    if r.ndim != 1:
        raise errors.ShapeError(f"residuals have shape {r.shape}; expected (n,).")
    if r.shape[0] < 3:
        raise errors.EmptyDataError(f"{r.shape[0]} residual(s); diagnostics need at least 3.")
    return r.astype(jnp.result_type(r.dtype, jnp.float32))


def standardized_residuals(
    y_true: ArrayLike, y_pred: ArrayLike, leverage: ArrayLike | None = None, ddof: int = 1
) -> Array:
    r"""Residuals scaled to unit variance: $r_i / (s\sqrt{1 - h_i})$.

    $r = y - \hat y$, $s^2 = \sum_i r_i^2/(n - \mathrm{ddof})$ (``ddof`` = the
    number of fitted parameters for a linear model), $h_i$ the leverages (diagonal
    of the hat matrix; 0 when not given). Values beyond ±3 flag outliers.

    Examples:
      >>> z = standardized_residuals([1.0, 2.0, 3.0], [1.0, 2.0, 1.0], ddof=0)
      >>> tuple(round(float(v), 3) for v in z)
      (0.0, 0.0, 1.732)
    """
    y_true, y_pred = _validate.prediction_pair(y_true, y_pred)
    r = (y_true - y_pred).astype(jnp.result_type(y_true.dtype, y_pred.dtype, jnp.float32))
    n = r.shape[0]
    if n <= ddof:
        raise errors.EmptyDataError(f"{n} residual(s) with ddof={ddof}; need more residuals.")
    s = jnp.sqrt(jnp.sum(r**2) / (n - ddof))
    h = 0.0 if leverage is None else _validate.any_array(leverage, "leverage")
    return r / (s * jnp.sqrt(1.0 - h))


def durbin_watson(residuals: ArrayLike) -> Array:
    r"""Durbin–Watson statistic of serial correlation in ordered residuals.

    $$
    d = \frac{\sum_{t=2}^n (r_t - r_{t-1})^2}{\sum_{t=1}^n r_t^2}
    $$

    About 2 for uncorrelated residuals; towards 0 for positive, 4 for negative
    autocorrelation.

    Examples:
      >>> float(durbin_watson([1.0, -1.0, 1.0, -1.0]))
      3.0
    """
    r = _residuals(residuals)
    return jnp.sum(jnp.diff(r) ** 2) / jnp.sum(r**2)


def _moments(r: Array):
    d = r - jnp.mean(r)
    m2 = jnp.mean(d**2)
    return jnp.mean(d**3) / m2**1.5, jnp.mean(d**4) / m2**2


def jarque_bera(residuals: ArrayLike) -> tuple[Array, Array]:
    r"""Jarque–Bera normality test: statistic and p-value ($\chi^2_2$ tail).

    $$
    JB = \frac{n}{6}\Big(S^2 + \frac{(K - 3)^2}{4}\Big),\qquad p = e^{-JB/2}
    $$

    with $S$, $K$ the sample skewness and kurtosis (biased moments, as
    ``scipy.stats.jarque_bera``).

    Examples:
      >>> jb, p = jarque_bera([-1.0, 0.0, 1.0, 0.5, -0.5])
      >>> round(float(jb), 4)
      0.3521
    """
    r = _residuals(residuals)
    skew, kurt = _moments(r)
    jb = r.shape[0] / 6.0 * (skew**2 + (kurt - 3.0) ** 2 / 4.0)
    return jb, jnp.exp(-jb / 2.0)


class ResidualReport(NamedTuple):
    """Summary of regression residuals $r = y - \\hat y$ (`residual_diagnostics`)."""

    mean: Array
    std: Array
    skewness: Array
    kurtosis: Array
    durbin_watson: Array
    jarque_bera: Array
    jarque_bera_pvalue: Array
    n_outliers: Array
    standardized: Array


def residual_diagnostics(
    y_true: ArrayLike, y_pred: ArrayLike, n_params: int = 0, outlier_z: float = 3.0
) -> ResidualReport:
    r"""Residual diagnostics of a regression in one call.

    Returns the residuals' mean and standard deviation (``ddof = n_params``), skewness
    and (non-excess) kurtosis, Durbin–Watson statistic (rows in time order), the
    Jarque–Bera normality statistic and p-value, the number of standardised residuals
    beyond ``±outlier_z``, and the standardised residuals themselves.

    Examples:
      >>> rep = residual_diagnostics([1.0, 2.0, 3.0, 4.0], [1.1, 1.9, 3.2, 3.8])
      >>> round(float(rep.mean), 3), int(rep.n_outliers)
      (0.0, 0)
    """
    y_true, y_pred = _validate.prediction_pair(y_true, y_pred)
    if y_true.ndim != 1:
        raise errors.ShapeError(f"y_true has shape {y_true.shape}; expected (n,).")
    r = _residuals(y_true - y_pred)
    z = standardized_residuals(y_true, y_pred, ddof=n_params)
    skew, kurt = _moments(r)
    jb, p = jarque_bera(r)
    std = jnp.sqrt(jnp.sum((r - jnp.mean(r)) ** 2) / (r.shape[0] - n_params))
    return ResidualReport(jnp.mean(r), std, skew, kurt, durbin_watson(r), jb, p,
                          jnp.sum(jnp.abs(z) > outlier_z), z)


class ClassReport(NamedTuple):
    """Per-class error breakdown (see `per_class_report`); arrays are ``(n_classes,)``."""

    support: Array
    precision: Array
    recall: Array
    f1: Array
    error_rate: Array
    most_confused_with: Array
    confusion: Array


def per_class_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    n_classes: int | None = None,
    sample_weight: ArrayLike | None = None,
) -> ClassReport:
    r"""Per-class error breakdown of a classifier.

    For each true class ``c``: its support (weight of examples), precision, recall, F1,
    error rate $1 - \mathrm{recall}_c$ (the share of class ``c`` misclassified) and
    the class it is most often mistaken for (the largest off-diagonal entry of row ``c``
    of the confusion matrix; ``-1`` when class ``c`` is never misclassified).

    Examples:
      >>> rep = per_class_report([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 1, 2])
      >>> rep.error_rate.tolist(), rep.most_confused_with.tolist()
      ([0.5, 0.0, 0.5], [1, -1, 1])
    """
    cm = confusion_matrix(y_true, y_pred, n_classes, sample_weight)
    p, r, f = precision_recall_f1_from_confusion(cm, None)
    off = cm * (1 - jnp.eye(cm.shape[0], dtype=cm.dtype))
    confused = jnp.where(jnp.max(off, axis=1) > 0, jnp.argmax(off, axis=1), -1)
    support = jnp.sum(cm, axis=1)
    err = jnp.where(support > 0, 1.0 - r, 0.0)
    return ClassReport(support, p, r, f, err, confused, cm)
