import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxfound.losses import Loss
from jaxfound.train import TrainState, make_step


def quad_loss(p, batch, key):
    return jnp.sum((p - batch) ** 2), {"norm": jnp.sum(p**2)}


def test_step_matches_closed_form_sgd():
    # L = |p - b|^2, grad = 2 (p - b); sgd(lr): p' = p - lr * 2 (p - b)
    state = TrainState.create(jnp.array([1.0, -2.0]), optax.sgd(0.1))
    b = jnp.array([3.0, 0.0])
    new, aux = jax.jit(make_step(quad_loss))(state, b)
    np.testing.assert_allclose(new.params, [1.0 - 0.2 * (1 - 3), -2.0 - 0.2 * (-2 - 0)], rtol=1e-6)
    assert int(new.step) == 1
    np.testing.assert_allclose(aux["loss"], 4 + 4)
    np.testing.assert_allclose(aux["norm"], 5.0)


def test_step_is_pure_and_key_threads_deterministically():
    seen = []

    def loss(p, b, key):
        noise = jax.random.normal(key, p.shape)
        return jnp.sum((p - noise) ** 2), {}

    s0 = TrainState.create(jnp.zeros(3), optax.sgd(0.1), key=jax.random.key(7))
    step = jax.jit(make_step(loss))
    a, _ = step(s0, None)
    b, _ = step(s0, None)
    np.testing.assert_array_equal(a.params, b.params)  # same state in, same state out
    assert not np.array_equal(jax.random.key_data(a.key), jax.random.key_data(s0.key))
    c, _ = step(a, None)
    assert not np.allclose(c.params - a.params, a.params - s0.params)  # fresh noise each step
    seen.append(1)
    np.testing.assert_array_equal(s0.params, np.zeros(3))  # input state untouched


def test_step_with_model_state():
    def loss(p, b, key, ms):
        return jnp.sum(p**2), {"seen": ms + 1.0}, ms + 1.0

    state = TrainState.create(jnp.ones(2), optax.sgd(0.5), model_state=jnp.array(0.0))
    step = make_step(Loss(loss, stateful=True))
    state, aux = step(state, None)
    state, aux = step(state, None)
    assert float(state.model_state) == 2.0
    np.testing.assert_allclose(state.params, [0.0, 0.0])


def test_apply_gradients_forwards_lbfgs_arguments():
    f = lambda p: jnp.sum((p - 2.0) ** 2)
    state = TrainState.create(jnp.zeros(3), optax.lbfgs())
    for _ in range(5):
        v, g = jax.value_and_grad(f)(state.params)
        state = state.apply_gradients(g, value=v, grad=g, value_fn=f)
    np.testing.assert_allclose(state.params, 2.0, atol=1e-5)


def test_make_step_with_lbfgs_passes_no_key_and_reports_only_the_loss():
    keys = []

    def loss(p, b, key):
        keys.append(key)  # at trace time: every call the step makes
        return jnp.sum((p - 2.0) ** 2), {"extra": jnp.sum(p)}

    state = TrainState.create(jnp.zeros(3), optax.lbfgs(), key=jax.random.key(0))
    step = jax.jit(make_step(loss))
    for _ in range(5):
        state, aux = step(state, None)
    assert keys and all(k is None for k in keys)
    assert set(aux) == {"loss"}
    np.testing.assert_allclose(state.params, 2.0, atol=1e-5)
    np.testing.assert_allclose(aux["loss"], 0.0, atol=1e-8)
