"""Gradient-boosted histogram trees: accuracy vs scikit-learn, early stopping, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.models import trees

sk_ens = pytest.importorskip("sklearn.ensemble")


def _data(n=400, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    z = X[:, 0] + np.sin(2 * X[:, 1]) + 0.3 * rng.normal(size=n)
    y = np.digitize(z, np.quantile(z, np.linspace(0, 1, k + 1)[1:-1]))
    return X, y


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 3])
def test_accuracy_within_two_points_of_hist_gradient_boosting(k):
    X, y = _data(k=k)
    tr, te = slice(0, 300), slice(300, None)
    est = trees.gbdt_classifier(max_iter=20, max_depth=3)
    p = est.fit(X[tr], y[tr])
    ours = np.mean(np.asarray(est.predict(p, X[te])) == y[te])
    sk = sk_ens.HistGradientBoostingClassifier(max_iter=20, max_depth=3, early_stopping=False)
    theirs = sk.fit(X[tr], y[tr]).score(X[te], y[te])
    assert ours >= theirs - 0.02 - 1 / 100, (ours, theirs)
    assert est.predict_proba(p, X[te]).shape == (100, k)


@pytest.mark.slow
def test_early_stopping_and_vmap_over_learning_rate():
    X, y = _data()
    est = trees.gbdt_classifier(max_iter=30, max_depth=2, early_stopping=True, n_iter_no_change=2,
                                learning_rate=1.0)  # fmt: skip
    p = est.fit(X[:300], y[:300], validation=(X[300:], y[300:]))
    assert 1 <= int(p.n_iter) <= 30
    reg = trees.gbdt_regressor(max_iter=5, max_depth=2, min_samples_leaf=5)
    fits = jax.vmap(lambda lr: reg.fit(X, X[:, 0], learning_rate=lr))(jnp.array([0.1, 0.5]))
    assert fits.baseline.shape == (2, 1)


def test_bad_input():
    X, y = _data(n=60)
    with pytest.raises(errors.ValidationError, match="validation"):
        trees.gbdt_classifier(early_stopping=True, max_iter=2).fit(X, y)
    with pytest.raises(errors.ValidationError, match="does not fit"):
        trees.gbdt_classifier(loss="squared_error")
    with pytest.raises(errors.ValidationError, match="does not fit"):
        trees.gbdt_regressor(loss="log_loss")
    with pytest.raises(errors.DTypeError):
        trees.gbdt_classifier(max_iter=2).fit(X, X[:, 0])  # float labels
    with pytest.raises(errors.ValidationError, match="max_bins"):
        trees.gbdt_classifier(max_bins=300)
