"""CheckpointManager (Orbax) and the run loggers."""

import csv

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.train import CheckpointManager, CSVLogger, TrainState

pytestmark = pytest.mark.filterwarnings("ignore")
TX = optax.adam(1e-3)


def make_state(seed=0, n=3):
    return TrainState.create({"w": jnp.arange(n, dtype=jnp.float32) + seed}, TX,
                             key=jax.random.key(seed))


def at(state, step):
    return state.replace(step=jnp.asarray(step, jnp.int32))


def test_keeps_the_newest_and_the_best_and_restores_into_a_target_or_as_arrays(tmp_path):
    mgr = CheckpointManager(tmp_path, max_to_keep=2, best="val_loss", config={"lr": 1e-3})
    s = make_state(1)
    for step, v in [(1, 3.0), (2, 1.0), (3, 2.0), (4, 4.0)]:
        assert mgr.save(at(s, step), metrics={"val_loss": v})
    mgr.wait()
    assert mgr.all_steps() == [2, 3, 4] and mgr.best_step() == 2  # newest 2 + the best
    got = mgr.restore(target=make_state(9))
    assert got.step == 4 and int(got.state.step) == 4 and got.state.tx is TX
    assert jnp.issubdtype(got.state.key.dtype, jax.dtypes.prng_key)
    assert np.array_equal(jax.random.key_data(got.state.key), jax.random.key_data(s.key))
    assert got.meta["config"] == {"lr": 1e-3} and got.meta["metrics"] == {"val_loss": 4.0}
    raw = mgr.restore(2)
    assert raw.step == 2 and np.array_equal(raw.state["params"]["w"], [1.0, 2.0, 3.0])
    assert raw.state["key"].dtype == np.uint32  # plain arrays: the key as its key data


def test_no_checkpoint_and_another_structure_are_clear_errors(tmp_path):
    with pytest.raises(errors.CheckpointNotFoundError, match="no finished checkpoint"):
        CheckpointManager(tmp_path / "empty").restore()
    with pytest.raises(errors.CheckpointNotFoundError, match="not a directory"):
        CheckpointManager(tmp_path / "nope", read_only=True)
    mgr = CheckpointManager(tmp_path / "a", async_save=False)
    mgr.save(make_state())
    with pytest.raises(errors.CheckpointNotFoundError, match=r"step 7.*\[0\]"):
        mgr.restore(7)
    with pytest.raises(errors.CheckpointMismatchError, match=r"state\.params\.w: checkpoint \(3,\)"
                       r" float32 vs target \(5,\) float32"):
        mgr.restore(target=make_state(n=5))
    nokey = TrainState.create({"w": jnp.zeros(3)}, TX)
    with pytest.raises(errors.CheckpointMismatchError, match=r"state\.key"):
        mgr.restore(target=nokey)


@pytest.mark.parametrize("fingerprints", [True, False])
@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_truncated_or_damaged_checkpoint_is_refused(tmp_path, damage, fingerprints):
    mgr = CheckpointManager(tmp_path, async_save=False, fingerprints=fingerprints)
    big = TrainState.create({"w": jnp.linspace(0.0, 1.0, 4096)}, TX, key=jax.random.key(0))
    mgr.save(big)
    files = [p for p in (tmp_path / "0" / "state").rglob("*")
             if p.is_file() and p.parent.name == "d"]
    assert files
    for f in files:
        blob = bytearray(f.read_bytes())
        if damage == "truncate":
            blob = blob[: len(blob) // 2]
        else:
            blob[len(blob) // 2] ^= 0x01
        f.write_bytes(bytes(blob))
    with pytest.raises(errors.CheckpointCorruptError, match="truncated or damaged"):
        CheckpointManager(tmp_path).restore(target=big)


def test_csv_logger_appends_on_resume_so_the_log_reads_as_one_run(tmp_path):
    def loss(p, b, key):
        return jnp.sum((p - 1.0) ** 2), {}

    state = TrainState.create(jnp.zeros(()), optax.sgd(0.1), key=jax.random.key(0))
    path = tmp_path / "log.csv"

    def stop_at(k):
        def fn(epoch, s, logs):
            if epoch == k:
                raise KeyboardInterrupt

        return fn

    mgr = CheckpointManager(tmp_path / "ck", every=2)
    with pytest.raises(KeyboardInterrupt):  # logged epochs 0..2, checkpoint after epoch 1
        jf.train.fit(state, loss, None, steps=10, steps_per_call=2, checkpoint=mgr,
                     callbacks=[CSVLogger(path), stop_at(2)], progress=False)
    _, hist = jf.train.fit(state, loss, None, steps=10, steps_per_call=2, checkpoint=mgr,
                           resume=True, callbacks=[CSVLogger(path)], progress=False)
    rows = list(csv.DictReader(path.open()))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3, 4]
    assert [int(r["step"]) for r in rows] == [2, 4, 6, 8, 10]
    assert [float(r["loss"]) for r in rows] == hist["loss"]
    jf.train.fit(state, loss, None, steps=2, callbacks=[CSVLogger(path)], progress=False)
    assert len(list(csv.DictReader(path.open()))) == 1  # a fresh run starts a new log


def read_events(directory):
    """Every Event in the TFRecord event files of ``directory`` (tensorboardX's protobuf)."""
    import struct

    from tensorboardX.proto import event_pb2

    out = []
    for f in sorted(directory.glob("events.out.tfevents.*")):
        blob, i = f.read_bytes(), 0
        while i < len(blob):
            (n,) = struct.unpack("<Q", blob[i : i + 8])
            out.append(event_pb2.Event.FromString(blob[i + 12 : i + 12 + n]))
            i += 12 + n + 4
    return out


def test_tensorboard_logger_writes_scalars_and_purges_after_the_checkpoint_on_resume(tmp_path):
    pytest.importorskip("tensorboardX")
    from tensorboardX.proto import event_pb2

    state = TrainState.create(jnp.zeros(()), optax.sgd(0.1), key=jax.random.key(0))
    loss = lambda p, b, k: (jnp.sum((p - 1.0) ** 2), {})  # noqa: E731
    mgr = CheckpointManager(tmp_path / "ck")
    jf.train.fit(state, loss, None, steps=4, steps_per_call=2, checkpoint=mgr,
                 callbacks=[jf.train.TensorBoardLogger(tmp_path / "tb")], progress=False)
    jf.train.fit(state, loss, None, steps=8, steps_per_call=2, checkpoint=mgr, resume=True,
                 callbacks=[jf.train.TensorBoardLogger(tmp_path / "tb")], progress=False)
    events = read_events(tmp_path / "tb")
    scalars = [(e.step, v.tag) for e in events for v in e.summary.value]
    assert [s for s, tag in scalars if tag == "loss"] == [2, 4, 6, 8]
    start = event_pb2.SessionLog.START
    assert [e.step for e in events if e.session_log.status == start] == [5]  # purge after 4
