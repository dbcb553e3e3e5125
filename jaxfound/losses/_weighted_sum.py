"""``weighted_sum``: one combinator for named loss terms (supervised, physics, penalties)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax

from jaxfound import errors
from jaxfound.losses._loss import Loss, as_loss
from jaxfound.typing import Batch, Params, PRNGKey

__all__ = ["weighted_sum"]

_RESERVED = ("loss", "weights")


def _term_data(term: Loss, name: str, batch: Any) -> Any:
    """What ``term`` reads: its own entry of a mapping batch if routed, else the batch."""
    if not term.routed:
        return batch
    if isinstance(batch, Mapping):
        return batch.get(name)
    return None


def weighted_sum(terms: Mapping[str, Any], weights: Mapping[str, float] | None = None) -> Loss:
    r"""Weighted sum of named loss terms, each reported in ``aux``.

    $$
    L(\theta) = \sum_k w_k\, L_k(\theta)
    $$

    Every term goes through `as_loss` (a `Loss`, an object with ``as_loss()`` such as
    a `jaxfound.physics.Constraint`, or a plain ``f(params, batch, key)``).

    * **Data routing**: a routed term (``Loss(..., routed=True)``) gets ``batch[name]``
      when ``batch`` is a mapping holding its name, else ``None`` (its own default
      data); an unrouted term gets the whole batch.
    * **Weights in the batch**: a mapping batch may hold ``"weights"``, a mapping of
      term weights that overrides ``weights`` (loss balancing inside a compiled loop,
      e.g. a `jaxfound.train.Sampler` that re-balances every N steps).
    * **Keys**: one ``jax.random.split`` per term when a key is given, ``None`` otherwise.
    * **Model state**: if some terms are stateful the sum is too; the model state is
      threaded through the stateful terms in order.
    * **Checks**: the combined ``check`` runs each term's check on the data that term
      would get (routed terms whose entry is missing are skipped).

    Args:
      terms: name -> term. The names ``"loss"`` and ``"weights"`` are reserved.
      weights: name -> weight $w_k$ (default 1 for every term).

    Returns:
      A `Loss` whose ``aux`` holds each term's unweighted value under its name, each
      term's own aux entries as ``"<name>/<key>"`` (except a term's ``"loss"`` entry,
      which is its value again), and the total under ``"loss"``.

    Raises:
      ValidationError: no terms, a reserved name, or a weight for an unknown term.

    Examples:
      >>> import jax.numpy as jnp
      >>> a = lambda p, b, k: (jnp.sum(p ** 2), {})
      >>> b = lambda p, b, k: (jnp.sum(p), {"n": p.size})
      >>> total, aux = weighted_sum({"a": a, "b": b}, {"b": 2.0})(jnp.ones(3), None)
      >>> float(total), float(aux["b"]), aux["b/n"]
      (9.0, 3.0, 3)
    """
    if not terms:
        raise errors.ValidationError("weighted_sum needs at least one term in terms.")
    for name in terms:
        if name in _RESERVED:
            raise errors.ValidationError(
                f"terms may not be named {name!r}: 'loss' and 'weights' are reserved "
                "(the total, and the batch entry of term weights); rename the term."
            )
    terms = {name: as_loss(t, f"terms[{name!r}]") for name, t in terms.items()}
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(terms))
    if unknown:
        raise errors.ValidationError(
            f"weights names {unknown} that are not terms ({sorted(terms)}); fix the names."
        )
    names = list(terms)
    stateful = any(t.stateful for t in terms.values())

    def fn(params: Params, batch: Batch, key: PRNGKey | None = None, model_state: Any = None):
        w = {n: 1.0 for n in names} | weights
        if isinstance(batch, Mapping) and "weights" in batch:
            w = w | dict(batch["weights"])
        keys = [None] * len(names) if key is None else list(jax.random.split(key, len(names)))
        total = 0.0
        aux = {}
        for name, k in zip(names, keys):
            term = terms[name]
            data = _term_data(term, name, batch)
            if term.stateful:
                value, term_aux, model_state = term.fn(params, data, k, model_state)
            else:
                value, term_aux = term.fn(params, data, k)
            aux[name] = value
            aux.update({f"{name}/{sub}": v for sub, v in term_aux.items() if sub != "loss"})
            total = total + w[name] * value
        aux["loss"] = total
        if stateful:
            return total, aux, model_state
        return total, aux

    def check(params: Params, data: Any, name: str = "data") -> None:
        for term_name in names:
            term = terms[term_name]
            if term.check is None:
                continue
            term_data = _term_data(term, term_name, data)
            if term.routed and term_data is None:
                continue
            label = f"{name}[{term_name!r}]" if term.routed else name
            term.check(params, term_data, label)

    return Loss(fn, check, stateful=stateful)
