"""jaxfound: pure-function numerics in JAX — models, losses, physics constraints,
data, statistics, and a thin training loop.

    >>> import jaxfound as jf
"""

from jaxfound import data, errors, losses, models, physics, stats, train

__version__ = "0.1.0"

__all__ = ["data", "errors", "losses", "models", "physics", "stats", "train", "__version__"]
