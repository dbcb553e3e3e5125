r"""CART decision trees as estimators: `cart_classifier` and `cart_regressor`.

A constructor captures the static settings of the fit (criterion, `max_depth`, which fixes
the `Tree` layout, `min_samples_*`, `max_features`, `n_classes`) and the defaults of its
traced hyper-parameters, and returns a `jaxfound.base.Estimator`:

* `fit(X, y, *, sample_weight=None, key=None, depth_limit=..., min_impurity_decrease=...)`
  returns a `Tree`. `depth_limit` and `min_impurity_decrease` are traced, so `jax.vmap`
  over them, over 0/1 fold masks in `sample_weight`, or over keys, fits a whole grid in one
  compiled call (the kernel is in `_grow.py`).
* `predict(tree, X)`: class labels or target values; `predict_proba(tree, X)` for
  classifiers.

**Keys.** Randomness is explicit. A CART with `max_features=None` (or `1.0`: every
feature) is deterministic: `needs_key=False`, and a `key=` passed to `fit` is ignored
(accepted so that generic callers may pass one). Any other `max_features` draws a random
feature subset at every node, so `needs_key=True` and `fit` requires `key=`, even when
the value resolves to every feature of the data (the constructor does not know
`n_features`).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from jaxfound import _validate as V
from jaxfound import errors
from jaxfound.base import Estimator
from jaxfound.models.trees._binning import MAX_BINS, check_max_bins, fit_bins
from jaxfound.models.trees._grow import grow_classifier, grow_regressor
from jaxfound.models.trees._hist import fit_hist
from jaxfound.models.trees._tree import (
    CLASSIFICATION,
    REGRESSION,
    Tree,
    predict_label,
    predict_proba,
    predict_target,
)
from jaxfound.typing import Array, ArrayLike

__all__ = [
    "AUTO_HIST_MIN_CELLS", "MAX_DEPTH", "cart_classifier", "cart_regressor",
    "resolve_max_features",
]  # fmt: skip

#: Deepest layout: a tree of depth $D$ stores $2^D$ leaves, so the arrays double per level.
MAX_DEPTH = 20

_CRITERIA = {CLASSIFICATION: ("gini", "entropy"), REGRESSION: ("squared_error",)}
_MAX_FEATURES_WORDS = ("sqrt", "log2")


class Settings(NamedTuple):
    """The static (hashable) settings of a tree fit, checked; shared by CART and forests."""

    task: str
    criterion: str
    max_depth: int
    n_classes: int | None
    min_samples_leaf: int
    min_samples_split: int
    max_features: int | float | str | None  # None: every feature, nothing drawn
    splitter: str = "auto"  # "hist": binned histograms (NaN allowed); "exact": sorted scan
    max_bins: int = MAX_BINS


_SPLITTERS = ("auto", "hist", "exact")

#: ``splitter="auto"`` takes ``"hist"`` from this many feature values (rows x features) on,
#: or whenever a value is missing, and ``"exact"`` below. Measured on this 2-core CPU
#: (compiled fit, depth 8): exact is faster on wine (133 x 13) and ties on breast cancer
#: (426 x 30); hist is faster on digits (1347 x 64: CART 0.10 s against 0.14 s, 100-tree
#: forest 1.2 s against 13 s) and on a 75,000 x 50 set (CART 0.67 s against 6.4 s).
AUTO_HIST_MIN_CELLS = 1 << 15


def settings(
    task: str, *, criterion: str, max_depth, n_classes, min_samples_leaf, min_samples_split,
    max_features, splitter: str = "auto", max_bins=MAX_BINS,
) -> Settings:  # fmt: skip
    """Check the static settings of a tree (or forest) constructor; return them normalised."""
    if criterion not in _CRITERIA[task]:
        raise errors.ValidationError(
            f"criterion={criterion!r} is not a {task} criterion; use "
            f"{' or '.join(map(repr, _CRITERIA[task]))}."
        )
    max_depth = V.whole_number(
        max_depth, "max_depth", 1, MAX_DEPTH,
        hint=" (the tree is stored as a complete binary tree of 2**max_depth leaves)",
    )  # fmt: skip
    if n_classes is not None:
        n_classes = V.whole_number(n_classes, "n_classes", 2, hint=" (or None: max(y) + 1)")
    return Settings(
        task, criterion, max_depth, n_classes,
        V.whole_number(min_samples_leaf, "min_samples_leaf", 1),
        V.whole_number(min_samples_split, "min_samples_split", 2),
        _max_features(max_features), _splitter(splitter), check_max_bins(max_bins),
    )  # fmt: skip


def _splitter(splitter):
    if splitter not in _SPLITTERS:
        raise errors.ValidationError(
            f"splitter={splitter!r} is not understood; use 'auto' (the default: 'hist' from "
            f"{AUTO_HIST_MIN_CELLS} feature values on or with missing values, else 'exact'), "
            "'hist' (binned features, NaN allowed) or 'exact' (every distinct threshold)."
        )
    return splitter


def _max_features(max_features):
    """The form of ``max_features`` checked without the data; ``1.0`` becomes ``None``."""
    if max_features is None or isinstance(max_features, str):
        if max_features is not None and max_features not in _MAX_FEATURES_WORDS:
            raise errors.ValidationError(
                f"max_features={max_features!r} is not understood; use None, an int, a float "
                "in (0, 1], 'sqrt' or 'log2'."
            )
        return max_features
    if isinstance(max_features, (bool, np.bool_)):
        raise errors.ValidationError(
            "max_features must be None, an int, a float in (0, 1], 'sqrt' or 'log2'."
        )
    if isinstance(max_features, (int, np.integer)):
        return V.whole_number(max_features, "max_features", 1, hint=" (features per node)")
    if isinstance(max_features, (float, np.floating)) and 0.0 < max_features <= 1.0:
        return None if max_features == 1.0 else float(max_features)
    raise errors.ValidationError(
        f"max_features={max_features!r} is out of range; use an int in [1, n_features] or a "
        "float in (0, 1]."
    )


def resolve_max_features(max_features: int | float | str | None, n_features: int) -> int:
    """Number of features drawn per node: ``None`` (all), int, float fraction, "sqrt", "log2".

    Examples:
      >>> resolve_max_features("sqrt", 30), resolve_max_features(0.5, 30)
      (5, 15)
    """
    max_features = _max_features(max_features)
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        k = int(math.sqrt(n_features))
    elif max_features == "log2":
        k = int(math.log2(n_features))
    elif isinstance(max_features, float):
        k = int(max_features * n_features)
    else:
        k = max_features
    k = max(1, k)
    if k > n_features:
        raise errors.ValidationError(
            f"max_features={k} exceeds the {n_features} features of X; lower it."
        )
    return k


def hyper_defaults(depth_limit, min_impurity_decrease, max_depth: int):
    """Check the constructor's defaults of the traced hyper-parameters (hashable results)."""
    if depth_limit is not None:
        depth_limit = _check_depth_limit(depth_limit, max_depth)
    return depth_limit, V.nonnegative_scalar(min_impurity_decrease, "min_impurity_decrease")


def _check_depth_limit(depth_limit, max_depth: int):
    return V.whole_number(
        depth_limit, "depth_limit", 1, max_depth,
        hint=f" (max_depth={max_depth}); raise max_depth (the layout) to search deeper trees",
    )  # fmt: skip


def prepare(s: Settings, X, y, sample_weight):
    """Boundary checks of a fit, shared by trees and forests (`jaxfound._validate`).

    Returns ``(X, y, w, cfg)``: device arrays and the keyword arguments of the compiled
    fit (`grow_classifier` / `grow_regressor`).
    """
    X = V.features(X, allow_nan=s.splitter != "exact")
    n = X.shape[0]
    w = V.sample_weights(sample_weight, n, X.dtype)
    if s.task == CLASSIFICATION:
        y, n_classes = V.class_labels(y, n, s.n_classes)
        y = V.device_array(y, jnp.int32)
        cfg = dict(n_classes=n_classes, criterion=s.criterion)
    else:
        y = V.targets(y, n)
        V.check_ndim(y, "y", 1)
        y = y.astype(X.dtype)
        cfg = {}
    cfg.update(
        depth=s.max_depth, min_samples_leaf=s.min_samples_leaf,
        min_samples_split=s.min_samples_split,
        max_features=resolve_max_features(s.max_features, X.shape[1]),
    )  # fmt: skip
    return X, y, w, cfg


def has_missing(s: Settings, X) -> bool:
    """Whether checked ``X`` may hold NaN, a static flag computed once per fit: ``False``
    for the exact splitter (its ``X`` was checked finite), ``True`` for traced ``X``."""
    if s.splitter == "exact":
        return False
    if V.is_traced(X):
        return True
    return bool(np.isnan(np.asarray(X)).any() if V.on_host(X) else jnp.isnan(X).any())


def use_hist(s: Settings, X, missing: bool, min_cells: int = AUTO_HIST_MIN_CELLS) -> bool:
    """Whether a fit on checked ``X`` takes the histogram path (``splitter="auto"``: from
    ``min_cells`` values on, or when any is missing; traced ``X``: by size only)."""
    if s.splitter != "auto":
        return s.splitter == "hist"
    big = X.shape[0] * X.shape[1] >= min_cells
    return big or (missing and not V.is_traced(X))


def whole_weights(sample_weight) -> bool:
    """Whether a fit's sample weights are known whole numbers: none given (all ones), or
    concrete and integral (0/1 fold masks, counts); ``False`` for traced weights."""
    if sample_weight is None:
        return True
    if V.is_traced(sample_weight):
        return False
    w = np.asarray(sample_weight)
    return bool(np.all(w == np.round(w)))


def hist_cfg(s: Settings, cfg: dict, missing: bool, whole: bool = False) -> dict:
    """The keyword arguments of `fit_hist` from those of the exact fit (and `has_missing`:
    a static flag that halves the split search when no value is missing). With whole-number
    weights (`whole_weights`), a classifier at ``min_samples_leaf=1``,
    ``min_samples_split=2`` histograms its class weights alone, without the sample-count
    column (``counted=False`` in `grow_hist`): one scalar scattered per sample instead of two,
    identical trees."""
    counted = not (whole and s.task == CLASSIFICATION and s.min_samples_leaf == 1
                   and s.min_samples_split == 2)  # fmt: skip
    out = dict(cfg, task=s.task, missing=missing)
    if s.task == CLASSIFICATION:
        out["counted"] = counted
    if s.max_features is None:
        out["max_features"] = None
    return out


def traced_hypers(depth_limit, min_impurity_decrease, max_depth: int, dtype):
    """The traced hyper-parameters of a fit as arrays (checked when concrete).

    ``depth_limit=None`` means no limit inside the compiled fit.
    """
    if depth_limit is not None:
        depth_limit = jnp.asarray(_check_depth_limit(depth_limit, max_depth)).astype(jnp.int32)
    mid = V.nonnegative_scalar(min_impurity_decrease, "min_impurity_decrease")
    return depth_limit, V.device_array(mid, dtype)


_FIT_DOC = """Fit a {what} on ``X`` and ``y``; returns a `Tree`.

    Args:
      X: ``(n, n_features)`` finite features.
      y: {y}
      sample_weight: ``(n,)`` non-negative weights; weight 0 drops a row (0/1 fold masks
        give cross-validation, bootstrap counts a forest). Traceable.
      key: {key}
      depth_limit: whole number in ``[1, max_depth]``: nodes at that level or deeper are
        not split, so the tree predicts as one fitted with ``max_depth=depth_limit`` (kept
        in the ``2**max_depth`` layout); ``None``: no limit. Traceable. Default {dl!r}.
      min_impurity_decrease: split only if the weighted impurity decrease divided by the
        total weight reaches this (``>= 0``). Traceable. Default {mid!r}.

    Returns:
      The fitted `Tree` (the estimator's ``params``).
    """


def _estimator(s: Settings, name: str, depth_limit, min_impurity_decrease) -> Estimator:
    random = s.max_features is not None
    classifier = s.task == CLASSIFICATION
    grow = grow_classifier if classifier else grow_regressor
    dl0, mid0 = depth_limit, min_impurity_decrease

    def fit(
        X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
        key: Array | None = None, depth_limit: ArrayLike | None = dl0,
        min_impurity_decrease: ArrayLike = mid0,
    ) -> Tree:  # fmt: skip
        if random:
            key = V.required_key(
                key, f"{name}.fit", f"max_features={s.max_features!r} draws a random feature "
                "subset at every node (max_features=None uses all features, no key)",
            )  # fmt: skip
        X, y, w, cfg = prepare(s, X, y, sample_weight)
        dl, mid = traced_hypers(depth_limit, min_impurity_decrease, s.max_depth, X.dtype)
        missing = has_missing(s, X)
        if use_hist(s, X, missing):
            edges, codes = fit_bins(X, s.max_bins)
            f, t, m, value, imp = fit_hist(
                codes, edges, y, w, key if random else None, mid, dl,
                **hist_cfg(s, cfg, missing, whole_weights(sample_weight)),
            )  # fmt: skip
            return Tree(f, t, value, imp, m, task=s.task)
        feature, threshold, value, imp = grow(X, y, w, key if random else None, mid, dl, **cfg)
        return Tree(feature, threshold, value, imp, task=s.task)

    what = f"CART {'classification' if classifier else 'regression'} tree"
    key_doc = ("PRNG key for the feature draws, required (`jax.random.key`)." if random
               else "ignored: this tree uses every feature and draws nothing.")  # fmt: skip
    return as_estimator(fit, s, name, what, key_doc, random, dl0, mid0)


def as_estimator(fit, s: Settings, name: str, what: str, key_doc: str, needs_key: bool,
                 dl0, mid0) -> Estimator:  # fmt: skip
    """The `Estimator` of a tree or forest ``fit``: its docstring, name and predictors."""
    classifier = s.task == CLASSIFICATION
    fit.__doc__ = _FIT_DOC.format(
        what=what,
        y="``(n,)`` integer labels in ``[0, n_classes)``." if classifier
        else "``(n,)`` finite float target.",
        key=key_doc, dl=dl0, mid=mid0,
    )  # fmt: skip
    fit.__qualname__ = fit.__name__ = f"{name}.fit"
    return Estimator(
        fit=fit,
        predict=predict_label if classifier else predict_target,
        predict_proba=predict_proba if classifier else None,
        is_classifier=classifier,
        needs_key=needs_key,
        name=name,
    )


@functools.cache
def _cart(s: Settings, depth_limit, min_impurity_decrease) -> Estimator:
    name = "cart_classifier" if s.task == CLASSIFICATION else "cart_regressor"
    return _estimator(s, name, depth_limit, min_impurity_decrease)


def cart_classifier(
    *,
    max_depth: int = 5,
    criterion: str = "gini",
    n_classes: int | None = None,
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    max_features: int | float | str | None = None,
    depth_limit: int | None = None,
    min_impurity_decrease: float = 0.0,
    splitter: str = "auto",
    max_bins: int = MAX_BINS,
) -> Estimator:
    r"""A CART classification tree of depth ``max_depth``, as an `Estimator`.

    Each node's split maximises the weighted decrease of the Gini index
    $G = 1 - \sum_c p_c^2$ or the entropy $H = -\sum_c p_c\log_2 p_c$,
    with $p_c$ the weighted class fractions in the node. A node stays a
    leaf when it is pure, has fewer than ``min_samples_split`` samples, or no
    threshold leaves ``min_samples_leaf`` samples on each side. Thresholds are
    midpoints between consecutive distinct feature values (as in scikit-learn).

    ``fit(X, y, *, sample_weight=None, key=None, depth_limit=..., min_impurity_decrease=...)``
    returns a `Tree` and is ``vmap``-able over ``sample_weight``, ``key`` and the two traced
    hyper-parameters (pass ``n_classes`` here when ``y`` is traced). ``predict`` gives labels,
    ``predict_proba`` the leaf's class fractions. Constructors are cached: the same
    settings give the same estimator.

    Args:
      max_depth: depth $D$ of the complete tree layout (``2^D`` leaves), 1 to 20 (static).
      criterion: ``"gini"`` or ``"entropy"``.
      n_classes: number of classes; ``max(y) + 1`` by default.
      min_samples_leaf: fewest samples (with positive weight) in a leaf.
      min_samples_split: fewest samples a node needs to be split.
      max_features: features drawn at random per node (None = all, int, float fraction,
        ``"sqrt"``, ``"log2"``). Anything but None (or 1.0) makes ``needs_key=True``: ``fit``
        then requires ``key=``.
      depth_limit: default of ``fit``'s traced ``depth_limit`` (None: the full depth).
      min_impurity_decrease: default of ``fit``'s traced ``min_impurity_decrease``.
      splitter: ``"auto"`` (default): ``"hist"`` from `AUTO_HIST_MIN_CELLS` (32,768)
        feature values (rows x features) on or when a value is missing, else ``"exact"``;
        ``"exact"``: every midpoint between distinct values (finite features only);
        ``"hist"``: features binned once into at most ``max_bins`` quantile bins, splits
        found on per-node histograms (see `grow_hist`), NaN allowed and sent to the better
        side.
      max_bins: bins per feature for ``"hist"``, 2 to 256, the missing-value bin included.

    Returns:
      An `Estimator` (``is_classifier=True``).

    Raises:
      ValidationError: a bad setting (here), or at fit time: a missing ``key=`` when
      ``needs_key``, an all-zero or negative ``sample_weight``. DTypeError: string or float
      labels. LabelError: fewer samples than classes, a single class, labels out of range.
      NonFiniteError: NaN/inf in ``X``.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.array([[0.0, 5.0], [1.0, 4.0], [2.0, 3.0], [3.0, 2.0]])
      >>> est = trees.cart_classifier(max_depth=2)
      >>> t = est.fit(X, np.array([0, 0, 1, 1]))
      >>> est.predict(t, X).tolist(), est.needs_key
      ([0, 0, 1, 1], False)
    """
    s = settings(
        CLASSIFICATION, criterion=criterion, max_depth=max_depth, n_classes=n_classes,
        min_samples_leaf=min_samples_leaf, min_samples_split=min_samples_split,
        max_features=max_features, splitter=splitter, max_bins=max_bins,
    )  # fmt: skip
    return _cart(s, *hyper_defaults(depth_limit, min_impurity_decrease, s.max_depth))


def cart_regressor(
    *,
    max_depth: int = 5,
    criterion: str = "squared_error",
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    max_features: int | float | str | None = None,
    depth_limit: int | None = None,
    min_impurity_decrease: float = 0.0,
    splitter: str = "auto",
    max_bins: int = MAX_BINS,
) -> Estimator:
    r"""A CART regression tree (squared error) of depth ``max_depth``, as an `Estimator`.

    A split maximises the decrease of the weighted sum of squared errors,
    which reduces to

    $$
    \Delta = \frac{S_L^2}{W_L} + \frac{S_R^2}{W_R} - \frac{S^2}{W},
    \qquad S = \sum_i w_i y_i,\; W = \sum_i w_i,
    $$

    and a leaf predicts its weighted mean $S/W$. Arguments are those of
    `cart_classifier` (without ``n_classes``; ``criterion`` is ``"squared_error"``);
    ``fit`` takes a finite ``(n,)`` float target and ``predict`` gives the leaf means.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.arange(8.0)[:, None]
      >>> est = trees.cart_regressor(max_depth=1)
      >>> t = est.fit(X, (X[:, 0] > 3).astype(float))
      >>> est.predict(t, np.array([[1.0], [6.0]])).tolist()
      [0.0, 1.0]
    """
    s = settings(
        REGRESSION, criterion=criterion, max_depth=max_depth, n_classes=None,
        min_samples_leaf=min_samples_leaf, min_samples_split=min_samples_split,
        max_features=max_features, splitter=splitter, max_bins=max_bins,
    )  # fmt: skip
    return _cart(s, *hyper_defaults(depth_limit, min_impurity_decrease, s.max_depth))
