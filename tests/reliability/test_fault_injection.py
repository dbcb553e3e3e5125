"""Fault injection: NaN/inf at a random step, in every data path of ``fit``, into the loss,
the gradients, the parameters and the optimiser state.

The bad step is read from a step counter the loss threads as its model state (so every data
path, ``data=None`` included, knows the step). ``fit`` must raise `TrainingDivergedError`
naming that step, with ``.state`` bit-equal to a reference run of the same compiled `fit`
stopped just before it (``steps=k``, or the first ``k`` batches as a list).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxfound import errors
from jaxfound.losses import Loss
from jaxfound.train import Sampler, TrainState, fit

N, BATCH = 16, 4  # 4 steps an epoch
X = np.linspace(-1.0, 1.0, N * 2, dtype=np.float32).reshape(N, 2)
Y = X @ np.array([1.5, -0.5], np.float32)


@jax.custom_vjp
def _spike(p, flag, value):
    return p


def _spike_fwd(p, flag, value):
    return p, (flag, value)


def _spike_bwd(res, g):
    flag, value = res
    return (jnp.where(flag, value * jnp.ones_like(g), g), None, None)


_spike.defvjp(_spike_fwd, _spike_bwd)


def make_loss(bad: int, target: str) -> Loss:
    def fn(p, batch, key, step):
        x, y = (X[:BATCH], Y[:BATCH]) if batch is None else batch
        hit = step == bad
        if target == "grads":
            p = _spike(p, hit, jnp.float32(jnp.nan))
        value = jnp.mean((x @ p - y) ** 2)
        if target == "loss":
            value = jnp.where(hit, jnp.inf, value)
        return value, {}, step + 1

    return Loss(fn, stateful=True)


def injecting_tx(bad: int, target: str) -> optax.GradientTransformation:
    """sgd whose update makes the params inf, or whose own float state inf, at step ``bad``."""
    base = optax.sgd(0.05)

    def init(params):
        return (base.init(params), jnp.zeros((), jnp.int32), jnp.zeros((), jnp.float32))

    def update(grads, state, params=None):
        inner, count, acc = state
        updates, inner = base.update(grads, inner, params)
        hit = count == bad
        if target == "params":
            updates = jax.tree_util.tree_map(lambda u: jnp.where(hit, jnp.inf, u), updates)
        if target == "opt_state":
            acc = jnp.where(hit, jnp.nan, acc)
        return updates, (inner, count + 1, acc)

    return optax.GradientTransformation(init, update)


def new_state(bad: int, target: str) -> TrainState:
    return TrainState.create(
        jnp.zeros(2, jnp.float32),
        injecting_tx(bad, target),
        key=jax.random.key(0),
        model_state=jnp.zeros((), jnp.int32),
    )


def run(path: str, bad: int, target: str, total: int | None = None):
    """``fit`` in one data path; ``total`` steps (default: 12, past any bad step)."""
    state, loss = new_state(bad, target), make_loss(bad, target)
    kw = dict(progress=False)
    total = 12 if total is None else total
    if path in ("arrays", "arrays_spc"):
        assert total % (N // BATCH) == 0
        kw.update(epochs=total // (N // BATCH), batch_size=BATCH, shuffle=False)
        if path == "arrays_spc":
            kw.update(steps_per_call=3)  # chunks that do not divide the epoch
        return fit(state, loss, (X, Y), **kw)
    if path == "iterable":
        batches = [(X[i : i + BATCH], Y[i : i + BATCH]) for i in range(0, N, BATCH)]
        assert total % len(batches) == 0
        return fit(state, loss, batches, epochs=total // len(batches), **kw)
    if path == "none":
        return fit(state, loss, None, steps=total, steps_per_call=5, **kw)
    sampler = Sampler(
        lambda k, p, b, i: (X[:BATCH] + 0.0 * i, Y[:BATCH]), init=(X[:BATCH], Y[:BATCH])
    )
    return fit(state, loss, sampler, steps=total, steps_per_call=5, **kw)


def leaves(state):
    return [
        np.asarray(jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x)
        for x in jax.tree_util.tree_leaves(state)
    ]


PATHS = ["arrays", "arrays_spc", "iterable", "none", "sampler"]
TARGETS = ["loss", "grads", "params", "opt_state"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", PATHS)
def test_divergence_stops_at_the_bad_step_with_the_state_before_it(path, target):
    bad = int(np.random.default_rng(PATHS.index(path) * 10 + TARGETS.index(target)).integers(1, 11))
    with pytest.raises(errors.TrainingDivergedError) as info:
        run(path, bad, target)
    err = info.value
    assert f"step {bad}" in str(err)
    assert int(err.state.step) == bad
    # reference: the same run, with no fault, stopped just before the bad step; epoch-based
    # paths stop mid-epoch, so their reference is the same batches, in order, as a list
    if path in ("none", "sampler"):
        ref, _ = run(path, -1, target, total=bad)
    else:
        epoch = [(X[i : i + BATCH], Y[i : i + BATCH]) for i in range(0, N, BATCH)]
        ref, _ = fit(
            new_state(-1, target), make_loss(-1, target), (epoch * 3)[:bad], progress=False
        )
    got, want = leaves(err.state), leaves(ref)
    assert len(got) == len(want)
    assert all(np.array_equal(a, b) for a, b in zip(got, want))
