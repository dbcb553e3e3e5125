"""The one file format of checkpoints and saved data states: round trips, refusals, atomicity."""

from __future__ import annotations

import os
import pickle

import jax
import jax.numpy as jnp
import msgpack
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import _serialize, errors
from jaxfound.data import load_state, save_state, standardize, state_from_bytes, state_to_bytes
from jaxfound.train import TrainState, restore_checkpoint, save_checkpoint


def _state(seed=0):
    params = jf.models.MLP((4, 2)).init(jax.random.key(seed), jnp.ones((1, 3)))
    return TrainState.create(params, optax.adam(1e-3), key=jax.random.key(seed))


def _data_state():
    return (standardize().fit(np.arange(6.0).reshape(3, 2)), {"names": np.array(["a", "b"])})


# both public writers, as (save, load) pairs
def _ckpt_io():
    return lambda p: save_checkpoint(p, _state(1)), lambda p: restore_checkpoint(p, _state(2))


def _state_io():
    return lambda p: save_state(p, _data_state()), load_state


IO = pytest.mark.parametrize("io", [_ckpt_io, _state_io], ids=["checkpoint", "data-state"])


def _flat(tree):
    tree = jax.tree_util.tree_map(
        lambda x: jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x,
        tree,
    )
    return [np.asarray(v) for v in jax.tree_util.tree_leaves(tree)]


def test_pack_unpack_round_trip_and_layout():
    blob = _serialize.pack("TEST", b"payload")
    assert blob.startswith(b"JAXFOUND-TEST-2\n")
    assert len(blob) == len(b"JAXFOUND-TEST-2\n") + 8 + 32 + len(b"payload")
    assert _serialize.unpack(blob, "TEST", "x", writer="w") == b"payload"
    tree = {"a": np.arange(3, dtype=np.int16), "b": [1.5, "text"]}
    back = _serialize.decode(_serialize.encode(tree), "x")
    assert back["a"].dtype == np.int16 and back["a"].tolist() == [0, 1, 2]
    assert back["b"] == [1.5, "text"]


def test_checkpoint_round_trip_is_exact(tmp_path):
    save_checkpoint(tmp_path / "c.jxf", _state(1))
    back = restore_checkpoint(tmp_path / "c.jxf", _state(2))
    assert all(np.array_equal(a, b) for a, b in zip(_flat(back), _flat(_state(1))))
    assert (tmp_path / "c.jxf").read_bytes().startswith(b"JAXFOUND-CKPT-2\n")


def test_data_state_round_trip_is_exact(tmp_path):
    save_state(tmp_path / "s.jxf", _data_state())
    back = load_state(tmp_path / "s.jxf")
    np.testing.assert_array_equal(back[0].mean, [2.0, 3.0])
    assert back[1]["names"].tolist() == ["a", "b"]


@IO
def test_truncated_file_is_refused(tmp_path, io):
    save, load = io()
    p = tmp_path / "f"
    save(p)
    blob = p.read_bytes()
    p.write_bytes(blob[:-10])
    with pytest.raises(errors.CheckpointError, match="truncated"):
        load(p)
    p.write_bytes(blob[:20])  # cut inside the header
    with pytest.raises(errors.CheckpointError, match="truncated"):
        load(p)


@IO
def test_flipped_byte_is_refused(tmp_path, io):
    save, load = io()
    p = tmp_path / "f"
    save(p)
    blob = bytearray(p.read_bytes())
    blob[-3] ^= 0x01  # one bit, inside the payload
    p.write_bytes(bytes(blob))
    with pytest.raises(errors.CheckpointError, match="checksum"):
        load(p)


@IO
def test_foreign_files_are_refused_with_what_they_are(tmp_path, io):
    _, load = io()
    p = tmp_path / "f"
    p.write_bytes(b"hello, not ours")
    with pytest.raises(errors.CheckpointError, match="bad header"):
        load(p)
    p.write_bytes(pickle.dumps({"w": np.ones(2)}))
    with pytest.raises(errors.CheckpointError, match="pickle"):
        load(p)
    with pytest.raises(errors.CheckpointError, match="cannot read"):
        load(tmp_path / "absent")


@IO
def test_an_npz_that_would_need_pickle_is_refused_without_unpickling(tmp_path, io, monkeypatch):
    _, load = io()
    p = tmp_path / "obj.npz"
    with open(p, "wb") as f:
        np.savez(f, o=np.array([{"a": 1}], dtype=object))  # stored as a pickle inside the zip

    def no_unpickle(*a, **k):
        raise AssertionError("pickle.loads was called")

    monkeypatch.setattr(pickle, "loads", no_unpickle)
    monkeypatch.setattr(pickle, "load", no_unpickle)
    with pytest.raises(errors.CheckpointError, match=r"zip archive \(e.g. a NumPy .npz\)"):
        load(p)


def test_a_checksummed_payload_asking_for_an_object_array_is_refused(tmp_path):
    # a well-framed file whose msgpack claims an object-dtype array: NumPy refuses to build
    # it from a buffer, so nothing can ever be unpickled from a payload
    arr = msgpack.packb(((1,), "object", b"\x00" * 8), use_bin_type=True)
    payload = msgpack.packb({"structure": '{"t": "leaf", "i": 0}',
                             "leaves": {"0": msgpack.ExtType(1, arr)}}, use_bin_type=True)
    p = tmp_path / "evil.jxf"
    p.write_bytes(_serialize.pack("STATE", payload))
    with pytest.raises(errors.CheckpointError, match="cannot be decoded"):
        load_state(p)


def test_state_and_checkpoint_files_are_not_interchangeable(tmp_path):
    save_state(tmp_path / "s", _data_state())
    with pytest.raises(errors.CheckpointError, match="JAXFOUND-CKPT-2"):
        restore_checkpoint(tmp_path / "s", _state())
    save_checkpoint(tmp_path / "c", _state())
    with pytest.raises(errors.CheckpointError, match="another kind"):
        load_state(tmp_path / "c")


def test_older_format_version_is_refused(tmp_path):
    p = tmp_path / "old.jxf"
    p.write_bytes(b"JAXFOUND-CKPT-1\n" + b"\x00" * 64)  # the pre-unification layout
    with pytest.raises(errors.CheckpointError, match="format version"):
        restore_checkpoint(p, _state())


def test_trailing_bytes_are_refused():
    blob = state_to_bytes({"w": np.ones(2)})
    with pytest.raises(errors.CheckpointError, match="unexpected bytes"):
        state_from_bytes(blob + b"\x00")


@IO
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, io, monkeypatch):
    save, load = io()
    p = tmp_path / "f"
    save(p)
    before = p.read_bytes()

    def half_then_fail(f, blob):
        f.write(blob[: len(blob) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(_serialize, "_write_all", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save(p)
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["f"]
    monkeypatch.undo()
    load(p)  # still a valid file


def test_a_failed_rename_leaves_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "s.jxf"
    save_state(p, {"w": np.ones(2)})

    def fail(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(_serialize.os, "replace", fail)
    with pytest.raises(OSError, match="rename failed"):
        save_state(p, {"w": np.zeros(2)})
    monkeypatch.undo()
    assert load_state(p)["w"].tolist() == [1.0, 1.0]
    assert [x.name for x in tmp_path.iterdir()] == ["s.jxf"]


def test_write_removes_orphans_of_dead_writers_only(tmp_path):
    import subprocess
    import sys

    from jaxfound import _serialize

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)  # that process has exited
    orphan = tmp_path / f".ckpt_1.jxf.{dead_pid}.abc123.tmp"
    live = tmp_path / f".ckpt_2.jxf.{os.getpid()}.def456.tmp"  # this process: kept
    other = tmp_path / ".notes.tmp"  # not ours: kept
    for f in (orphan, live, other):
        f.write_bytes(b"x" * 10)
    _serialize.write(tmp_path / "ckpt_3.jxf", "CKPT", b"payload")
    assert not orphan.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "ckpt_3.jxf"
    ]


def test_write_fsyncs_the_folder_after_the_rename(tmp_path, monkeypatch):
    from jaxfound import _serialize

    calls = []
    real_replace, real_fsync_dir = os.replace, _serialize._fsync_dir
    monkeypatch.setattr(_serialize.os, "replace", lambda a, b: (calls.append("replace"),
                                                                real_replace(a, b)))
    monkeypatch.setattr(_serialize, "_fsync_dir", lambda d: (calls.append(("fsync", d)),
                                                             real_fsync_dir(d)))
    _serialize.write(tmp_path / "f.jxf", "CKPT", b"abc")
    assert calls == ["replace", ("fsync", tmp_path)]
