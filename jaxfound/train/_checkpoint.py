"""Checkpoints of training states in jaxfound's one safe file format.

The file layout, the atomic write and the checks on read live in `jaxfound._serialize`
(msgpack, never pickle; header, length and sha256 checksum verified before decoding).
"""

from __future__ import annotations

import os
from pathlib import Path

import jax
import numpy as np
from flax import serialization

from jaxfound import _serialize, errors
from jaxfound._pytree import is_key
from jaxfound.typing import PyTree

__all__ = ["save_checkpoint", "restore_checkpoint", "latest_checkpoint"]

_KIND = "CKPT"
_WRITER = "jaxfound.train.save_checkpoint"


def _unkey(tree: PyTree) -> PyTree:
    return jax.tree_util.tree_map(lambda x: jax.random.key_data(x) if is_key(x) else x, tree)


def save_checkpoint(path: str | os.PathLike, tree: PyTree) -> Path:
    """Write a pytree (e.g. a `TrainState`) to ``path``, atomically.

    The payload is the msgpack state dict of ``tree`` (``flax.serialization``; PRNG
    keys are stored as their key data), framed by `jaxfound._serialize`: a
    ``JAXFOUND-CKPT`` header, its length and a sha256 checksum. It is written to a
    temporary file in the same folder and renamed, so an existing checkpoint is
    never left half-written.

    Args:
      path: the destination file (its folder is created).
      tree: the pytree to save.

    Returns:
      ``path`` as a `pathlib.Path`.

    Examples:
      >>> import jax.numpy as jnp, tempfile, os
      >>> p = os.path.join(tempfile.mkdtemp(), "w.jxf")
      >>> _ = save_checkpoint(p, {"w": jnp.ones(2)})
      >>> restore_checkpoint(p, {"w": jnp.zeros(2)})["w"].tolist()
      [1.0, 1.0]
    """
    state = serialization.to_state_dict(_unkey(tree))
    return _serialize.write(path, _KIND, _serialize.encode(state))


def restore_checkpoint(path: str | os.PathLike, target: PyTree) -> PyTree:
    """Read a checkpoint written by `save_checkpoint` into the structure of ``target``.

    ``target`` supplies the pytree structure, dtypes and PRNG key types (e.g. a
    freshly created state).

    Args:
      path: the checkpoint file.
      target: a pytree shaped like the one that was saved.

    Returns:
      A pytree like ``target`` holding the saved values.

    Raises:
      CheckpointError: the file is missing, truncated, corrupt (checksum), not a
        jaxfound checkpoint, or its contents do not match ``target``'s structure or
        shapes (a PRNG key on one side and ``None`` on the other included), or a leaf's
        dtype cannot be cast to the target's: within a kind (float32 into float64) the
        values are cast and checked to fit; across kinds (float into int) it refuses.
    """
    source = os.fspath(path)
    state = _serialize.decode(_serialize.read(path, _KIND, writer=_WRITER), source)
    plain_target = _unkey(target)
    try:
        restored = serialization.from_state_dict(plain_target, state)
    except Exception as e:  # noqa: BLE001 - flax raises several types on mismatch
        raise errors.CheckpointError(
            f"{source} does not match the target structure: {e}. Restore into a state built "
            "the same way as the one that was saved."
        ) from e
    _same_leaves(plain_target, restored, source)
    restored = _cast_tree(plain_target, restored, source)

    def rekey(t, r):
        return jax.random.wrap_key_data(r, impl=jax.random.key_impl(t)) if is_key(t) else r

    return jax.tree_util.tree_map(rekey, target, restored)


def _is_none(x) -> bool:
    return x is None


def _same_leaves(target: PyTree, restored: PyTree, source: str) -> None:
    """Raise `CheckpointError` where the file and the target differ in leaves or shapes.

    ``None`` leaves count: a PRNG key (or any array) on one side and ``None`` on the
    other is a mismatch, named by its path.
    """
    want = dict(jax.tree_util.tree_leaves_with_path(target, is_leaf=_is_none))
    got = dict(jax.tree_util.tree_leaves_with_path(restored, is_leaf=_is_none))
    for kp in want.keys() | got.keys():
        a, b = want.get(kp), got.get(kp)
        where = jax.tree_util.keystr(kp)
        if (a is None) != (b is None):
            side = "the target" if a is None else "the file"
            raise errors.CheckpointError(
                f"{source}: leaf {where} is None in {side} but an array on the other side "
                "(e.g. a TrainState saved with key= restored into one created without, or the "
                "reverse); build the target the same way as the saved state (same key= "
                "argument)."
            )
        shape_a, shape_b = (
            np.shape(a) if a is not None else (),
            np.shape(b) if b is not None else (),
        )
        if shape_a != shape_b:
            raise errors.CheckpointError(
                f"{source}: leaf {where} has shape {shape_b} in the file "
                f"but {shape_a} in the target."
            )


def _cast_tree(target: PyTree, restored: PyTree, source: str) -> PyTree:
    """Each restored leaf in its target's dtype: a checked cast within a kind, else refused.

    Same kind (float to float, int to int): cast, refusing a value the target dtype
    cannot hold (a finite float that overflows, an integer out of range). Another kind
    (float into int, int into float…): `CheckpointError`, naming the leaf.
    """
    flat_t, _ = jax.tree_util.tree_flatten_with_path(target)
    flat_r, treedef = jax.tree_util.tree_flatten(restored)
    out = []
    for (kp, a), b in zip(flat_t, flat_r):
        out.append(_cast(a, b, jax.tree_util.keystr(kp), source))
    return jax.tree_util.tree_unflatten(treedef, out)


def _cast(a, b, where: str, source: str):
    want = np.dtype(a.dtype if hasattr(a, "dtype") else np.result_type(a))
    have = np.dtype(b.dtype if hasattr(b, "dtype") else np.result_type(b))
    if want == have:
        return b
    if want.kind != have.kind and not {want.kind, have.kind} <= {"i", "u"}:
        raise errors.CheckpointError(
            f"{source}: leaf {where} is {have} in the file but {want} in the target; build "
            f"the target with {have} leaves (the dtype of the saved state), or cast the "
            "restored tree yourself."
        )
    b = np.asarray(b)
    with np.errstate(over="ignore", invalid="ignore"):
        cast = b.astype(want)
    lossy = (
        bool((np.isfinite(b) & ~np.isfinite(cast)).any())
        if want.kind in "fc"
        else not np.array_equal(cast.astype(have), b)
    )
    if lossy:
        raise errors.CheckpointError(
            f"{source}: leaf {where} holds values that {want} (the target's dtype) cannot "
            f"represent (the file has {have}); build the target with {have} leaves."
        )
    return cast


def _step_of(path: Path) -> int:
    return int(path.stem.split("_", 1)[1])


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """The newest ``ckpt_<step>.jxf`` in ``directory``, by step as a number, or ``None``.

    Steps are compared as integers, so ``ckpt_1000000000.jxf`` is newer than
    ``ckpt_999999999.jxf``; files whose step part is not a number are ignored.

    Examples:
      >>> import tempfile, pathlib
      >>> d = pathlib.Path(tempfile.mkdtemp())
      >>> for s in ("999999999", "1000000000"): _ = (d / f"ckpt_{s}.jxf").write_bytes(b"")
      >>> latest_checkpoint(d).name
      'ckpt_1000000000.jxf'
    """
    files = [f for f in Path(directory).glob("ckpt_*.jxf") if f.stem.split("_", 1)[1].isdigit()]
    return max(files, key=_step_of) if files else None
