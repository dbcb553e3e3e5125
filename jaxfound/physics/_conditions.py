r"""Boundary, initial and data conditions as loss terms (`Constraint`).

Each builder returns a `Constraint` whose residual is zero
where the condition holds:

================================  ==================================================
`dirichlet`                 $u - g$
`neumann`                   $\partial u/\partial n - g$
`robin`                     $\alpha u + \beta\,\partial u/\partial n - g$
`periodic`                  $u(x|_{x_a=lo}) - u(x|_{x_a=hi})$ (and derivatives)
`initial`                   $u(x, t_0) - u_0(x)$
`initial_derivative`        $u_t(x, t_0) - v_0(x)$
`observed`                  $u(x_i) - y_i$ (data for inverse problems)
================================  ==================================================

A condition can instead be imposed exactly, through
`output_transform` (a *hard* constraint).

Values ``g`` are numbers or functions of the point (``initial``: of the spatial
coordinates). Points are validated once, in Python, when given: a geometry, if
passed, checks that they lie where the condition lives
(`GeometryError` otherwise).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound.physics._constraint import Constraint, as_points
from jaxfound.physics._geometry import Geometry, SpaceTime
from jaxfound.physics._operators import Field, axis_index
from jaxfound.physics._taylor import taylor2
from jaxfound.typing import Array, Params

__all__ = [
    "dirichlet",
    "neumann",
    "robin",
    "periodic",
    "initial",
    "initial_derivative",
    "observed",
]

Value = float | Callable[[Array], Array]


def _value(g, x, like):
    v = g(x) if callable(g) else g
    v = jnp.asarray(v, jnp.result_type(like))
    if v.shape != jnp.shape(like) and v.size == jnp.size(like):
        v = v.reshape(jnp.shape(like))
    return v


def _pick(out, component):
    return out if component is None else out[component]


def _boundary_points(points, geometry, who):
    if points is None:
        return None
    dim = geometry.dim if geometry is not None else None
    p = as_points(points, f"{who} points", dim, f"the {geometry!r}" if geometry else "")
    if geometry is not None:
        geometry.check_on_boundary(p, f"{who} points")
    return p


def dirichlet(
    u: Field,
    value: Value = 0.0,
    points: Any = None,
    *,
    geometry: Geometry | None = None,
    component: int | None = None,
) -> Constraint:
    r"""Dirichlet condition $u(x) = g(x)$ on boundary points.

    Args:
      u: the field.
      value: ``g``: a number or ``g(x)`` of the point.
      points: ``(N, d)`` boundary points (or supply them in the batch).
      geometry: checks the points lie on its boundary.
      component: for a vector field, the component constrained.

    Examples:
      >>> import jax.numpy as jnp
      >>> c = dirichlet(lambda p, x: p * x[0], lambda x: x[0], jnp.array([[1.0], [2.0]]))
      >>> float(c.loss(1.0))
      0.0
    """
    pts = _boundary_points(points, geometry, "dirichlet")

    def fn(params: Params, data) -> Array:
        def one(x):
            out = _pick(u(params, x), component)
            return out - _value(value, x, out)

        return jax.vmap(one)(data)

    return Constraint(fn, pts, None, "dirichlet")


def _normals(points, normals, geometry, who):
    if points is None:
        return None
    if normals is None:
        if geometry is None:
            raise errors.ValidationError(f"{who} needs normals= or geometry= to compute them")
        normals = geometry.boundary_normal(points)
    n = as_points(normals, f"{who} normals", points.shape[1], "the points")
    if n.shape[0] != points.shape[0]:
        raise errors.ShapeError(f"{who}: {n.shape[0]} normals for {points.shape[0]} points")
    return (points, n)


def _normal_derivative(u, params, x, n, component):
    f = lambda y: _pick(u(params, y), component)  # noqa: E731
    u0, u1, _ = taylor2(f, x, [n], None, [0])
    return u0, u1[0]


def neumann(
    u: Field,
    value: Value = 0.0,
    points: Any = None,
    normals: Any = None,
    *,
    geometry: Geometry | None = None,
    component: int | None = None,
) -> Constraint:
    r"""Neumann condition $\nabla u \cdot n = g$ with outward unit normals ``n``.

    The data is ``(points, normals)``; normals default to ``geometry.boundary_normal``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.physics import Interval
      >>> c = neumann(lambda p, x: p * x[0] ** 2, 2.0, jnp.array([[1.0]]), geometry=Interval(0, 1))
      >>> float(c.loss(1.0))
      0.0
    """
    pts = _boundary_points(points, geometry, "neumann")
    data = _normals(pts, normals, geometry, "neumann")

    def fn(params: Params, data) -> Array:
        pts, nrm = data

        def one(x, n):
            _, du = _normal_derivative(u, params, x, n, component)
            return du - _value(value, x, du)

        return jax.vmap(one)(pts, nrm)

    return Constraint(fn, data, None, "neumann")


def robin(
    u: Field,
    alpha,
    beta,
    value: Value = 0.0,
    points: Any = None,
    normals: Any = None,
    *,
    geometry: Geometry | None = None,
    component: int | None = None,
) -> Constraint:
    r"""Robin condition $\alpha u + \beta\,\nabla u\cdot n = g$.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.physics import Interval
      >>> u = lambda p, x: jnp.exp(x[0])       # u' = u, so u - u' = 0 at x = 1
      >>> c = robin(u, 1.0, -1.0, 0.0, jnp.array([[1.0]]), geometry=Interval(0, 1))
      >>> float(c.loss(None))
      0.0
    """
    pts = _boundary_points(points, geometry, "robin")
    data = _normals(pts, normals, geometry, "robin")

    def fn(params: Params, data) -> Array:
        pts, nrm = data

        def one(x, n):
            u0, du = _normal_derivative(u, params, x, n, component)
            return alpha * u0 + beta * du - _value(value, x, u0)

        return jax.vmap(one)(pts, nrm)

    return Constraint(fn, data, None, "robin")


def periodic(
    u: Field,
    axis: int | str,
    low: float,
    high: float,
    points: Any = None,
    *,
    coords: Sequence[str] | None = None,
    derivatives: int = 0,
    component: int | None = None,
) -> Constraint:
    r"""Periodicity along one axis $a$:
    $\partial^k u(x|_{x_a = lo}) = \partial^k u(x|_{x_a = hi})$ for
    $k = 0, \dots,$ ``derivatives``.

    ``points`` give the other coordinates (their ``axis`` coordinate is replaced by
    ``low`` and ``high``).

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: jnp.sin(jnp.pi * x[0]) + x[1]
      >>> c = periodic(u, "x", -1.0, 1.0, jnp.array([[0.0, 0.3], [0.0, 0.7]]),
      ...              coords=("x", "t"), derivatives=1)
      >>> float(c.loss(None)) < 1e-10
      True
    """
    pts = None if points is None else as_points(points, "periodic points")

    def fn(params: Params, data) -> Array:
        d = data.shape[1]
        a = axis_index(axis, d, coords)

        def one(x):
            xl, xh = x.at[a].set(low), x.at[a].set(high)
            f = lambda y: _pick(u(params, y), component)  # noqa: E731
            if derivatives == 0:
                return jnp.atleast_1d(f(xl) - f(xh))
            e = jnp.zeros_like(x).at[a].set(1.0)
            out = []
            for y in (xl, xh):
                if derivatives == 1:
                    y0, y1, _ = taylor2(f, y, [e], None, [0])
                    out.append([y0, y1[0]])
                elif derivatives == 2:
                    y0, y1, y2 = taylor2(f, y, [e])
                    out.append([y0, y1[0], y2])
                else:
                    raise errors.ValidationError("periodic supports derivatives = 0, 1 or 2")
            return jnp.stack([jnp.ravel(lo - hi) for lo, hi in zip(*out)]).reshape(-1)

        return jax.vmap(one)(data)

    return Constraint(fn, pts, None, "periodic")


def _initial_points(points, geometry, who):
    if points is None:
        return None
    dim = geometry.dim if geometry is not None else None
    p = as_points(points, f"{who} points", dim, f"the {geometry!r}" if geometry else "")
    if geometry is not None:
        if not isinstance(geometry, SpaceTime):
            raise errors.GeometryError(f"{who} needs a SpaceTime geometry, got {geometry!r}")
        geometry.check_initial(p, f"{who} points")
    return p


def initial(
    u: Field,
    value: Value,
    points: Any = None,
    *,
    geometry: SpaceTime | None = None,
    time_axis: int = -1,
    component: int | None = None,
) -> Constraint:
    r"""Initial condition $u(x, t_0) = u_0(x)$; ``u0`` gets the *spatial*
    coordinates (the point without its time coordinate).

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: -jnp.sin(jnp.pi * x[0]) * jnp.exp(-x[1])
      >>> c = initial(u, lambda x: -jnp.sin(jnp.pi * x), jnp.array([[0.5, 0.0]]))
      >>> float(c.loss(None))
      0.0
    """
    pts = _initial_points(points, geometry, "initial")

    def fn(params: Params, data) -> Array:
        def one(x):
            out = _pick(u(params, x), component)
            return out - _value(value, jnp.delete(x, time_axis % x.shape[0]), out)

        return jax.vmap(one)(data)

    return Constraint(fn, pts, None, "initial")


def initial_derivative(
    u: Field,
    value: Value,
    points: Any = None,
    *,
    geometry: SpaceTime | None = None,
    time_axis: int = -1,
    component: int | None = None,
) -> Constraint:
    r"""Initial rate $u_t(x, t_0) = v_0(x)$ (for second order in time, e.g. waves).

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: jnp.sin(x[0]) * x[1]
      >>> c = initial_derivative(u, lambda x: jnp.sin(x[0]), jnp.array([[0.5, 0.0]]))
      >>> float(c.loss(None))
      0.0
    """
    pts = _initial_points(points, geometry, "initial_derivative")

    def fn(params: Params, data) -> Array:
        def one(x):
            ta = time_axis % x.shape[0]
            e = jnp.zeros_like(x).at[ta].set(1.0)
            f = lambda y: _pick(u(params, y), component)  # noqa: E731
            _, y1, _ = taylor2(f, x, [e], None, [0])
            return y1[0] - _value(value, jnp.delete(x, ta), y1[0])

        return jax.vmap(one)(data)

    return Constraint(fn, pts, None, "initial_derivative")


def observed(
    u: Field,
    points: Any,
    values: Any,
    *,
    geometry: Geometry | None = None,
    component: int | None = None,
) -> Constraint:
    r"""Observations $u(x_i) = y_i$ (an inverse problem's data); data ``(points, values)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> c = observed(lambda p, x: p * x[0], jnp.array([[1.0], [2.0]]), jnp.array([3.0, 6.0]))
      >>> float(c.loss(3.0))
      0.0
    """
    dim = geometry.dim if geometry is not None else None
    pts = as_points(points, "observed points", dim, f"the {geometry!r}" if geometry else "")
    vals = jnp.asarray(values)
    if vals.shape[0] != pts.shape[0]:
        raise errors.ShapeError(
            f"observed: {vals.shape[0]} values for {pts.shape[0]} points; give one value "
            "(row) per point"
        )
    if not bool(jnp.all(jnp.isfinite(vals))):
        raise errors.NonFiniteError("observed values contain NaN/inf; drop or impute them first")
    if geometry is not None:
        geometry.check_inside(pts, "observed points")

    def fn(params: Params, data) -> Array:
        p, y = data
        out = jax.vmap(lambda x: _pick(u(params, x), component))(p)
        return out - y.reshape(out.shape)

    return Constraint(fn, (pts, vals), None, "observed")
