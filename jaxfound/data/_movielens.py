"""MovieLens 100K ratings (GroupLens): a loader that takes a path and never downloads.

The ratings' licence forbids redistribution, so jaxfound ships no data: pass the
folder (or a ratings file) of your own copy of ``ml-100k``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from jaxfound import errors

__all__ = [
    "MOVIELENS_100K_ITEMS",
    "MOVIELENS_100K_USERS",
    "Ratings",
    "load_movielens_100k",
    "read_movielens_ratings",
]

#: users and items in MovieLens 100K (ids ``1..943`` and ``1..1682`` in the files).
MOVIELENS_100K_USERS = 943
MOVIELENS_100K_ITEMS = 1682


class Ratings(NamedTuple):
    """Explicit ratings, one entry per (user, item) pair.

    Attributes:
      user: ``(n,)`` int32 user index, **0-based** (file id minus one).
      item: ``(n,)`` int32 item index, 0-based.
      rating: ``(n,)`` float32 rating in ``[1, 5]``.
      timestamp: ``(n,)`` int64 Unix time of the rating.
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray

    @property
    def ids(self) -> np.ndarray:
        """``(n, 2)`` int32 array of ``(user, item)``: the model input."""
        return np.stack([self.user, self.item], axis=1)


def read_movielens_ratings(path: str | os.PathLike) -> Ratings:
    """Read a MovieLens 100K ratings file (``u.data``, ``u1.base``, ``u1.test``, …).

    Each line is ``user_id  item_id  rating  timestamp`` separated by tabs
    (any whitespace is accepted), ids starting at 1.

    Args:
      path: the file.

    Returns:
      `Ratings` with 0-based user and item indices.

    Raises:
      DataFormatError: the file is missing, empty, not numeric, ragged (a line
        without exactly four fields), or holds ids < 1 or ratings outside 1..5.

    Examples:
      >>> import tempfile, os
      >>> f = os.path.join(tempfile.mkdtemp(), "u.data")
      >>> _ = open(f, "w").write("1\\t10\\t4\\t881250949\\n2\\t3\\t5\\t881250950\\n")
      >>> r = read_movielens_ratings(f)
      >>> r.user.tolist(), r.item.tolist(), r.rating.tolist()
      ([0, 1], [9, 2], [4.0, 5.0])
    """
    p = Path(path)
    if not p.is_file():
        raise errors.DataFormatError(
            f"MovieLens ratings file {p} does not exist; download ml-100k from GroupLens "
            "(https://grouplens.org/datasets/movielens/100k/) and pass the path of u.data, "
            "u1.base, … (jaxfound does not ship the data: its licence forbids it)."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy warns on an empty file; we raise below
            table = np.loadtxt(p, dtype=np.int64, ndmin=2)
    except (ValueError, UnicodeDecodeError) as e:
        raise errors.DataFormatError(
            f"{p} is not a MovieLens ratings file ({e}); every line must hold four integers "
            "'user item rating timestamp'."
        ) from e
    if table.size == 0:
        raise errors.DataFormatError(f"{p} holds no ratings; the file is empty or truncated.")
    if table.shape[1] != 4:
        raise errors.DataFormatError(
            f"{p} has {table.shape[1]} columns, expected 4 (user, item, rating, timestamp)."
        )
    user, item, rating, ts = table.T
    if user.min() < 1 or item.min() < 1:
        raise errors.DataFormatError(f"{p} has user or item ids below 1; ids start at 1.")
    if rating.min() < 1 or rating.max() > 5:
        raise errors.DataFormatError(
            f"{p} has ratings in [{rating.min()}, {rating.max()}], outside 1..5."
        )
    return Ratings(
        (user - 1).astype(np.int32),
        (item - 1).astype(np.int32),
        rating.astype(np.float32),
        ts.astype(np.int64),
    )


def load_movielens_100k(path: str | os.PathLike, split: str = "u1") -> tuple[Ratings, Ratings]:
    """Load a train/test split of MovieLens 100K from its folder.

    Args:
      path: the ``ml-100k`` folder (holding ``u1.base``, ``u1.test``, …).
      split: ``"u1"`` … ``"u5"`` (80%/20% splits) or ``"ua"``/``"ub"`` (10 test
        ratings per user).

    Returns:
      ``(train, test)`` `Ratings`.

    Raises:
      DataFormatError: a file is missing or malformed (see
        `read_movielens_ratings`).
    """
    valid = {f"u{i}" for i in range(1, 6)} | {"ua", "ub"}
    if split not in valid:
        raise errors.ValidationError(
            f"split={split!r} is not a MovieLens 100K split; use one of {sorted(valid)}."
        )
    folder = Path(path)
    train = read_movielens_ratings(folder / f"{split}.base")
    test = read_movielens_ratings(folder / f"{split}.test")
    for name, r in (("train", train), ("test", test)):
        if r.user.max() >= MOVIELENS_100K_USERS or r.item.max() >= MOVIELENS_100K_ITEMS:
            raise errors.DataFormatError(
                f"the {name} file of split {split} has ids beyond MovieLens 100K's "
                f"{MOVIELENS_100K_USERS} users / {MOVIELENS_100K_ITEMS} items."
            )
    return train, test
