"""`jaxfound.models.Dense`: flax's Dense computed as one 2-D matmul, same function."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxfound.models import Dense, rows_dot_general


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5), (2, 1, 3, 5)])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_same_parameters_outputs_and_gradients_as_flax_dense(shape, dtype):
    with jax.enable_x64(dtype == jnp.float64):
        x = jax.random.normal(jax.random.key(1), shape, dtype)
        ours, theirs = Dense(4, param_dtype=dtype), nn.Dense(4, param_dtype=dtype)
        p = ours.init(jax.random.key(0), x)
        q = theirs.init(jax.random.key(0), x)
        assert jax.tree.structure(p) == jax.tree.structure(q)
        jax.tree.map(np.testing.assert_array_equal, p, q)  # same names, shapes, init
        y, y_ref = ours.apply(p, x), theirs.apply(p, x)
        assert y.shape == (*shape[:-1], 4) and y.dtype == dtype
        tol = 1e-6 if dtype == jnp.float32 else 1e-13
        np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)

        def grads(m):
            return jax.grad(lambda p, x: jnp.sum(jnp.sin(m.apply(p, x))), (0, 1))(p, x)

        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=tol, atol=tol),
                     grads(ours), grads(theirs))  # fmt: skip


def test_gradients_match_finite_differences():
    with jax.enable_x64(True):
        x = jax.random.normal(jax.random.key(2), (2, 3, 4), jnp.float64)
        w = jax.random.normal(jax.random.key(3), (4, 6), jnp.float64)
        f = lambda x, w: rows_dot_general(x, w, (((2,), (0,)), ((), ())))  # noqa: E731
        check_grads(f, (x, w), order=2, modes=("rev", "fwd"))


def test_other_contractions_fall_through_to_lax():
    a = jax.random.normal(jax.random.key(4), (3, 4, 5))
    b = jax.random.normal(jax.random.key(5), (3, 5, 2))
    dn = (((2,), (1,)), ((0,), (0,)))  # batched: not a Dense product
    np.testing.assert_array_equal(rows_dot_general(a, b, dn), jax.lax.dot_general(a, b, dn))
    m = jax.random.normal(jax.random.key(6), (4, 2))
    dn = (((1,), (0,)), ((), ()))  # a middle axis contracted
    np.testing.assert_array_equal(rows_dot_general(a, m, dn), jax.lax.dot_general(a, m, dn))
