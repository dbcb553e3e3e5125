"""TrainState.create(..., accumulate=k): optax.MultiSteps through fit, chunks and resuming."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.train import CheckpointManager, TrainState

pytestmark = pytest.mark.filterwarnings("ignore")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(96, 5)).astype(np.float32)
Y = (X @ np.arange(1, 6) + 0.3 * RNG.normal(size=96)).astype(np.float32)[:, None]
MODEL = jf.models.MLP((8, 1))
PARAMS = MODEL.init(jax.random.key(0), X[:1])


def mse(params, batch, key):
    x, y = batch
    return jnp.mean((MODEL.apply(params, x) - y) ** 2), {}


def _fit(batch_size, accumulate, epochs=3, **kw):
    state = TrainState.create(PARAMS, optax.adam(0.05), key=jax.random.key(1),
                              accumulate=accumulate)
    return jf.train.fit(state, mse, (X, Y), epochs=epochs, batch_size=batch_size,
                        shuffle=False, progress=False, **kw)


def test_k_micro_batches_equal_one_batch_k_times_larger_inside_compiled_chunks():
    # 24 micro-batches of 4 per epoch; chunks of 5 steps: accumulation crosses the chunks
    # and the epochs never split it (24 = 6 x 4), the chunk boundaries do
    small, h_small = _fit(4, 4, steps_per_call=5)
    big, h_big = _fit(16, 1)
    assert int(small.step) == 4 * int(big.step) == 4 * 18
    assert int(small.opt_state.gradient_step) == int(big.step)
    for a, b in zip(jax.tree_util.tree_leaves(small.params), jax.tree_util.tree_leaves(big.params)):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    # each group of 4 micro-batches sees the same parameters: the same mean loss per epoch
    np.testing.assert_allclose(h_small["loss"], h_big["loss"], rtol=2e-5)
    assert h_big["loss"][-1] < 0.5 * h_big["loss"][0]


def _plain(tree):
    return [np.asarray(jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key)
                       else x) for x in jax.tree_util.tree_leaves(tree)]


class _Stop(Exception):
    pass


def _stop_after(k):
    def fn(epoch, state, logs):
        if epoch == k:
            raise _Stop

    return fn


def test_resuming_mid_accumulation_is_bit_identical(tmp_path):
    # 24 micro-batches per epoch, k = 5: the checkpoint after epoch 1 holds 4 accumulated
    # gradients of the 5th update
    full, hist = _fit(4, 5, epochs=2)
    with pytest.raises(_Stop):
        _fit(4, 5, epochs=2, checkpoint=CheckpointManager(tmp_path / "ck"),
             callbacks=[_stop_after(0)])
    mgr = CheckpointManager(tmp_path / "ck")
    assert int(mgr.restore(target=full).state.opt_state.mini_step) == 4
    resumed, hist2 = _fit(4, 5, epochs=2, checkpoint=mgr, resume=True)
    for a, b in zip(_plain(full), _plain(resumed)):
        np.testing.assert_array_equal(a, b)
    assert hist["loss"] == hist2["loss"]


def test_make_step_passes_optax_extra_args_through_the_accumulator():
    tx = optax.chain(optax.adam(0.05), optax.contrib.reduce_on_plateau(patience=1))
    state = TrainState.create(PARAMS, tx, accumulate=2)
    step = jax.jit(jf.train.make_step(mse))
    for i in range(4):
        state, aux = step(state, (X[8 * i:8 * i + 8], Y[8 * i:8 * i + 8]))
    assert int(state.step) == 4 and int(state.opt_state.gradient_step) == 2


def test_bad_accumulate():
    for bad in (0, 2.0, True):
        with pytest.raises(errors.ValidationError, match="accumulate"):
            TrainState.create(PARAMS, optax.sgd(0.1), accumulate=bad)
    with pytest.raises(errors.ValidationError, match="line-search"):
        TrainState.create(PARAMS, optax.lbfgs(), accumulate=2)
    with pytest.raises(errors.ValidationError, match="MultiSteps"):
        TrainState.create(PARAMS, optax.MultiSteps(optax.sgd(0.1), 2), accumulate=2)
    state = TrainState.create(PARAMS, optax.MultiSteps(optax.sgd(0.1), 2))  # used as is
    assert int(state.opt_state.mini_step) == 0
