r"""One figure for a solved field: prediction, reference and pointwise error side by side."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from jaxfound import errors
from jaxfound._figure import save_figure
from jaxfound.typing import ArrayLike

__all__ = ["plot_comparison"]


def plot_comparison(
    path: str | os.PathLike,
    pred: ArrayLike,
    ref: ArrayLike,
    *,
    coords: Sequence[ArrayLike] | ArrayLike,
    labels: tuple[str, str] = ("x", "y"),
    titles: tuple[str, str] = ("prediction", "reference"),
    mask: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    cmap: str = "viridis",
) -> Path:
    r"""Draw prediction, reference and $|\hat u - u|$ in three panels and save a PNG.

    The error panel's title gives the relative L2 error over all plotted values,
    $\lVert \hat u - u\rVert_2 / \lVert u\rVert_2$ (`jaxfound.stats.l2_relative_error`).

    Args:
      path: the PNG to write (parent folders are created).
      pred: the predicted values on the plotting points; on a grid, any shape with
        ``len(vertical) * len(horizontal)`` entries (row-major, vertical axis first).
      ref: the reference values on the same points, same layout.
      coords: either a pair of 1-D axes ``(horizontal, vertical)`` of a tensor grid
        (drawn with ``pcolormesh``), or scattered points ``(N, 2)`` (drawn on their
        Delaunay triangulation with ``tricontourf``).
      labels: the horizontal and vertical axis labels.
      titles: titles of the prediction and reference panels.
      mask: for scattered points, ``mask(cx, cy) -> bool`` over triangle centroids;
        ``True`` hides a triangle (holes and re-entrant corners of the domain).
      cmap: colour map of the first two panels (the error uses ``magma``).

    Returns:
      The written path. Needs matplotlib (``pip install 'jaxfound[examples]'``); uses the
      ``Agg`` backend, so no display is required.

    Examples:
      >>> import numpy as np, tempfile, os
      >>> x, t = np.linspace(-1, 1, 5), np.linspace(0, 1, 4)
      >>> ref = np.sin(x)[:, None] * np.ones(4)
      >>> out = plot_comparison(os.path.join(tempfile.mkdtemp(), "u.png"), ref + 0.01, ref,
      ...                       coords=(t, x), labels=("t", "x"))
      >>> out.suffix
      '.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.tri as mtri

    from jaxfound.stats import l2_relative_error

    pred = np.asarray(pred, dtype=float).ravel()
    ref = np.asarray(ref, dtype=float).ravel()
    if pred.size != ref.size:
        raise errors.ShapeError(
            f"pred has {pred.size} values but ref has {ref.size}; evaluate both on the same points"
        )
    err = float(l2_relative_error(ref, pred))
    scattered = not isinstance(coords, (tuple, list))
    if scattered:
        pts = np.asarray(coords, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) != pred.size:
            raise errors.ShapeError(
                f"scattered coords must be ({pred.size}, 2) points, got shape {pts.shape}; "
                "for a tensor grid pass a pair of 1-D axes (horizontal, vertical)"
            )
        tri = mtri.Triangulation(pts[:, 0], pts[:, 1])
        if mask is not None:
            tri.set_mask(np.asarray(mask(*(pts[tri.triangles].mean(1).T)), dtype=bool))
    else:
        h, v = (np.asarray(a, dtype=float) for a in coords)
        if len(coords) != 2 or h.ndim != 1 or v.ndim != 1 or h.size * v.size != pred.size:
            raise errors.ShapeError(
                f"grid coords must be two 1-D axes whose sizes multiply to {pred.size} values"
            )
        shape = (v.size, h.size)

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), constrained_layout=True)
    panels = (
        (pred, titles[0], cmap),
        (ref, titles[1], cmap),
        (np.abs(pred - ref), f"|error|, L2 rel = {err:.2e}", "magma"),
    )
    for ax, (z, title, cm) in zip(axes, panels):
        if scattered:
            im = ax.tricontourf(tri, z, levels=50, cmap=cm)
            ax.set_aspect("equal")
        else:
            im = ax.pcolormesh(h, v, z.reshape(shape), shading="auto", cmap=cm)
        ax.set(xlabel=labels[0], ylabel=labels[1], title=title)
        fig.colorbar(im, ax=ax)
    return save_figure(fig, path, dpi=110)
