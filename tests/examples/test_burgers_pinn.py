"""Smoke run of examples/burgers_pinn.py (tiny network, a few steps)."""

import pytest

from tests.conftest import run_example


@pytest.mark.slow  # compiles a Taylor-mode residual twice (float32 Adam, float64 L-BFGS)
def test_burgers_pinn_smoke(tmp_path, capsys):
    run_example("burgers_pinn.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "L2 relative error over the" in out and "L-BFGS" in out
    assert (tmp_path / "burgers_pinn.png").stat().st_size > 1000
