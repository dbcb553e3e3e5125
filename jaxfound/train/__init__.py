"""Training: TrainState, make_step, fit, evaluate, callbacks, checkpoints."""

from jaxfound.train._callbacks import Callback, Checkpoint, EarlyStopping, LambdaCallback
from jaxfound.train._checkpoint import latest_checkpoint, restore_checkpoint, save_checkpoint
from jaxfound.train._evaluate import evaluate
from jaxfound.train._fit import History, fit
from jaxfound.train._plot import plot_history
from jaxfound.train._state import TrainState
from jaxfound.train._step import Step, make_step

__all__ = [
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "Step",
    "TrainState",
    "evaluate",
    "fit",
    "latest_checkpoint",
    "make_step",
    "plot_history",
    "restore_checkpoint",
    "save_checkpoint",
]
