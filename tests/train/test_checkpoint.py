import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.train import (
    Checkpoint,
    TrainState,
    latest_checkpoint,
    restore_checkpoint,
    save_checkpoint,
)


def make_state(seed=0):
    model = jf.models.MLP((4, 2))
    params = model.init(jax.random.key(seed), jnp.ones((1, 3)))
    return TrainState.create(params, optax.adam(1e-3), key=jax.random.key(seed))


def leaves_equal(a, b):
    a = jax.tree_util.tree_leaves(
        jax.tree_util.tree_map(
            lambda x: jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x,
            a,
        )
    )
    b = jax.tree_util.tree_leaves(
        jax.tree_util.tree_map(
            lambda x: jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x,
            b,
        )
    )
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_roundtrip_restores_everything_including_key(tmp_path):
    state = make_state(1)
    path = save_checkpoint(tmp_path / "a.jxf", state)
    restored = restore_checkpoint(path, make_state(2))
    assert leaves_equal(state, restored)
    assert jnp.issubdtype(restored.key.dtype, jax.dtypes.prng_key)


def test_corrupt_and_mismatched_files_raise_and_leave_file_alone(tmp_path):
    path = save_checkpoint(tmp_path / "a.jxf", make_state())
    saved = path.read_bytes()
    blob = bytearray(saved)
    blob[-5] ^= 0xFF
    (tmp_path / "bad.jxf").write_bytes(bytes(blob))
    with pytest.raises(errors.CheckpointError, match="checksum"):
        restore_checkpoint(tmp_path / "bad.jxf", make_state())
    (tmp_path / "junk.jxf").write_bytes(b"not a checkpoint")
    with pytest.raises(errors.CheckpointError, match="header"):
        restore_checkpoint(tmp_path / "junk.jxf", make_state())
    with pytest.raises(errors.CheckpointError):
        restore_checkpoint(tmp_path / "missing.jxf", make_state())
    other = TrainState.create({"w": jnp.zeros(7)}, optax.sgd(0.1))
    with pytest.raises(errors.CheckpointError):
        restore_checkpoint(path, other)
    assert path.read_bytes() == saved and saved.startswith(b"JAXFOUND-CKPT-2\n")


def test_checkpoint_callback_keeps_last_n(tmp_path):
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    y = np.zeros(32, np.int32)
    model = jf.models.MLP((4, 2))
    params = model.init(jax.random.key(0), x[:1])
    loss_fn = jf.losses.supervised(
        model, lambda y, out: optax.losses.softmax_cross_entropy_with_integer_labels(out, y)
    )
    state = TrainState.create(params, optax.sgd(0.1), key=jax.random.key(0))
    state, _ = jf.train.fit(
        state,
        loss_fn,
        (x, y),
        epochs=4,
        batch_size=8,
        callbacks=[Checkpoint(tmp_path, keep=2)],
        progress=False,
    )
    mgr = jf.train.CheckpointManager(tmp_path)
    assert mgr.all_steps() == [12, 16]
    restored = mgr.restore(target=state)
    assert leaves_equal(restored.state.params, state.params)
    assert restored.meta["metrics"]["loss"] > 0 and restored.meta["epoch"] == 4


def test_latest_checkpoint_sorts_steps_as_numbers(tmp_path):
    for step in ("000000001", "999999999", "1000000000", "notastep"):
        (tmp_path / f"ckpt_{step}.jxf").write_bytes(b"")
    assert latest_checkpoint(tmp_path).name == "ckpt_1000000000.jxf"
    assert latest_checkpoint(tmp_path / "missing") is None


def test_restore_with_a_key_on_one_side_only_is_a_checkpoint_error(tmp_path):
    with_key = make_state()
    without = TrainState.create(with_key.params, optax.adam(1e-3))
    a, b = tmp_path / "a.jxf", tmp_path / "b.jxf"
    save_checkpoint(a, with_key)
    save_checkpoint(b, without)
    with pytest.raises(errors.CheckpointError, match=r"\.key.*same key="):
        restore_checkpoint(a, without)
    with pytest.raises(errors.CheckpointError, match=r"\.key.*same key="):
        restore_checkpoint(b, with_key)


def test_restore_casts_within_a_kind_and_refuses_across_kinds(tmp_path):
    p = tmp_path / "w.jxf"
    save_checkpoint(p, {"w": np.array([1.5, 2.0], np.float32), "n": np.array([3], np.int64)})
    out = restore_checkpoint(p, {"w": np.zeros(2, np.float64), "n": np.zeros(1, np.int32)})
    assert out["w"].dtype == np.float64 and out["w"].tolist() == [1.5, 2.0]
    assert out["n"].dtype == np.int32 and out["n"].tolist() == [3]
    with pytest.raises(errors.CheckpointError, match=r"\['w'\].*float32.*int32"):
        restore_checkpoint(p, {"w": np.zeros(2, np.int32), "n": np.zeros(1, np.int32)})
    big = tmp_path / "big.jxf"
    save_checkpoint(big, {"n": np.array([2**40], np.int64)})
    with pytest.raises(errors.CheckpointError, match="cannot"):
        restore_checkpoint(big, {"n": np.zeros(1, np.int32)})


def test_missing_checkpoint_names_the_fix(tmp_path):
    with pytest.raises(errors.CheckpointError, match="check the path.*latest_checkpoint"):
        restore_checkpoint(tmp_path / "nope.jxf", make_state())
