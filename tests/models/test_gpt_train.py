"""GPT pretraining pieces: nanoGPT's decay mask and schedule, the LM loss, training via fit."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.models.gpt import GPT, GPTConfig, adamw, decay_mask, lm_loss

RECIPE = GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, bias=False)


def _params(cfg):
    return GPT(cfg).init(jax.random.key(0), jnp.zeros((1, cfg.block_size), jnp.int32))


def _counts(params, mask):
    leaves = jax.tree_util.tree_leaves(params)
    flags = jax.tree_util.tree_leaves(mask)
    on = [p.size for p, m in zip(leaves, flags) if m]
    off = [p.size for p, m in zip(leaves, flags) if not m]
    return len(on), sum(on), len(off), sum(off)


def test_decay_mask_matches_nanogpt_counts():
    # nanoGPT's train.py prints, for this config (its CPU recipe, bias=False):
    # "num decayed parameter tensors: 18, with 802,944 parameters"
    # "num non-decayed parameter tensors: 9, with 1,152 parameters"
    params = _params(RECIPE)
    assert _counts(params, decay_mask(params)) == (18, 802_944, 9, 1_152)


def test_decay_mask_can_spare_embeddings():
    params = _params(RECIPE)
    n_on, _, n_off, n_off_size = _counts(params, decay_mask(params, embeddings=False))
    assert (n_on, n_off) == (16, 11)
    assert n_off_size == 1_152 + 65 * 128 + 64 * 128


def _lr_trace(tx, n):
    """Learning rate per step, read off Adam's update of a constant-gradient bias."""
    params = {"b": jnp.zeros(3), "w": jnp.ones((2, 2))}
    grads = {"b": jnp.full(3, 0.5), "w": jnp.zeros((2, 2))}
    state, out = tx.init(params), []
    for _ in range(n):
        upd, state = tx.update(grads, state, params)
        out.append(-float(upd["b"][0]))  # m_hat / sqrt(v_hat) = 1 for a constant gradient
    return np.array(out)


def test_adamw_schedule_is_nanogpts_cosine():
    lr, min_lr, warm, steps = 1e-3, 1e-4, 10, 50
    got = _lr_trace(adamw(lr, steps=steps, warmup_steps=warm, min_learning_rate=min_lr), 60)
    for it in range(warm, 60):  # nanoGPT's get_lr after the warm-up
        ratio = min(1.0, (it - warm) / (steps - warm))
        want = min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (lr - min_lr)
        assert got[it] == pytest.approx(want, rel=1e-5)
    # warm-up: linear from 0 (nanoGPT: (it + 1) / (warmup + 1), one step ahead)
    np.testing.assert_allclose(got[:warm], lr * np.arange(warm) / warm, rtol=1e-5, atol=1e-12)


def test_adamw_decays_only_matrices_and_clips():
    tx = adamw(1e-2, steps=100, warmup_steps=1, min_learning_rate=1e-2, weight_decay=0.5)
    params = {"ln": {"scale": jnp.ones(4)}, "dense": {"kernel": jnp.ones((4, 4))}}
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    state = tx.init(params)
    _, state = tx.update(zeros, state, params)  # step 0: learning rate 0
    upd, _ = tx.update(zeros, state, params)
    np.testing.assert_allclose(upd["dense"]["kernel"], -1e-2 * 0.5 * np.ones((4, 4)), rtol=1e-5)
    np.testing.assert_array_equal(upd["ln"]["scale"], np.zeros(4))
    clip = adamw(1e-2, steps=100, warmup_steps=1, clip_norm=1.0)
    big = jax.tree_util.tree_map(lambda p: 1e6 * jnp.ones_like(p), params)
    _, st = clip.update(big, clip.init(params), params)
    adam_state = st[1][0]  # chain(clip, adamw): Adam's moments saw the clipped gradient
    assert float(optax.tree.norm(adam_state.mu)) == pytest.approx(0.1, rel=1e-5)  # (1-b1)*1


@pytest.mark.parametrize("bad", [dict(steps=0), dict(steps=10, warmup_steps=10),
                                 dict(steps=10, warmup_steps=-1)])
def test_adamw_bad_steps(bad):
    with pytest.raises(errors.ValidationError, match="steps"):
        adamw(1e-3, **bad)


def test_lm_loss_equals_optax_cross_entropy_and_checks_targets():
    cfg = GPTConfig(vocab_size=7, block_size=8, n_layer=1, n_head=2, n_embd=8)
    model, params = GPT(cfg), _params(cfg)
    x = jax.random.randint(jax.random.key(1), (3, 8), 0, 7)
    y = jnp.roll(x, -1, axis=1)
    value, aux = lm_loss(model)(params, (x, y))
    want = optax.losses.softmax_cross_entropy_with_integer_labels(model.apply(params, x), y)
    assert float(value) == pytest.approx(float(want.mean()), rel=1e-6)
    assert set(aux) == {"loss"}
    with pytest.raises(errors.LabelError, match="labels"):
        lm_loss(model).check(params, (x, y.at[0, 0].set(7)), "data")


def test_fit_pretrains_a_tiny_gpt_with_the_window_sampler():
    text = "abcdefgh" * 200
    tok = jf.data.fit_char_tokenizer(text)
    ids = np.asarray(tok.encode(text), np.int32)
    train, val = jf.data.split_tokens(ids, 0.1)
    cfg = GPTConfig(vocab_size=tok.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=16)
    model = GPT(cfg)
    state = jf.train.TrainState.create(_params(cfg), adamw(3e-3, steps=120, warmup_steps=10),
                                       key=jax.random.key(2))
    tokens = jnp.asarray(train)
    sampler = jf.train.Sampler(lambda k, p, b, i: jf.data.sample_windows(k, tokens, 8, 8))
    held = jf.data.sample_windows(jax.random.key(3), val, 16, 8)
    state, hist = jf.train.fit(state, lm_loss(model), sampler, steps=120, steps_per_call=40,
                               validation=held, eval_batch_size=8, progress=False)
    assert len(hist["val_loss"]) == 3 and int(state.step) == 120
    assert hist["val_loss"][-1] < 0.5 * math.log(8)  # a periodic text is learned fast
    np.testing.assert_allclose(hist["best_val_loss"], np.minimum.accumulate(hist["val_loss"]))
