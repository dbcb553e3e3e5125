"""Text corpora and LM windows: read_text, split_tokens, sample_windows (vs nanoGPT)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data import fit_char_tokenizer, read_text, sample_windows, split_tokens
from tests.conftest import shared_path

# --- read_text ---------------------------------------------------------------------------


def test_read_text_round_trips_utf8_without_newline_translation(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes("héllo\r\nwörld\n".encode())
    assert read_text(p) == "héllo\r\nwörld\n"


def test_read_text_empty_file(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    with pytest.raises(errors.EmptyDataError, match="empty"):
        read_text(p)


def test_read_text_undecodable_names_the_byte_offset(tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes(b"abc" + "é".encode("latin-1") + b"def")  # 0xE9 at offset 3
    with pytest.raises(errors.DataFormatError, match="byte offset 3"):
        read_text(p)


def test_read_text_min_length(tmp_path):
    p = tmp_path / "short.txt"
    p.write_text("abcdef", encoding="utf-8")
    assert read_text(p, min_length=6) == "abcdef"
    with pytest.raises(errors.ValidationError, match="6 characters, fewer than min_length=7"):
        read_text(p, min_length=7)
    with pytest.raises(errors.ValidationError, match="min_length"):
        read_text(p, min_length=0)


def test_tiny_shakespeare_as_nanogpt_reads_it():
    path = shared_path("text", "tinyshakespeare", "input.txt")
    text = read_text(path)
    with open(path) as f:  # nanoGPT's prepare.py: open(..., 'r').read()
        assert text == f.read()
    assert len(text) == 1_115_394
    ids = fit_char_tokenizer(text).encode(text)
    train, val = split_tokens(ids, val_fraction=0.1)
    assert (len(train), len(val)) == (1_003_854, 111_540)  # prepare.py's printed counts
    n = len(text)
    np.testing.assert_array_equal(train, ids[: int(n * 0.9)])


# --- split_tokens --------------------------------------------------------------------------


def test_split_tokens_is_contiguous_head_and_tail():
    tokens = jnp.arange(1000)
    train, val = split_tokens(tokens, val_fraction=0.25)
    assert isinstance(train, jax.Array)
    np.testing.assert_array_equal(train, np.arange(750))
    np.testing.assert_array_equal(val, np.arange(750, 1000))


@pytest.mark.parametrize("f", [0.0, 1.0, -0.1, 1.5, "0.1", True])
def test_split_tokens_bad_fraction(f):
    with pytest.raises(errors.ValidationError, match="val_fraction"):
        split_tokens(np.arange(10), val_fraction=f)


def test_split_tokens_empty_part_and_rank():
    train, val = split_tokens(np.arange(3), val_fraction=0.1)  # int(3 * 0.9) = 2
    assert (len(train), len(val)) == (2, 1)
    with pytest.raises(errors.ValidationError, match="both parts"):
        split_tokens(np.arange(1), val_fraction=0.5)
    with pytest.raises(errors.ShapeError, match="tokens"):
        split_tokens(np.zeros((4, 4), int))


# --- sample_windows ------------------------------------------------------------------------


def test_windows_are_slices_and_targets_shift_by_one():
    tokens = jnp.asarray(np.random.default_rng(0).integers(0, 65, 500), jnp.int32)
    x, y = sample_windows(jax.random.key(0), tokens, batch_size=16, block_size=32)
    assert x.shape == y.shape == (16, 32) and x.dtype == tokens.dtype
    t = np.asarray(tokens)
    for xb, yb in zip(np.asarray(x), np.asarray(y)):
        # locate the window: tokens are random, so its start is (almost surely) unique
        starts = [s for s in range(len(t) - 32) if np.array_equal(t[s:s + 32], xb)]
        assert starts, "window is not a slice of tokens"
        np.testing.assert_array_equal(yb, t[starts[0] + 1: starts[0] + 33])


def test_window_starts_cover_exactly_nanogpt_range():
    # tokens = arange, so a window's first input IS its start; nanoGPT draws
    # torch.randint(len(data) - block_size): starts in [0, n - block_size - 1]
    n, block = 20, 5
    x, y = sample_windows(jax.random.key(1), jnp.arange(n), batch_size=4000, block_size=block)
    starts = np.asarray(x[:, 0])
    assert starts.min() == 0 and starts.max() == n - block - 1
    counts = np.bincount(starts, minlength=n - block)
    assert len(counts) == n - block
    # uniform over 15 starts: each expected 266.7, sd 15.8; 5 sd bounds
    assert np.all(np.abs(counts - 4000 / 15) < 5 * 15.8)
    assert int(y.max()) == n - 1  # the last token is reachable as a target


def test_windows_jit_and_scan_and_determinism():
    tokens = jnp.arange(300, dtype=jnp.int32)

    @jax.jit
    def draw(key, tokens):
        return sample_windows(key, tokens, 8, 16)

    a = draw(jax.random.key(3), tokens)
    b = sample_windows(jax.random.key(3), tokens, 8, 16)
    np.testing.assert_array_equal(a[0], b[0])
    c = sample_windows(jax.random.key(4), tokens, 8, 16)
    assert not np.array_equal(a[0], c[0])

    def body(carry, key):
        x, y = sample_windows(key, tokens, 4, 16)
        return carry + jnp.sum(y - x), None  # arange: y - x == 1 everywhere

    total, _ = jax.lax.scan(body, 0, jax.random.split(jax.random.key(5), 10))
    assert int(total) == 10 * 4 * 16


def test_windows_bad_input():
    with pytest.raises(errors.ValidationError, match="block_size=10 needs at least .* 11 tokens"):
        sample_windows(jax.random.key(0), jnp.arange(10), 2, 10)
    sample_windows(jax.random.key(0), jnp.arange(11), 2, 10)  # exactly enough
    with pytest.raises(errors.DTypeError, match="integer"):
        sample_windows(jax.random.key(0), jnp.arange(100.0), 2, 10)
    with pytest.raises(errors.ShapeError, match="tokens"):
        sample_windows(jax.random.key(0), jnp.zeros((10, 10), int), 2, 4)
    with pytest.raises(errors.ValidationError, match="batch_size"):
        sample_windows(jax.random.key(0), jnp.arange(100), 0, 4)
    with pytest.raises(errors.ValidationError, match="block_size"):
        sample_windows(jax.random.key(0), jnp.arange(100), 2, 4.0)
    with pytest.raises(errors.ValidationError, match="block_size=10"):  # also under jit
        jax.jit(lambda t: sample_windows(jax.random.key(0), t, 2, 10))(jnp.arange(10))
