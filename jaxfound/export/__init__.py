"""Export for deployment: a prediction function and its parameters as one `jax.export` file.

`save` traces ``x -> fn(params, x)`` with a symbolic batch size for the platforms asked
(CPU, CUDA, ...), and writes the serialised StableHLO program (parameters inside as
constants), a JSON manifest and the StableHLO text. `load` checks the manifest, the
platform and the program's checksum, and returns an `ExportedModel` that checks each
call's shapes and dtypes. Loading imports neither flax nor jaxfound's model code.
"""

from jaxfound.export._load import ExportedModel, load
from jaxfound.export._manifest import (
    BATCH,
    FORMAT,
    FORMAT_VERSION,
    manifest_path,
    params_sha256,
    read_manifest,
    stablehlo_path,
)
from jaxfound.export._save import PLATFORMS, save

__all__ = [
    "BATCH",
    "FORMAT",
    "FORMAT_VERSION",
    "PLATFORMS",
    "ExportedModel",
    "load",
    "manifest_path",
    "params_sha256",
    "read_manifest",
    "save",
    "stablehlo_path",
]
