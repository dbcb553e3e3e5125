"""First call in a fresh process, cold and warm persistent compilation cache, on digits.

Each model is fitted (and predicts) in a new Python process twice against one temporary
cache directory: the first process compiles and fills the cache (cold), the second loads it
(warm). The time is the first ``fit`` + ``predict`` call inside the process (imports not
counted), the median of ``--repeats`` warm processes; "compiled" is the same call repeated
in that process, and "overhead" the difference (tracing, lowering, loading the cached
executable, and the small jitted helpers).

    python benchmarks/first_call_cache.py [--quick] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
import jax, numpy as np
import jaxfound.models as M
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
jax.config.update("jax_explain_cache_misses", "-v" in sys.argv)
model = sys.argv[1]
if model == "cart":
    est, kw = M.trees.cart_classifier(max_depth=8), {}
elif model == "cart_exact":
    est, kw = M.trees.cart_classifier(max_depth=8, splitter="exact"), {}
elif model == "forest":
    est = M.trees.forest_classifier(n_estimators=int(sys.argv[2]), max_depth=8)
    kw = {"key": jax.random.key(0)}
elif model == "gbdt":
    est, kw = M.trees.gbdt_classifier(max_iter=int(sys.argv[2]), max_depth=5), {}
elif model == "logistic":
    est, kw = M.linear.logistic(solver="lbfgs"), {}
else:
    est, kw = M.linear.logistic(), {}
times = []
for _ in range(2):  # the first call, then the same call compiled
    t0 = time.perf_counter()
    p = est.fit(X, y, **kw)
    jax.block_until_ready(est.predict(p, X))
    times.append(time.perf_counter() - t0)
print(json.dumps({"s": times[0], "again": times[1],
                  "dir": str(jax.config.jax_compilation_cache_dir)}))
"""


#: Fitted on digits (1797 x 64: the default splitter "auto" takes the histogram path): CART
#: depth 8 (and with the exact splitter), a 100-tree depth-8 forest, 100 boosting iterations
#: of depth 5, logistic regression by L-BFGS at tol 1e-4 (scikit-learn's solver) and by
#: Newton (run to the optimum: its time is mostly the fit itself).
MODELS = ("cart", "cart_exact", "forest", "gbdt", "logistic", "logistic_newton")


def run(model: str, cache: str, n_trees: int) -> tuple[float, float]:
    """(first call, second call) of ``model`` in a fresh process using ``cache``."""
    env = dict(os.environ, JAXFOUND_CACHE_DIR=cache, JAXFOUND_NO_CACHE="")
    out = subprocess.run([sys.executable, "-c", CHILD, model, str(n_trees)], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    r = json.loads(out.strip().splitlines()[-1])
    return float(r["s"]), float(r["again"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10-tree forest, 1 warm repeat")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    n_trees, reps = (10, 1) if a.quick else (100, a.repeats)
    print(f"command: python benchmarks/first_call_cache.py {' '.join(sys.argv[1:])}")
    print(f"{'model':<16} {'cold s':>8} {'warm s':>8} {'compiled s':>10} {'overhead s':>10}")
    warm_all, kv = {}, {}
    for model in MODELS:
        with tempfile.TemporaryDirectory() as d:
            cold = run(model, d, n_trees)[0]
            warm, again = sorted(run(model, d, n_trees) for _ in range(reps))[reps // 2]
        warm_all[model] = warm
        kv[f"first_call_warm_s_{model}"] = f"{warm:.3f}"
        kv[f"compiled_s_{model}"] = f"{again:.3f}"
        print(f"{model:<16} {cold:8.2f} {warm:8.2f} {again:10.3f} {warm - again:10.3f}",
              flush=True)  # fmt: skip
    kv["first_call_warm_s"] = f"{max(warm_all.values()):.3f}"
    print("RESULT " + " ".join(f"{k}={v}" for k, v in kv.items()))


if __name__ == "__main__":
    main()
