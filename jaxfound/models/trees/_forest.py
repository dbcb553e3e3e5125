r"""Random forests: a ``lax.map`` of CART trees over bootstrap weights and feature draws.

Tree $t$ is fitted on the sample weights $w_i c_{ti}$, where
$c_t \sim \mathrm{Multinomial}(m, \tfrac1m \mathbf 1)$ counts how often each of
the $m$ rows with positive weight is drawn in a bootstrap sample of size
$m$ (what scikit-learn does), and at every node it only considers
``max_features`` features drawn at random. Because trees have a fixed array layout
the whole forest is one compiled program; the fitted params are a `Tree` whose
arrays carry a leading ``n_estimators`` axis, and the estimator's ``predict_proba``
averages the trees' class probabilities,
$\hat p(c\mid x) = \frac1T\sum_t p_t(c\mid x)$.

Forests always draw random numbers, so their estimators have ``needs_key=True`` and
``fit`` requires ``key=`` (tree $t$ uses ``jax.random.split(key, n_estimators)[t]``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from jaxfound import _validate as V
from jaxfound import errors
from jaxfound._aot import cached_jit
from jaxfound.base import Estimator
from jaxfound.models.trees import _cart
from jaxfound.models.trees._binning import MAX_BINS, fit_bins, rows_capped_bins
from jaxfound.models.trees._grow import grow_classifier, grow_regressor
from jaxfound.models.trees._hist import fit_hist
from jaxfound.models.trees._tree import (
    CLASSIFICATION,
    REGRESSION,
    Tree,
)
from jaxfound.typing import Array, ArrayLike, PRNGKey

__all__ = [
    "CPU_BATCH_SIZE",
    "FOREST_AUTO_HIST_MIN_CELLS",
    "FOREST_MEMORY_BUDGET",
    "FOREST_ROWS_PER_BIN",
    "bootstrap_weights",
    "feature_importances",
    "forest_classifier",
    "forest_regressor",
]

#: Trees fitted at once on CPU by the exact splitter: one at a time keeps the memory of the
#: work arrays to a single tree's and the compile short. Batching 10 (``batch_size=10``)
#: measured 1.2-1.5x faster once compiled on wine and breast cancer, no faster on digits,
#: and compiled 2-5x longer.
CPU_BATCH_SIZE = 1

#: Trees grown together (``vmap``) by the histogram splitter: one histogram pass a level
#: serves the whole batch, whose bootstrap counts are the batch's sample weights.
HIST_BATCH_SIZE = 10

#: ``splitter="auto"`` grows forests with histograms from this many feature values on:
#: always. With bins capped by `FOREST_ROWS_PER_BIN`, 100 trees of depth 8 (compiled, 2-core
#: CPU, quiet) took 0.056 s against the exact splitter's 0.18 s on wine (133 x 13), 0.14 s
#: against 0.72 s on breast cancer (426 x 30) and 0.45 s against 4.7 s on digits (1347 x 64).
FOREST_AUTO_HIST_MIN_CELLS = 0

#: A forest's histogram bins hold about this many training rows each (`rows_capped_bins`):
#: breast cancer's 426 rows get 32 bins, wine's 133 get 16. Deep levels of small data sets
#: have a few rows per node, and a finer histogram only adds empty cells to build and scan:
#: 256 bins took 0.59 s on breast cancer, 32 bins 0.11 s. 5-fold x 2-seed CV accuracy minus
#: scikit-learn's (wine 100 trees / breast cancer 50, depth 8): 2 rows a bin +1.03 / -,
#: 4 rows +1.31 / -0.12, 8 rows +1.03 / -0.56, 16 rows +0.46 / -0.12 (exact: +0.18 / +0.41).
#: Coarse bins regularise small forests; 16 keeps both within the 1-point parity bar.
#: Classification forests only: a regression forest's leaf means need the finer thresholds
#: (10 trees of depth 4 on 50 points of a sine: mean absolute error 0.14 with the 8 capped
#: bins, 0.05 with the bins in use), so it keeps `fit_bins`' bins.
FOREST_ROWS_PER_BIN = 16

#: Rough budget (bytes, 0.5 GiB) of the live per-tree work arrays when, on an accelerator,
#: ``batch_size=None`` picks how many trees to ``vmap`` at once.
FOREST_MEMORY_BUDGET = 1 << 29

#: Columns of the ``(n, n_features)`` work arrays of one level besides the gathered
#: statistics: the sample order, the segment ids, the sorted values and the gains.
_WORK_COLUMNS = 4

#: Copies of the work arrays alive at once (the statistics, their cumulative sums, the
#: left and right sides of every threshold), in the estimate of one tree's memory.
_LIVE_COPIES = 4


def bootstrap_weights(key: PRNGKey, sample_weight: Array) -> Array:
    """Bootstrap sample as weights: multinomial draw counts times ``sample_weight``.

    The $m$ rows with positive weight are drawn $m$ times with
    replacement (uniformly); rows with weight 0 are never drawn, so a 0/1 fold
    mask gives the bootstrap of that fold's training rows. Shapes stay fixed,
    so it ``jit``\\ s and ``vmap``\\ s.

    Examples:
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


def _batch_size(n_estimators: int, n: int, n_features: int, n_stats: int, itemsize: int) -> int:
    """Trees per ``vmap`` batch: `CPU_BATCH_SIZE` on CPU, else what fits the memory budget."""
    if jax.default_backend() == "cpu":
        return CPU_BATCH_SIZE
    per_tree = _LIVE_COPIES * n * n_features * (n_stats + _WORK_COLUMNS) * itemsize
    return max(1, min(n_estimators, FOREST_MEMORY_BUDGET // max(per_tree, 1)))


@cached_jit(
    static_argnames=("task", "cfg", "n_estimators", "bootstrap", "batch_size", "draw_features"),
)
def _fit_forest(X, y, w, key, mid, depth_limit, *, task, cfg, n_estimators, bootstrap,
                batch_size, draw_features):  # fmt: skip
    grow = grow_classifier if task == CLASSIFICATION else grow_regressor

    def one(k):
        k_boot, k_feat = jax.random.split(k)
        wt = bootstrap_weights(k_boot, w) if bootstrap else w
        return grow(X, y, wt, k_feat if draw_features else None, mid, depth_limit, **dict(cfg))

    keys = jax.random.split(key, n_estimators)
    return jax.lax.map(one, keys, batch_size=batch_size)


@cached_jit(static_argnames=("cfg", "n_estimators", "bootstrap", "batch_size"))
def _fit_forest_hist(codes, edges, y, w, key, mid, depth_limit, *, cfg, n_estimators, bootstrap,
                     batch_size):  # fmt: skip
    cfg = dict(cfg)
    draw = cfg["max_features"] is not None

    def batch(k):  # (batch_size,) keys: those trees grown together
        ks = jax.vmap(jax.random.split)(k)
        wt = jax.vmap(bootstrap_weights, (0, None))(ks[:, 0], w) if bootstrap else (
            jnp.broadcast_to(w, (k.shape[0], w.shape[0])))
        return fit_hist.__wrapped__(
            codes, edges, y, wt, ks[:, 1] if draw else None, mid, depth_limit, **cfg
        )

    n_batches = -(-n_estimators // batch_size)
    keys = jax.random.split(key, n_batches * batch_size).reshape(n_batches, batch_size)
    out = jax.lax.map(batch, keys)
    return jax.tree_util.tree_map(
        lambda a: a.reshape(-1, *a.shape[2:])[:n_estimators], out
    )


@functools.cache
def _forest(s: _cart.Settings, n_estimators: int, bootstrap: bool, batch_size: int | None,
            depth_limit, min_impurity_decrease) -> Estimator:  # fmt: skip
    classifier = s.task == CLASSIFICATION
    name = "forest_classifier" if classifier else "forest_regressor"
    dl0, mid0 = depth_limit, min_impurity_decrease

    def fit(
        X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
        key: Array | None = None, depth_limit: ArrayLike | None = dl0,
        min_impurity_decrease: ArrayLike = mid0,
    ) -> Tree:  # fmt: skip
        key = V.required_key(
            key, f"{name}.fit", "every tree draws its own bootstrap sample and feature subsets"
        )
        X, y, w, cfg = _cart.prepare(s, X, y, sample_weight)
        dl, mid = _cart.traced_hypers(depth_limit, min_impurity_decrease, s.max_depth, X.dtype)
        missing = _cart.has_missing(s, X)
        if _cart.use_hist(s, X, missing, FOREST_AUTO_HIST_MIN_CELLS):
            bins = (rows_capped_bins(s.max_bins, X.shape[0], FOREST_ROWS_PER_BIN)
                    if classifier else s.max_bins)  # fmt: skip
            edges, codes = fit_bins(X, bins)
            hcfg = _cart.hist_cfg(s, cfg, missing, _cart.whole_weights(sample_weight))
            f, t, m, value, imp = _fit_forest_hist(
                codes, edges, y, w, key, mid, dl, cfg=tuple(sorted(hcfg.items())),
                n_estimators=n_estimators, bootstrap=bootstrap,
                batch_size=batch_size or HIST_BATCH_SIZE,
            )  # fmt: skip
            return Tree(f, t, value, imp, m, task=s.task)
        n_stats = cfg.get("n_classes", 2) + 1
        bs = batch_size or _batch_size(
            n_estimators, X.shape[0], X.shape[1], n_stats, X.dtype.itemsize
        )
        feature, threshold, value, imp = _fit_forest(
            X, y, w, key, mid, dl, task=s.task, cfg=tuple(sorted(cfg.items())),
            n_estimators=n_estimators, bootstrap=bootstrap, batch_size=bs,
            draw_features=s.max_features is not None,
        )  # fmt: skip
        return Tree(feature, threshold, value, imp, task=s.task)

    return _cart.as_estimator(
        fit, s, name, f"random forest of {n_estimators} CART trees (a stacked `Tree`)",
        "PRNG key (`jax.random.key`), required: bootstrap samples and feature draws.",
        True, dl0, mid0,
    )  # fmt: skip


def _forest_settings(n_estimators, bootstrap, batch_size):
    n_estimators = V.whole_number(n_estimators, "n_estimators", 1)
    if not isinstance(bootstrap, bool):
        raise errors.ValidationError(f"bootstrap={bootstrap!r} must be True or False.")
    if batch_size is not None:
        batch_size = V.whole_number(batch_size, "batch_size", 1, hint=" (or None: automatic)")
    return n_estimators, bootstrap, batch_size


def forest_classifier(
    *,
    n_estimators: int = 100,
    max_depth: int = 10,
    max_features: int | float | str | None = "sqrt",
    criterion: str = "gini",
    n_classes: int | None = None,
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    bootstrap: bool = True,
    batch_size: int | None = None,
    depth_limit: int | None = None,
    min_impurity_decrease: float = 0.0,
    splitter: str = "auto",
    max_bins: int = MAX_BINS,
) -> Estimator:
    """A random forest of CART classification trees, fitted in one compiled call.

    Settings are those of `cart_classifier`, plus those below. ``fit`` has the same
    traced hyper-parameters and always requires ``key=`` (``needs_key=True``); it returns
    a stacked `Tree` (leading axis ``n_estimators``), on which ``predict`` /
    ``predict_proba`` average the trees' class probabilities.

    Args:
      n_estimators: number of trees $T$.
      max_depth: depth of every tree's layout, 1 to 20.
      max_features: features drawn per node (default ``"sqrt"``, scikit-learn's).
      criterion: ``"gini"`` or ``"entropy"``.
      n_classes: number of classes; ``max(y) + 1`` by default.
      min_samples_leaf: fewest samples in a leaf.
      min_samples_split: fewest samples a node needs to be split.
      bootstrap: fit each tree on a bootstrap sample (else on all rows).
      batch_size: trees fitted at once by ``vmap`` (batches loop in ``lax.map``); by
        default `CPU_BATCH_SIZE` on CPU, else as many as fit `FOREST_MEMORY_BUDGET`.
      depth_limit: default of ``fit``'s traced ``depth_limit``.
      min_impurity_decrease: default of ``fit``'s traced ``min_impurity_decrease``.
      splitter: ``"auto"`` (default), ``"hist"`` or ``"exact"``, as for `cart_classifier`
        but a forest's ``"auto"`` always takes ``"hist"`` (`FOREST_AUTO_HIST_MIN_CELLS`).
      max_bins: most bins per feature for ``"hist"``, 2 to 256, the missing-value bin
        included; a classification forest uses fewer on small data, about
        `FOREST_ROWS_PER_BIN` training rows a bin (`rows_capped_bins`).

    Returns:
      An `Estimator` (``is_classifier=True``, ``needs_key=True``).

    Examples:
      >>> import numpy as np, jax
      >>> from jaxfound.models import trees
      >>> X = np.random.default_rng(0).normal(size=(60, 4)); y = (X[:, 0] > 0).astype(int)
      >>> est = trees.forest_classifier(n_estimators=8, max_depth=3)
      >>> f = est.fit(X, y, key=jax.random.key(0))
      >>> f.feature.shape, float((est.predict(f, X) == y).mean()) > 0.9
      ((8, 7), True)
    """
    s = _cart.settings(
        CLASSIFICATION, criterion=criterion, max_depth=max_depth, n_classes=n_classes,
        min_samples_leaf=min_samples_leaf, min_samples_split=min_samples_split,
        max_features=max_features, splitter=splitter, max_bins=max_bins,
    )  # fmt: skip
    return _forest(
        s, *_forest_settings(n_estimators, bootstrap, batch_size),
        *_cart.hyper_defaults(depth_limit, min_impurity_decrease, s.max_depth),
    )  # fmt: skip


def forest_regressor(
    *,
    n_estimators: int = 100,
    max_depth: int = 10,
    max_features: int | float | str | None = 1.0,
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    bootstrap: bool = True,
    batch_size: int | None = None,
    depth_limit: int | None = None,
    min_impurity_decrease: float = 0.0,
    splitter: str = "auto",
    max_bins: int = MAX_BINS,
) -> Estimator:
    """A random forest of CART regression trees; ``predict`` is the trees' mean.

    ``max_features`` defaults to all features (scikit-learn's default for regression
    forests, i.e. bagging). Other settings as `forest_classifier`; ``fit`` requires
    ``key=``.

    Examples:
      >>> import numpy as np, jax
      >>> from jaxfound.models import trees
      >>> X = np.linspace(0, 1, 50)[:, None]; y = np.sin(6 * X[:, 0])
      >>> est = trees.forest_regressor(n_estimators=10, max_depth=4)
      >>> f = est.fit(X, y, key=jax.random.key(0))
      >>> float(np.abs(est.predict(f, X) - y).mean()) < 0.1
      True
    """
    s = _cart.settings(
        REGRESSION, criterion="squared_error", max_depth=max_depth, n_classes=None,
        min_samples_leaf=min_samples_leaf, min_samples_split=min_samples_split,
        max_features=max_features, splitter=splitter, max_bins=max_bins,
    )  # fmt: skip
    return _forest(
        s, *_forest_settings(n_estimators, bootstrap, batch_size),
        *_cart.hyper_defaults(depth_limit, min_impurity_decrease, s.max_depth),
    )  # fmt: skip


def feature_importances(tree: Tree) -> Array:
    """Impurity-decrease importances, averaged over the trees of a stack (a forest).

    Examples:
      >>> import numpy as np
      >>> from jaxfound.models import trees
      >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [3.0, 0.0]])
      >>> t = trees.cart_classifier(max_depth=1).fit(X, np.array([0, 0, 1, 1]))
      >>> feature_importances(t).tolist()
      [1.0, 0.0]
    """
    imp = tree.importances
    return jnp.mean(imp, axis=0) if imp.ndim == 2 else imp
