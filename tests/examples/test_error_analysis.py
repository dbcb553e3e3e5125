"""Smoke-run examples/error_analysis.py."""

import pytest

from tests.conftest import run_example


@pytest.mark.slow  # jit compiles of grid search, bootstrap and comparisons: ~10 s on 2 cores
def test_error_analysis_smoke(tmp_path, capsys):
    pytest.importorskip("sklearn")
    run_example("error_analysis.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "model A (ridge" in out and "model B (nearest centroid)" in out
    assert "95% BCa CI" in out and "McNemar exact" in out
    assert "accuracy difference A - B" in out and "hardest class" in out
    assert (tmp_path / "error_analysis.png").exists()
