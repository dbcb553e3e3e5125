"""Tokenizers: nanoGPT's character ids, unknown characters, bytes, JSON save/load."""

import json

import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data import (
    CharVocab,
    Tokenizer,
    byte_tokenizer,
    char_tokenizer,
    fit_char_tokenizer,
    load_tokenizer,
    read_text,
    save_tokenizer,
)
from tests.conftest import shared_path

SAMPLE = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak."


def nanogpt_ids(text):
    """nanoGPT's data/shakespeare_char/prepare.py, verbatim logic."""
    chars = sorted(list(set(text)))
    stoi = {ch: i for i, ch in enumerate(chars)}
    return chars, [stoi[c] for c in text]


def test_char_ids_equal_nanogpt_prepare():
    tok = fit_char_tokenizer(SAMPLE)
    chars, ids = nanogpt_ids(SAMPLE)
    assert isinstance(tok, Tokenizer) and tok.vocab_size == len(chars)
    assert list(tok.vocab.chars) == chars
    out = tok.encode(SAMPLE)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, ids)
    assert tok.decode(out) == SAMPLE


def test_tiny_shakespeare_vocabulary_is_nanogpts():
    text = read_text(shared_path("text", "tinyshakespeare", "input.txt"))
    tok = fit_char_tokenizer(text)
    chars, ids = nanogpt_ids(text)
    assert tok.vocab_size == 65  # prepare.py: "vocab size: 65"
    printed = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # prepare.py
    assert "".join(tok.vocab.chars) == printed
    np.testing.assert_array_equal(tok.encode(text), ids)


def test_non_ascii_and_astral_characters_round_trip():
    text = "naïve 日本語 😀 e\u0301"  # combining accent stays its own character
    tok = fit_char_tokenizer(text)
    chars, ids = nanogpt_ids(text)
    np.testing.assert_array_equal(tok.encode(text), ids)
    assert tok.decode(tok.encode(text)) == text


def test_unknown_characters_raise_naming_them():
    tok = fit_char_tokenizer("abc")
    with pytest.raises(errors.ValidationError, match=r"2 character\(s\).*'xz'.*index 1"):
        tok.encode("axbz")


def test_unk_policy_uses_the_last_id_and_keeps_known_ids():
    plain = fit_char_tokenizer(SAMPLE)
    tok = fit_char_tokenizer(SAMPLE, unk="<unk>")
    assert tok.vocab_size == plain.vocab_size + 1
    np.testing.assert_array_equal(tok.encode(SAMPLE), plain.encode(SAMPLE))
    ids = tok.encode("hear 7 me")
    assert ids[5] == tok.vocab_size - 1
    assert tok.decode(ids) == "hear <unk> me"


def test_char_tokenizer_checks_its_vocabulary():
    with pytest.raises(errors.ValidationError, match="repeats 'a'"):
        char_tokenizer(CharVocab(("a", "b", "a")))
    with pytest.raises(errors.ValidationError, match="single characters"):
        char_tokenizer(CharVocab(("a", "bc")))
    with pytest.raises(errors.ValidationError, match="unk"):
        char_tokenizer(CharVocab(("a",), unk=""))
    with pytest.raises(errors.EmptyDataError):
        fit_char_tokenizer("")
    with pytest.raises(errors.DTypeError, match="str"):
        fit_char_tokenizer(b"abc")


def test_decode_rejects_ids_out_of_range_and_bad_shapes():
    tok = fit_char_tokenizer("abc")
    assert tok.decode([]) == ""
    with pytest.raises(errors.ValidationError, match=r"\[0, 3\)"):
        tok.decode([0, 3])
    with pytest.raises(errors.ValidationError, match=r"\[0, 3\)"):
        tok.decode([-1])
    with pytest.raises(errors.ShapeError, match="expected rank 1"):
        tok.decode([[0, 1]])
    with pytest.raises(errors.DTypeError, match="integers"):
        tok.decode([0.0, 1.0])


def test_byte_tokenizer():
    tok = byte_tokenizer()
    assert tok.vocab_size == 256 and tok.vocab is None
    text = "naïve 😀"
    ids = tok.encode(text)
    np.testing.assert_array_equal(ids, list(text.encode("utf-8")))
    assert tok.decode(ids) == text
    np.testing.assert_array_equal(tok.encode(b"\xff\x00"), [255, 0])
    assert tok.decode([0xC3]) == "\ufffd"  # a cut multi-byte sequence: replaced
    with pytest.raises(errors.ValidationError):
        tok.decode([256])


@pytest.mark.parametrize("make", [
    lambda: fit_char_tokenizer(SAMPLE),
    lambda: fit_char_tokenizer(SAMPLE + "é😀", unk="<unk>"),
    byte_tokenizer,
])
def test_json_round_trip(tmp_path, make):
    tok = make()
    p = tmp_path / "tok.json"
    save_tokenizer(p, tok)
    json.loads(p.read_text(encoding="utf-8"))  # plain JSON
    back = load_tokenizer(p)
    assert back.vocab_size == tok.vocab_size and back.vocab == tok.vocab
    text = SAMPLE if tok.vocab is None or tok.vocab.unk is None else SAMPLE + "é😀?"
    np.testing.assert_array_equal(back.encode(text), tok.encode(text))
    ids = tok.encode(text)
    assert back.decode(ids) == tok.decode(ids)


@pytest.mark.parametrize("content, match", [
    (b"\x80\x04pickle", "not a JSON file"),
    (b"{not json", "not a JSON file"),
    (b'{"weights": [1, 2]}', "not a jaxfound tokenizer"),
    (b'[1, 2, 3]', "not a jaxfound tokenizer"),
    (b'{"format": "jaxfound.tokenizer", "version": 99, "kind": "char"}', "version 99"),
    (b'{"format": "jaxfound.tokenizer", "version": 1, "kind": "bpe"}', "kind 'bpe'"),
    (b'{"format": "jaxfound.tokenizer", "version": 1, "kind": "char", "chars": "ab"}',
     "list of characters"),
    (b'{"format": "jaxfound.tokenizer", "version": 1, "kind": "char", "chars": ["a", "a"]}',
     "corrupt vocabulary"),
])
def test_load_rejects_corrupt_and_foreign_files(tmp_path, content, match):
    p = tmp_path / "bad.json"
    p.write_bytes(content)
    with pytest.raises(errors.DataFormatError, match=match):
        load_tokenizer(p)


def test_save_rejects_non_tokenizers(tmp_path):
    with pytest.raises(errors.ValidationError, match="Tokenizer"):
        save_tokenizer(tmp_path / "x.json", {"chars": "abc"})
