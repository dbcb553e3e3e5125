import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.losses import l2_penalty, supervised, weighted_sum

CE = lambda y, logits: optax.losses.softmax_cross_entropy_with_integer_labels(logits, y)  # noqa: E731


def test_supervised_equals_manual_cross_entropy_and_reports_metrics():
    model = jf.models.MLP((5, 3))
    x = jax.random.normal(jax.random.key(0), (6, 4))
    y = jnp.array([0, 1, 2, 0, 1, 2])
    params = model.init(jax.random.key(1), x[:1])
    loss_fn = supervised(
        model,
        CE,
        metrics={"accuracy": jf.stats.accuracy},
    )
    loss, aux = loss_fn(params, (x, y), None)
    logits = model.apply(params, x)
    manual = -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(6), y])
    np.testing.assert_allclose(loss, manual, rtol=1e-6)
    np.testing.assert_allclose(aux["accuracy"], np.mean(np.argmax(logits, -1) == y))


def test_supervised_dropout_depends_on_key():
    model = jf.models.MLP((64, 1), dropout=0.5)
    x = jnp.ones((4, 3))
    params = model.init(jax.random.key(0), x)
    loss_fn = supervised(model, lambda t, o: (o[:, 0] - t) ** 2)
    y = jnp.zeros(4)
    l_eval1, _ = loss_fn(params, (x, y), None)
    l_eval2, _ = loss_fn(params, (x, y), None)
    l_a, _ = loss_fn(params, (x, y), jax.random.key(1))
    l_b, _ = loss_fn(params, (x, y), jax.random.key(2))
    assert l_eval1 == l_eval2 and l_a != l_b


def test_supervised_augments_in_training_only():
    model = jf.models.MLP((2,))  # linear: the loss sees exactly what augment did
    x, y = jnp.ones((3, 2)), jnp.zeros((3, 2))
    params = model.init(jax.random.key(0), x)
    mse = lambda t, o: jnp.mean((o - t) ** 2, -1)  # noqa: E731
    seen = []

    def augment(key, xb):
        seen.append(key)
        return xb * 0.0  # wipes the inputs: the outputs become the bias

    plain = supervised(model, mse)
    aug = supervised(model, mse, augment=augment)
    key = jax.random.key(7)
    assert aug(params, (x, y), None)[0] == plain(params, (x, y), None)[0]  # evaluation
    assert not seen
    bias_only = jnp.mean(params["params"]["Dense_0"]["bias"] ** 2)
    np.testing.assert_allclose(aug(params, (x, y), key)[0], bias_only, rtol=1e-6)
    assert len(seen) == 1


def test_supervised_gradient_matches_finite_differences():
    from jax.test_util import check_grads

    model = jf.models.MLP((3, 2), activation=jnp.tanh)
    x = jax.random.normal(jax.random.key(0), (5, 2))
    params = model.init(jax.random.key(1), x)
    loss_fn = supervised(model, CE)
    f = lambda p: loss_fn(p, (x, jnp.array([0, 1, 1, 0, 1])), None)[0]
    check_grads(f, (params,), order=1, modes=["rev"], atol=1e-2, rtol=1e-2)


def test_check_data_rejects_non_pairs():
    model = jf.models.MLP((2,))
    params = model.init(jax.random.key(0), jnp.ones((1, 2)))
    loss_fn = supervised(model, lambda y, out: optax.losses.squared_error(out, y))
    with pytest.raises(errors.ValidationError, match="pair"):
        loss_fn.check(params, {"x": np.ones((2, 2))}, "data")


def test_weighted_sum_and_l2():
    a = lambda p, b, k: (jnp.sum(p**2), {})
    b = lambda p, b, k: (jnp.sum(p), {})
    total, aux = weighted_sum({"a": a, "b": b}, {"a": 0.5})(
        jnp.array([1.0, 2.0]), None, jax.random.key(0)
    )
    np.testing.assert_allclose(total, 0.5 * 5 + 3)
    assert set(aux) == {"a", "b", "loss"}
    np.testing.assert_allclose(l2_penalty({"w": jnp.array([3.0, 4.0])}), 12.5)
