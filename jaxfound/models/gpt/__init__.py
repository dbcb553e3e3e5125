"""A GPT foundation model: config, transformer, attention, KV-cache generation, training.

See ``docs/models/gpt.md`` ("Foundation models: a GPT").
"""

from jaxfound.models.gpt._attention import (
    AUTO_ATTENTION,
    CausalSelfAttention,
    KVCache,
    attention,
    init_cache,
    resolve_attention,
)
from jaxfound.models.gpt._block import Block, FeedForward
from jaxfound.models.gpt._config import ATTENTION, GPTConfig, check_vocab, num_params
from jaxfound.models.gpt._generate import generate
from jaxfound.models.gpt._model import GPT
from jaxfound.models.gpt._sharding import sharding_rules
from jaxfound.models.gpt._train import adamw, decay_mask, lm_loss

__all__ = [
    "ATTENTION",
    "AUTO_ATTENTION",
    "Block",
    "CausalSelfAttention",
    "GPT",
    "GPTConfig",
    "FeedForward",
    "KVCache",
    "adamw",
    "attention",
    "check_vocab",
    "decay_mask",
    "generate",
    "init_cache",
    "lm_loss",
    "num_params",
    "resolve_attention",
    "sharding_rules",
]
