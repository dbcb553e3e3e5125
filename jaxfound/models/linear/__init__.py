"""Linear models as estimators (see `jaxfound.base`): ``est = ols()``, ``ridge(alpha)``,
``logistic(C)``; ``params = est.fit(X, y, sample_weight=None, **hyperparams)``,
``est.predict(params, X)``.

Least squares (ordinary, weighted), ridge (one penalty or a whole path), classical inference
(standard errors, confidence intervals, R²) and L2-penalised logistic regression (binary and
multinomial). Every fit takes ``sample_weight`` (a 0 weight removes a row) and traced
hyper-parameters, so a grid of penalties × k-fold masks fits in one ``jax.vmap``.
"""

from jaxfound.models.linear._inference import LinearInference, inference
from jaxfound.models.linear._logistic import LogisticParams, logistic
from jaxfound.models.linear._ols import ols
from jaxfound.models.linear._params import LinearParams
from jaxfound.models.linear._ridge import ridge, ridge_path

__all__ = [
    "LinearInference",
    "LinearParams",
    "LogisticParams",
    "inference",
    "logistic",
    "ols",
    "ridge",
    "ridge_path",
]
