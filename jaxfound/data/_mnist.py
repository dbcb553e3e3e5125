"""MNIST: the standard IDX ``.gz`` files, from a path or a checksummed download cache."""

from __future__ import annotations

import hashlib
import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Sequence

import numpy as np

from jaxfound import errors
from jaxfound.data._idx import read_idx

__all__ = ["load_mnist", "MNIST_FILES", "MNIST_MIRRORS", "DOWNLOAD_TIMEOUT"]

#: file name -> sha256 of the canonical gzip file.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
#: seconds a download may wait for the server before the next mirror is tried.
DOWNLOAD_TIMEOUT = 60.0

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _default_cache() -> Path:
    root = os.environ.get("JAXFOUND_CACHE", os.path.join(Path.home(), ".cache", "jaxfound"))
    return Path(root) / "mnist"


def _check_mirrors(mirrors: Sequence[str]) -> list[str]:
    """Only ``https://`` mirrors (or a ``file://`` URL of a local folder, given explicitly)."""
    if isinstance(mirrors, (str, bytes)):
        raise errors.ValidationError(
            f"mirrors={mirrors!r} must be a sequence of base URLs, not one string; pass "
            "mirrors=(url,)."
        )
    out = []
    for i, base in enumerate(mirrors):
        scheme = urllib.parse.urlsplit(str(base)).scheme.lower()
        if scheme not in ("https", "file"):
            raise errors.ValidationError(
                f"mirrors[{i}]={base!r} is not an https:// URL; downloads only use https (a "
                "local copy can be given as file:///path/to/folder/ or, better, as "
                "load_mnist(path=folder))."
            )
        out.append(str(base) if str(base).endswith("/") else str(base) + "/")
    return out


def _download(url: str, dest: Path) -> None:
    """Copy ``url`` to ``dest`` with a timeout (a seam for tests)."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as r, open(dest, "wb") as f:
        for chunk in iter(lambda: r.read(1 << 20), b""):
            f.write(chunk)


def _fetch(name: str, cache: Path, mirrors) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / name
    last: Exception | None = None
    for base in mirrors:
        tmp = target.with_suffix(".part")
        try:
            _download(base + name, tmp)
        except OSError as e:  # network errors, HTTP errors, timeouts
            tmp.unlink(missing_ok=True)
            last = e
            continue
        if _sha256(tmp) != MNIST_FILES[name]:
            tmp.unlink(missing_ok=True)
            last = errors.ChecksumError(
                f"{base + name} does not match its published sha256 ({MNIST_FILES[name][:12]}…)"
            )
            continue
        tmp.replace(target)  # atomic: a half-written file never sits under the real name
        return target
    if isinstance(last, errors.ChecksumError):
        raise errors.ChecksumError(
            f"{last}; the mirrors serve a different file: download the four MNIST files by "
            "hand from a trusted source and pass their folder as load_mnist(path=...)."
        )
    raise errors.DataFormatError(
        f"could not download {name} from any mirror ({last}); download the four MNIST "
        f"files by hand and pass their folder as load_mnist(path=...)."
    )


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    download: bool = True,
    cache_dir: str | os.PathLike | None = None,
    verify: bool = True,
    normalize: bool = True,
    mirrors: Sequence[str] = MNIST_MIRRORS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST as ``(x_train, y_train, x_test, y_test)``.

    Images come as ``float32`` in ``[0, 1]`` with shape ``(n, 28, 28)`` when
    ``normalize`` (``uint8`` otherwise); labels as ``int32`` in ``[0, 10)``.

    Args:
      path: folder holding the four canonical ``*-ubyte.gz`` files. If ``None``,
        the cache folder (``$JAXFOUND_CACHE/mnist`` or ``~/.cache/jaxfound/mnist``,
        or ``cache_dir``) is used, downloading missing files when ``download``.
      download: allow downloading missing files into the cache.
      cache_dir: override the cache folder.
      verify: check each file's sha256 against `MNIST_FILES`.
      normalize: scale pixels to ``[0, 1]`` float32.
      mirrors: base URLs tried in order: ``https://`` only (a ``file://`` URL of a
        local folder is accepted when passed explicitly). Each download times out
        after `DOWNLOAD_TIMEOUT` seconds.

    Raises:
      ValidationError: a mirror is not an ``https://`` (or explicit ``file://``) URL.
      DataFormatError: a file is missing, corrupt, or cannot be downloaded.
      ChecksumError: a file (cached or downloaded) does not match its published checksum.

    Examples:
      >>> x_tr, y_tr, x_te, y_te = load_mnist("../shared/data/mnist")  # doctest: +SKIP
      >>> x_tr.shape, y_te[:3]  # doctest: +SKIP
      ((60000, 28, 28), array([7, 2, 1], dtype=int32))
    """
    mirrors = _check_mirrors(mirrors)
    folder = Path(path) if path is not None else Path(cache_dir or _default_cache())
    files = {}
    for name, digest in MNIST_FILES.items():
        f = folder / name
        if not f.exists():
            if path is None and download:
                f = _fetch(name, folder, mirrors)
            else:
                raise errors.DataFormatError(
                    f"{f} does not exist; pass the folder holding the four MNIST .gz files "
                    "or call load_mnist() with download=True."
                )
        if verify and _sha256(f) != digest:
            raise errors.ChecksumError(
                f"{f} has the wrong sha256 (expected {digest[:12]}…); the file is corrupt or "
                "not the canonical MNIST file: delete it and download it again."
            )
        files[name] = read_idx(f)
    x_tr, y_tr = files["train-images-idx3-ubyte.gz"], files["train-labels-idx1-ubyte.gz"]
    x_te, y_te = files["t10k-images-idx3-ubyte.gz"], files["t10k-labels-idx1-ubyte.gz"]
    if normalize:
        x_tr = x_tr.astype(np.float32) / 255.0
        x_te = x_te.astype(np.float32) / 255.0
    return x_tr, y_tr.astype(np.int32), x_te, y_te.astype(np.int32)
