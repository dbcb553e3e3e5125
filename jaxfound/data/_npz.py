"""NumPy ``.npz`` archives, read without pickle."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence

import numpy as np

from jaxfound import errors

__all__ = ["load_npz", "save_npz"]


def load_npz(
    path: str | os.PathLike, *, keys: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive into a dict, never unpickling.

    Args:
      path: the archive.
      keys: keep only these entries (all when ``None``).

    Returns:
      ``{name: array}`` loaded into memory (the file is closed on return).

    Raises:
      DataFormatError: the file is not an ``.npz`` archive, holds object arrays (which would
        need ``allow_pickle``; re-save them as numeric or string arrays), or lacks a key.

    Examples:
      >>> import tempfile, os, numpy as np
      >>> p = os.path.join(tempfile.mkdtemp(), "a.npz")
      >>> np.savez(p, x=np.arange(3))
      >>> load_npz(p)["x"].tolist()
      [0, 1, 2]
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            names = list(f.files) if keys is None else list(keys)
            missing = [k for k in names if k not in f.files]
            if missing:
                raise errors.DataFormatError(
                    f"{path!r} has no entries {missing}; it holds {list(f.files)}."
                )
            return {k: f[k] for k in names}
    except FileNotFoundError as e:
        raise errors.DataFormatError(
            f"{path!r} does not exist: {e}; check the path (relative paths start from "
            f"{os.getcwd()!r}) or write the file first with save_npz."
        ) from e
    except ValueError as e:  # numpy refuses object arrays without allow_pickle
        if not _is_npz(path):
            raise errors.DataFormatError(
                f"{path!r} is not an .npz archive (it does not start with a zip header); pass "
                "a file written by save_npz / numpy.savez, or read other formats with load_csv."
            ) from e
        raise errors.DataFormatError(
            f"{path!r} holds object arrays that need pickle ({e}); jaxfound never unpickles "
            "data files — re-save them as numeric or fixed-width string arrays."
        ) from e
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise errors.DataFormatError(f"could not read {path!r} as .npz: {e}") from e


def _is_npz(path: str) -> bool:
    """Whether ``path`` starts like a zip archive (an ``.npz``) or a ``.npy`` file."""
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError:
        return False
    return head.startswith(b"PK\x03\x04") or head.startswith(b"\x93NUMPY")


def save_npz(path: str | os.PathLike, arrays: dict, *, compress: bool = True) -> None:
    """Write ``{name: array}`` to an ``.npz`` archive; object arrays are refused.

    Raises:
      DTypeError: an entry is an object array (it could only be read back with pickle).
    """
    out = {}
    for k, v in arrays.items():
        a = np.asarray(v)
        if a.dtype.kind == "O":
            raise errors.DTypeError(
                f"entry {k!r} is an object array; convert it to a numeric or string array."
            )
        out[k] = a
    (np.savez_compressed if compress else np.savez)(path, **out)
