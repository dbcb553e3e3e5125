"""A data set's description: size, dtypes, missing and non-finite values per column."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from jaxfound import errors
from jaxfound.data._dataset import Dataset

__all__ = ["ColumnSummary", "Description", "describe", "as_columns"]


class ColumnSummary(NamedTuple):
    """One column: ``n_missing`` counts NaN (numeric) or ``""`` (text) cells; ``n_inf`` ±inf.

    ``min``/``max``/``mean`` are over the finite values (``None`` for text or all-missing).
    """

    name: str
    dtype: str
    n_missing: int
    n_inf: int
    n_unique: int
    min: float | None
    max: float | None
    mean: float | None


class Description(NamedTuple):
    """What `describe` found. ``str(d)`` prints it as a table."""

    n_rows: int
    columns: tuple[ColumnSummary, ...]
    nbytes: int

    @property
    def n_missing(self) -> int:
        """Missing cells over all columns."""
        return sum(c.n_missing for c in self.columns)

    def __str__(self) -> str:
        lines = [
            f"{self.n_rows} rows x {len(self.columns)} columns, {self.nbytes / 1024:.1f} KiB, "
            f"{self.n_missing} missing, {sum(c.n_inf for c in self.columns)} inf",
            f"{'column':<20} {'dtype':<8} {'missing':>7} {'inf':>5} {'unique':>7} "
            f"{'min':>10} {'max':>10} {'mean':>10}",
        ]
        fmt = lambda v: f"{v:>10.4g}" if v is not None else f"{'-':>10}"
        for c in self.columns:
            lines.append(
                f"{c.name[:20]:<20} {c.dtype:<8} {c.n_missing:>7} {c.n_inf:>5} {c.n_unique:>7} "
                f"{fmt(c.min)} {fmt(c.max)} {fmt(c.mean)}"
            )
        return "\n".join(lines)


def as_columns(data: Any) -> dict[str, np.ndarray]:
    """View a table, `Dataset`, 1-D/2-D array or tuple of arrays as named 1-D columns."""
    if isinstance(data, Dataset):
        cols = as_columns(data.x)
        cols = dict(zip(data.feature_names or cols, cols.values()))
        if data.y is not None:
            y = np.asarray(data.y)
            ys = as_columns(y)
            cols.update({("y" if y.ndim == 1 else f"y{k}"): v for k, v in ys.items()})
        return cols
    if isinstance(data, dict):
        return {str(k): np.asarray(v) for k, v in data.items()}
    if isinstance(data, (tuple, list)):
        out = {}
        for i, a in enumerate(data):
            out.update({f"{i}.{k}": v for k, v in as_columns(a).items()})
        return out
    a = np.asarray(data)
    if a.ndim == 1:
        return {"0": a}
    if a.ndim == 2:
        return {str(j): a[:, j] for j in range(a.shape[1])}
    raise errors.ShapeError(
        f"describe takes 1-D or 2-D arrays, tables or Datasets; got shape {a.shape}. "
        "Reshape it to (n, features) first."
    )


def _summary(name: str, col: np.ndarray) -> ColumnSummary:
    kind = col.dtype.kind
    if kind in "biuf":
        c = col.astype(np.float64)
        nan, inf = np.isnan(c), np.isinf(c)
        fin = c[~(nan | inf)]
        stats = (float(fin.min()), float(fin.max()), float(fin.mean())) if fin.size else (None,) * 3
        return ColumnSummary(
            name, str(col.dtype), int(nan.sum()), int(inf.sum()),
            int(len(np.unique(c[~nan]))), *stats,
        )
    miss = col == "" if kind in "US" else np.zeros(col.shape, bool)
    return ColumnSummary(
        name, str(col.dtype), int(miss.sum()), 0, int(len(np.unique(col[~miss]))), None, None, None
    )


def describe(data: Any) -> Description:
    """Describe a data set: rows, and per column its dtype, missing/inf cells, range, mean.

    Args:
      data: a table ``{name: column}`` (e.g. from `load_csv`), a `Dataset`,
        a 1-D/2-D array, or a tuple of such arrays with a common number of rows.

    Returns:
      A `Description`; ``print(describe(data))`` shows it as a table.

    Examples:
      >>> import numpy as np
      >>> d = describe({"a": np.array([1.0, np.nan, np.inf]), "b": np.array(["x", "", "y"])})
      >>> d.n_rows, [(c.name, c.n_missing, c.n_inf) for c in d.columns]
      (3, [('a', 1, 1), ('b', 1, 0)])
    """
    cols = as_columns(data)
    lengths = {k: len(v) for k, v in cols.items()}
    if len(set(lengths.values())) > 1:
        raise errors.ShapeError(f"columns have different lengths: {lengths}.")
    n = next(iter(lengths.values()), 0)
    summaries = tuple(_summary(k, v.reshape(-1)) for k, v in cols.items())
    return Description(n, summaries, int(sum(v.nbytes for v in cols.values())))
