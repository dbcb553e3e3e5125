"""Plot the accuracy over training of several strategies, one panel per scenario."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from jaxfound import errors
from jaxfound._figure import save_figure

__all__ = ["plot_accuracy", "seen_average"]


def seen_average(R) -> np.ndarray:
    r"""Average accuracy on the contexts seen so far, per stage: $\frac{1}{i+1}\sum_{j\le i}R_{ij}$.

    ``R`` is ``(..., S, C)`` with ``S == C``; returns ``(..., S)``.

    Examples:
      >>> seen_average([[1.0, 0.0], [0.5, 0.7]]).tolist()
      [1.0, 0.6]
    """
    R = np.asarray(R, np.float64)
    S = R.shape[-2]
    lower = np.tril(np.ones((S, R.shape[-1])))
    return (R * lower).sum(-1) / lower.sum(-1)


def plot_accuracy(
    results: Mapping[str, Mapping[str, np.ndarray]], path: str | os.PathLike, *, title: str = ""
) -> Path:
    """Average accuracy on the contexts so far against the number of contexts trained.

    ``results[scenario][strategy]`` is an accuracy array ``(seeds, S, C)``; each line is
    the mean over seeds with a ±1 sd band (a single-stage run, such as ``"joint"``, is
    drawn as a horizontal dashed line at its final average). Needs matplotlib (``Agg``).

    Raises:
      ValidationError: matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise errors.ValidationError(
            "plot_accuracy needs matplotlib: pip install matplotlib (or skip the plot)."
        ) from e
    fig, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 3.6), squeeze=False)
    for ax, (scen, by_strategy) in zip(axes[0], results.items()):
        for name, R in by_strategy.items():
            R = np.asarray(R)
            if R.shape[-2] == 1:
                final = R[..., -1, :].mean(-1)
                ax.axhline(final.mean(), ls="--", color="grey", label=f"{name} (final)")
                continue
            curve = seen_average(R)
            x = np.arange(1, curve.shape[-1] + 1)
            m, sd = curve.mean(0), curve.std(0)
            ax.plot(x, m, "o-", label=name)
            ax.fill_between(x, m - sd, m + sd, alpha=0.2)
        ax.set_title(f"{scen}-incremental")
        ax.set_xlabel("contexts trained")
        ax.set_ylabel("average accuracy (contexts so far)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)
