"""Shared test fixtures: the reference data in ../shared/data, example runner."""

from __future__ import annotations

import os
import runpy
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("JAXFOUND_SHARED_DATA", ROOT.parent / "shared" / "data"))


#: the session's persistent XLA cache: one fresh directory per pytest run, shared by the
#: xdist workers (the controller makes it before they start and they inherit the variable);
#: a program that another test (or the other worker) already compiled loads instead of
#: compiling again. ``JAXFOUND_TEST_NO_XLA_CACHE=1`` turns it off.
_CACHE_ENV = "JAXFOUND_TEST_XLA_CACHE"


def _cache_on() -> bool:
    return not os.environ.get("JAXFOUND_TEST_NO_XLA_CACHE")


def pytest_configure(config):
    if not _cache_on():
        return
    if not os.environ.get(_CACHE_ENV):  # the controller (or a run without xdist)
        os.environ[_CACHE_ENV] = tempfile.mkdtemp(prefix="jaxfound-test-xla-")
        config._jaxfound_xla_cache_owner = True
    if os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "numprocesses", None):
        _restore_xla_cache()  # a process that runs tests (the xdist controller runs none)


def pytest_unconfigure(config):
    if getattr(config, "_jaxfound_xla_cache_owner", False):
        shutil.rmtree(os.environ.pop(_CACHE_ENV), ignore_errors=True)


def _restore_xla_cache() -> None:
    d = os.environ.get(_CACHE_ENV)
    if d and _cache_on():
        from jaxfound import _cache

        if _cache.compilation_cache_dir() != Path(d):
            _cache.enable_compilation_cache(d)


@pytest.fixture(autouse=True)
def _session_xla_cache():
    """The session cache is on around every test, also after one that turned it off (the
    doctest of jaxfound/_cache.py, tests/test_cache.py)."""
    _restore_xla_cache()
    yield
    _restore_xla_cache()


def shared_path(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test (with the reason) when it is absent."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"reference data {p} is absent (set JAXFOUND_SHARED_DATA to its folder)")
    return p


@pytest.fixture
def shared_data():
    """Fixture form of :func:`shared_path`: ``shared_data("mnist")``."""
    return shared_path


def run_example(name: str, *args: str) -> None:
    """Run ``examples/<name>`` as ``__main__`` with the given command-line arguments."""
    import jax

    path = ROOT / "examples" / name
    old = sys.argv
    x64 = jax.config.jax_enable_x64  # examples may switch to float64: do not leak it
    sys.argv = [str(path), *args]
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = old
        jax.config.update("jax_enable_x64", x64)


def pytest_collection_modifyitems(config, items):
    """Modules with a ``slow`` test run first (in their own order, each module kept whole):
    with ``-n 2`` the long runs then start early instead of leaving one worker alone with
    them at the end."""
    has_slow = {item.module.__name__ for item in items
                if item.get_closest_marker("slow") is not None and getattr(item, "module", None)}
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (getattr(getattr(item, "module", None), "__name__", None)
                                 not in has_slow, order[id(item)]))
