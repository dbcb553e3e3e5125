r"""Imputation of missing values as a fit/transform pair (fill values learnt on training data)."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.data._transform import (
    Transform,
    check_features,
    float_input,
    is_concrete,
    require_state,
)

__all__ = ["ImputeState", "imputer", "IMPUTE_STRATEGIES"]

IMPUTE_STRATEGIES = ("mean", "median", "constant")


class ImputeState(NamedTuple):
    """The per-column ``fill`` value that replaces a missing entry."""

    fill: jnp.ndarray


def missing_mask(x, *, inf_is_missing: bool = True):
    """Boolean mask of missing entries: NaN, and ±inf when ``inf_is_missing``."""
    return ~jnp.isfinite(x) if inf_is_missing else jnp.isnan(x)


def check_not_all_missing(x, inf_is_missing: bool = True) -> None:
    """Raise `EmptyDataError` naming the columns of ``x`` with no observed value."""
    if not is_concrete(x):
        return
    a = np.asarray(x)
    miss = ~np.isfinite(a) if inf_is_missing else np.isnan(a)
    empty = np.flatnonzero(miss.reshape(a.shape[0], -1).all(axis=0))
    if empty.size:
        raise errors.EmptyDataError(
            f"x column(s) {empty.tolist()} have no observed values (all missing), so nothing can "
            "be learnt from them; drop those columns or impute with strategy='constant'."
        )


def imputer(
    strategy: str = "mean", *, fill_value: float = 0.0, inf_is_missing: bool = True
) -> Transform:
    r"""Replace missing entries of each column by a value learnt at fit time.

    $$
    y_{ij} = \begin{cases} f_j & x_{ij}\ \text{missing} \\ x_{ij} & \text{else}
    \end{cases}
    $$

    with $f_j$ the mean or median of column $j$'s observed values, or
    ``fill_value``. Missing means NaN, and ±inf when ``inf_is_missing``.

    Args:
      strategy: ``"mean"``, ``"median"`` or ``"constant"``.
      fill_value: the value for ``"constant"``.
      inf_is_missing: treat ±inf as missing too.

    Returns:
      A `Transform` with state `ImputeState`; ``transform`` is jittable.
      ``inverse`` is the identity (which entries were missing is not kept).

    Raises:
      EmptyDataError: ``fit`` on a column with no observed value (mean/median).

    Examples:
      >>> import numpy as np
      >>> t = imputer("median")
      >>> x = np.array([[1.0], [np.nan], [5.0], [6.0]])
      >>> t.transform(t.fit(x), x).ravel().tolist()
      [1.0, 5.0, 5.0, 6.0]
    """
    if strategy not in IMPUTE_STRATEGIES:
        raise errors.ValidationError(
            f"strategy={strategy!r} is not one of {IMPUTE_STRATEGIES}."
        )

    def fit(x):
        x = float_input(x, fitting=True)
        if strategy == "constant":
            return ImputeState(jnp.full(x.shape[1:], fill_value, x.dtype))
        check_not_all_missing(x, inf_is_missing)
        observed = jnp.where(missing_mask(x, inf_is_missing=inf_is_missing), jnp.nan, x)
        f = jnp.nanmean(observed, axis=0) if strategy == "mean" else jnp.nanmedian(observed, axis=0)
        return ImputeState(f.astype(x.dtype))

    def transform(state, x):
        require_state(state, ImputeState)
        x = float_input(x)
        check_features(x, state.fill)
        return jnp.where(missing_mask(x, inf_is_missing=inf_is_missing), state.fill, x)

    def inverse(state, y):
        require_state(state, ImputeState)
        return float_input(y, "y")

    return Transform(fit, transform, inverse)
