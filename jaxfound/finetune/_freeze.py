r"""Freezing and per-layer learning rates by parameter path, on ``optax.multi_transform``.

A frozen parameter goes to ``optax.set_to_zero()``: its update is zero and it holds **no
optimiser state** (``multi_transform`` gives each inner optimiser only its own leaves, the
others masked out), so freezing 98% of a model also saves 98% of Adam's two moments.
Discriminative (per-layer) learning rates are the same mechanism with one inner optimiser
per rate: $\theta_g \leftarrow \theta_g - \eta_g\, u_g$ for each group $g$ of paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import optax

from jaxfound import _validate, errors
from jaxfound.finetune._paths import Patterns, _as_patterns, _unmatched_error, matches, path_str
from jaxfound.typing import PyTree

__all__ = ["FROZEN", "freeze", "layerwise", "layer_decay"]

#: the label of frozen leaves in the ``multi_transform`` these functions build
FROZEN = "frozen"


def _labeller(rules: list[tuple[str, str]], default: str, name: str) -> Callable:
    def labels(params: PyTree) -> PyTree:
        leaves, treedef = jax.tree_util.tree_flatten_with_path(params)
        ps = [path_str(kp) for kp, _ in leaves]
        for pat, _ in rules:
            if not any(matches(pat, p) for p in ps):
                raise _unmatched_error(pat, ps, name)
        out = []
        for p in ps:
            out.append(next((lab for pat, lab in rules if matches(pat, p)), default))
        return jax.tree_util.tree_unflatten(treedef, out)

    return labels


def freeze(
    tx: optax.GradientTransformation,
    *,
    trainable: Patterns | None = None,
    frozen: Patterns | None = None,
) -> optax.GradientTransformation:
    """Train the leaves that ``trainable`` matches (or all but ``frozen``) with ``tx``.

    Give exactly one of ``trainable`` / ``frozen``. The others get
    ``optax.set_to_zero()``: no update and no optimiser state.

    Args:
      tx: the optimiser of the trainable leaves.
      trainable: path pattern(s) of the leaves to train (`jaxfound.finetune.mask`).
      frozen: path pattern(s) of the leaves to freeze.

    Returns:
      An ``optax.GradientTransformation`` (``optax.multi_transform``); its labels are
      computed from the parameters' paths at ``init``, which raises if a pattern matches
      nothing.

    Raises:
      jaxfound.errors.ValidationError: both or neither of ``trainable``/``frozen``, or a
        pattern that matches no parameter (at ``init``).

    Examples:
      >>> import jax.numpy as jnp, optax
      >>> p = {"body": {"kernel": jnp.ones((3, 3))}, "head": {"kernel": jnp.ones((3, 2))}}
      >>> tx = freeze(optax.adam(1e-2), trainable="head/**")
      >>> state = tx.init(p)
      >>> g = jax.tree_util.tree_map(jnp.ones_like, p)
      >>> u, _ = tx.update(g, state, p)
      >>> float(abs(u["body"]["kernel"]).sum()), float(abs(u["head"]["kernel"]).sum()) > 0
      (0.0, True)
    """
    if (trainable is None) == (frozen is None):
        raise errors.ValidationError(
            "give exactly one of trainable= (patterns to train) or frozen= (patterns to freeze)."
        )
    if trainable is not None:
        pats = _as_patterns(trainable, "trainable")
        labels = _labeller([(p, "train") for p in pats], FROZEN, "trainable")
    else:
        pats = _as_patterns(frozen, "frozen")  # type: ignore[arg-type]
        labels = _labeller([(p, FROZEN) for p in pats], "train", "frozen")
    return optax.multi_transform({"train": tx, FROZEN: optax.set_to_zero()}, labels)


def layerwise(
    make_tx: Callable[[float], optax.GradientTransformation],
    rates: Mapping[str, float],
    *,
    default: float | None = None,
) -> optax.GradientTransformation:
    r"""Discriminative learning rates: each path group trained by ``make_tx(rate)``.

    Each leaf takes the rate of the FIRST pattern of ``rates`` that matches its path;
    leaves no pattern matches take ``default``, or are frozen when ``default is None``.
    A rate of ``0`` freezes too (``optax.set_to_zero``: no optimiser state).

    Args:
      make_tx: builds the optimiser of one group from its learning rate, e.g.
        ``lambda lr: optax.adamw(lr)``.
      rates: ``{pattern: learning_rate}`` in priority order.
      default: the rate of unmatched leaves, or ``None`` to freeze them.

    Returns:
      An ``optax.multi_transform``.

    Raises:
      jaxfound.errors.ValidationError: an empty ``rates``, a negative or non-finite rate,
        or a pattern that matches no parameter (at ``init``).

    Examples:
      >>> import jax.numpy as jnp, optax
      >>> p = {"h_0": {"w": jnp.ones(2)}, "h_1": {"w": jnp.ones(2)}}
      >>> tx = layerwise(optax.sgd, {"h_0/**": 0.5, "h_1/**": 1.0})
      >>> u, _ = tx.update(p, tx.init(p), p)
      >>> u["h_0"]["w"].tolist(), u["h_1"]["w"].tolist()
      ([-0.5, -0.5], [-1.0, -1.0])
    """
    if not rates:
        raise errors.ValidationError("rates is empty; give {pattern: learning_rate, ...}.")
    _as_patterns(tuple(rates), "rates")
    groups: dict[str, optax.GradientTransformation] = {FROZEN: optax.set_to_zero()}
    rules = []
    for pat, lr in rates.items():
        lr = float(_validate.nonnegative_scalar(lr, f"rates[{pat!r}]"))
        label = FROZEN if lr == 0 else f"lr={lr!r}"
        groups.setdefault(label, make_tx(lr))
        rules.append((pat, label))
    if default is None or float(default) == 0:
        fallback = FROZEN
    else:
        d = float(_validate.nonnegative_scalar(default, "default"))
        fallback = f"lr={d!r}"
        groups.setdefault(fallback, make_tx(d))
    return optax.multi_transform(groups, _labeller(rules, fallback, "rates"))


def layer_decay(
    learning_rate: float,
    n_layer: int,
    decay: float,
    *,
    layer: str = "params/h_{i}/**",
    top: Patterns = ("params/ln_f/**", "**/head/**"),
    bottom: Patterns = ("params/wte/**", "params/wpe/**"),
) -> dict[str, float]:
    r"""Layer-wise learning-rate decay (ULMFiT / BEiT): $\eta_l = \eta\, \gamma^{L - l}$.

    The ``top`` groups (last LayerNorm, task head) take $\eta$, block $l$ (0-based, of
    $L$ = ``n_layer``) takes $\eta\,\gamma^{L-l}$, and the ``bottom`` groups (embeddings)
    $\eta\,\gamma^{L+1}$. Feed the result to `layerwise`. Patterns of groups a model does
    not have are left out by the caller (every pattern given must match at ``init``).

    Args:
      learning_rate: $\eta$, the rate at the top.
      n_layer: the number of blocks $L$.
      decay: $\gamma \in (0, 1]$.
      layer: the pattern of block ``i`` (``{i}`` is replaced).
      top: pattern(s) at the full rate.
      bottom: pattern(s) below the first block.

    Returns:
      ``{pattern: rate}`` in priority order.

    Examples:
      >>> r = layer_decay(1.0, 2, 0.5, top="head/**", bottom="wte/**", layer="h_{i}/**")
      >>> r
      {'head/**': 1.0, 'h_1/**': 0.5, 'h_0/**': 0.25, 'wte/**': 0.125}
    """
    n_layer = _validate.positive_int(n_layer, "n_layer")
    decay = float(_validate.hyperparameter(decay, "decay", low=0.0, open_low=True))
    if decay > 1:
        raise errors.ValidationError(f"decay={decay} must be in (0, 1].")
    out = {p: learning_rate for p in _as_patterns(top, "top")}
    for i in reversed(range(n_layer)):
        out[layer.format(i=i)] = learning_rate * decay ** (n_layer - i)
    for p in _as_patterns(bottom, "bottom"):
        out[p] = learning_rate * decay ** (n_layer + 1)
    return out
