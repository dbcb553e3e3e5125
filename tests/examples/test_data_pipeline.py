"""Smoke-run examples/data_pipeline.py (CSV path and scikit-learn path)."""

import pytest

from tests.conftest import run_example
from tests.examples.result_line import parse_result


@pytest.mark.slow  # ~10 s on a loaded 2-core machine (jit compiles + matplotlib)
def test_data_pipeline_csv_smoke(tmp_path, capsys):
    run_example("data_pipeline.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "duplicates: dropped" in out and "outliers (MAD, income)" in out
    assert "identical test features: True" in out
    assert (tmp_path / "customers.csv").exists() and (tmp_path / "preprocessing.jxf").exists()
    assert (tmp_path / "cv_rmse.png").exists()
    res = parse_result(out)
    assert res["reloaded_identical"] == 1 and res["n_features"] == 7  # 3 + 4 cities
    assert 0 < res["cv_rmse_min"] <= res["cv_rmse_mean"] <= res["cv_rmse_max"]


@pytest.mark.slow
def test_data_pipeline_reads_the_csv_given_as_data(tmp_path, capsys):
    run_example("data_pipeline.py", "--smoke", "--out", str(tmp_path / "a"))
    first = parse_result(capsys.readouterr().out)
    lines = (tmp_path / "a" / "customers.csv").read_text().splitlines()
    mine = tmp_path / "mine.csv"
    mine.write_text("\n".join(lines[: len(lines) // 2]) + "\n")  # header + first half
    run_example("data_pipeline.py", "--smoke", "--data", str(mine), "--out", str(tmp_path / "b"))
    second = parse_result(capsys.readouterr().out)
    assert not (tmp_path / "b" / "customers.csv").exists()
    assert second["n_train"] < 0.6 * first["n_train"]


@pytest.mark.slow
def test_data_pipeline_sklearn_smoke(tmp_path, capsys):
    pytest.importorskip("sklearn")
    run_example("data_pipeline.py", "--smoke", "--sklearn", "iris", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "iris: 15 polynomial features; reloaded state identical: True" in out
    assert (tmp_path / "preprocessing.jxf").exists()
    assert parse_result(out)["n_features"] == 15
