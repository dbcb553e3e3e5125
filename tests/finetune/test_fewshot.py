import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxfound import errors
from jaxfound.finetune import fit_draws, stack_states, stratified_draws
from jaxfound.finetune._fewshot import _fit_draws
from jaxfound.losses import as_loss


def test_draws_are_stratified_reproducible_and_different():
    y = np.array([0] * 30 + [1] * 12 + [2] * 9)
    idx = stratified_draws(jax.random.key(0), y, 8, n_draws=10)
    assert idx.shape == (10, 24)
    for row in idx:
        assert np.bincount(y[row]).tolist() == [8, 8, 8] and len(set(row)) == 24
    np.testing.assert_array_equal(idx, stratified_draws(jax.random.key(0), y, 8, n_draws=10))
    assert len({tuple(r) for r in idx}) == 10
    with pytest.raises(errors.ValidationError, match="class 2 has only 9"):
        stratified_draws(jax.random.key(0), y, 10)
    with pytest.raises(errors.DTypeError):
        stratified_draws(jax.random.key(0), np.array([0.5, 1.0]), 1)


def _problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    w = rng.normal(size=(5, 2)).astype(np.float32)
    y = np.argmax(x @ w, 1)
    return x, y


def _probe_loss(p, batch, key):
    x, y = batch
    z = x @ p["w"] + p["b"]
    return optax.losses.softmax_cross_entropy_with_integer_labels(z, y).mean(), {}


@pytest.mark.slow  # compile-bound: ~30-140 s wall on the loaded 2-core box
def test_vmapped_draws_equal_sequential_runs():
    x, y = _problem()
    idx = stratified_draws(jax.random.key(1), y, 16, n_draws=4)
    init = lambda k: {"w": 0.01 * jax.random.normal(k, (5, 2)), "b": jnp.zeros(2)}  # noqa: E731
    keys = jax.random.split(jax.random.key(2), 4)
    tx = optax.adam(0.05)
    states, losses = fit_draws(_probe_loss, stack_states(init, tx, keys), (x[idx], y[idx]),
                               steps=40, batch_size=8, key=jax.random.key(3))
    assert losses.shape == (4, 40) and bool((losses[:, -5:].mean(1) < losses[:, 0]).all())
    batch_keys = jax.random.split(jax.random.key(3), 4)
    d = 2  # one draw alone, with the same keys, gives the same model
    one = jax.tree_util.tree_map(lambda a: a[d:d + 1], stack_states(init, tx, keys))
    s, l1 = _fit_draws(one, (x[idx[d:d + 1]], y[idx[d:d + 1]]), batch_keys[d:d + 1], None,
                       loss=as_loss(_probe_loss), steps=40, batch_size=8)
    np.testing.assert_allclose(s.params["w"][0], states.params["w"][d], rtol=1e-5, atol=1e-6)
    # shared arrays: the loss gets (shared, batch)
    shared_loss = lambda p, b, k: _probe_loss(p, (b[1][0] @ b[0], b[1][1]), k)  # noqa: E731
    s2, l2 = fit_draws(shared_loss, stack_states(init, tx, keys),
                       (x[idx], y[idx]), steps=40, batch_size=8, key=jax.random.key(3),
                       shared=jnp.eye(5))
    np.testing.assert_allclose(l2, losses, rtol=1e-5, atol=1e-6)


def test_fit_draws_bad_input():
    x, y = _problem()
    init = lambda k: {"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}  # noqa: E731
    s = stack_states(init, optax.sgd(0.1), jax.random.split(jax.random.key(0), 3))
    with pytest.raises(errors.ShapeError, match="leading axes"):
        fit_draws(_probe_loss, s, (x[None], y[None]), steps=2, batch_size=4,
                  key=jax.random.key(0))
