"""Scaling the GPT step: data parallel vs FSDP on 1, 2, 4, 8 devices and in 2 processes.

Each configuration runs in a fresh process: ``--xla_force_host_platform_device_count=D``
splits this machine's CPU into D XLA devices, and the 2-process runs join one job
through ``jax.distributed`` on 127.0.0.1 (Gloo collectives). The global batch is the
same everywhere, so tokens/s compare the same work. Configurations are interleaved
over ``--rounds`` (the order rotates) and each reports the median of ``--repeats``
timed compiled chunks.

Honest reading: forced host devices share the same cores (2 here), so more devices do
not add compute; the figures measure the overhead of partitioning and collectives, not
a speed-up. The memory columns are what scale: the bytes of parameters and optimiser
state each device holds (from the arrays' shards) and the compiled step's per-device
argument and temporary bytes (``compiled.memory_analysis()``).

    JAX_PLATFORMS=cpu python benchmarks/scaling.py            # ~10 min on 2 cores
    JAX_PLATFORMS=cpu python benchmarks/scaling.py --quick    # 1 round, fewer steps
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = ("data_parallel", "fsdp")


def _child(args: argparse.Namespace) -> None:
    """Measure one configuration in this process and print one JSON line."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    import jaxfound as jf
    from jaxfound.models.gpt import GPT, GPTConfig, adamw, lm_loss

    if args.processes > 1:
        jf.train.distributed.initialize(
            f"127.0.0.1:{args.port}", args.processes, args.process_id, timeout=120
        )
    cfg = GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
    model = GPT(cfg)
    params = model.init(jax.random.key(0), jnp.zeros((1, cfg.block_size), jnp.int32))
    tokens = jnp.asarray(np.random.default_rng(0).integers(0, 65, size=200_000), jnp.int32)
    batch = args.batch

    def sample(key, p, b, i):
        return jf.data.sample_windows(key, tokens, batch, cfg.block_size)

    tx = adamw(1e-3, steps=10_000)  # nanoGPT's AdamW: decay mask, clipping, cosine schedule
    state = jf.train.TrainState.create(params, tx, key=jax.random.key(1))
    plan = getattr(jf.train, args.layout)()
    loss, sampler = lm_loss(model), jf.train.Sampler(sample)
    run = dict(steps=args.steps, steps_per_call=args.steps, progress=False, sharding=plan)
    t0 = time.perf_counter()
    state, _ = jf.train.fit(state, loss, sampler, **run)  # compile + first chunk
    first = time.perf_counter() - t0
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        state, hist = jf.train.fit(state, loss, sampler, **run)
        times.append((time.perf_counter() - t0) / args.steps)

    placed = jf.train.shard(state, plan)
    leaves = jax.tree_util.tree_leaves((placed.params, placed.opt_state))
    total = sum(x.nbytes for x in leaves)
    per: dict = {}
    for x in leaves:
        for s in x.addressable_shards:
            per[s.device.id] = per.get(s.device.id, 0) + s.data.nbytes
    step = jax.jit(jf.train.constrain(jf.train.make_step(loss), plan))
    b = jax.eval_shape(lambda k: sample(k, None, None, 0), jax.random.key(0))
    b = jax.tree_util.tree_map(
        lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=plan.batch_sharding()), b
    )
    mem = step.lower(placed, b).compile().memory_analysis()
    out = dict(
        layout=args.layout, devices=jax.device_count(), processes=jax.process_count(),
        ms_per_step=1e3 * statistics.median(times), first_call_s=first,
        tokens_per_s=batch * cfg.block_size / statistics.median(times),
        state_bytes=total, state_bytes_per_device=max(per.values()),
        argument_bytes=getattr(mem, "argument_size_in_bytes", None),
        temp_bytes=getattr(mem, "temp_size_in_bytes", None),
        loss=float(hist["loss"][-1]),
    )
    if jax.process_index() == 0:
        print("JSON " + json.dumps(out), flush=True)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(devices: int, processes: int, layout: str, a: argparse.Namespace) -> dict:
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT))
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    base = [sys.executable, __file__, "--child", "--layout", layout, "--batch", str(a.batch),
            "--steps", str(a.steps), "--repeats", str(a.repeats)]
    port, procs = _port(), []
    try:
        for i in range(processes):
            extra = ["--processes", str(processes), "--process-id", str(i), "--port", str(port)]
            procs.append(subprocess.Popen(base + extra, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True,
                                          start_new_session=True))
        outs = [p.communicate(timeout=1800) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    for p, (_so, se) in zip(procs, outs):
        if p.returncode:
            raise RuntimeError(f"child failed ({devices} dev, {processes} proc):\n{se[-3000:]}")
    line = next(ln for so, _ in outs for ln in so.splitlines() if ln.startswith("JSON "))
    return json.loads(line[5:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--layout", default="fsdp", help=argparse.SUPPRESS)
    ap.add_argument("--processes", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--process-id", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=16, help="global batch (windows of 64)")
    ap.add_argument("--steps", type=int, default=20, help="steps per timed chunk")
    ap.add_argument("--repeats", type=int, default=3, help="timed chunks per run (median)")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds (median)")
    ap.add_argument("--devices", default="1,2,4,8")
    ap.add_argument("--quick", action="store_true", help="1 round, 10 steps, 2 repeats")
    a = ap.parse_args()
    if a.child:
        _child(a)
        return
    if a.quick:
        a.rounds, a.steps, a.repeats = 1, 10, 2
    configs = [(d, 1, lay) for d in map(int, a.devices.split(",")) for lay in LAYOUTS]
    configs += [(2, 2, lay) for lay in LAYOUTS]  # 2 processes x 1 device each
    got: dict = {c: [] for c in configs}
    for r in range(a.rounds):
        order = configs[r % len(configs):] + configs[: r % len(configs)]
        for c in order:
            d, p, lay = c
            res = _run(d // p if p > 1 else d, p, lay, a)
            got[c].append(res)
            print(f"round {r}: {lay:13s} {d} dev {p} proc: {res['ms_per_step']:.1f} ms/step",
                  flush=True)
    med = {c: {k: statistics.median(r[k] for r in rs) for k in ("ms_per_step", "tokens_per_s")}
           | {k: rs[0][k] for k in ("state_bytes", "state_bytes_per_device", "argument_bytes",
                                    "temp_bytes", "first_call_s")} for c, rs in got.items()}
    print("\nGPT 4x128, block 64, global batch", a.batch, "- medians of", a.rounds, "rounds")
    print(f"{'layout':14s}{'dev':>4s}{'proc':>5s}{'ms/step':>9s}{'tok/s':>8s}{'vs 1 dev':>9s}"
          f"{'state/dev':>11s}{'share':>7s}{'arg MB':>8s}{'temp MB':>8s}")
    for (d, p, lay), m in med.items():
        one = med.get((1, 1, lay))
        ratio = one["ms_per_step"] / m["ms_per_step"] if one else float("nan")
        share = m["state_bytes_per_device"] / m["state_bytes"]
        print(f"{lay:14s}{d:4d}{p:5d}{m['ms_per_step']:9.1f}{m['tokens_per_s']:8.0f}"
              f"{ratio:9.2f}{m['state_bytes_per_device'] / 1e6:10.2f}M{share:7.3f}"
              f"{(m['argument_bytes'] or 0) / 1e6:8.2f}{(m['temp_bytes'] or 0) / 1e6:8.2f}")
    top = max(d for d, p, _ in configs if p == 1)
    f = med[(top, 1, "fsdp")]
    share = f["state_bytes_per_device"] / f["state_bytes"]
    bar = share <= 1 / top + 0.05
    print(f"\nFSDP over {top} devices: each device holds {share:.4f} of the parameter and "
          f"optimiser bytes (bar <= 1/{top} + 0.05 = {1 / top + 0.05:.4f}: "
          f"{'met' if bar else 'MISSED'}). No GPU on this machine: no tokens/s or MFU on one.")
    dp1 = med[(1, 1, "data_parallel")]["ms_per_step"]
    print(f"RESULT fsdp{top}_state_share={share:.4f} bar_met={bar} "
          f"dp1_ms={dp1:.1f} dp{top}_ms={med[(top, 1, 'data_parallel')]['ms_per_step']:.1f} "
          f"fsdp{top}_ms={f['ms_per_step']:.1f} "
          f"dp_2proc_ms={med[(2, 2, 'data_parallel')]['ms_per_step']:.1f}")


if __name__ == "__main__":
    main()
