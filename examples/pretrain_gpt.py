"""Pretrain a character-level GPT on Tiny Shakespeare with jf.train.fit, then sample from it.

Run:  python examples/pretrain_gpt.py [--data PATH]              # nanoGPT's CPU recipe
      python examples/pretrain_gpt.py --recipe 10min              # about 10 minutes here
      python examples/pretrain_gpt.py --smoke                     # seconds, tiny model
      python examples/pretrain_gpt.py --iters 500 --n-layer 2 ... # any field overridden

``--data`` defaults to ``shared/data/text/tinyshakespeare/input.txt`` next to the
repository's folder. The default recipe is nanoGPT's README CPU run (``--device=cpu
--compile=False --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128
--max_iters=2000 --lr_decay_iters=2000 --dropout=0.0``, on its Shakespeare config: AdamW
with lr 1e-3 to 1e-4, beta2 0.99, weight decay 0.1, 100 warm-up steps, clipping at 1,
no biases), which nanoGPT reports at val loss 1.88.

The whole pretraining is one call of ``jf.train.fit``: the batch is drawn inside the
compiled loop (a `jf.train.Sampler` around `jf.data.sample_windows`), ``eval_interval``
steps run as one compiled chunk, and after each chunk the loss is estimated on the same
``eval_iters`` held-out batches (drawn once from the validation split). At the end the
whole validation split is scored exhaustively (`jf.stats.next_token_loss`), a sample is
printed, and the parameters, config and tokenizer are saved under ``--out`` for the
fine-tuning example to load.

The output ends with ``RESULT val_loss=... val_loss_full=... train_loss=... ms_per_iter=...
tokens_per_s=... seconds=...``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import jaxfound as jf
from jaxfound.models.gpt import GPT, GPTConfig, adamw, generate, lm_loss, num_params

#: ``../shared/data/text/tinyshakespeare/input.txt`` relative to the repository root.
DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "text" / "tinyshakespeare"
    / "input.txt"
)

#: nanoGPT's CPU recipe (its README) on config/train_shakespeare_char.py.
CPU = dict(
    block_size=64, batch_size=12, n_layer=4, n_head=4, n_embd=128, dropout=0.0, bias=False,
    iters=2000, warmup=100, lr=1e-3, min_lr=1e-4, beta2=0.99, weight_decay=0.1,
    eval_interval=250, eval_iters=20,
)
#: about 10 minutes on the project's 2-core machine (~40 GFLOP/s on this model): three
#: times the CPU recipe's compute, spent as ~1.7x the parameters (160 wide) and ~1.7x the
#: tokens (context 128, 1800 steps); see docs/models/gpt.md.
TEN_MIN = dict(CPU, block_size=128, n_embd=160, iters=1800, lr=1.5e-3, min_lr=1.5e-4,
               eval_interval=300)
#: seconds: a tiny model for a smoke run (``--smoke``)
SMOKE = dict(CPU, block_size=16, n_layer=1, n_head=2, n_embd=32, iters=60, warmup=5,
             eval_interval=20, eval_iters=2)
RECIPES = {"cpu": CPU, "10min": TEN_MIN, "smoke": SMOKE}


def _flag(s: str) -> bool:
    return s.lower() in ("1", "true", "yes")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DEFAULT_DATA), help="a UTF-8 text file")
    p.add_argument("--recipe", default="cpu", choices=sorted(RECIPES))
    for name, value in CPU.items():  # every recipe field can be overridden
        flag = "--" + name.replace("_", "-")
        kind = _flag if isinstance(value, bool) else type(value)
        p.add_argument(flag, type=kind, default=None, help=f"(cpu recipe: {value})")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--sample-chars", type=int, default=500)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=200)
    p.add_argument("--out", default="runs/pretrain_gpt")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--smoke", action="store_true", help="--recipe smoke, 40-character sample")
    a = p.parse_args(argv)
    if a.smoke:
        a.recipe, a.sample_chars = "smoke", 40
    r = {k: (getattr(a, k) if getattr(a, k) is not None else v)
         for k, v in RECIPES[a.recipe].items()}

    text = jf.data.read_text(a.data, min_length=r["block_size"] + 1)
    tok = jf.data.fit_char_tokenizer(text)
    ids = np.asarray(tok.encode(text), np.int32)
    train, val = jf.data.split_tokens(ids, 0.1)
    print(f"{len(text):,} characters, vocabulary {tok.vocab_size}; "
          f"{len(train):,} train / {len(val):,} validation tokens")

    cfg = GPTConfig(vocab_size=tok.vocab_size, block_size=r["block_size"],
                    n_layer=r["n_layer"], n_head=r["n_head"], n_embd=r["n_embd"],
                    dropout=r["dropout"], bias=r["bias"])
    model = GPT(cfg)
    key_init, key_train, key_val, key_sample = jax.random.split(jax.random.key(a.seed), 4)
    params = model.init(key_init, jnp.zeros((1, cfg.block_size), jnp.int32))
    print(f"GPT: {cfg.n_layer} layers, {cfg.n_head} heads, {cfg.n_embd} wide, context "
          f"{cfg.block_size}; {num_params(cfg) / 1e6:.2f}M parameters (nanoGPT's count)")

    tx = adamw(r["lr"], steps=r["iters"], warmup_steps=r["warmup"],
               min_learning_rate=r["min_lr"], b2=r["beta2"], weight_decay=r["weight_decay"])
    state = jf.train.TrainState.create(params, tx, key=key_train)
    train_dev = jnp.asarray(train)
    bs, t = r["batch_size"], cfg.block_size
    windows = jf.train.Sampler(lambda key, p, b, i: jf.data.sample_windows(key, train_dev, bs, t))
    held_out = jf.data.sample_windows(key_val, val, r["eval_iters"] * bs, t)

    t0 = time.perf_counter()
    state, hist = jf.train.fit(
        state, lm_loss(model), windows, steps=r["iters"], steps_per_call=r["eval_interval"],
        validation=held_out, eval_batch_size=bs, progress=not a.no_progress,
    )
    seconds = time.perf_counter() - t0
    print(f"\n{'step':>6} {'train loss':>11} {'val loss':>9} {'best':>7} {'s':>6}")
    step = 0
    for i, n in enumerate(hist["loss"]):
        step += min(r["eval_interval"], r["iters"] - step)
        print(f"{step:>6} {n:>11.4f} {hist['val_loss'][i]:>9.4f} "
              f"{hist['best_val_loss'][i]:>7.4f} {hist['time'][i]:>6.1f}")
    # the first chunk includes compilation; the speed is the median of the others
    chunks = hist["time"][1:] or hist["time"]
    ms = 1e3 * float(np.median(chunks)) / r["eval_interval"] if len(hist["time"]) > 1 else (
        1e3 * seconds / r["iters"])

    val_full = float(jf.stats.next_token_loss(model.apply, state.params, val,
                                              block_size=t, batch_size=64))
    print(f"\nval loss {hist['val_loss'][-1]:.4f} on {r['eval_iters']} held-out batches, "
          f"{val_full:.4f} on the whole validation split "
          f"({float(jf.stats.bits_per_token(val_full)):.3f} bits per character)")

    prompt = jnp.asarray(tok.encode("\n"))
    sample = generate(model, state.params, prompt, max_new_tokens=a.sample_chars,
                      key=key_sample, temperature=a.temperature, top_k=a.top_k)
    print(f"\n--- sample ({a.sample_chars} characters, temperature {a.temperature}, "
          f"top-k {a.top_k}) ---\n{tok.decode(np.asarray(sample)[1:])}\n---")

    out = Path(a.out)
    jf.train.save_checkpoint(out / "params.ckpt", state.params)
    jf.data.save_tokenizer(out / "tokenizer.json", tok)
    (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=1))
    print(f"saved {out}/params.ckpt, tokenizer.json, config.json")

    res = dict(val_loss=round(hist["val_loss"][-1], 4), val_loss_full=round(val_full, 4),
               train_loss=round(hist["loss"][-1], 4), ms_per_iter=round(ms, 2),
               tokens_per_s=round(bs * t / ms * 1e3), seconds=round(seconds, 1),
               params_m=round(num_params(cfg) / 1e6, 3), iters=r["iters"])
    print("RESULT " + " ".join(f"{k}={v}" for k, v in res.items()))
    return res


if __name__ == "__main__":
    main()
