"""Statistics: metrics, resampling, estimation and error analysis."""

from jaxfound.stats._classification import (
    accuracy,
    confusion_matrix,
    f1_score,
    precision,
    precision_recall_f1,
    precision_recall_f1_from_confusion,
    recall,
)
from jaxfound.stats._cross_validation import (
    CVResult,
    GridSearchResult,
    as_fold_masks,
    cross_validate,
    grid_search,
)
from jaxfound.stats._regression import l2_relative_error, mae, mse, r2_score, rmse

__all__ = [
    "CVResult",
    "GridSearchResult",
    "accuracy",
    "as_fold_masks",
    "confusion_matrix",
    "cross_validate",
    "f1_score",
    "grid_search",
    "l2_relative_error",
    "mae",
    "mse",
    "precision",
    "precision_recall_f1",
    "precision_recall_f1_from_confusion",
    "r2_score",
    "recall",
    "rmse",
]
