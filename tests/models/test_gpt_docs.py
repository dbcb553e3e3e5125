"""docs/models/gpt.md: its snippets run as written, and its own loop trains."""

import re

import numpy as np
import pytest

from tests.conftest import ROOT

PAGE = ROOT / "docs" / "models" / "gpt.md"
# a small deterministic corpus: enough structure for a tiny model to learn within 30 steps
WORDS = "the quick brown fox jumps over the lazy dog and then it sleeps in the sun".split()


def blocks(page=PAGE):
    """The page's ```python blocks, keyed by the heading above each."""
    out, heading = [], None
    pattern = r"(^#+ [^\n]*$|^```python\n.*?^```$)"
    for part in re.split(pattern, page.read_text(), flags=re.M | re.S):
        if part.startswith("#"):
            heading = part.lstrip("#").strip()
        elif part.startswith("```python"):
            out.append((heading, part.split("\n", 1)[1].rsplit("```", 1)[0]))
    return out


def corpus(tmp_path):
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(WORDS, 8)) + ".\n" for _ in range(150)]
    p = tmp_path / "corpus.txt"
    p.write_text("".join(lines), encoding="utf-8")
    return p


def run_until(tmp_path, last_heading):
    ns = {"path": str(corpus(tmp_path))}
    for heading, code in blocks():
        exec(compile(code, f"{PAGE}:{heading}", "exec"), ns)
        if heading == last_heading:
            return ns
    raise AssertionError(f"no section {last_heading!r} with code in {PAGE}")


def test_page_has_the_sections():
    headings = [h for h, _ in blocks()]
    for h in ("Data", "The model", "Write your own loop", "Sampling", "Perplexity"):
        assert h in headings
    assert "## Training" in PAGE.read_text()


@pytest.mark.slow  # compiles a training step: ~10 s on a quiet 2-core machine, more if shared
def test_write_your_own_loop_lowers_the_loss_in_30_steps(tmp_path):
    ns = run_until(tmp_path, "Write your own loop")
    losses = ns["losses"]
    assert len(losses) == 30 and np.all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.3, losses


@pytest.mark.slow
def test_every_snippet_runs(tmp_path, capsys):
    ns = run_until(tmp_path, "Perplexity")
    assert ns["out"].shape == (101,) and ns["greedy"].shape == (21,)
    assert np.isfinite(float(ns["val_loss"]))
    assert "perplexity" in capsys.readouterr().out
