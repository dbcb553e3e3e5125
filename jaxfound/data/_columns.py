r"""Apply different transforms to different columns and concatenate the results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.data._transform import Transform, require_state

__all__ = ["ColumnsState", "columns", "identity"]


class ColumnsState(NamedTuple):
    """``states[b]`` is branch ``b``'s fitted state. ``widths[b]`` is an empty array whose
    *shape* (static under ``jit``) records the branch's output: ``(0, w_b)`` for ``w_b``
    columns, ``(0,)`` for a 1-D output; ``n_in`` records the input width as ``(0, d)``
    (``d = 0`` for tables)."""

    states: tuple
    widths: tuple
    n_in: np.ndarray


def identity() -> Transform:
    """The transform that changes nothing (to pass columns through `columns`)."""
    return Transform(lambda x: None, lambda s, x: x, lambda s, y: y)


def _select(x, sel):
    if not isinstance(x, dict):
        return x[:, sel]
    if isinstance(sel, str):
        return x[sel]
    cols = [x[c] for c in sel]
    xp = jnp if all(isinstance(c, jax.Array) for c in cols) else np
    return xp.stack([xp.asarray(c) for c in cols], axis=1)


def columns(*branches: tuple[str | int | Sequence, Transform]) -> Transform:
    r"""Fit one transform per group of columns; output their results side by side.

    A branch is ``(selector, transform)``. For a 2-D array ``x`` the selector is a column index
    (the transform sees ``x[:, j]``, shape ``(n,)``) or a list of indices (``(n, k)``); for a
    table (``{name: column}``, e.g. from `load_csv`) it is a column name or a list of
    names. Columns no branch selects are dropped (pass them through with `identity`).

    $$
    y = [\,t_1(s_1, x_{S_1}) \;|\; t_2(s_2, x_{S_2}) \;|\; \dots\,]
    $$

    ``inverse`` splits ``y`` into the branches' blocks, inverts each and puts the columns back:
    an array for array input (unselected columns NaN), a table for table input.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.data import standardize, one_hot
      >>> table = {"age": np.array([20.0, 40.0]), "city": np.array(["Oslo", "Rome"])}
      >>> t = columns((["age"], standardize()), ("city", one_hot()))
      >>> s = t.fit(table)
      >>> np.asarray(t.transform(s, table)).tolist()
      [[-1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
      >>> t.inverse(s, t.transform(s, table))["city"].tolist()
      ['Oslo', 'Rome']
    """
    if not branches or not all(
        isinstance(b, tuple) and len(b) == 2 and isinstance(b[1], Transform) for b in branches
    ):
        raise errors.ValidationError("columns takes (selector, Transform) pairs.")

    def _check_input(x):
        names = list(x) if isinstance(x, dict) else None
        for sel, _ in branches:
            sels = [sel] if isinstance(sel, (str, int, np.integer)) else list(sel)
            if names is not None:
                bad = [s for s in sels if s not in names]
                if bad:
                    raise errors.DataFormatError(f"columns {bad} are not in the table {names}.")
            else:
                if not hasattr(x, "ndim") or x.ndim != 2:
                    raise errors.ShapeError("columns needs a 2-D array or a table (dict).")
                bad = [s for s in sels if not isinstance(s, (int, np.integer)) or not
                       -x.shape[1] <= s < x.shape[1]]
                if bad:
                    raise errors.ShapeError(
                        f"column indices {bad} are not valid for an array with {x.shape[1]} "
                        "columns (use integer indices for arrays, names for tables)."
                    )

    def _blocks(state, x):
        out = []
        for (sel, t), st in zip(branches, state.states):
            y = t.transform(st, _select(x, sel))
            out.append(y[:, None] if y.ndim == 1 else y)
        return out

    def fit(x):
        x = x if isinstance(x, dict) or hasattr(x, "ndim") else np.asarray(x)
        _check_input(x)
        states = tuple(t.fit(_select(x, sel)) for sel, t in branches)
        widths = []
        for (sel, t), st in zip(branches, states):
            y = t.transform(st, _select(x, sel))
            widths.append(np.empty((0,) if y.ndim == 1 else (0, y.shape[1])))
        n_in = np.empty((0, 0 if isinstance(x, dict) else x.shape[1]))
        return ColumnsState(states, tuple(widths), n_in)

    def transform(state, x):
        require_state(state, ColumnsState)
        _check_input(x)
        return jnp.concatenate([jnp.asarray(b) for b in _blocks(state, x)], axis=1)

    def inverse(state, y):
        require_state(state, ColumnsState)
        widths = [1 if w.ndim == 1 else w.shape[1] for w in state.widths]
        if y.shape[-1] != sum(widths):
            raise errors.ShapeError(
                f"y has {y.shape[-1]} columns, the transform makes {sum(widths)}."
            )
        table = state.n_in.shape[1] == 0
        out = {} if table else jnp.full((y.shape[0], state.n_in.shape[1]), jnp.nan, y.dtype)
        start = 0
        for (sel, t), st, w, marker in zip(branches, state.states, widths, state.widths):
            block = y[:, start : start + w]
            start += w
            single = isinstance(sel, (str, int, np.integer))
            xs = t.inverse(st, block[:, 0] if marker.ndim == 1 else block)
            sels = [sel] if single else list(sel)
            if table:
                for k, name in enumerate(sels):
                    out[name] = xs if single else xs[:, k]
            else:
                out = out.at[:, jnp.asarray(sels)].set(
                    jnp.asarray(xs).reshape(y.shape[0], len(sels)).astype(y.dtype)
                )
        return out

    return Transform(fit, transform, inverse)

