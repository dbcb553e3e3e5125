r"""The GPT configuration, its closed-form parameter count, and the vocabulary check."""

from __future__ import annotations

import dataclasses
from typing import Any

from jaxfound import _validate, errors

__all__ = ["GPTConfig", "ATTENTION", "num_params", "check_vocab"]

#: the attention implementations a `GPTConfig` can name (see `jaxfound.models.gpt.attention`)
ATTENTION = ("auto", "xla", "explicit")


@dataclasses.dataclass(frozen=True)
class GPTConfig:
    """The shape of a decoder-only transformer, with nanoGPT's field names and defaults.

    Attributes:
      vocab_size: number of token ids (at least the tokenizer's; nanoGPT pads GPT-2's
        50257 to 50304 for speed).
      block_size: the context length $T$: the most tokens the model sees at once.
      n_layer: transformer blocks.
      n_head: attention heads per block; must divide ``n_embd``.
      n_embd: the residual-stream width $C$.
      dropout: drop probability on the embeddings, the attention weights (the
        ``"explicit"`` attention only, see `jaxfound.models.gpt.attention`), and the
        output of each attention and MLP branch.
      bias: biases in the Dense layers and LayerNorms (GPT-2: True).
      tie_embeddings: the LM head reuses the token embedding matrix (nanoGPT always does).
      attention: ``"auto"`` (the measured-faster one on the current backend), ``"xla"``
        (`jax.nn.dot_product_attention`, the fused kernel on GPU) or ``"explicit"`` (a
        masked softmax written out).
      remat: recompute each block's activations in the backward pass instead of storing
        them (``flax.linen.remat``, i.e. ``jax.checkpoint``, per block): less memory for a
        training step, at the price of about one more forward pass per block. The
        parameters, the outputs and the gradients are the same (tested); the cached
        decoding path (`GPT.decode`, `generate`) computes no gradient and runs the blocks
        unchanged.

    Raises:
      jaxfound.errors.ValidationError: a size is not a positive int, ``n_embd`` is not a
        multiple of ``n_head``, ``dropout`` is outside $[0, 1)$, or ``attention`` is unknown.

    Examples:
      >>> cfg = GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
      >>> cfg.n_embd // cfg.n_head
      32
    """

    vocab_size: int
    block_size: int
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True
    tie_embeddings: bool = True
    attention: str = "auto"
    remat: bool = False

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            _validate.positive_int(getattr(self, name), f"GPTConfig.{name}")
        if self.n_embd % self.n_head:
            lower = self.n_embd // self.n_head * self.n_head
            raise errors.ValidationError(
                f"GPTConfig.n_embd={self.n_embd} is not a multiple of n_head={self.n_head}; "
                f"each head needs n_embd / n_head dims: use n_embd={lower or self.n_head} or "
                f"{lower + self.n_head}, or an n_head that divides {self.n_embd}."
            )
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not (
            0.0 <= self.dropout < 1.0
        ):
            raise errors.ValidationError(
                f"GPTConfig.dropout={self.dropout!r} must be a float in [0, 1)."
            )
        if not isinstance(self.remat, bool):
            raise errors.ValidationError(
                f"GPTConfig.remat={self.remat!r} must be True or False."
            )
        if self.attention not in ATTENTION:
            raise errors.ValidationError(
                f"GPTConfig.attention={self.attention!r}; choose one of {ATTENTION}."
            )

    @property
    def head_dim(self) -> int:
        """Width of one attention head, ``n_embd // n_head``."""
        return self.n_embd // self.n_head


def num_params(config: GPTConfig, *, non_embedding: bool = True) -> int:
    r"""The closed-form parameter count of `GPT` with this config.

    Per block, with width $C$ and $\beta = 1$ when ``bias`` else 0:

    $$
    12 C^2 \;(\text{QKV } 3C^2,\ \text{proj } C^2,\ \text{MLP } 8C^2)
    + 2C \;(\text{LayerNorm scales}) + 11 \beta C \;(\text{biases})
    $$

    plus the token embedding $V C$, the position embedding $T C$, the final LayerNorm
    $(1 + \beta) C$, and an untied LM head $V C$ (none when tied).

    Args:
      config: the model's shape.
      non_embedding: subtract the position embedding $T C$, as nanoGPT's
        ``get_num_params()`` does by default (the token embedding stays: tied, it is the
        LM head's weight).

    Returns:
      The count, equal to nanoGPT's ``GPT(config).get_num_params(non_embedding)`` for the
      same config (tied embeddings; tested).

    Examples:
      >>> num_params(GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128))
      801664
    """
    c, v, t, beta = config.n_embd, config.vocab_size, config.block_size, int(config.bias)
    block = 12 * c * c + 2 * c + 11 * beta * c
    total = config.n_layer * block + v * c + t * c + (1 + beta) * c
    if not config.tie_embeddings:
        total += v * c
    return total - (t * c if non_embedding else 0)


def check_vocab(config: GPTConfig, tokenizer: Any) -> None:
    """Raise unless the model's ``vocab_size`` covers every id of ``tokenizer``.

    Args:
      config: the model's config.
      tokenizer: anything with a ``vocab_size`` (a `jaxfound.data.Tokenizer`) or an int.

    Raises:
      jaxfound.errors.ValidationError: ``config.vocab_size`` is smaller.

    Examples:
      >>> check_vocab(GPTConfig(vocab_size=256, block_size=8), 256)
    """
    size = tokenizer if isinstance(tokenizer, int) else getattr(tokenizer, "vocab_size", None)
    size = _validate.positive_int(size, "tokenizer.vocab_size")
    if config.vocab_size < size:
        raise errors.ValidationError(
            f"config.vocab_size={config.vocab_size} is smaller than the tokenizer's vocabulary "
            f"({size} ids); build the model with GPTConfig(vocab_size={size}, ...) or larger "
            "(e.g. rounded up to a multiple of 64)."
        )
