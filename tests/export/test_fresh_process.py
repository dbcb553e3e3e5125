"""An exported model runs in a fresh process that cannot import flax or jaxfound's models.

The parent exports each model family of `tests.export.zoo`, the child (a new interpreter
whose import system refuses ``flax`` and ``jaxfound.models``) loads each export and runs
it on the same inputs at two batch sizes, and the outputs must equal the parent's
in-process ones within 1e-6.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxfound import export
from tests.export import zoo

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import importlib.abc, json, sys
BLOCKED = ("flax", "jaxfound.models", "jaxfound.train", "optax")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ModuleNotFoundError(f"{name} is blocked in this process")
        return None
sys.meta_path.insert(0, Block())
from pathlib import Path
import numpy as np
from jaxfound.export import load
folder = Path(sys.argv[1])
for name in sys.argv[2:]:
    model = load(folder / f"{name}.jaxexport")
    x = np.load(folder / f"{name}.x.npy", allow_pickle=False)
    np.save(folder / f"{name}.out.npy", np.asarray(model(x)))
    np.save(folder / f"{name}.out2.npy", np.asarray(model(x[:2])))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("flax", "jaxfound"))))
"""


def child_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=path)


@pytest.mark.slow
def test_exports_run_in_a_fresh_process_without_model_code(tmp_path):
    expected = {}
    for name, build in zoo.MODELS.items():
        fn, params, x = build()
        export.save(tmp_path / f"{name}.jaxexport", fn, params, x)
        np.save(tmp_path / f"{name}.x.npy", x)
        apply = jax.jit(fn)
        expected[name] = (np.asarray(apply(params, x)), np.asarray(apply(params, x[:2])))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), *zoo.MODELS],
        capture_output=True, text=True, env=child_env(), timeout=300, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    modules = json.loads(out.stdout.strip().splitlines()[-1])
    assert "jaxfound.export" in modules  # the child did import the loader...
    assert not [m for m in modules if m.startswith(("flax", "jaxfound.models"))]  # ...only it
    for name, (full, head) in expected.items():
        got = np.load(tmp_path / f"{name}.out.npy")
        got2 = np.load(tmp_path / f"{name}.out2.npy")
        assert got.shape == full.shape and got.dtype == full.dtype, name
        np.testing.assert_allclose(got, full, rtol=0, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(got2, head, rtol=0, atol=1e-6, err_msg=name)


def test_the_loader_imports_no_model_code():
    """Importing jaxfound.export loads no flax and no jaxfound model code (fast check)."""
    code = ("import sys, jaxfound.export; print(sorted(m for m in sys.modules "
            "if m.startswith(('flax', 'optax', 'jaxfound.models', 'jaxfound.train'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=child_env(), timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "[]"
