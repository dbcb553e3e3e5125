"""Burgers PINN benchmark: seconds per 1000 Adam iterations and time to reach an error.

DeepXDE's own Burgers example setup for every contender: a 2-20-20-20-1 tanh network
(Glorot normal), float32, Adam(1e-3); 2540 domain, 80 boundary and 160 initial points
(the PDE residual on all 2780, the boundary condition on the 80, the initial
condition on the 160), u_t + u u_x = (0.01/pi) u_xx.

Contenders for the Adam loop (1000 iterations, after a warm-up that compiles):

* ``jaxfound``: ``jf.losses.weighted_sum`` of ``residual(burgers)``, ``dirichlet`` and
  ``initial``, trained by ``jf.train.fit(state, loss, steps=1000)`` (one compiled
  ``lax.scan``);
* hand-written JAX, the 1000 steps in one compiled ``lax.scan`` each (their best
  case): reverse-mode ``jax.hessian`` + ``vmap``; reverse-over-reverse per
  coordinate (``jax.grad`` twice); nested forward-mode ``jax.jvp``;
* DeepXDE with each backend that runs here (``DDE_BACKEND=jax`` / ``pytorch``),
  in a subprocess, ``model.train(iterations=1000)`` timed after a warm-up (PyTorch with
  one OpenMP thread: its default two threads ran ~20x slower on this shared machine).

Contenders run interleaved ``--repeats`` times; the table gives the median (and the
minimum, a better estimate of speed on a shared machine) of wall-clock seconds and
of process CPU seconds.

Time to accuracy: the L2 relative error over DeepXDE's reference grid
(``Burgers.npz``) against wall-clock seconds, for jaxfound's recipe
(``examples/burgers_pinn.py``: float64, hard constraints, Adam then L-BFGS, both by
``jf.train.fit``) and DeepXDE's example recipe (Adam 15000 then L-BFGS), each capped.

The last line of the output is ``RESULT key=value ...``: jaxfound's median seconds, the
speed ratio to each DeepXDE backend that ran and to the best hand-written step (> 1:
jaxfound is faster), and, with the time-to-accuracy runs, jaxfound's seconds to 1e-3
and final L2 relative error.

    python benchmarks/pinn_burgers.py                    # full table (~15 min here)
    python benchmarks/pinn_burgers.py --quick            # fewer repeats, no time-to-accuracy
    python benchmarks/pinn_burgers.py --data PATH        # DeepXDE's Burgers.npz elsewhere
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "pinn" / "Burgers.npz"
NU = 0.01 / np.pi
N_DOMAIN, N_BOUNDARY, N_INITIAL = 2540, 80, 160


# ---------------------------------------------------------------------------
# points (the same counts as DeepXDE's TimePDE(num_domain=2540, num_boundary=80,
# num_initial=160) on [-1, 1] x [0, 0.99], uniformly random)


def make_points(seed=0):
    rng = np.random.default_rng(seed)
    dom = np.c_[rng.uniform(-1, 1, N_DOMAIN), rng.uniform(0, 0.99, N_DOMAIN)]
    bnd = np.c_[rng.choice([-1.0, 1.0], N_BOUNDARY), rng.uniform(0, 0.99, N_BOUNDARY)]
    ini = np.c_[rng.uniform(-1, 1, N_INITIAL), np.zeros(N_INITIAL)]
    f32 = lambda a: a.astype(np.float32)  # noqa: E731
    return f32(np.concatenate([dom, bnd, ini])), f32(bnd), f32(ini)


# ---------------------------------------------------------------------------
# JAX contenders


def jax_contenders(iters: int):
    import jax
    import jax.numpy as jnp
    import optax

    import jaxfound as jf
    from jaxfound import physics as jp

    X_pde, X_bc, X_ic = (jnp.asarray(a) for a in make_points())
    net = jf.models.MLP(
        (20, 20, 20, 1), activation=jnp.tanh, kernel_init=jax.nn.initializers.glorot_normal()
    )
    params0 = net.init(jax.random.key(0), jnp.ones((1, 2)))
    opt = optax.adam(1e-3)

    # -- jaxfound: the library path, trained by jf.train.fit ------------------
    u = jp.field(net)
    loss = jf.losses.weighted_sum(
        {
            "pde": jp.residual(jp.burgers(NU), u, X_pde),
            "bc": jp.dirichlet(u, 0.0, X_bc),
            "ic": jp.initial(u, lambda x: -jnp.sin(jnp.pi * x), X_ic),
        }
    )

    def run_jaxfound():
        state = jf.train.TrainState.create(params0, opt, key=jax.random.key(1))
        state, hist = jf.train.fit(state, loss, steps=iters, progress=False)
        jax.block_until_ready(state.params)
        return float(hist["loss"][-1])

    # -- hand-written: one compiled scan of `iters` Adam steps each --------------
    def mlp(p, x):
        return net.apply(p, x)[..., 0]

    def soft_terms(p, res):
        ub = mlp(p, X_bc)
        ui = mlp(p, X_ic)
        return (
            jnp.mean(res**2) + jnp.mean(ub**2) + jnp.mean((ui + jnp.sin(jnp.pi * X_ic[:, 0])) ** 2)
        )

    def res_hessian(p):
        def one(x):
            f = lambda y: mlp(p, y)  # noqa: E731
            g = jax.grad(f)(x)
            h = jax.hessian(f)(x)
            return g[1] + f(x) * g[0] - NU * h[0, 0]

        return jax.vmap(one)(X_pde)

    def res_rev_rev(p):
        def one(x):
            f = lambda y: mlp(p, y)  # noqa: E731
            g = jax.grad(f)
            u_xx = jax.grad(lambda y: g(y)[0])(x)[0]
            gx = g(x)
            return gx[1] + f(x) * gx[0] - NU * u_xx

        return jax.vmap(one)(X_pde)

    ex, et = jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0])

    def res_jvp(p):
        def one(x):
            f = lambda y: mlp(p, y)  # noqa: E731
            (v, vx), (_, vxx) = jax.jvp(lambda y: jax.jvp(f, (y,), (ex,)), (x,), (ex,))
            vt = jax.jvp(f, (x,), (et,))[1]
            return vt + v * vx - NU * vxx

        return jax.vmap(one)(X_pde)

    def scan_runner(res_fn):
        loss = lambda p: soft_terms(p, res_fn(p))  # noqa: E731

        @jax.jit
        def run(p, s):
            def step(c, _):
                p, s = c
                val, g = jax.value_and_grad(loss)(p)
                upd, s = opt.update(g, s, p)
                return (optax.apply_updates(p, upd), s), val

            return jax.lax.scan(step, (p, s), None, length=iters)

        def go():
            (p, _), losses = run(params0, opt.init(params0))
            jax.block_until_ready(p)
            return float(losses[-1])

        return go

    # all contenders compute the same loss: check it at the initial parameters
    ref = float(soft_terms(params0, res_jvp(params0)))
    mine = float(loss(params0, None)[0])
    assert abs(mine - ref) < 1e-5 * max(1.0, abs(ref)), (mine, ref)
    return {
        "jaxfound (jf.train.fit)": run_jaxfound,
        "hand-written JAX: jax.hessian + vmap": scan_runner(res_hessian),
        "hand-written JAX: reverse over reverse": scan_runner(res_rev_rev),
        "hand-written JAX: nested jvp": scan_runner(res_jvp),
    }


# ---------------------------------------------------------------------------
# DeepXDE, in a subprocess per backend

DEEPXDE_WORKER = r"""
import json, os, sys, time
import numpy as np
import deepxde as dde
from deepxde.backend import backend_name

iters, mode, cap = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
data_path = sys.argv[4]
dde.config.set_random_seed(0)

def pde(x, y):
    dy_x = dde.grad.jacobian(y, x, i=0, j=0)
    dy_t = dde.grad.jacobian(y, x, i=0, j=1)
    dy_xx = dde.grad.hessian(y, x, i=0, j=0)
    if backend_name == "jax":
        y, dy_x, dy_t, dy_xx = y[0], dy_x[0], dy_t[0], dy_xx[0]
    return dy_t + y * dy_x - 0.01 / np.pi * dy_xx

geom = dde.geometry.Interval(-1, 1)
timedomain = dde.geometry.TimeDomain(0, 0.99)
geomtime = dde.geometry.GeometryXTime(geom, timedomain)
bc = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
ic = dde.icbc.IC(geomtime, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
data = dde.data.TimePDE(geomtime, pde, [bc, ic], num_domain=2540, num_boundary=80,
                        num_initial=160)
net = dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal")
model = dde.Model(data, net)
model.compile("adam", lr=1e-3)
out = {"backend": backend_name}
if mode == "speed":
    model.train(iterations=iters, display_every=iters, verbose=0)       # warm-up: compiles
    times = []
    for _ in range(int(sys.argv[5])):
        t, c = time.perf_counter(), time.process_time()
        model.train(iterations=iters, display_every=iters, verbose=0)
        times.append((time.perf_counter() - t, time.process_time() - c))
    out["times"] = times
else:  # time to accuracy with DeepXDE's example recipe (Adam 15000, then L-BFGS)
    d = np.load(data_path)
    xx, tt = np.meshgrid(d["x"], d["t"])
    X = np.vstack((np.ravel(xx), np.ravel(tt))).T
    y = d["usol"].T.flatten()[:, None]
    trace, t0 = [], time.perf_counter()
    for k in range(15):
        model.train(iterations=1000, display_every=1000, verbose=0)
        err = float(dde.metrics.l2_relative_error(y, model.predict(X)))
        trace.append((time.perf_counter() - t0, err))
        if err <= 1e-3 or time.perf_counter() - t0 > cap:
            break
    if trace[-1][1] > 1e-3 and time.perf_counter() - t0 <= cap and backend_name != "jax":
        dde.optimizers.config.set_LBFGS_options(maxiter=15000)
        model.compile("L-BFGS")
        model.train(verbose=0)
        err = float(dde.metrics.l2_relative_error(y, model.predict(X)))
        trace.append((time.perf_counter() - t0, err))
        try:
            out["lbfgs_iters"] = int(model.opt.state_dict()["state"][0]["n_iter"])
        except Exception:  # noqa: BLE001
            pass
    out["trace"] = trace
print("RESULT " + json.dumps(out))
"""


def run_deepxde(
    backend: str,
    iters: int,
    mode: str,
    repeats: int = 1,
    cap: float = 600.0,
    timeout: float = 3600.0,
    data: Path = DATA,
):
    env = dict(os.environ, DDE_BACKEND=backend)
    if backend == "pytorch":  # its default 2 OpenMP threads ran ~20x slower on the shared machine
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [
        sys.executable,
        "-c",
        DEEPXDE_WORKER,
        str(iters),
        mode,
        str(cap),
        str(data),
        str(repeats),
    ]
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f}s"
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            if out["backend"] != backend:
                return None, f"DeepXDE loaded backend {out['backend']!r} instead"
            return out, ""
    tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
    return None, f"did not run: {tail[0][:160]}"


# ---------------------------------------------------------------------------
# time to accuracy for jaxfound (the example's recipe)


def jaxfound_time_to_accuracy(cap: float, target: float = 1e-3, data: Path = DATA):
    """Run examples/burgers_pinn.py until its error reaches ``target``; parse its trace."""
    code = (
        "import sys, runpy; sys.argv = ['burgers_pinn.py', '--out', '/tmp/pinn_burgers_bench',"
        f" '--budget', '{cap}', '--target', '{target}', '--report-every', '250',"
        f" '--data', '{data}'];"
        f" runpy.run_path('{ROOT / 'examples' / 'burgers_pinn.py'}', run_name='__main__')"
    )
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=cap + 600
    )
    total = time.perf_counter() - t0
    trace = []
    for line in p.stdout.splitlines():
        if "L2 rel err=" in line and line.rstrip().endswith("s)"):
            err = float(line.split("L2 rel err=")[1].split()[0])
            secs = float(line.rsplit("(", 1)[1].rstrip("s)"))
            trace.append((secs, err))
    return trace, total, p.stdout


def first_below(trace, target=1e-3):
    for t, e in trace:
        if e <= target:
            return t
    return None


# ---------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 repeats, no time-to-accuracy")
    ap.add_argument("--backends", default="jax,pytorch", help="DeepXDE backends to try")
    ap.add_argument("--no-deepxde", action="store_true")
    ap.add_argument("--no-tta", action="store_true", help="skip the time-to-accuracy runs")
    ap.add_argument("--tta-cap", type=float, default=600.0, help="seconds per TTA run")
    ap.add_argument("--skip-slow", action="store_true", help="skip the jax.hessian variant")
    ap.add_argument("--markdown", default=None, help="also write the report to this file")
    ap.add_argument("--data", type=Path, default=DATA, help="path to DeepXDE's Burgers.npz")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.no_tta = 2, True

    import jax

    contenders = jax_contenders(args.iters)
    if args.skip_slow:
        contenders.pop("hand-written JAX: jax.hessian + vmap")
    print(
        f"JAX {jax.__version__} on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    for name, fn in contenders.items():  # warm-up: compile once
        t = time.perf_counter()
        fn()
        print(f"warm-up {name}: {time.perf_counter() - t:.1f}s", flush=True)

    rows: dict[str, list] = {name: [] for name in contenders}
    notes: list[str] = []
    backends = [] if args.no_deepxde else [b for b in args.backends.split(",") if b]
    for b in backends:
        rows[f"DeepXDE {_dde_version()} ({b} backend)"] = []
    for rep in range(args.repeats):
        for name, fn in contenders.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            rows[name].append((time.perf_counter() - t, time.process_time() - c))
            print(f"[{rep + 1}/{args.repeats}] {name}: {rows[name][-1][0]:.2f}s", flush=True)
        for b in backends:
            name = f"DeepXDE {_dde_version()} ({b} backend)"
            if rows[name] is None:
                continue
            out, why = run_deepxde(b, args.iters, "speed", repeats=1, data=args.data)
            if out is None:
                notes.append(f"DeepXDE {b} backend skipped: {why}")
                rows[name] = None
                continue
            rows[name].extend(out["times"])
            print(f"[{rep + 1}/{args.repeats}] {name}: {out['times'][-1][0]:.2f}s", flush=True)

    stats = _stats(rows)
    table = _table(stats, args)
    tta: dict = {}
    tta_lines = [] if args.no_tta else _tta(args, backends, tta)
    text = _report(table, tta_lines, notes, args, rows)
    print(text)
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(text)
        print(f"wrote {args.markdown}")
    print(_result_line(stats, tta))


def _dde_version():
    try:
        from importlib.metadata import version

        return version("deepxde")
    except Exception:  # noqa: BLE001
        return "?"


JF_NAME = "jaxfound (jf.train.fit)"


def _stats(rows):
    """name -> (median wall, min wall, median CPU, min CPU) seconds, for contenders that ran."""
    stats = {}
    for name, r in rows.items():
        if r:
            w = np.array([x[0] for x in r])
            c = np.array([x[1] for x in r])
            stats[name] = (np.median(w), w.min(), np.median(c), c.min())
    return stats


def _result_line(stats, tta):
    """``RESULT key=value ...``: jaxfound's seconds and its speed ratios (> 1: faster)."""
    if JF_NAME not in stats:
        return "RESULT jaxfound_s=nan"
    mine = stats[JF_NAME][0]
    parts = [f"jaxfound_s={mine:.3f}"]
    hand = [s[0] for n, s in stats.items() if n.startswith("hand-written")]
    if hand:
        parts.append(f"speedup_vs_best_hand_jax={min(hand) / mine:.3f}")
    for name, s in stats.items():
        if name.startswith("DeepXDE"):
            backend = name.split("(")[1].split()[0]
            parts.append(f"speedup_vs_deepxde_{backend}={s[0] / mine:.3f}")
    for k, v in tta.items():
        parts.append(f"{k}={v:.4g}")
    return "RESULT " + " ".join(parts)


def _table(stats, args):
    jf_name = JF_NAME
    dde = {n: s for n, s in stats.items() if n.startswith("DeepXDE")}
    hand = {n: s for n, s in stats.items() if n.startswith("hand-written")}
    lines = [
        f"| contender | s / {args.iters} Adam its (median wall) | min wall | median CPU s "
        "| vs jaxfound (median wall) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (mw, minw, mc, _) in stats.items():
        ratio = mw / stats[jf_name][0] if jf_name in stats else float("nan")
        lines.append(f"| {name} | {mw:.2f} | {minw:.2f} | {mc:.2f} | {ratio:.2f}x |")

    def bar(group, who, bar_text, threshold):
        """One line: jaxfound against the fastest contender of ``group``."""
        if jf_name not in stats or not group:
            return []
        best, (mw, minw, _, _) = min(group.items(), key=lambda kv: kv[1][0])
        sp = mw / stats[jf_name][0]
        return [
            f"- jaxfound vs {who} ({best}): {sp:.2f}x faster (median wall; {bar_text}: "
            f"{'met' if sp >= threshold else 'NOT met'}); min-wall ratio "
            f"{minw / stats[jf_name][1]:.2f}x."
        ]

    bars = bar(dde, "DeepXDE's fastest backend here", "bar >= 2x", 2.0) + bar(
        hand,
        "the best hand-written JAX step",
        "bar >= 1.0, i.e. no slower; differences under ~20% are noise here",
        1 / 1.2,
    )
    return lines + [""] + bars


def _tta(args, backends, result: dict):
    """The time-to-accuracy lines; jaxfound's figures go into ``result``."""
    lines = ["", "### Time to reach L2 relative error 1e-3 on the reference grid", ""]
    if not args.data.exists():
        return lines + [f"skipped: {args.data} is absent"]
    trace, total, _ = jaxfound_time_to_accuracy(args.tta_cap, data=args.data)
    t = first_below(trace)
    result["tta_jaxfound_s"] = float("nan") if t is None else t
    result["tta_jaxfound_l2_rel_error"] = trace[-1][1] if trace else float("nan")
    lines.append(
        "- jaxfound recipe (`examples/burgers_pinn.py --target 1e-3`: 4x48 tanh, hard IC/BC, "
        "4096 Sobol points, Adam 10000 in float32, then compiled L-BFGS in float64, error "
        "checked every 250 iterations): "
        + (f"reached 1e-3 after {t:.0f} s" if t is not None else "did not reach 1e-3")
        + f"; trace (s, err): {', '.join(f'({a:.0f}, {b:.1e})' for a, b in trace)}; "
        f"whole run {total:.0f} s."
    )
    # DeepXDE's L-BFGS runs on its PyTorch (or TensorFlow/Paddle) backend, not on JAX
    for b in sorted(backends, key=lambda name: name == "jax"):
        out, why = run_deepxde(
            b, 1000, "tta", cap=args.tta_cap, timeout=args.tta_cap * 3, data=args.data
        )
        if out is None:
            lines.append(f"- DeepXDE ({b}): skipped, {why}")
            continue
        tr = out["trace"]
        t = first_below(tr)
        lines.append(
            f"- DeepXDE example recipe ({b} backend; 3x20 tanh, float32, Adam 15000 "
            + ("(its L-BFGS needs another backend)" if b == "jax" else "then L-BFGS")
            + f", Adam capped at {args.tta_cap:.0f} s): "
            + (f"reached 1e-3 after {t:.0f} s" if t is not None else "did not reach 1e-3")
            + "; trace (s, err) after each 1000 Adam its"
            + (" and after L-BFGS" if "lbfgs_iters" in out else "")
            + f": {', '.join(f'({a:.0f}, {e:.1e})' for a, e in tr)}"
            + (
                f"; its L-BFGS stopped after {out['lbfgs_iters']} iterations."
                if "lbfgs_iters" in out
                else "."
            )
        )
        break  # one backend is enough for this row
    return lines


def _report(table, tta_lines, notes, args, rows):
    import jax

    head = [
        "# Burgers PINN benchmark",
        "",
        f"`python benchmarks/pinn_burgers.py` — {time.strftime('%Y-%m-%d %H:%M')}, JAX "
        f"{jax.__version__}, {os.cpu_count()} CPU cores, load average at the end "
        f"{os.getloadavg()[0]:.1f} (the machine is shared: compare medians and minima, "
        "noise is large).",
        "",
        "DeepXDE's Burgers setup: 3x20 tanh network, float32, Adam(1e-3), 2540 domain / 80 "
        "boundary / 160 initial points, soft boundary and initial conditions. "
        f"{args.repeats} interleaved repeats; seconds for {args.iters} Adam iterations after "
        "a compiling warm-up.",
        "",
    ]
    return "\n".join(head + table + tta_lines + ([""] + notes if notes else [])) + "\n"


if __name__ == "__main__":
    main()
