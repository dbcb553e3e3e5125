r"""Cross-validation folds: k-fold, stratified k-fold, time-series splits and fold masks.

Folds come in two forms:

* a list of `Fold` ``(train, test)`` index arrays (sizes may differ between folds);
* `FoldMasks`, two boolean arrays of shape ``(k, n)`` — one row per fold — whose shapes
  are fixed, so a model-selection loop can ``jax.vmap`` over folds by using the masks as
  sample weights instead of slicing:

  ```python
  masks = fold_masks(key, n, 5)
  losses = jax.vmap(lambda w_tr, w_te: fit_and_score(x, y, w_tr, w_te))(
      masks.train.astype(x.dtype), masks.test.astype(x.dtype))
  ```

`folds_to_masks` turns either form (or ``(train_masks, test_masks)``) into validated masks.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from jaxfound import errors
from jaxfound.data._split import _encode, _rng
from jaxfound.typing import ArrayLike, PRNGKey

__all__ = [
    "Fold",
    "FoldMasks",
    "kfold",
    "stratified_kfold",
    "time_series_split",
    "fold_masks",
    "folds_to_masks",
]


class Fold(NamedTuple):
    """Row indices of one cross-validation fold (sorted ``int64`` arrays)."""

    train: np.ndarray
    test: np.ndarray


class FoldMasks(NamedTuple):
    """Boolean masks of shape ``(k, n)``: ``test[i, j]`` is true when row ``j`` is in fold ``i``'s
    test set, ``train[i, j]`` when it is in fold ``i``'s training set.

    For (stratified) k-fold ``train == ~test``; for time-series splits rows after the test
    window, and the ``gap`` before it, are in neither.
    """

    train: np.ndarray
    test: np.ndarray


def _check_folds(n_samples: int, n_folds: int, what: str = "n_folds") -> None:
    if isinstance(n_folds, bool) or not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise errors.ValidationError(f"{what} must be an integer >= 2, got {n_folds!r}.")
    if n_samples < n_folds:
        raise errors.EmptyDataError(
            f"cannot make {n_folds} folds from {n_samples} samples: every fold needs at least "
            f"one test row. Use {what} <= {n_samples} or collect more data."
        )


def _test_fold_ids(key: PRNGKey | None, n_samples: int, n_folds: int) -> np.ndarray:
    """Fold id of every row: contiguous blocks (scikit-learn's KFold sizes), rows shuffled."""
    sizes = np.full(n_folds, n_samples // n_folds)
    sizes[: n_samples % n_folds] += 1
    ids = np.repeat(np.arange(n_folds), sizes)
    if key is None:
        return ids
    out = np.empty(n_samples, dtype=ids.dtype)
    out[_rng(key).permutation(n_samples)] = ids
    return out


def _stratified_fold_ids(key: PRNGKey | None, y, n_folds: int) -> np.ndarray:
    """scikit-learn's StratifiedKFold assignment; ``key`` shuffles each class's fold labels."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise errors.ShapeError(f"y must be a 1-D array of class labels, got shape {y.shape}.")
    _check_folds(len(y), n_folds)
    # classes numbered in order of first appearance, as scikit-learn does
    _, first, inv = np.unique(y, return_index=True, return_inverse=True)
    codes = np.argsort(np.argsort(first))[inv.reshape(-1)]
    n_classes = len(first)
    counts = np.bincount(codes, minlength=n_classes)
    if np.all(counts < n_folds):
        raise errors.LabelError(
            f"n_folds={n_folds} is more than the size of every class (largest has "
            f"{counts.max()} rows); use fewer folds or plain kfold."
        )
    if counts.min() < n_folds:
        warnings.warn(
            f"the smallest class has only {counts.min()} rows, fewer than n_folds={n_folds}; "
            "some test folds will miss that class.",
            UserWarning,
            stacklevel=3,
        )
    y_order = np.sort(codes)
    allocation = np.asarray(
        [np.bincount(y_order[i::n_folds], minlength=n_classes) for i in range(n_folds)]
    )
    ids = np.empty(len(y), dtype=np.int64)
    rng = None if key is None else _rng(key)
    for c in range(n_classes):
        folds_for_class = np.arange(n_folds).repeat(allocation[:, c])
        if rng is not None:
            folds_for_class = rng.permutation(folds_for_class)
        ids[codes == c] = folds_for_class
    return ids


def _folds_from_ids(ids: np.ndarray, n_folds: int) -> list[Fold]:
    rows = np.arange(len(ids), dtype=np.int64)
    return [Fold(rows[ids != i], rows[ids == i]) for i in range(n_folds)]


def kfold(key: PRNGKey | None, n_samples: int, n_folds: int = 5) -> list[Fold]:
    """K-fold cross-validation: every row is in exactly one test fold.

    Fold sizes are those of scikit-learn's ``KFold`` (the first ``n % k`` folds have one row
    more). ``key=None`` gives contiguous folds in row order (``KFold(shuffle=False)``);
    a key shuffles rows first, reproducibly.

    Args:
      key: PRNG key, or ``None`` for no shuffling.
      n_samples: number of rows.
      n_folds: number of folds ``k >= 2``.

    Returns:
      A list of ``k`` `Fold` ``(train, test)`` sorted index arrays.

    Raises:
      EmptyDataError: ``n_samples < n_folds``.

    Examples:
      >>> [f.test.tolist() for f in kfold(None, 5, 2)]
      [[0, 1, 2], [3, 4]]
    """
    _check_folds(n_samples, n_folds)
    return _folds_from_ids(_test_fold_ids(key, n_samples, n_folds), n_folds)


def stratified_kfold(key: PRNGKey | None, y: ArrayLike, n_folds: int = 5) -> list[Fold]:
    """Stratified k-fold: each test fold keeps the class proportions of ``y``.

    Uses scikit-learn's ``StratifiedKFold`` allocation (classes sorted, dealt round-robin to
    folds), so ``key=None`` reproduces ``StratifiedKFold(shuffle=False)`` exactly; a key shuffles
    the fold labels within each class.

    Args:
      key: PRNG key, or ``None`` for no shuffling.
      y: class labels ``(n,)`` of any dtype.
      n_folds: number of folds ``k >= 2``.

    Returns:
      A list of ``k`` `Fold` ``(train, test)`` sorted index arrays.

    Raises:
      EmptyDataError: fewer rows than folds. LabelError: every class is smaller than ``k``.

    Examples:
      >>> import numpy as np
      >>> [f.test.tolist() for f in stratified_kfold(None, np.array([0, 0, 1, 1]), 2)]
      [[0, 2], [1, 3]]
    """
    ids = _stratified_fold_ids(key, y, n_folds)
    return _folds_from_ids(ids, n_folds)


def time_series_split(
    n_samples: int,
    n_splits: int = 5,
    *,
    test_size: int | None = None,
    gap: int = 0,
    max_train_size: int | None = None,
) -> list[Fold]:
    """Expanding-window splits for ordered data: train on the past, test on what follows.

    Same folds as scikit-learn's ``TimeSeriesSplit``: the last ``n_splits * test_size`` rows
    are cut into consecutive test windows, each trained on the rows before it (minus ``gap``
    rows, at most ``max_train_size``). Time order is the point, so there is no key.

    Args:
      n_samples: number of rows, in time order.
      n_splits: number of splits (>= 2).
      test_size: rows per test window (default ``n_samples // (n_splits + 1)``).
      gap: rows dropped between the end of training and the test window.
      max_train_size: keep at most this many most recent training rows.

    Returns:
      A list of ``n_splits`` `Fold`.

    Examples:
      >>> [(f.train.tolist(), f.test.tolist()) for f in time_series_split(6, 2)]
      [([0, 1], [2, 3]), ([0, 1, 2, 3], [4, 5])]
    """
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise errors.ValidationError(f"n_splits must be an integer >= 2, got {n_splits!r}.")
    _check_folds(n_samples, n_splits + 1, "n_splits + 1")
    test_size = n_samples // (n_splits + 1) if test_size is None else int(test_size)
    if test_size < 1 or gap < 0:
        raise errors.ValidationError(
            f"test_size must be >= 1 and gap >= 0, got test_size={test_size}, gap={gap}."
        )
    first_test = n_samples - n_splits * test_size
    if first_test - gap <= 0:
        raise errors.EmptyDataError(
            f"{n_splits} test windows of {test_size} rows plus gap={gap} leave no training rows "
            f"from {n_samples} samples; lower n_splits, test_size or gap."
        )
    rows = np.arange(n_samples, dtype=np.int64)
    out = []
    for start in range(first_test, n_samples, test_size):
        end = start - gap
        begin = 0 if max_train_size is None else max(0, end - max_train_size)
        out.append(Fold(rows[begin:end], rows[start : start + test_size]))
    return out


def folds_to_masks(folds: Any, n_samples: int) -> FoldMasks:
    """Any form of folds as validated, fixed-shape ``(k, n)`` boolean `FoldMasks`.

    Accepts a list of `Fold` (or any ``(train_idx, test_idx)`` index pairs, as k-fold
    splitters return them); `FoldMasks` or a ``(train_masks, test_masks)`` tuple of two
    ``(k, n)`` 0/1 (or boolean) arrays; or a single ``(k, n)`` array of training masks (the
    test masks are its complement). Rows in neither set of a fold (time-series splits) are
    allowed. This is what `jaxfound.stats.cross_validate` and `grid_search` call on their
    ``folds``.

    Args:
      folds: the folds, in one of the forms above (pass index pairs as a list: a tuple of two
        2-D arrays is read as ``(train_masks, test_masks)``).
      n_samples: number of rows ``n`` of the data the folds index.

    Returns:
      `FoldMasks` ``(train, test)``, NumPy ``bool`` arrays of shape ``(k, n)``.

    Raises:
      EmptyDataError: fewer samples than folds, or a fold with no training or no test row.
      ValidationError: a row in both a fold's training and test set, fewer than 2 folds,
        indices outside ``[0, n)``, or masks holding values other than 0 and 1.
      ShapeError: masks whose width is not ``n``.

    Examples:
      >>> m = folds_to_masks(kfold(None, 4, 2), 4)
      >>> m.test.astype(int).tolist()
      [[1, 1, 0, 0], [0, 0, 1, 1]]
      >>> folds_to_masks([([2, 3], [0, 1]), ([0, 1], [2, 3])], 4).train.astype(int).tolist()
      [[0, 0, 1, 1], [1, 1, 0, 0]]
    """
    if isinstance(folds, tuple) and len(folds) == 2 and all(_ndim(m) == 2 for m in folds):
        train, test = (_bool_masks(m, name) for m, name in zip(folds, ("train", "test")))
    elif hasattr(folds, "shape") or _ndim(folds) == 2:
        train = _bool_masks(folds, "train")
        test = ~train
    else:
        pairs = list(folds)
        train = np.zeros((len(pairs), n_samples), bool)
        test = np.zeros((len(pairs), n_samples), bool)
        for i, pair in enumerate(pairs):
            if len(pair) != 2:
                raise errors.ValidationError(
                    f"fold {i} is not a (train_idx, test_idx) pair; pass masks or index pairs."
                )
            tr, te = (np.asarray(p, dtype=np.int64).reshape(-1) for p in pair)
            for name, idx in (("train", tr), ("test", te)):
                if idx.size and (idx.min() < 0 or idx.max() >= n_samples):
                    raise errors.ValidationError(
                        f"fold {i}'s {name} indices are outside [0, {n_samples}); the folds "
                        "were made for a different data set."
                    )
            train[i, tr] = True
            test[i, te] = True
    if train.shape != test.shape or train.shape[1] != n_samples:
        raise errors.ShapeError(
            f"fold masks have shapes {train.shape} and {test.shape}; both must be "
            f"(k, {n_samples}) for {n_samples} samples."
        )
    k = train.shape[0]
    if k < 2:
        raise errors.ValidationError(f"got {k} fold(s); cross-validation needs at least 2.")
    if n_samples < k:
        raise errors.EmptyDataError(
            f"fewer samples ({n_samples}) than folds ({k}); use at most {n_samples} folds or "
            "more data."
        )
    for i in range(k):
        if not train[i].any() or not test[i].any():
            raise errors.EmptyDataError(
                f"fold {i} has {int(train[i].sum())} training and {int(test[i].sum())} test "
                "rows; every fold needs both."
            )
        if (train[i] & test[i]).any():
            raise errors.ValidationError(
                f"fold {i} has rows in both its training and its test set; folds must not leak."
            )
    return FoldMasks(train, test)


def _ndim(x) -> int:
    try:
        return np.asarray(x).ndim
    except (ValueError, TypeError):  # ragged: a list of (train_idx, test_idx) pairs
        return -1


def _bool_masks(m, name: str) -> np.ndarray:
    """A ``(k, n)`` mask array of 0/1 or booleans as ``bool``; anything else is an error."""
    a = np.asarray(m)
    if a.ndim != 2:
        raise errors.ShapeError(
            f"fold masks have shape {a.shape}; expected (k, n) with one row per fold."
        )
    if a.dtype != bool and not np.isin(a, (0, 1)).all():
        raise errors.ValidationError(
            f"the {name} fold masks hold values other than 0 and 1; pass 0/1 (or boolean) "
            "masks, and per-row weights as sample_weight."
        )
    return a.astype(bool)


def fold_masks(
    key: PRNGKey | None,
    n_samples: int,
    n_folds: int = 5,
    *,
    stratify: ArrayLike | None = None,
) -> FoldMasks:
    r"""K-fold (optionally stratified) as boolean masks of fixed shape ``(k, n)``.

    Every column of ``test`` holds exactly one ``True``: each row is tested once, and
    ``train = ~test``. Because the shapes do not depend on the fold, a cross-validation loop
    can be one ``jax.vmap`` over the rows of the masks, using them as sample weights:

    $$
    \hat\theta_i = \arg\min_\theta \sum_j \mathrm{train}_{ij}\,\ell(\theta; x_j, y_j)
    $$

    Args:
      key: PRNG key, or ``None`` for contiguous folds.
      n_samples: number of rows.
      n_folds: number of folds ``k >= 2``.
      stratify: optional class labels ``(n,)`` for stratified folds.

    Returns:
      `FoldMasks` ``(train, test)``, NumPy ``bool`` arrays of shape ``(k, n)``.

    Raises:
      EmptyDataError: ``n_samples < n_folds``.

    Examples:
      >>> import jax
      >>> m = fold_masks(jax.random.key(0), 10, 5)
      >>> m.test.shape, m.test.sum(axis=0).tolist() == [1] * 10, bool((m.train == ~m.test).all())
      ((5, 10), True, True)
    """
    if stratify is None:
        _check_folds(n_samples, n_folds)
        ids = _test_fold_ids(key, n_samples, n_folds)
    else:
        labels = np.asarray(stratify)
        if labels.shape[:1] != (n_samples,):
            raise errors.ShapeError(
                f"stratify has shape {labels.shape} but n_samples={n_samples}; "
                "pass one label a row."
            )
        _encode(labels)  # validates dtype / NaN
        ids = _stratified_fold_ids(key, labels, n_folds)
    test = ids[None, :] == np.arange(n_folds)[:, None]
    return FoldMasks(~test, test)
