r"""PDE residuals: a small library and a decorator to write new ones in a few lines.

A `PDE` is a pure function ``residual(u, params, x)`` of a field, the
parameters and one point, plus the names of the point's coordinates. The residual
is zero where the field solves the equation; `jaxfound.physics.residual`
turns it into a loss term over collocation points.

Coefficients are numbers, functions of the point (``lambda x: ...``) or
`Trainable` parameters read from ``params`` (inverse problems: recover
Burgers' $\nu$ from data).

The library residuals evaluate exactly the derivatives their equation needs in one
collapsed Taylor-mode pass (`taylor2`): e.g. Burgers runs a
single pass along $e_x$ whose second-order input $-e_t/\nu$ folds
$u_t$ into the second-order stream, giving $u, u_x$ and
$u_{xx} - u_t/\nu$ at once.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.physics._operators import Field, _parse, derivatives
from jaxfound.physics._taylor import taylor2
from jaxfound.typing import Array, Params

__all__ = [
    "PDE",
    "Trainable",
    "trainable",
    "coefficient",
    "pde",
    "burgers",
    "poisson",
    "heat",
    "wave",
    "allen_cahn",
    "helmholtz",
    "black_scholes",
    "damped_oscillator",
]


# ---------------------------------------------------------------------------
# coefficients


class Trainable(NamedTuple):
    """A PDE coefficient read from ``params[name]`` (optionally through ``transform``).

    Use ``transform=jnp.exp`` with a log-parametrised value to keep it positive.

    Examples:
      >>> import jax.numpy as jnp
      >>> nu = Trainable("log_nu", jnp.exp)
      >>> float(nu({"log_nu": jnp.log(0.5)}))
      0.5
    """

    name: str
    transform: Callable[[Array], Array] | None = None

    def __call__(self, params: Params) -> Array:
        try:
            v = params[self.name]
        except (KeyError, TypeError, IndexError) as e:
            raise errors.ValidationError(
                f"trainable coefficient {self.name!r} is not in params; build params as a "
                f"dict with a {self.name!r} entry, e.g. {{'net': net_params, "
                f"{self.name!r}: jnp.array(0.1)}}"
            ) from e
        return v if self.transform is None else self.transform(v)


def trainable(name: str, transform: Callable[[Array], Array] | None = None) -> Trainable:
    """Shorthand for `Trainable` ``(name, transform)``."""
    return Trainable(name, transform)


def coefficient(c, params: Params, x: Array | None = None):
    """Resolve a coefficient: a `Trainable` reads ``params``, a callable gets the
    point ``x``, anything else is returned as is.

    Examples:
      >>> import jax.numpy as jnp
      >>> coefficient(lambda x: 2 * x[0], None, jnp.array([3.0]))
      Array(6., dtype=float32)
    """
    if isinstance(c, Trainable):
        return c(params)
    if callable(c):
        return c(x)
    return c


def check_coefficients(**coefficients) -> None:
    """Each coefficient must be a number, a numeric array, a callable or a `Trainable`.

    Raises:
      ValidationError: naming the coefficient, e.g. ``nu="viscous"``.

    Examples:
      >>> check_coefficients(nu=0.01, source=lambda x: x[0])
    """
    for name, c in coefficients.items():
        if isinstance(c, Trainable) or callable(c):
            continue
        dtype = getattr(c, "dtype", None)  # arrays and tracers
        if dtype is None and not isinstance(c, (str, bytes, bool)) and c is not None:
            try:
                dtype = np.asarray(c).dtype
            except Exception:  # noqa: BLE001 - anything NumPy cannot make an array of
                dtype = None
        if dtype is None or np.dtype(dtype).kind not in "iufc":
            raise errors.ValidationError(
                f"{name}={c!r} is not a coefficient: pass a number, a numeric array, a "
                f"function of the point x, or jaxfound.physics.trainable('{name}')."
            )


def _is_zero(c) -> bool:
    return isinstance(c, (int, float)) and c == 0


# ---------------------------------------------------------------------------
# the PDE type


class PDE(NamedTuple):
    """A residual ``residual(u, params, x) -> r`` at one point, and the point's coordinates.

    Calling the PDE checks that the point has ``len(coords)`` coordinates (a
    `ShapeError` otherwise) and returns the residual.

    Attributes:
      residual: ``(u, params, x) -> residual`` for one point ``x`` of shape ``(d,)``.
      coords: the names of the point's coordinates, e.g. ``("x", "t")``.
      name: a label for reports.
    """

    residual: Callable[[Field, Params, Array], Array]
    coords: tuple[str, ...]
    name: str = "pde"

    def __call__(self, u: Field, params: Params, x: Array) -> Array:
        if jnp.ndim(x) != 1 or jnp.shape(x)[0] != len(self.coords):
            raise errors.ShapeError(
                f"the {self.name} PDE has coordinates {self.coords} ({len(self.coords)} per "
                f"point) but got a point of shape {jnp.shape(x)}; points must be (N, "
                f"{len(self.coords)}) arrays whose columns are {self.coords}"
            )
        return self.residual(u, params, x)


def _scalar(u: Field, params: Params, x: Array, who: str) -> None:
    shape = jax.eval_shape(lambda p, y: u(p, y), params, x).shape
    if shape != ():
        raise errors.ShapeError(
            f"{who} needs a scalar field u(params, x) -> (), got output shape {shape}; use "
            "jaxfound.physics.field(net) (it squeezes a single output) or pick a component"
        )


def _units(x, idx):
    return [jnp.zeros_like(x).at[i].set(1.0) for i in idx]


def _axes(coords: Sequence[str], time: str | None):
    coords = tuple(coords)
    if time is not None and time not in coords:
        raise errors.ValidationError(f"time coordinate {time!r} is not in coords {coords}")
    space = [i for i, c in enumerate(coords) if c != time]
    return coords, space, (coords.index(time) if time is not None else None)


# ---------------------------------------------------------------------------
# library


def burgers(
    nu: Any, coords: Sequence[str] = ("x", "t"), *, time: str = "t", collapse: bool = True
) -> PDE:
    r"""Viscous Burgers' equation in 1-D: $u_t + u u_x - \nu u_{xx} = 0$.

    With ``collapse`` (the default, $\nu \ne 0$), one Taylor pass along
    $e_x$ with second-order input $-e_t/\nu$ gives $u, u_x$ and
    $s = u_{xx} - u_t/\nu$, so the residual is $u u_x - \nu s$.

    Args:
      nu: viscosity: a number, a function of the point or a `Trainable`.
      coords: names of the (space, time) coordinates, in the points' column order.
      time: which of them is time.
      collapse: fold $u_t$ into the second-order stream (else one more stream).

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: -jnp.tanh(x[0] / (2 * 0.1))  # a steady viscous shock, nu = 0.1
      >>> r = burgers(0.1)(u, None, jnp.array([0.3, 0.5]))
      >>> bool(jnp.abs(r) < 1e-5)
      True
    """
    coords, _, it = _axes(coords, time)
    if len(coords) != 2:
        raise errors.ValidationError(
            f"burgers is 1-D in space: coords must be (x, t), got {coords}"
        )
    ix = 1 - it

    check_coefficients(nu=nu)
    def residual(u, params, x):
        _scalar(u, params, x, "burgers")
        f = lambda y: u(params, y)  # noqa: E731
        v = coefficient(nu, params, x)
        ex, et = _units(x, [ix, it])
        if collapse and not _is_zero(v):
            u0, u1, s = taylor2(f, x, [ex], -et / v)
            return u0 * u1[0] - v * s
        u0, u1, s = taylor2(f, x, [ex, et], None, [1, 0])
        return u1[1] + u0 * u1[0] - v * s

    return PDE(residual, coords, "burgers")


def poisson(source=0.0, coords: Sequence[str] = ("x", "y")) -> PDE:
    r"""Poisson's equation $-\Delta u = f$ (residual $-\Delta u - f$).

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: x[0] ** 2 + x[1] ** 2      # -Δu = -4
      >>> float(poisson(-4.0)(u, None, jnp.array([0.2, 0.3])))
      0.0
    """
    coords = tuple(coords)

    check_coefficients(source=source)
    def residual(u, params, x):
        _scalar(u, params, x, "poisson")
        lap = taylor2(lambda y: u(params, y), x, _units(x, range(len(coords))))[2]
        return -lap - coefficient(source, params, x)

    return PDE(residual, coords, "poisson")


def heat(kappa, coords: Sequence[str] = ("x", "t"), source=0.0, time: str = "t") -> PDE:
    r"""The heat / diffusion equation $u_t - \kappa \Delta u = f$.

    One collapsed pass: spatial directions and second-order input $-e_t/\kappa$
    give $s = \Delta u - u_t/\kappa$; the residual is $-\kappa s - f$.

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: jnp.exp(-0.5 * jnp.pi**2 * x[1]) * jnp.sin(jnp.pi * x[0])
      >>> bool(jnp.abs(heat(0.5)(u, None, jnp.array([0.3, 0.2]))) < 1e-5)
      True
    """
    coords, space, it = _axes(coords, time)

    check_coefficients(kappa=kappa, source=source)
    def residual(u, params, x):
        _scalar(u, params, x, "heat")
        k = coefficient(kappa, params, x)
        f = lambda y: u(params, y)  # noqa: E731
        et = _units(x, [it])[0]
        if _is_zero(k):
            return taylor2(f, x, [et], None, [0])[1][0] - coefficient(source, params, x)
        s = taylor2(f, x, _units(x, space), -et / k)[2]
        return -k * s - coefficient(source, params, x)

    return PDE(residual, coords, "heat")


def wave(c, coords: Sequence[str] = ("x", "t"), source=0.0, time: str = "t") -> PDE:
    r"""The wave equation $u_{tt} - c^2 \Delta u = f$, in one pass with weights
    $(1, -c^2, \dots)$ on the directions $(e_t, e_{x_1}, \dots)$.

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: jnp.sin(jnp.pi * x[0]) * jnp.cos(2 * jnp.pi * x[1])   # c = 2
      >>> bool(jnp.abs(wave(2.0)(u, None, jnp.array([0.3, 0.2]))) < 1e-4)
      True
    """
    coords, space, it = _axes(coords, time)

    check_coefficients(c=c, source=source)
    def residual(u, params, x):
        _scalar(u, params, x, "wave")
        cc = coefficient(c, params, x)
        dirs = _units(x, [it, *space])
        weights = [1] + [-(cc**2)] * len(space)
        s = taylor2(lambda y: u(params, y), x, dirs, None, weights)[2]
        return s - coefficient(source, params, x)

    return PDE(residual, coords, "wave")


def allen_cahn(
    diffusion=1e-3, reaction=5.0, coords: Sequence[str] = ("x", "t"), time: str = "t"
) -> PDE:
    r"""Allen–Cahn: $u_t - d\,\Delta u - \rho\,(u - u^3) = 0$ (DeepXDE's example has
    $d = 10^{-3}$, $\rho = 5$).

    Examples:
      >>> import jax.numpy as jnp
      >>> abs(float(allen_cahn()(lambda p, x: jnp.ones(()), None, jnp.array([0.1, 0.2]))))
      0.0
    """
    coords, space, it = _axes(coords, time)

    check_coefficients(diffusion=diffusion, reaction=reaction)
    def residual(u, params, x):
        _scalar(u, params, x, "allen_cahn")
        dd = coefficient(diffusion, params, x)
        rho = coefficient(reaction, params, x)
        et = _units(x, [it])[0]
        u0, _, s = taylor2(lambda y: u(params, y), x, _units(x, space), -et / dd)
        return -dd * s - rho * (u0 - u0**3)

    return PDE(residual, coords, "allen_cahn")


def helmholtz(k, source=0.0, coords: Sequence[str] = ("x", "y")) -> PDE:
    r"""Helmholtz: $\Delta u + k^2 u = f$.

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, x: jnp.sin(3.0 * x[0]) * jnp.sin(4.0 * x[1])   # k = 5
      >>> bool(jnp.abs(helmholtz(5.0)(u, None, jnp.array([0.3, 0.2]))) < 1e-4)
      True
    """
    coords = tuple(coords)

    check_coefficients(k=k, source=source)
    def residual(u, params, x):
        _scalar(u, params, x, "helmholtz")
        kk = coefficient(k, params, x)
        u0, _, lap = taylor2(lambda y: u(params, y), x, _units(x, range(len(coords))))
        return lap + kk**2 * u0 - coefficient(source, params, x)

    return PDE(residual, coords, "helmholtz")


def black_scholes(sigma, rate, dividend=0.0, coords: Sequence[str] = ("S", "t")) -> PDE:
    r"""Black–Scholes for an option price $V(S, t)$ in calendar time $t$:

    $$
    V_t + \tfrac12\sigma^2 S^2 V_{SS} + (r - q) S V_S - r V = 0
    $$

    One pass along $\sigma S e_S$ with second-order input
    $2((r-q) S e_S + e_t)$ gives $\sigma^2S^2V_{SS} + 2(r-q)SV_S + 2V_t$.
    The terminal payoff $V(S, T)$ is a condition on the points with $t = T$.

    Examples:
      >>> import jax.numpy as jnp
      >>> V = lambda p, x: x[0]       # holding the stock, no dividend: V = S solves it
      >>> float(black_scholes(0.2, 0.05)(V, None, jnp.array([1.0, 0.5])))
      0.0
    """
    coords = tuple(coords)
    if len(coords) != 2:
        raise errors.ValidationError(f"black_scholes needs coords (S, t), got {coords}")

    check_coefficients(sigma=sigma, rate=rate, dividend=dividend)
    def residual(u, params, x):
        _scalar(u, params, x, "black_scholes")
        sg = coefficient(sigma, params, x)
        r = coefficient(rate, params, x)
        q = coefficient(dividend, params, x)
        s = x[0]
        es, et = _units(x, [0, 1])
        v0, _, y2 = taylor2(lambda y: u(params, y), x, [sg * s * es], 2 * ((r - q) * s * es + et))
        return 0.5 * y2 - r * v0

    return PDE(residual, coords, "black_scholes")


def damped_oscillator(
    damping, stiffness, mass=1.0, force=0.0, coords: Sequence[str] = ("t",)
) -> PDE:
    r"""The damped harmonic oscillator ODE $m u'' + c u' + k u = F(t)$.

    One pass along $e_t$ with weight $m$ and second-order input
    $c\,e_t$ gives $m u'' + c u'$.

    Examples:
      >>> import jax.numpy as jnp
      >>> u = lambda p, t: jnp.exp(-t[0]) * jnp.cos(2 * t[0])   # c = 2, k = 5
      >>> bool(jnp.abs(damped_oscillator(2.0, 5.0)(u, None, jnp.array([0.7]))) < 1e-5)
      True
    """
    coords = tuple(coords)
    if len(coords) != 1:
        raise errors.ValidationError(
            f"damped_oscillator is an ODE in time: coords=('t',), got {coords}"
        )

    check_coefficients(mass=mass, damping=damping, stiffness=stiffness, force=force)
    def residual(u, params, x):
        _scalar(u, params, x, "damped_oscillator")
        m = coefficient(mass, params, x)
        c = coefficient(damping, params, x)
        k = coefficient(stiffness, params, x)
        et = jnp.ones_like(x)
        u0, _, y2 = taylor2(lambda y: u(params, y), x, [et], c * et, [m])
        return y2 + k * u0 - coefficient(force, params, x)

    return PDE(residual, coords, "damped_oscillator")


# ---------------------------------------------------------------------------
# user-defined PDEs


class Derivatives(Mapping):
    """Read-only mapping of derivative values; keys ``"u_xx"`` or ``("x", "x")`` alike."""

    def __init__(self, values: dict, coords: tuple[str, ...], dim: int, recorder=None):
        self._values, self._coords, self._dim, self._rec = values, coords, dim, recorder

    def _key(self, name):
        return _parse(name, self._coords, self._dim)

    def __getitem__(self, name):
        key = self._key(name)
        if self._rec is not None:
            self._rec.append(key)
            return self._values
        return self._values[key]

    def __iter__(self):
        return iter(self._values if self._rec is None else ())

    def __len__(self):
        return 0 if self._rec is not None else len(self._values)


def _call(fn: Callable, nargs: int, d, x, params):
    return fn(*(d, x, params)[:nargs])


def pde(
    fn: Callable | None = None,
    *,
    coords: Sequence[str],
    needs: Sequence | None = None,
    name: str | None = None,
):
    r"""Write a PDE as a function of its derivatives; they are computed for you.

    ``fn(d)``, ``fn(d, x)`` or ``fn(d, x, params)`` returns the residual at one point,
    reading derivatives from ``d`` by name (``d["u"]``, ``d["u_t"]``, ``d["u_xx"]``,
    ``d["u_xy"]``, or ``d[("x", "x")]``). The derivatives it asks for are found on a
    first, shape-only call (or listed in ``needs``) and then computed together by
    `derivatives`, sharing one forward pass.

    Example (Korteweg–de Vries, $u_t + 6uu_x + u_{xxx} = 0$):
      >>> import jax.numpy as jnp
      >>> @pde(coords=("x", "t"))
      ... def kdv(d):
      ...     return d["u_t"] + 6 * d["u"] * d["u_x"] + d["u_xxx"]
      >>> soliton = lambda p, x: 0.5 / jnp.cosh(0.5 * (x[0] - x[1])) ** 2   # speed 1
      >>> bool(jnp.abs(kdv(soliton, None, jnp.array([0.3, 0.1]))) < 1e-5)
      True
    """

    if isinstance(coords, str) or not coords or not all(isinstance(c, str) for c in coords):
        raise errors.ValidationError(
            f"coords={coords!r} must name the point's coordinates in column order, e.g. "
            'coords=("x", "t").'
        )

    def wrap(fn):
        coords_t = tuple(coords)
        nargs = len(inspect.signature(fn).parameters)

        def residual(u, params, x):
            want = list(needs) if needs is not None else None
            if want is None:
                rec: list = []
                out = jax.eval_shape(lambda p, y: u(p, y), params, x)
                zero = jnp.zeros(out.shape, out.dtype)
                jax.eval_shape(
                    lambda p, y: _call(
                        fn, nargs, Derivatives(zero, coords_t, len(coords_t), rec), y, p
                    ),
                    params,
                    x,
                )
                want = list(dict.fromkeys(rec))
            vals = derivatives(u, params, x, want, coords_t)
            by_axes = {_parse(k, coords_t, len(coords_t)): v for k, v in vals.items()}
            return _call(fn, nargs, Derivatives(by_axes, coords_t, len(coords_t)), x, params)

        return PDE(residual, coords_t, name or getattr(fn, "__name__", "pde"))

    return wrap if fn is None else wrap(fn)
