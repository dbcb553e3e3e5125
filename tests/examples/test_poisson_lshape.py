"""Smoke run of examples/poisson_lshape.py (L-shaped Poisson, tiny sizes)."""

import pytest

from tests.conftest import SHARED_DATA, run_example
from tests.examples.result_line import parse_result

#: the real reference when present (JAXFOUND_SHARED_DATA), else the example's stand-in
DATA = SHARED_DATA / "pinn" / "Poisson_Lshape.npz"


@pytest.mark.slow
def test_poisson_lshape_smoke(tmp_path, capsys):
    run_example("poisson_lshape.py", "--smoke", "--data", str(DATA), "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "L2 relative error over the" in out and "L-BFGS round 2" in out and "hard" in out
    result = parse_result(out)
    assert set(result) == {"l2_rel_error", "seconds"} and 0 < result["l2_rel_error"] < 10
    assert (tmp_path / "poisson_lshape.png").stat().st_size > 1000
