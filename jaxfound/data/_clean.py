r"""Cleaning: missing / non-finite values, outliers and duplicate rows.

Every function takes a numeric array ``x`` of shape ``(n,)`` or ``(n, d)``, leaves it
untouched, and returns ``(cleaned, report)``; the report (a NamedTuple) says exactly what
was changed. Functions that drop rows put a boolean ``kept`` mask ``(n,)`` in their report,
so other arrays stay aligned: ``y_clean = y[report.kept]``.

These run on the host (NumPy): their output size depends on the data, so they are meant for
preparing a data set, not for the inside of a jitted loop. For a fill learnt on training
data and re-applied to new data, use the `imputer` transform.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jaxfound import errors
from jaxfound._validate import as_numeric, check_nonempty
from jaxfound.data._impute import IMPUTE_STRATEGIES, check_not_all_missing
from jaxfound.typing import ArrayLike

__all__ = [
    "MissingReport",
    "DropReport",
    "ImputeReport",
    "OutlierReport",
    "DuplicateReport",
    "find_missing",
    "drop_missing",
    "impute",
    "find_outliers",
    "remove_outliers",
    "drop_duplicates",
    "OUTLIER_METHODS",
]

OUTLIER_METHODS = {"zscore": 3.0, "iqr": 1.5, "mad": 3.5}  # method -> default threshold


class MissingReport(NamedTuple):
    """Where ``x`` has NaN (``nan``) and ±inf (``inf``) entries; counts per column."""

    nan: np.ndarray
    inf: np.ndarray
    n_nan: np.ndarray
    n_inf: np.ndarray
    rows: np.ndarray

    @property
    def n_rows(self) -> int:
        """Rows with at least one NaN or ±inf."""
        return int(self.rows.sum())


class DropReport(NamedTuple):
    """``kept[i]`` is false for a dropped row; ``n_dropped`` of ``n_before`` rows went."""

    kept: np.ndarray
    n_before: int
    n_dropped: int


class ImputeReport(NamedTuple):
    """``filled`` marks the replaced entries, ``n_filled`` counts them per column, and
    ``fill`` holds the value each column's entries were replaced by."""

    filled: np.ndarray
    n_filled: np.ndarray
    fill: np.ndarray


class OutlierReport(NamedTuple):
    """Entries outside ``[lower, upper]`` (per column) are outliers (``mask``; ``rows`` has
    any); ``kept`` is the row mask after removal (all true when clipping)."""

    method: str
    threshold: float
    lower: np.ndarray
    upper: np.ndarray
    mask: np.ndarray
    rows: np.ndarray
    n_outliers: np.ndarray
    kept: np.ndarray


class DuplicateReport(NamedTuple):
    """``first[i]`` is the index of the first row equal to row ``i``; ``kept`` keeps firsts."""

    kept: np.ndarray
    first: np.ndarray
    n_dropped: int


def _input(x, name: str = "x") -> np.ndarray:
    a = np.asarray(as_numeric(x, name))
    if a.ndim not in (1, 2):
        raise errors.ShapeError(f"{name} must have shape (n,) or (n, d), got {a.shape}.")
    check_nonempty(a, name)
    return a


def _rows(mask: np.ndarray) -> np.ndarray:
    return mask if mask.ndim == 1 else mask.any(axis=1)


def find_missing(x: ArrayLike) -> MissingReport:
    """Report NaN and ±inf entries of ``x`` without changing anything.

    Examples:
      >>> import numpy as np
      >>> r = find_missing(np.array([[1.0, np.nan], [np.inf, 2.0], [3.0, 4.0]]))
      >>> r.n_nan.tolist(), r.n_inf.tolist(), r.rows.tolist()
      ([0, 1], [1, 0], [True, True, False])
    """
    a = _input(x)
    f = a.astype(np.float64, copy=False)
    nan, inf = np.isnan(f), np.isinf(f)
    return MissingReport(nan, inf, nan.sum(axis=0), inf.sum(axis=0), _rows(nan | inf))


def drop_missing(
    x: ArrayLike, *, how: str = "any", inf_is_missing: bool = True
) -> tuple[np.ndarray, DropReport]:
    """Drop the rows with missing entries (NaN, and ±inf when ``inf_is_missing``).

    Args:
      x: numeric ``(n,)`` or ``(n, d)``.
      how: ``"any"`` drops a row with any missing entry, ``"all"`` only fully missing rows.
      inf_is_missing: count ±inf as missing.

    Returns:
      ``(x_clean, DropReport)``; align other arrays with ``report.kept``.

    Examples:
      >>> import numpy as np
      >>> x, r = drop_missing(np.array([[1.0, 2.0], [np.nan, 3.0]]))
      >>> x.tolist(), r.kept.tolist(), r.n_dropped
      ([[1.0, 2.0]], [True, False], 1)
    """
    if how not in ("any", "all"):
        raise errors.ValidationError(f"how must be 'any' or 'all', got {how!r}.")
    a = _input(x)
    f = a.astype(np.float64, copy=False)
    miss = ~np.isfinite(f) if inf_is_missing else np.isnan(f)
    if miss.ndim == 2:
        miss = miss.any(axis=1) if how == "any" else miss.all(axis=1)
    kept = ~miss
    return a[kept], DropReport(kept, len(a), int(miss.sum()))


def impute(
    x: ArrayLike,
    strategy: str = "mean",
    *,
    fill_value: float = 0.0,
    inf_is_missing: bool = True,
) -> tuple[np.ndarray, ImputeReport]:
    """Fill missing entries column by column (mean, median of the observed values, or constant).

    This is the one-shot form of the `imputer` transform, computed in NumPy with the
    input's floating dtype (integers become ``float64``).

    Returns:
      ``(x_filled, ImputeReport)``.

    Raises:
      EmptyDataError: a column has no observed value (for ``"mean"``/``"median"``).

    Examples:
      >>> import numpy as np
      >>> x, r = impute(np.array([[1.0, np.nan], [3.0, 4.0]]))
      >>> x.tolist(), r.n_filled.tolist(), r.fill.tolist()
      ([[1.0, 4.0], [3.0, 4.0]], [0, 1], [2.0, 4.0])
    """
    if strategy not in IMPUTE_STRATEGIES:
        raise errors.ValidationError(f"strategy={strategy!r} is not one of {IMPUTE_STRATEGIES}.")
    a = _input(x)
    f = a.astype(np.result_type(a.dtype, np.float16) if a.dtype.kind == "f" else np.float64)
    miss = ~np.isfinite(f) if inf_is_missing else np.isnan(f)
    if strategy == "constant":
        fill = np.full(f.shape[1:], fill_value, dtype=f.dtype)
    else:
        check_not_all_missing(f, inf_is_missing)
        obs = np.where(miss, np.nan, f)
        fill = (np.nanmean if strategy == "mean" else np.nanmedian)(obs, axis=0).astype(f.dtype)
    out = np.where(miss, fill, f)
    return out, ImputeReport(miss, miss.sum(axis=0), np.asarray(fill))


def _bounds(f: np.ndarray, method: str, t: float) -> tuple[np.ndarray, np.ndarray]:
    if method == "zscore":
        mu, sd = np.nanmean(f, axis=0), np.nanstd(f, axis=0)
        return mu - t * sd, mu + t * sd
    if method == "iqr":
        q1, q3 = np.nanpercentile(f, [25.0, 75.0], axis=0)
        return q1 - t * (q3 - q1), q3 + t * (q3 - q1)
    med = np.nanmedian(f, axis=0)
    mad = np.nanmedian(np.abs(f - med), axis=0)
    # modified z-score 0.6745 (x - median) / MAD > t   (Iglewicz & Hoaglin)
    half = t * mad / 0.6745
    return med - half, med + half


def find_outliers(
    x: ArrayLike, method: str = "zscore", threshold: float | None = None
) -> OutlierReport:
    r"""Flag outlying entries column by column.

    * ``"zscore"``: $|x - \bar x| > t\,\sigma$ (default $t = 3$);
    * ``"iqr"``: outside $[Q_1 - t\,\mathrm{IQR},\ Q_3 + t\,\mathrm{IQR}]$ ($t=1.5$);
    * ``"mad"``: modified z-score $0.6745\,|x - \tilde x| / \mathrm{MAD} > t$
      ($t = 3.5$).

    NaN entries are ignored (never outliers). Nothing is changed; see `remove_outliers`.

    Examples:
      >>> import numpy as np
      >>> r = find_outliers(np.array([1.0, 2.0, 3.0, 2.0, 50.0]), "iqr")
      >>> r.mask.tolist(), r.n_outliers.tolist()
      ([False, False, False, False, True], 1)
    """
    if method not in OUTLIER_METHODS:
        raise errors.ValidationError(
            f"method={method!r} is not one of {tuple(OUTLIER_METHODS)}."
        )
    t = float(OUTLIER_METHODS[method] if threshold is None else threshold)
    if not t > 0:
        raise errors.ValidationError(f"threshold must be positive, got {threshold}.")
    a = _input(x)
    f = a.astype(np.float64, copy=False)
    f = np.where(np.isinf(f), np.nan, f) if method == "zscore" else f
    check_not_all_missing(f)
    lower, upper = _bounds(f, method, t)
    with np.errstate(invalid="ignore"):
        mask = (a < lower) | (a > upper)
    rows = _rows(mask)
    return OutlierReport(method, t, lower, upper, mask, rows, mask.sum(axis=0), ~rows)


def remove_outliers(
    x: ArrayLike,
    method: str = "zscore",
    threshold: float | None = None,
    *,
    action: str = "drop",
) -> tuple[np.ndarray, OutlierReport]:
    """Drop the rows holding an outlier, or clip outliers to the bounds (winsorise).

    Args:
      x: numeric ``(n,)`` or ``(n, d)``.
      method: ``"zscore"``, ``"iqr"`` or ``"mad"`` (see `find_outliers`).
      threshold: the method's threshold (its default when ``None``).
      action: ``"drop"`` rows or ``"clip"`` entries to ``[lower, upper]``.

    Returns:
      ``(x_clean, OutlierReport)``; after ``"drop"`` align other arrays with ``report.kept``.

    Examples:
      >>> import numpy as np
      >>> x, r = remove_outliers(np.array([1.0, 2.0, 3.0, 2.0, 50.0]), "iqr", action="clip")
      >>> x.tolist(), float(r.upper)
      ([1.0, 2.0, 3.0, 2.0, 4.5], 4.5)
    """
    if action not in ("drop", "clip"):
        raise errors.ValidationError(f"action must be 'drop' or 'clip', got {action!r}.")
    r = find_outliers(x, method, threshold)
    a = np.asarray(x)
    if action == "drop":
        return a[r.kept], r
    clipped = np.clip(a, r.lower, r.upper).astype(np.result_type(a.dtype, r.lower.dtype))
    return clipped, r._replace(kept=np.ones(len(a), dtype=bool))


def drop_duplicates(x: ArrayLike) -> tuple[np.ndarray, DuplicateReport]:
    """Drop rows equal to an earlier row (NaN equals NaN here), keeping the first.

    Returns:
      ``(x_unique, DuplicateReport)``; align other arrays with ``report.kept``.

    Examples:
      >>> import numpy as np
      >>> x, r = drop_duplicates(np.array([[1, 2], [3, 4], [1, 2]]))
      >>> x.tolist(), r.first.tolist(), r.n_dropped
      ([[1, 2], [3, 4]], [0, 1, 0], 1)
    """
    a = _input(x)
    rows = a.reshape(len(a), -1)
    if rows.dtype.kind == "f":  # one bit pattern for NaN and for 0.0 / -0.0
        rows = np.where(np.isnan(rows), np.nan, rows) + 0.0
    rows = np.ascontiguousarray(rows)
    seen: dict[bytes, int] = {}
    first = np.array([seen.setdefault(r.tobytes(), i) for i, r in enumerate(rows)])
    kept = first == np.arange(len(a))
    return a[kept], DuplicateReport(kept, first, int((~kept).sum()))
