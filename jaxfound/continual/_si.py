"""Synaptic intelligence: path-integral importances accumulated during training."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import _validate
from jaxfound.losses import Loss
from jaxfound.typing import Array, Params

__all__ = ["SIState", "si_init", "si_accumulate", "si_consolidate", "si_penalty", "si_loss"]


class SIState(NamedTuple):
    r"""What SI carries through training.

    Attributes:
      path: $w_i$, the running path integral of the current context,
        $w_i = -\sum_{\text{steps}} g_i\,\Delta\theta_i$.
      anchor: $\theta^*$, the parameters at the end of the previous context.
      omega: $\Omega_i$, the importances consolidated so far.
    """

    path: Params
    anchor: Params
    omega: Params


def si_init(params: Params) -> SIState:
    """An `SIState` with nothing accumulated, anchored at ``params``.

    Examples:
      >>> import jax.numpy as jnp
      >>> float(si_init(jnp.ones(2)).omega.sum())
      0.0
    """
    zeros = jax.tree.map(jnp.zeros_like, params)
    return SIState(zeros, params, zeros)


def si_accumulate(state: SIState, grads: Params, old: Params, new: Params) -> SIState:
    r"""Add one step's contribution to the path integral: $w \mathrel{+}= -g\odot(\theta'-\theta)$.

    ``grads`` is the gradient at ``old`` of the loss that was minimised; ``new`` the
    parameters after the update. Call it inside the compiled step.

    Examples:
      >>> import jax.numpy as jnp
      >>> s = si_accumulate(si_init(jnp.zeros(1)), jnp.array([2.0]), jnp.zeros(1), -jnp.ones(1))
      >>> s.path.tolist()
      [2.0]
    """
    path = jax.tree.map(lambda w, g, a, b: w - g * (b - a), state.path, grads, old, new)
    return state._replace(path=path)


def si_consolidate(state: SIState, params: Params, epsilon: float = 0.1) -> SIState:
    r"""Turn the path integral of a finished context into importances.

    $$
    \Omega_i \leftarrow \Omega_i + \frac{w_i}{(\theta_i - \theta^*_i)^2 + \xi},
    \qquad \theta^* \leftarrow \theta,\qquad w \leftarrow 0
    $$

    Args:
      state: the `SIState` after the context.
      params: the parameters at its end.
      epsilon: the damping $\xi > 0$.

    Returns:
      The new `SIState`.

    Examples:
      >>> import jax.numpy as jnp
      >>> s = si_init(jnp.zeros(1))._replace(path=jnp.array([1.0]))
      >>> si_consolidate(s, jnp.array([1.0]), epsilon=1.0).omega.tolist()
      [0.5]
    """
    epsilon = _validate.hyperparameter(epsilon, "epsilon", low=0.0, open_low=True)
    omega = jax.tree.map(
        lambda o, w, p, a: o + w / ((p - a) ** 2 + epsilon),
        state.omega, state.path, params, state.anchor,
    )
    return SIState(jax.tree.map(jnp.zeros_like, params), params, omega)


def si_penalty(params: Params, state: SIState, c: float) -> Array:
    r"""SI's surrogate loss $c\sum_i \Omega_i(\theta_i-\theta^*_i)^2$.

    Raises:
      ValidationError: ``c < 0``.

    Examples:
      >>> import jax.numpy as jnp
      >>> s = SIState(jnp.zeros(2), jnp.zeros(2), jnp.array([1.0, 2.0]))
      >>> float(si_penalty(jnp.ones(2), s, 0.5))
      1.5
    """
    c = _validate.hyperparameter(c, "c", low=0.0)
    sq = jax.tree.map(lambda p, a, o: jnp.sum(o * (p - a) ** 2), params, state.anchor, state.omega)
    return jnp.asarray(c * sum(jax.tree_util.tree_leaves(sq)))


def si_loss(c: float) -> Loss:
    """`si_penalty` as a routed `jaxfound.losses.Loss` term (reads ``batch["si"]``).

    Examples:
      >>> import jax.numpy as jnp
      >>> s = SIState(jnp.zeros(2), jnp.zeros(2), jnp.ones(2))
      >>> float(si_loss(1.0)(jnp.ones(2), s)[0])
      2.0
    """
    c = _validate.hyperparameter(c, "c", low=0.0)

    def fn(params: Params, state: Any, key=None):
        return si_penalty(params, state, c), {}

    return Loss(fn, routed=True)
