"""Statistics: metrics, resampling, estimation and error analysis."""

from jaxfound.stats._bootstrap import (
    BootstrapResult,
    bootstrap,
    bootstrap_distribution,
    jackknife,
)
from jaxfound.stats._classification import (
    accuracy,
    confusion_matrix,
    f1_score,
    precision,
    precision_recall_f1,
    precision_recall_f1_from_confusion,
    recall,
)
from jaxfound.stats._comparison import (
    McNemarResult,
    PairedComparison,
    mcnemar,
    paired_bootstrap,
)
from jaxfound.stats._cross_validation import CVResult, cross_validate
from jaxfound.stats._diagnostics import (
    ClassReport,
    ResidualReport,
    durbin_watson,
    jarque_bera,
    per_class_report,
    residual_diagnostics,
    standardized_residuals,
)
from jaxfound.stats._grid_search import GridSearchResult, grid_search
from jaxfound.stats._language import bits_per_token, next_token_loss, perplexity
from jaxfound.stats._mle import MLEResult, aic, bic, fit_mle
from jaxfound.stats._permutation import PermutationResult, permutation_test, pvalue_from_null
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
    "accuracy",
    "aic",
    "bic",
    "bootstrap",
    "bootstrap_distribution",
    "BootstrapResult",
    "brier_score",
    "calibration_bins",
    "ClassReport",
    "confusion_matrix",
    "cross_validate",
    "CVResult",
    "durbin_watson",
    "expected_calibration_error",
    "f1_score",
    "fit_mle",
    "grid_search",
    "GridSearchResult",
    "jackknife",
    "jarque_bera",
    "l2_relative_error",
    "log_loss",
    "mae",
    "mcnemar",
    "McNemarResult",
    "MLEResult",
    "mse",
    "paired_bootstrap",
    "PairedComparison",
    "per_class_report",
    "permutation_test",
    "PermutationResult",
    "precision",
    "precision_recall_f1",
    "precision_recall_f1_from_confusion",
    "pvalue_from_null",
    "r2_score",
    "recall",
    "residual_diagnostics",
    "ResidualReport",
    "rmse",
    "roc_auc",
    "standardized_residuals",
    "streaming_confusion_matrix",
    "streaming_ece",
    "streaming_f1",
    "streaming_l2_relative_error",
    "streaming_mean",
    "streaming_mse",
    "streaming_r2",
    "streaming_rmse",
    "bits_per_token",
    "next_token_loss",
    "perplexity",
]
