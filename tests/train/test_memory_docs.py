"""docs/guide/memory.md: its snippets run as written, in order, and say what they claim."""

import jax
import jax.numpy as jnp
import pytest

from tests.conftest import ROOT
from tests.models.test_gpt_docs import blocks

PAGE = ROOT / "docs" / "guide" / "memory.md"


@pytest.mark.slow  # a tiny GPT trained three times (accumulation, bf16) and one compile
def test_every_snippet_runs(capsys):
    ns: dict = {}
    code = blocks(PAGE)
    assert [h for h, _ in code][:2] == ["Memory and throughput", "Gradient accumulation"]
    for heading, block in code:
        exec(compile(block, f"{PAGE}:{heading}", "exec"), ns)
    out = capsys.readouterr().out.split()
    assert out[:2] == ["16", "4"]  # 16 micro-batches, 4 updates
    assert int(ns["m"].temp_size_in_bytes) > 0
    dtypes = {p.dtype for p in jax.tree_util.tree_leaves(ns["state"].params)}
    assert dtypes == {jnp.dtype("float32")}
