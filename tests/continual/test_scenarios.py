"""Scenario builders and the strategy spec: shapes, labels, masks, and bad input."""

import jax
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.continual import joint_scenario, permuted_scenario, split_scenario, strategy


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
