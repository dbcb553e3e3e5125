"""``make_step``: the pure training step every loop (``fit`` or your own) is built from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import optax

from jaxfound import errors
from jaxfound.losses import as_loss
from jaxfound.train._state import TrainState
from jaxfound.typing import Aux, Batch

__all__ = ["make_step", "Step", "uses_stored_value"]

#: ``step(state, batch) -> (state, aux)``
Step = Callable[[TrainState, Batch], "tuple[TrainState, Aux]"]


def uses_stored_value(opt_state: Any) -> bool:
    """True when the optimiser state stores the loss value and gradient (a line search).

    ``optax.lbfgs`` (its zoom line search) keeps the value and gradient at the accepted
    point; `make_step` then reuses them (``optax.value_and_grad_from_state``) instead
    of evaluating the loss again.
    """
    try:
        return (
            optax.tree.get(opt_state, "value", None) is not None
            and optax.tree.get(opt_state, "grad", None) is not None
        )
    except (KeyError, ValueError):  # several entries named "value": not a line search we know
        return False


def make_step(loss: Any) -> Step:
    r"""Build the pure update ``step(state, batch) -> (state, aux)``.

    One call computes $(L, \nabla_\theta L)$ with ``jax.value_and_grad`` and applies
    the optax update.

    * **Keys**: if ``state.key`` is set it is split: one half is given to the loss
      (dropout…), the other becomes the next state's key, so the same initial key
      always gives the same run. ``state.key=None`` passes ``key=None``.
    * **Model state**: a stateful `jaxfound.losses.Loss` (``stateful=True``) gets
      ``state.model_state`` and the new model state it returns is stored in the state.
    * **optax's extra arguments**: when ``state.tx`` is an
      ``optax.GradientTransformationExtraArgs`` (``optax.chain`` and most optimisers
      are), ``tx.update`` gets ``value=`` (the loss), ``grad=`` and ``value_fn=``, so
      ``optax.contrib.reduce_on_plateau`` and ``optax.lbfgs`` work unchanged.
    * **L-BFGS** (any optimiser whose state stores ``value`` and ``grad``, i.e. a line
      search): the value and gradient the line search stored at the accepted point
      are reused (``optax.value_and_grad_from_state``), so a step costs the line
      search's evaluations only. The loss is then called with **``key=None``** (the
      line search needs one deterministic function), and ``aux`` holds only
      ``"loss"`` (the value at the step's starting point; call
      `jaxfound.train.evaluate` for the terms). Stateful losses are not supported
      with a line search.

    Args:
      loss: a `jaxfound.losses.Loss` or anything `jaxfound.losses.as_loss` accepts.

    Returns:
      A pure function; wrap it in ``jax.jit`` (``donate_argnums=0`` reuses the
      state's buffers), in ``lax.scan``, or in `make_epoch`. ``aux`` always has
      ``"loss"``.

    Raises:
      ValidationError: a stateful loss with a line-search optimiser (at trace time).

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> loss = lambda p, b, k: (jnp.sum((p - b) ** 2), {})
      >>> state = TrainState.create(jnp.zeros(2), optax.sgd(0.25))
      >>> step = jax.jit(make_step(loss))
      >>> state, aux = step(state, jnp.ones(2))
      >>> state.params.tolist(), float(aux["loss"])
      ([0.5, 0.5], 2.0)
    """
    loss = as_loss(loss)

    def step(state: TrainState, batch: Batch):
        if state.key is None:
            next_key, sub = None, None
        else:
            next_key, sub = jax.random.split(state.key)
        stored = uses_stored_value(state.opt_state)
        if stored:
            if loss.stateful:
                raise errors.ValidationError(
                    "a stateful loss (model state) cannot be trained with a line-search "
                    "optimiser such as optax.lbfgs; use a first-order optimiser."
                )
            value_fn = lambda p: loss.fn(p, batch, None)[0]  # noqa: E731
            value, grads = optax.value_and_grad_from_state(value_fn)(
                state.params, state=state.opt_state
            )
            aux: dict = {}
            model_state = state.model_state
        else:

            def f(p):
                if loss.stateful:
                    value, aux, ms = loss.fn(p, batch, sub, state.model_state)
                else:
                    (value, aux), ms = loss.fn(p, batch, sub), state.model_state
                return value, (aux, ms)

            value_fn = lambda p: f(p)[0]  # noqa: E731
            (value, (aux, model_state)), grads = jax.value_and_grad(f, has_aux=True)(state.params)
        extra = {}
        if isinstance(state.tx, optax.GradientTransformationExtraArgs):
            extra = dict(value=value, grad=grads, value_fn=value_fn)
        state = state.apply_gradients(grads, **extra)
        state = state.replace(key=next_key, model_state=model_state)
        return state, {**aux, "loss": value}

    return step
