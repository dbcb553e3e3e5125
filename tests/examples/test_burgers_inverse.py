"""Smoke run of examples/burgers_inverse.py (recover nu, tiny sizes)."""

import pytest

from tests.conftest import run_example


@pytest.mark.slow
def test_burgers_inverse_smoke(capsys):
    run_example("burgers_inverse.py", "--smoke")
    out = capsys.readouterr().out
    assert "recovered nu =" in out and "relative error" in out
