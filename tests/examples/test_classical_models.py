"""Smoke run of examples/classical_models.py (linear models, SVMs, vmapped grid search)."""

import pytest

from tests.conftest import run_example

pytest.importorskip("sklearn")


@pytest.mark.slow
def test_classical_models_smoke(tmp_path, capsys):
    run_example("classical_models.py", "--smoke", "--out", str(tmp_path))
    out = capsys.readouterr().out
    for png in ("ridge_path.png", "svm_wine_regions.png", "svm_grid.png"):
        assert (tmp_path / png).stat().st_size > 1000
    assert "test R²" in out and "signs agree" in out and "best C=" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("RESULT ")
    fields = dict(kv.split("=") for kv in last.split()[1:])
    assert float(fields["svc_rbf_wine_test_acc"]) > 0.9
    assert float(fields["logistic_breast_cancer_test_acc"]) > 0.9
    for growth in ("level", "best_first"):  # 10 boosting iterations in the smoke run
        assert float(fields[f"gbdt_{growth}_breast_cancer_test_acc"]) > 0.9
