import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.finetune import label_logprobs, zero_shot


@pytest.mark.slow  # compile-bound: ~30-140 s wall on the loaded 2-core box
def test_label_logprobs_equal_a_direct_computation(tiny):
    cfg, model, params = tiny
    ctx, verbs = [[1, 2, 3], [4]], [[5], [6, 7]]
    s = label_logprobs(model.apply, params, ctx, verbs, block_size=cfg.block_size)
    for i, c in enumerate(ctx):
        for j, v in enumerate(verbs):
            seq = jnp.asarray([c + v])
            logp = jax.nn.log_softmax(model.apply(params, seq)[0], -1)
            want = sum(float(logp[len(c) - 1 + t, v[t]]) for t in range(len(v)))
            assert s[i, j] == pytest.approx(want, abs=1e-4)
    m = label_logprobs(model.apply, params, ctx, verbs, block_size=cfg.block_size,
                       normalize="mean")
    np.testing.assert_allclose(m[:, 1], s[:, 1] / 2, rtol=1e-5)
    # a context longer than the model keeps its last tokens
    long = label_logprobs(model.apply, params, [list(range(1, 13)) * 2], verbs,
                          block_size=cfg.block_size)
    assert np.isfinite(long).all()


def test_zero_shot_on_text_and_bad_input(tiny):
    cfg, model, params = tiny
    tok = jf.data.fit_char_tokenizer("abcdefgh ijk")  # 12 characters, vocab 13 > 12
    s = zero_shot(model.apply, params, tok, ["abc", "hij"], block_size=cfg.block_size,
                  template="{} k", verbalizers=(" a", " b"), calibrate=True)
    assert s.shape == (2, 2) and np.isfinite(s).all()
    with pytest.raises(errors.ValidationError, match="'\\{\\}'"):
        zero_shot(model.apply, params, tok, ["a"], block_size=12, template="no slot")
    with pytest.raises(errors.ValidationError, match="at least two"):
        label_logprobs(model.apply, params, [[1]], [[2]], block_size=12)
    with pytest.raises(errors.ValidationError, match="normalize"):
        label_logprobs(model.apply, params, [[1]], [[2], [3]], block_size=12, normalize="max")
