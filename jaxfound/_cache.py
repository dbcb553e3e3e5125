r"""JAX's persistent compilation cache for jaxfound's compiled fits: compile once, not per run.

XLA compiles each fit (a tree, a forest, a logistic regression …) once per shape and
setting; without a persistent cache every new process pays that again (1–60 s on a CPU).
Importing `jaxfound.models` turns JAX's on-disk cache on in a user cache directory, so a
second process loads the compiled program instead:

* directory: ``$JAXFOUND_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/jaxfound/xla``, else
  ``~/.cache/jaxfound/xla`` (`default_cache_dir`);
* opt out: ``JAXFOUND_NO_CACHE=1`` in the environment, or `disable_compilation_cache()`;
* a directory that cannot be created or written gives a `RuntimeWarning` and the run goes
  on without a cache;
* under pytest (``pytest`` imported before jaxfound) it stays off: test workers
  (``-n 2``) then neither share nor fill a user's cache; tests call
  `enable_compilation_cache` with a temporary directory.

Only programs that took at least `MIN_COMPILE_SECONDS` to compile are stored.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

import jax

__all__ = [
    "ENV_DIR",
    "ENV_OFF",
    "MIN_COMPILE_SECONDS",
    "compilation_cache_dir",
    "default_cache_dir",
    "disable_compilation_cache",
    "enable_compilation_cache",
]

#: Environment variable naming the cache directory.
ENV_DIR = "JAXFOUND_CACHE_DIR"
#: Environment variable that, set to ``1`` (or ``true``/``yes``), keeps the cache off.
ENV_OFF = "JAXFOUND_NO_CACHE"
#: Programs compiled faster than this (seconds) are not written to the cache.
MIN_COMPILE_SECONDS = 0.0


def default_cache_dir() -> Path:
    """``$JAXFOUND_CACHE_DIR``, else ``$XDG_CACHE_HOME/jaxfound/xla``, else ``~/.cache/...``.

    Examples:
      >>> isinstance(default_cache_dir(), Path)
      True
    """
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "jaxfound" / "xla"


def _reset() -> None:
    from jax._src import compilation_cache as cc  # JAX keeps the opened cache here

    cc.reset_cache()


def enable_compilation_cache(path: str | os.PathLike | None = None) -> Path | None:
    """Turn on JAX's persistent compilation cache in ``path`` (default `default_cache_dir`).

    Args:
      path: cache directory; created if missing.

    Returns:
      The directory in use, or ``None`` when it could not be created or written (a
      `RuntimeWarning` says why; compiling goes on without a persistent cache).

    Examples:
      >>> import tempfile
      >>> d = enable_compilation_cache(tempfile.mkdtemp())
      >>> compilation_cache_dir() == d
      True
      >>> disable_compilation_cache()
    """
    d = Path(path).expanduser() if path is not None else default_cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d, prefix=".probe-"):
            pass
    except OSError as e:
        warnings.warn(
            f"jaxfound: compilation cache directory {str(d)!r} is not writable ({e}); going on "
            f"without a persistent cache. Set {ENV_DIR} to a writable directory or "
            f"{ENV_OFF}=1 to silence this.",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    _reset()
    jax.config.update("jax_compilation_cache_dir", str(d))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return d


def disable_compilation_cache() -> None:
    """Turn the persistent compilation cache off for this process (compiled programs stay
    cached in memory as usual)."""
    _reset()
    jax.config.update("jax_compilation_cache_dir", None)


def compilation_cache_dir() -> Path | None:
    """The persistent cache directory in use, or ``None``."""
    d = getattr(jax.config, "jax_compilation_cache_dir")  # noqa: B009 (untyped flag)
    return Path(d) if d else None


def _auto_enable() -> Path | None:
    """What importing `jaxfound.models` does: enable, unless opted out or under pytest, or
    unless the user already chose a JAX cache directory."""
    if os.environ.get(ENV_OFF, "").strip().lower() in ("1", "true", "yes"):
        return None
    if "pytest" in sys.modules or compilation_cache_dir() is not None:
        return compilation_cache_dir()
    return enable_compilation_cache()
