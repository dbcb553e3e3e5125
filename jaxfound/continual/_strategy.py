"""``Strategy``: which continual-learning methods a run combines, with their settings."""

from __future__ import annotations

from typing import NamedTuple

from jaxfound import _validate, errors

__all__ = ["Strategy", "strategy", "PAPER_SETTINGS", "METHODS"]

#: the methods that can be combined (``"none"`` and ``"joint"`` stand alone).
METHODS = ("ewc", "online_ewc", "si", "lwf", "er")
_ALONE = ("none", "joint")

#: van de Ven et al.'s split-MNIST settings (``params/param_values.py`` of their code):
#: scenario -> EWC's lambda and SI's c.
PAPER_SETTINGS = {
    "task": {"ewc_lambda": 1e5, "si_c": 10.0},
    "domain": {"ewc_lambda": 1e10, "si_c": 5e4},
    "class": {"ewc_lambda": 1e9, "si_c": 5e3},
}


class Strategy(NamedTuple):
    r"""A continual-learning strategy: a set of methods and their hyper-parameters.

    Build it with `strategy`, which checks the combination and the values.

    Attributes:
      methods: sorted tuple of `METHODS`, or ``("none",)`` / ``("joint",)``.
      ewc_lambda: EWC's $\lambda$ (``"ewc"`` or ``"online_ewc"``).
      gamma: the online Fisher's decay.
      fisher_labels: ``"model"`` or ``"empirical"`` (see `fisher_diagonal`).
      fisher_n: examples the Fisher is estimated on (``None``: the whole context).
      si_c: SI's $c$; si_epsilon: its damping $\xi$.
      temperature: LwF's distillation temperature.
      per_class: replay buffer slots per class.
      buffer: ``"balanced"`` (class-balanced) or ``"reservoir"``.
    """

    methods: tuple[str, ...]
    ewc_lambda: float = 0.0
    gamma: float = 1.0
    fisher_labels: str = "model"
    fisher_n: int | None = None
    si_c: float = 0.0
    si_epsilon: float = 0.1
    temperature: float = 2.0
    per_class: int = 100
    buffer: str = "balanced"

    @property
    def name(self) -> str:
        """The methods joined by ``+``."""
        return "+".join(self.methods)

    def uses(self, method: str) -> bool:
        """Whether ``method`` is one of the strategy's methods."""
        return method in self.methods


def strategy(methods: str | tuple[str, ...] | list[str], **settings) -> Strategy:
    """Check and build a `Strategy` from method names (``"ewc+er"`` or ``("ewc", "er")``).

    Raises:
      ValidationError: an unknown method, ``"none"``/``"joint"`` combined with others,
        EWC both offline and online, a setting no chosen method uses, ``λ < 0``, ``c < 0``,
        a replay buffer of size 0.

    Examples:
      >>> strategy("er+lwf").methods
      ('er', 'lwf')
      >>> strategy("ewc", ewc_lambda=10.0).ewc_lambda
      10.0
    """
    names = methods.split("+") if isinstance(methods, str) else list(methods)
    names = [n.strip().lower() for n in names]
    known = METHODS + _ALONE
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise errors.ValidationError(f"unknown strategy {bad or names}; pick from {known} "
                                     "(combine methods with '+', e.g. 'ewc+er').")
    if len(set(names)) != len(names):
        raise errors.ValidationError(f"strategy {names} names a method twice.")
    if len(names) > 1 and set(names) & set(_ALONE):
        raise errors.ValidationError(
            f"strategy {'+'.join(names)} is not defined: 'none' (fine-tuning) and 'joint' "
            "(all data at once) are baselines that combine with nothing."
        )
    if {"ewc", "online_ewc"} <= set(names):
        raise errors.ValidationError("strategy combines 'ewc' and 'online_ewc', which is not "
                                     "defined: pick one (offline penalties or a decayed one).")
    uses = {
        "ewc_lambda": ("ewc", "online_ewc"), "gamma": ("online_ewc",),
        "fisher_labels": ("ewc", "online_ewc"), "fisher_n": ("ewc", "online_ewc"),
        "si_c": ("si",), "si_epsilon": ("si",), "temperature": ("lwf",),
        "per_class": ("er",), "buffer": ("er",),
    }
    for key in settings:
        if key not in uses:
            raise errors.ValidationError(
                f"unknown strategy setting {key!r}; known: {sorted(uses)}.")
        if not set(uses[key]) & set(names):
            raise errors.ValidationError(
                f"setting {key}= is for {uses[key]}, which strategy {'+'.join(names)} does not "
                "use: drop it or add the method."
            )
    s = Strategy(tuple(sorted(names)), **settings)
    _validate.hyperparameter(s.ewc_lambda, "ewc_lambda", low=0.0)
    _validate.hyperparameter(s.si_c, "si_c", low=0.0)
    _validate.hyperparameter(s.si_epsilon, "si_epsilon", low=0.0, open_low=True)
    _validate.hyperparameter(s.temperature, "temperature", low=0.0, open_low=True)
    g = _validate.hyperparameter(s.gamma, "gamma", low=0.0, open_low=True)
    if g > 1:
        raise errors.ValidationError(f"gamma={g} must be in (0, 1].")
    if s.fisher_labels not in ("model", "empirical"):
        raise errors.ValidationError(f"fisher_labels={s.fisher_labels!r}: 'model' or 'empirical'.")
    if s.fisher_n is not None:
        _validate.positive_int(s.fisher_n, "fisher_n")
    if isinstance(s.per_class, int) and not isinstance(s.per_class, bool) and s.per_class < 1:
        raise errors.ValidationError(
            f"per_class={s.per_class}: a replay buffer of size 0 replays nothing; pass a "
            "positive size, or drop 'er' from the strategy."
        )
    _validate.positive_int(s.per_class, "per_class")
    if s.buffer not in ("balanced", "reservoir"):
        raise errors.ValidationError(f"buffer={s.buffer!r}: 'balanced' or 'reservoir'.")
    return s
