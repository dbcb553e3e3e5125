import gzip
import shutil
import struct

import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data import MNIST_FILES, load_mnist, read_idx
from tests.conftest import shared_path


def write_idx(path, arr, gz=True):
    codes = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}
    header = bytes([0, 0, codes[arr.dtype.type], arr.ndim]) + struct.pack(
        f">{arr.ndim}I", *arr.shape
    )
    data = header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_roundtrip(tmp_path, dtype, gz):
    arr = (np.arange(24).reshape(2, 3, 4) * 3).astype(dtype)
    p = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(p, arr, gz)
    out = read_idx(p)
    assert out.dtype == np.dtype(dtype) and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)


def test_read_idx_rejects_corrupt_files(tmp_path):
    arr = np.arange(10, dtype=np.uint8)
    p = tmp_path / "a.idx"
    write_idx(p, arr, gz=False)
    raw = p.read_bytes()
    (tmp_path / "trunc.idx").write_bytes(raw[:-3])
    with pytest.raises(errors.DataFormatError, match="truncated"):
        read_idx(tmp_path / "trunc.idx")
    (tmp_path / "magic.idx").write_bytes(b"\x01\x02" + raw[2:])
    with pytest.raises(errors.DataFormatError, match="magic"):
        read_idx(tmp_path / "magic.idx")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8bgarbage")
    with pytest.raises(errors.DataFormatError):
        read_idx(tmp_path / "bad.gz")


def test_real_mnist_matches_documented_facts():
    folder = shared_path("mnist")
    x, y, xt, yt = load_mnist(folder)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert yt[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    np.testing.assert_allclose(x.mean() * 255, 33.3184, atol=1e-3)


def test_checksum_mismatch_and_missing_files(tmp_path):
    folder = shared_path("mnist")
    for name in MNIST_FILES:
        shutil.copy(folder / name, tmp_path / name)
    lab = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(lab.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10
    lab.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(errors.ChecksumError, match="sha256"):
        load_mnist(tmp_path)
    lab.unlink()
    with pytest.raises(errors.DataFormatError, match="does not exist"):
        load_mnist(tmp_path)


def test_download_into_cache_verifies_checksums(tmp_path):
    """The download path, with a local 'mirror' (file:// URL) instead of the network."""
    folder = shared_path("mnist")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in MNIST_FILES:
        shutil.copy(folder / name, mirror / name)
    cache = tmp_path / "cache"
    x, y, xt, yt = load_mnist(cache_dir=cache, mirrors=(mirror.as_uri() + "/",))
    assert len(x) == 60000 and sorted(p.name for p in cache.iterdir()) == sorted(MNIST_FILES)
    # a mirror serving a wrong file is refused and nothing is left under the real name
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in MNIST_FILES:
        (bad / name).write_bytes(b"wrong")
    with pytest.raises(errors.ChecksumError, match="sha256"):
        load_mnist(cache_dir=tmp_path / "c2", mirrors=(bad.as_uri() + "/",))
    assert not any((tmp_path / "c2").glob("*.gz"))


@pytest.mark.parametrize("url", ["http://example.com/mnist/", "ftp://example.com/", "mnist/"])
def test_non_https_mirrors_are_refused_before_any_download(tmp_path, url, monkeypatch):
    from jaxfound.data import _mnist

    monkeypatch.setattr(_mnist, "_download", lambda *a: pytest.fail("downloaded"))
    with pytest.raises(errors.ValidationError, match=r"mirrors\[0\].*https"):
        load_mnist(cache_dir=tmp_path, mirrors=(url,))
    with pytest.raises(errors.ValidationError, match="mirrors"):
        load_mnist(cache_dir=tmp_path, mirrors="https://example.com/")


def test_downloads_use_a_timeout(tmp_path, monkeypatch):
    from jaxfound.data import _mnist

    seen = []

    def fake_urlopen(url, timeout=None):
        seen.append(timeout)
        raise OSError("offline")

    monkeypatch.setattr(_mnist.urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(errors.DataFormatError, match="could not download"):
        load_mnist(cache_dir=tmp_path, mirrors=("https://example.invalid/",))
    assert seen and all(t == _mnist.DOWNLOAD_TIMEOUT for t in seen)
