r"""Few-shot learning: stratified k-per-class draws, and many draws trained as one ``vmap``.

A few-shot figure from one draw of $k$ examples per class mostly measures the draw; the
honest figure is the mean $\pm$ sd over several draws. `stratified_draws` picks ``n_draws``
independent sets of exactly $k$ examples of each class (without replacement within a
draw), and `fit_draws` trains one model per draw **at once**: `jaxfound.train.make_step`
inside ``lax.scan`` over steps, inside ``jax.vmap`` over draws, one compiled program.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxfound import _validate, errors
from jaxfound.losses import Loss, as_loss
from jaxfound.train import TrainState, make_step
from jaxfound.typing import Array, PRNGKey, PyTree

__all__ = ["stratified_draws", "stack_states", "fit_draws"]


def stratified_draws(key: PRNGKey, labels: Any, k: int, n_draws: int = 10) -> np.ndarray:
    """``n_draws`` index sets of ``k`` examples per class, each drawn by its own key.

    Args:
      key: PRNG key (the same key, the same draws; draw ``d`` uses
        ``jax.random.fold_in(key, d)``).
      labels: ``(n,)`` integer class labels.
      k: examples per class.
      n_draws: how many independent draws.

    Returns:
      ``(n_draws, k * K)`` int32 row indices, class by class (class 0's ``k`` first),
      ``K`` being the number of distinct labels.

    Raises:
      jaxfound.errors.ValidationError: ``k`` larger than the smallest class (it names the
        class and its size), or non-positive ``k``/``n_draws``.
      jaxfound.errors.LabelError: labels that are not non-negative integers.

    Examples:
      >>> import jax, numpy as np
      >>> y = np.array([0, 1, 0, 1, 0, 1, 1])
      >>> idx = stratified_draws(jax.random.key(0), y, 2, n_draws=3)
      >>> idx.shape, [np.bincount(y[i]).tolist() for i in idx]
      ((3, 4), [[2, 2], [2, 2], [2, 2]])
    """
    key = _validate.required_key(key, "stratified_draws", "it draws the examples")
    k = _validate.positive_int(k, "k")
    n_draws = _validate.positive_int(n_draws, "n_draws")
    y = np.asarray(labels)
    _validate.check_labels(y, "labels")
    classes, counts = np.unique(y, return_counts=True)
    if k > counts.min():
        c = int(classes[np.argmin(counts)])
        raise errors.ValidationError(
            f"k={k} examples per class, but class {c} has only {int(counts.min())}; choose "
            f"k <= {int(counts.min())} (the smallest class)."
        )
    members = [np.flatnonzero(y == c) for c in classes]
    out = np.empty((n_draws, k * len(classes)), np.int32)
    for d in range(n_draws):
        keys = jax.random.split(jax.random.fold_in(key, d), len(classes))
        picks = [m[np.asarray(jax.random.permutation(kc, len(m))[:k])]
                 for kc, m in zip(keys, members)]
        out[d] = np.concatenate(picks)
    return out


def stack_states(init: Any, tx: optax.GradientTransformation, keys: Array) -> TrainState:
    """One `TrainState` per key, stacked on a leading axis (``jax.vmap`` of ``create``).

    Args:
      init: ``init(key) -> params`` (the head, adapters... of one draw).
      tx: the optimiser.
      keys: ``(n_draws,)`` PRNG keys; each also becomes its state's ``key``.

    Returns:
      A `TrainState` whose every leaf has a leading ``n_draws`` axis.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> s = stack_states(lambda k: {"w": jax.random.normal(k, (3,))}, optax.sgd(0.1),
      ...                  jax.random.split(jax.random.key(0), 4))
      >>> s.params["w"].shape, s.step.shape
      ((4, 3), (4,))
    """
    return jax.vmap(lambda k: TrainState.create(init(k), tx, key=k))(keys)


@partial(jax.jit, static_argnames=("loss", "steps", "batch_size"))
def _fit_draws(states, data, keys, shared, *, loss, steps, batch_size):
    step = make_step(loss)

    def one(state, draw, key, shared):
        m = jax.tree_util.tree_leaves(draw)[0].shape[0]

        def body(state, i):
            if batch_size >= m:
                batch = draw
            else:
                idx = jax.random.choice(jax.random.fold_in(key, i), m, (batch_size,),
                                        replace=False)
                batch = jax.tree_util.tree_map(lambda a: a[idx], draw)
            state, aux = step(state, batch if shared is None else (shared, batch))
            return state, aux["loss"]

        return jax.lax.scan(body, state, jnp.arange(steps))

    return jax.vmap(one, in_axes=(0, 0, 0, None))(states, data, keys, shared)


def fit_draws(
    loss: Loss | Any,
    states: TrainState,
    data: PyTree,
    *,
    steps: int,
    batch_size: int,
    key: PRNGKey,
    shared: PyTree = None,
) -> tuple[TrainState, Array]:
    """Train one model per draw, all draws at once (``vmap`` over a ``scan`` of `make_step`).

    Args:
      loss: a `jaxfound.losses.Loss` (or a function `as_loss` accepts) of ONE draw's
        batch; anything it closes over (a frozen backbone) is shared by every draw.
      states: stacked states (`stack_states`), leading axis ``n_draws``.
      data: the training examples per draw, every leaf ``(n_draws, m, ...)`` (e.g.
        ``x[idx]`` for ``idx`` from `stratified_draws`).
      steps: optimisation steps per draw.
      batch_size: examples per step, drawn without replacement from the draw's ``m``;
        ``>= m`` uses the whole draw each step (full batch).
      key: PRNG key of the batch draws (draw ``d`` uses ``jax.random.split(key, n)[d]``).
      shared: arrays every draw reads but none trains (a frozen backbone), passed once
        and not copied per draw; the loss then gets ``batch = (shared, draw_batch)``.
        (Closing over them in ``loss`` also works, but bakes them into the program.)

    Returns:
      ``(states, losses)``: the trained stacked states and the ``(n_draws, steps)``
      training losses.

    Raises:
      jaxfound.errors.ShapeError: ``data``'s leading axis differs from the states'.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> loss = lambda p, b, k: (jnp.mean((b[0] @ p["w"] - b[1]) ** 2), {})
      >>> keys = jax.random.split(jax.random.key(0), 3)
      >>> s = stack_states(lambda k: {"w": jnp.zeros(2)}, optax.sgd(0.1), keys)
      >>> x = jnp.ones((3, 8, 2)); y = jnp.ones((3, 8))
      >>> s, losses = fit_draws(loss, s, (x, y), steps=50, batch_size=4, key=keys[0])
      >>> losses.shape, bool(losses[:, -1].max() < 1e-3)
      ((3, 50), True)
    """
    steps = _validate.positive_int(steps, "steps")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    key = _validate.required_key(key, "fit_draws", "it draws each step's batch")
    n = int(np.shape(states.step)[0]) if np.ndim(states.step) else None
    sizes = {int(np.shape(a)[0]) for a in jax.tree_util.tree_leaves(data)}
    if n is None or sizes != {n}:
        raise errors.ShapeError(
            f"data's leading axes {sorted(sizes)} must all equal the number of stacked states "
            f"({n}); stack one state per draw with stack_states and index the data per draw."
        )
    return _fit_draws(states, data, jax.random.split(key, n), shared, loss=as_loss(loss),
                      steps=steps, batch_size=batch_size)
