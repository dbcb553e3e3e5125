"""Floating-point precision for physics-informed training: the float64 switch and `cast`.

Long L-BFGS runs reach errors far below float32's ~1e-4 relative floor only in float64;
the usual recipe is a cheap first-order stage in float32, then ``cast`` the parameters
to float64 for the L-BFGS stage.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import DTypeLike

from jaxfound.typing import PyTree

__all__ = ["enable_float64", "cast"]


def enable_float64(enable: bool = True) -> None:
    """Switch JAX to 64-bit floats (``jax_enable_x64``); call before building arrays.

    Long L-BFGS runs reach errors far below float32's ~1e-4 relative floor only in
    float64. Use `cast` to convert existing parameters.

    Args:
      enable: ``True`` for 64-bit floats, ``False`` for JAX's default 32 bits.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> before = jax.config.jax_enable_x64
      >>> enable_float64(); jnp.zeros(1).dtype
      dtype('float64')
      >>> enable_float64(before)
    """
    jax.config.update("jax_enable_x64", bool(enable))


def cast(tree: PyTree, dtype: DTypeLike = jnp.float64) -> PyTree:
    """Cast every floating leaf of a pytree to ``dtype`` (others unchanged).

    Args:
      tree: a pytree of arrays (parameters, points, a batch).
      dtype: the floating dtype to cast to (default float64; JAX keeps float32
        unless `enable_float64` was called).

    Returns:
      The same structure with the floating leaves cast.

    Example:
      >>> import jax.numpy as jnp
      >>> cast({"w": jnp.ones(2), "n": jnp.arange(2)}, jnp.float16)["w"].dtype
      dtype('float16')
    """

    def f(x):
        x = jnp.asarray(x)
        return x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x

    return jax.tree_util.tree_map(f, tree)
