"""Asynchronous vs synchronous checkpoint saves of a ~100 MB TrainState (Orbax).

A TrainState of ``--mb`` megabytes (Adam: params + two moments, float32, one third
each) is saved with `jaxfound.train.CheckpointManager` two ways, interleaved,
``--repeats`` times each:

* ``sync``: ``async_save=False``; the time of ``save`` (the whole write, fingerprints
  included);
* ``async``: ``async_save=True``; the time ``save`` blocks the caller (fingerprints and
  the copy off the live buffers; the write goes on in the background). Then ``wait()``
  outside the timed part, before the next save (so no save waits for another);
* ``sync_fp`` / ``async_fp``: the same with ``fingerprints=True`` (the optional
  device-side leaf fingerprints are computed before Orbax copies the arrays, so they
  count as blocking time).

Each save is a new step of a fresh directory under ``--dir`` (removed after). Medians.
The bar: ``async_block_ms < 10% of sync_ms``. The output ends with
``RESULT async_block_ms=... async_total_ms=... sync_ms=... ratio=...
async_block_fp_ms=... sync_fp_ms=... ratio_fp=... mb=... repeats=...``.

Run:  python benchmarks/checkpoint_io.py [--mb 100] [--repeats 5] [--dir /tmp/ckpt_io]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time

import jax
import jax.numpy as jnp
import optax

import jaxfound as jf


def make_state(mb: float) -> jf.train.TrainState:
    n = int(mb * 1e6 / 4 / 3)  # params + mu + nu, float32
    params = {"w": jax.random.normal(jax.random.key(0), (n,), jnp.float32)}
    state = jf.train.TrainState.create(params, optax.adam(1e-3), key=jax.random.key(1))
    return jax.block_until_ready(state)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=float, default=100.0)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--dir", default=None, help="scratch folder (default: a temporary one)")
    a = p.parse_args(argv)
    root = tempfile.mkdtemp(dir=a.dir)
    state = make_state(a.mb)
    size = sum(x.nbytes for x in jax.tree_util.tree_leaves(jax.random.key_data(state.key)))
    size += sum(x.nbytes for x in jax.tree_util.tree_leaves((state.params, state.opt_state)))
    new = jf.train.CheckpointManager
    managers = {
        "sync": new(f"{root}/sync", max_to_keep=1, async_save=False),
        "async": new(f"{root}/async", max_to_keep=1, async_save=True),
        "sync_fp": new(f"{root}/sync_fp", max_to_keep=1, async_save=False, fingerprints=True),
        "async_fp": new(f"{root}/async_fp", max_to_keep=1, fingerprints=True),
    }
    times: dict[str, list[float]] = {k: [] for k in managers}
    times["async_total"] = []
    for r in range(a.repeats + 1):  # the first round warms up (compiles the fingerprint)
        for kind, mgr in managers.items():
            s = state.replace(step=jnp.asarray(r, jnp.int32))
            t0 = time.perf_counter()
            mgr.save(s)
            t1 = time.perf_counter()
            mgr.wait()
            t2 = time.perf_counter()
            if r:
                times[kind].append(t1 - t0)
                if kind == "async":
                    times["async_total"].append(t2 - t0)
    for mgr in managers.values():
        mgr.close()
    shutil.rmtree(root, ignore_errors=True)
    med = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    ratio = med["async"] / med["sync"]
    ratio_fp = med["async_fp"] / med["sync_fp"]
    print(f"state: {size / 1e6:.1f} MB ({a.repeats} interleaved repeats, medians)")
    for k, v in times.items():
        print(f"  {k:12s} {med[k]:9.1f} ms   (all: {', '.join(f'{1e3 * t:.0f}' for t in v)})")
    print(f"async blocks for {100 * ratio:.1f}% of the synchronous save (bar: < 10%); "
          f"with fingerprints=True {100 * ratio_fp:.1f}%")
    out = dict(async_block_ms=med["async"], async_total_ms=med["async_total"], sync_ms=med["sync"],
               ratio=ratio, async_block_fp_ms=med["async_fp"], sync_fp_ms=med["sync_fp"],
               ratio_fp=ratio_fp, mb=size / 1e6, repeats=a.repeats)
    print("RESULT " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in out.items()))
    return out


if __name__ == "__main__":
    main()
