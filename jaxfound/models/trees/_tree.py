"""The fixed-size array layout of a decision tree, and prediction by gathers.

A tree of depth $D$ is stored as a *complete* binary tree in heap order:
internal node $i$ (``0 <= i < 2^D - 1``) has children $2i+1$ and
$2i+2$, and the $2^D$ leaves follow. A node that did not split keeps
``threshold = +inf`` so every sample goes left, down to a leaf that holds the
node's value. Fixed shapes make fitting, predicting and stacking (forests,
folds, grids) plain array programs that ``jit`` and ``vmap`` handle.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxfound import _validate as V
from jaxfound import errors
from jaxfound._aot import cached_jit, register_serialization
from jaxfound.typing import Array, ArrayLike

__all__ = ["Tree", "apply", "predict_value"]

CLASSIFICATION = "classification"
REGRESSION = "regression"


@register_serialization
@struct.dataclass
class Tree:
    """A fitted decision tree (or a stack of them, with a leading axis).

    Attributes:
      feature: ``(2^D - 1,)`` int32, the feature each internal node tests.
      threshold: ``(2^D - 1,)`` float, go left when ``x[feature] <= threshold``.
      value: ``(2^D, K)`` leaf values: class probabilities (``K = n_classes``)
        or the mean target (``K = 1``).
      importances: ``(n_features,)`` impurity-decrease feature importances,
        normalised to sum to one (all zero for a tree that never split).
      missing_right: ``(2^D - 1,)`` bool, where a missing value (NaN) goes right, or ``None``
        (trees of the exact splitter, which take no NaN).
      task: ``"classification"`` or ``"regression"`` (static, not a leaf).
    """

    feature: Array
    threshold: Array
    value: Array
    importances: Array
    missing_right: Array | None = None
    task: str = struct.field(pytree_node=False, default=CLASSIFICATION)

    @property
    def depth(self) -> int:
        """Depth $D$ of the complete tree."""
        return int(np.log2(self.value.shape[-2]))

    @property
    def n_features(self) -> int:
        return int(self.importances.shape[-1])


def _leaf_index(tree: Tree, X: Array) -> Array:
    n_internal = tree.feature.shape[-1]
    rows = jnp.arange(X.shape[0])
    node = jnp.zeros(X.shape[0], jnp.int32)
    for _ in range(tree.depth):  # static depth: D gathers
        x = X[rows, tree.feature[node]]
        right = x > tree.threshold[node]
        if tree.missing_right is not None:
            right |= jnp.isnan(x) & tree.missing_right[node]
        node = 2 * node + 1 + right.astype(jnp.int32)
    return node - n_internal


def apply(tree: Tree, X: ArrayLike) -> Array:
    """Index of the leaf each row of ``X`` lands in, ``(n,)`` in ``[0, 2^D)``.

    For a stack of trees (a forest) the result is ``(n_trees, n)``.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
      >>> t = trees.cart_classifier(max_depth=1).fit(X, y)
      >>> apply(t, X).tolist()
      [0, 0, 1, 1]
    """
    X = _check_X(tree, X)
    if tree.feature.ndim == 2:
        return jax.jit(jax.vmap(_leaf_index, (0, None)))(tree, X)
    return jax.jit(_leaf_index)(tree, X)


@cached_jit
def _value(tree: Tree, X: Array) -> Array:
    if tree.feature.ndim == 2:
        leaf = jax.vmap(_leaf_index, (0, None))(tree, X)
        vals = jax.vmap(lambda v, i: v[i])(tree.value, leaf)
        return jnp.mean(vals, axis=0)
    return tree.value[_leaf_index(tree, X)]


def predict_value(tree: Tree, X: ArrayLike) -> Array:
    r"""Leaf values for each row, ``(n, K)``; averaged over the trees of a stack.

    For a classification tree these are the class probabilities (for a forest
    $p(c \mid x) = \frac1T \sum_t p_t(c \mid x)$, as scikit-learn does), for a
    regression tree the leaf means, ``K = 1``.

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
      >>> t = trees.cart_regressor(max_depth=1).fit(X, np.array([1.0, 1.0, 5.0, 5.0]))
      >>> predict_value(t, np.array([[0.2], [2.7]])).tolist()
      [[1.0], [5.0]]
    """
    return _value(tree, _check_X(tree, X))


# --- what the estimators' predict / predict_proba are (see _cart.py, _forest.py) ---
@cached_jit
def _labels(tree: Tree, X: Array) -> Array:
    return jnp.argmax(_value(tree, X), axis=-1)


@cached_jit
def _targets(tree: Tree, X: Array) -> Array:
    return _value(tree, X)[..., 0]


def predict_label(tree: Tree, X: ArrayLike) -> Array:
    """Class labels ``(n,)``: the arg-max of the (tree-averaged) class probabilities."""
    _require_task(tree, CLASSIFICATION, "predict class labels")
    return _labels(tree, _check_X(tree, X))


def predict_target(tree: Tree, X: ArrayLike) -> Array:
    """Predicted targets ``(n,)``: the (tree-averaged) leaf means."""
    _require_task(tree, REGRESSION, "predict a continuous target")
    return _targets(tree, _check_X(tree, X))


def predict_proba(tree: Tree, X: ArrayLike) -> Array:
    """Class probabilities ``(n, n_classes)``: the weighted class fractions of the leaf."""
    _require_task(tree, CLASSIFICATION, "give class probabilities")
    return predict_value(tree, X)


def _check_X(tree: Tree, X: ArrayLike) -> Array:
    return V.n_features_match(tree.n_features, X, allow_nan=tree.missing_right is not None)


def _require_task(tree: Tree, task: str, what: str) -> None:
    if tree.task != task:
        other = "regressor" if task == CLASSIFICATION else "classifier"
        raise errors.ValidationError(
            f"params is a {tree.task} tree, which cannot {what}; predict with the "
            f"estimator that fitted it (cart_{other} or forest_{other})."
        )
