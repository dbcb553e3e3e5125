"""Soft decision tree: path probabilities, gradients, training with jf.train.fit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.test_util import check_grads

import jaxfound as jf
from jaxfound.models import trees


def test_leaf_probabilities_sum_to_one_and_hard_gates_pick_one_leaf():
    g = jax.random.uniform(jax.random.key(0), (7, 15))
    mu = trees.leaf_probabilities(g, 4)
    np.testing.assert_allclose(mu.sum(-1), 1.0, rtol=1e-6)
    # hard gates: right at the root, left below -> leaf index 0b100 = 4 in a depth-3 tree
    hard = jnp.array([1.0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(trees.leaf_probabilities(hard, 3), np.eye(8)[4])


def test_soft_tree_gradients():
    tree = trees.SoftTree(depth=2, features=3)
    x = jax.random.normal(jax.random.key(1), (4, 5))
    params = tree.init(jax.random.key(0), x)
    with jax.enable_x64(True):
        p64 = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64), params)
        check_grads(lambda p: jnp.sum(tree.apply(p, x.astype(jnp.float64)) ** 2), (p64,), order=1)


def test_low_temperature_approaches_a_hard_tree():
    tree = trees.SoftTree(depth=2, features=1, temperature=1e-4)
    x = jax.random.normal(jax.random.key(2), (6, 3))
    params = tree.init(jax.random.key(0), x)
    leaves = params["params"]["leaves"][:, 0]
    out = tree.apply(params, x)[:, 0]
    # each output is (almost) exactly one leaf value
    dist = jnp.min(jnp.abs(out[:, None] - leaves[None, :]), axis=1)
    assert float(dist.max()) < 1e-3


@pytest.mark.parametrize("dtype", [jnp.float32])
def test_soft_tree_trains_with_the_training_helper(dtype):
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = ((X - X.mean(0)) / X.std(0)).astype(dtype)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(y))
    tr, te = perm[:400], perm[400:]
    tree = trees.SoftTree(depth=3, features=2)
    params = tree.init(jax.random.key(0), X[:1])
    loss_fn = jf.losses.supervised(
        tree,
        lambda y, logits: optax.losses.softmax_cross_entropy_with_integer_labels(logits, y),
        metrics={"accuracy": lambda y, logits: jnp.mean(jnp.argmax(logits, -1) == y)},
    )
    state = jf.train.TrainState.create(params, optax.adam(0.05), key=jax.random.key(1))
    state, hist = jf.train.fit(
        state, loss_fn, (X[tr], y[tr]), epochs=30, batch_size=64, progress=False
    )
    assert hist["loss"][-1] < hist["loss"][0]
    acc = np.mean(np.argmax(np.asarray(tree.apply(state.params, X[te])), -1) == y[te])
    assert acc > 0.93
