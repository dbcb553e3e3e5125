"""BCa bootstrap intervals: jaxfound vs scipy.stats.bootstrap vs a NumPy loop.

Two statistics on n = 10,000 observations with 10,000 resamples each: (a) the mean of a
skewed (exponential) sample, (b) the least-squares slope of paired (x, y) with
heteroscedastic noise. The contenders run interleaved (one of each per repeat); the table
gives median wall-clock seconds, the speed-up over scipy, and each interval with the
distance of its end points from scipy's in units of the bootstrap standard error (SE),
next to the Monte-Carlo (MC) standard deviation of that distance.

    python benchmarks/bootstrap.py              # default: n = 10,000, B = 10,000, 3 repeats
    python benchmarks/bootstrap.py --smoke      # seconds

The data is generated (seeded NumPy draws), so the script reads no file and takes no
``--data``. The last line, ``RESULT key=value ...``, holds the headline figures: for each
statistic and jaxfound precision, the speed ratio to each named peer (``mean_f32_vs_scipy``:
scipy's median time over jaxfound float32's, > 1 means jaxfound is faster), the largest
end-point distance from scipy's interval in SE units, and whether the bar is met (1/0).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy
from scipy import special, stats

import jaxfound as jf


def slope(x, y):
    xc = x - jnp.mean(x)
    return jnp.sum(xc * (y - jnp.mean(y))) / jnp.sum(xc**2)


def np_slope(x, y, axis=-1):
    xc = x - x.mean(axis, keepdims=True)
    return (xc * (y - y.mean(axis, keepdims=True))).sum(axis) / (xc**2).sum(axis)


def np_mean(x, axis=-1):
    return x.mean(axis)


def numpy_loop_bca(rng, stat, data, n_resamples, level=0.95):
    """Textbook BCa with a Python loop over resamples and over jackknife samples."""
    n = len(data[0])
    theta = stat(*data)
    dist = np.empty(n_resamples)
    for b in range(n_resamples):
        idx = rng.integers(0, n, n)
        dist[b] = stat(*(d[idx] for d in data))
    jack = np.empty(n)
    keep = np.ones(n, bool)
    for i in range(n):
        keep[i] = False
        jack[i] = stat(*(d[keep] for d in data))
        keep[i] = True
    z0 = special.ndtri((np.sum(dist < theta) + np.sum(dist <= theta)) / (2 * n_resamples))
    dj = jack.mean() - jack
    a = np.sum(dj**3) / (6 * np.sum(dj**2) ** 1.5)
    z = special.ndtri(np.array([(1 - level) / 2, (1 + level) / 2]))
    q = special.ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
    lo, hi = np.quantile(dist, q)
    return lo, hi, dist.std(ddof=1)


def run_jax(key, stat, data, n_resamples):
    res = jf.stats.bootstrap(key, stat, data, n_resamples=n_resamples, method="bca")
    jax.block_until_ready(res)
    return float(res.low), float(res.high), float(res.standard_error)


def run_jax64(key, stat, data, n_resamples):
    with jax.enable_x64(True):
        data64 = tuple(jnp.asarray(d, jnp.float64) for d in data)
        return run_jax(key, stat, data64, n_resamples)


def run_scipy(seed, stat, data, n_resamples):
    res = stats.bootstrap(data, stat, n_resamples=n_resamples, method="BCa", vectorized=True,
                          paired=len(data) > 1, rng=seed)
    return res.confidence_interval.low, res.confidence_interval.high, res.standard_error


def run_one(contender, seed, jstat, sstat, data, n_resamples):
    if contender == "jaxfound f32":
        jdata = tuple(jnp.asarray(d, jnp.float32) for d in data)
        return run_jax(jax.random.key(seed), jstat, jdata, n_resamples)
    if contender == "jaxfound f64":
        return run_jax64(jax.random.key(seed), jstat, data, n_resamples)
    if contender == "scipy BCa":
        return run_scipy(seed, sstat, data, n_resamples)
    return numpy_loop_bca(np.random.default_rng(seed), sstat, data, n_resamples)


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def mc_sd(n_resamples, level=0.95):
    """MC sd (in SE units) of the difference of two independent end-point estimates."""
    a = (1 - level) / 2
    z = special.ndtri(a)
    one = np.sqrt(a * (1 - a) / n_resamples) / (np.exp(-z * z / 2) / np.sqrt(2 * np.pi))
    return np.sqrt(2) * one


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--resamples", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-numpy-loop", action="store_true", help="skip the slow NumPy loop")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, for tests")
    args = ap.parse_args(argv)
    if args.smoke:
        args.n, args.resamples, args.repeats = 500, 500, 1

    rng = np.random.default_rng(0)
    n, b = args.n, args.resamples
    x = rng.exponential(size=n)
    u = rng.normal(size=n)
    y = 1.5 * u + rng.normal(size=n) * (0.5 + np.abs(u))
    cases = {
        "mean": (jnp.mean, np_mean, lambda d: float(np.mean(d)), (x,)),
        "slope": (slope, np_slope, lambda d, e: float(np_slope(d, e)), (u, y)),
    }
    contenders = ["jaxfound f32", "jaxfound f64", "scipy BCa"] + (
        [] if args.no_numpy_loop else ["NumPy loop"]
    )
    print(f"jax {jax.__version__} on {jax.default_backend()}, scipy {scipy.__version__}, "
          f"numpy {np.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    print(f"n = {n}, resamples = {b}, repeats = {args.repeats} (interleaved; medians)\n")

    # first calls: jaxfound's include compilation; reported separately
    first = {}
    for name, (jstat, _, _, data) in cases.items():
        jdata = tuple(jnp.asarray(d, jnp.float32) for d in data)
        first[(name, "jaxfound f32")] = timed(run_jax, jax.random.key(99), jstat, jdata, b)[0]
        first[(name, "jaxfound f64")] = timed(run_jax64, jax.random.key(99), jstat, data, b)[0]

    times = {k: [] for k in ((c, m) for c in cases for m in contenders)}
    result = {}
    for r in range(args.repeats):
        for name, (jstat, sstat, _, data) in cases.items():
            for m in contenders:
                t, out = timed(run_one, m, r, jstat, sstat, data, b)
                times[(name, m)].append(t)
                result[(name, m)] = out

    sd = mc_sd(b)
    rows = []
    peers = {"scipy BCa": "scipy", "NumPy loop": "numpy_loop"}
    summary = {}
    for name in cases:
        for m in ("jaxfound f32", "jaxfound f64"):
            t = np.median(times[(name, m)])
            for peer, tag in peers.items():
                if peer in contenders:
                    ratio = np.median(times[(name, peer)]) / t
                    summary[f"{name}_{m.split()[1]}_vs_{tag}"] = ratio
    for name, (_, _, full, data) in cases.items():
        t_scipy = np.median(times[(name, "scipy BCa")])
        ref_lo, ref_hi, ref_se = result[(name, "scipy BCa")]
        print(f"({name}) estimate {full(*data):.6f}, scipy SE {ref_se:.6f}; "
              f"MC sd of an end-point difference = {sd:.3f} SE")
        print(f"  {'contender':<14} {'median s':>9} {'first s':>8} {'vs scipy':>9}  "
              f"{'low':>10} {'high':>10} {'Δlow/SE':>8} {'Δhigh/SE':>9}")
        for m in contenders:
            t = np.median(times[(name, m)])
            lo, hi, _ = result[(name, m)]
            f = first.get((name, m))
            fs = f"{f:8.2f}" if f is not None else f"{'':>8}"
            dl, dh = (lo - ref_lo) / ref_se, (hi - ref_hi) / ref_se
            print(f"  {m:<14} {t:9.3f} {fs} {t_scipy / t:8.1f}x  {lo:10.6f} {hi:10.6f} "
                  f"{dl:+8.3f} {dh:+9.3f}")
            rows.append((name, m, t, t_scipy / t, dl, dh))
        print()
    for name in cases:
        t = np.median(times[(name, "jaxfound f32")])
        ratio = np.median(times[(name, "scipy BCa")]) / t
        lo, hi, _ = result[(name, "jaxfound f32")]
        ref = result[(name, "scipy BCa")]
        worst = max(abs(lo - ref[0]), abs(hi - ref[1])) / ref[2]
        ok = ratio >= 10 and worst <= 3 * sd
        verdict = "MET" if ok else "NOT MET"
        print(f"BAR ({name}): {ratio:.1f}x faster than scipy (>= 10x), end points within "
              f"{worst:.3f} SE of scipy's (3 MC sd = {3 * sd:.3f} SE): {verdict}")
        summary[f"{name}_f32_max_dev_se"] = worst
        summary[f"{name}_bar_met"] = int(ok)
    print("RESULT " + " ".join(f"{k}={v:.4g}" for k, v in summary.items()))
    return rows


if __name__ == "__main__":
    main()
