"""Decision trees (CART), random forests and soft (differentiable) trees as pure functions.

Trees live in a fixed-size array layout (:class:`Tree`), so fitting is one compiled
program that ``vmap``\\ s over sample weights and keys, and prediction is a few gathers.
"""

from jaxfound.models.trees._cart import fit_classifier, fit_regressor, resolve_max_features
from jaxfound.models.trees._tree import Tree, apply, predict, predict_proba, predict_value

__all__ = [
    "Tree",
    "apply",
    "fit_classifier",
    "fit_regressor",
    "predict",
    "predict_proba",
    "predict_value",
    "resolve_max_features",
]
