r"""Token streams for language models: a contiguous split and in-jit window sampling.

`sample_windows` is nanoGPT's ``get_batch`` as a pure function of a key: ``batch_size``
starts $s_b \sim \mathcal{U}\{0, \dots, n - T - 1\}$ and

$$
x_{b,t} = \mathrm{tokens}[s_b + t], \qquad y_{b,t} = \mathrm{tokens}[s_b + t + 1],
\qquad 0 \le t < T,
$$

so ``targets`` are the ``inputs`` shifted by one token. It is jittable with ``tokens`` a
device array, so a pretraining step can draw its own batch inside ``jax.jit`` or
``lax.scan`` and needs no host-side batching.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.typing import Array, ArrayLike, PRNGKey

__all__ = ["split_tokens", "sample_windows"]


def split_tokens(tokens: ArrayLike, val_fraction: float = 0.1) -> tuple[ArrayLike, ArrayLike]:
    r"""Split a token stream into a contiguous head (train) and tail (validation).

    The cut is at $\lfloor n (1 - f) \rfloor$, as nanoGPT's ``prepare.py``
    (``data[:int(n*0.9)]``, ``data[int(n*0.9):]``): on Tiny Shakespeare 1,003,854 training
    and 111,540 validation tokens. No shuffling: neighbouring windows overlap, so a random
    split would leak validation text into training.

    Args:
      tokens: a 1-D array of token ids (NumPy or JAX; the halves are views/slices of it).
      val_fraction: the fraction $f \in (0, 1)$ held out at the end.

    Returns:
      ``(train, val)``.

    Raises:
      jaxfound.errors.ShapeError: ``tokens`` is not 1-D.
      jaxfound.errors.ValidationError: ``val_fraction`` is outside $(0, 1)$ or leaves a part
        empty.

    Examples:
      >>> import numpy as np
      >>> train, val = split_tokens(np.arange(10))
      >>> train.tolist(), val.tolist()
      ([0, 1, 2, 3, 4, 5, 6, 7, 8], [9])
    """
    if not hasattr(tokens, "shape"):
        tokens = np.asarray(tokens)
    _validate.check_ndim(tokens, "tokens", 1)
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) or not (
        0.0 < float(val_fraction) < 1.0
    ):
        raise errors.ValidationError(
            f"val_fraction={val_fraction!r} must be a float in (0, 1), e.g. 0.1 (nanoGPT)."
        )
    n = int(tokens.shape[0])
    cut = int(n * (1.0 - float(val_fraction)))
    if cut == 0 or cut == n:
        raise errors.ValidationError(
            f"val_fraction={val_fraction} splits {n} tokens into {cut} train and {n - cut} "
            "validation tokens; both parts need at least one: use a longer corpus or another "
            "val_fraction."
        )
    return tokens[:cut], tokens[cut:]


def sample_windows(
    key: PRNGKey, tokens: ArrayLike, batch_size: int, block_size: int
) -> tuple[Array, Array]:
    """Draw ``batch_size`` random windows of ``block_size`` tokens and their next tokens.

    Starts are uniform in ``[0, len(tokens) - block_size - 1]`` (nanoGPT's ``get_batch``), so
    every window and its one-token-shifted target fit in ``tokens``. Jittable: call it inside
    your compiled step with ``tokens`` a device array (``batch_size`` and ``block_size`` are
    static Python ints; the checks below look only at static shapes, so they run under
    ``jax.jit`` too).

    Args:
      key: a PRNG key.
      tokens: the 1-D integer token stream.
      batch_size: windows per batch.
      block_size: tokens per window (the model's context length).

    Returns:
      ``(inputs, targets)``, each ``(batch_size, block_size)`` with the dtype of ``tokens``;
      ``targets[:, t] == inputs[:, t + 1]`` for ``t < block_size - 1``.

    Raises:
      jaxfound.errors.ShapeError: ``tokens`` is not 1-D.
      jaxfound.errors.DTypeError: ``tokens`` is not an integer array.
      jaxfound.errors.ValidationError: ``block_size >= len(tokens)`` (a window and its
        target need ``block_size + 1`` tokens), or a size is not a positive int.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> x, y = sample_windows(jax.random.key(0), jnp.arange(100), batch_size=4, block_size=8)
      >>> x.shape, bool((y == x + 1).all())
      ((4, 8), True)
    """
    batch_size = _validate.positive_int(batch_size, "batch_size")
    block_size = _validate.positive_int(block_size, "block_size")
    if not hasattr(tokens, "shape"):
        tokens = np.asarray(tokens)
    _validate.check_ndim(tokens, "tokens", 1)
    if np.dtype(tokens.dtype).kind not in "iu":
        raise errors.DTypeError(
            f"tokens has dtype {tokens.dtype}; pass integer token ids (e.g. from a "
            "Tokenizer's encode)."
        )
    n = int(tokens.shape[0])
    if block_size + 1 > n:
        raise errors.ValidationError(
            f"block_size={block_size} needs at least block_size + 1 = {block_size + 1} tokens "
            f"(a window and its shifted target), but tokens has {n}; use a smaller block_size "
            "or a longer corpus."
        )
    return _sample(key, jnp.asarray(tokens), batch_size, block_size)


@partial(jax.jit, static_argnums=(2, 3))
def _sample(key, tokens, batch_size: int, block_size: int):
    n = tokens.shape[0]
    starts = jax.random.randint(key, (batch_size,), 0, n - block_size)
    windows = tokens[starts[:, None] + jnp.arange(block_size + 1)]
    return windows[:, :-1], windows[:, 1:]
