"""Error analysis of two classifiers: fit, evaluate with bootstrap intervals, compare.

On scikit-learn's 8x8 digits (no download):

1. Model A, a ridge classifier (least squares on one-hot targets), with its penalty chosen
   by a 5-fold cross-validated grid search (one compiled vmap over folds x penalties);
   model B, a nearest-centroid classifier, cross-validated on the same folds.
2. On the held-out test set: accuracy and macro-F1 with BCa bootstrap intervals.
3. Are they different? McNemar's exact test and a paired bootstrap of the accuracy
   difference (the examples are resampled together, keeping the models' correlation).
4. Where does the better model fail? A per-class breakdown and its confusion matrix.

    python examples/error_analysis.py              # full run, ~1 minute on 2 CPU cores
    python examples/error_analysis.py --smoke      # seconds

The data is embedded: the digits ship with scikit-learn, so the script reads no file and
takes no ``--data``. The last line, ``RESULT key=value ...``, holds the headline figures:
each model's test accuracy and macro-F1 with their 95% BCa interval (``acc_a``,
``acc_a_low``, ``acc_a_high``, ``f1_a``, …), the accuracy difference A - B with its paired
bootstrap interval, and McNemar's p-value.
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import jaxfound as jf
from jaxfound.base import Estimator

N_CLASSES = 10


def ridge_fit(X, y, w, lam=1.0):
    """Weighted ridge regression on one-hot targets (with an unpenalised intercept)."""
    X1 = jnp.concatenate([jnp.ones((X.shape[0], 1), X.dtype), X], axis=1)
    Y = jax.nn.one_hot(y, N_CLASSES, dtype=X.dtype)
    penalty = lam * jnp.eye(X1.shape[1], dtype=X.dtype).at[0, 0].set(0.0)
    Xw = X1 * w[:, None]
    return jnp.linalg.solve(Xw.T @ X1 + penalty, Xw.T @ Y)


def ridge_predict(W, X):
    return jnp.concatenate([jnp.ones((X.shape[0], 1), X.dtype), X], axis=1) @ W


def centroid_fit(X, y, w):
    """Class means of the weighted training rows."""
    Y = jax.nn.one_hot(y, N_CLASSES, dtype=X.dtype) * w[:, None]
    return (Y.T @ X) / jnp.maximum(Y.sum(0), 1e-12)[:, None]


def centroid_predict(C, X):
    return -jnp.sum((X[:, None, :] - C[None]) ** 2, axis=-1)  # scores: minus squared distance


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    ap.add_argument("--out", default="runs/error_analysis", help="folder for the PNGs")
    ap.add_argument("--resamples", type=int, default=10_000)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n_resamples = 500 if args.smoke else args.resamples

    x, y = jf.data.load_digits()
    if args.smoke:
        x, y = x[:500], y[:500]
    key = jax.random.key(0)
    x_tr, x_te, y_tr, y_te = jf.data.train_test_split(key, x, y, test_size=0.3)
    print(f"digits: {len(y_tr)} training and {len(y_te)} test images, {N_CLASSES} classes")

    # 1. model selection and fitting --------------------------------------------------------
    masks = jf.data.fold_masks(jax.random.key(1), len(y_tr), 5, stratify=y_tr)
    lams = np.logspace(-3, 2, 6 if args.smoke else 11)
    # the two models as estimators (jaxfound.base.Estimator), for grid_search/cross_validate
    model_a = Estimator(fit=lambda X, y, *, sample_weight, lam=1.0: ridge_fit(X, y, sample_weight,
                                                                              lam),
                        predict=ridge_predict, is_classifier=True, name="ridge classifier")
    model_b = Estimator(fit=lambda X, y, *, sample_weight: centroid_fit(X, y, sample_weight),
                        predict=centroid_predict, is_classifier=True, name="nearest centroid")
    gs = jf.stats.grid_search(model_a, {"lam": lams}, x_tr, y_tr, masks,
                              metric=jf.stats.accuracy)
    for lam, m, s in zip(gs.params["lam"], gs.mean, gs.std):
        print(f"  ridge lam={lam:9.4f}: CV accuracy {float(m):.4f} ± {float(s):.4f}")
    lam = gs.best_params["lam"]
    cv_b = jf.stats.cross_validate(model_b, x_tr, y_tr, masks, metric=jf.stats.accuracy)
    print(f"model A (ridge, lam={lam:.4g}): CV accuracy {gs.best_score:.4f}")
    print(f"model B (nearest centroid): CV accuracy {float(cv_b.mean):.4f} "
          f"± {float(cv_b.std):.4f}")
    ones = jnp.ones(len(y_tr), jnp.float32)
    scores_a = ridge_predict(ridge_fit(x_tr, y_tr, ones, lam), x_te)
    scores_b = centroid_predict(centroid_fit(x_tr, y_tr, ones), x_te)
    pred_a, pred_b = jnp.argmax(scores_a, 1), jnp.argmax(scores_b, 1)

    # 2. test-set metrics with BCa intervals ------------------------------------------------
    macro_f1 = partial(jf.stats.f1_score, n_classes=N_CLASSES, average="macro")
    result = {}
    for name, pred in (("A", pred_a), ("B", pred_b)):
        for mname, metric in (("accuracy", jf.stats.accuracy), ("macro-F1", macro_f1)):
            ci = jf.stats.bootstrap(jax.random.key(2), metric, (y_te, pred),
                                    n_resamples=n_resamples)
            print(f"model {name} test {mname}: {float(ci.estimate):.4f}  95% BCa CI "
                  f"[{float(ci.low):.4f}, {float(ci.high):.4f}]")
            k = f"{'acc' if mname == 'accuracy' else 'f1'}_{name.lower()}"
            result |= {k: ci.estimate, f"{k}_low": ci.low, f"{k}_high": ci.high}

    # 3. statistical comparison on the same test examples -----------------------------------
    mc = jf.stats.mcnemar(y_te, pred_a, pred_b)
    print(f"McNemar exact: A right/B wrong = {int(mc.b)}, A wrong/B right = {int(mc.c)}, "
          f"p = {float(mc.pvalue):.3g}")
    diff = jf.stats.paired_bootstrap(jax.random.key(3), jf.stats.accuracy, y_te, pred_a, pred_b,
                                     n_resamples=n_resamples)
    print(f"accuracy difference A - B: {float(diff.difference):+.4f}  95% CI "
          f"[{float(diff.low):+.4f}, {float(diff.high):+.4f}], bootstrap p = "
          f"{float(diff.pvalue):.3g}")
    result |= {"acc_diff": diff.difference, "acc_diff_low": diff.low,
               "acc_diff_high": diff.high, "mcnemar_p": mc.pvalue}
    better = "A" if float(diff.difference) >= 0 else "B"
    verdict = "significantly" if float(diff.low) > 0 or float(diff.high) < 0 else "not clearly"
    print(f"model {better} is {verdict} better at the 5% level")

    # 4. where does the better model fail? --------------------------------------------------
    pred = pred_a if better == "A" else pred_b
    rep = jf.stats.per_class_report(y_te, pred, N_CLASSES)
    print("class  support  precision  recall     f1  most confused with")
    for c in range(N_CLASSES):
        mc_c = int(rep.most_confused_with[c])
        print(f"{c:5d} {int(rep.support[c]):8d} {float(rep.precision[c]):10.3f} "
              f"{float(rep.recall[c]):7.3f} {float(rep.f1[c]):6.3f}  "
              f"{mc_c if mc_c >= 0 else '-'}")
    worst = int(jnp.argmax(rep.error_rate))
    print(f"hardest class: {worst} ({float(rep.error_rate[worst]):.1%} misclassified)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    im = ax1.imshow(np.asarray(rep.confusion), cmap="Blues")
    ax1.set(title=f"model {better}: confusion matrix", xlabel="predicted", ylabel="true",
            xticks=range(N_CLASSES), yticks=range(N_CLASSES))
    fig.colorbar(im, ax=ax1)
    ax2.hist(np.asarray(diff.distribution), bins=40, color="0.6")
    for v in (diff.low, diff.high):
        ax2.axvline(float(v), color="C3", ls="--")
    ax2.axvline(0.0, color="k")
    ax2.set(title="paired bootstrap: accuracy A - B", xlabel="difference")
    fig.tight_layout()
    fig.savefig(out / "error_analysis.png", dpi=120)
    plt.close(fig)
    print(f"figure: {out / 'error_analysis.png'}")
    result |= {"lam_a": lam, "n_test": len(y_te)}
    print("RESULT " + " ".join(f"{k}={float(v):.6g}" for k, v in result.items()))
    return result


if __name__ == "__main__":
    main()
