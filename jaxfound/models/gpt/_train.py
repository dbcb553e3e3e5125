r"""Pretraining pieces for the GPT: the next-token loss and nanoGPT's optimiser, from optax.

The loss is `jaxfound.losses.supervised` with optax's integer-label cross-entropy over
every position,

$$
L(\theta) = -\frac{1}{B T}\sum_{b=1}^{B}\sum_{t=1}^{T} \log p_\theta(y_{b,t} \mid x_{b,\le t}),
$$

and the optimiser is nanoGPT's: AdamW whose weight decay applies to the matrices only
(every parameter with two or more dimensions, embeddings included, as nanoGPT's
``configure_optimizers``; biases and LayerNorm scales are not decayed), with a linear
warm-up to the peak learning rate, a cosine decay to ``min_learning_rate``, and global
gradient-norm clipping, all from optax.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax
import optax

from jaxfound import _validate, errors
from jaxfound.typing import Array, Params

if TYPE_CHECKING:
    from jaxfound.losses import Loss

__all__ = ["lm_loss", "decay_mask", "adamw"]

_EMBEDDINGS = ("wte", "wpe")


def _token_cross_entropy(y: Array, logits: Array) -> Array:
    return optax.losses.softmax_cross_entropy_with_integer_labels(logits, y)


def lm_loss(model: Any) -> Loss:
    """Next-token cross-entropy (nats) of a language model on ``(inputs, targets)`` batches.

    ``inputs`` and ``targets`` are ``(batch, T)`` token ids (`jaxfound.data.sample_windows`
    makes them); with a key (training) the model runs with dropout, without one
    (`jaxfound.train.evaluate`) deterministically. Its ``check`` verifies that the targets
    lie in ``[0, vocab_size)`` before training.

    Args:
      model: a `GPT` (or any ``flax.linen`` module / ``apply(params, x, key)`` giving
        logits ``(batch, T, vocab)``).

    Returns:
      A `jaxfound.losses.Loss` with aux ``{"loss": ...}``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.models.gpt import GPT, GPTConfig
      >>> model = GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=8))
      >>> params = model.init(jax.random.key(0), jnp.zeros((1, 4), jnp.int32))
      >>> x = jnp.zeros((2, 4), jnp.int32)
      >>> value, aux = lm_loss(model)(params, (x, x))
      >>> round(float(value), 1)  # about log(5) at initialisation
      1.6
    """
    from jaxfound.losses import supervised  # here: jaxfound.losses imports jaxfound.models

    return supervised(model, _token_cross_entropy)


def decay_mask(params: Params, *, embeddings: bool = True) -> Any:
    """Which parameters AdamW decays: those with two or more dimensions.

    This is nanoGPT's rule (``p.dim() >= 2``): every Dense kernel and, with
    ``embeddings=True``, the token and position embeddings (``wte``, ``wpe``); never the
    biases or the LayerNorm scales. ``embeddings=False`` also spares the embeddings, as
    minGPT and GPT-2 practice often do. Pass it to optax as ``mask=``.

    Args:
      params: the model's parameter pytree.
      embeddings: decay the embedding tables too (nanoGPT: yes).

    Returns:
      A pytree of bools with the structure of ``params``.

    Examples:
      >>> import jax.numpy as jnp
      >>> p = {"wte": {"embedding": jnp.ones((5, 2))}, "ln_f": {"scale": jnp.ones(2)}}
      >>> decay_mask(p)
      {'ln_f': {'scale': False}, 'wte': {'embedding': True}}
      >>> decay_mask(p, embeddings=False)["wte"]
      {'embedding': False}
    """

    def rule(path, leaf) -> bool:
        if leaf.ndim < 2:
            return False
        names = {getattr(k, "key", getattr(k, "name", None)) for k in path}
        return embeddings or not (names & set(_EMBEDDINGS))

    return jax.tree_util.tree_map_with_path(rule, params)


def adamw(
    learning_rate: float = 1e-3,
    *,
    steps: int,
    warmup_steps: int = 100,
    min_learning_rate: float = 1e-4,
    weight_decay: float = 0.1,
    b1: float = 0.9,
    b2: float = 0.95,
    eps: float = 1e-8,
    clip_norm: float | None = 1.0,
    decay_embeddings: bool = True,
) -> optax.GradientTransformation:
    r"""nanoGPT's optimiser: clipping, then AdamW with `decay_mask`, on warm-up + cosine.

    The learning rate at step $i$ rises linearly from 0 to $\eta$ over ``warmup_steps``,
    then follows
    $\eta_{\min} + \tfrac12(\eta - \eta_{\min})(1 + \cos(\pi\,
    \frac{i - i_w}{n - i_w}))$ until step $n$ = ``steps`` and stays at
    $\eta_{\min}$ after (``optax.warmup_cosine_decay_schedule``). The gradient is first
    clipped to global norm ``clip_norm`` (``optax.clip_by_global_norm``); the decoupled
    weight decay is scaled by the learning rate, as in ``torch.optim.AdamW``.

    Args:
      learning_rate: the peak learning rate $\eta$.
      steps: the step at which the cosine reaches ``min_learning_rate`` (nanoGPT's
        ``lr_decay_iters``, usually the number of training steps).
      warmup_steps: linear warm-up steps (nanoGPT's ``warmup_iters``).
      min_learning_rate: $\eta_{\min}$ (nanoGPT's ``min_lr``).
      weight_decay: AdamW's decoupled weight decay on the masked parameters.
      b1: Adam's first-moment decay.
      b2: Adam's second-moment decay (nanoGPT: 0.95; its Shakespeare recipe: 0.99).
      eps: Adam's $\epsilon$.
      clip_norm: global gradient-norm clip, or ``None`` for none.
      decay_embeddings: see `decay_mask`.

    Returns:
      An ``optax.GradientTransformation``; its learning rate at step ``i`` is
      ``schedule(i)`` of the schedule above.

    Raises:
      jaxfound.errors.ValidationError: ``steps`` or ``warmup_steps`` not a positive int,
        or ``warmup_steps >= steps``.

    Examples:
      >>> import jax.numpy as jnp
      >>> tx = adamw(1e-3, steps=2000)
      >>> state = tx.init({"w": jnp.ones((2, 2)), "b": jnp.zeros(2)})
    """
    steps = _validate.positive_int(steps, "steps")
    warmup_steps = _validate.positive_int(warmup_steps, "warmup_steps", minimum=0)
    if warmup_steps >= steps:
        raise errors.ValidationError(
            f"warmup_steps={warmup_steps} must be smaller than steps={steps}; the cosine "
            "decay runs from warmup_steps to steps."
        )
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, learning_rate, warmup_steps, steps, min_learning_rate
    )
    mask = lambda p: decay_mask(p, embeddings=decay_embeddings)  # noqa: E731
    tx = optax.adamw(schedule, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay, mask=mask)
    return tx if clip_norm is None else optax.chain(optax.clip_by_global_norm(clip_norm), tx)
