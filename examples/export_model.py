"""Export trained models for deployment and run them without their Python code.

1. trains the digits MLP (the 8x8 digits set shipped with jaxfound: no download) and a CART
   tree on the same split;
2. exports each with `jaxfound.export.save`: the MLP for CPU and CUDA in one file (lowering
   for CUDA needs no GPU), the tree's class probabilities for CPU; the batch size symbolic;
3. prints the manifest and the size of the StableHLO text written beside the program;
4. loads them back with `jaxfound.export.load` and checks the outputs against the in-process
   models;
5. runs ``python -m jaxfound.cli predict`` in a fresh process on a ``.npy`` file of test
   images: the deployment path, which imports neither flax nor jaxfound's model code.

The output ends with one machine-readable line ``RESULT key=value ...``: the test accuracy of
the MLP in process and through the CLI, the largest output difference of each export, and
the program sizes.

Run:  python examples/export_model.py [--smoke] [--out runs/export_model]
"""

from __future__ import annotations

import argparse
import json
import os
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
from jaxfound.models import trees  # noqa: E402


def train_mlp(x_tr, y_tr, epochs: int):
    model = jf.models.MLP(features=(128, 10), dropout=0.2)
    loss_fn = jf.losses.supervised(
        model, lambda y, z: optax.losses.softmax_cross_entropy_with_integer_labels(z, y))
    state = jf.train.TrainState.create(model.init(jax.random.key(0), x_tr[:1]),
                                       optax.adam(3e-3), key=jax.random.key(1))
    state, _ = jf.train.fit(state, loss_fn, (x_tr, y_tr), epochs=epochs, batch_size=32,
                            progress=False)
    return model, state.params


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="3 epochs instead of 20")
    ap.add_argument("--out", type=Path, default=Path("runs/export_model"))
    a = ap.parse_args(argv)

    x, y = jf.data.load_digits()
    x_tr, x_te, y_tr, y_te = jf.data.train_test_split(jax.random.key(0), x, y, test_size=0.25)
    x_te = np.asarray(x_te, np.float32)
    print(f"== 1. train on digits: {len(x_tr)} train / {len(x_te)} test images ==")
    model, params = train_mlp(x_tr, y_tr, 3 if a.smoke else 20)
    logits = np.asarray(model.apply(params, x_te))
    acc = float(np.mean(logits.argmax(-1) == np.asarray(y_te)))
    cart = trees.cart_classifier(max_depth=6)
    tree = cart.fit(x_tr, y_tr)
    proba = np.asarray(cart.predict_proba(tree, x_te))
    print(f"MLP test accuracy {acc:.4f}; tree test accuracy "
          f"{float(np.mean(proba.argmax(-1) == np.asarray(y_te))):.4f}")

    print("\n== 2. export ==")
    mlp_path = jf.export.save(a.out / "digits_mlp.jaxexport", model.apply, params, x_te[:1],
                              platforms=("cpu", "cuda"), name="digits_mlp")
    tree_path = jf.export.save(a.out / "digits_tree.jaxexport", cart.predict_proba, tree,
                               x_te[:1], name="digits_tree_proba")
    for p in (mlp_path, tree_path):
        print(f"wrote {p} ({p.stat().st_size} bytes), {jf.export.manifest_path(p).name}, "
              f"{jf.export.stablehlo_path(p).name}")

    print("\n== 3. the MLP's manifest ==")
    manifest = jf.export.read_manifest(mlp_path)
    for key in ("platforms", "inputs", "outputs", "params_sha256", "versions"):
        print(f"{key:>14}: {json.dumps(manifest[key])}")
    mlir = jf.export.stablehlo_path(mlp_path).read_text().splitlines()
    main_fn = next(line.strip() for line in mlir if "func.func public @main" in line)
    print(f"StableHLO text: {len(mlir)} lines; {main_fn[:90]}...")

    print("\n== 4. load in this process ==")
    t0 = time.perf_counter()
    exported_mlp = jf.export.load(mlp_path)
    out = np.asarray(exported_mlp(x_te))
    load_s = time.perf_counter() - t0
    diff_mlp = float(np.max(np.abs(out - logits)))
    diff_tree = float(np.max(np.abs(np.asarray(jf.export.load(tree_path)(x_te)) - proba)))
    print(f"MLP: load + first call {load_s:.3f} s, max |exported - in process| {diff_mlp:.2e}")
    print(f"tree: max |exported - in process| {diff_tree:.2e}")
    try:
        exported_mlp(x_te.astype(np.float64))
    except jf.errors.DTypeError as e:
        print(f"a float64 batch is refused: {e}")

    print("\n== 5. `jaxfound predict` in a fresh process ==")
    np.save(a.out / "x_test.npy", x_te)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    cmd = [sys.executable, "-m", "jaxfound.cli", "predict", str(mlp_path),
           str(a.out / "x_test.npy"), "--out", str(a.out / "logits.npy")]
    print("$ jaxfound " + " ".join(cmd[3:]))
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if run.returncode:
        raise SystemExit(run.stderr)
    print(run.stdout.strip())
    cli_logits = np.load(a.out / "logits.npy", allow_pickle=False)
    cli_acc = float(np.mean(cli_logits.argmax(-1) == np.asarray(y_te)))
    diff_cli = float(np.max(np.abs(cli_logits - logits)))
    print(f"accuracy from the CLI's output {cli_acc:.4f} (in process {acc:.4f}), "
          f"max |difference| {diff_cli:.2e}")

    result = {
        "mlp_test_accuracy": f"{acc:.4f}",
        "cli_test_accuracy": f"{cli_acc:.4f}",
        "mlp_max_abs_diff": f"{diff_mlp:.3g}",
        "cli_max_abs_diff": f"{diff_cli:.3g}",
        "tree_max_abs_diff": f"{diff_tree:.3g}",
        "mlp_program_bytes": manifest["program_bytes"],
        "tree_program_bytes": jf.export.read_manifest(tree_path)["program_bytes"],
        "mlp_load_first_call_s": f"{load_s:.3f}",
    }
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))
    return result


if __name__ == "__main__":
    main()
