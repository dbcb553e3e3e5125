"""The non-finite guard: per-leaf test, optimiser state included, error at the bad step."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxfound import errors
from jaxfound.train import TrainState, all_finite, fit, guard, make_epoch, make_step


def test_large_finite_float16_parameters_do_not_trip_the_guard():
    # sum(params) of 1000 x 100.0 is 1e5 > float16 max (65504): a sum-based test says "inf"
    params = jnp.full(1000, 100.0, jnp.float16)
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.sum(np.asarray(params)))
    assert bool(all_finite(params))
    loss = lambda p, b, k: (jnp.mean(p.astype(jnp.float32)) * 0.0, {})  # noqa: E731
    state = TrainState.create(params, optax.sgd(0.0))
    state, hist = fit(state, loss, None, steps=3, progress=False)
    assert int(state.step) == 3


def test_all_finite_per_leaf_and_skips_non_float_leaves():
    assert bool(all_finite({"a": jnp.ones(3), "i": jnp.arange(3), "k": jax.random.key(0)}))
    assert not bool(all_finite({"a": jnp.ones(3), "b": jnp.array([0.0, jnp.nan])}))
    assert bool(all_finite({}))


def test_guard_sees_adam_second_moment_overflow():
    """A gradient spike ~1e20 overflows Adam's nu (1e40 > float32 max) while loss and params
    stay finite (the update mu / sqrt(inf) is 0): training would silently stop moving."""
    spike = np.array([1.0, 1.0, 1e20, 1.0, 1.0, 1.0], np.float32)
    loss = lambda p, b, k: (jnp.sum(p) * jnp.sum(b[0]), {})  # noqa: E731  grad = sum(b)
    state = TrainState.create(jnp.zeros(2), optax.adam(0.1))
    # the premise: unguarded, step 2 leaves loss and params finite but nu infinite
    s, step = state, jax.jit(make_step(loss))
    for b in spike[:3]:
        s, aux = step(s, (b[None],))
    assert np.isfinite(aux["loss"]) and np.all(np.isfinite(s.params))
    assert not np.all(np.isfinite(s.opt_state[0].nu))
    runs = [
        dict(data=[(jnp.asarray(b[None]),) for b in spike]),  # one jitted step per batch
        dict(data=(spike,), batch_size=1, shuffle=False, steps_per_call=2),  # compiled chunks
    ]
    for kw in runs:
        with pytest.raises(errors.TrainingDivergedError, match="at step 2") as info:
            fit(state, loss, progress=False, **kw)
        bad = info.value.state
        assert isinstance(bad, TrainState) and int(bad.step) == 2 and bool(all_finite(bad))
        s2, step2 = state, jax.jit(make_step(loss))
        for b in spike[:2]:
            s2, _ = step2(s2, (b[None],))
        np.testing.assert_array_equal(bad.params, s2.params)


def test_error_comes_at_the_bad_step_when_chunks_are_shorter_than_an_epoch():
    """Row 5 makes the loss NaN; rows 6, 7 are fine. The error must come at step 5 with the
    state before it, not after the rest of the epoch trained on from the replayed state."""
    x = np.arange(8.0, dtype=np.float32)

    def loss(p, b, k):
        (xb,) = b
        return jnp.where(xb[0] == 5.0, jnp.nan, jnp.mean((p - xb) ** 2)), {}

    state = TrainState.create(jnp.zeros(()), optax.sgd(0.1))
    with pytest.raises(errors.TrainingDivergedError, match="at step 5") as info:
        fit(state, loss, (x,), epochs=2, batch_size=1, shuffle=False, steps_per_call=3,
            progress=False)  # fmt: skip
    good = info.value.state
    assert int(good.step) == 5 and info.value.history == {}
    # the state is exactly five clean sgd steps
    p = 0.0
    for xb in x[:5]:
        p -= 0.1 * 2 * (p - xb)
    np.testing.assert_allclose(float(good.params), p, rtol=1e-6)


def test_guard_and_make_epoch_compose_into_a_hand_written_loop():
    loss = lambda p, b, k: (jnp.where(p[0] < 3.0, -p[0], jnp.nan), {})  # noqa: E731
    epoch = jax.jit(make_epoch(guard(make_step(loss)), steps=10))
    (state, bad), aux = epoch((TrainState.create(jnp.zeros(1), optax.sgd(1.0)), False))
    assert bool(bad) and int(state.step) == 3 and float(state.params[0]) == 3.0
    assert aux["loss"].shape == (10,) and np.isnan(aux["loss"][3])
