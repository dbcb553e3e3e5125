r"""Random forests: a ``vmap`` of CART trees over bootstrap weights and feature draws.

Tree $t$ is fitted on the sample weights $w_i c_{ti}$, where
$c_t \sim \mathrm{Multinomial}(m, \tfrac1m \mathbf 1)$ counts how often each of
the $m$ rows with positive weight is drawn in a bootstrap sample of size
$m$ (what scikit-learn does), and at every node it only considers
``max_features`` features drawn at random. Because trees have a fixed array layout
the whole forest is one compiled program; the result is a `Tree` whose
arrays carry a leading ``n_estimators`` axis, and `predict_proba` averages
the trees' class probabilities,
$\hat p(c\mid x) = \frac1T\sum_t p_t(c\mid x)$.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound.models.trees import _cart
from jaxfound.models.trees._tree import CLASSIFICATION, REGRESSION, Tree
from jaxfound.typing import Array, ArrayLike, PRNGKey

__all__ = [
    "bootstrap_weights",
    "feature_importances",
    "fit_forest_classifier",
    "fit_forest_regressor",
]

#: rough budget (bytes) of live per-tree work arrays when trees are fitted in batches
_MEMORY_BUDGET = 1 << 29


def bootstrap_weights(key: PRNGKey, sample_weight: Array) -> Array:
    """Bootstrap sample as weights: multinomial draw counts times ``sample_weight``.

    The $m$ rows with positive weight are drawn $m$ times with
    replacement (uniformly); rows with weight 0 are never drawn, so a 0/1 fold
    mask gives the bootstrap of that fold's training rows. Shapes stay fixed,
    so it ``jit``\\ s and ``vmap``\\ s.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> w = bootstrap_weights(jax.random.key(0), jnp.array([1.0, 1.0, 0.0, 1.0]))
      >>> float(w.sum()), float(w[2])
      (3.0, 0.0)
    """
    n = sample_weight.shape[0]
    alive = (sample_weight > 0).astype(sample_weight.dtype)
    m = jnp.sum(alive)
    idx = jax.random.choice(key, n, (n,), p=alive / m)
    draws = (jnp.arange(n) < m).astype(sample_weight.dtype)  # only the first m draws count
    counts = jax.ops.segment_sum(draws, idx, n)
    return counts * sample_weight


def _batch_size(n_estimators: int, n: int, n_features: int, n_stats: int) -> int:
    if jax.default_backend() == "cpu":
        return 1  # XLA:CPU gains nothing from batching trees; one at a time keeps memory low
    per_tree = 4 * n * n_features * (n_stats + 4) * 4
    return max(1, min(n_estimators, _MEMORY_BUDGET // max(per_tree, 1)))


@functools.partial(
    jax.jit, static_argnames=("task", "cfg", "n_estimators", "bootstrap", "batch_size")
)
def _fit_forest(X, y, w, key, *, task, cfg, n_estimators, bootstrap, batch_size):
    fit_tree = _cart._fit_classifier if task == CLASSIFICATION else _cart._fit_regressor
    mid = jnp.zeros((), X.dtype)

    def one(k):
        k_boot, k_feat = jax.random.split(k)
        wt = bootstrap_weights(k_boot, w) if bootstrap else w
        return fit_tree(X, y, wt, k_feat, mid, **dict(cfg))

    keys = jax.random.split(key, n_estimators)
    return jax.lax.map(one, keys, batch_size=batch_size)


def _forest(X, y, w, key, task, cfg, n_estimators, bootstrap, batch_size) -> Tree:
    n_stats = cfg.get("n_classes", 2) + 1
    bs = batch_size or _batch_size(n_estimators, X.shape[0], X.shape[1], n_stats)
    feature, threshold, value, imp = _fit_forest(
        X, y, w, _cart._key(key), task=task, cfg=tuple(sorted(cfg.items())),
        n_estimators=n_estimators, bootstrap=bootstrap, batch_size=bs,
    )  # fmt: skip
    return Tree(feature, threshold, value, imp, task=task)


def _check_forest(n_estimators, bootstrap):
    if not isinstance(n_estimators, int) or n_estimators < 1:
        raise errors.ValidationError(f"n_estimators={n_estimators!r} must be an int >= 1.")
    if not isinstance(bootstrap, bool):
        raise errors.ValidationError(f"bootstrap={bootstrap!r} must be True or False.")


def fit_forest_classifier(
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_estimators: int = 100,
    max_depth: int = 10,
    max_features: int | float | str | None = "sqrt",
    criterion: str = "gini",
    n_classes: int | None = None,
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    bootstrap: bool = True,
    sample_weight: ArrayLike | None = None,
    key: PRNGKey | None = None,
    batch_size: int | None = None,
) -> Tree:
    """Fit a random forest of CART classification trees in one compiled call.

    Arguments are those of `fit_classifier`, plus:

    Args:
      n_estimators: number of trees $T$.
      bootstrap: fit each tree on a bootstrap sample (else on all rows).
      batch_size: trees fitted at once by ``vmap`` (batches loop in
        ``lax.map``); by default 1 on CPU, else as many as fit ~0.5 GiB.

    Returns:
      A stacked `Tree` (leading axis ``n_estimators``); use
      `predict` / `predict_proba` on it directly.

    Example:
      >>> import numpy as np, jax
      >>> from jaxfound.models import trees
      >>> X = np.random.default_rng(0).normal(size=(60, 4)); y = (X[:, 0] > 0).astype(int)
      >>> f = trees.fit_forest_classifier(X, y, n_estimators=8, max_depth=3, key=jax.random.key(0))
      >>> f.feature.shape, float((trees.predict(f, X) == y).mean()) > 0.9
      ((8, 7), True)
    """
    _check_forest(n_estimators, bootstrap)
    X, y, w, cfg = _cart.prepare(
        X, y, sample_weight, task=CLASSIFICATION, criterion=criterion, n_classes=n_classes,
        max_depth=max_depth, min_samples_leaf=min_samples_leaf,
        min_samples_split=min_samples_split, max_features=max_features,
    )  # fmt: skip
    return _forest(X, y, w, key, CLASSIFICATION, cfg, n_estimators, bootstrap, batch_size)


def fit_forest_regressor(
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_estimators: int = 100,
    max_depth: int = 10,
    max_features: int | float | str | None = 1.0,
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    bootstrap: bool = True,
    sample_weight: ArrayLike | None = None,
    key: PRNGKey | None = None,
    batch_size: int | None = None,
) -> Tree:
    """Fit a random forest of CART regression trees; the prediction is the trees' mean.

    ``max_features`` defaults to all features (scikit-learn's default for
    regression forests, i.e. bagging). Other arguments as
    `fit_forest_classifier`.

    Example:
      >>> import numpy as np, jax
      >>> from jaxfound.models import trees
      >>> X = np.linspace(0, 1, 50)[:, None]; y = np.sin(6 * X[:, 0])
      >>> f = trees.fit_forest_regressor(X, y, n_estimators=10, max_depth=4)
      >>> float(np.abs(trees.predict(f, X) - y).mean()) < 0.1
      True
    """
    _check_forest(n_estimators, bootstrap)
    X, y, w, cfg = _cart.prepare(
        X, y, sample_weight, task=REGRESSION, criterion="squared_error", max_depth=max_depth,
        min_samples_leaf=min_samples_leaf, min_samples_split=min_samples_split,
        max_features=max_features,
    )  # fmt: skip
    return _forest(X, y, w, key, REGRESSION, cfg, n_estimators, bootstrap, batch_size)


def feature_importances(tree: Tree) -> Array:
    """Impurity-decrease importances, averaged over the trees of a stack (a forest)."""
    imp = tree.importances
    return jnp.mean(imp, axis=0) if imp.ndim == 2 else imp
