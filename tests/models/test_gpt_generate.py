"""generate: the KV cache against full re-runs, keys, temperature and top-k, bad input."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.models.gpt import GPT, GPTConfig, generate, init_cache, resolve_attention
from tests.models.test_gpt import TINY, init

CFG = GPTConfig(**TINY)  # block_size 16
PROMPT = jnp.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]], jnp.int32)
N_NEW = 20  # 5 + 20 > 16: the last 9 tokens slide over the context


@functools.cache
def _full(cfg):
    return jax.jit(GPT(cfg).apply)


def full_rerun_logits(params, seq, cfg=CFG):
    """Next-token logits by re-running the model on the last block_size tokens (nanoGPT).

    The window is right-padded to block_size so one compiled function serves every length
    (the model is causal: padding after the last token does not change its logits).
    """
    window = seq[:, -cfg.block_size:]
    t = window.shape[1]
    padded = jnp.pad(window, ((0, 0), (0, cfg.block_size - t)))
    return _full(cfg)(params, padded)[:, t - 1]


def greedy_by_rerun(params, prompt, n):
    seq = prompt
    for _ in range(n):
        nxt = jnp.argmax(full_rerun_logits(params, seq), axis=-1)
        seq = jnp.concatenate([seq, nxt[:, None].astype(seq.dtype)], axis=1)
    return seq


def test_decode_with_cache_gives_the_full_models_logits():
    model, params = init(CFG)
    seq = jax.random.randint(jax.random.key(0), (2, 16), 0, CFG.vocab_size)
    full = _full(CFG)(params, seq)
    decode = jax.jit(functools.partial(model.apply, method=GPT.decode))
    logits, cache = decode(params, seq[:, :6], init_cache(CFG, 2), 0)  # prefill
    np.testing.assert_allclose(logits, full[:, :6], rtol=1e-5, atol=1e-5)
    for p in range(6, 16):  # then one position at a time
        logits, cache = decode(params, seq[:, p:p + 1], cache, p)
        np.testing.assert_allclose(logits[:, 0], full[:, p], rtol=1e-5, atol=1e-5)


def test_greedy_with_cache_equals_greedy_by_full_rerun():
    model, params = init(CFG)
    out = generate(model, params, PROMPT, max_new_tokens=N_NEW, key=None, temperature=0.0)
    assert out.shape == (2, 5 + N_NEW)
    np.testing.assert_array_equal(out[:, :5], PROMPT)
    np.testing.assert_array_equal(out, greedy_by_rerun(params, PROMPT, N_NEW))


def test_both_kernels_generate_the_same():
    model, params = init(CFG)
    other = "xla" if resolve_attention("auto") == "explicit" else "explicit"  # not auto's
    a = generate(model, params, PROMPT, max_new_tokens=N_NEW, key=None, temperature=0.0)
    b = generate(GPT(GPTConfig(**TINY, attention=other)), params, PROMPT,
                 max_new_tokens=N_NEW, key=None, temperature=0.0)
    np.testing.assert_array_equal(a, b)


def test_same_key_same_sample_other_key_other_sample():
    model, params = init(CFG)
    run = functools.partial(generate, model, params, PROMPT, max_new_tokens=N_NEW)
    a, b = run(key=jax.random.key(7)), run(key=jax.random.key(7))
    c = run(key=jax.random.key(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[:, 5:], c[:, 5:])


def test_top_k_1_is_greedy_and_top_k_samples_stay_in_the_top_k():
    model, params = init(CFG)
    greedy = generate(model, params, PROMPT, max_new_tokens=N_NEW, key=None, temperature=0.0)
    top1 = generate(model, params, PROMPT, max_new_tokens=N_NEW, key=jax.random.key(1),
                    temperature=1.5, top_k=1)
    np.testing.assert_array_equal(top1, greedy)
    k = 3
    out = generate(model, params, PROMPT, max_new_tokens=N_NEW, key=jax.random.key(2),
                   temperature=2.0, top_k=k)
    for t in range(5, 5 + N_NEW):  # every new token is among the k largest logits there
        logits = np.asarray(full_rerun_logits(params, out[:, :t]))
        kth = np.sort(logits, axis=-1)[:, -k]
        chosen = logits[np.arange(2), np.asarray(out[:, t])]
        assert np.all(chosen >= kth)
    assert not np.array_equal(out, greedy)  # and it is not just greedy


def test_first_token_distribution_is_softmax_over_temperature_and_top_k():
    model, params = init(CFG)
    n, tau, k = 4000, 0.7, 4
    prompt = jnp.tile(PROMPT[:1], (n, 1))
    out = generate(model, params, prompt, max_new_tokens=1, key=jax.random.key(3),
                   temperature=tau, top_k=k)
    logits = np.asarray(full_rerun_logits(params, PROMPT[:1]), np.float64)[0] / tau
    keep = logits >= np.sort(logits)[-k]
    p = np.where(keep, np.exp(logits - logits.max()), 0.0)
    p /= p.sum()
    freq = np.bincount(np.asarray(out[:, -1]), minlength=CFG.vocab_size) / n
    sd = np.sqrt(p * (1 - p) / n)
    assert np.all(freq[~keep] == 0)
    assert np.all(np.abs(freq - p) <= 5 * sd + 1e-12), (freq[keep], p[keep])


def test_zero_new_tokens_returns_the_prompt():
    model, params = init(CFG)
    out = generate(model, params, PROMPT, max_new_tokens=0, key=None, temperature=0.0)
    np.testing.assert_array_equal(out, PROMPT)


def test_bad_input():
    model, params = init(CFG)
    kw = dict(max_new_tokens=3, key=jax.random.key(0))
    with pytest.raises(errors.ShapeError, match=r"17 tokens, more than the context "
                                                r"block_size=16.*prompt\[\.\.\., -16:\]"):
        generate(model, params, jnp.zeros((1, 17), jnp.int32), **kw)
    with pytest.raises(errors.EmptyDataError, match="prompt"):
        generate(model, params, jnp.zeros((1, 0), jnp.int32), **kw)
    with pytest.raises(errors.ValidationError, match=r"prompt holds ids .* \[0, 32\)"):
        generate(model, params, jnp.array([1, 40]), **kw)
    with pytest.raises(errors.DTypeError, match="prompt"):
        generate(model, params, jnp.array([1.0, 2.0]), **kw)
    with pytest.raises(errors.ValidationError, match="temperature"):
        generate(model, params, PROMPT, temperature=-1.0, **kw)
    with pytest.raises(errors.ValidationError, match="temperature"):
        generate(model, params, PROMPT, temperature=float("nan"), **kw)
    with pytest.raises(errors.ValidationError, match="top_k"):
        generate(model, params, PROMPT, top_k=0, **kw)
    with pytest.raises(errors.ValidationError, match="max_new_tokens"):
        generate(model, params, PROMPT, max_new_tokens=-1, key=None, temperature=0.0)
    with pytest.raises(errors.ValidationError, match="key is None"):
        generate(model, params, PROMPT, max_new_tokens=3, key=None)
    with pytest.raises(errors.ValidationError, match="GPT"):
        generate(lambda p, x: x, params, PROMPT, **kw)
