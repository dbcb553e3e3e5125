"""Metrics of scores and probabilities: ROC-AUC, log loss, Brier score, calibration error.

``y_prob`` is either ``(n,)`` (binary: the probability or score of class 1) or
``(n, n_classes)`` (one column per class). All are jittable and accept ``sample_weight``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.typing import Array, ArrayLike

__all__ = [
    "roc_auc",
    "log_loss",
    "brier_score",
    "expected_calibration_error",
    "calibration_bins",
]


def _prepare(y_true, y_prob, sample_weight, *, probabilities: bool):
    y_true, y_prob = _validate.prediction_pair(y_true, y_prob, allow_scores=True)
    if y_true.ndim != 1:
        raise errors.ShapeError(f"y_true has shape {y_true.shape}; expected labels of shape (n,).")
    k = y_prob.shape[-1] if y_prob.ndim == 2 else 2
    _validate.labels_in_range(y_true, "y_true", k)
    if probabilities and not _validate.is_traced(y_prob):
        p = np.asarray(y_prob)
        if p.min() < 0 or p.max() > 1:
            raise errors.ValidationError(
                f"y_prob has values in [{p.min():.3g}, {p.max():.3g}]; probabilities must lie in "
                "[0, 1] (apply jax.nn.softmax or jax.nn.sigmoid to logits first)."
            )
    return y_true, y_prob, _validate.optional_sample_weights(sample_weight, y_true.shape[0]), k


def _cast(y_prob, w, n):
    dtype = jnp.result_type(y_prob.dtype, jnp.float32)
    w = jnp.ones(n, dtype) if w is None else w.astype(dtype)
    return y_prob.astype(dtype), w


def _binary_auc(pos: Array, score: Array, w: Array) -> Array:
    """Weighted Mann–Whitney AUC: P(score_pos > score_neg) + P(tie)/2."""
    order = jnp.argsort(score)
    s_sorted = score[order]
    w_neg = (w * (1 - pos))[order]
    cum = jnp.concatenate([jnp.zeros(1, w.dtype), jnp.cumsum(w_neg)])
    lo = jnp.searchsorted(s_sorted, score, side="left")
    hi = jnp.searchsorted(s_sorted, score, side="right")
    below, tied = cum[lo], cum[hi] - cum[lo]
    num = jnp.sum(w * pos * (below + 0.5 * tied))
    return num / (jnp.sum(w * pos) * jnp.sum(w * (1 - pos)))


def roc_auc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    sample_weight: ArrayLike | None = None,
    average: str | None = "macro",
) -> Array:
    r"""Area under the ROC curve (the Mann–Whitney statistic, ties counted one half).

    $$
    \mathrm{AUC} = \frac{\sum_{i:y_i=1}\sum_{j:y_j=0} w_iw_j
    \big([s_i>s_j]+\tfrac12[s_i=s_j]\big)}{\sum_{i:y_i=1}w_i\sum_{j:y_j=0}w_j}
    $$

    Binary ``y_score`` ``(n,)`` (or ``(n, 2)``: column 1 is used) gives the plain AUC;
    ``(n, k)`` scores give one-vs-rest AUCs, averaged per ``average`` (``"macro"``,
    ``"weighted"`` by prevalence, or ``None`` for per-class values) — scikit-learn's
    ``roc_auc_score(..., multi_class="ovr")``. Cost: one sort, ``O(n log n)``.

    Raises:
      LabelError: ``y_true`` holds a single class (the AUC is undefined).

    Examples:
      >>> float(roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))
      0.75
    """
    if average not in ("macro", "weighted", None):
        raise errors.ValidationError(f"average={average!r}; use 'macro', 'weighted' or None.")
    y_true, y_score, w, k = _prepare(y_true, y_score, sample_weight, probabilities=False)
    if not _validate.is_traced(y_true) and k == 2 and np.unique(np.asarray(y_true)).size < 2:
        raise errors.LabelError(
            "y_true holds only one class; ROC-AUC needs both positive and negative examples."
        )
    return _roc_auc(y_true, y_score, w, k, average)


@partial(jax.jit, static_argnames=("k", "average"))
def _roc_auc(y_true, y_score, w, k, average):
    y_score, w = _cast(y_score, w, y_true.shape[0])
    if y_score.ndim == 1 or k == 2:
        s = y_score if y_score.ndim == 1 else y_score[:, 1]
        return _binary_auc((y_true == 1).astype(w.dtype), s, w)
    onehot = jax.nn.one_hot(y_true, k, dtype=w.dtype)
    aucs = jax.vmap(_binary_auc, in_axes=(1, 1, None))(onehot, y_score, w)
    if average is None:
        return aucs
    if average == "weighted":
        prev = onehot.T @ w
        return jnp.sum(aucs * prev) / jnp.sum(prev)
    return jnp.mean(aucs)


def _as_matrix(y_prob: Array) -> Array:
    return jnp.stack([1 - y_prob, y_prob], axis=-1) if y_prob.ndim == 1 else y_prob


def log_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    sample_weight: ArrayLike | None = None,
    eps: float | None = None,
) -> Array:
    r"""Cross-entropy of predicted probabilities $-\frac1n\sum_i \log p_{i,y_i}$.

    Probabilities are clipped to ``[eps, 1 - eps]`` (default: the dtype's machine epsilon,
    as scikit-learn does). ``y_prob`` must hold probabilities (rows summing to 1).

    Examples:
      >>> round(float(log_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]])), 4)
      0.1643
    """
    y_true, y_prob, w, _ = _prepare(y_true, y_prob, sample_weight, probabilities=True)
    return _log_loss(y_true, y_prob, w, eps)


@partial(jax.jit, static_argnames=("eps",))
def _log_loss(y_true, y_prob, w, eps):
    y_prob, w = _cast(y_prob, w, y_true.shape[0])
    p = _as_matrix(y_prob)
    eps = jnp.finfo(p.dtype).eps if eps is None else eps
    p_true = jnp.take_along_axis(p, y_true[:, None], axis=1)[:, 0]
    return -jnp.sum(w * jnp.log(jnp.clip(p_true, eps, 1 - eps))) / jnp.sum(w)


def brier_score(
    y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None = None
) -> Array:
    r"""Mean squared error of probabilities.

    Binary ``(n,)`` probabilities of class 1: $\frac1n\sum_i (p_i - y_i)^2$;
    ``(n, k)`` probabilities: $\frac1n\sum_i\sum_c (p_{ic} - [y_i=c])^2$
    (scikit-learn's ``brier_score_loss`` conventions).

    Examples:
      >>> round(float(brier_score([0, 1, 1], [0.1, 0.9, 0.6])), 4)
      0.06
    """
    y_true, y_prob, w, k = _prepare(y_true, y_prob, sample_weight, probabilities=True)
    return _brier(y_true, y_prob, w, k)


@partial(jax.jit, static_argnames=("k",))
def _brier(y_true, y_prob, w, k):
    y_prob, w = _cast(y_prob, w, y_true.shape[0])
    if y_prob.ndim == 1:
        err = (y_prob - y_true.astype(y_prob.dtype)) ** 2
    else:
        err = jnp.sum((y_prob - jax.nn.one_hot(y_true, k, dtype=y_prob.dtype)) ** 2, axis=1)
    return jnp.sum(w * err) / jnp.sum(w)


def calibration_bins(
    y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = 15, sample_weight: ArrayLike | None = None
) -> tuple[Array, Array, Array]:
    r"""Per-bin weight, summed confidence and summed correctness of top-label predictions.

    The confidence $c_i = \max_k p_{ik}$ falls into bin ``b`` when
    $b/B < c_i \le (b+1)/B$ (``c_i = 0`` into bin 0). Binary ``(n,)`` probabilities
    are read as ``[1 - p, p]``.

    Returns:
      ``(weight, confidence_sum, correct_sum)``, each ``(n_bins,)``: the sufficient
      statistics of `expected_calibration_error` (and of its streaming form).

    Examples:
      >>> w, c, a = calibration_bins([0, 1], [[0.8, 0.2], [0.3, 0.7]], n_bins=2)
      >>> w.tolist()
      [0.0, 2.0]
    """
    if int(n_bins) < 1:
        raise errors.ValidationError(f"n_bins={n_bins}; use a positive number of bins.")
    y_true, y_prob, w, _ = _prepare(y_true, y_prob, sample_weight, probabilities=True)
    return _bins(y_true, y_prob, w, int(n_bins))


@partial(jax.jit, static_argnames=("n_bins",))
def _bins(y_true, y_prob, w, n_bins):
    y_prob, w = _cast(y_prob, w, y_true.shape[0])
    p = _as_matrix(y_prob)
    conf = jnp.max(p, axis=1)
    correct = (jnp.argmax(p, axis=1) == y_true).astype(p.dtype)
    b = jnp.clip(jnp.ceil(conf * n_bins).astype(jnp.int32) - 1, 0, n_bins - 1)
    zeros = jnp.zeros(n_bins, p.dtype)
    return zeros.at[b].add(w), zeros.at[b].add(w * conf), zeros.at[b].add(w * correct)


def _ece_from_bins(weight: Array, conf: Array, correct: Array) -> Array:
    return jnp.sum(jnp.abs(correct - conf)) / jnp.sum(weight)


def expected_calibration_error(
    y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = 15, sample_weight: ArrayLike | None = None
) -> Array:
    r"""Expected calibration error of the top-label confidence, ``n_bins`` equal-width bins.

    $$
    \mathrm{ECE} = \sum_{b} \frac{|B_b|}{n}\,
    \big|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)\big|
    $$

    Examples:
      >>> round(float(expected_calibration_error([0, 1], [[0.8, 0.2], [0.3, 0.7]], 2)), 4)
      0.25
    """
    return _ece_from_bins(*calibration_bins(y_true, y_prob, n_bins, sample_weight))
