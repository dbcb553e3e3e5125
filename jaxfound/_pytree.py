"""Small pytree helpers shared across subpackages (internal)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["keypath_str"]


def keypath_str(keypath: Iterable[Any], sep: str = "/") -> str:
    """A JAX key path as one string: dict keys, attribute names and sequence indices joined.

    ``DictKey("a")``, ``GetAttrKey("a")`` and ``SequenceKey(0)`` read ``a``, ``a`` and ``0``,
    so a NamedTuple's field and a dict's key give the same path.

    Examples:
      >>> import jax
      >>> kp, _ = jax.tree_util.tree_flatten_with_path({"a": [0, {"b": 1}]})[0][1]
      >>> keypath_str(kp), keypath_str(kp, ".")
      ('a/1/b', 'a.1.b')
    """
    parts = []
    for k in keypath:
        for attr in ("key", "name", "idx"):
            if hasattr(k, attr):
                parts.append(str(getattr(k, attr)))
                break
        else:
            parts.append(str(k))
    return sep.join(parts)
