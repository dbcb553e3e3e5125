"""The one file format jaxfound writes: a header, a checksum and a msgpack payload.

Checkpoints (`jaxfound.train.save_checkpoint`) and fitted data states
(`jaxfound.data.save_state`) are both stored as

    b"JAXFOUND-<KIND>-2\\n"        a format header naming what the file holds
    length                         8 bytes, little-endian: the payload size
    sha256(length + payload)       32 bytes
    payload                        msgpack (``flax.serialization``): no pickle, ever

and written atomically: to a temporary file in the same folder, flushed to disk,
then renamed over the destination with ``os.replace`` and the folder fsynced (so
the rename itself survives a power loss), so a crash or a failed write leaves any
previous file untouched. A temporary file is named ``.<name>.<pid>.<random>.tmp``;
one left behind by a killed writer (a process no longer running) is removed by the
next write into that folder. Reading verifies the header, the
length and the checksum before the payload is decoded, and the msgpack decoder
only builds dicts, lists, numbers, strings and plain-dtype NumPy arrays; a
truncated, altered or foreign file (a zip/``.npz``, a pickle…) raises
`jaxfound.errors.CheckpointError` saying what the file is and what to do.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

from jaxfound import errors

__all__ = [
    "VERSION",
    "header",
    "pack",
    "unpack",
    "write",
    "write_bytes",
    "remove_orphans",
    "read",
    "encode",
    "decode",
]

VERSION = 2
_PREFIX = b"JAXFOUND-"
_LEN = struct.Struct("<Q")
_DIGEST = 32

# what a foreign file most likely is, from its first bytes
_FOREIGN = (
    (b"PK\x03\x04", "a zip archive (e.g. a NumPy .npz)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x80", "a Python pickle (jaxfound never unpickles)"),
    (b"\x89HDF", "an HDF5 file"),
)


def header(kind: str) -> bytes:
    """The first line of a file holding ``kind`` (``"CKPT"``, ``"STATE"``)."""
    return _PREFIX + kind.encode("ascii") + b"-" + str(VERSION).encode("ascii") + b"\n"


def _digest(length: bytes, payload: bytes) -> bytes:
    return hashlib.sha256(length + payload).digest()


def pack(kind: str, payload: bytes) -> bytes:
    """Frame ``payload`` as a ``kind`` file: header, length, checksum, payload."""
    length = _LEN.pack(len(payload))
    return header(kind) + length + _digest(length, payload) + payload


def _what_is(blob: bytes) -> str:
    for magic, what in _FOREIGN:
        if blob.startswith(magic):
            return what
    return "not a file written by jaxfound"


def unpack(blob: bytes, kind: str, source: str, *, writer: str) -> bytes:
    """The payload of a ``kind`` file, after checking its header, length and checksum.

    Args:
      blob: the whole file.
      kind: the kind the caller expects.
      source: how to name the file in messages (its path).
      writer: the public function that writes such files (named in messages).

    Raises:
      CheckpointError: the file is foreign, of another kind or version, truncated,
        or altered (checksum mismatch).
    """
    want = header(kind)
    if not blob.startswith(_PREFIX):
        raise errors.CheckpointError(
            f"{source} is {_what_is(blob)}, not a file written by `{writer}` (bad header); "
            f"load it with the tool that wrote it, or re-save the data with `{writer}`."
        )
    line = blob.split(b"\n", 1)[0] + b"\n"
    if line != want:
        raise errors.CheckpointError(
            f"{source} has the header {line.strip().decode('ascii', 'replace')!r} but "
            f"{want.strip().decode('ascii')!r} was expected: it holds another kind of "
            f"jaxfound file or another format version; re-save it with `{writer}`."
        )
    head = len(want) + _LEN.size + _DIGEST
    if len(blob) < head:
        raise errors.CheckpointError(
            f"{source} is truncated ({len(blob)} bytes, shorter than its {head}-byte header); "
            "the write was interrupted: use an earlier copy."
        )
    length = blob[len(want) : len(want) + _LEN.size]
    digest = blob[len(want) + _LEN.size : head]
    payload = blob[head:]
    (n,) = _LEN.unpack(length)
    if len(payload) < n:
        raise errors.CheckpointError(
            f"{source} is truncated: {len(payload)} of {n} payload bytes; use an earlier copy."
        )
    if len(payload) > n:
        raise errors.CheckpointError(
            f"{source} has {len(payload) - n} unexpected bytes after its {n}-byte payload "
            "(altered or concatenated); use an earlier copy."
        )
    if _digest(length, payload) != digest:
        raise errors.CheckpointError(
            f"{source} is corrupt (checksum mismatch): its bytes were altered after it was "
            "written; use an earlier copy."
        )
    return payload


def _write_all(f, blob: bytes) -> None:
    """Write ``blob`` to the open file ``f`` (a seam for tests of failed writes)."""
    f.write(blob)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a permission error counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_orphans(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writers left in ``folder``; return them.

    A temporary file of `write` is ``.<name>.<pid>.<random>.tmp``; it is an orphan
    when process ``<pid>`` no longer runs (a writer killed between creating and
    renaming it). Files of running writers, this process's included, are kept.
    """
    removed = []
    for f in Path(folder).glob(".*.tmp"):
        parts = f.name[:-4].rsplit(".", 2)  # [".<name>", "<pid>", "<random>"]
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            f.unlink()
            removed.append(f)
        except FileNotFoundError:  # another writer removed it first
            pass
    return removed


def _fsync_dir(folder: Path) -> None:
    """fsync a folder so a rename in it is on disk (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write(path: str | os.PathLike, kind: str, payload: bytes) -> Path:
    """Atomically write ``payload`` as a ``kind`` file at ``path`` (see `write_bytes`)."""
    return write_bytes(path, pack(kind, payload))


def write_bytes(path: str | os.PathLike, blob: bytes) -> Path:
    """Atomically write ``blob`` to ``path`` as it is (folders are created).

    The bytes go to a temporary file ``.<name>.<pid>.<random>.tmp`` in the destination
    folder, are flushed and fsynced, the temporary file is renamed over ``path`` with
    ``os.replace`` and the folder is fsynced; if anything fails the temporary file is
    removed and an existing ``path`` is left as it was. Orphaned temporary files of
    killed writers in the folder are removed first (`remove_orphans`). `write` frames a
    payload first; `jaxfound.export.save` writes its files through this directly.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(path.parent)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as f:
            _write_all(f, blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def read(path: str | os.PathLike, kind: str, *, writer: str) -> bytes:
    """The verified payload of the ``kind`` file at ``path`` (see `unpack`).

    Raises:
      CheckpointError: the file cannot be read, or `unpack` refuses it.
    """
    try:
        blob = Path(path).read_bytes()
    except OSError as e:
        raise errors.CheckpointError(
            f"cannot read {os.fspath(path)}: {e}; check the path (for checkpoints, "
            f"jaxfound.train.latest_checkpoint(folder) finds the newest), or write the file "
            f"first with `{writer}`."
        ) from e
    return unpack(blob, kind, os.fspath(path), writer=writer)


def encode(tree: Any) -> bytes:
    """msgpack bytes of a tree of dicts, lists, numbers, strings and arrays.

    Raises:
      CheckpointError: a leaf (an object or structured array) cannot be stored
        without pickle.
    """
    from flax import serialization  # imported here: reading exports must not need flax

    try:
        return serialization.msgpack_serialize(tree)
    except (ValueError, TypeError) as e:
        raise errors.CheckpointError(
            f"cannot serialise this tree without pickle: {e}; store numeric or string "
            "arrays only."
        ) from e


def decode(payload: bytes, source: str) -> Any:
    """Inverse of `encode`; arrays come back as (read-only) NumPy arrays.

    Raises:
      CheckpointError: the payload is not valid msgpack, or describes an array
        that cannot be built without pickle (an object dtype).
    """
    from flax import serialization

    try:
        return serialization.msgpack_restore(payload)
    except Exception as e:  # noqa: BLE001 - msgpack and NumPy raise many types
        raise errors.CheckpointError(
            f"{source}: the payload cannot be decoded ({type(e).__name__}: {e}); "
            "the file was not written by jaxfound or is damaged."
        ) from e
