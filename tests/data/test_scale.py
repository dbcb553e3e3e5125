"""Scalers: scikit-learn parity (float32 and float64), inverse, invariances, jit, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jaxfound import errors
from jaxfound.data import MinMaxState, min_max, robust_scale, standardize

pre = pytest.importorskip("sklearn.preprocessing")

RNG = np.random.default_rng(0)
X = RNG.normal(3.0, 2.0, size=(50, 4)) * np.array([1.0, 10.0, 0.01, 1.0])
X[:, 3] = 7.0  # a constant column
X_NAN = X.copy()
X_NAN[RNG.random(X.shape) < 0.1] = np.nan

CASES = [
    (standardize, {}, pre.StandardScaler, {}),
    (standardize, {"with_mean": False}, pre.StandardScaler, {"with_mean": False}),
    (min_max, {}, pre.MinMaxScaler, {}),
    (min_max, {"feature_range": (-2.0, 3.0)}, pre.MinMaxScaler, {"feature_range": (-2.0, 3.0)}),
    (robust_scale, {}, pre.RobustScaler, {}),
    (robust_scale, {"quantile_range": (10.0, 90.0)}, pre.RobustScaler,
     {"quantile_range": (10.0, 90.0)}),
]


@pytest.mark.parametrize("make,kw,sk_cls,sk_kw", CASES)
@pytest.mark.parametrize("data", [X, X_NAN], ids=["finite", "nan"])
def test_sklearn_parity_float64(make, kw, sk_cls, sk_kw, data):
    with jax.enable_x64(True):
        t = make(**kw)
        state = t.fit(data)
        ours = np.asarray(t.transform(state, data))
        back = np.asarray(t.inverse(state, ours))
    ref = sk_cls(**sk_kw).fit(data)
    np.testing.assert_allclose(ours, ref.transform(data), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(back, data, rtol=1e-10, atol=1e-10)
    assert ours.dtype == np.float64


@pytest.mark.parametrize("make,kw,sk_cls,sk_kw", CASES)
def test_sklearn_parity_float32(make, kw, sk_cls, sk_kw):
    x32 = X_NAN.astype(np.float32)
    t = make(**kw)
    ours = t.transform(t.fit(x32), x32)
    assert ours.dtype == jnp.float32
    ref = sk_cls(**sk_kw).fit(X_NAN).transform(X_NAN)
    np.testing.assert_allclose(np.asarray(ours), ref, rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("make", [standardize, min_max, robust_scale])
def test_jittable_and_state_is_a_pytree(make):
    t = make()
    x = jnp.asarray(X, jnp.float32)
    state = jax.jit(t.fit)(x)
    eager = t.transform(t.fit(x), x)
    np.testing.assert_allclose(jax.jit(t.transform)(state, x), eager, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(jax.jit(t.inverse)(state, eager), x, rtol=1e-5, atol=1e-4)
    assert all(isinstance(leaf, jax.Array) for leaf in jax.tree_util.tree_leaves(state))


def test_constant_column_is_not_divided_by_zero():
    for make in (standardize, min_max, robust_scale):
        t = make()
        y = np.asarray(t.transform(t.fit(X), X))
        assert np.isfinite(y).all()
        assert np.ptp(y[:, 3]) == 0.0


finite = hnp.arrays(
    np.float64,
    st.tuples(st.sampled_from([4, 9]), st.sampled_from([1, 3])),  # few shapes: few compiles
    elements=st.floats(-1e3, 1e3, allow_nan=False),
)


# built once, so hypothesis examples of one shape reuse one compilation
_JITTED = {m.__name__: tuple(map(jax.jit, m())) for m in (standardize, min_max, robust_scale)}


@settings(max_examples=25, deadline=None)
@given(x=finite, a=st.floats(0.1, 10.0), b=st.floats(-100.0, 100.0))
def test_roundtrip_and_affine_invariance(x, a, b):
    """inverse(transform(x)) == x, and y does not change when x -> a x + b (a > 0)."""
    q1, q3 = np.percentile(x, [25, 75], axis=0)
    spread = np.minimum(np.ptp(x, axis=0), q3 - q1)
    regular = (spread > 1e-3 * (1 + np.abs(x).max(axis=0))).all()  # no degenerate scale
    with jax.enable_x64(True):
        for fit, transform, inverse in _JITTED.values():
            s = fit(x)
            y = transform(s, x)
            np.testing.assert_allclose(inverse(s, y), x, rtol=1e-9, atol=1e-9)
            if regular:
                x2 = a * x + b
                np.testing.assert_allclose(transform(fit(x2), x2), y, atol=1e-6)


def test_min_max_maps_onto_the_range():
    t = min_max((-1.0, 1.0))
    s = t.fit(X[:, :3])
    y = np.asarray(t.transform(s, X[:, :3]))
    np.testing.assert_allclose(y.min(0), -1.0, atol=1e-6)
    np.testing.assert_allclose(y.max(0), 1.0, atol=1e-6)
    assert isinstance(s, MinMaxState)


def test_does_not_modify_input():
    x = X_NAN.copy()
    for make in (standardize, min_max, robust_scale):
        t = make()
        t.inverse(t.fit(x), t.transform(t.fit(x), x))
    np.testing.assert_array_equal(x, X_NAN)


def test_bad_input():
    t = standardize()
    s = t.fit(X)
    with pytest.raises(errors.ShapeError, match="fitted on rows of shape"):
        t.transform(s, X[:, :2])
    with pytest.raises(errors.DTypeError):
        t.fit(np.array([["a"]]))
    with pytest.raises(errors.EmptyDataError):
        t.fit(np.zeros((0, 3)))
    with pytest.raises(errors.NotFittedError):
        t.transform(None, X)
    with pytest.raises(errors.ValidationError, match="MinMaxState"):
        min_max().transform(s, X)
    with pytest.raises(errors.ValidationError):
        min_max((1.0, 0.0))
    with pytest.raises(errors.ValidationError):
        robust_scale((80.0, 20.0))


@pytest.mark.parametrize("make", [standardize, min_max, robust_scale])
def test_fit_refuses_all_missing_column_and_inf(make):
    x = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan]])
    before = x.copy()
    with pytest.raises(errors.EmptyDataError, match=r"\[1\]"):
        make().fit(x)
    np.testing.assert_array_equal(x, before)
    with pytest.raises(errors.NonFiniteError, match=r"\[0\]"):
        make().fit(np.array([[np.inf, 1.0], [2.0, 2.0]]))
