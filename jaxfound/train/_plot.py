"""Plot a training history (loss and metrics per epoch) to a PNG."""

from __future__ import annotations

import os
from pathlib import Path

from jaxfound._figure import save_figure
from jaxfound.train._fit import History

__all__ = ["plot_history"]


def plot_history(history: History, path: str | os.PathLike, *, title: str = "") -> Path:
    """Draw each metric of ``history`` (with its ``val_`` twin) against the epoch.

    Needs matplotlib (``pip install 'jaxfound[examples]'``); uses the ``Agg``
    backend, so no display is required. Returns the written path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in history if not k.startswith("val_") and k != "time"]
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = range(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], "o-", label=f"train {name}")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], "s--", label=f"validation {name}")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)
