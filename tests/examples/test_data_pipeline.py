"""Smoke-run examples/data_pipeline.py (CSV path and scikit-learn path)."""

import pytest

from tests.conftest import run_example


@pytest.mark.slow  # ~10 s on a loaded 2-core machine (jit compiles + matplotlib)
def test_data_pipeline_csv_smoke(tmp_path, capsys):
    run_example("data_pipeline.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "duplicates: dropped" in out and "outliers (MAD, income)" in out
    assert "identical test features: True" in out
    assert (tmp_path / "customers.csv").exists() and (tmp_path / "preprocessing.npz").exists()
    assert (tmp_path / "cv_rmse.png").exists()


@pytest.mark.slow
def test_data_pipeline_sklearn_smoke(tmp_path, capsys):
    pytest.importorskip("sklearn")
    run_example("data_pipeline.py", "--smoke", "--sklearn", "iris", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "iris: 15 polynomial features; reloaded state identical: True" in out
    assert (tmp_path / "preprocessing.msgpack").exists()
