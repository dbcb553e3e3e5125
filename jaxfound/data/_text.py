"""Read a text corpus (UTF-8) with clear errors for empty, undecodable or too-short files."""

from __future__ import annotations

import os

from jaxfound import _validate, errors

__all__ = ["read_text"]


def read_text(path: str | os.PathLike, *, min_length: int | None = None) -> str:
    """Read a UTF-8 text file whole (nanoGPT's ``prepare.py`` step, strictly checked).

    The text is returned exactly as stored: unlike Python's text mode there is no newline
    translation, so a ``\\r\\n`` file keeps its ``\\r``. Tiny Shakespeare (LF only) reads
    as nanoGPT reads it: 1,115,394 characters.

    Args:
      path: the file.
      min_length: the fewest characters the corpus must hold, e.g. one context window plus
        one (``block_size + 1``) for language-model windows. ``None``: any non-empty text.

    Returns:
      The decoded text.

    Raises:
      FileNotFoundError: no such file.
      jaxfound.errors.EmptyDataError: the file is empty.
      jaxfound.errors.DataFormatError: the bytes are not valid UTF-8 (the message gives the
        byte offset of the first bad byte).
      jaxfound.errors.ValidationError: the text is shorter than ``min_length``.

    Examples:
      >>> import pathlib, tempfile
      >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.txt"
      >>> _ = p.write_text("to be, or not to be", encoding="utf-8")
      >>> read_text(p, min_length=9)[:5]
      'to be'
    """
    if min_length is not None:
        min_length = _validate.positive_int(min_length, "min_length")
    with open(path, "rb") as f:
        raw = f.read()
    if not raw:
        raise errors.EmptyDataError(f"the text file {os.fspath(path)!r} is empty; pass a corpus "
                                    "with at least one character.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise errors.DataFormatError(
            f"the text file {os.fspath(path)!r} is not valid UTF-8: byte offset {e.start} "
            f"({raw[e.start:e.start + 1]!r}: {e.reason}); re-encode it as UTF-8 (e.g. `iconv -f "
            "latin1 -t utf-8`) or read it as bytes and use byte_tokenizer."
        ) from e
    if min_length is not None and len(text) < min_length:
        raise errors.ValidationError(
            f"the text file {os.fspath(path)!r} holds {len(text)} characters, fewer than "
            f"min_length={min_length}; use a longer corpus or a smaller block_size."
        )
    return text
