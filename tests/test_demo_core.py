"""`jaxfound demo` runs with the core dependencies only (no scikit-learn, no matplotlib)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Make `import sklearn` and `import matplotlib` fail in the child, as after `pip install jaxfound`.
_BLOCK = """
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('sklearn', 'matplotlib', 'scipy'):
            raise ModuleNotFoundError(f'No module named {name!r} (blocked by the test)')
        return None
sys.meta_path.insert(0, _Block())
import importlib.util
_find = importlib.util.find_spec
def find_spec(name, package=None):
    if name.split('.')[0] in ('sklearn', 'matplotlib', 'scipy'):
        return None
    return _find(name, package)
importlib.util.find_spec = find_spec
from jaxfound.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_demo_without_optional_dependencies(tmp_path):
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", _BLOCK, "demo", "--out", str(tmp_path), "--epochs", "3"],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "matplotlib is not installed" in out.stdout
    result = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(result) == 1
    acc = float(result[0].split("test_accuracy=")[1].split()[0])
    assert acc > 0.8  # 3 epochs on digits: well above chance (0.1)
    assert not (tmp_path / "history.png").exists()
