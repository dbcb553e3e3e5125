r"""LoRA (Hu et al. 2021) as a pure parameter transform: any model, unchanged.

For every kernel $W \in \mathbb{R}^{d_\text{in} \times d_\text{out}}$ whose path matches
the patterns (a kernel of more dimensions is seen as $\prod_{i<n} d_i \times d_n$), LoRA
learns two factors $A \in \mathbb{R}^{d_\text{in} \times r}$ and
$B \in \mathbb{R}^{r \times d_\text{out}}$ and the model sees

$$
W' = W + \frac{\alpha}{r}\, A B ,
$$

the paper's $W_0 + \frac{\alpha}{r} B A$ written for Flax's ``(in, out)`` kernel layout.
$A$ starts $\mathcal{N}(0, 1/d_\text{in})$ and $B$ at zero, so at initialisation
$W' = W$ exactly. Only $A, B$ train: $r (d_\text{in} + d_\text{out})$ numbers per kernel
instead of $d_\text{in} d_\text{out}$.

``merge(params, adapters)`` returns the weights the model sees, so the model's code never
changes: ``model.apply(lora.merge(params, adapters), x)``. For training, `LoRA.wrap` turns
an ``apply(params, ...)`` into ``apply({"base": params, "lora": adapters}, ...)`` with the
base behind ``jax.lax.stop_gradient`` (its gradient is exactly zero), and
`LoRA.optimizer` gives the base ``optax.set_to_zero()`` (no optimiser state). Deploy by
merging once; ship ``adapters`` alone (a few KB); `LoRA.unmerge` recovers the base.

**Dropout.** The paper drops the layer's *input* before $A$; a parameter transform never
sees the inputs, so here ``dropout`` drops whole rank components of $A B$ instead (each of
the $r$ columns of $A$ kept with probability $1 - p$ and scaled by $1/(1-p)$, one draw per
step and kernel), a regulariser of the same kind but not the paper's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxfound import _validate, errors
from jaxfound.finetune._freeze import freeze
from jaxfound.finetune._paths import Patterns, _as_patterns, _unmatched_error, matches, path_str
from jaxfound.typing import Array, Params, PRNGKey

__all__ = ["Adapters", "LoRA", "lora"]

#: ``{kernel path: {"a": (d_in, r), "b": (r, d_out)}}``
Adapters = dict[str, dict[str, Array]]


class LoRA(NamedTuple):
    """LoRA's pure functions and settings (build it with `lora`).

    Attributes:
      init: ``init(key, params) -> adapters``.
      merge: ``merge(params, adapters, key=None) -> params`` with $W + \\frac{\\alpha}{r}AB$
        (a ``key`` applies the rank dropout, see the module docstring).
      unmerge: ``unmerge(merged, adapters) -> params`` with $W - \\frac{\\alpha}{r}AB$.
      delta: ``delta(adapters) -> {path: dW}``, each ``dW`` shaped as its flattened kernel.
      wrap: ``wrap(apply, also_train=()) -> apply'`` taking ``{"base", "lora"}``.
      optimizer: ``optimizer(tx, also_train=())``: ``tx`` on the adapters (and on the base
        leaves ``also_train`` matches), ``optax.set_to_zero()`` on the rest.
      patterns: the kernel path patterns.
      rank: $r$.
      alpha: $\\alpha$.
      dropout: rank-dropout probability.
    """

    init: Callable[..., Adapters]
    merge: Callable[..., Params]
    unmerge: Callable[..., Params]
    delta: Callable[[Adapters], dict[str, Array]]
    wrap: Callable[..., Callable]
    optimizer: Callable[..., optax.GradientTransformation]
    patterns: tuple[str, ...]
    rank: int
    alpha: float
    dropout: float


def _targets(params: Params, patterns: tuple[str, ...], rank: int) -> dict[str, tuple]:
    leaves = jax.tree_util.tree_flatten_with_path(params)[0]
    ps = [path_str(kp) for kp, _ in leaves]
    for pat in patterns:
        if not any(matches(pat, p) for p in ps):
            raise _unmatched_error(pat, ps, "lora")
    out = {}
    for p, (_, leaf) in zip(ps, leaves):
        if not any(matches(pat, p) for pat in patterns):
            continue
        shape = tuple(np.shape(leaf))
        if len(shape) < 2:
            raise errors.ShapeError(
                f"lora pattern matches {p!r} of shape {shape}; LoRA adapts matrices (kernels "
                "of 2+ dimensions): narrow the patterns, e.g. to '**/kernel'."
            )
        d_in, d_out = int(np.prod(shape[:-1])), shape[-1]
        if rank > min(d_in, d_out):
            raise errors.ValidationError(
                f"lora rank={rank} exceeds the smaller side of {p!r} ({d_in} x {d_out}); a "
                f"low-rank update needs rank <= {min(d_in, d_out)}: lower the rank or "
                "exclude that kernel."
            )
        out[p] = (d_in, d_out, jnp.result_type(leaf))
    return out


def _check_fit(params: Params, adapters: Adapters) -> dict[str, Any]:
    if not isinstance(adapters, dict):
        raise errors.ValidationError(
            f"adapters must be the dict that LoRA.init returns, got {type(adapters).__name__}."
        )
    leaves = {path_str(kp): x for kp, x in jax.tree_util.tree_flatten_with_path(params)[0]}
    for p, f in adapters.items():
        if p not in leaves:
            raise errors.ShapeError(
                f"the adapters have a factor for {p!r}, which this model does not have; "
                "merge adapters into the model (architecture) they were made for."
            )
        shape = np.shape(leaves[p])
        d_in, d_out = int(np.prod(shape[:-1])), shape[-1]
        if np.shape(f["a"])[0] != d_in or np.shape(f["b"])[-1] != d_out:
            raise errors.ShapeError(
                f"adapter {p!r} is {np.shape(f['a'])[0]} x {np.shape(f['b'])[-1]} but the "
                f"model's kernel there is {d_in} x {d_out} (shape {shape}); the adapters were "
                "made for a model of another shape."
            )
    return leaves


def lora(
    patterns: Patterns = "**/kernel",
    *,
    rank: int,
    alpha: float | None = None,
    dropout: float = 0.0,
) -> LoRA:
    r"""LoRA for the kernels whose paths match ``patterns`` (any params pytree).

    Args:
      patterns: path glob(s) of the kernels to adapt (`jaxfound.finetune.mask` syntax),
        e.g. ``"params/h_*/attn/*/kernel"``.
      rank: $r \ge 1$, at most the smaller side of every matched kernel.
      alpha: $\alpha$ (default $r$, i.e. scale 1).
      dropout: rank-dropout probability in $[0, 1)$ (see the module docstring).

    Returns:
      `LoRA`.

    Raises:
      jaxfound.errors.ValidationError: ``rank < 1``, ``rank`` larger than a matched kernel's
        smaller side (at ``init``), a pattern matching nothing (at ``init``), a bad
        ``alpha``/``dropout``.
      jaxfound.errors.ShapeError: merging adapters into a model of another shape.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> params = {"dense": {"kernel": jnp.ones((4, 3)), "bias": jnp.zeros(3)}}
      >>> lo = lora("**/kernel", rank=2, alpha=4.0)
      >>> ad = lo.init(jax.random.key(0), params)
      >>> ad["dense/kernel"]["a"].shape, ad["dense/kernel"]["b"].shape
      ((4, 2), (2, 3))
      >>> bool((lo.merge(params, ad)["dense"]["kernel"] == params["dense"]["kernel"]).all())
      True
    """
    pats = _as_patterns(patterns, "patterns")
    if isinstance(rank, (int, np.integer)) and not isinstance(rank, bool) and rank < 1:
        raise errors.ValidationError(
            f"lora rank={rank}; the rank must be an int >= 1 (typical: 4 to 16)."
        )
    rank = _validate.positive_int(rank, "rank")
    alpha = float(rank) if alpha is None else float(
        _validate.hyperparameter(alpha, "alpha", low=0.0, open_low=True))
    p_drop = float(_validate.nonnegative_scalar(dropout, "dropout"))
    if p_drop >= 1:
        raise errors.ValidationError(f"dropout={dropout} must be in [0, 1).")
    scale = alpha / rank

    def init(key: PRNGKey, params: Params) -> Adapters:
        key = _validate.required_key(key, "LoRA.init", "it draws the A factors")
        targets = _targets(params, pats, rank)
        keys = jax.random.split(key, max(len(targets), 1))
        out = {}
        for k, (p, (d_in, d_out, dtype)) in zip(keys, targets.items()):
            a = jax.random.normal(k, (d_in, rank), dtype) / np.sqrt(d_in)
            out[p] = {"a": a, "b": jnp.zeros((rank, d_out), dtype)}
        return out

    def delta(adapters: Adapters, key: PRNGKey | None = None) -> dict[str, Array]:
        out = {}
        for i, (p, f) in enumerate(sorted(adapters.items())):
            a = f["a"]
            if key is not None and p_drop > 0:
                keep = jax.random.bernoulli(jax.random.fold_in(key, i), 1 - p_drop, (rank,))
                a = a * keep.astype(a.dtype) / (1 - p_drop)
            out[p] = scale * (a @ f["b"])
        return out

    def _apply(params: Params, adapters: Adapters, sign: float, key=None) -> Params:
        _check_fit(params, adapters)
        d = delta(adapters, key)

        def add(kp, w):
            p = path_str(kp)
            if p not in d:
                return w
            return w + (sign * d[p]).reshape(w.shape).astype(w.dtype)

        return jax.tree_util.tree_map_with_path(add, params)

    def merge(params: Params, adapters: Adapters, key: PRNGKey | None = None) -> Params:
        return _apply(params, adapters, 1.0, key)

    def unmerge(merged: Params, adapters: Adapters) -> Params:
        return _apply(merged, adapters, -1.0)

    def wrap(apply: Callable, also_train: Patterns = ()) -> Callable:
        extra = () if not also_train else _as_patterns(also_train, "also_train")

        def frozen(kp, x):
            p = path_str(kp)
            return x if any(matches(pat, p) for pat in extra) else jax.lax.stop_gradient(x)

        def wrapped(tree, *args, lora_key: PRNGKey | None = None, **kwargs):
            base = jax.tree_util.tree_map_with_path(frozen, tree["base"])
            return apply(merge(base, tree["lora"], lora_key), *args, **kwargs)

        return wrapped

    def optimizer(tx: optax.GradientTransformation,
                  also_train: Patterns = ()) -> optax.GradientTransformation:
        extra = () if not also_train else _as_patterns(also_train, "also_train")
        return freeze(tx, trainable=("lora/**", *(f"base/{p}" for p in extra)))

    return LoRA(init, merge, unmerge, partial(delta, key=None), wrap, optimizer, pats, rank,
                alpha, p_drop)
