r"""Causal multi-head self-attention, two interchangeable kernels, and the key/value cache.

For queries, keys and values $Q, K, V \in \mathbb{R}^{T \times d}$ of one head,

$$
\mathrm{Attn}(Q, K, V) = \mathrm{softmax}\Big(\frac{Q K^\top}{\sqrt d} + M\Big) V,
\qquad M_{ts} = \begin{cases} 0 & s \le t \\ -\infty & s > t \end{cases}
$$

``"xla"`` calls `jax.nn.dot_product_attention` (which picks the fused cuDNN kernel on GPU
where it applies); ``"explicit"`` writes the masked softmax out with two einsums. They
compute the same function (tested). Measured with ``benchmarks/gpt_attention_cpu.py``
(nanoGPT's CPU recipe shapes, medians of jitted repeats; numbers in ``docs/models/gpt.md``),
the explicit one is the faster on CPU (a whole training step 1.13-1.18x, attention alone
1.7-1.9x), so ``"auto"`` picks it there and `jax.nn.dot_product_attention` (not timed
here: no GPU was at hand) on every other backend.

Dropout on the attention weights (nanoGPT's ``attn_dropout``) exists only in the
explicit kernel: `jax.nn.dot_product_attention` has no dropout. With ``"xla"`` and
``dropout > 0`` the weights are not dropped (the embedding and residual dropouts still
are).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxfound.models._dense import Dense
from jaxfound.models._dropout import Dropout
from jaxfound.models.gpt._config import GPTConfig
from jaxfound.typing import Array

__all__ = ["KVCache", "AUTO_ATTENTION", "resolve_attention", "attention", "init_cache",
           "CausalSelfAttention"]

#: what ``attention="auto"`` runs on each backend (measured: benchmarks/gpt_attention_cpu.py)
AUTO_ATTENTION = {"cpu": "explicit"}
_AUTO_DEFAULT = "xla"  # gpu, tpu: the fused kernel of jax.nn.dot_product_attention


class KVCache(NamedTuple):
    """The keys and values of one layer for every position so far.

    Attributes:
      k: ``(batch, block_size, n_head, head_dim)``; rows at and after the current
        position are zeros (masked out).
      v: same shape as ``k``.
    """

    k: Array
    v: Array


def init_cache(config: GPTConfig, batch_size: int, dtype=jnp.float32) -> tuple[KVCache, ...]:
    """An empty cache: one zero `KVCache` of ``block_size`` positions per layer.

    Examples:
      >>> from jaxfound.models.gpt import GPTConfig
      >>> c = init_cache(GPTConfig(vocab_size=8, block_size=16, n_layer=2, n_head=2,
      ...                          n_embd=8), batch_size=3)
      >>> len(c), c[0].k.shape
      (2, (3, 16, 2, 4))
    """
    shape = (batch_size, config.block_size, config.n_head, config.head_dim)
    zeros = jnp.zeros(shape, dtype)
    return tuple(KVCache(zeros, zeros) for _ in range(config.n_layer))


def resolve_attention(name: str, backend: str | None = None) -> str:
    """The kernel ``name`` stands for: ``"auto"`` becomes the faster one on ``backend``.

    Examples:
      >>> resolve_attention("auto", "cpu"), resolve_attention("auto", "gpu")
      ('explicit', 'xla')
    """
    if name != "auto":
        return name
    backend = jax.default_backend() if backend is None else backend
    return AUTO_ATTENTION.get(backend, _AUTO_DEFAULT)


def attention(
    q: Array,
    k: Array,
    v: Array,
    mask: Array | None,
    *,
    implementation: str,
    weights_dropout: Callable[[Array], Array] | None = None,
) -> Array:
    """Multi-head attention of ``q`` over ``k``, ``v``; causal when ``mask`` is ``None``.

    Args:
      q: queries ``(batch, T, n_head, head_dim)``.
      k: keys ``(batch, S, n_head, head_dim)``.
      v: values, same shape as ``k``.
      mask: boolean ``(T, S)``, True where query ``t`` may see key ``s``; ``None``: the
        causal mask of ``T == S`` positions.
      implementation: ``"xla"`` or ``"explicit"`` (resolve ``"auto"`` first).
      weights_dropout: applied to the attention weights (explicit kernel only).

    Returns:
      ``(batch, T, n_head, head_dim)``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> q, k, v = jax.random.normal(jax.random.key(0), (3, 2, 5, 4, 8))
      >>> a = attention(q, k, v, None, implementation="xla")
      >>> b = attention(q, k, v, None, implementation="explicit")
      >>> bool(jnp.allclose(a, b, atol=1e-5))
      True
    """
    if implementation == "xla":
        if mask is None:
            return jax.nn.dot_product_attention(q, k, v, is_causal=True)
        return jax.nn.dot_product_attention(q, k, v, mask=mask[None, None])
    t, s = q.shape[1], k.shape[1]
    if mask is None:
        mask = jnp.tril(jnp.ones((t, s), bool))
    scores = jnp.einsum("bthd,bshd->bhts", q, k) * (q.shape[-1] ** -0.5)
    scores = jnp.where(mask, scores, jnp.finfo(scores.dtype).min)
    weights = jax.nn.softmax(scores, axis=-1)
    if weights_dropout is not None:
        weights = weights_dropout(weights)
    return jnp.einsum("bhts,bshd->bthd", weights, v)


class CausalSelfAttention(nn.Module):
    """nanoGPT's ``CausalSelfAttention``: one QKV projection, attention, output projection.

    Attributes:
      config: the model's `GPTConfig`.

    Called with ``cache=None`` it attends causally over its input; with a `KVCache` it
    writes the input's keys and values at positions ``pos, pos + 1, ...`` and attends over
    every cached position up to each query's own, returning ``(y, new_cache)``.
    """

    config: GPTConfig

    @nn.compact
    def __call__(self, x: Array, *, deterministic: bool = True, cache: KVCache | None = None,
                 pos: Array | int = 0):
        cfg = self.config
        b, t, c = x.shape
        dense = lambda n, std, name: Dense(  # noqa: E731
            n, use_bias=cfg.bias, kernel_init=nn.initializers.normal(std), name=name)
        qkv = dense(3 * c, 0.02, "c_attn")(x).reshape(b, t, 3, cfg.n_head, cfg.head_dim)
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        impl = resolve_attention(cfg.attention)
        drop = None
        if cfg.dropout > 0 and not deterministic:
            drop = Dropout(cfg.dropout, deterministic=False, name="attn_dropout")
        mask = None
        if cache is not None:
            k = jax.lax.dynamic_update_slice(cache.k, k.astype(cache.k.dtype), (0, pos, 0, 0))
            v = jax.lax.dynamic_update_slice(cache.v, v.astype(cache.v.dtype), (0, pos, 0, 0))
            cache = KVCache(k, v)
            mask = jnp.arange(k.shape[1])[None, :] <= (pos + jnp.arange(t))[:, None]
        y = attention(q, k, v, mask, implementation=impl, weights_dropout=drop)
        y = dense(c, 0.02 / (2 * cfg.n_layer) ** 0.5, "c_proj")(y.reshape(b, t, c))
        if cfg.dropout > 0:
            y = Dropout(cfg.dropout, name="resid_dropout")(y, deterministic=deterministic)
        return y if cache is None else (y, cache)
