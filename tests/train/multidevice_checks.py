"""Checks that need several devices: run by test_sharding.py in a subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=8`` (the rest of the suite keeps one
device). Not collected on its own (the file name does not start with ``test_``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import PartitionSpec as P

import jaxfound as jf
from jaxfound import errors
from jaxfound.models.gpt import GPT, GPTConfig, lm_loss, sharding_rules

pytestmark = pytest.mark.skipif(jax.device_count() < 8, reason="needs 8 (forced host) devices")

TOL = dict(rtol=2e-5, atol=2e-6)  # float32: sums over the batch reordered across devices


def _mlp_problem():
    model = jf.models.MLP(features=(32, 16, 10), dropout=0.1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 24)).astype(np.float32)
    y = rng.integers(0, 10, size=256).astype(np.int32)
    params = model.init(jax.random.key(0), x[:1])
    xent = lambda t, o: optax.losses.softmax_cross_entropy_with_integer_labels(o, t)  # noqa: E731
    loss = jf.losses.supervised(model, xent)
    return params, loss, x, y


def _state(params):
    return jf.train.TrainState.create(params, optax.adam(1e-2), key=jax.random.key(1))


def _close(a, b, **tol):
    for u, v in zip(jax.tree_util.tree_leaves(jf.train.to_host(a)), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), **(tol or TOL))


def _close_norm(a, b, rel=1e-4):
    """Leaf by leaf, |a - b| / |b| in the 2-norm: Adam's update is ~lr * sign(g) where the
    gradient is ~0, so a reordered sum can flip single near-zero entries by ~lr."""
    for u, v in zip(jax.tree_util.tree_leaves(jf.train.to_host(a)), jax.tree_util.tree_leaves(b)):
        u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
        assert np.linalg.norm(u - v) <= rel * max(np.linalg.norm(v), 1e-6)


@pytest.fixture(scope="module")
def mlp():
    params, loss, x, y = _mlp_problem()
    ref, hist = jf.train.fit(
        _state(params), loss, (x, y), epochs=2, batch_size=32, progress=False,
        validation=(x[:64], y[:64]),
    )
    return params, loss, x, y, ref, hist


@pytest.mark.parametrize("kind", ["data_parallel", "fsdp"])
def test_fit_arrays_equal_single_device(mlp, kind):
    params, loss, x, y, ref, hist = mlp
    plan = getattr(jf.train, kind)()
    state, h = jf.train.fit(
        _state(params), loss, (x, y), epochs=2, batch_size=32, progress=False,
        validation=(x[:64], y[:64]), sharding=plan,
    )
    _close(state.params, ref.params)
    _close(state.opt_state, ref.opt_state)
    np.testing.assert_allclose(h["loss"], hist["loss"], rtol=1e-5)
    np.testing.assert_allclose(h["val_loss"], hist["val_loss"], rtol=1e-5)
    want = jf.train.state_shardings(plan, state.params)
    got = jax.tree_util.tree_map(lambda a: a.sharding.spec, state.params)
    assert got == jax.tree_util.tree_map(lambda s: s.spec, want)
    if kind == "fsdp":
        kernel = state.params["params"]["Dense_0"]["kernel"]  # (24, 32): split along 32
        assert kernel.sharding.spec == P(None, "data")
        assert {s.data.shape for s in kernel.addressable_shards} == {(24, 4)}


def test_fit_iterable_and_none_equal_single_device(mlp):
    params, loss, x, y, *_ = mlp
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 256, 32)]
    ref, _ = jf.train.fit(_state(params), loss, batches, epochs=1, progress=False)
    got, _ = jf.train.fit(
        _state(params), loss, batches, epochs=1, progress=False, sharding=jf.train.data_parallel()
    )
    _close(got.params, ref.params)

    target = jnp.arange(8.0)
    quad = lambda p, b, k: (jnp.sum((p - target) ** 2), {})  # noqa: E731
    s0 = jf.train.TrainState.create(jnp.zeros(8), optax.sgd(0.1))
    ref, _ = jf.train.fit(s0, quad, None, steps=20, progress=False)
    got, _ = jf.train.fit(s0, quad, None, steps=20, progress=False, sharding=jf.train.fsdp())
    _close(got.params, ref.params)
    assert got.params.sharding.spec == P("data")


@pytest.fixture(scope="module")
def gpt():
    cfg = GPTConfig(vocab_size=32, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.0)
    model = GPT(cfg)
    params = model.init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32))
    tokens = jnp.asarray(np.random.default_rng(1).integers(0, 32, size=2048), jnp.int32)
    sample = lambda key, p, b, i: jf.data.sample_windows(key, tokens, 16, 8)  # noqa: E731
    # eps=1e-6: the key bias has no gradient (softmax is shift-invariant), so its Adam step
    # is lr * noise / (|noise| + eps); a larger eps keeps rounding noise from lr-sized steps
    tx = optax.adamw(3e-3, eps=1e-6)
    state = jf.train.TrainState.create(params, tx, key=jax.random.key(2))
    sampler, loss = jf.train.Sampler(sample), lm_loss(model)
    ref = jf.train.fit(state, loss, sampler, steps=6, steps_per_call=3, progress=False)
    return cfg, loss, state, sampler, ref


# data parallelism alone is checked on the MLP above and across processes (test_distributed)
@pytest.mark.parametrize("layout", ["fsdp", "fsdp+tensor"])
def test_gpt_sharded_training_agrees(gpt, layout):
    cfg, loss, state, sampler, (ref, rh) = gpt
    if layout in ("data_parallel", "fsdp"):
        plan = getattr(jf.train, layout)()
    else:
        mesh = jf.train.make_mesh(data=4, model=2)
        dax = "data" if layout == "fsdp+tensor" else None
        rules = sharding_rules(cfg, data_axis=dax)
        plan = jf.train.Sharding(mesh, rules=rules, fsdp_axis=dax)
    got, gh = jf.train.fit(
        state, loss, sampler, steps=6, steps_per_call=3, progress=False, sharding=plan
    )
    _close_norm(got.params, ref.params)
    np.testing.assert_allclose(gh["loss"], rh["loss"], rtol=1e-5)
    fc = got.params["params"]["h_0"]["mlp"]["c_fc"]["kernel"]
    mu = got.opt_state[0].mu["params"]["h_0"]["mlp"]["c_fc"]["kernel"]
    want = {"data_parallel": P(), "fsdp": P(None, "data"), "tensor": P(None, "model"),
            "fsdp+tensor": P("data", "model")}[layout]
    assert fc.sharding.spec == want and mu.sharding.spec == want


def test_fsdp_bytes_per_device_is_an_eighth(gpt):
    state = gpt[2]
    placed = jf.train.shard(state, jf.train.fsdp())
    total = sum(x.nbytes for x in jax.tree_util.tree_leaves((state.params, state.opt_state)))
    per = {}
    for x in jax.tree_util.tree_leaves((placed.params, placed.opt_state)):
        for s in x.addressable_shards:
            per[s.device] = per.get(s.device, 0) + s.data.nbytes
    assert len(per) == 8 and max(per.values()) <= total * (1 / 8 + 0.05)


def test_bad_input_is_a_clear_error(mlp):
    params, loss, x, y, *_ = mlp
    with pytest.raises(errors.ShardingError, match="batch_size=36 does not split"):
        jf.train.fit(_state(params), loss, (x, y), batch_size=36, progress=False,
                     sharding=jf.train.data_parallel())
    mesh = jf.train.make_mesh(data=8)
    with pytest.raises(errors.ShardingError, match="mesh axis 'model'"):
        jf.train.fsdp(mesh, rules=[("**/kernel", P("model"))])
    with pytest.raises(errors.ShardingError, match="mesh axis 'model'"):
        jf.train.shard(params, jf.train.Sharding(mesh, rules=(("**/kernel", P("model")),)))
    with pytest.raises(errors.ShardingError, match="mesh axis 'batch'"):
        jf.train.shard(params, jf.train.Sharding(mesh, batch_axis="batch"))
    with pytest.raises(errors.ShardingError, match="matches no leaf"):
        jf.train.shard(_state(params), jf.train.fsdp(mesh, rules=[("**/kernal", P())]))
    with pytest.raises(errors.ShardingError, match="do not\\s+divide"):
        jf.train.shard(params, jf.train.fsdp(mesh, rules=[("**/Dense_2/kernel", P(None, "data"))]))
    with pytest.raises(errors.ShardingError, match="hold 4 devices but there are 8"):
        jf.train.make_mesh(data=2, model=2)
    with pytest.raises(errors.ShardingError, match="do not split evenly over 8"):
        jf.train.shard_batch(jnp.zeros((12, 3)), jf.train.data_parallel())


def test_own_loop_with_constrain(mlp):
    params, loss, x, y, *_ = mlp
    plan = jf.train.fsdp()
    step = jax.jit(jf.train.constrain(jf.train.make_step(loss), plan))
    state = jf.train.shard(_state(params), plan)
    ref = _state(params)
    one = jax.jit(jf.train.make_step(loss))
    for i in range(3):
        b = (x[32 * i : 32 * i + 32], y[32 * i : 32 * i + 32])
        state, _ = step(state, jf.train.shard_batch(b, plan))
        ref, _ = one(ref, b)
    _close(state.params, ref.params)


def test_fsdp_run_resumes_from_its_checkpoint_bit_identical(mlp, tmp_path):
    params, loss, x, y, *_ = mlp
    plan = jf.train.fsdp()
    run = dict(batch_size=32, progress=False, sharding=plan)
    full, _ = jf.train.fit(_state(params), loss, (x, y), epochs=2, **run)
    manager = jf.train.CheckpointManager(tmp_path / "ckpt")
    jf.train.fit(_state(params), loss, (x, y), epochs=1, checkpoint=manager, **run)
    again = jf.train.CheckpointManager(tmp_path / "ckpt")
    resumed, hist = jf.train.fit(
        _state(params), loss, (x, y), epochs=2, checkpoint=again, resume=True, **run
    )
    assert len(hist["loss"]) == 2
    for a, b in zip(jax.tree_util.tree_leaves(jf.train.to_host(resumed.params)),
                    jax.tree_util.tree_leaves(jf.train.to_host(full.params))):
        np.testing.assert_array_equal(a, b)
    kernel = resumed.params["params"]["Dense_0"]["kernel"]
    assert kernel.sharding.spec == P(None, "data")  # restored onto the mesh, still split
