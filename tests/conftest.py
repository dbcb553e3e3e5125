"""Shared test fixtures: the reference data in ../shared/data, example runner."""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("JAXFOUND_SHARED_DATA", ROOT.parent / "shared" / "data"))


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
