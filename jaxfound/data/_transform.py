r"""Fit/transform pairs over state pytrees, and a pipeline that chains them.

A `Transform` is three pure functions, like optax's ``GradientTransformation``:

$$
s = \mathrm{fit}(x), \qquad y = \mathrm{transform}(s, x), \qquad
x = \mathrm{inverse}(s, y).
$$

The state ``s`` is a pytree of arrays (a NamedTuple), so it can be passed through
``jax.jit``, saved with `save_state` and re-applied to new data. The configuration
(degree, quantile range …) lives in the closure: rebuild the same transform in code, load
its state, and apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors

__all__ = ["Transform", "pipeline", "fit_transform"]

State = Any


class Transform(NamedTuple):
    """``fit(x) -> state``, ``transform(state, x) -> y`` and ``inverse(state, y) -> x``."""

    fit: Callable[[Any], State]
    transform: Callable[[State, Any], Any]
    inverse: Callable[[State, Any], Any]


def fit_transform(t: Transform, x) -> tuple[State, Any]:
    """Fit ``t`` on ``x`` and transform ``x``: returns ``(state, y)``."""
    state = t.fit(x)
    return state, t.transform(state, x)


def pipeline(*steps: Transform) -> Transform:
    r"""Chain transforms: ``fit`` fits each step on the output of the previous ones.

    $$
    y = t_k(s_k, \dots t_1(s_1, x)), \qquad x = t_1^{-1}(s_1, \dots t_k^{-1}(s_k, y))
    $$

    The state is the tuple of the steps' states.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.data import standardize, polynomial
      >>> pipe = pipeline(standardize(), polynomial(2))
      >>> x = np.array([[0.0], [1.0], [2.0]])
      >>> s = pipe.fit(x)
      >>> np.asarray(pipe.transform(s, x), dtype=float).round(3).tolist()
      [[1.0, -1.225, 1.5], [1.0, 0.0, 0.0], [1.0, 1.225, 1.5]]
      >>> np.allclose(pipe.inverse(s, pipe.transform(s, x)), x, atol=1e-6)
      True
    """
    if not steps or not all(isinstance(s, Transform) for s in steps):
        raise errors.ValidationError("pipeline takes one or more Transform objects.")

    def fit(x):
        states = []
        for s in steps:
            st = s.fit(x)
            x = s.transform(st, x)
            states.append(st)
        return tuple(states)

    def transform(state, x):
        _check_state(state, len(steps))
        for s, st in zip(steps, state):
            x = s.transform(st, x)
        return x

    def inverse(state, y):
        _check_state(state, len(steps))
        for s, st in zip(reversed(steps), reversed(state)):
            y = s.inverse(st, y)
        return y

    return Transform(fit, transform, inverse)


def _check_state(state, n: int) -> None:
    if state is None:
        raise errors.NotFittedError("this pipeline has no state; call fit(x) first.")
    if type(state) is not tuple or len(state) != n:
        got = type(state).__name__ + (f" of length {len(state)}" if type(state) is tuple else "")
        hint = (
            " (one step's state: pass the whole tuple that pipeline.fit returned)"
            if type(state) is not tuple and isinstance(state, tuple)
            else ""
        )
        raise errors.ValidationError(
            f"state must be the tuple of the pipeline's {n} steps' states (what "
            f"pipeline.fit returns), got a {got}{hint}."
        )


# --- helpers shared by the transforms --------------------------------------------------


def is_concrete(*xs) -> bool:
    """True when no argument holds a tracer: boundary checks can look at the values."""
    return not any(
        isinstance(leaf, jax.core.Tracer) for x in xs for leaf in jax.tree_util.tree_leaves(x)
    )


def float_input(x, name: str = "x", *, fitting: bool = False):
    """``x`` as a floating JAX array (checked when concrete: numeric, rank >= 1, rows)."""
    if isinstance(x, jax.Array):
        arr = x
    else:
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise errors.DTypeError(
                f"{name} has dtype {arr.dtype}; this transform needs numbers (encode text "
                "columns with one_hot or label_encoder first)."
            )
    if arr.ndim == 0:
        raise errors.ShapeError(f"{name} is a scalar; pass an array of shape (n,) or (n, d).")
    if fitting and arr.shape[0] == 0:
        raise errors.EmptyDataError(
            f"cannot fit on {name} with 0 rows; pass at least one row (check that an earlier "
            "filter such as drop_missing or a split did not remove them all)."
        )
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = jnp.asarray(arr, dtype=jnp.result_type(float))
    return jnp.asarray(arr)


def check_features(x, like, name: str = "x") -> None:
    """Raise `ShapeError` unless ``x``'s trailing shape matches the fitted ``like``."""
    if not hasattr(x, "shape") or not hasattr(like, "shape"):
        return
    if tuple(x.shape[1:]) != tuple(like.shape):
        raise errors.ShapeError(
            f"{name} has shape {tuple(x.shape)} but the transform was fitted on rows of shape "
            f"{tuple(like.shape)}; pass the same columns as at fit time."
        )


def require_state(state, cls) -> None:
    if state is None:
        raise errors.NotFittedError(f"no state: call fit(x) first to get a {cls.__name__}.")
    if not isinstance(state, cls):
        raise errors.ValidationError(
            f"expected a {cls.__name__} (from this transform's fit), got {type(state).__name__}."
        )
