"""``make_step``: the pure training step every loop (``fit`` or your own) is built from."""

from __future__ import annotations

from collections.abc import Callable

import jax

from jaxfound.train._state import TrainState
from jaxfound.typing import Aux, Batch, LossFn

__all__ = ["make_step", "Step"]

#: ``step(state, batch) -> (state, aux)``
Step = Callable[[TrainState, Batch], "tuple[TrainState, Aux]"]


def make_step(loss_fn: LossFn, *, has_model_state: bool = False) -> Step:
    r"""Build the pure update ``step(state, batch) -> (state, aux)``.

    One call computes $(L, \nabla_\theta L)$ with ``jax.value_and_grad``
    and applies the optax update. If ``state.key`` is set it is split: one half
    is given to ``loss_fn`` (dropout…), the other becomes the next state's key,
    so the same initial key always gives the same run.

    Args:
      loss_fn: ``loss_fn(params, batch, key) -> (loss, aux)``; with
        ``has_model_state``, ``loss_fn(params, model_state, batch, key) ->
        (loss, (aux, new_model_state))`` (batch statistics and the like).
      has_model_state: thread ``state.model_state`` through the loss.

    Returns:
      A pure function; wrap it in ``jax.jit`` (``donate_argnums=0`` reuses the
      state's buffers) or in ``lax.scan``. ``aux`` always has ``"loss"``.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> loss_fn = lambda p, b, k: (jnp.sum((p - b) ** 2), {})
      >>> state = TrainState.create(jnp.zeros(2), optax.sgd(0.25))
      >>> step = jax.jit(make_step(loss_fn))
      >>> state, aux = step(state, jnp.ones(2))
      >>> state.params.tolist(), float(aux["loss"])
      ([0.5, 0.5], 2.0)
    """

    def step(state: TrainState, batch: Batch):
        if state.key is None:
            key, sub = None, None
        else:
            key, sub = jax.random.split(state.key)
        if has_model_state:

            def f(p):
                loss, (aux, new_ms) = loss_fn(p, state.model_state, batch, sub)
                return loss, (aux, new_ms)

            (loss, (aux, new_ms)), grads = jax.value_and_grad(f, has_aux=True)(state.params)
            state = state.replace(model_state=new_ms)
        else:
            (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params, batch, sub)
        state = state.apply_gradients(grads).replace(key=key)
        return state, {**aux, "loss": loss}

    return step
