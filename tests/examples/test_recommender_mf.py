from tests.conftest import run_example, shared_path


def test_recommender_example_smoke(tmp_path, capsys):
    data = shared_path("movielens-100k", "u1.base").parent
    shared_path("movielens-100k", "u1.test")
    run_example("recommender_mf.py", "--smoke", "--data", str(data), "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "matrix factorisation test RMSE" in out
    assert "top-10 for user 1" in out and " 10. " in out
    assert (tmp_path / "history.png").exists()
