r"""A Dense layer that runs as one 2-D matmul: $y = x W + b$ over the last axis, the
leading axes flattened into rows first.

`flax.linen.Dense` contracts the last axis of an input of any rank. For an input
``(batch, T, C)`` its weight gradient $\partial L / \partial W = x^\top \delta$ then
contracts *two* axes (batch and T) of two 3-D arrays, and XLA:CPU lowers that to a
transposing copy of the cotangent before a plain dot: in the backward of nanoGPT's CPU
recipe (``benchmarks/gpt_shakespeare.py``) these copies, fused with the GELU backward,
took about 21 of the step's 56 ms. On ``(batch * T, C)`` rows the same gradient is one
2-D dot with a single contracted axis and no copy. The function computed is the same
(the same products, summed over the same rows; tested against `flax.linen.Dense`).
"""

from __future__ import annotations

from collections.abc import Callable

import flax.linen as nn
import jax

from jaxfound.typing import Array

__all__ = ["Dense", "rows_dot_general", "on_rows"]


def on_rows(fn: Callable[[Array], Array], x: Array) -> Array:
    """``fn`` applied to ``x``'s ``(prod(leading axes), last axis)`` rows, reshaped back."""
    y = fn(x.reshape(-1, x.shape[-1]))
    return y.reshape(*x.shape[:-1], y.shape[-1])


def rows_dot_general(lhs: Array, rhs: Array, dimension_numbers, precision=None,
                     preferred_element_type=None) -> Array:
    """`jax.lax.dot_general`, with ``lhs``'s leading axes flattened when it is a Dense's
    product (``lhs`` of rank > 2 contracted on its last axis with a matrix's first).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> x, w = jnp.ones((2, 3, 4)), jnp.ones((4, 5))
      >>> rows_dot_general(x, w, (((2,), (0,)), ((), ()))).shape
      (2, 3, 5)
    """
    (lc, rc), (lb, rb) = dimension_numbers
    dense = (lhs.ndim > 2 and rhs.ndim == 2 and tuple(lc) == (lhs.ndim - 1,)
             and tuple(rc) == (0,) and not lb and not rb)  # fmt: skip
    if not dense:
        return jax.lax.dot_general(lhs, rhs, dimension_numbers, precision=precision,
                                   preferred_element_type=preferred_element_type)
    return on_rows(lambda rows: jax.lax.dot_general(
        rows, rhs, (((1,), (0,)), ((), ())), precision=precision,
        preferred_element_type=preferred_element_type), lhs)  # fmt: skip


class Dense(nn.Dense):
    """`flax.linen.Dense` (same parameters, names and initialisers) whose product is
    `rows_dot_general`: one 2-D matmul over the flattened leading axes.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> layer = Dense(4)
      >>> params = layer.init(jax.random.key(0), jnp.ones((2, 3, 5)))
      >>> layer.apply(params, jnp.ones((2, 3, 5))).shape
      (2, 3, 4)
    """

    dot_general: nn.linear.DotGeneralT | None = rows_dot_general
