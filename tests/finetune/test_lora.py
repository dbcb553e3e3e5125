import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.finetune import lora, param_count
from jaxfound.models.gpt import GPT, GPTConfig, lm_loss

ATTN = "params/h_*/attn/*/kernel"


def _tokens(cfg, n=4, seed=1):
    return jax.random.randint(jax.random.key(seed), (n, cfg.block_size), 0, cfg.vocab_size)


def test_at_init_the_merged_model_is_the_base_exactly(tiny):
    cfg, model, params = tiny
    lo = lora(ATTN, rank=4, alpha=8)
    ad = lo.init(jax.random.key(1), params)
    assert set(ad) == {f"params/h_{i}/attn/{n}/kernel" for i in range(2)
                       for n in ("c_attn", "c_proj")}
    merged = lo.merge(params, ad)
    for a, b in zip(jax.tree_util.tree_leaves(merged), jax.tree_util.tree_leaves(params)):
        np.testing.assert_array_equal(a, b)
    x = _tokens(cfg)
    np.testing.assert_array_equal(model.apply(merged, x), model.apply(params, x))


def _train(model, params, lo, steps=5):
    ad = lo.init(jax.random.key(2), params)
    apply = lo.wrap(jf.models.from_linen(model))
    loss = lm_loss(apply)
    tree = {"base": params, "lora": ad}
    state = jf.train.TrainState.create(tree, lo.optimizer(optax.adam(1e-2)))
    step = jax.jit(jf.train.make_step(loss))
    x = _tokens(model.config)
    for _ in range(steps):
        state, _ = step(state, (x, x))
    return state, loss, (x, x)


@pytest.mark.slow  # compile-bound: ~30-140 s wall on the loaded 2-core box
def test_gradients_flow_only_to_the_factors(tiny):
    cfg, model, params = tiny
    lo = lora(ATTN, rank=2)
    ad = lo.init(jax.random.key(2), params)
    loss = lm_loss(lo.wrap(jf.models.from_linen(model)))
    x = _tokens(cfg)
    g = jax.jit(jax.grad(lambda t: loss(t, (x, x))[0]))({"base": params, "lora": ad})
    assert all(float(jnp.abs(v).sum()) == 0 for v in jax.tree_util.tree_leaves(g["base"]))
    assert all(float(jnp.abs(f["b"]).sum()) > 0 for f in g["lora"].values())
    state, _, _ = _train(model, params, lo)
    for a, b in zip(jax.tree_util.tree_leaves(state.params["base"]),
                    jax.tree_util.tree_leaves(params)):
        np.testing.assert_array_equal(a, b)  # the base never moved
    assert any(float(jnp.abs(f["b"]).sum()) > 0 for f in state.params["lora"].values())


def test_frozen_base_has_no_optimizer_state_and_counts(tiny):
    cfg, model, params = tiny
    lo = lora(ATTN, rank=2)
    tree = {"base": params, "lora": lo.init(jax.random.key(2), params)}
    opt = lo.optimizer(optax.adam(1e-3)).init(tree)
    moments = sum(x.size for x in jax.tree_util.tree_leaves(opt) if x.ndim > 0)
    c = param_count(tree, "lora/**")
    per_layer = 2 * (16 + 48) + 2 * (16 + 16)  # r (d_in + d_out) for c_attn and c_proj
    assert c.trainable == cfg.n_layer * per_layer
    assert moments == 2 * c.trainable
    assert c.total == c.trainable + sum(x.size for x in jax.tree_util.tree_leaves(params))


@pytest.mark.slow  # compile-bound: ~30-140 s wall on the loaded 2-core box
def test_merged_inference_equals_the_unmerged_forward_and_unmerge(tiny):
    cfg, model, params = tiny
    lo = lora(ATTN, rank=2, alpha=4.0)
    state, loss, batch = _train(model, params, lo)
    tree = state.params
    x = batch[0]
    unmerged = lo.wrap(model.apply)(tree, x)
    merged = model.apply(lo.merge(tree["base"], tree["lora"]), x)
    np.testing.assert_allclose(merged, unmerged, rtol=1e-6, atol=1e-6)
    assert not np.allclose(merged, model.apply(params, x))  # it did learn something
    back = lo.unmerge(lo.merge(params, tree["lora"]), tree["lora"])
    for a, b in zip(jax.tree_util.tree_leaves(back), jax.tree_util.tree_leaves(params)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    d = lo.delta(tree["lora"])["params/h_0/attn/c_attn/kernel"]
    f = tree["lora"]["params/h_0/attn/c_attn/kernel"]
    np.testing.assert_allclose(d, 2.0 * f["a"] @ f["b"], rtol=1e-6)
    assert np.linalg.matrix_rank(np.asarray(d)) <= 2


def test_works_on_any_pytree_and_rank_dropout():
    params = {"layer": {"w": jnp.ones((6, 5)), "b": jnp.zeros(5)}, "conv": jnp.ones((3, 3, 4))}
    lo = lora(("layer/w", "conv"), rank=3, dropout=0.5)
    ad = lo.init(jax.random.key(0), params)
    assert ad["conv"]["a"].shape == (9, 3)  # leading dims flattened
    ad = {k: {"a": v["a"], "b": jnp.ones_like(v["b"])} for k, v in ad.items()}
    full = lo.merge(params, ad)["layer"]["w"]
    dropped = lo.merge(params, ad, key=jax.random.key(3))["layer"]["w"]
    assert full.shape == (6, 5) and not np.allclose(full, dropped)


@pytest.mark.slow  # compile-bound: ~30-140 s wall on the loaded 2-core box
def test_bad_input(tiny):
    cfg, model, params = tiny
    with pytest.raises(errors.ValidationError, match="matches no parameter"):
        lora("params/blocks_*/kernel", rank=2).init(jax.random.key(0), params)
    with pytest.raises(errors.ValidationError, match="exceeds the smaller side"):
        lora(ATTN, rank=17).init(jax.random.key(0), params)
    with pytest.raises(errors.ValidationError, match="rank=0"):
        lora(ATTN, rank=0)
    with pytest.raises(errors.ShapeError, match="2\\+ dimensions"):
        lora("**/bias", rank=1).init(jax.random.key(0), params)
    ad = lora(ATTN, rank=2).init(jax.random.key(0), params)
    wider = GPT(GPTConfig(vocab_size=13, block_size=12, n_layer=2, n_head=2, n_embd=32))
    other = wider.init(jax.random.key(0), jnp.zeros((1, 12), jnp.int32))
    with pytest.raises(errors.ShapeError, match="another shape"):
        lora(ATTN, rank=2).merge(other, ad)
    deeper = GPT(GPTConfig(vocab_size=13, block_size=12, n_layer=1, n_head=2, n_embd=16))
    other = deeper.init(jax.random.key(0), jnp.zeros((1, 12), jnp.int32))
    with pytest.raises(errors.ShapeError, match="does not have"):
        lora(ATTN, rank=2).merge(other, ad)
    with pytest.raises(errors.ValidationError, match="needs key="):
        lora(ATTN, rank=2).init(None, params)


def test_adapters_alone_round_trip_a_checkpoint(tiny, tmp_path):
    _, _, params = tiny
    lo = lora(ATTN, rank=2)
    ad = lo.init(jax.random.key(0), params)
    path = jf.train.save_checkpoint(tmp_path / "adapters.ckpt", ad)
    back = jf.train.restore_checkpoint(path, jax.tree_util.tree_map(jnp.zeros_like, ad))
    np.testing.assert_array_equal(back["params/h_0/attn/c_attn/kernel"]["a"],
                                  ad["params/h_0/attn/c_attn/kernel"]["a"])
    assert path.stat().st_size < 10_000
