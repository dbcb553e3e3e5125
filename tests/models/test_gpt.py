"""The GPT model: nanoGPT's size and function, initialisation, causality, kernels, bad input."""

import functools
import importlib.util
import math

import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data import byte_tokenizer, fit_char_tokenizer
from jaxfound.models.gpt import (
    GPT,
    GPTConfig,
    attention,
    check_vocab,
    num_params,
    resolve_attention,
)
from tests.conftest import ROOT

NANOGPT = ROOT.parent / "shared" / "peers" / "nanogpt" / "model.py"
TINY = dict(vocab_size=32, block_size=16, n_layer=2, n_head=2, n_embd=32)
CPU_RECIPE = dict(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
GPU_RECIPE = dict(vocab_size=65, block_size=256, n_layer=6, n_head=6, n_embd=384)
TOKENS = (jnp.arange(32).reshape(2, 16) * 7) % 32  # one (2, 16) batch: one compile per config


@functools.cache
def init(cfg, seed=0):
    """The model and its parameters, initialised once per config (compiling is the cost)."""
    model = GPT(cfg)
    return model, jax.jit(model.init)(jax.random.key(seed), jnp.zeros((1, 2), jnp.int32))


@functools.cache
def _jitted(cfg, **kw):
    return jax.jit(functools.partial(GPT(cfg).apply, **kw))


def run(cfg, params, tokens, rng=None, **kw):
    """``GPT(cfg).apply(params, tokens, **kw)`` compiled once per config and options."""
    if rng is not None:
        return _jitted(cfg, **kw)(params, tokens, rngs={"dropout": rng})
    return _jitted(cfg, **kw)(params, tokens)


def count(tree):
    return sum(int(np.prod(x.shape)) for x in jax.tree_util.tree_leaves(tree))


def shapes(cfg):
    model = GPT(cfg)
    return jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 2), jnp.int32))


def nanogpt():
    """nanoGPT's own model.py, imported by path (skip without torch or the file)."""
    torch = pytest.importorskip("torch", reason="torch is not installed: nanoGPT peer skipped")
    if not NANOGPT.exists():
        pytest.skip(f"nanoGPT's model.py is absent ({NANOGPT})")
    spec = importlib.util.spec_from_file_location("nanogpt_model", NANOGPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return torch, mod


# --- size -------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("shape", [TINY, CPU_RECIPE, GPU_RECIPE])
def test_param_count_closed_form(shape, bias, tie):
    cfg = GPTConfig(**shape, bias=bias, tie_embeddings=tie)
    n = count(shapes(cfg))
    assert n == num_params(cfg, non_embedding=False)
    assert n - cfg.block_size * cfg.n_embd == num_params(cfg)  # nanoGPT's default
    if not tie:
        assert n == count(shapes(GPTConfig(**shape, bias=bias))) + cfg.vocab_size * cfg.n_embd


def test_cpu_recipe_size_is_the_readme_figure():
    # nanoGPT's train.py prints "number of parameters: 0.80M" for the CPU recipe
    assert round(num_params(GPTConfig(**CPU_RECIPE)) / 1e6, 2) == 0.80


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [TINY, CPU_RECIPE, GPU_RECIPE])
def test_param_count_equals_nanogpt(shape, bias):
    torch, ng = nanogpt()
    ref = ng.GPT(ng.GPTConfig(**shape, bias=bias, dropout=0.0))
    cfg = GPTConfig(**shape, bias=bias)
    # like with like: nanoGPT's default count leaves out the position embedding
    assert ref.get_num_params() == num_params(cfg)
    assert ref.get_num_params(non_embedding=False) == count(shapes(cfg))


def _from_torch(ref, cfg):
    """Our parameter tree holding nanoGPT's weights (Linear weights transposed)."""
    sd = {k: v.detach().numpy() for k, v in ref.state_dict().items()}
    p = {"wte": {"embedding": sd["transformer.wte.weight"]},
         "wpe": {"embedding": sd["transformer.wpe.weight"]},
         "ln_f": {"scale": sd["transformer.ln_f.weight"]}}
    if cfg.bias:
        p["ln_f"]["bias"] = sd["transformer.ln_f.bias"]
    for i in range(cfg.n_layer):
        pre = f"transformer.h.{i}."
        blk = {}
        for ln in ("ln_1", "ln_2"):
            blk[ln] = {"scale": sd[pre + ln + ".weight"]}
            if cfg.bias:
                blk[ln]["bias"] = sd[pre + ln + ".bias"]
        for outer, inner in (("attn", "c_attn"), ("attn", "c_proj"), ("mlp", "c_fc"),
                             ("mlp", "c_proj")):
            d = {"kernel": sd[f"{pre}{outer}.{inner}.weight"].T}
            if cfg.bias:
                d["bias"] = sd[f"{pre}{outer}.{inner}.bias"]
            blk.setdefault(outer, {})[inner] = d
        p[f"h_{i}"] = blk
    return {"params": jax.tree_util.tree_map(jnp.asarray, p)}


@pytest.mark.parametrize("bias, attn", [(True, "auto"), (False, "xla")])
def test_same_function_as_nanogpt_given_its_weights(bias, attn):
    torch, ng = nanogpt()
    torch.manual_seed(0)
    ref = ng.GPT(ng.GPTConfig(**TINY, bias=bias, dropout=0.0)).eval()
    cfg = GPTConfig(**TINY, bias=bias, attention=attn)
    params = _from_torch(ref, cfg)
    ours = jax.tree_util.tree_map(lambda x: x.shape, params)
    assert ours == jax.tree_util.tree_map(lambda x: x.shape, shapes(cfg))  # same tree
    idx = np.random.default_rng(0).integers(0, TINY["vocab_size"], (2, TINY["block_size"]))
    with torch.no_grad():
        logits_ref, _ = ref(torch.as_tensor(idx), targets=torch.as_tensor(idx))
    logits = run(cfg, params, jnp.asarray(idx, jnp.int32))
    np.testing.assert_allclose(np.asarray(logits), logits_ref.numpy(), rtol=1e-4, atol=1e-5)


# --- initialisation ----------------------------------------------------------------------


def test_initialisation_is_nanogpts():
    cfg = GPTConfig(**TINY)
    _, params = init(cfg)
    flat = flax.traverse_util.flatten_dict(params["params"], sep="/")
    resid = 0.02 / math.sqrt(2 * cfg.n_layer)
    for path, x in flat.items():
        x = np.asarray(x)
        if path.endswith("bias"):
            assert np.all(x == 0), path
        elif path.endswith("scale"):
            assert np.all(x == 1), path
        else:  # normal(0, want): mean and std within 5 standard errors
            want = resid if path.endswith("c_proj/kernel") else 0.02
            assert abs(x.mean()) < 5 * want / math.sqrt(x.size), path
            assert abs(x.std() / want - 1) < 5 / math.sqrt(2 * x.size), (path, x.std(), want)


# --- function ----------------------------------------------------------------------------


def test_shapes_and_hidden_states_give_the_logits():
    cfg = GPTConfig(**TINY)
    model, params = init(cfg)
    tokens = jax.random.randint(jax.random.key(1), (2, 16), 0, cfg.vocab_size)
    logits, hidden = run(cfg, params, tokens, return_hidden=True)
    assert logits.shape == (2, 16, 32) and hidden.shape == (2, 16, 32)
    np.testing.assert_allclose(run(cfg, params, tokens), logits, rtol=1e-6, atol=1e-6)
    wte = params["params"]["wte"]["embedding"]
    np.testing.assert_allclose(hidden @ wte.T, logits, rtol=1e-5, atol=1e-5)  # tied head
    # the final LayerNorm output: zero mean, unit variance per position (scale 1, bias 0)
    np.testing.assert_allclose(hidden.mean(-1), 0, atol=1e-5)


def test_untied_head_is_its_own_matrix():
    # an untied head holding the transposed embedding computes the tied model's logits
    _, params = init(GPTConfig(**TINY))
    wte = params["params"]["wte"]["embedding"]
    untied = {"params": {**params["params"], "lm_head": {"kernel": wte.T}}}
    cfg = GPTConfig(**TINY, tie_embeddings=False)
    assert jax.tree_util.tree_structure(untied) == jax.tree_util.tree_structure(shapes(cfg))
    np.testing.assert_allclose(run(cfg, untied, TOKENS), run(GPTConfig(**TINY), params, TOKENS),
                               rtol=1e-5, atol=1e-5)
    # and it is used: another head matrix, other logits
    other = {"params": {**untied["params"], "lm_head": {"kernel": 2 * wte.T}}}
    np.testing.assert_allclose(run(cfg, other, TOKENS), 2 * run(cfg, untied, TOKENS),
                               rtol=1e-5, atol=1e-5)


def test_causal_a_token_changes_only_later_logits():
    cfg = GPTConfig(**TINY)
    model, params = init(cfg)
    a = jax.random.randint(jax.random.key(2), (2, 16), 0, cfg.vocab_size)
    b = a.at[:, 9].set((a[:, 9] + 1) % cfg.vocab_size)
    la, lb = run(cfg, params, a), run(cfg, params, b)
    np.testing.assert_allclose(la[:, :9], lb[:, :9], atol=1e-6)
    assert np.all(np.abs(la[:, 9:] - lb[:, 9:]).max(-1) > 1e-4)


def test_attention_kernels_agree_and_auto_resolves():
    q, k, v = jax.random.normal(jax.random.key(0), (3, 2, 12, 3, 8))
    kk, vv = jnp.concatenate([k, k], 1), jnp.concatenate([v, v], 1)
    # an explicit mask over a longer key axis (the cache layout): query t at position 4 + t
    mask = jnp.arange(24)[None, :] <= (4 + jnp.arange(12))[:, None]

    @jax.jit
    def both(q, k, v, kk, vv, mask):
        return [(attention(q, k, v, None, implementation=i),
                 attention(q, kk, vv, mask, implementation=i)) for i in ("xla", "explicit")]

    (a, am), (e, em) = both(q, k, v, kk, vv, mask)
    np.testing.assert_allclose(a, e, atol=1e-5)
    np.testing.assert_allclose(am, em, atol=1e-5)
    # causal: the first query sees only the first key, so it returns the first value
    np.testing.assert_allclose(e[:, 0], v[:, 0], atol=1e-6)
    assert resolve_attention("auto", "cpu") == "explicit"
    assert resolve_attention("auto", "gpu") == "xla"
    assert resolve_attention("xla", "cpu") == "xla"
    # whole models: same parameters, same logits from the kernel "auto" does not pick
    _, params = init(GPTConfig(**TINY))
    other = "xla" if resolve_attention("auto") == "explicit" else "explicit"
    np.testing.assert_allclose(run(GPTConfig(**TINY, attention=other), params, TOKENS),
                               run(GPTConfig(**TINY), params, TOKENS), atol=1e-5)


def test_dropout_only_in_training_mode_and_attention_weights_only_in_explicit():
    _, params = init(GPTConfig(**TINY))
    drop = {a: GPTConfig(**TINY, dropout=0.25, attention=a) for a in ("xla", "explicit")}
    ev = run(drop["explicit"], params, TOKENS)
    np.testing.assert_allclose(ev, run(GPTConfig(**TINY), params, TOKENS), atol=1e-6)
    t1 = run(drop["explicit"], params, TOKENS, jax.random.key(1), deterministic=False)
    t2 = run(drop["explicit"], params, TOKENS, jax.random.key(2), deterministic=False)
    t1b = run(drop["explicit"], params, TOKENS, jax.random.key(1), deterministic=False)
    assert not np.allclose(t1, ev, atol=1e-3) and not np.allclose(t1, t2, atol=1e-3)
    np.testing.assert_array_equal(t1, t1b)
    # the weights' dropout as a function: dropping every weight leaves zero output
    q, k, v = jax.random.normal(jax.random.key(0), (3, 1, 6, 2, 4))
    zero = attention(q, k, v, None, implementation="explicit", weights_dropout=jnp.zeros_like)
    np.testing.assert_array_equal(zero, 0)
    # in the model: the kernels share every other dropout mask (Flax derives each from its
    # module's path), so their training outputs differ by the attention-weight dropout
    tx = run(drop["xla"], params, TOKENS, jax.random.key(1), deterministic=False)
    assert not np.allclose(tx, t1, atol=1e-3) and not np.allclose(tx, ev, atol=1e-3)


# --- bad input ---------------------------------------------------------------------------


def test_config_errors_name_the_argument_and_the_fix():
    with pytest.raises(errors.ValidationError, match=r"n_embd=30 is not a multiple of n_head=4.*"
                                                     r"n_embd=28 or 32"):
        GPTConfig(vocab_size=8, block_size=8, n_head=4, n_embd=30)
    with pytest.raises(errors.ValidationError, match="GPTConfig.block_size"):
        GPTConfig(vocab_size=8, block_size=0)
    with pytest.raises(errors.ValidationError, match="GPTConfig.n_layer"):
        GPTConfig(vocab_size=8, block_size=8, n_layer=2.0)
    with pytest.raises(errors.ValidationError, match="dropout"):
        GPTConfig(vocab_size=8, block_size=8, dropout=1.0)
    with pytest.raises(errors.ValidationError, match="attention='flash'"):
        GPTConfig(vocab_size=8, block_size=8, attention="flash")


def test_check_vocab():
    tok = fit_char_tokenizer("abcdefghij")
    check_vocab(GPTConfig(**TINY), tok)
    with pytest.raises(errors.ValidationError, match=r"vocab_size=32 is smaller.*256 ids.*"
                                                     r"vocab_size=256"):
        check_vocab(GPTConfig(**TINY), byte_tokenizer())
    check_vocab(GPTConfig(**{**TINY, "vocab_size": 256}), byte_tokenizer())


def test_input_errors():
    cfg = GPTConfig(**TINY)
    model, params = init(cfg)
    with pytest.raises(errors.ShapeError, match=r"17 positions but block_size=16.*\[:, -16:\]"):
        model.apply(params, jnp.zeros((1, 17), jnp.int32))
    with pytest.raises(errors.ShapeError, match=r"block_size=16"):  # also when traced
        jax.jit(model.apply)(params, jnp.zeros((1, 17), jnp.int32))
    with pytest.raises(errors.ShapeError, match=r"tokens\[None\]"):
        model.apply(params, jnp.zeros((5,), jnp.int32))
    with pytest.raises(errors.DTypeError, match="integers"):
        model.apply(params, jnp.zeros((1, 5)))
    with pytest.raises(errors.ValidationError, match=r"\[0, 32\)"):
        model.apply(params, jnp.full((1, 5), 32))
