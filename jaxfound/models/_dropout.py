r"""Dropout whose masks come from raw random bits: several decisions per 32-bit draw."""

from __future__ import annotations

import math
from fractions import Fraction

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound.typing import Array, PRNGKey

__all__ = ["Dropout", "dropout_mask"]

MAX_BITS = 8  # rates that are multiples of 1/256 take the fast path


def _dyadic(rate: float) -> tuple[int, int] | None:
    """``(m, k)`` with ``rate == m / 2**k`` exactly and ``k <= MAX_BITS``, else ``None``."""
    f = Fraction(rate)
    k = f.denominator.bit_length() - 1
    if f.denominator == 1 << k and k <= MAX_BITS:
        return f.numerator, k
    return None


def dropout_mask(key: PRNGKey, rate: float, shape: tuple[int, ...]) -> Array:
    r"""A boolean keep-mask, each entry kept independently with probability $1 - p$.

    When the rate is an exact binary fraction $p = m / 2^k$ with $k \le 8$ (0.5, 0.25,
    0.125, 0.375, ...), every decision uses only $k$ random bits: one 32-bit draw yields
    $\lfloor 32/k \rfloor$ independent uniform integers $u \in [0, 2^k)$ and an entry is
    kept iff $u \ge m$, so $P(\text{keep}) = 1 - m/2^k = 1 - p$ exactly. At $p = 0.5$ that
    is 32 decisions per draw instead of one, which removes most of the cost of dropout on
    a CPU. Other rates draw one uniform per entry (``jax.random.bernoulli``).

    Args:
      key: PRNG key.
      rate: drop probability $p \in [0, 1)$.
      shape: the mask's shape.

    Returns:
      ``bool`` array of ``shape``, ``True`` where the entry is kept.

    Examples:
      >>> import jax
      >>> m = dropout_mask(jax.random.key(0), 0.5, (1000,))
      >>> m.dtype, 400 < int(m.sum()) < 600
      (dtype('bool'), True)
    """
    if not 0.0 <= rate < 1.0:
        raise errors.ValidationError(f"dropout rate must be in [0, 1), got {rate!r}")
    size = math.prod(shape)
    fast = _dyadic(rate)
    if fast is None:
        return jax.random.bernoulli(key, 1.0 - rate, shape)
    m, k = fast
    if m == 0:
        return jnp.ones(shape, bool)
    per = 32 // k
    words = jax.random.bits(key, (-(-size // per),), jnp.uint32)
    shifts = (k * jnp.arange(per, dtype=jnp.uint32))[None, :]
    fields = (words[:, None] >> shifts) & jnp.uint32((1 << k) - 1)
    return (fields >= m).reshape(-1)[:size].reshape(shape)


class Dropout(nn.Module):
    r"""Inverted dropout, $y = x \odot \text{mask} / (1 - p)$, masks from `dropout_mask`.

    A drop-in for ``flax.linen.Dropout`` (same ``"dropout"`` RNG stream and
    ``deterministic`` flag); at rates such as 0.5 its masks cost a fraction of the
    random numbers.

    Attributes:
      rate: drop probability $p$.
      deterministic: when ``True`` the layer is the identity.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> y = Dropout(0.5).apply({}, jnp.ones((2, 8)), deterministic=False,
      ...                        rngs={"dropout": jax.random.key(0)})
      >>> sorted(set(y.ravel().tolist()))
      [0.0, 2.0]
    """

    rate: float
    deterministic: bool | None = None

    @nn.compact
    def __call__(self, x: Array, deterministic: bool | None = None) -> Array:
        deterministic = nn.merge_param("deterministic", self.deterministic, deterministic)
        if deterministic or self.rate == 0.0:
            return x
        keep = dropout_mask(self.make_rng("dropout"), self.rate, x.shape)
        return jnp.where(keep, x / (1.0 - self.rate), jnp.zeros_like(x))
