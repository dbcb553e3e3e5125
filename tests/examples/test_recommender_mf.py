from tests.conftest import run_example, shared_path
from tests.examples.result_line import parse_result


def test_recommender_example_smoke(tmp_path, capsys):
    data = shared_path("movielens-100k", "u1.base").parent
    shared_path("movielens-100k", "u1.test")
    run_example("recommender_mf.py", "--smoke", "--data", str(data), "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "matrix factorisation test RMSE" in out
    assert "top-10 for user 1" in out and " 10. " in out
    assert (tmp_path / "history.png").exists()
    res = parse_result(out)
    assert res["n_train"] == 80_000 and res["n_test"] == 20_000 and res["epochs"] == 2
    assert f"matrix factorisation test RMSE: {res['rmse']:.4f}" in out
    assert 0.5 < res["rmse"] < res["baseline_rmse"] < 1.3


def test_recommender_selects_l2_on_a_validation_split(tmp_path, capsys):
    import re

    data = shared_path("movielens-100k", "u1.base").parent
    shared_path("movielens-100k", "u1.test")
    run_example(
        "recommender_mf.py",
        "--smoke",
        "--select-l2",
        "0.12,5.0",
        "--data",
        str(data),
        "--out",
        str(tmp_path),
    )
    out = capsys.readouterr().out
    val = {float(a): float(b) for a, b in re.findall(r"l2 ([\d.]+): validation RMSE ([\d.]+)", out)}
    assert set(val) == {0.12, 5.0}
    # a penalty of 5 per rating shrinks everything towards the biases: worse, not chosen
    assert val[0.12] < val[5.0] and "chosen l2 = 0.12" in out
    assert parse_result(out)["l2"] == 0.12
