import jax
import jax.numpy as jnp
import optax
import pytest

from jaxfound import errors
from jaxfound.finetune import freeze, layer_decay, layerwise, param_count


def _moment_sizes(opt_state):
    """Scalars held in array leaves of an optimiser state (counters excluded)."""
    return sum(x.size for x in jax.tree_util.tree_leaves(opt_state) if x.ndim > 0)


def test_frozen_leaves_have_no_optimizer_state_and_no_update(tiny):
    _, _, params = tiny
    tx = freeze(optax.adam(1e-2), trainable="params/h_1/**")
    state = tx.init(params)
    n = param_count(params, "params/h_1/**").trainable
    assert _moment_sizes(state) == 2 * n  # Adam's mu and nu of the trainable leaves only
    grads = jax.tree_util.tree_map(jnp.ones_like, params)
    updates, _ = tx.update(grads, state, params)
    flat = jax.tree_util.tree_leaves_with_path(updates)
    for kp, u in flat:
        trained = "h_1" in jax.tree_util.keystr(kp)
        assert bool(jnp.any(u != 0)) == trained


def test_frozen_argument_is_the_complement(tiny):
    _, _, params = tiny
    tx = freeze(optax.sgd(1.0), frozen=("params/wte/**", "params/wpe/**"))
    g = jax.tree_util.tree_map(jnp.ones_like, params)
    u, _ = tx.update(g, tx.init(params), params)
    assert float(jnp.abs(u["params"]["wte"]["embedding"]).sum()) == 0
    assert float(jnp.abs(u["params"]["ln_f"]["scale"]).sum()) > 0


def test_freeze_bad_input(tiny):
    _, _, params = tiny
    with pytest.raises(errors.ValidationError, match="exactly one"):
        freeze(optax.sgd(1.0))
    with pytest.raises(errors.ValidationError, match="matches no parameter"):
        freeze(optax.sgd(1.0), trainable="params/head/**").init(params)


def test_layerwise_rates_and_layer_decay(tiny):
    _, _, params = tiny
    rates = layer_decay(1.0, 2, 0.5, top=("params/ln_f/**",))
    assert rates == {"params/ln_f/**": 1.0, "params/h_1/**": 0.5, "params/h_0/**": 0.25,
                     "params/wte/**": 0.125, "params/wpe/**": 0.125}
    tx = layerwise(optax.sgd, rates)
    g = jax.tree_util.tree_map(jnp.ones_like, params)
    u, _ = tx.update(g, tx.init(params), params)
    p = u["params"]
    assert float(p["ln_f"]["scale"][0]) == -1.0
    assert float(p["h_1"]["ln_1"]["scale"][0]) == -0.5
    assert float(p["h_0"]["mlp"]["c_fc"]["kernel"][0, 0]) == -0.25
    assert float(p["wte"]["embedding"][0, 0]) == -0.125
    with pytest.raises(errors.ValidationError, match="finite number >= 0"):
        layerwise(optax.sgd, {"params/**": -1.0})
    # unmatched leaves are frozen without a default
    tx = layerwise(optax.sgd, {"params/ln_f/**": 1.0})
    u, _ = tx.update(g, tx.init(params), params)
    assert float(jnp.abs(u["params"]["h_0"]["ln_1"]["scale"]).sum()) == 0
