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
the other.

Timing: each contender is called once first (jaxfound compiles; shown as "first call"),
then both run interleaved ``--repeats`` times and the medians are reported with their
ratio (jaxfound time / scikit-learn time; < 1 means jaxfound is faster).

Run:  python benchmarks/trees_vs_sklearn.py [--repeats 3] [--quick] [--markdown FILE]
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
from sklearn.ensemble import RandomForestClassifier
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
}


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
                return trees.predict(trees.fit_classifier(Xtr, ytr, max_depth=depth), Xte)

            def sk_fn(Xtr, ytr, Xte, depth=depth):
                clf = DecisionTreeClassifier(max_depth=depth, random_state=0)
                return clf.fit(Xtr, ytr).predict(Xte)

            rows += compare(f"tree d={depth}", data, jf_fn, {"sklearn": sk_fn}, repeats)
    for depth in (3, 6):

        def jf_r(Xtr, ytr, Xte, depth=depth):
            return trees.predict(trees.fit_regressor(Xtr, ytr, max_depth=depth), Xte)

        def sk_r(Xtr, ytr, Xte, depth=depth):
            reg = DecisionTreeRegressor(max_depth=depth, random_state=0)
            return reg.fit(Xtr, ytr).predict(Xte)

        rows += compare(f"tree d={depth}", "diabetes", jf_r, {"sklearn": sk_r}, repeats, True)
    return rows


def forest_rows(quick, repeats, n_estimators, depth):
    rows = []
    sets = ["wine", "breast_cancer"] + ([] if quick else ["digits"])
    for data in sets:

        def jf_fn(Xtr, ytr, Xte):
            f = trees.fit_forest_classifier(
                Xtr, ytr, n_estimators=n_estimators, max_depth=depth, key=jax.random.key(0)
            )
            return trees.predict(f, Xte)

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


def cv_rows(n_estimators, depth, sets=("wine", "breast_cancer"), k=5, seeds=2):
    out = []
    for data in sets:
        X, y = LOADERS[data](return_X_y=True)
        masks = np.zeros((k, len(y)), np.float32)
        for i, (tr, _) in enumerate(StratifiedKFold(k, shuffle=True, random_state=0).split(X, y)):
            masks[i, tr] = 1
        n_classes = int(y.max()) + 1

        def fit_all(masks, keys, X=X, y=y, n_classes=n_classes):
            one = lambda w, key: trees.fit_forest_classifier(  # noqa: E731
                X, y, n_estimators=n_estimators, max_depth=depth, n_classes=n_classes,
                sample_weight=w, key=key,
            )  # fmt: skip
            forests = jax.vmap(jax.vmap(one, (None, 0)), (0, None))(masks, keys)
            return jax.vmap(jax.vmap(trees.predict, (0, None)), (0, None))(forests, X)

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
            if regression:
                one = lambda w, X=X, y=y, depth=depth: trees.fit_regressor(  # noqa: E731
                    X, y, max_depth=depth, sample_weight=w
                )
            else:
                one = lambda w, X=X, y=y, depth=depth: trees.fit_classifier(  # noqa: E731
                    X, y, max_depth=depth, sample_weight=w, n_classes=int(y.max()) + 1
                )
            fit_all = lambda m, one=one, X=X: jax.vmap(trees.predict, (0, None))(  # noqa: E731
                jax.vmap(one)(m), X
            )
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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="fewer data sets, smaller forests")
    p.add_argument("--n-estimators", type=int, default=100)
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--markdown", default=None, help="also write the tables to this file")
    a = p.parse_args(argv)
    T = 20 if a.quick else a.n_estimators
    print(f"jax {jax.__version__} on {jax.default_backend()}; repeats={a.repeats}", flush=True)
    parts = [table(tree_rows(a.quick, a.repeats), "Single trees (CART), equal depth")]
    print(parts[-1], "\n", flush=True)
    parts.append(cv_tree_table(cv_tree_rows()))
    print(parts[-1], "\n", flush=True)
    parts.append(table(forest_rows(a.quick, a.repeats, T, a.depth), "Random forests, equal size"))
    print(parts[-1], "\n", flush=True)
    sets = ("wine",) if a.quick else ("wine", "breast_cancer")
    parts.append(cv_table(cv_rows(T, a.depth, sets), T, a.depth))
    print(parts[-1], flush=True)
    if a.markdown:
        Path(a.markdown).write_text("\n\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
