r"""Categorical encoders: label encoding and one-hot, with their inverses.

Categories are learnt by ``fit`` (sorted, as `numpy.unique` gives them). Numeric
categories give jittable ``transform``/``inverse``; text categories (NumPy ``str`` arrays)
work on the host. A value that was not seen at fit time raises `LabelError` when
the input is concrete; under ``jax.jit`` (where values cannot be inspected) ``one_hot``
encodes it as an all-zero block and ``label_encoder`` as ``-1``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.data._transform import Transform, is_concrete, require_state

__all__ = ["LabelState", "OneHotState", "label_encoder", "one_hot"]


class LabelState(NamedTuple):
    """The sorted ``classes`` seen at fit time; class ``classes[k]`` is encoded as ``k``."""

    classes: np.ndarray


class OneHotState(NamedTuple):
    """Sorted categories: one array for 1-D input, a tuple of per-column arrays for 2-D."""

    categories: np.ndarray | tuple[np.ndarray, ...]


def _is_text(a) -> bool:
    return np.dtype(a.dtype).kind in "USO"


def _categories(col: np.ndarray, name: str) -> np.ndarray:
    if col.size == 0:
        raise errors.EmptyDataError(f"cannot fit an encoder on {name} with 0 rows.")
    if col.dtype.kind == "O":
        col = col.astype(str)
    if col.dtype.kind == "f" and not np.isfinite(col).all():
        raise errors.NonFiniteError(
            f"{name} holds NaN/inf; impute or drop missing values before encoding."
        )
    if col.dtype.kind not in "biufUS":
        raise errors.DTypeError(f"{name} has dtype {col.dtype}; encode numbers or strings.")
    return np.unique(col)


def _check_seen(values, classes, name: str) -> None:
    """Raise `LabelError` naming the values of ``values`` not in ``classes``."""
    if not is_concrete(values):
        return
    v = np.asarray(values)
    unseen = np.setdiff1d(np.unique(v), np.asarray(classes))
    if unseen.size:
        shown = unseen[:5].tolist()
        raise errors.LabelError(
            f"{name} holds {unseen.size} value(s) not seen at fit time, e.g. {shown}; "
            f"the encoder knows {np.asarray(classes)[:10].tolist()}"
            f"{' …' if len(classes) > 10 else ''}. Refit on data that includes them, or map "
            "them to a known category first."
        )


def _xp(*arrays):
    return np if any(_is_text(a) for a in arrays) else jnp


def _codes(classes, values):
    """Index of each value in the sorted ``classes`` (``-1`` when absent)."""
    xp = _xp(classes, values)
    classes, values = xp.asarray(classes), xp.asarray(values)
    idx = xp.clip(xp.searchsorted(classes, values), 0, classes.shape[0] - 1)
    return xp.where(classes[idx] == values, idx, -1).astype(np.int32)


def label_encoder() -> Transform:
    r"""Map class labels to integer codes ``0..C-1`` (in sorted order) and back.

    $$
    \mathrm{code}(v) = k \iff v = c_k, \qquad c_0 < c_1 < \dots < c_{C-1}
    $$

    Returns:
      A `Transform` with state `LabelState`.

    Raises:
      LabelError: ``transform`` meets a label unseen at fit time, or ``inverse`` a code
        outside ``[0, C)``.

    Examples:
      >>> import numpy as np
      >>> t = label_encoder()
      >>> s = t.fit(np.array(["cat", "dog", "cat"]))
      >>> t.transform(s, np.array(["dog", "cat"])).tolist(), t.inverse(s, np.array([1])).tolist()
      ([1, 0], ['dog'])
    """

    def fit(y):
        y = np.asarray(y)
        if y.ndim != 1:
            raise errors.ShapeError(f"label_encoder fits 1-D labels, got shape {y.shape}.")
        return LabelState(_categories(y, "y"))

    def transform(state, y):
        require_state(state, LabelState)
        _check_seen(y, state.classes, "y")
        return _codes(state.classes, y)

    def inverse(state, codes):
        require_state(state, LabelState)
        n = len(state.classes)
        if is_concrete(codes):
            c = np.asarray(codes)
            if c.size and (c.dtype.kind not in "iu" or c.min() < 0 or c.max() >= n):
                raise errors.LabelError(
                    f"codes must be integers in [0, {n}), got values in "
                    f"[{c.min()}, {c.max()}] of dtype {c.dtype}."
                )
        return _xp(state.classes).asarray(state.classes)[codes]

    return Transform(fit, transform, inverse)


def one_hot(*, dtype: Any = None) -> Transform:
    r"""One-hot encode categorical columns: each column becomes one 0/1 column per category.

    $$
    y_{i,\,o_j + k} = [x_{ij} = c_{jk}], \qquad o_j = \sum_{l<j} C_l
    $$

    Output columns follow scikit-learn's ``OneHotEncoder`` (columns in order, categories
    sorted). A 1-D input ``(n,)`` gives ``(n, C)`` and inverts back to ``(n,)``.

    Args:
      dtype: output dtype (default: JAX's default float).

    Returns:
      A `Transform` with state `OneHotState`. ``inverse`` takes the arg-max of
      each block, so it also decodes probabilities.

    Raises:
      LabelError: ``transform`` meets a value unseen at fit time (concrete input).

    Examples:
      >>> import numpy as np
      >>> t = one_hot()
      >>> x = np.array([[0, 10], [1, 10], [0, 20]])
      >>> s = t.fit(x)
      >>> t.transform(s, x).astype(int).tolist()
      [[1, 0, 1, 0], [0, 1, 1, 0], [1, 0, 0, 1]]
      >>> t.inverse(s, t.transform(s, x)).tolist()
      [[0, 10], [1, 10], [0, 20]]
    """
    out_dtype = dtype

    def fit(x):
        x = np.asarray(x)
        if x.ndim == 1:
            return OneHotState(_categories(x, "x"))
        if x.ndim != 2:
            raise errors.ShapeError(f"one_hot fits (n,) or (n, d) arrays, got shape {x.shape}.")
        return OneHotState(tuple(_categories(x[:, j], f"x[:, {j}]") for j in range(x.shape[1])))

    def _columns(state, x):
        cats = state.categories
        single = not isinstance(cats, tuple)
        if single:
            if x.ndim != 1:
                raise errors.ShapeError(f"fitted on 1-D input, got shape {x.shape}.")
            return (cats,), (x,)
        if x.ndim != 2 or x.shape[1] != len(cats):
            raise errors.ShapeError(
                f"fitted on {len(cats)} columns, got shape {x.shape}; pass the same columns."
            )
        return cats, tuple(x[:, j] for j in range(len(cats)))

    def transform(state, x):
        require_state(state, OneHotState)
        x = x if hasattr(x, "ndim") else np.asarray(x)
        cats, cols = _columns(state, x)
        dt = out_dtype or jnp.result_type(float)
        blocks = []
        for j, (c, col) in enumerate(zip(cats, cols)):
            _check_seen(col, c, f"x[:, {j}]" if len(cats) > 1 else "x")
            xp = _xp(c, col)
            blocks.append(jnp.asarray(xp.asarray(col)[:, None] == xp.asarray(c)[None, :], dt))
        return jnp.concatenate(blocks, axis=1)

    def inverse(state, y):
        require_state(state, OneHotState)
        cats = state.categories
        single = not isinstance(cats, tuple)
        cats = (cats,) if single else cats
        widths = [len(c) for c in cats]
        if y.shape[-1] != sum(widths):
            raise errors.ShapeError(
                f"y has {y.shape[-1]} columns, the encoder makes {sum(widths)}."
            )
        cols, start = [], 0
        for c, w in zip(cats, widths):
            k = jnp.argmax(jnp.asarray(y)[:, start : start + w], axis=1)
            start += w
            cols.append(np.asarray(c)[np.asarray(k)] if _is_text(c) else jnp.asarray(c)[k])
        if single:
            return cols[0]
        xp = _xp(*cols)
        return xp.stack([xp.asarray(c) for c in cols], axis=1)

    return Transform(fit, transform, inverse)
