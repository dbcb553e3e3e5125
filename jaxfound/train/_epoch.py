"""``make_epoch``: a whole epoch (or a chunk of steps) as one ``lax.scan`` — the fast path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from jaxfound import errors

__all__ = ["make_epoch"]


def make_epoch(
    step: Callable, *, steps: int, batch_size: int | None = None, unroll: int = 1
) -> Callable:
    r"""Fuse ``steps`` training steps into one ``lax.scan``, gathering each batch inside it.

    Step $i$ of the scan gets the rows ``order[(start+i) B : (start+i+1) B]`` of every
    leaf of ``data`` ($B$ = ``batch_size``; ``order=None`` takes the rows in order),
    gathered on the device inside the compiled loop: the data set is transferred once
    and no host round trip happens between steps. With ``data=None`` every step gets
    ``batch=None`` (losses or a `Sampler` that make their own data).

    This is what `fit` runs for in-memory arrays; use it to write your own loop:

        >>> import jax, jax.numpy as jnp, optax
        >>> from jaxfound.train import TrainState, make_step, make_epoch
        >>> x = jnp.linspace(-1, 1, 64)[:, None]; y = 3 * x
        >>> loss = lambda p, b, k: (jnp.mean((b[0] * p - b[1]) ** 2), {})
        >>> epoch = jax.jit(make_epoch(make_step(loss), steps=4, batch_size=16), donate_argnums=0)
        >>> state = TrainState.create(jnp.zeros(()), optax.sgd(0.5))
        >>> key = jax.random.key(0)
        >>> for e in range(20):
        ...     order = jax.random.permutation(jax.random.fold_in(key, e), 64)
        ...     state, aux = epoch(state, (x, y), order)
        >>> round(float(state.params), 3), aux["loss"].shape
        (3.0, (4,))

    Args:
      step: ``step(carry, batch) -> (carry, aux)``: `make_step`'s step, or one wrapped by
        `guard` (carry ``(state, bad)``) or `Sampler.wrap`.
      steps: number of steps in the scan (static).
      batch_size: rows per step; required when ``data`` is given.
      unroll: ``lax.scan``'s ``unroll`` (more compile time, sometimes faster steps; the
        results are the same).

    Returns:
      A pure ``epoch(carry, data=None, order=None, start=0) -> (carry, aux)`` where
      ``aux`` stacks each step's aux along a leading axis of length ``steps``. ``start``
      (in batches) may be traced, so one compiled epoch serves every chunk of an epoch.

    Raises:
      ValidationError: ``steps < 1``, or ``data`` given without ``batch_size``.
    """
    if steps < 1:
        raise errors.ValidationError(f"steps must be at least 1, got {steps}.")
    if batch_size is not None and batch_size < 1:
        raise errors.ValidationError(f"batch_size must be at least 1, got {batch_size}.")

    def epoch(carry: Any, data: Any = None, order: Any = None, start: Any = 0):
        if data is not None and batch_size is None:
            raise errors.ValidationError(
                "make_epoch(..., batch_size=B) is needed to gather rows of data; pass it."
            )

        bs = int(batch_size or 0)  # data is None when no batch size is given

        def body(c, i):
            if data is None:
                batch = None
            elif order is None:
                batch = jax.tree_util.tree_map(
                    lambda a: lax.dynamic_slice_in_dim(a, (start + i) * bs, bs),
                    data,
                )
            else:
                idx = lax.dynamic_slice_in_dim(order, (start + i) * bs, bs)
                batch = jax.tree_util.tree_map(
                    lambda a: jnp.take(a, idx, axis=0, mode="clip"), data
                )
            return step(c, batch)

        return lax.scan(body, carry, jnp.arange(steps), unroll=unroll)

    return epoch
