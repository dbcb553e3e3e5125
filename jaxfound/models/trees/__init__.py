"""Decision trees (CART), random forests and soft (differentiable) trees as pure functions.

Trees live in a fixed-size array layout (`Tree`), so fitting is one compiled
program that ``vmap``\\ s over sample weights and keys, and prediction is a few gathers.
A forest is a `Tree` whose arrays carry a leading axis, one entry per tree.
"""

from jaxfound.models.trees._cart import fit_classifier, fit_regressor, resolve_max_features
from jaxfound.models.trees._forest import (
    bootstrap_weights,
    feature_importances,
    fit_forest_classifier,
    fit_forest_regressor,
)
from jaxfound.models.trees._soft import SoftTree, leaf_probabilities
from jaxfound.models.trees._tree import Tree, apply, predict, predict_proba, predict_value

__all__ = [
    "SoftTree",
    "Tree",
    "apply",
    "bootstrap_weights",
    "feature_importances",
    "fit_classifier",
    "fit_forest_classifier",
    "fit_forest_regressor",
    "fit_regressor",
    "leaf_probabilities",
    "predict",
    "predict_proba",
    "predict_value",
    "resolve_max_features",
]
