"""The one model adapter: `as_apply` and `from_function` decide how every model is called."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.models import as_apply, from_function, from_nnx
from jaxfound.typing import Apply

X = jnp.arange(6.0).reshape(2, 3)
W = {"w": jnp.ones((3, 1))}


def test_two_argument_functions_are_wrapped_and_ignore_the_key():
    f = lambda p, x: x @ p["w"]
    for apply in (from_function(f), as_apply(f)):
        assert apply is not f
        np.testing.assert_allclose(apply(W, X, None), X @ W["w"])
        np.testing.assert_allclose(apply(W, X, jax.random.key(0)), X @ W["w"])


def test_functions_that_take_a_key_are_kept():
    def noisy(p, x, key=None):
        return x @ p["w"] + (0.0 if key is None else jax.random.normal(key, (x.shape[0], 1)))

    args = lambda *a: a[1] @ a[0]["w"]
    for f in (noisy, lambda p, x, k: x, args, functools.partial(noisy)):
        assert from_function(f) is f and as_apply(f) is f
    assert isinstance(as_apply(noisy), Apply)


def test_keyword_only_settings_do_not_count_as_a_key():
    def scaled(p, x, *, scale=2.0):
        return scale * (x @ p["w"])

    np.testing.assert_allclose(as_apply(scaled)(W, X, jax.random.key(0)), 2 * X @ W["w"])


def test_linen_modules_get_deterministic_from_the_key():
    net = jf.models.MLP((8, 2), dropout=0.5)
    params = net.init(jax.random.key(0), X)
    apply = as_apply(net)
    a, b = apply(params, X, None), apply(params, X, None)
    np.testing.assert_array_equal(a, b)  # eval: no dropout
    assert not np.array_equal(apply(params, X, jax.random.key(1)), a)  # train: dropout


def test_bad_models_are_refused_with_the_fix():
    with pytest.raises(errors.ValidationError, match="not callable"):
        as_apply(3)
    with pytest.raises(errors.ValidationError, match="not callable"):
        from_function("f")
    with pytest.raises(errors.ValidationError, match="1 positional"):
        as_apply(lambda x: x)
    with pytest.raises(errors.ValidationError, match="4 required"):
        as_apply(lambda p, x, k, extra: x)


def test_nnx_modules_are_sent_to_from_nnx():
    from flax import nnx

    lin = nnx.Linear(3, 1, rngs=nnx.Rngs(0))
    with pytest.raises(errors.ValidationError, match="from_nnx"):
        as_apply(lin)
    params, apply = from_nnx(lin)
    assert as_apply(apply) is apply
    assert apply(params, X, None).shape == (2, 1)
