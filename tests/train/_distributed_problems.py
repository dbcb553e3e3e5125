"""The two small problems that test_distributed.py trains in one process and in many."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxfound as jf
from jaxfound.models.gpt import GPT, GPTConfig, lm_loss

#: fit arguments shared by the single- and multi-process runs (8 rows per process fit 4)
MLP_FIT = dict(epochs=2, batch_size=16, progress=False)
GPT_FIT = dict(epochs=1, batch_size=16, progress=False)


def mlp():
    model = jf.models.MLP(features=(16, 4))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8)).astype(np.float32)
    y = rng.integers(0, 4, size=128).astype(np.int32)
    xent = lambda t, o: optax.losses.softmax_cross_entropy_with_integer_labels(o, t)  # noqa: E731
    params = model.init(jax.random.key(0), x[:1])
    state = jf.train.TrainState.create(params, optax.adam(1e-2), key=jax.random.key(1))
    return jf.losses.supervised(model, xent), state, (x, y)


def gpt():
    cfg = GPTConfig(vocab_size=16, block_size=8, n_layer=1, n_head=2, n_embd=16)
    model = GPT(cfg)
    tokens = np.random.default_rng(2).integers(0, 16, size=64 * 9).astype(np.int32)
    windows = tokens.reshape(64, 9)
    params = model.init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32))
    state = jf.train.TrainState.create(params, optax.adamw(3e-3, eps=1e-6), key=jax.random.key(1))
    return lm_loss(model), state, (windows[:, :-1], windows[:, 1:])
