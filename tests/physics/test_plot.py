"""plot_comparison: writes a three-panel PNG on grids and scattered points; bad shapes raise."""

import numpy as np
import pytest

from jaxfound import errors
from jaxfound.physics import plot_comparison

PNG = b"\x89PNG\r\n\x1a\n"


def test_grid_png(tmp_path):
    x, t = np.linspace(-1, 1, 6), np.linspace(0, 1, 4)
    ref = np.sin(np.pi * x)[:, None] * np.exp(-t)[None, :]  # (len(vertical), len(horizontal))
    out = plot_comparison(tmp_path / "sub" / "u.png", ref.ravel() + 1e-3, ref, coords=(t, x))
    assert out.read_bytes()[:8] == PNG


def test_scattered_png_with_mask(tmp_path):
    g = np.linspace(-1, 1, 9)
    pts = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    pts = pts[~((pts[:, 0] > 0) & (pts[:, 1] > 0))]  # an L-shape
    ref = 1 - (pts**2).sum(1)
    out = plot_comparison(
        tmp_path / "l.png", ref * 1.01, ref, coords=pts, mask=lambda cx, cy: (cx > 0) & (cy > 0)
    )
    assert out.read_bytes()[:8] == PNG


def test_bad_shapes(tmp_path):
    x = np.linspace(0, 1, 5)
    with pytest.raises(errors.ShapeError, match="same points"):
        plot_comparison(tmp_path / "a.png", np.ones(4), np.ones(5), coords=np.ones((5, 2)))
    with pytest.raises(errors.ShapeError, match="multiply"):
        plot_comparison(tmp_path / "b.png", np.ones(10), np.ones(10), coords=(x, x))
    with pytest.raises(errors.ShapeError, match=r"\(10, 2\)"):
        plot_comparison(tmp_path / "c.png", np.ones(10), np.ones(10), coords=np.ones((10, 3)))
    assert not list(tmp_path.iterdir())  # nothing written on bad input
