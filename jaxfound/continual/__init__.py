"""Continual learning: scenarios, strategies (EWC, SI, LwF, replay), metrics, a vmapped loop.

Every strategy is a set of pure functions over parameter pytrees that composes with any
loss: a penalty term (`ewc_loss`, `si_loss`) or a distillation term (`lwf_loss`) for
`jaxfound.losses.weighted_sum`, and a state (`EWCState`, `SIState`, `ReplayBuffer`) that
goes in and comes out. `train_continual` runs a `Strategy` on a `Scenario` for many seeds
at once, as one ``jax.vmap``-ed ``lax.scan`` per context.
"""

from jaxfound.continual._ewc import (
                                     FISHER_LABELS,
                                     EWCState,
                                     ewc_consolidate,
                                     ewc_init,
                                     ewc_loss,
                                     ewc_penalty,
                                     fisher_diagonal,
                                     masked_logits,
)
from jaxfound.continual._lwf import distillation, lwf_loss
from jaxfound.continual._metrics import (
                                     average_accuracy,
                                     backward_transfer,
                                     forgetting,
                                     forward_transfer,
)
from jaxfound.continual._plot import plot_accuracy, seen_average
from jaxfound.continual._replay import (
                                     ReplayBuffer,
                                     class_balanced_add,
                                     replay_init,
                                     replay_sample,
                                     reservoir_add,
)
from jaxfound.continual._scenarios import (
                                     SCENARIOS,
                                     Scenario,
                                     joint_scenario,
                                     permuted_scenario,
                                     split_scenario,
                                     split_scenarios,
                                     stack_scenarios,
)
from jaxfound.continual._si import (
                                     SIState,
                                     si_accumulate,
                                     si_consolidate,
                                     si_init,
                                     si_loss,
                                     si_penalty,
)
from jaxfound.continual._strategy import METHODS, PAPER_SETTINGS, Strategy, strategy
from jaxfound.continual._train import (
                                     ContinualResult,
                                     Learner,
                                     masked_cross_entropy,
                                     train_continual,
)

__all__ = [
    "FISHER_LABELS", "EWCState", "ewc_consolidate", "ewc_init", "ewc_loss", "ewc_penalty",
    "fisher_diagonal", "masked_logits", "distillation", "lwf_loss", "average_accuracy",
    "backward_transfer", "forgetting", "forward_transfer", "plot_accuracy", "seen_average",
    "ReplayBuffer", "class_balanced_add", "replay_init", "replay_sample", "reservoir_add",
    "SCENARIOS", "Scenario", "joint_scenario", "permuted_scenario", "split_scenario",
    "split_scenarios", "stack_scenarios",
    "SIState", "si_accumulate", "si_consolidate", "si_init", "si_loss", "si_penalty",
    "METHODS", "PAPER_SETTINGS", "Strategy", "strategy", "ContinualResult", "Learner",
    "masked_cross_entropy", "train_continual",
]
