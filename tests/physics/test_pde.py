"""PDE library residuals vanish on closed-form solutions; user-defined PDEs; errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.physics import (
    PDE,
    allen_cahn,
    black_scholes,
    burgers,
    damped_oscillator,
    heat,
    helmholtz,
    pde,
    poisson,
    trainable,
    wave,
)

jax.config.update("jax_enable_x64", False)
PTS = jnp.asarray(np.random.default_rng(0).uniform(0.1, 0.9, size=(6, 3)), jnp.float32)


def vanishes(eq, u, pts, params=None, tol=1e-4):
    r = jax.vmap(lambda x: eq(u, params, x))(pts)
    assert r.shape == (pts.shape[0],)
    np.testing.assert_allclose(np.asarray(r), 0.0, atol=tol)


def not_vanishes(eq, u, pts, params=None):
    r = jax.vmap(lambda x: eq(u, params, x))(pts)
    assert float(jnp.max(jnp.abs(r))) > 1e-2


def test_burgers_viscous_shock_and_collapse_modes():
    nu = 0.05
    shock = lambda p, x: -jnp.tanh(x[0] / (2 * nu))  # steady solution
    moving = lambda p, x: 1.0 - jnp.tanh((x[0] - x[1]) / (2 * nu))  # travels at speed 1
    for collapse in (True, False):
        vanishes(burgers(nu, collapse=collapse), shock, PTS[:, :2])
        vanishes(burgers(nu, collapse=collapse), moving, PTS[:, :2], tol=1e-3)
    vanishes(burgers(0.0), lambda p, x: x[0] / (1 + x[1]), PTS[:, :2])  # inviscid
    not_vanishes(burgers(2 * nu), moving, PTS[:, :2])


def test_burgers_coordinate_order_and_trainable_nu():
    nu = 0.05
    moving_tx = lambda p, x: 1.0 - jnp.tanh((x[1] - x[0]) / (2 * nu))
    vanishes(burgers(nu, coords=("t", "x")), moving_tx, PTS[:, :2], tol=1e-3)
    eq = burgers(trainable("log_nu", jnp.exp))
    moving = lambda p, x: 1.0 - jnp.tanh((x[0] - x[1]) / (2 * nu))
    vanishes(eq, moving, PTS[:, :2], {"log_nu": jnp.log(nu)}, tol=1e-3)
    with pytest.raises(errors.ValidationError, match="log_nu"):
        eq(moving, {"other": 1.0}, PTS[0, :2])


def test_poisson_heat_wave_helmholtz_allen_cahn():
    vanishes(
        poisson(lambda x: 2 * jnp.pi**2 * jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])),
        lambda p, x: jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1]),
        PTS[:, :2],
        tol=1e-3,
    )
    k = 0.3
    sol = lambda p, x: (
        jnp.exp(-2 * k * jnp.pi**2 * x[2]) * jnp.sin(jnp.pi * x[0]) * jnp.cos(jnp.pi * x[1])
    )
    vanishes(heat(k, coords=("x", "y", "t")), sol, PTS)
    vanishes(
        heat(k, coords=("x", "y", "t"), source=lambda x: 1.0), lambda p, x: sol(p, x) + x[2], PTS
    )
    c = 1.7
    vanishes(
        wave(c),
        lambda p, x: jnp.sin(x[0] - c * x[1]) + (x[0] + c * x[1]) ** 3,
        PTS[:, :2],
        tol=1e-3,
    )
    vanishes(
        helmholtz(5.0), lambda p, x: jnp.sin(3.0 * x[0]) * jnp.cos(4.0 * x[1]), PTS[:, :2], tol=1e-3
    )
    # Allen-Cahn travelling front u = tanh((x - s t) / (sqrt(2 d / rho)))... use rho = 1:
    d, rho = 0.01, 1.0
    w = jnp.sqrt(2 * d / rho)
    vanishes(allen_cahn(d, rho), lambda p, x: jnp.tanh(x[0] / w), PTS[:, :2], tol=1e-3)


def test_black_scholes_closed_form_call():
    from jax.scipy.stats import norm

    sigma, r, T, K = 0.3, 0.05, 1.0, 1.0

    def call(p, x):
        S, t = x[0], x[1]
        tau = T - t
        d1 = (jnp.log(S / K) + (r + 0.5 * sigma**2) * tau) / (sigma * jnp.sqrt(tau))
        return S * norm.cdf(d1) - K * jnp.exp(-r * tau) * norm.cdf(d1 - sigma * jnp.sqrt(tau))

    jax.config.update("jax_enable_x64", True)
    try:
        pts = jnp.asarray(np.c_[np.linspace(0.5, 1.5, 7), np.linspace(0.0, 0.8, 7)])
        vanishes(black_scholes(sigma, r), call, pts, tol=1e-9)
        not_vanishes(black_scholes(sigma, 2 * r), call, pts)
    finally:
        jax.config.update("jax_enable_x64", False)


def test_damped_oscillator():
    gamma, w0 = 0.4, 3.0  # u'' + 2 gamma u' + w0^2 u = 0
    wd = np.sqrt(w0**2 - gamma**2)
    u = lambda p, t: jnp.exp(-gamma * t[0]) * jnp.cos(wd * t[0])
    vanishes(damped_oscillator(2 * gamma, w0**2), u, PTS[:, :1])
    vanishes(damped_oscillator(4 * gamma, 2 * w0**2, mass=2.0), u, PTS[:, :1])
    vanishes(
        damped_oscillator(0.0, 1.0, force=lambda t: t[0]),
        lambda p, t: t[0] + jnp.sin(t[0]),
        PTS[:, :1],
    )


def test_user_pde_matches_library():
    @pde(coords=("x", "t"))
    def my_burgers(d, x, params):
        return d["u_t"] + d["u"] * d["u_x"] - params["nu"] * d["u_xx"]

    net = lambda p, x: jnp.tanh(1.3 * x[0] - 0.7 * x[1]) * jnp.cos(x[0] * x[1])
    a = jax.vmap(lambda x: my_burgers(net, {"nu": 0.02}, x))(PTS[:, :2])
    b = jax.vmap(lambda x: burgers(0.02)(net, None, x))(PTS[:, :2])
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert my_burgers.name == "my_burgers" and isinstance(my_burgers, PDE)

    @pde(coords=("x", "y"), needs=("u_xy", ("x", "x")))
    def mixed(d):
        return d["u_xy"] + d[("x", "x")]

    u = lambda p, x: x[0] ** 2 * x[1] ** 3
    x = jnp.array([0.5, 2.0])
    np.testing.assert_allclose(mixed(u, None, x), 2 * 0.5 * 3 * 4 + 2 * 8, rtol=1e-5)


def test_shape_errors():
    u = lambda p, x: jnp.sum(x)
    with pytest.raises(errors.ShapeError, match=r"coordinates \('x', 't'\)"):
        burgers(0.1)(u, None, jnp.ones(3))
    with pytest.raises(errors.ShapeError, match="scalar field"):
        poisson(1.0)(lambda p, x: x, None, jnp.ones(2))
    with pytest.raises(errors.ValidationError, match="not in coords"):
        heat(1.0, coords=("x", "y"))
