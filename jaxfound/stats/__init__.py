"""Statistics: metrics, resampling, estimation and error analysis."""

from jaxfound.stats._classification import accuracy

__all__ = ["accuracy"]
