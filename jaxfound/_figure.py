"""Write a matplotlib figure to a file and close it (internal; shared by the plot helpers)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["save_figure"]


def save_figure(fig: Any, path: str | os.PathLike, *, dpi: int = 100) -> Path:
    """Save ``fig`` to ``path`` (its folder is created), close it, and return the path."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
