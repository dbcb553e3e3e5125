"""Save and load fitted transform states without pickle (``.npz`` or flax msgpack).

A state is a pytree of tuples, lists, dicts, ``None`` and the state NamedTuples of
`jaxfound.data` (others can be added with `register_state`). Its structure is
written as JSON next to the arrays, so `load_state` needs no template: rebuild the
transform in code, load its state, apply it to new data.
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import flax.serialization
import numpy as np

from jaxfound import errors

__all__ = ["save_state", "load_state", "state_to_bytes", "state_from_bytes", "register_state"]

_REGISTRY: dict[str, type] = {}
_STRUCT = "__structure__"


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


def state_to_bytes(state) -> bytes:
    """Serialise a fitted state to msgpack bytes (``flax.serialization``), no pickle."""
    structure, leaves = _split(state)
    return flax.serialization.msgpack_serialize(
        {"structure": structure, "leaves": {str(i): a for i, a in enumerate(leaves)}}
    )


def state_from_bytes(data: bytes):
    """Inverse of `state_to_bytes`: leaves come back as NumPy arrays."""
    try:
        raw = flax.serialization.msgpack_restore(data)
        leaves = [np.asarray(raw["leaves"][str(i)]) for i in range(len(raw["leaves"]))]
        return _decode(json.loads(raw["structure"]), leaves)
    except (ValueError, KeyError, TypeError) as e:
        raise errors.CheckpointError(f"not a saved jaxfound state: {e}") from e


def save_state(path: str | os.PathLike, state) -> None:
    """Save a fitted state (e.g. a pipeline's) to ``.npz`` or, for ``.msgpack``, msgpack.

    Examples:
      >>> import numpy as np, tempfile, os
      >>> from jaxfound.data import standardize
      >>> t = standardize(); s = t.fit(np.array([[1.0], [3.0]]))
      >>> p = os.path.join(tempfile.mkdtemp(), "scaler.npz")
      >>> save_state(p, s)
      >>> t.transform(load_state(p), np.array([[5.0]])).tolist()
      [[3.0]]
    """
    path = os.fspath(path)
    if path.endswith(".msgpack"):
        with open(path, "wb") as f:
            f.write(state_to_bytes(state))
        return
    structure, leaves = _split(state)
    arrays = {f"leaf_{i}": a for i, a in enumerate(leaves)}
    arrays[_STRUCT] = np.array(structure)
    with open(path, "wb") as f:  # np.savez would append ".npz" to other names
        np.savez(f, **arrays)


def load_state(path: str | os.PathLike):
    """Load a state written by `save_state` (``.npz`` never unpickles).

    Raises:
      CheckpointError: the file is missing, corrupt, or not a saved state.
    """
    path = os.fspath(path)
    try:
        if path.endswith(".msgpack"):
            with open(path, "rb") as f:
                return state_from_bytes(f.read())
        with open(path, "rb") as f:
            buf = io.BytesIO(f.read())
        with np.load(buf, allow_pickle=False) as z:
            structure = str(z[_STRUCT])
            n = sum(1 for k in z.files if k.startswith("leaf_"))
            leaves = [z[f"leaf_{i}"] for i in range(n)]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as e:
        raise errors.CheckpointError(f"could not load a state from {path!r}: {e}") from e
    return _decode(json.loads(structure), leaves)
