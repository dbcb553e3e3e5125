"""taylor2 against nested forward-mode jvp, on many primitives and networks."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.physics import taylor2


def _reference(f, x, dirs, w, weights):
    y0 = f(x)
    y1 = jnp.stack([jax.jvp(f, (x,), (v,))[1] for v in dirs])
    y2 = jnp.zeros_like(y0)
    for v, c in zip(dirs, weights):
        y2 = y2 + c * jax.jvp(lambda z, v=v: jax.jvp(f, (z,), (v,))[1], (x,), (v,))[1]
    if w is not None:
        y2 = y2 + jax.jvp(f, (x,), (w,))[1]
    return y0, y1, y2


_net = nn.Sequential(
    [nn.Dense(7), jnp.tanh, nn.Dense(5), jax.nn.gelu, nn.Dense(3), jax.nn.sigmoid, nn.Dense(2)]
)
_params = _net.init(jax.random.key(0), jnp.ones(3))

FUNCTIONS = {
    "mlp": lambda x: _net.apply(_params, x),
    "elementary": lambda x: (
        jnp.sin(x[0]) * jnp.exp(x[1])
        + x[2] ** 3 / (1 + x[0] ** 2)
        + jnp.log1p(x[1] ** 2)
        + jnp.sqrt(2 + x[2])
        + jnp.linalg.norm(x)
        + jnp.cos(x).sum()
    ),
    "branches": lambda x: (
        jnp.where(x[0] > 0, x[0] ** 2, jnp.cos(x[1]))
        + jnp.maximum(x[1], x[2])
        + jax.nn.softplus(x).sum()
        + jnp.arctan(x[2])
        + jax.nn.relu(x).sum()
        + jnp.abs(x[1])
    ),
    "vector": lambda x: jnp.stack(
        [x[0] * x[1], jnp.tanh(x @ x), jnp.cosh(x[2]) * jax.lax.rsqrt(3.0 + x[1])]
    ),
    "pow_gather": lambda x: (
        x[0] ** x[1] * 2.0 ** x[2]
        + jnp.concatenate([x, x**2])[jnp.array([0, 4, 5])].sum()
        + jax.scipy.special.erf(x).sum()
        + jnp.sinh(x[0])
        + jax.nn.silu(x[1])
    ),
    "scan": lambda x: jax.lax.scan(lambda c, _: (jnp.sin(c) * 1.1, None), x, None, length=3)[
        0
    ].sum(),
    "checkpoint": lambda x: jax.checkpoint(lambda z: jnp.tanh(z) ** 2)(x).sum(),
    "matrix": lambda x: jnp.outer(x, x) @ jnp.arange(9.0).reshape(3, 3) / (1.0 + x[0] ** 2),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("weights", [(1, 1, 1), (0.5, -2.0, 0)])
def test_matches_nested_jvp(name, weights):
    f = FUNCTIONS[name]
    rng = np.random.default_rng(0)
    x = jnp.array([0.3, 0.7, -0.4])
    dirs = jnp.asarray(rng.normal(size=(3, 3)), x.dtype)
    w = jnp.asarray(rng.normal(size=3), x.dtype)
    got = taylor2(f, x, dirs, w, list(weights))
    want = _reference(f, x, dirs, w, weights)
    for a, b in zip(got, want):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


def test_no_second_order_input_and_single_direction():
    f = lambda x: jnp.tanh(x[0] * x[1])
    x = jnp.array([0.4, -1.2])
    y0, y1, y2 = taylor2(f, x, jnp.array([[1.0, 0.0]]))
    h = jax.hessian(f)(x)
    np.testing.assert_allclose(y2, h[0, 0], rtol=1e-5)
    np.testing.assert_allclose(y1[0], jax.grad(f)(x)[0], rtol=1e-5)


def test_constant_function_gives_zero_derivatives():
    y0, y1, y2 = taylor2(lambda x: jnp.ones(2), jnp.ones(3), jnp.eye(3))
    assert y1.shape == (3, 2) and float(jnp.abs(y1).max()) == 0 and float(jnp.abs(y2).max()) == 0


def test_traced_weights_vmap_and_reverse_mode():
    """Collapsed terms under vmap and jit, differentiated w.r.t. parameters and weights."""

    def loss(p, c, X, taylor):
        def one(x):
            f = lambda y: _net.apply(p, y)
            dirs = jnp.eye(3)[:2]
            w = jnp.array([0.0, 0.0, -3.0])
            if taylor:
                y0, y1, y2 = taylor2(f, x, dirs, w, [c, 1.0])
            else:
                y0, y1, y2 = _reference(f, x, dirs, w, [c, 1.0])
            return jnp.sum(y0 * y1[0] + y2)

        return jnp.sum(jax.vmap(one)(X))

    X = jnp.asarray(np.random.default_rng(1).normal(size=(5, 3)), jnp.float32)
    g1 = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=3)(_params, 0.7, X, True)
    g2 = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=3)(_params, 0.7, X, False)
    for a, b in zip(jax.tree_util.tree_leaves(g1), jax.tree_util.tree_leaves(g2)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_rejects_multiple_outputs():
    with pytest.raises(errors.ValidationError, match="return one array, got 2 outputs; stack"):
        taylor2(lambda x: (x, x), jnp.ones(2), jnp.eye(2))


def test_weights_length_checked():
    with pytest.raises(errors.ShapeError, match="1 weights for 2 directions; pass one weight"):
        taylor2(jnp.sum, jnp.ones(2), jnp.eye(2), None, [1.0])
