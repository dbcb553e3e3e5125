"""Sharding on one device in-process, and the 8-device checks in a subprocess.

The multi-device checks (tests/train/multidevice_checks.py) need
``--xla_force_host_platform_device_count=8`` before JAX starts, so they run in a child
pytest; the rest of the suite keeps one device.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import PartitionSpec as P

import jaxfound as jf
from jaxfound import errors
from jaxfound.models.gpt import GPTConfig, sharding_rules

HERE = Path(__file__).resolve().parent


@pytest.mark.slow
def test_multidevice_checks_pass_on_8_forced_devices():
    env = dict(
        os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(HERE.parents[1]),
        XLA_FLAGS="--xla_force_host_platform_device_count=8",
    )
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
            "-p", "no:randomly", str(HERE / "multidevice_checks.py")]
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 and " passed" in r.stdout and "skipped" not in r.stdout, (
        r.stdout[-6000:] + r.stderr[-2000:]
    )


def test_one_device_mesh_is_a_no_op_for_fit():
    x = jnp.linspace(-1, 1, 64)[:, None]
    loss = lambda p, b, k: (jnp.mean((b[0] * p - b[1]) ** 2), {})  # noqa: E731
    state = jf.train.TrainState.create(jnp.zeros(()), optax.sgd(0.5), key=jax.random.key(0))
    ref, _ = jf.train.fit(state, loss, (x, 3 * x), epochs=3, batch_size=16, progress=False)
    got, _ = jf.train.fit(state, loss, (x, 3 * x), epochs=3, batch_size=16, progress=False,
                          sharding=jf.train.fsdp())
    np.testing.assert_array_equal(np.asarray(got.params), np.asarray(ref.params))


def test_specs_follow_rules_then_fsdp_then_replication():
    mesh = jf.train.make_mesh(data=1, model=1)
    s = jf.train.Sharding(mesh, rules=(("**/w", P(None, "model")),), fsdp_axis="data")
    tree = {"a": {"w": jnp.zeros((4, 6))}, "b": jnp.zeros((3, 5)), "c": jnp.zeros(())}
    specs = jax.tree_util.tree_map(lambda x: x.spec, jf.train.state_shardings(s, tree))
    # size-1 axes divide everything: the rule, then the largest dimension (last on ties)
    assert specs == {"a": {"w": P(None, "model")}, "b": P(None, "data"), "c": P()}
    assert jf.train.leaf_spec(s, "x", (8, 8)) == P(None, "data")
    assert hash(s) == hash(jf.train.Sharding(mesh, rules=s.rules, fsdp_axis="data"))


def test_gpt_rules_match_its_parameters_and_optimizer_state():
    cfg = GPTConfig(vocab_size=16, block_size=8, n_layer=2, n_head=2, n_embd=8, bias=False)
    model = jf.models.gpt.GPT(cfg)
    params = jax.eval_shape(lambda: model.init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32)))
    opt = jax.eval_shape(optax.adam(1e-3).init, params)
    s = jf.train.Sharding(jf.train.make_mesh(data=1, model=1), rules=sharding_rules(cfg))
    specs = jf.train.state_shardings(s, (params, opt))  # no rule is left unmatched
    mu = specs[1][0].mu["params"]["h_1"]["attn"]["c_proj"]["kernel"]
    assert mu.spec == P("model", None)
    assert specs[0]["params"]["ln_f"]["scale"].spec == P()


def test_process_rows_and_to_host_on_one_process():
    x = np.arange(12).reshape(6, 2)
    assert np.array_equal(jf.train.process_rows(x), x)
    assert jf.train.to_host({"a": jnp.ones(2)})["a"].tolist() == [1.0, 1.0]


def test_bad_meshes_and_rules_are_clear_errors():
    with pytest.raises(errors.ShardingError, match="at least one axis"):
        jf.train.make_mesh()
    with pytest.raises(errors.ShardingError, match="at most one -1"):
        jf.train.make_mesh(data=-1, model=-1)
    with pytest.raises(errors.ShardingError, match="hold 2 devices but there are 1"):
        jf.train.make_mesh(data=2)
    mesh = jf.train.make_mesh(data=1)
    with pytest.raises(errors.ShardingError, match="mesh axis 'model'"):
        jf.train.fsdp(mesh, rules=[("**", P("model"))])
    with pytest.raises(errors.ShardingError, match="matches no leaf"):
        jf.train.shard({"w": jnp.ones(2)}, jf.train.fsdp(mesh, rules=[("v", P())]))
    with pytest.raises(errors.ShardingError, match="at most 1 entries"):
        jf.train.shard({"w": jnp.ones(2)}, jf.train.fsdp(mesh, rules=[("w", P(None, "data"))]))
    with pytest.raises(errors.ShardingError, match="pair"):
        jf.train.fsdp(mesh, rules=["w"])
    state = jf.train.TrainState.create(jnp.zeros(()), optax.sgd(0.1))
    with pytest.raises(errors.ValidationError, match="jaxfound.train.Sharding"):
        jf.train.fit(state, lambda p, b, k: (p**2, {}), None, steps=1, progress=False,
                     sharding="data")


def test_distributed_arguments_are_checked_before_connecting(monkeypatch):
    init = jf.train.distributed.initialize
    with pytest.raises(errors.DistributedError, match="outside 0..1"):
        init("127.0.0.1:1234", 2, 2)
    with pytest.raises(errors.DistributedError, match="'host:port'"):
        init("127.0.0.1", 2, 0)
    monkeypatch.setenv("JAX_NUM_PROCESSES", "two")
    with pytest.raises(errors.DistributedError, match="must be an int"):
        init("127.0.0.1:1234", None, 0)
    monkeypatch.setenv("JAX_NUM_PROCESSES", "0")
    with pytest.raises(errors.DistributedError, match="at least 1"):
        init("127.0.0.1:1234", None, 0)
