"""Shared pieces of the cross-validation and grid-search tests: folds, a ridge model, data."""

import jax.numpy as jnp
import numpy as np


def kfold_masks(n, k):
    """Plain-numpy contiguous k-fold test masks (the library's splitter lives in jf.data)."""
    test = np.zeros((k, n), np.float32)
    for j, idx in enumerate(np.array_split(np.arange(n), k)):
        test[j, idx] = 1
    return 1 - test, test


def ridge_fit(X, y, w, alpha=1.0):
    Xw = X * w[:, None]
    return jnp.linalg.solve(Xw.T @ X + alpha * jnp.eye(X.shape[1]), Xw.T @ y)


def ridge_predict(beta, X):
    return X @ beta


def make_regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.normal(size=60)
    return X, y
