"""Small pytree helpers shared across subpackages (internal): key paths and glob patterns.

Every leaf of a pytree has a path, its keys joined by ``/``: in a Flax GPT's variables
``{"params": {"h_0": {"attn": {"c_attn": {"kernel": ...}}}}}`` the QKV kernel of the first
block is ``"params/h_0/attn/c_attn/kernel"``. A pattern matches a WHOLE path (anchored at
both ends), with glob syntax:

* ``*`` any run of characters inside one path segment (no ``/``), ``?`` one character;
* ``**`` any number of whole segments, none included (``"params/**/kernel"`` matches
  ``"params/kernel"`` and ``"params/h_0/mlp/c_fc/kernel"``);
* ``[0-3]`` / ``[!0]`` one character of (not of) a class, e.g. ``"params/h_[0-1]/**"``.

`jaxfound.finetune` (freezing, LoRA) and `jaxfound.train` (sharding rules) select leaves
with these patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import jax

from jaxfound import errors

__all__ = ["keypath_str", "path_str", "paths", "glob_regex", "matches", "is_key"]


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


def path_str(keypath: tuple) -> str:
    """The ``/``-joined string of a JAX key path (``DictKey``, ``GetAttrKey``, ``SequenceKey``).

    Examples:
      >>> import jax
      >>> kp, _ = jax.tree_util.tree_flatten_with_path({"a": [0, {"b": 1}]})[0][1]
      >>> path_str(kp)
      'a/1/b'
    """
    return keypath_str(keypath, "/")


def paths(tree: Any) -> list[str]:
    """Every leaf's path string, in ``jax.tree_util`` leaf order.

    Examples:
      >>> paths({"b": {"kernel": 1, "bias": 2}, "a": 3})
      ['a', 'b/bias', 'b/kernel']
    """
    return [path_str(kp) for kp, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern:
    if not isinstance(pattern, str) or not pattern:
        raise errors.ValidationError(
            f"path pattern {pattern!r} must be a non-empty string such as 'params/h_0/**'."
        )
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                raise errors.ValidationError(
                    f"path pattern {pattern!r} has an unclosed '['; close the class, e.g. "
                    "'h_[0-3]'."
                )
            body = pattern[i + 1:j]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(pattern: str, path: str) -> bool:
    """Whether the glob ``pattern`` matches the whole ``path`` (see the module docstring).

    Examples:
      >>> matches("params/h_*/attn/**", "params/h_3/attn/c_attn/kernel")
      True
      >>> matches("params/h_[0-1]/**", "params/h_2/ln_1/scale")
      False
    """
    return glob_regex(pattern).match(path) is not None


def is_key(x: Any) -> bool:
    """Whether ``x`` is a typed PRNG key array (``jax.random.key``), not raw key data.

    Examples:
      >>> import jax
      >>> is_key(jax.random.key(0)), is_key(jax.random.key_data(jax.random.key(0)))
      (True, False)
    """
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)
