"""Scenario builders: task-, domain- and class-incremental splits of a labelled data set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from jaxfound import _validate, errors

__all__ = [
    "Scenario", "split_scenario", "split_scenarios", "stack_scenarios", "permuted_scenario",
    "joint_scenario", "SCENARIOS",
]

#: the three scenarios of van de Ven, Tuytelaars & Tolias (2022).
SCENARIOS = ("task", "domain", "class")


class Scenario(NamedTuple):
    r"""A sequence of contexts, padded to fixed shapes so one compiled program trains them all.

    Context $t$ holds ``n_train[t]`` rows of ``x_train[t]`` (the rest is padding).
    ``context_train[t, i]`` is the context a row comes from (it differs from $t$ only in
    `joint_scenario`). The logits a learner may use are masked: ``masks[s, c]`` is the
    boolean mask over the ``n_outputs`` logits for data of context $c$ when the learner
    has reached stage $s$ (task-IL: the classes of $c$, a separate head per context;
    class-IL: every class seen up to $\max(s, c)$; domain-IL: all outputs).

    A scenario may also hold one set of data per seed (`stack_scenarios`): then the data
    arrays carry a leading seed axis (``x_train`` ``(seeds, T, N, d)``, ``n_train``
    ``(seeds, T)``, ...) and the masks and classes are shared.

    Attributes:
      name: ``"task"``, ``"domain"`` or ``"class"``.
      x_train, y_train, context_train, n_train: ``(T, N, d)``, ``(T, N)``, ``(T, N)``, ``(T,)``.
      x_test, y_test, n_test: the test rows per context, padded the same way.
      masks: ``(S, C, n_outputs)`` bool (``S`` stages, ``C`` evaluation contexts).
      n_outputs: width of the output layer.
      classes: ``(C, k)`` the original class labels of each context.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    context_train: np.ndarray
    n_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_test: np.ndarray
    masks: np.ndarray
    n_outputs: int
    classes: np.ndarray

    @property
    def per_seed(self) -> bool:
        """Whether the data carry a leading seed axis (`stack_scenarios`)."""
        return self.x_train.ndim == 4

    @property
    def n_stages(self) -> int:
        """Number of training stages (contexts trained one after another)."""
        return int(self.x_train.shape[-3])

    @property
    def n_contexts(self) -> int:
        """Number of evaluation contexts."""
        return int(self.x_test.shape[-3])

    def seed(self, i: int) -> Scenario:
        """Seed ``i``'s scenario (the scenario itself when it is not `per_seed`)."""
        if not self.per_seed:
            return self
        return self._replace(**{f: getattr(self, f)[i] for f in _DATA_FIELDS})


#: the fields of a `Scenario` that `stack_scenarios` gives a seed axis.
_DATA_FIELDS = ("x_train", "y_train", "context_train", "n_train", "x_test", "y_test", "n_test")


def _pad(parts: Sequence[np.ndarray], fill=0) -> np.ndarray:
    n = max(len(p) for p in parts)
    out = np.full((len(parts), n, *parts[0].shape[1:]), fill, dtype=parts[0].dtype)
    for i, p in enumerate(parts):
        out[i, : len(p)] = p
    return out


def _masks(name: str, classes: np.ndarray, n_outputs: int) -> np.ndarray:
    n_ctx = len(classes)
    masks = np.zeros((n_ctx, n_ctx, n_outputs), bool)
    for s in range(n_ctx):
        for c in range(n_ctx):
            if name == "task":
                masks[s, c, classes[c]] = True
            elif name == "class":
                masks[s, c, classes[: max(s, c) + 1].ravel()] = True
            else:
                masks[s, c] = True
    return masks


def _check_inputs(pair, name):
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
        raise errors.ValidationError(f"{name} must be a pair (x, y), got {type(pair).__name__}.")
    x, y = pair
    x = np.asarray(_validate.as_numeric(x, f"{name} x"), np.float32)
    y = np.asarray(_validate.as_numeric(y, f"{name} y"))
    _validate.check_nonempty(x, f"{name} x")
    _validate.check_same_length([x, y], [f"{name} x", f"{name} y"])
    _validate.check_labels(y, f"{name} y")
    return x.reshape(len(x), -1), y.astype(np.int32)


def split_scenario(
    train: tuple,
    test: tuple,
    scenario: str = "class",
    *,
    contexts: Sequence[Sequence[int]] | None = None,
    n_outputs: int | None = None,
) -> Scenario:
    r"""Split a labelled data set into contexts of a few classes each (split MNIST).

    * **task** (task-IL): labels kept, one output per class; the learner is told the
      context, so each context's logits are masked to its own classes (multi-head).
    * **domain** (domain-IL): label = position of the class in its context (0 or 1 for
      pairs), one shared head of ``k`` outputs, no task identity.
    * **class** (class-IL): labels kept, one head over every class seen so far.

    Args:
      train: ``(x, y)`` training data (images are flattened).
      test: ``(x, y)`` test data.
      scenario: ``"task"``, ``"domain"`` or ``"class"``.
      contexts: the classes of each context; default ``[[0, 1], [2, 3], …]`` over the
        labels present.
      n_outputs: width of the output layer (default: classes, or ``k`` for domain-IL).

    Returns:
      A `Scenario`.

    Raises:
      ValidationError: unknown scenario, contexts of unequal size or overlapping, a
        class absent from the data.
      LabelError: a context holds a class the head cannot hold (label >= n_outputs).

    Examples:
      >>> import numpy as np
      >>> x, y = np.eye(8, dtype=np.float32), np.arange(8) % 4
      >>> s = split_scenario((x, y), (x, y), "task")
      >>> s.n_stages, s.n_outputs, s.masks[0, 1].tolist()
      (2, 4, [False, False, True, True])
    """
    if scenario not in SCENARIOS:
        raise errors.ValidationError(
            f"scenario={scenario!r} is not one of {SCENARIOS}; pick task-, domain- or "
            "class-incremental."
        )
    x_tr, y_tr = _check_inputs(train, "train")
    x_te, y_te = _check_inputs(test, "test")
    if x_tr.shape[1] != x_te.shape[1]:
        raise errors.ShapeError(
            f"train rows have {x_tr.shape[1]} features but test rows {x_te.shape[1]}; "
            "pass the same kind of data."
        )
    if contexts is None:
        labels = np.unique(y_tr)
        if len(labels) % 2:
            raise errors.ValidationError(
                f"the data hold {len(labels)} classes, an odd number, so the default pairs do "
                "not work; pass contexts=[[...], ...] explicitly."
            )
        contexts = labels.reshape(-1, 2).tolist()
    classes = np.asarray([list(c) for c in contexts]) if len(contexts) else np.zeros((0, 0))
    if classes.ndim != 2 or classes.shape[0] < 1 or classes.shape[1] < 1:
        raise errors.ValidationError(
            "contexts must be a non-empty list of equal-sized lists of classes, e.g. "
            f"[[0, 1], [2, 3]]; got {contexts!r}."
        )
    classes = classes.astype(np.int32)
    if len(np.unique(classes)) != classes.size:
        raise errors.ValidationError(f"contexts {classes.tolist()} repeat a class; each class "
                                     "belongs to one context.")
    k = classes.shape[1]
    default_out = k if scenario == "domain" else int(classes.max()) + 1
    n_out = default_out if n_outputs is None else _validate.positive_int(n_outputs, "n_outputs")
    need = k if scenario == "domain" else int(classes.max()) + 1
    if need > n_out:
        raise errors.LabelError(
            f"contexts hold class {int(classes.max())} but the head has n_outputs={n_out} "
            f"outputs (needs {need}); widen the head or drop the class."
        )
    parts: dict[str, list] = {k_: [] for k_ in ("xtr", "ytr", "ctr", "xte", "yte")}
    for c, cls in enumerate(classes):
        for x, y, kx, ky in ((x_tr, y_tr, "xtr", "ytr"), (x_te, y_te, "xte", "yte")):
            keep = np.isin(y, cls)
            if not keep.any():
                raise errors.ValidationError(
                    f"context {c} (classes {cls.tolist()}) has no rows in the "
                    f"{'train' if kx == 'xtr' else 'test'} data; check contexts."
                )
            yy = y[keep]
            if scenario == "domain":
                yy = np.searchsorted(cls, yy) if np.all(np.diff(cls) > 0) else np.array(
                    [list(cls).index(v) for v in yy])
            parts[kx].append(x[keep])
            parts[ky].append(yy.astype(np.int32))
        parts["ctr"].append(np.full(len(parts["xtr"][-1]), c, np.int32))
    return Scenario(
        scenario, _pad(parts["xtr"]), _pad(parts["ytr"]), _pad(parts["ctr"]),
        np.array([len(p) for p in parts["xtr"]], np.int32),
        _pad(parts["xte"]), _pad(parts["yte"]),
        np.array([len(p) for p in parts["xte"]], np.int32),
        _masks(scenario, classes, n_out), n_out, classes,
    )


def permuted_scenario(
    train: tuple, test: tuple, n_contexts: int, key: jax.Array, *, scenario: str = "domain"
) -> Scenario:
    r"""Permuted MNIST: every context is the whole data set under its own pixel permutation.

    The first context keeps the original pixel order. With ``scenario="domain"`` one head
    is shared by all contexts; ``"task"`` gives each context its own head of all classes
    (``n_outputs = n_contexts * n_classes``); ``"class"`` likewise, with no context given.

    Args:
      train: ``(x, y)``; test: ``(x, y)``.
      n_contexts: number of permutations.
      key: PRNG key for the permutations.
      scenario: ``"task"``, ``"domain"`` or ``"class"``.

    Returns:
      A `Scenario`.

    Examples:
      >>> import jax, numpy as np
      >>> x, y = np.random.rand(6, 4).astype(np.float32), np.arange(6) % 2
      >>> s = permuted_scenario((x, y), (x, y), 3, jax.random.key(0))
      >>> s.x_train.shape, s.n_outputs
      ((3, 6, 4), 2)
    """
    if scenario not in SCENARIOS:
        raise errors.ValidationError(f"scenario={scenario!r} is not one of {SCENARIOS}.")
    n_contexts = _validate.positive_int(n_contexts, "n_contexts")
    key = _validate.required_key(key, "permuted_scenario", "it draws the pixel permutations")
    x_tr, y_tr = _check_inputs(train, "train")
    x_te, y_te = _check_inputs(test, "test")
    n_cls = int(max(y_tr.max(), y_te.max())) + 1
    d = x_tr.shape[1]
    perms = [np.arange(d)] + [
        np.asarray(jax.random.permutation(k, d)) for k in jax.random.split(key, n_contexts - 1)
    ] if n_contexts > 1 else [np.arange(d)]
    shift = 0 if scenario == "domain" else n_cls
    n_out = n_cls if scenario == "domain" else n_cls * n_contexts
    classes = np.arange(n_contexts)[:, None] * shift + np.arange(n_cls)[None]
    return Scenario(
        scenario,
        np.stack([x_tr[:, p] for p in perms]),
        np.stack([y_tr + c * shift for c in range(n_contexts)]).astype(np.int32),
        np.repeat(np.arange(n_contexts, dtype=np.int32)[:, None], len(y_tr), 1),
        np.full(n_contexts, len(y_tr), np.int32),
        np.stack([x_te[:, p] for p in perms]),
        np.stack([y_te + c * shift for c in range(n_contexts)]).astype(np.int32),
        np.full(n_contexts, len(y_te), np.int32),
        _masks(scenario, classes, n_out), n_out, classes,
    )


def joint_scenario(scenario: Scenario) -> Scenario:
    r"""The joint-training baseline: one stage holding every context's training data.

    Each row keeps its own context (and so its own task-IL head); the masks are those
    of the last stage.

    Examples:
      >>> import numpy as np
      >>> x, y = np.eye(8, dtype=np.float32), np.arange(8) % 4
      >>> j = joint_scenario(split_scenario((x, y), (x, y), "class"))
      >>> j.n_stages, int(j.n_train[0])
      (1, 8)
    """
    if scenario.per_seed:
        return stack_scenarios([joint_scenario(scenario.seed(i))
                                for i in range(len(scenario.x_train))])
    keep = [np.arange(int(n)) for n in scenario.n_train]
    x = np.concatenate([scenario.x_train[t, i] for t, i in enumerate(keep)])[None]
    y = np.concatenate([scenario.y_train[t, i] for t, i in enumerate(keep)])[None]
    c = np.concatenate([scenario.context_train[t, i] for t, i in enumerate(keep)])[None]
    return scenario._replace(
        x_train=x, y_train=y, context_train=c, n_train=np.array([x.shape[1]], np.int32),
        masks=scenario.masks[-1:],
    )


def stack_scenarios(scenarios: Sequence[Scenario]) -> Scenario:
    r"""One scenario holding each seed's own data: seed $i$ trains on ``scenarios[i]``.

    The data arrays gain a leading seed axis (rows padded to the longest); the scenarios
    must share their name, stages, masks and number of outputs, which is what
    `split_scenarios` builds. `train_continual` then gives seed $i$ its own data inside
    the same vmapped program.

    Raises:
      ValidationError: no scenarios, or scenarios that differ in more than their data.

    Examples:
      >>> import numpy as np
      >>> x, y = np.eye(8, dtype=np.float32), np.arange(8) % 4
      >>> a = split_scenario((x, y), (x, y), "class")
      >>> b = stack_scenarios([a, a])
      >>> b.per_seed, b.x_train.shape, b.seed(1).n_train.tolist()
      (True, (2, 2, 4, 8), [4, 4])
    """
    scenarios = list(scenarios)
    if not scenarios or any(s.per_seed for s in scenarios):
        raise errors.ValidationError(
            "stack_scenarios needs a non-empty list of single-seed scenarios."
        )
    first = scenarios[0]
    for s in scenarios[1:]:
        same = (s.name == first.name and s.n_outputs == first.n_outputs
                and s.masks.shape == first.masks.shape and np.array_equal(s.masks, first.masks)
                and s.x_train.shape[0] == first.x_train.shape[0]
                and s.x_train.shape[2:] == first.x_train.shape[2:])
        if not same:
            raise errors.ValidationError(
                "stack_scenarios: the scenarios differ in name, stages, features, masks or "
                "outputs; only their data may differ (build them with split_scenarios)."
            )
    out: dict[str, Any] = {}
    for f in _DATA_FIELDS:
        parts = [getattr(s, f) for s in scenarios]
        if parts[0].ndim == 1:  # n_train / n_test
            out[f] = np.stack(parts)
            continue
        rows = max(p.shape[1] for p in parts)
        arr = np.zeros((len(parts), parts[0].shape[0], rows, *parts[0].shape[2:]), parts[0].dtype)
        for i, p in enumerate(parts):
            arr[i, :, : p.shape[1]] = p
        out[f] = arr
    return first._replace(**out)


def split_scenarios(
    train: tuple,
    test: tuple,
    scenario: str,
    *,
    seeds: int,
    key: jax.Array,
    keep_first: bool = True,
) -> Scenario:
    r"""Split MNIST with each seed's own class order, as van de Ven et al.'s code does.

    Seed $i$ relabels every class $y \mapsto \pi_i(y)$ by a random permutation $\pi_i$
    and then pairs the new labels (0/1, 2/3, ...), so each seed sees other digits together
    in a context; with ``keep_first`` seed 0 keeps the identity order (the reference's
    seed 0). All seeds share the masks, so one vmapped program trains them
    (`stack_scenarios`).

    Args:
      train: ``(x, y)`` with labels ``0 .. K-1`` (K even).
      test: ``(x, y)``, the same classes.
      scenario: ``"task"``, ``"domain"`` or ``"class"``.
      seeds: how many seeds (class orders).
      key: PRNG key; seed $i$'s order is ``jax.random.permutation`` of
        ``jax.random.split(key, seeds)[i]``.
      keep_first: seed 0 keeps the identity order.

    Returns:
      A `Scenario` with per-seed data (`Scenario.per_seed`).

    Examples:
      >>> import jax, numpy as np
      >>> x, y = np.eye(8, dtype=np.float32), np.arange(8) % 4
      >>> s = split_scenarios((x, y), (x, y), "class", seeds=3, key=jax.random.key(0))
      >>> s.x_train.shape, s.seed(0).y_train[0].tolist()
      ((3, 2, 4, 8), [0, 1, 0, 1])
    """
    seeds = _validate.positive_int(seeds, "seeds")
    key = _validate.required_key(key, "split_scenarios", "it draws each seed's class order")
    x_tr, y_tr = _check_inputs(train, "train")
    x_te, y_te = _check_inputs(test, "test")
    n_cls = int(max(y_tr.max(), y_te.max())) + 1
    orders = [np.asarray(jax.random.permutation(k, n_cls)) for k in jax.random.split(key, seeds)]
    if keep_first:
        orders[0] = np.arange(n_cls)
    return stack_scenarios([
        split_scenario((x_tr, o[y_tr]), (x_te, o[y_te]), scenario) for o in orders
    ])
