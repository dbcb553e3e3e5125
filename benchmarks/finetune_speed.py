"""Step time and memory of full fine-tuning vs LoRA vs a linear probe; few-shot vmap vs a loop.

Run:  python benchmarks/finetune_speed.py            # the CPU recipe's GPT shape (4 x 128)
      python benchmarks/finetune_speed.py --quick    # a tiny model, seconds

Every variant trains a `jf.finetune.SequenceClassifier` on the same padded batch of random
tokens with one jitted `jf.train.make_step`: **full** (every parameter, AdamW), **lora**
(rank ``--rank`` on the QKV kernels plus the head; the base frozen by
`jf.finetune.LoRA.optimizer`, so no optimiser state), **probe** (the head only, the backbone
frozen with `jf.finetune.freeze`; the forward pass still runs through the backbone). Time is
the median of ``--repeats`` steps after a compile-and-warm-up call; memory is the compiled
step's ``memory_analysis()`` (arguments + temporaries; ``jax.devices()[0].memory_stats()``
is used too where the backend has it, i.e. not on CPU). The few-shot part trains 10 LoRA
draws of ``2k`` examples for ``--fewshot-steps`` steps as ONE `jf.finetune.fit_draws` call
vs 10 calls of one draw each.

The output ends with ``RESULT full_ms=... lora_ms=... probe_ms=... full_mb=... lora_mb=...
probe_mb=... vmap10_s=... loop10_s=... vmap_speedup=...``.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxfound as jf
from jaxfound.finetune import (
    SequenceClassifier,
    classification_loss,
    fit_draws,
    freeze,
    lora,
    param_count,
    stack_states,
)
from jaxfound.models.gpt import GPTConfig

KERNELS = "params/gpt/h_*/attn/c_attn/kernel"
HEAD = "params/head/**"


def _median_ms(step, state, batch, repeats):
    state, _ = step(state, batch)  # compile + warm-up
    jax.block_until_ready(state)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        state, aux = step(state, batch)
        jax.block_until_ready(aux["loss"])
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def _memory_mb(step, state, batch):
    m = jax.jit(step).lower(state, batch).compile().memory_analysis()
    if m is None:
        return float("nan")
    return (m.argument_size_in_bytes + m.temp_size_in_bytes) / 2**20


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--k", type=int, default=8, help="few-shot examples per class")
    p.add_argument("--fewshot-steps", type=int, default=20)
    a = p.parse_args(argv)
    if a.quick:
        cfg = GPTConfig(vocab_size=65, block_size=32, n_layer=1, n_head=2, n_embd=32, bias=False)
        a.repeats, a.fewshot_steps, a.batch_size = 3, 5, 8
    else:  # examples/pretrain_gpt.py's CPU recipe
        cfg = GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, bias=False)
    print(f"GPT {cfg.n_layer} x {cfg.n_embd}, context {cfg.block_size}, batch {a.batch_size}, "
          f"backend {jax.default_backend()}")
    key = jax.random.key(0)
    tokens = jax.random.randint(key, (a.batch_size, cfg.block_size), 0, cfg.vocab_size)
    mask = jnp.ones_like(tokens, bool)
    y = jnp.arange(a.batch_size) % 2
    batch = ((tokens, mask), y)
    clf = SequenceClassifier(cfg, num_classes=2)
    v = clf.init(key, (tokens[:1], mask[:1]))
    apply = jf.models.from_linen(clf)
    lo = lora(KERNELS, rank=a.rank, alpha=2.0 * a.rank)
    wrapped = lo.wrap(apply, also_train=HEAD)
    tree = {"base": v, "lora": lo.init(key, v)}
    variants = {
        "full": (classification_loss(clf, 2), v, optax.adamw(1e-4), None),
        "lora": (classification_loss(wrapped, 2), tree, lo.optimizer(optax.adamw(1e-3),
                                                                      also_train=HEAD),
                 ("lora/**", "base/" + HEAD)),
        "probe": (classification_loss(clf, 2), v, freeze(optax.adamw(1e-3), trainable=HEAD),
                  HEAD),
    }
    res: dict = {}
    print(f"\n{'variant':<8} {'trainable':>10} {'frac':>7} {'ms/step':>8} {'MiB':>8} "
          f"{'opt-state MiB':>13}")
    for name, (loss, params, tx, trainable) in variants.items():
        params = jax.tree_util.tree_map(jnp.copy, params)  # the step donates its input
        state = jf.train.TrainState.create(params, tx)
        step = jax.jit(jf.train.make_step(loss), donate_argnums=0)
        mb = _memory_mb(jf.train.make_step(loss), state, batch)
        opt_mb = sum(x.nbytes for x in jax.tree_util.tree_leaves(state.opt_state)) / 2**20
        ms = _median_ms(step, state, batch, a.repeats)
        c = param_count(params, trainable)
        stats = jax.devices()[0].memory_stats() or {}
        peak = stats.get("peak_bytes_in_use")
        extra = f"  device peak {peak / 2**20:.0f} MiB" if peak else ""
        print(f"{name:<8} {c.trainable:>10,} {c.fraction:>7.2%} {ms:>8.1f} {mb:>8.1f} "
              f"{opt_mb:>13.2f}{extra}")
        res[f"{name}_ms"], res[f"{name}_mb"] = round(ms, 2), round(mb, 2)

    # few-shot: 10 LoRA draws as one vmap vs 10 separate runs
    n = 2 * a.k
    x_draws = jax.random.randint(key, (10, n, cfg.block_size), 0, cfg.vocab_size)
    m_draws = jnp.ones_like(x_draws, bool)
    y_draws = jnp.tile(jnp.arange(n) % 2, (10, 1))

    def draw_loss(own, b, _):
        base, (x, yy) = b
        base = {**base, "params": {**base["params"], "head": own["head"]}}
        logits = clf.apply(lo.merge(base, own["lora"]), x)
        return optax.losses.softmax_cross_entropy_with_integer_labels(logits, yy).mean(), {}

    def init(k):
        return {"lora": lo.init(k, v), "head": v["params"]["head"]}

    keys = jax.random.split(key, 10)
    tx = optax.adam(1e-3)

    def run(states, data, k):
        st, losses = fit_draws(draw_loss, states, data, steps=a.fewshot_steps,
                               batch_size=n, key=k, shared=v)
        return jax.block_until_ready(losses)

    data = ((x_draws, m_draws), y_draws)
    run(stack_states(init, tx, keys), data, key)  # compile
    t0 = time.perf_counter()
    run(stack_states(init, tx, keys), data, key)
    t_vmap = time.perf_counter() - t0
    one = lambda d: jax.tree_util.tree_map(lambda z: z[d:d + 1], data)  # noqa: E731
    run(stack_states(init, tx, keys[:1]), one(0), key)  # compile the one-draw program
    t0 = time.perf_counter()
    for d in range(10):
        run(stack_states(init, tx, keys[d:d + 1]), one(d), key)
    t_loop = time.perf_counter() - t0
    print(f"\nfew-shot LoRA, 10 draws x {n} examples x {a.fewshot_steps} steps: one vmap "
          f"{t_vmap:.2f} s, 10 sequential runs {t_loop:.2f} s ({t_loop / t_vmap:.2f}x)")
    res.update(vmap10_s=round(t_vmap, 3), loop10_s=round(t_loop, 3),
               vmap_speedup=round(t_loop / t_vmap, 2))
    print("RESULT " + " ".join(f"{k}={val}" for k, val in res.items()))
    return res


if __name__ == "__main__":
    main()
