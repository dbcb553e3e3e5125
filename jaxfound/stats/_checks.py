"""Boundary checks for the statistics functions.

Shape checks use only static shapes, so they also run while tracing. Value checks
(NaN, label ranges) run only on concrete arrays: inside ``jit`` they are skipped, as
the house style asks (validate at the boundary, never in the hot path).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors

__all__ = [
    "is_concrete",
    "as_array",
    "check_pair",
    "check_weights",
    "check_class_labels",
    "infer_n_classes",
]


def is_concrete(*xs) -> bool:
    """True when none of ``xs`` is a tracer (values can be inspected)."""
    return not any(isinstance(x, jax.core.Tracer) for x in xs)


def as_array(x, name: str, *, finite: bool = True) -> jax.Array:
    """Turn ``x`` into a jax array, checking dtype and (when concrete) finiteness."""
    if isinstance(x, jax.core.Tracer):
        return x
    if not isinstance(x, jax.Array):
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as e:
            raise errors.ShapeError(
                f"{name} could not be turned into an array ({e}); pass a rectangular array."
            ) from e
    if np.dtype(x.dtype).kind not in "biuf":
        raise errors.DTypeError(
            f"{name} has dtype {x.dtype}, which is not numeric; encode labels as integers "
            "(jaxfound.data.label_encoder) or cast with .astype(np.float32)."
        )
    if finite and np.dtype(x.dtype).kind == "f":
        bad = ~np.isfinite(np.asarray(x))
        if bad.any():
            where = tuple(np.argwhere(bad)[0].tolist())
            raise errors.NonFiniteError(
                f"{name} contains {int(bad.sum())} NaN/inf value(s) (first at index {where}); "
                "drop or impute them before computing statistics."
            )
    return jnp.asarray(x)


def check_pair(y_true, y_pred, *, allow_scores: bool = False):
    """Convert ``y_true``/``y_pred`` and check their shapes agree.

    With ``allow_scores`` ``y_pred`` may carry one extra trailing axis (class scores).
    """
    y_true = as_array(y_true, "y_true")
    y_pred = as_array(y_pred, "y_pred")
    if y_true.ndim == 0:
        raise errors.ShapeError("y_true is a scalar; pass one value per example, shape (n,).")
    ok = y_pred.shape == y_true.shape or (
        allow_scores and y_pred.ndim == y_true.ndim + 1 and y_pred.shape[:-1] == y_true.shape
    )
    if not ok:
        extra = " or (n, n_classes) scores" if allow_scores else ""
        raise errors.ShapeError(
            f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; y_pred must "
            f"have the same shape{extra} (one prediction per example)."
        )
    if y_true.shape[0] == 0:
        raise errors.EmptyDataError("y_true and y_pred are empty; pass at least one example.")
    return y_true, y_pred


def check_weights(sample_weight, n: int):
    """Return ``sample_weight`` as an array of shape ``(n,)`` (or ``None``)."""
    if sample_weight is None:
        return None
    w = as_array(sample_weight, "sample_weight")
    if w.shape != (n,):
        raise errors.ShapeError(
            f"sample_weight has shape {w.shape}, expected ({n},): one weight per example."
        )
    if is_concrete(w) and bool(np.any(np.asarray(w) < 0)):
        raise errors.ValidationError("sample_weight has negative entries; weights must be >= 0.")
    return w


def check_class_labels(y, name: str, n_classes: int | None) -> None:
    """Raise `LabelError` for non-integer labels or labels outside ``[0, n_classes)``."""
    if np.dtype(y.dtype).kind not in "iub":
        raise errors.DTypeError(
            f"{name} has dtype {y.dtype}; class labels must be integers in [0, n_classes) "
            "(encode them with jaxfound.data.label_encoder or cast with .astype(np.int32))."
        )
    if not is_concrete(y) or y.size == 0:
        return
    lo, hi = int(jnp.min(y)), int(jnp.max(y))
    if lo < 0 or (n_classes is not None and hi >= n_classes):
        rng = f"[0, {n_classes})" if n_classes is not None else "[0, n_classes)"
        raise errors.LabelError(
            f"{name} has labels in [{lo}, {hi}], outside {rng}; relabel them or pass the right "
            "n_classes."
        )


def infer_n_classes(n_classes: int | None, *labels) -> int:
    """``n_classes`` if given, else ``1 + max label`` (needs concrete labels)."""
    if n_classes is not None:
        if int(n_classes) < 1:
            raise errors.ValidationError(f"n_classes={n_classes}; it must be a positive integer.")
        return int(n_classes)
    if not is_concrete(*labels):
        raise errors.ValidationError(
            "n_classes is needed inside jit (it fixes the output shape); pass n_classes=K "
            "as a static argument."
        )
    return 1 + max(int(jnp.max(y)) for y in labels)
