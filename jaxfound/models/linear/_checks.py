"""Boundary checks shared by the classical models (linear models, SVMs).

They run in Python on concrete arrays before anything is traced, and are skipped for
arguments that are JAX tracers (inside ``jax.vmap``/``jax.jit`` the caller has already
validated the concrete data it closes over). Each raises a `jaxfound.errors` exception.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors


def is_traced(*xs) -> bool:
    """True when any argument is a JAX tracer (we are inside jit/vmap/grad)."""
    return any(isinstance(x, jax.core.Tracer) for x in xs)


def float_array(x) -> jax.Array:
    """``x`` as a JAX array of the default floating dtype (float64 when x64 is enabled)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def features(X, name: str = "X") -> jax.Array:
    """Validate a design matrix ``(n, d)``: numeric, rank 2, non-empty, finite."""
    if not is_traced(X):
        X = _validate.check_array(X, name, ndim=2)
    return float_array(X)


def targets(y, n: int, name: str = "y") -> jax.Array:
    """Validate regression targets ``(n,)`` or ``(n, k)`` with ``n`` rows."""
    if not is_traced(y):
        y = _validate.check_array(y, name, ndim=(1, 2))
        if np.shape(y)[0] != n:
            raise errors.ShapeError(f"{name} has {np.shape(y)[0]} rows but X has {n}; "
                                    "pass one target per row of X.")
    return float_array(y)


def weights(sample_weight, n: int, dtype) -> jax.Array:
    """Validate ``sample_weight`` ``(n,)``: finite, non-negative, not all zero; None → ones."""
    if sample_weight is None:
        return jnp.ones((n,), dtype)
    if not is_traced(sample_weight):
        w = _validate.check_array(sample_weight, "sample_weight", ndim=1)
        if np.shape(w)[0] != n:
            raise errors.ShapeError(f"sample_weight has {np.shape(w)[0]} entries but X has {n} "
                                    "rows; pass one weight per row.")
        w = np.asarray(w)
        if (w < 0).any():
            raise errors.ValidationError("sample_weight has negative entries; weights must be "
                                         ">= 0 (a weight of 0 removes the row).")
        if not (w > 0).any():
            raise errors.ValidationError("sample_weight is all zero; at least one row needs a "
                                         "positive weight.")
    return jnp.asarray(sample_weight, dtype)


def class_labels(y, n: int, n_classes: int | None, name: str = "y"):
    """Validate integer class labels in ``[0, n_classes)``; return ``(y, n_classes)``.

    Concrete labels come back as a NumPy array (so their layout can be read in Python).

    ``n_classes`` defaults to ``max(y) + 1`` (which needs concrete labels). Raises
    `jaxfound.errors.DTypeError` for string/float labels and
    `jaxfound.errors.LabelError` for fewer samples than classes or one class only.
    """
    if is_traced(y):
        if n_classes is None:
            raise errors.ValidationError(f"{name} is traced: pass n_classes explicitly.")
        return jnp.asarray(y), int(n_classes)
    y = _validate.as_numeric(y, name)
    _validate.check_ndim(y, name, 1)
    _validate.check_nonempty(y, name)
    _validate.check_labels(y, name, n_classes)
    if np.shape(y)[0] != n:
        raise errors.ShapeError(f"{name} has {np.shape(y)[0]} labels but X has {n} rows; "
                                "pass one label per row of X.")
    yn = np.asarray(y)
    k = int(yn.max()) + 1 if n_classes is None else int(n_classes)
    if n < k:
        raise errors.LabelError(f"{name} has {n} samples but {k} classes; a classifier needs at "
                                "least one sample per class (collect more data or merge classes).")
    if k < 2 or len(np.unique(yn)) < 2:
        raise errors.LabelError(f"{name} holds a single class; a classifier needs at least two.")
    return yn, k  # stays NumPy: jnp.asarray would make it a tracer inside jit


def n_features_match(expected: int, X, name: str = "X") -> jax.Array:
    """Validate ``X`` for prediction: rank 2 with ``expected`` columns."""
    X = features(X, name)
    if X.shape[-1] != expected:
        raise errors.ShapeError(f"{name} has {X.shape[-1]} features but the model was fitted "
                                f"with {expected}; pass the same columns as at fit time.")
    return X


def full_rank(X, w, fit_intercept: bool, name: str = "X") -> None:
    """Raise `SingularMatrixError` if the weighted (centred) concrete design is rank deficient.

    Runs in NumPy (no device dispatch); skipped when ``X`` or ``w`` is traced.
    """
    if is_traced(X, w):
        return
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if fit_intercept:
        X = X - (w @ X) / w.sum()
    A = np.sqrt(w)[:, None] * X
    rank = np.linalg.matrix_rank(A)
    if rank < A.shape[1]:
        raise errors.SingularMatrixError(
            f"the design matrix {name} has rank {rank} < {A.shape[1]} columns (collinear or "
            "constant columns, or fewer rows than columns); drop redundant columns or add "
            "regularisation (fit_ridge with alpha > 0).")
