"""Cross-validation of an estimator (`jaxfound.base.Estimator`), vmapped over folds.

Folds become fixed-shape 0/1 weight masks of shape ``(k, n)`` (`jaxfound.data.folds_to_masks`),
so every fold has the same array shapes and ``k`` fits run as one ``jax.vmap``: the model is
trained on all rows with the training rows weighted 1 and the held-out rows weighted 0, then
predicts and is scored on its held-out rows only (gathered per fold and padded to the largest
fold with rows of weight 0), so ``predict`` must act row by row.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.base import Estimator
from jaxfound.data._folds import folds_to_masks
from jaxfound.stats._classification import accuracy
from jaxfound.stats._regression import r2_score
from jaxfound.typing import Array

__all__ = ["CVResult", "cross_validate"]

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


def _accepts_sample_weight(metric: Callable) -> bool:
    try:
        sig = inspect.signature(metric)
    except (TypeError, ValueError):
        return False
    return "sample_weight" in sig.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()
    )


def _scorer(estimator: Estimator, metric: Callable | None) -> tuple[Callable, bool]:
    """``(score(params, X, y, sample_weight=None) -> scalar, takes_weights)``: ``metric`` of
    the predictions if given, else ``estimator.score``, else accuracy (classifiers) or R²."""
    if metric is None and estimator.score is not None:
        return estimator.score, True
    if metric is None:
        metric = accuracy if estimator.is_classifier else r2_score
    predict = estimator.predict

    def score(params, X, y, sample_weight=None):
        if sample_weight is None:
            return metric(y, predict(params, X))
        return metric(y, predict(params, X), sample_weight=sample_weight)

    return score, _accepts_sample_weight(metric)


def _check_data(estimator, X, y, sample_weight, key):
    """Validate the estimator (and its key) and the data's row counts; return ``n``."""
    _validate.estimator(estimator, key)
    n = jax.tree_util.tree_leaves(X)[0].shape[0]
    if np.shape(y)[0] != n:
        raise errors.ShapeError(f"X has {n} rows but y has {np.shape(y)[0]}; they must match.")
    _validate.optional_sample_weights(sample_weight, n, rows="X")
    return n


def _fold_keys(estimator: Estimator, key, k: int):
    """``(k,)`` keys, fold ``i`` getting ``fold_in(key, i)``; ``None`` when no key is needed."""
    if not estimator.needs_key:
        return None
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(k))


def _fit(estimator: Estimator, X, y, w, key, hparams):
    if estimator.needs_key:
        return estimator.fit(X, y, sample_weight=w, key=key, **hparams)
    return estimator.fit(X, y, sample_weight=w, **hparams)


def _score_fn(estimator, score, X, y, sample_weight):
    """``(train_w, test_idx, test_w, key, hparams) -> score``: fit on the full, weighted data,
    predict and score the held-out rows ``test_idx`` only (weights ``test_w``, 0 on padding)."""

    def fold_score(train_w, test_idx, test_w, key, hparams):
        if sample_weight is not None:
            train_w = train_w * sample_weight
            test_w = test_w * jnp.asarray(sample_weight)[test_idx]
        params = _fit(estimator, X, y, train_w, key, hparams)
        X_test = jax.tree_util.tree_map(lambda a: jnp.asarray(a)[test_idx], X)
        return score(params, X_test, jnp.asarray(y)[test_idx], sample_weight=test_w)

    return fold_score


def _masks(folds, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)`` float32 ``(k, n)`` 0/1 masks of any form of folds."""
    masks = folds_to_masks(folds, n)
    return masks.train.astype(np.float32), masks.test.astype(np.float32)


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


def _loop_scores(estimator, score, weighted, X, y, sample_weight, train, test, keys, hparams):
    """Python-loop fallback: fit on the training rows, score on the test rows."""
    scores = []
    take = lambda a, m: jax.tree_util.tree_map(lambda v: v[np.flatnonzero(m)], a)
    for i, (tr, te) in enumerate(zip(train, test)):
        w = np.ones(int((tr > 0).sum()), np.float32) if sample_weight is None else take(
            np.asarray(sample_weight), tr
        )
        params = _fit(estimator, take(X, tr), take(y, tr), w, None if keys is None else keys[i],
                      hparams)
        w_te = None if sample_weight is None or not weighted else take(
            np.asarray(sample_weight), te)
        scores.append(score(params, take(X, te), take(y, te), sample_weight=w_te))
    return jnp.stack([jnp.asarray(s) for s in scores])


def cross_validate(
    estimator: Estimator,
    X: Any,
    y: Any,
    folds: Any,
    *,
    metric: Callable | None = None,
    sample_weight: Any = None,
    key: Any = None,
    vectorize: bool | None = None,
    **hparams: Any,
) -> CVResult:
    r"""k-fold cross-validation of an estimator.

    $$
    \mathrm{CV} = \frac1k\sum_{j=1}^k m\big(y_{T_j},\,
    \mathrm{predict}(\mathrm{fit}(X_{\bar T_j}, y_{\bar T_j}), X_{T_j})\big)
    $$

    When ``estimator.fit`` is jittable, all folds run as ONE compiled ``jax.vmap``: fold
    ``j`` calls ``fit(X, y, sample_weight=train_mask_j, **hparams)`` on the full data with
    0/1 weights and scores its held-out rows $T_j$ (padded to the largest fold with
    weight-0 rows). Otherwise (or with ``vectorize=False``) a Python loop fits on the
    selected rows only. The score is ``metric(y_true, predict(params, X), sample_weight=...)``
    if ``metric`` is given, else ``estimator.score``, else accuracy for classifiers
    (``estimator.is_classifier``) and $R^2$ for regressors.

    Args:
      estimator: a `jaxfound.base.Estimator` (e.g. ``jaxfound.models.linear.ridge()``);
        ``fit`` must treat a zero weight as "row absent" for the vmapped path to equal the loop.
      X: inputs with leading dimension ``n`` (may be a pytree).
      y: targets with leading dimension ``n``.
      folds: any form `jaxfound.data.folds_to_masks` accepts: ``(train_idx, test_idx)``
        pairs (`jaxfound.data.kfold` ...), `jaxfound.data.FoldMasks`, or a ``(k, n)`` array
        of training masks.
      metric: ``metric(y_true, y_pred, sample_weight=None) -> scalar`` (every
        `jaxfound.stats` metric qualifies); one without ``sample_weight`` forces the loop.
      sample_weight: optional ``(n,)`` weights multiplying the fold masks.
      key: a ``jax.random.key``, required when ``estimator.needs_key`` (fold ``i`` fits with
        ``jax.random.fold_in(key, i)``); ignored otherwise.
      vectorize: ``True`` to require the vmapped path, ``False`` to force the loop,
        ``None`` (default) to try vmap and fall back to the loop when ``fit`` or
        ``predict`` cannot be traced.
      **hparams: hyper-parameters passed to every ``fit`` (overriding the constructor's).

    Returns:
      `CVResult` ``(scores, mean, std, vectorized)``.

    Raises:
      ValidationError: ``estimator`` is not an `Estimator`, or it needs a ``key`` and got none.
      ShapeError / ValidationError / EmptyDataError: bad folds (see
        `jaxfound.data.folds_to_masks`) or mismatched rows.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import linear
      >>> X = np.arange(6.0)[:, None]; y = 2 * X[:, 0] + np.array([.1, -.1, .2, -.2, .1, 0])
      >>> masks = np.array([[0, 0, 1, 1, 1, 1], [1, 1, 0, 0, 1, 1], [1, 1, 1, 1, 0, 0]])
      >>> cv = cross_validate(linear.ridge(), X, y, masks, alpha=0.0)   # R² per fold
      >>> [round(float(s), 2) for s in cv.scores]
      [0.97, 0.94, 0.94]
    """
    n = _check_data(estimator, X, y, sample_weight, key)
    train, test = _masks(folds, n)
    keys = _fold_keys(estimator, key, len(train))
    score, weighted = _scorer(estimator, metric)
    if vectorize and not weighted:
        raise errors.ValidationError(
            "vectorize=True needs metric(y_true, y_pred, sample_weight=...) to score the "
            "held-out rows by weight; add a sample_weight argument or use vectorize=None."
        )
    if vectorize is not False and weighted:
        fold_score = _score_fn(estimator, score, X, y, sample_weight)
        run = jax.jit(jax.vmap(lambda a, b, c, k: fold_score(a, b, c, k, hparams)))
        try:
            scores = run(jnp.asarray(train), *map(jnp.asarray, _test_rows(test)), keys)
            return CVResult(scores, jnp.mean(scores), jnp.std(scores), True)
        except _TRACE_ERRORS:
            if vectorize:
                raise
    scores = _loop_scores(estimator, score, weighted, X, y, sample_weight, train, test, keys,
                          hparams)
    return CVResult(scores, jnp.mean(scores), jnp.std(scores), False)
