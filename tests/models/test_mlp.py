import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxfound as jf
from jaxfound.models import MLP, from_function, from_linen, from_nnx


def test_mlp_shapes_params_and_flatten():
    net = MLP((128, 128, 10), dropout=0.5)
    params = net.init(jax.random.key(0), jnp.ones((1, 28, 28)))
    sizes = [p.size for p in jax.tree_util.tree_leaves(params)]
    assert sum(sizes) == 784 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10
    assert net.apply(params, jnp.ones((3, 28, 28))).shape == (3, 10)


def test_mlp_is_the_composition_it_claims():
    net = MLP((3, 2), activation=jnp.tanh)
    x = jax.random.normal(jax.random.key(0), (4, 5))
    p = net.init(jax.random.key(1), x)["params"]
    manual = jnp.tanh(x @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"])
    manual = manual @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"]
    np.testing.assert_allclose(net.apply({"params": p}, x), manual, rtol=1e-6)


@pytest.mark.parametrize("rate", [0.0, 0.5])
def test_dropout_only_in_training(rate):
    net = MLP((256, 1), dropout=rate)
    x = jnp.ones((2, 3))
    params = net.init(jax.random.key(0), x)
    apply = from_linen(net)
    a = apply(params, x, None)
    b = apply(params, x, jax.random.key(1))
    assert np.allclose(a, b) == (rate == 0.0)


def test_nnx_and_plain_function_models_train_through_fit():
    import optax

    x = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    y = (2 * x[:, 0] + 1).astype(np.float32)
    sq = lambda t, o: (o[:, 0] - t) ** 2

    params, apply = from_nnx(nnx.Linear(1, 1, rngs=nnx.Rngs(0)))
    state = jf.train.TrainState.create(params, optax.adam(0.1), key=jax.random.key(0))
    state, hist = jf.train.fit(
        state, jf.losses.supervised(apply, sq), (x, y), epochs=40, batch_size=16, progress=False
    )
    assert hist["loss"][-1] < 1e-3

    plain = from_function(lambda p, xb: xb * p["a"] + p["b"])
    state = jf.train.TrainState.create(
        {"a": jnp.zeros(()), "b": jnp.zeros(())}, optax.adam(0.1), key=jax.random.key(0)
    )
    state, hist = jf.train.fit(
        state, jf.losses.supervised(plain, sq), (x, y), epochs=40, batch_size=16, progress=False
    )
    np.testing.assert_allclose([state.params["a"], state.params["b"]], [2.0, 1.0], atol=1e-2)
