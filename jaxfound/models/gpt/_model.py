r"""A decoder-only transformer (GPT-2 / nanoGPT architecture) on ``flax.linen``.

$$
h_0 = \mathrm{drop}(W_{te}[x] + W_{pe}[0{:}T]), \quad
h_{l} = \mathrm{Block}_l(h_{l-1}), \quad
z = \mathrm{LN}_f(h_L), \quad \mathrm{logits} = z\, W_{te}^\top
$$

(the LM head is the token embedding when ``tie_embeddings``, else its own bias-free
Dense). Parameter names follow nanoGPT (``wte``, ``wpe``, ``h_0`` ... with ``ln_1``,
``attn/c_attn``, ``attn/c_proj``, ``ln_2``, ``mlp/c_fc``, ``mlp/c_proj``, then ``ln_f``), so
masks by path (e.g. no weight decay on biases, norms and embeddings) read naturally.
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from jaxfound import _validate, errors
from jaxfound.models._dense import Dense, on_rows
from jaxfound.models._dropout import Dropout
from jaxfound.models.gpt._attention import KVCache
from jaxfound.models.gpt._block import Block, layer_norm
from jaxfound.models.gpt._config import GPTConfig
from jaxfound.typing import Array, ArrayLike

__all__ = ["GPT"]


class GPT(nn.Module):
    """nanoGPT's ``GPT`` as a Linen module: same architecture, initialisation and size.

    Initialisation as nanoGPT: every Dense kernel and embedding $\\mathcal{N}(0, 0.02^2)$,
    the residual projections (``c_proj``) $\\mathcal{N}(0, (0.02/\\sqrt{2 L})^2)$, biases
    zero, LayerNorm scales one. The parameter count is `jaxfound.models.gpt.num_params`.

    Attributes:
      config: the `GPTConfig`.

    Call it on token ids ``(batch, T)`` with ``T <= block_size``:
    ``model.apply(params, tokens)`` gives the logits ``(batch, T, vocab_size)`` in
    evaluation mode; ``deterministic=False`` with ``rngs={"dropout": key}`` trains with
    dropout; ``return_hidden=True`` gives ``(logits, hidden)``, ``hidden`` being the final
    LayerNorm's output ``(batch, T, n_embd)`` (the features for a downstream head) from
    the same forward pass. `GPT.decode` is the cached step that `generate` uses.

    Raises:
      jaxfound.errors.ShapeError: ``tokens`` is not ``(batch, T)`` or ``T > block_size``.
      jaxfound.errors.DTypeError: ``tokens`` is not an integer array.
      jaxfound.errors.ValidationError: concrete ids outside ``[0, vocab_size)``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.models.gpt import GPT, GPTConfig
      >>> model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16))
      >>> params = model.init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32))
      >>> logits, hidden = model.apply(params, jnp.ones((3, 5), jnp.int32), return_hidden=True)
      >>> logits.shape, hidden.shape
      ((3, 5, 11), (3, 5, 16))
    """

    config: GPTConfig

    def setup(self):
        cfg = self.config
        init = nn.initializers.normal(0.02)
        self.wte = nn.Embed(cfg.vocab_size, cfg.n_embd, embedding_init=init)
        self.wpe = nn.Embed(cfg.block_size, cfg.n_embd, embedding_init=init)
        self.drop = Dropout(cfg.dropout)
        # remat: each block under flax.linen.remat (jax.checkpoint); ``deterministic`` (the
        # block's argument 2, counting self) is static. The names stay h_0 ... h_{L-1}, so the
        # parameter tree is the same with and without it.
        block = nn.remat(Block, static_argnums=(2,)) if cfg.remat else Block
        self.h = [block(cfg) for _ in range(cfg.n_layer)]
        self.ln_f = layer_norm(cfg)
        if not cfg.tie_embeddings:
            self.lm_head = Dense(cfg.vocab_size, use_bias=False, kernel_init=init)

    def __call__(self, tokens: ArrayLike, *, deterministic: bool = True,
                 return_hidden: bool = False):
        tokens = self._check(tokens, "tokens")
        t = tokens.shape[1]
        x = self.wte(tokens) + self.wpe(jnp.arange(t))
        x = self.drop(x, deterministic=deterministic)
        for block in self.h:
            x = block(x, deterministic)  # positional: static under remat
        hidden = self.ln_f(x)
        logits = self._head(hidden)
        return (logits, hidden) if return_hidden else logits

    def decode(
        self, tokens: ArrayLike, cache: tuple[KVCache, ...], pos: Array | int
    ) -> tuple[Array, tuple[KVCache, ...]]:
        """Run ``tokens`` ``(batch, t)`` at positions ``pos ... pos + t - 1`` on a cache.

        Evaluation mode. Each layer writes the new keys and values into its `KVCache`
        and attends over the cached positions ``<= `` each query's, so the logits equal
        those of `GPT.__call__` on the whole sequence so far (tested). The caller keeps
        ``pos + t <= block_size``. With ``config.remat`` the blocks run under
        ``jax.checkpoint`` here too, which changes nothing without a gradient (no
        recomputation happens; same logits, tested).

        Args:
          tokens: ids ``(batch, t)``.
          cache: one `KVCache` per layer (`jaxfound.models.gpt.init_cache`).
          pos: the position of ``tokens[:, 0]`` (may be traced).

        Returns:
          ``(logits, new_cache)``, logits ``(batch, t, vocab_size)``.
        """
        tokens = self._check(tokens, "tokens")
        t = tokens.shape[1]
        x = self.wte(tokens) + self.wpe(pos + jnp.arange(t))
        new = []
        for block, c in zip(self.h, cache):
            x, c = block(x, True, cache=c, pos=pos)
            new.append(c)
        return self._head(self.ln_f(x)), tuple(new)

    def _head(self, hidden: Array) -> Array:
        if not self.config.tie_embeddings:
            return self.lm_head(hidden)
        # the tied head on (batch * T, C) rows: one 2-D matmul, as `jaxfound.models.Dense`
        return on_rows(self.wte.attend, hidden)

    def _check(self, tokens, name: str):
        cfg = self.config
        if getattr(tokens, "ndim", None) == 1:
            raise errors.ShapeError(
                f"{name} has shape {tokens.shape}; the model takes (batch, T): add a batch "
                f"axis, e.g. {name}[None]."
            )
        tokens = _validate.token_ids(tokens, name, cfg.vocab_size, ndim=2)
        if tokens.shape[1] > cfg.block_size:
            raise errors.ShapeError(
                f"{name} has {tokens.shape[1]} positions but block_size={cfg.block_size}; "
                f"pass at most block_size tokens (e.g. {name}[:, -{cfg.block_size}:]) or build "
                "a GPTConfig with a larger block_size."
            )
        return jnp.asarray(tokens)
