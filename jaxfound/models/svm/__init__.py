"""Support vector machines as estimators (see `jaxfound.base`): ``est = svc(kernel, C, gamma)``
(kernel SVM, solved in the dual) and ``linear_svc(C)`` (linear SVM, solved in the primal);
``params = est.fit(X, y, sample_weight=None, C=..., gamma=...)``, ``est.predict(params, X)``,
``est.decision_function(params, X)``.

The dual is solved by SMO (libsvm's working-set selection) compiled with ``lax.while_loop``;
the binary problems of a multi-class fit, or of any ``jax.vmap`` of a fit, are solved as
one compacted batch (``smo_batch``: converged problems stop costing work). ``C``, ``gamma``,
``coef0`` and ``sample_weight`` are traced, so a C × gamma × k-fold grid fits in a single
vmapped call.
"""

from jaxfound.models.svm._kernels import (
    KERNELS,
    kernel_matrix,
    linear_kernel,
    polynomial_kernel,
    rbf_kernel,
    sigmoid_kernel,
)
from jaxfound.models.svm._linear_svc import LinearSVCParams, linear_svc
from jaxfound.models.svm._smo import SMOResult, smo, smo_batch
from jaxfound.models.svm._svc import SVCParams, svc

__all__ = [
    "KERNELS",
    "LinearSVCParams",
    "SMOResult",
    "SVCParams",
    "kernel_matrix",
    "linear_kernel",
    "linear_svc",
    "polynomial_kernel",
    "rbf_kernel",
    "sigmoid_kernel",
    "smo",
    "smo_batch",
    "svc",
]
