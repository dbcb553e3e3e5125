"""jaxfound.export.load: round trips, and a clear error for every way a file or call is off."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jaxfound import errors, export


def affine(params, x):
    return x @ params["w"] + params["b"]


PARAMS = {"w": np.arange(6, dtype=np.float32).reshape(3, 2), "b": np.float32([1.0, -1.0])}
X = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)


@pytest.fixture
def saved(tmp_path):
    return export.save(tmp_path / "affine.jaxexport", affine, PARAMS, X)


def test_round_trip_any_batch_size(saved):
    model = export.load(saved)
    assert model.manifest == export.read_manifest(saved) and model.path == saved
    for n in (1, 4, 33):
        x = np.tile(X, (9, 1))[:n]
        np.testing.assert_allclose(np.asarray(model(x)), affine(PARAMS, x), atol=1e-6)


def test_several_inputs_and_a_pytree_output(tmp_path):
    fn = lambda p, a, b: {"scaled": a * p, "total": b.sum(-1)}
    path = export.save(tmp_path / "f.jaxexport", fn, np.float32(3), (X, np.ones((4, 5), np.int32)))
    out = export.load(path)(X[:2], np.ones((2, 5), np.int32))
    np.testing.assert_array_equal(out["scaled"], 3 * X[:2])
    np.testing.assert_array_equal(out["total"], [5, 5])
    with pytest.raises(errors.ShapeError, match="input 0 has 2, input 1 has 3"):
        export.load(path)(X[:2], np.ones((3, 5), np.int32))


@pytest.mark.parametrize(
    ("inputs", "error", "words"),
    [
        ((X[:, :2],), errors.ShapeError, r"shape \(4, 2\) but the exported program takes "
                                         r"\(batch, 3\)"),
        ((X[0],), errors.ShapeError, "shape"),
        ((X.astype(np.float64),), errors.DTypeError, r"float64 .* x.astype\(np.float32\)"),
        ((X.astype(np.int32),), errors.DTypeError, "int32"),
        ((X, X), errors.ValidationError, r"takes 1 input\(s\), got 2; pass float32\[batch, 3\]"),
        ((X[:0],), errors.EmptyDataError, "batch=0"),
    ],
)
def test_bad_calls(saved, inputs, error, words):
    with pytest.raises(error, match=words):
        export.load(saved)(*inputs)


def test_platform_not_exported_for(tmp_path):
    path = export.save(tmp_path / "gpu.jaxexport", affine, PARAMS, X, platforms=("cuda",))
    with pytest.raises(errors.PlatformError, match=r"\['cuda'\] but this process runs on 'cpu'"):
        export.load(path)


def _edit_manifest(path, **changes):
    m = json.loads(export.manifest_path(path).read_text())
    m.update(changes)
    export.manifest_path(path).write_text(json.dumps(m))


def test_truncated_or_altered_program(saved):
    blob = saved.read_bytes()
    saved.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(errors.DataFormatError, match=r"truncated \(\d+ of \d+ bytes\)"):
        export.load(saved)
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0xFF
    saved.write_bytes(bytes(flipped))
    with pytest.raises(errors.DataFormatError, match="altered"):
        export.load(saved)


def test_garbage_that_matches_its_manifest_is_refused_by_the_deserialiser(saved):
    junk = b"not a program" * 10
    saved.write_bytes(junk)
    _edit_manifest(saved, program_bytes=len(junk), program_sha256=export._manifest.sha256(junk))
    with pytest.raises(errors.DataFormatError, match="cannot be deserialised"):
        export.load(saved)


def test_missing_files(saved):
    export.manifest_path(saved).rename(saved.with_name("elsewhere.json"))
    with pytest.raises(errors.DataFormatError, match=r"affine.jaxexport.json cannot be read"):
        export.load(saved)
    with pytest.raises(errors.DataFormatError, match="cannot be read"):
        export.load(saved.with_name("absent.jaxexport"))


def test_program_missing_beside_its_manifest(saved):
    saved.unlink()
    with pytest.raises(errors.DataFormatError, match="exported program .* cannot be read"):
        export.load(saved)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"format": "jaxfound-export", "format_', "not valid JSON"),
        ("[1, 2]", "not a jaxfound export manifest"),
        ('{"format": "something-else"}', "not a jaxfound export manifest"),
        ('{"format": "jaxfound-export", "format_version": 99}', "format_version 99"),
        ('{"format": "jaxfound-export", "format_version": 1}', "lacks the field 'platforms'"),
    ],
)
def test_bad_manifests(saved, text, words):
    export.manifest_path(saved).write_text(text)
    with pytest.raises(errors.DataFormatError, match=words):
        export.load(saved)


def test_manifest_that_lies_about_the_program(saved):
    _edit_manifest(saved, inputs=[{"shape": ["batch", 4], "dtype": "float32"}])
    with pytest.raises(errors.DataFormatError, match="manifest .* says inputs="):
        export.load(saved)


def test_errors_are_value_errors(saved):
    """Every load/call problem is also a ValueError or TypeError, for generic handlers."""
    saved.write_bytes(b"")
    with pytest.raises(ValueError):
        export.load(saved)
