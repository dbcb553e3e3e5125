"""Smoke run of examples/burgers_pinn.py (tiny network, a few steps)."""

import pytest

from tests.conftest import SHARED_DATA, run_example
from tests.examples.result_line import parse_result

#: the real reference when present (JAXFOUND_SHARED_DATA), else the example's stand-in
DATA = SHARED_DATA / "pinn" / "Burgers.npz"


@pytest.mark.slow  # compiles a Taylor-mode residual twice (float32 Adam, float64 L-BFGS)
def test_burgers_pinn_smoke(tmp_path, capsys):
    run_example("burgers_pinn.py", "--smoke", "--data", str(DATA), "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "L2 relative error over the" in out and "L-BFGS" in out
    result = parse_result(out)
    assert set(result) == {"l2_rel_error", "seconds", "lbfgs_iterations", "final_loss"}
    assert result["lbfgs_iterations"] == 40 and 0 < result["l2_rel_error"] < 10
    assert (tmp_path / "burgers_pinn.png").stat().st_size > 1000
