r"""Optimisation stages for physics-informed training: a first-order stage (Adam or any
optax optimiser) in compiled chunks, then L-BFGS (``optax.lbfgs`` with its zoom line
search) with the whole iteration loop compiled in a ``lax.while_loop``; and the
float64 switch.

Both stages take the training helper's ``loss_fn(params, batch, key) -> (loss, aux)``
(e.g. from `pinn_loss`), check for NaN/inf after every
compiled chunk and raise `TrainingDivergedError` carrying the
last finite parameters.
"""

from __future__ import annotations

import time
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxfound import errors
from jaxfound.typing import LossFn, Params

__all__ = ["Result", "optimize", "lbfgs", "enable_float64", "cast"]


class Result(NamedTuple):
    """What a training stage returns.

    Attributes:
      params: the trained parameters.
      history: ``{"loss": (steps,), term: (steps,) …}`` NumPy arrays, one entry per step.
      opt_state: the optimiser state (to continue training).
      seconds: wall-clock time of the stage, compilation included.
    """

    params: Params
    history: dict
    opt_state: Any
    seconds: float


def enable_float64(enable: bool = True) -> None:
    """Switch JAX to 64-bit floats (``jax_enable_x64``); call before building arrays.

    Long L-BFGS runs reach errors far below float32's ~1e-4 relative floor only in
    float64. Use `cast` to convert existing parameters.
    """
    jax.config.update("jax_enable_x64", bool(enable))


def cast(tree, dtype=jnp.float64):
    """Cast every floating leaf of a pytree to ``dtype`` (others unchanged).

    Example:
      >>> import jax.numpy as jnp
      >>> cast({"w": jnp.ones(2), "n": jnp.arange(2)}, jnp.float16)["w"].dtype
      dtype('float16')
    """

    def f(x):
        x = jnp.asarray(x)
        return x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x

    return jax.tree_util.tree_map(f, tree)


def _finite(tree) -> bool:
    return all(
        bool(jnp.all(jnp.isfinite(x)))
        for x in jax.tree_util.tree_leaves(tree)
        if jnp.issubdtype(jnp.asarray(x).dtype, jnp.inexact)
    )


def _copy(tree):
    return jax.tree_util.tree_map(lambda x: jnp.array(x, copy=True), tree)


def _merge(history: dict, chunk: dict) -> None:
    for k, v in chunk.items():
        history.setdefault(k, []).append(np.asarray(v))


def _finish(history: dict) -> dict:
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in history.items()}


def _diverged(stage: str, step: int, params, history) -> errors.TrainingDivergedError:
    return errors.TrainingDivergedError(
        f"{stage}: the loss or the parameters became NaN/inf at step {step}; lower the "
        "learning rate, normalise the inputs/outputs, or switch to float64 "
        "(jaxfound.physics.enable_float64). The last finite parameters are in .state.",
        state=params,
        history=_finish(history),
    )


def optimize(
    loss_fn: LossFn,
    params: Params,
    optimizer: optax.GradientTransformation | None = None,
    *,
    steps: int,
    batch: Any = None,
    key: jax.Array | None = None,
    chunk: int = 1000,
    refresh: Callable[[jax.Array, Params, Any], Any] | None = None,
    refresh_every: int | None = None,
    opt_state: Any = None,
    verbose: bool = False,
    callback: Callable[[int, Params, dict], None] | None = None,
) -> Result:
    r"""``steps`` steps of an optax optimiser, each ``chunk`` of steps one compiled ``lax.scan``.

    Args:
      loss_fn: ``(params, batch, key) -> (loss, aux)``.
      params: initial parameters (copied; the originals stay valid).
      optimizer: an optax optimiser (default ``optax.adam(1e-3)``).
      steps: number of steps.
      batch: the data passed to ``loss_fn`` (``None``: the constraints' own points).
      key: PRNG key threaded through the steps (for ``loss_fn`` and ``refresh``).
      chunk: steps per compiled scan; progress, callbacks and the NaN check run between.
      refresh: ``refresh(key, params, batch) -> batch`` run inside the loop every
        ``refresh_every`` steps (resample collocation points with
        `rad`, rebalance weights with
        `grad_norm_weights`). It must keep shapes fixed.
      opt_state: continue from this optimiser state.
      verbose: print a line per chunk.
      callback: ``callback(step, params, last_aux)`` after every chunk.

    Returns:
      `Result` with the per-step loss history.

    Raises:
      TrainingDivergedError: the loss or parameters became NaN/inf.

    Example:
      >>> import jax.numpy as jnp, optax
      >>> loss_fn = lambda p, b, k: (jnp.sum((p - 3.0) ** 2), {})
      >>> res = optimize(loss_fn, jnp.zeros(2), optax.adam(0.1), steps=300, chunk=100)
      >>> bool(jnp.allclose(res.params, 3.0, atol=1e-2)), res.history["loss"].shape
      (True, (300,))
    """
    if steps < 0:
        raise errors.ValidationError(f"steps={steps} must be >= 0")
    if refresh is not None and not refresh_every:
        raise errors.ValidationError("refresh needs refresh_every=N (steps between calls)")
    optimizer = optimizer or optax.adam(1e-3)
    params = _copy(params)
    opt_state = optimizer.init(params) if opt_state is None else opt_state
    use_key = key is not None
    needs_key = use_key or refresh is not None
    key = jax.random.key(0) if key is None else key

    def step_fn(carry, _):
        params, opt_state, batch, key, i = carry
        if needs_key:
            key, k_loss, k_ref = jax.random.split(key, 3)
        if refresh is not None:
            batch = jax.lax.cond(
                (i % refresh_every == 0) & (i > 0),
                lambda: refresh(k_ref, params, batch),
                lambda: batch,
            )
        (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            params, batch, k_loss if use_key else None
        )
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        out = {"loss": loss} | {k: v for k, v in aux.items() if k != "loss" and jnp.ndim(v) == 0}
        return (params, opt_state, batch, key, i + 1), out

    @jax.jit
    def run(carry, n_dummy):
        return jax.lax.scan(step_fn, carry, n_dummy)

    history: dict = {}
    t0 = time.perf_counter()
    done = 0
    carry = (params, opt_state, batch, key, jnp.asarray(0))
    while done < steps:
        n = min(chunk, steps - done)
        good = carry[0]
        carry, out = run(carry, jnp.zeros((n, 0)))
        losses = np.asarray(out["loss"])
        _merge(history, out)
        if not np.all(np.isfinite(losses)) or not _finite(carry[0]):
            bad = int(np.argmin(np.isfinite(losses))) if not np.all(np.isfinite(losses)) else n - 1
            raise _diverged("optimize", done + bad, good, history)
        done += n
        if verbose:
            terms = " ".join(f"{k}={float(v[-1]):.3e}" for k, v in out.items() if k != "loss")
            print(
                f"step {done:>7d}  loss={losses[-1]:.4e}  {terms}  "
                f"({time.perf_counter() - t0:.1f}s)",
                flush=True,
            )
        if callback is not None:
            callback(done, carry[0], {k: v[-1] for k, v in out.items()})
    return Result(carry[0], _finish(history), carry[1], time.perf_counter() - t0)


def lbfgs(
    loss_fn: LossFn,
    params: Params,
    batch: Any = None,
    *,
    max_iters: int = 1000,
    memory_size: int = 20,
    gtol: float = 0.0,
    chunk: int | None = None,
    max_seconds: float | None = None,
    linesearch: optax.GradientTransformationExtraArgs | None = None,
    verbose: bool = False,
    callback: Callable[[int, Params, float], bool | None] | None = None,
) -> Result:
    r"""Minimise ``loss_fn`` with L-BFGS: ``optax.lbfgs`` and its zoom line search,
    the iteration loop compiled in one ``lax.while_loop``.

    It stops after ``max_iters`` iterations, when the gradient norm falls to ``gtol``,
    when the loss has not changed for 20 iterations (the line search found no
    decrease), when ``max_seconds`` have passed or when ``callback`` returns ``True``
    (both checked between chunks; the L-BFGS memory carries across chunks).

    Args:
      loss_fn: ``(params, batch, key) -> (loss, aux)``; called with ``key=None``.
      params: initial parameters (copied).
      batch: fixed data for ``loss_fn``.
      max_iters: iteration budget.
      memory_size: number of curvature pairs kept.
      gtol: stop when $\lVert\nabla L\rVert \le$ ``gtol``.
      chunk: iterations per compiled loop (default: all in one); progress printing,
        the time budget and the NaN check happen between chunks.
      max_seconds: wall-clock budget.
      linesearch: an optax line search (default ``optax.scale_by_zoom_linesearch``
        with 20 steps).
      verbose: print a line per chunk.
      callback: ``callback(iterations_done, params, loss)`` after every chunk; return
        ``True`` to stop (e.g. once a validation error is reached).

    Returns:
      `Result`; ``history["loss"]`` has one value per iteration done.

    Raises:
      TrainingDivergedError: the loss became NaN/inf (the last finite parameters are
        in the exception's ``state``).

    Example:
      >>> import jax.numpy as jnp
      >>> def rosen(p, batch, key):
      ...     return jnp.sum(100 * (p[1:] - p[:-1] ** 2) ** 2 + (1 - p[:-1]) ** 2), {}
      >>> res = lbfgs(rosen, jnp.zeros(4), max_iters=200)
      >>> bool(jnp.allclose(res.params, 1.0, atol=1e-4))
      True
    """
    if max_iters < 0:
        raise errors.ValidationError(f"max_iters={max_iters} must be >= 0")
    ls = linesearch or optax.scale_by_zoom_linesearch(max_linesearch_steps=20)
    opt = optax.lbfgs(memory_size=memory_size, linesearch=ls)
    params = _copy(params)
    f = lambda p: loss_fn(p, batch, None)[0]  # noqa: E731
    value_and_grad = optax.value_and_grad_from_state(f)
    chunk = max_iters if chunk is None else max(1, int(chunk))

    def body(c):
        it, p, s, prev_p, losses, stall, _ = c
        value, grad = value_and_grad(p, state=s)
        updates, s_new = opt.update(grad, s, p, value=value, grad=grad, value_fn=f)
        p_new = optax.apply_updates(p, updates)
        new_value = optax.tree_utils.tree_get(s_new, "value")
        new_grad = optax.tree_utils.tree_get(s_new, "grad")
        gnorm = optax.tree_utils.tree_norm(new_grad)
        stall = jnp.where(new_value == value, stall + 1, 0)
        losses = losses.at[it].set(new_value)
        return it + 1, p_new, s_new, p, losses, stall, gnorm

    def cond(c):
        it, _, s, _, losses, stall, gnorm = c
        last = jnp.where(it > 0, losses[jnp.maximum(it - 1, 0)], 0.0)
        return (it < losses.shape[0]) & jnp.isfinite(last) & (gnorm > gtol) & (stall < 20)

    @jax.jit
    def run(p, s, buf):
        init = (jnp.asarray(0), p, s, p, buf, jnp.asarray(0), jnp.asarray(jnp.inf, buf.dtype))
        it, p, s, prev_p, losses, stall, gnorm = jax.lax.while_loop(cond, body, init)
        return it, p, s, prev_p, losses, stall, gnorm

    state = opt.init(params)
    dtype = jnp.result_type(*[x for x in jax.tree_util.tree_leaves(params)], float)
    history: dict = {"loss": []}
    t0 = time.perf_counter()
    done = 0
    while done < max_iters:
        n = min(chunk, max_iters - done)
        good = params
        it, params, state, prev_p, losses, stall, gnorm = run(
            params, state, jnp.full((n,), jnp.nan, dtype)
        )
        it = int(it)
        vals = np.asarray(losses[:it])
        history["loss"].append(vals)
        if it and not np.isfinite(vals[-1]):
            bad_params = prev_p if _finite(prev_p) else good
            raise _diverged("lbfgs", done + it - 1, bad_params, history)
        done += it
        if verbose:
            print(
                f"lbfgs {done:>7d}  loss={vals[-1] if it else float('nan'):.4e}  "
                f"|g|={float(gnorm):.2e}  ({time.perf_counter() - t0:.1f}s)",
                flush=True,
            )
        if callback is not None and it and callback(done, params, float(vals[-1])):
            break
        if it < n:
            break  # converged or stalled
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            break
    return Result(params, _finish(history), state, time.perf_counter() - t0)
