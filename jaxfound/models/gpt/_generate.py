r"""Sampling from a `GPT`: one compiled loop over a key/value cache.

At each step the next token is drawn from

$$
p(x_{t+1} = i \mid x_{\le t}) \propto
\begin{cases} \exp(z_i / \tau) & z_i \ge z_{(k)} \\ 0 & \text{otherwise} \end{cases}
$$

with logits $z$, temperature $\tau$ and $z_{(k)}$ the $k$-th largest logit (``top_k``;
all logits when ``None``); $\tau = 0$ is greedy decoding, $x_{t+1} = \arg\max_i z_i$.

The prompt runs through the model once (filling the cache); each new token then costs one
position (`GPT.decode`). Once the context is full (``len(prompt) + step > block_size``) the
policy is nanoGPT's: each further token is predicted from the last ``block_size`` tokens,
by re-running the model over that window (learned absolute positions shift, so a cache
cannot be reused there). The cache and the output buffer are explicit arrays carried
through ``lax.fori_loop``.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.models.gpt._attention import init_cache
from jaxfound.models.gpt._model import GPT
from jaxfound.typing import Array, ArrayLike, Params, PRNGKey

__all__ = ["generate"]


def generate(
    model: GPT,
    params: Params,
    prompt: ArrayLike,
    *,
    max_new_tokens: int,
    key: PRNGKey | None,
    temperature: float = 1.0,
    top_k: int | None = None,
) -> Array:
    """Append ``max_new_tokens`` sampled tokens to ``prompt`` (jitted, with a KV cache).

    Args:
      model: the `GPT` module.
      params: its variables (``model.init(...)``, i.e. ``{"params": ...}``).
      prompt: token ids ``(T0,)`` or ``(batch, T0)``, ``1 <= T0 <= block_size``.
      max_new_tokens: how many tokens to add (exactly; ``0`` returns the prompt). Past the
        context length generation slides over the last ``block_size`` tokens (nanoGPT's
        policy, see the module docstring).
      key: PRNG key; step ``s`` uses ``jax.random.split(key, max_new_tokens)[s]``, so the
        same key gives the same sample. May be ``None`` when ``temperature == 0``.
      temperature: $\\tau \\ge 0$; 0 is greedy (arg max, no randomness).
      top_k: sample among the ``top_k`` largest logits only (clamped to ``vocab_size``, as
        nanoGPT); ``None``: all. ``top_k=1`` is greedy.

    Returns:
      ``prompt`` followed by the new tokens: ``(T0 + max_new_tokens,)`` or
      ``(batch, T0 + max_new_tokens)``.

    Raises:
      jaxfound.errors.EmptyDataError: the prompt has no tokens.
      jaxfound.errors.ShapeError: the prompt is longer than ``block_size`` (crop it:
        ``prompt[..., -block_size:]``) or not 1-D/2-D.
      jaxfound.errors.ValidationError: ids outside the vocabulary, a negative or
        non-finite temperature, a bad ``top_k``, or no key for sampling.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.models.gpt import GPT, GPTConfig
      >>> model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16))
      >>> params = model.init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32))
      >>> out = generate(model, params, jnp.array([1, 2, 3]), max_new_tokens=10,
      ...                key=jax.random.key(1), top_k=5)
      >>> out.shape, out[:3].tolist()
      ((13,), [1, 2, 3])
    """
    if not isinstance(model, GPT):
        raise errors.ValidationError(
            f"model must be a jaxfound.models.gpt.GPT, got {type(model).__name__}."
        )
    cfg = model.config
    prompt = _validate.token_ids(prompt, "prompt", cfg.vocab_size, ndim=(1, 2))
    single = prompt.ndim == 1
    prompt = jnp.asarray(prompt)[None] if single else jnp.asarray(prompt)
    t0 = prompt.shape[1]
    if t0 == 0 or prompt.shape[0] == 0:
        raise errors.EmptyDataError(
            "prompt has no tokens; start from at least one (nanoGPT starts from '\\n')."
        )
    if t0 > cfg.block_size:
        raise errors.ShapeError(
            f"prompt has {t0} tokens, more than the context block_size={cfg.block_size}; crop "
            f"it to its last {cfg.block_size} tokens (prompt[..., -{cfg.block_size}:])."
        )
    n = _validate.positive_int(max_new_tokens, "max_new_tokens", minimum=0)
    if isinstance(temperature, bool) or not isinstance(
        temperature, (int, float, np.integer, np.floating)
    ) or not (
        math.isfinite(temperature) and temperature >= 0
    ):
        raise errors.ValidationError(
            f"temperature={temperature!r} must be a finite float >= 0 (0: greedy)."
        )
    if top_k is not None:
        top_k = min(_validate.positive_int(top_k, "top_k"), cfg.vocab_size)
    greedy = temperature == 0
    if key is None and not greedy:
        raise errors.ValidationError(
            "key is None but sampling needs randomness; pass key=jax.random.key(seed), or "
            "temperature=0 for greedy decoding."
        )
    if n == 0:
        out = prompt
    else:
        keys = jax.random.split(jax.random.key(0) if key is None else key, n)
        k = cfg.vocab_size if top_k is None else top_k
        out = _generate(model, params, prompt, keys, jnp.float32(float(temperature) or 1.0),
                        jnp.int32(k), n, greedy)
    return out[0] if single else out


@partial(jax.jit, static_argnums=(0, 6, 7))
def _generate(model, params, prompt, keys, temperature, top_k, n: int, greedy: bool):
    # temperature and top_k are traced: one compilation serves all their values
    cfg = model.config
    b, t0 = prompt.shape
    block = cfg.block_size
    out = jnp.zeros((b, t0 + n), prompt.dtype).at[:, :t0].set(prompt)
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    logits, cache = model.apply(params, prompt, init_cache(cfg, b, dtype), 0, method=GPT.decode)

    def pick(logits, key):
        if greedy:
            return jnp.argmax(logits, axis=-1)
        logits = logits.astype(jnp.float32) / temperature
        kth = jnp.take(jnp.sort(logits, axis=-1), cfg.vocab_size - top_k, axis=-1)
        logits = jnp.where(logits < kth[:, None], -jnp.inf, logits)
        return jax.random.categorical(key, logits, axis=-1)

    def put(out, s, tok):
        return jax.lax.dynamic_update_slice(out, tok[:, None].astype(out.dtype), (0, t0 + s))

    def cached(s, carry):  # the new token still fits in the context: one cached position
        out, cache, last = carry
        tok = pick(last, keys[s])
        out = put(out, s, tok)
        logits, cache = model.apply(params, tok[:, None].astype(prompt.dtype), cache, t0 + s,
                                    method=GPT.decode)
        return out, cache, logits[:, -1]

    def sliding(s, carry):  # past the context: the last block_size tokens, re-run
        out, last = carry
        tok = pick(last, keys[s])
        out = put(out, s, tok)
        window = jax.lax.dynamic_slice_in_dim(out, t0 + s + 1 - block, block, axis=1)
        return out, model.apply(params, window)[:, -1]

    n_cached = int(np.clip(block - t0, 0, n))
    out, _, last = jax.lax.fori_loop(0, n_cached, cached, (out, cache, logits[:, -1]))
    if n > n_cached:  # (traced only when needed: the window must fit in the buffer)
        out, _ = jax.lax.fori_loop(n_cached, n, sliding, (out, last))
    return out
