r"""A sequence-classification head on a GPT's features, pooled over the attention mask.

With the final LayerNorm's output $h_{t} \in \mathbb{R}^{C}$ (`jaxfound.models.gpt.GPT`
with ``return_hidden=True``) and a padding mask $m_t \in \{0, 1\}$ (ones first, then
zeros: right padding, as `jaxfound.finetune.pad` makes), the sentence's feature is

$$
z = h_{\ell} \;\; (\texttt{"last"},\ \ell = \textstyle\sum_t m_t - 1) \qquad\text{or}\qquad
z = \frac{\sum_t m_t h_t}{\sum_t m_t} \;\; (\texttt{"mean"}),
$$

and the head is linear, $\mathrm{logits} = W z + b$. Attention is causal, so $h_t$ for
$t \le \ell$ never sees the padding after it: right padding changes neither pooling (tested).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxfound import _validate, errors
from jaxfound.losses import Loss
from jaxfound.models import as_apply
from jaxfound.models.gpt import GPT, GPTConfig
from jaxfound.typing import Array, Params, PRNGKey

__all__ = ["POOLINGS", "pool", "SequenceClassifier", "with_backbone", "classification_loss"]

#: the poolings `pool` and `SequenceClassifier` know
POOLINGS = ("last", "mean")


def pool(hidden: Array, mask: Array, how: str = "last") -> Array:
    """Pool ``(batch, T, C)`` features over a right-padded ``(batch, T)`` mask to ``(batch, C)``.

    Args:
      hidden: per-position features.
      mask: True (or 1) on real tokens, a prefix of each row; every row needs one.
      how: ``"last"`` (the last real token's feature) or ``"mean"`` (the masked mean).

    Returns:
      ``(batch, C)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> h = jnp.arange(6.0).reshape(1, 3, 2)
      >>> m = jnp.array([[1, 1, 0]])
      >>> pool(h, m, "last").tolist(), pool(h, m, "mean").tolist()
      ([[2.0, 3.0]], [[1.0, 2.0]])
    """
    if how not in POOLINGS:
        raise errors.ValidationError(f"pooling={how!r}; choose one of {POOLINGS}.")
    m = jnp.asarray(mask).astype(hidden.dtype)
    if how == "mean":
        return (hidden * m[..., None]).sum(1) / jnp.maximum(m.sum(1, keepdims=True), 1)
    last = jnp.maximum(m.sum(1).astype(jnp.int32) - 1, 0)
    return jnp.take_along_axis(hidden, last[:, None, None], axis=1)[:, 0]


class SequenceClassifier(nn.Module):
    """A `GPT` backbone (``"gpt"``) and a linear head (``"head"``) over its pooled features.

    Call it on ``x = (tokens, mask)``, both ``(batch, T)``: ``model.apply(variables, x)``
    gives logits ``(batch, num_classes)``; `SequenceClassifier.features` gives the
    pooled features ``(batch, n_embd)`` (for a frozen-feature probe). Train it with
    `classification_loss` on ``((tokens, mask), labels)`` batches.

    Attributes:
      config: the backbone's `GPTConfig`.
      num_classes: the number of classes $K \\ge 2$.
      pooling: ``"last"`` or ``"mean"`` (see `pool`).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.models.gpt import GPTConfig
      >>> cfg = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)
      >>> clf = SequenceClassifier(cfg, num_classes=2)
      >>> x = (jnp.ones((3, 8), jnp.int32), jnp.ones((3, 8), bool))
      >>> v = clf.init(jax.random.key(0), x)
      >>> clf.apply(v, x).shape, sorted(v["params"])
      ((3, 2), ['gpt', 'head'])
    """

    config: GPTConfig
    num_classes: int = 2
    pooling: str = "last"

    def setup(self):
        if self.pooling not in POOLINGS:
            raise errors.ValidationError(
                f"pooling={self.pooling!r}; choose one of {POOLINGS}.")
        _validate.positive_int(self.num_classes, "num_classes", minimum=2)
        self.gpt = GPT(self.config)
        self.head = nn.Dense(self.num_classes, kernel_init=nn.initializers.normal(0.02))

    def features(self, x, *, deterministic: bool = True) -> Array:
        """The pooled backbone features ``(batch, n_embd)`` of ``x = (tokens, mask)``."""
        tokens, mask = x
        _, hidden = self.gpt(tokens, deterministic=deterministic, return_hidden=True)
        return pool(hidden, mask, self.pooling)

    def __call__(self, x, *, deterministic: bool = True) -> Array:
        return self.head(self.features(x, deterministic=deterministic))


def with_backbone(variables: Params, gpt_variables: Params) -> Params:
    """``variables`` of a `SequenceClassifier` with the backbone replaced by a pretrained GPT's.

    Args:
      variables: ``SequenceClassifier.init(...)`` output.
      gpt_variables: a `GPT`'s variables (``{"params": ...}``), e.g. restored with
        `jaxfound.train.restore_checkpoint`.

    Returns:
      New variables (the head kept).

    Raises:
      jaxfound.errors.ShapeError: the GPT's parameters differ in structure or shape from the
        classifier's backbone (a checkpoint of another model).
    """
    want = variables["params"]["gpt"]
    got = gpt_variables.get("params", gpt_variables) if isinstance(gpt_variables, dict) else None
    same = got is not None and str(jax.tree_util.tree_structure(want)) == str(
        jax.tree_util.tree_structure(got))
    ok = same and all(jnp.shape(a) == jnp.shape(b) for a, b in zip(
            jax.tree_util.tree_leaves(want), jax.tree_util.tree_leaves(got)))
    if not ok:
        raise errors.ShapeError(
            "the pretrained GPT's parameters do not match the classifier's backbone (another "
            "config: layers, width, vocabulary or context); build the SequenceClassifier "
            "with the checkpoint's own GPTConfig (its config.json)."
        )
    return {**variables, "params": {**variables["params"], "gpt": got}}


def classification_loss(model: Any, num_classes: int) -> Loss:
    r"""Mean softmax cross-entropy of a classifier on ``((tokens, mask), labels)`` batches.

    $L = -\frac1B \sum_i \log \mathrm{softmax}(f_\theta(x_i))_{y_i}$ (optax's integer-label
    cross-entropy), with ``aux`` holding ``"loss"`` and ``"accuracy"``. Its ``check``
    (run once by `jaxfound.train.fit` / `jaxfound.train.evaluate`) rejects labels outside
    ``[0, num_classes)`` and tokens and masks of different shapes.

    Args:
      model: a `SequenceClassifier`, or any ``apply(params, x, key)`` (e.g. a
        `jaxfound.finetune.LoRA.wrap` of one) giving ``(batch, num_classes)`` logits.
      num_classes: the head's number of classes.

    Returns:
      A `jaxfound.losses.Loss`.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.models.gpt import GPTConfig
      >>> cfg = GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=8)
      >>> clf = SequenceClassifier(cfg, num_classes=2)
      >>> x = (jnp.ones((2, 4), jnp.int32), jnp.ones((2, 4), bool))
      >>> v = clf.init(jax.random.key(0), x)
      >>> value, aux = classification_loss(clf, 2)(v, (x, jnp.array([0, 1])))
      >>> sorted(aux)
      ['accuracy', 'loss']
    """
    apply = as_apply(model)
    k = _validate.positive_int(num_classes, "num_classes", minimum=2)

    def fn(params: Params, batch, key: PRNGKey | None = None):
        x, y = batch
        logits = apply(params, x, key)
        loss = optax.losses.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        acc = jnp.mean(jnp.argmax(jax.lax.stop_gradient(logits), -1) == y)
        return loss, {"loss": loss, "accuracy": acc}

    def check(params: Params, data, name: str = "data") -> None:
        try:
            (tokens, mask), y = data
        except (TypeError, ValueError) as e:
            raise errors.ValidationError(
                f"{name} must be ((tokens, mask), labels), as jaxfound.finetune.pad makes."
            ) from e
        if np.shape(tokens) != np.shape(mask) or np.ndim(tokens) != 2:
            raise errors.ShapeError(
                f"{name}: tokens {np.shape(tokens)} and mask {np.shape(mask)} must both be "
                "(batch, T)."
            )
        _validate.check_labels(np.asarray(y), f"{name} labels", k)

    return Loss(fn, check)
