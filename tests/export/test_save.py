"""jaxfound.export.save: the three files, what the manifest records, and bad arguments."""

from __future__ import annotations

import hashlib
import json

import jax
import jaxlib
import numpy as np
import pytest

import jaxfound
from jaxfound import errors, export
from tests.export import zoo


def affine(params, x):
    return x @ params["w"] + params["b"]


PARAMS = {"w": np.arange(6, dtype=np.float32).reshape(3, 2), "b": np.float32([1.0, -1.0])}
X = np.ones((4, 3), np.float32)


def test_writes_program_manifest_and_stablehlo(tmp_path):
    path = export.save(tmp_path / "sub" / "affine.jaxexport", affine, PARAMS, X, name="affine")
    assert path == tmp_path / "sub" / "affine.jaxexport"
    program = path.read_bytes()
    m = json.loads(export.manifest_path(path).read_text())
    assert m == export.read_manifest(path)
    assert m["format"] == export.FORMAT and m["format_version"] == export.FORMAT_VERSION
    assert m["name"] == "affine" and m["platforms"] == ["cpu"] and m["batch_dim"] == "batch"
    assert m["inputs"] == [{"shape": ["batch", 3], "dtype": "float32"}]
    assert m["outputs"] == [{"shape": ["batch", 2], "dtype": "float32"}]
    assert m["program_bytes"] == len(program)
    assert m["program_sha256"] == hashlib.sha256(program).hexdigest()
    assert m["params_sha256"] == export.params_sha256(PARAMS)
    assert m["params_count"] == 8
    assert m["versions"] == {"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                             "jaxfound": jaxfound.__version__}
    mlir = export.stablehlo_path(path).read_text()
    assert "func.func public @main" in mlir and "tensor<?x3xf32>" in mlir
    assert not list(tmp_path.glob("sub/.*.tmp"))  # no temporary file left behind


def test_parameters_are_baked_in(tmp_path):
    """The program is self-contained: the parameter values live in its bytes."""
    other = {"w": PARAMS["w"] + 1, "b": PARAMS["b"]}
    a = export.save(tmp_path / "a.jaxexport", affine, PARAMS, X)
    b = export.save(tmp_path / "b.jaxexport", affine, other, X)
    assert a.read_bytes() != b.read_bytes()
    np.testing.assert_array_equal(export.load(a)(X), affine(PARAMS, X))
    np.testing.assert_array_equal(export.load(b)(X), affine(other, X))
    assert export.read_manifest(a)["params_sha256"] != export.read_manifest(b)["params_sha256"]


def test_cpu_and_cuda_in_one_file_without_a_gpu(tmp_path):
    fn, params, x = zoo.mlp()
    path = export.save(tmp_path / "mlp.jaxexport", fn, params, x, platforms=("cpu", "cuda"))
    m = export.read_manifest(path)
    assert m["platforms"] == ["cpu", "cuda"]
    assert m["inputs"] == [{"shape": ["batch", 28, 28], "dtype": "float32"}]
    np.testing.assert_allclose(np.asarray(export.load(path)(x)), fn(params, x), atol=1e-6)


def test_gpt_batch_symbolic_sequence_fixed(tmp_path):
    fn, params, x = zoo.gpt()
    m = export.read_manifest(export.save(tmp_path / "gpt.jaxexport", fn, params, x))
    assert m["inputs"] == [{"shape": ["batch", 8], "dtype": "int32"}]
    assert m["outputs"] == [{"shape": ["batch", 8, 13], "dtype": "float32"}]


def test_fixed_shapes_and_several_inputs(tmp_path):
    path = export.save(tmp_path / "f.jaxexport", lambda p, a, b: (a * p, b.sum(-1)),
                       np.float32(3), (X, np.ones((4, 5), np.int32)), batch=False)
    m = export.read_manifest(path)
    assert m["batch_dim"] is None
    assert m["inputs"] == [{"shape": [4, 3], "dtype": "float32"},
                           {"shape": [4, 5], "dtype": "int32"}]
    assert m["outputs"] == [{"shape": [4, 3], "dtype": "float32"},
                            {"shape": [4], "dtype": "int32"}]


def test_params_hash_sees_structure_dtype_and_values():
    h = export.params_sha256
    assert h(PARAMS) == h({k: v.copy() for k, v in PARAMS.items()})
    assert h(PARAMS) != h({"w": PARAMS["w"], "c": PARAMS["b"]})  # another leaf name
    assert h(PARAMS) != h({"w": PARAMS["w"].astype(np.float64), "b": PARAMS["b"]})
    assert h(PARAMS) != h({"w": PARAMS["w"].reshape(2, 3), "b": PARAMS["b"]})


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"fn": 3}, errors.ValidationError, "fn must be a function"),
        ({"platforms": ()}, errors.ValidationError, "platforms=()"),
        ({"platforms": ("cpu", "cpu")}, errors.ValidationError, "distinct"),
        ({"platforms": ("gpu",)}, errors.ValidationError, "'cuda'"),
        ({"example": np.float32(1)}, errors.ShapeError, "batch=False"),
        ({"example": np.array(["a"])}, errors.DTypeError, "example has dtype"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, words):
    args = {"fn": affine, "params": PARAMS, "example": X, **kwargs}
    with pytest.raises(error, match=words):
        export.save(tmp_path / "x.jaxexport", **args)
    assert not list(tmp_path.iterdir())  # nothing written
