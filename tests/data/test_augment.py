"""random_translate: every output is a zero-filled whole-pixel shift of its input."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data import random_translate


def shifted(img, dr, dc):
    """Reference: x'[r, c] = x[r - dr, c - dc], zero outside."""
    out = np.zeros_like(img)
    h, w = img.shape[:2]
    for r in range(h):
        for c in range(w):
            if 0 <= r - dr < h and 0 <= c - dc < w:
                out[r, c] = img[r - dr, c - dc]
    return out


@pytest.mark.parametrize("s", [1, 2])
def test_each_image_is_a_shift_within_range(s):
    x = np.random.default_rng(0).random((64, 5, 6)).astype(np.float32) + 1.0  # no zeros
    y = np.asarray(random_translate(jax.random.key(3), x, s))
    seen = set()
    for xi, yi in zip(x, y):
        hits = [
            (dr, dc)
            for dr in range(-s, s + 1)
            for dc in range(-s, s + 1)
            if np.array_equal(yi, shifted(xi, dr, dc))
        ]
        assert len(hits) == 1
        seen.add(hits[0])
    assert len(seen) > (2 * s + 1) ** 2 // 2  # offsets actually vary across the batch


def test_channels_flat_and_identity():
    key = jax.random.key(0)
    x4 = jnp.ones((4, 7, 7, 3))
    y4 = random_translate(key, x4, 1)
    assert y4.shape == x4.shape and y4.dtype == x4.dtype
    # all channels of one image move together
    np.testing.assert_array_equal(y4[..., 0], y4[..., 2])
    flat = jnp.arange(2 * 49, dtype=jnp.float32).reshape(2, 49)
    yf = random_translate(key, flat, 1, image_shape=(7, 7))
    assert yf.shape == (2, 49)
    np.testing.assert_array_equal(
        yf, random_translate(key, flat.reshape(2, 7, 7), 1).reshape(2, 49)
    )
    np.testing.assert_array_equal(random_translate(key, flat, 0, image_shape=(7, 7)), flat)


def test_deterministic_in_the_key_and_jittable():
    x = jnp.asarray(np.random.default_rng(1).random((16, 8, 8)), jnp.float32)
    f = jax.jit(functools.partial(random_translate, max_shift=2))
    np.testing.assert_array_equal(f(jax.random.key(5), x), f(jax.random.key(5), x))
    assert not np.array_equal(f(jax.random.key(5), x), f(jax.random.key(6), x))


def test_bad_input():
    key = jax.random.key(0)
    with pytest.raises(errors.ValidationError, match="max_shift"):
        random_translate(key, jnp.ones((2, 4, 4)), -1)
    with pytest.raises(errors.ShapeError, match="image_shape"):
        random_translate(key, jnp.ones((2, 16)), 1)
    with pytest.raises(errors.ShapeError, match=r"\(batch, 16\)"):
        random_translate(key, jnp.ones((2, 15)), 1, image_shape=(4, 4))
