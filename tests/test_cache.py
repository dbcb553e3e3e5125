"""The persistent compilation cache: enable, disable, unwritable directory, env opt-out."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jaxfound import _cache


def test_enable_disable_round_trip(tmp_path):
    # tests/conftest.py runs the suite with a session cache of its own (and puts it back
    # after this test): turn that off, then importing jaxfound.models under pytest (its
    # `_auto_enable`) must leave the cache off
    _cache.disable_compilation_cache()
    assert _cache._auto_enable() is None and _cache.compilation_cache_dir() is None
    d = _cache.enable_compilation_cache(tmp_path / "xla")
    try:
        assert d == tmp_path / "xla" and d.is_dir()
        assert _cache.compilation_cache_dir() == d
    finally:
        _cache.disable_compilation_cache()
    assert _cache.compilation_cache_dir() is None


def test_unwritable_directory_warns_and_goes_on(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    _cache.disable_compilation_cache()  # the session cache of tests/conftest.py
    with pytest.warns(RuntimeWarning, match="not writable"):
        assert _cache.enable_compilation_cache(blocker / "xla") is None
    assert _cache.compilation_cache_dir() is None


def test_default_dir_respects_env(monkeypatch, tmp_path):
    monkeypatch.setenv(_cache.ENV_DIR, str(tmp_path / "c"))
    assert _cache.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv(_cache.ENV_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.default_cache_dir() == tmp_path / "jaxfound" / "xla"


@pytest.mark.parametrize("off", ["1", ""])
def test_import_enables_unless_opted_out(tmp_path, off):
    env = dict(os.environ, JAXFOUND_CACHE_DIR=str(tmp_path / "x"), JAXFOUND_NO_CACHE=off)
    code = "import jaxfound.models, jax; print(jax.config.jax_compilation_cache_dir)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()  # fmt: skip
    assert out == ("None" if off else str(tmp_path / "x"))
