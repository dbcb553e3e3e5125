"""The non-finite guard: a per-leaf finiteness test and a step wrapper that stops on NaN/inf."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from jaxfound import _validate

__all__ = ["all_finite", "guard"]


def all_finite(tree: Any) -> jax.Array:
    r"""True iff every floating leaf of ``tree`` is free of NaN and inf (traceable).

    Each leaf is tested on its own with the exact form $\operatorname{isfinite}(\sum x\cdot 0)$
    ($x \cdot 0$ is $0$ for finite $x$ and NaN otherwise; a sum of zeros cannot
    overflow, even in float16), so large finite values never trip it. Integer, boolean
    and key leaves are skipped. Pass the whole training state: the optimiser state is
    checked too (a gradient spike can overflow Adam's second moment while the loss and
    the parameters stay finite).

    Examples:
      >>> import jax.numpy as jnp
      >>> bool(all_finite({"w": jnp.full(1000, 100.0, jnp.float16), "n": jnp.arange(3)}))
      True
      >>> bool(all_finite((jnp.ones(2), jnp.array([1.0, jnp.inf]))))
      False
    """
    leaves = [
        x
        for x in jax.tree_util.tree_leaves(tree)
        if jnp.issubdtype(jnp.result_type(x), jnp.inexact)
    ]
    if not leaves:
        return jnp.asarray(True)
    return functools.reduce(operator.and_, [_validate._all_finite(jnp.asarray(x)) for x in leaves])


def guard(step: Callable) -> Callable:
    """Wrap a step so it stops updating at the first non-finite loss or state.

    The guarded step runs on ``(carry, bad)``: if the new carry (the whole state:
    parameters, optimiser state, model state…) or ``aux["loss"]`` is not finite, the
    old carry is kept and ``bad`` becomes ``True``; once ``bad`` is set the carry never
    changes again. After a scan of guarded steps, the carry is therefore the last
    finite state and its ``step`` counter is the index of the bad step.

    Checking every step costs a reduction over the state per step; `fit` runs chunks
    unguarded, tests `all_finite` once per chunk, and replays a bad chunk guarded.

    Args:
      step: ``step(carry, batch) -> (carry, aux)`` with ``aux["loss"]``, e.g. from
        `make_step`.

    Returns:
      ``guarded((carry, bad), batch) -> ((carry, bad), aux)``.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> from jaxfound.train import TrainState, make_step
      >>> loss = lambda p, b, k: (jnp.where(p[0] < 2.0, -p[0], jnp.nan), {})
      >>> step = jax.jit(guard(make_step(loss)))
      >>> carry = (TrainState.create(jnp.zeros(1), optax.sgd(1.0)), jnp.asarray(False))
      >>> for _ in range(4):
      ...     carry, aux = step(carry, None)
      >>> state, bad = carry
      >>> bool(bad), int(state.step), float(state.params[0])
      (True, 2, 2.0)
    """

    def guarded(carry, batch):
        inner, bad = carry
        new, aux = step(inner, batch)
        ok = ~bad & all_finite((aux["loss"], new))
        new = lax.cond(ok, lambda a, b: a, lambda a, b: b, new, inner)
        return (new, bad | ~ok), aux

    return guarded
