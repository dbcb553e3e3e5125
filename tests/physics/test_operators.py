"""Differential operators against closed forms, and jax.test_util.check_grads."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxfound as jf
from jaxfound import errors
from jaxfound.physics import (
    derivatives,
    divergence,
    field,
    gradient,
    hessian,
    laplacian,
    on_points,
    output_transform,
    partial,
    time_derivative,
)

# u(x, y, t) = sin(x) * y**2 * exp(-t), a closed form for every derivative
u = lambda p, z: jnp.sin(z[0]) * z[1] ** 2 * jnp.exp(-p * z[2])
X = jnp.array([0.3, 1.5, 0.2])
P = 1.0
C = ("x", "y", "t")


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def test_gradient_and_hessian():
    x, y, t = X
    e = np.exp(-t)
    close(gradient(u)(P, X), [np.cos(x) * y**2 * e, 2 * np.sin(x) * y * e, -np.sin(x) * y**2 * e])
    h = hessian(u)(P, X)
    close(h[0, 0], -np.sin(x) * y**2 * e)
    close(h[0, 1], 2 * np.cos(x) * y * e)
    close(h[1, 2], -2 * np.sin(x) * y * e)
    close(h, h.T)


@pytest.mark.parametrize(
    "axes, expected",
    [
        (("x",), lambda x, y, t: np.cos(x) * y**2 * np.exp(-t)),
        (("x", "x"), lambda x, y, t: -np.sin(x) * y**2 * np.exp(-t)),
        (("x", "x", "x"), lambda x, y, t: -np.cos(x) * y**2 * np.exp(-t)),
        (("x",) * 4, lambda x, y, t: np.sin(x) * y**2 * np.exp(-t)),
        (("y", "y"), lambda x, y, t: 2 * np.sin(x) * np.exp(-t)),
        (("y", "y", "y"), lambda x, y, t: 0.0),
        (("x", "t"), lambda x, y, t: -np.cos(x) * y**2 * np.exp(-t)),
        (("x", "y", "t"), lambda x, y, t: -2 * np.cos(x) * y * np.exp(-t)),
        ((0, 0), lambda x, y, t: -np.sin(x) * y**2 * np.exp(-t)),
        ((-1,), lambda x, y, t: -np.sin(x) * y**2 * np.exp(-t)),
    ],
)
def test_partial_any_order(axes, expected):
    close(partial(u, *axes, coords=C)(P, X), expected(*np.asarray(X)), tol=1e-4)


def test_laplacian_divergence_time_derivative():
    x, y, t = np.asarray(X)
    e = np.exp(-t)
    close(laplacian(u, axes=("x", "y"), coords=C)(P, X), (-np.sin(x) * y**2 + 2 * np.sin(x)) * e)
    close(laplacian(u)(P, X), (-np.sin(x) * y**2 + 2 * np.sin(x) + np.sin(x) * y**2) * e)
    close(time_derivative(u)(P, X), -np.sin(x) * y**2 * e)
    close(time_derivative(u, "t", coords=C)(P, X), -np.sin(x) * y**2 * e)
    v = lambda p, z: jnp.stack([z[0] ** 2 * z[1], jnp.sin(z[1]), z[2] * z[0]])
    close(divergence(v)(P, X), 2 * x * y + np.cos(y) + x)
    close(divergence(gradient(u))(P, X), laplacian(u)(P, X))


def test_vector_field_operators():
    v = lambda p, z: jnp.stack([z[0] ** 2 * z[1], jnp.sin(z[1]) * z[0]])
    z = jnp.array([0.5, 2.0])
    close(partial(v, "x", "x", coords=("x", "y"))(None, z), [2 * 2.0, 0.0])
    close(laplacian(v)(None, z), [4.0, -np.sin(2.0) * 0.5])
    assert gradient(v)(None, z).shape == (2, 2)


def test_derivatives_shares_one_call():
    d = derivatives(u, P, X, ["u", "u_x", "u_xx", "u_t", "u_yy", "u_xt", ("y",), "u_xxx"], C)
    x, y, t = np.asarray(X)
    e = np.exp(-t)
    close(d["u"], np.sin(x) * y**2 * e)
    close(d["u_x"], np.cos(x) * y**2 * e)
    close(d["u_xx"], -np.sin(x) * y**2 * e)
    close(d["u_t"], -np.sin(x) * y**2 * e)
    close(d["u_yy"], 2 * np.sin(x) * e)
    close(d["u_xt"], -np.cos(x) * y**2 * e)
    close(d[("y",)], 2 * np.sin(x) * y * e)
    close(d["u_xxx"], -np.cos(x) * y**2 * e, tol=1e-4)


def test_operators_on_points_batch():
    pts = jnp.stack([X, X + 0.1, X - 0.2])
    lap = on_points(laplacian(u, axes=(0, 1)))(P, pts)
    assert lap.shape == (3,)
    close(lap[1], laplacian(u, axes=(0, 1))(P, pts[1]))


def test_check_grads_through_operators():
    """Reverse- and forward-mode derivatives of operator outputs w.r.t. params and x."""
    for op in (laplacian(u, axes=(0, 1)), partial(u, "x", "t", coords=C), time_derivative(u)):
        check_grads(
            lambda p, x, op=op: op(p, x),
            (P, X),
            order=2,
            modes=("fwd", "rev"),
            atol=1e-2,
            rtol=1e-2,
        )


def test_field_from_mlp_and_output_transform():
    net = jf.models.MLP((8, 1), activation=jnp.tanh)
    params = net.init(jax.random.key(0), jnp.ones((1, 2)))
    v = field(net)
    assert v(params, jnp.array([0.1, 0.2])).shape == ()
    hard = output_transform(v, lambda x, out: x[1] * (1 - x[0] ** 2) * out - jnp.sin(jnp.pi * x[0]))
    close(hard(params, jnp.array([0.4, 0.0])), -np.sin(np.pi * 0.4))
    close(hard(params, jnp.array([1.0, 0.7])), 0.0, tol=1e-6)
    # params_key for inverse problems, input transform
    w = field(net, params_key="net", input_transform=lambda x: 2 * x)
    close(w({"net": params, "nu": 1.0}, jnp.array([0.05, 0.1])), v(params, jnp.array([0.1, 0.2])))


def test_field_goes_through_as_apply_for_every_kind_of_model(monkeypatch):
    import jaxfound.physics._operators as ops

    x = jnp.array([0.3, -0.5])
    two = lambda p, y: p * jnp.sum(y**2)  # f(params, x)
    keyed = lambda p, y, key: p * jnp.sum(y**2) + (0.0 if key is None else 1.0)
    close(field(two)(2.0, x), 2 * 0.34)
    close(field(keyed)(2.0, x), 2 * 0.34)  # evaluated with key=None
    close(laplacian(field(two))(2.0, x), 2.0 * 2 * 2)  # Δ(p |x|²) = 2 p d
    net = jf.models.MLP((4, 1))
    params = net.init(jax.random.key(0), jnp.ones((1, 2)))
    close(field(net)(params, x), net.apply(params, x)[0])
    seen = []
    real = ops.as_apply
    monkeypatch.setattr(ops, "as_apply", lambda m: seen.append(m) or real(m))
    for m in (two, keyed, net):
        field(m)
    assert seen == [two, keyed, net]  # the one adapter decides how each model is called


def test_field_refuses_what_is_not_a_model():
    with pytest.raises(errors.ValidationError, match="not callable"):
        field(3.0)
    with pytest.raises(errors.ValidationError, match=r"f\(params, x\) or apply\(params, x, key\)"):
        field(lambda x: x)


def test_errors():
    with pytest.raises(errors.ShapeError, match="one point"):
        gradient(u)(P, jnp.ones((2, 3)))
    with pytest.raises(errors.ShapeError, match="coords"):
        partial(u, "x", coords=("x", "t"))(P, X)
    with pytest.raises(errors.ValidationError, match="unknown coordinate"):
        partial(u, "z", coords=C)(P, X)
    with pytest.raises(errors.ShapeError, match="out of range"):
        partial(u, 5)(P, X)
    with pytest.raises(errors.ValidationError, match="coords"):
        partial(u, "x")(P, X)
    with pytest.raises(errors.ShapeError, match="components"):
        divergence(u)(P, X)
    with pytest.raises(errors.ValidationError, match="look like"):
        derivatives(u, P, X, ["grad"], C)
