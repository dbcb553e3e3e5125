"""Maximum-likelihood estimation with optax L-BFGS; standard errors from the Hessian."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from jaxfound import _validate, errors
from jaxfound.typing import Array, PyTree

__all__ = ["MLEResult", "fit_mle", "aic", "bic"]


class MLEResult(NamedTuple):
    """A maximum-likelihood fit.

    Attributes:
      params: the estimate $\\hat\\theta$ (same pytree as the initial parameters).
      stderr: standard errors, same pytree: square roots of the diagonal of ``cov``.
      cov: ``(k, k)`` covariance $I(\\hat\\theta)^{-1}$ of the flattened parameters
        (order of `jax.flatten_util.ravel_pytree`).
      log_likelihood: $\\ell(\\hat\\theta)$.
      n_params: number of free parameters ``k``.
      n_obs: number of observations ``n`` (for BIC).
      aic: $2k - 2\\ell(\\hat\\theta)$.
      bic: $k\\ln n - 2\\ell(\\hat\\theta)$.
      n_iter: L-BFGS iterations used.
      converged: whether the gradient norm fell below ``tol``.
    """

    params: PyTree
    stderr: PyTree
    cov: Array
    log_likelihood: Array
    n_params: int
    n_obs: int
    aic: Array
    bic: Array
    n_iter: Array
    converged: Array


def aic(log_likelihood: Any, n_params: int) -> Array:
    r"""Akaike information criterion $2k - 2\ell$ (smaller is better).

    Examples:
      >>> float(aic(-10.0, 2))
      24.0
    """
    n_params = _validate.whole_number(n_params, "n_params", 0)
    return 2.0 * n_params - 2.0 * jnp.asarray(log_likelihood)


def bic(log_likelihood: Any, n_params: int, n_obs: int) -> Array:
    r"""Bayesian information criterion $k\ln n - 2\ell$ (smaller is better).

    Examples:
      >>> round(float(bic(-10.0, 2, 100)), 4)
      29.2103
    """
    n_params = _validate.whole_number(n_params, "n_params", 0)
    n_obs = _validate.hyperparameter(n_obs, "n_obs", low=0.0, open_low=True)
    return n_params * jnp.log(float(n_obs)) - 2.0 * jnp.asarray(log_likelihood)


@partial(jax.jit, static_argnames=("log_likelihood", "max_iter", "memory_size"))
def _minimise(log_likelihood, params0, data, n_obs, max_iter, tol, memory_size):
    # minimise the mean negative log-likelihood: its scale does not grow with n
    f = lambda p: -log_likelihood(p, data) / n_obs
    opt = optax.lbfgs(memory_size=memory_size)
    value_and_grad = optax.value_and_grad_from_state(f)

    def step(carry):
        params, state = carry
        value, grad = value_and_grad(params, state=state)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=f)
        return optax.apply_updates(params, updates), state

    def keep_going(carry):
        _, state = carry
        k = optax.tree.get(state, "count")
        g = optax.tree.norm(optax.tree.get(state, "grad"))
        return (k == 0) | ((k < max_iter) & (g >= tol))

    params, state = jax.lax.while_loop(keep_going, step, (params0, opt.init(params0)))
    grad_norm = optax.tree.norm(jax.grad(f)(params))
    return params, optax.tree.get(state, "count"), grad_norm


def fit_mle(
    log_likelihood: Callable[[PyTree, Any], Array],
    params0: PyTree,
    data: Any,
    *,
    n_obs: int | None = None,
    max_iter: int = 500,
    tol: float = 1e-6,
    memory_size: int = 10,
) -> MLEResult:
    r"""Maximum-likelihood fit of a user log-likelihood, with standard errors, AIC and BIC.

    $$
    \hat\theta = \arg\max_\theta \ell(\theta),\qquad
    \widehat{\mathrm{Cov}}(\hat\theta) = I(\hat\theta)^{-1},\quad
    I(\hat\theta) = -\nabla^2 \ell(\hat\theta)
    $$

    The mean negative log-likelihood $-\ell/n$ is minimised by ``optax.lbfgs`` (zoom
    line search) in one compiled ``lax.while_loop``, stopping when its gradient norm drops
    below ``tol`` or after ``max_iter`` iterations. The observed Fisher information is the
    Hessian of $-\ell$ at the optimum (by ``jax.hessian``).

    Constrained parameters (a scale, a rate) are best fitted on an unconstrained scale
    (e.g. ``log_sigma``); the standard errors are then those of the transformed
    parameter (the delta method converts them: $\mathrm{se}(\sigma) \approx \sigma\,
    \mathrm{se}(\log\sigma)$).

    Args:
      log_likelihood: jittable ``log_likelihood(params, data) -> scalar``: the TOTAL
        log-likelihood of all observations.
      params0: initial parameters (any pytree of float arrays).
      data: anything ``log_likelihood`` takes (a pytree of arrays).
      n_obs: number of observations for BIC (default: leading size of ``data``'s first
        leaf).
      max_iter: iteration limit.
      tol: gradient-norm tolerance on $-\ell/n$.
      memory_size: L-BFGS history length.

    Returns:
      `MLEResult`. A singular information matrix (a non-identified parameter)
      gives NaN standard errors and a warning.

    Raises:
      ConvergenceError: the optimiser ended on a non-finite value.

    Examples:
      >>> import jax.numpy as jnp
      >>> def ll(p, x):   # Poisson log-likelihood up to a constant
      ...     return jnp.sum(x * jnp.log(p["rate"]) - p["rate"])
      >>> res = fit_mle(ll, {"rate": jnp.array(1.0)}, jnp.array([2.0, 3.0, 4.0]))
      >>> round(float(res.params["rate"]), 4), round(float(res.stderr["rate"]), 4)
      (3.0, 1.0)
    """
    leaves = jax.tree_util.tree_leaves(params0)
    if not leaves:
        raise errors.ValidationError("params0 has no leaves; pass the initial parameters.")
    dtype = jnp.result_type(*[jnp.asarray(v).dtype for v in leaves], jnp.float32)
    params0 = jax.tree_util.tree_map(lambda v: jnp.asarray(v, dtype), params0)
    if n_obs is None:
        data_leaves = jax.tree_util.tree_leaves(data)
        n_obs = int(np.shape(data_leaves[0])[0]) if data_leaves and np.ndim(data_leaves[0]) else 1
    if int(n_obs) < 1:
        raise errors.ValidationError(f"n_obs={n_obs}; it must be a positive integer.")
    ll0 = log_likelihood(params0, data)
    if jnp.shape(ll0) != ():
        raise errors.ShapeError(
            f"log_likelihood returned shape {jnp.shape(ll0)}; it must return the total "
            "(summed) log-likelihood as a scalar."
        )
    if not bool(jnp.isfinite(ll0)):
        raise errors.NonFiniteError(
            f"log_likelihood(params0, data) = {float(ll0)}; start from parameters where the "
            "log-likelihood is finite."
        )
    params, n_iter, grad_norm = _minimise(
        log_likelihood, params0, data, float(n_obs), int(max_iter), float(tol), int(memory_size)
    )
    ll, flat, info = _at_optimum(log_likelihood, params, data)
    _, unravel = ravel_pytree(params)
    if not (bool(jnp.isfinite(ll)) and bool(jnp.all(jnp.isfinite(flat)))):
        raise errors.ConvergenceError(
            f"L-BFGS ended at a non-finite log-likelihood ({float(ll)}); start closer to the "
            "optimum or reparametrise (e.g. fit log-scales)."
        )
    cov = _inverse_information(info)
    stderr = unravel(jnp.sqrt(jnp.diagonal(cov)))
    k = int(flat.size)
    converged = grad_norm < tol
    return MLEResult(params, stderr, cov, ll, k, int(n_obs), aic(ll, k), bic(ll, k, n_obs),
                     n_iter, converged)


@partial(jax.jit, static_argnames=("log_likelihood",))
def _at_optimum(log_likelihood, params, data):
    """Log-likelihood, flattened parameters and observed information at the estimate."""
    flat, unravel = ravel_pytree(params)
    info = jax.hessian(lambda v: -log_likelihood(unravel(v), data))(flat)
    return log_likelihood(params, data), flat, 0.5 * (info + info.T)


def _inverse_information(info: Array) -> Array:
    chol = jnp.linalg.cholesky(info)
    if not bool(jnp.all(jnp.isfinite(chol))):
        warnings.warn(
            "the observed information (Hessian of -log-likelihood) is not positive definite "
            "at the estimate: a parameter is not identified or the fit is not a maximum; "
            "standard errors are NaN.",
            RuntimeWarning,
            stacklevel=3,
        )
        return jnp.full_like(info, jnp.nan)
    eye = jnp.eye(info.shape[0], dtype=info.dtype)
    return jax.scipy.linalg.cho_solve((chol, True), eye)
