r"""Sharding: where the training state and the batches live on a mesh of devices.

jaxfound writes no distribution layer of its own. A `Sharding` names a
``jax.sharding.Mesh`` and says, for every leaf of the training state and of a batch,
which `jax.sharding.PartitionSpec` it gets; XLA's partitioner (GSPMD) then splits each
compiled step over the devices and inserts the collectives itself (the gradient
all-reduce of data parallelism, the all-gathers of FSDP, the reductions of tensor
parallelism). One mechanism covers the usual layouts:

* **data parallel** (`data_parallel`): batches split along their leading axis over the
  ``"data"`` mesh axis, the state replicated;
* **FSDP / ZeRO-3** (`fsdp`): the same batches, and every leaf of the parameters and of
  the optimiser state split along its largest dimension that divides over ``"data"``;
* **tensor parallel** (``rules=``): leaves whose path matches a glob pattern get that
  pattern's spec, e.g. Megatron's column/row split of the MLP kernels over ``"model"``
  (`jaxfound.models.gpt.sharding_rules`); unmatched leaves fall back to FSDP or
  replication.

The same `Sharding` runs in one process (many local devices) and in many
(`jaxfound.train.distributed.initialize`): with several processes, array data and
batches given to `shard_batch` (and to `fit`) are each process's own rows, and the
global batch is their concatenation in process order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from jaxfound import errors
from jaxfound._pytree import is_key, matches, path_str
from jaxfound.typing import PyTree

__all__ = [
    "Sharding",
    "make_mesh",
    "data_parallel",
    "fsdp",
    "leaf_spec",
    "state_shardings",
    "shard",
    "shard_batch",
    "replicate",
    "constrain",
    "to_host",
    "process_rows",
]

Rules = Sequence[tuple[str, PartitionSpec]]


class Sharding(NamedTuple):
    r"""A device mesh and where the state's leaves and the batches go on it.

    For a state leaf with path $p$ (its keys joined by ``/``, as in
    `jaxfound.finetune.mask`; the optimiser's copies of a parameter end with the same
    path) the spec is the first rule whose pattern matches $p$; without one, and with
    ``fsdp_axis`` set, the leaf's largest dimension that divides by the size of
    ``fsdp_axis`` (the last such one on ties) is split over it; otherwise the leaf is
    replicated. Batches split their leading axis over ``batch_axis``.

    A `Sharding` is hashable, so it can be a static argument of ``jax.jit``.

    Attributes:
      mesh: the ``jax.sharding.Mesh`` (`make_mesh`).
      batch_axis: mesh axis (or tuple of axes) the leading batch axis splits over;
        ``None`` replicates batches.
      rules: ``(pattern, PartitionSpec)`` pairs, first match wins.
      fsdp_axis: mesh axis that the leaves no rule matches are split over, or ``None``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> s = fsdp(make_mesh(data=1))
      >>> state_shardings(s, {"w": jnp.zeros((4, 2))})["w"].spec
      P('data',)
    """

    mesh: Mesh
    batch_axis: str | tuple[str, ...] | None = "data"
    rules: tuple[tuple[str, PartitionSpec], ...] = ()
    fsdp_axis: str | None = None

    def batch_sharding(self) -> NamedSharding:
        """The sharding of a batch leaf: leading axis over ``batch_axis``."""
        return NamedSharding(self.mesh, PartitionSpec(self.batch_axis))

    def replicated(self) -> NamedSharding:
        """A full copy on every device of the mesh."""
        return NamedSharding(self.mesh, PartitionSpec())

    def batch_devices(self) -> int:
        """How many parts a batch splits into (the size of ``batch_axis``)."""
        return _axes_size(self.mesh, self.batch_axis)


def _names(axes) -> tuple:
    return () if axes is None else (axes,) if isinstance(axes, str) else tuple(axes)


def _axes_size(mesh: Mesh, axes) -> int:
    return math.prod(mesh.shape[a] for a in _names(axes))


def make_mesh(devices: Sequence[jax.Device] | None = None, /, **axes: int) -> Mesh:
    """A device mesh with named axes, e.g. ``make_mesh(data=4, model=2)``.

    One axis may be ``-1``: all the devices the others leave. The mesh uses
    ``AxisType.Auto`` axes (XLA propagates shardings; jaxfound's specs are hints where
    it needs them), built by ``jax.make_mesh``.

    Args:
      devices: the devices, positional (default: ``jax.devices()``, every process's).
      **axes: axis name → size, in mesh order.

    Returns:
      A ``jax.sharding.Mesh``.

    Raises:
      ShardingError: no axes, a size below 1 (other than one ``-1``), or sizes whose
        product is not the number of devices.

    Examples:
      >>> make_mesh(data=-1).axis_names
      ('data',)
    """
    devs = list(jax.devices() if devices is None else devices)
    if not axes:
        raise errors.ShardingError("make_mesh needs at least one axis, e.g. make_mesh(data=-1).")
    sizes = dict(axes)
    free = [k for k, v in sizes.items() if v == -1]
    bad = {k: v for k, v in sizes.items() if not isinstance(v, int) or (v < 1 and v != -1)}
    if bad or len(free) > 1:
        raise errors.ShardingError(
            f"mesh axis sizes must be positive ints with at most one -1, got {sizes}."
        )
    known = math.prod(v for v in sizes.values() if v != -1)
    if free:
        if len(devs) % known:
            raise errors.ShardingError(
                f"{len(devs)} devices do not split into axes {sizes}: the fixed sizes "
                f"multiply to {known}, which does not divide {len(devs)}."
            )
        sizes[free[0]] = len(devs) // known
    if math.prod(sizes.values()) != len(devs):
        raise errors.ShardingError(
            f"mesh axes {sizes} hold {math.prod(sizes.values())} devices but there are "
            f"{len(devs)}; make the sizes multiply to {len(devs)} (or use -1 for one axis)."
        )
    names = tuple(sizes)
    return jax.make_mesh(
        tuple(sizes.values()), names, axis_types=(AxisType.Auto,) * len(names), devices=devs
    )


def data_parallel(mesh: Mesh | None = None, *, axis: str = "data") -> Sharding:
    """Data parallelism: batches split over ``axis``, the state replicated on every device.

    XLA inserts the all-reduce of the gradients (their mean over the global batch).

    Args:
      mesh: the mesh (default: ``make_mesh(data=-1)``, all devices).
      axis: the mesh axis of the batch.

    Returns:
      A `Sharding`.

    Examples:
      >>> data_parallel().batch_axis
      'data'
    """
    mesh = make_mesh(**{axis: -1}) if mesh is None else mesh
    _check_axes(mesh, (axis,), "data_parallel(axis=...)")
    return Sharding(mesh, batch_axis=axis)


def fsdp(mesh: Mesh | None = None, *, axis: str = "data", rules: Rules = ()) -> Sharding:
    """Fully sharded data parallelism (ZeRO-3): batches AND state leaves split over ``axis``.

    Each device holds about $1/D$ of the parameters and of the optimiser state ($D$ the
    size of ``axis``); XLA all-gathers a parameter where a step needs it whole and
    reduce-scatters its gradient. ``rules`` (tensor-parallel specs) take precedence.

    Args:
      mesh: the mesh (default: ``make_mesh(data=-1)``).
      axis: the mesh axis of the batch and of the state's shards.
      rules: ``(pattern, PartitionSpec)`` pairs for the leaves that need another layout.

    Returns:
      A `Sharding`.
    """
    mesh = make_mesh(**{axis: -1}) if mesh is None else mesh
    _check_axes(mesh, (axis,), "fsdp(axis=...)")
    return Sharding(mesh, batch_axis=axis, rules=_rules(mesh, rules), fsdp_axis=axis)


def _check_axes(mesh: Mesh, names: Sequence[Any], where: str) -> None:
    for a in names:
        if a is not None and a not in mesh.axis_names:
            raise errors.ShardingError(
                f"{where} names mesh axis {a!r} but the mesh has axes {mesh.axis_names}; "
                "use one of those or build the mesh with it (make_mesh(data=..., model=...))."
            )


def _spec_axes(spec: PartitionSpec) -> list:
    out: list = []
    for entry in spec:
        out.extend(entry if isinstance(entry, tuple) else [entry])
    return [a for a in out if a is not None]


def _rules(mesh: Mesh, rules: Rules | Mapping[str, PartitionSpec]) -> tuple:
    items = tuple(rules.items()) if isinstance(rules, Mapping) else tuple(rules)
    out = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise errors.ShardingError(
                f"a sharding rule must be a (pattern, PartitionSpec) pair, got {item!r}."
            )
        pattern, spec = item
        spec = spec if isinstance(spec, PartitionSpec) else PartitionSpec(*spec)
        _check_axes(mesh, _spec_axes(spec), f"sharding rule {pattern!r}")
        out.append((pattern, spec))
    return tuple(out)


def leaf_spec(sharding: Sharding, path: str, shape: Sequence[int]) -> PartitionSpec:
    """The `PartitionSpec` `Sharding` gives a leaf with this path and shape.

    Raises:
      ShardingError: the matching rule has more entries than the leaf has dimensions,
        or splits a dimension its mesh axes do not divide.

    Examples:
      >>> leaf_spec(fsdp(make_mesh(data=1)), "params/w", (3, 8))
      P(None, 'data')
    """
    mesh = sharding.mesh
    for pattern, spec in sharding.rules:
        if matches(pattern, path):
            if len(spec) > len(shape):
                raise errors.ShardingError(
                    f"rule {pattern!r} gives {spec} ({len(spec)} dims) to {path!r} of shape "
                    f"{tuple(shape)}; give a spec with at most {len(shape)} entries."
                )
            for dim, entry in zip(shape, spec):
                size = _axes_size(mesh, entry)
                if dim % size:
                    raise errors.ShardingError(
                        f"rule {pattern!r} splits a dimension of size {dim} of {path!r} "
                        f"(shape {tuple(shape)}) over {entry!r}, {size} devices, which do not "
                        "divide it; change the rule, the mesh, or the model's sizes."
                    )
            return spec
    axis = sharding.fsdp_axis
    if axis is not None:
        size = mesh.shape[axis]
        dims = [i for i, d in enumerate(shape) if d % size == 0 and d >= size]
        if dims:
            best = max(dims, key=lambda i: (shape[i], i))
            return PartitionSpec(*[axis if i == best else None for i in range(best + 1)])
    return PartitionSpec()


def state_shardings(sharding: Sharding, tree: PyTree) -> PyTree:
    """A ``NamedSharding`` for every leaf of ``tree`` (arrays, tracers or shape structs).

    Raises:
      ShardingError: a rule matches no leaf of ``tree`` (a typo must not silently
        replicate what it meant to split), or see `leaf_spec`.

    Examples:
      >>> import jax.numpy as jnp
      >>> s = fsdp(make_mesh(data=1))
      >>> state_shardings(s, {"b": jnp.zeros(3), "c": jnp.zeros(())})["c"].spec
      P()
    """
    _check_axes(sharding.mesh, _names(sharding.batch_axis), "Sharding(batch_axis=...)")
    _check_axes(sharding.mesh, _names(sharding.fsdp_axis), "Sharding(fsdp_axis=...)")
    _rules(sharding.mesh, sharding.rules)
    flat, treedef = jax.tree_util.tree_flatten_with_path(tree)
    paths = [path_str(kp) for kp, _ in flat]
    for pattern, _ in sharding.rules:
        if not any(matches(pattern, p) for p in paths):
            shown = ", ".join(paths[:6]) + (", ..." if len(paths) > 6 else "")
            raise errors.ShardingError(
                f"sharding rule {pattern!r} matches no leaf; the paths look like: {shown}. "
                "Patterns match whole paths: use '**' for any number of segments."
            )
    out = [
        NamedSharding(sharding.mesh, leaf_spec(sharding, p, np.shape(x)))
        for p, (_, x) in zip(paths, flat)
    ]
    return jax.tree_util.tree_unflatten(treedef, out)


def _put_global(x, target: NamedSharding):
    """``x`` (the same full value in every process) as a global array with ``target``."""
    if is_key(x):
        impl = jax.random.key_impl(x)
        data = _put_global(jax.random.key_data(x), target)
        return jax.random.wrap_key_data(data, impl=impl)
    if jax.process_count() == 1:
        return jax.device_put(x, target)
    host = np.asarray(to_host(x))
    return jax.make_array_from_callback(host.shape, target, lambda idx: host[idx])


def shard(tree: PyTree, sharding: Sharding) -> PyTree:
    """Put ``tree`` (a `TrainState`, params...) on the mesh as `state_shardings` says.

    With several processes every process passes the same full values (e.g. params
    initialised from the same key) and keeps only its devices' shards.

    Examples:
      >>> import jax.numpy as jnp
      >>> s = data_parallel(make_mesh(data=1))
      >>> shard({"w": jnp.ones(2)}, s)["w"].sharding.spec
      P()
    """
    shardings = state_shardings(sharding, tree)
    return jax.tree_util.tree_map(_put_global, tree, shardings)


def replicate(tree: PyTree, sharding: Sharding) -> PyTree:
    """A full copy of ``tree`` on every device of the mesh (e.g. validation data)."""
    target = sharding.replicated()
    return jax.tree_util.tree_map(lambda x: _put_global(x, target), tree)


def _check_rows(tree: PyTree, parts: int, what: str) -> int:
    rows = {np.shape(x)[0] if np.ndim(x) else None for x in jax.tree_util.tree_leaves(tree)}
    if None in rows or len(rows) != 1:
        raise errors.ShardingError(
            f"{what} leaves must share one leading (batch) axis to split over devices; "
            f"got leading sizes {sorted(r for r in rows if r is not None)}"
            f"{' and scalars' if None in rows else ''}."
        )
    n = int(next(iter(rows)) or 0)  # one leading size, checked above
    if n % parts:
        raise errors.ShardingError(
            f"{what} has {n} rows, which do not split evenly over {parts} parts; use a "
            f"batch size that is a multiple of {parts} (e.g. {max(parts, n - n % parts)})."
        )
    return n


def shard_batch(batch: PyTree, sharding: Sharding) -> PyTree:
    """Split ``batch``'s leading axis over the mesh's ``batch_axis``.

    With one process ``batch`` is the global batch; with several it is this process's
    rows, and the global batch is the concatenation over processes (in process order)
    built by ``jax.make_array_from_process_local_data``: no process reads another's rows.

    Raises:
      ShardingError: the rows do not split evenly over the devices (per process, the
        process's devices), or the leaves have different leading sizes.

    Examples:
      >>> import jax.numpy as jnp
      >>> s = data_parallel(make_mesh(data=1))
      >>> shard_batch(jnp.zeros((4, 2)), s).sharding.spec
      P('data',)
    """
    target = sharding.batch_sharding()
    if jax.process_count() == 1:
        _check_rows(batch, sharding.batch_devices(), "the batch")
        return jax.device_put(batch, target)
    local = max(1, sharding.batch_devices() // jax.process_count())
    _check_rows(batch, local, f"process {jax.process_index()}'s batch")
    return jax.tree_util.tree_map(
        lambda x: jax.make_array_from_process_local_data(target, np.asarray(x)), batch
    )


def constrain(step: Callable, sharding: Sharding) -> Callable:
    """Wrap ``step(state, batch)`` so the batch and the new state keep their shardings.

    The batch gets `Sharding.batch_sharding` and every leaf of the returned state its
    `state_shardings` spec, as ``jax.lax.with_sharding_constraint`` hints inside the
    compiled program (a no-op on one device). `fit` does this; in your own loop:
    ``jax.jit(constrain(make_step(loss), s))`` on a state put with `shard`.
    """

    def constrained(state, batch):
        if batch is not None:
            batch = jax.lax.with_sharding_constraint(
                batch, jax.tree_util.tree_map(lambda _: sharding.batch_sharding(), batch)
            )
        state, aux = step(state, batch)
        return jax.lax.with_sharding_constraint(state, state_shardings(sharding, state)), aux

    return constrained


def to_host(tree: PyTree) -> PyTree:
    """Every leaf as a NumPy array, also for global arrays of a multi-process run.

    A replicated array is read from a local copy; a split one is all-gathered over the
    processes (``multihost_utils.process_allgather``). One process: ``jax.device_get``.
    """

    def get(x):
        if not isinstance(x, jax.Array) or x.is_fully_addressable:
            return np.asarray(jax.device_get(x))
        if x.is_fully_replicated:
            return np.asarray(x.addressable_shards[0].data)
        return np.asarray(multihost_utils.process_allgather(x, tiled=True))

    return jax.tree_util.tree_map(get, tree)


def process_rows(data: PyTree) -> PyTree:
    """This process's contiguous block of the rows of ``data`` (all of it with one process).

    Process $i$ of $P$ gets rows $[i n/P, (i+1) n/P)$, so the concatenation over
    processes is ``data`` again: pass the result to `fit` (or `shard_batch`) in a
    multi-process run and it trains on the same global data as one process would.

    Raises:
      ShardingError: $n$ is not a multiple of the number of processes.

    Examples:
      >>> import numpy as np
      >>> process_rows(np.arange(6)).tolist()
      [0, 1, 2, 3, 4, 5]
    """
    p, i = jax.process_count(), jax.process_index()
    n = _check_rows(data, p, "data")
    return jax.tree_util.tree_map(lambda x: x[i * n // p : (i + 1) * n // p], data)
