r"""Kernel functions $k(x, z)$ for support vector machines, as Gram matrices."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound.typing import ArrayLike

KERNELS = ("linear", "rbf", "poly", "sigmoid")


def linear_kernel(X1: ArrayLike, X2: ArrayLike) -> jax.Array:
    r"""Linear kernel $k(x, z) = x^\top z$, as the ``(n1, n2)`` Gram matrix.

    >>> import jax.numpy as jnp
    >>> linear_kernel(jnp.array([[1.0, 2.0]]), jnp.array([[3.0, 4.0]]))
    Array([[11.]], dtype=float32)
    """
    return X1 @ X2.T


def rbf_kernel(X1: ArrayLike, X2: ArrayLike, gamma: ArrayLike) -> jax.Array:
    r"""Gaussian (RBF) kernel $k(x, z) = \exp(-\gamma \|x - z\|^2)$.

    >>> import jax.numpy as jnp
    >>> rbf_kernel(jnp.array([[0.0]]), jnp.array([[1.0], [2.0]]), 0.5)
    Array([[0.60653067, 0.13533528]], dtype=float32)
    """
    sq = (jnp.sum(X1**2, axis=1)[:, None] + jnp.sum(X2**2, axis=1)[None, :]
          - 2.0 * (X1 @ X2.T))
    return jnp.exp(-gamma * jnp.maximum(sq, 0.0))


def polynomial_kernel(X1: ArrayLike, X2: ArrayLike, gamma: ArrayLike, degree: int = 3,
                      coef0: ArrayLike = 0.0) -> jax.Array:
    r"""Polynomial kernel $k(x, z) = (\gamma\, x^\top z + r)^d$ ($r$ = ``coef0``, $d$ static).

    >>> import jax.numpy as jnp
    >>> polynomial_kernel(jnp.array([[1.0]]), jnp.array([[2.0]]), 1.0, 2, 1.0)
    Array([[9.]], dtype=float32)
    """
    return (gamma * (X1 @ X2.T) + coef0) ** degree


def sigmoid_kernel(X1: ArrayLike, X2: ArrayLike, gamma: ArrayLike,
                   coef0: ArrayLike = 0.0) -> jax.Array:
    r"""Sigmoid kernel $k(x, z) = \tanh(\gamma\, x^\top z + r)$ (not positive definite in
    general; the dual solver copes as libsvm does).

    >>> import jax.numpy as jnp
    >>> sigmoid_kernel(jnp.array([[1.0]]), jnp.array([[0.0]]), 1.0, 0.0)
    Array([[0.]], dtype=float32)
    """
    return jnp.tanh(gamma * (X1 @ X2.T) + coef0)


def kernel_matrix(kernel: str, X1: ArrayLike, X2: ArrayLike, gamma: ArrayLike = 1.0,
                  degree: int = 3, coef0: ArrayLike = 0.0) -> jax.Array:
    """Gram matrix of the kernel named ``kernel`` (one of `KERNELS`).

    Args:
      kernel: ``"linear"``, ``"rbf"``, ``"poly"`` or ``"sigmoid"`` (static).
      X1: ``(n1, d)`` points.
      X2: ``(n2, d)`` points.
      gamma: kernel scale (traced; unused by ``"linear"``).
      degree: polynomial degree (static).
      coef0: additive constant of ``"poly"``/``"sigmoid"`` (traced).

    Returns:
      ``(n1, n2)`` matrix $K_{ij} = k(x^{(1)}_i, x^{(2)}_j)$.
    """
    if kernel == "linear":
        return linear_kernel(X1, X2)
    if kernel == "rbf":
        return rbf_kernel(X1, X2, gamma)
    if kernel == "poly":
        return polynomial_kernel(X1, X2, gamma, degree, coef0)
    if kernel == "sigmoid":
        return sigmoid_kernel(X1, X2, gamma, coef0)
    raise errors.ValidationError(f"kernel={kernel!r} is not one of {KERNELS}.")
