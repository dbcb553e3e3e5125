"""SVM kernels against scikit-learn's pairwise kernels."""

import jax
import numpy as np
import pytest
from sklearn.metrics import pairwise

from jaxfound import errors
from jaxfound.models import svm


@pytest.fixture(scope="module")
def pts():
    rng = np.random.default_rng(0)
    return rng.normal(size=(7, 4)), rng.normal(size=(5, 4))


@pytest.mark.parametrize(
    "name, ref",
    [
        ("linear", lambda a, b: pairwise.linear_kernel(a, b)),
        ("rbf", lambda a, b: pairwise.rbf_kernel(a, b, gamma=0.3)),
        ("poly", lambda a, b: pairwise.polynomial_kernel(a, b, degree=3, gamma=0.3, coef0=0.5)),
        ("sigmoid", lambda a, b: pairwise.sigmoid_kernel(a, b, gamma=0.3, coef0=0.5)),
    ],
)
def test_kernel_matrix_matches_sklearn(pts, name, ref):
    a, b = pts
    with jax.enable_x64(True):
        K = svm.kernel_matrix(name, a, b, gamma=0.3, degree=3, coef0=0.5)
        assert K.shape == (7, 5)
        np.testing.assert_allclose(K, ref(a, b), rtol=1e-10, atol=1e-12)


def test_rbf_diagonal_is_one_and_symmetric(pts):
    a, _ = pts
    K = np.asarray(svm.rbf_kernel(a, a, 1.0))
    np.testing.assert_allclose(np.diag(K), 1.0, atol=1e-6)
    np.testing.assert_allclose(K, K.T, atol=1e-6)


def test_unknown_kernel_raises(pts):
    with pytest.raises(errors.ValidationError, match="kernel"):
        svm.kernel_matrix("laplace", *pts)
