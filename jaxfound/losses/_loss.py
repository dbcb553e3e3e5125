"""The loss protocol: `Loss`, a callable NamedTuple of a loss function and its data check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from jaxfound import errors

__all__ = ["Loss", "as_loss"]


class Loss(NamedTuple):
    r"""A loss function with what the training loop needs to know about it.

    ``loss(params, batch, key=None) -> (value, aux)`` calls ``fn``: ``value`` is the
    scalar to minimise, ``aux`` a dict of scalars to report, and ``key`` a PRNG key in
    training (dropout, augmentation, sampling) or ``None`` in evaluation. A `Loss` is
    hashable when ``fn`` and ``check`` are, so it can be a static argument of
    ``jax.jit``. To compile a `Loss` on its own, jit its ``__call__`` (``jax.jit(loss)``
    fails: a `NamedTuple` cannot be weakly referenced, which ``jax.jit`` needs).

    Attributes:
      fn: ``fn(params, batch, key) -> (value, aux)``; with ``stateful=True``,
        ``fn(params, batch, key, model_state) -> (value, aux, new_model_state)``.
      check: ``check(params, data, name) -> None``, the boundary check of in-memory
        data that `jaxfound.train.fit` and `jaxfound.train.evaluate` run once, in
        Python, before anything is traced (label ranges against the model's outputs,
        shapes…); it raises a `jaxfound.errors` exception. ``None``: no check.
      routed: a term of `weighted_sum` that reads its own entry ``batch[name]`` of a
        mapping batch (``None``, its own default data, when the batch has no such
        entry) instead of the whole batch.
      stateful: ``fn`` threads non-trainable model state (batch statistics…):
        `jaxfound.train.make_step` passes ``state.model_state`` and stores the new one;
        evaluation passes the model state and ``key=None`` and drops the new one.

    Examples:
      >>> import jax.numpy as jnp
      >>> loss = Loss(lambda p, b, k: (jnp.sum((p - b) ** 2), {}))
      >>> value, aux = loss(jnp.ones(2), jnp.zeros(2))
      >>> float(value), hash(loss) == hash(Loss(loss.fn))
      (2.0, True)
    """

    fn: Callable[..., Any]
    check: Callable[[Any, Any, str], None] | None = None
    routed: bool = False
    stateful: bool = False

    def __call__(self, params: Any, batch: Any, key: Any = None, model_state: Any = None):
        """``fn(params, batch, key)``, or ``fn(params, batch, key, model_state)`` if stateful."""
        if self.stateful:
            return self.fn(params, batch, key, model_state)
        return self.fn(params, batch, key)


def as_loss(obj: Any, name: str = "loss") -> Loss:
    """Turn what the training helpers accept into a `Loss`.

    A `Loss` is returned as is; an object with an ``as_loss()`` method (e.g. a
    `jaxfound.physics.Constraint`) gives ``obj.as_loss()``; a plain callable
    ``f(params, batch, key) -> (loss, aux)`` becomes ``Loss(f)``.

    Args:
      obj: a `Loss`, an object with ``as_loss()``, or a callable.
      name: the argument's name, for the error message.

    Returns:
      A `Loss`.

    Raises:
      ValidationError: ``obj`` is none of these.

    Examples:
      >>> import jax.numpy as jnp
      >>> loss = as_loss(lambda p, b, k: (jnp.sum(p ** 2), {}))
      >>> isinstance(loss, Loss), as_loss(loss) is loss
      (True, True)
    """
    if isinstance(obj, Loss):
        return obj
    if hasattr(obj, "as_loss"):
        out = obj.as_loss()
        if not isinstance(out, Loss):
            raise errors.ValidationError(
                f"{name}.as_loss() must return a jaxfound.losses.Loss, got {type(out).__name__}."
            )
        return out
    if callable(obj):
        return Loss(obj)
    raise errors.ValidationError(
        f"{name} must be a jaxfound.losses.Loss, an object with an as_loss() method, or a "
        f"callable loss(params, batch, key) -> (value, aux); got {type(obj).__name__}."
    )
