"""examples/finetune_sst2.py runs end to end on a tiny saved GPT and synthetic SST-2 files."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfound as jf
from jaxfound.models.gpt import GPT, GPTConfig
from tests.conftest import run_example
from tests.examples.result_line import parse_result


def _data(tmp_path):
    rng = np.random.default_rng(0)
    pos, neg = "good great lovely".split(), "bad awful dull".split()
    filler = "the film was a and it story of 1930s café".split()
    for name, n in (("train", 120), ("dev", 40), ("test", 40)):
        rows = []
        for _ in range(n):
            y = int(rng.integers(2))
            w = list(rng.choice(filler, 3)) + [rng.choice(pos if y else neg)]
            rows.append(" ".join(w) + f"\t{y}\n")
        (tmp_path / f"{name}.tsv").write_text("".join(rows))


def _backbone(folder, n_embd=16):
    tok = jf.data.fit_char_tokenizer("abcdefghijklmnopqrstuvwxyz .\n")
    cfg = GPTConfig(vocab_size=tok.vocab_size, block_size=24, n_layer=1, n_head=2,
                    n_embd=n_embd)
    v = GPT(cfg).init(jax.random.key(0), jnp.zeros((1, 24), jnp.int32))
    folder.mkdir()
    jf.train.save_checkpoint(folder / "params.ckpt", v)
    jf.data.save_tokenizer(folder / "tokenizer.json", tok)
    (folder / "config.json").write_text(json.dumps(dataclasses.asdict(cfg)))
    return cfg


@pytest.mark.slow
def test_finetune_sst2_smoke(tmp_path, capsys):
    _data(tmp_path)
    _backbone(tmp_path / "gpt")
    run_example("finetune_sst2.py", "--smoke", "--data", str(tmp_path), "--backbone",
                str(tmp_path / "gpt"), "--lora-shots", "", "--dapt-steps", "3",
                "--out", str(tmp_path / "run"))
    out = capsys.readouterr().out
    res = parse_result(out)
    for k in ("bow", "scratch", "full_ft", "lora", "lora_trainable_frac", "best", "zero_shot"):
        assert 0 <= res[k] <= 100, k
    assert res["bow"] >= 90  # the synthetic labels are one word: bag of words finds it
    assert "unknown characters -> ' '" in out and "cut to their last 24 chars" in out
    assert "few-shot probe k=2" in out and "sst2-adapted: full fine-tuning" in out
    for row in ("LoRA r=4 on qkv", "LoRA r=2 on all"):  # --lora's default
        assert f"shakespeare: {row}" in out, row
    assert "sst2-adapted: LoRA r=2 on all" in out and "dev by lr: 0.001:" in out


def test_finetune_sst2_rejects_a_checkpoint_of_another_model(tmp_path):
    _data(tmp_path)
    _backbone(tmp_path / "gpt")
    cfg = json.loads((tmp_path / "gpt" / "config.json").read_text())
    cfg["n_embd"] = 32  # the config says another shape than the saved parameters
    (tmp_path / "gpt" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(jf.errors.CheckpointError):
        run_example("finetune_sst2.py", "--smoke", "--data", str(tmp_path), "--backbone",
                    str(tmp_path / "gpt"), "--out", str(tmp_path / "run"))


@pytest.mark.parametrize("flag, spec", [
    ("--lora", "mlp:4"), ("--lora", "qkv"), ("--dapt-lora", "qkv:x"),
    ("--fewshot-lora", "qkv:4,all:2"),
])
def test_finetune_sst2_rejects_a_bad_lora_row(tmp_path, flag, spec, capsys):
    with pytest.raises(SystemExit):  # argparse's usage error, before any data is read
        run_example("finetune_sst2.py", "--smoke", "--data", str(tmp_path / "none"), flag, spec)
    assert "TARGETS:RANK" in capsys.readouterr().err
