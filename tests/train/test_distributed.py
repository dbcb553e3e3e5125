"""Multi-process training for real: 2 and 4 processes on 127.0.0.1 (CPU collectives, Gloo).

Each process is `_distributed_child.py`; every process it starts is killed by its PID
when the test ends, and each has a timeout, so a broken job fails instead of hanging.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

import jaxfound as jf

from . import _distributed_problems as problems

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TIMEOUT = 240  # seconds for a whole job on 2 loaded cores

pytestmark = pytest.mark.slow


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(out: Path, n: int, *extra: list[str], timeout: float = TIMEOUT) -> list[tuple]:
    """Start n processes, wait for all (or the deadline), kill whatever is left."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT))
    env.pop("XLA_FLAGS", None)
    port, procs = _port(), []
    try:
        for i in range(n):
            args = [sys.executable, str(HERE / "_distributed_child.py"), str(out), str(port)]
            args += [str(n), str(i), *(extra[i] if extra else [])]
            procs.append(
                subprocess.Popen(
                    args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                    start_new_session=True,
                )
            )
        deadline, results = time.monotonic() + timeout, []
        for p in procs:
            try:
                so, se = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"process {p.pid} of the {n}-process job did not finish in {timeout} s")
            results.append((p.returncode, so, se))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def _leaves(path: Path) -> list[np.ndarray]:
    with np.load(path) as z:
        return [z[f"arr_{i}"] for i in range(len(z.files))]


def _tree(tree) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The one-process runs, and a checkpoint written by one process."""
    out = tmp_path_factory.mktemp("dist")
    loss, state, data = problems.mlp()
    mlp, _ = jf.train.fit(state, loss, data, **problems.MLP_FIT)
    manager = jf.train.CheckpointManager(out / "single_ckpt", async_save=False)
    manager.save(mlp, force=True)
    manager.close()
    loss, state, data = problems.gpt()
    gpt, _ = jf.train.fit(state, loss, data, **problems.GPT_FIT)
    return out, mlp, gpt


@pytest.mark.parametrize("n", [2, 4])
def test_processes_train_like_one(single, n, tmp_path):
    base, mlp, gpt = single
    out = tmp_path
    (out / "single_ckpt").symlink_to(base / "single_ckpt")
    results = _launch(out, n)
    for i, (rc, so, se) in enumerate(results):
        assert rc == 0 and "RESULT ok" in so, f"process {i} failed:\n{so}\n{se[-3000:]}"
    for name, ref, close in [("mlp", mlp.params, dict(rtol=2e-5, atol=2e-6)),
                             ("gpt", gpt.params, dict(rtol=1e-4, atol=2e-5)),
                             ("restored", mlp.params, dict(rtol=0, atol=0))]:
        first = _leaves(out / f"{name}0.npz")
        for i in range(1, n):  # every process ends with the same parameters, bit for bit
            for a, b in zip(first, _leaves(out / f"{name}{i}.npz")):
                np.testing.assert_array_equal(a, b)
        for a, b in zip(first, _tree(ref)):  # ... equal to the one-process run
            np.testing.assert_allclose(a, b, **close)
    # the multi-process checkpoint restores in this single process, as it was trained
    _, state, _ = problems.mlp()
    got = jf.train.CheckpointManager(out / "multi_ckpt", read_only=True).restore(target=state)
    for a, b in zip(_tree(got.state.params), _leaves(out / "mlp0.npz")):
        np.testing.assert_array_equal(a, b)


def test_inconsistent_world_size_is_a_clear_error(tmp_path):
    t0 = time.monotonic()
    results = _launch(tmp_path, 2, [], ["--world", "3", "--timeout", "10"], timeout=90)
    assert time.monotonic() - t0 < 90
    for rc, so, se in results:  # a clean exit with the error, not a crash or a hang
        assert rc == 0 and "RESULT error=DistributedError" in so, f"{so}\n{se[-2000:]}"
