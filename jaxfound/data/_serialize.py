"""Save and load fitted transform states in jaxfound's one safe file format.

A state is a pytree of tuples, lists, dicts, ``None`` and the state NamedTuples of
`jaxfound.data` (others can be added with `register_state`). Its structure is
written as JSON next to the arrays, so `load_state` needs no template: rebuild the
transform in code, load its state, apply it to new data. The file layout, the
atomic write and the checks on read are those of checkpoints (`jaxfound._serialize`:
a ``JAXFOUND-STATE`` header, a sha256 checksum, a msgpack payload; never pickle).
"""

from __future__ import annotations

import json
import os

import numpy as np

from jaxfound import _serialize, errors
from jaxfound.typing import PyTree

__all__ = ["save_state", "load_state", "state_to_bytes", "state_from_bytes", "register_state"]

_REGISTRY: dict[str, type] = {}
_KIND = "STATE"
_WRITER = "jaxfound.data.save_state"


def register_state(cls: type) -> type:
    """Allow NamedTuple class ``cls`` in saved states (usable as a decorator)."""
    if not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
        raise errors.ValidationError(f"{cls.__name__} is not a NamedTuple class.")
    _REGISTRY[cls.__name__] = cls
    return cls


def _encode(node, leaves: list):
    if node is None:
        return {"t": "none"}
    if isinstance(node, tuple) and hasattr(node, "_fields"):
        name = type(node).__name__
        if _REGISTRY.get(name) is not type(node):
            raise errors.CheckpointError(
                f"cannot save a {name}: register it first with jaxfound.data.register_state."
            )
        return {"t": name, "c": [_encode(c, leaves) for c in node]}
    if isinstance(node, (tuple, list)):
        return {"t": type(node).__name__, "c": [_encode(c, leaves) for c in node]}
    if isinstance(node, dict):
        keys = list(node)
        if not all(isinstance(k, str) for k in keys):
            raise errors.CheckpointError("only dicts with string keys can be saved.")
        return {"t": "dict", "k": keys, "c": [_encode(node[k], leaves) for k in keys]}
    a = np.asarray(node)
    if a.dtype.kind in "US":
        return {"t": "text", "v": a.astype(str).tolist(), "s": list(a.shape)}
    if a.dtype.kind not in "biufc":
        raise errors.CheckpointError(f"cannot save a leaf of dtype {a.dtype} without pickle.")
    leaves.append(a)
    return {"t": "leaf", "i": len(leaves) - 1}


def _decode(spec, leaves):
    t = spec["t"]
    if t == "none":
        return None
    if t == "leaf":
        return leaves[spec["i"]]
    if t == "text":
        return np.array(spec["v"], dtype=str).reshape(spec["s"])
    if t == "dict":
        return {k: _decode(c, leaves) for k, c in zip(spec["k"], spec["c"])}
    children = [_decode(c, leaves) for c in spec["c"]]
    if t == "tuple":
        return tuple(children)
    if t == "list":
        return children
    if t not in _REGISTRY:
        raise errors.CheckpointError(
            f"the file holds a {t} state that this program does not know; import the module "
            "that defines it (and register_state it) before loading."
        )
    return _REGISTRY[t](*children)


def _split(state) -> tuple[str, list[np.ndarray]]:
    leaves: list[np.ndarray] = []
    return json.dumps(_encode(state, leaves)), leaves


def _payload(state) -> bytes:
    structure, leaves = _split(state)
    return _serialize.encode(
        {"structure": structure, "leaves": {str(i): a for i, a in enumerate(leaves)}}
    )


def _from_payload(payload: bytes, source: str):
    raw = _serialize.decode(payload, source)
    try:
        leaves = [np.asarray(raw["leaves"][str(i)]) for i in range(len(raw["leaves"]))]
        return _decode(json.loads(raw["structure"]), leaves)
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise errors.CheckpointError(
            f"{source} does not describe a saved state ({type(e).__name__}: {e}); "
            "re-save it with jaxfound.data.save_state."
        ) from e


def state_to_bytes(state: PyTree) -> bytes:
    """Serialise a fitted state to bytes: the same bytes `save_state` writes.

    Args:
      state: a fitted state (see the module docstring for what it may hold).

    Returns:
      The framed, checksummed msgpack bytes (no pickle).

    Raises:
      CheckpointError: a NamedTuple class is not registered, a dict has non-string
        keys, or a leaf cannot be stored without pickle (an object array).

    Examples:
      >>> import numpy as np
      >>> state_from_bytes(state_to_bytes({"w": np.ones(2)}))["w"].tolist()
      [1.0, 1.0]
    """
    return _serialize.pack(_KIND, _payload(state))


def state_from_bytes(data: bytes):
    """Inverse of `state_to_bytes`: leaves come back as NumPy arrays.

    Raises:
      CheckpointError: the bytes are truncated, altered (checksum) or not a saved state.
    """
    return _from_payload(_serialize.unpack(data, _KIND, "the bytes", writer=_WRITER), "the bytes")


def save_state(path: str | os.PathLike, state: PyTree) -> None:
    """Save a fitted state (e.g. a pipeline's) to ``path``, atomically.

    The file name is free (``prep.jxf``, ``scaler.state``…): every file holds the same
    format, the bytes of `state_to_bytes`, written to a temporary file and renamed, so
    an existing file survives a failed write.

    Args:
      path: the destination file (its folder is created).
      state: the fitted state.

    Raises:
      CheckpointError: the state holds something that cannot be saved without pickle.

    Examples:
      >>> import numpy as np, tempfile, os
      >>> from jaxfound.data import standardize
      >>> t = standardize(); s = t.fit(np.array([[1.0], [3.0]]))
      >>> p = os.path.join(tempfile.mkdtemp(), "scaler.jxf")
      >>> save_state(p, s)
      >>> t.transform(load_state(p), np.array([[5.0]])).tolist()
      [[3.0]]
    """
    _serialize.write(path, _KIND, _payload(state))


def load_state(path: str | os.PathLike):
    """Load a state written by `save_state` (no template needed; never unpickles).

    Raises:
      CheckpointError: the file is missing, truncated, corrupt (checksum), foreign
        (e.g. a plain ``.npz`` or a pickle) or not a saved state.
    """
    return _from_payload(_serialize.read(path, _KIND, writer=_WRITER), os.fspath(path))
