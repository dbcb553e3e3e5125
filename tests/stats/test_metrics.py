"""Every metric against scikit-learn (float64, 1e-6) and bad-input handling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn import metrics as skm

from jaxfound import errors
from jaxfound import stats as st

K = 4


@pytest.fixture
def clf():
    rng = np.random.default_rng(0)
    y = rng.integers(0, K, 200)
    logits = rng.normal(size=(200, K)) + 1.5 * np.eye(K)[y]
    prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    w = rng.uniform(0.1, 2.0, 200)
    return y, prob, prob.argmax(1), w


@pytest.fixture
def reg():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(150, 3)) * [1.0, 5.0, 0.1]
    return y, y + rng.normal(size=(150, 3)), rng.uniform(0.1, 2.0, 150)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_precision_recall_f1(clf, average, weighted):
    y, _, pred, w = clf
    w = w if weighted else None
    with jax.enable_x64(True):
        p, r, f = st.precision_recall_f1(y, pred, K, average=average, sample_weight=w)
        assert st.precision(y, pred, K, average, w).dtype == jnp.float64
    kw = dict(labels=np.arange(K), average=average, sample_weight=w, zero_division=0)
    np.testing.assert_allclose(p, skm.precision_score(y, pred, **kw), atol=1e-6)
    np.testing.assert_allclose(r, skm.recall_score(y, pred, **kw), atol=1e-6)
    np.testing.assert_allclose(f, skm.f1_score(y, pred, **kw), atol=1e-6)


def test_binary_and_absent_class():
    y = np.array([0, 1, 1, 0, 1, 1])
    pred = np.array([0, 1, 0, 0, 1, 0])
    with jax.enable_x64(True):
        assert float(st.f1_score(y, pred, average="binary")) == pytest.approx(
            skm.f1_score(y, pred), abs=1e-12)
        # class 2 never occurs: it counts 0 in the macro average, like sklearn with labels
        got = st.f1_score(y, pred, n_classes=3)
    assert float(got) == pytest.approx(
        skm.f1_score(y, pred, labels=[0, 1, 2], average="macro", zero_division=0), abs=1e-12)
    with pytest.raises(errors.ValidationError, match="binary"):
        st.f1_score([0, 1, 2], [0, 1, 2], average="binary", n_classes=3)


def test_accuracy_and_confusion(clf):
    y, prob, pred, w = clf
    with jax.enable_x64(True):
        assert float(st.accuracy(y, prob)) == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
        assert float(st.accuracy(y, pred, w)) == pytest.approx(
            skm.accuracy_score(y, pred, sample_weight=w), abs=1e-12)
        for norm in (None, "true", "pred", "all"):
            np.testing.assert_allclose(
                st.confusion_matrix(y, prob, sample_weight=w, normalize=norm),
                skm.confusion_matrix(y, pred, sample_weight=w, normalize=norm), atol=1e-12)


def test_accuracy_keeps_old_behaviour_in_loss():
    # the training loop calls metric(y_true, outputs) under jit with scores
    y = jnp.array([0, 1, 2])
    out = jnp.array([[3.0, 0, 0], [0, 2.0, 0], [5.0, 0, 0]])
    assert float(jax.jit(st.accuracy)(y, out)) == pytest.approx(2 / 3)
    assert st.accuracy(y, out).dtype == jnp.float32


@pytest.mark.parametrize("weighted", [False, True])
def test_probabilistic(clf, weighted):
    y, prob, _, w = clf
    w = w if weighted else None
    yb = (y == 0).astype(int)
    pb = prob[:, 0]
    with jax.enable_x64(True):
        np.testing.assert_allclose(st.roc_auc(yb, pb, w),
                                   skm.roc_auc_score(yb, pb, sample_weight=w), atol=1e-6)
        for avg in ("macro", "weighted"):
            np.testing.assert_allclose(
                st.roc_auc(y, prob, w, average=avg),
                skm.roc_auc_score(y, prob, sample_weight=w, multi_class="ovr", average=avg),
                atol=1e-6)
        np.testing.assert_allclose(st.log_loss(y, prob, w),
                                   skm.log_loss(y, prob, sample_weight=w), atol=1e-6)
        np.testing.assert_allclose(st.log_loss(yb, pb, w),
                                   skm.log_loss(yb, pb, sample_weight=w), atol=1e-6)
        np.testing.assert_allclose(st.brier_score(yb, pb, w),
                                   skm.brier_score_loss(yb, pb, sample_weight=w), atol=1e-6)
        np.testing.assert_allclose(st.brier_score(y, prob, w),
                                   skm.brier_score_loss(y, prob, sample_weight=w), atol=1e-6)


def test_roc_auc_ties_and_binary_columns():
    y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    s = np.array([0.1, 0.5, 0.5, 0.9, 0.5, 0.1, 0.7, 0.2])  # many ties
    with jax.enable_x64(True):
        assert float(st.roc_auc(y, s)) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
        two = np.stack([1 - s, s], 1)
        assert float(st.roc_auc(y, two)) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)


def ece_reference(y, prob, n_bins):
    conf, pred = prob.max(1), prob.argmax(1)
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        m = (conf > lo) & (conf <= hi) if b else (conf <= hi)
        if m.any():
            total += m.sum() / len(y) * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return total


def test_expected_calibration_error(clf):
    y, prob, _, _ = clf
    with jax.enable_x64(True):
        for n_bins in (1, 5, 15):
            np.testing.assert_allclose(st.expected_calibration_error(y, prob, n_bins),
                                       ece_reference(y, prob, n_bins), atol=1e-12)
        yb, pb = (y == 0).astype(int), prob[:, 0]
        np.testing.assert_allclose(st.expected_calibration_error(yb, pb, 10),
                                   ece_reference(yb, np.stack([1 - pb, pb], 1), 10), atol=1e-12)
    # perfectly calibrated in every bin -> 0
    assert float(st.expected_calibration_error([0, 1], [[1.0, 0.0], [0.0, 1.0]])) == 0.0


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cols", [slice(0, 1), slice(None)])
def test_regression(reg, weighted, cols):
    y, p, w = reg
    y, p = (y[:, 0], p[:, 0]) if cols == slice(0, 1) else (y, p)
    w = w if weighted else None
    with jax.enable_x64(True):
        np.testing.assert_allclose(st.mse(y, p, w), skm.mean_squared_error(y, p, sample_weight=w),
                                   rtol=1e-6)
        np.testing.assert_allclose(st.rmse(y, p, w),
                                   skm.root_mean_squared_error(y, p, sample_weight=w), rtol=1e-6)
        np.testing.assert_allclose(st.mae(y, p, w),
                                   skm.mean_absolute_error(y, p, sample_weight=w), rtol=1e-6)
        np.testing.assert_allclose(st.r2_score(y, p, w), skm.r2_score(y, p, sample_weight=w),
                                   rtol=1e-6)
        ww = np.ones(len(y)) if w is None else w
        ww = ww.reshape((-1,) + (1,) * (y.ndim - 1))
        ref = np.sqrt(np.sum(ww * (p - y) ** 2) / np.sum(ww * y**2))
        np.testing.assert_allclose(st.l2_relative_error(y, p, w), ref, rtol=1e-12)


def test_r2_constant_target():
    assert float(st.r2_score([2.0, 2.0], [2.0, 2.0])) == skm.r2_score([2.0, 2.0], [2.0, 2.0])
    assert float(st.r2_score([2.0, 2.0], [1.0, 2.0])) == skm.r2_score([2.0, 2.0], [1.0, 2.0])


def test_float32_close_to_float64(clf, reg):
    y, prob, pred, _ = clf
    f32 = np.float32
    assert float(st.log_loss(y, prob.astype(f32))) == pytest.approx(skm.log_loss(y, prob), rel=1e-5)
    assert float(st.roc_auc(y, prob.astype(f32))) == pytest.approx(
        skm.roc_auc_score(y, prob, multi_class="ovr"), rel=1e-5)
    yr, pr, _ = reg
    assert float(st.r2_score(yr.astype(f32), pr.astype(f32))) == pytest.approx(
        skm.r2_score(yr, pr), rel=1e-5)


def test_jit_with_static_n_classes(clf):
    y, prob, pred, w = clf
    f = jax.jit(st.f1_score, static_argnames=("n_classes", "average"))
    np.testing.assert_allclose(f(y, pred, n_classes=K, average="macro"),
                               skm.f1_score(y, pred, average="macro"), rtol=1e-5)
    with pytest.raises(errors.ValidationError, match="n_classes"):
        jax.jit(st.confusion_matrix)(jnp.asarray(y), jnp.asarray(pred))
    for fn in (st.roc_auc, st.log_loss, st.brier_score, st.expected_calibration_error,
               st.mse, st.r2_score):
        args = (y, prob) if fn in (st.roc_auc, st.log_loss, st.brier_score,
                                   st.expected_calibration_error) else (prob, prob[::-1])
        np.testing.assert_allclose(jax.jit(fn)(*args), fn(*args), rtol=1e-5)


BAD = [
    (st.accuracy, ([0, 1, 1], [0, 1]), errors.ShapeError),
    (st.f1_score, ([0, 1, 1], [0, 1]), errors.ShapeError),
    (st.mse, ([1.0, 2.0], [1.0, np.nan]), errors.NonFiniteError),
    (st.log_loss, ([0, 1], [[0.5, 0.5], [np.nan, 0.5]]), errors.NonFiniteError),
    (st.confusion_matrix, ([0, 1, 5], [0, 1, 1], 3), errors.LabelError),
    (st.f1_score, ([0, -1], [0, 1]), errors.LabelError),
    (st.log_loss, ([0, 3], [[0.5, 0.5], [0.5, 0.5]]), errors.LabelError),
    (st.roc_auc, ([1, 1], [0.2, 0.3]), errors.LabelError),
    (st.log_loss, ([0, 1], [0.5, 1.5]), errors.ValidationError),
    (st.f1_score, ([0.0, 1.0], [0, 1]), errors.DTypeError),
    (st.mse, (np.zeros(0), np.zeros(0)), errors.EmptyDataError),
    (st.mse, ([1.0, 2.0], [1.0, 2.0], [1.0]), errors.ShapeError),
    (st.mse, (["a", "b"], [1.0, 2.0]), errors.DTypeError),
]


@pytest.mark.parametrize("fn,args,exc", BAD)
def test_bad_input(fn, args, exc):
    copies = [np.array(a, copy=True) for a in args if not isinstance(a, int)]
    with pytest.raises(exc):
        fn(*args)
    assert all(isinstance(e, errors.JaxfoundError) for e in [exc("x")])
    for a, c in zip([a for a in args if not isinstance(a, int)], copies):
        np.testing.assert_array_equal(np.asarray(a), c)


def test_inputs_not_modified(clf):
    y, prob, pred, w = clf
    arrays = [a.copy() for a in (y, prob, pred, w)]
    st.roc_auc(y, prob, w)
    st.confusion_matrix(y, prob, sample_weight=w, normalize="true")
    st.expected_calibration_error(y, prob, 10, w)
    for a, b in zip((y, prob, pred, w), arrays):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fn, args", [
    (st.accuracy, ([0, 1, 1], [0, 1, 0])),
    (st.f1_score, ([0, 1, 1], [0, 1, 0])),
    (st.mse, ([0.0, 1.0, 2.0], [0.0, 1.5, 2.0])),
    (st.r2_score, ([0.0, 1.0, 2.0], [0.0, 1.5, 2.0])),
    (st.log_loss, ([0, 1, 1], [0.2, 0.7, 0.6])),
])
def test_sample_weight_checked_like_the_models(fn, args):
    """One validator: all-zero or negative weights are the same ValidationError as in the
    models (before, the metrics let an all-zero weight through to a 0/0)."""
    with pytest.raises(errors.ValidationError, match="all zero"):
        fn(*args, sample_weight=np.zeros(3))
    with pytest.raises(errors.ValidationError, match="negative"):
        fn(*args, sample_weight=np.array([1.0, -1.0, 1.0]))
    with pytest.raises(errors.ShapeError, match="sample_weight"):
        fn(*args, sample_weight=np.ones(2))
    assert np.isfinite(float(fn(*args, sample_weight=np.array([1.0, 0.0, 2.0]))))
