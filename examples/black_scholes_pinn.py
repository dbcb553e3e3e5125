"""A European call priced by a physics-informed network, against the closed-form price.

The Black–Scholes equation in calendar time t, for the price V(S, t),

    V_t + ½ σ² S² V_SS + r S V_S − r V = 0,   S in [0, S_max], t in [0, T],
    V(S, T) = max(S − K, 0),   V(0, t) = 0,   V(S_max, t) ≈ S_max − K e^(−r (T − t)),

is solved for K = 1, σ = 0.2, r = 0.05, T = 1, S_max = 3 and compared with the
Black–Scholes formula on a 151 × 101 grid of (S, t) covering the whole domain,
maturity included.

The payoff's kink at S = K is what makes this hard: a network plus the raw payoff
can keep the kink for t < T, violating the PDE only on the line S = K where no
collocation point lies. So the hard constraint (``output_transform``) adds a payoff
*smoothed over the diffusion length* w = σ K √(T − t),

    V = A(S, τ) − A(0, τ) + √τ · S · N(S, τ),   A = w · softplus((S − K) / w),  τ = T − t,

which equals the payoff at maturity and vanishes at S = 0 exactly, and the network
also sees the similarity variable ln(S/K) / (σ√τ) (``input_transform``). The residual
is ``jaxfound.physics.black_scholes`` (one collapsed Taylor-mode pass along σ S e_S).
Adam, then L-BFGS (``optax.lbfgs`` as the state's optimiser), both trained by
``jf.train.fit`` in float64. The reference is the closed-form price, so there is no data
file. The last line of the output is ``RESULT key=value ...`` (the error, the price at the
money, the seconds).

    python examples/black_scholes_pinn.py          # full run (~2 minutes on 2 CPU cores)
    python examples/black_scholes_pinn.py --smoke  # seconds
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.scipy.stats import norm

import jaxfound as jf
from jaxfound import physics as jp

K, SIGMA, RATE, T, S_MAX = 1.0, 0.2, 0.05, 1.0, 3.0


def closed_form(S, t):
    """Black–Scholes price of the call (the payoff at t = T, 0 at S = 0)."""
    tau = jnp.maximum(T - t, 1e-300)
    s = jnp.maximum(S, 1e-300)
    d1 = (jnp.log(s / K) + (RATE + 0.5 * SIGMA**2) * tau) / (SIGMA * jnp.sqrt(tau))
    price = s * norm.cdf(d1) - K * jnp.exp(-RATE * tau) * norm.cdf(d1 - SIGMA * jnp.sqrt(tau))
    price = jnp.where(S <= 0, 0.0, price)
    return jnp.where(t >= T, jnp.maximum(S - K, 0.0), price)


def features(x):
    """Network inputs: S and sqrt(tau) scaled to [-1, 1], and the similarity variable."""
    S, tau = x[0], T - x[1]
    m = jnp.log((S + 1e-3) / K) / (SIGMA * jnp.sqrt(tau + 1e-6))
    return jnp.stack([2 * S / S_MAX - 1, 2 * jnp.sqrt(tau / T) - 1, jnp.tanh(m)])


def smoothed_payoff(S, tau):
    w = SIGMA * K * jnp.sqrt(tau + 1e-12)
    return w * jax.nn.softplus((S - K) / w)


def hard_constraint(x, out):
    """V(S, T) = payoff and V(0, t) = 0 hold for every network output."""
    S, tau = x[0], T - x[1]
    return smoothed_payoff(S, tau) - smoothed_payoff(0.0, tau) + jnp.sqrt(tau) * S * out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    ap.add_argument("--out", default="runs/black_scholes_pinn", help="folder for the PNG")
    ap.add_argument("--points", type=int, default=4096, help="Sobol collocation points")
    ap.add_argument("--adam-steps", type=int, default=1000)
    ap.add_argument("--lbfgs-iters", type=int, default=3000)
    ap.add_argument("--memory", type=int, default=50, help="L-BFGS memory size")
    ap.add_argument("--budget", type=float, default=300.0, help="seconds for L-BFGS")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.smoke:
        args.points, args.adam_steps, args.lbfgs_iters = 256, 50, 30

    t0 = time.perf_counter()
    jp.enable_float64()
    domain = jp.Rectangle((0.0, 0.0), (S_MAX, T), coords=("S", "t"))
    net = jf.models.MLP(
        (32, 32, 32, 1), activation=jnp.tanh, kernel_init=jax.nn.initializers.glorot_normal()
    )
    V = jp.field(net, input_transform=features, output_transform=hard_constraint)
    colloc = domain.sample_interior(args.points, method="sobol")
    far = jnp.stack([jnp.full(64, S_MAX), jnp.linspace(0.0, T, 64)], -1)
    terms = {
        "pde": jp.residual(jp.black_scholes(SIGMA, RATE), V, colloc, geometry=domain),
        "far": jp.dirichlet(
            V, lambda x: x[0] - K * jnp.exp(-RATE * (T - x[1])), far, geometry=domain
        ),
    }
    loss = jf.losses.weighted_sum(terms)
    params = net.init(jax.random.key(args.seed), jnp.ones((1, 3), jnp.float32))

    Sg, tg = np.linspace(0.0, S_MAX, 151), np.linspace(0.0, T, 101)
    SS, TT = np.meshgrid(Sg, tg, indexing="ij")
    grid = jnp.asarray(np.stack([SS.ravel(), TT.ravel()], -1))
    ref = np.asarray(closed_form(grid[:, 0], grid[:, 1]))

    def error(p):
        pred = np.asarray(jax.jit(jp.on_points(V))(p, grid))
        return float(jf.stats.l2_relative_error(ref, pred)), pred

    print(f"European call K={K} sigma={SIGMA} r={RATE} T={T}; {args.points} Sobol points")
    # float64 throughout: near maturity the smoothed payoff's derivatives grow like
    # 1/w^2 and overflow float32
    state, hist = jf.train.fit(
        jf.train.TrainState.create(jp.cast(params), optax.adam(1e-3)),
        loss,
        steps=args.adam_steps,
        steps_per_call=min(args.adam_steps, 1000),
        progress=False,
    )
    print(
        f"adam {args.adam_steps:>5d}  loss={hist['loss'][-1]:.3e} (mean of the last chunk)  "
        f"L2 rel err={error(state.params)[0]:.3e}  ({time.perf_counter() - t0:.0f}s)",
        flush=True,
    )
    # `cast` makes every leaf of the L-BFGS state strongly typed (its line search's
    # counters start weakly typed), so `fit` compiles its chunk once
    lbfgs = optax.lbfgs(
        memory_size=args.memory, linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=20)
    )
    state, _ = jf.train.fit(
        jp.cast(jf.train.TrainState.create(state.params, lbfgs)),
        loss,
        steps=args.lbfgs_iters,
        steps_per_call=min(1000, args.lbfgs_iters),
        callbacks=[
            jf.train.TimeLimit(args.budget),
            jf.train.EarlyStopping("loss", patience=1, restore_best=False),  # stalled
        ],
        progress=False,
    )
    params, value = state.params, float(optax.tree.get(state.opt_state, "value"))
    err, pred = error(params)
    print(
        f"L-BFGS {int(state.step):>5d}  loss={value:.3e}  "
        f"L2 rel err={err:.3e}  ({time.perf_counter() - t0:.0f}s)",
        flush=True,
    )
    i = np.argmin(np.abs(Sg - K))
    atm, atm_formula = pred.reshape(SS.shape)[i, 0], ref.reshape(SS.shape)[i, 0]
    print(f"at the money, t=0: PINN {atm:.5f}, formula {atm_formula:.5f}")
    print(
        f"L2 relative error over the {len(Sg)}x{len(tg)} (S, t) grid: {err:.3e} "
        f"(bar: <= 1e-3)  wall-clock {time.perf_counter() - t0:.0f}s"
    )
    out = Path(args.out)
    jp.plot_comparison(
        out / "black_scholes_pinn.png",
        pred,
        ref,
        coords=(tg, Sg),
        labels=("t", "S"),
        titles=("PINN price V(S, t)", "Black–Scholes formula"),
    )
    print(f"wrote {out / 'black_scholes_pinn.png'}")
    print(
        f"RESULT l2_rel_error={err:.4e} atm_price={atm:.6f} atm_formula={atm_formula:.6f} "
        f"lbfgs_iterations={int(state.step)} seconds={time.perf_counter() - t0:.1f}"
    )
    return err


if __name__ == "__main__":
    main()
