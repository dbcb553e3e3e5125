"""Classical models, jaxfound vs scikit-learn: fit + predict time and test score, side by side.

Part 1 — one model at a time. Each contender row is a model on a data set with a jaxfound
function and a scikit-learn function, both ``(X_train, y_train, X_test) -> predictions``
(plus SVM decision values). After one warm-up call of each (jaxfound's compiles; its time is
shown as "first call"), the two run interleaved ``--repeats`` times and the medians are
reported, with the test score (accuracy, or R² for regression) of each and, for SVMs, the
share of test decision values whose signs agree.

Logistic regression has two rows per data set (breast cancer, wine, digits), same ``C=1``:
``logistic C=1`` is jaxfound's exact Newton solver run to the optimum against
``LogisticRegression(C=1, max_iter=1000)``; ``logistic lbfgs C=1`` compares at equal solver and
tolerance, ``linear.logistic(solver="lbfgs", tol=1e-4)`` (optax L-BFGS) against scikit-learn's
default ``LogisticRegression(C=1)`` (lbfgs, ``tol=1e-4``, ``max_iter=100``, as jaxfound's
default; its ConvergenceWarning, if any, is silenced in the timed calls). A small table then
shows the iterations each L-BFGS fit took and whether it met the tolerance, on both sides.

Part 2 — model selection. A C × gamma grid of RBF SVMs with 5-fold stratified cross-validation
(the same folds for both): scikit-learn runs ``GridSearchCV(SVC(), grid, cv=folds, n_jobs=2,
refit=False)``; jaxfound runs ``jf.stats.grid_search(svm.svc(), grid, X, y, folds,
n_jobs=2)``, the same two jobs: the
longest grid axis split in two halves (snake order), each one vmapped, compiled call over all
its grid points × folds (0/1 fold masks), run concurrently on two threads. The one-job call
(the whole grid in one compiled call) is timed too, and its scores must equal the two-job
ones. ``jaxfound.stats.grid_search`` is called once to trace and compile (that time is shown
as "first call"); the timed calls reuse the cached executables, which is what repeated model
selection on same-shaped data costs. Equal accuracy is checked on the mean CV score of every
grid point and on the chosen (C, gamma). A third grid searches the depth (1..8) of a CART
classifier against ``GridSearchCV(DecisionTreeClassifier(), {"max_depth": ...})``: one
compiled depth-8 fit (``trees.cart_classifier(max_depth=8)``) with a traced ``depth_limit``
serves every depth (written against the trees estimator names; until the trees branch is
merged, pass ``--no-tree-grid``).

Data: scikit-learn's embedded breast-cancer, wine, digits (classification) and diabetes
(regression) sets, a stratified 75/25 split (random_state=0) standardised on the training part
(embedded, so there is no ``--data`` option). The output ends with one machine-readable line
``RESULT key=value ...``: the test score of each model row (``<model>_<data>_jf`` and
``..._sk``), the time ratio jaxfound / scikit-learn of each logistic row
(``logistic_ratio_<data>`` for L-BFGS at equal tolerance, ``logistic_1thread_ratio_<data>``
for the same against scikit-learn limited to one thread (its fastest here),
``logistic_newton_ratio_<data>`` for Newton; ``logistic_ratio_digits`` is the issue-15
bar, ≤ 1.0; note the tables show the inverse, sklearn/jaxfound; digits rows are skipped
with ``--quick``) and, per grid, the speed-up over ``GridSearchCV(n_jobs=2)`` with two and with one
job (``grid_<model>_<data>_speedup2`` / ``_speedup1``) and the largest difference of the mean
CV accuracy over the grid.

To add a model, append a `Row` to `contenders` (or a `Grid` to
`grids`).

Run:  python benchmarks/classical_vs_sklearn.py [--repeats 5] [--quick] [--digits-grid]
          [--no-grid | --grid-only] [--no-tree-grid] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import jax
import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import jaxfound as jf  # noqa: E402
from jaxfound.models import linear, svm, trees  # noqa: E402

LOADERS = {
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
    "digits": datasets.load_digits,
    "diabetes": datasets.load_diabetes,
}


def load(name: str):
    """Standardised 75/25 split (stratified for classification)."""
    X, y = LOADERS[name](return_X_y=True)
    strat = None if name == "diabetes" else y
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=strat)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr).astype(np.float32), sc.transform(Xte).astype(np.float32), ytr, yte


def accuracy(y, pred):
    return float(np.mean(np.asarray(pred) == y))


def r2(y, pred):
    pred = np.asarray(pred)
    return float(1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


class Row(NamedTuple):
    """One model on one data set: ``fn(Xtr, ytr, Xte) -> (predictions, decision or None)``."""

    model: str
    data: str
    jaxfound: Callable
    sklearn: Callable
    score: Callable = accuracy


def _svc(kernel, C=1.0, gamma="scale"):
    est = svm.svc(kernel=kernel, C=C, gamma=gamma)

    def jf_fn(Xtr, ytr, Xte):
        p = est.fit(Xtr, ytr)
        return est.predict(p, Xte).block_until_ready(), est.decision_function(p, Xte)

    def sk_fn(Xtr, ytr, Xte):
        m = SVC(C=C, kernel=kernel, gamma=gamma, decision_function_shape="ovo").fit(Xtr, ytr)
        return m.predict(Xte), m.decision_function(Xte)

    return jf_fn, sk_fn


def _linear_svc(C=1.0):
    est = svm.linear_svc(C=C)

    def jf_fn(Xtr, ytr, Xte):
        p = est.fit(Xtr, ytr)
        return est.predict(p, Xte), est.decision_function(p, Xte)

    def sk_fn(Xtr, ytr, Xte):
        from sklearn.svm import LinearSVC

        m = LinearSVC(C=C, dual=False).fit(Xtr, ytr)
        return m.predict(Xte), m.decision_function(Xte)

    return jf_fn, sk_fn


def _logistic(C=1.0):
    """Newton to the optimum vs scikit-learn's L-BFGS with room to converge (max_iter=1000)."""
    est = linear.logistic(C=C)

    def jf_fn(Xtr, ytr, Xte):
        return est.predict(est.fit(Xtr, ytr), Xte), None

    def sk_fn(Xtr, ytr, Xte):
        return LogisticRegression(C=C, max_iter=1000).fit(Xtr, ytr).predict(Xte), None

    return jf_fn, sk_fn


def _logistic_lbfgs(C=1.0, tol=1e-4, threads=None):
    """Equal solver and tolerance: optax L-BFGS vs scikit-learn's default ``LogisticRegression``
    (lbfgs, ``tol=1e-4``, ``max_iter=100`` on both sides). ``threads=1`` runs scikit-learn
    under ``threadpoolctl.threadpool_limits(1)``: on this 2-core machine its OpenBLAS/OpenMP
    threads made the digits fit 6x slower than one thread (measured 300 ms against 50 ms)."""
    est = linear.logistic(C=C, solver="lbfgs", tol=tol)

    def jf_fn(Xtr, ytr, Xte):
        return est.predict(est.fit(Xtr, ytr), Xte), None

    def sk_fn(Xtr, ytr, Xte):
        with warnings.catch_warnings(), threadpool_limits(threads):  # None: no limit
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=100 may end early
            m = LogisticRegression(C=C, solver="lbfgs", tol=tol).fit(Xtr, ytr)
        return m.predict(Xte), None

    return jf_fn, sk_fn


def _ols():
    est = linear.ols()
    return (lambda Xtr, ytr, Xte: (est.predict(est.fit(Xtr, ytr), Xte), None),
            lambda Xtr, ytr, Xte: (LinearRegression().fit(Xtr, ytr).predict(Xte), None))


def _ridge(alpha=1.0):
    est = linear.ridge(alpha)
    return (lambda Xtr, ytr, Xte: (est.predict(est.fit(Xtr, ytr), Xte), None),
            lambda Xtr, ytr, Xte: (Ridge(alpha=alpha).fit(Xtr, ytr).predict(Xte), None))


def _ridge_path(alphas):
    def jf_fn(Xtr, ytr, Xte):
        path = linear.ridge_path(Xtr, ytr, alphas)
        return (Xte @ path.coef.T + path.intercept)[:, len(alphas) // 2], None

    def sk_fn(Xtr, ytr, Xte):
        preds = [Ridge(alpha=a).fit(Xtr, ytr).predict(Xte) for a in alphas]
        return preds[len(alphas) // 2], None

    return jf_fn, sk_fn


def contenders(quick: bool) -> list[Row]:
    """The per-model rows (part B appends tree / forest rows here)."""
    rows = [
        Row("OLS", "diabetes", *_ols(), score=r2),
        Row("ridge a=1", "diabetes", *_ridge(1.0), score=r2),
        Row("ridge path (50 a)", "diabetes", *_ridge_path(np.logspace(-3, 3, 50)), score=r2),
        Row("logistic C=1", "breast_cancer", *_logistic()),
        Row("logistic C=1", "wine", *_logistic()),
        Row("logistic C=1", "digits", *_logistic()),
    ]
    for data in ("breast_cancer", "wine", "digits"):  # issue 15: equal solver and tolerance
        rows.append(Row("logistic lbfgs C=1", data, *_logistic_lbfgs()))
        rows.append(Row("logistic lbfgs C=1, sklearn 1 thread", data, *_logistic_lbfgs(threads=1)))
    for data in ("breast_cancer", "wine", "digits"):
        rows.append(Row("SVC rbf C=1", data, *_svc("rbf")))
    for kernel in ("linear", "poly", "sigmoid"):
        rows.append(Row(f"SVC {kernel} C=1", "breast_cancer", *_svc(kernel)))
    for data in ("breast_cancer", "digits"):
        rows.append(Row("LinearSVC (primal) C=1", data, *_linear_svc()))
    # --- part B (trees, forests): rows go here ---
    if quick:
        rows = [r for r in rows if r.data != "digits"]
    return rows


def _time(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    jax.block_until_ready(out)
    return time.perf_counter() - t, out


def run_rows(rows: list[Row], repeats: int) -> list[dict]:
    cache, results = {}, []
    for row in rows:
        data = cache.setdefault(row.data, load(row.data))
        Xtr, Xte, ytr, yte = data
        first, (pj, dj) = _time(row.jaxfound, Xtr, ytr, Xte)
        _, (ps, ds) = _time(row.sklearn, Xtr, ytr, Xte)
        tj, ts = [], []
        for _ in range(repeats):  # interleaved
            tj.append(_time(row.jaxfound, Xtr, ytr, Xte)[0])
            ts.append(_time(row.sklearn, Xtr, ytr, Xte)[0])
        agree = None
        if dj is not None:
            agree = float(np.mean(np.sign(np.asarray(dj)) == np.sign(ds)))
        res = dict(model=row.model, data=row.data, jf=statistics.median(tj),
                   sk=statistics.median(ts), first=first, jf_score=row.score(yte, pj),
                   sk_score=row.score(yte, ps), agree=agree, metric=row.score.__name__)
        results.append(res)
        print(_fmt_row(res), flush=True)
    return results


ROW_HEADER = ("| model | data | jaxfound ms | sklearn ms | sklearn/jaxfound | jaxfound score "
              "| sklearn score | diff (pts) | sign agree | jaxfound first call s |\n"
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")


def _fmt_row(r: dict) -> str:
    agree = "" if r["agree"] is None else f"{100 * r['agree']:.2f}%"
    return (f"| {r['model']} | {r['data']} | {1e3 * r['jf']:.2f} | {1e3 * r['sk']:.2f} | "
            f"{r['sk'] / r['jf']:.2f}x | {r['metric']} {r['jf_score']:.4f} | "
            f"{r['sk_score']:.4f} | {100 * (r['jf_score'] - r['sk_score']):+.2f} | {agree} | "
            f"{r['first']:.2f} |")


def logistic_iterations(quick: bool, C: float = 1.0, tol: float = 1e-4) -> list[dict]:
    """Iterations each L-BFGS logistic fit took (and whether it met ``tol``), both libraries:
    equal tolerance should mean a similar number of iterations."""
    out = []
    for data in ("breast_cancer", "wine") + (() if quick else ("digits",)):
        Xtr, _, ytr, _ = load(data)
        info = linear.logistic(C=C, solver="lbfgs", tol=tol).fit(Xtr, ytr).info
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            m = LogisticRegression(C=C, solver="lbfgs", tol=tol).fit(Xtr, ytr)
        out.append(dict(data=data, jf_iter=int(info.n_iter), jf_ok=bool(info.converged),
                        sk_iter=int(np.max(m.n_iter_)), sk_ok=not caught))
    return out


ITER_HEADER = ("| L-BFGS logistic C=1, tol 1e-4 | jaxfound iterations | converged "
               "| sklearn iterations | converged |\n|---|---:|---|---:|---|")


def _fmt_iter(r: dict) -> str:
    return f"| {r['data']} | {r['jf_iter']} | {r['jf_ok']} | {r['sk_iter']} | {r['sk_ok']} |"


# ----------------------------------------------------------------------------- grid search


class Grid(NamedTuple):
    """A cross-validated grid: a jaxfound estimator vs a scikit-learn model.

    ``grid`` holds scikit-learn's names; ``rename`` maps them to the jaxfound estimator's
    traced hyper-parameters where they differ (a tree's ``max_depth`` is ``depth_limit``).
    """

    model: str
    data: str
    estimator: Callable  # () -> jaxfound Estimator
    sklearn: Callable  # () -> scikit-learn estimator
    grid: dict
    rename: dict = {}


def grids(digits: bool, tree_grid: bool = True) -> list[Grid]:
    g = {"C": np.logspace(-1, 2, 6), "gamma": np.logspace(-3, 0, 6)}
    out = [Grid("SVC rbf 6x6 grid", d, svm.svc, SVC, g) for d in ("breast_cancer", "wine")]
    if tree_grid:  # one layout of depth 8; the traced depth_limit makes each point a tree
        out.append(Grid("CART depth 1..8", "breast_cancer",
                        lambda: trees.cart_classifier(max_depth=8),
                        lambda: DecisionTreeClassifier(random_state=0),
                        {"max_depth": np.arange(1, 9)}, {"max_depth": "depth_limit"}))
    if digits:  # 45 one-vs-one problems per fit (about a minute with compilation)
        small = {"C": np.logspace(-1, 2, 4), "gamma": np.logspace(-3, -1, 3)}
        out.append(Grid("SVC rbf 4x3 grid", "digits", svm.svc, SVC, small))
    return out


def run_grids(items: list[Grid], repeats: int) -> list[dict]:
    results = []
    for g in items:
        results.append(_one_grid(g, repeats))
        print(_fmt_grid(results[-1]), flush=True)
    return results


def _one_grid(g: Grid, repeats: int) -> dict:
    Xtr, _, ytr, _ = load(g.data)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(Xtr, ytr))

    jf_grid = {g.rename.get(k, k): v for k, v in g.grid.items()}

    def jf_stats(n_jobs):
        res = jf.stats.grid_search(g.estimator(), jf_grid, Xtr, ytr, folds,
                                   metric=jf.stats.accuracy, n_jobs=n_jobs)
        jax.block_until_ready(res.scores)
        return res

    def sk_grid():
        return GridSearchCV(g.sklearn(), g.grid, cv=folds, n_jobs=2, refit=False).fit(
            Xtr, ytr)

    first_call, _ = _time(lambda: jf_stats(2))  # traces and compiles; later calls reuse it
    _time(lambda: jf_stats(1))  # compiles the one-job executable (the whole grid at once)
    _, sk_res = _time(sk_grid)  # warm-up: starts the joblib workers
    t_one, t_two, t_sk = [], [], []
    for _ in range(repeats):
        dt, one = _time(lambda: jf_stats(1))
        t_one.append(dt)
        dt, jres = _time(lambda: jf_stats(2))
        t_two.append(dt)
        dt, sk_res = _time(sk_grid)
        t_sk.append(dt)
    assert np.array_equal(np.asarray(one.scores), np.asarray(jres.scores))  # n_jobs-free
    sk_mean = sk_res.cv_results_["mean_test_score"]  # same C-major order as the grid
    res = dict(model=g.model, data=g.data, points=len(sk_mean), folds=len(folds),
               one=statistics.median(t_one), stats=statistics.median(t_two),
               first_call=first_call, sk=statistics.median(t_sk),
               jf_best=jres.best_params, jf_best_score=jres.best_score,
               sk_best={k: float(v) for k, v in sk_res.best_params_.items()},
               sk_best_score=float(sk_res.best_score_),
               max_diff=float(np.max(np.abs(np.asarray(jres.mean) - sk_mean))))
    return res


GRID_HEADER = ("| grid | data | fits | GridSearchCV(n_jobs=2) s "
               "| jf.stats.grid_search(n_jobs=2) s | speed-up "
               "| jf n_jobs=1 s | speed-up n_jobs=1 | first call incl. compile s "
               "| best point jaxfound / sklearn | best CV acc jaxfound / sklearn "
               "| max abs diff of mean CV acc over grid |\n"
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")


def _fmt_grid(r: dict) -> str:
    best = lambda b: "(" + ", ".join(f"{v:.3g}" for v in b.values()) + ")"
    return (f"| {r['model']} | {r['data']} | {r['points']}x{r['folds']} | {r['sk']:.2f} | "
            f"{r['stats']:.3f} | {r['sk'] / r['stats']:.1f}x | {r['one']:.3f} | "
            f"{r['sk'] / r['one']:.1f}x | {r['first_call']:.1f} | "
            f"{best(r['jf_best'])} / {best(r['sk_best'])} | "
            f"{r['jf_best_score']:.4f} / {r['sk_best_score']:.4f} | {r['max_diff']:.4f} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="interleaved timed repeats")
    ap.add_argument("--quick", action="store_true", help="skip digits (smoke run)")
    ap.add_argument("--no-grid", action="store_true", help="skip the grid-search part")
    ap.add_argument("--grid-only", action="store_true", help="only the grid-search part")
    ap.add_argument("--digits-grid", action="store_true",
                    help="also the (slow) 4x3 digits grid")
    ap.add_argument("--no-tree-grid", action="store_true",
                    help="skip the CART depth grid (needs the trees estimators)")
    ap.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = ap.parse_args(argv)
    print(f"jax {jax.__version__} on {jax.default_backend()}, float32; medians of "
          f"{args.repeats} interleaved repeats after one warm-up call each\n")
    rows, gres, lines = [], [], []
    if not args.grid_only:
        print(ROW_HEADER)
        rows = run_rows(contenders(args.quick), args.repeats)
        lines = [ROW_HEADER, *map(_fmt_row, rows)]
        iters = [ITER_HEADER, *map(_fmt_iter, logistic_iterations(args.quick))]
        print("\n" + "\n".join(iters))
        lines += ["", *iters]
    if not args.no_grid:
        print("\n" + GRID_HEADER)
        gres = run_grids(grids(args.digits_grid, not args.no_tree_grid),
                         max(1, min(args.repeats, 3)))
        lines += ["", GRID_HEADER, *map(_fmt_grid, gres)]
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n")
    print("\n" + result_line(rows, gres))
    return rows


def _key(*parts: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", "_".join(parts)).strip("_").lower()


def result_line(rows: list[dict], grid_rows: list[dict]) -> str:
    """``RESULT key=value ...``: test scores per model row, speed-ups and accuracy gaps per
    grid (the headline figures of the tables)."""
    out = {}
    for r in rows:
        k = _key(r["model"], r["data"])
        out[f"{k}_jf"], out[f"{k}_sk"] = r["jf_score"], r["sk_score"]
    for r in rows:  # issue 15: time ratios jaxfound / scikit-learn of the two logistic solvers
        solver = {"logistic lbfgs C=1": "", "logistic C=1": "newton_",
                  "logistic lbfgs C=1, sklearn 1 thread": "1thread_"}.get(r["model"])  # fmt: skip
        if solver is not None:
            out[f"logistic_{solver}ratio_{r['data']}"] = r["jf"] / r["sk"]
    for r in grid_rows:
        k = _key("grid", r["model"], r["data"])
        out[f"{k}_speedup2"] = r["sk"] / r["stats"]
        out[f"{k}_speedup1"] = r["sk"] / r["one"]
        out[f"{k}_best_cv_acc"] = r["jf_best_score"]
        out[f"{k}_max_diff"] = r["max_diff"]
    return "RESULT " + " ".join(f"{k}={v:.4g}" for k, v in out.items())


if __name__ == "__main__":
    main()
