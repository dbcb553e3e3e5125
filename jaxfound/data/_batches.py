"""Shuffled mini-batches of in-memory arrays, driven by a PRNG key."""

from __future__ import annotations

from collections.abc import Iterator

import jax
import numpy as np

from jaxfound import errors
from jaxfound._validate import check_same_length
from jaxfound.typing import PRNGKey, PyTree

__all__ = ["batches", "num_examples"]


def num_examples(data: PyTree) -> int:
    """Number of rows shared by every array leaf of ``data`` (checked)."""
    leaves = jax.tree_util.tree_leaves(data)
    names = [
        jax.tree_util.keystr(p) or "data" for p, _ in jax.tree_util.tree_leaves_with_path(data)
    ]
    return check_same_length(leaves, names)


def batches(
    key: PRNGKey | None,
    data: PyTree,
    batch_size: int,
    *,
    drop_remainder: bool = False,
) -> Iterator[PyTree]:
    """Yield mini-batches of a pytree of arrays, shuffled by ``key``.

    Every leaf is indexed by the same permutation, so ``(x, y)`` pairs stay
    aligned. ``key=None`` keeps the original order. The permutation is
    ``jax.random.permutation(key, n)``, so the same key gives the same batches.

    Args:
      key: PRNG key for the shuffle, or ``None``.
      data: a pytree (tuple, dict…) of arrays with a common leading dimension.
      batch_size: rows per batch.
      drop_remainder: drop the last, smaller batch.

    Raises:
      ValidationError: ``batch_size`` is not a positive integer.
      ShapeError: the leaves do not share their number of rows.

    Examples:
      >>> import numpy as np, jax
      >>> xs = np.arange(10); ys = np.arange(10) * 2
      >>> [b[0].tolist() for b in batches(None, (xs, ys), 4)]
      [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise errors.ValidationError(
            f"batch_size must be a positive integer (rows per batch), got "
            f"{type(batch_size).__name__} {batch_size!r}; pass e.g. batch_size=32."
        )
    if batch_size <= 0:
        raise errors.ValidationError(
            f"batch_size must be a positive integer (rows per batch), got {batch_size}; "
            "pass e.g. batch_size=32."
        )
    n = num_examples(data)
    order = np.arange(n) if key is None else np.asarray(jax.random.permutation(key, n))
    stop = n - n % batch_size if drop_remainder else n
    for start in range(0, stop, batch_size):
        idx = order[start : start + batch_size]
        yield jax.tree_util.tree_map(lambda a, idx=idx: a[idx], data)
