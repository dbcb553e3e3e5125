"""Boundary checks for the data given to ``fit`` and ``evaluate``."""

from __future__ import annotations

import jax
import numpy as np

from jaxfound import _validate
from jaxfound.losses import Loss
from jaxfound.typing import Batch, Params

__all__ = ["is_array_data", "prepare_arrays"]


def is_array_data(data) -> bool:
    """True for a (non-empty) pytree whose leaves are all arrays (in-memory data).

    Only arrays, tuples (including named tuples) and dicts count: a ``list`` or
    any other iterable is taken as a sequence of batches.
    """
    if not isinstance(data, (tuple, dict, np.ndarray, jax.Array)):
        return False
    leaves = jax.tree_util.tree_leaves(data)
    return bool(leaves) and all(isinstance(x, (np.ndarray, jax.Array)) for x in leaves)


def prepare_arrays(
    data: Batch,
    name: str,
    *,
    loss: Loss | None = None,
    params: Params | None = None,
    validate: bool = True,
) -> Batch:
    """Check an in-memory data set once and move it to the default device.

    Checks: every leaf numeric, non-empty, finite (floats), at least 1-D, all
    with the same number of rows; then ``loss.check(params, data, name)`` if the
    `jaxfound.losses.Loss` has one (e.g. label ranges against the model's outputs).
    """
    if not validate:
        return jax.device_put(data)
    paths, treedef = jax.tree_util.tree_flatten_with_path(data)
    names = [f"{name}{jax.tree_util.keystr(path)}" for path, _ in paths]
    leaves = [_validate.as_numeric(leaf, n) for (_, leaf), n in zip(paths, names)]
    # on the device first: the finiteness check then runs there, compiled, with no
    # host copy of a large data set (and the data move once, as training needs them)
    leaves = jax.device_put(leaves)
    for leaf, leaf_name in zip(leaves, names):
        _validate.check_ndim(leaf, leaf_name, tuple(range(1, 8)))
        _validate.check_nonempty(leaf, leaf_name)
        _validate.check_finite(leaf, leaf_name)
    _validate.check_same_length(leaves, names)
    data = jax.tree_util.tree_unflatten(treedef, leaves)
    if loss is not None and loss.check is not None:
        loss.check(params, data, name)
    return data
