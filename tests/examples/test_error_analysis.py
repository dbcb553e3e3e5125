"""Smoke-run examples/error_analysis.py."""

import pytest

from tests.conftest import run_example
from tests.examples.result_line import parse_result


@pytest.mark.slow  # jit compiles of grid search, bootstrap and comparisons: ~10 s on 2 cores
def test_error_analysis_smoke(tmp_path, capsys):
    pytest.importorskip("sklearn")
    run_example("error_analysis.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "model A (ridge" in out and "model B (nearest centroid)" in out
    assert "95% BCa CI" in out and "McNemar exact" in out
    assert "accuracy difference A - B" in out and "hardest class" in out
    assert (tmp_path / "error_analysis.png").exists()
    res = parse_result(out)
    assert res["n_test"] == 150
    for k in ("acc_a", "acc_b", "f1_a", "f1_b", "acc_diff"):
        assert res[f"{k}_low"] <= res[k] <= res[f"{k}_high"], k
    assert 0.0 <= res["acc_b"] <= 1.0 and 0.0 <= res["mcnemar_p"] <= 1.0
    assert res["acc_diff"] == pytest.approx(res["acc_a"] - res["acc_b"], abs=1e-5)
