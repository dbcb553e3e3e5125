"""Memory and speed of the GPT's compiled train step: float32 vs bf16 policy, remat off vs on.

For nanoGPT's CPU recipe (4 layers, 4 heads, 128 wide, block 64, batch 12) and a deeper,
longer model (8 layers, block 256, batch 12), each of the four variants {float32,
``jf.train.mixed_precision`` bf16} x {``GPTConfig(remat=False)``, ``remat=True``} compiles
the same step (`jaxfound.train.make_step` on `lm_loss`, nanoGPT's AdamW) and reports the
compiled executable's ``memory_analysis()`` (temp, argument and output bytes) and the
median time per update of the whole batch over ``--repeats`` interleaved runs of
``--iters`` updates each (the variants take turns inside each repeat, so a change of
machine load hits all of them).
A fifth variant, float32 with ``TrainState.create(..., accumulate=4)``, runs micro-batches of
a quarter of the batch (3 rows): its memory is that of the micro-batch step, its time is
per update (4 micro-steps), so it compares with the others per 12 rows. Ratios are against
float32 without remat of the same model. "compile s" depends on jaxfound's persistent
compilation cache (warm on a second run).

    JAX_PLATFORMS=cpu python benchmarks/gpt_memory.py [--data PATH] [--repeats 5 --iters 5]

The batch is real text when ``--data`` (Tiny Shakespeare's ``input.txt``) exists, random
token ids otherwise: the figures do not depend on which. Ends with one ``RESULT key=value``
line (temp MiB and ms per step of every variant, and the ratios).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp

import jaxfound as jf
from jaxfound.models.gpt import GPT, GPTConfig, adamw, lm_loss

DEFAULT_DATA = (Path(__file__).resolve().parents[2] / "shared" / "data" / "text"
                / "tinyshakespeare" / "input.txt")
MODELS = {
    "cpu": dict(block_size=64, n_layer=4, n_head=4, n_embd=128, batch=12),
    "deep": dict(block_size=256, n_layer=8, n_head=4, n_embd=128, batch=12),
}
#: (precision, remat, accumulate): accumulate=k runs micro-batches of batch/k rows
VARIANTS = (("f32", False, 1), ("f32", True, 1), ("bf16", False, 1), ("bf16", True, 1),
            ("f32", False, 4))
MIB = 2.0 ** 20


def _tokens(path: Path, batch: int, block: int):
    key = jax.random.key(0)
    if path.exists():
        text = jf.data.read_text(path)
        tok = jf.data.fit_char_tokenizer(text)
        ids = jnp.asarray(tok.encode(text))
        windows = jf.data.sample_windows(key, ids, batch_size=batch, block_size=block)
        return tok.vocab_size, windows
    x = jax.random.randint(key, (batch, block + 1), 0, 65)
    return 65, (x[:, :-1], x[:, 1:])


def _compile(spec: dict, vocab: int, batch, precision: str, remat: bool, accumulate: int):
    cfg = GPTConfig(vocab_size=vocab, **{k: v for k, v in spec.items() if k != "batch"},
                    bias=False, remat=remat)
    model = GPT(cfg)
    params = jax.jit(model.init)(jax.random.key(1), batch[0][:1])
    loss = lm_loss(model)
    if precision == "bf16":
        loss = jf.train.mixed_precision(loss, jf.train.Policy(compute_dtype=jnp.bfloat16))
    state = jf.train.TrainState.create(params, adamw(1e-3, steps=1000), key=jax.random.key(2),
                                       accumulate=accumulate)
    t = time.perf_counter()
    step = jax.jit(jf.train.make_step(loss), donate_argnums=0).lower(state, batch).compile()
    return step, state, time.perf_counter() - t


def _time(step, state, batch, iters: int):
    state, aux = step(state, batch)
    jax.block_until_ready(aux)
    t = time.perf_counter()
    for _ in range(iters):
        state, aux = step(state, batch)
    jax.block_until_ready(aux)
    return state, (time.perf_counter() - t) / iters * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--models", default="cpu,deep")
    a = ap.parse_args()
    print(f"backend {jax.default_backend()}, jax {jax.__version__}, "
          f"data {'text ' + str(a.data) if a.data.exists() else 'random ids'}")

    result = {}
    for name in a.models.split(","):
        spec = MODELS[name]
        vocab, batch = _tokens(a.data, spec["batch"], spec["block_size"])
        runs = {}
        for precision, remat, k in VARIANTS:
            rows = spec["batch"] // k
            micro = jax.tree_util.tree_map(lambda v, rows=rows: v[:rows], batch)
            step, state, compile_s = _compile(spec, vocab, micro, precision, remat, k)
            runs[(precision, remat, k)] = dict(step=step, state=state, compile=compile_s,
                                               mem=step.memory_analysis(), ms=[], batch=micro)
        for _ in range(a.repeats):  # interleaved: every variant once per repeat
            for (_, _, k), r in runs.items():  # k micro-steps per update of the whole batch
                r["state"], ms = _time(r["step"], r["state"], r["batch"], a.iters * k)
                r["ms"].append(ms * k)
        base = runs[("f32", False, 1)]
        base_ms, base_temp = statistics.median(base["ms"]), base["mem"].temp_size_in_bytes
        print(f"\n{name}: {spec}, vocab {vocab}, float32 master weights, AdamW")
        print(f"{'variant':<18}{'temp MiB':>10}{'arg MiB':>9}{'out MiB':>9}{'ms/step':>9}"
              f"{'temp x':>8}{'time x':>8}{'compile s':>10}   per-repeat ms")
        for (precision, remat, k), r in runs.items():
            m, ms = r["mem"], statistics.median(r["ms"])
            label = f"{precision} remat={'on' if remat else 'off'}" + (f" acc={k}" if k > 1 else "")
            temp_x, time_x = m.temp_size_in_bytes / base_temp, ms / base_ms
            print(f"{label:<18}{m.temp_size_in_bytes / MIB:>10.1f}"
                  f"{m.argument_size_in_bytes / MIB:>9.2f}{m.output_size_in_bytes / MIB:>9.2f}"
                  f"{ms:>9.1f}{temp_x:>8.2f}{time_x:>8.2f}{r['compile']:>10.1f}   "
                  + " ".join(f"{v:.0f}" for v in r["ms"]))
            tag = f"{name}_{precision}_remat{int(remat)}" + (f"_acc{k}" if k > 1 else "")
            result[f"{tag}_temp_mib"] = f"{m.temp_size_in_bytes / MIB:.1f}"
            result[f"{tag}_ms"] = f"{ms:.1f}"
            if (precision, remat, k) != ("f32", False, 1):
                result[f"{tag}_temp_x"] = f"{temp_x:.2f}"
                result[f"{tag}_time_x"] = f"{time_x:.2f}"
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
