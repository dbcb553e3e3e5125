"""Decision trees and random forests, jaxfound vs scikit-learn: fit + predict time and score.

Part 1 — single CART trees at equal depth (``DecisionTreeClassifier`` / ``Regressor``) on a
stratified 75/25 split of scikit-learn's embedded iris, wine, breast-cancer, digits
(accuracy) and diabetes (R²) sets, and — for the tree bar (within 2 points of scikit-learn) —
the 5-fold cross-validated score, jaxfound's 5 fold trees fitted in one vmapped call over 0/1
fold masks, scikit-learn's averaged over 3 random_states (it breaks tied splits at random).
Part 2 — random forests at equal size (n_estimators, max_depth, max_features="sqrt") against
``RandomForestClassifier`` with ``n_jobs=1`` and ``n_jobs=2``. Part 3 — the forest bar
(accuracy within 1 point of scikit-learn) on a sounder footing than one split: 5-fold
stratified cross-validation × 2 seeds; jaxfound fits all 10 forests in ONE compiled call
(the fold is a 0/1 sample weight, vmapped with the seed), scikit-learn fits them one after
the other. Part 4 — gradient boosting, 100 iterations: jaxfound's
``trees.gbdt_classifier(max_iter=100, max_leaf_nodes=31, max_depth=10)`` (grown best-first
to 31 leaves, depth capped at 10; ``--gbdt-leaves 0 --gbdt-depth 5``: level-wise, 32 leaves)
against scikit-learn's ``HistGradientBoostingClassifier(max_iter=100, early_stopping=False)``
(its defaults: 31 leaves best-first, no depth cap; both: learning rate 0.1,
``min_samples_leaf=20``, 255 bins + a missing-value bin, no L2; HGB runs on all the OpenMP
threads it finds), and, when importable (a printed note skips each
otherwise), LightGBM ``LGBMClassifier(n_estimators=100, num_leaves=31, n_jobs=2)`` and XGBoost
``XGBClassifier(n_estimators=100, tree_method="hist", max_depth=5, n_jobs=2)`` (each at its
own defaults otherwise, e.g. XGBoost's learning rate 0.3), on breast
cancer, digits (not with ``--quick``) and, with ``--big``, the 100k set. Forests are compared
with scikit-learn only.

jaxfound's models are the estimators of `jaxfound.models.trees`
(``cart_classifier(max_depth=d)``, ``cart_regressor``, ``forest_classifier(n_estimators=T,
max_depth=d)``, whose ``fit`` requires ``key=``).

Timing: each contender is called once first (jaxfound compiles; shown as "first call"),
then both run interleaved ``--repeats`` times and the medians are reported with their
ratio (jaxfound time / scikit-learn time; < 1 means jaxfound is faster).

Data: the data sets are the ones embedded in scikit-learn (``sklearn.datasets.load_*``); no
file is read, so there is no ``--data`` option.

Output: the markdown tables, then ONE last line ``RESULT key=value ...`` with the headline
figures: per data set and depth the 5-fold CV score of jaxfound's tree and scikit-learn's
(``tree_<data>_d<depth>_cv_jf`` / ``_cv_sk``) and their time ratio (``_ratio``); per data
set the forest CV accuracy (``forest_<data>_cv_jf`` / ``_cv_sk``, ``_ratio``); the median
time ratios of the single-split tables (``tree_split_ratio_median``,
``forest_split_ratio_median`` against ``n_jobs=1``) and the largest CV gaps
(``tree_cv_max_abs_gap``, ``forest_cv_max_abs_gap``, in points), and per data set the
forest time ratio against ``n_jobs=2`` (``forest_ratio_<data>``: ``forest_ratio_digits``,
and ``forest_ratio_100k`` with ``--big``, the issue-15 bar). Boosting, per data set:
``gbdt_ratio_<data>`` (jaxfound time / HistGradientBoosting time) and ``gbdt_acc_diff_<data>``
(jaxfound minus HGB test accuracy, in percentage points), so ``gbdt_ratio_100k`` and
``gbdt_acc_diff_100k`` with ``--big`` (the issue-15 bar: ≤ 1.0 and within ±1 point); the same
pair against LightGBM and XGBoost (``gbdt_lightgbm_ratio_<data>``,
``gbdt_lightgbm_acc_diff_<data>``, ``gbdt_xgboost_...``) when they ran; and jaxfound's first
call (compilation included, this process) as ``gbdt_first_call_<data>`` (seconds). A part that
did not run (``--only``) adds no keys.

Run:  python benchmarks/trees_vs_sklearn.py [--repeats 3] [--quick] [--markdown FILE]
      [--splitter auto|exact|hist] [--big] [--only trees,forests,gbdt]
      [--gbdt-leaves 31] [--gbdt-depth D]
(``--quick``: fewer data sets, 20-tree forests; ``--splitter hist``: the histogram split
finder for trees and forests (boosting is always histogram-based); ``--big``: forests and
boosting also on ``make_classification(100_000, 50, n_informative=20)``; ``--only``: run only
these parts, repeatable or a comma list, e.g. ``--only gbdt --big`` for the boosting bar.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from sklearn import datasets
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jaxfound.models import trees  # noqa: E402

LOADERS = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
    "diabetes": datasets.load_diabetes,
    # the issue-15 larger set
    "100k": lambda return_X_y=True: datasets.make_classification(
        n_samples=100_000, n_features=50, n_informative=20, random_state=0
    ),
}

#: ``--splitter``: which split finder jaxfound's trees and forests use.
SPLITTER = {"name": "auto"}


def load(name):
    X, y = LOADERS[name](return_X_y=True)
    strat = None if name == "diabetes" else y
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=strat)


def score(y, pred, regression):
    pred = np.asarray(pred)
    if regression:
        return 100 * (1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))
    return 100 * np.mean(pred == y)


def _time(fn, *args):
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return time.perf_counter() - t0, out


def compare(label, data, jf_fn, sk_fns, repeats, regression=False):
    """Interleaved medians of jaxfound vs one or more scikit-learn variants."""
    Xtr, Xte, ytr, yte = load(data)
    first, pj = _time(jf_fn, Xtr, ytr, Xte)
    for fn in sk_fns.values():
        fn(Xtr, ytr, Xte)  # warm-up
    tj, ts = [], {k: [] for k in sk_fns}
    ps = {}
    for _ in range(repeats):
        t, pj = _time(jf_fn, Xtr, ytr, Xte)
        tj.append(t)
        for k, fn in sk_fns.items():
            t, ps[k] = _time(fn, Xtr, ytr, Xte)
            ts[k].append(t)
    rows = []
    for k in sk_fns:
        sk_t = statistics.median(ts[k])
        rows.append(
            dict(model=label, data=data, peer=k, first=first, jf=statistics.median(tj), sk=sk_t,
                 jf_score=score(yte, pj, regression), sk_score=score(yte, ps[k], regression))
        )  # fmt: skip
    return rows


def tree_rows(quick, repeats):
    rows = []
    sets = ["iris", "wine", "breast_cancer"] + ([] if quick else ["digits"])
    for data in sets:
        for depth in (3, 6):

            def jf_fn(Xtr, ytr, Xte, depth=depth):
                est = trees.cart_classifier(max_depth=depth, splitter=SPLITTER["name"])
                return est.predict(est.fit(Xtr, ytr), Xte)

            def sk_fn(Xtr, ytr, Xte, depth=depth):
                clf = DecisionTreeClassifier(max_depth=depth, random_state=0)
                return clf.fit(Xtr, ytr).predict(Xte)

            rows += compare(f"tree d={depth}", data, jf_fn, {"sklearn": sk_fn}, repeats)
    for depth in (3, 6):

        def jf_r(Xtr, ytr, Xte, depth=depth):
            est = trees.cart_regressor(max_depth=depth, splitter=SPLITTER["name"])
            return est.predict(est.fit(Xtr, ytr), Xte)

        def sk_r(Xtr, ytr, Xte, depth=depth):
            reg = DecisionTreeRegressor(max_depth=depth, random_state=0)
            return reg.fit(Xtr, ytr).predict(Xte)

        rows += compare(f"tree d={depth}", "diabetes", jf_r, {"sklearn": sk_r}, repeats, True)
    return rows


def forest_rows(quick, repeats, n_estimators, depth, big=False):
    rows = []
    sets = ["wine", "breast_cancer"] + ([] if quick else ["digits"]) + (["100k"] if big else [])
    est = trees.forest_classifier(
        n_estimators=n_estimators, max_depth=depth, splitter=SPLITTER["name"]
    )
    for data in sets:

        def jf_fn(Xtr, ytr, Xte):
            return est.predict(est.fit(Xtr, ytr, key=jax.random.key(0)), Xte)

        def sk(n_jobs):
            def fn(Xtr, ytr, Xte):
                rf = RandomForestClassifier(
                    n_estimators, max_depth=depth, max_features="sqrt", random_state=0,
                    n_jobs=n_jobs,
                )  # fmt: skip
                return rf.fit(Xtr, ytr).predict(Xte)

            return fn

        label = f"forest {n_estimators}x d={depth}"
        rows += compare(label, data, jf_fn, {"sklearn n_jobs=1": sk(1), "sklearn n_jobs=2": sk(2)},
                        repeats)  # fmt: skip
    return rows


def _optional_peers():
    """LightGBM and XGBoost classifiers when importable (a printed note for each that is not)."""
    peers = {}
    try:
        from lightgbm import LGBMClassifier
    except Exception as e:  # ImportError, or a native library that fails to load
        print(f"note: LightGBM rows skipped (cannot import lightgbm: {e})", flush=True)
    else:

        def lgbm(Xtr, ytr, Xte):
            m = LGBMClassifier(n_estimators=100, num_leaves=31, n_jobs=2, verbose=-1)
            return m.fit(Xtr, ytr).predict(Xte)

        peers["LightGBM"] = lgbm
    try:
        from xgboost import XGBClassifier
    except Exception as e:  # ImportError, or a native library that fails to load
        print(f"note: XGBoost rows skipped (cannot import xgboost: {e})", flush=True)
    else:

        def xgb(Xtr, ytr, Xte):
            m = XGBClassifier(n_estimators=100, tree_method="hist", max_depth=5, n_jobs=2)
            return m.fit(Xtr, ytr).predict(Xte)

        peers["XGBoost"] = xgb
    return peers


def gbdt_rows(quick, repeats, big=False, depth=10, leaves=31):
    """Gradient boosting, 100 iterations: jaxfound vs HistGradientBoosting (+ LightGBM, XGBoost)."""
    rows = []
    sets = ["breast_cancer"] + ([] if quick else ["digits"]) + (["100k"] if big else [])
    est = trees.gbdt_classifier(max_iter=100, max_depth=depth, max_leaf_nodes=leaves or None)
    label = f"gbdt 100 it {leaves} leaves d<={depth}" if leaves else f"gbdt 100 it d={depth}"

    def jf_fn(Xtr, ytr, Xte):
        return est.predict(est.fit(Xtr, ytr), Xte)

    def hgb(Xtr, ytr, Xte):
        m = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0)
        return m.fit(Xtr, ytr).predict(Xte)

    peers = {"sklearn HGB": hgb, **_optional_peers()}
    for data in sets:
        rows += compare(label, data, jf_fn, peers, repeats)
    return rows


def cv_rows(n_estimators, depth, sets=("wine", "breast_cancer"), k=5, seeds=2):
    out = []
    est = trees.forest_classifier(n_estimators=n_estimators, max_depth=depth)
    for data in sets:
        X, y = LOADERS[data](return_X_y=True)
        masks = np.zeros((k, len(y)), np.float32)
        for i, (tr, _) in enumerate(StratifiedKFold(k, shuffle=True, random_state=0).split(X, y)):
            masks[i, tr] = 1

        def fit_all(masks, keys, X=X, y=y):
            one = lambda w, key: est.fit(X, y, sample_weight=w, key=key)  # noqa: E731
            forests = jax.vmap(jax.vmap(one, (None, 0)), (0, None))(masks, keys)
            return jax.vmap(jax.vmap(est.predict, (0, None)), (0, None))(forests, X)

        keys = jax.random.split(jax.random.key(0), seeds)
        t_first, pred = _time(fit_all, jnp.asarray(masks), keys)
        t_jf, pred = _time(fit_all, jnp.asarray(masks), keys)
        pred = np.asarray(pred)
        t0 = time.perf_counter()
        sk_acc, jf_acc = [], []
        for i, m in enumerate(masks):
            tr, te = m > 0, m == 0
            for s in range(seeds):
                rf = RandomForestClassifier(
                    n_estimators, max_depth=depth, max_features="sqrt", random_state=s, n_jobs=1
                ).fit(X[tr], y[tr])
                sk_acc.append(100 * rf.score(X[te], y[te]))
                jf_acc.append(100 * np.mean(pred[i, s, te] == y[te]))
        t_sk = time.perf_counter() - t0
        out.append(dict(data=data, first=t_first, jf=t_jf, sk=t_sk, jf_score=np.mean(jf_acc),
                        sk_score=np.mean(sk_acc)))  # fmt: skip
    return out


def cv_tree_rows(depths=(3, 5), k=5, sk_seeds=3):
    """The tree bar: k-fold CV score, jaxfound's k trees in one vmapped call over fold masks."""
    out = []
    for data in ("iris", "wine", "breast_cancer", "diabetes"):
        X, y = LOADERS[data](return_X_y=True)
        regression = data == "diabetes"
        split = StratifiedKFold(k, shuffle=True, random_state=0).split(X, y)
        if regression:
            split = KFold(k, shuffle=True, random_state=0).split(X)
        masks = np.zeros((k, len(y)), np.float32)
        for i, (tr, _) in enumerate(split):
            masks[i, tr] = 1
        for depth in depths:
            make = trees.cart_regressor if regression else trees.cart_classifier
            est = make(max_depth=depth)
            one = lambda w, X=X, y=y, est=est: est.fit(X, y, sample_weight=w)  # noqa: E731
            fit_all = lambda m, one=one, X=X, est=est: jax.vmap(  # noqa: E731
                est.predict, (0, None)
            )(jax.vmap(one)(m), X)
            t_first, pred = _time(fit_all, jnp.asarray(masks))
            t_jf, pred = _time(fit_all, jnp.asarray(masks))
            pred = np.asarray(pred)
            Model = DecisionTreeRegressor if regression else DecisionTreeClassifier
            jf_s, sk_s = [], []
            t0 = time.perf_counter()
            for i, m in enumerate(masks):
                tr, te = m > 0, m == 0
                jf_s.append(score(y[te], pred[i, te], regression))
                for s in range(sk_seeds):
                    est = Model(max_depth=depth, random_state=s).fit(X[tr], y[tr])
                    sk_s.append(score(y[te], est.predict(X[te]), regression))
            t_sk = (time.perf_counter() - t0) / sk_seeds
            out.append(dict(data=data, depth=depth, first=t_first, jf=t_jf, sk=t_sk,
                            jf_score=np.mean(jf_s), sk_score=np.mean(sk_s)))  # fmt: skip
    return out


def cv_tree_table(rows):
    lines = [
        "### Tree bar: 5-fold CV score (accuracy %, R² % for diabetes), sklearn averaged over "
        "3 random_states",
        "",
        "| data | depth | jaxfound first call (s) | jaxfound 5 folds, one call (s) | "
        "sklearn 5 folds (s) | ratio | jaxfound CV score | sklearn CV score | Δ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['data']} | {r['depth']} | {r['first']:.2f} | {r['jf']:.4f} | {r['sk']:.4f} | "
            f"{r['jf'] / r['sk']:.1f}× | {r['jf_score']:.2f} | {r['sk_score']:.2f} | "
            f"{r['jf_score'] - r['sk_score']:+.2f} |"
        )
    return "\n".join(lines)


def table(rows, title):
    lines = [
        f"### {title}",
        "",
        "| model | data | peer | jaxfound first call (s) | jaxfound (s) | peer (s) | ratio | "
        "jaxfound score | peer score | Δ score |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['data']} | {r['peer']} | {r['first']:.2f} | {r['jf']:.4f} | "
            f"{r['sk']:.4f} | {r['jf'] / r['sk']:.1f}× | {r['jf_score']:.2f} | "
            f"{r['sk_score']:.2f} | {r['jf_score'] - r['sk_score']:+.2f} |"
        )
    return "\n".join(lines)


def cv_table(rows, n_estimators, depth):
    lines = [
        f"### Forest bar: 5-fold CV × 2 seeds, {n_estimators} trees, depth {depth}, sqrt features",
        "",
        "| data | jaxfound first call (s) | jaxfound 10 forests, one call (s) | "
        "sklearn 10 forests, n_jobs=1 (s) | ratio | jaxfound CV acc | sklearn CV acc | Δ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['data']} | {r['first']:.2f} | {r['jf']:.2f} | {r['sk']:.2f} | "
            f"{r['jf'] / r['sk']:.1f}× | {r['jf_score']:.2f} | {r['sk_score']:.2f} | "
            f"{r['jf_score'] - r['sk_score']:+.2f} |"
        )
    return "\n".join(lines)


PARTS = ("trees", "forests", "gbdt")


def parse_only(values):
    """``--only`` values (repeatable, each a comma list) -> the set of parts to run."""
    if not values:
        return set(PARTS)
    parts = {v.strip() for value in values for v in value.split(",") if v.strip()}
    unknown = sorted(parts - set(PARTS))
    if unknown or not parts:
        raise SystemExit(f"--only {','.join(unknown) or '(empty)'}: choose from "
                         f"{', '.join(PARTS)} (repeat --only or give a comma list)")  # fmt: skip
    return parts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="fewer data sets, smaller forests")
    p.add_argument("--n-estimators", type=int, default=100)
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--markdown", default=None, help="also write the tables to this file")
    p.add_argument("--splitter", choices=("auto", "exact", "hist"), default="auto",
                   help="jaxfound's split finder for trees and forests")  # fmt: skip
    p.add_argument("--big", action="store_true",
                   help="forests and boosting also on the 100k set")  # fmt: skip
    p.add_argument("--gbdt-leaves", type=int, default=31,
                   help="jaxfound's boosting leaves, grown best-first as HGB's default 31; "
                   "0: level-wise to 2**depth leaves")  # fmt: skip
    p.add_argument("--gbdt-depth", type=int, default=None,
                   help="jaxfound's boosting depth: the cap with --gbdt-leaves (default 10), "
                   "the depth of level-wise trees without (default 5)")  # fmt: skip
    p.add_argument("--only", action="append", metavar="PART",
                   help="run only these parts: trees, forests, gbdt (repeatable or a comma "
                   "list; default all)")  # fmt: skip
    a = p.parse_args(argv)
    only = parse_only(a.only)
    SPLITTER["name"] = a.splitter
    print(f"command: python benchmarks/trees_vs_sklearn.py {' '.join(sys.argv[1:])}")
    T = 20 if a.quick else a.n_estimators
    print(f"jax {jax.__version__} on {jax.default_backend()}; repeats={a.repeats}", flush=True)
    parts = []
    split_trees, cv_trees, split_forests, cv_forests, boosted = [], [], [], [], []
    if "trees" in only:
        split_trees = tree_rows(a.quick, a.repeats)
        parts.append(table(split_trees, "Single trees (CART), equal depth"))
        print(parts[-1], "\n", flush=True)
        cv_trees = cv_tree_rows()
        parts.append(cv_tree_table(cv_trees))
        print(parts[-1], "\n", flush=True)
    if "forests" in only:
        split_forests = forest_rows(a.quick, a.repeats, T, a.depth, a.big)
        parts.append(table(split_forests, "Random forests, equal size"))
        print(parts[-1], "\n", flush=True)
        sets = ("wine",) if a.quick else ("wine", "breast_cancer")
        cv_forests = cv_rows(T, a.depth, sets)
        parts.append(cv_table(cv_forests, T, a.depth))
        print(parts[-1], "\n", flush=True)
    if "gbdt" in only:
        depth = a.gbdt_depth or (10 if a.gbdt_leaves else 5)
        boosted = gbdt_rows(a.quick, a.repeats, a.big, depth, a.gbdt_leaves)
        parts.append(table(boosted, "Gradient boosting, 100 iterations (accuracy %)"))
        print(parts[-1], "\n", flush=True)
    if a.markdown:
        Path(a.markdown).write_text("\n\n".join(parts) + "\n")
    print(result_line(split_trees, cv_trees, split_forests, cv_forests, boosted), flush=True)


def result_line(split_trees, cv_trees, split_forests, cv_forests, boosted=()) -> str:
    """The machine-readable last line: ``RESULT key=value ...`` (see the module docstring).

    A part that did not run (``--only``) contributes no keys.
    """
    kv = {}
    for r in cv_trees:
        p = f"tree_{r['data']}_d{r['depth']}"
        kv[f"{p}_cv_jf"], kv[f"{p}_cv_sk"] = f"{r['jf_score']:.2f}", f"{r['sk_score']:.2f}"
        kv[f"{p}_ratio"] = f"{r['jf'] / r['sk']:.2f}"
    for r in cv_forests:
        p = f"forest_{r['data']}"
        kv[f"{p}_cv_jf"], kv[f"{p}_cv_sk"] = f"{r['jf_score']:.2f}", f"{r['sk_score']:.2f}"
        kv[f"{p}_ratio"] = f"{r['jf'] / r['sk']:.2f}"
    one_job = [r for r in split_forests if r["peer"] == "sklearn n_jobs=1"]
    for name, rows in (("tree", split_trees), ("forest", one_job)):
        if rows:
            ratio = statistics.median(r["jf"] / r["sk"] for r in rows)
            kv[f"{name}_split_ratio_median"] = f"{ratio:.2f}"
    for name, rows in (("tree", cv_trees), ("forest", cv_forests)):
        if rows:
            gap = max(abs(r["jf_score"] - r["sk_score"]) for r in rows)
            kv[f"{name}_cv_max_abs_gap"] = f"{gap:.2f}"
    for r in split_forests:  # issue 15: compiled forest vs scikit-learn n_jobs=2, per data set
        if r["peer"] == "sklearn n_jobs=2":
            kv[f"forest_ratio_{r['data']}"] = f"{r['jf'] / r['sk']:.2f}"
    for r in boosted:  # issue 15: compiled boosting vs HistGradientBoosting (and the others)
        peer = {"sklearn HGB": "", "LightGBM": "lightgbm_", "XGBoost": "xgboost_"}[r["peer"]]
        kv[f"gbdt_{peer}ratio_{r['data']}"] = f"{r['jf'] / r['sk']:.2f}"
        kv[f"gbdt_{peer}acc_diff_{r['data']}"] = f"{r['jf_score'] - r['sk_score']:+.2f}"
    for r in boosted:
        if r["peer"] == "sklearn HGB":
            kv[f"gbdt_first_call_{r['data']}"] = f"{r['first']:.2f}"
    return "RESULT " + " ".join(f"{k}={v}" for k, v in kv.items())


if __name__ == "__main__":
    main()
