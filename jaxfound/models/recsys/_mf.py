r"""Matrix factorisation with biases for explicit ratings (a ``flax.linen`` module).

The predicted rating of user $u$ for item $i$ is

$$
\hat r_{ui} = \mu + b_u + b_i + p_u^\top q_i,
$$

with a global offset $\mu$, user and item biases $b_u, b_i$ and
$k$-dimensional embeddings $p_u, q_i$ (Koren, Bell & Volinsky, 2009).
It is fitted by minimising the regularised squared error over observed ratings,

$$
\frac{1}{|B|}\sum_{(u,i)\in B} (r_{ui} - \hat r_{ui})^2
+ \lambda\big(\lVert p_u\rVert^2 + \lVert q_i\rVert^2 + b_u^2 + b_i^2\big),
$$

where the penalty applies per observed rating, so users and items with many
ratings are shrunk less than rare ones (`rating_loss`).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate as V
from jaxfound import errors
from jaxfound.losses._loss import Loss
from jaxfound.typing import Array, ArrayLike, Params, PRNGKey

__all__ = ["MatrixFactorization", "rating_loss", "predict_ratings", "recommend"]


class MatrixFactorization(nn.Module):
    """Biased matrix factorisation $\\mu + b_u + b_i + p_u^\\top q_i$.

    Input: ``(..., 2)`` int array of ``(user, item)`` indices (0-based).
    Output: ``(...)`` predicted ratings.

    Attributes:
      n_users, n_items: table sizes.
      dim: embedding size $k$.
      mean: initial global offset $\\mu$ (use the mean training rating).
      init_scale: standard deviation of the initial embeddings.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> mf = MatrixFactorization(n_users=3, n_items=4, dim=2, mean=3.5)
      >>> params = mf.init(jax.random.key(0), jnp.zeros((1, 2), int))
      >>> mf.apply(params, jnp.array([[0, 1], [2, 3]])).shape
      (2,)
    """

    n_users: int
    n_items: int
    dim: int = 32
    mean: float = 0.0
    init_scale: float = 0.1

    def setup(self):
        emb = nn.initializers.normal(self.init_scale)
        self.user = nn.Embed(self.n_users, self.dim, embedding_init=emb)
        self.item = nn.Embed(self.n_items, self.dim, embedding_init=emb)
        self.user_bias = nn.Embed(self.n_users, 1, embedding_init=nn.initializers.zeros)
        self.item_bias = nn.Embed(self.n_items, 1, embedding_init=nn.initializers.zeros)
        self.offset = self.param("offset", nn.initializers.constant(self.mean), ())

    def parts(self, ids: Array):
        """``(offset, b_u, b_i, p_u, q_i)`` of each ``(user, item)`` pair."""
        u, i = ids[..., 0], ids[..., 1]
        return (
            self.offset,
            self.user_bias(u)[..., 0],
            self.item_bias(i)[..., 0],
            self.user(u),
            self.item(i),
        )

    def __call__(self, ids: Array) -> Array:
        mu, bu, bi, p, q = self.parts(ids)
        return mu + bu + bi + jnp.sum(p * q, axis=-1)

    def item_scores(self, user: Array) -> Array:
        """Predicted ratings ``(n_items,)`` of every item for one user index."""
        p = self.user(user)
        bu = self.user_bias(user)[0]
        return self.offset + bu + self.item_bias.embedding[:, 0] + self.item.embedding @ p


def _check_ids(model: MatrixFactorization, users, items, names: tuple[str, str]) -> None:
    V.indices(users, names[0], model.n_users, "user")
    V.indices(items, names[1], model.n_items, "item")


def _check_ratings(model: MatrixFactorization, data, name: str = "data") -> None:
    """Boundary check of ``(ids, ratings)`` training data for `rating_loss`."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise errors.ValidationError(
            f"{name} must be a pair (ids, ratings): ids of shape (n, 2) holding (user, item) "
            f"pairs and ratings of shape (n,); got {type(data).__name__}."
        )
    ids = V.check_array(data[0], f"{name} ids", ndim=2, finite=False)
    ratings = V.check_array(data[1], f"{name} ratings", ndim=1)
    if ids.shape[1] != 2:
        raise errors.ShapeError(
            f"{name} ids has shape {ids.shape}; it must be (n, 2): one (user, item) pair per row."
        )
    V.check_same_length([ids, ratings], [f"{name} ids", f"{name} ratings"])
    ids = np.asarray(ids)
    names = (f"{name} ids[:, 0] (users)", f"{name} ids[:, 1] (items)")
    _check_ids(model, ids[:, 0], ids[:, 1], names)


def rating_loss(model: MatrixFactorization, l2: float = 0.05) -> Loss:
    r"""Regularised squared error on ``(ids, ratings)`` batches, for `jaxfound.train.fit`.

    ``loss = mean((r - r̂)²) + l2 · mean(‖p_u‖² + ‖q_i‖² + b_u² + b_i²)``;
    ``aux`` reports ``"mse"`` and ``"rmse"`` (without the penalty).

    Inside jit an id outside the embedding tables would be looked up as NaN (or
    clipped), so the returned loss carries a boundary check,
    ``loss.check(params, (ids, ratings), name)``, that refuses user ids outside
    ``[0, n_users)``, item ids outside ``[0, n_items)``, non-integer ids, ragged
    shapes and non-finite ratings before anything is traced.

    Args:
      model: a `MatrixFactorization`.
      l2: the per-rating penalty $\lambda$.

    Returns:
      A `jaxfound.losses.Loss` ``(params, (ids, ratings), key) -> (loss, aux)`` with the
      data check as ``loss.check``.

    Raises:
      ValidationError: ``l2`` is negative.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> mf = MatrixFactorization(n_users=2, n_items=3, dim=2, mean=3.0)
      >>> params = mf.init(jax.random.key(0), jnp.zeros((1, 2), int))
      >>> loss = rating_loss(mf, l2=0.0)
      >>> value, aux = loss(params, (jnp.array([[0, 1]]), jnp.array([3.0])), None)
      >>> sorted(aux)
      ['mse', 'rmse']
      >>> bad = (jnp.array([[2, 1]]), jnp.array([3.0]))  # user 2 of 2 users
      >>> loss.check(params, bad, "data")  # doctest: +IGNORE_EXCEPTION_DETAIL
      Traceback (most recent call last):
      jaxfound.errors.ValidationError: data ids[:, 0] (users) holds 1 user id(s) outside [0, 2)
    """
    if l2 < 0:
        raise errors.ValidationError(f"l2={l2} must be >= 0; pass a non-negative penalty.")

    def loss_fn(params: Params, batch, key: PRNGKey | None = None):
        ids, r = batch
        parts: Any = model.apply(params, ids, method=model.parts)
        mu, bu, bi, p, q = parts
        err = mu + bu + bi + jnp.sum(p * q, axis=-1) - r
        mse = jnp.mean(err**2)
        penalty = jnp.mean(jnp.sum(p * p, -1) + jnp.sum(q * q, -1) + bu**2 + bi**2)
        return mse + l2 * penalty, {"mse": mse, "rmse": jnp.sqrt(mse)}

    def check(params: Params, data, name: str = "data") -> None:
        del params
        _check_ratings(model, data, name)

    return Loss(loss_fn, check)


def predict_ratings(
    model: MatrixFactorization,
    params: Params,
    users: ArrayLike,
    items: ArrayLike,
    *,
    clip: tuple[float, float] | None = None,
) -> Array:
    r"""Predicted ratings of ``(user, item)`` pairs: $\hat r_{ui} = \mu + b_u + b_i + p_u^\top q_i$.

    Score them with any metric of `jaxfound.stats`, e.g.
    ``jf.stats.rmse(ratings, predict_ratings(model, params, users, items))``.

    Args:
      model: a `MatrixFactorization`.
      params: its parameters.
      users: ``(n,)`` 0-based user ids in ``[0, n_users)``.
      items: ``(n,)`` 0-based item ids in ``[0, n_items)``.
      clip: ``(low, high)``: clip the predictions to the rating scale (e.g. ``(1, 5)``
        for MovieLens); ``None`` keeps them as they are.

    Returns:
      ``(n,)`` predicted ratings.

    Raises:
      ValidationError: an id is outside its table (instead of a silent NaN).
      DTypeError: ids are not integers.
      ShapeError: ``users`` and ``items`` are not 1-D of one length.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> mf = MatrixFactorization(n_users=2, n_items=3, dim=2, mean=3.5)
      >>> params = mf.init(jax.random.key(0), jnp.zeros((1, 2), int))
      >>> predict_ratings(mf, params, [0, 1], [2, 2]).shape
      (2,)
    """
    users = V.check_array(users, "users", ndim=1)
    items = V.check_array(items, "items", ndim=1)
    V.check_same_length([users, items], ["users", "items"])
    _check_ids(model, users, items, ("users", "items"))
    ids = jnp.stack([jnp.asarray(users), jnp.asarray(items)], axis=1)
    pred: Array = model.apply(params, ids)  # type: ignore[assignment]  # flax: Any | tuple
    return pred if clip is None else jnp.clip(pred, *clip)


def recommend(
    model: MatrixFactorization,
    params: Params,
    user: int,
    *,
    k: int = 10,
    exclude: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` items for ``user`` by predicted rating, skipping ``exclude`` (e.g. rated items).

    Args:
      model: a `MatrixFactorization`.
      params: its fitted parameters.
      user: 0-based user index.
      k: how many items.
      exclude: item indices never to recommend (those the user already rated).

    Returns:
      ``(items, scores)``: ``(k,)`` item indices, best first, and their predicted ratings.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> mf = MatrixFactorization(n_users=2, n_items=5, dim=2)
      >>> params = mf.init(jax.random.key(0), jnp.zeros((1, 2), int))
      >>> items, _ = recommend(mf, params, 0, k=3, exclude=[0, 1])
      >>> sorted(set(items.tolist()) & {0, 1})
      []
    """
    if not 0 <= int(user) < model.n_users:
        raise errors.ValidationError(
            f"user={user} is outside [0, {model.n_users}); user ids are 0-based (file id - 1)."
        )
    excl = np.zeros(model.n_items, bool)
    if exclude is not None:
        excl[V.indices(np.ravel(exclude), "exclude", model.n_items, "item")] = True
    n_left = int((~excl).sum())
    if not 1 <= k <= n_left:
        raise errors.ValidationError(f"k={k} must be in [1, {n_left}] (items not excluded).")
    scores: Array = model.apply(  # type: ignore[assignment]  # flax types it Any | tuple
        params, jnp.asarray(user), method=model.item_scores
    )
    scores = jnp.where(jnp.asarray(excl), -jnp.inf, scores)
    top, items = jax.lax.top_k(scores, k)
    return np.asarray(items), np.asarray(top)
