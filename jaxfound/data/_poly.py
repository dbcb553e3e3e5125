r"""Polynomial features: every monomial of the columns up to a degree."""

from __future__ import annotations

import itertools
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.data._transform import Transform, float_input, require_state

__all__ = ["PolyState", "polynomial"]


class PolyState(NamedTuple):
    """``powers[o, j]``: the exponent of input column ``j`` in output column ``o``."""

    powers: np.ndarray


def _powers(d: int, degree: int, interaction_only: bool, include_bias: bool) -> np.ndarray:
    """Exponent rows in scikit-learn's ``PolynomialFeatures`` order (by degree, then lexical)."""
    combos = itertools.chain.from_iterable(
        (itertools.combinations if interaction_only else itertools.combinations_with_replacement)(
            range(d), k
        )
        for k in range(0 if include_bias else 1, degree + 1)
    )
    rows = [np.bincount(np.asarray(c, dtype=np.int64), minlength=d) for c in combos]
    return np.stack(rows).astype(np.int32)


def polynomial(
    degree: int = 2, *, interaction_only: bool = False, include_bias: bool = True
) -> Transform:
    r"""Expand columns into all monomials of total degree at most ``degree``.

    $$
    y_{io} = \prod_j x_{ij}^{p_{oj}}, \qquad \sum_j p_{oj} \le \mathrm{degree}
    $$

    Output columns come in scikit-learn's ``PolynomialFeatures`` order. Powers are computed by
    repeated multiplication (exact for integers, no ``pow`` of negative numbers).

    Args:
      degree: the highest total degree (>= 1).
      interaction_only: only products of distinct columns (no $x_j^2$).
      include_bias: include the constant column of ones.

    Returns:
      A `Transform` with state `PolyState`. ``transform`` is jittable;
      ``inverse`` reads the degree-1 columns back.

    Examples:
      >>> import numpy as np
      >>> t = polynomial(2)
      >>> x = np.array([[2.0, 3.0]])
      >>> t.transform(t.fit(x), x).tolist()
      [[1.0, 2.0, 3.0, 4.0, 6.0, 9.0]]
    """
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise errors.ValidationError(f"degree must be an integer >= 1, got {degree!r}.")

    def fit(x):
        x = float_input(x, fitting=True)
        if x.ndim != 2:
            raise errors.ShapeError(f"polynomial fits (n, d) arrays, got shape {x.shape}.")
        return PolyState(_powers(x.shape[1], degree, interaction_only, include_bias))

    def transform(state, x):
        require_state(state, PolyState)
        x = float_input(x)
        d = state.powers.shape[1]
        if x.ndim != 2 or x.shape[1] != d:
            raise errors.ShapeError(f"fitted on {d} columns, got shape {x.shape}.")
        # x^0 .. x^degree by repeated products: (degree + 1, n, d)
        pows = [jnp.ones_like(x)]
        for _ in range(degree):
            pows.append(pows[-1] * x)
        pows = jnp.stack(pows)
        p = jnp.asarray(state.powers)  # (n_out, d)
        cols = jnp.arange(d)
        # factors[i, o, j] = x[i, j] ** p[o, j]
        factors = pows[p, :, cols[None, :]]  # (n_out, d, n)
        return jnp.prod(factors, axis=1).T

    def inverse(state, y):
        require_state(state, PolyState)
        p = jnp.asarray(state.powers)
        d = p.shape[1]
        if y.shape[-1] != p.shape[0]:
            raise errors.ShapeError(
                f"y has {y.shape[-1]} columns, the expansion makes {p.shape[0]}."
            )
        linear = jnp.all(p[:, None, :] == jnp.eye(d, dtype=p.dtype)[None], axis=-1)  # (n_out, d)
        y = jnp.asarray(y)
        return jnp.sum(jnp.where(linear[None], y[:, :, None], 0.0), axis=1)

    return Transform(fit, transform, inverse)
