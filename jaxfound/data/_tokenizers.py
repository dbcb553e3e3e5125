r"""Tokenizers: characters fitted on a corpus, or raw UTF-8 bytes; saved as JSON.

A `Tokenizer` is a NamedTuple of two pure functions closed over an immutable vocabulary,
like optax's ``GradientTransformation`` closes over its hyperparameters:

$$
\mathrm{ids} = \mathrm{encode}(\mathrm{text}), \qquad
\mathrm{text} = \mathrm{decode}(\mathrm{ids}), \qquad
0 \le \mathrm{id} < \mathrm{vocab\_size}.
$$

``fit_char_tokenizer(text)`` gives id $i$ to the $i$-th of the sorted unique characters of
``text``, exactly as nanoGPT's ``data/shakespeare_char/prepare.py`` (65 ids on Tiny
Shakespeare), so the same ids come out. ``byte_tokenizer()`` needs no fitting: the ids are
the text's UTF-8 bytes (256 ids). `save_tokenizer` / `load_tokenizer` write and read a small
JSON file (never pickle).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from jaxfound import _validate, errors
from jaxfound.typing import ArrayLike

__all__ = [
    "CharVocab",
    "Tokenizer",
    "fit_char_tokenizer",
    "char_tokenizer",
    "byte_tokenizer",
    "save_tokenizer",
    "load_tokenizer",
]

FORMAT = "jaxfound.tokenizer"
VERSION = 1
BYTE_VOCAB = 256


class CharVocab(NamedTuple):
    """The state of a character tokenizer.

    Attributes:
      chars: the characters in id order: id ``i`` decodes to ``chars[i]``.
      unk: the text of the unknown token, whose id is the LAST one (``len(chars)``), so the
        ids of the known characters are the same with or without it; ``None``: unknown
        characters are an error.
    """

    chars: tuple[str, ...]
    unk: str | None = None


class Tokenizer(NamedTuple):
    """``encode(text) -> ids`` and ``decode(ids) -> text`` over ``vocab_size`` ids.

    Attributes:
      encode: a ``str`` (or, for bytes, ``bytes``) to a NumPy ``int32`` array ``(n,)``.
      decode: a 1-D sequence of ids to a ``str``.
      vocab_size: the number of ids, ``0 <= id < vocab_size``.
      vocab: the `CharVocab` of a character tokenizer, ``None`` for the byte tokenizer.
    """

    encode: Callable[[str], np.ndarray]
    decode: Callable[[ArrayLike], str]
    vocab_size: int
    vocab: CharVocab | None


def fit_char_tokenizer(text: str, *, unk: str | None = None) -> Tokenizer:
    """A character tokenizer over the sorted unique characters of ``text`` (nanoGPT's order).

    Args:
      text: the corpus.
      unk: ``None`` (default): encoding a character not in ``text`` raises. A string such
        as ``"<unk>"``: unknown characters map to one extra id, the last
        (``vocab_size - 1``), which decodes to ``unk``.

    Returns:
      The fitted `Tokenizer`.

    Raises:
      jaxfound.errors.EmptyDataError: ``text`` is empty.
      jaxfound.errors.DTypeError: ``text`` is not a ``str``.

    Examples:
      >>> tok = fit_char_tokenizer("hello world")
      >>> tok.vocab_size, tok.encode("hold").tolist()
      (8, [3, 5, 4, 1])
      >>> tok.decode([3, 2, 4, 4, 5])
      'hello'
    """
    _check_text(text, "text")
    if not text:
        raise errors.EmptyDataError("text is empty; fit the tokenizer on a non-empty corpus.")
    return char_tokenizer(CharVocab(tuple(sorted(set(text))), unk))


def char_tokenizer(vocab: CharVocab) -> Tokenizer:
    """The character `Tokenizer` of a given vocabulary (e.g. one read from JSON).

    Args:
      vocab: the characters in id order and the unknown-token policy.

    Returns:
      The `Tokenizer`.

    Raises:
      jaxfound.errors.ValidationError: the characters are not distinct single characters,
        or ``unk`` is not ``None`` or a non-empty string.

    Examples:
      >>> tok = char_tokenizer(CharVocab(("a", "b"), unk="?"))
      >>> tok.encode("abc").tolist(), tok.decode([1, 2])
      ([0, 1, 2], 'b?')
    """
    chars, unk = _check_vocab(vocab)
    codes = np.array([ord(c) for c in chars], dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    table = list(chars) + ([unk] if unk is not None else [])
    size = len(table)

    def encode(text: str) -> np.ndarray:
        _check_text(text, "text")
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)
        pos = np.minimum(np.searchsorted(sorted_codes, cps), len(chars) - 1)
        known = sorted_codes[pos] == cps
        ids = order[pos].astype(np.int32)
        if not known.all():
            if unk is None:
                bad = sorted({chr(c) for c in cps[~known]})
                shown = "".join(bad[:20]) + ("..." if len(bad) > 20 else "")
                raise errors.ValidationError(
                    f"text holds {len(bad)} character(s) not in the tokenizer's vocabulary: "
                    f"{shown!r} (first at index {int(np.argmin(known))}); fit the tokenizer on "
                    "a corpus that contains them, or fit it with unk='<unk>'."
                )
            ids[~known] = len(chars)
        return ids

    def decode(ids: ArrayLike) -> str:
        ids = _check_ids(ids, size)
        return "".join(table[i] for i in ids.tolist())

    return Tokenizer(encode, decode, size, CharVocab(chars, unk))


def byte_tokenizer() -> Tokenizer:
    """The UTF-8 byte tokenizer: 256 ids, nothing to fit, every text encodable.

    ``decode`` replaces byte sequences that are not valid UTF-8 (which sampling can
    produce) with U+FFFD, so it never raises on ids in range.

    Returns:
      The `Tokenizer` (``vocab=None``).

    Examples:
      >>> tok = byte_tokenizer()
      >>> tok.encode("né").tolist(), tok.decode(tok.encode("né"))
      ([110, 195, 169], 'né')
    """

    def encode(text: str | bytes) -> np.ndarray:
        raw = text if isinstance(text, bytes) else _check_text(text, "text").encode("utf-8")
        return np.frombuffer(raw, dtype=np.uint8).astype(np.int32)

    def decode(ids: ArrayLike) -> str:
        ids = _check_ids(ids, BYTE_VOCAB)
        return ids.astype(np.uint8).tobytes().decode("utf-8", errors="replace")

    return Tokenizer(encode, decode, BYTE_VOCAB, None)


def save_tokenizer(path: str | os.PathLike, tokenizer: Tokenizer) -> None:
    """Write ``tokenizer`` as a small UTF-8 JSON file (no pickle).

    Args:
      path: the file to write.
      tokenizer: a `Tokenizer` from this module.

    Examples:
      >>> import pathlib, tempfile
      >>> p = pathlib.Path(tempfile.mkdtemp()) / "tok.json"
      >>> save_tokenizer(p, fit_char_tokenizer("abc"))
      >>> load_tokenizer(p).encode("cab").tolist()
      [2, 0, 1]
    """
    if not isinstance(tokenizer, Tokenizer):
        raise errors.ValidationError(
            f"tokenizer must be a jaxfound.data.Tokenizer, got {type(tokenizer).__name__}."
        )
    doc: dict = {"format": FORMAT, "version": VERSION}
    if tokenizer.vocab is None:
        doc["kind"] = "byte"
    else:
        doc.update(kind="char", chars=list(tokenizer.vocab.chars), unk=tokenizer.vocab.unk)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=True, indent=1)


def load_tokenizer(path: str | os.PathLike) -> Tokenizer:
    """Read a tokenizer written by `save_tokenizer`.

    Args:
      path: the JSON file.

    Returns:
      The `Tokenizer`, encoding and decoding exactly as the saved one.

    Raises:
      FileNotFoundError: no such file.
      jaxfound.errors.DataFormatError: the file is not JSON, or not a jaxfound tokenizer
        (wrong ``format``/``version``/``kind``, or a corrupt vocabulary).
    """
    where = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise errors.DataFormatError(
            f"{where!r} is not a JSON file ({e}); pass a file written by save_tokenizer."
        ) from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise errors.DataFormatError(
            f"{where!r} is JSON but not a jaxfound tokenizer (no \"format\": \"{FORMAT}\"); "
            "pass a file written by save_tokenizer."
        )
    if doc.get("version") != VERSION:
        raise errors.DataFormatError(
            f"{where!r} is a tokenizer of version {doc.get('version')!r}; this jaxfound reads "
            f"version {VERSION}. Save it again with this version."
        )
    kind = doc.get("kind")
    if kind == "byte":
        return byte_tokenizer()
    if kind != "char":
        raise errors.DataFormatError(
            f"{where!r} holds a tokenizer of kind {kind!r}; expected 'char' or 'byte'."
        )
    chars, unk = doc.get("chars"), doc.get("unk")
    if not isinstance(chars, list):
        raise errors.DataFormatError(f"{where!r}: \"chars\" must be a list of characters.")
    try:
        return char_tokenizer(CharVocab(tuple(chars), unk))
    except errors.ValidationError as e:
        raise errors.DataFormatError(f"{where!r} holds a corrupt vocabulary: {e}") from e


# --- checks -----------------------------------------------------------------------------


def _check_text(text, name: str) -> str:
    if not isinstance(text, str):
        raise errors.DTypeError(
            f"{name} must be a str, got {type(text).__name__}; decode bytes first (or use "
            "byte_tokenizer, whose encode also takes bytes)."
        )
    return text


def _check_vocab(vocab) -> tuple[tuple[str, ...], str | None]:
    if not isinstance(vocab, CharVocab):
        raise errors.ValidationError(
            f"vocab must be a CharVocab, got {type(vocab).__name__}; build one with "
            "fit_char_tokenizer(text) or CharVocab(chars, unk)."
        )
    chars, unk = tuple(vocab.chars), vocab.unk
    if not chars:
        raise errors.ValidationError("vocab.chars is empty; a vocabulary needs a character.")
    if not all(isinstance(c, str) and len(c) == 1 for c in chars):
        bad = next(c for c in chars if not (isinstance(c, str) and len(c) == 1))
        raise errors.ValidationError(
            f"vocab.chars must hold single characters; got {bad!r}."
        )
    if len(set(chars)) != len(chars):
        dup = sorted({c for c in chars if chars.count(c) > 1})
        raise errors.ValidationError(f"vocab.chars repeats {''.join(dup)!r}; each id needs "
                                     "its own character.")
    if unk is not None and not (isinstance(unk, str) and unk):
        raise errors.ValidationError(f"unk={unk!r} must be None or a non-empty string such as "
                                     "'<unk>'.")
    return chars, unk


def _check_ids(ids, size: int) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.size == 0 and arr.ndim == 1:
        return arr.astype(np.int64)
    return np.asarray(_validate.token_ids(arr, "ids", size, ndim=1), dtype=np.int64)
