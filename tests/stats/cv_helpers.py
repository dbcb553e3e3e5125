"""Shared pieces of the cross-validation and grid-search tests: folds, a ridge model, data."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound.base import Estimator


def kfold_masks(n, k):
    """Plain-numpy contiguous k-fold test masks (the library's splitter lives in jf.data)."""
    test = np.zeros((k, n), np.float32)
    for j, idx in enumerate(np.array_split(np.arange(n), k)):
        test[j, idx] = 1
    return 1 - test, test


def ridge_fit(X, y, *, sample_weight=None, alpha=1.0):
    """Ridge without intercept, by the normal equations (a hand-written estimator's fit)."""
    w = jnp.ones(X.shape[0]) if sample_weight is None else sample_weight
    Xw = X * w[:, None]
    return jnp.linalg.solve(Xw.T @ X + alpha * jnp.eye(X.shape[1]), Xw.T @ y)


def ridge_predict(beta, X):
    return X @ beta


#: one object for all tests, so that grid_search's executable cache sees the same estimator
RIDGE = Estimator(fit=ridge_fit, predict=ridge_predict, name="test ridge")


def _noisy_mean_fit(X, y, *, sample_weight=None, key, shift=0.0):
    """Predicts uniform(key) + shift for every row: the score reveals the key each fold got."""
    return jax.random.uniform(key) + shift


#: a key-drawing estimator; with the metric below its fold score is uniform(fold key) + shift
KEYED = Estimator(fit=_noisy_mean_fit, predict=lambda p, X: jnp.full(X.shape[0], p),
                  needs_key=True, name="keyed")


def mean_prediction(y_true, y_pred, sample_weight=None):
    """The weighted mean of the predictions (a 'metric' that shows what was predicted)."""
    w = jnp.ones_like(y_pred) if sample_weight is None else sample_weight
    return jnp.sum(w * y_pred) / jnp.sum(w)


def make_regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.normal(size=60)
    return X, y
