"""The handwritten digits set (8×8 pixels, 1797 images), shipped inside jaxfound.

It is the test part of the UCI "Optical Recognition of Handwritten Digits" data (E. Alpaydin
and C. Kaynak, 1998; UCI Machine Learning Repository, CC BY 4.0), as scikit-learn also ships
it (`sklearn.datasets.load_digits`): the same images and labels in the same order, stored in
`jaxfound/data/digits.npz` (45 KB, read without pickle). No download and no optional
dependency is needed, so `jaxfound demo` runs after a plain `pip install jaxfound`.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_digits"]


def load_digits(*, normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return the 1797 8×8 digit images `x` `(n, 64)` and labels `y` `(n,)`.

    Pixels are counts 0–16; with `normalize` they are scaled to `[0, 1]` (float32),
    otherwise returned as float32 counts. Labels are int32 in `[0, 10)`.

    Examples:
      >>> x, y = load_digits()
      >>> x.shape, y.shape, bool(x.max() <= 1.0), int(y[:10].sum())
      ((1797, 64), (1797,), True, 45)
    """
    with resources.files("jaxfound.data").joinpath("digits.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as z:
            x = z["images"].astype(np.float32)
            y = z["labels"].astype(np.int32)
    if normalize:
        x /= 16.0
    return x, y
