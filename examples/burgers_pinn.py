"""Burgers' equation by a physics-informed network, checked against DeepXDE's reference.

    u_t + u u_x = (0.01/pi) u_xx,   x in [-1, 1], t in [0, 1],
    u(x, 0) = -sin(pi x),   u(-1, t) = u(1, t) = 0.

Recipe (each piece is a jaxfound.physics function):

1. a hard constraint (``output_transform``): u = -sin(pi x) + t (1 - x^2) N(x, t)
   satisfies the initial and boundary conditions exactly, so the loss is the PDE
   residual alone (``burgers``: one collapsed Taylor-mode pass per point);
2. 4096 Sobol collocation points, a 4 x 48 tanh network;
3. Adam in float32 (``jf.train.fit``: 10,000 cheap steps in compiled chunks,
   cosine-decayed learning rate);
4. L-BFGS in float64 (``enable_float64``; ``optax.lbfgs`` with its zoom line search and a
   300-pair memory as the state's optimiser, trained by the same ``fit``), which goes far
   below float32's ~1e-4 floor: 5000 iterations, then residual-based refinement (``rar``:
   the 1024 of 131,072 candidate points with the largest residual, all along the shock
   at x = 0) and 5000 more.

Refining *after* L-BFGS has fitted the smooth part matters: added at the start, the
shock points make the loss chase the shock while the smooth regions converge slowly
(see docs/physics/examples/burgers.md for the runs).

The L2 relative error over DeepXDE's whole 256 x 100 reference grid (``Burgers.npz``)
is printed after every 1000 L-BFGS iterations, and a PNG of prediction, reference and
error is written. The last line of the output is ``RESULT key=value ...`` (the error,
the seconds, the L-BFGS iterations and final loss).

    python examples/burgers_pinn.py               # full run (< 10 minutes on 2 CPU cores)
    python examples/burgers_pinn.py --smoke       # seconds
    python examples/burgers_pinn.py --data PATH   # DeepXDE's Burgers.npz elsewhere
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

NU = 0.01 / np.pi
DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pinn" / "Burgers.npz"
)


def load_reference(path: Path):
    """(points (25600, 2) as (x, t), u (25600,), grid shape) from DeepXDE's Burgers.npz."""
    d = np.load(path, allow_pickle=False)
    x, t, usol = d["x"].ravel(), d["t"].ravel(), d["usol"]  # usol[i, j] = u(x_i, t_j)
    X, T = np.meshgrid(x, t, indexing="ij")
    return np.stack([X.ravel(), T.ravel()], -1), usol.ravel(), usol.shape, (x, t)


def make_field(width: int, depth: int):
    net = jf.models.MLP(
        (width,) * depth + (1,),
        activation=jnp.tanh,
        kernel_init=jax.nn.initializers.glorot_normal(),
    )

    def hard(x, out):  # u(x, 0) = -sin(pi x) and u(+-1, t) = 0 hold exactly
        return -jnp.sin(jnp.pi * x[0]) + x[1] * (1 - x[0] ** 2) * out

    # feed the network t rescaled to [-1, 1], like x
    u = jp.field(
        net, input_transform=lambda x: jnp.stack([x[0], 2 * x[1] - 1]), output_transform=hard
    )
    return net, u


def l2_relative(u, params, pts, ref):
    pred = np.asarray(jax.jit(jp.on_points(u))(params, jnp.asarray(pts)))
    return float(jf.stats.l2_relative_error(ref, pred)), pred


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="path to Burgers.npz")
    ap.add_argument("--out", default="runs/burgers_pinn", help="folder for the PNG")
    ap.add_argument("--width", type=int, default=48)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--points", type=int, default=4096, help="Sobol collocation points")
    ap.add_argument("--adam-steps", type=int, default=10000, help="float32 Adam steps")
    ap.add_argument("--lbfgs-iters", type=int, default=10000, help="float64 L-BFGS iterations")
    ap.add_argument("--memory", type=int, default=300, help="L-BFGS memory size")
    ap.add_argument("--report-every", type=int, default=1000, help="L-BFGS its between reports")
    ap.add_argument("--rar-rounds", type=int, default=1, help="RAR refinements (0: none)")
    ap.add_argument("--rar-add", type=int, default=1024, help="points added per refinement")
    ap.add_argument("--round", type=int, default=5000, help="L-BFGS its before a refinement")
    ap.add_argument("--target", type=float, default=None, help="stop at this L2 error")
    ap.add_argument("--budget", type=float, default=570.0, help="seconds for the whole run")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.smoke:
        args.width, args.depth, args.points = 8, 2, 256
        args.adam_steps, args.lbfgs_iters, args.report_every, args.memory = 50, 40, 20, 10
        args.rar_rounds, args.round, args.rar_add = 1, 20, 64

    t_start = time.perf_counter()
    elapsed = lambda: time.perf_counter() - t_start  # noqa: E731
    jp.enable_float64()
    if args.data.exists():
        pts, ref, shape, grid_xt = load_reference(args.data)
    else:  # the smoke test may run without the shared data
        if not args.smoke:
            raise SystemExit(f"reference data {args.data} not found (pass --data)")
        print(f"reference data {args.data} absent: smoke run against a stand-in")
        x, t = np.linspace(-1, 1, 32), np.linspace(0, 0.99, 10)
        X, T = np.meshgrid(x, t, indexing="ij")
        pts, ref, shape, grid_xt = (
            np.stack([X.ravel(), T.ravel()], -1),
            np.sin(X).ravel(),
            X.shape,
            (x, t),
        )

    domain = jp.SpaceTime(jp.Interval(-1.0, 1.0), jp.TimeInterval(0.0, 1.0))
    net, u = make_field(args.width, args.depth)
    params = net.init(jax.random.key(args.seed), jnp.ones((1, 2), jnp.float32))
    points = domain.sample_interior(args.points, method="sobol")
    candidates = domain.sample_interior(32 * args.points, method="sobol", skip=args.points)
    term = jp.residual(jp.burgers(NU), u, points, geometry=domain)
    print(
        f"net {args.width}x{args.depth} tanh, {args.points} Sobol points; "
        f"Adam in float32, L-BFGS in float64"
    )

    # 1. Adam, float32: cheap first descent (the points in float32 too)
    state = jf.train.TrainState.create(
        jp.cast(params, jnp.float32),
        optax.adam(optax.cosine_decay_schedule(1e-3, max(args.adam_steps, 1), 0.1)),
    )
    if args.adam_steps > 0:
        chunk = min(args.adam_steps, 1000)
        loss32 = jf.losses.weighted_sum({"pde": term._replace(data=jp.cast(points, jnp.float32))})
        state, hist = jf.train.fit(
            state, loss32, steps=args.adam_steps, steps_per_call=chunk, progress=False
        )
        err, _ = l2_relative(u, state.params, pts, ref)
        print(
            f"adam {args.adam_steps:>5d} steps  loss={hist['loss'][-1]:.3e} (mean of the last "
            f"{chunk})  L2 rel err={err:.3e}  ({elapsed():.0f}s)",
            flush=True,
        )
    params = jp.cast(state.params, jnp.float64)

    # 2. L-BFGS, float64: `fit` runs --report-every iterations per compiled chunk, the
    #    memory carried across; the error on the reference grid is printed in between.
    #    (with --rar-rounds R, after each of the first R rounds of --round iterations the
    #    worst-residual candidates are added and L-BFGS restarts.)
    # `cast` puts the parameters and the L-BFGS memory in float64 and makes every leaf
    # strongly typed (the line search's counters start weakly typed), so `fit` compiles
    # its chunk once
    lbfgs = optax.lbfgs(
        memory_size=args.memory, linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=20)
    )
    done, reached, loss_value = 0, [], float("nan")

    def report(epoch, state, logs):
        nonlocal loss_value
        loss_value = float(optax.tree.get(state.opt_state, "value"))
        err, _ = l2_relative(u, state.params, pts, ref)
        print(
            f"L-BFGS {done + int(state.step):>6d} its  {points.shape[0]} points  "
            f"loss={loss_value:.3e}  L2 rel err={err:.3e}  ({elapsed():.0f}s)",
            flush=True,
        )
        if args.target is not None and err <= args.target:
            reached.append(done + int(state.step))
        return bool(reached)

    for r in range(args.rar_rounds + 1):
        if r > 0:  # refine once the smooth part has converged: points where |r| is largest
            points = jnp.concatenate([points, jp.rar(term, params, candidates, args.rar_add)])
        last = r == args.rar_rounds
        n = args.lbfgs_iters - done if last else min(args.round, args.lbfgs_iters - done)
        left = args.budget - elapsed()
        if n <= 0 or left <= 0:
            break
        state, _ = jf.train.fit(
            jp.cast(jf.train.TrainState.create(params, lbfgs)),
            jf.losses.weighted_sum({"pde": term._replace(data=points)}),
            steps=n,
            steps_per_call=min(args.report_every, n),
            callbacks=[
                report,
                jf.train.TimeLimit(left),
                # the line search found no decrease for a whole chunk
                jf.train.EarlyStopping("loss", patience=1, restore_best=False),
            ],
            progress=False,
        )
        params = state.params
        done += int(state.step)
        if reached or elapsed() >= args.budget or done >= args.lbfgs_iters:
            break

    err, pred = l2_relative(u, params, pts, ref)
    print(
        f"L2 relative error over the {shape[0]}x{shape[1]} reference grid: {err:.3e} "
        f"(bar: <= 5e-4)  wall-clock {elapsed():.0f}s"
    )
    out = Path(args.out)
    x, t = grid_xt
    jp.plot_comparison(
        out / "burgers_pinn.png",
        pred,
        ref,
        coords=(t, x),
        labels=("t", "x"),
        titles=("PINN u(x, t)", "reference (DeepXDE Burgers.npz)"),
        cmap="RdBu_r",
    )
    print(f"wrote {out / 'burgers_pinn.png'}")
    print(
        f"RESULT l2_rel_error={err:.4e} seconds={elapsed():.1f} lbfgs_iterations={done} "
        f"final_loss={loss_value:.4e}"
    )
    return err


if __name__ == "__main__":
    main()
