"""Floating-point precision for physics-informed training: the float64 switch and `cast`.

Long L-BFGS runs reach errors far below float32's ~1e-4 relative floor only in float64;
the usual recipe is a cheap first-order stage in float32, then ``cast`` the parameters
to float64 for the L-BFGS stage.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import DTypeLike

from jaxfound import errors
from jaxfound.typing import PyTree

__all__ = ["enable_float64", "cast"]


def enable_float64(enable: bool = True) -> None:
    """Switch JAX to 64-bit floats (``jax_enable_x64``); call before building arrays.

    Long L-BFGS runs reach errors far below float32's ~1e-4 relative floor only in
    float64. Use `cast` to convert existing parameters.

    Args:
      enable: ``True`` for 64-bit floats, ``False`` for JAX's default 32 bits.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> before = jax.config.jax_enable_x64
      >>> enable_float64(); jnp.zeros(1).dtype
      dtype('float64')
      >>> enable_float64(before)
    """
    jax.config.update("jax_enable_x64", bool(enable))


def cast(tree: PyTree, dtype: DTypeLike = jnp.float64) -> PyTree:
    """Cast every floating leaf of a pytree to ``dtype``; every leaf comes back strongly typed.

    Other leaves keep their dtype (integers, PRNG keys) and lose JAX's *weak* typing, as
    `jaxfound.train.TrainState.create` also does. Cast a whole L-BFGS state to move it to
    float64: ``cast(TrainState.create(params, optax.lbfgs(...)))`` (parameters and memory).

    Args:
      tree: a pytree of arrays (parameters, points, a batch, a `TrainState`).
      dtype: the floating dtype to cast to (default float64; JAX keeps float32
        unless `enable_float64` was called).

    Returns:
      The same structure with the floating leaves cast.

    Examples:
      >>> import jax.numpy as jnp
      >>> out = cast({"w": jnp.ones(2), "n": jnp.asarray(3)}, jnp.float16)
      >>> out["w"].dtype, out["n"].dtype == jnp.asarray(3).dtype, out["n"].weak_type
      (dtype('float16'), True, False)
    """

    if not jnp.issubdtype(jnp.dtype(dtype), jnp.floating):
        raise errors.ValidationError(
            f"dtype={dtype!r} is not a floating dtype; cast casts the floating leaves, so "
            "pass jnp.float64, jnp.float32 or jnp.float16 (integer leaves keep their dtype)."
        )

    def f(x):
        x = jnp.asarray(x)
        if jnp.issubdtype(x.dtype, jnp.floating):
            return x.astype(dtype)
        if getattr(x, "weak_type", False):
            return lax.convert_element_type(x, x.dtype)
        return x

    return jax.tree_util.tree_map(f, tree)
