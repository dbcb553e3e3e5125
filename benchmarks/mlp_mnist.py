"""MNIST MLP (784-128-128-10, dropout 0.5, Adam 1e-3): seconds per epoch, side by side.

Contenders, run interleaved (one epoch each per round, after a warm-up epoch
that absorbs compilation), medians reported:

* ``jaxfound.fit``          — the library's training loop (scan-fused epoch) on
                              ``jf.models.MLP`` (its dropout draws 32 keep/drop decisions
                              per 32-bit random word at rate 0.5);
* ``hand jit step``         — a Python loop over a ``jax.jit`` step, host-side batching,
                              the model written with ``flax.linen`` (``nn.Dense``,
                              ``nn.Dropout``): what one writes without jaxfound;
* ``hand lax.scan``         — a hand-written whole-epoch ``lax.scan`` that shuffles the
                              data set inside the jit (one big gather) and scans over it,
                              same ``flax.linen`` model;
* ``hand jit step (jf MLP)``, ``hand lax.scan (jf MLP)`` — the same two loops around
                              ``jf.models.MLP``: they separate what the loop gains from
                              what the model's cheaper dropout gains;
* ``flax nnx``              — the canonical Flax NNX loop (``nnx.jit`` step, nnx.Optimizer);
* ``pytorch``               — the same model with ``torch.nn`` on the CPU;
* ``keras3 (jax)``          — Keras 3 ``model.fit`` with the JAX backend.

Missing peers are skipped with a note. The FLOP floor of an epoch is the forward
+ backward matmul FLOPs (3 × 2 × params-in-matmuls × examples) divided by the machine's
best large-matmul rate measured in the same run: the larger of XLA's and torch's (MKL)
on a 2048² float32 matmul (XLA's alone, with a note, when torch is absent).

Run:  python benchmarks/mlp_mnist.py [--data PATH] [--batch-sizes 32 256] [--rounds 5]

``--data`` defaults to ``shared/data/mnist`` next to the repository's folder. The output
ends with one machine-readable line ``RESULT key=value …``: per batch size ``B``,
``bsB_<contender>_ms`` (median ms per epoch), ``bsB_jaxfound_over_<peer>`` (jaxfound's
time / the peer's), and ``floor_ms``, ``matmul_gflops``, ``matmul_source``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import jaxfound as jf  # noqa: E402

LAYERS = (784, 128, 128, 10)
DROPOUT, LR = 0.5, 1e-3


#: ``../shared/data/mnist`` relative to the repository root.
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def load_data(folder=DEFAULT_DATA):
    try:
        x, y, _, _ = jf.data.load_mnist(folder)
        return x.reshape(len(x), -1), y, "real MNIST"
    except jf.errors.JaxfoundError:
        rng = np.random.default_rng(0)
        x = rng.random((60000, 784), dtype=np.float32)
        return x, rng.integers(0, 10, 60000).astype(np.int32), "synthetic (MNIST absent)"


def _best_time(fn, repeats: int = 10) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def matmul_rates(size: int = 2048) -> dict[str, float]:
    """GFLOP/s of a large square float32 matmul: XLA's, and torch's (MKL) when installed."""
    flops = 2 * size**3
    a = jnp.ones((size, size), jnp.float32)
    mm = jax.jit(lambda a: a @ a)
    rates = {"xla": flops / _best_time(lambda: mm(a).block_until_ready()) / 1e9}
    try:
        import torch
    except ImportError:
        return rates
    t = torch.ones((size, size), dtype=torch.float32)
    rates["torch"] = flops / _best_time(lambda: t @ t) / 1e9
    return rates


def flop_floor(n: int, rate_gflops: float) -> float:
    """Seconds per epoch of the matmul FLOPs (forward + backward) at ``rate_gflops``."""
    weights = sum(i * o for i, o in zip(LAYERS[:-1], LAYERS[1:]))
    return 3 * 2 * weights * n / (rate_gflops * 1e9)


def _slug(name: str) -> str:
    out = "".join(c if c.isalnum() else "_" for c in name.lower())
    return "_".join(part for part in out.split("_") if part)


# --------------------------------------------------------------------------- contenders
# Each factory returns ``run_epoch()``; calling it trains one epoch and blocks.

ce = optax.losses.softmax_cross_entropy_with_integer_labels


def make_jaxfound(x, y, bs, unroll=1):
    model = jf.models.MLP(LAYERS[1:], dropout=DROPOUT)
    params = model.init(jax.random.key(0), x[:1])
    loss_fn = jf.losses.supervised(model, lambda y, logits: ce(logits, y))
    state = [jf.train.TrainState.create(params, optax.adam(LR), key=jax.random.key(1))]
    # on the device once, as the hand-written scan does; fit is called once per epoch here
    # (to interleave the contenders), so its input checks are paid every epoch
    data = (jnp.asarray(x), jnp.asarray(y))

    def run():
        state[0], _ = jf.train.fit(state[0], loss_fn, data, epochs=1, batch_size=bs,
                                   progress=False, unroll=unroll)
        jax.block_until_ready(state[0].params)

    return run


class LinenMLP(nn.Module):
    """The model as written with flax.linen alone."""

    @nn.compact
    def __call__(self, x, deterministic=True):
        for width in LAYERS[1:-1]:
            x = nn.Dropout(DROPOUT, deterministic=deterministic)(nn.relu(nn.Dense(width)(x)))
        return nn.Dense(LAYERS[-1])(x)


def _hand_parts(x, jf_model=False):
    model = jf.models.MLP(LAYERS[1:], dropout=DROPOUT) if jf_model else LinenMLP()
    params = model.init(jax.random.key(0), x[:1])
    tx = optax.adam(LR)

    def step(params, opt_state, key, xb, yb):
        def loss(p):
            logits = model.apply(p, xb, deterministic=False, rngs={"dropout": key})
            return ce(logits, yb).mean()

        g = jax.grad(loss)(params)
        updates, opt_state = tx.update(g, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    return params, tx.init(params), step


def make_hand_step(x, y, bs, jf_model=False):
    params, opt_state, step = _hand_parts(x, jf_model)
    jstep = jax.jit(step, donate_argnums=(0, 1))
    carry = [params, opt_state, jax.random.key(1), np.random.default_rng(0)]

    def run():
        p, o, key, rng = carry
        perm = rng.permutation(len(x))
        for i in range(len(x) // bs):
            idx = perm[i * bs : (i + 1) * bs]
            key, sub = jax.random.split(key)
            p, o = jstep(p, o, sub, x[idx], y[idx])
        jax.block_until_ready(p)
        carry[:3] = p, o, key

    return run


def make_hand_scan(x, y, bs, jf_model=False):
    params, opt_state, step = _hand_parts(x, jf_model)
    xd, yd = jnp.asarray(x), jnp.asarray(y)
    nb = len(x) // bs

    @jax.jit
    def epoch(params, opt_state, key):
        key, pk = jax.random.split(key)
        perm = jax.random.permutation(pk, len(xd))[: nb * bs]
        xs = xd[perm].reshape(nb, bs, -1)
        ys = yd[perm].reshape(nb, bs)

        def body(c, b):
            p, o, k = c
            k, sub = jax.random.split(k)
            p, o = step(p, o, sub, *b)
            return (p, o, k), None

        (params, opt_state, key), _ = jax.lax.scan(body, (params, opt_state, key), (xs, ys))
        return params, opt_state, key

    carry = [params, opt_state, jax.random.key(1)]

    def run():
        carry[:] = epoch(*carry)
        jax.block_until_ready(carry[0])

    return run


def make_nnx(x, y, bs):
    from flax import nnx

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.l1 = nnx.Linear(784, 128, rngs=rngs)
            self.l2 = nnx.Linear(128, 128, rngs=rngs)
            self.l3 = nnx.Linear(128, 10, rngs=rngs)
            self.drop = nnx.Dropout(DROPOUT, rngs=rngs)

        def __call__(self, x):
            x = self.drop(nnx.relu(self.l1(x)))
            x = self.drop(nnx.relu(self.l2(x)))
            return self.l3(x)

    model = Net(nnx.Rngs(0))
    opt = nnx.Optimizer(model, optax.adam(LR), wrt=nnx.Param)

    @nnx.jit
    def train_step(model, opt, xb, yb):
        def loss_fn(model):
            return ce(model(xb), yb).mean()

        grads = nnx.grad(loss_fn)(model)
        opt.update(model, grads)

    rng = np.random.default_rng(0)

    def run():
        perm = rng.permutation(len(x))
        for i in range(len(x) // bs):
            idx = perm[i * bs : (i + 1) * bs]
            train_step(model, opt, x[idx], y[idx])
        jax.block_until_ready(nnx.state(model))

    return run


def make_torch(x, y, bs):
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Dropout(DROPOUT),
        torch.nn.Linear(128, 128), torch.nn.ReLU(), torch.nn.Dropout(DROPOUT),
        torch.nn.Linear(128, 10),
    )
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    lossf = torch.nn.CrossEntropyLoss()

    def run():
        net.train()
        perm = torch.randperm(len(xt))
        for i in range(len(xt) // bs):
            idx = perm[i * bs : (i + 1) * bs]
            opt.zero_grad(set_to_none=True)
            lossf(net(xt[idx]), yt[idx]).backward()
            opt.step()

    return run


def make_keras(x, y, bs):
    import keras

    if keras.backend.backend() != "jax":
        raise RuntimeError(f"Keras backend is {keras.backend.backend()}, not jax")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(DROPOUT),
        keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(DROPOUT),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer=keras.optimizers.Adam(LR),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    def run():
        model.fit(x, y, batch_size=bs, epochs=1, shuffle=True, verbose=0)

    return run


CONTENDERS = {
    "jaxfound.fit": make_jaxfound,
    "hand jit step": make_hand_step,
    "hand lax.scan": make_hand_scan,
    "hand jit step (jf MLP)": partial(make_hand_step, jf_model=True),
    "hand lax.scan (jf MLP)": partial(make_hand_scan, jf_model=True),
    "flax nnx": make_nnx,
    "pytorch": make_torch,
    "keras3 (jax)": make_keras,
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--only", nargs="*", default=None, help="subset of contenders")
    p.add_argument("--n", type=int, default=None, help="use the first N examples")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="folder with the MNIST .gz files")
    a = p.parse_args(argv)
    x, y, source = load_data(a.data)
    if a.n:
        x, y = x[: a.n], y[: a.n]
    rates = matmul_rates()
    source_mm = max(rates, key=rates.get)
    gflops = rates[source_mm]
    floor = flop_floor(len(x), gflops)
    print(f"data: {source}, {len(x)} examples; jax {jax.__version__} on {jax.default_backend()}")
    measured = ", ".join(f"{k} {v:.0f}" for k, v in rates.items())
    if "torch" not in rates:
        measured += " (torch absent: XLA's rate alone)"
    print(f"matmul 2048² float32 GFLOP/s: {measured}; best: {source_mm}")
    print(f"FLOP floor: {floor:.3f} s/epoch (at {gflops:.0f} GFLOP/s)\n")
    summary = {"floor_ms": f"{1e3 * floor:.1f}", "matmul_gflops": f"{gflops:.0f}",
               "matmul_source": source_mm}
    names = [n for n in CONTENDERS if a.only is None or n in a.only]
    results = {}
    for bs in a.batch_sizes:
        runs, notes = {}, {}
        for name in names:
            try:
                run = CONTENDERS[name](x, y, bs)
                run()  # warm-up: compilation, first-touch
                runs[name] = run
            except Exception as e:  # noqa: BLE001 - a missing peer is a note, not a failure
                notes[name] = f"skipped: {type(e).__name__}: {str(e).splitlines()[0][:80]}"
        times = {n: [] for n in runs}
        for _ in range(a.rounds):
            for name, run in runs.items():
                t = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - t)
        med = {n: statistics.median(t) for n, t in times.items()}
        ref = med.get("hand lax.scan")
        jf_t = med.get("jaxfound.fit")
        print(f"batch {bs}: median s/epoch over {a.rounds} interleaved rounds")
        print(f"{'contender':22s} {'s/epoch':>8s} {'min':>7s} {'max':>7s} {'x floor':>8s} "
              f"{'/ hand scan':>11s} {'/ jaxfound':>10s}")
        for name in names:
            if name in notes:
                print(f"{name:22s} {notes[name]}")
                continue
            m = med[name]
            print(f"{name:22s} {m:8.3f} {min(times[name]):7.3f} {max(times[name]):7.3f} "
                  f"{m / floor:8.2f} {m / ref if ref else float('nan'):11.2f} "
                  f"{m / jf_t if jf_t else float('nan'):10.2f}")
        print()
        results[bs] = med
        for name, m in med.items():
            summary[f"bs{bs}_{_slug(name)}_ms"] = f"{1e3 * m:.1f}"
            if jf_t and name != "jaxfound.fit":
                summary[f"bs{bs}_jaxfound_over_{_slug(name)}"] = f"{jf_t / m:.3f}"
    print("RESULT " + " ".join(f"{k}={v}" for k, v in summary.items()))
    return results


if __name__ == "__main__":
    main()
