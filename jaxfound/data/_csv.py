"""CSV files into a table: a dict of equal-length 1-D NumPy columns."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence

import numpy as np
import numpy.typing  # noqa: F401  (np.typing in annotations)

from jaxfound import errors

__all__ = ["load_csv", "MISSING_TOKENS"]

#: Cell values read as missing (compared after stripping spaces, case-insensitively).
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "?")


def _parse_column(name: str, cells: list[str], missing: set[str], dtype) -> np.ndarray:
    is_missing = [c.strip().lower() in missing for c in cells]
    try:
        values = [np.nan if m else float(c) for c, m in zip(cells, is_missing)]
    except ValueError:
        # a text (categorical) column: missing cells become "" so they stay visible
        return np.array(["" if m else c.strip() for c, m in zip(cells, is_missing)], dtype=str)
    return np.array(values, dtype=dtype)


def load_csv(
    path: str | os.PathLike,
    *,
    delimiter: str = ",",
    header: bool = True,
    missing: Sequence[str] = MISSING_TOKENS,
    dtype: np.typing.DTypeLike = np.float64,
    columns: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Read a CSV file into a table ``{column name: 1-D array}``.

    A column whose non-missing cells all parse as numbers becomes a ``dtype`` array with
    ``NaN`` in the missing cells; any other column stays text (``str``) with ``""`` for
    missing cells. Quoted fields follow Python's `csv` rules. The table is a pytree, so
    `train_test_split`, `batches` and `describe` take it as it is.

    Args:
      path: the file.
      delimiter: field separator.
      header: the first row holds column names (else columns are named ``"0"``, ``"1"``, …).
      missing: cell values read as missing (case-insensitive, spaces stripped).
      dtype: floating dtype of numeric columns.
      columns: keep only these columns, in this order.

    Returns:
      A ``dict`` of equal-length columns, in file order (or ``columns`` order).

    Raises:
      DataFormatError: a row has a different number of fields than the header (the message
        names the line), duplicate column names, or an unknown name in ``columns``.
      EmptyDataError: the file holds no data rows.

    Examples:
      >>> import tempfile, os
      >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
      >>> _ = open(p, "w").write("a,b,c\\n1,x,2.5\\n,y,NA\\n")
      >>> t = load_csv(p)
      >>> t["a"].tolist(), t["b"].tolist(), t["c"].tolist()
      ([1.0, nan], ['x', 'y'], [2.5, nan])
    """
    path = os.fspath(path)
    if np.dtype(dtype).kind != "f":
        raise errors.DTypeError(f"dtype must be a floating dtype (to hold NaN), got {dtype}.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [(i, r) for i, r in enumerate(csv.reader(f, delimiter=delimiter), 1) if r]
    except FileNotFoundError as e:
        raise errors.DataFormatError(
            f"could not read CSV file {path!r}, it does not exist: {e}; check the path "
            f"(relative paths start from {os.getcwd()!r})."
        ) from e
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise errors.DataFormatError(f"could not read CSV file {path!r}: {e}") from e
    if not rows:
        raise errors.EmptyDataError(f"{path!r} is empty; expected a header and data rows.")
    if header:
        names = [c.strip() for c in rows[0][1]]
        rows = rows[1:]
    else:
        names = [str(i) for i in range(len(rows[0][1]))]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise errors.DataFormatError(f"{path!r} has duplicate column names {dup}; rename them.")
    if not rows:
        raise errors.EmptyDataError(f"{path!r} has a header but no data rows.")
    width = len(names)
    for line, r in rows:
        if len(r) != width:
            raise errors.DataFormatError(
                f"{path!r} line {line} has {len(r)} fields, expected {width} "
                f"(columns {names}); fix that row or pass the right delimiter."
            )
    keep = list(names) if columns is None else list(columns)
    unknown = [c for c in keep if c not in names]
    if unknown:
        raise errors.DataFormatError(f"columns {unknown} are not in {path!r}; it has {names}.")
    miss = {m.strip().lower() for m in missing}
    table = {}
    for name in keep:
        j = names.index(name)
        table[name] = _parse_column(name, [r[j] for _, r in rows], miss, dtype)
    return table
