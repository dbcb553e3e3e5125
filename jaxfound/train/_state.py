"""The immutable training state threaded through every step."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import struct
from jax import lax

from jaxfound.typing import Params, PRNGKey, PyTree

__all__ = ["TrainState"]


class TrainState(struct.PyTreeNode):
    """Everything one optimisation step reads and writes, as one pytree.

    Attributes:
      step: number of updates applied so far (int32 scalar).
      params: the trainable parameter pytree.
      opt_state: the optax optimiser state.
      key: PRNG key split once per step (one half to the loss: dropout, noise);
        `fit` also derives the shuffle of array data and a `Sampler`'s keys from it.
        ``None``: the loss gets ``key=None`` and ``fit`` needs ``key=`` to shuffle.
      model_state: non-trainable model state (e.g. batch statistics) threaded by a
        stateful `jaxfound.losses.Loss`, or ``None``.
      tx: the optax transformation (static, not a leaf).

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> s = TrainState.create({"w": jnp.zeros(3)}, optax.sgd(0.1), key=jax.random.key(0))
      >>> int(s.step), s.params["w"].shape
      (0, (3,))
    """

    step: jax.Array
    params: Params
    opt_state: optax.OptState
    key: PRNGKey | None
    model_state: PyTree = None
    tx: optax.GradientTransformation = struct.field(pytree_node=False, default=None)

    @classmethod
    def create(
        cls,
        params: Params,
        tx: optax.GradientTransformation,
        *,
        key: PRNGKey | None = None,
        model_state: PyTree = None,
    ) -> TrainState:
        """A fresh state: ``step = 0`` and ``opt_state = tx.init(params)``.

        Every leaf is made strongly typed (JAX's *weak* types, which Python scalars and some
        optimisers' initial counters carry, such as ``optax.lbfgs``'s line search, turn
        strong after the first update, so a compiled chunk would otherwise compile twice).
        """
        params = _strong(jax.tree_util.tree_map(jnp.asarray, params))
        return cls(
            step=jnp.zeros((), jnp.int32),
            params=params,
            opt_state=_strong(tx.init(params)),
            key=key,
            model_state=model_state,
            tx=tx,
        )

    def apply_gradients(self, grads: Params, **update_kwargs: Any) -> TrainState:
        """One optax update: ``params ← params + tx.update(grads, opt_state, params)``.

        Extra keyword arguments (``value=``, ``grad=``, ``value_fn=`` for
        ``optax.lbfgs``) are passed to ``tx.update``.
        """
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params, **update_kwargs)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state)


def _strong(tree: PyTree) -> PyTree:
    """The same leaves without JAX's weak typing (same dtypes, same values)."""

    def f(x):
        if getattr(x, "weak_type", False):
            return lax.convert_element_type(x, x.dtype)
        return x

    return jax.tree_util.tree_map(f, tree)
