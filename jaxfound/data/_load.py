"""One entry point for files: CSV, ``.npz`` and IDX, chosen by the file name."""

from __future__ import annotations

import os
from typing import Any

from jaxfound import errors
from jaxfound.data._csv import load_csv
from jaxfound.data._idx import read_idx
from jaxfound.data._npz import load_npz

__all__ = ["load"]


def load(path: str | os.PathLike, **kwargs: Any) -> Any:
    """Load a data file by its extension.

    * ``.csv``, ``.tsv``, ``.txt`` → `load_csv` (a table; ``.tsv`` uses tabs);
    * ``.npz`` → `load_npz` (a dict of arrays, no pickle);
    * IDX (``*-ubyte``, ``*.idx``, optionally ``.gz``) → `read_idx` (one array).

    Args:
      path: the file.
      **kwargs: passed to the loader.

    Raises:
      DataFormatError: an unknown extension (call the specific loader instead).
    """
    name = os.fspath(path).lower()
    base = name[:-3] if name.endswith(".gz") else name
    if name.endswith((".csv", ".txt")):
        return load_csv(path, **kwargs)
    if name.endswith(".tsv"):
        return load_csv(path, **{"delimiter": "\t", **kwargs})
    if name.endswith(".npz"):
        return load_npz(path, **kwargs)
    if "ubyte" in base or base.endswith(".idx"):
        return read_idx(path)
    raise errors.DataFormatError(
        f"cannot tell the format of {os.fspath(path)!r} from its name; call load_csv, load_npz "
        "or read_idx directly."
    )
