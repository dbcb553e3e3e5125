"""``evaluate``: batched, jitted evaluation of a loss function's aux metrics."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxfound.data._batches import num_examples
from jaxfound.train._inputs import is_array_data, prepare_arrays
from jaxfound.typing import Batch, LossFn, Params

__all__ = ["evaluate"]


def slice_batch(data: Batch, start, size: int) -> Batch:
    """Rows ``start : start + size`` of every leaf (``start`` may be traced)."""
    return jax.tree_util.tree_map(lambda a: lax.dynamic_slice_in_dim(a, start, size), data)


@partial(jax.jit, static_argnames=("loss_fn", "batch_size", "n_batches"))
def _eval_scan(params, data, *, loss_fn, batch_size, n_batches):
    def body(carry, i):
        loss, aux = loss_fn(params, slice_batch(data, i * batch_size, batch_size), None)
        return carry, {**aux, "loss": loss}

    _, auxs = lax.scan(body, None, jnp.arange(n_batches))
    return jax.tree_util.tree_map(lambda v: jnp.mean(v, axis=0), auxs)


@partial(jax.jit, static_argnames=("loss_fn",))
def _eval_batch(params, batch, *, loss_fn):
    loss, aux = loss_fn(params, batch, None)
    return {**aux, "loss": loss}


def _weighted(parts: list[tuple[dict, int]]) -> dict[str, float]:
    total = sum(w for _, w in parts)
    keys = parts[0][0].keys()
    return {k: float(sum(np.asarray(a[k], np.float64) * w for a, w in parts) / total) for k in keys}


def evaluate(
    params: Params,
    loss_fn: LossFn,
    data: Batch | Iterable[Batch],
    *,
    batch_size: int = 1024,
    validate: bool = True,
) -> dict[str, float]:
    r"""Mean of ``loss_fn``'s loss and aux metrics over a whole data set, in evaluation mode.

    ``loss_fn`` is called with ``key=None`` (dropout off). Full batches run in
    one compiled ``lax.scan``; a smaller last batch runs once more; the means
    are weighted by batch size, so per-example averages (loss, accuracy) are exact:

    $$
    \bar m = \frac{1}{n}\sum_b n_b\, m_b
    $$

    Args:
      params: model parameters.
      loss_fn: ``loss_fn(params, batch, key) -> (loss, aux)``.
      data: a pytree of arrays with a common leading dimension, or an iterable
        of such batches.
      batch_size: rows per compiled batch (array data only).
      validate: run the boundary checks (shapes, dtypes, finiteness) first.

    Returns:
      ``{"loss": …, **aux}`` as Python floats.

    Examples:
      >>> import jax.numpy as jnp
      >>> loss_fn = lambda p, b, k: (jnp.mean((b[0] * p - b[1]) ** 2), {})
      >>> x = jnp.arange(10.0); evaluate(2.0, loss_fn, (x, 2 * x), batch_size=4)
      {'loss': 0.0}
    """
    if is_array_data(data):
        data = prepare_arrays(data, "data", loss_fn=loss_fn, params=params, validate=validate)
        n = num_examples(data)
        bs = min(batch_size, n)
        n_full = n // bs
        parts = [
            (
                _eval_scan(params, data, loss_fn=loss_fn, batch_size=bs, n_batches=n_full),
                n_full * bs,
            )
        ]
        rem = n - n_full * bs
        if rem:
            tail = jax.tree_util.tree_map(lambda a: a[n_full * bs :], data)
            parts.append((_eval_batch(params, tail, loss_fn=loss_fn), rem))
        return _weighted(parts)
    parts = []
    for batch in data:
        parts.append((_eval_batch(params, batch, loss_fn=loss_fn), num_examples(batch)))
    if not parts:
        from jaxfound.errors import EmptyDataError

        raise EmptyDataError("evaluate got an iterable with no batches; pass at least one batch.")
    return _weighted(parts)
