"""scikit-learn's embedded handwritten digits (8×8, 1797 images): no download needed."""

from __future__ import annotations

import numpy as np

__all__ = ["load_digits"]


def load_digits(*, normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return the 1797 8×8 digit images ``x`` ``(n, 64)`` and labels ``y`` ``(n,)``.

    The data ship inside scikit-learn (no network); pixels range over 0–16 and are
    scaled to ``[0, 1]`` float32 when ``normalize``.

    Examples:
      >>> x, y = load_digits()
      >>> x.shape, y.shape, bool(x.max() <= 1.0)
      ((1797, 64), (1797,), True)
    """
    try:
        from sklearn.datasets import load_digits as _sk_digits
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("load_digits needs scikit-learn: pip install 'jaxfound[examples]'") from e
    d = _sk_digits()
    x = d.data.astype(np.float32)
    if normalize:
        x /= 16.0
    return x, d.target.astype(np.int32)
