from tests.conftest import run_example, shared_path


def test_mnist_example_smoke(tmp_path, capsys):
    data = shared_path("mnist")
    run_example("mnist_mlp.py", "--smoke", "--data", str(data), "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "test accuracy" in out
    assert (tmp_path / "history.png").exists()
