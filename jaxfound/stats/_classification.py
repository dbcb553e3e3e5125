"""Classification metrics from labels: accuracy, confusion matrix, precision, recall, F1.

Labels are integers in ``[0, n_classes)``; ``y_pred`` may be labels ``(n,)`` or class
scores ``(n, n_classes)`` (the arg-max is the prediction). ``n_classes`` fixes output
shapes, so pass it (statically) inside ``jit``; outside it defaults to ``1 + max label``.
Averages over classes use all ``n_classes`` classes, like scikit-learn with
``labels=range(n_classes)``; a class never predicted (or never present) counts 0 for the
undefined ratio, like scikit-learn's ``zero_division=0``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from jaxfound import _validate, errors
from jaxfound.typing import Array, ArrayLike

__all__ = [
    "accuracy",
    "confusion_matrix",
    "precision",
    "recall",
    "f1_score",
    "precision_recall_f1",
    "precision_recall_f1_from_confusion",
]

AVERAGES = ("macro", "micro", "weighted", "binary", None)


def _as_labels(y_true: Array, y_pred: Array) -> Array:
    """Turn scores/probabilities ``(..., n_classes)`` into labels; keep labels as they are."""
    if y_pred.ndim == y_true.ndim + 1:
        return jnp.argmax(y_pred, axis=-1)
    return y_pred


def _labels(y_true, y_pred, n_classes, sample_weight):
    y_true, y_pred = _validate.prediction_pair(y_true, y_pred, allow_scores=True)
    if y_pred.ndim == y_true.ndim + 1 and n_classes is None:
        n_classes = y_pred.shape[-1]
    y_pred = _as_labels(y_true, y_pred)
    _validate.labels_in_range(y_true, "y_true", n_classes)
    _validate.labels_in_range(y_pred, "y_pred", n_classes)
    k = _validate.n_classes_of(n_classes, y_true, y_pred)
    w = _validate.optional_sample_weights(sample_weight, y_true.shape[0])
    return y_true.reshape(-1), y_pred.reshape(-1), k, w


def accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
) -> Array:
    r"""Fraction of correct predictions.

    $$
    \mathrm{acc} = \frac{\sum_i w_i [\hat y_i = y_i]}{\sum_i w_i}
    $$

    Args:
      y_true: integer labels, shape ``(n,)``: class indices ``>= 0`` (and ``< k`` with
        scores), checked when concrete.
      y_pred: predicted labels ``(n,)`` (integers ``>= 0``) or class scores/probabilities
        ``(n, k)`` (then the arg-max is the prediction).
      sample_weight: optional ``(n,)`` weights (default: all 1).

    Returns:
      A scalar in ``[0, 1]``. Jittable.

    Raises:
      LabelError: a concrete integer label is negative, or ``>= k`` against ``(n, k)``
        scores.

    Examples:
      >>> import jax.numpy as jnp
      >>> float(accuracy(jnp.array([0, 1, 2]), jnp.array([0, 1, 1])))
      0.666...
    """
    y_true, y_pred = _validate.prediction_pair(y_true, y_pred, allow_scores=True)
    scores = y_pred.ndim == y_true.ndim + 1
    # integer labels must be class indices (a -1/-1 pair is not a correct prediction)
    if jnp.issubdtype(y_true.dtype, jnp.integer):
        _validate.labels_in_range(y_true, "y_true", y_pred.shape[-1] if scores else None)
    if not scores and jnp.issubdtype(y_pred.dtype, jnp.integer):
        _validate.labels_in_range(y_pred, "y_pred")
    y_pred = _as_labels(y_true, y_pred)
    correct = (y_pred == y_true).astype(jnp.result_type(float))
    if sample_weight is None:
        return jnp.mean(correct)
    w = _validate.optional_sample_weights(sample_weight, y_true.shape[0]).astype(correct.dtype)
    w = w.reshape((-1,) + (1,) * (correct.ndim - 1))
    return jnp.sum(w * correct) / jnp.sum(w * jnp.ones_like(correct))


def confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    n_classes: int | None = None,
    sample_weight: ArrayLike | None = None,
    normalize: str | None = None,
) -> Array:
    r"""Confusion matrix $C_{ij} = \sum_k w_k [y_k = i][\hat y_k = j]$ (rows: truth).

    Args:
      y_true: integer labels ``(n,)``.
      y_pred: labels ``(n,)`` or scores ``(n, n_classes)``.
      n_classes: number of classes (static; default ``1 + max label`` or the score width).
      sample_weight: optional ``(n,)`` weights.
      normalize: ``None`` (counts), ``"true"`` (rows sum to 1), ``"pred"`` (columns sum to
        1) or ``"all"``.

    Returns:
      ``(n_classes, n_classes)`` float array. Jittable with static ``n_classes``.

    Examples:
      >>> confusion_matrix([0, 1, 1], [0, 0, 1]).tolist()
      [[1.0, 0.0], [1.0, 1.0]]
    """
    if normalize not in (None, "true", "pred", "all"):
        raise errors.ValidationError(
            f"normalize={normalize!r}; use None, 'true', 'pred' or 'all'."
        )
    y_true, y_pred, k, w = _labels(y_true, y_pred, n_classes, sample_weight)
    return _confusion(y_true, y_pred, w, k, normalize)


@partial(jax.jit, static_argnames=("k", "normalize"))
def _confusion(y_true, y_pred, w, k, normalize):
    dtype = jnp.result_type(float)
    w = jnp.ones(y_true.shape, dtype) if w is None else w.astype(dtype)
    cm = jnp.zeros((k, k), w.dtype).at[y_true, y_pred].add(w)
    if normalize == "true":
        cm = cm / jnp.maximum(cm.sum(axis=1, keepdims=True), jnp.finfo(cm.dtype).tiny)
    elif normalize == "pred":
        cm = cm / jnp.maximum(cm.sum(axis=0, keepdims=True), jnp.finfo(cm.dtype).tiny)
    elif normalize == "all":
        cm = cm / jnp.sum(cm)
    return cm


def _ratio(num, den):
    return jnp.where(den > 0, num / jnp.where(den > 0, den, 1), 0.0)


def precision_recall_f1_from_confusion(
    cm: ArrayLike, average: str | None = "macro", pos_label: int = 1
) -> tuple[Array, Array, Array]:
    r"""Precision, recall and F1 from a confusion matrix (rows: truth, columns: prediction).

    Per class $P_c = C_{cc}/\sum_i C_{ic}$, $R_c = C_{cc}/\sum_j C_{cj}$,
    $F_c = 2P_cR_c/(P_c+R_c)$. ``average``: ``"macro"`` (plain mean over classes),
    ``"weighted"`` (mean weighted by support), ``"micro"`` (from pooled counts),
    ``"binary"`` (class ``pos_label`` only) or ``None`` (per-class arrays).

    Examples:
      >>> import jax.numpy as jnp
      >>> p, r, f = precision_recall_f1_from_confusion(jnp.array([[2., 0.], [1., 1.]]), None)
      >>> p.tolist(), r.tolist()
      ([0.666..., 1.0], [1.0, 0.5])
    """
    if average not in AVERAGES:
        raise errors.ValidationError(
            f"average={average!r}; use 'macro', 'micro', 'weighted', 'binary' or None."
        )
    if average == "binary" and jnp.shape(cm)[0] > 2:
        raise errors.ValidationError(
            f"average='binary' needs 2 classes but there are {jnp.shape(cm)[0]}; use 'macro', "
            "'micro' or 'weighted'."
        )
    return _prf(jnp.asarray(cm), average, pos_label)


@partial(jax.jit, static_argnames=("average", "pos_label"))
def _prf(cm, average, pos_label):
    tp = jnp.diagonal(cm)
    n_pred, n_true = cm.sum(axis=0), cm.sum(axis=1)
    if average == "micro":
        tp, n_pred, n_true = tp.sum(), n_pred.sum(), n_true.sum()
    p, r = _ratio(tp, n_pred), _ratio(tp, n_true)
    f = _ratio(2 * tp, n_pred + n_true)
    if average == "macro":
        return p.mean(), r.mean(), f.mean()
    if average == "weighted":
        s = n_true / jnp.sum(n_true)
        return jnp.sum(s * p), jnp.sum(s * r), jnp.sum(s * f)
    if average == "binary":
        return p[pos_label], r[pos_label], f[pos_label]
    return p, r, f


def precision_recall_f1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    n_classes: int | None = None,
    average: str | None = "macro",
    sample_weight: ArrayLike | None = None,
    pos_label: int = 1,
) -> tuple[Array, Array, Array]:
    """Precision, recall and F1 in one pass (see `precision_recall_f1_from_confusion`).

    Examples:
      >>> p, r, f = precision_recall_f1([0, 1, 1, 2], [0, 1, 2, 2], average="micro")
      >>> float(f)
      0.75
    """
    if average == "binary" and n_classes is None:
        n_classes = 2
    cm = confusion_matrix(y_true, y_pred, n_classes, sample_weight)
    return precision_recall_f1_from_confusion(cm, average, pos_label)


def precision(y_true, y_pred, n_classes=None, average="macro", sample_weight=None, pos_label=1):
    r"""Precision $TP/(TP+FP)$, averaged as in `precision_recall_f1`.

    Examples:
      >>> float(precision([0, 1, 1], [0, 1, 0], average="macro"))
      0.75
    """
    return precision_recall_f1(y_true, y_pred, n_classes, average, sample_weight, pos_label)[0]


def recall(y_true, y_pred, n_classes=None, average="macro", sample_weight=None, pos_label=1):
    r"""Recall $TP/(TP+FN)$, averaged as in `precision_recall_f1`.

    Examples:
      >>> float(recall([0, 1, 1], [0, 1, 0], average="macro"))
      0.75
    """
    return precision_recall_f1(y_true, y_pred, n_classes, average, sample_weight, pos_label)[1]


def f1_score(y_true, y_pred, n_classes=None, average="macro", sample_weight=None, pos_label=1):
    r"""F1 score $2PR/(P+R)$, averaged as in `precision_recall_f1`.

    Examples:
      >>> round(float(f1_score([0, 1, 1], [0, 1, 0], average="macro")), 4)
      0.6667
    """
    return precision_recall_f1(y_true, y_pred, n_classes, average, sample_weight, pos_label)[2]
