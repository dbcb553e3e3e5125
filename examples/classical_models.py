"""Classical models as pure JAX functions, on scikit-learn's embedded data sets.

A walk through ``jaxfound.models``' classical side:

1. least squares with standard errors, confidence intervals and R² (diabetes);
2. a whole ridge regularisation path in one call, and a vmapped k-fold choice of alpha;
3. L2 logistic regression, binary (breast cancer) and multinomial (wine, digits);
4. kernel SVMs (linear, RBF, polynomial, sigmoid) on breast cancer, wine and digits,
   with scikit-learn's ``SVC`` alongside when it is installed;
5. a C × gamma × 5-fold SVM grid search as ONE vmapped, compiled call;
6. decision trees, their depth chosen by 5-fold CV in one compiled call (a traced
   ``depth_limit``), feature importances, a regression tree and a random forest.

Run:  python examples/classical_models.py [--smoke] [--out runs/classical_models]
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


def least_squares():
    print("\n== 1. least squares with inference (diabetes) ==")
    Xtr, Xte, ytr, yte, ds = split("diabetes")
    params = linear.fit_ols(Xtr, ytr)
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
    pred = linear.predict(params, Xte)
    r2_test = float(jf.stats.r2_score(yte, pred))
    print(f"train R² {float(inf.r2):.3f} (adjusted {float(inf.adj_r2):.3f}), test R² "
          f"{r2_test:.3f}")
    return Xtr, ytr, ds


def ridge(Xtr, ytr, ds, out: Path, smoke: bool):
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
    fit = lambda X, y, w, alpha: linear.fit_ridge(X, y, alpha, sample_weight=w)
    res = jf.stats.grid_search(fit, linear.predict, jf.stats.mse, Xtr, ytr,
                               {"alpha": np.asarray(alphas)}, folds, greater_is_better=False)
    print(f"{len(alphas)} alphas x 5 folds in one call: best alpha "
          f"{res.best_params['alpha']:.3g}, CV MSE {res.best_score:.1f}; path plot in "
          f"{out / 'ridge_path.png'}")


def logistic(smoke: bool):
    print("\n== 3. logistic regression (Newton, L2, C=1) ==")
    for name in ["breast_cancer", "wine"] + ([] if smoke else ["digits"]):
        Xtr, Xte, ytr, yte, _ = split(name)
        params = linear.fit_logistic(Xtr, ytr, C=1.0)
        acc = float(jf.stats.accuracy(yte, linear.logistic_predict(params, Xte)))
        print(f"{name:>14}: {params.coef.shape[1]} logit(s), test accuracy {acc:.4f}"
              + _sk_logistic(Xtr, ytr, Xte, yte))


def _sk_logistic(Xtr, ytr, Xte, yte) -> str:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return ""
    ref = LogisticRegression(C=1.0, max_iter=1000).fit(Xtr, ytr)
    return f" (sklearn {ref.score(Xte, yte):.4f})"


def svms(out: Path, smoke: bool):
    print("\n== 4. kernel SVMs (SMO in the dual, one-vs-one) ==")
    sets = ["wine"] if smoke else ["breast_cancer", "wine", "digits"]
    kernels = ["rbf"] if smoke else ["linear", "rbf", "poly", "sigmoid"]
    for name in sets:
        Xtr, Xte, ytr, yte, _ = split(name)
        for kernel in kernels:
            t = time.perf_counter()
            params = svm.fit(Xtr, ytr, C=1.0, kernel=kernel)  # gamma="scale"
            pred = svm.predict(params, Xte)
            acc = float(jf.stats.accuracy(yte, pred))
            print(f"{name:>14} {kernel:>8}: test accuracy {acc:.4f}, "
                  f"{int(np.sum(np.abs(np.asarray(params.dual_coef)) > 0))} support vectors "
                  f"over {len(params.pairs)} pair(s), {time.perf_counter() - t:.2f}s (with "
                  f"compilation)" + _sk_svc(Xtr, ytr, Xte, yte, kernel, params, Xte))
    _svm_boundary(out)


def _sk_svc(Xtr, ytr, Xte, yte, kernel, params, X) -> str:
    try:
        from sklearn.svm import SVC
    except ImportError:
        return ""
    ref = SVC(C=1.0, kernel=kernel, decision_function_shape="ovo").fit(Xtr, ytr)
    agree = np.mean(np.sign(np.asarray(svm.decision_function(params, X)))
                    == np.sign(ref.decision_function(X)))
    return f"; sklearn SVC {ref.score(Xte, yte):.4f}, signs agree {100 * agree:.1f}%"


def _svm_boundary(out: Path):
    """An RBF SVM on two standardised wine features, its decision regions plotted."""
    Xtr, _, ytr, _, ds = split("wine")
    X2 = Xtr[:, [0, 9]]  # alcohol, colour intensity
    params = svm.fit(X2, ytr, C=10.0, gamma=0.5)
    g = np.linspace(-3.5, 3.5, 150)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2).astype(np.float32)
    z = np.asarray(svm.predict(params, grid)).reshape(150, 150)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(g, g, z, alpha=0.3, levels=[-0.5, 0.5, 1.5, 2.5], cmap="viridis")
    ax.scatter(X2[:, 0], X2[:, 1], c=ytr, s=12, cmap="viridis", edgecolors="k", linewidths=0.3)
    ax.set(xlabel=ds.feature_names[0], ylabel=ds.feature_names[9],
           title="RBF SVM (C=10, gamma=0.5), one-vs-one")
    fig.tight_layout()
    fig.savefig(out / "svm_wine_regions.png", dpi=100)
    plt.close(fig)
    print(f"decision regions plotted in {out / 'svm_wine_regions.png'}")


def grid_search(out: Path, smoke: bool):
    print("\n== 5. SVM grid search: C x gamma x 5 folds in one compiled call ==")
    Xtr, Xte, ytr, yte, _ = split("wine")
    Cs = np.logspace(-1, 2, 2 if smoke else 6)
    gammas = np.logspace(-3, 0, 2 if smoke else 6)
    folds = jf.data.stratified_kfold(jax.random.key(2), ytr, 5)
    fit = lambda X, y, w, C, gamma: svm.fit(X, y, C=C, gamma=gamma, sample_weight=w)
    t = time.perf_counter()
    res = jf.stats.grid_search(fit, svm.predict, jf.stats.accuracy, Xtr, ytr,
                               {"C": Cs, "gamma": gammas}, folds)
    took = time.perf_counter() - t
    best = svm.fit(Xtr, ytr, **res.best_params)
    acc = float(jf.stats.accuracy(yte, svm.predict(best, Xte)))
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


# ============================================================================================
# Part B: decision trees, random forests, soft tree, matrix factorisation — section to come.
# ============================================================================================


def trees_and_forests(out: Path, smoke: bool):
    print("\n== 6. decision trees and a random forest (breast cancer, diabetes) ==")
    Xtr, Xte, ytr, yte, ds = split("breast_cancer")
    # the depth by 5-fold CV: one compiled fit with a traced depth_limit serves every depth
    layout = 3 if smoke else 8
    folds = jf.data.stratified_kfold(jax.random.key(3), ytr, 5)
    fit = lambda X, y, w, depth: trees.fit_classifier(X, y, max_depth=layout, n_classes=2,
                                                      sample_weight=w, depth_limit=depth)
    res = jf.stats.grid_search(fit, trees.predict, jf.stats.accuracy, Xtr, ytr,
                               {"depth": np.arange(1, layout + 1)}, folds)
    depth = int(res.best_params["depth"])
    print("CV accuracy by depth: " + ", ".join(
        f"{d}: {100 * float(m):.1f}%" for d, m in zip(range(1, layout + 1), res.mean))
        + f" -> depth {depth}")
    tree = trees.fit_classifier(Xtr, ytr, max_depth=depth)
    acc = float(jf.stats.accuracy(yte, trees.predict(tree, Xte)))
    imp = np.asarray(trees.feature_importances(tree))
    top = np.argsort(imp)[::-1][:3]
    print(f"CART depth {depth}: test accuracy {100 * acc:.1f}%; most important features: "
          + ", ".join(f"{ds.feature_names[i]} ({imp[i]:.2f})" for i in top))
    n_trees = 5 if smoke else 100
    fixed = 2 if smoke else 5  # the forest and the regression tree: a set depth
    forest = trees.fit_forest_classifier(Xtr, ytr, n_estimators=n_trees, max_depth=fixed,
                                         key=jax.random.key(0))
    acc_f = float(jf.stats.accuracy(yte, trees.predict(forest, Xte)))
    print(f"random forest ({n_trees} trees of depth {fixed}, one compiled fit): test accuracy "
          f"{100 * acc_f:.1f}%")
    Xtr, Xte, ytr, yte, _ = split("diabetes")
    reg = trees.fit_regressor(Xtr, ytr, max_depth=min(fixed, 3))
    r2 = float(jf.stats.r2_score(yte, trees.predict(reg, Xte)))
    print(f"regression tree (diabetes, depth {min(fixed, 3)}): test R² {r2:.3f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    ap.add_argument("--out", type=Path, default=Path("runs/classical_models"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    Xtr, ytr, ds = least_squares()
    ridge(Xtr, ytr, ds, args.out, args.smoke)
    logistic(args.smoke)
    svms(args.out, args.smoke)
    grid_search(args.out, args.smoke)
    trees_and_forests(args.out, args.smoke)


if __name__ == "__main__":
    main()
