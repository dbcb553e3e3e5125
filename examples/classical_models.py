"""Classical models as pure JAX functions, on scikit-learn's embedded data sets.

A walk through ``jaxfound.models``' classical side:

1. least squares with standard errors, confidence intervals and R² (diabetes);
2. a whole ridge regularisation path in one call, and a vmapped k-fold choice of alpha;
3. L2 logistic regression, binary (breast cancer) and multinomial (wine, digits);
4. kernel SVMs (linear, RBF, polynomial, sigmoid) on breast cancer, wine and digits,
   with scikit-learn's ``SVC`` alongside when it is installed;
5. a C × gamma × 5-fold SVM grid search as ONE vmapped, compiled call;
6. decision trees, their depth chosen by 5-fold CV in one compiled call (a traced
   ``depth_limit``), feature importances, a regression tree and a random forest;
7. gradient-boosted trees grown level-wise and best-first (``max_leaf_nodes``, as
   scikit-learn's ``HistGradientBoostingClassifier``, shown alongside when installed).

Every model is an estimator (`jaxfound.base.Estimator`): a constructor such as
``linear.ridge()`` or ``svm.svc(kernel="rbf")`` captures the static settings, ``est.fit(X, y,
sample_weight=None, **hyperparams)`` returns params and ``est.predict(params, X)`` predicts;
``jf.stats.grid_search`` and ``cross_validate`` take the estimator itself.

The data are scikit-learn's embedded sets (through ``jf.data.load_sklearn``), so there is no
``--data`` option. The output ends with one machine-readable line ``RESULT key=value ...``
(test accuracies / R² per model, the grid searches' best CV scores).

Run:  python examples/classical_models.py [--smoke] [--no-trees] [--out runs/classical_models]
(``--no-trees`` skips parts 6 and 7.)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np

import jaxfound as jf
from jaxfound.models import linear, svm, trees

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def split(name: str, seed: int = 0):
    """A stratified (classification) 75/25 split, standardised on the training part."""
    ds = jf.data.load_sklearn(name)
    strat = None if name == "diabetes" else ds.y
    Xtr, Xte, ytr, yte = jf.data.train_test_split(jax.random.key(seed), ds.x, ds.y,
                                                  test_size=0.25, stratify=strat)
    scaler = jf.data.standardize()
    state = scaler.fit(Xtr)
    return (np.asarray(scaler.transform(state, Xtr), np.float32),
            np.asarray(scaler.transform(state, Xte), np.float32), np.asarray(ytr),
            np.asarray(yte), ds)


def least_squares(results: dict):
    print("\n== 1. least squares with inference (diabetes) ==")
    Xtr, Xte, ytr, yte, ds = split("diabetes")
    ols = linear.ols()
    params = ols.fit(Xtr, ytr)
    inf = linear.inference(params, Xtr, ytr)
    print(f"{'term':>10} {'coef':>9} {'se':>8} {'95% CI':>22} {'p':>8}")
    names = ["intercept", *ds.feature_names]
    est = np.r_[params.intercept, params.coef]
    se = np.r_[inf.stderr.intercept, inf.stderr.coef]
    lo, hi = np.r_[inf.ci_low.intercept, inf.ci_low.coef], np.r_[inf.ci_high.intercept,
                                                                  inf.ci_high.coef]
    pv = np.r_[inf.p_value.intercept, inf.p_value.coef]
    for row in zip(names, est, se, lo, hi, pv):
        print(f"{row[0]:>10} {row[1]:9.2f} {row[2]:8.2f} [{row[3]:9.2f}, {row[4]:9.2f}] "
              f"{row[5]:8.2g}")
    pred = ols.predict(params, Xte)
    r2_test = float(jf.stats.r2_score(yte, pred))
    results["ols_diabetes_test_r2"] = r2_test
    print(f"train R² {float(inf.r2):.3f} (adjusted {float(inf.adj_r2):.3f}), test R² "
          f"{r2_test:.3f}")
    return Xtr, ytr, ds


def ridge(Xtr, ytr, ds, out: Path, smoke: bool, results: dict):
    print("\n== 2. ridge: the whole path, and alpha by vmapped 5-fold CV ==")
    alphas = jnp.logspace(-2, 4, 20 if smoke else 100)
    path = linear.ridge_path(Xtr, ytr, alphas)  # one eigendecomposition, all alphas
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogx(np.asarray(alphas), np.asarray(path.coef))
    ax.set(xlabel="alpha", ylabel="coefficient", title="ridge path (diabetes)")
    ax.legend(ds.feature_names, fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "ridge_path.png", dpi=100)
    plt.close(fig)
    folds = jf.data.kfold(jax.random.key(1), len(ytr), 5)
    res = jf.stats.grid_search(linear.ridge(), {"alpha": np.asarray(alphas)}, Xtr, ytr, folds,
                               metric=jf.stats.mse, greater_is_better=False)
    results["ridge_best_alpha"] = res.best_params["alpha"]
    results["ridge_cv_mse"] = res.best_score
    print(f"{len(alphas)} alphas x 5 folds in one call: best alpha "
          f"{res.best_params['alpha']:.3g}, CV MSE {res.best_score:.1f}; path plot in "
          f"{out / 'ridge_path.png'}")


def logistic(smoke: bool, results: dict):
    print("\n== 3. logistic regression (Newton, L2, C=1) ==")
    est = linear.logistic(C=1.0)
    for name in ["breast_cancer", "wine"] + ([] if smoke else ["digits"]):
        Xtr, Xte, ytr, yte, _ = split(name)
        params = est.fit(Xtr, ytr)
        acc = float(jf.stats.accuracy(yte, est.predict(params, Xte)))
        results[f"logistic_{name}_test_acc"] = acc
        print(f"{name:>14}: {params.coef.shape[1]} logit(s), test accuracy {acc:.4f}, "
              f"{int(params.info.n_iter)} Newton steps (converged: "
              f"{bool(params.info.converged)})" + _sk_logistic(Xtr, ytr, Xte, yte))


def _sk_logistic(Xtr, ytr, Xte, yte) -> str:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return ""
    ref = LogisticRegression(C=1.0, max_iter=1000).fit(Xtr, ytr)
    return f" (sklearn {ref.score(Xte, yte):.4f})"


def svms(out: Path, smoke: bool, results: dict):
    print("\n== 4. kernel SVMs (SMO in the dual, one-vs-one) ==")
    sets = ["wine"] if smoke else ["breast_cancer", "wine", "digits"]
    kernels = ["rbf"] if smoke else ["linear", "rbf", "poly", "sigmoid"]
    for name in sets:
        Xtr, Xte, ytr, yte, _ = split(name)
        for kernel in kernels:
            t = time.perf_counter()
            est = svm.svc(kernel=kernel, C=1.0)  # gamma="scale"
            params = est.fit(Xtr, ytr)
            pred = est.predict(params, Xte)
            acc = float(jf.stats.accuracy(yte, pred))
            results[f"svc_{kernel}_{name}_test_acc"] = acc
            print(f"{name:>14} {kernel:>8}: test accuracy {acc:.4f}, "
                  f"{int(np.sum(np.abs(np.asarray(params.dual_coef)) > 0))} support vectors "
                  f"over {len(params.pairs)} pair(s), {time.perf_counter() - t:.2f}s (with "
                  f"compilation)" + _sk_svc(Xtr, ytr, Xte, yte, est, params, Xte))
    _svm_boundary(out)


def _sk_svc(Xtr, ytr, Xte, yte, est, params, X) -> str:
    try:
        from sklearn.svm import SVC
    except ImportError:
        return ""
    ref = SVC(C=1.0, kernel=params.kernel, decision_function_shape="ovo").fit(Xtr, ytr)
    agree = np.mean(np.sign(np.asarray(est.decision_function(params, X)))
                    == np.sign(ref.decision_function(X)))
    return f"; sklearn SVC {ref.score(Xte, yte):.4f}, signs agree {100 * agree:.1f}%"


def _svm_boundary(out: Path):
    """An RBF SVM on two standardised wine features, its decision regions plotted."""
    Xtr, _, ytr, _, ds = split("wine")
    X2 = Xtr[:, [0, 9]]  # alcohol, colour intensity
    est = svm.svc(C=10.0, gamma=0.5)
    params = est.fit(X2, ytr)
    g = np.linspace(-3.5, 3.5, 150)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2).astype(np.float32)
    z = np.asarray(est.predict(params, grid)).reshape(150, 150)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(g, g, z, alpha=0.3, levels=[-0.5, 0.5, 1.5, 2.5], cmap="viridis")
    ax.scatter(X2[:, 0], X2[:, 1], c=ytr, s=12, cmap="viridis", edgecolors="k", linewidths=0.3)
    ax.set(xlabel=ds.feature_names[0], ylabel=ds.feature_names[9],
           title="RBF SVM (C=10, gamma=0.5), one-vs-one")
    fig.tight_layout()
    fig.savefig(out / "svm_wine_regions.png", dpi=100)
    plt.close(fig)
    print(f"decision regions plotted in {out / 'svm_wine_regions.png'}")


def grid_search(out: Path, smoke: bool, results: dict):
    print("\n== 5. SVM grid search: C x gamma x 5 folds in one compiled call ==")
    Xtr, Xte, ytr, yte, _ = split("wine")
    Cs = np.logspace(-1, 2, 2 if smoke else 6)
    gammas = np.logspace(-3, 0, 2 if smoke else 6)
    folds = jf.data.stratified_kfold(jax.random.key(2), ytr, 5)
    t = time.perf_counter()
    # the default metric of a classifier: accuracy
    res = jf.stats.grid_search(svm.svc(), {"C": Cs, "gamma": gammas}, Xtr, ytr, folds)
    took = time.perf_counter() - t
    best_est = svm.svc(**res.best_params)
    acc = float(jf.stats.accuracy(yte, best_est.predict(best_est.fit(Xtr, ytr), Xte)))
    results["grid_svc_wine_cv_acc"] = res.best_score
    results["grid_svc_wine_test_acc"] = acc
    results["grid_svc_wine_s"] = took
    print(f"{len(Cs) * len(gammas)} points x 5 folds = {len(Cs) * len(gammas) * 5} SVMs in "
          f"{took:.2f}s (with compilation); best C={res.best_params['C']:.3g}, "
          f"gamma={res.best_params['gamma']:.3g}, CV accuracy {res.best_score:.4f}, "
          f"test accuracy {acc:.4f}")
    fig, ax = plt.subplots(figsize=(5, 4))
    im = ax.imshow(np.asarray(res.mean).reshape(len(Cs), len(gammas)), origin="lower",
                   cmap="viridis")
    ax.set_xticks(range(len(gammas)), [f"{g:.0e}" for g in gammas], fontsize=7)
    ax.set_yticks(range(len(Cs)), [f"{c:.2g}" for c in Cs], fontsize=7)
    ax.set(xlabel="gamma", ylabel="C", title="5-fold CV accuracy (wine)")
    fig.colorbar(im)
    fig.tight_layout()
    fig.savefig(out / "svm_grid.png", dpi=100)
    plt.close(fig)


def trees_and_forests(out: Path, smoke: bool, results: dict):
    print("\n== 6. decision trees and a random forest (breast cancer, diabetes) ==")
    Xtr, Xte, ytr, yte, ds = split("breast_cancer")
    # the depth by 5-fold CV: one compiled fit with a traced depth_limit serves every depth
    layout = 3 if smoke else 8
    folds = jf.data.stratified_kfold(jax.random.key(3), ytr, 5)
    res = jf.stats.grid_search(trees.cart_classifier(max_depth=layout, n_classes=2),
                               {"depth_limit": np.arange(1, layout + 1)}, Xtr, ytr, folds)
    depth = int(res.best_params["depth_limit"])
    print("CV accuracy by depth: " + ", ".join(
        f"{d}: {100 * float(m):.1f}%" for d, m in zip(range(1, layout + 1), res.mean))
        + f" -> depth {depth}")
    cart = trees.cart_classifier(max_depth=depth)
    tree = cart.fit(Xtr, ytr)
    acc = float(jf.stats.accuracy(yte, cart.predict(tree, Xte)))
    results["cart_breast_cancer_cv_acc"] = res.best_score
    results["cart_breast_cancer_test_acc"] = acc
    imp = np.asarray(trees.feature_importances(tree))
    top = np.argsort(imp)[::-1][:3]
    print(f"CART depth {depth}: test accuracy {100 * acc:.1f}%; most important features: "
          + ", ".join(f"{ds.feature_names[i]} ({imp[i]:.2f})" for i in top))
    n_trees = 5 if smoke else 100
    fixed = 2 if smoke else 5  # the forest and the regression tree: a set depth
    rf = trees.forest_classifier(n_estimators=n_trees, max_depth=fixed)  # needs_key=True
    forest = rf.fit(Xtr, ytr, key=jax.random.key(0))
    acc_f = float(jf.stats.accuracy(yte, rf.predict(forest, Xte)))
    results["forest_breast_cancer_test_acc"] = acc_f
    print(f"random forest ({n_trees} trees of depth {fixed}, one compiled fit): test accuracy "
          f"{100 * acc_f:.1f}%")
    Xtr, Xte, ytr, yte, _ = split("diabetes")
    reg_est = trees.cart_regressor(max_depth=min(fixed, 3))
    reg = reg_est.fit(Xtr, ytr)
    r2 = float(jf.stats.r2_score(yte, reg_est.predict(reg, Xte)))
    results["tree_diabetes_test_r2"] = r2
    print(f"regression tree (diabetes, depth {min(fixed, 3)}): test R² {r2:.3f}")


def boosting(smoke: bool, results: dict):
    print("\n== 7. gradient-boosted trees (breast cancer): level-wise and best-first ==")
    Xtr, Xte, ytr, yte, _ = split("breast_cancer")
    iters = 10 if smoke else 100
    growths = {
        "level": dict(max_depth=3),  # every node of a level splits: up to 8 leaves
        "best_first": dict(max_depth=6, max_leaf_nodes=8),  # the 8 leaves of largest gain
    }
    for name, cfg in growths.items():
        est = trees.gbdt_classifier(max_iter=iters, **cfg)
        t0 = time.perf_counter()
        acc = float(jf.stats.accuracy(yte, est.predict(est.fit(Xtr, ytr), Xte)))
        results[f"gbdt_{name}_breast_cancer_test_acc"] = acc
        print(f"gbdt {name:10s} {cfg}: test accuracy {100 * acc:.1f}% "
              f"({time.perf_counter() - t0:.1f} s, compilation included)")
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        print("scikit-learn not installed: no HistGradientBoosting row")
        return
    hgb = HistGradientBoostingClassifier(max_iter=iters, max_leaf_nodes=8, max_depth=6,
                                         early_stopping=False).fit(Xtr, ytr)
    print(f"scikit-learn HistGradientBoosting, best-first, 8 leaves: test accuracy "
          f"{100 * hgb.score(Xte, yte):.1f}%")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    ap.add_argument("--no-trees", action="store_true",
                    help="skip parts 6 and 7 (trees, forests, boosting)")
    ap.add_argument("--out", type=Path, default=Path("runs/classical_models"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    Xtr, ytr, ds = least_squares(results)
    ridge(Xtr, ytr, ds, args.out, args.smoke, results)
    logistic(args.smoke, results)
    svms(args.out, args.smoke, results)
    grid_search(args.out, args.smoke, results)
    if not args.no_trees:
        trees_and_forests(args.out, args.smoke, results)
        boosting(args.smoke, results)
    print("RESULT " + " ".join(f"{k}={_fmt(v)}" for k, v in results.items()))
    return results


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    main()
