"""EWC: the vmapped Fisher against a per-example loop, consolidation, penalty, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.continual import (
    EWCState,
    ewc_consolidate,
    ewc_init,
    ewc_loss,
    ewc_penalty,
    fisher_diagonal,
)
from jaxfound.losses import weighted_sum
from jaxfound.models import MLP

NET = MLP((5, 3))


def _setup(n=5):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = rng.integers(0, 3, n).astype(np.int32)
    params = NET.init(jax.random.key(0), x[:1])
    return params, x, y


def _loop_fisher(params, x, y, labels, mask=None):
    """The reference: one example, one class at a time, in a Python loop."""
    m = jnp.ones(3, bool) if mask is None else mask

    def logp(p, xi, c):
        z = jnp.where(m, NET.apply(p, xi[None])[0], -1e30)
        return jax.nn.log_softmax(z)[c]

    grad = jax.jit(jax.grad(logp))
    prob = jax.jit(lambda p, xi: jnp.exp(jax.vmap(lambda c: logp(p, xi, c))(jnp.arange(3))))
    total = jax.tree.map(jnp.zeros_like, params)
    for i in range(len(x)):
        if labels == "empirical":
            pairs = [(int(y[i]), 1.0)]
        else:
            probs = prob(params, x[i])
            pairs = [(c, probs[c]) for c in range(3)]
        for c, w in pairs:
            g = grad(params, x[i], c)
            total = jax.tree.map(lambda t, a, w=w: t + w * a**2, total, g)
    return jax.tree.map(lambda t: t / len(x), total)


@pytest.mark.parametrize("labels", ["model", "empirical"])
def test_fisher_matches_per_example_loop(labels):
    params, x, y = _setup()
    got = fisher_diagonal(NET.apply, params, x, y, labels=labels, batch_size=3)
    want = _loop_fisher(params, x, y, labels)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)


def test_fisher_mask_and_weights():
    params, x, y = _setup()
    mask = jnp.array([True, False, True])
    y = np.where(y == 1, 0, y)
    got = fisher_diagonal(NET.apply, params, x, y, mask=mask)
    want = _loop_fisher(params, x, y, "model", mask)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)
    # zero-weight rows (padding) do not count
    pad = np.concatenate([x, 100 * np.ones((3, 4), np.float32)])
    w = np.r_[np.ones(5), np.zeros(3)]
    padded = fisher_diagonal(NET.apply, params, pad, mask=mask, weights=w)
    for a, b in zip(jax.tree.leaves(padded), jax.tree.leaves(got)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)


def test_fisher_bad_input():
    params, x, y = _setup()
    with pytest.raises(errors.EmptyDataError, match="empty set"):
        fisher_diagonal(NET.apply, params, x[:0], y[:0])
    with pytest.raises(errors.EmptyDataError):
        fisher_diagonal(NET.apply, params, x, weights=np.zeros(len(x)))
    with pytest.raises(errors.ValidationError, match="needs the labels"):
        fisher_diagonal(NET.apply, params, x, labels="empirical")
    with pytest.raises(errors.ValidationError, match="labels="):
        fisher_diagonal(NET.apply, params, x, labels="true")


def test_offline_consolidation_equals_sum_of_penalties():
    rng = np.random.default_rng(1)
    f1, f2 = rng.random(5), rng.random(5)
    a1, a2 = rng.normal(size=5), rng.normal(size=5)
    s = ewc_consolidate(ewc_consolidate(ewc_init(jnp.zeros(5)), f1, a1), f2, a2)
    g_merged = jax.grad(lambda p: ewc_penalty(p, s.anchor, s.fisher, 3.0))
    g_sum = jax.grad(lambda p: ewc_penalty(p, a1, f1, 3.0) + ewc_penalty(p, a2, f2, 3.0))
    p = jnp.asarray(rng.normal(size=5))
    np.testing.assert_allclose(g_merged(p), g_sum(p), rtol=1e-5)


def test_online_consolidation_decays():
    s = ewc_consolidate(ewc_init(jnp.zeros(2)), jnp.ones(2), jnp.ones(2), online=True, gamma=0.5)
    s = ewc_consolidate(s, jnp.ones(2), 2 * jnp.ones(2), online=True, gamma=0.5)
    np.testing.assert_allclose(s.fisher, [1.5, 1.5])
    np.testing.assert_allclose(s.anchor, [2.0, 2.0])
    with pytest.raises(errors.ValidationError, match="gamma"):
        ewc_consolidate(s, jnp.ones(2), jnp.ones(2), online=True, gamma=1.5)


def test_penalty_value_and_negative_lambda():
    p, a, f = jnp.array([1.0, 2.0]), jnp.zeros(2), jnp.array([2.0, 1.0])
    assert float(ewc_penalty(p, a, f, 4.0)) == pytest.approx(0.5 * 4 * (2 + 4))
    with pytest.raises(errors.ValidationError, match="lam"):
        ewc_penalty(p, a, f, -1.0)
    with pytest.raises(errors.ValidationError, match="lam"):
        ewc_loss(-0.1)


def test_ewc_loss_composes_with_weighted_sum():
    sup = lambda p, b, k: (jnp.sum(p**2), {})  # noqa: E731
    loss = weighted_sum({"task": sup, "ewc": ewc_loss(2.0)})
    state = EWCState(jnp.ones(2), jnp.zeros(2))
    total, aux = loss(jnp.ones(2), {"ewc": state})
    assert float(aux["ewc"]) == pytest.approx(2.0) and float(total) == pytest.approx(4.0)


@pytest.mark.slow
def test_next_context_training_leaves_the_previous_model_untouched():
    # issue 12: the previous context's parameters (the EWC anchor, a teacher) must come out of
    # the next context's training exactly as they went in, even though fit donates buffers
    import optax

    import jaxfound as jf

    p_prev, x, y = _setup(12)
    snap = jax.tree.map(np.array, p_prev)
    fisher = fisher_diagonal(lambda p, xb: NET.apply(p, xb), p_prev, x, y)
    ewc = ewc_consolidate(ewc_init(p_prev), fisher, p_prev)
    ce = jf.losses.supervised(
        NET, lambda t, out: optax.losses.softmax_cross_entropy_with_integer_labels(out, t)
    )

    def fn(params, batch, key=None):
        value, aux = ce(params, batch, key)
        return value + ewc_penalty(params, ewc.anchor, ewc.fisher, 10.0), aux

    state = jf.train.TrainState.create(p_prev, optax.adam(1e-2))
    new, _ = jf.train.fit(state, jf.losses.Loss(fn), (x, y), epochs=3, batch_size=4,
                          key=jax.random.key(1), progress=False)
    moved = jax.tree.leaves(jax.tree.map(lambda a, b: np.abs(np.asarray(a) - b).max(),
                                         new.params, snap))
    assert max(moved) > 1e-4  # the next context did train
    for tree in (p_prev, state.params, ewc.anchor):
        for a, b in zip(jax.tree.leaves(tree), jax.tree.leaves(snap)):
            np.testing.assert_array_equal(np.asarray(a), b)  # alive and bit-identical
