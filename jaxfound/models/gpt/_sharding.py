r"""Tensor-parallel sharding rules for the GPT (Megatron's column/row split).

In each block the first matrix of a pair is split by columns and the second by rows
over the ``model`` mesh axis: the QKV projection ``c_attn`` ($C \times 3C$) and the MLP's
``c_fc`` ($C \times 4C$) as $[\,\cdot\,, \text{model}]$, the output projections
``attn/c_proj`` and ``mlp/c_proj`` as $[\text{model}, \cdot\,]$, so the hidden units
of a pair live on one device and XLA needs one reduction per pair. The embedding
tables split their width $C$ (the vocabulary, 65 characters, rarely divides). With
``data_axis`` the other dimension of every block matrix is split over it as well
(2-D: FSDP × tensor parallelism).
"""

from __future__ import annotations

from jax.sharding import PartitionSpec as P

from jaxfound.models.gpt._config import GPTConfig

__all__ = ["sharding_rules"]


def sharding_rules(
    config: GPTConfig, *, model_axis: str = "model", data_axis: str | None = None
) -> tuple[tuple[str, P], ...]:
    """``(pattern, PartitionSpec)`` rules for `jaxfound.train.Sharding` on a `GPT`'s state.

    The patterns start with ``**/``, so they match the parameters and the optimiser's
    copies of them (Adam's ``mu`` and ``nu``).

    Args:
      config: the model's `GPTConfig` (biases get rules only when ``config.bias``).
      model_axis: the mesh axis of tensor parallelism.
      data_axis: a mesh axis for the matrices' other dimension, or ``None``.

    Returns:
      Rules for ``jaxfound.train.Sharding(mesh, rules=..., fsdp_axis=...)`` or
      `jaxfound.train.fsdp`'s ``rules=``.

    Examples:
      >>> cfg = GPTConfig(vocab_size=65, block_size=8, n_layer=1, n_head=2, n_embd=8)
      >>> dict(sharding_rules(cfg))["**/mlp/c_fc/kernel"]
      P(None, 'model')
    """
    m, d = model_axis, data_axis
    rules = [
        ("**/attn/c_attn/kernel", P(d, m)),
        ("**/mlp/c_fc/kernel", P(d, m)),
        ("**/attn/c_proj/kernel", P(m, d)),
        ("**/mlp/c_proj/kernel", P(m, d)),
        ("**/wte/embedding", P(None, m)),
        ("**/wpe/embedding", P(None, m)),
    ]
    if config.bias:
        rules += [("**/attn/c_attn/bias", P(m)), ("**/mlp/c_fc/bias", P(m))]
    return tuple(rules)
