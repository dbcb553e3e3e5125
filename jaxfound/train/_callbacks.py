"""Callbacks run by ``fit`` between compiled chunks: early stopping, checkpoints, logging."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from jaxfound import _validate, errors
from jaxfound.train._state import TrainState

__all__ = ["Callback", "EarlyStopping", "TimeLimit", "Checkpoint", "LambdaCallback", "METRIC_MODES"]


class Callback:
    """Base class. ``fit`` calls these hooks on the host between compiled chunks.

    ``on_epoch_end`` returns ``True`` to stop training. ``on_train_end`` may return
    a replacement state (e.g. the best one seen), or ``None`` to keep the last.
    """

    def on_train_begin(self, state: TrainState) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, state: TrainState, logs: dict[str, float]) -> bool:
        """Called after each epoch with its metrics; return ``True`` to stop."""
        return False

    def on_train_end(self, state: TrainState) -> TrainState | None:
        """Called once at the end; may return the state ``fit`` should return."""
        return None


class LambdaCallback(Callback):
    """Wrap ``fn(epoch, state, logs) -> bool | None`` as a callback (truthy stops).

    Examples:
      >>> seen = []
      >>> cb = LambdaCallback(lambda epoch, state, logs: seen.append(epoch))
    """

    def __init__(self, fn: Callable[[int, TrainState, dict], Any]):
        self.fn = fn

    def on_epoch_end(self, epoch, state, logs):
        return bool(self.fn(epoch, state, logs))


#: Metric names whose best value is the smallest ("min") or the largest ("max"), for
#: `EarlyStopping`'s ``mode="auto"``; a ``val_`` prefix is ignored.
METRIC_MODES: dict[str, str] = {
    **{n: "min" for n in ("loss", "error", "mse", "rmse", "mae")},
    **{n: "max" for n in ("accuracy", "precision", "recall", "f1", "auc", "r2")},
}


def _mode_of(monitor: str) -> str:
    base = monitor[len("val_") :] if monitor.startswith("val_") else monitor
    if base not in METRIC_MODES:
        raise errors.ValidationError(
            f"EarlyStopping cannot tell whether {monitor!r} should go down or up; pass "
            f"mode='min' or mode='max' (mode='auto' knows {sorted(METRIC_MODES)}, with "
            "or without a val_ prefix)."
        )
    return METRIC_MODES[base]


class EarlyStopping(Callback):
    r"""Stop when a monitored metric has not improved for ``patience`` epochs.

    An epoch improves on the best value $b$ when $v < b - \delta$ (``mode="min"``) or
    $v > b + \delta$ (``mode="max"``), $\delta$ = ``min_delta``. With
    ``min_delta=0`` and ``patience=1`` it also stops a stalled optimiser: an L-BFGS
    run whose line search finds no decrease leaves the chunk's mean loss unchanged,
    e.g. ``EarlyStopping("loss", patience=1)`` on a ``fit(..., steps=N)`` run.

    Args:
      monitor: a key of the epoch logs, e.g. ``"val_loss"`` or ``"val_accuracy"``.
      patience: epochs without improvement before stopping (at least 1).
      min_delta: smallest change that counts as an improvement.
      mode: ``"min"``, ``"max"`` or ``"auto"``: looked up in `METRIC_MODES`
        (loss/error/mse/rmse/mae: min; accuracy/precision/recall/f1/auc/r2: max, with
        or without ``val_``); other names need an explicit mode.
      restore_best: return the state of the best epoch rather than the last.

    Raises:
      ValidationError: an unknown mode, ``patience < 1``, or ``mode="auto"`` with a
        metric name not in the table.

    Examples:
      >>> cb = EarlyStopping("val_loss", patience=2)
      >>> [cb.on_epoch_end(e, None, {"val_loss": v}) for e, v in enumerate([3, 2, 2.5, 2.4])]
      [False, False, False, True]
      >>> EarlyStopping("val_precision").mode
      'max'
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ):
        if mode == "auto":
            mode = _mode_of(monitor)
        if mode not in ("min", "max"):
            raise errors.ValidationError(f"mode must be 'min', 'max' or 'auto', got {mode!r}.")
        if patience < 1:
            raise errors.ValidationError(f"patience must be at least 1, got {patience}.")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.sign = 1.0 if mode == "min" else -1.0
        self.restore_best = restore_best
        self.on_train_begin(None)

    def on_train_begin(self, state):
        self.best, self.best_epoch, self.best_state, self.wait = math.inf, -1, None, 0

    def on_epoch_end(self, epoch, state, logs):
        if self.monitor not in logs:
            raise errors.ValidationError(
                f"EarlyStopping monitors {self.monitor!r} but the epoch logs only have "
                f"{sorted(logs)}; pass validation data or monitor one of those."
            )
        value = self.sign * logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:  # a copy: fit donates the live state's buffers
                self.best_state = jax.tree_util.tree_map(jnp.copy, state)
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, state):
        return self.best_state if self.restore_best else None


class TimeLimit(Callback):
    """Stop ``fit`` once ``seconds`` of wall-clock time have passed since it started.

    Checked between compiled chunks, so a run overshoots by at most one chunk
    (choose ``steps_per_call`` accordingly). Compilation time counts.

    Args:
      seconds: the time budget (> 0).

    Examples:
      >>> cb = TimeLimit(3600.0); cb.on_train_begin(None)
      >>> cb.on_epoch_end(0, None, {})
      False
    """

    def __init__(self, seconds: float):
        if not seconds > 0:
            raise errors.ValidationError(f"seconds must be positive, got {seconds}.")
        self.seconds = float(seconds)
        self.t0 = time.perf_counter()

    def on_train_begin(self, state):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, state, logs):
        return time.perf_counter() - self.t0 >= self.seconds


class Checkpoint(Callback):
    """Save the state every ``every`` epochs into ``directory``, keeping the last ``keep``.

    A thin callback over `jaxfound.train.CheckpointManager` (Orbax: atomic step
    directories, asynchronous writes, waited for when training ends), saving the state
    with the epoch's logs as metrics. To resume a run, pass the manager to
    ``fit(..., checkpoint=manager, resume=True)`` instead: it also saves the history and
    the data position.

    Args:
      directory: where the checkpoints go, or a `CheckpointManager` to save through.
      every: epochs between saves (at least 1).
      keep: how many of the newest checkpoints to keep (at least 1).

    Raises:
      ValidationError: ``every < 1`` or ``keep < 1`` (``keep=0`` would delete every
        checkpoint right after writing it).
    """

    def __init__(self, directory: str | os.PathLike | Any, every: int = 1, keep: int = 3):
        for name, value in (("every", every), ("keep", keep)):
            _validate.positive_int(value, f"Checkpoint {name}")
        self.every, self.keep = every, keep
        self.directory = directory if hasattr(directory, "save") else os.fspath(directory)
        self.manager: Any = None

    def on_train_begin(self, state):
        from jaxfound.train._manager import CheckpointManager

        if self.manager is None:
            d = self.directory
            self.manager = d if hasattr(d, "save") else CheckpointManager(d, max_to_keep=self.keep)

    def on_epoch_end(self, epoch, state, logs):
        if self.manager is None:
            self.on_train_begin(state)
        if (epoch + 1) % self.every == 0:
            self.manager.save(state, metrics=logs, meta={"epoch": epoch + 1}, force=True)
        return False

    def on_train_end(self, state):
        if self.manager is not None:
            self.manager.wait()
        return None
