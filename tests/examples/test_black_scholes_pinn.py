"""Smoke run of examples/black_scholes_pinn.py (tiny sizes), and its closed form."""

import jax.numpy as jnp
import numpy as np
import pytest

from tests.conftest import run_example
from tests.examples.result_line import parse_result


@pytest.mark.slow
def test_black_scholes_pinn_smoke(tmp_path, capsys):
    run_example("black_scholes_pinn.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "L2 relative error over the 151x101 (S, t) grid" in out
    result = parse_result(out)
    assert set(result) == {
        "l2_rel_error",
        "atm_price",
        "atm_formula",
        "lbfgs_iterations",
        "seconds",
    }
    np.testing.assert_allclose(result["atm_formula"], 0.104506, atol=1e-6)  # the formula
    assert result["l2_rel_error"] < 0.1 and result["lbfgs_iterations"] == 30
    assert (tmp_path / "black_scholes_pinn.png").stat().st_size > 1000


def test_closed_form_and_hard_constraint():
    import runpy
    from pathlib import Path

    ns = runpy.run_path(
        str(Path(__file__).resolve().parents[2] / "examples" / "black_scholes_pinn.py")
    )
    cf = ns["closed_form"]
    # put-call parity is not needed: check known values and the limits
    np.testing.assert_allclose(cf(jnp.array(1.0), jnp.array(1.0)), 0.0)
    np.testing.assert_allclose(cf(jnp.array(1.5), jnp.array(1.0)), 0.5)
    np.testing.assert_allclose(cf(jnp.array(0.0), jnp.array(0.3)), 0.0)
    np.testing.assert_allclose(cf(jnp.array(1.0), jnp.array(0.0)), 0.104505836, rtol=1e-5)
    hard = ns["hard_constraint"]
    for out in (-3.0, 0.0, 5.0):  # whatever the network says:
        np.testing.assert_allclose(hard(jnp.array([1.7, 1.0]), out), 0.7, atol=1e-6)  # payoff at T
        np.testing.assert_allclose(hard(jnp.array([0.0, 0.4]), out), 0.0, atol=1e-12)  # V(0, t) = 0
