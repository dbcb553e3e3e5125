"""Experience replay: a fixed-size buffer as a pytree, class-balanced or reservoir-filled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.typing import Array, PRNGKey

__all__ = ["ReplayBuffer", "replay_init", "reservoir_add", "class_balanced_add", "replay_sample",
           "check_per_class", "MAX_BUFFER_BYTES"]

#: the largest buffer `replay_init` accepts by default (bytes of its inputs).
MAX_BUFFER_BYTES = 2 * 1024**3


class ReplayBuffer(NamedTuple):
    """A fixed-capacity memory of past examples; every field has the capacity as first axis.

    Attributes:
      x: ``(capacity, ...)`` stored inputs.
      y: ``(capacity,)`` their labels.
      context: ``(capacity,)`` the context each came from (its task-IL head).
      valid: ``(capacity,)`` bool, slots in use.
      seen: scalar int, examples offered so far (reservoir sampling).
    """

    x: Array
    y: Array
    context: Array
    valid: Array
    seen: Array


def replay_init(
    capacity: int, example: Array, *, max_bytes: int = MAX_BUFFER_BYTES
) -> ReplayBuffer:
    """An empty `ReplayBuffer` of ``capacity`` slots shaped like one ``example`` input.

    Raises:
      ValidationError: ``capacity`` is not a positive int, or the buffer would take more
        than ``max_bytes``.

    Examples:
      >>> import jax.numpy as jnp
      >>> b = replay_init(4, jnp.zeros(3))
      >>> b.x.shape, int(b.valid.sum())
      ((4, 3), 0)
    """
    if isinstance(capacity, (int, np.integer)) and not isinstance(capacity, bool) and capacity < 1:
        raise errors.ValidationError(
            f"capacity={capacity}: a replay buffer needs at least one slot; pass a positive "
            "size (or drop replay from the strategy)."
        )
    capacity = _validate.positive_int(capacity, "capacity")
    example = jnp.asarray(example)
    nbytes = capacity * example.size * example.dtype.itemsize
    if nbytes > max_bytes:
        raise errors.ValidationError(
            f"a replay buffer of {capacity} examples of shape {example.shape} takes "
            f"{nbytes / 1024**2:.0f} MiB, more than max_bytes={max_bytes / 1024**2:.0f} MiB; "
            "store fewer examples (or raise max_bytes if the memory is there)."
        )
    return ReplayBuffer(
        jnp.zeros((capacity, *example.shape), example.dtype), jnp.zeros(capacity, jnp.int32),
        jnp.zeros(capacity, jnp.int32), jnp.zeros(capacity, bool), jnp.zeros((), jnp.int32),
    )


def reservoir_add(buf: ReplayBuffer, key: PRNGKey, x: Array, y: Array, context: Array,
                  n: Array | int | None = None) -> ReplayBuffer:
    r"""Offer rows of ``x`` one by one to the buffer by reservoir sampling (Vitter's algorithm R).

    After $m$ offers every one of them is in the buffer with probability
    $\min(1, \text{capacity}/m)$. Only the first ``n`` rows are offered (padding).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> b = replay_init(3, jnp.zeros(1))
      >>> b = reservoir_add(b, jax.random.key(0), jnp.arange(10.0)[:, None], jnp.arange(10), 0)
      >>> int(b.seen), int(b.valid.sum())
      (10, 3)
    """
    cap = buf.valid.shape[0]
    rows = x.shape[0]
    n = rows if n is None else n
    context = jnp.broadcast_to(jnp.asarray(context, jnp.int32), (rows,))

    def offer(b, inp):
        i, k, xi, yi, ci = inp
        j = jax.random.randint(k, (), 0, jnp.maximum(b.seen + 1, 1))
        slot = jnp.where(b.seen < cap, b.seen, j)
        take = (i < n) & (slot < cap)
        slot = jnp.minimum(slot, cap - 1)
        new = ReplayBuffer(
            b.x.at[slot].set(jnp.where(take, xi, b.x[slot])),
            b.y.at[slot].set(jnp.where(take, yi, b.y[slot])),
            b.context.at[slot].set(jnp.where(take, ci, b.context[slot])),
            b.valid.at[slot].set(b.valid[slot] | take),
            b.seen + (i < n),
        )
        return new, None

    keys = jax.random.split(key, rows)
    buf, _ = jax.lax.scan(offer, buf, (jnp.arange(rows), keys, x, y, context))
    return buf


def check_per_class(per_class: int, labels: np.ndarray, classes: Sequence[int], name="data"):
    """Raise unless every class in ``classes`` has at least ``per_class`` rows in ``labels``."""
    per_class = _validate.positive_int(per_class, "per_class")
    counts = {int(c): int(np.sum(labels == c)) for c in classes}
    short = {c: k for c, k in counts.items() if k < per_class}
    if short:
        raise errors.ValidationError(
            f"per_class={per_class} examples per class, but {name} holds only {short} rows of "
            "those classes: the buffer would be larger than the data allows; store fewer "
            "per class."
        )


def class_balanced_add(buf: ReplayBuffer, key: PRNGKey, x: Array, y: Array, group: Array,
                       context: Array | int, n: Array | int, groups: Array,
                       per_class: int) -> ReplayBuffer:
    r"""Store ``per_class`` random rows of each class (``groups``) of a finished context.

    Class $g$ owns the slots ``[g·per_class, (g+1)·per_class)``, so the buffer stays exactly
    balanced: capacity must be ``per_class × (number of classes)``. ``group`` is each
    row's class (the original label; domain-IL labels repeat across contexts); only the
    first ``n`` rows are candidates. Selection is uniform without replacement.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> b = replay_init(4, jnp.zeros(1))
      >>> y = jnp.array([0, 1, 0, 1, 0, 1])
      >>> b = class_balanced_add(b, jax.random.key(0), jnp.zeros((6, 1)), y, y, 0, 6,
      ...                        jnp.array([0, 1]), per_class=2)
      >>> b.y.tolist(), b.valid.tolist()
      ([0, 0, 1, 1], [True, True, True, True])
    """
    rows = x.shape[0]
    in_data = jnp.arange(rows) < n
    context = jnp.broadcast_to(jnp.asarray(context, jnp.int32), (rows,))
    for i, k in enumerate(jax.random.split(key, groups.shape[0])):
        g = groups[i]
        score = jnp.where(in_data & (group == g), jax.random.uniform(k, (rows,)), -1.0)
        top, idx = jax.lax.top_k(score, per_class)
        ok = top >= 0
        slots = g * per_class + jnp.arange(per_class)
        buf = buf._replace(
            x=buf.x.at[slots].set(x[idx]),
            y=buf.y.at[slots].set(y[idx]),
            context=buf.context.at[slots].set(context[idx]),
            valid=buf.valid.at[slots].set(ok),
        )
    return buf._replace(seen=buf.seen + jnp.asarray(n, jnp.int32))


def replay_sample(buf: ReplayBuffer, key: PRNGKey, n: int) -> tuple[Array, Array, Array]:
    """``n`` stored examples drawn uniformly (with replacement) among the valid slots.

    Returns ``(x, y, context)``. An empty buffer returns slot 0 repeatedly: give the
    replay term weight 0 then (the training loop does).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> b = replay_init(2, jnp.zeros(1))._replace(valid=jnp.array([False, True]))
      >>> replay_sample(b, jax.random.key(0), 3)[1].shape
      (3,)
    """
    logits = jnp.where(buf.valid, 0.0, -jnp.inf)
    logits = jnp.where(buf.valid.any(), logits, 0.0)
    idx = jax.random.categorical(key, logits, shape=(n,))
    return buf.x[idx], buf.y[idx], buf.context[idx]
