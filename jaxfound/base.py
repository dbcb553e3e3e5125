r"""The estimator protocol every classical model follows.

An **estimator** is a small `NamedTuple` of pure functions, in the spirit of optax's
`GradientTransformation(init, update)` and jaxfound's own `jaxfound.data.Transform`:

* `fit(X, y, *, sample_weight=None, **hyperparams) -> params` (plus a required `key=` for
  the estimators that draw random numbers, marked `needs_key`): a pure function of
  arrays. The hyper-parameters passed here are **traced** (penalties, `C`, `gamma`,
  a tree's `depth_limit` …), so `jax.vmap` over them, or over `sample_weight` fold masks,
  fits a whole grid in one compiled call. Weights are `>= 0`; a weight of 0 removes a row.
* `predict(params, X) -> (n,)` labels or values, row by row.
* optionally `predict_proba(params, X) -> (n, k)`, `decision_function(params, X)` and
  `score(params, X, y, *, sample_weight=None) -> scalar` (accuracy for classifiers, $R^2$
  for regressors when the family gives none).

The **constructor** of a family (`jaxfound.models.linear.ridge`, `...svm.svc`,
`...trees.cart_classifier`, …) captures the *static* settings, those that change
array shapes or the compiled program (kernel, criterion, `max_depth`, `fit_intercept`),
and the defaults of the traced hyper-parameters. Constructors are cached: the same
settings give the very same estimator (the same functions), so jitted callers such as
`jaxfound.stats.grid_search` compile once per setting, not once per call.

Iterative solvers report convergence one way: their `params` carry an `info` field, a
`FitInfo(converged, n_iter)` of traced scalars. `converged` is true only when the
solver's own stopping test passed (a failed line search is not convergence); a fit made of
several sub-problems (one-vs-one SVMs, one-vs-rest) reports whether all of them converged and
the most iterations one took.

`jaxfound.stats.cross_validate` and `jaxfound.stats.grid_search` take an estimator and use
nothing but these fields (the guide `docs/guide/estimators.md` shows how to write one).

Examples:
  >>> import jax.numpy as jnp
  >>> from jaxfound.models import linear
  >>> est = linear.ridge(alpha=1.0)
  >>> X = jnp.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X[:, 0] + 1
  >>> params = est.fit(X, y, alpha=1e-6)
  >>> est.predict(params, jnp.array([[4.0]])).round(3).tolist()
  [9.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from jaxfound._aot import register_serialization
from jaxfound.typing import Array

__all__ = ["Estimator", "FitInfo"]


@register_serialization
class FitInfo(NamedTuple):
    """How an iterative fit ended.

    Attributes:
      converged: `True` when the solver's stopping test passed (bool scalar, may be traced).
      n_iter: iterations (or SMO steps, Newton steps …) taken (int scalar).
    """

    converged: Array
    n_iter: Array


class Estimator(NamedTuple):
    """A model family as pure functions; see the module docstring for the protocol.

    Attributes:
      fit: `fit(X, y, *, sample_weight=None, **hyperparams) -> params`.
      predict: `predict(params, X) -> predictions`.
      predict_proba: `predict_proba(params, X) -> (n, k)` class probabilities, or `None`.
      decision_function: `decision_function(params, X) -> scores`, or `None`.
      score: `score(params, X, y, *, sample_weight=None) -> scalar`, or `None` (callers
        then use accuracy for classifiers and $R^2$ for regressors).
      is_classifier: whether `predict` returns class labels.
      needs_key: whether `fit` draws random numbers (forests, random feature subsets); it
        then takes a required keyword `key=` (a `jax.random.key`), and
        `jaxfound.stats.cross_validate` / `grid_search` need a `key=` to split per fold.
      name: a short label for messages and reports.
    """

    fit: Callable[..., Any]
    predict: Callable[[Any, Array], Array]
    predict_proba: Callable[[Any, Array], Array] | None = None
    decision_function: Callable[[Any, Array], Array] | None = None
    score: Callable[..., Array] | None = None
    is_classifier: bool = False
    needs_key: bool = False
    name: str = "estimator"


