"""examples/pretrain_gpt.py runs end to end (tiny model, synthetic corpus) and saves its files."""

import numpy as np

import jaxfound as jf
from tests.conftest import run_example
from tests.examples.result_line import parse_result


def test_pretrain_gpt_smoke(tmp_path, capsys):
    rng = np.random.default_rng(0)
    words = "to be or not that is the question whether tis nobler in mind".split()
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(" ".join(rng.choice(words, 9)) + ".\n" for _ in range(300)))
    out = tmp_path / "run"
    run_example("pretrain_gpt.py", "--smoke", "--data", str(corpus), "--out", str(out),
                "--no-progress", "--n-embd", "48")  # a recipe field overridden on top
    text = capsys.readouterr().out
    res = parse_result(text)
    assert "48 wide" in text  # the override reached the model
    assert res["iters"] == 60 and np.isfinite(res["val_loss"]) and res["tokens_per_s"] > 0
    vocab = len(set(corpus.read_text()))
    assert res["val_loss_full"] < np.log(vocab) - 0.5  # learned well beyond uniform guessing
    assert "--- sample (40 characters" in text
    tok = jf.data.load_tokenizer(out / "tokenizer.json")
    assert tok.vocab_size == vocab
    assert (out / "params.ckpt").exists() and (out / "config.json").exists()
