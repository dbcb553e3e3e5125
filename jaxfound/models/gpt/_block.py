r"""A pre-LayerNorm transformer block: $x + \mathrm{Attn}(\mathrm{LN}(x))$, then
$x + \mathrm{MLP}(\mathrm{LN}(x))$."""

from __future__ import annotations

import flax.linen as nn
import jax

from jaxfound.models._dense import Dense
from jaxfound.models._dropout import Dropout
from jaxfound.models.gpt._attention import CausalSelfAttention, KVCache
from jaxfound.models.gpt._config import GPTConfig
from jaxfound.typing import Array

__all__ = ["FeedForward", "Block", "layer_norm"]


def layer_norm(config: GPTConfig, name: str | None = None) -> nn.LayerNorm:
    """nanoGPT's LayerNorm: $\\epsilon = 10^{-5}$, a bias only when ``config.bias``."""
    return nn.LayerNorm(epsilon=1e-5, use_bias=config.bias, name=name)


class FeedForward(nn.Module):
    r"""nanoGPT's ``MLP``: $\mathrm{drop}(W_2\, \mathrm{GELU}(W_1 x + b_1) + b_2)$, width $4C$.

    GELU is the exact (erf) one, as ``torch.nn.GELU()`` in nanoGPT; $W_2$ (``c_proj``)
    starts with std $0.02 / \sqrt{2 L}$ (GPT-2's scaled residual initialisation). Both
    are `jaxfound.models.Dense`: one 2-D matmul over the flattened batch and positions.
    """

    config: GPTConfig

    @nn.compact
    def __call__(self, x: Array, *, deterministic: bool = True) -> Array:
        cfg = self.config
        x = Dense(4 * cfg.n_embd, use_bias=cfg.bias,
                  kernel_init=nn.initializers.normal(0.02), name="c_fc")(x)
        x = jax.nn.gelu(x, approximate=False)
        x = Dense(cfg.n_embd, use_bias=cfg.bias,
                  kernel_init=nn.initializers.normal(0.02 / (2 * cfg.n_layer) ** 0.5),
                  name="c_proj")(x)
        if cfg.dropout > 0:
            x = Dropout(cfg.dropout, name="dropout")(x, deterministic=deterministic)
        return x


class Block(nn.Module):
    """nanoGPT's ``Block``; with a `KVCache` it returns ``(x, new_cache)``.

    ``deterministic`` may be passed positionally (``block(x, deterministic)``), which
    ``flax.linen.remat(Block, static_argnums=(2,))`` needs to keep it static
    (`GPTConfig` ``remat=True``).
    """

    config: GPTConfig

    @nn.compact
    def __call__(self, x: Array, deterministic: bool = True, *, cache: KVCache | None = None,
                 pos: Array | int = 0):
        attn = CausalSelfAttention(self.config, name="attn")
        h = layer_norm(self.config, "ln_1")(x)
        if cache is None:
            x = x + attn(h, deterministic=deterministic)
        else:
            a, cache = attn(h, deterministic=deterministic, cache=cache, pos=pos)
            x = x + a
        x = x + FeedForward(self.config, name="mlp")(layer_norm(self.config, "ln_2")(x),
                                             deterministic=deterministic)
        return x if cache is None else (x, cache)
