import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfound as jf
from jaxfound import errors
from jaxfound.finetune import SequenceClassifier, classification_loss, pad, pool, with_backbone


def _batch(cfg):
    p = pad([[1, 2, 3], [4, 5, 6, 7, 8], [9]], cfg.block_size)
    return jnp.asarray(p.tokens), jnp.asarray(p.mask)


@pytest.mark.slow  # compile-bound: ~30-140 s wall on the loaded 2-core box
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_padding_does_not_change_the_prediction(tiny, pooling):
    cfg, _, gpt_params = tiny
    clf = SequenceClassifier(cfg, num_classes=3, pooling=pooling)
    tokens, mask = _batch(cfg)
    v = with_backbone(clf.init(jax.random.key(0), (tokens, mask)), gpt_params)
    apply = jax.jit(clf.apply)  # one compile per shape, not one per op
    out = apply(v, (tokens, mask))
    garbage = jnp.where(mask, tokens, 11)  # other pad ids
    np.testing.assert_allclose(apply(v, (garbage, mask)), out, atol=1e-5)
    # each row alone, unpadded, gives the same logits
    for i, n in enumerate([3, 5, 1]):
        alone = apply(v, (tokens[i:i + 1, :n], mask[i:i + 1, :n]))
        np.testing.assert_allclose(alone[0], out[i], atol=1e-5)


def test_pool_matches_a_loop():
    h = jax.random.normal(jax.random.key(0), (2, 4, 3))
    m = jnp.array([[1, 1, 1, 0], [1, 0, 0, 0]], bool)
    np.testing.assert_allclose(pool(h, m, "last"), jnp.stack([h[0, 2], h[1, 0]]))
    np.testing.assert_allclose(pool(h, m, "mean"), jnp.stack([h[0, :3].mean(0), h[1, 0]]),
                               rtol=1e-6)
    with pytest.raises(errors.ValidationError, match="pooling"):
        pool(h, m, "max")


@pytest.mark.slow  # compile-bound: ~30-140 s wall on the loaded 2-core box
def test_classifier_trains_and_rejects_bad_labels(tiny):
    cfg, _, gpt_params = tiny
    clf = SequenceClassifier(cfg, num_classes=2)
    tokens, mask = _batch(cfg)
    y = jnp.array([0, 1, 0])
    v = with_backbone(clf.init(jax.random.key(0), (tokens, mask)), gpt_params)
    loss = classification_loss(clf, 2)
    state = jf.train.TrainState.create(v, optax.adam(1e-2))
    state, hist = jf.train.fit(state, loss, ((tokens, mask), y), epochs=30, batch_size=3,
                               shuffle=False, progress=False)
    assert hist["loss"][-1] < 0.1 * hist["loss"][0] and hist["accuracy"][-1] == 1.0
    with pytest.raises(errors.ValidationError, match="labels"):
        loss.check(v, ((tokens, mask), jnp.array([0, 2, 1])), "data")


def test_checkpoint_of_another_model(tiny):
    cfg, _, _ = tiny
    clf = SequenceClassifier(cfg, num_classes=2)
    v = clf.init(jax.random.key(0), _batch(cfg))
    other = jf.models.gpt.GPT(jf.models.gpt.GPTConfig(vocab_size=13, block_size=12, n_layer=1,
                                                      n_head=2, n_embd=16))
    ov = other.init(jax.random.key(0), jnp.zeros((1, 12), jnp.int32))
    with pytest.raises(errors.ShapeError, match="do not match"):
        with_backbone(v, ov)
    with pytest.raises(errors.ValidationError):
        SequenceClassifier(cfg, num_classes=1).init(jax.random.key(0), _batch(cfg))
