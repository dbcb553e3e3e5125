"""``fit``: the one training loop — host-side orchestration of compiled chunks.

The compiled pieces are public (`make_step`, `make_epoch`, `guard`, `all_finite`,
`Sampler`); ``fit`` adds input checks, the shuffle, the chunk plan, the NaN replay,
validation, callbacks, the progress bar and the history.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors
from jaxfound.data._batches import num_examples
from jaxfound.losses import Loss, as_loss
from jaxfound.train._callbacks import Callback, LambdaCallback
from jaxfound.train._epoch import make_epoch
from jaxfound.train._evaluate import evaluate
from jaxfound.train._guard import all_finite, guard
from jaxfound.train._inputs import (
    check_fit_arguments,
    check_fit_loss,
    is_array_data,
    prepare_arrays,
)
from jaxfound.train._manager import CheckpointManager
from jaxfound.train._sampler import Sampler
from jaxfound.train._sharding import (
    Sharding,
    constrain,
    replicate,
    shard,
    shard_batch,
    to_host,
)
from jaxfound.train._state import TrainState
from jaxfound.train._step import make_step

__all__ = ["fit", "History", "DEFAULT_STEPS_PER_CALL", "SHUFFLE_STREAM"]

#: metric name -> one value per epoch (or per chunk of steps for ``steps=`` runs).
History = dict[str, list[float]]

#: Steps fused into one compiled call for ``steps=`` runs when ``steps_per_call`` is
#: not given (progress, callbacks and the NaN check run between calls).
DEFAULT_STEPS_PER_CALL = 1000

#: ``jax.random.fold_in`` constant deriving the shuffle key from ``state.key`` when
#: ``fit`` gets no ``key=``: ``fold_in(state.key, SHUFFLE_STREAM)``, a stream
#: independent of the per-step keys the loss gets.
SHUFFLE_STREAM = 0x5EED

#: batches between the host-side checks of the guard flag on iterable data
_ITERABLE_CHECK = 64

_HAS_INIT = object()  # stands for a Sampler's (unhashable) init in the static arguments


def _make(loss, sample, every, has_init, guarded, sharding):
    step = make_step(loss)
    if sharding is not None:
        step = constrain(step, sharding)
    if sample is not None:
        step = Sampler(sample, _HAS_INIT if has_init else None, every).wrap(step)
    return guard(step) if guarded else step


@partial(
    jax.jit,
    static_argnames=(
        "loss",
        "sample",
        "every",
        "has_init",
        "batch_size",
        "length",
        "guarded",
        "unroll",
        "sharding",
    ),
    donate_argnums=(0,),
)
def _chunk(
    carry,
    data,
    order,
    start,
    *,
    loss,
    sample,
    every,
    has_init,
    batch_size,
    length,
    guarded,
    unroll,
    sharding,
):
    step = _make(loss, sample, every, has_init, guarded, sharding)
    epoch = make_epoch(step, steps=length, batch_size=batch_size, unroll=unroll)
    return epoch(carry, data, order, start)


@partial(jax.jit, static_argnames=("loss", "guarded", "sharding"), donate_argnums=(0,))
def _one(carry, batch, *, loss, guarded, sharding):
    return _make(loss, None, 1, False, guarded, sharding)(carry, batch)


@jax.jit
def _finite(auxs, carry):
    return all_finite((auxs["loss"], carry))


@partial(jax.jit, static_argnames=("n",))
def _permutation(key, epoch, *, n):
    return jax.random.permutation(jax.random.fold_in(key, epoch), n).astype(jnp.int32)


def _save(manager, carry, sampler, epoch, kind, logs, history) -> None:
    """Checkpoint the carry after ``epoch``: the state, a Sampler's batch, the history."""
    state, extra = (carry[0], {"batch": carry[1], "need": carry[2]}) if sampler else (carry, None)
    meta = {"epoch": epoch + 1, "kind": kind, "history": {k: list(v) for k, v in history.items()}}
    manager.save(state, metrics=logs, meta=meta, extra=extra, force=True)


def _resume(manager, carry, kind: str, n_epochs: int) -> tuple[Any, History, int]:
    """The carry, history and next epoch restored from ``manager``'s newest checkpoint."""
    sampled = isinstance(carry, tuple)
    state, extra = (carry[0], {"batch": carry[1], "need": carry[2]}) if sampled else (carry, None)
    got = manager.restore(target=state, extra=extra)
    meta = got.meta
    if meta.get("kind") != kind or not isinstance(meta.get("epoch"), int):
        raise errors.ValidationError(
            f"checkpoint {got.step} in {manager.directory} was not written by fit on "
            f"{kind!r} data (it says kind={meta.get('kind')!r}); resume with the data kind "
            "and arguments of the run that wrote it, or pass resume=False."
        )
    if meta["epoch"] > n_epochs:
        raise errors.ValidationError(
            f"checkpoint {got.step} is after epoch (chunk) {meta['epoch']} but this fit "
            f"call plans only {n_epochs}; resume with the same epochs=/steps= as the run."
        )
    if sampled:
        carry = (got.state, got.extra["batch"], got.extra["need"])
    else:
        carry = got.state
    history = {k: [float(v) for v in vs] for k, vs in meta["history"].items()}
    return carry, history, meta["epoch"]


def _place(arrays, sharding: Sharding):
    """Array data on the mesh: a copy on every device (one process), or the global
    array made of every process's rows (several processes: `shard_batch`)."""
    return replicate(arrays, sharding) if jax.process_count() == 1 else shard_batch(
        arrays, sharding
    )


def _as_callbacks(callbacks: Sequence) -> list[Callback]:
    return [c if isinstance(c, Callback) else LambdaCallback(c) for c in callbacks]


def _mean_aux(auxs: list) -> dict[str, float]:
    """Mean over steps of stacked (or listed) aux dicts, pulled to the host once."""
    host = to_host(auxs)
    return {
        k: float(
            np.mean(np.concatenate([np.atleast_1d(np.asarray(a[k], np.float64)) for a in host]))
        )
        for k in host[0]
    }


def _diverged(state: TrainState, history: History) -> errors.TrainingDivergedError:
    k = int(to_host(state.step))
    return errors.TrainingDivergedError(
        f"training diverged at step {k}: that update made the loss or the state (parameters, "
        f"optimiser or model state) NaN/inf. .state is the last finite state (step {k}, "
        "before the bad update) and .history the history so far. Lower the learning rate, "
        "clip gradients (optax.clip_by_global_norm) or check the data.",
        state=state,
        history=history,
    )


def _reject(name: str, value: Any, why: str) -> None:
    if value is not None:
        raise errors.ValidationError(f"{name}={value!r} is not used {why}; remove it.")


def _chunks(total: int, size: int) -> list[int]:
    return [size] * (total // size) + ([total % size] if total % size else [])


def _shuffle_key(key, state: TrainState):
    if key is not None:
        if not (isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key)):
            raise errors.ValidationError(
                f"key must be a PRNG key such as jax.random.key(0), got {type(key).__name__}."
            )
        return key
    if state.key is None:
        raise errors.ValidationError(
            "fit shuffles array data and needs a key: pass fit(..., key=jax.random.key(0)), "
            "create the state with one (TrainState.create(..., key=jax.random.key(0))), or "
            "pass shuffle=False."
        )
    return jax.random.fold_in(state.key, SHUFFLE_STREAM)


def fit(
    state: TrainState,
    loss: Loss | Callable,
    data: Any | Iterable | Sampler | None = None,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    steps: int | None = None,
    steps_per_call: int | None = None,
    validation: Any | None = None,
    eval_batch_size: int = 1024,
    callbacks: Sequence[Callback | Callable] = (),
    shuffle: bool = True,
    key: jax.Array | None = None,
    nan_guard: bool = True,
    progress: bool = True,
    validate: bool = True,
    unroll: int = 1,
    checkpoint: CheckpointManager | None = None,
    resume: bool = False,
    sharding: Sharding | None = None,
) -> tuple[TrainState, History]:
    r"""Train ``state`` on ``loss`` and return ``(state, history)``: the one training loop.

    Four kinds of ``data``:

    * **in-memory arrays** (a pytree such as ``(x, y)``), with ``epochs`` (default 1)
      and ``batch_size`` (default 32): checked once (including ``loss.check``), put on
      the device once; each epoch draws a permutation of the row indices and runs
      ``steps_per_call`` steps (default: the whole epoch) as one compiled `make_epoch`
      scan, gathering each batch's rows inside it. The last ``n mod batch_size`` rows
      of each epoch's order are skipped: with ``shuffle=True`` they are different rows
      every epoch; with ``shuffle=False`` they are always the same last rows.
    * **a `Sampler`**, with ``steps=N``: the batch is made and refreshed inside the
      compiled loop (fixed shapes); ``loss.check`` runs on its ``init`` if given.
    * **None**, with ``steps=N``: the loss gets ``batch=None`` at every step.
    * **an iterable of batches** (re-iterable, e.g. a list), with ``epochs``: one
      jitted, buffer-donating, guarded step per batch.

    ``steps=`` runs go in compiled chunks of ``steps_per_call`` steps (default
    `DEFAULT_STEPS_PER_CALL`), each recorded as one "epoch" of the history, so
    ``steps_per_call`` is also the evaluation interval (nanoGPT's ``eval_interval``); for
    an estimate on a fixed number of held-out batches (nanoGPT's ``eval_iters``) pass
    that many batches of held-out data as ``validation``, e.g. windows drawn once with
    `jaxfound.data.sample_windows`. An argument
    that does not apply to the kind of ``data`` raises `ValidationError`.

    After every epoch (chunk): validation metrics (`evaluate` on ``validation``,
    prefixed ``val_``, and ``best_val_loss``, the lowest ``val_loss`` so far), then
    callbacks (`EarlyStopping`, `TimeLimit`, `Checkpoint`, or
    any ``fn(epoch, state, logs)``; a truthy return stops training).

    **Checkpoints and resuming**: with ``checkpoint=`` (a `CheckpointManager`) the
    carry (state, and a `Sampler`'s batch) is saved after every ``checkpoint.every``-th
    epoch (chunk) and after the last one, with the history and the position in the
    plan. ``resume=True`` restores the newest finished checkpoint (none: a fresh
    start) and goes on from the next epoch (chunk) with the same data order (epoch
    $e$'s order is a function of the shuffle key and $e$ only), the same keys (they
    come from the restored ``state.key``) and the history so far: called with the
    same arguments, a resumed run ends bit-identical to an uninterrupted one.
    Callbacks' own state (`EarlyStopping`'s patience count) starts afresh; the
    ``epoch`` they get continues the run's numbering.

    **Randomness is explicit**: ``state.key`` drives the per-step keys (dropout…) and
    the `Sampler`'s keys. Shuffling array data uses ``key`` or, without it,
    ``fold_in(state.key, SHUFFLE_STREAM)``; with neither, `ValidationError` (pass
    ``shuffle=False`` for a deterministic order).

    **NaN guard**: each chunk runs at full speed, then one check of the loss and the
    whole state (parameters, optimiser and model state; per leaf, see `all_finite`).
    A bad chunk is replayed from its start with the per-step `guard` (same keys and
    batches, so the same numbers), and `TrainingDivergedError` is raised at once with
    the last finite state.

    Args:
      state: a `TrainState`.
      loss: a `jaxfound.losses.Loss` or anything `jaxfound.losses.as_loss` accepts
        (a stateful loss threads ``state.model_state``).
      data: see above.
      epochs: passes over array data or an iterable (default 1).
      batch_size: rows per step (array data; default 32). A ``batch_size`` larger than
        the number of rows ``n`` is clamped to ``n`` (one full-batch step per epoch).
      steps: total steps (``data`` is ``None`` or a `Sampler`).
      steps_per_call: steps fused into one compiled call (progress granularity).
      validation: held-out arrays, evaluated after each epoch (chunk) in
        ``eval_batch_size`` batches.
      eval_batch_size: rows per evaluation batch.
      callbacks: callbacks or plain functions ``fn(epoch, state, logs)``.
      shuffle: reshuffle array data every epoch.
      key: PRNG key of the shuffle (default ``fold_in(state.key, SHUFFLE_STREAM)``).
      nan_guard: stop on a non-finite loss or state, keeping the last finite state.
      progress: show a ``tqdm`` progress bar.
      validate: run boundary checks on the data first.
      unroll: ``lax.scan``'s ``unroll`` for the compiled chunks.
      checkpoint: a `CheckpointManager` to save into (see above).
      resume: restore the newest checkpoint of ``checkpoint`` and go on from there.
      sharding: a `Sharding` (`data_parallel`, `fsdp`, tensor-parallel rules) to train
        on a mesh of devices, in one process or many (see below).

    **Many devices**: with ``sharding=`` the state is put on the mesh as the sharding's
    rules say (`shard`) and every step's batch is split over its ``batch_axis``
    (`constrain`); XLA inserts the collectives. Array data is copied to every device
    in one process; with several processes (`jaxfound.train.distributed.initialize`)
    each process passes only its own rows (`process_rows`) and the data set is their
    concatenation in process order, so the run matches a one-process run on the whole
    data. Batches of an iterable are each process's rows of the global batch; a
    `Sampler` samples the global batch (identical in every process). ``batch_size``
    must be a multiple of the number of devices on ``batch_axis``.

    Returns:
      The trained state and the history ``{name: [value per epoch]}`` with the mean
      training aux (``"loss"``, metrics), ``"val_*"`` and ``"best_val_loss"`` entries,
      and ``"time"`` (seconds of the epoch, validation included).

    Raises:
      ValidationError: bad or inapplicable arguments, or no key to shuffle with, or
        ``resume=True`` on a checkpoint written by another kind of run.
      CheckpointError: the checkpoint to resume from does not fit ``state`` or is damaged.
      TrainingDivergedError: the loss or the state became NaN/inf; ``.state`` is the
        last finite `TrainState` (at the bad step) and ``.history`` the history so far.

    Examples:
      >>> import jax, jax.numpy as jnp, optax
      >>> x = jnp.linspace(-1, 1, 64)[:, None]; y = 3 * x
      >>> loss = lambda p, b, k: (jnp.mean((b[0] * p - b[1]) ** 2), {})
      >>> state = TrainState.create(jnp.zeros(()), optax.sgd(0.5), key=jax.random.key(0))
      >>> state, hist = fit(state, loss, (x, y), epochs=20, batch_size=16, progress=False)
      >>> round(float(state.params), 3)
      3.0
    """
    loss = as_loss(loss)
    check_fit_arguments(
        state,
        loss,
        data,
        sizes=dict(
            epochs=epochs,
            batch_size=batch_size,
            steps=steps,
            steps_per_call=steps_per_call,
            unroll=unroll,
            eval_batch_size=eval_batch_size,
        ),
    )
    sampler = data if isinstance(data, Sampler) else None
    if data is None or sampler is not None:
        kind = "sampler" if sampler is not None else "none"
        what = "with a Sampler" if sampler is not None else "with data=None"
        _reject("epochs", epochs, f"{what} (pass steps=N)")
        _reject("batch_size", batch_size, f"{what} (the loss or the sampler makes the batch)")
        _reject("key", key, f"{what} (state.key drives the randomness)")
        if steps is None:
            raise errors.ValidationError(
                f"fit {what} needs steps=N (N >= 1); or pass data as arrays or an "
                "iterable of batches with epochs=."
            )
    elif is_array_data(data):
        kind = "arrays"
        _reject("steps", steps, "with array data (pass epochs= and batch_size=)")
        if not shuffle:
            _reject("key", key, "with shuffle=False")
    else:
        kind = "iterable"
        _reject("steps", steps, "with an iterable of batches (pass epochs=)")
        _reject("batch_size", batch_size, "with an iterable of batches (they are batched)")
        _reject("steps_per_call", steps_per_call, "with an iterable of batches")
        _reject("key", key, "with an iterable of batches (it is not shuffled)")
        if iter(data) is data and (epochs or 1) > 1:
            raise errors.ValidationError(
                "data is a one-shot iterator but epochs > 1; pass a re-iterable (a list, or "
                "an object whose __iter__ starts a new pass) or call fit once per epoch."
            )
    if sharding is not None and not isinstance(sharding, Sharding):
        raise errors.ValidationError(
            f"sharding must be a jaxfound.train.Sharding (data_parallel(), fsdp(), ...), got "
            f"{type(sharding).__name__}."
        )
    check_fit_loss(state, loss, data, batch_size=batch_size, validate=validate)
    epochs = epochs or 1
    cbs = _as_callbacks(callbacks)
    if validation is not None:
        validation = prepare_arrays(
            validation, "validation", loss=loss, params=state.params, validate=validate
        )
        if sharding is not None:
            validation = replicate(validation, sharding)
    statics = dict(
        loss=loss,
        sample=None if sampler is None else sampler.sample,
        every=1 if sampler is None else int(sampler.every),
        has_init=sampler is not None and sampler.init is not None,
        unroll=unroll,
        sharding=sharding,
    )
    if sampler is not None:
        if validate and sampler.init is not None and loss.check is not None:
            loss.check(state.params, sampler.init, "data.init")

    def checked(carry, data, order, start, length, batch_size, history):
        """One compiled chunk; on NaN/inf, replay it guarded and raise at the bad step."""
        backup = jax.tree_util.tree_map(jnp.copy, carry) if nan_guard else None
        new, auxs = _chunk(
            carry,
            data,
            order,
            start,
            batch_size=batch_size,
            length=length,
            guarded=False,
            **statics,
        )
        if not nan_guard or bool(to_host(_finite(auxs, new))):
            return new, auxs
        (last, _), _ = _chunk(
            (backup, jnp.asarray(False)),
            data,
            order,
            start,
            batch_size=batch_size,
            length=length,
            guarded=True,
            **statics,
        )
        raise _diverged(last[0] if sampler is not None else last, history)

    plan: list[Any]
    if kind in ("none", "sampler"):
        n_steps = int(steps or 0)  # checked above: steps >= 1 for these kinds
        per_call = min(n_steps, steps_per_call or DEFAULT_STEPS_PER_CALL)
        plan = [[c] for c in _chunks(n_steps, per_call)]
        total, arrays, base, n = steps, None, None, 0
    elif kind == "arrays":
        arrays = prepare_arrays(data, "data", loss=loss, params=state.params, validate=validate)
        if sharding is not None:
            arrays = _place(arrays, sharding)
        n = num_examples(arrays)
        bs = min(batch_size or 32, n)
        if sharding is not None and bs % sharding.batch_devices():
            raise errors.ShardingError(
                f"batch_size={bs} does not split over the {sharding.batch_devices()} devices "
                f"of mesh axis {sharding.batch_axis!r}; use a multiple of "
                f"{sharding.batch_devices()}."
            )
        per_epoch = n // bs
        plan = [_chunks(per_epoch, min(per_epoch, steps_per_call or per_epoch))] * epochs
        total = epochs * per_epoch
        base = _shuffle_key(key, state) if shuffle else None
        identity = jnp.arange(n, dtype=jnp.int32)
        if sharding is not None:
            identity = replicate(identity, sharding)
    else:
        plan, total = [None] * epochs, None

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="step", dynamic_ncols=True, leave=True)

    history: History = {}
    # Compiled chunks donate the state's buffers; work on a private copy so the
    # caller's state (and the params it shares with user variables) stays valid.
    if sharding is not None:
        state = shard(state, sharding)
    state = jax.tree_util.tree_map(jnp.copy, state)
    carry: Any = sampler.start(state) if sampler is not None else state
    if sampler is not None and sharding is not None:
        carry = (carry[0], replicate(carry[1], sharding), carry[2])
    first = 0
    if resume and checkpoint is None:
        raise errors.ValidationError("resume=True needs checkpoint=CheckpointManager(...).")
    if checkpoint is not None and not isinstance(checkpoint, CheckpointManager):
        raise errors.ValidationError(
            f"checkpoint must be a jaxfound.train.CheckpointManager, got "
            f"{type(checkpoint).__name__}; pass checkpoint=CheckpointManager('runs/ckpt')."
        )
    if resume and checkpoint is not None and checkpoint.latest_step() is not None:
        carry, history, first = _resume(checkpoint, carry, kind, len(plan))
        state = carry[0] if sampler is not None else carry
        if bar is not None:
            bar.update(int(to_host(state.step)))
    for cb in cbs:
        cb.on_train_begin(state)
    try:
        for epoch, chunks in enumerate(plan):
            if epoch < first:
                continue
            t0 = time.perf_counter()
            auxs = []
            if kind == "iterable":
                guarded = (carry, jnp.asarray(False)) if nan_guard else carry
                for i, batch in enumerate(cast(Iterable, data)):  # the guard freezes when bad
                    if sharding is not None:
                        batch = shard_batch(batch, sharding)
                    guarded, a = _one(
                        guarded, batch, loss=loss, guarded=nan_guard, sharding=sharding
                    )
                    auxs.append(a)
                    if bar is not None:
                        bar.update(1)
                    if nan_guard and i % _ITERABLE_CHECK == _ITERABLE_CHECK - 1:
                        if bool(to_host(guarded[1])):  # a host sync: only every few batches
                            break
                carry = guarded[0] if nan_guard else guarded
                if nan_guard and bool(to_host(guarded[1])):
                    raise _diverged(carry, history)
                if not auxs:
                    raise errors.EmptyDataError("data yielded no batches; pass at least one batch.")
            else:
                if kind == "arrays":
                    order = _permutation(base, epoch, n=n) if shuffle else identity
                    bsz = bs
                else:
                    order, bsz = None, None
                start = 0
                for length in chunks:
                    carry, a = checked(carry, arrays, order, start, length, bsz, history)
                    auxs.append(a)
                    start += length
                    if bar is not None:
                        bar.update(length)
            state = carry[0] if sampler is not None else carry
            logs = _mean_aux(auxs)
            if validation is not None:
                val = evaluate(state, loss, validation, batch_size=eval_batch_size, validate=False)
                logs.update({f"val_{k}": v for k, v in val.items()})
                best = history.get("best_val_loss", [np.inf])[-1]
                logs["best_val_loss"] = min(best, logs["val_loss"])
            logs["time"] = time.perf_counter() - t0
            for k, v in logs.items():
                history.setdefault(k, []).append(v)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "time"})
            saved = checkpoint is not None and (epoch + 1) % checkpoint.every == 0
            if saved:
                _save(checkpoint, carry, sampler, epoch, kind, logs, history)
            stop = False
            for cb in cbs:
                stop = bool(cb.on_epoch_end(epoch, state, logs)) or stop
            if checkpoint is not None and not saved and (stop or epoch == len(plan) - 1):
                _save(checkpoint, carry, sampler, epoch, kind, logs, history)
            if stop:
                break
    finally:
        if bar is not None:
            bar.close()
        if checkpoint is not None:
            checkpoint.wait()
    for cb in cbs:
        replacement = cb.on_train_end(state)
        if replacement is not None:
            state = replacement
    return state, history
