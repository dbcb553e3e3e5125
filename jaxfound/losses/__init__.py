"""Losses: the `Loss` protocol and its builders (supervised losses, weighted sums, penalties).

Every loss is a `Loss`: ``loss(params, batch, key=None) -> (value, aux)``, where
``aux`` is a dict of scalars (the terms and metrics to report) and ``key`` is ``None``
in evaluation, plus an optional boundary ``check`` of in-memory data. `as_loss` turns
a plain callable (or an object with ``as_loss()``) into one.
"""

from jaxfound.losses._loss import Loss, as_loss
from jaxfound.losses._penalty import l2_penalty
from jaxfound.losses._supervised import supervised
from jaxfound.losses._weighted_sum import weighted_sum

__all__ = ["Loss", "as_loss", "l2_penalty", "supervised", "weighted_sum"]
