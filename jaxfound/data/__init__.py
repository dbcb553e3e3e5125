"""Data: loaders, batching, splitting, cleaning and transforms."""

from jaxfound.data._batches import batches, num_examples
from jaxfound.data._csv import MISSING_TOKENS, load_csv
from jaxfound.data._dataset import (
    SKLEARN_DATASETS,
    Dataset,
    from_arrays,
    from_table,
    load_sklearn,
)
from jaxfound.data._describe import ColumnSummary, Description, as_columns, describe
from jaxfound.data._digits import load_digits
from jaxfound.data._folds import (
    Fold,
    FoldMasks,
    fold_masks,
    folds_to_masks,
    kfold,
    stratified_kfold,
    time_series_split,
)
from jaxfound.data._idx import read_idx
from jaxfound.data._load import load
from jaxfound.data._mnist import MNIST_FILES, load_mnist
from jaxfound.data._npz import load_npz, save_npz
from jaxfound.data._split import split_indices, train_test_split, train_val_test_split

__all__ = [
    "MISSING_TOKENS",
    "MNIST_FILES",
    "SKLEARN_DATASETS",
    "ColumnSummary",
    "Dataset",
    "Description",
    "as_columns",
    "describe",
    "from_arrays",
    "from_table",
    "load",
    "load_csv",
    "load_npz",
    "load_sklearn",
    "save_npz",
    "Fold",
    "FoldMasks",
    "batches",
    "fold_masks",
    "folds_to_masks",
    "kfold",
    "load_digits",
    "load_mnist",
    "num_examples",
    "read_idx",
    "split_indices",
    "stratified_kfold",
    "time_series_split",
    "train_test_split",
    "train_val_test_split",
]
