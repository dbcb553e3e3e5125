import numpy as np
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.finetune import encode_texts, pad


def test_pad_and_truncation_policies():
    p = pad([[1, 2, 3, 4, 5], [6]], 3, truncation="head", pad_id=9)
    assert p.tokens.tolist() == [[1, 2, 3], [6, 9, 9]] and p.truncated == 1
    assert p.mask.tolist() == [[True] * 3, [True, False, False]] and p.lengths.tolist() == [3, 1]
    assert pad([[1, 2, 3, 4, 5]], 3, truncation="tail").tokens.tolist() == [[3, 4, 5]]
    assert pad([[1, 2]], 3).truncated == 0


def test_pad_bad_input():
    with pytest.raises(errors.ShapeError, match="1 of 2 sequences are longer than length=3"):
        pad([[1, 2, 3, 4], [1]], 3)
    with pytest.raises(errors.ValidationError, match="truncation"):
        pad([[1]], 3, truncation="middle")
    with pytest.raises(errors.EmptyDataError):
        pad([[1], []], 3)
    with pytest.raises(errors.EmptyDataError):
        pad([], 3)


def test_unknown_characters_policy():
    tok = jf.data.fit_char_tokenizer("the good bad")
    enc = encode_texts(tok, ["the café", "bad"], 10, unknown=" ")
    assert enc.replaced == 3  # 'c', 'f' and 'é'
    assert tok.decode(enc.padded.tokens[0][enc.padded.mask[0]]) == "the  a  "
    with pytest.raises(errors.ValidationError, match="not in the tokenizer's vocabulary"):
        encode_texts(tok, ["café"], 10)
    with pytest.raises(errors.ValidationError, match="one character of the tokenizer"):
        encode_texts(tok, ["x"], 10, unknown="?")
    unk = jf.data.fit_char_tokenizer("ab", unk="<unk>")
    e = encode_texts(unk, ["abz"], 4)
    assert e.padded.tokens[0, :3].tolist() == [0, 1, 2] and e.replaced == 0
    assert np.asarray(e.padded.tokens).dtype == np.int32
