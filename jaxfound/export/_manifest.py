"""The JSON manifest written beside an exported program: what it takes, gives and holds.

An export at ``PATH`` is three files:

* ``PATH``: the serialised `jax.export.Exported` (StableHLO bytecode with the parameters
  inside as constants), exactly the bytes of ``Exported.serialize()``;
* ``PATH.json``: this manifest (input and output shapes and dtypes, with ``"batch"`` for the
  symbolic batch size; platforms; jax/jaxlib/jaxfound versions; sha256 of the program and
  of the parameters);
* ``PATH.mlir``: the StableHLO text, for reading only (nothing loads it).

This module imports only the standard library, NumPy, jax and `jaxfound.errors`, so the
loader that uses it runs in a process without flax or jaxfound's model code.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import jax
import numpy as np

from jaxfound import errors

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BATCH",
    "manifest_path",
    "stablehlo_path",
    "sha256",
    "params_sha256",
    "specs",
    "read_manifest",
]

#: the ``"format"`` field of every manifest
FORMAT = "jaxfound-export"
#: the manifest layout this version of jaxfound writes and reads
FORMAT_VERSION = 1
#: the name of the symbolic batch dimension, as it appears in the manifest's shapes
BATCH = "batch"

_REQUIRED = {
    "format": str,
    "format_version": int,
    "platforms": list,
    "inputs": list,
    "outputs": list,
    "program_bytes": int,
    "program_sha256": str,
    "params_sha256": str,
    "versions": dict,
}


def manifest_path(path: str | os.PathLike) -> Path:
    """The manifest beside the program at ``path``: ``PATH.json``."""
    return Path(os.fspath(path) + ".json")


def stablehlo_path(path: str | os.PathLike) -> Path:
    """The StableHLO text beside the program at ``path``: ``PATH.mlir``."""
    return Path(os.fspath(path) + ".mlir")


def sha256(blob: bytes) -> str:
    """Hex sha256 of ``blob``."""
    return hashlib.sha256(blob).hexdigest()


def params_sha256(params: Any) -> str:
    """Hex sha256 of a parameter pytree: every leaf's path, dtype, shape and bytes, in order.

    Two pytrees hash equal exactly when they have the same structure (leaf paths) and
    bit-identical leaves.

    Examples:
      >>> import numpy as np
      >>> a = params_sha256({"w": np.ones(3, np.float32)})
      >>> a == params_sha256({"w": np.ones(3, np.float32)}), a == params_sha256({"w": np.ones(3)})
      (True, False)
    """
    h = hashlib.sha256()
    for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
        arr = np.asarray(leaf)
        h.update(jax.tree_util.keystr(path).encode())
        if arr.dtype == object:  # not an array: hash what it prints as
            h.update(b"object" + repr(leaf).encode())
            continue
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def specs(avals: Any) -> list[dict[str, Any]]:
    """``[{"shape": [...], "dtype": "..."}]`` of abstract values; symbolic sizes as strings."""
    return [
        {
            "shape": [d if isinstance(d, int) else str(d) for d in a.shape],
            "dtype": np.dtype(a.dtype).name,
        }
        for a in avals
    ]


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The manifest of the export at ``path`` (the program's path), checked for its fields.

    Args:
      path: the exported program (its manifest is ``PATH.json``).

    Returns:
      The manifest as a dict.

    Raises:
      DataFormatError: the manifest is missing, is not JSON, is not a jaxfound export
        manifest, is of another format version, or lacks a field.

    Examples:
      >>> read_manifest("no/such/model.jaxexport")
      Traceback (most recent call last):
      ...
      jaxfound.errors.DataFormatError: the export manifest no/such/model.jaxexport.json ...
    """
    mpath = manifest_path(path)
    try:
        text = mpath.read_text(encoding="utf-8")
    except OSError as e:
        raise errors.DataFormatError(
            f"the export manifest {mpath} cannot be read ({e.strerror or e}); `load` needs "
            "the program and the PATH.json that `jaxfound.export.save` wrote beside it: copy "
            "both, or export again."
        ) from e
    try:
        manifest = json.loads(text)
    except ValueError as e:
        raise errors.DataFormatError(
            f"the export manifest {mpath} is not valid JSON ({e}); it was truncated or "
            "edited: copy it again from where it was exported, or export again."
        ) from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise errors.DataFormatError(
            f"{mpath} is not a jaxfound export manifest (no \"format\": \"{FORMAT}\"); pass "
            "the path of a program written by `jaxfound.export.save`."
        )
    if manifest.get("format_version") != FORMAT_VERSION:
        raise errors.DataFormatError(
            f"{mpath} has format_version {manifest.get('format_version')!r}, but this jaxfound "
            f"reads version {FORMAT_VERSION}; load it with the jaxfound that wrote it "
            f"({manifest.get('versions', {}).get('jaxfound', '?')}), or export again."
        )
    for key, kind in _REQUIRED.items():
        if not isinstance(manifest.get(key), kind):
            raise errors.DataFormatError(
                f"{mpath} lacks the field {key!r} (a {kind.__name__}) or has a wrong value "
                "there; the manifest was edited or damaged: export again."
            )
    return manifest
