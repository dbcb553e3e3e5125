"""Load an exported program and call it, with the manifest's checks at the boundary.

Imports only the standard library, NumPy, jax and `jaxfound.errors` (through
`jaxfound.export._manifest`): a deployment process that loads an export never imports flax
or jaxfound's model code (tested in a fresh subprocess).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np

from jaxfound import errors
from jaxfound.export._manifest import read_manifest, sha256, specs

__all__ = ["ExportedModel", "load"]


@dataclasses.dataclass(frozen=True)
class ExportedModel:
    """A loaded export: call it on arrays shaped as its manifest says.

    ``model(*inputs)`` checks each input's rank, sizes and dtype against ``manifest["inputs"]``
    (in Python, before anything runs), then runs the compiled program (one compilation per
    batch size) and returns JAX arrays in the structure the exported function returned.

    Attributes:
      manifest: the manifest (`jaxfound.export.read_manifest`).
      exported: the deserialised `jax.export.Exported`.
      path: the program's path.
    """

    manifest: dict[str, Any]
    exported: jax.export.Exported
    path: Path
    _call: Callable[..., Any] = dataclasses.field(repr=False, compare=False)

    def __call__(self, *inputs: Any) -> Any:
        """Run the program on ``inputs`` (see the class docstring).

        Raises:
          ValidationError: the number of inputs differs from the program's.
          ShapeError: an input's rank or a fixed size differs, or the inputs' batch sizes
            differ.
          EmptyDataError: the batch is empty.
          DTypeError: an input's dtype differs (no silent casts).
        """
        want = self.manifest["inputs"]
        if len(inputs) != len(want):
            raise errors.ValidationError(
                f"the exported program {self.path.name} takes {len(want)} input(s), got "
                f"{len(inputs)}; pass {_describe(want)}."
            )
        arrays = [_check_input(x, spec, i, len(want)) for i, (x, spec) in enumerate(
            zip(inputs, want))]
        _check_batch(arrays, want)
        return self._call(*arrays)


def load(path: str | os.PathLike) -> ExportedModel:
    """Load the program that `jaxfound.export.save` wrote at ``path``, checking it first.

    Before anything is deserialised: the manifest ``PATH.json`` is read and checked, the
    platform this process runs on (``jax.export.default_export_platform()``) must be among
    the program's, and the program's size and sha256 must equal the manifest's, so a
    truncated or altered file is refused instead of being handed to the deserialiser. The
    deserialised program must then take and give what the manifest says.

    Args:
      path: the exported program.

    Returns:
      An `ExportedModel`: ``load(path)(x)`` runs it.

    Raises:
      DataFormatError: the manifest or the program is missing, truncated, altered, not a
        jaxfound export, or they do not describe each other.
      PlatformError: the program was not exported for this machine's platform.

    Examples:
      >>> import tempfile, numpy as np
      >>> from jaxfound.export import save
      >>> path = save(tempfile.mkdtemp() + "/double.jaxexport", lambda p, x: p * x,
      ...             np.float32(2.0), np.zeros((1, 3), np.float32))
      >>> model = load(path)
      >>> model(np.ones((2, 3), np.float32)).tolist()
      [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """
    path = Path(path)
    manifest = read_manifest(path)
    here = jax.export.default_export_platform()
    if here not in manifest["platforms"]:
        raise errors.PlatformError(
            f"{path} was exported for {manifest['platforms']} but this process runs on "
            f"{here!r}; export again with platforms=(..., {here!r}) (lowering needs no such "
            "device), or run where one of its platforms is the default (e.g. "
            "JAX_PLATFORMS=cpu when 'cpu' is among them)."
        )
    try:
        program = path.read_bytes()
    except OSError as e:
        raise errors.DataFormatError(
            f"the exported program {path} cannot be read ({e.strerror or e}); copy it again "
            "or export again."
        ) from e
    size = manifest["program_bytes"]
    if len(program) != size or sha256(program) != manifest["program_sha256"]:
        what = (f"truncated ({len(program)} of {size} bytes)" if len(program) < size else
                "altered (its size or sha256 differs from the manifest's)")
        raise errors.DataFormatError(
            f"the exported program {path} is {what}: the copy is damaged or belongs to "
            "another manifest; copy both files again from where they were exported, or "
            "export again."
        )
    try:
        exported = jax.export.deserialize(bytearray(program))
    except Exception as e:  # noqa: BLE001 - the deserialiser raises many types
        v = manifest["versions"]
        raise errors.DataFormatError(
            f"{path} cannot be deserialised by jax {jax.__version__} ({type(e).__name__}: "
            f"{e}); it was written with jax {v.get('jax', '?')}: load it with a jax that "
            "reads that version, or export again."
        ) from e
    actual = {"inputs": specs(exported.in_avals), "outputs": specs(exported.out_avals),
              "platforms": list(exported.platforms)}
    for key, value in actual.items():
        if manifest[key] != value:
            raise errors.DataFormatError(
                f"the manifest of {path} says {key}={manifest[key]} but the program has "
                f"{value}; the manifest was edited or belongs to another program: export "
                "again."
            )
    return ExportedModel(manifest, exported, path, jax.jit(exported.call))


def _describe(want: list[dict[str, Any]]) -> str:
    return ", ".join(f"{s['dtype']}[{', '.join(map(str, s['shape']))}]" for s in want)


def _check_input(x: Any, spec: dict[str, Any], i: int, n: int) -> Any:
    name = "the input" if n == 1 else f"input {i}"
    if not isinstance(x, (jax.Array, np.ndarray)):
        x = np.asarray(x)
    shape, dtype = spec["shape"], np.dtype(spec["dtype"])
    wanted = f"({', '.join(map(str, shape))})"
    if x.ndim != len(shape) or any(
        isinstance(w, int) and w != d for w, d in zip(shape, x.shape)
    ):
        raise errors.ShapeError(
            f"{name} has shape {tuple(x.shape)} but the exported program takes {wanted} "
            "(a name stands for any size); reshape it to that."
        )
    if np.dtype(x.dtype) != dtype:
        raise errors.DTypeError(
            f"{name} has dtype {np.dtype(x.dtype).name} but the exported program takes "
            f"{dtype.name}; cast it first (e.g. x.astype(np.{dtype.name}))."
        )
    return x


def _check_batch(arrays: list[Any], want: list[dict[str, Any]]) -> None:
    sizes: dict[str, list[tuple[int, int]]] = {}
    for i, (x, spec) in enumerate(zip(arrays, want)):
        for d, w in zip(x.shape, spec["shape"]):
            if isinstance(w, str):
                sizes.setdefault(w, []).append((i, d))
    for dim, seen in sizes.items():
        if len({d for _, d in seen}) > 1:
            raise errors.ShapeError(
                f"the inputs disagree on the size {dim!r}: "
                + ", ".join(f"input {i} has {d}" for i, d in seen)
                + "; pass inputs with the same batch size."
            )
        if seen[0][1] == 0:
            raise errors.EmptyDataError(
                f"the inputs have {dim}=0 rows; the exported program needs at least one."
            )
