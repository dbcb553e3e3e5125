"""Linear models as pure functions: ``fit_*(X, y, ...) -> params`` and ``predict(params, X)``.

Least squares (ordinary, weighted), ridge (one penalty or a whole path), classical inference
(standard errors, confidence intervals, R²) and L2-penalised logistic regression (binary and
multinomial). Every fit takes ``sample_weight`` (a 0 weight removes a row) and traced
hyper-parameters, so a grid of penalties × k-fold masks fits in one ``jax.vmap``.
"""

from jaxfound.models.linear._inference import LinearInference, inference
from jaxfound.models.linear._logistic import (
    LogisticParams,
    fit_logistic,
    logistic_logits,
    logistic_predict,
    logistic_proba,
)
from jaxfound.models.linear._ols import fit_ols, fit_wls
from jaxfound.models.linear._params import LinearParams, predict
from jaxfound.models.linear._ridge import fit_ridge, ridge_path

__all__ = [
    "LinearInference",
    "LinearParams",
    "LogisticParams",
    "fit_logistic",
    "fit_ols",
    "fit_ridge",
    "fit_wls",
    "inference",
    "logistic_logits",
    "logistic_predict",
    "logistic_proba",
    "predict",
    "ridge_path",
]
