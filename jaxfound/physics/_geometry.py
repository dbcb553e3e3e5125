r"""Geometries: where collocation points live, how the boundary is sampled, which way
it faces.

Each geometry names its coordinates (``coords``), tells whether points lie inside
(`Geometry.contains`) or on the boundary (`Geometry.on_boundary`), gives
outward unit normals (`Geometry.boundary_normal`) and samples its interior and
boundary with any unit-cube sampler of `jaxfound.physics` (``"uniform"``,
``"grid"``, ``"lhs"``, ``"halton"``, ``"sobol"``). Sampling is written in
``jax.numpy`` with static shapes, so it also runs inside a jitted training loop.

Available: `Interval`, `TimeInterval`, `Box`, `Rectangle`,
`Disk`, `Polygon` (any simple polygon, e.g. an L shape) and the
space-time product `SpaceTime`.
"""

from __future__ import annotations

import math
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.physics._samplers import sample_unit

__all__ = [
    "Geometry",
    "Interval",
    "TimeInterval",
    "Box",
    "Rectangle",
    "Disk",
    "Polygon",
    "SpaceTime",
]


def _default_coords(d: int) -> tuple[str, ...]:
    return ("x", "y", "z")[:d] if d <= 3 else tuple(f"x{i}" for i in range(d))


def _split(key, n=2):
    return [None] * n if key is None else list(jax.random.split(key, n))


class Geometry:
    """Base class. Subclasses set ``coords``, ``lo``, ``hi`` (bounding box) and the
    ``_interior_from_unit`` / ``_boundary_from_unit`` maps (or override the samplers).
    """

    coords: tuple[str, ...]
    lo: np.ndarray
    hi: np.ndarray
    interior_param_dim: int
    boundary_param_dim: int

    @property
    def dim(self) -> int:
        """Number of coordinates of a point."""
        return len(self.coords)

    def _tol(self, tol: float) -> float:
        return float(tol) * max(1.0, float(np.max(self.hi - self.lo)))

    # -- membership ---------------------------------------------------------
    def contains(self, points, tol: float = 1e-6):
        """Boolean mask: which points lie in the closed geometry (boundary included)."""
        raise NotImplementedError

    def on_boundary(self, points, tol: float = 1e-6):
        """Boolean mask: which points lie on the boundary (within ``tol``)."""
        raise NotImplementedError

    def boundary_normal(self, points):
        """Outward unit normals, ``(N, dim)``, at boundary points."""
        raise NotImplementedError

    # -- sampling -----------------------------------------------------------
    def _interior_from_unit(self, u):
        raise NotImplementedError

    def _boundary_from_unit(self, u):
        raise NotImplementedError

    def sample_interior(
        self, n: int, key: jax.Array | None = None, method: str = "uniform", *, skip: int = 0
    ):
        """``n`` points inside the geometry, ``(n, dim)`` (``grid`` may give a few more).

        Args:
          n: number of points.
          key: PRNG key (needed by ``uniform`` and ``lhs``; a random shift for
            ``halton``/``sobol``).
          method: ``"uniform"``, ``"grid"``, ``"lhs"``, ``"halton"`` or ``"sobol"``.
          skip: start index of a quasi-random sequence (to draw fresh points).
        """
        u = sample_unit(method, n, self.interior_param_dim, key, skip=skip)
        return self._interior_from_unit(u)

    def sample_boundary(
        self, n: int, key: jax.Array | None = None, method: str = "uniform", *, skip: int = 0
    ):
        """``n`` points on the boundary, spread in proportion to its measure, ``(n, dim)``
        (``grid`` may give a few more)."""
        u = sample_unit(method, n, self.boundary_param_dim, key, skip=skip)
        return self._boundary_from_unit(u)

    # -- validation (boundary checks, in Python) ----------------------------
    def _check_dim(self, points, name: str) -> np.ndarray:
        p = np.asarray(points)
        if p.ndim != 2 or p.shape[1] != self.dim:
            raise errors.ShapeError(
                f"{name} has shape {p.shape}; {type(self).__name__} with coordinates "
                f"{self.coords} expects points of shape (N, {self.dim})."
            )
        return p

    def check_inside(self, points, name: str = "points", tol: float = 1e-6) -> None:
        """Raise `GeometryError` if any point lies outside."""
        p = self._check_dim(points, name)
        ok = np.asarray(self.contains(p, tol))
        if not ok.all():
            i = int(np.argmin(ok))
            raise errors.GeometryError(
                f"{int((~ok).sum())} of {len(ok)} {name} lie outside the {self!r} "
                f"(first: index {i}, {p[i].tolist()}); sample them with "
                f"sample_interior() or clip them into the domain."
            )

    def check_on_boundary(self, points, name: str = "points", tol: float = 1e-6) -> None:
        """Raise `GeometryError` if any point is off the boundary."""
        p = self._check_dim(points, name)
        ok = np.asarray(self.on_boundary(p, tol))
        if not ok.all():
            i = int(np.argmin(ok))
            raise errors.GeometryError(
                f"{int((~ok).sum())} of {len(ok)} {name} are not on the boundary of the "
                f"{self!r} (first: index {i}, {p[i].tolist()}); sample them with "
                "sample_boundary()."
            )


class Interval(Geometry):
    """The interval $[a, b]$ with one coordinate (named ``name``).

    Examples:
      >>> g = Interval(-1.0, 1.0)
      >>> g.contains([[0.5], [2.0]]).tolist()
      [True, False]
      >>> g.boundary_normal([[-1.0], [1.0]]).tolist()
      [[-1.0], [1.0]]
    """

    interior_param_dim = 1
    boundary_param_dim = 1

    def __init__(self, a: float, b: float, name: str = "x"):
        if not (np.isfinite(a) and np.isfinite(b)) or not a < b:
            raise errors.GeometryError(f"Interval needs finite a < b, got a={a}, b={b}")
        self.a, self.b = float(a), float(b)
        self.coords = (name,)
        self.lo, self.hi = np.array([self.a]), np.array([self.b])

    def __repr__(self):
        return f"Interval({self.a}, {self.b}, name={self.coords[0]!r})"

    @property
    def measure(self) -> float:
        return self.b - self.a

    def contains(self, points, tol=1e-6):
        x = jnp.asarray(points)[..., 0]
        t = self._tol(tol)
        return (x >= self.a - t) & (x <= self.b + t)

    def on_boundary(self, points, tol=1e-6):
        x = jnp.asarray(points)[..., 0]
        t = self._tol(tol)
        return (jnp.abs(x - self.a) <= t) | (jnp.abs(x - self.b) <= t)

    def boundary_normal(self, points):
        x = jnp.asarray(points)[..., :1]
        mid = 0.5 * (self.a + self.b)
        return jnp.where(x < mid, -1.0, 1.0).astype(jnp.result_type(x, float))

    def _interior_from_unit(self, u):
        return self.a + (self.b - self.a) * u

    def _boundary_from_unit(self, u):
        return jnp.where(u < 0.5, self.a, self.b).astype(u.dtype)


class TimeInterval(Interval):
    """A time interval $[t_0, t_1]$: an `Interval` whose coordinate is ``"t"``."""

    def __init__(self, t0: float, t1: float, name: str = "t"):
        super().__init__(t0, t1, name)

    def __repr__(self):
        return f"TimeInterval({self.a}, {self.b})"


class Box(Geometry):
    r"""An axis-aligned box $\prod_i [lo_i, hi_i]$ in any dimension.

    Examples:
      >>> g = Box((0.0, 0.0, 0.0), (1.0, 2.0, 3.0))
      >>> g.coords, g.dim
      (('x', 'y', 'z'), 3)
      >>> g.boundary_normal([[0.5, 2.0, 1.0]]).tolist()
      [[0.0, 1.0, 0.0]]
    """

    def __init__(
        self, lo: Sequence[float], hi: Sequence[float], coords: Sequence[str] | None = None
    ):
        lo, hi = np.asarray(lo, float).reshape(-1), np.asarray(hi, float).reshape(-1)
        if lo.shape != hi.shape or not np.all(np.isfinite(lo)) or not np.all(np.isfinite(hi)):
            raise errors.GeometryError(f"Box needs finite lo and hi of one length, got {lo}, {hi}")
        if not np.all(lo < hi):
            raise errors.GeometryError(f"Box needs lo < hi on every axis, got lo={lo}, hi={hi}")
        self.lo, self.hi = lo, hi
        self.coords = tuple(coords) if coords is not None else _default_coords(len(lo))
        if len(self.coords) != len(lo):
            raise errors.ShapeError(f"{len(self.coords)} coordinate names for a {len(lo)}-D box")
        self.interior_param_dim = len(lo)
        # one value picks the face *and* the first position on it (rescaled)
        self.boundary_param_dim = max(1, len(lo) - 1)
        d = len(lo)
        ext = hi - lo
        # face measures: faces orthogonal to axis i have measure prod(ext)/ext[i]
        areas = np.array([np.prod(np.delete(ext, i)) if d > 1 else 1.0 for i in range(d)])
        self._face_cdf = np.cumsum(np.tile(areas, 2)) / (2 * areas.sum())

    def __repr__(self):
        return f"{type(self).__name__}({self.lo.tolist()}, {self.hi.tolist()})"

    @property
    def measure(self) -> float:
        return float(np.prod(self.hi - self.lo))

    def contains(self, points, tol=1e-6):
        x = jnp.asarray(points)
        t = self._tol(tol)
        return jnp.all((x >= self.lo - t) & (x <= self.hi + t), axis=-1)

    def on_boundary(self, points, tol=1e-6):
        x = jnp.asarray(points)
        t = self._tol(tol)
        near = (jnp.abs(x - self.lo) <= t) | (jnp.abs(x - self.hi) <= t)
        return self.contains(x, tol) & jnp.any(near, axis=-1)

    def boundary_normal(self, points):
        x = jnp.asarray(points)
        dist = jnp.concatenate([jnp.abs(x - self.lo), jnp.abs(x - self.hi)], axis=-1)
        face = jnp.argmin(dist, axis=-1)  # the nearest face (corners: the first one)
        d = self.dim
        axis = face % d
        sign = jnp.where(face < d, -1.0, 1.0)
        return jax.nn.one_hot(axis, d, dtype=jnp.result_type(x, float)) * sign[:, None]

    def _interior_from_unit(self, u):
        return self.lo + (self.hi - self.lo) * u

    def _boundary_from_unit(self, u):
        d = self.dim
        cdf = jnp.asarray(self._face_cdf, u.dtype)
        face = jnp.minimum(jnp.searchsorted(cdf, u[:, 0], side="right"), 2 * d - 1)
        prev = jnp.concatenate([jnp.zeros((1,), u.dtype), cdf])[face]
        width = cdf[face] - prev
        # reuse the face-selection coordinate (rescaled) for the first free axis
        s = jnp.clip((u[:, 0] - prev) / width, 0.0, 1.0)
        axis = face % d
        free = jnp.concatenate([s[:, None], u[:, 1:], s[:, None]], axis=-1)  # >= d - 1 values
        pts = []
        for i in range(d):
            fi = jnp.clip(jnp.where(i < axis, i, i - 1), 0, d - 1)  # free index of axis i
            val = jnp.take_along_axis(free, fi[:, None], axis=1)[:, 0]
            fixed = jnp.where(face < d, self.lo[i], self.hi[i])
            pts.append(jnp.where(axis == i, fixed, self.lo[i] + (self.hi[i] - self.lo[i]) * val))
        return jnp.stack(pts, axis=-1).astype(u.dtype)


class Rectangle(Box):
    """A 2-D axis-aligned rectangle (a `Box`), coordinates ``("x", "y")`` by default.

    Examples:
      >>> r = Rectangle((-1.0, 0.0), (1.0, 1.0), coords=("x", "t"))
      >>> r.sample_interior(4, method="halton").shape
      (4, 2)
    """

    def __init__(
        self, lo: Sequence[float], hi: Sequence[float], coords: Sequence[str] = ("x", "y")
    ):
        if len(lo) != 2 or len(hi) != 2:
            raise errors.ShapeError("Rectangle needs 2-D corners; use Box for other dimensions")
        super().__init__(lo, hi, coords)


class Disk(Geometry):
    r"""The closed disk $|x - c| \le r$.

    Interior samples use the area-preserving map $(\rho, \theta) = (r\sqrt{u_0},
    2\pi u_1)$.

    Examples:
      >>> d = Disk((0.0, 0.0), 2.0)
      >>> d.boundary_normal([[0.0, 2.0]]).tolist()
      [[0.0, 1.0]]
    """

    interior_param_dim = 2
    boundary_param_dim = 1

    def __init__(self, center: Sequence[float], radius: float, coords: Sequence[str] = ("x", "y")):
        c = np.asarray(center, float).reshape(-1)
        if c.shape != (2,) or not np.all(np.isfinite(c)):
            raise errors.GeometryError(f"Disk needs a finite 2-D center, got {center}")
        if not (np.isfinite(radius) and radius > 0):
            raise errors.GeometryError(f"Disk needs a positive radius, got {radius}")
        self.center, self.radius = c, float(radius)
        self.coords = tuple(coords)
        self.lo, self.hi = c - radius, c + radius

    def __repr__(self):
        return f"Disk({self.center.tolist()}, {self.radius})"

    @property
    def measure(self) -> float:
        return math.pi * self.radius**2

    def contains(self, points, tol=1e-6):
        r = jnp.linalg.norm(jnp.asarray(points) - self.center, axis=-1)
        return r <= self.radius + self._tol(tol)

    def on_boundary(self, points, tol=1e-6):
        r = jnp.linalg.norm(jnp.asarray(points) - self.center, axis=-1)
        return jnp.abs(r - self.radius) <= self._tol(tol)

    def boundary_normal(self, points):
        v = jnp.asarray(points) - self.center
        return v / jnp.linalg.norm(v, axis=-1, keepdims=True)

    def _interior_from_unit(self, u):
        rho = self.radius * jnp.sqrt(u[:, 0])
        th = 2 * jnp.pi * u[:, 1]
        return self.center + jnp.stack([rho * jnp.cos(th), rho * jnp.sin(th)], axis=-1)

    def _boundary_from_unit(self, u):
        th = 2 * jnp.pi * u[:, 0]
        return self.center + self.radius * jnp.stack([jnp.cos(th), jnp.sin(th)], axis=-1)


class Polygon(Geometry):
    """A simple (non-self-intersecting) polygon given by its vertices in order.

    Interior points are drawn by rejection from the bounding box (an oversampled,
    fixed-size draw, so it still jits); the boundary is parametrised by arc length.

    Example (the L shape of DeepXDE's Poisson example):
      >>> L = Polygon([(0, 0), (1, 0), (1, -1), (-1, -1), (-1, 1), (0, 1)])
      >>> L.contains([[0.5, 0.5], [-0.5, 0.5]]).tolist()
      [False, True]
      >>> L.measure
      3.0
    """

    boundary_param_dim = 1

    def __init__(self, vertices, coords: Sequence[str] = ("x", "y")):
        v = np.asarray(vertices, float)
        if v.ndim != 2 or v.shape[1] != 2 or len(v) < 3 or not np.all(np.isfinite(v)):
            raise errors.GeometryError(
                f"Polygon needs >= 3 finite 2-D vertices, got shape {v.shape}"
            )
        area2 = np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1])
        if abs(area2) < 1e-14:
            raise errors.GeometryError("Polygon has zero area")
        if area2 < 0:  # make it counter-clockwise so that edge normals point outward
            v = v[::-1].copy()
        self.vertices = v
        self.coords = tuple(coords)
        self.lo, self.hi = v.min(0), v.max(0)
        self._area = abs(area2) / 2
        edges = np.roll(v, -1, axis=0) - v
        self._len = np.linalg.norm(edges, axis=1)
        self._cdf = np.cumsum(self._len) / self._len.sum()
        self._normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1) / self._len[:, None]

    def __repr__(self):
        return f"Polygon({self.vertices.tolist()})"

    @property
    def measure(self) -> float:
        return float(self._area)

    def _edge_distance(self, x):
        a = jnp.asarray(self.vertices)
        e = jnp.roll(a, -1, axis=0) - a
        rel = x[:, None, :] - a[None]
        s = jnp.clip(jnp.sum(rel * e, -1) / jnp.sum(e * e, -1), 0.0, 1.0)
        return jnp.linalg.norm(rel - s[..., None] * e, axis=-1)  # (N, E)

    def contains(self, points, tol=1e-6):
        x = jnp.asarray(points).reshape(-1, 2)
        a = jnp.asarray(self.vertices)
        b = jnp.roll(a, -1, axis=0)
        xi, yi = x[:, :1], x[:, 1:]
        cond = (a[:, 1] > yi) != (b[:, 1] > yi)
        xcross = a[:, 0] + (yi - a[:, 1]) * (b[:, 0] - a[:, 0]) / jnp.where(
            b[:, 1] == a[:, 1], 1.0, b[:, 1] - a[:, 1]
        )
        inside = (jnp.sum(cond & (xi < xcross), axis=-1) % 2) == 1
        return inside | self.on_boundary(x, tol)

    def on_boundary(self, points, tol=1e-6):
        x = jnp.asarray(points).reshape(-1, 2)
        return jnp.min(self._edge_distance(x), axis=-1) <= self._tol(tol)

    def boundary_normal(self, points):
        x = jnp.asarray(points).reshape(-1, 2)
        edge = jnp.argmin(self._edge_distance(x), axis=-1)
        return jnp.asarray(self._normals, jnp.result_type(x, float))[edge]

    @property
    def interior_param_dim(self) -> int:
        return 2

    def sample_interior(
        self, n: int, key: jax.Array | None = None, method: str = "uniform", *, skip: int = 0
    ):
        frac = self._area / float(np.prod(self.hi - self.lo))
        m = int(math.ceil(n / frac * 1.5)) + 16
        u = sample_unit(method, m, 2, key, skip=skip)
        x = jnp.asarray(self.lo) + jnp.asarray(self.hi - self.lo) * u
        inside = self.contains(x, tol=0.0)
        order = jnp.argsort(~inside, stable=True)  # inside points first, in sample order
        return x[order[:n]]

    def _boundary_from_unit(self, u):
        cdf = jnp.asarray(self._cdf, u.dtype)
        s = u[:, 0]
        edge = jnp.minimum(jnp.searchsorted(cdf, s, side="right"), len(self._cdf) - 1)
        prev = jnp.concatenate([jnp.zeros((1,), u.dtype), cdf])[edge]
        frac = jnp.clip((s - prev) / (cdf[edge] - prev), 0.0, 1.0)
        a = jnp.asarray(self.vertices, u.dtype)
        e = jnp.roll(a, -1, axis=0) - a
        return a[edge] + frac[:, None] * e[edge]


class SpaceTime(Geometry):
    r"""The product $\Omega \times [t_0, t_1]$ of a spatial geometry and a time interval.

    Points are ``(*space, t)``: time is the last coordinate. The *boundary* is the
    lateral boundary $\partial\Omega \times [t_0, t_1]$; the initial slice
    $\Omega \times \{t_0\}$ has its own sampler and check.

    Examples:
      >>> g = SpaceTime(Interval(-1.0, 1.0), TimeInterval(0.0, 1.0))
      >>> g.coords
      ('x', 't')
      >>> g.sample_initial(3, method="grid")[:, 1].tolist()
      [0.0, 0.0, 0.0]
    """

    def __init__(self, space: Geometry, time: Interval | tuple[float, float]):
        if not isinstance(time, Interval):
            time = TimeInterval(*time)
        if not isinstance(space, Geometry) or isinstance(space, SpaceTime):
            raise errors.GeometryError("SpaceTime needs a spatial Geometry and a time interval")
        self.space, self.time = space, time
        self.coords = space.coords + time.coords
        if len(set(self.coords)) != len(self.coords):
            raise errors.GeometryError(f"coordinate names repeat: {self.coords}")
        self.lo = np.concatenate([space.lo, time.lo])
        self.hi = np.concatenate([space.hi, time.hi])
        self.t0, self.t1 = time.a, time.b

    def __repr__(self):
        return f"SpaceTime({self.space!r}, {self.time!r})"

    @property
    def interior_param_dim(self) -> int:
        return self.space.interior_param_dim + 1

    @property
    def boundary_param_dim(self) -> int:
        return self.space.boundary_param_dim + 1

    @property
    def measure(self) -> float:
        return self.space.measure * self.time.measure

    def contains(self, points, tol=1e-6):
        x = jnp.asarray(points)
        return self.space.contains(x[..., :-1], tol) & self.time.contains(x[..., -1:], tol)

    def on_boundary(self, points, tol=1e-6):
        x = jnp.asarray(points)
        return self.space.on_boundary(x[..., :-1], tol) & self.time.contains(x[..., -1:], tol)

    def on_initial(self, points, tol=1e-6):
        """Boolean mask: which points lie on the initial slice $t = t_0$."""
        x = jnp.asarray(points)
        t = self.time._tol(tol)
        return self.space.contains(x[..., :-1], tol) & (jnp.abs(x[..., -1] - self.t0) <= t)

    def boundary_normal(self, points):
        x = jnp.asarray(points)
        n = self.space.boundary_normal(x[..., :-1])
        return jnp.concatenate([n, jnp.zeros_like(n[..., :1])], axis=-1)

    def _with_time(self, xs, ts):
        return jnp.concatenate([xs, ts.reshape(-1, 1).astype(xs.dtype)], axis=-1)

    def sample_interior(
        self, n: int, key: jax.Array | None = None, method: str = "uniform", *, skip: int = 0
    ):
        if isinstance(self.space, Polygon):  # rejection sampler in space; time drawn apart
            k1, k2, k3 = _split(key, 3)
            xs = self.space.sample_interior(n, k1, method, skip=skip)
            ts = self.time.sample_interior(n, k2, "uniform" if key is not None else "halton")
            if k3 is not None:
                ts = jax.random.permutation(k3, ts)
            return self._with_time(xs, ts)
        u = sample_unit(method, n, self.interior_param_dim, key, skip=skip)
        xs = self.space._interior_from_unit(u[:, :-1])
        return self._with_time(xs, self.time._interior_from_unit(u[:, -1:]))

    def _boundary_from_unit(self, u):
        xs = self.space._boundary_from_unit(u[:, :-1])
        return self._with_time(xs, self.time._interior_from_unit(u[:, -1:]))

    def sample_initial(
        self, n: int, key: jax.Array | None = None, method: str = "uniform", *, skip: int = 0
    ):
        """``n`` points on the initial slice $\\Omega \\times \\{t_0\\}$."""
        xs = self.space.sample_interior(n, key, method, skip=skip)
        return self._with_time(xs, jnp.full((xs.shape[0],), self.t0, xs.dtype))

    def check_initial(self, points, name: str = "points", tol: float = 1e-6) -> None:
        """Raise `GeometryError` unless all points have ``t = t0``."""
        p = self._check_dim(points, name)
        ok = np.asarray(self.on_initial(p, tol))
        if not ok.all():
            i = int(np.argmin(ok))
            raise errors.GeometryError(
                f"{int((~ok).sum())} of {len(ok)} {name} are not on the initial slice "
                f"t = {self.t0} of the {self!r} (first: index {i}, {p[i].tolist()}); "
                "sample them with sample_initial()."
            )
