"""Streaming metric accumulators: ``init() -> state``, ``update(state, y_true, y_pred)``,
``compute(state) -> value``, all pure and jittable (optax-style pairs of functions).

Use them inside a jitted evaluation loop (``lax.scan`` over batches) or a Python loop
over a jitted ``update``. Each ``update`` also takes an optional ``sample_weight`` so
padded rows of a last, short batch can be masked out with weight 0. The state is a
fixed-shape pytree, so the result over batches equals the metric on the concatenated
data (exactly, up to rounding).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import _validate
from jaxfound.stats._classification import (
    confusion_matrix,
    precision_recall_f1_from_confusion,
)
from jaxfound.stats._probabilistic import _ece_from_bins, calibration_bins
from jaxfound.stats._regression import _prepare
from jaxfound.typing import Array

__all__ = [
    "Accumulator",
    "streaming_mean",
    "streaming_confusion_matrix",
    "streaming_f1",
    "streaming_mse",
    "streaming_rmse",
    "streaming_r2",
    "streaming_l2_relative_error",
    "streaming_ece",
]

State = Any


class Accumulator(NamedTuple):
    """A streaming metric as three pure functions.

    Attributes:
      init: ``init() -> state``.
      update: ``update(state, y_true, y_pred, sample_weight=None) -> state``.
      compute: ``compute(state) -> value``.
    """

    init: Callable[[], State]
    update: Callable[..., State]
    compute: Callable[[State], Array]


def _batch_weight(y_true, sample_weight):
    n = jnp.shape(y_true)[0]
    return jnp.asarray(n, jnp.float32) if sample_weight is None else jnp.sum(sample_weight)


def streaming_mean(metric: Callable) -> Accumulator:
    r"""Weighted running mean of a per-example-average metric.

    $$
    m = \frac{\sum_b W_b\, m_b}{\sum_b W_b}
    $$

    where $m_b$ is ``metric`` on batch ``b`` and $W_b$ its total weight. Exact
    for metrics that are means over examples: `accuracy`, `mse`, `mae`,
    `log_loss`, `brier_score`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.stats import accuracy
      >>> acc = streaming_mean(accuracy)
      >>> s = acc.update(acc.init(), jnp.array([0, 1]), jnp.array([0, 0]))
      >>> s = acc.update(s, jnp.array([1]), jnp.array([1]))
      >>> round(float(acc.compute(s)), 4)
      0.6667
    """

    def init():
        return (jnp.zeros(()), jnp.zeros(()))

    def update(state, y_true, y_pred, sample_weight=None):
        total, weight = state
        kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        wb = _batch_weight(y_true, sample_weight)
        value = metric(y_true, y_pred, **kw)
        return total + jnp.where(wb > 0, wb * value, 0.0), weight + wb

    def compute(state):
        total, weight = state
        return total / weight

    return Accumulator(init, update, compute)


def streaming_confusion_matrix(
    n_classes: int, reduce: Callable[[Array], Any] | None = None
) -> Accumulator:
    """Running confusion matrix; ``compute`` returns it, or ``reduce(cm)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> cm = streaming_confusion_matrix(2)
      >>> s = cm.update(cm.init(), jnp.array([0, 1]), jnp.array([1, 1]))
      >>> cm.compute(s).tolist()
      [[0.0, 1.0], [0.0, 1.0]]
    """
    n_classes = _validate.positive_int(n_classes, "n_classes")

    def init():
        return jnp.zeros((n_classes, n_classes))

    def update(state, y_true, y_pred, sample_weight=None):
        return state + confusion_matrix(y_true, y_pred, n_classes, sample_weight)

    def compute(state):
        return state if reduce is None else reduce(state)

    return Accumulator(init, update, compute)


def streaming_f1(n_classes: int, average: str | None = "macro", which: str = "f1") -> Accumulator:
    """Running precision, recall or F1 (``which``) from an accumulated confusion matrix.

    Examples:
      >>> import jax.numpy as jnp
      >>> f1 = streaming_f1(3, average="micro")
      >>> s = f1.update(f1.init(), jnp.array([0, 1, 2, 2]), jnp.array([0, 1, 1, 2]))
      >>> float(f1.compute(s))
      0.75
    """
    i = {"precision": 0, "recall": 1, "f1": 2}[which]
    return streaming_confusion_matrix(
        n_classes, lambda cm: precision_recall_f1_from_confusion(cm, average)[i]
    )


class _Moments(NamedTuple):
    weight: Array  # sum of weights
    mean: Array  # weighted mean of y_true, per output
    m2: Array  # weighted sum of squared deviations of y_true, per output (Chan et al.)
    sq_err: Array  # weighted sum of squared errors, per output
    abs_err: Array  # weighted sum of absolute errors, per output
    sq_true: Array  # weighted sum of y_true^2, per output


def _moments_accumulator(n_outputs: int | None, compute: Callable[[_Moments], Array]):
    shape = () if n_outputs is None else (int(n_outputs),)

    def init():
        z = jnp.zeros(shape)
        return _Moments(jnp.zeros(()), z, z, z, z, z)

    def update(state: _Moments, y_true, y_pred, sample_weight=None):
        y_true, y_pred, w = _prepare(y_true, y_pred, sample_weight)
        wb = jnp.sum(w)
        mean_b = jnp.sum(w * y_true, axis=0) / jnp.where(wb > 0, wb, 1)
        m2_b = jnp.sum(w * (y_true - mean_b) ** 2, axis=0)
        total = state.weight + wb
        delta = mean_b - state.mean
        frac = jnp.where(total > 0, wb / jnp.where(total > 0, total, 1), 0.0)
        return _Moments(
            total,
            state.mean + delta * frac,
            state.m2 + m2_b + delta**2 * state.weight * frac,
            state.sq_err + jnp.sum(w * (y_true - y_pred) ** 2, axis=0),
            state.abs_err + jnp.sum(w * jnp.abs(y_true - y_pred), axis=0),
            state.sq_true + jnp.sum(w * y_true**2, axis=0),
        )

    return Accumulator(init, update, compute)


def streaming_mse(n_outputs: int | None = None) -> Accumulator:
    """Running MSE (``n_outputs`` for ``(n, d)`` targets; outputs averaged uniformly).

    Examples:
      >>> import jax.numpy as jnp
      >>> acc = streaming_mse()
      >>> s = acc.update(acc.init(), jnp.array([0.0, 1.0]), jnp.array([1.0, 1.0]))
      >>> float(acc.compute(s))
      0.5
    """
    return _moments_accumulator(n_outputs, lambda s: jnp.mean(s.sq_err / s.weight))


def streaming_rmse(n_outputs: int | None = None) -> Accumulator:
    """Running RMSE (per output, then averaged) — see `streaming_mse`."""
    return _moments_accumulator(n_outputs, lambda s: jnp.mean(jnp.sqrt(s.sq_err / s.weight)))


def _r2(s: _Moments) -> Array:
    ok = s.m2 > 0
    r2 = jnp.where(ok, 1 - s.sq_err / jnp.where(ok, s.m2, 1), jnp.where(s.sq_err > 0, 0.0, 1.0))
    return jnp.mean(r2)


def streaming_r2(n_outputs: int | None = None) -> Accumulator:
    r"""Running $R^2$; the spread of ``y_true`` is merged stably (Chan et al. 1979).

    Examples:
      >>> import jax.numpy as jnp
      >>> acc = streaming_r2()
      >>> s = acc.update(acc.init(), jnp.array([1.0, 2.0]), jnp.array([1.0, 2.0]))
      >>> s = acc.update(s, jnp.array([3.0]), jnp.array([2.0]))
      >>> float(acc.compute(s))
      0.5
    """
    return _moments_accumulator(n_outputs, _r2)


def streaming_l2_relative_error(n_outputs: int | None = None) -> Accumulator:
    """Running relative L2 error over all entries (see `l2_relative_error`)."""
    return _moments_accumulator(
        n_outputs, lambda s: jnp.sqrt(jnp.sum(s.sq_err) / jnp.sum(s.sq_true))
    )


def streaming_ece(n_bins: int = 15) -> Accumulator:
    """Running expected calibration error from per-bin sums (see `calibration_bins`).

    Examples:
      >>> import jax.numpy as jnp
      >>> acc = streaming_ece(2)
      >>> s = acc.update(acc.init(), jnp.array([0, 1]), jnp.array([[0.8, 0.2], [0.3, 0.7]]))
      >>> round(float(acc.compute(s)), 4)
      0.25
    """

    def init():
        z = jnp.zeros(n_bins)
        return (z, z, z)

    def update(state, y_true, y_prob, sample_weight=None):
        new = calibration_bins(y_true, y_prob, n_bins, sample_weight)
        return jax.tree_util.tree_map(jnp.add, state, new)

    def compute(state):
        return _ece_from_bins(*state)

    return Accumulator(init, update, compute)
