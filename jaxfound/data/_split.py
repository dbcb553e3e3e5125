"""Hold-out splits (train/test, train/validation/test), optionally stratified, keyed by PRNG."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np

from jaxfound import errors
from jaxfound._validate import check_same_length
from jaxfound.data._dataset import Dataset
from jaxfound.typing import ArrayLike, PRNGKey, PyTree

__all__ = ["train_test_split", "train_val_test_split", "split_indices"]


def _as_count(size: float | int, n: int, name: str) -> int:
    """Turn a fraction in ``(0, 1)`` or an absolute count into a row count."""
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise errors.ValidationError(f"{name} must be a fraction or a count, got {size!r}.")
    if isinstance(size, (float, np.floating)):
        if not 0.0 < size < 1.0:
            raise errors.ValidationError(
                f"{name}={size} is a fraction outside (0, 1); pass e.g. 0.2 or an integer count."
            )
        return int(round(float(size) * n))
    return int(size)


def _encode(y, name: str = "stratify") -> np.ndarray:
    """Integer codes ``0..C-1`` of the classes of ``y`` (any hashable dtype), in sorted order."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise errors.ShapeError(f"{name} must be a 1-D array of class labels, got shape {y.shape}.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise errors.NonFiniteError(f"{name} contains NaN/inf; labels must be finite.")
    return np.unique(y, return_inverse=True)[1].reshape(-1)


def _rng(key: PRNGKey) -> np.random.Generator:
    """A NumPy generator seeded from ``key``: one fixed-shape JAX call, then host-side shuffles.

    Index bookkeeping is host work; seeding NumPy once per key keeps it reproducible by key
    without compiling a ``jax.random.permutation`` for every new length.
    """
    return np.random.default_rng(np.asarray(jax.random.bits(key, (4,), np.uint32)))


def _allocate(counts: np.ndarray, total: int, rng: np.random.Generator | None) -> np.ndarray:
    """Split ``total`` rows among classes in proportion to ``counts`` (largest remainder).

    Ties in the fractional remainders are broken at random by ``rng`` (in class order when
    ``rng`` is ``None``), so no class is systematically favoured.
    """
    exact = counts * total / counts.sum()
    alloc = np.floor(exact).astype(np.int64)
    rest = total - int(alloc.sum())
    if rest:
        tie = np.zeros(len(counts)) if rng is None else rng.random(len(counts))
        order = np.lexsort((tie, -(exact - alloc)))  # largest remainder first, random ties
        for c in order:
            if rest == 0:
                break
            if alloc[c] < counts[c]:
                alloc[c] += 1
                rest -= 1
    return np.minimum(alloc, counts)


def split_indices(
    key: PRNGKey,
    n_samples: int,
    sizes: Sequence[float | int],
    *,
    stratify: ArrayLike | None = None,
    names: Sequence[str] | None = None,
) -> list[np.ndarray]:
    """Partition ``range(n_samples)`` into ``len(sizes) + 1`` shuffled index sets.

    The first ``len(sizes)`` parts have the requested sizes (fractions of ``n_samples`` or
    counts); the last part gets the remaining rows. With ``stratify`` (class labels, one per
    row) each part keeps the class proportions as closely as whole rows allow: every class is
    divided by the largest-remainder rule, then shuffled within itself.

    Args:
      key: PRNG key; the same key gives the same partition.
      n_samples: number of rows.
      sizes: sizes of all parts but the last.
      stratify: optional labels ``(n_samples,)``.
      names: the sizes' argument names for error messages (default ``sizes[i]``).

    Returns:
      A list of ``int64`` index arrays that together hold every row exactly once.

    Examples:
      >>> import jax
      >>> test, val, train = split_indices(jax.random.key(0), 10, [0.2, 0.3])
      >>> len(test), len(val), len(train), sorted([*test, *val, *train]) == list(range(10))
      (2, 3, 5, True)
    """
    labels = list(names) if names is not None else [f"sizes[{i}]" for i in range(len(sizes))]
    counts = [_as_count(s, n_samples, name) for s, name in zip(sizes, labels)]
    if any(c <= 0 for c in counts) or sum(counts) >= n_samples:
        given = ", ".join(f"{name}={s!r} ({c} rows)" for name, s, c in zip(labels, sizes, counts))
        raise errors.ValidationError(
            f"{given} of {n_samples}: every part needs at least one row and the last "
            "(remaining) part too: choose smaller sizes or more data."
        )
    rng = _rng(key)
    if stratify is None:
        perm = rng.permutation(n_samples)
        bounds = np.cumsum(counts)
        return [p.astype(np.int64) for p in np.split(perm, bounds)]
    codes = _encode(stratify)
    if len(codes) != n_samples:
        raise errors.ShapeError(
            f"stratify has {len(codes)} labels but there are {n_samples} rows; "
            "pass one label a row."
        )
    class_counts = np.bincount(codes)
    # rows of each class, shuffled once: a class's rows are dealt to the parts in turn
    perm = rng.permutation(n_samples)
    by_class = [perm[codes[perm] == c] for c in range(len(class_counts))]
    taken = np.zeros(len(class_counts), dtype=np.int64)
    remaining = class_counts.copy()
    parts = []
    for c in counts:
        alloc = _allocate(remaining, c, rng)
        parts.append([by_class[j][taken[j] : taken[j] + alloc[j]] for j in range(len(alloc))])
        taken += alloc
        remaining -= alloc
    parts.append([by_class[j][taken[j] :] for j in range(len(class_counts))])
    out = []
    for p in parts:
        # shuffle across classes too, so a part is not sorted by class
        out.append(rng.permutation(np.concatenate(p)))
    return [o.astype(np.int64) for o in out]


def _take_rows(a, p):
    if isinstance(a, Dataset):  # names are not rows: keep them, split x and y
        return a._replace(x=a.x[p], y=None if a.y is None else a.y[p])
    return jax.tree_util.tree_map(lambda leaf: leaf[p], a)


def _take(arrays, parts):
    return [_take_rows(a, p) for a in arrays for p in parts]


def _check_arrays(arrays, fn: str) -> int:
    if not arrays:
        raise errors.ValidationError(f"{fn} needs at least one array.")
    leaves, names = [], []
    for i, a in enumerate(arrays):
        rows = (a.x, a.y) if isinstance(a, Dataset) else a
        for path, leaf in jax.tree_util.tree_leaves_with_path(rows):
            leaves.append(leaf)
            names.append(f"arrays[{i}]{jax.tree_util.keystr(path)}")
    return check_same_length(leaves, names)


def train_test_split(
    key: PRNGKey,
    *arrays: PyTree,
    test_size: float | int = 0.2,
    stratify: ArrayLike | None = None,
) -> list[PyTree]:
    """Shuffle rows with ``key`` and split each array into train and test parts.

    Args:
      key: PRNG key; the same key gives the same split.
      *arrays: arrays with a common leading dimension (NumPy or JAX), pytrees of them such
        as a table ``{name: column}`` from `load_csv`, or `Dataset` objects.
      test_size: fraction in ``(0, 1)`` or an absolute number of test rows.
      stratify: optional class labels ``(n,)``; keeps class proportions in both parts.

    Returns:
      ``[a_train, a_test, b_train, b_test, …]`` like scikit-learn. Inputs are not modified.

    Raises:
      ValidationError: a part would be empty. ShapeError: arrays disagree in length.

    Examples:
      >>> import jax, numpy as np
      >>> x_tr, x_te = train_test_split(jax.random.key(0), np.arange(10), test_size=0.3)
      >>> len(x_tr), len(x_te)
      (7, 3)
    """
    n = _check_arrays(arrays, "train_test_split")
    test, train = split_indices(key, n, [test_size], stratify=stratify, names=["test_size"])
    return _take(arrays, (train, test))


def train_val_test_split(
    key: PRNGKey,
    *arrays: PyTree,
    val_size: float | int = 0.1,
    test_size: float | int = 0.2,
    stratify: ArrayLike | None = None,
) -> list[PyTree]:
    """Split each array into train, validation and test parts in one shuffle.

    Args:
      key: PRNG key; the same key gives the same split.
      *arrays: arrays (or pytrees of arrays, e.g. tables) with a common leading dimension.
      val_size: fraction in ``(0, 1)`` or count of validation rows.
      test_size: fraction in ``(0, 1)`` or count of test rows.
      stratify: optional class labels ``(n,)``; keeps class proportions in all three parts.

    Returns:
      ``[a_train, a_val, a_test, b_train, b_val, b_test, …]``.

    Examples:
      >>> import jax, numpy as np
      >>> tr, va, te = train_val_test_split(jax.random.key(0), np.arange(10), val_size=2,
      ...                                   test_size=3)
      >>> len(tr), len(va), len(te)
      (5, 2, 3)
    """
    n = _check_arrays(arrays, "train_val_test_split")
    test, val, train = split_indices(
        key, n, [test_size, val_size], stratify=stratify, names=["test_size", "val_size"]
    )
    return _take(arrays, (train, val, test))
