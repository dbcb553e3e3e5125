"""Scenario builders and the strategy spec: shapes, labels, masks, and bad input."""

import jax
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.continual import (
    joint_scenario,
    permuted_scenario,
    split_scenario,
    stack_scenarios,
    strategy,
)


def _data(n=60, classes=6):
    rng = np.random.default_rng(0)
    return rng.random((n, 2, 3)).astype(np.float32), np.arange(n) % classes


def test_split_three_scenarios():
    x, y = _data()
    task = split_scenario((x, y), (x, y), "task")
    assert task.x_train.shape == (3, 20, 6) and task.n_outputs == 6
    assert task.masks[2, 0].tolist() == [True, True, False, False, False, False]
    assert set(task.y_train[1].tolist()) == {2, 3}
    dom = split_scenario((x, y), (x, y), "domain")
    assert dom.n_outputs == 2 and set(dom.y_train[2].tolist()) == {0, 1} and dom.masks.all()
    cls = split_scenario((x, y), (x, y), "class")
    assert cls.masks[1, 0].sum() == 4 and cls.masks[0, 2].sum() == 6  # classes up to max(s, c)
    np.testing.assert_array_equal(cls.classes, [[0, 1], [2, 3], [4, 5]])


def test_unequal_context_sizes_are_padded():
    x, y = _data(61)
    s = split_scenario((x, y), (x, y), "class")
    assert s.n_train.tolist() == [21, 20, 20] and s.x_train.shape[1] == 21


def test_permuted_and_joint():
    x, y = _data(12, 2)
    p = permuted_scenario((x, y), (x, y), 3, jax.random.key(0))
    np.testing.assert_array_equal(p.x_train[0], x.reshape(12, -1))  # first context unpermuted
    assert not np.array_equal(p.x_train[1], p.x_train[0])
    np.testing.assert_array_equal(np.sort(p.x_train[1], 1), np.sort(p.x_train[0], 1))
    t = permuted_scenario((x, y), (x, y), 3, jax.random.key(0), scenario="task")
    assert t.n_outputs == 6 and set(t.y_train[2].tolist()) == {4, 5}
    j = joint_scenario(split_scenario(*[_data()] * 2, "task"))
    assert j.n_stages == 1 and j.n_train[0] == 60 and set(j.context_train[0].tolist()) == {0, 1, 2}


def test_bad_scenarios():
    x, y = _data()
    with pytest.raises(errors.LabelError, match="head"):
        split_scenario((x, y), (x, y), "class", n_outputs=4)
    with pytest.raises(errors.ValidationError, match="scenario"):
        split_scenario((x, y), (x, y), "online")
    with pytest.raises(errors.ValidationError, match="repeat"):
        split_scenario((x, y), (x, y), contexts=[[0, 1], [1, 2]])
    with pytest.raises(errors.ValidationError, match="no rows"):
        split_scenario((x, y), (x, y), contexts=[[0, 1], [7, 8]], n_outputs=9)
    with pytest.raises(errors.EmptyDataError):
        split_scenario((x[:0], y[:0]), (x, y))


def test_strategy_combinations_and_values():
    assert strategy("ewc+er", ewc_lambda=1.0).methods == ("er", "ewc")
    for bad in ("none+ewc", "joint+er", "ewc+online_ewc", "ewc+ewc", "replay"):
        with pytest.raises(errors.ValidationError):
            strategy(bad)
    with pytest.raises(errors.ValidationError, match="does not"):
        strategy("ewc", si_c=1.0)
    with pytest.raises(errors.ValidationError, match="ewc_lambda"):
        strategy("ewc", ewc_lambda=-1.0)
    with pytest.raises(errors.ValidationError, match="size 0"):
        strategy("er", per_class=0)


def test_split_scenarios_give_each_seed_its_own_class_order():
    from jaxfound.continual import split_scenarios

    rng = np.random.default_rng(0)
    x = rng.random((60, 3), np.float32)
    y = np.arange(60) % 6
    s = split_scenarios((x, y), (x, y), "class", seeds=4, key=jax.random.key(1))
    assert s.per_seed and s.x_train.shape[:2] == (4, 3) and s.n_stages == 3
    plain = split_scenario((x, y), (x, y), "class")
    np.testing.assert_array_equal(s.seed(0).x_train, plain.x_train)
    label_of = {r.tobytes(): int(c) for r, c in zip(x, y)}
    firsts = set()
    for i in range(4):
        si = s.seed(i)
        order = {}  # original class -> the seed's label
        for t in range(3):
            n = int(si.n_train[t])
            assert n == 20 and set(si.y_train[t, :n].tolist()) == {2 * t, 2 * t + 1}
            for r, new in zip(si.x_train[t, :n], si.y_train[t, :n]):
                assert order.setdefault(label_of[r.tobytes()], int(new)) == int(new)
        assert sorted(order) == list(range(6)) and sorted(order.values()) == list(range(6))
        if i == 0:
            assert all(k == v for k, v in order.items())  # seed 0: the identity order
        firsts.add(frozenset(k for k, v in order.items() if v < 2))
    assert len(firsts) > 1  # the seeds pair other classes in their first context
    with pytest.raises(errors.ValidationError):
        stack_scenarios([split_scenario((x, y), (x, y), "class"),
                         split_scenario((x, y), (x, y), "task")])


def test_per_seed_data_train_like_shared_data():
    """Two seeds that each hold the shared data train exactly as with the shared data."""
    from jaxfound.continual import train_continual
    from jaxfound.models import MLP

    rng = np.random.default_rng(0)
    x = rng.random((64, 4), np.float32)
    y = np.arange(64) % 4
    shared = split_scenario((x, y), (x, y), "class")
    stacked = stack_scenarios([shared, shared])
    kw = dict(seeds=2, iters=5, batch_size=8)
    for name in ("none", "er"):
        strat = strategy(name, **({"per_class": 2} if name == "er" else {}))
        a = train_continual(shared, strat, MLP((8, 4)), jax.random.key(0), **kw)
        b = train_continual(stacked, strat, MLP((8, 4)), jax.random.key(0), **kw)
        np.testing.assert_allclose(a.accuracy, b.accuracy)
        np.testing.assert_allclose(a.losses, b.losses, rtol=1e-5)
    with pytest.raises(errors.ValidationError, match="seeds"):
        train_continual(stacked, strategy("none"), MLP((8, 4)), jax.random.key(0), seeds=3,
                        iters=2, batch_size=4)
