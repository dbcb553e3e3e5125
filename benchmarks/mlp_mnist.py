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
+ backward matmul FLOPs (3 × 2 × params-in-matmuls × examples) divided by the
large-matmul rate measured here.

Run:  python benchmarks/mlp_mnist.py [--batch-sizes 32 256] [--rounds 5]
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


def load_data():
    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
    try:
        x, y, _, _ = jf.data.load_mnist(folder)
        return x.reshape(len(x), -1), y, "real MNIST"
    except jf.errors.JaxfoundError:
        rng = np.random.default_rng(0)
        x = rng.random((60000, 784), dtype=np.float32)
        return x, rng.integers(0, 10, 60000).astype(np.int32), "synthetic (MNIST absent)"


def flop_floor(n: int) -> tuple[float, float]:
    """(seconds per epoch at the measured matmul rate, GFLOP/s measured)."""
    a = jnp.ones((2048, 2048), jnp.float32)
    mm = jax.jit(lambda a: a @ a)
    mm(a).block_until_ready()
    times = []
    for _ in range(10):
        t = time.perf_counter()
        mm(a).block_until_ready()
        times.append(time.perf_counter() - t)
    rate = 2 * 2048**3 / min(times)
    weights = sum(i * o for i, o in zip(LAYERS[:-1], LAYERS[1:]))
    return 3 * 2 * weights * n / rate, rate / 1e9


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
    a = p.parse_args(argv)
    x, y, source = load_data()
    if a.n:
        x, y = x[: a.n], y[: a.n]
    floor, gflops = flop_floor(len(x))
    print(f"data: {source}, {len(x)} examples; jax {jax.__version__} on {jax.default_backend()}")
    print(f"FLOP floor: {floor:.3f} s/epoch (matmul rate {gflops:.0f} GFLOP/s)\n")
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
    return results


if __name__ == "__main__":
    main()
