"""Exported MNIST MLP: equal outputs in a fresh process without model code, and the start-up cost.

The MNIST MLP of ``benchmarks/mlp_mnist.py`` (784-128-128-10, dropout 0.5) is trained for
``--epochs`` epochs (Adam 1e-3, batch 256) on MNIST read from ``--data`` (``--epochs 0``:
the random initialisation, no data needed; when the data are absent the script says so
and uses the initialisation). It is exported with `jaxfound.export.save` (symbolic batch,
CPU), and its parameters are also written to an ``.npz`` (no pickle). Then, ``--repeats``
times, interleaved, two fresh Python processes each predict the same 256 test images:

* ``export``: ``from jaxfound.export import load``; load the file; first call. The process's
  import system refuses ``flax`` and ``jaxfound.models``, so it provably runs without them.
* ``code``: ``from jaxfound.models import MLP`` (flax comes with it); build the MLP from
  code; read the ``.npz`` into the parameter structure (``jax.eval_shape`` of ``init``);
  jit ``apply``; first call.

Each child times, from its first line, the imports and then the "load (or build) and
first call" part (``block_until_ready``); the parent also times the whole process (interpreter
start to exit). Medians over the repeats. The outputs of both children are compared with
the parent's in-process ``model.apply`` (the bar: max |difference| <= 1e-6).

Run:  python benchmarks/export_mlp.py [--data PATH] [--epochs 1] [--repeats 5]
      [--out runs/export_mlp]

``--data`` defaults to ``shared/data/mnist`` next to the repository's folder. The output
ends with one machine-readable line ``RESULT key=value ...``: ``max_abs_diff_export``,
``max_abs_diff_code``, ``export_load_first_call_s``, ``code_build_first_call_s`` (the two
numbers the bar compares), ``export_import_s``, ``code_import_s``, ``export_process_s``,
``code_process_s``, ``program_bytes``, ``params`` (``mnist_<E>epochs`` or ``random_init``),
``test_accuracy`` and ``repeats``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import optax

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import jaxfound as jf  # noqa: E402

LAYERS = (128, 128, 10)
DROPOUT, LR, BATCH = 0.5, 1e-3, 256
N_PREDICT = 256

_TIMER = "import time; _t0 = time.perf_counter()\n"
_RESULT = """
import json, sys
y = np.asarray(y)
np.save(sys.argv[3], y)
print(json.dumps({"import_s": t_import - _t0, "first_call_s": time.perf_counter() - t_import,
                  "flax": "flax" in sys.modules, "models": "jaxfound.models" in sys.modules}))
"""

EXPORT_CHILD = _TIMER + """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "flax" or name.startswith("jaxfound.models"):
            raise ModuleNotFoundError(f"{name} is blocked in this process")
sys.meta_path.insert(0, Block())
import numpy as np
from jaxfound.export import load
t_import = time.perf_counter()
x = np.load(sys.argv[2], allow_pickle=False)
y = load(sys.argv[1])(x).block_until_ready()
""" + _RESULT

CODE_CHILD = _TIMER + """
import sys
import jax
import numpy as np
from jaxfound.models import MLP  # flax and the model code
t_import = time.perf_counter()
x = np.load(sys.argv[2], allow_pickle=False)
model = MLP(features=LAYERS, dropout=DROPOUT)
shapes = jax.eval_shape(model.init, jax.random.key(0), x[:1])
with np.load(sys.argv[1], allow_pickle=False) as f:
    leaves = [f[str(i)] for i in range(len(f.files))]
params = jax.tree.unflatten(jax.tree.structure(shapes), leaves)
y = jax.jit(model.apply)(params, x).block_until_ready()
"""
CODE_CHILD = CODE_CHILD.replace("LAYERS", repr(LAYERS)).replace("DROPOUT", repr(DROPOUT)) + _RESULT


def train(data: Path, epochs: int):
    """The MLP's parameters, test images and the test accuracy (None for the initialisation)."""
    model = jf.models.MLP(features=LAYERS, dropout=DROPOUT)
    if epochs and data.exists():
        x_tr, y_tr, x_te, y_te = jf.data.load_mnist(data, download=False)
        params = model.init(jax.random.key(0), x_tr[:1])
        loss_fn = jf.losses.supervised(
            model,
            lambda y, z: optax.losses.softmax_cross_entropy_with_integer_labels(z, y),
            metrics={"accuracy": jf.stats.accuracy},
        )
        state = jf.train.TrainState.create(params, optax.adam(LR), key=jax.random.key(1))
        state, _ = jf.train.fit(state, loss_fn, (x_tr, y_tr), epochs=epochs, batch_size=BATCH,
                                progress=False)
        acc = float(jf.train.evaluate(state.params, loss_fn, (x_te, y_te))["accuracy"])
        return model, state.params, x_te[:N_PREDICT], f"mnist_{epochs}epochs", acc
    if epochs:
        print(f"MNIST not found at {data}: exporting the random initialisation instead")
    x = np.asarray(jax.random.uniform(jax.random.key(2), (N_PREDICT, 28, 28)), np.float32)
    return model, model.init(jax.random.key(0), x[:1]), x, "random_init", None


def run_child(code: str, *args: str) -> dict:
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                          if p))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=env, timeout=600)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(f"child failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["process_s"] = wall
    return res


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("runs/export_mlp"))
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)

    model, params, x, which, acc = train(a.data, a.epochs)
    program = jf.export.save(a.out / "mlp.jaxexport", model.apply, params, x[:1], name="mnist_mlp")
    np.savez(a.out / "params.npz", **{str(i): np.asarray(v)
                                       for i, v in enumerate(jax.tree.leaves(params))})
    np.save(a.out / "x.npy", x)
    reference = np.asarray(model.apply(params, x))

    runs: dict[str, list[dict]] = {"export": [], "code": []}
    for _ in range(a.repeats):  # interleaved, so drifts in machine load hit both alike
        runs["export"].append(run_child(EXPORT_CHILD, str(program), str(a.out / "x.npy"),
                                        str(a.out / "y_export.npy")))
        runs["code"].append(run_child(CODE_CHILD, str(a.out / "params.npz"),
                                      str(a.out / "x.npy"), str(a.out / "y_code.npy")))
    assert not any(r["flax"] or r["models"] for r in runs["export"]), "export child used flax"
    diff = {k: float(np.max(np.abs(np.load(a.out / f"y_{k}.npy") - reference))) for k in runs}
    med = {k: {f: statistics.median(r[f] for r in rs)
               for f in ("import_s", "first_call_s", "process_s")} for k, rs in runs.items()}

    manifest = jf.export.read_manifest(program)
    print(f"MNIST MLP 784-{'-'.join(map(str, LAYERS))}, params: {which}"
          + (f" (test accuracy {acc:.4f})" if acc is not None else "")
          + f"; program {manifest['program_bytes']} bytes, inputs {manifest['inputs']}")
    print(f"fresh processes, medians of {a.repeats} interleaved repeats, {N_PREDICT} images:")
    print(f"{'':>8} {'imports s':>10} {'load/build + 1st call s':>24} {'process s':>10}"
          f" {'max |diff|':>11}")
    for k in runs:
        print(f"{k:>8} {med[k]['import_s']:10.3f} {med[k]['first_call_s']:24.3f} "
              f"{med[k]['process_s']:10.3f} {diff[k]:11.2e}")
    result = {
        "max_abs_diff_export": f"{diff['export']:.3g}",
        "max_abs_diff_code": f"{diff['code']:.3g}",
        "export_load_first_call_s": f"{med['export']['first_call_s']:.3f}",
        "code_build_first_call_s": f"{med['code']['first_call_s']:.3f}",
        "export_import_s": f"{med['export']['import_s']:.3f}",
        "code_import_s": f"{med['code']['import_s']:.3f}",
        "export_process_s": f"{med['export']['process_s']:.3f}",
        "code_process_s": f"{med['code']['process_s']:.3f}",
        "program_bytes": manifest["program_bytes"],
        "params": which,
        "test_accuracy": "none" if acc is None else f"{acc:.4f}",
        "repeats": a.repeats,
    }
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))
    return result


if __name__ == "__main__":
    main()
