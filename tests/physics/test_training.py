"""Training aids and optimisation stages on small problems."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.physics import (
    causal,
    dirichlet,
    grad_norm_weights,
    lbfgs,
    optimize,
    pinn_loss,
    rad,
    rar,
    residual,
    residual_magnitude,
)


def test_rar_and_rad_pick_large_residuals():
    c = dirichlet(lambda p, x: jnp.exp(-100 * x[0] ** 2), 0.0)  # large near 0
    cand = jnp.linspace(-1, 1, 201)[:, None]
    top = rar(c, None, cand, 5)
    assert float(jnp.max(jnp.abs(top))) <= 0.021
    pts = rad(jax.random.key(0), c, None, cand, 40, k=2.0, c=0.0)
    assert pts.shape == (40, 1) and float(jnp.mean(jnp.abs(pts))) < 0.25
    assert len(np.unique(np.asarray(pts))) == 40  # without replacement
    np.testing.assert_allclose(residual_magnitude(c, None, cand[100:101]), [1.0])
    with pytest.raises(errors.ValidationError):
        rar(c, None, cand, 0)


def test_grad_norm_weights_balance_terms():
    a = dirichlet(lambda p, x: p * x[0], 0.0, jnp.ones((4, 1)))
    b = dirichlet(lambda p, x: 10 * p * x[0], 0.0, jnp.ones((4, 1)))
    w = grad_norm_weights({"a": a, "b": b}, jnp.array(1.0))
    ga = jax.grad(lambda p: w["a"] * a.loss(p))(1.0)
    gb = jax.grad(lambda p: w["b"] * b.loss(p))(1.0)
    np.testing.assert_allclose(ga, gb, rtol=1e-5)
    w2 = jax.jit(lambda p, w: grad_norm_weights({"a": a, "b": b}, p, None, w, alpha=0.5))(
        jnp.array(1.0), {"a": 1.0, "b": 1.0}
    )
    np.testing.assert_allclose(w2["a"], 0.5 + 0.5 * w["a"], rtol=1e-5)


def test_causal_weights_suppress_later_slabs():
    base = dirichlet(lambda p, x: p + 0 * x[1], 0.0)
    pts = jnp.stack([jnp.zeros(8), jnp.linspace(0, 1, 8)], -1)
    plain = base.loss(3.0, pts)
    c = causal(base, t_range=(0.0, 1.0), n_slabs=4, eps=1.0)
    assert float(c.loss(3.0, pts)) < float(plain) / 3  # exp(-9) kills later slabs
    c0 = causal(base, t_range=(0.0, 1.0), n_slabs=4, eps=0.0)
    np.testing.assert_allclose(c0.loss(3.0, pts), plain, rtol=1e-6)


def _toy_problem():
    """u'' = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0: u = sin(pi x)."""
    net = jf.models.MLP((16, 1), activation=jnp.tanh)
    params = net.init(jax.random.key(0), jnp.ones((1, 1)))
    u = jf.physics.field(net)
    g = jf.physics.Interval(0.0, 1.0)
    pde = jf.physics.poisson(lambda x: jnp.pi**2 * jnp.sin(jnp.pi * x[0]), coords=("x",))
    terms = {
        "pde": residual(pde, u, g.sample_interior(32, method="grid"), geometry=g),
        "bc": dirichlet(u, 0.0, jnp.array([[0.0], [1.0]]), geometry=g),
    }
    return u, params, terms


def test_adam_then_lbfgs_solves_a_poisson_problem():
    u, params, terms = _toy_problem()
    loss_fn = pinn_loss(terms)
    res = optimize(loss_fn, params, optax.adam(1e-2), steps=400, chunk=200)
    assert res.history["loss"].shape == (400,) and set(res.history) >= {"pde", "bc"}
    assert res.history["loss"][-1] < res.history["loss"][0]
    res2 = lbfgs(loss_fn, res.params, max_iters=300, chunk=100)
    assert res2.history["loss"][-1] < res.history["loss"][-1] / 10
    x = jnp.linspace(0, 1, 50)[:, None]
    pred = jax.vmap(lambda z: u(res2.params, z))(x)
    err = jnp.linalg.norm(pred - jnp.sin(jnp.pi * x[:, 0])) / jnp.linalg.norm(jnp.sin(jnp.pi * x))
    assert float(err) < 1e-2


def test_optimize_refresh_resamples_inside_the_loop():
    u, params, terms = _toy_problem()
    g = jf.physics.Interval(0.0, 1.0)
    seen = []

    def refresh(key, p, batch):
        return {"pde": g.sample_interior(32, key)} | {"weights": grad_norm_weights(terms, p, batch)}

    batch = {"pde": terms["pde"].data, "weights": {"pde": 1.0, "bc": 1.0}}
    res = optimize(
        pinn_loss(terms),
        params,
        optax.adam(1e-2),
        steps=60,
        chunk=30,
        batch=batch,
        refresh=refresh,
        refresh_every=20,
        key=jax.random.key(1),
        callback=lambda s, p, aux: seen.append(s),
    )
    assert seen == [30, 60] and np.all(np.isfinite(res.history["loss"]))


def test_divergence_raises_with_last_good_params():
    def loss_fn(p, b, k):
        return jnp.sum(p**2), {}  # sgd(10) multiplies p by -19 each step: inf at ~15

    with pytest.raises(errors.TrainingDivergedError, match="NaN/inf") as e:
        optimize(loss_fn, jnp.ones(2), optax.sgd(10.0), steps=40, chunk=5)
    assert e.value.state is not None and bool(jnp.all(jnp.isfinite(e.value.state)))
    with pytest.raises(errors.TrainingDivergedError, match="lbfgs"):
        lbfgs(lambda p, b, k: (jnp.sum(p - jnp.exp(p)), {}), jnp.ones(2), max_iters=50)


def test_float64_switch_and_cast():
    tree = jf.physics.cast({"w": jnp.ones(2, jnp.float32), "i": jnp.arange(2)}, jnp.float16)
    assert tree["w"].dtype == jnp.float16 and tree["i"].dtype == jnp.arange(2).dtype
    before = jax.config.jax_enable_x64
    try:
        jf.physics.enable_float64()
        assert jnp.zeros(1).dtype == jnp.float64
    finally:
        jf.physics.enable_float64(before)


def test_lbfgs_chunks_keep_memory_and_callback_stops():
    def quad(p, b, k):
        return jnp.sum(jnp.arange(1.0, 6.0) * (p - 1.0) ** 2), {}

    seen = []
    res = lbfgs(
        quad,
        jnp.zeros(5),
        max_iters=50,
        chunk=2,
        callback=lambda it, p, loss: seen.append((it, loss)) or it >= 4,
    )
    assert [s[0] for s in seen] == [2, 4] and len(res.history["loss"]) == 4
    full = lbfgs(quad, jnp.zeros(5), max_iters=4)
    np.testing.assert_allclose(res.params, full.params, rtol=1e-6)  # chunking is invisible
