"""The training process that tests/train/test_crash.py kills with SIGKILL.

``python _crash_child.py DIR`` trains the run of `setup` with ``fit(..., checkpoint=,
resume=True)`` into DIR, printing one line per chunk (so the parent knows it trains).
"""

import sys

import jax
import jax.numpy as jnp
import optax

import jaxfound as jf

STEPS, PER_CALL = 320, 4
TX = optax.adam(1e-2)


def loss(params, batch, key):
    noise = jax.random.normal(key, params["w"].shape)
    return jnp.mean((jnp.tanh(params["w"]) @ params["v"] - noise) ** 2), {}


def make_state():
    k1, k2 = jax.random.split(jax.random.key(0))
    params = {"w": jax.random.normal(k1, (16, 16)), "v": jax.random.normal(k2, (16, 16))}
    return jf.train.TrainState.create(params, TX, key=jax.random.key(1))


def run(manager, callbacks=()):
    return jf.train.fit(make_state(), loss, None, steps=STEPS, steps_per_call=PER_CALL,
                        checkpoint=manager, resume=manager is not None, callbacks=callbacks,
                        progress=False)


if __name__ == "__main__":
    mgr = jf.train.CheckpointManager(sys.argv[1], max_to_keep=2)
    state, _ = run(mgr, [lambda e, s, logs: print(f"chunk {e} step {int(s.step)}", flush=True)])
    print(f"DONE {int(state.step)}", flush=True)
