r"""Mixed precision: compute the loss in a low-precision float, keep float32 master weights.

`mixed_precision` wraps a loss: the floating leaves of the parameters and of the batch are
cast to ``policy.compute_dtype`` (bfloat16) on the way in, the value and the floating aux
back to ``policy.output_dtype`` (float32) on the way out. Because the cast is inside the
differentiated function, ``jax.grad`` of the wrapped loss with respect to the float32
parameters is float32 (the cast's transpose casts the cotangent back), so the master
parameters, the gradients and the optax state all stay float32; only the forward and
backward passes of the model run in bfloat16:

$$
L(\theta) = \mathrm{f32}\big(\ell(\mathrm{bf16}(\theta), \mathrm{bf16}(x))\big), \qquad
\nabla_\theta L \in \mathrm{float32}.
$$

bfloat16 has float32's exponent range, so no loss scaling is needed. float16 is accepted
too, but it underflows small gradients without loss scaling, which this wrapper does not do.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound.losses import Loss, as_loss
from jaxfound.typing import PyTree

__all__ = ["Policy", "mixed_precision", "cast_floating"]


def _is_float(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jnp.floating)


def cast_floating(tree: PyTree, dtype: Any) -> PyTree:
    """``tree`` with its floating-point array leaves cast to ``dtype``; other leaves as they are.

    Integer and boolean arrays (token ids, labels, masks), PRNG keys and non-array leaves
    are returned unchanged.

    Args:
      tree: any pytree.
      dtype: the floating dtype to cast to.

    Returns:
      The same structure.

    Examples:
      >>> import jax.numpy as jnp
      >>> out = cast_floating({"x": jnp.ones(2), "y": jnp.arange(2)}, jnp.bfloat16)
      >>> out["x"].dtype, out["y"].dtype
      (dtype(bfloat16), dtype('int32'))
    """
    return jax.tree_util.tree_map(lambda x: x.astype(dtype) if _is_float(x) else x, tree)


class Policy(NamedTuple):
    """Which float the loss computes in and which it returns (`mixed_precision`).

    Attributes:
      compute_dtype: the dtype of the parameters and floating batch leaves inside the
        loss (``jnp.bfloat16``).
      output_dtype: the dtype of the returned value and floating aux (``jnp.float32``).

    Examples:
      >>> import jax.numpy as jnp
      >>> p = Policy(compute_dtype=jnp.bfloat16)
      >>> p.cast_to_compute(jnp.ones(2)).dtype, p.cast_to_output(jnp.ones(2)).dtype
      (dtype(bfloat16), dtype('float32'))
    """

    compute_dtype: Any = jnp.bfloat16
    output_dtype: Any = jnp.float32

    def cast_to_compute(self, tree: PyTree) -> PyTree:
        """`cast_floating` to ``compute_dtype``."""
        return cast_floating(tree, self.compute_dtype)

    def cast_to_output(self, tree: PyTree) -> PyTree:
        """`cast_floating` to ``output_dtype``."""
        return cast_floating(tree, self.output_dtype)


def _check_policy(policy: Any) -> Policy:
    if not isinstance(policy, Policy):
        raise errors.ValidationError(
            f"policy must be a jaxfound.train.Policy, got {type(policy).__name__}; e.g. "
            "Policy(compute_dtype=jnp.bfloat16, output_dtype=jnp.float32)."
        )
    for name in ("compute_dtype", "output_dtype"):
        value = getattr(policy, name)
        try:
            ok = jnp.issubdtype(jnp.dtype(value), jnp.floating)
        except TypeError:
            ok = False
        if not ok:
            raise errors.DTypeError(
                f"Policy.{name}={value!r} is not a floating dtype; use jnp.bfloat16, "
                "jnp.float16 or jnp.float32."
            )
    return policy


def _restore(new: PyTree, old: PyTree, default: Any) -> PyTree:
    """``new`` cast leaf by leaf to ``old``'s float dtypes (``default`` if the trees differ)."""
    if str(jax.tree_util.tree_structure(new)) == str(jax.tree_util.tree_structure(old)):
        return jax.tree_util.tree_map(
            lambda n, o: n.astype(o.dtype) if _is_float(n) and _is_float(o) else n, new, old
        )
    return cast_floating(new, default)


def mixed_precision(loss: Any, policy: Policy | None = None) -> Loss:
    r"""Run ``loss`` in ``policy.compute_dtype`` with float32 master parameters.

    The wrapped loss casts the floating leaves of ``params`` and ``batch`` (never integer
    token ids, labels or masks) to ``policy.compute_dtype``, calls ``loss``, and casts the
    value and the floating aux to ``policy.output_dtype``. A stateful loss's model state
    goes in cast to the compute dtype too and comes out cast back to its own dtypes, so the
    training carry keeps its types. ``check``, ``routed`` and ``stateful`` are kept.

    Gradients taken with respect to float32 parameters are float32; `TrainState`,
    `make_step` and `fit` need no change. Where a model's last layer should stay in
    float32 (a softmax over a large vocabulary), cast its logits inside the loss.

    Args:
      loss: a `jaxfound.losses.Loss` or anything `jaxfound.losses.as_loss` accepts.
      policy: the `Policy`; ``None``: ``Policy()``, bfloat16 compute and float32 output.

    Returns:
      A `jaxfound.losses.Loss`.

    Raises:
      jaxfound.errors.ValidationError: ``policy`` is not a `Policy`.
      jaxfound.errors.DTypeError: a policy dtype is not a floating dtype.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> def loss(p, b, k):
      ...     print("inside:", p.dtype, b[0].dtype, b[1].dtype)
      ...     return jnp.mean((b[0] @ p - b[1]) ** 2), {"mse": jnp.mean((b[0] @ p) ** 2)}
      >>> mp = mixed_precision(loss, Policy(compute_dtype=jnp.bfloat16))
      >>> x, y = jnp.ones((4, 3)), jnp.arange(4)       # y: integer, left as it is
      >>> value, aux = mp(jnp.ones(3), (x, y))
      inside: bfloat16 bfloat16 int32
      >>> value.dtype, aux["mse"].dtype
      (dtype('float32'), dtype('float32'))
      >>> jax.grad(lambda p: mp(p, (x, y))[0])(jnp.ones(3)).dtype
      inside: bfloat16 bfloat16 int32
      dtype('float32')
    """
    loss = as_loss(loss)
    policy = _check_policy(Policy() if policy is None else policy)
    inner = loss.fn

    if loss.stateful:

        def fn(params, batch, key, model_state):
            value, aux, new_state = inner(
                policy.cast_to_compute(params), policy.cast_to_compute(batch), key,
                policy.cast_to_compute(model_state),
            )
            new_state = _restore(new_state, model_state, policy.output_dtype)
            return policy.cast_to_output(value), policy.cast_to_output(aux), new_state

    else:

        def fn(params, batch, key):  # type: ignore[misc]
            value, aux = inner(policy.cast_to_compute(params), policy.cast_to_compute(batch), key)
            return policy.cast_to_output(value), policy.cast_to_output(aux)

    return Loss(fn, check=loss.check, routed=loss.routed, stateful=loss.stateful)
