"""Tiny GPT fixtures shared by the fine-tuning tests."""

import jax
import jax.numpy as jnp
import pytest

from jaxfound.models.gpt import GPT, GPTConfig


@pytest.fixture(scope="module")
def tiny():
    cfg = GPTConfig(vocab_size=13, block_size=12, n_layer=2, n_head=2, n_embd=16)
    model = GPT(cfg)
    params = model.init(jax.random.key(0), jnp.zeros((1, cfg.block_size), jnp.int32))
    return cfg, model, params
