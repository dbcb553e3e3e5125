"""Which attention kernel is faster on this backend, for nanoGPT's CPU-recipe shapes?

Times, inside ``jax.jit``, (a) the attention op alone, forward + backward, and (b) a whole
training step of the GPT (loss and gradients; batch 12, block 64, 4 layers, 4 heads,
128 wide), once with ``attention="xla"`` (`jax.nn.dot_product_attention`) and once with
``attention="explicit"`` (a written-out masked softmax). Runs interleave the two kernels;
each figure is the median over ``--repeats`` runs of ``--iters`` calls.

    JAX_PLATFORMS=cpu python benchmarks/gpt_attention_cpu.py [--repeats 7 --iters 20]

Ends with one ``RESULT key=value ...`` line (milliseconds per call).
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import optax

from jaxfound.models.gpt import GPT, GPTConfig, attention

IMPLS = ("xla", "explicit")


def _time(fn, args, iters: int) -> float:
    jax.block_until_ready(fn(*args))
    t = time.perf_counter()
    for _ in range(iters):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - t) / iters * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--block", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--width", type=int, default=128)
    a = ap.parse_args()

    b, t, h, c = a.batch, a.block, a.heads, a.width
    qkv = jax.random.normal(jax.random.key(0), (3, b, t, h, c // h))
    tokens = jax.random.randint(jax.random.key(1), (b, t + 1), 0, 65)
    fns = {}
    for impl in IMPLS:
        op = lambda q, k, v, impl=impl: attention(q, k, v, None, implementation=impl).sum()  # noqa: E731
        fns[("attention fwd+bwd", impl)] = (jax.jit(jax.grad(op, argnums=(0, 1, 2))),
                                            tuple(qkv))
        cfg = GPTConfig(vocab_size=65, block_size=t, n_layer=a.layers, n_head=h, n_embd=c,
                        attention=impl)
        model = GPT(cfg)
        params = model.init(jax.random.key(2), tokens[:, :-1])

        def loss(p, x, model=model):
            logits = model.apply(p, x[:, :-1])
            return optax.losses.softmax_cross_entropy_with_integer_labels(
                logits, x[:, 1:]).mean()

        fns[("GPT loss+grad step", impl)] = (jax.jit(jax.value_and_grad(loss)),
                                             (params, tokens))

    times: dict = {k: [] for k in fns}
    for _ in range(a.repeats):  # interleaved
        for k, (fn, args) in fns.items():
            times[k].append(_time(fn, args, a.iters))
    med = {k: statistics.median(v) for k, v in times.items()}

    print(f"backend={jax.default_backend()} batch={b} block={t} layers={a.layers} heads={h} "
          f"width={c}; median of {a.repeats} x {a.iters} calls, ms per call")
    print(f"{'what':<22}{'xla (dot_product_attention)':>30}{'explicit':>12}{'xla/explicit':>14}")
    for what in ("attention fwd+bwd", "GPT loss+grad step"):
        x, e = med[(what, "xla")], med[(what, "explicit")]
        print(f"{what:<22}{x:>30.3f}{e:>12.3f}{x / e:>14.2f}")
    step_x, step_e = med[("GPT loss+grad step", "xla")], med[("GPT loss+grad step", "explicit")]
    att_x, att_e = med[("attention fwd+bwd", "xla")], med[("attention fwd+bwd", "explicit")]
    faster = "explicit" if step_e < step_x else "xla"
    print(f"RESULT backend={jax.default_backend()} attn_xla_ms={att_x:.3f} "
          f"attn_explicit_ms={att_e:.3f} step_xla_ms={step_x:.3f} step_explicit_ms={step_e:.3f} "
          f"faster={faster}")


if __name__ == "__main__":
    main()
