r"""Random augmentation of image batches: pure, jittable functions of a PRNG key."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxfound import errors
from jaxfound.typing import Array, ArrayLike, PRNGKey

__all__ = ["random_translate"]


def random_translate(
    key: PRNGKey,
    images: ArrayLike,
    max_shift: int = 1,
    *,
    image_shape: tuple[int, int] | None = None,
) -> Array:
    r"""Shift each image by its own random whole-pixel offset, filling with zeros.

    For image $x$ and offsets $(\delta_r, \delta_c)$ drawn uniformly from
    $\{-s, \dots, s\}^2$ independently per image,

    $$
    x'_{r,c} = \begin{cases} x_{r-\delta_r,\, c-\delta_c} & \text{if inside the image}\\
    0 & \text{otherwise.}\end{cases}
    $$

    Args:
      key: PRNG key; the same key gives the same shifts.
      images: ``(B, H, W)`` or ``(B, H, W, C)``; or flat ``(B, H*W)`` with ``image_shape``.
      max_shift: the largest shift $s$ in pixels along each axis (static, ``>= 0``).
      image_shape: ``(H, W)`` of flat images; their output stays flat.

    Returns:
      An array of the input's shape and dtype.

    Use it inside a loss so every step sees new shifts (see
    ``jaxfound.losses.supervised(..., augment=...)``).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> x = jnp.arange(9.0).reshape(1, 3, 3)
      >>> y = random_translate(jax.random.key(0), x, 1)
      >>> y.shape, float(y.sum()) <= float(x.sum())
      ((1, 3, 3), True)
    """
    if not isinstance(max_shift, int) or max_shift < 0:
        raise errors.ValidationError(f"max_shift must be an int >= 0, got {max_shift!r}")
    x = jnp.asarray(images)
    flat = image_shape is not None
    if flat:
        h, w = image_shape
        if x.ndim != 2 or x.shape[1] != h * w:
            raise errors.ShapeError(
                f"flat images must be (batch, {h * w}) for image_shape={tuple(image_shape)}, "
                f"got {x.shape}"
            )
        x = x.reshape(x.shape[0], h, w)
    elif x.ndim not in (3, 4):
        raise errors.ShapeError(
            f"images must be (batch, H, W) or (batch, H, W, C), got shape {x.shape}; "
            "for flat rows pass image_shape=(H, W)"
        )
    if max_shift == 0:
        return jnp.asarray(images)
    s = max_shift
    offsets = jax.random.randint(key, (x.shape[0], 2), -s, s + 1)
    pad = [(s, s), (s, s)] + [(0, 0)] * (x.ndim - 3)

    def one(img, d):
        start = (s - d[0], s - d[1]) + (0,) * (img.ndim - 2)
        return jax.lax.dynamic_slice(jnp.pad(img, pad), start, img.shape)

    out = jax.vmap(one)(x, offsets)
    return out.reshape(jnp.shape(images)) if flat else out
