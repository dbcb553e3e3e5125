r"""Language-model metrics: perplexity, bits per token, and the mean next-token loss.

From the mean next-token cross-entropy $\bar\ell$ in nats,

$$
\mathrm{PPL} = e^{\bar\ell}, \qquad \mathrm{bits/token} = \frac{\bar\ell}{\ln 2},
$$

and a model that is uniform over $V$ symbols has $\bar\ell = \ln V$, perplexity $V$ and
$\log_2 V$ bits. With a character tokenizer bits per token is bits per character.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxfound import _validate, errors
from jaxfound.typing import Array, ArrayLike, Params

__all__ = ["perplexity", "bits_per_token", "next_token_loss"]


def _loss(loss: ArrayLike) -> Array:
    if not _validate.is_traced(loss):
        arr = np.asarray(loss)
        if arr.dtype.kind not in "biuf" or not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise errors.ValidationError(
                f"loss={loss!r} must be a finite cross-entropy >= 0 in nats (e.g. from "
                "next_token_loss)."
            )
    return _validate.float_array(loss)


def perplexity(loss: ArrayLike) -> Array:
    r"""Perplexity $e^{\bar\ell}$ of a mean next-token cross-entropy $\bar\ell$ (nats).

    Args:
      loss: the mean loss (a scalar or an array of them).

    Returns:
      ``exp(loss)``. Jittable.

    Examples:
      >>> import math
      >>> round(float(perplexity(math.log(65))), 3)
      65.0
    """
    return jnp.exp(_loss(loss))


def bits_per_token(loss: ArrayLike) -> Array:
    r"""Bits per token $\bar\ell / \ln 2$ of a mean cross-entropy $\bar\ell$ in nats.

    Per character with a character tokenizer (bits per character, "bpc").

    Args:
      loss: the mean loss (a scalar or an array of them).

    Returns:
      ``loss / ln 2``. Jittable.

    Examples:
      >>> import math
      >>> round(float(bits_per_token(math.log(256))), 6)
      8.0
    """
    return _loss(loss) / math.log(2.0)


def next_token_loss(
    apply: Callable[[Params, Array], Array],
    params: Params,
    tokens: ArrayLike,
    *,
    block_size: int,
    batch_size: int = 32,
) -> Array:
    r"""Mean next-token cross-entropy (nats) of a model over a whole token stream.

    The stream $x_0 \dots x_{n-1}$ is cut into consecutive windows of ``block_size`` inputs;
    every target $x_1 \dots x_{n-1}$ is predicted exactly once, from the tokens before it in
    its window (the context restarts at each window; the last window is the final
    ``block_size + 1`` tokens, counting only targets not yet seen), and

    $$
    \bar\ell = -\frac{1}{n - 1} \sum_{t=1}^{n-1} \log p(x_t \mid \text{window context}).
    $$

    Deterministic and exhaustive, unlike nanoGPT's ``estimate_loss`` (random windows).
    Windows run ``batch_size`` at a time through one compiled function (reused while
    ``apply`` is the same object and the shapes are the same).

    Args:
      apply: ``apply(params, inputs) -> logits`` in evaluation mode, inputs
        ``(batch, block_size)``, logits ``(batch, block_size, vocab)``; for a `GPT`,
        ``model.apply`` (deterministic by default).
      params: the model's parameters (passed to ``apply``).
      tokens: the 1-D integer stream, at least ``2`` tokens.
      block_size: window length (at most the model's context).
      batch_size: windows per call of ``apply``.

    Returns:
      The mean loss, a float32 scalar.

    Raises:
      jaxfound.errors.ShapeError / DTypeError: ``tokens`` is not a 1-D integer array.
      jaxfound.errors.ValidationError: fewer than 2 tokens or a size that is not a
        positive int.

    Examples:
      >>> import math, jax.numpy as jnp
      >>> uniform = lambda params, x: jnp.zeros(x.shape + (5,))   # 5 equally likely symbols
      >>> loss = next_token_loss(uniform, None, jnp.arange(100) % 5, block_size=8)
      >>> round(float(loss), 5) == round(math.log(5), 5)
      True
    """
    block_size = _validate.positive_int(block_size, "block_size")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    tokens = np.asarray(_validate.token_ids(tokens, "tokens", None, ndim=1))
    n = tokens.shape[0]
    if n < 2:
        raise errors.ValidationError(
            f"tokens has {n} token(s); a next-token loss needs at least 2."
        )
    inputs, targets, weights = _windows(tokens, min(block_size, n - 1))
    w = inputs.shape[0]
    pad = -w % batch_size
    if pad:
        z = np.zeros((pad, inputs.shape[1]), inputs.dtype)
        inputs, targets = np.concatenate([inputs, z]), np.concatenate([targets, z])
        weights = np.concatenate([weights, z.astype(weights.dtype)])
    total = jnp.float32(0.0)
    for i in range(0, w + pad, batch_size):
        sl = slice(i, i + batch_size)
        total = total + _weighted_sum(apply, params, inputs[sl], targets[sl], weights[sl])
    return total / (n - 1)


def _windows(tokens: np.ndarray, block: int):
    """Inputs, targets and 0/1 weights covering each target ``1 .. n-1`` exactly once."""
    n = tokens.shape[0]
    full = (n - 1) // block
    starts = list(range(0, full * block, block))
    covered = full * block  # targets 1 .. covered are in the full windows
    if covered < n - 1:
        starts.append(n - 1 - block)
    idx = np.asarray(starts)[:, None] + np.arange(block + 1)
    windows = tokens[idx].astype(np.int32)
    weights = np.ones((len(starts), block), np.float32)
    if covered < n - 1:  # the tail window: keep only targets after `covered`
        target_pos = idx[-1, 1:]
        weights[-1] = (target_pos > covered).astype(np.float32)
    return windows[:, :-1], windows[:, 1:], weights


@partial(jax.jit, static_argnums=0)
def _weighted_sum(apply, params, inputs, targets, weights):
    logits = apply(params, inputs)
    ce = optax.losses.softmax_cross_entropy_with_integer_labels(
        logits.astype(jnp.float32), targets)
    return jnp.sum(ce * weights)
