"""Matrix factorisation: recovery of a synthetic low-rank matrix, loss, recommend, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.models import recsys


def _synthetic(n_users=60, n_items=40, rank=3, frac=0.5, seed=0):
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(size=(n_users, rank)), rng.normal(size=(n_items, rank))
    bu, bi = rng.normal(0, 0.3, n_users), rng.normal(0, 0.3, n_items)
    R = 3.0 + bu[:, None] + bi[None, :] + 0.5 * P @ Q.T
    mask = rng.random(R.shape) < frac
    u, i = np.nonzero(mask)
    ids = np.stack([u, i], 1).astype(np.int32)
    return ids, R[u, i].astype(np.float32), R, mask


def test_forward_is_offset_plus_biases_plus_dot():
    mf = recsys.MatrixFactorization(n_users=4, n_items=5, dim=3, mean=3.0)
    params = mf.init(jax.random.key(0), jnp.zeros((1, 2), jnp.int32))
    p = params["params"]
    params = {
        "params": {
            **p,
            "user_bias": {"embedding": jnp.arange(4.0)[:, None]},
            "item_bias": {"embedding": -jnp.arange(5.0)[:, None]},
        }
    }
    ids = jnp.array([[1, 2], [3, 4]])
    P, Q = p["user"]["embedding"], p["item"]["embedding"]
    want = 3.0 + jnp.array([1.0 - 2.0, 3.0 - 4.0]) + jnp.sum(P[ids[:, 0]] * Q[ids[:, 1]], -1)
    np.testing.assert_allclose(mf.apply(params, ids), want, rtol=1e-6)
    scores = mf.apply(params, jnp.asarray(1), method=mf.item_scores)
    np.testing.assert_allclose(scores[2], want[0], rtol=1e-6)


def test_fits_a_low_rank_matrix_with_the_training_helper():
    ids, r, R, mask = _synthetic()
    mf = recsys.MatrixFactorization(60, 40, dim=3, mean=float(r.mean()), init_scale=0.3)
    params = mf.init(jax.random.key(0), ids[:1])
    state = jf.train.TrainState.create(params, optax.adam(0.03), key=jax.random.key(1))
    state, hist = jf.train.fit(
        state, recsys.rating_loss(mf, l2=1e-4), (ids, r), epochs=150, batch_size=200,
        progress=False,
    )  # fmt: skip
    assert hist["rmse"][-1] < 0.1 * hist["rmse"][0]
    u, i = np.nonzero(~mask)  # held-out entries of the low-rank matrix
    held = np.stack([u, i], 1)
    baseline = float(np.sqrt(np.mean((R[u, i] - r.mean()) ** 2)))
    assert recsys.rmse(mf, state.params, held, R[u, i], clip=None) < 0.5 * baseline


def test_rating_loss_penalty_and_aux():
    mf = recsys.MatrixFactorization(3, 3, dim=2)
    params = mf.init(jax.random.key(0), jnp.zeros((1, 2), jnp.int32))
    ids, r = jnp.array([[0, 1], [2, 0]]), jnp.array([4.0, 2.0])
    l0, aux = recsys.rating_loss(mf, 0.0)(params, (ids, r), None)
    l1, _ = recsys.rating_loss(mf, 1.0)(params, (ids, r), None)
    pred = mf.apply(params, ids)
    np.testing.assert_allclose(l0, jnp.mean((pred - r) ** 2), rtol=1e-6)
    np.testing.assert_allclose(aux["rmse"], jnp.sqrt(l0), rtol=1e-6)
    assert float(l1) > float(l0)


def test_recommend_excludes_rated_items_and_sorts():
    mf = recsys.MatrixFactorization(2, 6, dim=2)
    params = mf.init(jax.random.key(3), jnp.zeros((1, 2), jnp.int32))
    scores = np.asarray(mf.apply(params, jnp.asarray(0), method=mf.item_scores))
    items, top = recsys.recommend(mf, params, 0, k=3, exclude=[int(np.argmax(scores))])
    assert int(np.argmax(scores)) not in items.tolist()
    assert np.all(np.diff(top) <= 0)
    np.testing.assert_allclose(top, scores[items], rtol=1e-6)


def test_bad_input():
    mf = recsys.MatrixFactorization(2, 4, dim=2)
    params = mf.init(jax.random.key(0), jnp.zeros((1, 2), jnp.int32))
    with pytest.raises(errors.ValidationError, match="user=5"):
        recsys.recommend(mf, params, 5)
    with pytest.raises(errors.ValidationError, match="k=4"):
        recsys.recommend(mf, params, 0, k=4, exclude=[0])
    with pytest.raises(errors.ValidationError, match="exclude"):
        recsys.recommend(mf, params, 0, k=1, exclude=[7])
    with pytest.raises(errors.ValidationError):
        recsys.rating_loss(mf, -1.0)
    with pytest.raises(errors.ShapeError):
        recsys.rmse(mf, params, np.zeros((3, 2), int), np.ones(2))
    with pytest.raises(errors.NonFiniteError):
        recsys.rmse(mf, params, np.zeros((1, 2), int), np.array([np.nan]))
