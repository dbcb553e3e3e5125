import jax.numpy as jnp
import numpy as np
import pytest

from jaxfound import errors
from jaxfound.train import evaluate


def loss_fn(p, batch, key):
    x, y = batch
    err = x[:, 0] * p - y
    return jnp.mean(err**2), {"hits": jnp.mean(jnp.abs(err) < 0.5)}


@pytest.mark.parametrize("batch_size", [1, 7, 10, 64])
def test_exact_means_for_any_batch_size(batch_size):
    x = np.arange(10.0, dtype=np.float32)[:, None]
    y = np.linspace(0, 3, 10).astype(np.float32)
    out = evaluate(0.3, loss_fn, (x, y), batch_size=batch_size)
    err = x[:, 0] * 0.3 - y
    np.testing.assert_allclose(out["loss"], np.mean(err**2), rtol=1e-6)
    np.testing.assert_allclose(out["hits"], np.mean(np.abs(err) < 0.5), rtol=1e-6)


def test_iterable_of_batches_weighted_by_size():
    x = np.arange(10.0, dtype=np.float32)[:, None]
    y = np.zeros(10, np.float32)
    batches = [(x[:7], y[:7]), (x[7:], y[7:])]
    out = evaluate(1.0, loss_fn, batches)
    np.testing.assert_allclose(out["loss"], np.mean(x[:, 0] ** 2), rtol=1e-6)
    with pytest.raises(errors.EmptyDataError):
        evaluate(1.0, loss_fn, [])


def test_evaluate_validates():
    with pytest.raises(errors.NonFiniteError):
        evaluate(1.0, loss_fn, (np.array([[np.inf]]), np.zeros(1)))
