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
from jaxfound.stats._probabilistic import (
    brier_score,
    calibration_bins,
    expected_calibration_error,
    log_loss,
    roc_auc,
)
from jaxfound.stats._regression import l2_relative_error, mae, mse, r2_score, rmse
from jaxfound.stats._streaming import (
    Accumulator,
    streaming_confusion_matrix,
    streaming_ece,
    streaming_f1,
    streaming_l2_relative_error,
    streaming_mean,
    streaming_mse,
    streaming_r2,
    streaming_rmse,
)

__all__ = [
    "Accumulator",
    "brier_score",
    "calibration_bins",
    "expected_calibration_error",
    "log_loss",
    "roc_auc",
    "streaming_confusion_matrix",
    "streaming_ece",
    "streaming_f1",
    "streaming_l2_relative_error",
    "streaming_mean",
    "streaming_mse",
    "streaming_r2",
    "streaming_rmse",
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
