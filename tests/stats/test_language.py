"""Perplexity, bits per token and the windowed next-token loss, on closed forms."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.stats import bits_per_token, next_token_loss, perplexity


@pytest.mark.parametrize("v", [2, 65, 256])
def test_uniform_model_has_perplexity_v_and_log2_v_bits(v):
    uniform = lambda params, x: jnp.zeros(x.shape + (v,))  # noqa: E731
    tokens = np.random.default_rng(0).integers(0, v, 301)
    loss = next_token_loss(uniform, None, tokens, block_size=16, batch_size=4)
    np.testing.assert_allclose(float(loss), math.log(v), rtol=1e-6)
    np.testing.assert_allclose(float(perplexity(loss)), v, rtol=1e-5)
    np.testing.assert_allclose(float(bits_per_token(loss)), math.log2(v), rtol=1e-6)


def test_perplexity_and_bits_closed_forms_and_jit():
    losses = jnp.array([0.0, 1.0, math.log(10.0)])
    np.testing.assert_allclose(perplexity(losses), [1.0, math.e, 10.0], rtol=1e-6)
    np.testing.assert_allclose(bits_per_token(losses), [0.0, 1 / math.log(2), math.log2(10)],
                               rtol=1e-6)
    np.testing.assert_allclose(jax.jit(perplexity)(1.0), math.e, rtol=1e-6)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(errors.ValidationError, match="loss"):
            perplexity(bad)
        with pytest.raises(errors.ValidationError, match="loss"):
            bits_per_token(bad)


def _bigram_loss(table, tokens):
    """Mean -log softmax(table[x_t])[x_{t+1}] over every t, in float64."""
    logits = table[tokens[:-1]].astype(np.float64)
    m = logits.max(1, keepdims=True)
    logp = logits - (m + np.log(np.exp(logits - m).sum(1, keepdims=True)))
    return -logp[np.arange(len(tokens) - 1), tokens[1:]].mean()


@pytest.mark.parametrize("n", [33, 41, 200, 7])  # (n - 1) % 8: 0, 0, 7, 6 (one short window)
def test_every_target_counted_once_against_a_bigram_model(n):
    # a bigram model's prediction depends only on the previous token, so the windowing
    # cannot change its loss: the mean must equal the direct sum over all n - 1 targets
    rng = np.random.default_rng(n)
    table = rng.normal(size=(11, 11)).astype(np.float32) * 2
    bigram = lambda params, x: params[x]  # noqa: E731
    tokens = rng.integers(0, 11, n)
    loss = next_token_loss(bigram, jnp.asarray(table), tokens, block_size=8, batch_size=3)
    np.testing.assert_allclose(float(loss), _bigram_loss(table, tokens), rtol=1e-5)


def test_context_restarts_at_windows():
    # a model that predicts "the first token of my window": loss is 0 where the target is
    # that token. With tokens 0, 1, 0, 1 ... and windows of 2 starting at even positions,
    # targets are odd-position tokens (1) and even ones (0): compute the exact mean.
    v = 2

    def first_token(params, x):
        return jnp.where(jnp.arange(v) == x[:, :1, None], 0.0, -1e9) * jnp.ones(x.shape + (v,))

    tokens = np.arange(9) % 2  # 0 1 0 1 0 1 0 1 0: 8 targets, 4 windows of 2
    loss = next_token_loss(first_token, None, tokens, block_size=2)
    # each window [0, 1] -> targets [1, 0]: the second target (0) matches, the first misses
    np.testing.assert_allclose(float(loss), 0.5 * 1e9, rtol=1e-6)


def test_with_a_gpt_matches_a_direct_evaluation():
    from jaxfound.models.gpt import GPTConfig
    from tests.models.test_gpt import TINY, init

    model, params = init(GPTConfig(**TINY))  # block_size 16, vocab 32
    tokens = np.random.default_rng(1).integers(0, 32, 2 * 16 + 1)
    loss = next_token_loss(model.apply, params, tokens, block_size=16)
    x = jnp.asarray(tokens[:-1].reshape(2, 16))
    y = tokens[1:].reshape(2, 16)
    logp = jax.nn.log_softmax(jax.jit(model.apply)(params, x))
    direct = -np.take_along_axis(np.asarray(logp), y[..., None], -1).mean()
    np.testing.assert_allclose(float(loss), direct, rtol=1e-5)
    assert abs(float(loss) - math.log(32)) < 0.1  # nanoGPT's init: close to uniform


def test_bad_input():
    f = lambda p, x: jnp.zeros(x.shape + (3,))  # noqa: E731
    with pytest.raises(errors.ValidationError, match="at least 2"):
        next_token_loss(f, None, np.array([1]), block_size=4)
    with pytest.raises(errors.ShapeError, match="tokens"):
        next_token_loss(f, None, np.zeros((3, 3), int), block_size=4)
    with pytest.raises(errors.DTypeError, match="tokens"):
        next_token_loss(f, None, np.zeros(10), block_size=4)
    with pytest.raises(errors.ValidationError, match="block_size"):
        next_token_loss(f, None, np.arange(10), block_size=0)
    with pytest.raises(errors.ValidationError, match="batch_size"):
        next_token_loss(f, None, np.arange(10), block_size=4, batch_size=None)
