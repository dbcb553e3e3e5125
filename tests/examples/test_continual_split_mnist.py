"""examples/continual_split_mnist.py --smoke runs on real MNIST and ends with its RESULT line."""

import json
from pathlib import Path

import pytest

from tests.conftest import run_example
from tests.examples.result_line import parse_result

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mnist"


@pytest.mark.slow
def test_continual_split_mnist_smoke(tmp_path, capsys):
    if not (DATA / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST not found in {DATA}")
    run_example("continual_split_mnist.py", "--smoke", "--data", str(DATA), "--out", str(tmp_path))
    res = parse_result(capsys.readouterr().out)
    for k in ("task_ewc", "domain_er", "class_er", "class_none"):
        assert 0.0 <= res[k] <= 1.0
    # even tiny, replay beats fine-tuning in class-IL, and task-IL is easy
    assert res["class_er"] > res["class_none"] + 0.1
    assert res["task_ewc"] > 0.8
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert len(rows) == 4 and all(len(r["per_seed"]) == 2 for r in rows)
    assert all(len(r["R"]) == 2 for r in rows)  # the per-seed matrices, for --resume's plot

    # --resume reuses the finished pairs of the same protocol instead of training them again
    run_example("continual_split_mnist.py", "--smoke", "--data", str(DATA), "--out", str(tmp_path),
                "--resume")
    again = capsys.readouterr().out
    assert again.count(f"(from {tmp_path / 'results.json'})") == 4
    assert parse_result(again)["class_er"] == res["class_er"]
