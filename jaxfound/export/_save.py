"""Export a prediction function with its parameters baked in, through `jax.export`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jaxlib

import jaxfound
from jaxfound import _serialize, _validate, errors
from jaxfound.export._manifest import (
    BATCH,
    FORMAT,
    FORMAT_VERSION,
    manifest_path,
    params_sha256,
    sha256,
    specs,
    stablehlo_path,
)

__all__ = ["PLATFORMS", "save"]

#: the platforms `jax.export` lowers for (no device of that kind is needed to export)
PLATFORMS = ("cpu", "cuda", "rocm", "tpu")


def save(
    path: str | os.PathLike,
    fn: Callable[..., Any],
    params: Any,
    example: Any,
    *,
    platforms: Sequence[str] = ("cpu",),
    batch: bool = True,
    name: str | None = None,
) -> Path:
    r"""Export ``x -> fn(params, x)`` to a self-contained file that runs without the model code.

    The function is traced once with `jax.export` for every platform in ``platforms``, the
    parameters closed over as constants, so the program $x \mapsto f_\theta(x)$ is one file
    whose outputs do not depend on any Python code. The leading axis of every input is a
    symbolic size ``batch`` (any $B \ge 1$ at call time) when ``batch``; the other axes and
    the dtypes are those of ``example``. Three files are written, the manifest last, so a
    manifest exists only beside a complete program: ``PATH`` (the serialised program),
    ``PATH.json`` (the manifest, `jaxfound.export.read_manifest`) and ``PATH.mlir`` (the
    StableHLO text, to read). Each is written atomically (temporary file, then rename).

    Args:
      path: where to write the program (folders are created).
      fn: ``fn(params, *inputs) -> outputs``, traceable by JAX and free of host-side checks
        on the batch size (the models' predict functions are); outputs may be a pytree.
      params: the parameter pytree, baked into the program.
      example: one array, or a tuple of arrays (one per input of ``fn`` after ``params``),
        giving each input's dtype and its shape after the batch axis; its values are unused.
      platforms: the platforms to lower for, from `PLATFORMS` (``("cpu", "cuda")`` gives one
        file for both; lowering for CUDA needs no GPU).
      batch: make the leading axis symbolic; ``False`` fixes every shape to ``example``'s.
      name: a label stored in the manifest (default: ``fn``'s name).

    Returns:
      The path of the program (load it with `jaxfound.export.load`).

    Raises:
      ValidationError: ``fn`` is not callable, or ``platforms`` is empty, repeats a
        platform or names an unknown one.
      ShapeError: an ``example`` input is a scalar while ``batch`` asks for a batch axis.
      DTypeError: an ``example`` input is not numeric.

    Examples:
      >>> import tempfile, numpy as np
      >>> from jaxfound.export import read_manifest
      >>> w = np.array([[1.0], [2.0]], np.float32)
      >>> path = save(tempfile.mkdtemp() + "/lin.jaxexport", lambda w, x: x @ w, w,
      ...             np.zeros((1, 2), np.float32))
      >>> read_manifest(path)["inputs"]
      [{'shape': ['batch', 2], 'dtype': 'float32'}]
    """
    if not callable(fn):
        raise errors.ValidationError(
            f"fn must be a function fn(params, *inputs), got {type(fn).__name__}; pass e.g. "
            "model.apply or an estimator's predict."
        )
    platforms = _platforms(platforms)
    inputs = tuple(example) if isinstance(example, (tuple, list)) else (example,)
    size = jax.export.symbolic_shape(BATCH)[0] if batch else None  # one scope for all inputs
    avals = [_input_spec(x, i, len(inputs), size) for i, x in enumerate(inputs)]

    exported = jax.export.export(jax.jit(lambda *xs: fn(params, *xs)), platforms=platforms)(
        *avals
    )
    program = bytes(exported.serialize())
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name or getattr(fn, "__qualname__", type(fn).__name__),
        "platforms": list(exported.platforms),
        "batch_dim": BATCH if batch else None,
        "inputs": specs(exported.in_avals),
        "outputs": specs(exported.out_avals),
        "program_bytes": len(program),
        "program_sha256": sha256(program),
        "params_sha256": params_sha256(params),
        "params_count": sum(int(getattr(x, "size", 1)) for x in jax.tree.leaves(params)),
        "calling_convention_version": exported.calling_convention_version,
        "versions": {
            "jax": jax.__version__,
            "jaxlib": jaxlib.__version__,
            "jaxfound": jaxfound.__version__,
        },
    }
    out = _serialize.write_bytes(path, program)
    _serialize.write_bytes(stablehlo_path(path), exported.mlir_module().encode("utf-8"))
    _serialize.write_bytes(manifest_path(path), (json.dumps(manifest, indent=2) + "\n").encode())
    return out


def _platforms(platforms: Sequence[str]) -> tuple[str, ...]:
    given = (platforms,) if isinstance(platforms, str) else tuple(platforms)
    if not given or len(set(given)) != len(given) or not set(given) <= set(PLATFORMS):
        raise errors.ValidationError(
            f"platforms={given!r} is not a non-empty list of distinct platforms from "
            f"{PLATFORMS}; pass e.g. platforms=('cpu',) or ('cpu', 'cuda')."
        )
    return given


def _input_spec(x: Any, i: int, n: int, size: Any) -> jax.ShapeDtypeStruct:
    name = "example" if n == 1 else f"example[{i}]"
    arr = _validate.as_numeric(x, name)
    if size is None:
        return jax.ShapeDtypeStruct(arr.shape, arr.dtype)
    if arr.ndim == 0:
        raise errors.ShapeError(
            f"{name} is a scalar, but batch=True makes its leading axis the batch; give it a "
            "batch axis (e.g. x[None]), or export with batch=False."
        )
    return jax.ShapeDtypeStruct((size, *arr.shape[1:]), arr.dtype)
