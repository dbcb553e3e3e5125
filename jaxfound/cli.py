"""The ``jaxfound`` command.

* ``jaxfound demo`` trains an MLP on the embedded digits set;
* ``jaxfound predict EXPORTED INPUT.npy [--out OUT.npy]`` runs a program written by
  `jaxfound.export.save` on a ``.npy`` file (read without pickle);
* ``jaxfound export-info EXPORTED`` prints its manifest;
* ``jaxfound checkpoints DIR`` lists the finished checkpoints of a
  `jaxfound.train.CheckpointManager` directory: step, epoch, metrics, size on disk;
* ``jaxfound export DIR --apply MODULE:FN --example X.npy --out MODEL`` exports
  ``FN(params, x)`` with the parameters of a checkpoint (`jaxfound.export.save`).

``predict`` and ``export-info`` import only `jaxfound.export` (no flax, no model code).
Bad input ends the command with status 2 and the `jaxfound.errors` message on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def demo(out: str = "runs/demo", epochs: int = 30, seed: int = 0) -> dict:
    """Train a 64-128-10 MLP on the digits set shipped with jaxfound, report, and plot.

    Needs no download and only jaxfound's core dependencies. Prints the data summary,
    per-epoch progress, the test accuracy with a 95% Wilson interval, and writes
    `<out>/history.png` when matplotlib is installed (`pip install 'jaxfound[examples]'`;
    without it the plot is skipped with a note).
    """
    import importlib.util

    import jax
    import optax

    import jaxfound as jf

    x, y = jf.data.load_digits()
    x_tr, x_te, y_tr, y_te = jf.data.train_test_split(jax.random.key(seed), x, y, test_size=0.25)
    print(f"digits: {len(x_tr)} train / {len(x_te)} test images of 8x8 pixels, 10 classes")
    model = jf.models.MLP(features=(128, 10), dropout=0.2)
    params = model.init(jax.random.key(seed), x_tr[:1])
    loss_fn = jf.losses.supervised(
        model,
        lambda y, logits: optax.losses.softmax_cross_entropy_with_integer_labels(logits, y),
        metrics={"accuracy": jf.stats.accuracy},
    )
    state = jf.train.TrainState.create(params, optax.adam(3e-3), key=jax.random.key(seed + 1))
    t0 = time.perf_counter()
    state, hist = jf.train.fit(
        state,
        loss_fn,
        (x_tr, y_tr),
        epochs=epochs,
        batch_size=32,
        validation=(x_te, y_te),
        progress=sys.stderr.isatty(),
    )
    seconds = time.perf_counter() - t0
    test = jf.train.evaluate(state.params, loss_fn, (x_te, y_te))
    n, acc = len(y_te), test["accuracy"]
    z = 1.96  # Wilson score interval for a binomial proportion
    centre = (acc + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(acc * (1 - acc) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    for e in range(0, epochs, max(1, epochs // 6)):
        print(
            f"epoch {e + 1:3d}  loss {hist['loss'][e]:.4f}  val_loss {hist['val_loss'][e]:.4f}"
            f"  val_accuracy {hist['val_accuracy'][e]:.4f}"
        )
    print(
        f"test accuracy {100 * acc:.2f}% (95% CI {100 * (centre - half):.1f}–"
        f"{100 * (centre + half):.1f}%), test loss {test['loss']:.4f}, "
        f"{epochs} epochs in {seconds:.1f} s"
    )
    if importlib.util.find_spec("matplotlib") is None:
        print("matplotlib is not installed: no history plot (pip install 'jaxfound[examples]')")
    else:
        png = jf.train.plot_history(hist, os.path.join(out, "history.png"), title="digits MLP")
        print(f"wrote {png}")
    print(f"RESULT test_accuracy={acc:.4f} test_loss={test['loss']:.4f} seconds={seconds:.1f}")
    return test


def predict(exported: str, inputs: list[str], out: str | None = None) -> np.ndarray:
    """Run the exported program at ``exported`` on the arrays in the ``.npy`` files ``inputs``.

    The files are read with ``allow_pickle=False``. The output (one array) is written to
    ``out`` with `numpy.save` when given, else printed.

    Raises:
      DataFormatError: an input file cannot be read as a plain ``.npy`` array, or the
        program returns more than one array.
      (and whatever `jaxfound.export.load` and the loaded model raise)
    """
    import jax

    from jaxfound import errors, export

    model = export.load(exported)
    arrays = [_read_npy(path) for path in inputs]
    result = model(*arrays)
    leaves = jax.tree.leaves(result)
    if len(leaves) != 1:
        raise errors.DataFormatError(
            f"{exported} returns {len(leaves)} arrays, but `jaxfound predict` writes one .npy; "
            "call it from Python with jaxfound.export.load instead."
        )
    y = np.asarray(leaves[0])
    if out is None:
        print(y)
    else:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        np.save(out, y, allow_pickle=False)
        print(f"wrote {out}: {y.dtype.name}{list(y.shape)}")
    return y


def _read_npy(path: str) -> np.ndarray:
    from jaxfound import errors

    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise errors.DataFormatError(
            f"cannot read the input {path} as a .npy array ({e}); save it with numpy.save "
            "(a plain numeric array: no pickled objects)."
        ) from e
    if not isinstance(arr, np.ndarray):
        arr.close()
        raise errors.DataFormatError(
            f"{path} is a .npz archive; pass one .npy file per input (numpy.save)."
        )
    return arr


def export_info(exported: str) -> dict:
    """Print the manifest of the exported program at ``exported`` as JSON, and return it."""
    import json

    from jaxfound import export

    manifest = export.read_manifest(exported)
    print(json.dumps(manifest, indent=2))
    return manifest


def checkpoints(directory: str) -> list[dict]:
    """Print one line per finished checkpoint in ``directory`` and return them as dicts.

    Each has ``step``, ``epoch`` (when ``fit`` wrote it), ``metrics`` (the epoch's logs)
    and ``bytes`` (the step directory's size). Unfinished saves are not listed.

    Raises:
      CheckpointNotFoundError: ``directory`` is not a directory.
    """
    from pathlib import Path

    from jaxfound.train import CheckpointManager

    mgr = CheckpointManager(directory, read_only=True)
    rows = []
    for step in mgr.all_steps():
        meta = mgr.meta(step)
        where = Path(directory) / str(step)
        size = sum(f.stat().st_size for f in where.rglob("*") if f.is_file())
        rows.append(
            {"step": step, "epoch": meta.get("epoch"), "metrics": meta.get("metrics", {}),
             "bytes": size}
        )
    print(f"{directory}: {len(rows)} checkpoint(s)")
    for r in rows:
        shown = "  ".join(f"{k}={v:.5g}" for k, v in r["metrics"].items() if k != "time")
        epoch = "" if r["epoch"] is None else f"epoch {r['epoch']:<5d} "
        print(f"step {r['step']:<9d} {epoch}{r['bytes'] / 1e6:9.3f} MB  {shown}")
    return rows


def export_checkpoint(
    directory: str,
    apply: str,
    example: str,
    out: str,
    *,
    step: int | None = None,
    platforms: tuple[str, ...] = ("cpu",),
) -> dict:
    """Export ``FN(params, x)`` with the params of checkpoint ``step`` (default: the newest).

    ``apply`` names the prediction function as ``"package.module:function"`` (imported
    the usual way, so its package must be importable). It gets the checkpoint's
    ``params`` as saved (`jaxfound.train.CheckpointManager.restore` with ``target=None``:
    nested dicts and lists of arrays, the layout of flax's params) and a batch of inputs
    shaped like ``example`` (a ``.npy`` file, read without pickle; its first axis becomes
    the symbolic batch axis). Writes ``out``, ``out.json`` and ``out.mlir`` and returns the
    manifest.

    Raises:
      ValidationError: ``apply`` is not ``module:function`` or names nothing callable.
      (and whatever `CheckpointManager.restore` and `jaxfound.export.save` raise)
    """
    import importlib

    from jaxfound import errors, export
    from jaxfound.train import CheckpointManager

    module, _, name = apply.partition(":")
    if not module or not name:
        raise errors.ValidationError(
            f"--apply {apply!r} is not MODULE:FUNCTION; pass e.g. mypkg.model:predict, a "
            "function fn(params, x)."
        )
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        raise errors.ValidationError(
            f"--apply {apply!r}: cannot import {name!r} from {module!r} ({e}); make the "
            "module importable (PYTHONPATH) and check the name."
        ) from e
    if not callable(fn):
        raise errors.ValidationError(f"--apply {apply!r} is not callable; name a function.")
    got = CheckpointManager(directory, read_only=True).restore(step)
    params = got.state["params"]
    x = _read_npy(example)
    export.save(out, fn, params, x[:1], platforms=platforms, name=f"{apply}@{got.step}")
    manifest = export.read_manifest(out)
    print(f"wrote {out} ({apply}, checkpoint step {got.step} of {directory})")
    return manifest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="jaxfound")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="train an MLP on the embedded digits data set")
    d.add_argument("--out", default="runs/demo")
    d.add_argument("--epochs", type=int, default=30)
    d.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("predict", help="run an exported model on .npy input(s)")
    r.add_argument("exported", help="a program written by jaxfound.export.save")
    r.add_argument("inputs", nargs="+", metavar="INPUT.npy", help="one .npy file per input")
    r.add_argument("--out", help="write the output here (.npy) instead of printing it")
    i = sub.add_parser("export-info", help="print the manifest of an exported model")
    i.add_argument("exported", help="a program written by jaxfound.export.save")
    c = sub.add_parser("checkpoints", help="list the checkpoints in a directory")
    c.add_argument("directory", help="a directory written by jaxfound.train.CheckpointManager")
    e = sub.add_parser("export", help="export FN(params, x) with a checkpoint's params")
    e.add_argument("directory", help="a directory written by jaxfound.train.CheckpointManager")
    e.add_argument("--apply", required=True, metavar="MODULE:FN",
                   help="the prediction function fn(params, x), e.g. mypkg.model:predict")
    e.add_argument("--example", required=True, metavar="X.npy",
                   help="example inputs (their dtype and shape after the batch axis)")
    e.add_argument("--out", required=True, help="where to write the exported program")
    e.add_argument("--step", type=int, default=None, help="the checkpoint (default: newest)")
    e.add_argument("--platform", action="append", dest="platforms",
                   help="cpu (default) and/or cuda; repeat for several")
    a = p.parse_args(argv)
    if a.cmd == "demo":
        demo(a.out, a.epochs, a.seed)
        return 0
    from jaxfound.errors import JaxfoundError

    try:
        if a.cmd == "predict":
            predict(a.exported, a.inputs, a.out)
        elif a.cmd == "checkpoints":
            checkpoints(a.directory)
        elif a.cmd == "export":
            export_checkpoint(a.directory, a.apply, a.example, a.out, step=a.step,
                              platforms=tuple(a.platforms or ("cpu",)))
        else:
            export_info(a.exported)
    except JaxfoundError as e:
        print(f"jaxfound {a.cmd}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
