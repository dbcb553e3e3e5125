"""Data: loaders, batching, splitting, cleaning and transforms."""

from jaxfound.data._batches import batches, num_examples
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
from jaxfound.data._mnist import MNIST_FILES, load_mnist
from jaxfound.data._split import split_indices, train_test_split, train_val_test_split

__all__ = [
    "MNIST_FILES",
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
