"""make_epoch: the public fast path equals a hand loop of make_step over the same batches."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxfound import errors
from jaxfound.train import TrainState, make_epoch, make_step


def loss(p, b, k):
    x, y = b
    return jnp.mean((x @ p - y) ** 2), {"n": x.shape[0]}


def test_epoch_in_order_and_from_a_start_batch_equal_the_step_loop():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = x @ np.array([1.0, -1.0, 2.0], np.float32)
    s0 = TrainState.create(jnp.zeros(3), optax.adam(0.1))
    step = jax.jit(make_step(loss))
    hand = s0
    for i in range(1, 4):  # batches 1, 2, 3 of 10 rows, in order
        hand, _ = step(hand, (x[i * 10 : (i + 1) * 10], y[i * 10 : (i + 1) * 10]))
    epoch = jax.jit(make_epoch(make_step(loss), steps=3, batch_size=10))
    fused, aux = epoch(s0, (x, y), None, 1)
    np.testing.assert_allclose(fused.params, hand.params, rtol=1e-6)
    assert aux["loss"].shape == (3,) and int(aux["n"][0]) == 10
    order = jnp.arange(40)[::-1]  # an explicit order: rows 39..30, 29..20, 19..10
    rev, _ = epoch(s0, (x, y), order, 0)
    hand = s0
    for i in range(3):
        idx = np.asarray(order[i * 10 : (i + 1) * 10])
        hand, _ = step(hand, (x[idx], y[idx]))
    np.testing.assert_allclose(rev.params, hand.params, rtol=1e-6)


def test_make_epoch_arguments():
    with pytest.raises(errors.ValidationError, match="steps"):
        make_epoch(make_step(loss), steps=0)
    epoch = make_epoch(make_step(loss), steps=2)
    with pytest.raises(errors.ValidationError, match="batch_size"):
        epoch(TrainState.create(jnp.zeros(3), optax.sgd(0.1)), (np.ones((4, 3)), np.ones(4)))
