"""jaxfound._aot: exported programs kept on disk, keyed by source, statics and avals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import struct

from jaxfound import _aot, _cache


@pytest.fixture
def cache(tmp_path):
    """A fresh compilation cache (the session's comes back after the test)."""
    _cache.enable_compilation_cache(tmp_path)
    return tmp_path / "exported"


def files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.jaxexport")) if folder.exists() else []


def _scale(x, y, *, p):
    return jnp.sum(x**p) * y


@_aot.register_serialization
@struct.dataclass
class Fitted:
    w: jax.Array
    kind: str = struct.field(pytree_node=False, default="a")


@_aot.register_serialization
class Pair(NamedTuple):
    a: jax.Array
    b: Fitted


def _fit(x, *, kind):
    return Pair(x.sum(), Fitted(x * 2, kind=kind))


def test_a_second_instance_loads_the_program_instead_of_tracing(cache):
    f = _aot.cached_jit(_scale, static_argnames="p")
    x = jnp.arange(4.0)
    want = float(jnp.sum(x**2) * 3.0)
    assert float(f(x, 3.0, p=2)) == want
    assert len(files(cache)) == 1
    traced = []
    g = _aot.cached_jit(_scale, static_argnames="p")  # the same function in a "new process"
    g.fun = lambda *a, **k: traced.append(1) or _scale(*a, **k)  # counts Python traces
    assert float(g(x, 3.0, p=2)) == want
    assert traced == [] and len(files(cache)) == 1  # read from disk, not traced


def test_the_key_changes_with_statics_shapes_dtypes_and_weak_types(cache):
    f = _aot.cached_jit(_scale, static_argnames="p")
    x = jnp.arange(4.0)
    f(x, 3.0, p=2)
    f(x, 3.0, p=2)  # same key: nothing new
    assert len(files(cache)) == 1
    f(x, 3.0, p=3)
    f(jnp.arange(5.0), 3.0, p=2)
    f(x.astype(jnp.bfloat16), 3.0, p=2)
    f(x, jnp.float32(3.0), p=2)  # a strong-typed scalar
    assert len(files(cache)) == 5


def test_positional_and_keyword_calls_share_a_key(cache):
    f = _aot.cached_jit(_scale, static_argnames="p")
    x = jnp.arange(4.0)
    a = f(x, 3.0, p=2)
    b = f(y=3.0, x=x, p=2)
    assert len(files(cache)) == 1 and float(a) == float(b)


def test_transformed_calls_use_plain_jit_and_write_nothing(cache):
    f = _aot.cached_jit(_scale, static_argnames="p")
    xs = jnp.arange(6.0).reshape(2, 3)
    out = jax.vmap(lambda x: f(x, 2.0, p=2))(xs)
    np.testing.assert_allclose(out, 2.0 * jnp.sum(xs**2, axis=1))
    g = jax.grad(lambda x: f(x, 1.0, p=2))(jnp.arange(3.0))
    np.testing.assert_allclose(g, 2 * jnp.arange(3.0))
    assert files(cache) == []


def test_off_by_environment_or_without_the_compilation_cache(cache, monkeypatch):
    f = _aot.cached_jit(_scale, static_argnames="p")
    monkeypatch.setenv(_aot.ENV_OFF, "1")
    assert float(f(jnp.arange(3.0), 1.0, p=2)) == 5.0
    monkeypatch.delenv(_aot.ENV_OFF)
    _cache.disable_compilation_cache()
    assert float(f(jnp.arange(3.0), 1.0, p=2)) == 5.0
    assert files(cache) == []


def test_an_address_in_a_static_argument_is_never_a_key(cache):
    f = _aot.cached_jit(lambda x, fn: fn(x), static_argnames="fn")
    assert float(f(jnp.float32(2.0), fn=lambda v: v + 1)) == 3.0
    assert files(cache) == []


def test_a_corrupt_file_warns_and_is_written_again(cache):
    x = jnp.arange(4.0)
    _aot.cached_jit(_scale, static_argnames="p")(x, 1.0, p=2)
    (path,) = files(cache)
    path.write_bytes(b"not a program")
    fresh = _aot.cached_jit(_scale, static_argnames="p")
    with pytest.warns(RuntimeWarning, match="could not be read"):
        assert float(fresh(x, 1.0, p=2)) == 14.0
    again = _aot.cached_jit(_scale, static_argnames="p")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(again(x, 1.0, p=2)) == 14.0  # the rewritten file reads


def test_an_unwritable_folder_still_runs(cache):
    cache.write_text("a file where the folder should be")
    f = _aot.cached_jit(_scale, static_argnames="p")
    assert float(f(jnp.arange(3.0), 2.0, p=1)) == 6.0


def test_registered_pytrees_round_trip_with_their_static_fields(cache):
    x = jnp.arange(3.0)
    first = _aot.cached_jit(_fit, static_argnames="kind")(x, kind="b")
    second = _aot.cached_jit(_fit, static_argnames="kind")(x, kind="b")  # from disk
    assert len(files(cache)) == 1
    assert isinstance(second, Pair) and isinstance(second.b, Fitted) and second.b.kind == "b"
    assert jax.tree.structure(first) == jax.tree.structure(second)
    np.testing.assert_array_equal(second.b.w, x * 2)


def test_the_source_digest_is_stable_within_a_process():
    assert _aot.source_digest() == _aot.source_digest() and len(_aot.source_digest()) == 64


CHILD = r"""
import json, sys
import numpy as np, jax
import jaxfound.models as M
from jaxfound.models.linear import _logistic
from jaxfound.models.trees import _hist
traced = []
for f in (_logistic._fit_logistic_lbfgs, _hist.fit_hist):  # count traces of the Python fits
    f.fun = (lambda g: lambda *a, **k: traced.append(g.__name__) or g(*a, **k))(f.fun)
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 6)).astype(np.float32)
X[::17, 2] = np.nan
y = (np.nan_to_num(X[:, 0]) + X[:, 1] > 0).astype(np.int32) + (X[:, 3] > 1)
tree = M.trees.cart_classifier(max_depth=4).fit(X, y)  # NaN: the histogram path
logit = M.linear.logistic(solver="lbfgs").fit(np.nan_to_num(X), y)
out = {"traced": traced,
       "tree": [np.asarray(a).tobytes().hex() for a in jax.tree.leaves(tree)],
       "logit": [np.asarray(a).tobytes().hex() for a in jax.tree.leaves(logit)],
       "leaves": [np.asarray(a).tolist() for a in jax.tree.leaves((tree, logit))]}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_fresh_processes_run_one_program_bit_identically(tmp_path):
    def child(**env):
        e = dict(os.environ, JAXFOUND_CACHE_DIR=str(tmp_path), JAXFOUND_NO_CACHE="", **env)
        out = subprocess.run([sys.executable, "-c", CHILD], env=e, capture_output=True,
                             text=True, check=True, timeout=300).stdout  # fmt: skip
        return json.loads(out.strip().splitlines()[-1])

    cold = child()
    kept = {p: p.stat().st_mtime_ns for p in files(tmp_path / "exported")}
    warm = child()
    assert sorted(cold["traced"]) == ["_fit_logistic_lbfgs", "fit_hist"]
    assert warm["traced"] == []  # the Python fits were not traced again
    assert {p: p.stat().st_mtime_ns for p in files(tmp_path / "exported")} == kept
    assert warm["tree"] == cold["tree"] and warm["logit"] == cold["logit"]  # bit for bit
    plain = child(JAXFOUND_NO_EXPORT_CACHE="1")
    for a, b in zip(plain["leaves"], cold["leaves"]):  # plain jit: the same fit
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-5,
                                   atol=1e-6)  # fmt: skip
