r"""Zero-shot classification: score each label's words after a prompt by the LM's likelihood.

No labelled example is used. For a context $x$ (the sentence inside a prompt template) and
class $c$ with verbaliser tokens $v^{c}_{1..n_c}$ (e.g. ``" good"`` / ``" bad"``),

$$
s_c(x) = \sum_{j=1}^{n_c} \log p_\theta\big(v^c_j \mid x, v^c_{<j}\big)
\quad(\texttt{"sum"}), \qquad \text{or } s_c / n_c \quad (\texttt{"mean"}),
$$

and the prediction is $\arg\max_c s_c$. ``calibrate=True`` subtracts the scores of the
content-free prompt (the template with an empty sentence; Zhao et al. 2021), removing the
model's prior preference for one verbaliser. A context too long for the model keeps its
LAST tokens (the template's cue sits at the end), with the verbaliser after them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxfound import _validate, errors
from jaxfound.data import Tokenizer
from jaxfound.finetune._pad import encode_texts, pad
from jaxfound.typing import Params

__all__ = ["NORMALIZE", "label_logprobs", "zero_shot"]

#: how `label_logprobs` combines a verbaliser's token log-probabilities
NORMALIZE = ("sum", "mean")


@partial(jax.jit, static_argnums=0)
def _scores(apply, params, tokens, targets, weights):
    logp = jax.nn.log_softmax(apply(params, tokens).astype(jnp.float32), axis=-1)
    picked = jnp.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    return (picked * weights).sum(-1)


def label_logprobs(
    apply: Callable,
    params: Params,
    contexts: Sequence[Sequence[int]],
    verbalizers: Sequence[Sequence[int]],
    *,
    block_size: int,
    normalize: str = "sum",
    batch_size: int = 256,
) -> np.ndarray:
    """Log-likelihood of each verbaliser after each context, ``(n, n_classes)``.

    Args:
      apply: ``apply(params, tokens) -> logits (batch, T, vocab)``, e.g. ``GPT(cfg).apply``.
      params: its variables.
      contexts: token ids of each prompted sentence.
      verbalizers: token ids of each class's label words (at least one token each).
      block_size: the model's context; longer contexts keep their last tokens.
      normalize: ``"sum"`` or ``"mean"`` over the verbaliser's tokens.
      batch_size: rows per compiled call.

    Returns:
      ``(n, n_classes)`` float scores (nats).

    Raises:
      jaxfound.errors.ValidationError: an unknown ``normalize``, fewer than two classes,
        an empty verbaliser, or one that leaves no room for context in ``block_size``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from jaxfound.models.gpt import GPT, GPTConfig
      >>> m = GPT(GPTConfig(vocab_size=7, block_size=8, n_layer=1, n_head=1, n_embd=8))
      >>> v = m.init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32))
      >>> label_logprobs(m.apply, v, [[1, 2], [3]], [[4], [5, 6]], block_size=8).shape
      (2, 2)
    """
    if normalize not in NORMALIZE:
        raise errors.ValidationError(f"normalize={normalize!r}; choose one of {NORMALIZE}.")
    block_size = _validate.positive_int(block_size, "block_size")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    verbs = [np.asarray(v, np.int64).reshape(-1) for v in verbalizers]
    if len(verbs) < 2:
        raise errors.ValidationError("give at least two verbalizers (one per class).")
    for c, v in enumerate(verbs):
        if len(v) == 0 or len(v) >= block_size:
            raise errors.ValidationError(
                f"verbalizer {c} has {len(v)} tokens; it needs 1 to {block_size - 1} so that "
                f"some context fits in block_size={block_size}."
            )
    ctxs = [np.asarray(c, np.int64).reshape(-1) for c in contexts]
    n = len(ctxs)
    out = np.zeros((n, len(verbs)), np.float32)
    for c, v in enumerate(verbs):
        room = block_size - len(v)
        seqs = [np.concatenate([x[-room:], v]) for x in ctxs]
        p = pad(seqs, block_size)
        lens = p.lengths.astype(np.int64)
        # target at position t is tokens[t + 1]; the verbaliser's tokens are the last len(v)
        targets = np.zeros_like(p.tokens)
        targets[:, :-1] = p.tokens[:, 1:]
        t = np.arange(block_size)[None, :]
        weights = ((t >= lens[:, None] - len(v) - 1) & (t < lens[:, None] - 1)).astype(np.float32)
        if normalize == "mean":
            weights /= len(v)
        for s in range(0, n, batch_size):
            sl = slice(s, s + batch_size)
            out[sl, c] = np.asarray(_scores(apply, params, jnp.asarray(p.tokens[sl]),
                                            jnp.asarray(targets[sl]), jnp.asarray(weights[sl])))
    return out


def zero_shot(
    apply: Callable,
    params: Params,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    *,
    block_size: int,
    template: str = "{}",
    verbalizers: Sequence[str] = (" bad", " good"),
    unknown: str | None = None,
    normalize: str = "sum",
    calibrate: bool = False,
    batch_size: int = 256,
) -> np.ndarray:
    """Zero-shot class scores ``(n, n_classes)`` of ``texts`` (argmax: the prediction).

    Args:
      apply: ``apply(params, tokens) -> logits``.
      params: the language model's variables.
      tokenizer: its tokenizer.
      texts: the sentences.
      block_size: the model's context.
      template: the prompt, ``"{}"`` standing for the sentence, e.g. ``"{} It was"``.
      verbalizers: each class's label words, in class order.
      unknown: see `jaxfound.finetune.encode_texts` (``" "`` maps unknown characters).
      normalize: ``"sum"`` or ``"mean"`` (see `label_logprobs`).
      calibrate: subtract the content-free prompt's scores (see the module docstring).
      batch_size: rows per compiled call.

    Returns:
      ``(n, n_classes)`` scores.

    Raises:
      jaxfound.errors.ValidationError: a template without ``{}``, and the errors of
        `label_logprobs` and `jaxfound.finetune.encode_texts`.
    """
    if not isinstance(template, str) or "{}" not in template:
        raise errors.ValidationError(
            f"template={template!r} must contain '{{}}' where the sentence goes.")
    prompts = [template.format(t) for t in texts]
    longest = max([len(s) for s in prompts] + [len(v) for v in verbalizers] + [1])

    def ids(strings):
        enc = encode_texts(tokenizer, strings, longest, unknown=unknown, truncation="tail")
        return [row[m] for row, m in zip(enc.padded.tokens, enc.padded.mask)]

    verbs = ids(list(verbalizers))
    scores = label_logprobs(apply, params, ids(prompts), verbs, block_size=block_size,
                            normalize=normalize, batch_size=batch_size)
    if calibrate:
        empty = template.format("").strip() or " "
        scores = scores - label_logprobs(apply, params, ids([empty]), verbs,
                                         block_size=block_size, normalize=normalize)
    return scores
