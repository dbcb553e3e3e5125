"""Streaming accumulators in a jitted lax.scan equal the metric on all data."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import stats as st

K = 3


def scan(acc, y, p, w):
    """Run ``acc`` over 5 batches of y/p/w inside one jitted lax.scan."""
    batches = jax.tree_util.tree_map(lambda a: a.reshape((5, -1) + a.shape[1:]), (y, p, w))

    @jax.jit
    def run(batches):
        def body(state, b):
            return acc.update(state, *b), None
        state, _ = jax.lax.scan(body, acc.init(), batches)
        return acc.compute(state)

    return run(batches)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, K, 100)
    logits = rng.normal(size=(100, K)) + np.eye(K)[y]
    prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    t = rng.normal(size=(100, 2))
    return y, prob.astype(np.float32), t.astype(np.float32), \
        (t + rng.normal(size=(100, 2))).astype(np.float32)


def test_classification_accumulators(data):
    y, prob, _, _ = data
    w = np.ones(100, np.float32)
    w[-7:] = 0.0  # padded rows of a short last batch
    kept = slice(0, 93)
    cases = [
        (st.streaming_mean(st.accuracy), st.accuracy(y[kept], prob[kept])),
        (st.streaming_mean(st.log_loss), st.log_loss(y[kept], prob[kept])),
        (st.streaming_confusion_matrix(K), st.confusion_matrix(y[kept], prob[kept], K)),
        (st.streaming_f1(K, "macro"), st.f1_score(y[kept], prob[kept], K, "macro")),
        (st.streaming_f1(K, "weighted", "recall"), st.recall(y[kept], prob[kept], K, "weighted")),
        (st.streaming_ece(10), st.expected_calibration_error(y[kept], prob[kept], 10)),
    ]
    for acc, ref in cases:
        np.testing.assert_allclose(scan(acc, y, prob, w), ref, rtol=1e-5, atol=1e-6)


def test_regression_accumulators(data):
    _, _, t, p = data
    w = np.ones(100, np.float32)
    cases = [
        (st.streaming_mse(2), st.mse(t, p)),
        (st.streaming_rmse(2), st.rmse(t, p)),
        (st.streaming_r2(2), st.r2_score(t, p)),
        (st.streaming_l2_relative_error(2), st.l2_relative_error(t, p)),
        (st.streaming_mean(st.mae), st.mae(t, p)),
    ]
    for acc, ref in cases:
        np.testing.assert_allclose(scan(acc, t, p, w), ref, rtol=1e-5)
    one = st.streaming_r2()
    np.testing.assert_allclose(scan(one, t[:, 0], p[:, 0], w), st.r2_score(t[:, 0], p[:, 0]),
                               rtol=1e-5)


def test_r2_stable_with_large_offset():
    # naive sum-of-squares R^2 loses all digits here in float32; Chan's merge does not
    rng = np.random.default_rng(1)
    t = (1e4 + rng.normal(size=400)).astype(np.float32)
    p = (t + 0.5 * rng.normal(size=400)).astype(np.float32)
    ref = st.r2_score(t.astype(np.float64) - 1e4, p.astype(np.float64) - 1e4)
    got = scan(st.streaming_r2(), t, p, np.ones(400, np.float32))
    assert float(got) == pytest.approx(float(ref), abs=2e-3)


def test_python_loop_use():
    acc = st.streaming_mean(st.accuracy)
    update = jax.jit(acc.update)
    state = acc.init()
    for y, p in [(jnp.array([0, 1]), jnp.array([0, 0])), (jnp.array([1, 1]), jnp.array([1, 1]))]:
        state = update(state, y, p)
    assert float(acc.compute(state)) == 0.75
