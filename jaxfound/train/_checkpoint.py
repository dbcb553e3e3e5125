"""Safe checkpoints: msgpack (no pickle), checksummed, written atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import jax
import numpy as np
from flax import serialization

from jaxfound import errors
from jaxfound.typing import PyTree

__all__ = ["save_checkpoint", "restore_checkpoint", "latest_checkpoint"]

_MAGIC = b"JAXFOUND-CKPT-1\n"


def _is_key(x) -> bool:
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _unkey(tree: PyTree) -> PyTree:
    return jax.tree_util.tree_map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def save_checkpoint(path: str | os.PathLike, tree: PyTree) -> Path:
    """Write a pytree (e.g. a `TrainState`) to ``path``.

    The file is ``MAGIC + sha256(payload) + payload`` where the payload is
    ``flax.serialization.to_bytes`` (msgpack: no code is ever unpickled). It is
    written to a temporary file in the same folder and renamed, so an existing
    checkpoint is never left half-written.

    Examples:
      >>> import jax.numpy as jnp, tempfile, os
      >>> p = os.path.join(tempfile.mkdtemp(), "w.jxf")
      >>> _ = save_checkpoint(p, {"w": jnp.ones(2)})
      >>> restore_checkpoint(p, {"w": jnp.zeros(2)})["w"].tolist()
      [1.0, 1.0]
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = serialization.to_bytes(_unkey(tree))
    blob = _MAGIC + hashlib.sha256(payload).digest() + payload
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def restore_checkpoint(path: str | os.PathLike, target: PyTree) -> PyTree:
    """Read a checkpoint written by `save_checkpoint` into the structure of ``target``.

    ``target`` supplies the pytree structure, dtypes and PRNG key types (e.g. a
    freshly created state).

    Raises:
      CheckpointError: the file is missing, corrupt (checksum), or its contents do
        not match ``target``'s structure or shapes.
    """
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise errors.CheckpointError(f"cannot read checkpoint {path}: {e}") from e
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 32:
        raise errors.CheckpointError(f"{path} is not a jaxfound checkpoint (bad header).")
    digest, payload = blob[len(_MAGIC) : len(_MAGIC) + 32], blob[len(_MAGIC) + 32 :]
    if hashlib.sha256(payload).digest() != digest:
        raise errors.CheckpointError(
            f"{path} is corrupt (checksum mismatch); restore an earlier checkpoint."
        )
    plain_target = _unkey(target)
    try:
        restored = serialization.from_bytes(plain_target, payload)
    except Exception as e:  # noqa: BLE001 - flax raises several types on mismatch
        raise errors.CheckpointError(
            f"{path} does not match the target structure: {e}. Restore into a state built "
            "the same way as the one that was saved."
        ) from e
    for (kp, a), b in zip(
        jax.tree_util.tree_leaves_with_path(plain_target), jax.tree_util.tree_leaves(restored)
    ):
        if np.shape(a) != np.shape(b):
            raise errors.CheckpointError(
                f"{path}: leaf {jax.tree_util.keystr(kp)} has shape {np.shape(b)} in the file "
                f"but {np.shape(a)} in the target."
            )

    def rekey(t, r):
        return jax.random.wrap_key_data(r, impl=jax.random.key_impl(t)) if _is_key(t) else r

    return jax.tree_util.tree_map(rekey, target, restored)


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """The newest ``ckpt_*.jxf`` in ``directory`` (by step in the name), or ``None``."""
    files = sorted(Path(directory).glob("ckpt_*.jxf"))
    return files[-1] if files else None
