"""Conditions and their weighted sum: closed-form residuals, batches, validation errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.physics import (
    Constraint,
    Disk,
    Interval,
    Rectangle,
    SpaceTime,
    burgers,
    dirichlet,
    initial,
    initial_derivative,
    neumann,
    observed,
    periodic,
    poisson,
    residual,
    robin,
)

u = lambda p, x: p * (x[0] ** 2 + x[1] ** 2)  # radial: du/dn on the unit circle = 2p


def test_dirichlet_values_and_components():
    pts = jnp.array([[1.0, 0.0], [0.0, 2.0]])
    c = dirichlet(u, lambda x: x[0] ** 2 + x[1] ** 2, pts)
    assert float(c.loss(1.0)) == 0.0
    np.testing.assert_allclose(c.residual(2.0, pts), [1.0, 4.0])
    vec = lambda p, x: jnp.stack([x[0], 3.0 + x[1]])
    assert float(dirichlet(vec, 3.0, jnp.zeros((2, 2)), component=1).loss(None)) == 0.0


def test_neumann_and_robin_on_a_disk():
    disk = Disk((0.0, 0.0), 1.0)
    b = disk.sample_boundary(16, method="sobol")
    c = neumann(u, 2.0 * 1.5, b, geometry=disk)
    np.testing.assert_allclose(c.residual(1.5, c.data), 0.0, atol=1e-5)
    r = robin(u, 2.0, 0.5, 2.0 * 1.5 + 0.5 * 3.0, b, geometry=disk)  # 2u + 0.5 du/dn
    np.testing.assert_allclose(r.residual(1.5, r.data), 0.0, atol=1e-5)
    # explicit normals, wrong count
    with pytest.raises(errors.ShapeError, match="normals"):
        neumann(u, 0.0, b, normals=b[:3])
    with pytest.raises(errors.ValidationError, match="normals= or geometry="):
        neumann(u, 0.0, b)


def test_periodic():
    f = lambda p, x: jnp.sin(jnp.pi * x[0]) * jnp.exp(x[1])
    pts = jnp.array([[0.0, 0.1], [0.0, 0.5]])
    for k in (0, 1, 2):
        c = periodic(f, "x", -1.0, 1.0, pts, coords=("x", "t"), derivatives=k)
        assert c.residual(None, pts).shape == (2, k + 1)
        np.testing.assert_allclose(c.residual(None, pts), 0.0, atol=1e-5)
    c = periodic(lambda p, x: x[0] * x[1], 0, -1.0, 1.0, pts)
    np.testing.assert_allclose(c.residual(None, pts)[:, 0], [-0.2, -1.0], atol=1e-6)


def test_initial_conditions_on_space_time():
    g = SpaceTime(Interval(-1.0, 1.0), (0.0, 1.0))
    pts = g.sample_initial(8, method="sobol")
    f = lambda p, x: -jnp.sin(jnp.pi * x[0]) * jnp.cos(x[1]) + 2 * x[1] * x[0]
    assert float(initial(f, lambda x: -jnp.sin(jnp.pi * x), pts, geometry=g).loss(None)) < 1e-12
    c = initial_derivative(f, lambda x: 2 * x[0], pts, geometry=g)
    np.testing.assert_allclose(c.residual(None, pts), 0.0, atol=1e-6)
    with pytest.raises(errors.GeometryError, match="initial slice"):
        initial(f, 0.0, pts.at[:, 1].set(0.5), geometry=g)
    with pytest.raises(errors.GeometryError, match="SpaceTime"):
        initial(f, 0.0, pts, geometry=Rectangle((-1, 0), (1, 1)))


def test_observed_data():
    pts = jnp.array([[0.0, 1.0], [1.0, 1.0]])
    c = observed(u, pts, jnp.array([[2.0], [4.0]]))
    assert float(c.loss(2.0)) == 0.0
    with pytest.raises(errors.ShapeError, match="one value"):
        observed(u, pts, jnp.ones(3))
    with pytest.raises(errors.NonFiniteError):
        observed(u, pts, jnp.array([1.0, jnp.nan]))


def test_geometry_checks_in_builders():
    g = Rectangle((0.0, 0.0), (1.0, 1.0))
    with pytest.raises(errors.GeometryError, match="outside"):
        residual(poisson(1.0), u, jnp.array([[0.5, 0.5], [2.0, 0.5]]), geometry=g)
    with pytest.raises(errors.GeometryError, match="boundary"):
        dirichlet(u, 0.0, jnp.array([[0.5, 0.5]]), geometry=g)
    with pytest.raises(errors.GeometryError, match="outside"):
        observed(u, jnp.array([[1.5, 0.5]]), jnp.ones(1), geometry=g)


def test_shape_and_value_errors():
    with pytest.raises(errors.ShapeError, match=r"coords \('x', 't'\)"):
        residual(burgers(0.1), u, jnp.ones((4, 3)))
    with pytest.raises(errors.ShapeError, match="rank"):
        residual(burgers(0.1), u, jnp.ones(4))
    with pytest.raises(errors.NonFiniteError):
        dirichlet(u, 0.0, jnp.array([[jnp.nan, 0.0]]))
    c = residual(burgers(0.1), u)
    with pytest.raises(errors.ShapeError, match=r"\(N, 2\)"):
        c.residual(1.0, jnp.ones((3, 3)))
    with pytest.raises(errors.ValidationError, match="no points"):
        c.loss(1.0)
    with pytest.raises(errors.ShapeError, match="do not match"):
        residual(burgers(0.1), u, geometry=SpaceTime(Rectangle((0, 0), (1, 1)), (0, 1)))


def test_residual_needs_a_pde():
    with pytest.raises(errors.ValidationError, match=r"needs a jaxfound.physics.PDE"):
        residual(lambda u, p, x: 0.0, u, jnp.zeros((2, 2)))


def test_constraint_as_loss_is_a_routed_term():
    c = dirichlet(u, 1.0, jnp.array([[1.0, 0.0], [0.0, 2.0]]))  # u = p |x|^2: r = p (1, 4) - 1
    loss = c.as_loss()
    assert isinstance(loss, jf.losses.Loss) and loss.routed and jf.losses.as_loss(c).routed
    value, aux = loss(2.0, None)
    np.testing.assert_allclose(value, ((2 - 1) ** 2 + (8 - 1) ** 2) / 2)  # its own points
    assert aux == {}
    value, _ = loss(2.0, jnp.array([[0.0, 0.0]]), jax.random.key(0))  # the batch's points
    np.testing.assert_allclose(value, 1.0)


def test_weighted_sum_of_constraints_batches_and_weights():
    net = jf.models.MLP((8, 1), activation=jnp.tanh)
    params = net.init(jax.random.key(0), jnp.ones((1, 2)))
    f = jf.physics.field(net)
    g = SpaceTime(Interval(-1.0, 1.0), (0.0, 1.0))
    terms = {
        "pde": residual(burgers(0.01), f, g.sample_interior(32, method="halton")),
        "bc": dirichlet(f, 0.0, g.sample_boundary(8, method="sobol")),
        "ic": initial(f, lambda x: -jnp.sin(jnp.pi * x), g.sample_initial(8, method="sobol")),
        "reg": lambda p, b, k: (jf.losses.l2_penalty(p), {}),
    }
    loss_fn = jf.losses.weighted_sum(terms, weights={"bc": 2.0})
    jitted = jax.jit(lambda p, b: loss_fn(p, b))
    loss, aux = jitted(params, None)
    np.testing.assert_allclose(aux["pde"], terms["pde"].loss(params), rtol=1e-6)
    expect = aux["pde"] + 2 * aux["bc"] + aux["ic"] + aux["reg"]
    np.testing.assert_allclose(loss, expect, rtol=1e-6)
    # a batch replaces points and weights; terms it does not name keep their own data
    new_pde = g.sample_interior(16, jax.random.key(1))
    loss2, aux2 = jitted(params, {"pde": new_pde, "weights": {"bc": 0.0, "reg": 0.0}})
    np.testing.assert_allclose(aux2["pde"], jax.jit(terms["pde"].loss)(params, new_pde), rtol=1e-5)
    np.testing.assert_allclose(aux2["ic"], aux["ic"], rtol=1e-6)
    np.testing.assert_allclose(loss2, aux2["pde"] + aux2["ic"], rtol=1e-6)
    # gradients flow
    grads = jax.jit(jax.grad(lambda p: loss_fn(p, None, jax.random.key(0))[0]))(params)
    assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree_util.tree_leaves(grads))
    with pytest.raises(errors.ValidationError, match="not terms"):
        jf.losses.weighted_sum(terms, weights={"bogus": 1.0})
    with pytest.raises(errors.ValidationError, match="reserved"):
        jf.losses.weighted_sum({"weights": terms["bc"]})
    assert isinstance(terms["pde"], Constraint)
