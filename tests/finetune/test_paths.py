import jax.numpy as jnp
import pytest

from jaxfound import errors
from jaxfound.finetune import mask, matches, param_count, paths


def test_glob_semantics():
    assert matches("params/h_*/attn/**", "params/h_0/attn/c_attn/kernel")
    assert matches("**/kernel", "kernel") and matches("**/kernel", "a/b/kernel")
    assert not matches("h_*/kernel", "h_0/mlp/kernel")  # * stays inside one segment
    assert matches("blocks_[0-1]/**", "blocks_1/w") and not matches("blocks_[0-1]/**", "blocks_2/w")
    assert matches("blocks_[!0]/w", "blocks_3/w") and not matches("blocks_[!0]/w", "blocks_0/w")
    assert not matches("h_0", "h_0/kernel")  # anchored: the whole path


def test_gpt_paths_and_counts(tiny):
    cfg, _, params = tiny
    ps = paths(params)
    assert "params/h_0/attn/c_attn/kernel" in ps and "params/wte/embedding" in ps
    m = mask(params, "params/h_1/**")
    c = param_count(params, m)
    total = sum(x.size for x in __import__("jax").tree_util.tree_leaves(params))
    assert c.total == total
    per_block = 12 * 16 * 16 + 2 * 16 + 11 * 16  # GPT's closed form for one block
    assert c.trainable == per_block and c.fraction == pytest.approx(per_block / total)
    assert param_count(params, "params/h_1/**") == c  # patterns directly
    assert param_count(params).trainable == total


def test_unmatched_pattern_raises(tiny):
    _, _, params = tiny
    with pytest.raises(errors.ValidationError, match="matches no parameter"):
        mask(params, "params/blocks_0/**")
    with pytest.raises(errors.ValidationError, match="unclosed"):
        mask(params, "params/h_[0")
    with pytest.raises(errors.ValidationError, match="empty"):
        mask(params, [])


def test_mask_structure_mismatch():
    with pytest.raises(errors.ShapeError, match="leaves"):
        param_count({"a": jnp.ones(2), "b": jnp.ones(3)}, {"a": True})


def test_subpackage_is_lazy_and_exposed():
    import subprocess
    import sys

    code = ("import sys, jaxfound as jf; assert 'jaxfound.finetune' not in sys.modules; "
            "assert 'finetune' in dir(jf); jf.finetune.lora; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "ok"
