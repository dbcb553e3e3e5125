"""Type aliases used across jaxfound's signatures."""

from __future__ import annotations

from typing import Any, Callable

import jax

__all__ = ["Array", "ArrayLike", "PyTree", "Params", "Batch", "PRNGKey", "LossFn", "Aux"]

Array = jax.Array
ArrayLike = Any  # jax.typing.ArrayLike, plus numpy arrays and Python scalars
PyTree = Any
Params = PyTree
Batch = PyTree
PRNGKey = jax.Array
Aux = dict
#: ``loss_fn(params, batch, key) -> (loss, aux)``; ``key`` is ``None`` in evaluation.
LossFn = Callable[[Params, Batch, "PRNGKey | None"], "tuple[Array, Aux]"]
