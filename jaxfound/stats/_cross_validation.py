"""Cross-validation of any ``fit``/``predict`` pair, vmapped over folds.

Folds are given as fixed-shape 0/1 weight masks of shape ``(k, n)``, so every fold has
the same array shapes and ``k`` fits run as one ``jax.vmap``: the model is trained on all
rows with the training rows weighted 1 and the held-out rows weighted 0, then predicts and
is scored on its held-out rows only (gathered per fold and padded to the largest fold with
rows of weight 0), so ``predict`` must act row by row. Masks come from
`jaxfound.data` splitters (or any ``(train_idx, test_idx)`` folds, which are turned
into masks here).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.typing import Array

__all__ = ["CVResult", "as_fold_masks", "cross_validate"]

_TRACE_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
)


class CVResult(NamedTuple):
    """Scores of a cross-validation.

    Attributes:
      scores: ``(k,)`` held-out score of each fold.
      mean: mean of ``scores``.
      std: standard deviation of ``scores`` (``ddof=0``, as scikit-learn reports it).
      vectorized: whether the folds ran as one ``vmap`` (else a Python loop).
    """

    scores: Array
    mean: Array
    std: Array
    vectorized: bool


def as_fold_masks(folds, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Turn folds into ``(train_masks, test_masks)``, two ``(k, n)`` float arrays of 0/1.

    Accepts ``(train_masks, test_masks)``; a single ``(k, n)`` array of training masks
    (the test masks are its complement); or a list of ``(train_idx, test_idx)``
    index pairs (as k-fold splitters return them; pass a list, since a tuple of two
    2-D arrays is read as ``(train_masks, test_masks)``).

    Raises:
      EmptyDataError: fewer samples than folds, or a fold with no training or no test row.
      ValidationError: a row in both a fold's training and test set, or fewer than 2 folds.
      ShapeError: masks whose width is not ``n``.

    Example:
      >>> import numpy as np
      >>> tr, te = as_fold_masks([([2, 3], [0, 1]), ([0, 1], [2, 3])], 4)
      >>> te.tolist()
      [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
    """
    if isinstance(folds, tuple) and len(folds) == 2 and all(_ndim(m) == 2 for m in folds):
        train, test = (np.asarray(m, dtype=np.float32) for m in folds)
    elif hasattr(folds, "shape") or _ndim(folds) == 2:
        train = np.asarray(folds, dtype=np.float32)
        if train.ndim != 2:
            raise errors.ShapeError(
                f"fold masks have shape {train.shape}; expected (k, n) with one row per fold."
            )
        test = 1.0 - train
    else:
        pairs = list(folds)
        train = np.zeros((len(pairs), n), np.float32)
        test = np.zeros((len(pairs), n), np.float32)
        for i, pair in enumerate(pairs):
            if len(pair) != 2:
                raise errors.ValidationError(
                    f"fold {i} is not a (train_idx, test_idx) pair; pass masks or index pairs."
                )
            tr, te = (np.asarray(p).reshape(-1) for p in pair)
            for name, idx in (("train", tr), ("test", te)):
                if idx.size and (idx.min() < 0 or idx.max() >= n):
                    raise errors.ValidationError(
                        f"fold {i}'s {name} indices are outside [0, {n}); the folds were made "
                        "for a different data set."
                    )
            train[i, tr] = 1.0
            test[i, te] = 1.0
    if train.shape != test.shape or train.ndim != 2 or train.shape[1] != n:
        raise errors.ShapeError(
            f"fold masks have shapes {train.shape} and {test.shape}; both must be (k, {n}) "
            f"for {n} samples."
        )
    k = train.shape[0]
    if k < 2:
        raise errors.ValidationError(f"got {k} fold(s); cross-validation needs at least 2.")
    if n < k:
        raise errors.EmptyDataError(
            f"fewer samples ({n}) than folds ({k}); use at most {n} folds or more data."
        )
    for i in range(k):
        if not (train[i] > 0).any() or not (test[i] > 0).any():
            raise errors.EmptyDataError(
                f"fold {i} has {int((train[i] > 0).sum())} training and "
                f"{int((test[i] > 0).sum())} test rows; every fold needs both."
            )
        if ((train[i] > 0) & (test[i] > 0)).any():
            raise errors.ValidationError(
                f"fold {i} has rows in both its training and its test set; folds must not leak."
            )
    return train, test


def _ndim(x) -> int:
    try:
        return np.asarray(x).ndim
    except (ValueError, TypeError):  # ragged: a list of (train_idx, test_idx) pairs
        return -1


def _accepts_sample_weight(metric: Callable) -> bool:
    try:
        sig = inspect.signature(metric)
    except (TypeError, ValueError):
        return False
    return "sample_weight" in sig.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()
    )


def _check_xy(X, y, sample_weight):
    n = jax.tree_util.tree_leaves(X)[0].shape[0]
    if np.shape(y)[0] != n:
        raise errors.ShapeError(f"X has {n} rows but y has {np.shape(y)[0]}; they must match.")
    if sample_weight is not None and np.shape(sample_weight) != (n,):
        raise errors.ShapeError(
            f"sample_weight has shape {np.shape(sample_weight)}, expected ({n},)."
        )
    return n


def _score_fn(fit, predict, metric, X, y, sample_weight):
    """``(train_w, test_idx, test_w, hparams) -> score``: fit on the full, weighted data,
    predict and score the held-out rows ``test_idx`` only (weights ``test_w``, 0 on padding)."""

    def score(train_w, test_idx, test_w, hparams):
        if sample_weight is not None:
            train_w = train_w * sample_weight
            test_w = test_w * jnp.asarray(sample_weight)[test_idx]
        params = fit(X, y, train_w, **hparams)
        X_test = jax.tree_util.tree_map(lambda a: jnp.asarray(a)[test_idx], X)
        return metric(jnp.asarray(y)[test_idx], predict(params, X_test), sample_weight=test_w)

    return score


def _test_rows(test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Held-out rows of each fold as ``(k, t)`` indices and weights, ``t`` the largest fold
    (shorter folds padded with row 0 at weight 0)."""
    rows = [np.flatnonzero(m > 0) for m in test]
    t = max(len(r) for r in rows)
    idx = np.zeros((len(rows), t), np.int32)
    w = np.zeros((len(rows), t), np.float32)
    for f, r in enumerate(rows):
        idx[f, : len(r)] = r
        w[f, : len(r)] = test[f, r]
    return idx, w


def _loop_scores(fit, predict, metric, X, y, sample_weight, train, test, hparams):
    """Python-loop fallback: fit on the training rows, score on the test rows."""
    scores = []
    take = lambda a, m: jax.tree_util.tree_map(lambda v: v[np.flatnonzero(m)], a)
    for tr, te in zip(train, test):
        w = np.ones(int((tr > 0).sum()), np.float32) if sample_weight is None else take(
            sample_weight, tr
        )
        params = fit(take(X, tr), take(y, tr), w, **hparams)
        pred = predict(params, take(X, te))
        if sample_weight is not None and _accepts_sample_weight(metric):
            scores.append(metric(take(y, te), pred, sample_weight=take(sample_weight, te)))
        else:
            scores.append(metric(take(y, te), pred))
    return jnp.stack([jnp.asarray(s) for s in scores])


def cross_validate(
    fit: Callable,
    predict: Callable,
    metric: Callable,
    X: Any,
    y: Any,
    folds: Any,
    *,
    hparams: Mapping[str, Any] | None = None,
    sample_weight: Any = None,
    vectorize: bool | None = None,
) -> CVResult:
    r"""k-fold cross-validation of a ``fit``/``predict`` pair.

    $$
    \mathrm{CV} = \frac1k\sum_{j=1}^k m\big(y_{T_j},\,
    \mathrm{predict}(\mathrm{fit}(X_{\bar T_j}, y_{\bar T_j}), X_{T_j})\big)
    $$

    When ``fit`` is jittable, all folds run as ONE compiled ``jax.vmap``: fold ``j`` calls
    ``fit(X, y, train_mask_j, **hparams)`` on the full data with 0/1 weights and scores
    ``metric(y[T_j], predict(params, X[T_j]), sample_weight=...)`` on its held-out rows
    $T_j$ (padded to the largest fold with weight-0 rows). Otherwise (or with
    ``vectorize=False``) a Python loop fits on the selected rows only.

    Args:
      fit: ``fit(X, y, sample_weight, **hparams) -> params``; must treat a zero weight
        as "row absent" for the vmapped path to equal the loop.
      predict: ``predict(params, X) -> predictions``.
      metric: ``metric(y_true, y_pred, sample_weight=None) -> scalar`` (every
        `jaxfound.stats` metric qualifies). A metric without ``sample_weight`` forces
        the loop.
      X: inputs with leading dimension ``n`` (may be a pytree).
      y: targets with leading dimension ``n``.
      folds: ``(train_masks, test_masks)`` of shape ``(k, n)``, a ``(k, n)`` array of
        training masks, or ``(train_idx, test_idx)`` pairs (see `as_fold_masks`).
      hparams: keyword arguments passed to ``fit``.
      sample_weight: optional ``(n,)`` weights multiplying the fold masks.
      vectorize: ``True`` to require the vmapped path, ``False`` to force the loop,
        ``None`` (default) to try vmap and fall back to the loop when ``fit`` or
        ``predict`` cannot be traced.

    Returns:
      `CVResult` ``(scores, mean, std, vectorized)``.

    Raises:
      ShapeError / ValidationError / EmptyDataError: see `as_fold_masks`.

    Example:
      >>> import jax.numpy as jnp, numpy as np
      >>> from jaxfound.stats import mse
      >>> fit = lambda X, y, w: jnp.sum(w * y) / jnp.sum(w)      # predict the weighted mean
      >>> predict = lambda p, X: jnp.full(X.shape[0], p)
      >>> X, y = np.zeros((6, 1)), np.arange(6.0)
      >>> masks = np.array([[0, 0, 1, 1, 1, 1], [1, 1, 0, 0, 1, 1], [1, 1, 1, 1, 0, 0]])
      >>> cross_validate(fit, predict, mse, X, y, masks).scores.round(2).tolist()
      [9.25, 0.25, 9.25]
    """
    n = _check_xy(X, y, sample_weight)
    train, test = as_fold_masks(folds, n)
    hparams = dict(hparams or {})
    has_w = _accepts_sample_weight(metric)
    if vectorize and not has_w:
        raise errors.ValidationError(
            "vectorize=True needs metric(y_true, y_pred, sample_weight=...) to score the "
            "held-out rows by weight; add a sample_weight argument or use vectorize=None."
        )
    if vectorize is not False and has_w:
        score = _score_fn(fit, predict, metric, X, y, sample_weight)
        run = jax.jit(jax.vmap(lambda a, b, c: score(a, b, c, hparams)))
        try:
            scores = run(jnp.asarray(train), *map(jnp.asarray, _test_rows(test)))
            return CVResult(scores, jnp.mean(scores), jnp.std(scores), True)
        except _TRACE_ERRORS:
            if vectorize:
                raise
    scores = _loop_scores(fit, predict, metric, X, y, sample_weight, train, test, hparams)
    return CVResult(scores, jnp.mean(scores), jnp.std(scores), False)
