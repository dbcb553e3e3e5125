"""Reader for the IDX binary format (MNIST and friends)."""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from jaxfound import errors

__all__ = ["read_idx"]

_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a NumPy array.

    The format is a 4-byte magic ``0x00 0x00 <dtype code> <ndim>``, then ``ndim``
    big-endian uint32 sizes, then the data in C order.

    Args:
      path: a ``.gz`` or raw IDX file.

    Returns:
      An array of the stored shape and dtype (native byte order).

    Raises:
      DataFormatError: when the file is not IDX, is truncated or has trailing bytes.
    """
    path = os.fspath(path)
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise errors.DataFormatError(
            f"could not read IDX file {path!r}: {e}. Re-download it (the file may be truncated)."
        ) from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise errors.DataFormatError(
            f"{path!r} is not an IDX file (bad magic {raw[:4]!r}); expected e.g. "
            "'train-images-idx3-ubyte.gz'."
        )
    dtype = np.dtype(_DTYPES[raw[2]])
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise errors.DataFormatError(f"{path!r} is truncated inside its header.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise errors.DataFormatError(
            f"{path!r} holds {len(raw) - header} data bytes but its header {shape} "
            f"says {expected}; the file is corrupt or truncated — re-download it."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))
