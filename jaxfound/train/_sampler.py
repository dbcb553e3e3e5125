"""``Sampler``: data made inside the compiled loop (collocation refresh, window sampling)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["Sampler", "SAMPLE_STREAM"]

#: ``jax.random.fold_in`` constant that derives a sampler's key from the state's key at
#: each step (``fold_in(state.key, SAMPLE_STREAM)``), independent of the key the loss
#: gets from `make_step`'s split.
SAMPLE_STREAM = 0x5A3B1E


class Sampler(NamedTuple):
    r"""A batch made and refreshed inside the compiled training loop; pass it as ``data=``.

    The batch is carried through the compiled ``lax.scan``. Before step $i$ (the
    global step count ``state.step``), when $i \bmod$ ``every`` $= 0$ and (``init`` is
    ``None`` or $i > 0$), it is replaced by ``sample(key, params, batch, i)``, which
    must keep shapes and dtypes fixed. The key is
    ``jax.random.fold_in(state.key, SAMPLE_STREAM)`` (``None`` when ``state.key`` is
    ``None``), so a run is reproducible and resumable from a checkpoint. With
    ``init=None`` the sampler makes the first batch itself (``batch=None`` on that
    call); each `fit` call starts from ``init`` or, without one, from a fresh sample
    at the state's step.

    Uses: PINN collocation refresh (`jaxfound.physics.rad` every N steps), loss
    re-balancing through a ``"weights"`` entry of a mapping batch (see
    `jaxfound.losses.weighted_sum`), next-token window sampling (``every=1``).

    Attributes:
      sample: ``sample(key, params, batch, step) -> batch``.
      init: the first batch, or ``None``.
      every: steps between refreshes.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> import jaxfound as jf
      >>> sample = lambda key, p, b, i: jax.random.uniform(key, (64,))
      >>> loss = lambda p, x, k: (jnp.mean((p - x) ** 2), {})
      >>> state = jf.train.TrainState.create(jnp.zeros(()), optax.sgd(0.1), key=jax.random.key(0))
      >>> state, hist = jf.train.fit(state, loss, Sampler(sample), steps=200, progress=False)
      >>> round(float(state.params), 1)
      0.5
    """

    sample: Callable[[Any, Any, Any, jax.Array], Any]
    init: Any = None
    every: int = 1

    def start(self, state: Any) -> tuple:
        """The scan carry ``(state, batch, need_first)`` that `wrap`'s step runs on.

        ``batch`` is ``init`` or, without one, zeros shaped like ``sample``'s output
        (then ``need_first`` makes the first step sample with ``batch=None``).
        """
        if self.init is not None:
            # a copy: the compiled chunks donate the carry, and ``init`` is the caller's
            # (often a constraint's own points, used again after training)
            return state, jax.tree_util.tree_map(jnp.copy, self.init), jnp.asarray(False)
        shapes = jax.eval_shape(lambda s: self.sample(_key(s), s.params, None, s.step), state)
        zeros = jax.tree_util.tree_map(lambda a: jnp.zeros(a.shape, a.dtype), shapes)
        return state, zeros, jnp.asarray(True)

    def wrap(self, step: Callable) -> Callable:
        """Turn ``step(state, batch)`` into a step on the carry ``(state, batch, need_first)``.

        The scanned input is ignored: the step reads the carried batch, refreshed as
        described above.
        """
        sample, every = self.sample, int(self.every)

        def sampled(carry, _unused=None):
            state, batch, need = carry
            i, key = state.step, _key(state)
            due = (i % every == 0) & (i > 0)
            refresh = lambda b: lax.cond(  # noqa: E731
                due, lambda: sample(key, state.params, b, i), lambda: b
            )
            if self.init is None:
                first = lambda: sample(key, state.params, None, i)  # noqa: E731
                batch = lax.cond(need, first, lambda: refresh(batch))
            else:
                batch = refresh(batch)
            state, aux = step(state, batch)
            return (state, batch, jnp.asarray(False)), aux

        return sampled


def _key(state):
    return None if state.key is None else jax.random.fold_in(state.key, SAMPLE_STREAM)
