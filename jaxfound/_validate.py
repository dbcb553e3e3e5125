"""Boundary checks shared by the whole package.

These run once, in Python, on concrete arrays *before* anything is traced.
Each raises a `jaxfound.errors` exception that names the argument and the fix.
Inside jitted code use ``chex`` assertions instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors

__all__ = [
    "as_numeric",
    "check_nonempty",
    "check_finite",
    "check_ndim",
    "check_same_length",
    "check_labels",
    "check_array",
    "is_traced",
    "float_array",
    "features",
    "targets",
    "sample_weights",
    "class_labels",
    "n_features_match",
    "full_rank",
    "whole_number",
    "nonnegative_scalar",
    "required_key",
    "indices",
    "any_array",
    "prediction_pair",
    "optional_sample_weights",
    "labels_in_range",
    "n_classes_of",
    "hyperparameter",
    "estimator",
    "positive_int",
    "token_ids",
]


def as_numeric(x, name: str) -> np.ndarray | jax.Array:
    """Return ``x`` as a numeric array, raising `DTypeError` otherwise."""
    arr: np.ndarray | jax.Array
    if isinstance(x, jax.Array):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as e:  # ragged nested lists
            raise errors.ShapeError(
                f"{name} could not be turned into an array ({e}); pass a rectangular "
                "array (all rows the same length)."
            ) from e
    kind = np.dtype(arr.dtype).kind
    if kind not in "biuf":
        raise errors.DTypeError(
            f"{name} has dtype {arr.dtype}, which is not numeric; convert it first "
            "(e.g. encode string labels with jaxfound.data.label_encoder, or cast with "
            ".astype(np.float32))."
        )
    return arr


def check_nonempty(x, name: str) -> None:
    """Raise `EmptyDataError` if ``x`` has no rows."""
    if np.ndim(x) == 0:
        return
    if np.shape(x)[0] == 0:
        raise errors.EmptyDataError(f"{name} is empty (0 rows); pass at least one example.")


def check_finite(x, name: str) -> None:
    """Raise `NonFiniteError` if a floating array holds NaN or ±inf."""
    if np.dtype(x.dtype).kind != "f":
        return
    # Fast paths; only a failed one pays for the element-wise search below.
    if isinstance(x, jax.Array):
        # on the array's own device(s), compiled: no host copy, all cores
        if bool(_all_finite(x)):
            return
    # one float64 reduction (NaN and inf propagate; float32 sums cannot overflow float64)
    elif x.dtype.itemsize <= 4 and np.isfinite(np.add.reduce(x, axis=None, dtype=np.float64)):
        return
    x = np.asarray(x)
    bad = ~np.isfinite(x)
    if bad.any():
        n = int(bad.sum())
        where = np.argwhere(bad)[0].tolist()
        raise errors.NonFiniteError(
            f"{name} contains {n} NaN/inf value(s) (first at index {tuple(where)}); "
            "clean or impute them first (see jaxfound.data cleaning functions)."
        )


@jax.jit
def _all_finite(x: jax.Array) -> jax.Array:
    # x * 0 is 0 where x is finite and NaN where it is not, and a sum of zeros cannot
    # overflow: exact, and ~4x faster on CPU than all(isfinite(x))
    return jnp.isfinite(jnp.sum(x * 0))


def check_ndim(x, name: str, ndim: int | Sequence[int]) -> None:
    """Raise `ShapeError` unless ``x.ndim`` is ``ndim`` (or one of them)."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if np.ndim(x) not in allowed:
        raise errors.ShapeError(
            f"{name} has shape {np.shape(x)} (rank {np.ndim(x)}), expected rank "
            f"{' or '.join(map(str, allowed))}."
        )


def check_same_length(arrays: Sequence, names: Sequence[str]) -> int:
    """Raise `ShapeError` unless all arrays have the same leading size; return it."""
    lengths = [np.shape(a)[0] if np.ndim(a) else None for a in arrays]
    for n, length in zip(names, lengths):
        if length is None:
            raise errors.ShapeError(f"{n} is a scalar; expected an array with one row per example.")
    if len(set(lengths)) > 1:
        desc = ", ".join(f"{n}: {length}" for n, length in zip(names, lengths))
        raise errors.ShapeError(
            f"arrays must have the same number of rows (leading dimension), got {desc}."
        )
    return int(lengths[0]) if lengths else 0  # type: ignore[arg-type]  # None refused above


def check_labels(y, name: str, n_classes: int | None = None) -> None:
    """Raise unless ``y`` holds integer class labels in ``[0, n_classes)``."""
    kind = np.dtype(y.dtype).kind
    if kind not in "iub":
        raise errors.DTypeError(
            f"{name} has dtype {y.dtype}; class labels must be integers in [0, n_classes). "
            "Encode them with jaxfound.data.label_encoder or cast with .astype(np.int32)."
        )
    y = np.asarray(y)
    if y.size == 0:
        return
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or (n_classes is not None and hi >= n_classes):
        rng = f"[0, {n_classes})" if n_classes is not None else "[0, n_classes)"
        raise errors.LabelError(
            f"{name} has labels in [{lo}, {hi}], outside {rng}; relabel them "
            "(e.g. with jaxfound.data.label_encoder) or give the model more outputs."
        )


def check_array(x, name: str, *, ndim=None, finite: bool = True, nonempty: bool = True):
    """Convert and run the common checks on one array; return the array."""
    arr = as_numeric(x, name)
    if ndim is not None:
        check_ndim(arr, name, ndim)
    if nonempty:
        check_nonempty(arr, name)
    if finite:
        check_finite(arr, name)
    return arr


# --- model-level checks: design matrices, targets, weights, class labels ---
def is_traced(*xs) -> bool:
    """True when any argument is a JAX tracer (we are inside jit/vmap/grad)."""
    return any(isinstance(x, jax.core.Tracer) for x in xs)


def float_array(x) -> jax.Array:
    """``x`` as a JAX array of the default floating dtype (float64 when x64 is enabled)."""
    if isinstance(x, jax.Array) or is_traced(x):
        x = jnp.asarray(x)
        return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float))
    x = np.asarray(x)  # a host value: cast by NumPy, no device op to dispatch
    return device_array(x, None if x.dtype.kind == "f" else jnp.result_type(float))


def on_host(x) -> bool:
    """True when ``x`` is concrete and NumPy can read it without a copy from an
    accelerator (a NumPy array, or a JAX array on CPU devices)."""
    if is_traced(x):
        return False
    if isinstance(x, jax.Array):
        return all(d.platform == "cpu" for d in x.devices())
    return True


def device_array(x, dtype=None) -> jax.Array:
    """``jnp.asarray(x, dtype)``, but a host value (NumPy, a Python number) is cast by NumPy
    and sent with `jax.device_put`: no device program to compile or load, which is most of
    a small fit's first call in a new process (~15 ms per shape against ~0.3 ms)."""
    if isinstance(x, jax.Array) or is_traced(x):
        return jnp.asarray(x, dtype)
    return jax.device_put(np.asarray(x, dtype))


def features(X, name: str = "X", *, allow_nan: bool = False) -> jax.Array:
    """Validate a design matrix ``(n, d)``: numeric, rank 2, non-empty, finite.

    With ``allow_nan`` NaN (a missing value) passes; ``±inf`` still raises.
    """
    if not is_traced(X):
        X = check_array(X, name, ndim=2, finite=not allow_nan)
        if allow_nan:
            check_no_inf(X, name)
    return float_array(X)


def check_no_inf(x, name: str) -> None:
    """Raise `NonFiniteError` if a floating array holds ``±inf`` (NaN is allowed)."""
    if np.dtype(x.dtype).kind != "f":
        return
    n_inf = int(_count_inf(x) if isinstance(x, jax.Array) else np.isinf(x).sum())
    if n_inf:
        raise errors.NonFiniteError(
            f"{name} contains {n_inf} infinite value(s); NaN marks a missing value here, but "
            "±inf is not a feature value: clip or replace them first."
        )


@jax.jit
def _count_inf(x: jax.Array) -> jax.Array:
    return jnp.sum(jnp.isinf(x))


def targets(y, n: int, name: str = "y") -> jax.Array:
    """Validate regression targets ``(n,)`` or ``(n, k)`` with ``n`` rows."""
    if not is_traced(y):
        y = check_array(y, name, ndim=(1, 2))
        if np.shape(y)[0] != n:
            raise errors.ShapeError(f"{name} has {np.shape(y)[0]} rows but X has {n}; "
                                    "pass one target per row of X.")
    return float_array(y)


def sample_weights(sample_weight, n: int, dtype) -> jax.Array:
    """Validate ``sample_weight`` ``(n,)``: finite, non-negative, not all zero; None → ones."""
    if sample_weight is None:
        return device_array(np.ones((n,)), dtype)
    if not is_traced(sample_weight):
        w = check_array(sample_weight, "sample_weight", ndim=1)
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
    return device_array(sample_weight, dtype)


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
    y = as_numeric(y, name)
    check_ndim(y, name, 1)
    check_nonempty(y, name)
    check_labels(y, name, n_classes)
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


def n_features_match(expected: int, X, name: str = "X", *, allow_nan: bool = False) -> jax.Array:
    """Validate ``X`` for prediction: rank 2 with ``expected`` columns."""
    X = features(X, name, allow_nan=allow_nan)
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
            "regularisation (jaxfound.models.linear.ridge with alpha > 0).")


# --- scalar settings and PRNG keys ---
def whole_number(x, name: str, lo: int, hi: int | None = None, *, hint: str = ""):
    """Validate a concrete whole number in ``[lo, hi]`` (``hi=None``: no upper bound).

    Accepts Python / NumPy integers, whole floats (``2.0``) and 0-d arrays of them, and
    returns a Python `int`; rejects bools. A traced value (a hyper-parameter inside
    jit/vmap) is returned unchanged, unchecked. ``hint`` is appended to the message.

    Examples:
      >>> whole_number(3.0, "max_depth", 1, 20)
      3
    """
    if is_traced(x):
        return x
    ok = not isinstance(x, (bool, np.bool_, str, bytes))
    if ok:
        a = np.asarray(x)
        ok = a.ndim == 0 and a.dtype.kind in "iuf" and bool(np.isfinite(a))
        ok = ok and float(a) == round(float(a))
        ok = ok and lo <= int(a) and (hi is None or int(a) <= hi)
    if not ok:
        rng = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise errors.ValidationError(f"{name}={x!r} must be a whole number {rng}{hint}.")
    return int(a)


def nonnegative_scalar(x, name: str):
    """Validate a concrete finite real scalar ``>= 0`` and return it as a `float`.

    A traced value is returned unchanged, unchecked.

    Examples:
      >>> nonnegative_scalar(0, "min_impurity_decrease")
      0.0
    """
    if is_traced(x):
        return x
    ok = not isinstance(x, (bool, np.bool_, str, bytes))
    if ok:
        a = np.asarray(x)
        ok = a.ndim == 0 and a.dtype.kind in "iuf" and bool(np.isfinite(a)) and float(a) >= 0
    if not ok:
        raise errors.ValidationError(f"{name}={x!r} must be a finite number >= 0.")
    return float(a)


def required_key(key, who: str, why: str = "it draws random numbers"):
    """Validate the required ``key=`` of a function that draws random numbers; return it.

    Randomness is explicit (equinox's rule): there is no default key, so ``None`` raises
    `jaxfound.errors.ValidationError` naming ``key=`` and how to make one. Accepts typed
    keys (`jax.random.key`) and raw ``uint32`` keys (`jax.random.PRNGKey`), traced or not.

    Args:
      key: the key passed by the caller.
      who: the function or estimator, for the message.
      why: what the randomness is for, for the message.

    Examples:
      >>> import jax
      >>> k = required_key(jax.random.key(0), "forest_classifier.fit")
    """
    if key is None:
        raise errors.ValidationError(
            f"{who} needs key= because {why}; pass a PRNG key such as "
            "key=jax.random.key(0) (split it with jax.random.split for independent fits).")
    dtype = getattr(key, "dtype", None)
    ok = dtype is not None and (
        jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)
        or (dtype == np.uint32 and np.ndim(key) >= 1)
    )
    if not ok:
        raise errors.ValidationError(
            f"key= got {type(key).__name__} {key!r:.40}, which is not a PRNG key; make one "
            "with jax.random.key(seed).")
    return key

def indices(x, name: str, n: int, what: str = "index") -> np.ndarray:
    """Raise unless ``x`` holds integer ids in ``[0, n)`` (table rows, e.g. user ids).

    An id outside the table would be clipped or turned into NaN by a gather inside jit,
    so it is refused here, naming the first bad position. Returns ``x`` as a NumPy array.
    """
    arr = as_numeric(x, name)
    if np.dtype(arr.dtype).kind not in "iu":
        raise errors.DTypeError(
            f"{name} has dtype {arr.dtype}; {what} ids must be integers in [0, {n}); "
            "cast them with .astype(np.int32) (encode strings with jaxfound.data.label_encoder)."
        )
    arr = np.asarray(arr)
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        where = tuple(np.argwhere(bad)[0].tolist())
        raise errors.ValidationError(
            f"{name} holds {int(bad.sum())} {what} id(s) outside [0, {n}) (first: "
            f"{int(arr[where])} at position {where}); ids are 0-based, so the largest valid "
            f"one is {n - 1}: re-index the ids or build the model with a larger table."
        )
    return arr


# --- checks shared by the statistics functions and the estimator protocol ---
def any_array(x, name: str, *, finite: bool = True) -> jax.Array:
    """``x`` as a JAX array of any shape (empty allowed): numeric, and finite when concrete.

    Tracers pass through unchanged (their values cannot be inspected).
    """
    if is_traced(x):
        return x
    arr = as_numeric(x, name)
    if finite:
        check_finite(arr, name)
    return jnp.asarray(arr)


def prediction_pair(
    y_true, y_pred, *, allow_scores: bool = False, names: tuple[str, str] = ("y_true", "y_pred")
):
    """``y_true`` and ``y_pred`` as arrays of matching shape, at least one example.

    With ``allow_scores`` ``y_pred`` may carry one extra trailing axis (class scores).
    ``names`` are the two arguments' names in messages.
    """
    t, p = names
    y_true = any_array(y_true, t)
    y_pred = any_array(y_pred, p)
    if y_true.ndim == 0:
        raise errors.ShapeError(f"{t} is a scalar; pass one value per example, shape (n,).")
    ok = y_pred.shape == y_true.shape or (
        allow_scores and y_pred.ndim == y_true.ndim + 1 and y_pred.shape[:-1] == y_true.shape
    )
    if not ok:
        extra = " or (n, n_classes) scores" if allow_scores else ""
        raise errors.ShapeError(
            f"{t} has shape {y_true.shape} but {p} has shape {y_pred.shape}; {p} must "
            f"have the same shape{extra} (one prediction per example)."
        )
    if y_true.shape[0] == 0:
        raise errors.EmptyDataError(f"{t} and {p} are empty; pass at least one example.")
    return y_true, y_pred


def optional_sample_weights(sample_weight, n: int, rows: str = "y_true"):
    """`sample_weights` for functions where ``None`` means unweighted: ``None`` stays ``None``.

    The same rules as `sample_weights` (shape ``(n,)``, finite, ``>= 0``, not all zero);
    traced weights are only shape-checked.
    """
    if sample_weight is None:
        return None
    if np.shape(sample_weight) != (n,):
        raise errors.ShapeError(
            f"sample_weight has shape {np.shape(sample_weight)}, expected ({n},): one weight "
            f"per row of {rows}."
        )
    dtype = np.result_type(getattr(sample_weight, "dtype", np.float64), np.float32)
    return sample_weights(sample_weight, n, jax.dtypes.canonicalize_dtype(dtype))


def labels_in_range(y, name: str, n_classes: int | None = None) -> None:
    """`check_labels` that also accepts tracers: their dtype is checked, their values are not."""
    if is_traced(y):
        check_labels(np.zeros(0, y.dtype), name)  # the dtype test only
        return
    check_labels(y, name, n_classes)


def n_classes_of(n_classes: int | None, *labels) -> int:
    """``n_classes`` if given (a positive int), else ``1 + max label`` (concrete labels only)."""
    if n_classes is not None:
        if int(n_classes) < 1:
            raise errors.ValidationError(f"n_classes={n_classes}; it must be a positive integer.")
        return int(n_classes)
    if is_traced(*labels):
        raise errors.ValidationError(
            "n_classes is needed inside jit (it fixes the output shape); pass n_classes=K "
            "as a static argument."
        )
    return 1 + max(int(np.max(np.asarray(y))) for y in labels)


def hyperparameter(x, name: str, *, low: float | None = None, open_low: bool = False):
    """A scalar hyper-parameter: traced values pass through, concrete ones become a ``float``.

    Raises `ValidationError` for a non-number, NaN, or a value below ``low`` (or equal to
    it with ``open_low``); ``+inf`` is allowed (e.g. ``C=inf``: no penalty).
    """
    if is_traced(x):
        return x
    if isinstance(x, bool) or np.ndim(x) != 0:
        raise errors.ValidationError(f"{name}={x!r}: pass one number (a scalar).")
    try:
        v = float(x)
    except (TypeError, ValueError) as e:
        raise errors.ValidationError(f"{name}={x!r} is not a number; pass a scalar.") from e
    too_low = low is not None and (v < low or (open_low and v == low))
    if np.isnan(v) or too_low:
        bound = "" if low is None else f" {'>' if open_low else '>='} {low:g}"
        raise errors.ValidationError(f"{name} must be a number{bound}, got {x!r}.")
    return v


def estimator(est, key=None, name: str = "estimator") -> None:
    """Raise unless ``est`` is a `jaxfound.base.Estimator`, and it has the ``key`` it needs."""
    from jaxfound.base import Estimator

    if not isinstance(est, Estimator):
        raise errors.ValidationError(
            f"{name} is a {type(est).__name__}, not a jaxfound.base.Estimator; pass a model "
            "constructor's result (e.g. jaxfound.models.linear.ridge()) or build one with "
            "Estimator(fit=..., predict=...)."
        )
    if est.needs_key and key is None:
        raise errors.ValidationError(
            f"{name} {est.name!r} draws random numbers (needs_key=True): pass key= (a "
            "jax.random.key); fold i then fits with jax.random.fold_in(key, i)."
        )


def positive_int(value, name: str, *, minimum: int = 1) -> int:
    """``value`` as a Python ``int`` ``>= minimum``; raise `ValidationError` otherwise.

    Sizes that fix array shapes (batch sizes, lengths, counts) must be concrete Python
    integers, also under ``jax.jit`` (pass them as static arguments).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise errors.ValidationError(
            f"{name}={value!r} must be a Python int >= {minimum} (under jax.jit pass it as a "
            "static argument)."
        )
    if value < minimum:
        raise errors.ValidationError(f"{name}={value} must be an int >= {minimum}.")
    return int(value)


def token_ids(x, name: str, vocab_size: int | None, *, ndim: int | Sequence[int] = (1, 2)):
    """Validate integer token ids of rank ``ndim``, in ``[0, vocab_size)`` when concrete.

    ``vocab_size=None`` checks only that the ids are non-negative.

    Rank and dtype are static, so they are checked under ``jax.jit`` too; the range only
    on concrete values (NumPy, or JAX arrays outside a trace). Returns ``x`` unchanged
    (a list becomes a NumPy array).
    """
    if not hasattr(x, "shape"):
        x = np.asarray(x)
    check_ndim(x, name, ndim)
    if np.dtype(x.dtype).kind not in "iu":
        raise errors.DTypeError(
            f"{name} has dtype {x.dtype}; token ids must be integers (from a tokenizer's "
            "encode)."
        )
    if is_traced(x) or np.size(x) == 0:
        return x
    arr = np.asarray(x)
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or (vocab_size is not None and hi >= vocab_size):
        raise errors.ValidationError(
            f"{name} holds ids in [{lo}, {hi}], outside the vocabulary [0, {vocab_size}); "
            "encode with the model's tokenizer, or build the model with a vocab_size at "
            "least the tokenizer's."
        )
    return x
