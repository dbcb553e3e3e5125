"""A data pipeline end to end: load, describe, clean, split, scale and encode, save, reload.

Run:  python examples/data_pipeline.py                 # writes and reads a CSV of customers
      python examples/data_pipeline.py --data my.csv   # your own CSV with the same columns
      python examples/data_pipeline.py --sklearn wine  # one of scikit-learn's data sets
      python examples/data_pipeline.py --smoke         # tiny, seconds

The data is generated, not read from ``../shared/data``: by default the script writes a
synthetic CSV of customers (``age,income,city,visits,spend``) and reads it back; ``--data``
reads an existing CSV with those columns instead, and ``--sklearn`` uses a data set bundled
with scikit-learn. Every cleaning step prints its report (what it changed); the
preprocessing is a fitted ``jf.data.columns``/``pipeline`` state learnt on the training split
only, saved with ``jf.data.save_state`` (no pickle), reloaded and re-applied to the test
split. Five-fold cross-validation of a ridge regression then runs as ONE ``jax.vmap`` over
fixed-shape fold masks. The last line, ``RESULT key=value ...``, holds the headline figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import jaxfound as jf


def write_customers_csv(path: Path, n: int, seed: int) -> None:
    """A synthetic CSV with the usual problems: gaps, text, outliers, duplicate rows."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 80, n).round(0)
    income = rng.lognormal(3.5, 0.4, n).round(2)
    city = rng.choice(["Oslo", "Rome", "Lima"], n)
    visits = rng.poisson(5, n)
    effect = {"Oslo": 10.0, "Rome": 0.0, "Lima": -5.0}
    spend = 0.5 * age + 2.0 * income + np.vectorize(effect.get)(city) + rng.normal(0, 5, n)
    income[rng.choice(n, max(1, n // 100), replace=False)] *= 50  # data-entry errors
    rows = [
        f"{a:g},{i:g},{c},{v},{s:.2f}" for a, i, c, v, s in zip(age, income, city, visits, spend)
    ]
    for j in rng.choice(n, n // 20, replace=False):  # 5% gaps in age, income or city
        cells = rows[j].split(",")
        cells[rng.integers(0, 3)] = rng.choice(["", "NA", "?"])
        rows[j] = ",".join(cells)
    rows += rows[: n // 50]  # duplicated records
    path.write_text("age,income,city,visits,spend\n" + "\n".join(rows) + "\n")


def ridge_cv(x: jax.Array, y: jax.Array, masks: jf.data.FoldMasks, lam: float = 1e-2):
    """RMSE of a ridge fit on each fold's training rows, all folds in one vmap."""

    def one_fold(w_train, w_test):
        xw = x * w_train[:, None]
        coef = jnp.linalg.solve(xw.T @ x + lam * jnp.eye(x.shape[1]), xw.T @ y)
        err = (x @ coef - y) ** 2
        return jnp.sqrt(jnp.sum(w_test * err) / jnp.sum(w_test))

    return jax.jit(jax.vmap(one_fold))(
        jnp.asarray(masks.train, x.dtype), jnp.asarray(masks.test, x.dtype)
    )


def customers(a, out: Path):
    if a.data is None:
        csv_path = out / "customers.csv"
        write_customers_csv(csv_path, a.n, a.seed)
    else:
        csv_path = Path(a.data)
    table = jf.data.load_csv(csv_path)
    print(jf.data.describe(table), "\n")

    # --- cleaning: every step says what it did --------------------------------------------
    table["city"] = np.where(table["city"] == "", "unknown", table["city"])
    numeric = np.stack([table[c] for c in ("age", "income", "visits", "spend")], axis=1)
    codes = np.unique(table["city"], return_inverse=True)[1].reshape(-1, 1)
    _, dup = jf.data.drop_duplicates(np.hstack([numeric, codes]))
    print(f"duplicates: dropped {dup.n_dropped} rows")
    table = {k: v[dup.kept] for k, v in table.items()}
    # a loose MAD rule (modified z-score > 6): catches the x50 entry errors, keeps the real tail
    _, out_r = jf.data.remove_outliers(table["income"], "mad", threshold=6.0)
    print(f"outliers (MAD, income): dropped {int((~out_r.kept).sum())} rows above "
          f"{float(out_r.upper):.1f}")
    table = {k: v[out_r.kept] for k, v in table.items()}
    miss = jf.data.find_missing(np.stack([table["age"], table["income"]], axis=1))
    print(f"missing: age {miss.n_nan[0]}, income {miss.n_nan[1]} (imputed inside the pipeline)")

    # --- split, then fit the preprocessing on the training rows only ------------------------
    y_all = table.pop("spend")
    train, val, test, y_tr, y_va, y_te = jf.data.train_val_test_split(
        jax.random.key(a.seed), table, y_all, val_size=0.15, test_size=0.15
    )
    prep = jf.data.columns(
        (["age", "income", "visits"], jf.data.pipeline(jf.data.imputer("median"),
                                                        jf.data.standardize())),
        ("city", jf.data.one_hot()),
    )
    state = prep.fit(train)
    x_tr = prep.transform(state, train)
    print(f"\nfeatures: {x_tr.shape[1]} columns (3 scaled + {x_tr.shape[1] - 3} one-hot cities); "
          f"train {len(y_tr)}, validation {len(y_va)}, test {len(y_te)} rows")

    # --- save, reload, re-apply to unseen data ---------------------------------------------
    state_path = out / "preprocessing.jxf"
    jf.data.save_state(state_path, state)
    reloaded = jf.data.load_state(state_path)
    x_te = prep.transform(reloaded, test)
    same = bool(jnp.array_equal(x_te, prep.transform(state, test)))
    print(f"saved {state_path.name} ({state_path.stat().st_size} bytes); reloaded state gives "
          f"identical test features: {same}")
    return x_tr, jnp.asarray(y_tr, x_tr.dtype), x_te, jnp.asarray(y_te, x_tr.dtype), same


def sklearn_set(a, out: Path):
    d = jf.data.load_sklearn(a.sklearn)
    print(jf.data.describe(d), "\n")
    x_tr, x_te, y_tr, y_te = jf.data.train_test_split(
        jax.random.key(a.seed), d.x, d.y.astype(np.float64), test_size=0.2,
        stratify=d.y if d.target_names else None,
    )
    prep = jf.data.pipeline(jf.data.robust_scale(), jf.data.polynomial(2, include_bias=True))
    state = prep.fit(x_tr)
    path = out / "preprocessing.jxf"
    jf.data.save_state(path, state)
    reloaded = jf.data.load_state(path)
    xt, xs = prep.transform(state, x_tr), prep.transform(reloaded, x_te)
    same = bool(jnp.array_equal(xs, prep.transform(state, x_te)))
    print(f"{a.sklearn}: {xt.shape[1]} polynomial features; reloaded state identical: {same}")
    return xt, jnp.asarray(y_tr, xt.dtype), xs, jnp.asarray(y_te, xt.dtype), same


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000, help="rows of the synthetic CSV")
    p.add_argument("--data", default=None,
                   help="read this customers CSV (columns age,income,city,visits,spend) "
                   "instead of writing a synthetic one")
    p.add_argument("--sklearn", default=None, choices=jf.data.SKLEARN_DATASETS,
                   help="use a scikit-learn data set instead of the CSV")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="tiny data, seconds")
    p.add_argument("--out", default="runs/data_pipeline")
    a = p.parse_args(argv)
    if a.smoke:
        a.n = 300
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    x_tr, y_tr, x_te, y_te, same = (sklearn_set if a.sklearn else customers)(a, out)

    masks = jf.data.fold_masks(jax.random.key(a.seed + 1), len(y_tr), 5)
    rmse = np.asarray(ridge_cv(x_tr, y_tr, masks))
    print("5-fold CV RMSE (one vmap over fold masks):", [round(float(r), 3) for r in rmse])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(np.arange(1, len(rmse) + 1), rmse)
    ax.set(xlabel="fold", ylabel="RMSE", title="ridge, 5-fold CV")
    fig.tight_layout()
    fig.savefig(out / "cv_rmse.png", dpi=100)
    plt.close(fig)
    print(f"wrote {out / 'cv_rmse.png'}")
    print(f"RESULT cv_rmse_mean={rmse.mean():.6g} cv_rmse_min={rmse.min():.6g} "
          f"cv_rmse_max={rmse.max():.6g} n_train={len(y_tr)} n_test={len(y_te)} "
          f"n_features={x_tr.shape[1]} reloaded_identical={int(same)}")
    return {"cv_rmse": rmse.tolist(), "reloaded_identical": same}


if __name__ == "__main__":
    main()
