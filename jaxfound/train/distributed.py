r"""Many processes, many hosts: one job through ``jax.distributed``.

Each process runs the same script; `initialize` connects it to the others (JAX's own
coordination service and, on CPU, the Gloo collectives), after which ``jax.devices()``
lists every process's devices and a `jaxfound.train.Sharding` over them spans the job.
Nothing here moves data: `jaxfound.train.fit` with ``sharding=`` and
`jaxfound.train.process_rows` do, through ``jax.sharding``.

    # on every process (or: JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID)
    jf.train.distributed.initialize("10.0.0.1:1234", num_processes=4, process_id=i)
    state, hist = jf.train.fit(state, loss, jf.train.process_rows((x, y)),
                               sharding=jf.train.data_parallel(), ...)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

import jax
import numpy as np

from jaxfound import errors

__all__ = ["Process", "initialize", "ENV_ADDRESS", "ENV_COUNT", "ENV_ID"]

#: environment variables read when the arguments are not given (the first is JAX's own)
ENV_ADDRESS, ENV_COUNT, ENV_ID = "JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"


class Process(NamedTuple):
    """This process's place in the job.

    Attributes:
      process_id: ``jax.process_index()``.
      num_processes: ``jax.process_count()``.
      local_devices: devices this process drives.
      devices: devices of the whole job (``jax.devices()``).
    """

    process_id: int
    num_processes: int
    local_devices: int
    devices: int


def _current() -> Process:
    return Process(
        jax.process_index(), jax.process_count(), jax.local_device_count(), jax.device_count()
    )


def _int_env(value: int | None, name: str, what: str) -> int | None:
    if value is not None:
        raw: object = value
    elif os.environ.get(name):
        raw = os.environ[name]
    else:
        return None
    try:
        out = int(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise errors.DistributedError(
            f"{what} must be an int, got {raw!r} (argument or ${name})."
        ) from None
    return out


def initialize(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    *,
    local_device_ids: Sequence[int] | None = None,
    timeout: int = 300,
    cpu_collectives: str = "gloo",
) -> Process:
    """Join this process to a multi-process JAX job and check that the job is consistent.

    Arguments that are not given are read from ``$JAX_COORDINATOR_ADDRESS``,
    ``$JAX_NUM_PROCESSES`` and ``$JAX_PROCESS_ID``, and otherwise left to JAX's cluster
    detection (SLURM, Open MPI, Kubernetes, TPU pods). On CPU the cross-process
    collectives are ``cpu_collectives`` (Gloo). After connecting, the processes exchange
    their view of the job; a process started with another world size, or two processes
    with one id, make every process raise instead of training a wrong job. Calling it
    again in an initialised process returns the job as it is.

    Args:
      coordinator_address: ``"host:port"`` of process 0's coordination service.
      num_processes: processes in the job.
      process_id: this process's index, ``0 <= process_id < num_processes``.
      local_device_ids: the local devices this process uses (default: all).
      timeout: seconds to wait for every process to arrive.
      cpu_collectives: ``jax_cpu_collectives_implementation`` (``"gloo"`` or ``"mpi"``).

    Returns:
      The `Process` (id, world size, local and global device counts).

    Raises:
      DistributedError: a missing or malformed address, count or id, an id out of range,
        processes that do not arrive within ``timeout`` seconds, or processes that
        disagree on the world size.
    """
    if jax.distributed.is_initialized():
        return _current()
    address = coordinator_address or os.environ.get(ENV_ADDRESS) or None
    count = _int_env(num_processes, ENV_COUNT, "num_processes")
    pid = _int_env(process_id, ENV_ID, "process_id")
    if address is not None and (":" not in address or not address.rsplit(":", 1)[1].isdigit()):
        raise errors.DistributedError(
            f"coordinator_address must be 'host:port' (process 0's address), got {address!r}."
        )
    if count is not None and count < 1:
        raise errors.DistributedError(f"num_processes must be at least 1, got {count}.")
    if count is not None and pid is not None and not 0 <= pid < count:
        raise errors.DistributedError(
            f"process_id={pid} is outside 0..{count - 1} for num_processes={count}; give each "
            "process a distinct id below the world size."
        )
    if cpu_collectives:
        jax.config.update("jax_cpu_collectives_implementation", cpu_collectives)
    try:
        jax.distributed.initialize(
            address,
            count,
            pid,
            local_device_ids=local_device_ids,
            initialization_timeout=int(timeout),
        )
    except (ValueError, TypeError, RuntimeError) as e:
        raise errors.DistributedError(
            f"could not join the job at {address!r} as process {pid} of {count} within "
            f"{timeout} s: {e}. Check that every process got the same coordinator address "
            f"and num_processes, distinct ids, and that process 0 is reachable "
            f"(${ENV_ADDRESS}, ${ENV_COUNT}, ${ENV_ID})."
        ) from e
    _check_consistent(count)
    return _current()


def _check_consistent(count: int | None) -> None:
    from jax.experimental import multihost_utils

    mine = np.asarray([jax.process_index(), count if count is not None else jax.process_count()])
    views = np.asarray(multihost_utils.process_allgather(mine)).reshape(-1, 2)
    ids, counts = views[:, 0].tolist(), views[:, 1].tolist()
    if len(set(counts)) != 1 or counts[0] != jax.process_count() or sorted(ids) != list(
        range(jax.process_count())
    ):
        raise errors.DistributedError(
            f"the processes disagree on the job: ids {ids} with num_processes {counts} "
            f"(JAX sees {jax.process_count()}); start every process with the same "
            "num_processes and a distinct process_id."
        )
