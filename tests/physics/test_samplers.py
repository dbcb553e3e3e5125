"""Unit-cube samplers; Sobol and Halton against scipy.stats.qmc (test-only dependency)."""

import jax
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.physics import grid, halton, latin_hypercube, sample_unit, sobol, uniform

qmc = pytest.importorskip("scipy.stats.qmc")


@pytest.mark.parametrize("d", [1, 2, 5, 21])
def test_sobol_matches_scipy(d):
    np.testing.assert_array_equal(
        np.asarray(sobol(256, d), np.float64), qmc.Sobol(d, scramble=False).random(256)
    )


def test_sobol_skip_continues_the_sequence():
    full = np.asarray(sobol(64, 3))
    np.testing.assert_array_equal(np.asarray(sobol(32, 3, skip=32)), full[32:])


def test_halton_matches_scipy():
    ours = np.asarray(halton(200, 6), np.float64)
    ref = qmc.Halton(6, scramble=False).random(201)[1:]
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_quasi_random_is_more_uniform_than_random():
    d = 2
    disc = lambda x: qmc.discrepancy(np.asarray(x, np.float64))
    assert disc(sobol(256, d)) < disc(uniform(jax.random.key(0), 256, d)) / 3
    assert disc(halton(256, d)) < disc(uniform(jax.random.key(0), 256, d)) / 3


def test_latin_hypercube_strata():
    x = np.asarray(latin_hypercube(jax.random.key(3), 50, 4))
    for j in range(4):
        assert sorted(np.floor(x[:, j] * 50).astype(int)) == list(range(50))


def test_grid_and_dispatch():
    g = np.asarray(grid(16, 2))
    assert g.shape == (16, 2) and g.min() == 0 and g.max() == 1
    assert grid(10, 2).shape[0] == 16  # rounded up to a full grid
    for m in ("uniform", "grid", "lhs", "halton", "sobol"):
        x = np.asarray(sample_unit(m, 27, 3, jax.random.key(0)))
        assert x.shape[1] == 3 and (x >= 0).all() and (x <= 1).all()
    shifted = np.asarray(sobol(8, 2, key=jax.random.key(1)))
    assert not np.allclose(shifted, np.asarray(sobol(8, 2)))


def test_samplers_jit():
    f = jax.jit(lambda k: latin_hypercube(k, 16, 2) + halton(16, 2) + sobol(16, 2))
    assert f(jax.random.key(0)).shape == (16, 2)


def test_bad_input():
    with pytest.raises(errors.ValidationError, match="key"):
        sample_unit("uniform", 4, 2)
    with pytest.raises(errors.ValidationError, match="unknown sampling"):
        sample_unit("random", 4, 2, jax.random.key(0))
    with pytest.raises(errors.ValidationError, match="at least 1"):
        sobol(0, 2)
