r"""Constraints: one loss term each.

A `Constraint` is a pair of pure functions' worth of information:
``residual(params, data) -> r`` (pointwise residuals over its data: collocation
points, boundary points with normals, observations…) and the data itself. Its loss
is the mean of the squared residuals, $L = \frac1N\sum_i \lVert r_i\rVert^2$,
unless a ``reduce`` says otherwise (causal weighting does).

A constraint is a term of `jaxfound.losses.weighted_sum` (through `Constraint.as_loss`, a
*routed* `jaxfound.losses.Loss`): the sum gives it ``batch[name]`` (resampled points)
when the batch holds its name, else it uses its own data.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound._validate import check_array, is_traced
from jaxfound.losses import Loss
from jaxfound.physics._geometry import Geometry
from jaxfound.physics._operators import Field
from jaxfound.physics._pde import PDE
from jaxfound.typing import Array, Params

__all__ = ["Constraint", "residual", "mean_square"]


def mean_square(r: Array, data: Any = None) -> Array:
    r"""The default reduction: $\frac1N \sum_i \lVert r_i \rVert^2$ (components summed).

    Examples:
      >>> import jax.numpy as jnp
      >>> float(mean_square(jnp.array([[1.0, 1.0], [0.0, 2.0]])))
      3.0
    """
    del data
    r = jnp.asarray(r)
    if r.ndim <= 1:
        return jnp.mean(jnp.square(r))
    return jnp.mean(jnp.sum(jnp.square(r.reshape(r.shape[0], -1)), axis=-1))


class Constraint(NamedTuple):
    """One loss term: pointwise residuals over some data, reduced to a scalar.

    Attributes:
      residual: ``(params, data) -> r`` with one row of ``r`` per point.
      data: the default data (points, or a tuple such as ``(points, normals)``); a
        batch entry under its name in `jaxfound.losses.weighted_sum` replaces it.
      reduce: ``(r, data) -> scalar``; default `mean_square`.
      name: a label for messages.
    """

    residual: Callable[[Params, Any], Array]
    data: Any = None
    reduce: Callable[[Array, Any], Array] | None = None
    name: str = "constraint"

    def loss(self, params: Params, data: Any = None) -> Array:
        """The reduced loss of this term on ``data`` (default: its own data)."""
        data = self.data if data is None else data
        if data is None:
            raise errors.ValidationError(
                f"constraint {self.name!r} has no points: give points= when building it "
                "or pass them in the batch under its name"
            )
        r = self.residual(params, data)
        return (self.reduce or mean_square)(r, data)

    def as_loss(self) -> Loss:
        """This term in the loss protocol: a routed `jaxfound.losses.Loss`.

        In `jaxfound.losses.weighted_sum` it reads ``batch[name]`` (freshly sampled
        points, say) when the batch is a mapping holding its name, else its own data;
        ``aux`` is empty (the combinator reports the value under the term's name).

        Returns:
          ``Loss(lambda params, batch, key: (self.loss(params, batch), {}), routed=True)``.

        Examples:
          >>> import jax.numpy as jnp
          >>> c = Constraint(lambda p, x: p * x[:, 0], jnp.ones((3, 1)))
          >>> loss = c.as_loss()
          >>> loss.routed, float(loss(2.0, None)[0]), float(loss(2.0, 3 * jnp.ones((2, 1)))[0])
          (True, 4.0, 36.0)
        """
        return Loss(lambda params, batch, key=None: (self.loss(params, batch), {}), routed=True)


def as_points(points, name: str, dim: int | None = None, who: str = "") -> Array:
    """Validate a ``(N, d)`` point array once, in Python; return it as a JAX array."""
    if is_traced(points):
        return points
    p = check_array(points, name, ndim=2)
    if dim is not None and p.shape[1] != dim:
        raise errors.ShapeError(
            f"{name} has {p.shape[1]} coordinates per point (shape {p.shape}) but {who} "
            f"expects {dim}"
        )
    return jnp.asarray(p) if not isinstance(p, jax.Array) else p


def residual(
    pde: PDE,
    u: Field,
    points: Any = None,
    *,
    geometry: Geometry | None = None,
    reduce: Callable[[Array, Any], Array] | None = None,
) -> Constraint:
    r"""The PDE residual at collocation points as a loss term:
    $\frac1N\sum_i \lVert \mathcal{N}[u](x_i) \rVert^2$.

    Args:
      pde: a `PDE` (library or `pde`).
      u: the field ``u(params, x)``.
      points: ``(N, len(pde.coords))`` collocation points (or supply them in the batch).
      geometry: if given, the points are checked to lie inside it
        (`GeometryError`) and to match its coordinates.
      reduce: a reduction other than the mean square (e.g. `causal`).

    Raises:
      ShapeError: the points do not have one column per PDE coordinate.
      GeometryError: points outside ``geometry``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.physics import poisson
      >>> c = residual(poisson(1.0), lambda p, x: p * jnp.sum(x**2), jnp.zeros((4, 2)))
      >>> float(c.loss(0.0))
      1.0
    """
    if not isinstance(pde, PDE):
        raise errors.ValidationError(
            f"residual(pde=...) needs a jaxfound.physics.PDE, got {type(pde).__name__}; use a "
            "library equation (burgers, poisson, heat, ...) or write one with "
            "jaxfound.physics.pde"
        )
    dim = len(pde.coords)
    if geometry is not None and geometry.coords != pde.coords:
        if geometry.dim != dim:
            raise errors.ShapeError(
                f"geometry coordinates {geometry.coords} do not match the {pde.name} PDE's "
                f"coordinates {pde.coords}"
            )
    if points is not None:
        points = as_points(points, "points", dim, f"the {pde.name} PDE with coords {pde.coords}")
        if geometry is not None:
            geometry.check_inside(points, "collocation points")

    def fn(params: Params, pts: Array) -> Array:
        if jnp.ndim(pts) != 2 or jnp.shape(pts)[1] != dim:
            raise errors.ShapeError(
                f"collocation points for the {pde.name} PDE must be (N, {dim}) with columns "
                f"{pde.coords}, got shape {jnp.shape(pts)}"
            )
        return jax.vmap(lambda x: pde(u, params, x))(pts)

    return Constraint(fn, points, reduce, pde.name)
