r"""Second-order Taylor mode: value, directional first derivatives and a *collapsed*
second-order term of any JAX function, in one forward pass.

For a path $x(s) = x_0 + s\,v + \tfrac{s^2}{2} w$ through a function ``f``,

$$
\frac{d}{ds} f\big|_0 = J_f v, \qquad
\frac{d^2}{ds^2} f\big|_0 = v^\top H_f v + J_f w
$$

`taylor2` propagates the triple (value, first, second) through ``f``'s jaxpr
primitive by primitive, with ``K`` first-order directions sharing the value and one
*collapsed* second-order stream that carries the weighted sum

$$
\sum_k c_k\, v_k^\top H_f v_k + J_f w
$$

(the "collapsed Taylor mode" of Dangel et al., 2025). Because the second-order rule
of every primitive is linear in that sum, the K second-order streams never need to
exist separately: a Laplacian, a heat operator $u_t - \kappa\Delta u$ or the
Burgers operator $u_t - \nu u_{xx}$ costs one primal pass plus K + 1 tangent
streams. Elementwise non-linearities reuse their value (``tanh' = 1 - tanh^2``), so
for ``tanh`` networks this is cheaper than ``jax.experimental.jet`` (which routes
``tanh`` through ``logistic``) and than nested ``jax.jvp`` (which carries a duplicate
first-order stream).

Primitives without a hand-written rule use a generic rule built from ``jax.jvp`` of
that primitive, so every differentiable JAX function is supported; calls (``jit``,
``custom_jvp``, ``custom_vjp``, ``remat``) are entered and interpreted recursively.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core as jcore

from jaxfound import errors

__all__ = ["taylor2"]

# ---------------------------------------------------------------------------
# stream containers: a value is (primal, first: list[K] | None, second | None)


def _is_float(x) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def _zero_weight(c) -> bool:
    return isinstance(c, (int, float)) and c == 0


def _one_weight(c) -> bool:
    return isinstance(c, (int, float)) and c == 1


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _scale(c, a):
    return a if _one_weight(c) else c * a


def _weighted_square_sum(first: list, weights: Sequence, f=None) -> Any:
    """Σ_k c_k f(a1_k, a1_k) over directions with a non-zero weight (None when empty)."""
    out = None
    for a, c in zip(first, weights):
        if _zero_weight(c) or a is None:
            continue
        term = a * a if f is None else f(a, a)
        out = _add(out, _scale(c, term))
    return out


# ---------------------------------------------------------------------------
# rules


_LINEAR = {
    "neg", "reduce_sum", "broadcast_in_dim", "reshape", "squeeze", "expand_dims",
    "transpose", "slice", "dynamic_slice", "dynamic_update_slice", "concatenate",
    "pad", "gather", "select_n", "convert_element_type", "copy", "copy_p", "rev",
    "reduce_precision", "cumsum", "real", "imag", "conj", "scatter-add", "scatter_add",
    "complex", "reduce_window_sum", "symbolic_zeros", "mul_add",
}  # fmt: skip
_ADDITIVE = {"add", "add_any", "sub"}
_BILINEAR = {"mul", "dot_general", "conv_general_dilated"}
_ZERO_DERIVATIVE = {
    "sign", "floor", "ceil", "round", "stop_gradient", "is_finite", "nextafter",
    "argmax", "argmin", "iota", "random_bits", "random_seed", "random_wrap", "random_unwrap",
}  # fmt: skip
_CALLS = {
    "jit",
    "pjit",
    "closed_call",
    "core_call",
    "remat",
    "remat2",
    "checkpoint",
    "custom_jvp_call",
    "custom_vjp_call",
    "custom_vjp_call_jaxpr",
    "custom_lin",
}


def _unary_derivatives(name: str, x, y, params) -> tuple | None:
    """(f'(x), f''(x)) for elementwise primitives, reusing the value ``y = f(x)``."""
    if name == "tanh":
        s = 1 - y * y
        return s, -2 * y * s
    if name == "logistic":
        d = y * (1 - y)
        return d, d * (1 - 2 * y)
    if name == "exp":
        return y, y
    if name == "expm1":
        e = y + 1
        return e, e
    if name == "sin":
        return jnp.cos(x), -y
    if name == "cos":
        return -jnp.sin(x), -y
    if name == "log":
        r = 1 / x
        return r, -r * r
    if name == "log1p":
        r = 1 / (1 + x)
        return r, -r * r
    if name == "sqrt":
        d = 0.5 / y
        return d, -0.5 * d / x
    if name == "rsqrt":
        d = -0.5 * y / x
        return d, 0.75 * y / (x * x)
    if name == "square":
        return 2 * x, jnp.full_like(x, 2)
    if name == "integer_pow":
        n = params["y"]
        if n == 0:
            return jnp.zeros_like(x), jnp.zeros_like(x)
        if n == 1:
            return jnp.ones_like(x), jnp.zeros_like(x)
        if n == 2:
            return 2 * x, jnp.full_like(x, 2)
        return n * lax.integer_pow(x, n - 1), (n * (n - 1)) * lax.integer_pow(x, n - 2)
    if name == "sinh":
        return jnp.cosh(x), y
    if name == "cosh":
        return jnp.sinh(x), y
    if name == "erf":
        d = (2 / math.sqrt(math.pi)) * jnp.exp(-x * x)
        return d, -2 * x * d
    if name == "atan":
        d = 1 / (1 + x * x)
        return d, -2 * x * d * d
    if name == "abs":
        return jnp.sign(x), jnp.zeros_like(x)
    return None


def _bind(eqn, subfuns, bind_params, args):
    out = eqn.primitive.bind(*subfuns, *args, **bind_params)
    return out if eqn.primitive.multiple_results else [out]


def _generic_rule(eqn, subfuns, bind_params, primals, first, second, weights, K):
    """Rule for any primitive with a JVP: first and second directional derivatives by jvp."""
    diff = [
        i
        for i, x in enumerate(primals)
        if _is_float(x) and (first[i] is not None or second[i] is not None)
    ]

    def f(*dargs):
        args = list(primals)
        for i, a in zip(diff, dargs):
            args[i] = a
        return tuple(_bind(eqn, subfuns, bind_params, args))

    dprimals = tuple(primals[i] for i in diff)
    outs = list(f(*dprimals))
    float_out = [_is_float(o) for o in outs]

    def tangent(stream_of):
        return tuple(
            stream_of(i) if stream_of(i) is not None else jnp.zeros_like(primals[i]) for i in diff
        )

    out_first = [[None] * K for _ in outs]
    out_second = [None] * len(outs)
    for k in range(K):
        if all(first[i] is None or first[i][k] is None for i in diff):
            continue
        t = tangent(lambda i, k=k: None if first[i] is None else first[i][k])
        _, y1 = jax.jvp(f, dprimals, t)
        for j, v in enumerate(y1):
            if float_out[j]:
                out_first[j][k] = v
        c = weights[k]
        if not _zero_weight(c):
            _, y2 = jax.jvp(lambda *p, t=t: jax.jvp(f, p, t)[1], dprimals, t)
            for j, v in enumerate(y2):
                if float_out[j]:
                    out_second[j] = _add(out_second[j], _scale(c, v))
    if any(second[i] is not None for i in diff):
        t = tangent(lambda i: second[i])
        _, y2 = jax.jvp(f, dprimals, t)
        for j, v in enumerate(y2):
            if float_out[j]:
                out_second[j] = _add(out_second[j], v)
    result: list[tuple[Any, Any, Any]] = []
    for j, o in enumerate(outs):
        if not float_out[j]:
            result.append((o, None, None))
            continue
        fj = out_first[j] if any(v is not None for v in out_first[j]) else None
        result.append((o, fj, out_second[j]))
    return result


def _bind_params(eqn):
    """``(subfuns, params)`` to re-bind ``eqn`` (older JAX returned both, newer only params)."""
    got = eqn.primitive.get_bind_params(eqn.params)
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], dict):
        return got
    return [], got


def _sub_jaxpr(eqn):
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        if key in eqn.params:
            j = eqn.params[key]
            if isinstance(j, jcore.ClosedJaxpr):
                return j.jaxpr, j.consts
            if isinstance(j, jcore.Jaxpr):
                return j, ()
    return None


def _eval(jaxpr, consts, args, weights, K):
    """Interpret ``jaxpr`` on (primal, first, second) triples."""
    env: dict = {}

    def read(v):
        if isinstance(v, jcore.Literal):
            return (v.val, None, None)
        return env[v]

    for v, c in zip(jaxpr.constvars, consts):
        env[v] = (c, None, None)
    for v, a in zip(jaxpr.invars, args):
        env[v] = a

    for eqn in jaxpr.eqns:
        ins = [read(v) for v in eqn.invars]
        primals = [t[0] for t in ins]
        first = [t[1] for t in ins]
        second = [t[2] for t in ins]
        name = eqn.primitive.name
        subfuns, bind_params = _bind_params(eqn)
        has_series = any(f is not None for f in first) or any(s is not None for s in second)

        float_out = any(
            jnp.issubdtype(v.aval.dtype, jnp.inexact) for v in eqn.outvars if hasattr(v, "aval")
        )
        if not has_series or not float_out or name in _ZERO_DERIVATIVE:
            outs = [(o, None, None) for o in _bind(eqn, subfuns, bind_params, primals)]
        elif name in _CALLS and _sub_jaxpr(eqn) is not None:
            sub, sub_consts = _sub_jaxpr(eqn)
            outs = _eval(sub, sub_consts, ins, weights, K)
        else:
            outs = _rule(eqn, name, subfuns, bind_params, primals, first, second, weights, K)

        for v, o in zip(eqn.outvars, outs):
            if isinstance(v, jcore.DropVar):
                continue
            p, f, s = o
            if not _is_float(p):
                f, s = None, None
            env[v] = (p, f, s)
    return [read(v) for v in jaxpr.outvars]


def _streams(first: list) -> list | None:
    """The K first-order streams, or ``None`` when all of them are zero (``None``)."""
    return first if any(v is not None for v in first) else None


def _first_k(first, i, k):
    return None if first[i] is None else first[i][k]


def _rule(eqn, name, subfuns, bind_params, primals, first, second, weights, K):
    bind = lambda args: _bind(eqn, subfuns, bind_params, args)[0]  # noqa: E731

    if name in _ADDITIVE:
        y = bind(primals)
        shape, dtype = jnp.shape(y), jnp.result_type(y)
        sign = -1 if name == "sub" else 1

        def combine(a, b):
            if a is None and b is None:
                return None
            if b is None:
                r = a
            elif a is None:
                r = b if sign == 1 else -b
            else:
                r = a + b if sign == 1 else a - b
            return jnp.broadcast_to(r, shape).astype(dtype)

        streams = [combine(_first_k(first, 0, k), _first_k(first, 1, k)) for k in range(K)]
        return [(y, _streams(streams), combine(second[0], second[1]))]

    if name in _LINEAR:
        y = bind(primals)

        def apply(stream):
            if all(s is None for i, s in enumerate(stream) if _is_float(primals[i])):
                return None
            args = [
                (s if s is not None else jnp.zeros_like(primals[i]))
                if _is_float(primals[i])
                else primals[i]
                for i, s in enumerate(stream)
            ]
            if name == "select_n":  # the predicate is never differentiated
                args[0] = primals[0]
            return bind(args)

        streams = [apply([_first_k(first, i, k) for i in range(len(primals))]) for k in range(K)]
        return [(y, _streams(streams), apply(second))]

    if name in _BILINEAR:
        a0, b0 = primals
        y = bind(primals)

        def p(a, b):
            return bind([a, b])

        streams = []
        for k in range(K):
            a1, b1 = _first_k(first, 0, k), _first_k(first, 1, k)
            t = None
            if a1 is not None:
                t = p(a1, b0)
            if b1 is not None:
                t = _add(t, p(a0, b1))
            streams.append(t)
        s = None
        if second[0] is not None:
            s = p(second[0], b0)
        if second[1] is not None:
            s = _add(s, p(a0, second[1]))
        for k in range(K):
            a1, b1 = _first_k(first, 0, k), _first_k(first, 1, k)
            c = weights[k]
            if a1 is None or b1 is None or _zero_weight(c):
                continue
            s = _add(s, _scale(2 * c, p(a1, b1)))
        return [(y, _streams(streams), s)]

    if name == "div" and first[1] is None and second[1] is None:
        b0 = primals[1]
        y = bind(primals)
        f1 = None if first[0] is None else [None if a is None else bind([a, b0]) for a in first[0]]
        s = None if second[0] is None else bind([second[0], b0])
        return [(y, f1, s)]

    if len(primals) == 1 and not eqn.primitive.multiple_results:
        x = primals[0]
        y = bind(primals)
        d = _unary_derivatives(name, x, y, eqn.params)
        if d is not None:
            d1, d2 = d
            f1 = None if first[0] is None else [None if a is None else d1 * a for a in first[0]]
            s = None if second[0] is None else d1 * second[0]
            if first[0] is not None:
                q = _weighted_square_sum(first[0], weights)
                if q is not None:
                    s = _add(s, d2 * q)
            return [(y, f1, s)]

    return _generic_rule(eqn, subfuns, bind_params, primals, first, second, weights, K)


# ---------------------------------------------------------------------------
# public entry point


def taylor2(
    fun: Callable,
    x: Any,
    directions: Any,
    w: Any = None,
    weights: Sequence | Any | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    r"""Value, first derivatives along ``K`` directions and a collapsed second-order term.

    $$
    y_0 = f(x),\quad y_1^{(k)} = J_f(x)\,v_k,\quad
    y_2 = \sum_k c_k\, v_k^\top H_f(x)\, v_k + J_f(x)\, w
    $$

    all in one forward pass through ``f`` (see the module docstring).

    Args:
      fun: ``f(x) -> array`` (any output shape), any differentiable JAX function.
      x: the point, an array of any shape.
      directions: ``(K, *x.shape)`` first-order directions $v_k$ (or a sequence
        of ``K`` arrays shaped like ``x``). They may depend on ``x`` and be traced.
      w: the second-order input $w$ (shape of ``x``) or ``None`` for zero; it folds
        a first-order term into ``y_2`` (``w = -e_t/\nu`` gives
        $u_{xx} - u_t/\nu$ along ``v = e_x``).
      weights: ``K`` weights $c_k$ (default all 1). A Python ``0`` marks a
        first-order-only direction: it gets $y_1^{(k)}$ but adds nothing to
        $y_2$. Negative weights give operators such as
        $u_{tt} - c^2 u_{xx}$.

    Returns:
      ``(y0, y1, y2)`` with ``y1`` of shape ``(K, *y0.shape)``.

    Raises:
      ShapeError: ``weights`` does not hold one weight per direction.
      ValidationError: ``fun`` returns more than one array.

    Examples:
      >>> import jax.numpy as jnp
      >>> f = lambda x: jnp.sin(x[0]) * x[1] ** 2
      >>> y0, y1, y2 = taylor2(f, jnp.array([0.5, 2.0]), jnp.eye(2))   # Laplacian in y2
      >>> bool(jnp.allclose(y2, -jnp.sin(0.5) * 4 + 2 * jnp.sin(0.5)))
      True
    """
    x = jnp.asarray(x)
    if isinstance(directions, (list, tuple)):
        dirs = [jnp.asarray(d, x.dtype) for d in directions]
    else:
        directions = jnp.asarray(directions, x.dtype)
        dirs = [directions[k] for k in range(directions.shape[0])]
    K = len(dirs)
    if weights is None:
        weights = [1] * K
    elif not isinstance(weights, (list, tuple)):
        weights = [weights[k] for k in range(K)]
    if len(weights) != K:
        raise errors.ShapeError(
            f"taylor2 got {len(weights)} weights for {K} directions; pass one weight per "
            "direction (or weights=None for all ones)."
        )
    closed = jax.make_jaxpr(fun)(x)
    if len(closed.jaxpr.outvars) != 1:
        raise errors.ValidationError(
            f"taylor2 expects fun to return one array, got {len(closed.jaxpr.outvars)} "
            "outputs; stack them into one array first (e.g. jnp.stack or "
            "jax.flatten_util.ravel_pytree)."
        )
    w = None if w is None else jnp.asarray(w, x.dtype)
    (out,) = _eval(closed.jaxpr, closed.consts, [(x, dirs, w)], list(weights), K)
    (y0, y1, y2) = out
    zeros = jnp.zeros_like(y0)
    y1 = (
        jnp.stack([zeros if v is None else v for v in y1])
        if y1 is not None
        else jnp.zeros((K, *jnp.shape(y0)), jnp.result_type(y0))
    )
    y2 = zeros if y2 is None else y2
    return y0, y1, y2


_ = np  # numpy kept for doctest namespaces
