"""``evaluate``: batched, jitted evaluation of a loss's value and aux metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxfound import _validate, errors
from jaxfound.data._batches import num_examples
from jaxfound.losses import Loss, as_loss
from jaxfound.train._inputs import batch_spec, is_array_data, prepare_arrays, trace_loss
from jaxfound.train._sharding import to_host
from jaxfound.train._state import TrainState
from jaxfound.typing import Batch, Params

__all__ = ["evaluate"]


def slice_batch(data: Batch, start, size: int) -> Batch:
    """Rows ``start : start + size`` of every leaf (``start`` may be traced)."""
    return jax.tree_util.tree_map(lambda a: lax.dynamic_slice_in_dim(a, start, size), data)


def _eval_loss(loss: Loss, params, model_state, batch):
    """``{"loss": value, **aux}`` in evaluation mode (``key=None``, new model state dropped)."""
    if loss.stateful:
        value, aux, _ = loss.fn(params, batch, None, model_state)
    else:
        value, aux = loss.fn(params, batch, None)
    return {**aux, "loss": value}


@partial(jax.jit, static_argnames=("loss", "batch_size", "n_batches"))
def _eval_scan(params, model_state, data, *, loss, batch_size, n_batches):
    def body(carry, i):
        return carry, _eval_loss(
            loss, params, model_state, slice_batch(data, i * batch_size, batch_size)
        )

    _, auxs = lax.scan(body, None, jnp.arange(n_batches))
    return jax.tree_util.tree_map(lambda v: jnp.mean(v, axis=0), auxs)


@partial(jax.jit, static_argnames=("loss",))
def _eval_batch(params, model_state, batch, *, loss):
    return _eval_loss(loss, params, model_state, batch)


def _weighted(parts: list[tuple[dict, int]]) -> dict[str, float]:
    total = sum(w for _, w in parts)
    keys = parts[0][0].keys()
    host = [(to_host(a), w) for a, w in parts]
    return {k: float(sum(np.asarray(a[k], np.float64) * w for a, w in host) / total) for k in keys}


def evaluate(
    params_or_state: Params | TrainState,
    loss: Loss | Callable,
    data: Batch | Iterable[Batch],
    *,
    model_state: Any = None,
    batch_size: int = 1024,
    validate: bool = True,
) -> dict[str, float]:
    r"""Mean of a loss's value and aux metrics over a whole data set, in evaluation mode.

    The loss is called with ``key=None`` (dropout off; a stateful loss uses its model
    state as is, e.g. BatchNorm's running averages, and its new model state is
    dropped). Full batches run in one compiled ``lax.scan``; a smaller last batch runs
    once more; the means are weighted by batch size, so per-example averages (loss,
    accuracy) are exact:

    $$
    \bar m = \frac{1}{n}\sum_b n_b\, m_b
    $$

    Args:
      params_or_state: model parameters, or a `TrainState` (its ``params`` and
        ``model_state`` are used).
      loss: a `jaxfound.losses.Loss` or anything `jaxfound.losses.as_loss` accepts.
      data: a pytree of arrays with a common leading dimension, or an iterable of such
        batches.
      model_state: the model state of a stateful loss when ``params_or_state`` is
        parameters (ignored for a `TrainState`, which carries its own).
      batch_size: rows per compiled batch (array data only).
      validate: run the boundary checks (shapes, dtypes, finiteness, ``loss.check``).

    Returns:
      ``{"loss": …, **aux}`` as Python floats.

    Raises:
      ValidationError: a stateful loss without model state, ``batch_size`` not an int
        >= 1, or a loss that fails on the data or does not return ``(value, aux)``.
      EmptyDataError: an iterable with no batches.

    Examples:
      >>> import jax.numpy as jnp
      >>> loss = lambda p, b, k: (jnp.mean((b[0] * p - b[1]) ** 2), {})
      >>> x = jnp.arange(10.0); evaluate(2.0, loss, (x, 2 * x), batch_size=4)
      {'loss': 0.0}
    """
    loss = as_loss(loss)
    _validate.positive_int(batch_size, "batch_size")
    if isinstance(params_or_state, TrainState):
        params, model_state = params_or_state.params, params_or_state.model_state
    else:
        params = params_or_state
    if loss.stateful and model_state is None:
        raise errors.ValidationError(
            "the loss is stateful: pass the TrainState (evaluate(state, ...)) or "
            "model_state=... to evaluate."
        )
    if is_array_data(data):
        data = prepare_arrays(data, "data", loss=loss, params=params, validate=validate)
        n = num_examples(data)
        bs = min(batch_size, n)
        if validate:
            trace_loss(loss, params, batch_spec(data, bs), "data", model_state=model_state)
        n_full = n // bs
        parts = [
            (
                _eval_scan(params, model_state, data, loss=loss, batch_size=bs, n_batches=n_full),
                n_full * bs,
            )
        ]
        rem = n - n_full * bs
        if rem:
            tail = jax.tree_util.tree_map(lambda a: a[n_full * bs :], data)
            parts.append((_eval_batch(params, model_state, tail, loss=loss), rem))
        return _weighted(parts)
    parts = []
    for batch in data:
        parts.append((_eval_batch(params, model_state, batch, loss=loss), num_examples(batch)))
    if not parts:
        raise errors.EmptyDataError(
            "evaluate got an iterable with no batches; pass at least one batch."
        )
    return _weighted(parts)
