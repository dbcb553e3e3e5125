r"""Variable-length sentences as one padded batch with a mask, and the policies that need.

Rows are **right-padded**: row $i$ holds its $n_i$ tokens at positions $0..n_i-1$ and
``pad_id`` after, with mask $m_{it} = [t < n_i]$. With a causal model the features of the
real tokens never see the padding, so padding changes no prediction (tested in the head).

**Truncation policy** (a sentence longer than the context ``length``): ``"error"``
(default) raises and says how many rows are too long; ``"head"`` keeps the first
``length`` tokens (drops the end); ``"tail"`` keeps the last ``length`` tokens (drops the
beginning, the end of a review often carries its verdict). How many rows were cut is
returned (`Padded.truncated`), never silent.

**Unknown characters** (`encode_texts`): a character the tokenizer does not know
(``"é"`` for a Shakespeare vocabulary) raises by default; ``unknown=" "`` maps each such
character to that known character (the count comes back in `Encoded.replaced`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from jaxfound import _validate, errors
from jaxfound.data import Tokenizer

__all__ = ["TRUNCATION", "Padded", "Encoded", "pad", "encode_texts"]

#: the truncation policies of `pad`
TRUNCATION = ("error", "head", "tail")


class Padded(NamedTuple):
    """A right-padded batch.

    Attributes:
      tokens: ``(n, length)`` int32 ids, ``pad_id`` after each row's end.
      mask: ``(n, length)`` bool, True on real tokens.
      lengths: ``(n,)`` int32 tokens kept per row.
      truncated: how many rows were cut to ``length``.
    """

    tokens: np.ndarray
    mask: np.ndarray
    lengths: np.ndarray
    truncated: int


class Encoded(NamedTuple):
    """`Padded` texts and how many unknown characters were replaced.

    Attributes:
      padded: the `Padded` batch.
      replaced: characters mapped to ``unknown``.
    """

    padded: Padded
    replaced: int


def pad(
    sequences: Sequence[Sequence[int] | np.ndarray],
    length: int,
    *,
    pad_id: int = 0,
    truncation: str = "error",
) -> Padded:
    """Right-pad token sequences to ``length`` with a mask (see the module's policies).

    Args:
      sequences: one id sequence per row, each of at least one token.
      length: the padded width (the model's context, or less).
      pad_id: the id after each row's end (masked out; any valid id).
      truncation: ``"error"``, ``"head"`` or ``"tail"``.

    Returns:
      `Padded`.

    Raises:
      jaxfound.errors.ShapeError: a row longer than ``length`` with ``truncation="error"``.
      jaxfound.errors.EmptyDataError: no rows, or an empty row.
      jaxfound.errors.ValidationError: an unknown policy, a bad ``length`` or ``pad_id``.

    Examples:
      >>> p = pad([[5, 6, 7], [8]], 4)
      >>> p.tokens.tolist(), p.mask.sum(1).tolist()
      ([[5, 6, 7, 0], [8, 0, 0, 0]], [3, 1])
      >>> pad([[1, 2, 3, 4]], 2, truncation="tail").tokens.tolist()
      [[3, 4]]
    """
    if truncation not in TRUNCATION:
        raise errors.ValidationError(
            f"truncation={truncation!r}; choose one of {TRUNCATION} (see jaxfound.finetune.pad)."
        )
    length = _validate.positive_int(length, "length")
    pad_id = _validate.positive_int(pad_id, "pad_id", minimum=0)
    rows = [np.asarray(s, np.int64).reshape(-1) for s in sequences]
    if not rows:
        raise errors.EmptyDataError("sequences is empty; give at least one sentence.")
    sizes = np.array([len(r) for r in rows])
    if (sizes == 0).any():
        raise errors.EmptyDataError(
            f"row {int(np.argmin(sizes))} has no tokens; drop empty sentences first."
        )
    long = sizes > length
    if long.any() and truncation == "error":
        raise errors.ShapeError(
            f"{int(long.sum())} of {len(rows)} sequences are longer than length={length} (the "
            f"longest has {int(sizes.max())} tokens); raise length (the model's context) or "
            "choose truncation='head' (keep the start) or 'tail' (keep the end)."
        )
    tokens = np.full((len(rows), length), pad_id, np.int32)
    for i, r in enumerate(rows):
        r = r[:length] if truncation == "head" else r[-length:]
        tokens[i, :len(r)] = r
    lengths = np.minimum(sizes, length).astype(np.int32)
    mask = np.arange(length)[None, :] < lengths[:, None]
    return Padded(tokens, mask, lengths, int(long.sum()))


def encode_texts(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    length: int,
    *,
    unknown: str | None = None,
    pad_id: int = 0,
    truncation: str = "error",
) -> Encoded:
    """Tokenize ``texts`` and `pad` them, replacing characters the vocabulary lacks.

    Args:
      tokenizer: a `jaxfound.data.Tokenizer` (character or byte).
      texts: the sentences.
      length: the padded width.
      unknown: ``None``: an unknown character raises (the tokenizer's own error); a
        character of the vocabulary (e.g. ``" "``): each unknown character becomes it.
        (A tokenizer fitted with ``unk=`` maps them to its unknown id by itself.)
      pad_id: see `pad`.
      truncation: see `pad`.

    Returns:
      `Encoded`.

    Raises:
      jaxfound.errors.ValidationError: ``unknown`` is not a single character of the
        vocabulary, or an unknown character with ``unknown=None``; and `pad`'s errors.

    Examples:
      >>> import jaxfound as jf
      >>> tok = jf.data.fit_char_tokenizer("ab ")
      >>> e = encode_texts(tok, ["abc", "b"], 4, unknown=" ")
      >>> e.padded.tokens.tolist(), e.replaced
      ([[1, 2, 0, 0], [2, 0, 0, 0]], 1)
    """
    texts = list(texts)
    chars = tokenizer.vocab.chars if tokenizer.vocab is not None else None
    replaced = 0
    if unknown is not None and chars is not None:
        if not (isinstance(unknown, str) and len(unknown) == 1 and unknown in chars):
            raise errors.ValidationError(
                f"unknown={unknown!r} must be one character of the tokenizer's vocabulary "
                "(e.g. ' '), or None to raise on unknown characters."
            )
        known = set(chars)
        fixed = []
        for t in texts:
            bad = sum(c not in known for c in t)
            if bad:
                t = "".join(c if c in known else unknown for c in t)
                replaced += bad
            fixed.append(t)
        texts = fixed
    seqs = [tokenizer.encode(t) for t in texts]
    return Encoded(pad(seqs, length, pad_id=pad_id, truncation=truncation), replaced)
