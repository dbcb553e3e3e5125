r"""Exported programs on disk: a new process skips tracing and lowering of a compiled fit.

JAX's persistent compilation cache (`jaxfound._cache`) stores XLA's executables, but a new
process still traces the Python fit and lowers it to StableHLO before it can look the
executable up; for a tree or a logistic regression that is most of a warm first call
(0.4–1.3 s on digits). `cached_jit` is a drop-in for ``jax.jit`` that also keeps the
lowered program itself, as a serialized `jax.export.Exported`, beside the XLA cache (in
``<cache dir>/exported``), keyed by a SHA-256 of

* every source file of the installed jaxfound, and the versions of jax, jaxlib, optax,
  flax and numpy (any code change is a new key, so a stale program is never run);
* the function's module and name, its static arguments (by ``repr``), and the tree
  structure, shapes, dtypes and weak types of its array arguments;
* the backend, and the JAX settings that change tracing (x64, matmul precision, dtype
  promotion).

A later process with the same key deserializes the program and calls it: the Python fit
is not traced, only a small call around the program is lowered, and XLA's compile is a
cache hit. The process that exported the program runs it through the same call, so the
two processes run one program and give bit-identical results (tested in fresh processes).

It is on while the persistent compilation cache is on (`compilation_cache_dir` is set) and
``JAXFOUND_NO_EXPORT_CACHE`` is not ``1``. Plain ``jax.jit`` runs instead for a call under
a transformation (any argument a tracer: ``vmap``, ``grad``, an outer ``jit``), an
argument spread over several devices, a static argument known only by its address
(``<function ... at 0x...>``), or a program that cannot be exported or serialized. An
unwritable directory keeps nothing (with no warning beyond `jaxfound._cache`'s); a corrupt
file gives a `RuntimeWarning` and is written again. Nothing is unpickled: the files are
JAX's own flatbuffer serialization of StableHLO.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax

from jaxfound._cache import compilation_cache_dir
from jaxfound._validate import is_traced

__all__ = ["ENV_OFF", "cached_jit", "register_serialization", "source_digest"]

#: Environment variable that, set to ``1`` (or ``true``/``yes``), keeps exported programs
#: off (the XLA compilation cache stays as configured).
ENV_OFF = "JAXFOUND_NO_EXPORT_CACHE"
#: Bumped when the key or the file layout changes.
FORMAT = 1
_PACKAGES = ("jax", "jaxlib", "optax", "flax", "numpy")


@functools.cache
def source_digest() -> str:
    """SHA-256 of every ``.py`` file of the installed jaxfound and of the versions of the
    libraries it traces through; part of every key.

    Examples:
      >>> len(source_digest())
      64
    """
    h = hashlib.sha256(f"format={FORMAT}".encode())
    for name in _PACKAGES:
        try:
            h.update(f"{name}={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name}=?".encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def register_serialization(cls: type) -> type:
    """Let `jax.export` serialize a jaxfound pytree node (a ``NamedTuple`` or a flax
    ``struct.dataclass`` whose static fields are JSON values), so fits returning it can be
    cached; returns ``cls`` (usable as a decorator).

    Examples:
      >>> from typing import NamedTuple
      >>> @register_serialization
      ... class Pair(NamedTuple):
      ...     a: jax.Array
      ...     b: jax.Array
    """
    name = f"jaxfound:{cls.__module__}.{cls.__qualname__}"
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        jax.export.register_namedtuple_serialization(cls, serialized_name=name)
        return cls
    jax.export.register_pytree_node_serialization(
        cls,
        serialized_name=name,
        serialize_auxdata=lambda aux: json.dumps(list(aux)).encode(),
        deserialize_auxdata=lambda b: tuple(json.loads(bytes(b).decode())),
    )
    return cls


def _enabled() -> Path | None:
    if os.environ.get(ENV_OFF, "").strip().lower() in ("1", "true", "yes"):
        return None
    d = compilation_cache_dir()
    return None if d is None else d / "exported"


#: JAX settings that change what a function traces to.
_CONFIG = ("jax_enable_x64", "jax_default_matmul_precision", "jax_numpy_dtype_promotion",
           "jax_numpy_rank_promotion")


def _config_key() -> str:
    return repr((jax.default_backend(), *(getattr(jax.config, n) for n in _CONFIG)))


def _spread(x: Any) -> bool:
    """An array over several devices: its program belongs to its mesh, not to the cache."""
    return isinstance(x, jax.Array) and len(x.devices()) > 1


class CachedJit:
    """``jax.jit(fun, static_argnames=...)`` whose programs are also kept on disk (see the
    module docstring). ``.jitted`` is the plain jitted function; other attributes
    (``lower``, ``trace``, ``eval_shape``) are its own."""

    def __init__(self, fun: Callable, static_argnames: Sequence[str]):
        self.fun = fun
        self.static_argnames = frozenset(static_argnames)
        self.jitted = jax.jit(fun, static_argnames=tuple(static_argnames))
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        self._positional = [p.name for p in inspect.signature(fun).parameters.values()
                            if p.kind in kinds]
        self._name = f"{fun.__module__}.{fun.__qualname__}"
        self._calls: dict[str, Callable] = {}  # key -> jitted call of the exported program
        self._plain: set[str] = set()  # keys whose program could not be exported
        functools.update_wrapper(self, fun)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.jitted, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        folder = _enabled()
        if folder is None or len(args) > len(self._positional):
            return self.jitted(*args, **kwargs)
        named = dict(zip(self._positional, args))
        if named.keys() & kwargs.keys():
            return self.jitted(*args, **kwargs)  # jit raises its own error
        named.update(kwargs)
        statics = {k: v for k, v in named.items() if k in self.static_argnames}
        names = sorted(k for k in named if k not in self.static_argnames)
        dynamic = [named[k] for k in names]
        leaves, treedef = jax.tree_util.tree_flatten(dynamic)
        if is_traced(*leaves) or any(_spread(x) for x in leaves):
            return self.jitted(*args, **kwargs)
        try:
            avals = [jax.typeof(x) for x in leaves]
        except TypeError:  # a leaf JAX cannot type: let jit raise its own error
            return self.jitted(*args, **kwargs)
        static_text = repr(sorted(statics.items()))
        if " at 0x" in static_text:  # an object known by its address: no key survives
            return self.jitted(*args, **kwargs)
        text = repr((self._name, names, static_text, str(treedef),
                     [(a.shape, str(a.dtype), a.weak_type) for a in avals], _config_key()))
        key = hashlib.sha256((source_digest() + text).encode()).hexdigest()
        call = self._calls.get(key)
        if call is None:
            if key in self._plain:
                return self.jitted(*args, **kwargs)
            call = self._load_or_export(folder / f"{key}.jaxexport", names, statics, dynamic)
            if call is None:
                self._plain.add(key)
                return self.jitted(*args, **kwargs)
            self._calls[key] = call
        return call(*dynamic)

    def _load_or_export(self, path: Path, names: list[str], statics: dict,
                        dynamic: list) -> Callable | None:  # fmt: skip
        if path.exists():
            try:
                return jax.jit(jax.export.deserialize(bytearray(path.read_bytes())).call)
            except Exception as e:  # noqa: BLE001 (any failure: rebuild the file)
                warnings.warn(f"jaxfound: the cached program {path} could not be read ({e}); "
                              "exporting it again.", RuntimeWarning, stacklevel=3)

        def positional(*dyn):
            return self.fun(**dict(zip(names, dyn)), **statics)

        try:
            exported = jax.export.export(jax.jit(positional))(*dynamic)
            blob = exported.serialize()
        except Exception:  # noqa: BLE001 (not exportable: effects, unregistered pytrees)
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False,
                                             prefix=".tmp-") as f:  # fmt: skip
                f.write(blob)
            os.chmod(f.name, 0o644)  # as readable as the XLA cache's own entries
            os.replace(f.name, path)
        except OSError:
            pass  # a read-only cache: the program still runs, it is just not kept
        return jax.jit(exported.call)


def cached_jit(fun: Callable | None = None, *, static_argnames: Sequence[str] | str = ()):
    """Decorator: ``jax.jit`` whose lowered programs persist across processes.

    Args:
      fun: the function (or use ``@cached_jit(static_argnames=...)``).
      static_argnames: as ``jax.jit``'s; static values are part of the key by ``repr``.

    Examples:
      >>> import jax.numpy as jnp
      >>> @cached_jit(static_argnames="p")
      ... def norm(x, p):
      ...     return jnp.sum(jnp.abs(x) ** p) ** (1 / p)
      >>> float(norm(jnp.array([3.0, 4.0]), p=2))
      5.0
    """
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    if fun is None:
        return lambda f: CachedJit(f, names)
    return CachedJit(fun, names)
