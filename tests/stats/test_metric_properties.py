"""Property-based tests (hypothesis) of metric invariances.

Array shapes are fixed (n = 16, 3 classes) so every example reuses the compiled ops;
hypothesis varies the values, permutations and relabellings.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from hypothesis.extra import numpy as hnp

from jaxfound import stats as st

N, K = 16, 3
SETTINGS = settings(max_examples=15, deadline=None)

labels = hnp.arrays(np.int32, N, elements=hst.integers(0, K - 1))
# no subnormals: XLA on CPU flushes them to zero, which turns distinct scores into ties
floats = hnp.arrays(np.float64, N, elements=hst.floats(-100, 100, allow_nan=False, width=32,
                                                         allow_subnormal=False))
perms = hst.permutations(list(range(N))).map(np.array)
relabels = hst.permutations(list(range(K))).map(np.array)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


@SETTINGS
@given(labels, labels, perms)
def test_classification_metrics_invariant_to_sample_order(y, p, perm):
    close(st.accuracy(y, p), st.accuracy(y[perm], p[perm]))
    close(st.confusion_matrix(y, p, K), st.confusion_matrix(y[perm], p[perm], K))
    for avg in ("macro", "micro", "weighted"):
        close(st.f1_score(y, p, K, avg), st.f1_score(y[perm], p[perm], K, avg))


@SETTINGS
@given(labels, labels, relabels)
def test_macro_metrics_invariant_to_relabelling(y, p, relabel):
    for fn in (st.precision, st.recall, st.f1_score):
        close(fn(y, p, K, "macro"), fn(relabel[y], relabel[p], K, "macro"))
        close(fn(y, p, K, "weighted"), fn(relabel[y], relabel[p], K, "weighted"))
    cm = np.asarray(st.confusion_matrix(y, p, K))
    cm2 = np.asarray(st.confusion_matrix(relabel[y], relabel[p], K))
    close(cm2[np.ix_(relabel, relabel)], cm)   # classes move, counts do not change


@SETTINGS
@given(labels, labels)
def test_micro_f1_is_accuracy_and_cm_sums(y, p):
    close(st.f1_score(y, p, K, "micro"), st.accuracy(y, p))
    cm = np.asarray(st.confusion_matrix(y, p, K))
    assert cm.sum() == N
    close(np.trace(cm) / N, st.accuracy(y, p))


@SETTINGS
@given(floats, floats, perms, hst.floats(0.1, 10), hst.floats(-50, 50))
def test_regression_metric_invariances(y, p, perm, a, b):
    for fn in (st.mse, st.mae, st.rmse, st.r2_score):
        close(fn(y, p), fn(y[perm], p[perm]))
    close(st.mse(y, p), st.mse(p, y))
    close(st.mse(a * y + b, a * p + b), a**2 * st.mse(y, p), 1e-4)
    if np.var(y) > 1e-3:
        close(st.r2_score(a * y + b, a * p + b), st.r2_score(y, p), 1e-4)
    assert float(st.r2_score(y, y)) == 1.0 and float(st.mse(y, y)) == 0.0


@SETTINGS
@given(hnp.arrays(np.int32, N, elements=hst.integers(0, 1)), floats, perms)
def test_roc_auc_invariances(y, s, perm):
    if y.min() == y.max():
        y = y.copy()
        y[0] = 1 - y[0]
    auc = float(st.roc_auc(y, s))
    close(st.roc_auc(y[perm], s[perm]), auc)
    dense_rank = np.unique(s, return_inverse=True)[1].reshape(-1).astype(np.float64)
    close(st.roc_auc(y, dense_rank), auc)                   # strictly increasing maps
    close(st.roc_auc(y, 4.0 * s), auc)
    close(st.roc_auc(y, -s), 1 - auc)
    close(st.roc_auc(1 - y, s), 1 - auc)


@pytest.mark.slow  # several jit compiles: ~10 s on a loaded 2-core machine
@SETTINGS
@given(labels, hnp.arrays(np.float64, (N, K), elements=hst.floats(0.01, 1)), perms,
       hnp.arrays(np.int32, N, elements=hst.integers(0, 3)))
def test_probability_metrics_order_and_integer_weights(y, raw, perm, reps):
    prob = raw / raw.sum(1, keepdims=True)
    for fn in (st.log_loss, st.brier_score, st.expected_calibration_error):
        close(fn(y, prob), fn(y[perm], prob[perm]))
    if reps.sum() > 0:   # integer weights == repeating rows
        rows = np.repeat(np.arange(N), reps)
        w = reps.astype(np.float64)
        close(st.log_loss(y, prob, w), st.log_loss(y[rows], prob[rows]))
        close(st.accuracy(y, prob, w), st.accuracy(y[rows], prob[rows]))
        close(st.f1_score(y, prob, K, sample_weight=w),
              st.f1_score(y[rows], prob[rows], K))


@SETTINGS
@given(labels, labels)
def test_inputs_never_modified(y, p):
    y0, p0 = y.copy(), p.copy()
    st.confusion_matrix(y, p, K, normalize="true")
    st.precision_recall_f1(y, p, K)
    assert np.array_equal(y, y0) and np.array_equal(p, p0)
    assert isinstance(st.accuracy(jnp.asarray(y), jnp.asarray(p)), jnp.ndarray)
