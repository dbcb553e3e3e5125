import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from jaxfound import cli, export


def test_demo_runs_and_writes_plot(tmp_path, capsys):
    test = cli.demo(out=str(tmp_path), epochs=3)
    out = capsys.readouterr().out
    assert "test accuracy" in out and (tmp_path / "history.png").stat().st_size > 1000
    assert test["accuracy"] > 0.8  # 3 epochs on digits are well above chance (0.1)


def _exported(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    path = export.save(tmp_path / "lin.jaxexport", lambda w, x: x @ w, w,
                       np.ones((1, 3), np.float32))
    return path, w


def test_predict_writes_npy(tmp_path, capsys):
    path, w = _exported(tmp_path)
    x = np.linspace(0, 1, 15, dtype=np.float32).reshape(5, 3)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out" / "y.npy"
    assert cli.main(["predict", str(path), str(tmp_path / "x.npy"), "--out", str(out)]) == 0
    assert f"wrote {out}: float32[5, 2]" in capsys.readouterr().out
    np.testing.assert_allclose(np.load(out), x @ w, atol=1e-6)
    assert cli.main(["predict", str(path), str(tmp_path / "x.npy")]) == 0  # printed instead
    assert "[[" in capsys.readouterr().out


def test_predict_refuses_pickles_and_bad_inputs(tmp_path, capsys):
    path, _ = _exported(tmp_path)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "f64.npy", np.ones((2, 3)))
    np.savez(tmp_path / "x.npz", x=np.ones((2, 3), np.float32))
    cases = {
        "obj.npy": "cannot read the input .* as a .npy array",
        "f64.npy": "dtype float64 but the exported program takes float32",
        "x.npz": "is a .npz archive",
        "absent.npy": "cannot read the input",
    }
    for name, words in cases.items():
        assert cli.main(["predict", str(path), str(tmp_path / name)]) == 2, name
        err = capsys.readouterr().err
        assert err.startswith("jaxfound predict: error: ") and re.search(words, err), err


def test_export_info_prints_the_manifest(tmp_path, capsys):
    path, _ = _exported(tmp_path)
    assert cli.main(["export-info", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["inputs"] == [{"shape": ["batch", 3], "dtype": "float32"}]
    assert cli.main(["export-info", str(tmp_path / "nothing")]) == 2
    assert "nothing.json cannot be read" in capsys.readouterr().err


def test_predict_from_the_shell_without_flax(tmp_path):
    """`python -m jaxfound.cli predict` in a fresh process imports no flax (checked by exit)."""
    path, w = _exported(tmp_path)
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    code = ("import sys; from jaxfound.cli import main; rc = main(sys.argv[1:]); "
            "assert 'flax' not in sys.modules and 'jaxfound.models' not in sys.modules; "
            "raise SystemExit(rc)")
    args = ["predict", str(path), str(tmp_path / "x.npy"), "--out", str(tmp_path / "y.npy")]
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), np.ones((2, 3)) @ w)


def test_checkpoints_lists_steps_metrics_and_sizes(tmp_path, capsys):
    import jax
    import jax.numpy as jnp
    import optax

    import jaxfound as jf

    state = jf.train.TrainState.create(jnp.zeros(3), optax.sgd(0.1), key=jax.random.key(0))
    mgr = jf.train.CheckpointManager(tmp_path / "ck", max_to_keep=2)
    jf.train.fit(state, lambda p, b, k: (jnp.sum((p - 1.0) ** 2), {}), None, steps=6,
                 steps_per_call=2, checkpoint=mgr, progress=False)
    assert cli.main(["checkpoints", str(tmp_path / "ck")]) == 0
    out = capsys.readouterr().out
    assert "2 checkpoint(s)" in out
    assert re.search(r"step 4 +epoch 2 +\d+\.\d+ MB  loss=", out)
    assert re.search(r"step 6 +epoch 3 ", out)
    assert cli.main(["checkpoints", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_export_from_a_checkpoint_then_predict(tmp_path, capsys, monkeypatch):
    import jax
    import jax.numpy as jnp
    import optax

    import jaxfound as jf

    # a tiny importable model module: fn(params, x) over the params as saved (a dict)
    (tmp_path / "tinymodel.py").write_text(
        "def predict(params, x):\n    return x @ params['w'] + params['b']\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    params = {"w": jnp.zeros((3, 2)), "b": jnp.zeros(2)}
    state = jf.train.TrainState.create(params, optax.sgd(0.1), key=jax.random.key(0))
    target = jnp.arange(6.0).reshape(3, 2)
    loss = lambda p, b, k: (jnp.sum((p["w"] - target) ** 2) + jnp.sum((p["b"] - 1) ** 2), {})  # noqa: E731
    mgr = jf.train.CheckpointManager(tmp_path / "ck", max_to_keep=2)
    trained, _ = jf.train.fit(state, loss, None, steps=4, steps_per_call=2, checkpoint=mgr,
                              progress=False)
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.save(tmp_path / "x.npy", x)
    out = str(tmp_path / "m.jfx")
    args = ["export", str(tmp_path / "ck"), "--apply", "tinymodel:predict", "--example",
            str(tmp_path / "x.npy"), "--out", out]
    assert cli.main(args) == 0
    assert "checkpoint step 4" in capsys.readouterr().out
    y_path = str(tmp_path / "y.npy")
    assert cli.main(["predict", out, str(tmp_path / "x.npy"), "--out", y_path]) == 0
    want = x @ np.asarray(trained.params["w"]) + np.asarray(trained.params["b"])
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), want)
    # an older step, and the errors
    assert cli.main([*args[:-1], str(tmp_path / "m2.jfx"), "--step", "2"]) == 0
    bad = ["export", str(tmp_path / "ck"), "--example", str(tmp_path / "x.npy"), "--out", out]
    assert cli.main([*bad, "--apply", "tinymodel"]) == 2
    assert "is not MODULE:FUNCTION" in capsys.readouterr().err
    assert cli.main([*bad, "--apply", "tinymodel:nothing"]) == 2
    assert "cannot import 'nothing'" in capsys.readouterr().err
    assert cli.main([*bad, "--apply", "tinymodel:predict", "--step", "3"]) == 2
    assert "no checkpoint of step 3" in capsys.readouterr().err
