"""Small instances of the four model families the export must handle, with inputs.

Each builder returns ``(fn, params, x)``: ``fn(params, x)`` is what gets exported and ``x``
an input batch (its leading axis is the batch).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import jaxfound as jf
from jaxfound.models import linear, trees
from jaxfound.models.gpt import GPT, GPTConfig


def mlp():
    """The MNIST MLP's shape (28x28 images, flattened inside), smaller hidden layers."""
    net = jf.models.MLP(features=(32, 32, 10), dropout=0.5)
    x = np.asarray(jax.random.uniform(jax.random.key(1), (5, 28, 28)), np.float32)
    return net.apply, jax.jit(net.init)(jax.random.key(0), x[:1]), x


def ridge():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=60)).astype(np.float32)
    est = linear.ridge(alpha=0.5)
    return est.predict, est.fit(X, y), X[:7]


def tree():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(np.int32)
    est = trees.cart_classifier(max_depth=3)
    return est.predict_proba, est.fit(X, y), X[:9]


def pinn_field():
    """A PINN's field u(params, (x, t)) on one point, vmapped over a batch of points."""
    net = jf.models.MLP(features=(16, 16, 1), activation=jnp.tanh)
    params = jax.jit(net.init)(jax.random.key(2), jnp.ones((1, 2)))
    u = jax.vmap(jf.physics.field(net), in_axes=(None, 0))
    x = np.asarray(jax.random.uniform(jax.random.key(3), (11, 2), minval=-1.0), np.float32)
    return u, params, x


def gpt():
    """The GPT's logits: batch symbolic, the sequence length (8) fixed."""
    model = GPT(GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16))
    params = jax.jit(model.init)(jax.random.key(4), jnp.zeros((1, 8), jnp.int32))
    x = np.asarray(jax.random.randint(jax.random.key(5), (3, 8), 0, 13), np.int32)
    return model.apply, params, x


MODELS = {"mlp": mlp, "ridge": ridge, "tree": tree, "pinn_field": pinn_field, "gpt": gpt}
