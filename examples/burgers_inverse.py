"""Recover Burgers' viscosity nu from noisy observations (an inverse problem).

    u_t + u u_x = nu u_xx,   nu unknown (true value 0.01/pi),

observed at a few thousand points of DeepXDE's reference solution (``Burgers.npz``),
with Gaussian noise of 1% of the solution's standard deviation.

The unknown is a `jaxfound.physics.Trainable` coefficient, ``log_nu`` in the
parameter dict (``nu = exp(log_nu)`` stays positive), trained together with the
network: the loss is the PDE residual at Sobol collocation points plus the misfit to
the observations (``observed``); the known initial and boundary conditions are hard
constraints. The recipe of ``examples/burgers_pinn.py``: Adam (float32), then L-BFGS
(float64, ``optax.lbfgs`` as the state's optimiser), both trained by ``jf.train.fit``, with
one residual-based refinement (``rar``) halfway. The last line of the output is
``RESULT key=value ...`` (the recovered nu, its relative error, the seconds).

    python examples/burgers_inverse.py            # full run (a few minutes on 2 CPU cores)
    python examples/burgers_inverse.py --smoke    # seconds
    python examples/burgers_inverse.py --data PATH   # DeepXDE's Burgers.npz elsewhere
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxfound as jf
from jaxfound import physics as jp

NU_TRUE = 0.01 / np.pi
DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pinn" / "Burgers.npz"
)


def load_observations(path: Path, n: int, noise: float, seed: int):
    """``n`` random grid points of the reference and their values with relative noise."""
    d = np.load(path, allow_pickle=False)
    x, t, usol = d["x"].ravel(), d["t"].ravel(), d["usol"]
    X, T = np.meshgrid(x, t, indexing="ij")
    pts = np.stack([X.ravel(), T.ravel()], -1)
    vals = usol.ravel()
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(vals), n, replace=False)
    noisy = vals[idx] + noise * vals.std() * rng.standard_normal(n)
    return pts[idx], noisy, pts, vals


def synthetic_observations(n: int, seed: int):
    """Stand-in data for a smoke run without the reference (a travelling viscous front)."""
    rng = np.random.default_rng(seed)
    pts = np.c_[rng.uniform(-1, 1, n), rng.uniform(0, 1, n)]
    vals = -np.tanh((pts[:, 0] - 0.1 * pts[:, 1]) / (2 * NU_TRUE))
    return pts, vals, pts, vals


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="path to Burgers.npz")
    ap.add_argument("--observations", type=int, default=2000)
    ap.add_argument("--noise", type=float, default=0.01, help="noise std / solution std")
    ap.add_argument("--points", type=int, default=4096, help="collocation points")
    ap.add_argument("--nu0", type=float, default=0.05, help="initial guess of nu")
    ap.add_argument("--width", type=int, default=48)
    ap.add_argument("--adam-steps", type=int, default=10000, help="float32 Adam steps")
    ap.add_argument("--lbfgs-iters", type=int, default=10000, help="float64 L-BFGS its")
    ap.add_argument("--memory", type=int, default=300, help="L-BFGS memory size")
    ap.add_argument("--rar-add", type=int, default=1024, help="points added halfway")
    ap.add_argument("--budget", type=float, default=480.0, help="seconds for the L-BFGS stage")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.smoke:
        args.observations, args.points, args.adam_steps, args.lbfgs_iters = 128, 256, 50, 30
        args.width, args.memory, args.rar_add = 8, 10, 32

    t0 = time.perf_counter()
    jp.enable_float64()
    if args.data.exists():
        obs_x, obs_u, _, _ = load_observations(args.data, args.observations, args.noise, args.seed)
    elif args.smoke:
        print(f"reference data {args.data} absent: smoke run on a synthetic front")
        obs_x, obs_u, _, _ = synthetic_observations(args.observations, args.seed)
    else:
        raise SystemExit(f"reference data {args.data} not found (pass --data)")

    net = jf.models.MLP(
        (args.width,) * 4 + (1,),
        activation=jnp.tanh,
        kernel_init=jax.nn.initializers.glorot_normal(),
    )
    u = jp.field(
        net,
        params_key="net",
        input_transform=lambda x: jnp.stack([x[0], 2 * x[1] - 1]),
        output_transform=lambda x, out: -jnp.sin(jnp.pi * x[0]) + x[1] * (1 - x[0] ** 2) * out,
    )
    nu = jp.trainable("log_nu", jnp.exp)
    domain = jp.SpaceTime(jp.Interval(-1.0, 1.0), jp.TimeInterval(0.0, 1.0))
    colloc = domain.sample_interior(args.points, method="sobol")
    terms = {
        "pde": jp.residual(jp.burgers(nu), u, colloc, geometry=domain),
        "data": jp.observed(u, obs_x, obs_u, geometry=domain),
    }
    params = {
        "net": net.init(jax.random.key(args.seed), jnp.ones((1, 2), jnp.float32)),
        "log_nu": jnp.log(jnp.float32(args.nu0)),
    }
    print(
        f"{len(obs_u)} noisy observations ({args.noise:.0%} noise), {args.points} "
        f"collocation points; initial guess nu = {args.nu0:.4f}, true {NU_TRUE:.6f}"
    )

    def report(stage, p, loss):
        est = float(nu(p))
        print(
            f"{stage:<14s} loss={loss:.3e}  nu={est:.6f}  rel err of nu="
            f"{abs(est - NU_TRUE) / NU_TRUE:.2e}  ({time.perf_counter() - t0:.0f}s)",
            flush=True,
        )
        return est

    # Adam in float32: the points and observations in float32 too
    obs32 = jp.cast(terms["data"].data, jnp.float32)  # (points, values)
    terms32 = {
        "pde": terms["pde"]._replace(data=jp.cast(colloc, jnp.float32)),
        "data": terms["data"]._replace(data=obs32),
    }
    state, hist = jf.train.fit(
        jf.train.TrainState.create(params, optax.adam(1e-3)),
        jf.losses.weighted_sum(terms32),
        steps=args.adam_steps,
        steps_per_call=min(args.adam_steps, 1000),
        progress=False,
    )
    report(f"adam {args.adam_steps}", state.params, hist["loss"][-1])  # mean of the last chunk
    # L-BFGS in float64; halfway, refine the collocation points where the residual is
    # largest (the shock, which is what pins nu down) and continue. `cast` puts the
    # parameters and the L-BFGS memory in float64 and makes every leaf strongly typed
    # (one compilation per stage).
    lbfgs = optax.lbfgs(
        memory_size=args.memory, linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=20)
    )
    params = jp.cast(state.params)
    candidates = domain.sample_interior(32 * args.points, method="sobol", skip=args.points)
    t_lbfgs, done = time.perf_counter(), 0
    for stage in range(2):
        if stage == 1:
            new = jp.rar(terms["pde"], params, candidates, args.rar_add)
            terms["pde"] = terms["pde"]._replace(data=jnp.concatenate([terms["pde"].data, new]))
        left = args.budget - (time.perf_counter() - t_lbfgs)
        if left <= 0:
            break
        steps = max(1, args.lbfgs_iters // 2)
        state, _ = jf.train.fit(
            jp.cast(jf.train.TrainState.create(params, lbfgs)),
            jf.losses.weighted_sum(terms),
            steps=steps,
            steps_per_call=min(steps, 1000),
            callbacks=[
                jf.train.TimeLimit(left),
                jf.train.EarlyStopping("loss", patience=1, restore_best=False),  # stalled
            ],
            progress=False,
        )
        params = state.params
        done += int(state.step)
        report(f"L-BFGS {done}", params, float(optax.tree.get(state.opt_state, "value")))
    est = float(nu(params))
    rel = abs(est - NU_TRUE) / NU_TRUE
    seconds = time.perf_counter() - t0
    print(
        f"recovered nu = {est:.6f} (true 0.01/pi = {NU_TRUE:.6f}): relative error {rel:.2e}; "
        f"wall-clock {seconds:.0f}s"
    )
    print(
        f"RESULT nu={est:.6e} nu_rel_error={rel:.4e} lbfgs_iterations={done} seconds={seconds:.1f}"
    )
    return rel


if __name__ == "__main__":
    main()
