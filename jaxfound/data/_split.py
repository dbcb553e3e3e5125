"""Train/test split keyed by a PRNG key."""

from __future__ import annotations

import jax
import numpy as np

from jaxfound import errors
from jaxfound._validate import check_same_length
from jaxfound.typing import PRNGKey

__all__ = ["train_test_split"]


def train_test_split(key: PRNGKey, *arrays, test_size: float | int = 0.2):
    """Shuffle rows with ``key`` and split each array into train and test parts.

    Args:
      key: PRNG key; the same key gives the same split.
      *arrays: arrays with a common leading dimension.
      test_size: fraction in ``(0, 1)`` or an absolute number of test rows.

    Returns:
      ``(a_train, a_test, b_train, b_test, …)`` like scikit-learn.

    Example:
      >>> import jax, numpy as np
      >>> x_tr, x_te = train_test_split(jax.random.key(0), np.arange(10), test_size=0.3)
      >>> len(x_tr), len(x_te)
      (7, 3)
    """
    if not arrays:
        raise errors.ValidationError("train_test_split needs at least one array.")
    n = check_same_length(arrays, [f"arrays[{i}]" for i in range(len(arrays))])
    n_test = int(round(test_size * n)) if isinstance(test_size, float) else int(test_size)
    if not 0 < n_test < n:
        raise errors.ValidationError(
            f"test_size={test_size} leaves {n_test} of {n} rows for testing; choose a size "
            "that leaves at least one row on each side."
        )
    perm = np.asarray(jax.random.permutation(key, n))
    test, train = perm[:n_test], perm[n_test:]
    out = []
    for a in arrays:
        out += [a[train], a[test]]
    return out
