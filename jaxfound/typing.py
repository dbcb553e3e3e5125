"""Types used across jaxfound's signatures: array aliases and the calling conventions.

The calling conventions are `typing.Protocol`s, so any function with the right
signature satisfies them (no subclassing, no registration):

- `Apply`: ``apply(params, x, key) -> outputs``, a model; ``key`` is a PRNG key in
  training and ``None`` in evaluation.
- `LossFn`: ``loss_fn(params, batch, key) -> (loss, aux)``, what the training loop
  minimises; ``aux`` is a dict of scalars to report.
- `Metric`: ``metric(y_true, y_pred) -> scalar``, what `jaxfound.stats` computes.

Examples:
  >>> import jax.numpy as jnp
  >>> from jaxfound.typing import Apply
  >>> def apply(params, x, key=None):
  ...     return x @ params
  >>> isinstance(apply, Apply)  # structural: any callable passes at run time
  True
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import jax
from jax.typing import ArrayLike

__all__ = [
    "Array",
    "ArrayLike",
    "PyTree",
    "Params",
    "Batch",
    "PRNGKey",
    "Aux",
    "Apply",
    "LossFn",
    "Metric",
]

Array = jax.Array
PyTree = Any
Params = PyTree
Batch = PyTree
PRNGKey = jax.Array
#: the metrics a loss reports next to its value: ``{"mse": ..., "rmse": ...}``
Aux = dict


@runtime_checkable
class Apply(Protocol):
    """A model: ``apply(params, x, key) -> outputs``; ``key is None`` means evaluation.

    Build one from a Flax module or a plain function with `jaxfound.models.as_apply`.
    """

    def __call__(self, params: Params, x: Any, key: PRNGKey | None, /) -> Any: ...


@runtime_checkable
class LossFn(Protocol):
    """A loss: ``loss_fn(params, batch, key) -> (loss, aux)``; ``key`` is ``None`` in evaluation."""

    def __call__(
        self, params: Params, batch: Batch, key: PRNGKey | None, /
    ) -> tuple[Array, Aux]: ...


@runtime_checkable
class Metric(Protocol):
    """A metric: ``metric(y_true, y_pred) -> scalar`` (e.g. `jaxfound.stats.rmse`)."""

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike, /) -> Array: ...
