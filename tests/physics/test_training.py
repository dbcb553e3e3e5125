"""Training aids, and physics-informed training on the one loop (`jf.train.fit`)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.physics import (
    cast,
    causal,
    dirichlet,
    grad_norm_weights,
    rad,
    rar,
    residual,
    residual_magnitude,
)
from jaxfound.train import EarlyStopping, Sampler, TrainState, fit

#: the zoom line search of the former `physics.lbfgs` (optax.lbfgs's default starts
#: every line search at step 1; "keep" starts at the last accepted step)
LINESEARCH = optax.scale_by_zoom_linesearch(max_linesearch_steps=20)


def lbfgs_state(params, memory_size=20):
    """An L-BFGS state in the parameters' precision (float32 here)."""
    tx = optax.lbfgs(memory_size=memory_size, linesearch=LINESEARCH)
    return cast(TrainState.create(params, tx), jnp.float32)


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


@pytest.mark.slow  # two compilations of a second-derivative residual, ~20 s
def test_adam_then_lbfgs_solves_a_poisson_problem():
    u, params, terms = _toy_problem()
    loss = jf.losses.weighted_sum(terms)
    state, hist = fit(
        TrainState.create(params, optax.adam(1e-2)),
        loss,
        steps=400,
        steps_per_call=200,
        progress=False,
    )
    assert len(hist["loss"]) == 2 and set(hist) >= {"pde", "bc"}
    assert hist["loss"][-1] < hist["loss"][0]
    adam_loss = float(loss(state.params, None)[0])
    # the former physics.optimize: 8.0e-3 after these 400 steps (same seeds)
    assert 4e-3 < adam_loss < 1.6e-2
    state, hist2 = fit(
        lbfgs_state(state.params), loss, steps=300, steps_per_call=100, progress=False
    )
    assert int(state.step) == 300 and len(hist2["loss"]) == 3
    # the former physics.lbfgs: 2.3e-5 (float32 L-BFGS amplifies rounding differences)
    assert float(loss(state.params, None)[0]) < adam_loss / 100
    x = jnp.linspace(0, 1, 50)[:, None]
    pred = jax.vmap(lambda z: u(state.params, z))(x)
    err = jnp.linalg.norm(pred - jnp.sin(jnp.pi * x[:, 0])) / jnp.linalg.norm(jnp.sin(jnp.pi * x))
    assert float(err) < 1e-3


def test_sampler_refreshes_points_and_weights_inside_the_loop():
    u, params, terms = _toy_problem()
    g = jf.physics.Interval(0.0, 1.0)
    candidates = g.sample_interior(256, method="grid")

    def refresh(key, p, batch, step):
        pts = rad(key, terms["pde"], p, candidates, 32)
        weights = grad_norm_weights(terms, p, {"pde": pts}, batch["weights"])
        return {"pde": pts, "weights": weights | {"probe": step.astype(jnp.float32)}}

    # an unrouted term that reports the weight the batch carries (and adds nothing)
    probe = lambda p, batch, key: (0.0, {"w": batch["weights"]["probe"]})  # noqa: E731
    loss = jf.losses.weighted_sum(terms | {"probe": probe})
    # fresh points: fit donates the buffers of a Sampler's init
    init = {
        "pde": g.sample_interior(32, method="grid"),
        "weights": {"pde": 1.0, "bc": 1.0, "probe": -1.0},
    }
    state = TrainState.create(params, optax.adam(1e-2), key=jax.random.key(1))
    seen = []
    state, hist = fit(
        state,
        loss,
        Sampler(refresh, init=init, every=20),
        steps=60,
        steps_per_call=30,
        callbacks=[lambda epoch, s, logs: seen.append(int(s.step))],
        progress=False,
    )
    assert seen == [30, 60] and np.all(np.isfinite(hist["loss"]))
    # refreshed before steps 20 and 40 (global step count): chunk means of the probe
    np.testing.assert_allclose(hist["probe/w"], [(-20 + 10 * 20) / 30, (10 * 20 + 20 * 40) / 30])
    assert hist["loss"][-1] < hist["loss"][0]

    # the recipe of docs/physics/index.md: no init, the sampler makes the first batch
    def recipe(key, p, batch, step):
        pts = rad(key, terms["pde"], p, candidates, 32)
        previous = None if batch is None else batch["weights"]
        return {"pde": pts, "weights": grad_norm_weights(terms, p, {"pde": pts}, previous)}

    state = TrainState.create(params, optax.adam(1e-2), key=jax.random.key(1))
    state, hist = fit(
        state, jf.losses.weighted_sum(terms), Sampler(recipe, every=20), steps=60,
        steps_per_call=30, progress=False,
    )  # fmt: skip
    assert np.all(np.isfinite(hist["loss"])) and hist["loss"][-1] < hist["loss"][0]


def test_divergence_raises_with_the_last_finite_state():
    def loss(p, b, k):
        return jnp.sum(p**2), {}  # sgd(10) multiplies p by -19 each step: inf at ~15

    with pytest.raises(errors.TrainingDivergedError, match="NaN/inf") as e:
        fit(
            TrainState.create(jnp.ones(2), optax.sgd(10.0)),
            loss,
            steps=40,
            steps_per_call=5,
            progress=False,
        )
    s = e.value.state
    assert isinstance(s, TrainState) and bool(jnp.all(jnp.isfinite(s.params)))
    assert 10 <= int(s.step) < 40 and float(jnp.max(jnp.abs(s.params))) > 1e10
    with pytest.raises(errors.TrainingDivergedError):  # unbounded below: L-BFGS runs off to -inf
        fit(
            lbfgs_state(jnp.ones(2)),
            lambda p, b, k: (jnp.sum(p - jnp.exp(p)), {}),
            steps=50,
            progress=False,
        )


def test_float64_switch_and_cast():
    tree = cast({"w": jnp.ones(2, jnp.float32), "i": jnp.arange(2)}, jnp.float16)
    assert tree["w"].dtype == jnp.float16 and tree["i"].dtype == jnp.arange(2).dtype
    before = jax.config.jax_enable_x64
    try:
        jf.physics.enable_float64()
        assert jnp.zeros(1).dtype == jnp.float64
    finally:
        jf.physics.enable_float64(before)
    # cast returns strongly typed leaves (as TrainState.create makes them), keys untouched
    weak = lambda t: [x for x in jax.tree_util.tree_leaves(t) if getattr(x, "weak_type", 0)]  # noqa: E731
    tree = {"n": jnp.asarray(3), "x": jnp.asarray(1.0)}  # Python scalars: weakly typed
    assert weak(tree) and not weak(cast(tree, jnp.float32))
    state = TrainState.create(jnp.zeros(3), optax.lbfgs(), key=jax.random.key(0))
    assert not weak(state) and cast(state, jnp.float32).key.dtype == state.key.dtype


def test_lbfgs_in_fit_chunks_are_invisible_and_callbacks_stop():
    c = jnp.arange(1.0, 6.0)

    def quad(p, b, k):
        return jnp.sum(c * (p - 1.0) ** 2), {}

    seen = []
    state, hist = fit(
        lbfgs_state(jnp.zeros(5)),
        quad,
        steps=50,
        steps_per_call=2,
        progress=False,
        callbacks=[lambda e, s, logs: seen.append(int(s.step)) or int(s.step) >= 4],
    )
    assert seen == [2, 4] and int(state.step) == 4 and len(hist["loss"]) == 2
    full, _ = fit(lbfgs_state(jnp.zeros(5)), quad, steps=4, progress=False)
    np.testing.assert_allclose(state.params, full.params, rtol=1e-6)  # chunking is invisible
    # the former physics.lbfgs gave these after 4 iterations (same line search)
    np.testing.assert_allclose(
        full.params, [0.93242049, 1.04725099, 0.99263859, 1.02396083, 1.00382531], rtol=1e-5
    )
    # a quadratic in 5 unknowns: exact after a few more iterations
    done, _ = fit(lbfgs_state(jnp.zeros(5)), quad, steps=20, progress=False)
    np.testing.assert_allclose(done.params, 1.0, atol=1e-5)


def test_lbfgs_early_stopping_ends_a_stalled_run():
    def rosen(p, b, k):
        return jnp.sum(100 * (p[1:] - p[:-1] ** 2) ** 2 + (1 - p[:-1]) ** 2), {}

    stop = EarlyStopping("loss", patience=1, restore_best=False)
    state, hist = fit(
        lbfgs_state(jnp.zeros(4)),
        rosen,
        steps=2000,
        steps_per_call=50,
        callbacks=[stop],
        progress=False,
    )
    np.testing.assert_allclose(state.params, 1.0, atol=1e-4)  # the former lbfgs: 125 its
    assert int(state.step) < 2000 and hist["loss"][-1] == hist["loss"][-2]
