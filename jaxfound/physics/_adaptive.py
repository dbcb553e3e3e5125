r"""Training aids: residual-based refinement of collocation points, loss balancing and
causal weighting.

* `rar` — residual-based adaptive refinement (Lu et al., 2021): add the
  candidate points where the residual is largest.
* `rad` — residual-based adaptive distribution (Wu et al., 2023): draw a fresh,
  fixed-size set with probability $\propto |r|^k / \overline{|r|^k} + c$.
  Fixed shapes, so it runs inside a compiled loop.
* `grad_norm_weights` — balance terms by their gradient norms (Wang et al.,
  2021/2023): $\hat\lambda_k = \sum_j \lVert\nabla L_j\rVert / \lVert\nabla L_k\rVert$,
  smoothed by a moving average.
* `causal` — causal weighting for evolution equations (Wang, Sankaran &
  Perdikaris, 2022): the loss of time slab $i$ is weighted by
  $\exp(-\varepsilon\sum_{j<i} L_j)$, so later times are fitted only once the
  earlier ones are.
"""

from __future__ import annotations

from typing import Any, Mapping

import jax
import jax.numpy as jnp

from jaxfound import _validate, errors
from jaxfound.physics._constraint import Constraint
from jaxfound.typing import Array, Params

__all__ = ["residual_magnitude", "rar", "rad", "grad_norm_weights", "causal"]


def residual_magnitude(constraint: Constraint, params: Params, points: Array) -> Array:
    r"""Pointwise $\lVert r(x_i)\rVert$ of a constraint on ``points``, shape ``(N,)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.physics import dirichlet
      >>> c = dirichlet(lambda p, x: x[0], 0.0)
      >>> residual_magnitude(c, None, jnp.array([[1.0], [-2.0]])).tolist()
      [1.0, 2.0]
    """
    r = constraint.residual(params, points)
    r = r.reshape(r.shape[0], -1)
    return jnp.sqrt(jnp.sum(jnp.square(r), axis=-1))


def rar(constraint: Constraint, params: Params, candidates: Array, n_add: int) -> Array:
    """Residual-based adaptive refinement: the ``n_add`` candidates with the largest residual.

    Concatenate them to the collocation points (``jnp.concatenate([points, new])``) and
    train on; repeat every few thousand steps.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.physics import dirichlet
      >>> c = dirichlet(lambda p, x: x[0], 0.0)
      >>> rar(c, None, jnp.array([[0.1], [3.0], [-2.0]]), 2).tolist()
      [[3.0], [-2.0]]
    """
    if not 0 < n_add <= candidates.shape[0]:
        raise errors.ValidationError(
            f"n_add={n_add} must be in [1, {candidates.shape[0]}] (the number of candidates)"
        )
    _, idx = jax.lax.top_k(residual_magnitude(constraint, params, candidates), n_add)
    return candidates[idx]


def rad(
    key: jax.Array,
    constraint: Constraint,
    params: Params,
    candidates: Array,
    n: int,
    *,
    k: float = 1.0,
    c: float = 1.0,
) -> Array:
    r"""Residual-based adaptive distribution: ``n`` points drawn from ``candidates``
    without replacement with probability $p_i \propto |r_i|^k / \mathrm{mean}(|r|^k) + c$.

    ``c = 0`` concentrates on the largest residuals, large ``c`` tends to uniform.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.physics import dirichlet
      >>> cst = dirichlet(lambda p, x: x[0], 0.0)
      >>> cand = jnp.linspace(0, 1, 100)[:, None]
      >>> rad(jax.random.key(0), cst, None, cand, 10, c=0.0).shape
      (10, 1)
    """
    if not 0 < n <= candidates.shape[0]:
        raise errors.ValidationError(f"n={n} must be in [1, {candidates.shape[0]}]")
    e = residual_magnitude(constraint, params, candidates) ** k
    p = e / (jnp.mean(e) + 1e-30) + c
    idx = jax.random.choice(key, candidates.shape[0], (n,), replace=False, p=p / jnp.sum(p))
    return candidates[jax.lax.stop_gradient(idx)]


def _norm(tree) -> Array:
    return jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in jax.tree_util.tree_leaves(tree)))


def grad_norm_weights(
    terms: Mapping[str, Constraint],
    params: Params,
    batch: Mapping | None = None,
    weights: Mapping[str, Array] | None = None,
    *,
    alpha: float = 0.9,
) -> dict:
    r"""Gradient-norm loss balancing: new weights for `jaxfound.losses.weighted_sum`.

    $$
    \hat\lambda_k = \frac{\sum_j \lVert\nabla_\theta L_j\rVert}{\lVert\nabla_\theta L_k\rVert},
    \qquad \lambda_k \leftarrow \alpha\,\lambda_k + (1-\alpha)\,\hat\lambda_k
    $$

    so every weighted term pulls with the same gradient norm. Call it every few hundred
    steps and pass the result as ``batch["weights"]``. Pure and jittable.

    Args:
      terms: the constraints given to `jaxfound.losses.weighted_sum`.
      params: current parameters.
      batch: the data each term uses (``None``: their own).
      weights: the previous weights (``None``: start from $\hat\lambda$).
      alpha: moving-average factor.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.physics import dirichlet
      >>> a = dirichlet(lambda p, x: p * x[0], 0.0, jnp.ones((2, 1)))
      >>> b = dirichlet(lambda p, x: 10 * p * x[0], 0.0, jnp.ones((2, 1)))
      >>> w = grad_norm_weights({"a": a, "b": b}, jnp.array(1.0))
      >>> round(float(w["a"] / w["b"]))
      100
    """
    batch = {} if batch is None else batch
    norms = {}
    for name, term in terms.items():
        g = jax.grad(lambda p, t=term, n=name: t.loss(p, batch.get(n)))(params)
        norms[name] = _norm(g)
    total = sum(norms.values())
    new = {n: jax.lax.stop_gradient(total / (v + 1e-30)) for n, v in norms.items()}
    if weights is None:
        return new
    return {n: alpha * jnp.asarray(weights[n]) + (1 - alpha) * new[n] for n in new}


def causal(
    constraint: Constraint,
    *,
    t_range: tuple[float, float],
    n_slabs: int = 32,
    eps: float = 1.0,
    time_axis: int = -1,
) -> Constraint:
    r"""Causal weighting of a residual term over time slabs.

    The points are split by time into ``n_slabs`` slabs with mean squared residuals
    $L_i$; the loss is

    $$
    L = \frac{1}{n}\sum_i w_i L_i,\qquad
    $$
              w_i = \exp\Big(-\varepsilon \sum_{j<i} L_j\Big)\ \text{(no gradient)}.

    Raise ``eps`` as training proceeds (Wang et al. use 1e-2 … 1e2).

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.physics import dirichlet
      >>> c = causal(dirichlet(lambda p, x: x[1], 0.0), t_range=(0.0, 1.0), n_slabs=2, eps=1.0)
      >>> pts = jnp.array([[0.0, 0.0], [0.0, 1.0]])
      >>> round(float(c.loss(None, pts)), 4)      # (0 + exp(-0) * 1) / 2
      0.5
    """
    n_slabs = _validate.positive_int(n_slabs, "n_slabs")
    t0, t1 = float(t_range[0]), float(t_range[1])
    if not t1 > t0:
        raise errors.ValidationError(f"t_range must have t1 > t0, got {t_range}")

    def points_of(data: Any) -> Array:
        return data[0] if isinstance(data, tuple) else data

    def reduce(r: Array, data: Any) -> Array:
        t = points_of(data)[:, time_axis]
        slab = jnp.clip(jnp.floor((t - t0) / (t1 - t0) * n_slabs), 0, n_slabs - 1).astype(int)
        sq = jnp.sum(jnp.square(r.reshape(r.shape[0], -1)), axis=-1)
        count = jax.ops.segment_sum(jnp.ones_like(sq), slab, n_slabs)
        per = jax.ops.segment_sum(sq, slab, n_slabs) / jnp.maximum(count, 1.0)
        before = jnp.cumsum(per) - per
        w = jax.lax.stop_gradient(jnp.exp(-eps * before))
        return jnp.mean(w * per)

    return constraint._replace(reduce=reduce, name=f"causal({constraint.name})")
