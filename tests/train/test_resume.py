"""fit(..., checkpoint=, resume=True): an interrupted run resumed ends bit-identical."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.train import CheckpointManager, TrainState

pytestmark = pytest.mark.filterwarnings("ignore")


class Interrupt(Exception):
    pass


def stop_after(k):
    """A callback that raises after epoch (chunk) k, like a killed run."""

    def fn(epoch, state, logs):
        if epoch == k:
            raise Interrupt

    return fn


def plain(tree):
    return jax.tree_util.tree_leaves(
        jax.tree_util.tree_map(
            lambda x: jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x,
            tree,
        )
    )


def assert_bit_identical(a, b):
    la, lb = plain(a), plain(b)
    assert len(la) == len(lb)
    assert all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(la, lb))


def check_resume(tmp_path, make_state, run, k):
    """Uninterrupted vs. interrupted after chunk k and resumed: same state, same history."""
    full, hist = run(make_state(), None, False, ())
    mgr = CheckpointManager(tmp_path / "ck", max_to_keep=2)
    with pytest.raises(Interrupt):
        run(make_state(), mgr, False, [stop_after(k)])
    mgr = CheckpointManager(tmp_path / "ck", max_to_keep=2)  # a new process would reopen it
    resumed, hist2 = run(make_state(), mgr, True, ())
    assert_bit_identical(full.params, resumed.params)
    assert_bit_identical(full.opt_state, resumed.opt_state)
    assert_bit_identical((full.step, full.key), (resumed.step, resumed.key))
    assert set(hist) == set(hist2)
    for name in hist:
        if name != "time":
            assert hist[name] == hist2[name], name
    return mgr


@pytest.mark.slow
def test_array_data_with_dropout_resumes_bit_identical(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    model = jf.models.MLP((8, 2), dropout=0.3)
    loss = jf.losses.supervised(
        model, lambda y, out: optax.losses.softmax_cross_entropy_with_integer_labels(out, y)
    )

    tx = optax.adam(1e-2)

    def make_state():
        params = model.init(jax.random.key(0), x[:1])
        return TrainState.create(params, tx, key=jax.random.key(1))

    def run(state, mgr, resume, cbs):
        return jf.train.fit(state, loss, (x, y), epochs=5, batch_size=16, steps_per_call=3,
                            validation=(x[:32], y[:32]), callbacks=cbs, checkpoint=mgr,
                            resume=resume, progress=False)

    mgr = check_resume(tmp_path, make_state, run, k=2)
    assert mgr.all_steps() == [24, 30]  # 6 steps an epoch, the newest 2 kept
    meta = mgr.meta()
    assert meta["epoch"] == 5 and len(meta["history"]["loss"]) == 5
    assert meta["versions"]["jax"] == jax.__version__


def test_data_none_steps_resume_bit_identical(tmp_path):
    def loss(p, batch, key):
        noise = jax.random.normal(key, (4,))
        return jnp.sum((p["w"] - noise) ** 2), {}

    tx = optax.adam(1e-2)

    def make_state():
        return TrainState.create({"w": jnp.zeros(4)}, tx, key=jax.random.key(3))

    def run(state, mgr, resume, cbs):
        return jf.train.fit(state, loss, None, steps=50, steps_per_call=10, callbacks=cbs,
                            checkpoint=mgr, resume=resume, progress=False)

    check_resume(tmp_path, make_state, run, k=1)


@pytest.mark.slow
def test_tiny_gpt_with_window_sampler_resumes_bit_identical(tmp_path):
    from jaxfound.models.gpt import GPT, GPTConfig, adamw, lm_loss

    tokens = jnp.asarray(np.arange(400) % 7, jnp.int32)
    cfg = GPTConfig(vocab_size=7, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.1)
    model = GPT(cfg)

    tx = adamw(3e-3, steps=30, warmup_steps=5)  # one tx (static): one compile for all runs

    def make_state():
        params = model.init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32))
        return TrainState.create(params, tx, key=jax.random.key(2))

    sampler = jf.train.Sampler(lambda k, p, b, i: jf.data.sample_windows(k, tokens, 4, 8))
    loss = lm_loss(model)  # one object: the compiled chunk is reused by all three runs

    def run(state, mgr, resume, cbs):
        return jf.train.fit(state, loss, sampler, steps=30, steps_per_call=10,
                            callbacks=cbs, checkpoint=mgr, resume=resume, progress=False)

    check_resume(tmp_path, make_state, run, k=0)


def test_sampler_batch_that_persists_between_refreshes_is_restored(tmp_path):
    # every=7 with chunks of 5: a resumed chunk starts with a batch drawn in the last one
    def sample(key, p, b, i):
        return jax.random.normal(key, (8,))

    def loss(p, b, key):
        return jnp.mean((p - b) ** 2), {}

    tx = optax.sgd(0.1)

    def make_state():
        return TrainState.create(jnp.zeros(()), tx, key=jax.random.key(5))

    sampler = jf.train.Sampler(sample, every=7)

    def run(state, mgr, resume, cbs):
        return jf.train.fit(state, loss, sampler, steps=20, steps_per_call=5, callbacks=cbs,
                            checkpoint=mgr, resume=resume, progress=False)

    check_resume(tmp_path, make_state, run, k=1)


def test_resume_without_a_checkpoint_starts_fresh_and_checks_the_run_kind(tmp_path):
    def loss(p, b, key):
        return jnp.sum(p**2), {}

    state = TrainState.create(jnp.ones(()), optax.sgd(0.1), key=jax.random.key(0))
    mgr = CheckpointManager(tmp_path, async_save=False)
    out, hist = jf.train.fit(state, loss, None, steps=4, steps_per_call=2, checkpoint=mgr,
                             resume=True, progress=False)
    assert int(out.step) == 4 and len(hist["loss"]) == 2 and mgr.all_steps() == [2, 4]
    again, hist2 = jf.train.fit(state, loss, None, steps=4, steps_per_call=2, checkpoint=mgr,
                                resume=True, progress=False)  # already done: returns it
    assert_bit_identical(out, again) and hist2["loss"] == hist["loss"]
    x = np.ones((8, 1), np.float32)
    with pytest.raises(errors.ValidationError, match="kind"):
        jf.train.fit(state, lambda p, b, k: (jnp.sum(p * b), {}), x, epochs=1, checkpoint=mgr,
                     resume=True, progress=False)
    with pytest.raises(errors.ValidationError, match="checkpoint="):
        jf.train.fit(state, loss, None, steps=2, resume=True, progress=False)
    with pytest.raises(errors.ValidationError, match="CheckpointManager"):
        jf.train.fit(state, loss, None, steps=2, checkpoint=str(tmp_path), progress=False)
