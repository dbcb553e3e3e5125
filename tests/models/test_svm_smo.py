"""The batched SMO solver: compaction and vmap give each problem the result it gets alone."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from jaxfound.models import svm
from jaxfound.models.svm import _smo


@pytest.fixture(scope="module")
def problems():
    """Binary problems of very different difficulty: wine, class 0 vs rest, C x gamma x mask."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    lab = np.where(y == 0, 1.0, -1.0).astype(np.float32)
    gammas = np.array([0.01, 0.1, 1.0], np.float32)
    K = np.stack([np.asarray(svm.rbf_kernel(X, X, g)) for g in gammas])
    rng = np.random.default_rng(0)
    slot, upper = [], []
    for s in range(len(gammas)):
        for C in (0.1, 1.0, 100.0):
            for _ in range(3):
                slot.append(s)
                upper.append(C * (rng.random(len(y)) < 0.8))
    return (jnp.asarray(K), jnp.asarray(slot, jnp.int32),
            jnp.asarray(np.broadcast_to(lab, (len(slot), len(y)))),
            jnp.asarray(np.array(upper, np.float32)))


def _alone(K, slot, y, upper):
    one = jax.jit(_smo.smo)
    return [one(K[s], yy, u) for s, yy, u in zip(np.asarray(slot), y, upper)]


def test_compaction_equals_lockstep_and_solving_alone(problems):
    K, slot, y, upper = problems
    compact = _smo.smo_batch(K, slot, y, upper, chunk=4)
    lockstep = _smo.smo_batch(K, slot, y, upper, chunk=100_000)  # one chunk: no compaction
    steps = np.asarray(compact.n_iter)
    assert steps.max() > 4 * steps.min()  # the batch mixes easy and hard problems
    assert np.all(np.asarray(compact.gap) < 1e-3)
    np.testing.assert_array_equal(steps, np.asarray(lockstep.n_iter))
    np.testing.assert_allclose(compact.alpha, lockstep.alpha, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(compact.rho, lockstep.rho, rtol=1e-5, atol=1e-6)
    for b, r in enumerate(_alone(K, slot, y, upper)):
        assert int(r.n_iter) == steps[b]
        np.testing.assert_allclose(r.alpha, compact.alpha[b], rtol=1e-5, atol=1e-6)


def test_nested_vmap_folds_into_one_batch_sharing_gram_matrices(problems):
    K, slot, y, upper = problems
    ref = _smo.smo_batch(K, slot, y, upper)
    # outer vmap over Gram matrices (9 problems each), inner vmap over problems sharing K
    inner = jax.vmap(_smo.smo, in_axes=(None, 0, 0))
    out = jax.jit(jax.vmap(inner))(K, y.reshape(3, 9, -1), upper.reshape(3, 9, -1))
    np.testing.assert_array_equal(np.asarray(out.n_iter).ravel(), np.asarray(ref.n_iter))
    np.testing.assert_allclose(np.asarray(out.alpha).reshape(ref.alpha.shape), ref.alpha,
                               rtol=1e-5, atol=1e-6)
    # the same problems with the mapped axis on the labels only (K broadcast by the rule)
    one = jax.vmap(lambda yy, u: _smo.smo(K[2], yy, u))(y[18:], upper[18:])
    np.testing.assert_allclose(one.alpha, ref.alpha[18:], rtol=1e-5, atol=1e-6)


def test_max_iter_caps_every_problem(problems):
    K, slot, y, upper = problems
    res = _smo.smo_batch(K, slot, y, upper, max_iter=7, chunk=4)
    assert np.all(np.asarray(res.n_iter) <= 7)
    assert np.any(np.asarray(res.gap) >= 1e-3)


def test_blocks_of_live_problems_give_the_same_steps(problems, monkeypatch):
    """More live problems than a block: the chunk loops over blocks (batch padded to whole
    blocks); each problem still takes the steps it takes in one unblocked bucket."""
    K, slot, y, upper = problems
    ref = _smo.smo_batch(K, slot, y, upper, chunk=4)  # 27 problems: at most one block of 64
    monkeypatch.setattr(_smo, "BLOCK", 8)  # 27 -> 4 blocks of 8 (5 empty problems)
    solve = jax.jit(lambda *a: _smo._solve(*a, 1e-3, 100_000, 4))
    out = solve(K, slot, y, upper)
    assert out.alpha.shape == ref.alpha.shape
    np.testing.assert_array_equal(np.asarray(out.n_iter), np.asarray(ref.n_iter))
    np.testing.assert_allclose(out.alpha, ref.alpha, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.rho, ref.rho, rtol=1e-5, atol=1e-6)
