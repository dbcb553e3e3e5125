"""Smoke run of examples/export_model.py (export, load, `jaxfound predict` in a fresh process)."""

import pytest

from tests.conftest import run_example
from tests.examples.result_line import parse_result


@pytest.mark.slow
def test_export_model_smoke(tmp_path, capsys):
    run_example("export_model.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    res = parse_result(out)
    assert res["mlp_test_accuracy"] > 0.8  # 3 epochs on digits, far above chance (0.1)
    assert res["cli_test_accuracy"] == res["mlp_test_accuracy"]
    for key in ("mlp_max_abs_diff", "cli_max_abs_diff", "tree_max_abs_diff"):
        assert res[key] <= 1e-6, key
    assert "a float64 batch is refused" in out
    for name in ("digits_mlp", "digits_tree"):
        for suffix in ("", ".json", ".mlir"):
            assert (tmp_path / f"{name}.jaxexport{suffix}").stat().st_size > 100
