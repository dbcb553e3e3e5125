"""jaxfound: pure-function numerics in JAX — models, losses, physics constraints,
data, statistics, and a thin training loop.

    >>> import jaxfound as jf

The subpackages are imported on first use (PEP 562), so ``import jaxfound.export``
or ``import jaxfound.errors`` loads neither flax nor the model code: a deployment
process that only runs an exported program stays light (see `jaxfound.export.load`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "continual",
    "data",
    "errors",
    "export",
    "finetune",
    "losses",
    "models",
    "physics",
    "stats",
    "train",
    "__version__",
]

_SUBPACKAGES = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:  # static tools see ordinary imports
    from jaxfound import data, errors, export, finetune, losses, models, physics, stats, train


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"jaxfound.{name}")
    raise AttributeError(f"module 'jaxfound' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBPACKAGES)
