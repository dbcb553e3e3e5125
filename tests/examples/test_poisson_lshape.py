"""Smoke run of examples/poisson_lshape.py (L-shaped Poisson, tiny sizes)."""

import pytest

from tests.conftest import run_example


@pytest.mark.slow
def test_poisson_lshape_smoke(tmp_path, capsys):
    run_example("poisson_lshape.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "L2 relative error over the" in out and "L-BFGS round 2" in out and "hard" in out
    assert (tmp_path / "poisson_lshape.png").stat().st_size > 1000
