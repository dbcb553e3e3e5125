r"""Parameters by path: glob patterns over a pytree's leaf paths, masks, and counts.

A leaf's path is its keys joined by ``/`` (``"params/h_0/attn/c_attn/kernel"``) and a
pattern matches a WHOLE path with glob syntax: ``*`` inside one segment, ``**`` any number
of whole segments, ``?`` one character, ``[0-3]`` / ``[!0]`` a class (the syntax is shared
with the sharding rules of `jaxfound.train`). A pattern that matches no leaf is an error
(a typo must not silently train, or freeze, nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from jaxfound import errors
from jaxfound._pytree import glob_regex as _regex
from jaxfound._pytree import matches, path_str, paths
from jaxfound.typing import PyTree

__all__ = ["ParamCount", "path_str", "paths", "matches", "mask", "param_count"]

Patterns = str | Sequence[str]


def _as_patterns(patterns: Patterns, name: str) -> tuple[str, ...]:
    pats = (patterns,) if isinstance(patterns, str) else tuple(patterns)
    if not pats:
        raise errors.ValidationError(f"{name} is empty; give at least one path pattern.")
    for p in pats:
        _regex(p)
    return pats


def _unmatched_error(pattern: str, all_paths: list[str], name: str) -> errors.ValidationError:
    shown = ", ".join(all_paths[:8]) + (", ..." if len(all_paths) > 8 else "")
    return errors.ValidationError(
        f"{name} pattern {pattern!r} matches no parameter; the paths look like: {shown}. "
        "Patterns match whole paths: use '**' for any number of segments (e.g. "
        f"'**/{pattern.strip('*/') or 'kernel'}')."
    )


def mask(tree: PyTree, patterns: Patterns, *, name: str = "patterns") -> PyTree:
    """A pytree of bools like ``tree``: True where any of ``patterns`` matches the leaf's path.

    Args:
      tree: a parameter pytree.
      patterns: one glob pattern or several (see the module docstring).
      name: the argument's name in error messages.

    Returns:
      Booleans with the structure of ``tree`` (an optax ``mask``).

    Raises:
      jaxfound.errors.ValidationError: a pattern matches no leaf, or is not a string.

    Examples:
      >>> p = {"h_0": {"kernel": 1, "bias": 2}, "head": {"kernel": 3}}
      >>> mask(p, "**/kernel")
      {'h_0': {'bias': False, 'kernel': True}, 'head': {'kernel': True}}
    """
    pats = _as_patterns(patterns, name)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree)
    ps = [path_str(kp) for kp, _ in leaves]
    for pat in pats:
        if not any(matches(pat, p) for p in ps):
            raise _unmatched_error(pat, ps, name)
    flags = [any(matches(pat, p) for pat in pats) for p in ps]
    return jax.tree_util.tree_unflatten(treedef, flags)


class ParamCount(NamedTuple):
    """Trainable vs total parameter counts.

    Attributes:
      trainable: scalars in the leaves the mask selects.
      total: scalars in all leaves.
      fraction: ``trainable / total``.
    """

    trainable: int
    total: int
    fraction: float

    def __str__(self) -> str:
        return f"{self.trainable:,} of {self.total:,} parameters trainable ({self.fraction:.2%})"


def param_count(tree: PyTree, trainable: Any = None) -> ParamCount:
    """Count the scalars of ``tree``, and of the leaves a mask (or patterns) selects.

    Args:
      tree: a parameter pytree (arrays or ``jax.ShapeDtypeStruct``).
      trainable: a bool pytree like ``tree``, glob pattern(s), or ``None`` (all trainable).

    Returns:
      `ParamCount`.

    Examples:
      >>> import jax.numpy as jnp
      >>> p = {"body": {"kernel": jnp.ones((4, 4))}, "head": {"kernel": jnp.ones((4, 2))}}
      >>> c = param_count(p, "head/**")
      >>> c.trainable, c.total, str(c)
      (8, 24, '8 of 24 parameters trainable (33.33%)')
    """
    sizes = [int(np.prod(np.shape(x))) for x in jax.tree_util.tree_leaves(tree)]
    total = sum(sizes)
    if trainable is None:
        flags = [True] * len(sizes)
    else:
        if isinstance(trainable, str) or (
            isinstance(trainable, Sequence) and all(isinstance(t, str) for t in trainable)
        ):
            trainable = mask(tree, trainable, name="trainable")
        flags = [bool(f) for f in jax.tree_util.tree_leaves(trainable)]
        if len(flags) != len(sizes):
            raise errors.ShapeError(
                f"the trainable mask has {len(flags)} leaves but the tree has {len(sizes)}; "
                "build it from the same tree (jaxfound.finetune.mask(tree, patterns))."
            )
    n = sum(s for s, f in zip(sizes, flags) if f)
    return ParamCount(n, total, n / total if total else 0.0)
