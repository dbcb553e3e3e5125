"""Elastic weight consolidation: the diagonal Fisher from per-example gradients, and its penalty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.losses import Loss
from jaxfound.typing import Array, Params

__all__ = ["EWCState", "fisher_diagonal", "ewc_init", "ewc_consolidate", "ewc_penalty",
           "ewc_loss", "masked_logits", "FISHER_LABELS"]

#: ``"model"``: expectation over the model's own predictive distribution (the true
#: Fisher); ``"empirical"``: the observed labels (the empirical Fisher).
FISHER_LABELS = ("model", "empirical")

#: the logit given to masked-out classes (their probability underflows to exactly 0).
MASKED_LOGIT = -1e30


def masked_logits(logits: Array, mask: Array | None) -> Array:
    """``logits`` where ``mask`` is true, a huge negative number elsewhere (``None``: all kept)."""
    if mask is None:
        return logits
    return jnp.where(mask, logits, MASKED_LOGIT)


class EWCState(NamedTuple):
    r"""The quadratic EWC pulls towards: $\tfrac12\lambda\sum_i F_i(\theta_i-\theta^*_i)^2$.

    Attributes:
      fisher: the (summed or decayed) diagonal Fisher $F$, a pytree like the parameters.
      anchor: the parameters $\theta^*$ it pulls towards.
    """

    fisher: Params
    anchor: Params


def fisher_diagonal(
    apply: Callable[[Params, Array], Array],
    params: Params,
    x: Array,
    y: Array | None = None,
    *,
    labels: str = "model",
    mask: Array | None = None,
    weights: Array | None = None,
    batch_size: int = 32,
) -> Params:
    r"""The diagonal of the Fisher information, from per-example gradients (``jax.vmap``).

    $$
    F_i = \frac{1}{n}\sum_{k=1}^{n}\; \mathbb{E}_{c\sim q_k}
      \Big[\big(\partial_{\theta_i} \log p_\theta(c\mid x_k)\big)^2\Big]
    $$

    with $q_k = p_\theta(\cdot\mid x_k)$ for ``labels="model"`` (the true Fisher, exact
    expectation over every class) or $q_k = \delta_{y_k}$ for ``labels="empirical"``.
    The per-example gradients are ``jax.vmap(jax.grad(...))`` over chunks of
    ``batch_size`` examples (``lax.map``), so memory stays at a chunk's gradients.

    Args:
      apply: ``apply(params, x) -> logits`` on a batch.
      params: where the Fisher is taken (usually the end of a context).
      x: ``(n, ...)`` inputs.
      y: ``(n,)`` integer labels (needed for ``"empirical"``).
      labels: ``"model"`` or ``"empirical"``.
      mask: ``(K,)`` or ``(n, K)`` bool: the logits in play (task-IL heads).
      weights: ``(n,)`` non-negative row weights (0 for padding rows); default all 1.
      batch_size: examples per chunk of per-example gradients.

    Returns:
      A pytree like ``params``.

    Raises:
      EmptyDataError: no examples (or all weights zero).
      ValidationError: unknown ``labels``, or ``"empirical"`` without ``y``.

    Examples:
      >>> import jax.numpy as jnp
      >>> apply = lambda p, x: x @ p
      >>> f = fisher_diagonal(apply, jnp.zeros((1, 2)), jnp.ones((4, 1)))
      >>> f.tolist()  # p = (1/2, 1/2), d log p_c / d w_j = x (1[c=j] - 1/2)
      [[0.25, 0.25]]
    """
    if labels not in FISHER_LABELS:
        raise errors.ValidationError(f"labels={labels!r} must be one of {FISHER_LABELS}.")
    if labels == "empirical" and y is None:
        raise errors.ValidationError('labels="empirical" needs the labels y.')
    batch_size = _validate.positive_int(batch_size, "batch_size")
    n = int(np.shape(x)[0]) if np.ndim(x) else 0
    if n == 0:
        raise errors.EmptyDataError(
            "fisher_diagonal got x with 0 rows: the Fisher of an empty set is undefined; pass "
            "the context's data (at least one example)."
        )
    if weights is not None and not _validate.is_traced(weights) and float(np.sum(weights)) <= 0:
        raise errors.EmptyDataError("fisher_diagonal got weights that sum to 0: no example "
                                    "counts; pass some positive weights.")
    w = jnp.ones(n) if weights is None else jnp.asarray(weights, jnp.float32)
    yy = jnp.zeros(n, jnp.int32) if y is None else jnp.asarray(y)
    m = None if mask is None else jnp.broadcast_to(jnp.asarray(mask), (n, *np.shape(mask)[-1:]))

    def logp(p, xi, mi):
        out = apply(p, xi[None])[0]
        return jax.nn.log_softmax(masked_logits(out, mi))

    def one(xi, yi, mi, wi):
        if labels == "empirical":
            g = jax.grad(lambda p: logp(p, xi, mi)[yi])(params)
            return jax.tree.map(lambda a: wi * a**2, g)
        lp = logp(params, xi, mi)
        jac = jax.jacrev(lambda p: logp(p, xi, mi))(params)  # (K, ...) per leaf
        prob = jax.lax.stop_gradient(jnp.exp(lp))
        return jax.tree.map(lambda a: wi * jnp.tensordot(prob, a**2, axes=1), jac)

    pad = (-n) % batch_size
    def chunked(a):
        a = jnp.concatenate([a, jnp.zeros((pad, *a.shape[1:]), a.dtype)]) if pad else a
        return a.reshape(-1, batch_size, *a.shape[1:])

    wpad = chunked(w)  # padding rows get weight 0
    mm = None if m is None else chunked(m)

    def chunk(carry, inp):
        xs, ys, ws, ms = inp
        f = jax.vmap(one, in_axes=(0, 0, None if ms is None else 0, 0))(xs, ys, ms, ws)
        return jax.tree.map(lambda c, a: c + a.sum(0), carry, f), None

    zero = jax.tree.map(jnp.zeros_like, params)
    total, _ = jax.lax.scan(chunk, zero, (chunked(jnp.asarray(x)), chunked(yy), wpad, mm))
    return jax.tree.map(lambda a: a / jnp.sum(w), total)


def ewc_init(params: Params) -> EWCState:
    """An `EWCState` with zero Fisher (no penalty yet), anchored at ``params``.

    Examples:
      >>> import jax.numpy as jnp
      >>> float(ewc_init(jnp.ones(3)).fisher.sum())
      0.0
    """
    return EWCState(jax.tree.map(jnp.zeros_like, params), params)


def ewc_consolidate(
    state: EWCState, fisher: Params, params: Params, *, online: bool = False, gamma: float = 1.0
) -> EWCState:
    r"""Fold the Fisher of a finished context into the penalty.

    **Offline** (one penalty per context, Kirkpatrick et al.):
    $\sum_k \tfrac12\lambda\sum_i F^{(k)}_i(\theta_i-\theta^{(k)}_i)^2$ equals, up to a
    constant that has no gradient, one quadratic with
    $F=\sum_k F^{(k)}$ and $\theta^*=\sum_k F^{(k)}\theta^{(k)}/F$, which is what is stored.
    **Online** (Schwarz et al.): $F \leftarrow \gamma F + F^{(t)}$, $\theta^*\leftarrow\theta$.

    Args:
      state: the current `EWCState`.
      fisher: the new context's diagonal Fisher (`fisher_diagonal`).
      params: the parameters at the end of that context.
      online: decayed running Fisher instead of one penalty per context.
      gamma: the decay of the online Fisher, in ``(0, 1]``.

    Returns:
      The new `EWCState` (``state`` and ``params`` are not modified).

    Examples:
      >>> import jax.numpy as jnp
      >>> s = ewc_consolidate(ewc_init(jnp.zeros(1)), jnp.ones(1), jnp.ones(1))
      >>> s = ewc_consolidate(s, 3 * jnp.ones(1), 3 * jnp.ones(1))
      >>> s.fisher.tolist(), s.anchor.tolist()  # (1*1 + 3*3) / 4
      ([4.0], [2.5])
    """
    gamma = _validate.hyperparameter(gamma, "gamma", low=0.0, open_low=True)
    if not _validate.is_traced(gamma) and gamma > 1:
        raise errors.ValidationError(f"gamma={gamma} must be in (0, 1] (a decay).")
    if online:
        return EWCState(jax.tree.map(lambda f, g: gamma * f + g, state.fisher, fisher), params)
    new_f = jax.tree.map(jnp.add, state.fisher, fisher)
    def mean(f0, a0, f1, p, f):  # exact where one side has no weight: a0 or p, bit for bit
        both = (f0 * a0 + f1 * p) / jnp.where(f > 0, f, 1)
        return jnp.where(f0 > 0, jnp.where(f1 > 0, both, a0), p)

    anchor = jax.tree.map(mean, state.fisher, state.anchor, fisher, params, new_f)
    return EWCState(new_f, anchor)


def ewc_penalty(params: Params, anchor: Params, fisher: Params, lam: float) -> Array:
    r"""The EWC penalty $\tfrac12\lambda\sum_i F_i(\theta_i-\theta^*_i)^2$.

    Args:
      params: $\theta$; anchor: $\theta^*$; fisher: $F$ (pytrees alike).
      lam: $\lambda \ge 0$.

    Returns:
      A scalar.

    Raises:
      ValidationError: ``lam < 0`` (or not a number).

    Examples:
      >>> import jax.numpy as jnp
      >>> float(ewc_penalty(jnp.ones(2), jnp.zeros(2), jnp.array([1.0, 3.0]), 2.0))
      4.0
    """
    lam = _validate.hyperparameter(lam, "lam", low=0.0)
    sq = jax.tree.map(lambda p, a, f: jnp.sum(f * (p - a) ** 2), params, anchor, fisher)
    return jnp.asarray(0.5 * lam * sum(jax.tree_util.tree_leaves(sq)))


def ewc_loss(lam: float) -> Loss:
    """`ewc_penalty` as a routed `jaxfound.losses.Loss` term reading an `EWCState`.

    In `jaxfound.losses.weighted_sum` a term named ``"ewc"`` reads ``batch["ewc"]``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jaxfound.losses import weighted_sum
      >>> loss = weighted_sum({"ewc": ewc_loss(2.0)})
      >>> state = EWCState(fisher=jnp.ones(2), anchor=jnp.zeros(2))
      >>> float(loss(jnp.ones(2), {"ewc": state})[0])
      2.0
    """
    lam = _validate.hyperparameter(lam, "lam", low=0.0)

    def fn(params: Params, state: Any, key=None):
        return ewc_penalty(params, state.anchor, state.fisher, lam), {}

    return Loss(fn, routed=True)
