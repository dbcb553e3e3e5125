"""``fit``: the thin training loop — compiled epochs, validation, callbacks, NaN guard."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from jaxfound import errors
from jaxfound.data._batches import num_examples
from jaxfound.train._callbacks import Callback, LambdaCallback
from jaxfound.train._evaluate import evaluate
from jaxfound.train._inputs import is_array_data, prepare_arrays
from jaxfound.train._state import TrainState
from jaxfound.train._step import make_step
from jaxfound.typing import Batch, LossFn

__all__ = ["fit", "History"]

#: metric name -> one value per epoch (or per chunk of steps when ``data`` is ``None``).
History = dict[str, list[float]]


def _guard(step, nan_guard: bool):
    """Wrap ``step`` to carry a ``bad`` flag; after a non-finite loss/params, stop updating."""

    def guarded(carry, batch):
        state, bad = carry
        new, aux = step(state, batch)
        if nan_guard:
            ok = jnp.isfinite(aux["loss"]) & jnp.isfinite(optax.tree.sum(new.params)) & ~bad
            new = jax.tree_util.tree_map(lambda n, o: jnp.where(ok, n, o), new, state)
            bad = bad | ~ok
        return (new, bad), aux

    return guarded


@partial(
    jax.jit,
    static_argnames=("loss_fn", "batch_size", "length", "nan_guard", "has_model_state", "unroll"),
    donate_argnums=(0,),
)
def _run_chunk(
    state,
    bad,
    data,
    perm,
    start,
    *,
    loss_fn,
    batch_size,
    length,
    nan_guard,
    has_model_state,
    unroll=1,
):
    """``length`` steps over batches ``perm[(start+i)*B : (start+i+1)*B]`` in one ``lax.scan``."""
    body = _guard(make_step(loss_fn, has_model_state=has_model_state), nan_guard)

    def scan_body(carry, i):
        if data is None:
            batch = None
        else:
            idx = lax.dynamic_slice_in_dim(perm, (start + i) * batch_size, batch_size)
            batch = jax.tree_util.tree_map(lambda a: jnp.take(a, idx, axis=0, mode="clip"), data)
        return body(carry, batch)

    (state, bad), auxs = lax.scan(scan_body, (state, bad), jnp.arange(length), unroll=unroll)
    return state, bad, auxs


@jax.jit
def _all_finite(losses, params):
    return jnp.all(jnp.isfinite(losses)) & jnp.isfinite(optax.tree.sum(params))


def _checked_chunk(state, bad, data, perm, start, *, nan_guard, **statics):
    """Run a chunk at full speed; replay it guarded only if it produced NaN/inf.

    The fast path checks finiteness once per chunk. If the chunk went bad, it is
    replayed (same keys, same batches: bit-identical) from a copy of its start
    state with the per-step guard, which stops at the last finite state.
    """
    start_copy = jax.tree_util.tree_map(jnp.copy, state) if nan_guard else None
    new, _, auxs = _run_chunk(state, bad, data, perm, start, nan_guard=False, **statics)
    if not nan_guard or bool(_all_finite(auxs["loss"], new.params)):
        return new, bad, auxs
    return _run_chunk(start_copy, bad, data, perm, start, nan_guard=True, **statics)


@partial(jax.jit, static_argnames=("loss_fn", "nan_guard", "has_model_state"), donate_argnums=(0,))
def _run_one(state, bad, batch, *, loss_fn, nan_guard, has_model_state):
    body = _guard(make_step(loss_fn, has_model_state=has_model_state), nan_guard)
    (state, bad), aux = body((state, bad), batch)
    return state, bad, aux


@partial(jax.jit, static_argnames=("n",))
def _permutation(key, epoch, *, n):
    return jax.random.permutation(jax.random.fold_in(key, epoch), n).astype(jnp.int32)


def _as_callbacks(callbacks: Sequence) -> list[Callback]:
    return [c if isinstance(c, Callback) else LambdaCallback(c) for c in callbacks]


def _mean_aux(auxs: list) -> dict[str, float]:
    """Mean over steps of stacked (or listed) aux dicts, pulled to the host once."""
    host = jax.device_get(auxs)
    keys = host[0].keys()
    return {
        k: float(
            np.mean(np.concatenate([np.atleast_1d(np.asarray(a[k], np.float64)) for a in host]))
        )
        for k in keys
    }


def fit(
    state: TrainState,
    loss_fn: LossFn,
    data: Batch | Iterable[Batch] | None = None,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    steps: int | None = None,
    steps_per_call: int | None = None,
    validation: Batch | None = None,
    eval_batch_size: int = 1024,
    callbacks: Sequence[Callback | Callable] = (),
    shuffle: bool = True,
    seed: int | jax.Array | None = None,
    nan_guard: bool = True,
    has_model_state: bool = False,
    progress: bool = True,
    validate: bool = True,
    unroll: int = 1,
) -> tuple[TrainState, History]:
    r"""Train ``state`` on ``loss_fn`` and return ``(state, history)``.

    Three kinds of ``data``:

    * **in-memory arrays** (a pytree such as ``(x, y)``): checked once, put on the
      device once; each epoch draws a permutation of the row indices and runs
      ``steps_per_call`` steps (default: the whole epoch) as **one compiled
      ``lax.scan``**, gathering each batch's rows inside the scan. The last
      ``n mod batch_size`` rows of each shuffled epoch are skipped (they change
      every epoch).
    * **an iterable of batches** (re-iterable, e.g. a list or a generator
      factory's result per epoch): one jitted, buffer-donating step per batch.
    * **None** with ``steps=N``: ``loss_fn`` receives ``batch=None`` (physics
      losses that sample their own points); steps run in compiled chunks of
      ``steps_per_call`` (default ``min(N, 1000)``), each recorded as one
      "epoch" of the history.

    After every epoch: validation metrics (``evaluate`` on ``validation``,
    prefixed ``val_``), then callbacks (`EarlyStopping`,
    `Checkpoint`, or any ``fn(epoch, state, logs)``).

    Args:
      state: a `TrainState` (its ``key`` drives dropout; same key, same run).
      loss_fn: ``loss_fn(params, batch, key) -> (loss, aux)``.
      data: see above.
      epochs: passes over ``data``.
      batch_size: rows per step (array data).
      steps: total steps when ``data is None``.
      steps_per_call: steps fused into one compiled call (progress granularity).
      validation: held-out data, same form as array ``data``.
      eval_batch_size: rows per evaluation batch.
      callbacks: callbacks or plain functions run after each epoch.
      shuffle: reshuffle array data every epoch.
      seed: PRNG seed/key of the shuffle (default: derived from ``state.key``).
      nan_guard: stop on a non-finite loss or parameter, keeping the last good state.
      has_model_state: ``loss_fn`` threads ``state.model_state`` (see `make_step`).
      progress: show a ``tqdm`` progress bar.
      validate: run boundary checks on the data first.
      unroll: steps unrolled per iteration of the compiled scan (``lax.scan``'s
        ``unroll``): more compile time, sometimes faster steps; the results are the same.

    Returns:
      The trained state and the history ``{name: [value per epoch]}`` with the
      mean training aux (``"loss"``, metrics), ``"val_*"`` entries, and ``"time"``
      (seconds per epoch).

    Raises:
      TrainingDivergedError: the loss or parameters became NaN/inf; ``.state``
        holds the last finite state and ``.history`` the history so far.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> x = jnp.linspace(-1, 1, 64)[:, None]; y = 3 * x
      >>> loss_fn = lambda p, b, k: (jnp.mean((b[0] * p - b[1]) ** 2), {})
      >>> state = TrainState.create(jnp.zeros(()), optax.sgd(0.5))
      >>> state, hist = fit(state, loss_fn, (x, y), epochs=20, batch_size=16, progress=False)
      >>> round(float(state.params), 3)
      3.0
    """
    if epochs < 1:
        raise errors.ValidationError(f"epochs must be at least 1, got {epochs}.")
    if batch_size < 1:
        raise errors.ValidationError(f"batch_size must be at least 1, got {batch_size}.")
    cbs = _as_callbacks(callbacks)
    if validation is not None:
        validation = prepare_arrays(
            validation, "validation", loss_fn=loss_fn, params=state.params, validate=validate
        )
    statics = dict(loss_fn=loss_fn, nan_guard=nan_guard, has_model_state=has_model_state)
    chunk_statics = dict(statics, unroll=unroll)

    if data is None:
        if steps is None or steps < 1:
            raise errors.ValidationError(
                "fit(data=None) trains on loss_fn alone and needs steps=N (N >= 1); "
                "or pass data as arrays or an iterable of batches."
            )
        chunk = min(steps, steps_per_call or 1000)
        plan = [chunk] * (steps // chunk) + ([steps % chunk] if steps % chunk else [])

        def run_epoch(state, bad, epoch):
            state, bad, auxs = _checked_chunk(
                state, bad, None, None, 0, batch_size=1, length=plan[epoch], **chunk_statics
            )
            return state, bad, [auxs], plan[epoch]

        n_epochs, total = len(plan), steps
    elif is_array_data(data):
        data = prepare_arrays(data, "data", loss_fn=loss_fn, params=state.params, validate=validate)
        n = num_examples(data)
        bs = min(batch_size, n)
        per_epoch = n // bs
        chunk = min(per_epoch, steps_per_call or per_epoch)
        plan = [chunk] * (per_epoch // chunk) + ([per_epoch % chunk] if per_epoch % chunk else [])
        if seed is None:
            base = (
                jax.random.fold_in(state.key, 0x5EED)
                if state.key is not None
                else jax.random.key(0)
            )
        else:
            base = seed if isinstance(seed, jax.Array) else jax.random.key(seed)
        identity = jnp.arange(n, dtype=jnp.int32)

        def run_epoch(state, bad, epoch):
            perm = _permutation(base, epoch, n=n) if shuffle else identity
            auxs, start = [], 0
            for length in plan:
                state, bad, a = _checked_chunk(
                    state, bad, data, perm, start, batch_size=bs, length=length, **chunk_statics
                )
                auxs.append(a)
                start += length
                if bar is not None:
                    bar.update(length)
            return state, bad, auxs, 0

        n_epochs, total = epochs, epochs * per_epoch
    else:
        if iter(data) is data and epochs > 1:
            raise errors.ValidationError(
                "data is a one-shot iterator but epochs > 1; pass a re-iterable (a list, or an "
                "object whose __iter__ starts a new pass) or call fit once per epoch."
            )

        def run_epoch(state, bad, epoch):
            auxs = []
            for batch in data:
                state, bad, a = _run_one(state, bad, batch, **statics)
                auxs.append(a)
                if bar is not None:
                    bar.update(1)
            if not auxs:
                raise errors.EmptyDataError("data yielded no batches; pass at least one batch.")
            return state, bad, auxs, 0

        n_epochs, total = epochs, None

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="step", dynamic_ncols=True, leave=True)

    history: History = {}
    bad = jnp.zeros((), bool)
    # Compiled chunks donate the state's buffers; work on a private copy so the
    # caller's state (and the params it shares with user variables) stays valid.
    state = jax.tree_util.tree_map(jnp.copy, state)
    for cb in cbs:
        cb.on_train_begin(state)
    try:
        for epoch in range(n_epochs):
            t0 = time.perf_counter()
            state, bad, auxs, advance = run_epoch(state, bad, epoch)
            logs = _mean_aux(auxs)
            if bar is not None and advance:
                bar.update(advance)
            if bool(bad):
                raise errors.TrainingDivergedError(
                    f"training diverged in epoch {epoch}: the loss or the parameters became "
                    f"NaN/inf. The state returned in .state is the last finite one (step "
                    f"{int(state.step)}). Lower the learning rate, clip gradients "
                    "(optax.clip_by_global_norm) or check the data.",
                    state=state,
                    history=history,
                )
            if validation is not None:
                val = evaluate(
                    state.params, loss_fn, validation, batch_size=eval_batch_size, validate=False
                )
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["time"] = time.perf_counter() - t0
            for k, v in logs.items():
                history.setdefault(k, []).append(v)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "time"})
            stop = False
            for cb in cbs:
                stop = bool(cb.on_epoch_end(epoch, state, logs)) or stop
            if stop:
                break
    finally:
        if bar is not None:
            bar.close()
    for cb in cbs:
        replacement = cb.on_train_end(state)
        if replacement is not None:
            state = replacement
    return state, history
