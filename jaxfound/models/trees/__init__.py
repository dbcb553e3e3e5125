"""Decision trees (CART), random forests and soft (differentiable) trees as pure functions.

`cart_classifier`, `cart_regressor`, `forest_classifier` and `forest_regressor` are cached
constructors of `jaxfound.base.Estimator`\\ s: ``est.fit(X, y, ...)`` returns a `Tree`,
``est.predict(tree, X)`` its predictions. Trees live in a fixed-size array layout, so
fitting is one compiled program that ``vmap``\\ s over sample weights, keys and the traced
hyper-parameters (``depth_limit``, ``min_impurity_decrease``), and prediction is a few
gathers. A forest is a `Tree` whose arrays carry a leading axis, one entry per tree.
"""

from jaxfound.models.trees._best_first import grow_best_first
from jaxfound.models.trees._binning import (
    BIN_BUCKET,
    COMPARE_ALL_MAX,
    MAX_BINS,
    bin_codes,
    bin_edges,
    quantile_bins,
    rows_capped_bins,
)
from jaxfound.models.trees._boosting import Boosted, gbdt_classifier, gbdt_regressor
from jaxfound.models.trees._cart import (
    AUTO_HIST_MIN_CELLS,
    MAX_DEPTH,
    cart_classifier,
    cart_regressor,
    resolve_max_features,
)
from jaxfound.models.trees._forest import (
    CPU_BATCH_SIZE,
    FOREST_AUTO_HIST_MIN_CELLS,
    FOREST_MEMORY_BUDGET,
    FOREST_ROWS_PER_BIN,
    HIST_BATCH_SIZE,
    bootstrap_weights,
    feature_importances,
    forest_classifier,
    forest_regressor,
)
from jaxfound.models.trees._grow import CUMSUM_BLOCK, SPLIT_TOL
from jaxfound.models.trees._hist import (
    FLAT_SCATTER_MAX,
    STATS_WIDTH,
    grow_hist,
    histograms,
    padded_stats,
    subtracted_histograms,
)
from jaxfound.models.trees._soft import SoftTree, leaf_probabilities
from jaxfound.models.trees._tree import Tree, apply, predict_value

__all__ = [
    "AUTO_HIST_MIN_CELLS",
    "BIN_BUCKET",
    "COMPARE_ALL_MAX",
    "Boosted",
    "gbdt_classifier",
    "gbdt_regressor",
    "CPU_BATCH_SIZE",
    "CUMSUM_BLOCK",
    "FLAT_SCATTER_MAX",
    "MAX_BINS",
    "FOREST_AUTO_HIST_MIN_CELLS",
    "FOREST_MEMORY_BUDGET",
    "FOREST_ROWS_PER_BIN",
    "HIST_BATCH_SIZE",
    "MAX_DEPTH",
    "SPLIT_TOL",
    "STATS_WIDTH",
    "SoftTree",
    "Tree",
    "apply",
    "bin_codes",
    "bin_edges",
    "grow_best_first",
    "grow_hist",
    "histograms",
    "padded_stats",
    "subtracted_histograms",
    "quantile_bins",
    "rows_capped_bins",
    "bootstrap_weights",
    "cart_classifier",
    "cart_regressor",
    "feature_importances",
    "forest_classifier",
    "forest_regressor",
    "leaf_probabilities",
    "predict_value",
    "resolve_max_features",
]
