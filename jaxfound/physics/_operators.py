r"""Fields and differential operators.

A *field* is a pure function ``u(params, x) -> value`` of the parameters and **one**
point ``x`` of shape ``(d,)``; its value is a scalar or an array (a vector field).
Every operator here takes a field and returns a field, so operators compose
(``laplacian(gradient(u))`` …) and a batch of points is handled with ``jax.vmap``
(see `on_points`).

Derivatives are propagated forward (the point has few coordinates, so forward mode is
cheaper than reverse): first derivatives with ``jax.jvp``, second-order operators with
the one-pass collapsed Taylor mode of `taylor2`, higher pure derivatives with
``jax.experimental.jet``. `derivatives` computes a whole set of partial
derivatives that one residual needs while sharing the forward pass between them.

Coordinates are given by index (``0``, ``-1``) or by name together with ``coords``
(``partial(u, "x", "x", coords=("x", "t"))``).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
from flax.errors import ScopeParamShapeError
from jax.experimental import jet

from jaxfound import errors
from jaxfound.models._adapters import as_apply
from jaxfound.physics._taylor import taylor2
from jaxfound.typing import Array, Params

__all__ = [
    "Field",
    "field",
    "output_transform",
    "on_points",
    "gradient",
    "jacobian",
    "hessian",
    "partial",
    "laplacian",
    "divergence",
    "time_derivative",
    "directional_derivative",
    "derivatives",
    "axis_index",
]

#: ``u(params, x) -> value`` for one point ``x`` of shape ``(d,)``.
Field = Callable[[Params, Array], Array]


# ---------------------------------------------------------------------------
# building fields


def field(
    model: Any,
    *,
    params_key: str | None = None,
    scalar: bool = True,
    input_transform: Callable[[Array], Array] | None = None,
    output_transform: Callable[[Array, Array], Array] | None = None,
) -> Field:
    """Turn a network into a field ``u(params, x)`` evaluated at one point ``x`` of shape ``(d,)``.

    Args:
      model: anything `jaxfound.models.as_apply` accepts: a ``flax.linen`` Module,
        ``f(params, x)`` or ``apply(params, x, key)`` (called with ``key=None``).
      params_key: take the network's parameters from ``params[params_key]`` (for
        inverse problems whose params also hold trainable PDE coefficients).
      scalar: return a scalar when the network has exactly one output.
      input_transform: ``x -> features`` applied before the network (e.g. scaling,
        periodic features).
      output_transform: ``(x, out) -> u``, a hard constraint (see `output_transform`).

    Raises:
      ValidationError: ``model`` is not a model `as_apply` can adapt.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.models import MLP
      >>> net = MLP((8, 1), activation=jnp.tanh)
      >>> params = net.init(jax.random.key(0), jnp.ones((1, 2)))
      >>> u = field(net)
      >>> u(params, jnp.array([0.1, 0.2])).shape
      ()
    """
    apply = as_apply(model)

    def u(params: Params, x: Array) -> Array:
        p = params[params_key] if params_key is not None else params
        z = x if input_transform is None else input_transform(x)
        try:
            out = apply(p, z, None)
        except ScopeParamShapeError as e:
            raise errors.ShapeError(
                f"the point x has shape {tuple(jnp.shape(z))}, which the network's parameters "
                f"do not fit ({str(e).splitlines()[0][:200]}); pass points with as many "
                "coordinates as the network was initialised with (e.g. net.init(key, "
                "jnp.zeros((1, d))) for d-dimensional points)."
            ) from e
        if scalar and jnp.ndim(out) == 1 and jnp.shape(out)[0] == 1:
            out = out[0]
        if output_transform is not None:
            out = output_transform(x, out)
        return out

    return u


def output_transform(u: Field, fn: Callable[[Array, Array], Array]) -> Field:
    r"""A hard constraint: the field $\tilde u(x) = g(x, u(x))$.

    Choose ``g`` so that every $\tilde u$ satisfies the condition exactly, e.g.
    for $u(x, 0) = u_0(x)$ and $u(\pm1, t) = 0$:
    $\tilde u = u_0(x) + t\,(1 - x^2)\,u(x, t)$ (with $u_0(\pm 1) = 0$).
    Derivative operators see through it.

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: p * jnp.sum(x)
      >>> v = output_transform(u, lambda x, out: x[0] * (1 - x[0]) * out)
      >>> float(v(2.0, jnp.array([1.0, 3.0])))
      0.0
    """

    def v(params: Params, x: Array) -> Array:
        return fn(x, u(params, x))

    return v


def on_points(op: Field) -> Callable[[Params, Array], Array]:
    """Evaluate a field (or an operator's result) on a batch of points ``(N, d)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> on_points(lambda p, x: p * x[0])(2.0, jnp.ones((3, 2))).tolist()
      [2.0, 2.0, 2.0]
    """
    return jax.vmap(op, in_axes=(None, 0))


# ---------------------------------------------------------------------------
# coordinates


def axis_index(axis: int | str, d: int, coords: Sequence[str] | None = None) -> int:
    """Resolve a coordinate given by index or name into an index in ``[0, d)``.

    Examples:
      >>> axis_index("t", 2, ("x", "t")), axis_index(-1, 2)
      (1, 1)
    """
    if isinstance(axis, str):
        if coords is None:
            raise errors.ValidationError(
                f"coordinate {axis!r} is a name; pass coords=(...) naming the point's axes"
            )
        if axis not in coords:
            raise errors.ValidationError(
                f"unknown coordinate axis={axis!r}: it is not one of coords={tuple(coords)}; "
                "pass one of these names or an integer index."
            )
        return list(coords).index(axis)
    i = int(axis)
    if not -d <= i < d:
        raise errors.ShapeError(f"axis {axis} is out of range for points with {d} coordinates")
    return i % d


def _check_point(x, coords: Sequence[str] | None, who: str) -> None:
    if jnp.ndim(x) != 1:
        raise errors.ShapeError(
            f"{who} works on one point of shape (d,), got shape {jnp.shape(x)}; "
            "use jax.vmap or on_points() for a batch of points"
        )
    if coords is not None and jnp.shape(x)[0] != len(coords):
        raise errors.ShapeError(
            f"{who}: the point has {jnp.shape(x)[0]} coordinates but coords={tuple(coords)} "
            f"names {len(coords)}"
        )


def _unit(i: int, x: Array) -> Array:
    return jnp.zeros_like(x).at[i].set(1.0)


# ---------------------------------------------------------------------------
# operators


def gradient(u: Field) -> Field:
    r"""The gradient $\nabla u$: shape ``(d,)`` for a scalar field, ``(*out, d)`` else.

    Forward mode (``jax.jacfwd``): one JVP per coordinate, sharing the primal.

    Examples:
      >>> import jax.numpy as jnp
      >>> g = gradient(lambda p, x: x[0] ** 2 * x[1])
      >>> g(None, jnp.array([1.0, 3.0])).tolist()
      [6.0, 1.0]
    """

    def g(params: Params, x: Array) -> Array:
        _check_point(x, None, "gradient")
        return jax.jacfwd(lambda y: u(params, y))(x)

    return g


#: The Jacobian of a vector field, ``(*out, d)`` (same as `gradient`).
jacobian = gradient


def hessian(u: Field) -> Field:
    r"""The Hessian $\partial_i\partial_j u$, shape ``(*out, d, d)`` (forward over forward).

    Examples:
      >>> import jax.numpy as jnp
      >>> h = hessian(lambda p, x: x[0] ** 2 * x[1])
      >>> h(None, jnp.array([1.0, 3.0])).tolist()
      [[6.0, 2.0], [2.0, 0.0]]
    """

    def h(params: Params, x: Array) -> Array:
        _check_point(x, None, "hessian")
        return jax.jacfwd(jax.jacfwd(lambda y: u(params, y)))(x)

    return h


def directional_derivative(u: Field, v: Array | Callable[[Array], Array]) -> Field:
    r"""The derivative along ``v``: $\nabla u \cdot v$ (one JVP). ``v`` may be a
    function of the point (e.g. a normal field).

    Examples:
      >>> import jax.numpy as jnp
      >>> du = directional_derivative(lambda p, x: x[0] * x[1], jnp.array([1.0, 1.0]))
      >>> float(du(None, jnp.array([2.0, 3.0])))
      5.0
    """

    def d(params: Params, x: Array) -> Array:
        vv = v(x) if callable(v) else jnp.asarray(v, x.dtype)
        return jax.jvp(lambda y: u(params, y), (x,), (vv,))[1]

    return d


def _pure(fun, x, i: int, order: int):
    """Value and the pure derivatives of orders 1..order along axis i."""
    e = _unit(i, x)
    if order <= 2:
        y0, y1, y2 = taylor2(fun, x, [e], None, [1 if order == 2 else 0])
        return [y0, y1[0], y2][: order + 1]
    series = [e] + [jnp.zeros_like(x)] * (order - 1)
    y0, ys = jet.jet(fun, (x,), (series,))
    return [y0, *ys]


def _nested(fun, x, axes: Sequence[int]):
    g = fun
    for i in axes:
        g = (lambda h, e: lambda y: jax.jvp(h, (y,), (e,))[1])(g, _unit(i, x))
    return g(x)


def partial(u: Field, *axes: int | str, coords: Sequence[str] | None = None) -> Field:
    r"""The partial derivative $\partial^k u / \partial x_{a_1}\cdots\partial x_{a_k}$
    of any order.

    Pure derivatives of order <= 2 use one Taylor-mode pass; higher pure orders use
    ``jax.experimental.jet``; mixed ones nested forward-mode JVPs.

    Args:
      u: the field.
      *axes: the coordinates to differentiate along, by index or name (repeat one for
        higher order: ``partial(u, "x", "x")`` is $u_{xx}$).
      coords: names of the point's coordinates, to resolve names.

    Examples:
      >>> import jax.numpy as jnp
      >>> f = lambda p, x: jnp.sin(x[0]) * x[1] ** 3
      >>> x = jnp.array([0.3, 2.0])
      >>> bool(jnp.isclose(partial(f, "y", "y", coords=("x", "y"))(None, x), 6 * jnp.sin(0.3) * 2))
      True
      >>> bool(jnp.isclose(partial(f, 0, 1)(None, x), jnp.cos(0.3) * 12))
      True
    """
    if not axes:
        return u

    def d(params: Params, x: Array) -> Array:
        _check_point(x, coords, "partial")
        idx = [axis_index(a, x.shape[0], coords) for a in axes]
        fun = lambda y: u(params, y)  # noqa: E731
        if len(set(idx)) == 1:
            return _pure(fun, x, idx[0], len(idx))[-1]
        return _nested(fun, x, idx)

    return d


def time_derivative(u: Field, axis: int | str = -1, coords: Sequence[str] | None = None) -> Field:
    r"""The time derivative $\partial u/\partial t$ (time is the last coordinate
    by default, as in `SpaceTime`).

    Examples:
      >>> import jax.numpy as jnp
      >>> float(time_derivative(lambda p, x: x[0] * x[1] ** 2)(None, jnp.array([2.0, 3.0])))
      12.0
    """
    return partial(u, axis, coords=coords)


def laplacian(
    u: Field, axes: Sequence[int | str] | None = None, coords: Sequence[str] | None = None
) -> Field:
    r"""The Laplacian $\Delta u = \sum_i \partial^2 u/\partial x_i^2$ over ``axes``
    (default: all coordinates; pass the spatial ones for a space-time point).

    One collapsed Taylor-mode pass: the value, one tangent per axis and a single
    second-order stream that carries the sum.

    Examples:
      >>> import jax.numpy as jnp
      >>> lap = laplacian(lambda p, x: x[0] ** 2 + 3 * x[1] ** 2 + x[2], axes=("x", "y"),
      ...                 coords=("x", "y", "t"))
      >>> float(lap(None, jnp.array([1.0, 2.0, 5.0])))
      8.0
    """

    def lap(params: Params, x: Array) -> Array:
        _check_point(x, coords, "laplacian")
        d = x.shape[0]
        idx = list(range(d)) if axes is None else [axis_index(a, d, coords) for a in axes]
        return taylor2(lambda y: u(params, y), x, [_unit(i, x) for i in idx])[2]

    return lap


def divergence(
    v: Field, axes: Sequence[int | str] | None = None, coords: Sequence[str] | None = None
) -> Field:
    r"""The divergence $\nabla\cdot v = \sum_i \partial v_i/\partial x_i$ of a vector
    field whose components match ``axes`` (default: all coordinates).

    Examples:
      >>> import jax.numpy as jnp
      >>> div = divergence(lambda p, x: jnp.stack([x[0] * x[1], x[1] ** 2]))
      >>> float(div(None, jnp.array([2.0, 3.0])))
      9.0
    """

    def div(params: Params, x: Array) -> Array:
        _check_point(x, coords, "divergence")
        d = x.shape[0]
        idx = list(range(d)) if axes is None else [axis_index(a, d, coords) for a in axes]
        fun = lambda y: v(params, y)  # noqa: E731
        out_shape = jax.eval_shape(fun, x).shape
        if out_shape != (len(idx),):
            raise errors.ShapeError(
                f"divergence needs a vector field with {len(idx)} components (one per axis "
                f"{idx}), got output shape {out_shape}"
            )
        _, y1, _ = taylor2(fun, x, [_unit(i, x) for i in idx], None, [0] * len(idx))
        return jnp.trace(y1)  # y1[k] = ∂v/∂x_{idx[k]}; its k-th component is ∂v_k/∂x_k

    return div


# ---------------------------------------------------------------------------
# several derivatives at once


_NAME = re.compile(r"^u(?:_([A-Za-z0-9]+))?$")


def _parse(name, coords: Sequence[str] | None, d: int) -> tuple[int, ...]:
    """'u_xt' / ('x', 't') / (0, 1) / 'u' -> tuple of axis indices."""
    if isinstance(name, str):
        m = _NAME.match(name)
        if not m:
            raise errors.ValidationError(
                f"derivative name {name!r} should look like 'u', 'u_x', 'u_xx' or 'u_xt'"
            )
        letters = m.group(1) or ""
        if not letters:
            return ()
        if coords is None:
            raise errors.ValidationError(f"{name!r} names coordinates; pass coords=(...)")
        if any(len(c) != 1 for c in coords):
            raise errors.ValidationError(
                f"{name!r}: coordinate names {tuple(coords)} are not single letters; "
                "ask for a tuple of names instead, e.g. ('x1', 'x1')"
            )
        return tuple(axis_index(c, d, coords) for c in letters)
    return tuple(axis_index(a, d, coords) for a in name)


def derivatives(
    u: Field,
    params: Params,
    x: Array,
    names: Sequence,
    coords: Sequence[str] | None = None,
) -> dict:
    r"""Several partial derivatives of ``u`` at one point, sharing the forward pass.

    ``names`` are ``"u"``, ``"u_x"``, ``"u_xx"``, ``"u_xt"`` (single-letter coordinate
    names) or tuples of coordinate names/indices (``("x", "x")``, ``(0, 1)``).

    The plan: one Taylor-mode pass per axis that needs a second derivative (the
    first of them also carries every axis needing only a first derivative), all sharing
    the primal computation (XLA merges the identical primal work); ``jet`` for pure
    derivatives of order three or more; nested JVPs for mixed ones.

    Returns:
      A dict from each requested name to its value (shaped like ``u``'s output).

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: x[0] ** 3 * x[1]
      >>> d = derivatives(u, None, jnp.array([2.0, 5.0]), ["u", "u_x", "u_xx", "u_t"], ("x", "t"))
      >>> {k: float(v) for k, v in d.items()}
      {'u': 40.0, 'u_x': 60.0, 'u_xx': 60.0, 'u_t': 8.0}
    """
    _check_point(x, coords, "derivatives")
    dim = x.shape[0]
    fun = lambda y: u(params, y)  # noqa: E731
    parsed = {n: _parse(n, coords, dim) for n in names}
    pure_order: dict[int, int] = {}
    mixed = {}
    for n, ax in parsed.items():
        if len(ax) == 0:
            continue
        if len(set(ax)) == 1:
            pure_order[ax[0]] = max(pure_order.get(ax[0], 0), len(ax))
        else:
            mixed[n] = ax
    values: dict[tuple[int, ...], Array] = {}
    second = [i for i, o in pure_order.items() if o == 2]
    first_only = [i for i, o in pure_order.items() if o == 1]
    high = [i for i, o in pure_order.items() if o > 2]
    if second or first_only:
        passes: list[int | None] = [*second] if second else [None]
        for j, i in enumerate(passes):
            dirs, wts, axes_of = [], [], []
            if i is not None:
                dirs.append(_unit(i, x))
                wts.append(1)
                axes_of.append(i)
            if j == 0:
                for k in first_only:
                    dirs.append(_unit(k, x))
                    wts.append(0)
                    axes_of.append(k)
            y0, y1, y2 = taylor2(fun, x, dirs, None, wts)
            values[()] = y0
            for k, a in enumerate(axes_of):
                values[(a,)] = y1[k]
            if i is not None:
                values[(i, i)] = y2
    for i in high:
        for k, v in enumerate(_pure(fun, x, i, pure_order[i])):
            values[(i,) * k] = v
    if () not in values:
        values[()] = fun(x)
    out = {}
    for n, ax in parsed.items():
        if n in mixed:
            out[n] = _nested(fun, x, ax)
        else:
            out[n] = values[ax]
    return out
