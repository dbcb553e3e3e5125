import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.train import EarlyStopping, TrainState, evaluate, fit

CE = lambda y, logits: optax.losses.softmax_cross_entropy_with_integer_labels(logits, y)  # noqa: E731


def linear_problem(n=256, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = np.array([1.5, -2.0, 0.5], np.float32)[:d]
    y = x @ w + 0.01 * rng.normal(size=n).astype(np.float32)
    return x, y, w


def mse(p, batch, key):
    x, y = batch
    return jnp.mean((x @ p - y) ** 2), {"mae": jnp.mean(jnp.abs(x @ p - y))}


def test_fit_recovers_least_squares_solution():
    x, y, w = linear_problem()
    state = TrainState.create(jnp.zeros(3), optax.adam(0.05), key=jax.random.key(0))
    state, hist = fit(state, mse, (x, y), epochs=30, batch_size=32, progress=False)
    w_ls = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(state.params, w_ls, atol=2e-3)
    assert set(hist) == {"loss", "mae", "time"}
    assert len(hist["loss"]) == 30 and hist["loss"][-1] < hist["loss"][0] / 100
    assert int(state.step) == 30 * (256 // 32)


def test_fit_same_seed_same_result_and_input_untouched():
    x, y, _ = linear_problem()
    x0 = x.copy()
    model = jf.models.MLP((8, 1), dropout=0.3)
    params = model.init(jax.random.key(0), x[:1])
    loss_fn = jf.losses.supervised(model, lambda t, o: (o[:, 0] - t) ** 2)

    def run(seed):
        st = TrainState.create(params, optax.adam(1e-2), key=jax.random.key(seed))
        return fit(st, loss_fn, (x, y), epochs=2, batch_size=16, progress=False)[0].params

    a, b, c = run(1), run(1), run(2)
    jax.tree_util.tree_map(np.testing.assert_array_equal, a, b)
    assert not np.allclose(jax.tree_util.tree_leaves(a)[0], jax.tree_util.tree_leaves(c)[0])
    np.testing.assert_array_equal(x, x0)


def test_scan_path_equals_per_step_loop_on_same_batches():
    """fit's fused epoch == a hand loop of make_step over the same shuffled batches."""
    x, y, _ = linear_problem(n=64)
    s0 = TrainState.create(jnp.zeros(3), optax.sgd(0.1))
    fused, _ = fit(s0, mse, (x, y), epochs=1, batch_size=16, key=jax.random.key(3), progress=False)
    perm = np.asarray(jax.random.permutation(jax.random.fold_in(jax.random.key(3), 0), 64))
    step = jax.jit(jf.train.make_step(mse))
    s = TrainState.create(jnp.zeros(3), optax.sgd(0.1))
    for i in range(4):
        idx = perm[i * 16 : (i + 1) * 16]
        s, _ = step(s, (x[idx], y[idx]))
    np.testing.assert_allclose(fused.params, s.params, rtol=1e-6)


def test_steps_per_call_chunks_give_same_result():
    x, y, _ = linear_problem(n=128)
    s0 = TrainState.create(jnp.zeros(3), optax.adam(0.01))
    a, _ = fit(s0, mse, (x, y), epochs=2, batch_size=16, key=jax.random.key(0), progress=False)
    b, _ = fit(
        s0,
        mse,
        (x, y),
        epochs=2,
        batch_size=16,
        key=jax.random.key(0),
        steps_per_call=3,
        progress=False,
    )
    np.testing.assert_allclose(a.params, b.params, rtol=1e-6)
    c, _ = fit(
        s0, mse, (x, y), epochs=2, batch_size=16, key=jax.random.key(0), unroll=4, progress=False
    )
    np.testing.assert_allclose(a.params, c.params, rtol=1e-6)


def test_fit_iterable_path_and_validation():
    x, y, _ = linear_problem(n=96)
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 96, 32)]
    state = TrainState.create(jnp.zeros(3), optax.adam(0.1))
    state, hist = fit(state, mse, batches, epochs=20, validation=(x, y), progress=False)
    assert hist["val_loss"][-1] < 1e-2
    ev = evaluate(state.params, mse, (x, y))
    np.testing.assert_allclose(ev["loss"], hist["val_loss"][-1], rtol=1e-5)
    unguarded, _ = fit(TrainState.create(jnp.zeros(3), optax.adam(0.1)), mse, batches,
                       epochs=20, nan_guard=False, progress=False)  # fmt: skip
    np.testing.assert_array_equal(unguarded.params, state.params)


def test_fit_one_shot_iterator_with_many_epochs_is_rejected():
    x, y, _ = linear_problem(n=64)
    it = iter([(x, y)])
    with pytest.raises(errors.ValidationError, match="one-shot iterator"):
        fit(TrainState.create(jnp.zeros(3), optax.sgd(0.1)), mse, it, epochs=2, progress=False)


def test_fit_without_data_runs_steps_in_chunks():
    loss = lambda p, b, k: (jnp.sum((p - 1.0) ** 2), {})
    state = TrainState.create(jnp.zeros(2), optax.sgd(0.1))
    state, hist = fit(state, loss, None, steps=250, steps_per_call=100, progress=False)
    assert int(state.step) == 250
    assert len(hist["loss"]) == 3  # chunks of 100, 100, 50
    np.testing.assert_allclose(state.params, 1.0, atol=1e-6)
    with pytest.raises(errors.ValidationError, match="steps"):
        fit(state, loss, None, progress=False)


def test_nan_guard_keeps_last_good_state():
    def loss(p, b, key):  # finite until p crosses 3, then NaN
        return jnp.where(p[0] < 3.0, -p[0], jnp.nan), {}

    state = TrainState.create(jnp.zeros(1), optax.sgd(1.0))
    with pytest.raises(errors.TrainingDivergedError) as info:
        fit(state, loss, None, steps=10, progress=False)
    good = info.value.state
    assert np.all(np.isfinite(good.params)) and float(good.params[0]) == 3.0
    assert int(good.step) == 3


def test_early_stopping_restores_best():
    x, y, _ = linear_problem(n=64)
    vals = iter([3.0, 1.0, 2.0, 2.5, 2.6, 9.0])
    state = TrainState.create(jnp.zeros(3), optax.sgd(0.01), key=jax.random.key(0))
    steps_at = {}

    def fake_metric(epoch, st, logs):
        logs["score"] = next(vals)
        steps_at[epoch] = int(st.step)

    stop = EarlyStopping("score", patience=2, mode="min")
    state, hist = fit(
        state, mse, (x, y), epochs=6, batch_size=16, callbacks=[fake_metric, stop], progress=False
    )
    assert len(hist["loss"]) == 4  # stopped after epoch index 3
    assert int(state.step) == steps_at[1]  # best epoch was index 1


@pytest.mark.parametrize(
    "data, exc, match",
    [
        ((np.ones((10, 3)), np.ones(9)), errors.ShapeError, "same number of rows"),
        ((np.ones((0, 3)), np.ones(0)), errors.EmptyDataError, "empty"),
        ((np.full((4, 3), np.nan), np.ones(4)), errors.NonFiniteError, "NaN"),
        (
            (jnp.ones((4, 3)).at[2, 1].set(-jnp.inf), np.ones(4)),
            errors.NonFiniteError,
            r"1 NaN/inf value\(s\) \(first at index \(2, 1\)\)",
        ),
        ((np.array([["a"] * 3] * 4), np.ones(4)), errors.DTypeError, "not numeric"),
        ((np.ones(4), np.ones(4)), None, None),
    ],
)
def test_fit_rejects_bad_arrays(data, exc, match):
    state = TrainState.create(jnp.zeros(3), optax.sgd(0.1))
    if exc is None:
        with pytest.raises(Exception):  # noqa: B017 - 1-D x cannot multiply a (3,) weight
            fit(state, mse, data, progress=False)
        return
    with pytest.raises(exc, match=match):
        fit(state, mse, data, progress=False)


def test_labels_out_of_range_and_wrong_features_are_caught_before_training():
    model = jf.models.MLP((4, 3))
    params = model.init(jax.random.key(0), jnp.ones((1, 5)))
    loss_fn = jf.losses.supervised(model, CE)
    state = TrainState.create(params, optax.sgd(0.1))
    x = np.ones((8, 5), np.float32)
    with pytest.raises(errors.LabelError, match=r"\[0, 3\)"):
        fit(state, loss_fn, (x, np.arange(8) % 4), progress=False)
    with pytest.raises(errors.ShapeError, match="features"):
        fit(state, loss_fn, (np.ones((8, 6), np.float32), np.zeros(8, int)), progress=False)
    with pytest.raises(errors.LabelError):
        fit(state, loss_fn, (x, np.zeros(8, int)), validation=(x, -np.ones(8, int)), progress=False)


def test_bad_arguments():
    state = TrainState.create(jnp.zeros(3), optax.sgd(0.1))
    x, y, _ = linear_problem(n=8)
    with pytest.raises(errors.ValidationError):
        fit(state, mse, (x, y), epochs=0, progress=False)
    with pytest.raises(errors.ValidationError):
        fit(state, mse, (x, y), batch_size=0, progress=False)
    with pytest.raises(errors.EmptyDataError):
        fit(state, mse, [], progress=False)


def test_progress_bar_runs(capsys):
    x, y, _ = linear_problem(n=64)
    state = TrainState.create(jnp.zeros(3), optax.sgd(0.1), key=jax.random.key(0))
    fit(state, mse, (x, y), epochs=2, batch_size=16, progress=True)
    assert "step" in capsys.readouterr().err


_ = itertools


def test_arguments_that_do_not_apply_raise_naming_them():
    x, y, _ = linear_problem(n=32)
    state = TrainState.create(jnp.zeros(3), optax.sgd(0.1), key=jax.random.key(0))
    quad = lambda p, b, k: (jnp.sum(p**2), {})  # noqa: E731
    cases = [
        (dict(data=None, steps=5, epochs=3), "epochs"),
        (dict(data=None, steps=5, batch_size=8), "batch_size"),
        (dict(data=None, steps=5, key=jax.random.key(0)), "key"),
        (dict(data=(x, y), steps=5), "steps"),
        (dict(data=(x, y), shuffle=False, key=jax.random.key(0)), "key"),
        (dict(data=[(x, y)], batch_size=8), "batch_size"),
        (dict(data=[(x, y)], steps=3), "steps"),
        (dict(data=None, steps=5, steps_per_call=0), "steps_per_call"),
    ]
    for kw, name in cases:
        with pytest.raises(errors.ValidationError, match=name):
            fit(state, quad if kw["data"] is None else mse, progress=False, **kw)


def test_shuffling_needs_an_explicit_key():
    x, y, _ = linear_problem(n=64)
    keyless = TrainState.create(jnp.zeros(3), optax.sgd(0.1))
    with pytest.raises(errors.ValidationError, match=r"key=jax\.random\.key\(0\)"):
        fit(keyless, mse, (x, y), progress=False)
    # key= or shuffle=False both work without state.key; key= gives the documented order
    a, _ = fit(keyless, mse, (x, y), key=jax.random.key(5), batch_size=16, progress=False)
    b, _ = fit(keyless, mse, (x, y), shuffle=False, batch_size=16, progress=False)
    assert not np.allclose(a.params, b.params)
    # from state.key: fold_in(state.key, SHUFFLE_STREAM), then one fold_in per epoch
    keyed = TrainState.create(jnp.zeros(3), optax.sgd(0.1), key=jax.random.key(9))
    c, _ = fit(keyed, mse, (x, y), batch_size=16, progress=False)
    base = jax.random.fold_in(jax.random.key(9), jf.train.SHUFFLE_STREAM)
    d, _ = fit(keyless, mse, (x, y), batch_size=16, key=base, progress=False)
    np.testing.assert_array_equal(c.params, d.params)


def test_shuffle_false_skips_the_same_last_rows_every_epoch():
    """10 rows, batches of 4: without shuffling rows 8 and 9 are never seen (documented)."""
    x = np.arange(10.0, dtype=np.float32)
    seen = []
    loss = lambda p, b, k: (jnp.sum(p * b[0]), {"max": jnp.max(b[0])})  # noqa: E731
    state = TrainState.create(jnp.zeros(()), optax.sgd(0.0))
    _, hist = fit(state, loss, (x,), epochs=3, batch_size=4, shuffle=False, progress=False)
    seen = hist["max"]
    np.testing.assert_allclose(seen, [(3 + 7) / 2] * 3)


def test_reduce_on_plateau_gets_the_loss_value():
    """optax.contrib.reduce_on_plateau needs value=: a flat loss must shrink the scale."""
    tx = optax.chain(
        optax.sgd(0.1),
        optax.contrib.reduce_on_plateau(patience=2, factor=0.5, accumulation_size=1),
    )
    flat = lambda p, b, k: (jnp.sum(p * 0.0) + 1.0, {})  # noqa: E731
    state = TrainState.create(jnp.ones(2), tx)
    state, _ = fit(state, flat, None, steps=10, progress=False)
    scale = float(optax.tree.get(state.opt_state, "scale"))
    assert scale < 0.5  # several reductions by 0.5 after plateaus of 2 steps


def rosen(p, batch, key):
    return jnp.sum(100 * (p[1:] - p[:-1] ** 2) ** 2 + (1 - p[:-1]) ** 2), {}


def test_lbfgs_through_fit_equals_the_optax_loop_and_stops_when_stalled():
    opt = optax.lbfgs(memory_size=10)
    f = lambda p: rosen(p, None, None)[0]  # noqa: E731
    # the loop optax documents: value and gradient reused from the line search's state
    @jax.jit
    def update(p, s):
        v, g = optax.value_and_grad_from_state(f)(p, state=s)
        u, s = opt.update(g, s, p, value=v, grad=g, value_fn=f)
        return optax.apply_updates(p, u), s

    p, s = jnp.zeros(4), opt.init(jnp.zeros(4))
    for _ in range(40):
        p, s = update(p, s)
    state = TrainState.create(jnp.zeros(4), opt)
    state, hist = fit(state, rosen, None, steps=40, steps_per_call=10, progress=False)
    np.testing.assert_allclose(state.params, p, rtol=1e-5, atol=1e-6)
    # converged then stalled: EarlyStopping("loss", patience=1) stops after one flat chunk
    state = TrainState.create(jnp.zeros(4), opt)
    stop = EarlyStopping("loss", patience=1, restore_best=False)
    state, hist = fit(state, rosen, None, steps=5000, steps_per_call=10, callbacks=[stop],
                      progress=False)  # fmt: skip
    np.testing.assert_allclose(state.params, 1.0, atol=1e-4)
    assert int(state.step) < 5000 and hist["loss"][-1] == hist["loss"][-2]


def test_batchnorm_model_state_through_fit_with_validation():
    import flax.linen as nn

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x, train):
            h = nn.Dense(8)(x)
            h = nn.BatchNorm(use_running_average=not train, momentum=0.9)(h)
            return nn.Dense(1)(nn.relu(h))[:, 0]

    net = Net()
    x, y, _ = linear_problem(n=128)
    x = 5.0 * x + 3.0  # far from zero mean / unit variance: the statistics matter
    variables = net.init(jax.random.key(0), x[:1], train=False)

    def fn(params, batch, key, model_state):
        xb, yb = batch
        v = {"params": params, "batch_stats": model_state}
        if key is None:  # evaluation: running averages, state unchanged
            out, new = net.apply(v, xb, train=False), model_state
        else:
            out, upd = net.apply(v, xb, train=True, mutable=["batch_stats"])
            new = upd["batch_stats"]
        return jnp.mean((out - yb) ** 2), {}, new

    loss = jf.losses.Loss(fn, stateful=True)
    state = TrainState.create(variables["params"], optax.adam(1e-2), key=jax.random.key(1),
                              model_state=variables["batch_stats"])  # fmt: skip
    state, hist = fit(state, loss, (x, y), epochs=5, batch_size=32, validation=(x, y),
                      progress=False)  # fmt: skip
    mean = state.model_state["BatchNorm_0"]["mean"]
    assert not np.allclose(mean, variables["batch_stats"]["BatchNorm_0"]["mean"])
    manual = net.apply({"params": state.params, "batch_stats": state.model_state}, x, train=False)
    np.testing.assert_allclose(hist["val_loss"][-1], np.mean((manual - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(evaluate(state, loss, (x, y))["loss"], hist["val_loss"][-1],
                               rtol=1e-6)  # fmt: skip
    ev = evaluate(state.params, loss, (x, y), model_state=state.model_state)
    np.testing.assert_allclose(ev["loss"], hist["val_loss"][-1], rtol=1e-6)
    with pytest.raises(errors.ValidationError, match="model_state"):
        evaluate(state.params, loss, (x, y))


def test_time_limit_stops_between_chunks():
    quad = lambda p, b, k: (jnp.sum(p**2), {})  # noqa: E731
    state = TrainState.create(jnp.ones(2), optax.sgd(0.01))
    state, hist = fit(state, quad, None, steps=10_000, steps_per_call=10,
                      callbacks=[jf.train.TimeLimit(1e-9)], progress=False)  # fmt: skip
    assert int(state.step) == 10 and len(hist["loss"]) == 1


def test_early_stopping_modes_table_and_checkpoint_keep():
    assert EarlyStopping("val_precision").mode == "max"
    assert EarlyStopping("val_rmse").mode == "min" and EarlyStopping("accuracy").mode == "max"
    with pytest.raises(errors.ValidationError, match="mode='min' or mode='max'"):
        EarlyStopping("val_pde")  # not in the table: say which way
    assert EarlyStopping("val_pde", mode="min").mode == "min"
    # val_precision going up is an improvement: no stop while it rises
    cb = EarlyStopping("val_precision", patience=1)
    assert [cb.on_epoch_end(e, None, {"val_precision": v}) for e, v in enumerate([0.5, 0.6, 0.7])]\
        == [False, False, False]  # fmt: skip
    for bad in (0, -1):
        with pytest.raises(errors.ValidationError, match="keep"):
            jf.train.Checkpoint("/tmp/unused", keep=bad)


def test_lbfgs_state_compiles_its_chunk_once():
    # optax.lbfgs starts with weakly typed line-search counters that its first update
    # makes strong; TrainState.create strips weak types so the second chunk reuses the
    # first one's executable
    from jaxfound.train import _fit

    state = TrainState.create(jnp.zeros(4), optax.lbfgs(memory_size=5))
    leaves = jax.tree_util.tree_leaves(state)
    assert not any(getattr(x, "weak_type", False) for x in leaves)
    before = _fit._chunk._cache_size()
    fit(state, rosen, None, steps=20, steps_per_call=10, progress=False)
    assert _fit._chunk._cache_size() - before == 1
