"""Exceptions that jaxfound raises for bad input.

Every error raised by jaxfound at an API boundary derives from
`JaxfoundError`, so ``except jaxfound.errors.JaxfoundError`` catches them
all. Each subclass also derives from the closest built-in exception
(``ValueError``, ``TypeError``, …) so generic handlers keep working.

Messages say *what* was wrong (naming the argument) and *what to do*.
"""

from __future__ import annotations

__all__ = [
    "JaxfoundError",
    "ValidationError",
    "ShapeError",
    "DTypeError",
    "NonFiniteError",
    "LabelError",
    "EmptyDataError",
    "DataFormatError",
    "ChecksumError",
    "NotFittedError",
    "SingularMatrixError",
    "ConvergenceError",
    "TrainingDivergedError",
    "GeometryError",
    "CheckpointError",
    "CheckpointNotFoundError",
    "CheckpointMismatchError",
    "CheckpointCorruptError",
    "PlatformError",
    "ShardingError",
    "DistributedError",
]


class JaxfoundError(Exception):
    """Base class of every exception jaxfound raises on purpose."""


class ValidationError(JaxfoundError, ValueError):
    """An argument has an invalid value (the generic boundary-check failure)."""


class ShapeError(ValidationError):
    """Arrays have the wrong rank, or sizes that do not agree with each other."""


class DTypeError(JaxfoundError, TypeError):
    """An array has a dtype the function cannot use (e.g. strings, objects)."""


class NonFiniteError(ValidationError):
    """An input contains NaN or ±inf where finite numbers are required."""


class LabelError(ValidationError):
    """Class labels are outside ``[0, n_classes)``, unseen at fit time, or too few."""


class EmptyDataError(ValidationError):
    """A data set, batch or column has no rows."""


class DataFormatError(ValidationError):
    """A file is corrupt, truncated, ragged or not in the expected format."""


class ChecksumError(DataFormatError):
    """A downloaded or cached file does not match its published checksum."""


class NotFittedError(JaxfoundError, RuntimeError):
    """A transform or model is used before it was fitted."""


class SingularMatrixError(ValidationError):
    """A linear system is singular or too ill-conditioned to solve without regularisation."""


class ConvergenceError(JaxfoundError, RuntimeError):
    """An iterative solver did not converge."""


class TrainingDivergedError(JaxfoundError, FloatingPointError):
    """The loss or the parameters became NaN/inf during training.

    Attributes:
      state: the last training state whose loss and parameters were finite.
      history: the metrics history up to the failure.
    """

    def __init__(self, message: str, state=None, history=None):
        super().__init__(message)
        self.state = state
        self.history = history


class GeometryError(ValidationError):
    """Points lie outside a geometry, or a geometry is ill-defined."""


class CheckpointError(JaxfoundError, OSError):
    """A checkpoint is missing, corrupt, or does not match the target structure."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """A checkpoint directory holds no finished checkpoint (or not the step asked for)."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint's leaves (paths, shapes or dtypes) differ from the restore target's."""


class CheckpointCorruptError(CheckpointError):
    """A checkpoint is truncated, damaged or fails its fingerprint check."""


class PlatformError(ValidationError):
    """A compiled or exported program cannot run on this machine's platform (CPU, CUDA, ...)."""


class ShardingError(ValidationError):
    """A mesh, a sharding rule or a batch does not fit the devices (unknown axis name, a rule
    that matches no leaf, a dimension that does not divide over its mesh axis)."""


class DistributedError(JaxfoundError, RuntimeError):
    """Processes of a multi-process run cannot form one job (missing or inconsistent
    coordinator address, world size or process id, or a peer that never arrived)."""
