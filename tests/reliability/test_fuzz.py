"""Hypothesis fuzzing of the boundary checks: random shapes, dtypes, NaN positions, labels."""

from __future__ import annotations

import jax
import numpy as np
import optax
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxfound as jf
from jaxfound import errors

FAST = settings(max_examples=8, deadline=None)
NET = jf.models.MLP((3, 2))
PARAMS = NET.init(jax.random.key(0), np.zeros((1, 3), np.float32))
CE = lambda y, out: optax.losses.softmax_cross_entropy_with_integer_labels(out, y)  # noqa: E731
LOSS = jf.losses.supervised(NET, CE)
STATE = jf.train.TrainState.create(PARAMS, optax.sgd(0.1), key=jax.random.key(1))

rows = st.integers(1, 9)
nan_at = st.tuples(st.integers(0, 8), st.integers(0, 2), st.sampled_from([np.nan, np.inf, -np.inf]))


def poisoned(n, where):
    x = np.ones((n, 3), np.float32)
    i, j, v = where
    x[i % n, j] = v
    return x


@FAST
@given(rows, nan_at)
def test_fit_and_evaluate_refuse_non_finite_features_anywhere(n, where):
    x, y = poisoned(n, where), np.zeros(n, np.int32)
    for call in (
        lambda: jf.train.fit(STATE, LOSS, (x, y), progress=False),
        lambda: jf.train.evaluate(STATE, LOSS, (x, y)),
    ):
        try:
            call()
        except errors.NonFiniteError as e:
            assert "data[0]" in str(e) and str((where[0] % n, where[1])) in str(e)
        else:
            raise AssertionError("no error")


@FAST
@given(rows, st.integers(-5, 7))
def test_fit_labels_outside_the_outputs_are_refused(n, label):
    x, y = np.ones((n, 3), np.float32), np.full(n, label, np.int32)
    if 0 <= label < 2:
        return
    try:
        jf.train.fit(STATE, LOSS, (x, y), progress=False)
    except errors.LabelError as e:
        assert "data[1]" in str(e)
    else:
        raise AssertionError("no error")


@FAST
@given(st.integers(0, 4), st.integers(0, 4), st.sampled_from(["f", "U", "i"]))
def test_fit_row_mismatch_or_bad_dtype_is_a_jaxfound_error(n1, n2, kind):
    x = np.ones((n1, 3), np.float32).astype({"f": np.float32, "U": str, "i": np.int32}[kind])
    y = np.zeros(n2, np.int32)
    try:
        jf.train.fit(STATE, LOSS, (x, y), progress=False)
    except errors.JaxfoundError as e:
        assert "data" in str(e)
    else:
        assert n1 == n2 and n1 > 0 and kind != "U"


@FAST
@given(rows, nan_at, st.sampled_from(["standardize", "min_max", "robust_scale"]))
def test_data_transforms_refuse_or_flag_bad_input(n, where, name):
    t = getattr(jf.data, name)()
    try:
        t.fit(poisoned(n, where))
    except errors.JaxfoundError as e:
        assert "x" in str(e)
    try:
        t.fit(np.ones((0, 3), np.float32))
    except errors.EmptyDataError as e:
        assert "0 rows" in str(e)
    else:
        raise AssertionError("no error on 0 rows")


@FAST
@given(st.integers(3, 9), nan_at, st.sampled_from(["ridge", "ols", "cart_regressor"]))
def test_regressors_refuse_non_finite_X(n, where, name):
    mod = jf.models.trees if name.startswith("cart") else jf.models.linear
    # trees: the exact splitter (the histogram one, and so "auto", routes NaN; see test_tree_hist)
    est = getattr(mod, name)(**({"splitter": "exact"} if name.startswith("cart") else {}))
    try:
        est.fit(poisoned(n, where), np.ones(n, np.float32))
    except errors.NonFiniteError as e:
        assert "X" in str(e)
    else:
        raise AssertionError("no error")


@FAST
@given(st.integers(1, 5), st.integers(1, 5))
def test_predict_refuses_the_wrong_number_of_features(d_fit, d_pred):
    x = np.random.default_rng(d_fit).normal(size=(8, d_fit)).astype(np.float32)
    est = jf.models.linear.ridge()
    fitted = est.fit(x, x.sum(1))
    try:
        est.predict(fitted, np.ones((2, d_pred), np.float32))
    except errors.ShapeError as e:
        assert d_fit != d_pred and "X" in str(e)
    else:
        assert d_fit == d_pred


@FAST
@given(st.integers(2, 9), st.integers(-3, 4))
def test_classifier_labels(n, shift):
    x = np.random.default_rng(n).normal(size=(n, 2)).astype(np.float32)
    y = (np.arange(n) % 2 + shift).astype(np.int32)
    try:
        jf.models.linear.logistic(n_classes=2).fit(x, y)
    except errors.LabelError as e:
        assert shift != 0 and "y" in str(e)
    else:
        assert shift == 0
