"""Replay buffers: class balance, reservoir uniformity, sampling, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.continual import class_balanced_add, replay_init, replay_sample, reservoir_add
from jaxfound.continual._replay import check_per_class


def test_class_balanced_exact_counts_over_contexts():
    rng = np.random.default_rng(0)
    buf = replay_init(3 * 4, jnp.zeros(2))
    add = jax.jit(class_balanced_add, static_argnums=8)
    for t in range(2):  # two contexts of two classes; class slots g*3 .. g*3+2
        y = rng.choice([2 * t, 2 * t + 1], size=50, p=[0.9, 0.1])  # unbalanced data
        x = np.stack([y, np.arange(50)], 1).astype(np.float32)
        buf = add(buf, jax.random.key(t), jnp.asarray(x), jnp.asarray(y),
                                 jnp.asarray(y), t, 40, jnp.array([2 * t, 2 * t + 1]), 3)
    assert bool(buf.valid.all())
    np.testing.assert_array_equal(np.bincount(np.asarray(buf.y), minlength=4), [3, 3, 3, 3])
    np.testing.assert_array_equal(buf.context, [0] * 6 + [1] * 6)
    assert float(buf.x[:, 1].max()) < 40  # only the first n rows are candidates
    assert len(set(np.asarray(buf.x[:3, 1]).tolist())) == 3  # without replacement


def test_class_balanced_jits_and_vmaps():
    y = jnp.arange(20) % 2
    f = jax.jit(jax.vmap(lambda k: class_balanced_add(replay_init(4, jnp.zeros(1)), k,
                                                      jnp.zeros((20, 1)), y, y, 0, 20,
                                                      jnp.array([0, 1]), 2)))
    out = f(jax.random.split(jax.random.key(0), 3))
    assert out.y.shape == (3, 4) and bool(out.valid.all())


def test_reservoir_is_uniform():
    add = jax.jit(jax.vmap(lambda k: reservoir_add(replay_init(5, jnp.zeros(1)), k,
                                                    jnp.zeros((20, 1)), jnp.arange(20), 0)))
    bufs = add(jax.random.split(jax.random.key(0), 400))
    counts = np.bincount(np.asarray(bufs.y).ravel(), minlength=20)
    assert counts.sum() == 400 * 5
    np.testing.assert_allclose(counts / 400, 0.25, atol=0.08)  # each kept w.p. 5/20


def test_sample_only_valid_slots():
    b = replay_init(4, jnp.zeros(1))._replace(y=jnp.arange(4), valid=jnp.array([0, 1, 0, 1], bool))
    _, y, _ = replay_sample(b, jax.random.key(0), 200)
    assert set(np.asarray(y).tolist()) == {1, 3}


def test_bad_sizes():
    with pytest.raises(errors.ValidationError, match="at least one slot"):
        replay_init(0, jnp.zeros(3))
    with pytest.raises(errors.ValidationError, match="MiB"):
        replay_init(10**6, jnp.zeros(784), max_bytes=1024)
    with pytest.raises(errors.ValidationError, match="larger than the data allows"):
        check_per_class(10, np.array([0, 0, 1]), [0, 1])
