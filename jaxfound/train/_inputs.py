"""Boundary checks for the data given to ``fit`` and ``evaluate``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.losses import Loss
from jaxfound.typing import Batch, Params

__all__ = [
    "is_array_data",
    "prepare_arrays",
    "check_fit_arguments",
    "check_fit_loss",
    "trace_loss",
    "batch_spec",
]


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
        return jax.tree_util.tree_map(_on_device, data)
    paths, treedef = jax.tree_util.tree_flatten_with_path(data)
    names = [f"{name}{jax.tree_util.keystr(path)}" for path, _ in paths]
    leaves = [_validate.as_numeric(leaf, n) for (_, leaf), n in zip(paths, names)]
    # on the device first: the finiteness check then runs there, compiled, with no
    # host copy of a large data set (and the data move once, as training needs them)
    leaves = [_on_device(leaf) for leaf in leaves]
    for leaf, leaf_name in zip(leaves, names):
        _validate.check_ndim(leaf, leaf_name, tuple(range(1, 8)))
        _validate.check_nonempty(leaf, leaf_name)
        _validate.check_finite(leaf, leaf_name)
    _validate.check_same_length(leaves, names)
    data = jax.tree_util.tree_unflatten(treedef, leaves)
    if loss is not None and loss.check is not None:
        loss.check(params, data, name)
    return data


def _on_device(x):
    """``x`` as a jax array; one already placed (on a mesh, across processes) stays put."""
    return x if isinstance(x, jax.Array) else jax.device_put(x)


def check_fit_arguments(
    state: Any,
    loss: Loss,
    data: Any,
    *,
    sizes: Mapping[str, Any],
) -> None:
    """The first boundary checks of `jaxfound.train.fit`: the state and the sizes.

    ``state`` must be a `TrainState`, every size (``epochs``, ``batch_size``…) ``None``
    or a Python int >= 1, and a `Sampler`'s ``every`` an int >= 1.
    """
    from jaxfound.train._sampler import Sampler
    from jaxfound.train._state import TrainState

    if not isinstance(state, TrainState):
        raise errors.ValidationError(
            f"state is a {type(state).__name__}, not a jaxfound.train.TrainState; build one "
            "with TrainState.create(params, optax.adam(1e-3), key=jax.random.key(0))."
        )
    for name, value in sizes.items():
        if value is not None:
            _validate.positive_int(value, name)
    if isinstance(data, Sampler):
        _validate.positive_int(data.every, "Sampler.every")


def check_fit_loss(
    state: Any, loss: Loss, data: Any, *, batch_size: int | None, validate: bool = True
) -> None:
    """The last boundary check of `jaxfound.train.fit`, once its arguments are consistent.

    With ``validate``: every batch of a list of batches must be numeric and finite, and
    the loss is traced once (``jax.eval_shape``, no compile) on the first batch's shapes
    (`trace_loss`): it must run and return ``(value, aux)``.
    """
    from jaxfound.train._sampler import Sampler

    if not validate:
        return
    if data is None:
        trace_loss(
            loss, state.params, None, "data=None", key=state.key, model_state=state.model_state
        )
    elif isinstance(data, Sampler):
        if data.init is not None:
            trace_loss(
                loss,
                state.params,
                data.init,
                "data.init",
                key=state.key,
                model_state=state.model_state,
            )
    elif is_array_data(data):
        spec = batch_spec(data, batch_size or 32)
        if spec is not None:
            # on failure, the data checks first: their errors are the more specific ones
            trace_loss(
                loss,
                state.params,
                spec,
                "data",
                key=state.key,
                model_state=state.model_state,
                first=lambda: prepare_arrays(data, "data", loss=loss, params=state.params),
            )
    elif isinstance(data, (list, tuple)):
        for i, batch in enumerate(data):
            _check_batch(batch, f"data[{i}]")
        if data:
            hint = ""
            if all(isinstance(b, (np.ndarray, jax.Array)) for b in data):
                hint = (
                    " data is a list, which fit takes as a sequence of batches; pass "
                    "in-memory arrays as a tuple, data=(x, y)."
                )
            trace_loss(
                loss,
                state.params,
                data[0],
                "data[0]",
                key=state.key,
                model_state=state.model_state,
                hint=hint,
            )


def _check_batch(batch: Any, name: str) -> None:
    """One batch of a list of batches: numeric and finite leaves."""
    for path, leaf in jax.tree_util.tree_flatten_with_path(batch)[0]:
        leaf_name = f"{name}{jax.tree_util.keystr(path)}"
        _validate.check_finite(_validate.as_numeric(leaf, leaf_name), leaf_name)


def batch_spec(data: Batch, batch_size: int) -> Any:
    """Shapes and dtypes of one batch of in-memory ``data`` (None: the data checks refuse it)."""
    leaves = jax.tree_util.tree_leaves(data)
    if any(np.ndim(a) == 0 or np.shape(a)[0] == 0 for a in leaves):
        return None
    if any(np.dtype(getattr(a, "dtype", object)).kind not in "biuf" for a in leaves):
        return None
    rows = min(batch_size, min(np.shape(a)[0] for a in leaves))
    return jax.tree_util.tree_map(
        lambda a: jax.ShapeDtypeStruct(
            (rows, *np.shape(a)[1:]), jax.dtypes.canonicalize_dtype(a.dtype)
        ),
        data,
    )


def _describe(batch: Any) -> str:
    parts = [
        f"{jax.tree_util.keystr(p) or 'batch'}: {tuple(np.shape(x))} {getattr(x, 'dtype', '')}"
        for p, x in jax.tree_util.tree_flatten_with_path(batch)[0]
    ]
    return ", ".join(parts) if parts else "None"


def trace_loss(
    loss: Loss,
    params: Params,
    batch: Any,
    name: str,
    *,
    key: Any = None,
    model_state: Any = None,
    hint: str = "",
    first: Callable[[], Any] | None = None,
) -> None:
    """Trace ``loss`` once on ``batch`` (shapes only, no compile) and check what it returns.

    Turns an error raised while tracing (a key the parameters lack, labels of the wrong
    dtype or shape for the per-example loss…) into a `ValidationError` that names the
    loss, the batch's shapes and the fix, and refuses a loss that does not return
    ``(value, aux)`` with a scalar ``value`` and a dict ``aux``. ``first`` runs before
    that error is raised (a more specific check of the data, which may raise instead).
    """
    try:
        out = jax.eval_shape(lambda p, b, k, m: loss(p, b, k, m), params, batch, key, model_state)
    except errors.JaxfoundError:
        raise
    except Exception as e:  # noqa: BLE001 - any failure here is the loss not fitting the data
        if first is not None:
            first()
        text = str(e).strip().splitlines()[0][:300] if str(e).strip() else ""
        raise errors.ValidationError(
            f"the loss fails on {name} (shapes {_describe(batch)}): {type(e).__name__}: "
            f"{text}. Check that the params, the data's dtypes and shapes (e.g. integer "
            f"labels of shape (n,)) match what the loss reads.{hint}"
        ) from e
    n_out = 3 if loss.stateful else 2
    what = "(value, aux, model_state)" if loss.stateful else "(value, aux)"
    if not (isinstance(out, tuple) and len(out) == n_out):
        if hasattr(out, "shape"):
            got = f"an array of shape {tuple(out.shape)}"
        else:
            length = f" of length {len(out)}" if isinstance(out, tuple) else ""
            got = f"a {type(out).__name__}{length}"
        raise errors.ValidationError(
            f"the loss must return {what} (a scalar and a dict of metrics), got {got} on "
            f"{name}; return e.g. (jnp.mean(err ** 2), {{}}).{hint}"
        )
    value, aux = out[0], out[1]
    if getattr(value, "shape", None) != () or not jnp.issubdtype(value.dtype, jnp.inexact):
        raise errors.ValidationError(
            f"the loss's value must be a float scalar, got shape "
            f"{tuple(getattr(value, 'shape', ()))} {getattr(value, 'dtype', type(value).__name__)}"
            f" on {name}; reduce it (jnp.mean) and return (value, aux).{hint}"
        )
    if not isinstance(aux, Mapping):
        raise errors.ValidationError(
            f"the loss's aux must be a dict of scalar metrics, got {type(aux).__name__} on "
            f"{name}; return (value, {{}}) when there is nothing to report.{hint}"
        )
