"""Run logs as callbacks: a CSV file and TensorBoard event files, both resume-aware."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any

from jaxfound import errors
from jaxfound.train._callbacks import Callback

__all__ = ["CSVLogger", "TensorBoardLogger"]


class CSVLogger(Callback):
    """Append one row per epoch (chunk) to a CSV file: ``epoch``, ``step`` and the logs.

    On train begin, rows of steps after the state's step are dropped: a fresh run
    (``step == 0``) starts a new file, and a run resumed from a checkpoint keeps the
    rows up to that checkpoint (and drops any logged after it by the killed run), so
    the file reads as one run. A new metric column rewrites the file with it.

    Args:
      path: the CSV file (its folder is created).

    Examples:
      >>> import tempfile, os
      >>> log = CSVLogger(os.path.join(tempfile.mkdtemp(), "log.csv"))
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.rows: list[dict[str, str]] = []

    def _read(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        with self.path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        if rows and "step" not in rows[0]:
            raise errors.DataFormatError(
                f"{self.path} has no 'step' column, so it was not written by CSVLogger; "
                "pass another path."
            )
        return rows

    def _write(self) -> None:
        fields: list[str] = []
        for row in self.rows:
            fields += [k for k in row if k not in fields]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with tmp.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, restval="")
            w.writeheader()
            w.writerows(self.rows)
        os.replace(tmp, self.path)

    def on_train_begin(self, state) -> None:
        start = int(state.step) if state is not None else 0
        self.rows = [r for r in self._read() if int(r["step"]) <= start] if start else []
        self._write()

    def on_epoch_end(self, epoch, state, logs) -> bool:
        row = {"epoch": str(epoch), "step": str(int(state.step))}
        row.update({k: repr(float(v)) for k, v in logs.items()})
        new_column = bool(self.rows) and any(k not in self.rows[0] for k in row)
        self.rows.append(row)
        if new_column or len(self.rows) == 1 or not self.path.exists():
            self._write()
        else:
            with self.path.open("a", newline="") as f:
                csv.DictWriter(f, fieldnames=list(self.rows[0]), restval="").writerow(row)
        return False


class TensorBoardLogger(Callback):
    """Write the epoch logs as TensorBoard scalars (``tensorboardX``), x-axis = ``state.step``.

    Resuming from a checkpoint at step $s > 0$ opens the writer with
    ``purge_step=s + 1``: TensorBoard discards events the killed run logged after the
    checkpoint, so the curves read as one run. Needs ``pip install tensorboardX``
    (the ``jaxfound[tensorboard]`` extra).

    Args:
      logdir: the event-file directory.

    Raises:
      ImportError: tensorboardX is not installed (raised when training begins).
    """

    def __init__(self, logdir: str | os.PathLike):
        self.logdir = os.fspath(logdir)
        self.writer: Any = None

    def on_train_begin(self, state) -> None:
        try:
            from tensorboardX import SummaryWriter
        except ImportError as e:
            raise ImportError(
                "TensorBoardLogger needs tensorboardX: pip install 'jaxfound[tensorboard]'."
            ) from e
        start = int(state.step) if state is not None else 0
        # event files are named by the second they open in: a resumed run starting within
        # the same second would overwrite the first run's file without a unique suffix
        # (time_ns has a fixed width, so the files still sort in the order they were opened)
        self.writer = SummaryWriter(self.logdir, purge_step=start + 1 if start else None,
                                    filename_suffix=f".{time.time_ns()}")

    def on_epoch_end(self, epoch, state, logs) -> bool:
        step = int(state.step)
        for k, v in logs.items():
            self.writer.add_scalar(k, float(v), step)
        self.writer.flush()
        return False

    def on_train_end(self, state):
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        return None
