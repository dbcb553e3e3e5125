"""Sampler: in-jit data, refreshed every N global steps, reproducible and resumable."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxfound import errors
from jaxfound.losses import weighted_sum
from jaxfound.train import Sampler, TrainState, fit


def seen_loss(p, b, k):
    """Reports the step stamped into the batch by the sampler."""
    return jnp.sum(p**2), {"stamp": b[0]}


def stamp(key, params, batch, i):
    return jnp.stack([i.astype(jnp.float32), jnp.float32(0.0 if batch is None else 1.0)])


def stamps(hist):
    return [int(v) for v in hist["stamp"]]


@pytest.mark.parametrize(
    "init, want",
    [
        (None, [0, 0, 0, 3, 3, 3, 6, 6]),  # makes its first batch itself at step 0
        (jnp.array([-1.0, 0.0]), [-1, -1, -1, 3, 3, 3, 6, 6]),  # init until step 3
    ],
)
def test_refresh_before_every_nth_global_step(init, want):
    state = TrainState.create(jnp.ones(2), optax.sgd(0.1), key=jax.random.key(0))
    s = Sampler(stamp, init=init, every=3)
    state, hist = fit(state, seen_loss, s, steps=8, steps_per_call=1, progress=False)
    assert stamps(hist) == want
    # resumed from step 8 without init: a fresh sample at step 8, then every 3 global steps
    _, hist = fit(state, seen_loss, Sampler(stamp, every=3), steps=4, steps_per_call=1,
                  progress=False)  # fmt: skip
    assert stamps(hist) == [8, 9, 9, 9]


def test_first_sample_gets_batch_none_later_ones_the_previous_batch():
    got = []

    def loss(p, b, k):
        got.append(None)
        return jnp.sum(p**2), {"had_batch": b[1]}

    state = TrainState.create(jnp.ones(2), optax.sgd(0.1), key=jax.random.key(0))
    _, hist = fit(state, loss, Sampler(stamp, every=2), steps=4, steps_per_call=1, progress=False)
    assert [int(v) for v in hist["had_batch"]] == [0, 0, 1, 1]


def test_random_sampler_is_reproducible_and_resumable():
    """Two fits of 30 steps == one fit of 60 (keys come from the state's key)."""
    def sample(key, params, batch, i):
        return jax.random.uniform(key, (16,), minval=-1.0, maxval=3.0)

    loss = lambda p, x, k: (jnp.mean((p - x) ** 2), {})  # noqa: E731
    s0 = TrainState.create(jnp.zeros(()), optax.adam(0.05), key=jax.random.key(3))
    one, _ = fit(s0, loss, Sampler(sample), steps=60, steps_per_call=7, progress=False)
    half, _ = fit(s0, loss, Sampler(sample), steps=30, progress=False)
    two, _ = fit(half, loss, Sampler(sample), steps=30, progress=False)
    np.testing.assert_array_equal(one.params, two.params)
    again, _ = fit(s0, loss, Sampler(sample), steps=60, progress=False)
    np.testing.assert_array_equal(one.params, again.params)
    np.testing.assert_allclose(float(one.params), 1.0, atol=0.3)  # the mean of U(-1, 3)


def test_sampler_rebalances_weighted_sum_through_the_weights_entry():
    """A sampler that switches term weights at step 5: the loss sees them inside the scan."""
    terms = {"a": lambda p, b, k: (p[0] ** 2, {}), "b": lambda p, b, k: (p[1] ** 2, {})}

    def sample(key, params, batch, i):
        late = (i >= 5).astype(jnp.float32)
        return {"weights": {"a": 1.0 - late, "b": late}}

    init = {"weights": {"a": jnp.float32(1.0), "b": jnp.float32(0.0)}}
    state = TrainState.create(jnp.ones(2), optax.sgd(0.25), key=jax.random.key(0))
    state, _ = fit(state, weighted_sum(terms), Sampler(sample, init=init, every=5), steps=10,
                   progress=False)  # fmt: skip
    # a decays for 5 steps (x 0.5 each), then b for 5 steps
    np.testing.assert_allclose(state.params, [0.5**5, 0.5**5], rtol=1e-6)


def test_sampler_arguments_checked():
    state = TrainState.create(jnp.ones(2), optax.sgd(0.1), key=jax.random.key(0))
    with pytest.raises(errors.ValidationError, match="steps"):
        fit(state, seen_loss, Sampler(stamp), progress=False)
    with pytest.raises(errors.ValidationError, match="epochs"):
        fit(state, seen_loss, Sampler(stamp), steps=2, epochs=2, progress=False)
    with pytest.raises(errors.ValidationError, match="every"):
        fit(state, seen_loss, Sampler(stamp, every=0), steps=2, progress=False)


def test_fit_leaves_the_callers_sampler_init_alive():
    # the compiled chunks donate their carry: fit must not delete the caller's init arrays
    points = jnp.linspace(0.0, 1.0, 8)
    expected = np.array(points)
    sampler = Sampler(lambda key, params, batch, step: batch + 0.0, init=points, every=4)
    loss = lambda p, b, k: (jnp.mean((p - b) ** 2), {})  # noqa: E731
    state = TrainState.create(jnp.zeros(()), optax.sgd(0.1), key=jax.random.key(0))
    fit(state, loss, sampler, steps=8, progress=False)
    np.testing.assert_array_equal(np.asarray(points), expected)  # "Array has been deleted" before
