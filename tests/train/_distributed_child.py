"""One process of the multi-process tests (tests/train/test_distributed.py); not a test.

``python _distributed_child.py OUT PORT N ID [--world W]`` joins a job of N processes on
127.0.0.1:PORT (process ID; ``--world`` claims another world size, to test the error),
then, in OUT/:
  * restores ``single_ckpt`` (written by one process) onto its FSDP mesh -> restored{ID}.npz
  * trains the MLP (data parallel with 2 processes, FSDP with more) from its own rows
    and checkpoints it into ``multi_ckpt`` -> mlp{ID}.npz
  * trains the GPT data-parallel on its rows of the windows -> gpt{ID}.npz
and prints ``RESULT ok`` (or ``RESULT error=<ExceptionName>`` from initialize).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _distributed_problems as problems  # noqa: E402

import jaxfound as jf  # noqa: E402
from jaxfound import errors  # noqa: E402


def _save(path: Path, tree) -> None:
    np.savez(path, *[np.asarray(x) for x in jax.tree_util.tree_leaves(jf.train.to_host(tree))])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("pid", type=int)
    ap.add_argument("--world", type=int, default=None)
    ap.add_argument("--timeout", type=int, default=60)
    a = ap.parse_args()
    try:
        proc = jf.train.distributed.initialize(
            f"127.0.0.1:{a.port}", a.world or a.n, a.pid, timeout=a.timeout
        )
    except errors.DistributedError as e:
        print(f"RESULT error={type(e).__name__}", flush=True)
        print(str(e), file=sys.stderr)
        return
    assert proc.num_processes == a.n and proc.process_id == a.pid and proc.local_devices == 1

    plan = jf.train.fsdp() if a.n > 2 else jf.train.data_parallel()
    loss, state, (x, y) = problems.mlp()
    restored = jf.train.CheckpointManager(a.out / "single_ckpt", read_only=True).restore(
        target=jf.train.shard(state, jf.train.fsdp())
    )
    _save(a.out / f"restored{a.pid}.npz", restored.state.params)

    manager = jf.train.CheckpointManager(a.out / "multi_ckpt")
    trained, hist = jf.train.fit(
        state, loss, jf.train.process_rows((x, y)), sharding=plan, checkpoint=manager,
        **problems.MLP_FIT,
    )
    manager.close()
    _save(a.out / f"mlp{a.pid}.npz", trained.params)

    loss, state, windows = problems.gpt()
    trained, _ = jf.train.fit(
        state, loss, jf.train.process_rows(windows), sharding=jf.train.data_parallel(),
        **problems.GPT_FIT,
    )
    _save(a.out / f"gpt{a.pid}.npz", trained.params)
    print("RESULT ok", flush=True)


if __name__ == "__main__":
    main()
