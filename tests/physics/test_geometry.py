"""Geometries: membership, boundary sampling, outward normals, validation errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.physics import Box, Disk, Interval, Polygon, Rectangle, SpaceTime, TimeInterval

KEY = jax.random.key(0)
L_SHAPE = [(0, 0), (1, 0), (1, -1), (-1, -1), (-1, 1), (0, 1)]


@pytest.mark.parametrize(
    "geom",
    [
        Interval(-1.0, 2.0),
        Rectangle((-1.0, 0.0), (1.0, 0.5)),
        Box((0.0, 0.0, 0.0), (1.0, 2.0, 3.0)),
        Disk((0.5, -0.5), 2.0),
        Polygon(L_SHAPE),
        SpaceTime(Interval(-1.0, 1.0), TimeInterval(0.0, 0.99)),
        SpaceTime(Disk((0.0, 0.0), 1.0), (0.0, 1.0)),
        SpaceTime(Polygon(L_SHAPE), (0.0, 1.0)),
    ],
    ids=lambda g: type(g).__name__,
)
def test_samples_lie_where_they_should(geom, method="halton"):
    x = geom.sample_interior(64, KEY, method)
    assert x.shape[1] == geom.dim and x.shape[0] >= 64
    assert bool(jnp.all(geom.contains(x)))
    b = geom.sample_boundary(40, KEY, method)
    assert b.shape[1] == geom.dim and (b.shape[0] == 40 or method == "grid" and b.shape[0] > 40)
    assert bool(jnp.all(geom.on_boundary(b)))
    n = geom.boundary_normal(b)
    np.testing.assert_allclose(
        np.linalg.norm(np.asarray(n), axis=-1)[:, None].squeeze(),
        1.0 if not isinstance(geom, SpaceTime) else 1.0,
        atol=1e-5,
    )
    # outward: a small step along the normal leaves the geometry
    out = b + 1e-2 * n
    assert not bool(jnp.any(geom.contains(out, tol=0.0)))


@pytest.mark.parametrize("method", ["uniform", "lhs", "sobol", "grid"])
def test_other_samplers_on_space_time(method):
    g = SpaceTime(Rectangle((0.0, 0.0), (1.0, 2.0)), (0.0, 1.0))
    assert bool(jnp.all(g.contains(g.sample_interior(50, KEY, method))))
    b = g.sample_boundary(50, KEY, method)
    assert b.shape[0] >= 50 and bool(jnp.all(g.on_boundary(b)))


def test_boundary_measure_proportions():
    b = Box((0.0, 0.0, 0.0), (1.0, 2.0, 3.0))
    n = np.asarray(b.boundary_normal(b.sample_boundary(20000, KEY)))
    frac = [(np.abs(n[:, i]) > 0).mean() for i in range(3)]
    np.testing.assert_allclose(frac, np.array([6, 3, 2]) / 11, atol=0.02)
    p = Polygon(L_SHAPE)  # perimeter 8; the two unit edges at the notch hold 1/4
    q = np.asarray(p.sample_boundary(8000, method="sobol"))
    notch = (np.abs(q[:, 0]) < 1e-6) & (q[:, 1] > 0) | (np.abs(q[:, 1]) < 1e-6) & (q[:, 0] > 0)
    assert abs(notch.mean() - 0.25) < 0.01


def test_normals_closed_form():
    np.testing.assert_allclose(
        Interval(0, 1).boundary_normal(jnp.array([[0.0], [1.0]])), [[-1.0], [1.0]]
    )
    np.testing.assert_allclose(
        Disk((1.0, 1.0), 2.0).boundary_normal(jnp.array([[3.0, 1.0]])), [[1.0, 0.0]]
    )
    L = Polygon(L_SHAPE)
    np.testing.assert_allclose(
        L.boundary_normal(jnp.array([[0.5, 0.0], [0.0, 0.5], [-1, 0.2]])),
        [[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]],
        atol=1e-6,
    )
    st = SpaceTime(Interval(-1, 1), (0, 1))
    np.testing.assert_allclose(st.boundary_normal(jnp.array([[1.0, 0.3]])), [[1.0, 0.0]])


def test_polygon_orientation_and_area():
    cw = Polygon(L_SHAPE[::-1])
    assert cw.measure == 3.0
    np.testing.assert_allclose(cw.boundary_normal(jnp.array([[-1.0, 0.0]])), [[-1.0, 0.0]])
    assert cw.contains(jnp.array([[0.5, 0.5]])).tolist() == [False]


def test_space_time_initial_slice():
    st = SpaceTime(Rectangle((0, 0), (1, 1)), TimeInterval(0.5, 2.0))
    assert st.coords == ("x", "y", "t")
    p = st.sample_initial(10, KEY)
    assert bool(jnp.all(p[:, -1] == 0.5)) and bool(jnp.all(st.on_initial(p)))
    st.check_initial(p)
    with pytest.raises(errors.GeometryError, match="initial slice"):
        st.check_initial(p.at[0, -1].set(1.0))


def test_sampling_jits():
    g = SpaceTime(Interval(-1, 1), (0, 1))
    f = jax.jit(lambda k: g.sample_interior(32, k, "lhs"))
    assert f(KEY).shape == (32, 2)


def test_points_outside_raise_geometry_error():
    g = Rectangle((0.0, 0.0), (1.0, 1.0))
    with pytest.raises(errors.GeometryError, match=r"outside .*first: index 1"):
        g.check_inside(np.array([[0.5, 0.5], [1.5, 0.5]]))
    with pytest.raises(errors.GeometryError, match="not on the boundary"):
        g.check_on_boundary(np.array([[0.5, 0.5]]))
    with pytest.raises(errors.ShapeError, match=r"\(N, 2\)"):
        g.check_inside(np.ones((3, 3)))


def test_ill_defined_geometries():
    with pytest.raises(errors.GeometryError):
        Interval(1.0, 0.0)
    with pytest.raises(errors.GeometryError):
        Box((0, 0), (1, 0))
    with pytest.raises(errors.GeometryError):
        Disk((0, 0), -1.0)
    with pytest.raises(errors.GeometryError, match="zero area"):
        Polygon([(0, 0), (1, 1), (2, 2)])
    with pytest.raises(errors.GeometryError, match="repeat"):
        SpaceTime(Interval(0, 1, name="t"), (0, 1))
