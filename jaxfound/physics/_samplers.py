r"""Point samplers on the unit cube $[0, 1]^d$: uniform, grid, Latin hypercube,
Halton and Sobol.

Geometries map these unit-cube samples onto themselves (see
`jaxfound.physics.Geometry.sample_interior`). Every sampler is written in
``jax.numpy`` with static shapes, so it runs eagerly or inside a jitted training
loop (for resampling collocation points every N steps).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import errors

__all__ = ["uniform", "grid", "latin_hypercube", "halton", "sobol", "sample_unit", "METHODS"]

METHODS = ("uniform", "grid", "lhs", "halton", "sobol")

# Joe & Kuo (2008) "new-joe-kuo-6.21201" primitive polynomials and initial direction
# numbers for dimensions 2..21 (dimension 1 is the van der Corput sequence in base 2).
_SOBOL_POLY = [3, 7, 11, 13, 19, 25, 37, 41, 47, 55, 59, 61, 67, 91, 97, 103, 109, 115, 131, 137]
_SOBOL_M = [
    [1], [1, 3], [1, 3, 1], [1, 1, 1], [1, 1, 3, 3], [1, 3, 5, 13], [1, 1, 5, 5, 17],
    [1, 1, 5, 5, 5], [1, 1, 7, 11, 19], [1, 1, 5, 1, 1], [1, 1, 1, 3, 11], [1, 3, 5, 5, 31],
    [1, 3, 3, 9, 7, 49], [1, 1, 1, 15, 21, 21], [1, 3, 1, 13, 27, 49], [1, 1, 1, 15, 7, 5],
    [1, 3, 1, 15, 13, 25], [1, 1, 5, 5, 19, 61], [1, 3, 7, 11, 23, 15, 103],
    [1, 3, 7, 13, 13, 15, 69],
]  # fmt: skip
_SOBOL_BITS = 30
_PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79]


def _check(n: int, d: int) -> None:
    if int(n) < 1:
        raise errors.ValidationError(f"number of points n={n} must be at least 1")
    if int(d) < 1:
        raise errors.ValidationError(f"dimension d={d} must be at least 1")


def uniform(key: jax.Array, n: int, d: int, dtype=None) -> jax.Array:
    """``n`` independent uniform points in $[0,1)^d$.

    Examples:
      >>> import jax
      >>> uniform(jax.random.key(0), 5, 2).shape
      (5, 2)
    """
    _check(n, d)
    return jax.random.uniform(key, (n, d), dtype=dtype or jnp.result_type(float))


def grid(n: int, d: int, dtype=None) -> jax.Array:
    """A regular grid with $m = \\lceil n^{1/d} \\rceil$ points per axis, ends included.

    It has $m^d \\ge n$ points (exactly ``n`` when ``n`` is a perfect power).

    Examples:
      >>> grid(9, 2).shape
      (9, 2)
      >>> grid(3, 1)[:, 0].tolist()
      [0.0, 0.5, 1.0]
    """
    _check(n, d)
    m = max(2, math.ceil(round(n ** (1.0 / d), 9)))
    if n == 1:
        m = 1
    axis = (
        jnp.linspace(0.0, 1.0, m, dtype=dtype or jnp.result_type(float))
        if m > 1
        else (jnp.full((1,), 0.5, dtype=dtype or jnp.result_type(float)))
    )
    mesh = jnp.meshgrid(*([axis] * d), indexing="ij")
    return jnp.stack([g.reshape(-1) for g in mesh], axis=-1)


def latin_hypercube(key: jax.Array, n: int, d: int, dtype=None) -> jax.Array:
    r"""Latin hypercube sample: each axis cut into ``n`` strata, one point per stratum.

    $$
    x_{ij} = (\pi_j(i) + U_{ij}) / n
    $$

    with an independent random permutation $\pi_j$ per axis.

    Examples:
      >>> import jax, numpy as np
      >>> x = latin_hypercube(jax.random.key(0), 4, 2)
      >>> sorted(np.floor(np.asarray(x[:, 0]) * 4).astype(int).tolist())
      [0, 1, 2, 3]
    """
    _check(n, d)
    kperm, kjit = jax.random.split(key)
    perms = jax.vmap(lambda k: jax.random.permutation(k, n))(jax.random.split(kperm, d))
    u = jax.random.uniform(kjit, (n, d), dtype=dtype or jnp.result_type(float))
    return (perms.T.astype(u.dtype) + u) / n


def _radical_inverse(i: jax.Array, base: int, n_digits: int, dtype) -> jax.Array:
    out = jnp.zeros(i.shape, dtype)
    f = 1.0 / base
    for _ in range(n_digits):
        out = out + f * (i % base).astype(dtype)
        i = i // base
        f = f / base
    return out


def halton(n: int, d: int, *, skip: int = 0, key: jax.Array | None = None, dtype=None) -> jax.Array:
    r"""The Halton sequence: coordinate ``j`` is the radical inverse of the index in the
    ``j``-th prime base.

    $$
    x_{ij} = \sum_k a_k(i)\, p_j^{-k-1},\quad i = \sum_k a_k(i)\, p_j^{k}
    $$

    The sequence starts at index ``skip + 1`` (index 0 is the origin). With ``key``, a
    random shift modulo 1 (Cranley–Patterson rotation) randomises it.

    Examples:
      >>> halton(3, 2)[:, 0].tolist()
      [0.5, 0.25, 0.75]
    """
    _check(n, d)
    if d > len(_PRIMES):
        raise errors.ValidationError(f"halton supports up to {len(_PRIMES)} dimensions, got {d}")
    dtype = dtype or jnp.result_type(float)
    idx = jnp.arange(skip + 1, skip + n + 1, dtype=jnp.int32)
    cols = []
    for j in range(d):
        b = _PRIMES[j]
        n_digits = max(1, math.ceil(math.log(skip + n + 1, b)) + 1)
        cols.append(_radical_inverse(idx, b, n_digits, dtype))
    x = jnp.stack(cols, axis=-1)
    if key is not None:
        x = jnp.mod(x + jax.random.uniform(key, (d,), dtype), 1.0)
    return x


def _sobol_directions(d: int) -> np.ndarray:
    """Direction numbers ``v[j, k]`` (integers scaled by 2**_SOBOL_BITS)."""
    bits = _SOBOL_BITS
    v = np.zeros((d, bits), dtype=np.int64)
    v[0] = [1 << (bits - 1 - k) for k in range(bits)]
    for j in range(1, d):
        poly = _SOBOL_POLY[j - 1]
        s = poly.bit_length() - 1
        m = list(_SOBOL_M[j - 1])
        for k in range(s, bits):
            new = m[k - s] ^ (m[k - s] << s)
            for i in range(1, s):
                if (poly >> (s - i)) & 1:
                    new ^= m[k - i] << i
            m.append(new)
        v[j] = [m[k] << (bits - 1 - k) for k in range(bits)]
    return v


def sobol(n: int, d: int, *, skip: int = 0, key: jax.Array | None = None, dtype=None) -> jax.Array:
    r"""The Sobol sequence (Joe–Kuo direction numbers, Gray-code order), up to 21 dimensions.

    Point ``i`` is $\bigoplus_k g_k(i)\, v_{jk}\, 2^{-30}$ with $g(i) = i \oplus
    (i \gg 1)$. It matches ``scipy.stats.qmc.Sobol(d, scramble=False)`` and starts at the
    origin unless ``skip > 0``. Balance properties hold for ``n`` a power of 2. With
    ``key``, a random shift modulo 1 randomises it.

    Examples:
      >>> sobol(4, 2).tolist()
      [[0.0, 0.0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]
    """
    _check(n, d)
    if d > len(_SOBOL_POLY) + 1:
        raise errors.ValidationError(f"sobol supports up to {len(_SOBOL_POLY) + 1} dimensions")
    dtype = dtype or jnp.result_type(float)
    v = jnp.asarray(_sobol_directions(d).astype(np.uint32))
    idx = jnp.arange(skip, skip + n, dtype=jnp.uint32)
    gray = idx ^ (idx >> 1)
    x = jnp.zeros((n, d), jnp.uint32)
    for k in range(_SOBOL_BITS):
        bit = ((gray >> k) & 1).astype(bool)
        x = jnp.where(bit[:, None], x ^ v[None, :, k], x)
    out = x.astype(dtype) * (2.0**-_SOBOL_BITS)
    if key is not None:
        out = jnp.mod(out + jax.random.uniform(key, (d,), dtype), 1.0)
    return out


def sample_unit(
    method: str, n: int, d: int, key: jax.Array | None = None, *, skip: int = 0, dtype=None
) -> jax.Array:
    """Dispatch to a unit-cube sampler by name: one of `METHODS`.

    ``uniform`` and ``lhs`` need a ``key``; ``halton`` and ``sobol`` use it (when given)
    for a random shift; ``grid`` ignores it.

    Examples:
      >>> sample_unit("halton", 4, 3).shape
      (4, 3)
    """
    if method == "uniform":
        if key is None:
            raise errors.ValidationError("method='uniform' needs a PRNG key (key=...)")
        return uniform(key, n, d, dtype)
    if method == "lhs":
        if key is None:
            raise errors.ValidationError("method='lhs' needs a PRNG key (key=...)")
        return latin_hypercube(key, n, d, dtype)
    if method == "grid":
        return grid(n, d, dtype)
    if method == "halton":
        return halton(n, d, skip=skip, key=key, dtype=dtype)
    if method == "sobol":
        return sobol(n, d, skip=skip, key=key, dtype=dtype)
    raise errors.ValidationError(f"unknown sampling method {method!r}; use one of {METHODS}")
