"""nanoGPT's CPU recipe on Tiny Shakespeare: nanoGPT (eager, compiled), hand Flax loops, jaxfound.

Every contender trains the same model (4 layers, 4 heads, 128 wide, context 64, no biases,
tied embeddings, dropout 0; 0.80M parameters), on the same data (nanoGPT's 90/10 split of
Tiny Shakespeare, character tokens), with the same recipe (batch 12, AdamW lr 1e-3 ->
1e-4, beta2 0.99, weight decay 0.1 on the matrices, 100 warm-up steps, cosine decay,
clipping at 1), each in a fresh process:

* ``nanogpt``: nanoGPT's own ``train.py`` (from ``--nanogpt``, run in a temporary copy
  with its own ``prepare.py``), PyTorch eager (``--compile=False``);
* ``nanogpt_compile``: the same with ``--compile=True`` (``torch.compile``);
* ``flax_dpa``: a hand-written Flax Linen GPT (in this file) with
  `jax.nn.dot_product_attention`, one jitted optax step, a Python loop over iterations,
  batches drawn on the host with NumPy (as nanoGPT's ``get_batch``);
* ``flax_explicit``: the same hand loop with the attention's masked softmax written out;
* ``jaxfound``: ``jf.train.fit`` on ``jf.models.gpt.GPT`` with the in-jit window
  `Sampler`, ``steps_per_call`` steps per compiled call.

Round 1 trains every contender for ``--iters`` iterations and scores its final model on
held-out data (nanoGPT: its own ``estimate_loss`` on ``--eval-iters`` random batches;
the JAX contenders: the same ``--eval-iters`` fixed batches of validation windows).
Rounds 2..``--repeats`` train for ``--timing-iters`` iterations, for speed only. The
order of the contenders is rotated every round. Speed is the median over rounds of each
run's median time per iteration (compilation and evaluation excluded; compile time is
reported on its own). FLOP/s use nanoGPT's ``estimate_mfu`` count (6N + 12 L H Q T per
token, N without the position embedding), against the machine's measured peak (a 2048^3
float32 matmul, torch and XLA).

    JAX_PLATFORMS=cpu python benchmarks/gpt_shakespeare.py [--data PATH] [--nanogpt PATH]
        [--iters 2000] [--timing-iters 300] [--repeats 3] [--only jaxfound,nanogpt]

Ends with ``RESULT tokens_per_s=... speedup_vs_nanogpt=... speedup_vs_flax=... val_loss=...``
(jaxfound's figures; ratios are tokens per second over the peer's).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEFAULT_DATA = SHARED / "data" / "text" / "tinyshakespeare" / "input.txt"
DEFAULT_NANOGPT = SHARED / "peers" / "nanogpt"
CONTENDERS = ("nanogpt", "nanogpt_compile", "flax_dpa", "flax_explicit", "jaxfound")
R = dict(block=64, batch=12, layers=4, heads=4, width=128, lr=1e-3, min_lr=1e-4,
         warmup=100, beta2=0.99, wd=0.1, clip=1.0)
CHUNK = 50  # jaxfound: steps per compiled call (the timing granularity)
WINDOW = 10  # hand loops: iterations per timing window


def model_flops_per_iter(vocab: int) -> float:
    """nanoGPT's ``estimate_mfu`` FLOPs of one iteration (forward + backward)."""
    c, layers, t = R["width"], R["layers"], R["block"]
    n = vocab * c + layers * (12 * c * c + 2 * c) + c  # no biases, tied head, no wpe
    per_token = 6 * n + 12 * layers * R["heads"] * (c // R["heads"]) * t
    return per_token * t * R["batch"]


# ----------------------------------------------------------------------------- workers


def _corpus(path: str, n_windows: int):
    import numpy as np

    import jaxfound as jf

    text = jf.data.read_text(path)
    tok = jf.data.fit_char_tokenizer(text)
    ids = np.asarray(tok.encode(text), np.int32)
    train, val = jf.data.split_tokens(ids, 0.1)
    rng = np.random.default_rng(1)
    starts = rng.integers(0, len(val) - R["block"] - 1, size=n_windows)
    held = val[starts[:, None] + np.arange(R["block"] + 1)]
    return tok.vocab_size, train, (held[:, :-1], held[:, 1:])


def _optimizer(steps: int):
    from jaxfound.models.gpt import adamw

    return adamw(R["lr"], steps=steps, warmup_steps=R["warmup"], min_learning_rate=R["min_lr"],
                 b2=R["beta2"], weight_decay=R["wd"], clip_norm=R["clip"])


def worker_jaxfound(a) -> dict:
    import jax
    import jax.numpy as jnp

    import jaxfound as jf
    from jaxfound.models.gpt import GPT, GPTConfig, lm_loss

    vocab, train, held = _corpus(a.data, a.eval_iters * R["batch"])
    cfg = GPTConfig(vocab_size=vocab, block_size=R["block"], n_layer=R["layers"],
                    n_head=R["heads"], n_embd=R["width"], bias=False)
    model = GPT(cfg)
    params = model.init(jax.random.key(0), jnp.zeros((1, R["block"]), jnp.int32))
    state = jf.train.TrainState.create(params, _optimizer(a.total), key=jax.random.key(1))
    tokens = jnp.asarray(train)
    sampler = jf.train.Sampler(
        lambda key, p, b, i: jf.data.sample_windows(key, tokens, R["batch"], R["block"]))
    loss = lm_loss(model)
    state, hist = jf.train.fit(state, loss, sampler, steps=a.run_iters, steps_per_call=CHUNK,
                               progress=False)
    per_iter = [t / CHUNK for t in hist["time"][1:]]
    out = dict(ms=1e3 * statistics.median(per_iter),
               compile_s=hist["time"][0] - statistics.median(per_iter) * CHUNK,
               train_loss=hist["loss"][-1])
    if a.score:
        out["val_loss"] = jf.train.evaluate(state, loss, held, batch_size=R["batch"] * 20)["loss"]
    return out


def _hand_model(vocab: int, attention: str):
    """A straightforward GPT in Flax Linen, written for this benchmark (not jaxfound's)."""
    import flax.linen as nn
    import jax
    import jax.numpy as jnp

    c, h = R["width"], R["heads"]
    dense = lambda n, std=0.02: nn.Dense(n, use_bias=False,  # noqa: E731
                                         kernel_init=nn.initializers.normal(std))
    proj_std = 0.02 / (2 * R["layers"]) ** 0.5

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x):
            b, t, _ = x.shape
            y = nn.LayerNorm(epsilon=1e-5, use_bias=False)(x)
            q, k, v = jnp.split(dense(3 * c)(y), 3, axis=-1)
            q, k, v = (z.reshape(b, t, h, c // h) for z in (q, k, v))
            if attention == "dpa":
                y = jax.nn.dot_product_attention(q, k, v, is_causal=True)
            else:
                s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / jnp.sqrt(c // h)
                s = jnp.where(jnp.tril(jnp.ones((t, t), bool)), s, -jnp.inf)
                y = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(s, axis=-1), v)
            x = x + dense(c, proj_std)(y.reshape(b, t, c))
            y = nn.LayerNorm(epsilon=1e-5, use_bias=False)(x)
            y = dense(c, proj_std)(nn.gelu(dense(4 * c)(y), approximate=False))
            return x + y

    class HandGPT(nn.Module):
        @nn.compact
        def __call__(self, idx):
            wte = nn.Embed(vocab, c, embedding_init=nn.initializers.normal(0.02))
            wpe = nn.Embed(R["block"], c, embedding_init=nn.initializers.normal(0.02))
            x = wte(idx) + wpe(jnp.arange(idx.shape[1]))
            for _ in range(R["layers"]):
                x = Block()(x)
            return wte.attend(nn.LayerNorm(epsilon=1e-5, use_bias=False)(x))

    return HandGPT()


def worker_flax(a, attention: str) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    vocab, train, held = _corpus(a.data, a.eval_iters * R["batch"])
    model = _hand_model(vocab, attention)
    params = model.init(jax.random.key(0), jnp.zeros((1, R["block"]), jnp.int32))
    # the optimiser by hand from optax, as nanoGPT's: decay on tensors with ndim >= 2
    lr = optax.warmup_cosine_decay_schedule(0.0, R["lr"], R["warmup"], a.total, R["min_lr"])
    decay = lambda p: jax.tree_util.tree_map(lambda w: w.ndim >= 2, p)  # noqa: E731
    tx = optax.chain(optax.clip_by_global_norm(R["clip"]),
                     optax.adamw(lr, b1=0.9, b2=R["beta2"], weight_decay=R["wd"], mask=decay))
    opt_state = tx.init(params)

    def loss_fn(p, x, y):
        logits = model.apply(p, x)
        return optax.losses.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit
    def step(p, o, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        u, o = tx.update(g, o, p)
        return optax.apply_updates(p, u), o, loss

    rng = np.random.default_rng(1)

    def get_batch():
        ix = rng.integers(0, len(train) - R["block"], R["batch"])
        w = train[ix[:, None] + np.arange(R["block"] + 1)]
        return w[:, :-1], w[:, 1:]

    t0 = time.perf_counter()
    params, opt_state, loss = step(params, opt_state, *get_batch())
    float(loss)
    first = time.perf_counter() - t0
    windows = []
    for i in range(1, a.run_iters, WINDOW):
        n = min(WINDOW, a.run_iters - i)
        t0 = time.perf_counter()
        for _ in range(n):
            params, opt_state, loss = step(params, opt_state, *get_batch())
        float(loss)
        windows.append((time.perf_counter() - t0) / n)
    ms = 1e3 * statistics.median(windows)
    out = dict(ms=ms, compile_s=first - ms / 1e3, train_loss=float(loss))
    if a.score:
        ev = jax.jit(loss_fn)
        xs, ys = held
        bs = R["batch"] * 20
        out["val_loss"] = float(np.mean([ev(params, xs[i:i + bs], ys[i:i + bs])
                                         for i in range(0, len(xs), bs)]))
    return out


def run_nanogpt(a, compile_: bool, work: Path) -> dict:
    """Run nanoGPT's own train.py in ``work`` and read its log."""
    eval_interval = a.run_iters  # evaluate at 0 and at the end only
    cmd = [sys.executable, "train.py", "config/train_shakespeare_char.py", "--device=cpu",
           f"--compile={compile_}", f"--eval_iters={a.eval_iters}", "--log_interval=1",
           f"--block_size={R['block']}", f"--batch_size={R['batch']}",
           f"--n_layer={R['layers']}", f"--n_head={R['heads']}", f"--n_embd={R['width']}",
           f"--max_iters={a.run_iters}", f"--lr_decay_iters={a.total}", "--dropout=0.0",
           f"--eval_interval={eval_interval}", "--always_save_checkpoint=False",
           f"--out_dir={work / 'out'}"]
    p = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    if p.returncode:
        return dict(error=(p.stderr or p.stdout).strip().splitlines()[-1][:200])
    iters = [(int(m[1]), float(m[3]), float(m[2]))
             for m in re.finditer(r"iter (\d+): loss ([\d.]+), time ([\d.]+)ms", p.stdout)]
    times = [t for i, t, _ in iters if 0 < i < a.run_iters]
    ms = statistics.median(times)
    out = dict(ms=ms, compile_s=(iters[0][1] - ms) / 1e3 if compile_ else 0.0,
               train_loss=iters[-1][2])
    vals = re.findall(r"step (\d+): train loss ([\d.]+), val loss ([\d.]+)", p.stdout)
    if a.score and vals:
        out["val_loss"] = float(vals[-1][2])
    return out


def prepare_nanogpt(a, tmp: Path) -> Path:
    work = tmp / "nanogpt"
    shutil.copytree(a.nanogpt, work, ignore=shutil.ignore_patterns("out*", "*.bin"))
    d = work / "data" / "shakespeare_char"
    shutil.copy(a.data, d / "input.txt")
    subprocess.run([sys.executable, "prepare.py"], cwd=d, check=True, capture_output=True)
    return work


# ----------------------------------------------------------------------------- driver


def peak_gflops() -> dict:
    code = r"""
import time, json, statistics
import jax, jax.numpy as jnp, torch
n = 2048
a = jnp.ones((n, n)); f = jax.jit(lambda a: a @ a); f(a).block_until_ready()
def tj():
    t = time.perf_counter(); [f(a) for _ in range(4)][-1].block_until_ready()
    return (time.perf_counter() - t) / 4
b = torch.ones(n, n)
def tt():
    t = time.perf_counter(); [b @ b for _ in range(4)]
    return (time.perf_counter() - t) / 4
fl = 2 * n ** 3 / 1e9
print(json.dumps(dict(xla=fl / statistics.median([tj() for _ in range(5)]),
                      torch=fl / statistics.median([tt() for _ in range(5)]))))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else {}


def run_worker(a, name: str, iters: int, score: bool) -> dict:
    cmd = [sys.executable, __file__, "--worker", name, "--data", str(a.data), "--run-iters",
           str(iters), "--total", str(a.iters), "--eval-iters", str(a.eval_iters)]
    if score:
        cmd.append("--score")
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ,
                                                                  "JAX_PLATFORMS": "cpu"})
    if p.returncode:
        return dict(error=(p.stderr or p.stdout).strip().splitlines()[-1][:200])
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--nanogpt", default=str(DEFAULT_NANOGPT))
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--timing-iters", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--eval-iters", type=int, default=200)
    ap.add_argument("--only", default=",".join(CONTENDERS))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--run-iters", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--total", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--score", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        fn = {"jaxfound": worker_jaxfound,
              "flax_dpa": lambda a: worker_flax(a, "dpa"),
              "flax_explicit": lambda a: worker_flax(a, "explicit")}[a.worker]
        print(json.dumps(fn(a)))
        return None

    names = [n for n in a.only.split(",") if n]
    runs: dict[str, list[dict]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        work = prepare_nanogpt(a, Path(tmp)) if any(n.startswith("nanogpt") for n in names) \
            else None
        for r in range(a.repeats):
            order = names[r % len(names):] + names[:r % len(names)]
            iters, score = (a.iters, True) if r == 0 else (a.timing_iters, False)
            for n in order:
                sub = argparse.Namespace(**{**vars(a), "run_iters": iters, "score": score,
                                            "total": a.iters})
                t0 = time.perf_counter()
                if n.startswith("nanogpt"):
                    res = run_nanogpt(sub, n == "nanogpt_compile", work)
                else:
                    res = run_worker(a, n, iters, score)
                res["wall_s"] = time.perf_counter() - t0
                runs[n].append(res)
                print(f"round {r + 1}/{a.repeats} {n:<16} {json.dumps(res)}", flush=True)
    peak = peak_gflops()
    vocab = 65
    flops = model_flops_per_iter(vocab)
    tok_per_iter = R["batch"] * R["block"]
    summary = {}
    for n, rs in runs.items():
        ok = [x for x in rs if "ms" in x]
        if not ok:
            summary[n] = dict(error=rs[0].get("error", "?"))
            continue
        ms = statistics.median(x["ms"] for x in ok)
        summary[n] = dict(ms=ms, tokens_per_s=tok_per_iter / ms * 1e3,
                          gflops=flops / ms / 1e6, compile_s=statistics.median(
                              x["compile_s"] for x in ok),
                          val_loss=ok[0].get("val_loss", float("nan")), runs=len(ok))
    print(f"\nnanoGPT CPU recipe, {a.iters} iterations (round 1), then {a.repeats - 1} x "
          f"{a.timing_iters}; medians; model {flops / 1e9:.2f} GFLOP per iteration; peak "
          f"(2048^3 fp32 matmul): torch {peak.get('torch', float('nan')):.0f}, XLA "
          f"{peak.get('xla', float('nan')):.0f} GFLOP/s")
    ref = summary.get("nanogpt", {}).get("tokens_per_s")
    print(f"{'contender':<17}{'ms/iter':>9}{'tokens/s':>10}{'GFLOP/s':>9}{'% peak':>8}"
          f"{'compile s':>10}{'val loss':>9}{'vs nanoGPT':>11}")
    best_peak = max(peak.values()) if peak else float("nan")
    for n, s in summary.items():
        if "error" in s:
            print(f"{n:<17} failed: {s['error']}")
            continue
        ratio = s["tokens_per_s"] / ref if ref else float("nan")
        print(f"{n:<17}{s['ms']:>9.1f}{s['tokens_per_s']:>10.0f}{s['gflops']:>9.1f}"
              f"{100 * s['gflops'] / best_peak:>7.0f}%{s['compile_s']:>10.1f}"
              f"{s['val_loss']:>9.4f}{ratio:>10.2f}x")
    jf_ = summary.get("jaxfound", {})
    res = {}
    if "tokens_per_s" in jf_:
        res = dict(tokens_per_s=round(jf_["tokens_per_s"]), ms_per_iter=round(jf_["ms"], 2),
                   val_loss=round(jf_["val_loss"], 4), compile_s=round(jf_["compile_s"], 1))
        for peer, key in (("nanogpt", "speedup_vs_nanogpt"),
                          ("nanogpt_compile", "speedup_vs_nanogpt_compile"),
                          ("flax_dpa", "speedup_vs_flax"),
                          ("flax_explicit", "speedup_vs_flax_explicit")):
            if "tokens_per_s" in summary.get(peer, {}):
                res[key] = round(jf_["tokens_per_s"] / summary[peer]["tokens_per_s"], 3)
    print("RESULT " + " ".join(f"{k}={v}" for k, v in res.items()))
    return res


if __name__ == "__main__":
    main()
