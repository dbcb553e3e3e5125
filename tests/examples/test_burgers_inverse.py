"""Smoke run of examples/burgers_inverse.py (recover nu, tiny sizes)."""

import pytest

from tests.conftest import SHARED_DATA, run_example
from tests.examples.result_line import parse_result

#: the real reference when present (JAXFOUND_SHARED_DATA), else the example's stand-in
DATA = SHARED_DATA / "pinn" / "Burgers.npz"


@pytest.mark.slow
def test_burgers_inverse_smoke(capsys):
    run_example("burgers_inverse.py", "--smoke", "--data", str(DATA))
    out = capsys.readouterr().out
    assert "recovered nu =" in out and "relative error" in out
    result = parse_result(out)
    assert set(result) == {"nu", "nu_rel_error", "lbfgs_iterations", "seconds"}
    assert result["nu"] > 0 and result["lbfgs_iterations"] == 30
