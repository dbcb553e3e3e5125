"""Pipelines, column transforms, the imputer transform, and saving / re-applying fitted states."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.data import (
    columns,
    fit_transform,
    identity,
    imputer,
    label_encoder,
    load_state,
    min_max,
    one_hot,
    pipeline,
    polynomial,
    register_state,
    robust_scale,
    save_state,
    standardize,
    state_from_bytes,
    state_to_bytes,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(30, 3)).astype(np.float32)
X_NEW = RNG.normal(size=(7, 3)).astype(np.float32)


def test_pipeline_equals_composition():
    pipe = pipeline(standardize(), min_max((-1.0, 1.0)))
    s = pipe.fit(X)
    a, b = standardize(), min_max((-1.0, 1.0))
    sa = a.fit(X)
    sb = b.fit(a.transform(sa, X))
    np.testing.assert_allclose(pipe.transform(s, X_NEW), b.transform(sb, a.transform(sa, X_NEW)))
    np.testing.assert_allclose(pipe.inverse(s, pipe.transform(s, X_NEW)), X_NEW, atol=1e-5)
    st, y = fit_transform(pipe, X)
    np.testing.assert_allclose(y, pipe.transform(st, X))


def test_pipeline_is_jittable_with_state_as_argument():
    pipe = pipeline(imputer("median"), robust_scale(), polynomial(2))
    x = X.copy()
    x[0, 1] = np.nan
    s = pipe.fit(x)
    eager = pipe.transform(s, x)
    assert np.isfinite(np.asarray(eager)).all()
    np.testing.assert_allclose(jax.jit(pipe.transform)(s, x), eager, rtol=1e-5, atol=1e-5)


def test_imputer_transform_learns_on_train_applies_to_new():
    t = imputer("mean")
    s = t.fit(np.array([[1.0, 10.0], [3.0, np.nan]]))
    assert s.fill.tolist() == [2.0, 10.0]
    out = t.transform(s, np.array([[np.nan, np.inf], [5.0, 6.0]]))
    assert out.tolist() == [[2.0, 10.0], [5.0, 6.0]]
    t2 = imputer("mean", inf_is_missing=False)
    assert np.isinf(t2.transform(t2.fit(np.ones((2, 2))), np.array([[np.inf, 1.0]]))[0, 0])
    with pytest.raises(errors.EmptyDataError, match=r"\[1\]"):
        t.fit(np.array([[1.0, np.nan], [2.0, np.nan]]))
    with pytest.raises(errors.ValidationError):
        imputer("mode")


def test_imputer_matches_sklearn():
    sk = pytest.importorskip("sklearn.impute")
    x = RNG.normal(size=(20, 2))
    x[RNG.random(x.shape) < 0.3] = np.nan
    with jax.enable_x64(True):
        for strategy in ("mean", "median"):
            t = imputer(strategy)
            ours = np.asarray(t.transform(t.fit(x), x))
            np.testing.assert_allclose(ours, sk.SimpleImputer(strategy=strategy).fit_transform(x))


def _table():
    return {
        "age": np.array([22.0, 35.0, np.nan, 58.0, 41.0]),
        "income": np.array([1.0, 3.0, 2.0, 8.0, 4.0]),
        "city": np.array(["Oslo", "Rome", "Oslo", "Lima", "Rome"]),
    }


def _table_transform():
    return columns(
        (["age", "income"], pipeline(imputer("median"), standardize())),
        ("city", one_hot()),
    )


def test_columns_on_a_table_and_inverse():
    t = _table_transform()
    table = _table()
    s = t.fit(table)
    y = np.asarray(t.transform(s, table))
    assert y.shape == (5, 2 + 3)
    np.testing.assert_array_equal(y[:, 2:].sum(1), 1.0)
    back = t.inverse(s, y)
    assert back["city"].tolist() == table["city"].tolist()
    np.testing.assert_allclose(back["income"], table["income"], rtol=1e-5)
    assert np.isnan(table["age"][2])  # input untouched; the imputed value comes back
    assert back["age"][2] == pytest.approx(38.0)


def test_columns_on_an_array_with_identity_and_jit():
    t = columns(([0, 2], standardize()), (1, identity()))
    s = t.fit(X)
    y = jax.jit(t.transform)(s, X)
    np.testing.assert_allclose(y[:, 2], X[:, 1])
    np.testing.assert_allclose(jax.jit(t.inverse)(s, y), X, rtol=1e-5, atol=1e-5)
    partial = columns((0, standardize()))
    ps = partial.fit(X)
    back = partial.inverse(ps, partial.transform(ps, X))
    assert np.isnan(back[:, 1:]).all() and np.allclose(back[:, 0], X[:, 0], atol=1e-5)


def test_columns_bad_input():
    with pytest.raises(errors.ValidationError):
        columns(("a", "not a transform"))
    t = columns((["nope"], standardize()))
    with pytest.raises(errors.DataFormatError, match="nope"):
        t.fit(_table())
    with pytest.raises(errors.ShapeError, match="indices"):
        columns(([5], standardize())).fit(X)


@pytest.mark.parametrize("suffix", [".npz", ".msgpack", ".state"])
def test_save_load_reapply(tmp_path, suffix):
    t = _table_transform()
    s = t.fit(_table())
    path = tmp_path / f"pipe{suffix}"
    save_state(path, s)
    loaded = load_state(path)
    new = {"age": np.array([30.0, np.nan]), "income": np.array([2.0, 9.0]),
           "city": np.array(["Lima", "Oslo"])}
    np.testing.assert_array_equal(np.asarray(t.transform(loaded, new)),
                                  np.asarray(t.transform(s, new)))
    assert jax.tree_util.tree_structure(loaded) == jax.tree_util.tree_structure(s)


def test_state_file_is_the_one_jaxfound_format_and_needs_no_template(tmp_path):
    st = (standardize().fit(X), label_encoder().fit(np.array(["b", "a"])), None, {"k": [1.0]})
    p = tmp_path / "s.npz"  # the suffix does not choose a format
    save_state(p, st)
    assert p.read_bytes().startswith(b"JAXFOUND-STATE-2\n")
    assert p.read_bytes() == state_to_bytes(st)
    back = load_state(p)
    assert back[1].classes.tolist() == ["a", "b"] and back[2] is None
    np.testing.assert_array_equal(back[0].mean, np.asarray(st[0].mean))
    assert state_from_bytes(state_to_bytes(st))[3]["k"][0] == 1.0


def test_state_errors(tmp_path):
    from typing import NamedTuple

    class Mine(NamedTuple):
        w: np.ndarray

    with pytest.raises(errors.CheckpointError, match="register"):
        state_to_bytes(Mine(np.ones(2)))
    register_state(Mine)
    assert state_from_bytes(state_to_bytes(Mine(np.ones(2)))).w.tolist() == [1.0, 1.0]
    with pytest.raises(errors.ValidationError):
        register_state(dict)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(errors.CheckpointError):
        load_state(bad)
    with pytest.raises(errors.CheckpointError):
        load_state(tmp_path / "absent.npz")
    with pytest.raises(errors.CheckpointError):
        state_from_bytes(b"\x00garbage")
    with pytest.raises(errors.CheckpointError):
        save_state(tmp_path / "o.npz", {"o": np.array([object()], dtype=object)})


def test_pipeline_errors():
    with pytest.raises(errors.ValidationError):
        pipeline()
    pipe = pipeline(standardize())
    with pytest.raises(errors.NotFittedError):
        pipe.transform(None, X)
    with pytest.raises(errors.ValidationError, match="tuple"):
        pipe.transform(standardize().fit(X), X)
    x = jnp.asarray(X)
    assert pipe.transform(pipe.fit(x), x).shape == X.shape
