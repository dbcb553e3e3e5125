"""First call in a fresh process, cold and warm persistent compilation cache, on digits.

Each model is fitted (and predicts) in a new Python process twice against one temporary
cache directory: the first process compiles and fills the cache (cold), the second loads it
(warm). The time is the first ``fit`` + ``predict`` call inside the process (imports not
counted), the median of ``--repeats`` warm processes.

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
elif model == "cart_hist":
    est, kw = M.trees.cart_classifier(max_depth=8, splitter="hist"), {}
elif model == "forest":
    est = M.trees.forest_classifier(n_estimators=int(sys.argv[2]), max_depth=8)
    kw = {"key": jax.random.key(0)}
else:
    est, kw = M.linear.logistic(), {}
t0 = time.perf_counter()
p = est.fit(X, y, **kw)
jax.block_until_ready(est.predict(p, X))
print(json.dumps({"s": time.perf_counter() - t0, "dir": str(jax.config.jax_compilation_cache_dir)}))
"""


def run(model: str, cache: str, n_trees: int) -> float:
    env = dict(os.environ, JAXFOUND_CACHE_DIR=cache, JAXFOUND_NO_CACHE="")
    out = subprocess.run([sys.executable, "-c", CHILD, model, str(n_trees)], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return float(json.loads(out.strip().splitlines()[-1])["s"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10-tree forest, 1 warm repeat")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    n_trees, reps = (10, 1) if a.quick else (100, a.repeats)
    print(f"command: python benchmarks/first_call_cache.py {' '.join(sys.argv[1:])}")
    print(f"{'model':<10} {'cold s':>8} {'warm s':>8}")
    warm_all = {}
    for model in ("cart", "cart_hist", "forest", "logistic"):
        with tempfile.TemporaryDirectory() as d:
            cold = run(model, d, n_trees)
            warm = sorted(run(model, d, n_trees) for _ in range(reps))[reps // 2]
        warm_all[model] = warm
        print(f"{model:<10} {cold:8.2f} {warm:8.2f}", flush=True)
    print("RESULT " + " ".join(f"first_call_warm_s_{k}={v:.3f}" for k, v in warm_all.items())
          + f" first_call_warm_s={max(warm_all.values()):.3f}")


if __name__ == "__main__":
    main()
