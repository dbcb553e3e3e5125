"""Adapters that give any model library the one calling convention jaxfound uses.

jaxfound trains *apply functions* ``apply(params, x, key) -> outputs`` where
``key`` is a PRNG key in training (dropout, noise) and ``None`` in evaluation.
Flax Linen modules, Flax NNX modules and plain ``f(params, x)`` functions are
turned into that shape here, so the training helper never cares which library
built the model.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax

from jaxfound.typing import Array, Params, PRNGKey

__all__ = ["Apply", "as_apply", "from_linen", "from_function", "from_nnx"]

#: ``apply(params, x, key) -> outputs``; ``key is None`` means evaluation mode.
Apply = Callable[[Params, Any, "PRNGKey | None"], Array]


def _call_params(fn: Callable) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def from_linen(module: nn.Module, *, rng_name: str = "dropout") -> Apply:
    """Wrap a ``flax.linen`` module as ``apply(params, x, key)``.

    If the module's ``__call__`` takes ``deterministic`` (or ``train``) it is set
    from whether a key was given; the key feeds the ``rng_name`` RNG stream.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.models import MLP
      >>> net = MLP((8, 2), dropout=0.5)
      >>> apply = from_linen(net)
      >>> params = net.init(jax.random.key(0), jnp.ones((1, 3)))
      >>> apply(params, jnp.ones((4, 3)), None).shape
      (4, 2)
    """
    names = _call_params(type(module).__call__)

    def apply(params: Params, x, key: PRNGKey | None = None):
        kwargs = {}
        if "deterministic" in names:
            kwargs["deterministic"] = key is None
        elif "train" in names:
            kwargs["train"] = key is not None
        rngs = {rng_name: key} if key is not None else None
        return module.apply(params, x, rngs=rngs, **kwargs)

    return apply


def from_function(fn: Callable[[Params, Any], Array]) -> Apply:
    """Wrap a plain ``fn(params, x)`` (no randomness) as ``apply(params, x, key)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> apply = from_function(lambda p, x: x @ p["w"])
      >>> apply({"w": jnp.ones((3, 1))}, jnp.ones((2, 3)), None).shape
      (2, 1)
    """

    def apply(params: Params, x, key: PRNGKey | None = None):
        del key
        return fn(params, x)

    return apply


def from_nnx(model) -> tuple[Params, Apply]:
    """Split a Flax NNX module into ``(params, apply)``.

    ``params`` is the module's ``nnx.Param`` state (a pytree optax can update);
    everything else (RNG counters, batch statistics) is frozen as it was.
    ``apply`` rebuilds the module functionally, switches it to train mode and
    re-seeds its ``dropout`` stream from ``key`` when a key is given, eval mode
    otherwise.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> params, apply = from_nnx(nnx.Linear(3, 2, rngs=nnx.Rngs(0)))
      >>> apply(params, jnp.ones((4, 3)), None).shape
      (4, 2)
    """
    from flax import nnx

    graphdef, params, rest = nnx.split(model, nnx.Param, ...)

    def apply(params: Params, x, key: PRNGKey | None = None):
        m = nnx.merge(graphdef, params, rest, copy=True)
        if key is None:
            m.eval()
        else:
            m.train()
            if any(isinstance(v, nnx.RngStream) for _, v in nnx.iter_graph(m)):
                nnx.reseed(m, dropout=key)
        return m(x)

    return params, apply


def as_apply(model) -> Apply:
    """Return ``model`` as an `Apply`: Linen modules are wrapped, callables kept.

    A callable is assumed to already follow ``apply(params, x, key)``; wrap a
    two-argument ``f(params, x)`` with `from_function` first.
    """
    if isinstance(model, nn.Module):
        return from_linen(model)
    if not callable(model):
        raise TypeError(f"expected a flax.linen Module or a callable, got {type(model).__name__}")
    return model


# keep jax imported for doctest namespaces
_ = jax
