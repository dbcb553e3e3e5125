import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.losses import Loss, as_loss, l2_penalty, supervised, weighted_sum

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


def test_check_rejects_non_pairs():
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


def test_supervised_calls_loss_and_metrics_as_y_true_then_outputs():
    plain = jf.models.from_function(lambda p, xb: xb * p)
    seen = {}

    def per_example(y_true, y_pred):
        seen["loss"] = (y_true, y_pred)
        return y_pred - y_true  # asymmetric: the order shows in the value

    def metric(y_true, y_pred):
        seen["metric"] = (y_true, y_pred)
        return jnp.mean(y_pred - y_true)

    x, y = jnp.array([1.0, 2.0]), jnp.array([10.0, 20.0])
    loss = supervised(plain, per_example, metrics={"m": metric})
    value, aux = loss(jnp.asarray(3.0), (x, y))
    np.testing.assert_allclose(value, np.mean([3 - 10, 6 - 20]))
    np.testing.assert_allclose(aux["m"], value)
    for name in ("loss", "metric"):
        np.testing.assert_array_equal(seen[name][0], y)


def test_label_check_survives_weighted_sum():
    """Label 7 for a 3-output model: LabelError through supervised AND through weighted_sum."""
    model = jf.models.MLP((4, 3))
    params = model.init(jax.random.key(0), jnp.ones((1, 2)))
    sup = supervised(model, CE)
    total = weighted_sum({"ce": sup, "l2": lambda p, b, k: (l2_penalty(p), {})}, {"l2": 1e-3})
    x, y = np.ones((4, 2), np.float32), np.array([0, 1, 2, 7])
    state = jf.train.TrainState.create(params, optax.sgd(0.1))
    for loss in (sup, total):
        with pytest.raises(errors.LabelError, match=r"\[0, 3\)"):
            jf.train.fit(state, loss, (x, y), shuffle=False, progress=False)
        with pytest.raises(errors.LabelError):
            jf.train.evaluate(params, loss, (x, y))


def test_weighted_sum_routing_weights_from_batch_aux_names_and_keys():
    def own(p, b, k):  # a routed term: its own default data when b is None
        data = jnp.array([1.0, 2.0]) if b is None else b
        return jnp.sum((p - data) ** 2), {"n": data.size}

    routed = Loss(own, routed=True)
    whole = lambda p, b, k: (jnp.sum(p), {"key_given": k is not None})  # noqa: E731
    total = weighted_sum({"a": routed, "b": whole}, {"a": 2.0})
    p = jnp.zeros(2)
    v, aux = total(p, None)  # no mapping: the routed term uses its default data
    np.testing.assert_allclose(v, 2.0 * 5.0)
    assert set(aux) == {"a", "a/n", "b", "b/key_given", "loss"} and not aux["b/key_given"]
    batch = {"a": jnp.array([3.0, 0.0]), "weights": {"a": 0.5, "b": 4.0}}
    v, aux = total(jnp.ones(2), batch, jax.random.key(0))
    np.testing.assert_allclose(aux["a"], 4.0 + 1.0)
    np.testing.assert_allclose(aux["b"], 2.0)
    np.testing.assert_allclose(v, 0.5 * 5.0 + 4.0 * 2.0)
    assert aux["b/key_given"]
    # one split per term: each term gets its own sub-key
    got = {}

    def grab(name):
        def term(p, b, k):
            got[name] = k
            return 0.0, {}

        return term

    weighted_sum({"x": grab("x"), "y": grab("y")})(p, None, jax.random.key(1))
    want = jax.random.split(jax.random.key(1), 2)
    for i, name in enumerate("xy"):
        np.testing.assert_array_equal(jax.random.key_data(got[name]), jax.random.key_data(want[i]))


def test_weighted_sum_check_routes_data_and_rejects_bad_names():
    calls = []
    checked = Loss(lambda p, b, k: (0.0, {}), check=lambda p, d, n: calls.append((d, n)),
                   routed=True)  # fmt: skip
    total = weighted_sum({"pde": checked, "free": lambda p, b, k: (0.0, {})})
    total.check(None, {"pde": "mine"}, "data")
    total.check(None, {"other": 1}, "data")  # no entry: the term's own data, not checked
    assert calls == [("mine", "data['pde']")]
    for bad in ("loss", "weights"):
        with pytest.raises(errors.ValidationError, match="reserved"):
            weighted_sum({bad: checked})
    with pytest.raises(errors.ValidationError, match="not terms"):
        weighted_sum({"a": checked}, {"b": 1.0})
    with pytest.raises(errors.ValidationError):
        weighted_sum({})


def test_as_loss_accepts_loss_objects_with_as_loss_and_callables():
    f = lambda p, b, k: (p, {})  # noqa: E731

    class Term:
        def as_loss(self):
            return Loss(f, routed=True)

    assert as_loss(Loss(f)) == Loss(f)
    assert as_loss(f) == Loss(f) and hash(as_loss(f)) == hash(Loss(f))
    assert as_loss(Term()).routed
    with pytest.raises(errors.ValidationError, match="callable"):
        as_loss(3)


def test_weighted_sum_threads_model_state_through_stateful_terms():
    counter = Loss(lambda p, b, k, ms: (p * 0.0, {}, ms + 1), stateful=True)
    total = weighted_sum({"a": counter, "b": counter, "c": lambda p, b, k: (p, {})})
    assert total.stateful
    v, aux, ms = total(jnp.asarray(2.0), None, None, 0)
    assert ms == 2 and float(v) == 2.0


def test_supervised_refuses_an_optax_loss_passed_unwrapped():
    # optax takes (predictions, targets); supervised calls (y_true, outputs): for
    # sigmoid_binary_cross_entropy a swap would train silently on the wrong loss
    model = jf.models.MLP((2,))
    with pytest.raises(errors.ValidationError, match="Wrap it"):
        supervised(model, optax.losses.sigmoid_binary_cross_entropy)
