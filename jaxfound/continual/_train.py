"""``train_continual``: a strategy on a scenario, many seeds at once as one vmapped program."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxfound import _validate, errors
from jaxfound.continual._ewc import (
    ewc_consolidate,
    ewc_init,
    ewc_loss,
    fisher_diagonal,
    masked_logits,
)
from jaxfound.continual._lwf import distillation
from jaxfound.continual._replay import (
    check_per_class,
    class_balanced_add,
    replay_init,
    replay_sample,
    reservoir_add,
)
from jaxfound.continual._scenarios import Scenario, joint_scenario
from jaxfound.continual._si import si_accumulate, si_consolidate, si_init, si_loss
from jaxfound.continual._strategy import Strategy
from jaxfound.losses import Loss, weighted_sum
from jaxfound.models._adapters import as_apply
from jaxfound.train import TrainState
from jaxfound.typing import Params, PRNGKey

__all__ = ["Learner", "ContinualResult", "train_continual", "masked_cross_entropy"]


class Learner(NamedTuple):
    """One seed's state between steps: the `jaxfound.train.TrainState` and each method's state.

    Fields of methods the strategy does not use are ``None``.
    """

    state: TrainState
    ewc: Any  # EWCState | None (Any: the loop reads it only when the strategy uses it)
    si: Any  # SIState | None
    teacher: Any  # Params | None
    buffer: Any  # ReplayBuffer | None


class ContinualResult(NamedTuple):
    """What `train_continual` returns.

    Attributes:
      accuracy: ``(seeds, stages, contexts)``, $R_{ij}$ per seed.
      initial: ``(seeds, contexts)`` accuracy before training (for forward transfer).
      losses: ``(seeds, stages, iters)`` training loss per step.
      params: the final parameters, with a leading seed axis.
      seconds: wall time of the whole run (compilation included).
    """

    accuracy: np.ndarray
    initial: np.ndarray
    losses: np.ndarray
    params: Params
    seconds: float


def masked_cross_entropy(apply: Callable[[Params, Any], Any]) -> Loss:
    """Mean cross-entropy over the logits in play, as a routed term: data ``(x, y, mask)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> loss = masked_cross_entropy(lambda p, x: x + p)
      >>> x, m = jnp.zeros((1, 3)), jnp.array([[True, True, False]])
      >>> round(float(loss(0.0, (x, jnp.array([0]), m))[0]), 4)  # log 2: two classes in play
      0.6931
    """

    def fn(params: Params, data: Any, key=None):
        x, y, mask = data
        logits = masked_logits(apply(params, x), mask)
        return jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(logits, y)), {}

    return Loss(fn, routed=True)


def _groups(s: Scenario) -> np.ndarray:
    """Each training row's class slot ``context * k + position in its context``."""
    k = s.classes.shape[1]
    c = s.context_train
    if s.name == "domain":
        pos = s.y_train
    else:
        pos = np.argmax(s.classes[c] == s.y_train[..., None], axis=-1)
    return (c * k + pos).astype(np.int32)


def train_continual(
    scenario: Scenario,
    strat: Strategy,
    model: Any,
    key: PRNGKey,
    *,
    seeds: int = 10,
    iters: int = 2000,
    batch_size: int = 128,
    optimizer: optax.GradientTransformation | None = None,
    fisher_batch: int = 32,
    on_stage: Callable[[int, np.ndarray, float], None] | None = None,
) -> ContinualResult:
    r"""Train ``strat`` on ``scenario`` for ``seeds`` seeds at once (one ``jax.vmap``).

    Each stage (context) is one compiled ``lax.scan`` of ``iters`` steps, vmapped over the
    seeds; the same program serves every stage. A step draws ``batch_size`` rows of the
    current context, masks the logits to the classes in play, and minimises
    (`jaxfound.losses.weighted_sum` of the terms the strategy uses)

    $$
    L = \tfrac{1}{t}\,L_{\text{current}} + (1-\tfrac{1}{t})\,L_{\text{replay/LwF}}
        + \tfrac12\lambda\sum_i F_i(\theta_i-\theta^*_i)^2 + c\sum_i\Omega_i(\theta_i-\theta^*_i)^2
    $$

    ($t$ = the stage, from 1; the replay and distillation terms share the second weight).
    SI's path integral is accumulated inside the step from the gradient and the update.
    At the end of a stage the Fisher is taken (EWC), the importances consolidated (SI),
    the model copied as the teacher (LwF) and the buffer filled (ER); then every
    context's test set is scored, giving one row of $R$. ``"joint"`` trains one stage on
    all the data (`joint_scenario`).

    Args:
      scenario: a `Scenario`; one with per-seed data (`split_scenarios`) gives seed $s$
        its own data (e.g. its own class order), still in one vmapped program.
      strat: a `Strategy` (from `strategy`).
      model: a ``flax.linen`` Module (initialised on one row) or anything
        `jaxfound.models.as_apply` accepts together with an ``init(key, x)`` method.
      key: PRNG key; seed ``s`` uses ``jax.random.split(key, seeds)[s]``.
      seeds: how many independent runs to train at once.
      iters: steps per stage.
      batch_size: rows of the current context per step (and of replay).
      optimizer: default ``optax.adam(1e-3)`` (kept across stages).
      fisher_batch: examples per chunk of per-example gradients for the Fisher.
      on_stage: ``on_stage(stage, R_row (seeds, contexts), seconds)`` after each stage.

    Returns:
      A `ContinualResult`.

    Raises:
      ValidationError: bad sizes, a replay buffer larger than the data allows.

    Examples:
      >>> import jax, numpy as np
      >>> from jaxfound.models import MLP
      >>> from jaxfound.continual import split_scenario, strategy
      >>> x = np.random.default_rng(0).random((40, 4), np.float32); y = np.arange(40) % 4
      >>> s = split_scenario((x, y), (x, y), "task")
      >>> r = train_continual(s, strategy("none"), MLP((8, 4)), jax.random.key(0), seeds=2,
      ...                     iters=3, batch_size=4)  # doctest: +SKIP
      >>> r.accuracy.shape  # doctest: +SKIP
      (2, 2, 2)
    """
    seeds = _validate.positive_int(seeds, "seeds")
    iters = _validate.positive_int(iters, "iters")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    key = _validate.required_key(key, "train_continual", "it draws the seeds' initialisations")
    if not isinstance(strat, Strategy):
        raise errors.ValidationError("strat must be a Strategy; build it with "
                                     "jaxfound.continual.strategy('ewc', ...).")
    if scenario.per_seed and scenario.x_train.shape[0] != seeds:
        raise errors.ValidationError(
            f"the scenario holds data for {scenario.x_train.shape[0]} seeds but seeds={seeds}; "
            "build it with split_scenarios(..., seeds=seeds)."
        )
    if strat.uses("joint"):
        scenario = joint_scenario(scenario)
    use = {m: strat.uses(m) for m in ("ewc", "online_ewc", "si", "lwf", "er")}
    ewc_on = use["ewc"] or use["online_ewc"]
    n_ctx, k = scenario.n_contexts, scenario.classes.shape[1]
    groups = _groups(scenario)
    if use["er"]:
        for i in range(seeds if scenario.per_seed else 1):
            n_i, g_i = scenario.seed(i).n_train, groups[i] if scenario.per_seed else groups
            for t in range(scenario.n_stages):
                n = int(n_i[t])
                check_per_class(strat.per_class, g_i[t, :n], np.unique(g_i[t, :n]).tolist(),
                                f"context {t}'s training data")
    apply3 = as_apply(model)
    apply = lambda p, x: apply3(p, x, None)  # noqa: E731
    tx = optax.adam(1e-3) if optimizer is None else optimizer

    terms: dict[str, Any] = {"current": masked_cross_entropy(apply)}
    if use["er"]:
        terms["replay"] = masked_cross_entropy(apply)
    if use["lwf"]:
        def lwf_fn(params, data, key=None):
            x, teacher, masks, w = data
            logits = apply(params, x)
            per_head = jax.vmap(lambda m: jnp.mean(distillation(logits, teacher, strat.temperature,
                                                                m)))(masks)
            return jnp.sum(w * per_head), {}
        terms["lwf"] = Loss(lwf_fn, routed=True)
    if ewc_on:
        terms["ewc"] = ewc_loss(strat.ewc_lambda)
    if use["si"]:
        terms["si"] = si_loss(strat.si_c)
    loss = weighted_sum(terms)
    n_past = int(use["er"]) + int(use["lwf"])

    x0 = jnp.asarray(scenario.x_train.reshape(-1, scenario.x_train.shape[-1])[:1])

    def init_one(k_seed):
        k_init, k_run = jax.random.split(k_seed)
        params = model.init(k_init, x0)
        buf = None
        if use["er"]:
            buf = replay_init(strat.per_class * n_ctx * k, x0[0])
        return Learner(
            TrainState.create(params, tx, key=k_run),
            ewc_init(params) if ewc_on else None,
            si_init(params) if use["si"] else None,
            params if use["lwf"] else None,
            buf,
        )

    def run_stage(ln: Learner, data, masks):
        t = data["t"]
        rnt = 1.0 / (t + 1.0)
        has_past = t > 0
        m_t = masks[t]
        prev_masks = masks[jnp.maximum(t - 1, 0)]
        prev_w = (jnp.arange(masks.shape[1]) < t).astype(jnp.float32)
        prev_w = prev_w / jnp.maximum(prev_w.sum(), 1.0)
        past = jnp.where(has_past, 1.0 - rnt, 0.0) / max(n_past, 1)
        weights = {"current": jnp.where(has_past, rnt, 1.0) if n_past else 1.0}

        def step(ln: Learner, key):
            k_idx, k_rep = jax.random.split(key)
            idx = jax.random.randint(k_idx, (batch_size,), 0, data["n"])
            x, y, c = data["x"][idx], data["y"][idx], data["c"][idx]
            batch: dict[str, Any] = {"current": (x, y, m_t[c])}
            w = dict(weights)
            if use["er"]:
                xr, yr, cr = replay_sample(ln.buffer, k_rep, batch_size)
                batch["replay"] = (xr, yr, m_t[cr])
                w["replay"] = past
            if use["lwf"]:
                batch["lwf"] = (x, jax.lax.stop_gradient(apply(ln.teacher, x)), prev_masks, prev_w)
                w["lwf"] = past
            if ewc_on:
                batch["ewc"] = ln.ewc
            if use["si"]:
                batch["si"] = ln.si
            batch["weights"] = w
            (value, _), grads = jax.value_and_grad(loss.fn, has_aux=True)(ln.state.params, batch)
            new = ln.state.apply_gradients(grads)
            si = si_accumulate(ln.si, grads, ln.state.params, new.params) if use["si"] else None
            return ln._replace(state=new, si=si), value

        assert ln.state.key is not None  # init_one always sets it
        k_stage, k_next = jax.random.split(ln.state.key)
        ln = ln._replace(state=ln.state.replace(key=k_next))
        ln, losses = jax.lax.scan(step, ln, jax.random.split(k_stage, iters))
        return ln, losses, k_stage

    def end_stage(ln: Learner, data, masks, key):
        t = data["t"]
        params = ln.state.params
        k_f, k_b = jax.random.split(jax.random.fold_in(key, 1))
        if ewc_on:
            rows = data["x"].shape[0]
            n_f = rows if strat.fisher_n is None else min(strat.fisher_n, rows)
            score = jnp.where(jnp.arange(rows) < data["n"], jax.random.uniform(k_f, (rows,)), -1.0)
            top, idx = jax.lax.top_k(score, n_f)
            fisher = fisher_diagonal(
                apply, params, data["x"][idx], data["y"][idx], labels=strat.fisher_labels,
                mask=masks[t][data["c"][idx]], weights=(top >= 0).astype(jnp.float32),
                batch_size=fisher_batch,
            )
            ln = ln._replace(ewc=ewc_consolidate(ln.ewc, fisher, params, online=use["online_ewc"],
                                                 gamma=strat.gamma))
        if use["si"]:
            ln = ln._replace(si=si_consolidate(ln.si, params, strat.si_epsilon))
        if use["lwf"]:
            ln = ln._replace(teacher=params)
        if use["er"]:
            if strat.buffer == "balanced":
                buf = class_balanced_add(ln.buffer, k_b, data["x"], data["y"], data["g"], data["c"],
                                         data["n"], t * k + jnp.arange(k), strat.per_class)
            else:
                buf = reservoir_add(ln.buffer, k_b, data["x"], data["y"], data["c"], data["n"])
            ln = ln._replace(buffer=buf)
        return ln

    def evaluate(params, masks_s, test):
        def one(xj, yj, nj, mj):
            pred = jnp.argmax(masked_logits(apply(params, xj), mj), -1)
            valid = jnp.arange(xj.shape[0]) < nj
            return jnp.sum((pred == yj) & valid) / nj
        return jax.vmap(one)(test["x"], test["y"], test["n"], masks_s)

    def stage(ln, data, masks, test):
        ln, losses, k = run_stage(ln, data, masks)
        acc = evaluate(ln.state.params, masks[data["t"]], test)
        ln = end_stage(ln, data, masks, k)
        return ln, losses, acc

    ax = 0 if scenario.per_seed else None  # per-seed data, or one set shared by all seeds
    stage_v = jax.jit(jax.vmap(stage, in_axes=(0, ax, None, ax)))
    eval_v = jax.jit(jax.vmap(evaluate, in_axes=(0, None, ax)))
    at = (lambda a, t: a[:, t]) if scenario.per_seed else (lambda a, t: a[t])

    start = time.perf_counter()
    learners = jax.jit(jax.vmap(init_one))(jax.random.split(key, seeds))
    masks = jnp.asarray(scenario.masks)
    test = {"x": jnp.asarray(scenario.x_test), "y": jnp.asarray(scenario.y_test),
            "n": jnp.asarray(scenario.n_test)}
    initial = np.asarray(eval_v(learners.state.params, masks[0], test))
    rows, all_losses = [], []
    for t in range(scenario.n_stages):
        data = {k_: jnp.asarray(at(a, t)) for k_, a in (
            ("x", scenario.x_train), ("y", scenario.y_train), ("c", scenario.context_train),
            ("g", groups), ("n", scenario.n_train))}
        data["t"] = jnp.full((seeds,) if scenario.per_seed else (), t, jnp.int32)
        learners, losses, acc = stage_v(learners, data, masks, test)
        acc = np.asarray(acc)
        rows.append(acc)
        all_losses.append(np.asarray(losses))
        if on_stage is not None:
            on_stage(t, acc, time.perf_counter() - start)
    return ContinualResult(
        np.stack(rows, 1), initial, np.stack(all_losses, 1), learners.state.params,
        time.perf_counter() - start,
    )
