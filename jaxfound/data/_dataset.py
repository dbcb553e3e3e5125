"""A features/target pair with names, from plain arrays, a table, or scikit-learn's data sets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing  # noqa: F401  (np.typing in annotations)

from jaxfound import errors
from jaxfound._validate import as_numeric, check_ndim, check_nonempty, check_same_length
from jaxfound.typing import ArrayLike

__all__ = ["Dataset", "from_arrays", "from_table", "load_sklearn", "SKLEARN_DATASETS"]

#: scikit-learn data sets that ship inside the package (no download).
SKLEARN_DATASETS = ("iris", "digits", "wine", "breast_cancer", "diabetes", "linnerud")


class Dataset(NamedTuple):
    """Features ``x`` ``(n, d)``, optional target ``y`` ``(n,)`` or ``(n, t)`` and names.

    ``target_names`` are the class names when ``y`` holds class codes ``0..C-1``.
    A ``Dataset`` is a pytree: ``jax.tree_util`` and the split functions see ``x`` and ``y``.
    """

    x: np.ndarray
    y: np.ndarray | None = None
    feature_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] | None = None


def from_arrays(
    x: ArrayLike,
    y: ArrayLike | None = None,
    *,
    feature_names: Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
) -> Dataset:
    """Wrap plain arrays as a `Dataset`, checking shapes and dtypes (NaN allowed).

    Args:
      x: numeric features ``(n, d)`` (a 1-D ``x`` is one feature, ``(n, 1)``).
      y: optional target with ``n`` rows.
      feature_names: ``d`` names (default ``"x0"``, ``"x1"``, …).
      target_names: optional class names.

    Raises:
      DTypeError: non-numeric ``x``. ShapeError: ranks or lengths disagree.
      EmptyDataError: no rows.

    Examples:
      >>> import numpy as np
      >>> from_arrays(np.zeros((3, 2)), np.arange(3)).feature_names
      ('x0', 'x1')
    """
    x = np.asarray(as_numeric(x, "x"))
    if x.ndim == 1:
        x = x[:, None]
    check_ndim(x, "x", 2)
    check_nonempty(x, "x")
    if y is not None:
        y = np.asarray(y)
        check_same_length([x, y], ["x", "y"])
    names = tuple(feature_names) if feature_names is not None else tuple(
        f"x{i}" for i in range(x.shape[1])
    )
    if len(names) != x.shape[1]:
        raise errors.ShapeError(
            f"feature_names has {len(names)} names but x has {x.shape[1]} columns."
        )
    return Dataset(x, y, names, None if target_names is None else tuple(target_names))


def from_table(table: dict, target: str | None = None, *,
               features: Sequence[str] | None = None,
               dtype: np.typing.DTypeLike = np.float64) -> Dataset:
    """Turn a table (``{name: column}``, e.g. from `load_csv`) into a `Dataset`.

    Numeric feature columns are stacked into ``x``. A text ``target`` column is
    label-encoded (sorted class names in ``target_names``; missing ``""`` is refused).

    Args:
      table: equal-length 1-D columns.
      target: name of the target column, if any.
      features: feature columns (default: every column but ``target``).
      dtype: dtype of ``x``.

    Raises:
      DTypeError: a feature column is text (encode it first, e.g. with ``one_hot``).
      DataFormatError: an unknown column name. LabelError: a missing text target.
    """
    names = list(table)
    feats = [c for c in names if c != target] if features is None else list(features)
    unknown = [c for c in [*feats, *([target] if target else [])] if c not in table]
    if unknown:
        raise errors.DataFormatError(f"columns {unknown} are not in the table; it has {names}.")
    text = [c for c in feats if np.asarray(table[c]).dtype.kind not in "biuf"]
    if text:
        raise errors.DTypeError(
            f"feature columns {text} are text; encode them first (jaxfound.data.one_hot or "
            "label_encoder) or leave them out with features=[...]."
        )
    check_same_length([table[c] for c in names], names)
    x = np.stack([np.asarray(table[c], dtype=dtype) for c in feats], axis=1)
    y = classes = None
    if target is not None:
        y = np.asarray(table[target])
        if y.dtype.kind not in "biuf":
            if (y == "").any():
                raise errors.LabelError(
                    f"target column {target!r} has {(y == '').sum()} missing values; drop "
                    "those rows first."
                )
            classes, y = np.unique(y, return_inverse=True)
            classes = tuple(classes.tolist())
            y = y.reshape(-1).astype(np.int32)
    return from_arrays(x, y, feature_names=feats, target_names=classes)


def load_sklearn(name: str) -> Dataset:
    """Load one of scikit-learn's embedded data sets (no download) as a `Dataset`.

    scikit-learn is imported only when this is called.

    Args:
      name: one of `SKLEARN_DATASETS` (``"iris"``, ``"digits"``, ``"wine"``,
        ``"breast_cancer"``, ``"diabetes"``, ``"linnerud"``).

    Raises:
      ValidationError: an unknown name. ImportError: scikit-learn is not installed.

    Examples:
      >>> d = load_sklearn("iris")
      >>> d.x.shape, d.target_names
      ((150, 4), ('setosa', 'versicolor', 'virginica'))
    """
    if name not in SKLEARN_DATASETS:
        raise errors.ValidationError(
            f"unknown scikit-learn data set {name!r}; choose one of {SKLEARN_DATASETS}."
        )
    try:
        from sklearn import datasets
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"load_sklearn({name!r}) needs scikit-learn: pip install 'jaxfound[examples]'"
        ) from e
    bunch = getattr(datasets, f"load_{name}")()
    classes = getattr(bunch, "target_names", None)
    if classes is not None and np.asarray(bunch.target).dtype.kind in "iu":
        classes = tuple(str(c) for c in classes)
    else:
        classes = None
    return from_arrays(
        bunch.data, bunch.target, feature_names=[str(f) for f in bunch.feature_names],
        target_names=classes,
    )
