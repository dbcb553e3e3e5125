"""Training: TrainState, make_step, the fast path (make_epoch, guard), fit, evaluate, callbacks,
mixed precision."""

from jaxfound.train import distributed
from jaxfound.train._callbacks import (
    METRIC_MODES,
    Callback,
    Checkpoint,
    EarlyStopping,
    LambdaCallback,
    TimeLimit,
)
from jaxfound.train._checkpoint import latest_checkpoint, restore_checkpoint, save_checkpoint
from jaxfound.train._epoch import make_epoch
from jaxfound.train._evaluate import evaluate
from jaxfound.train._fit import DEFAULT_STEPS_PER_CALL, SHUFFLE_STREAM, History, fit
from jaxfound.train._guard import all_finite, guard
from jaxfound.train._loggers import CSVLogger, TensorBoardLogger
from jaxfound.train._manager import CheckpointManager, Restored, fingerprint
from jaxfound.train._plot import plot_history
from jaxfound.train._precision import Policy, cast_floating, mixed_precision
from jaxfound.train._sampler import SAMPLE_STREAM, Sampler
from jaxfound.train._sharding import (
    Sharding,
    constrain,
    data_parallel,
    fsdp,
    leaf_spec,
    make_mesh,
    process_rows,
    replicate,
    shard,
    shard_batch,
    state_shardings,
    to_host,
)
from jaxfound.train._state import TrainState
from jaxfound.train._step import Step, make_step

__all__ = [
    "Callback",
    "Checkpoint",
    "CheckpointManager",
    "CSVLogger",
    "Restored",
    "TensorBoardLogger",
    "fingerprint",
    "DEFAULT_STEPS_PER_CALL",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "METRIC_MODES",
    "Policy",
    "SAMPLE_STREAM",
    "SHUFFLE_STREAM",
    "Sampler",
    "Step",
    "TimeLimit",
    "TrainState",
    "all_finite",
    "cast_floating",
    "evaluate",
    "fit",
    "guard",
    "latest_checkpoint",
    "make_epoch",
    "make_step",
    "mixed_precision",
    "plot_history",
    "restore_checkpoint",
    "save_checkpoint",
    "Sharding",
    "constrain",
    "data_parallel",
    "distributed",
    "fsdp",
    "leaf_spec",
    "make_mesh",
    "process_rows",
    "replicate",
    "shard",
    "shard_batch",
    "state_shardings",
    "to_host",
]
