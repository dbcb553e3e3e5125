"""Kernel SVM against sklearn.svm.SVC: accuracy, decision-value signs, k-fold masks, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from jaxfound import errors
from jaxfound.models import svm


def _split(loader):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


@pytest.fixture(scope="module")
def wine():
    return _split(load_wine)


@pytest.fixture(scope="module")
def cancer():
    return _split(load_breast_cancer)


def _compare(data, **kw):
    Xtr, Xte, ytr, yte = data
    ref = SVC(decision_function_shape="ovo", **kw).fit(Xtr, ytr)
    est = svm.svc(**kw)
    p = est.fit(Xtr, ytr)
    assert np.all(np.asarray(p.gap) < kw.get("tol", 1e-3))  # converged
    assert bool(p.info.converged) and int(p.info.n_iter) > 0
    acc = float(np.mean(np.asarray(est.predict(p, Xte)) == yte))
    dec = np.asarray(est.decision_function(p, Xte))
    ref_dec = ref.decision_function(Xte)
    assert dec.shape == ref_dec.shape
    agree = float(np.mean(np.sign(dec) == np.sign(ref_dec)))
    return acc, ref.score(Xte, yte), agree, dec, ref_dec


def test_breast_cancer_rbf_matches_svc(cancer):
    acc, ref_acc, agree, dec, ref_dec = _compare(cancer, C=1.0, kernel="rbf", gamma=1 / 30)
    assert abs(acc - ref_acc) <= 0.01
    assert agree >= 0.99
    np.testing.assert_allclose(dec, ref_dec, atol=0.02)


@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "sigmoid"])
def test_wine_all_kernels_match_svc(wine, kernel):
    acc, ref_acc, agree, dec, ref_dec = _compare(wine, C=2.0, kernel=kernel, gamma=0.1,
                                                 coef0=0.5 if kernel != "rbf" else 0.0)
    assert dec.shape == (len(wine[1]), 3)  # one-vs-one values, sklearn's pair order
    assert abs(acc - ref_acc) <= 0.01
    assert agree >= 0.99


@pytest.mark.slow
def test_digits_rbf_matches_svc():
    acc, ref_acc, agree, _, _ = _compare(_split(load_digits), C=1.0, kernel="rbf", gamma=1 / 64)
    assert abs(acc - ref_acc) <= 0.01
    assert agree >= 0.99


def test_float64_tight_tolerance_matches_libsvm_dual(cancer):
    Xtr, Xte, ytr, _ = cancer
    ref = SVC(C=0.5, kernel="rbf", gamma=0.05, tol=1e-7).fit(Xtr, ytr)
    with jax.enable_x64(True):
        est = svm.svc(C=0.5, kernel="rbf", gamma=0.05, tol=1e-7)
        p = est.fit(Xtr, ytr)
        dec = np.asarray(est.decision_function(p, Xte))
    np.testing.assert_allclose(dec, ref.decision_function(Xte), atol=1e-5)
    # same support vectors, same dual coefficients (sklearn flips the binary sign)
    dual = np.zeros(len(ytr))
    dual[np.asarray(p.index[0])] = np.asarray(p.dual_coef[0])  # back to the original rows
    sv = np.flatnonzero(np.abs(dual) > 1e-8)
    np.testing.assert_array_equal(sv, np.sort(ref.support_))
    ref_dual = np.zeros(len(ytr))
    ref_dual[ref.support_] = ref.dual_coef_[0]
    np.testing.assert_allclose(-dual, ref_dual, atol=1e-5)
    np.testing.assert_allclose(p.rho[0], ref.intercept_[0], atol=1e-5)  # sklearn flips both


def test_ovr_matches_sklearn_one_vs_rest(wine):
    Xtr, Xte, ytr, _ = wine
    est = svm.svc(C=1.0, gamma=0.1, strategy="ovr")
    p = est.fit(Xtr, ytr)
    ref = OneVsRestClassifier(SVC(C=1.0, gamma=0.1)).fit(Xtr, ytr)
    dec = np.asarray(est.decision_function(p, Xte))
    np.testing.assert_allclose(dec, ref.decision_function(Xte), atol=0.02)
    np.testing.assert_array_equal(est.predict(p, Xte), ref.predict(Xte))


def test_zero_weights_remove_rows_and_grid_vmaps(wine):
    Xtr, Xte, ytr, _ = wine
    masks = np.ones((2, len(ytr)), np.float32)
    masks[0, ::3] = 0.0
    masks[1, 1::3] = 0.0
    Cs, gammas = jnp.array([0.5, 4.0]), jnp.array([0.05, 0.2])
    est = svm.svc()
    fit = lambda C, g, m: est.fit(Xtr, ytr, C=C, gamma=g, sample_weight=m)
    grid = jax.jit(jax.vmap(fit))(Cs, gammas, jnp.asarray(masks))
    pair_sizes = [np.sum((ytr == a) | (ytr == b)) for a, b in grid.pairs]
    assert grid.dual_coef.shape == (2, 3, max(pair_sizes))  # compact one-vs-one layout in jit
    dec = jax.vmap(est.decision_function, in_axes=(0, None))(grid, Xte)
    for b in range(2):
        keep = masks[b] > 0
        ref = SVC(C=float(Cs[b]), gamma=float(gammas[b]), decision_function_shape="ovo")
        ref.fit(Xtr[keep], ytr[keep])
        np.testing.assert_allclose(dec[b], ref.decision_function(Xte), atol=0.02)


def test_sample_weight_rescales_C(cancer):
    Xtr, Xte, ytr, _ = cancer
    w = np.random.default_rng(0).uniform(0.2, 2.0, len(ytr))
    ref = SVC(C=1.0, gamma=0.05).fit(Xtr, ytr, sample_weight=w)
    est = svm.svc(C=1.0, gamma=0.05)
    p = est.fit(Xtr, ytr, sample_weight=w)
    np.testing.assert_allclose(est.decision_function(p, Xte), ref.decision_function(Xte),
                               atol=0.02)


def test_gamma_scale_matches_sklearn(wine):
    Xtr, Xte, ytr, _ = wine
    Xs = Xtr * 3.0
    ref = SVC(gamma="scale").fit(Xs, ytr)
    p = svm.svc().fit(Xs, ytr)
    np.testing.assert_allclose(float(p.gamma), ref._gamma, rtol=1e-5)


def test_bad_inputs_raise_clear_errors(wine):
    Xtr, _, ytr, _ = wine
    with pytest.raises(errors.DTypeError, match="y"):
        svm.svc().fit(Xtr, np.where(ytr == 0, "a", "b"))
    X_nan = Xtr.copy()
    X_nan[3, 2] = np.nan
    before = X_nan.copy()
    with pytest.raises(errors.NonFiniteError, match="X"):
        svm.svc().fit(X_nan, ytr)
    np.testing.assert_array_equal(X_nan, before)
    with pytest.raises(errors.LabelError, match="samples"):
        svm.svc(n_classes=4).fit(Xtr[:3], np.array([0, 1, 2]))
    with pytest.raises(errors.ValidationError, match="C"):
        svm.svc(C=-1.0)
    with pytest.raises(errors.ValidationError, match="C"):
        svm.svc().fit(Xtr, ytr, C=-1.0)
    with pytest.raises(errors.ValidationError, match="kernel"):
        svm.svc(kernel="laplace")
    with pytest.raises(errors.ValidationError, match="gamma"):
        svm.svc(gamma=0.0)
    with pytest.raises(errors.ValidationError, match="gamma"):
        svm.svc().fit(Xtr, ytr, gamma="auto")
    with pytest.raises(errors.ValidationError, match="all zero"):
        svm.svc().fit(Xtr, ytr, sample_weight=np.zeros(len(ytr)))
    est = svm.svc(kernel="linear")
    p = est.fit(Xtr[:40], ytr[:40])
    with pytest.raises(errors.ShapeError, match="features"):
        est.predict(p, Xtr[:, :5])
    with pytest.raises(errors.ShapeError, match="features"):
        est.decision_function(p, Xtr[:, :5])


def test_class_absent_from_a_fold_takes_no_part_in_the_vote(wine):
    Xtr, Xte, ytr, _ = wine
    mask = (ytr != 2).astype(np.float32)  # a k-fold training mask without class 2
    est = svm.svc(C=1.0, gamma=0.1)
    p = est.fit(Xtr, ytr, sample_weight=mask)
    ref = SVC(C=1.0, gamma=0.1).fit(Xtr[ytr != 2], ytr[ytr != 2])
    np.testing.assert_array_equal(est.predict(p, Xte), ref.predict(Xte))
    assert bool(p.info.converged)  # the empty pair's problem counts as solved
    assert np.all(np.isfinite(np.asarray(p.rho)))


def test_max_iter_cap_reports_not_converged_and_constructors_are_cached(cancer):
    Xtr, _, ytr, _ = cancer
    p = svm.svc(C=10.0, gamma=0.05, max_iter=5).fit(Xtr, ytr)
    assert not bool(p.info.converged) and int(p.info.n_iter) == 5
    assert svm.svc(C=2.0) is svm.svc(kernel="rbf", C=2.0)
    assert svm.svc(C=2.0) is not svm.svc(C=3.0)
    est = svm.svc()
    assert est.is_classifier and not est.needs_key and est.decision_function is not None
