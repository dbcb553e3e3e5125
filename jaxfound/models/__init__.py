"""Models: neural networks (Flax), adapters, and classical statistical models."""

from jaxfound._cache import _auto_enable
from jaxfound.models import gpt, linear, recsys, svm, trees
from jaxfound.models._adapters import Apply, as_apply, from_function, from_linen, from_nnx
from jaxfound.models._dense import Dense, rows_dot_general
from jaxfound.models._dropout import Dropout, dropout_mask
from jaxfound.models._mlp import MLP

_auto_enable()  # the persistent compilation cache (see jaxfound._cache; JAXFOUND_NO_CACHE=1)

__all__ = [
    "Apply",
    "Dense",
    "Dropout",
    "MLP",
    "as_apply",
    "dropout_mask",
    "from_function",
    "from_linen",
    "from_nnx",
    "rows_dot_general",
    "linear",
    "recsys",
    "svm",
    "trees",
    "gpt",
]
