"""The immutable training state threaded through every step."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import struct
from jax import lax

from jaxfound import _validate, errors
from jaxfound.typing import Params, PRNGKey, PyTree

__all__ = ["TrainState"]


class TrainState(struct.PyTreeNode):
    """Everything one optimisation step reads and writes, as one pytree.

    Attributes:
      step: number of steps taken so far (int32 scalar): optimiser updates, or with
        ``accumulate=k`` micro-batches (updates applied: ``step // k``, also
        ``opt_state.gradient_step``).
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
        accumulate: int = 1,
    ) -> TrainState:
        r"""A fresh state: ``step = 0`` and ``opt_state = tx.init(params)``.

        **Gradient accumulation** (``accumulate=k > 1``): ``tx`` is wrapped in
        ``optax.MultiSteps(tx, every_k_schedule=k)``, whose state (part of ``opt_state``)
        holds the running mean of the gradients. Each step adds its micro-batch's gradient;
        every $k$-th step applies ``tx`` once to the mean $\frac1k \sum_{j=1}^k g_j$ and
        the other steps leave the parameters unchanged. For a mean loss over equal
        micro-batches of $b$ rows this is the update of one batch of $k b$ rows (tested
        against `fit` with the larger batch), in the memory of $b$ rows. ``state.step``
        then counts micro-batches (steps), so ``fit``'s ``epochs``/``steps=``, its chunks,
        the checkpoints and the per-step keys are all in micro-batches; the optimiser (and
        its learning-rate schedule) counts updates, ``step // k``
        (``opt_state.gradient_step``). Nothing else changes: the accumulator is an
        ordinary leaf of the state, so it lives in `fit`'s compiled scan carry and in
        checkpoints, and resuming mid-accumulation continues it.
        An ``optax.MultiSteps`` instance passed as ``tx`` is used the same way.

        Args:
          params: the parameter pytree.
          tx: the optax transformation.
          key: the PRNG key (see the class docstring).
          model_state: non-trainable model state, or ``None``.
          accumulate: micro-batches per optimiser update (1: none).

        Raises:
          jaxfound.errors.ValidationError: ``accumulate`` is not an int ``>= 1``, or is
            combined with a line-search optimiser (``optax.lbfgs``), whose line search
            needs the whole batch's loss.

        Every leaf is made strongly typed (JAX's *weak* types, which Python scalars and some
        optimisers' initial counters carry, such as ``optax.lbfgs``'s line search, turn
        strong after the first update, so a compiled chunk would otherwise compile twice).
        """
        params = _strong(jax.tree_util.tree_map(jnp.asarray, params))
        tx = _accumulating(tx, params, _validate.positive_int(accumulate, "accumulate"))
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


def _accumulating(tx, params: Params, k: int):
    """``tx``, wrapped in ``optax.MultiSteps`` when ``k > 1`` (optax's extra args pass through)."""
    if isinstance(tx, optax.MultiSteps):
        if k > 1:
            raise errors.ValidationError(
                f"tx is already an optax.MultiSteps; pass it with accumulate=1 (the default), "
                f"or pass the inner optimiser with accumulate={k}."
            )
        multi = tx
    elif k == 1:
        return tx
    else:
        from jaxfound.train._step import uses_stored_value  # _step imports this module

        if uses_stored_value(jax.eval_shape(tx.init, params)):
            raise errors.ValidationError(
                f"accumulate={k} cannot be used with a line-search optimiser such as "
                "optax.lbfgs (its line search evaluates the loss on the whole batch); use "
                "accumulate=1 with a larger batch, or a first-order optimiser."
            )
        multi = optax.MultiSteps(tx, every_k_schedule=k)
    # MultiSteps.update forwards value=, grad=, value_fn= to the inner optimiser
    return optax.GradientTransformationExtraArgs(multi.init, multi.update)


def _strong(tree: PyTree) -> PyTree:
    """The same leaves without JAX's weak typing (same dtypes, same values)."""

    def f(x):
        if getattr(x, "weak_type", False):
            return lax.convert_element_type(x, x.dtype)
        return x

    return jax.tree_util.tree_map(f, tree)
