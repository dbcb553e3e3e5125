"""Kernel support vector machines as pure functions: ``fit(X, y, ...) -> SVCParams``,
``decision_function(params, X)``, ``predict(params, X)``.

The dual is solved by SMO (libsvm's working-set selection) compiled with ``lax.while_loop``;
the binary problems of a multi-class fit, or of any ``jax.vmap`` of ``fit``, are solved as
one compacted batch (``smo_batch``: converged problems stop costing work); ``fit_linear``
solves the linear SVM in the primal. ``C``, ``gamma``, ``coef0`` and ``sample_weight`` are
traced, so a C × gamma × k-fold grid fits in a single vmapped call.
"""

from jaxfound.models.svm._kernels import (
    KERNELS,
    kernel_matrix,
    linear_kernel,
    polynomial_kernel,
    rbf_kernel,
    sigmoid_kernel,
)
from jaxfound.models.svm._linear_svc import (
    LinearSVCParams,
    fit_linear,
    linear_decision_function,
    linear_predict,
)
from jaxfound.models.svm._smo import SMOResult, smo, smo_batch
from jaxfound.models.svm._svc import SVCParams, decision_function, fit, predict

__all__ = [
    "KERNELS",
    "LinearSVCParams",
    "SMOResult",
    "SVCParams",
    "decision_function",
    "fit",
    "fit_linear",
    "kernel_matrix",
    "linear_decision_function",
    "linear_kernel",
    "linear_predict",
    "polynomial_kernel",
    "predict",
    "rbf_kernel",
    "sigmoid_kernel",
    "smo",
    "smo_batch",
]
