"""Bit-sliced dropout masks: exact keep probability, independent decisions, flax semantics."""

import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.models import MLP, Dropout
from jaxfound.models._dropout import _dyadic, dropout_mask

N = 1 << 20


def test_dyadic_rates():
    assert _dyadic(0.5) == (1, 1)
    assert _dyadic(0.375) == (3, 3)
    assert _dyadic(1 / 256) == (1, 8)
    assert _dyadic(0.0) == (0, 0)
    assert _dyadic(0.3) is None and _dyadic(1 / 512) is None


@pytest.mark.parametrize("rate", [0.5, 0.25, 0.375, 0.1, 0.3])
def test_keep_fraction_is_one_minus_rate(rate):
    m = np.asarray(dropout_mask(jax.random.key(1), rate, (N,)))
    sd = np.sqrt(rate * (1 - rate) / N)
    assert abs(m.mean() - (1 - rate)) < 6 * sd


@pytest.mark.parametrize("rate", [0.5, 0.25])
def test_decisions_are_independent(rate):
    m = np.asarray(dropout_mask(jax.random.key(2), rate, (N,)), dtype=float)
    q = 1 - rate
    # neighbours share a 32-bit draw: their joint keep frequency must still be q^2
    joint = np.mean(m[:-1] * m[1:])
    assert abs(joint - q * q) < 6 * np.sqrt(q * q * (1 - q * q) / N)
    # every bit field of the word is balanced
    per = 32 // _dyadic(rate)[1]
    cols = m[: N - N % per].reshape(-1, per).mean(0)
    assert np.all(np.abs(cols - q) < 6 * np.sqrt(q * (1 - q) / (N // per)))


def test_shapes_keys_and_bad_rate():
    a = dropout_mask(jax.random.key(0), 0.5, (3, 5, 7))
    assert a.shape == (3, 5, 7) and a.dtype == jnp.bool_
    assert not np.array_equal(a, dropout_mask(jax.random.key(1), 0.5, (3, 5, 7)))
    np.testing.assert_array_equal(a, dropout_mask(jax.random.key(0), 0.5, (3, 5, 7)))
    assert bool(jnp.all(dropout_mask(jax.random.key(0), 0.0, (4,))))
    with pytest.raises(errors.ValidationError, match="rate"):
        dropout_mask(jax.random.key(0), 1.0, (4,))


def test_layer_matches_flax_semantics():
    x = jax.random.normal(jax.random.key(0), (64, 512))
    rngs = {"dropout": jax.random.key(3)}
    np.testing.assert_array_equal(Dropout(0.5).apply({}, x, deterministic=True), x)
    y = Dropout(0.5).apply({}, x, deterministic=False, rngs=rngs)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 2.0 * x[kept], rtol=1e-6)  # inverted scaling
    # flax's own layer gives the same expectation: E[y] = x
    ys = jax.vmap(lambda k: Dropout(0.25).apply({}, x, deterministic=False, rngs={"dropout": k}))(
        jax.random.split(jax.random.key(4), 400)
    )
    # E[y] = x entrywise: 400 draws, sd of the mean |x| sqrt(p / (1 - p) / 400)
    sd = np.abs(np.asarray(x)) * np.sqrt(0.25 / 0.75 / 400)
    assert np.all(np.abs(np.asarray(ys.mean(0)) - np.asarray(x)) <= 6 * sd + 1e-6)
    with pytest.raises(flax.errors.InvalidRngError):  # like flax: no rng, no dropout
        Dropout(0.5).apply({}, x, deterministic=False)


def test_mlp_layers_draw_different_masks():
    net = MLP((256, 256, 1), dropout=0.5, activation=lambda v: v * 0 + 1.0)
    p = net.init(jax.random.key(0), jnp.ones((1, 4)))
    # with a constant activation the output is a weighted count of kept units
    out = net.apply(p, jnp.ones((2, 4)), deterministic=False, rngs={"dropout": jax.random.key(5)})
    assert out[0, 0] != out[1, 0]  # rows get their own masks
