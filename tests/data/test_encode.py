"""Encoders and polynomial features: scikit-learn parity, inverses, unseen labels, jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jaxfound import errors
from jaxfound.data import label_encoder, one_hot, polynomial

pre = pytest.importorskip("sklearn.preprocessing")


def test_label_encoder_matches_sklearn_and_inverts():
    y = np.array(["pear", "apple", "fig", "apple", "pear"])
    t = label_encoder()
    s = t.fit(y)
    ref = pre.LabelEncoder().fit(y)
    np.testing.assert_array_equal(s.classes, ref.classes_)
    codes = t.transform(s, y)
    np.testing.assert_array_equal(codes, ref.transform(y))
    np.testing.assert_array_equal(t.inverse(s, codes), y)


def test_label_encoder_numeric_is_jittable():
    y = jnp.array([3, 7, 3, 11])
    t = label_encoder()
    s = t.fit(y)
    codes = jax.jit(t.transform)(s, y)
    assert codes.tolist() == [0, 1, 0, 2]
    assert jax.jit(t.inverse)(s, codes).tolist() == [3, 7, 3, 11]
    # under jit values cannot be checked: an unseen label becomes -1
    assert jax.jit(t.transform)(s, jnp.array([5])).tolist() == [-1]


def test_unseen_labels_raise_label_error_and_input_is_untouched():
    t = label_encoder()
    s = t.fit(np.array(["a", "b"]))
    y = np.array(["a", "c", "d"])
    with pytest.raises(errors.LabelError, match=r"2 value\(s\) not seen.*'c', 'd'"):
        t.transform(s, y)
    assert y.tolist() == ["a", "c", "d"]
    with pytest.raises(errors.LabelError, match=r"\[0, 2\)"):
        t.inverse(s, np.array([0, 2]))
    oh = one_hot()
    so = oh.fit(np.array([[1, 5], [2, 6]]))
    with pytest.raises(errors.LabelError, match=r"x\[:, 1\].*\[7\]"):
        oh.transform(so, np.array([[1, 7]]))


@pytest.mark.parametrize(
    "x",
    [
        np.array([[0, 3], [1, 3], [2, 4], [0, 4]]),
        np.array([["red", "S"], ["blue", "M"], ["red", "L"]]),
        np.array([[0.5], [1.5], [0.5]]),
    ],
)
def test_one_hot_matches_sklearn_and_inverts(x):
    t = one_hot()
    s = t.fit(x)
    ours = np.asarray(t.transform(s, x))
    ref = pre.OneHotEncoder(sparse_output=False).fit(x)
    np.testing.assert_array_equal(ours, ref.transform(x))
    for c, rc in zip(s.categories, ref.categories_):
        np.testing.assert_array_equal(c, rc)
    np.testing.assert_array_equal(np.asarray(t.inverse(s, ours)), x)


def test_one_hot_1d_and_jit_and_dtype():
    y = jnp.array([2, 0, 2, 1])
    t = one_hot(dtype=jnp.int32)
    s = t.fit(y)
    out = jax.jit(t.transform)(s, y)
    assert out.dtype == jnp.int32 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, jax.nn.one_hot(y, 3, dtype=jnp.int32))
    assert jax.jit(t.inverse)(s, out).tolist() == [2, 0, 2, 1]
    # probabilities decode to their arg-max
    assert t.inverse(s, jnp.array([[0.2, 0.7, 0.1]])).tolist() == [1]


@settings(max_examples=15, deadline=None)
@given(hnp.arrays(np.int64, st.tuples(st.sampled_from([3, 8]), st.sampled_from([1, 2])),
                  elements=st.integers(-2, 2)))
def test_one_hot_properties(x):
    t = one_hot()
    s = t.fit(x)
    y = np.asarray(t.transform(s, x))
    assert (y.sum(axis=1) == x.shape[1]).all()  # exactly one 1 per column block
    assert y.shape[1] == sum(len(np.unique(x[:, j])) for j in range(x.shape[1]))
    np.testing.assert_array_equal(np.asarray(t.inverse(s, y)), x)
    # relabelling rows does not change the encoding of each row
    perm = np.arange(len(x))[::-1]
    np.testing.assert_array_equal(np.asarray(t.transform(s, x[perm])), y[perm])


@pytest.mark.parametrize("degree", [1, 2, 3])
@pytest.mark.parametrize("interaction_only", [False, True])
@pytest.mark.parametrize("include_bias", [False, True])
def test_polynomial_matches_sklearn(degree, interaction_only, include_bias):
    x = np.random.default_rng(1).normal(size=(6, 3))
    kw = {"interaction_only": interaction_only, "include_bias": include_bias}
    with jax.enable_x64(True):
        t = polynomial(degree, **kw)
        s = t.fit(x)
        ours = np.asarray(t.transform(s, x))
        back = np.asarray(t.inverse(s, ours))
    ref = pre.PolynomialFeatures(degree, **kw).fit(x)
    np.testing.assert_array_equal(s.powers, ref.powers_)
    np.testing.assert_allclose(ours, ref.transform(x), rtol=1e-12)
    np.testing.assert_array_equal(back, x)


_POLY3 = polynomial(3)
_POLY3_JIT = (jax.jit(_POLY3.transform), jax.jit(_POLY3.inverse))  # one compilation for all


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float32, (5, 2), elements=st.integers(-4, 4).map(float)))
def test_polynomial_exact_on_integers_and_jittable(x):
    s = _POLY3.fit(x)
    y = _POLY3_JIT[0](s, x)
    expected = pre.PolynomialFeatures(3).fit_transform(x.astype(np.float64))
    np.testing.assert_array_equal(np.asarray(y), expected)  # integer powers: exact
    np.testing.assert_array_equal(_POLY3_JIT[1](s, y), x)


def test_polynomial_bad_input():
    with pytest.raises(errors.ValidationError):
        polynomial(0)
    t = polynomial(2)
    s = t.fit(np.ones((2, 2)))
    with pytest.raises(errors.ShapeError):
        t.transform(s, np.ones((2, 3)))
    with pytest.raises(errors.ShapeError):
        t.fit(np.ones(3))
    with pytest.raises(errors.ShapeError):
        t.inverse(s, np.ones((2, 4)))


def test_encoder_bad_input():
    with pytest.raises(errors.NonFiniteError):
        one_hot().fit(np.array([1.0, np.nan]))
    with pytest.raises(errors.EmptyDataError):
        label_encoder().fit(np.array([]))
    with pytest.raises(errors.ShapeError):
        label_encoder().fit(np.zeros((2, 2)))
    s = one_hot().fit(np.array([[1, 2]]))
    with pytest.raises(errors.ShapeError):
        one_hot().transform(s, np.array([1, 2]))
    with pytest.raises(errors.ShapeError):
        one_hot().inverse(s, np.zeros((1, 3)))
