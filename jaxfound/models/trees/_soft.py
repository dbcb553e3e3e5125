r"""A soft (differentiable) decision tree as a ``flax.linen`` module.

Every internal node $i$ of a complete tree of depth $D$ routes an
input to the right with probability
$g_i(x) = \sigma\big((w_i^\top x + b_i)/\tau\big)$ and to the left with
$1 - g_i(x)$. The probability of reaching leaf $\ell$ is the product
along its path,

$$
\mu_\ell(x) = \prod_{i \in \text{path}(\ell)} g_i(x)^{[\ell \in R_i]}
\big(1 - g_i(x)\big)^{[\ell \in L_i]}, \qquad \textstyle\sum_\ell \mu_\ell(x) = 1,
$$

and the output is the mixture of the learned leaf vectors,
$f(x) = \sum_\ell \mu_\ell(x)\, v_\ell$ (logits for classification, values
for regression). Everything is smooth, so it trains by gradient descent with
`jaxfound.losses.supervised` and `jaxfound.train.fit`; as
$\tau \to 0$ the gates become hard oblique splits (Frosst & Hinton, 2017;
İrsoy et al., 2012).
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from jaxfound.typing import Array

__all__ = ["SoftTree", "leaf_probabilities"]


def leaf_probabilities(gates: Array, depth: int) -> Array:
    """Path probabilities ``(..., 2^D)`` of the leaves from right-gate probabilities.

    Args:
      gates: ``(..., 2^D - 1)`` probabilities of going right, nodes in heap order.
      depth: $D$.

    Examples:
      >>> import jax.numpy as jnp
      >>> leaf_probabilities(jnp.array([0.25, 0.5, 1.0]), 2).tolist()
      [0.375, 0.375, 0.0, 0.25]
    """
    p = jnp.ones((*gates.shape[:-1], 1), gates.dtype)
    start = 0
    for level in range(depth):
        g = gates[..., start : start + 2**level]
        start += 2**level
        p = jnp.stack([p * (1 - g), p * g], axis=-1).reshape(*p.shape[:-1], 2 ** (level + 1))
    return p


class SoftTree(nn.Module):
    """Soft decision tree of depth ``depth`` with ``features`` outputs per leaf.

    Attributes:
      depth: depth $D$ (``2^D - 1`` gates, ``2^D`` leaves).
      features: size of each leaf vector (classes, or 1 for regression).
      temperature: $\\tau$, the gates' sharpness (smaller = harder).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> tree = SoftTree(depth=3, features=2)
      >>> params = tree.init(jax.random.key(0), jnp.ones((1, 4)))
      >>> tree.apply(params, jnp.ones((5, 4))).shape
      (5, 2)
    """

    depth: int
    features: int
    temperature: float = 1.0

    @nn.compact
    def __call__(self, x: Array) -> Array:
        gates = nn.sigmoid(nn.Dense(2**self.depth - 1, name="gates")(x) / self.temperature)
        mu = leaf_probabilities(gates, self.depth)
        leaves = self.param(
            "leaves", nn.initializers.normal(0.1), (2**self.depth, self.features), x.dtype
        )
        return mu @ leaves
