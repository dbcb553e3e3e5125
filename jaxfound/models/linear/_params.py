"""The parameter pytree of a linear model, its prediction, and the shared centring helpers."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import _validate
from jaxfound.typing import ArrayLike


class LinearParams(NamedTuple):
    r"""Coefficients of $\hat y = X w + b$.

    Attributes:
      coef: ``(d,)`` or ``(d, k)`` for ``k`` outputs.
      intercept: ``()`` or ``(k,)``.
    """

    coef: jax.Array
    intercept: jax.Array


def predict(params: LinearParams, X: ArrayLike) -> jax.Array:
    r"""Linear prediction $\hat y = X w + b$ (the ``predict`` of `ols` and `ridge`).

    Args:
      params: a fitted `LinearParams`.
      X: ``(m, d)`` features, the same columns as at fit time.

    Returns:
      ``(m,)`` (or ``(m, k)``) predictions.
    """
    X = _validate.n_features_match(params.coef.shape[0], X)
    return X @ params.coef + params.intercept


def center(X, y, w, fit_intercept: bool):
    """Weighted means of ``X`` and ``y`` and the centred arrays (zeros means without intercept)."""
    if fit_intercept:
        sw = jnp.sum(w)
        x_mean = (w @ X) / sw
        y_mean = jnp.tensordot(w, y, axes=1) / sw
    else:
        x_mean = jnp.zeros(X.shape[1], X.dtype)
        y_mean = jnp.zeros(y.shape[1:], X.dtype)
    return x_mean, y_mean, X - x_mean, y - y_mean


def intercept_from(x_mean, y_mean, coef):
    r"""$b = \bar y - \bar x^\top w$."""
    return y_mean - x_mean @ coef
