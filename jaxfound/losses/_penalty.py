"""Parameter penalties."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxfound.typing import Array, Params

__all__ = ["l2_penalty"]


def l2_penalty(params: Params) -> Array:
    r"""Half the squared L2 norm of all parameters: $\tfrac12\sum\theta^2$.

    Examples:
      >>> import jax.numpy as jnp
      >>> float(l2_penalty({"w": jnp.ones(4)}))
      2.0
    """
    return jnp.asarray(0.5 * sum(jnp.sum(jnp.square(p)) for p in jax.tree_util.tree_leaves(params)))
