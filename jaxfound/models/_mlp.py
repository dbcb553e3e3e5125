"""Multi-layer perceptron built from ``flax.linen`` layers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import flax.linen as nn
import jax

from jaxfound import _validate, errors
from jaxfound.models._dense import Dense
from jaxfound.models._dropout import Dropout
from jaxfound.typing import Array

__all__ = ["MLP"]


def _check_features(features) -> None:
    """``features`` must be a non-empty sequence of positive ints (checked at trace time)."""
    if isinstance(features, (str, bytes)) or not isinstance(features, Sequence) or not features:
        raise errors.ValidationError(
            f"MLP features={features!r} must be a non-empty sequence of layer widths, the last "
            "one the output width; e.g. MLP(features=(64, 64, 10))."
        )
    for i, width in enumerate(features):
        _validate.positive_int(width, f"MLP features[{i}]")


class MLP(nn.Module):
    r"""A fully connected network: ``Dense → activation → Dropout`` per hidden layer.

    $$
    h_0 = x,\quad h_{l} = \mathrm{drop}(\sigma(W_l h_{l-1} + b_l)),\quad
    y = W_L h_{L-1} + b_L
    $$

    The last entry of ``features`` is the output width; no activation is applied
    to it (logits for classification, values for regression).

    Attributes:
      features: widths of every layer, the last one being the output.
      activation: the hidden non-linearity (default ``jax.nn.relu``).
      dropout: drop probability after each hidden activation (0 disables it).
      flatten: flatten inputs of rank > 2 to ``(batch, -1)`` first (images).
      kernel_init: initialiser of the Dense weights (`jaxfound.models.Dense`: flax's
        layer as one 2-D matmul, which matters with ``flatten=False`` on rank > 2).

    Dropout (`jaxfound.models.Dropout`, masks drawn from raw random bits) is active
    when ``deterministic=False`` and a ``"dropout"`` RNG is given:

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> net = MLP(features=(16, 3), dropout=0.1)
      >>> params = net.init(jax.random.key(0), jnp.ones((1, 4)))
      >>> net.apply(params, jnp.ones((2, 4))).shape
      (2, 3)
    """

    features: Sequence[int]
    activation: Callable[[Array], Array] = jax.nn.relu
    dropout: float = 0.0
    flatten: bool = True
    kernel_init: Callable = nn.initializers.lecun_normal()

    @nn.compact
    def __call__(self, x: Array, deterministic: bool = True) -> Array:
        _check_features(self.features)
        if self.flatten and x.ndim > 2:
            x = x.reshape((x.shape[0], -1))
        for width in self.features[:-1]:
            x = Dense(width, kernel_init=self.kernel_init)(x)
            x = self.activation(x)
            if self.dropout > 0:
                x = Dropout(self.dropout, deterministic=deterministic)(x)
        return Dense(self.features[-1], kernel_init=self.kernel_init)(x)
