"""Data: loaders, batching, splitting, cleaning and transforms."""

from jaxfound.data._batches import batches, num_examples
from jaxfound.data._digits import load_digits
from jaxfound.data._idx import read_idx
from jaxfound.data._mnist import MNIST_FILES, load_mnist
from jaxfound.data._split import train_test_split

__all__ = [
    "MNIST_FILES",
    "batches",
    "load_digits",
    "load_mnist",
    "num_examples",
    "read_idx",
    "train_test_split",
]
