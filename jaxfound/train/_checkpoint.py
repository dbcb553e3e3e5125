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
from jaxfound.typing import PyTree

__all__ = ["save_checkpoint", "restore_checkpoint", "latest_checkpoint"]

_KIND = "CKPT"
_WRITER = "jaxfound.train.save_checkpoint"


def _is_key(x) -> bool:
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _unkey(tree: PyTree) -> PyTree:
    return jax.tree_util.tree_map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


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
        shapes.
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
    for (kp, a), b in zip(
        jax.tree_util.tree_leaves_with_path(plain_target), jax.tree_util.tree_leaves(restored)
    ):
        if np.shape(a) != np.shape(b):
            raise errors.CheckpointError(
                f"{source}: leaf {jax.tree_util.keystr(kp)} has shape {np.shape(b)} in the file "
                f"but {np.shape(a)} in the target."
            )

    def rekey(t, r):
        return jax.random.wrap_key_data(r, impl=jax.random.key_impl(t)) if _is_key(t) else r

    return jax.tree_util.tree_map(rekey, target, restored)


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """The newest ``ckpt_*.jxf`` in ``directory`` (by step in the name), or ``None``."""
    files = sorted(Path(directory).glob("ckpt_*.jxf"))
    return files[-1] if files else None
