"""SI: importances on a quadratic with a known path integral."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxfound import errors
from jaxfound.continual import si_accumulate, si_consolidate, si_init, si_loss, si_penalty


def test_path_integral_on_a_quadratic():
    """L = ½ Σ h θ², gradient descent from θ0: w = L(θ0) − L(θT) per parameter, exactly in
    the small-step limit; Ω = w / ((θT − θ0)² + ξ)."""
    h = jnp.array([1.0, 4.0, 0.25])
    theta0 = jnp.array([1.0, -2.0, 3.0])
    loss = lambda p: 0.5 * jnp.sum(h * p**2)  # noqa: E731
    tx = optax.sgd(1e-3)

    def step(carry, _):
        p, o, s = carry
        g = jax.grad(loss)(p)
        u, o = tx.update(g, o)
        new = optax.apply_updates(p, u)
        return (new, o, si_accumulate(s, g, p, new)), None

    (p, _, s), _ = jax.lax.scan(step, (theta0, tx.init(theta0), si_init(theta0)), None, 4000)
    want_w = 0.5 * h * (theta0**2 - p**2)
    np.testing.assert_allclose(s.path, want_w, rtol=5e-3)
    s2 = si_consolidate(s, p, epsilon=0.1)
    np.testing.assert_allclose(s2.omega, want_w / ((p - theta0) ** 2 + 0.1), rtol=5e-3)
    np.testing.assert_allclose(s2.anchor, p)
    assert float(jnp.abs(s2.path).sum()) == 0.0
    # the more curved parameter (h = 4) is the most important
    assert int(jnp.argmax(s2.omega)) == 1


def test_penalty_and_errors():
    s = si_init(jnp.zeros(2))._replace(omega=jnp.array([1.0, 3.0]))
    assert float(si_penalty(jnp.ones(2), s, 2.0)) == pytest.approx(8.0)
    assert float(si_loss(2.0)(jnp.ones(2), s)[0]) == pytest.approx(8.0)
    with pytest.raises(errors.ValidationError, match="c must"):
        si_penalty(jnp.ones(2), s, -1.0)
    with pytest.raises(errors.ValidationError, match="epsilon"):
        si_consolidate(s, jnp.ones(2), epsilon=0.0)
