import re

from tests.conftest import run_example, shared_path


def test_mnist_example_smoke(tmp_path, capsys):
    data = shared_path("mnist")
    run_example("mnist_mlp.py", "--smoke", "--data", str(data), "--out", str(tmp_path))
    out = capsys.readouterr().out
    acc = float(re.search(r"test accuracy ([\d.]+)%", out).group(1))
    assert acc > 50.0  # 64 steps on a 2048-image slice learn far above chance (10%)
    assert (tmp_path / "history.png").exists()
    last = out.strip().splitlines()[-1]  # the machine-readable summary ends the output
    assert last.startswith("RESULT ")
    fields = dict(kv.split("=") for kv in last.split()[1:])
    assert set(fields) >= {"test_accuracy", "test_loss", "seconds", "median_epoch_s"}
    assert abs(float(fields["test_accuracy"]) - acc / 100) < 1e-4
