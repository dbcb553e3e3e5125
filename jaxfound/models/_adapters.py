"""Adapters that give any model library the one calling convention jaxfound uses.

jaxfound trains *apply functions* ``apply(params, x, key) -> outputs`` (the
`jaxfound.typing.Apply` protocol) where ``key`` is a PRNG key in training (dropout,
noise) and ``None`` in evaluation. Flax Linen modules, Flax NNX modules and plain
``f(params, x)`` functions are turned into that shape here, and only here, so the
training helper, the losses and the physics fields never care which library built
the model: `as_apply` is the one entry point for "whatever the user passed".
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any, cast

import flax.linen as nn
import jax

from jaxfound import errors
from jaxfound.typing import Apply, Params, PRNGKey

__all__ = ["Apply", "as_apply", "from_linen", "from_function", "from_nnx"]


def _call_params(fn: Callable) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def _positional(fn: Callable) -> tuple[int, int] | None:
    """``(required, accepted)`` positional arguments of ``fn``; ``None`` if not inspectable.

    ``accepted`` is a large number when ``fn`` takes ``*args``.
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    required = accepted = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            accepted = 1 << 30
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            accepted += 1
            required += p.default is p.empty
    return required, accepted


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
        kwargs: dict[str, Any] = {}
        if "deterministic" in names:
            kwargs["deterministic"] = key is None
        elif "train" in names:
            kwargs["train"] = key is not None
        rngs = {rng_name: key} if key is not None else None
        return module.apply(params, x, rngs=rngs, **kwargs)

    return apply


def from_function(fn: Callable[..., Any]) -> Apply:
    """Make a plain function an `Apply`: ``f(params, x)`` gets a ``key`` it ignores.

    This is the one place that knows about two-argument functions: a function that
    accepts at most two positional arguments, ``f(params, x)`` (no randomness), is
    wrapped as ``apply(params, x, key)``; one that can take three (``apply(params, x,
    key=None)``, ``*args``, or a signature that cannot be inspected) already is an
    `Apply` and is returned unchanged.

    Args:
      fn: ``f(params, x)`` or ``apply(params, x, key)``.

    Returns:
      ``apply(params, x, key) -> outputs``.

    Raises:
      ValidationError: ``fn`` is not callable, cannot take two positional arguments,
        or needs more than three.

    Examples:
      >>> import jax.numpy as jnp
      >>> apply = from_function(lambda p, x: x @ p["w"])
      >>> apply({"w": jnp.ones((3, 1))}, jnp.ones((2, 3)), None).shape
      (2, 1)
      >>> three = lambda p, x, key: x
      >>> from_function(three) is three
      True
    """
    if not callable(fn):
        raise errors.ValidationError(
            f"model must be a function f(params, x) or apply(params, x, key); got a "
            f"{type(fn).__name__}, which is not callable."
        )
    arity = _positional(fn)
    if arity is None:
        return fn
    required, accepted = arity
    if required > 3 or accepted < 2:
        raise errors.ValidationError(
            f"model {getattr(fn, '__name__', type(fn).__name__)} takes {required} required "
            f"and {accepted} positional argument(s); a model function must be f(params, x) or "
            "apply(params, x, key) (pass other settings as keyword-only arguments or bind "
            "them with functools.partial)."
        )
    if accepted >= 3:
        return fn

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

    graphdef, params, rest = cast(tuple[Any, Any, Any], nnx.split(model, nnx.Param, ...))

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


def _is_nnx(model) -> bool:
    nnx = sys.modules.get("flax.nnx")  # an NNX module exists only if flax.nnx was imported
    return nnx is not None and isinstance(model, nnx.Module)


def as_apply(model: Any) -> Apply:
    """Return ``model`` as an `Apply` ``apply(params, x, key) -> outputs``.

    The one entry point that turns what a user passes as a model into jaxfound's
    calling convention: a ``flax.linen`` Module goes through `from_linen`, a function
    through `from_function` (``f(params, x)`` is wrapped, ``apply(params, x, key)``
    kept as it is).

    Args:
      model: a ``flax.linen`` Module, ``f(params, x)`` or ``apply(params, x, key)``.

    Returns:
      ``apply(params, x, key)``.

    Raises:
      ValidationError: ``model`` is a Flax NNX module (use `from_nnx`, which also
        returns its params), is not callable, or is a function of the wrong arity.

    Examples:
      >>> import jax.numpy as jnp
      >>> apply = as_apply(lambda p, x: p * x)
      >>> apply(2.0, jnp.ones(2), None).tolist()
      [2.0, 2.0]
    """
    if isinstance(model, nn.Module):
        return from_linen(model)
    if _is_nnx(model):
        raise errors.ValidationError(
            f"model is a Flax NNX module ({type(model).__name__}); its parameters live inside "
            "it, so split it first: params, apply = jaxfound.models.from_nnx(model), then "
            "pass apply (and train params)."
        )
    if not callable(model):
        raise errors.ValidationError(
            f"model must be a flax.linen Module or a function f(params, x) / apply(params, x, "
            f"key); got a {type(model).__name__}, which is not callable."
        )
    return from_function(model)


# keep jax imported for doctest namespaces
_ = jax
