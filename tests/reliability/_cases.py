"""The bad-input table of the barrage: ``(id, call, exception class, argument regex)``.

Every call gets one bad input at a public entry point; the barrage asserts the
`jaxfound.errors` class and that the message names the argument (the regex).
Inputs are tiny, and almost every check runs before anything is compiled.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxfound as jf
from jaxfound import errors as E

D, S, T, P = jf.data, jf.stats, jf.train, jf.physics
L, SVM, TR, RS = jf.models.linear, jf.models.svm, jf.models.trees, jf.models.recsys


class Case(NamedTuple):
    id: str
    call: Callable[[], Any]
    exc: type
    names: str  # regex the message must contain (the argument's name)


rng = np.random.default_rng(0)
X = rng.normal(size=(12, 3)).astype(np.float32)
Y = X @ np.array([1.0, -2.0, 0.5], np.float32)
LAB = (np.arange(12) % 2).astype(np.int32)
XN = X.copy()
XN[2, 1] = np.nan
XI = X.copy()
XI[0, 0] = np.inf
K = jax.random.key(0)
TMP = tempfile.mkdtemp(prefix="jf-barrage-")

NET = jf.models.MLP((4, 2))
PARAMS = NET.init(K, X[:1])
CE = lambda y, out: optax.losses.softmax_cross_entropy_with_integer_labels(out, y)  # noqa: E731
LOSS = jf.losses.supervised(NET, CE)
STATE = T.TrainState.create(PARAMS, optax.sgd(0.1), key=jax.random.key(1))
STATE_NOKEY = T.TrainState.create(PARAMS, optax.sgd(0.1))
MSE = lambda p, b, k: (jnp.mean((b[0] @ p - b[1]) ** 2), {})  # noqa: E731
LSTATE = T.TrainState.create(jnp.zeros(3), optax.sgd(0.1), key=jax.random.key(2))
NOP = dict(progress=False)


def _file(name: str, content: bytes) -> str:
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(content)
    return path


CKPT = os.path.join(TMP, "state.jxf")
T.save_checkpoint(CKPT, STATE)
CKPT_NOKEY = os.path.join(TMP, "state_nokey.jxf")
T.save_checkpoint(CKPT_NOKEY, STATE_NOKEY)
W32 = os.path.join(TMP, "w.jxf")
T.save_checkpoint(W32, {"w": np.ones(2, np.float32)})
RANDOM = _file("random.bin", np.random.default_rng(1).bytes(300))
PICKLE = _file("obj.pkl", b"\x80\x04\x95" + b"\x00" * 40)
NPZ_OBJ = os.path.join(TMP, "obj.npz")
np.savez(NPZ_OBJ, a=np.array([{"a": 1}], dtype=object))
NPZ_OK = os.path.join(TMP, "ok.npz")
np.savez(NPZ_OK, a=np.arange(3))
RAGGED_CSV = _file("ragged.csv", b"a,b\n1,2\n3\n")
STD_STATE = D.standardize().fit(X)
PIPE = D.pipeline(D.standardize(), D.min_max())
PIPE_STATE = PIPE.fit(X)
RIDGE = L.ridge(alpha=1.0)
RIDGE_FIT = RIDGE.fit(X, Y)
MF = RS.MatrixFactorization(n_users=4, n_items=5, dim=2)
MF_PARAMS = MF.init(K, jnp.zeros((1, 2), int))
NET2 = jf.models.MLP((4, 1))
PARAMS2 = NET2.init(K, jnp.zeros((1, 2)))
U = P.field(NET2)
GEOM = P.Rectangle((0.0, 0.0), (1.0, 1.0))


def mf_ratings(users, items, ratings=None):
    n = len(users)
    r = np.ones(n, np.float32) if ratings is None else ratings
    return (np.asarray(users), np.asarray(items), r)


CASES: list[Case] = []


def case(id: str, exc: type, names: str):
    def add(fn):
        CASES.append(Case(id, fn, exc, names))
        return fn

    return add


def table(exc: type, names: str, **calls):
    for id, fn in calls.items():
        CASES.append(Case(id, fn, exc, names))


# --- train.fit: arguments --------------------------------------------------------------
V = E.ValidationError
table(
    V,
    "epochs",
    fit_epochs_float=lambda: T.fit(STATE, LOSS, (X, LAB), epochs=2.5, **NOP),
    fit_epochs_zero=lambda: T.fit(STATE, LOSS, (X, LAB), epochs=0, **NOP),
    fit_epochs_str=lambda: T.fit(STATE, LOSS, (X, LAB), epochs="3", **NOP),
    fit_epochs_bool=lambda: T.fit(STATE, LOSS, (X, LAB), epochs=True, **NOP),
    fit_epochs_with_sampler=lambda: T.fit(
        STATE, MSE, T.Sampler(lambda k, p, b, i: (X, Y)), epochs=2, steps=3, **NOP
    ),
)
table(
    V,
    "batch_size",
    fit_bs_zero=lambda: T.fit(STATE, LOSS, (X, LAB), batch_size=0, **NOP),
    fit_bs_negative=lambda: T.fit(STATE, LOSS, (X, LAB), batch_size=-4, **NOP),
    fit_bs_float=lambda: T.fit(STATE, LOSS, (X, LAB), batch_size=4.0, **NOP),
    fit_bs_iterable=lambda: T.fit(STATE, LOSS, [(X, LAB)], batch_size=4, **NOP),
    fit_bs_none_data=lambda: T.fit(STATE, MSE, None, steps=2, batch_size=4, **NOP),
)
table(
    V,
    "steps_per_call",
    fit_spc_negative=lambda: T.fit(STATE, LOSS, (X, LAB), steps_per_call=-1, **NOP),
    fit_spc_zero=lambda: T.fit(STATE, LOSS, (X, LAB), steps_per_call=0, **NOP),
    fit_spc_iterable=lambda: T.fit(STATE, LOSS, [(X, LAB)], steps_per_call=2, **NOP),
)
table(
    V,
    "steps",
    fit_steps_zero=lambda: T.fit(STATE, MSE, None, steps=0, **NOP),
    fit_steps_missing=lambda: T.fit(STATE, MSE, None, **NOP),
    fit_steps_with_arrays=lambda: T.fit(STATE, LOSS, (X, LAB), steps=5, **NOP),
    fit_steps_float=lambda: T.fit(STATE, MSE, None, steps=1.5, **NOP),
)
table(V, "unroll", fit_unroll_zero=lambda: T.fit(STATE, LOSS, (X, LAB), unroll=0, **NOP))
table(
    V, "eval_batch_size", fit_eval_bs=lambda: T.fit(STATE, LOSS, (X, LAB), eval_batch_size=0, **NOP)
)
table(
    V,
    "state",
    fit_params_dict=lambda: T.fit(PARAMS, LOSS, (X, LAB), **NOP),
    fit_state_none=lambda: T.fit(None, LOSS, (X, LAB), **NOP),
)
table(
    V,
    "loss",
    fit_loss_not_callable=lambda: T.fit(STATE, 42, (X, LAB), **NOP),
    fit_loss_missing_key=lambda: T.fit(
        STATE, lambda p, b, k: (jnp.sum(p["nokey"]), {}), (X, LAB), **NOP
    ),
    fit_float_labels=lambda: T.fit(STATE, LOSS, (X, LAB.astype(np.float32)), **NOP),
    fit_labels_column=lambda: T.fit(STATE, LOSS, (X, LAB[:, None]), **NOP),
    fit_loss_vector=lambda: T.fit(STATE, lambda p, b, k: b[0][:, 0], (X, LAB), **NOP),
    fit_loss_bare_scalar=lambda: T.fit(STATE, lambda p, b, k: jnp.sum(b[0]), (X, LAB), **NOP),
    fit_loss_aux_not_dict=lambda: T.fit(
        STATE, lambda p, b, k: (jnp.sum(b[0]), 3.0), (X, LAB), **NOP
    ),
    fit_loss_int_value=lambda: T.fit(STATE, lambda p, b, k: (jnp.sum(b[1]), {}), (X, LAB), **NOP),
    fit_none_loss_fails=lambda: T.fit(
        STATE, lambda p, b, k: (b[0].sum(), {}), None, steps=2, **NOP
    ),
)
table(V, r"data.*tuple", fit_data_list=lambda: T.fit(STATE, LOSS, [X, LAB], **NOP))
table(
    V,
    "key",
    fit_key_int=lambda: T.fit(STATE, LOSS, (X, LAB), key=0, **NOP),
    fit_no_key_to_shuffle=lambda: T.fit(STATE_NOKEY, LOSS, (X, LAB), **NOP),
    fit_key_no_shuffle=lambda: T.fit(STATE, LOSS, (X, LAB), shuffle=False, key=K, **NOP),
    fit_key_none_data=lambda: T.fit(STATE, MSE, None, steps=1, key=K, **NOP),
)
table(
    V,
    "Sampler.every",
    fit_sampler_every=lambda: T.fit(
        STATE, MSE, T.Sampler(lambda k, p, b, i: (X, Y), every=0), steps=2, **NOP
    ),
)
table(
    E.NonFiniteError,
    r"data\[0\]",
    fit_nan_x=lambda: T.fit(STATE, LOSS, (XN, LAB), **NOP),
    fit_inf_x=lambda: T.fit(STATE, LOSS, (XI, LAB), **NOP),
)
table(
    E.NonFiniteError,
    r"data\[1\]\[0\]",
    fit_nan_in_list=lambda: T.fit(STATE, LOSS, [(X, LAB), (XN, LAB)], **NOP),
)
table(
    E.NonFiniteError,
    r"validation\[0\]",
    fit_nan_validation=lambda: T.fit(STATE, LOSS, (X, LAB), validation=(XN, LAB), **NOP),
)
table(E.ShapeError, "rows", fit_rows_mismatch=lambda: T.fit(STATE, LOSS, (X, LAB[:5]), **NOP))
table(
    E.ShapeError,
    r"data\[0\]",
    fit_wrong_features=lambda: T.fit(STATE, LOSS, (X[:, :2], LAB), **NOP),
)
table(
    E.EmptyDataError,
    "data",
    fit_empty_rows=lambda: T.fit(STATE, LOSS, (X[:0], LAB[:0]), **NOP),
    fit_empty_list=lambda: T.fit(STATE, LOSS, [], **NOP),
)
table(
    E.LabelError,
    r"data\[1\]",
    fit_label_too_big=lambda: T.fit(STATE, LOSS, (X, LAB + 2), **NOP),
    fit_label_negative=lambda: T.fit(STATE, LOSS, (X, LAB - 1), **NOP),
)
table(
    E.DTypeError, r"data\[0\]", fit_string_x=lambda: T.fit(STATE, LOSS, (X.astype(str), LAB), **NOP)
)
table(
    V, "epochs", fit_one_shot_iterator=lambda: T.fit(STATE, LOSS, iter([(X, LAB)]), epochs=2, **NOP)
)

# --- train.evaluate ------------------------------------------------------------------
table(
    V,
    "batch_size",
    eval_bs_zero=lambda: T.evaluate(STATE, LOSS, (X, LAB), batch_size=0),
    eval_bs_negative=lambda: T.evaluate(STATE, LOSS, (X, LAB), batch_size=-4),
    eval_bs_float=lambda: T.evaluate(STATE, LOSS, (X, LAB), batch_size=2.5),
)
table(E.NonFiniteError, r"data\[0\]", eval_nan=lambda: T.evaluate(STATE, LOSS, (XN, LAB)))
table(E.LabelError, r"data\[1\]", eval_labels=lambda: T.evaluate(STATE, LOSS, (X, LAB + 5)))
table(E.ShapeError, "rows", eval_rows=lambda: T.evaluate(STATE, LOSS, (X, LAB[:3])))
table(E.EmptyDataError, "iterable", eval_empty_iter=lambda: T.evaluate(STATE, LOSS, []))
table(
    V,
    "loss",
    eval_vector_loss=lambda: T.evaluate(STATE, lambda p, b, k: b[0], (X, LAB)),
    eval_not_callable=lambda: T.evaluate(STATE, "mse", (X, LAB)),
)
table(
    V,
    "stateful",
    eval_stateful_no_state=lambda: T.evaluate(
        PARAMS, jf.losses.Loss(lambda p, b, k, m: (0.0, {}, m), stateful=True), (X, LAB)
    ),
)

# --- callbacks, checkpoints ------------------------------------------------------------
table(
    V,
    "every",
    ckpt_every_zero=lambda: T.Checkpoint(TMP, every=0),
    ckpt_every_float=lambda: T.Checkpoint(TMP, every=1.5),
)
table(
    V,
    "keep",
    ckpt_keep_zero=lambda: T.Checkpoint(TMP, keep=0),
    ckpt_keep_negative=lambda: T.Checkpoint(TMP, keep=-1),
)
table(V, "seconds", timelimit_zero=lambda: T.TimeLimit(0))
table(
    E.CheckpointError,
    r"nope\.jxf.*check the path",
    restore_missing=lambda: T.restore_checkpoint(os.path.join(TMP, "nope.jxf"), STATE),
)
table(E.CheckpointError, r"random\.bin", restore_random=lambda: T.restore_checkpoint(RANDOM, STATE))
table(E.CheckpointError, r"pickle", restore_pickle=lambda: T.restore_checkpoint(PICKLE, STATE))
table(E.CheckpointError, r"zip", restore_npz=lambda: T.restore_checkpoint(NPZ_OK, STATE))
table(
    E.CheckpointError,
    r"\.key",
    restore_key_to_none=lambda: T.restore_checkpoint(CKPT, STATE_NOKEY),
    restore_none_to_key=lambda: T.restore_checkpoint(CKPT_NOKEY, STATE),
)
table(
    E.CheckpointError,
    r"\['w'\]",
    restore_into_int=lambda: T.restore_checkpoint(W32, {"w": np.zeros(2, np.int32)}),
    restore_wrong_shape=lambda: T.restore_checkpoint(W32, {"w": np.zeros(3, np.float32)}),
)
table(
    E.CheckpointError,
    "structure",
    restore_wrong_tree=lambda: T.restore_checkpoint(W32, {"v": np.zeros(2, np.float32)}),
)
table(
    E.CheckpointError,
    "pickle",
    save_object_leaf=lambda: T.save_checkpoint(
        os.path.join(TMP, "o.jxf"), {"a": np.array([object()], dtype=object)}
    ),
)


@case("restore_truncated", E.CheckpointError, "truncated")
def _restore_truncated():
    blob = open(CKPT, "rb").read()
    return T.restore_checkpoint(_file("trunc.jxf", blob[: len(blob) // 2]), STATE)


@case("restore_flipped_byte", E.CheckpointError, "checksum")
def _restore_flipped():
    blob = bytearray(open(CKPT, "rb").read())
    blob[-3] ^= 0xFF
    return T.restore_checkpoint(_file("flip.jxf", bytes(blob)), STATE)


# --- data: files -----------------------------------------------------------------------
F = E.DataFormatError
table(F, r"no\.npz.*check the path", npz_missing=lambda: D.load_npz(os.path.join(TMP, "no.npz")))
table(F, r"random\.bin.*not an \.npz", npz_random=lambda: D.load_npz(RANDOM))
table(F, "pickle", npz_object=lambda: D.load_npz(NPZ_OBJ))
table(F, r"no entries", npz_missing_key=lambda: D.load_npz(NPZ_OK, keys=["b"]))
table(
    E.DTypeError,
    "entry",
    save_npz_object=lambda: D.save_npz(
        os.path.join(TMP, "s.npz"), {"a": np.array([object()], dtype=object)}
    ),
)
table(F, r"no\.csv.*check the path", csv_missing=lambda: D.load_csv(os.path.join(TMP, "no.csv")))
table(F, r"ragged\.csv|row", csv_ragged=lambda: D.load_csv(RAGGED_CSV))
table(E.CheckpointError, r"random\.bin", load_state_random=lambda: D.load_state(RANDOM))
table(
    E.CheckpointError,
    r"missing\.state",
    load_state_missing=lambda: D.load_state(os.path.join(TMP, "missing.state")),
)
table(
    E.CheckpointError,
    "bad header|not a file",
    state_from_bytes=lambda: D.state_from_bytes(b"garbage"),
)
table(F, r"random\.bin", read_idx_random=lambda: D.read_idx(RANDOM))
table(F, "does not exist", mnist_missing=lambda: D.load_mnist(TMP, download=False))
table(
    V,
    r"mirrors\[0\]",
    mnist_http=lambda: D.load_mnist(cache_dir=TMP, mirrors=("http://example.com/",)),
    mnist_ftp=lambda: D.load_mnist(cache_dir=TMP, mirrors=("ftp://example.com/",)),
)
table(V, "mirrors", mnist_str=lambda: D.load_mnist(cache_dir=TMP, mirrors="https://x.org/"))

# --- data: batching, splitting ----------------------------------------------------------
table(
    V,
    "batch_size",
    batches_zero=lambda: list(D.batches(K, (X, Y), batch_size=0)),
    batches_negative=lambda: list(D.batches(K, (X, Y), batch_size=-1)),
    batches_float=lambda: list(D.batches(K, (X, Y), batch_size=2.5)),
)
table(E.ShapeError, "rows", batches_rows=lambda: list(D.batches(K, (X, Y[:3]), batch_size=2)))
table(
    V,
    "test_size",
    tts_fraction=lambda: D.train_test_split(K, X, test_size=1.5),
    tts_zero=lambda: D.train_test_split(K, X, test_size=0),
    tts_all=lambda: D.train_test_split(K, X, test_size=12),
    tts_str=lambda: D.train_test_split(K, X, test_size="0.2"),
    tts_negative=lambda: D.train_test_split(K, X, test_size=-0.2),
)
table(V, "val_size", tvts_val=lambda: D.train_val_test_split(K, X, val_size=2.0))
table(E.ShapeError, "rows", tts_rows=lambda: D.train_test_split(K, X, Y[:4]))
table(E.ShapeError, "stratify", tts_stratify_len=lambda: D.train_test_split(K, X, stratify=LAB[:4]))
table(
    V,
    "n_folds",
    kfold_one=lambda: D.kfold(K, 12, n_folds=1),
    kfold_too_many=lambda: D.kfold(K, 12, n_folds=13),
)
table(V, "n_splits", tss_zero=lambda: D.time_series_split(12, n_splits=0))
table(V, "val_fraction", split_tokens=lambda: D.split_tokens(np.arange(10), val_fraction=1.5))
table(V, "block_size", windows_block=lambda: D.sample_windows(K, np.arange(10), 2, 20))

# --- data: transforms ------------------------------------------------------------------
table(
    E.EmptyDataError,
    r"x.*0 rows.*at least one row",
    std_fit_empty=lambda: D.standardize().fit(X[:0]),
    minmax_fit_empty=lambda: D.min_max().fit(X[:0]),
)
table(E.DTypeError, "x", std_fit_strings=lambda: D.standardize().fit(np.array([["a"], ["b"]])))
table(
    E.ShapeError,
    "x",
    std_fit_scalar=lambda: D.standardize().fit(np.float32(1.0)),
    std_transform_columns=lambda: D.standardize().transform(STD_STATE, X[:, :2]),
)
table(
    E.NotFittedError,
    "fit",
    std_transform_none=lambda: D.standardize().transform(None, X),
    pipe_transform_none=lambda: PIPE.transform(None, X),
)
table(
    V,
    r"state.*tuple",
    pipe_one_state=lambda: PIPE.transform(PIPE_STATE[0], X),
    pipe_short_state=lambda: PIPE.transform(PIPE_STATE[:1], X),
    pipe_inverse_one_state=lambda: PIPE.inverse(PIPE_STATE[1], X),
)
table(V, "StandardState", std_wrong_state=lambda: D.standardize().transform(PIPE_STATE[1], X))
table(V, "pipeline", pipe_no_steps=lambda: D.pipeline(), pipe_not_transform=lambda: D.pipeline(3))
table(V, "degree", poly_degree_zero=lambda: D.polynomial(0))
table(V, "feature_range", minmax_range=lambda: D.min_max((1.0, 0.0)))
table(V, "quantile_range", robust_range=lambda: D.robust_scale((80.0, 20.0)))
table(
    V,
    "strategy",
    impute_strategy=lambda: D.impute(XN, strategy="magic"),
    imputer_strategy=lambda: D.imputer(strategy="magic"),
)
table(V, "method", outliers_method=lambda: D.find_outliers(X, method="magic"))
table(V, "how", drop_missing_how=lambda: D.drop_missing(XN, how="some"))
table(V, "threshold", outliers_threshold=lambda: D.find_outliers(X, threshold=-1.0))
table(V, "max_shift", translate_shift=lambda: D.random_translate(K, X, max_shift=-1))

# --- stats: metrics ----------------------------------------------------------------------
table(
    E.ShapeError,
    "y_pred",
    mse_shape=lambda: S.mse(Y, Y[:5]),
    mae_shape=lambda: S.mae(Y, Y[:, None] * np.ones((1, 2))),
    rmse_shape=lambda: S.rmse(Y, Y[:3]),
    r2_shape=lambda: S.r2_score(Y, Y[:3]),
    acc_shape=lambda: S.accuracy(LAB, LAB[:5]),
)
table(E.ShapeError, "y_true", mse_scalar=lambda: S.mse(1.0, 1.0))
table(
    E.EmptyDataError,
    "y_true",
    mse_empty=lambda: S.mse(Y[:0], Y[:0]),
    acc_empty=lambda: S.accuracy(LAB[:0], LAB[:0]),
)
table(
    E.NonFiniteError,
    "y_pred",
    mse_nan=lambda: S.mse(Y, XN[:, 1]),
    mae_inf=lambda: S.mae(Y, XI[:, 0]),
)
table(E.NonFiniteError, "y_true", r2_nan=lambda: S.r2_score(XN[:, 1], Y))
table(E.DTypeError, "y_true", mse_strings=lambda: S.mse(np.array(["a"] * 12), Y))
table(
    E.LabelError,
    "y_true",
    acc_negative=lambda: S.accuracy(np.array([-1, 0, 1]), np.array([-1, 0, 1])),
    acc_scores_out_of_range=lambda: S.accuracy(np.array([0, 7]), np.ones((2, 2))),
)
table(
    E.LabelError,
    "y_pred",
    acc_pred_negative=lambda: S.accuracy(np.array([0, 1]), np.array([0, -1])),
)
table(
    E.LabelError,
    "y_true",
    cm_labels=lambda: S.confusion_matrix(np.array([0, 3]), np.array([0, 1]), n_classes=2),
)
table(E.DTypeError, "y_true", f1_float=lambda: S.f1_score(Y, Y))
table(V, "average", f1_average=lambda: S.f1_score(LAB, LAB, average="sometimes"))
table(V, "normalize", cm_normalize=lambda: S.confusion_matrix(LAB, LAB, normalize="rows"))
table(
    V,
    "sample_weight",
    mse_neg_weight=lambda: S.mse(Y, Y, -np.ones(12)),
    mse_zero_weight=lambda: S.mse(Y, Y, np.zeros(12)),
)
table(E.ShapeError, "sample_weight", mse_weight_len=lambda: S.mse(Y, Y, np.ones(3)))
table(E.ShapeError, "pred_b", mcnemar_b_len=lambda: S.mcnemar(LAB, LAB, LAB[:5]))
table(E.ShapeError, "pred_a", mcnemar_a_len=lambda: S.mcnemar(LAB, LAB[:5], LAB))
table(V, "n_bins", ece_bins=lambda: S.expected_calibration_error(LAB, np.full(12, 0.5), n_bins=0))
table(V, "y_prob", log_loss_range=lambda: S.log_loss(LAB, np.full(12, 1.5)))
table(
    V,
    "alternative",
    pvalue_alt=lambda: S.pvalue_from_null(jnp.ones(()), jnp.ones(5), alternative="bigger"),
)
table(V, "n_params", aic_params=lambda: S.aic(-1.0, -1))
table(V, "n_resamples", bootstrap_n=lambda: S.bootstrap(K, jnp.mean, Y, n_resamples=0))
table(
    V,
    "confidence_level",
    bootstrap_cl=lambda: S.bootstrap(K, jnp.mean, Y, n_resamples=10, confidence_level=1.5),
)
table(
    V,
    "method",
    bootstrap_method=lambda: S.bootstrap(K, jnp.mean, Y, n_resamples=10, method="magic"),
)
table(V, "n_classes", streaming_cm=lambda: S.streaming_confusion_matrix(0))
table(
    V,
    "block_size",
    ntl_block=lambda: S.next_token_loss(lambda p, x: x, None, np.arange(10), block_size=0),
)
table(V, "estimator", cv_not_estimator=lambda: S.cross_validate(object(), X, Y, D.kfold(K, 12, 3)))

# --- classical models -------------------------------------------------------------------
table(
    E.NonFiniteError,
    "X",
    ridge_nan=lambda: RIDGE.fit(XN, Y),
    ols_inf=lambda: L.ols().fit(XI, Y),
    logistic_nan=lambda: L.logistic().fit(XN, LAB),
    svc_nan=lambda: SVM.svc().fit(XN, LAB),
    cart_nan=lambda: TR.cart_regressor(splitter="exact").fit(XN, Y),
    cart_inf=lambda: TR.cart_regressor().fit(XI, Y),
)
table(E.NonFiniteError, "y", ridge_y_nan=lambda: RIDGE.fit(X, XN[:, 1]))
table(
    E.ShapeError,
    "y",
    ridge_y_rows=lambda: RIDGE.fit(X, Y[:5]),
    logistic_y_rows=lambda: L.logistic().fit(X, LAB[:5]),
    cart_cls_y_rows=lambda: TR.cart_classifier().fit(X, LAB[:5]),
)
table(
    E.ShapeError,
    "X",
    ridge_x_rank1=lambda: RIDGE.fit(X[:, 0], Y),
    ridge_predict_cols=lambda: RIDGE.predict(RIDGE_FIT, X[:, :2]),
    ridge_predict_rank=lambda: RIDGE.predict(RIDGE_FIT, X[0]),
)
table(E.EmptyDataError, "X", ridge_empty=lambda: RIDGE.fit(X[:0], Y[:0]))
table(E.DTypeError, "X", ridge_strings=lambda: RIDGE.fit(X.astype(str), Y))
table(
    E.DTypeError,
    "y",
    logistic_float_labels=lambda: L.logistic().fit(X, Y),
    svc_float_labels=lambda: SVM.svc().fit(X, Y),
)
table(
    E.LabelError,
    "y",
    logistic_one_class=lambda: L.logistic().fit(X, np.zeros(12, np.int32)),
    logistic_negative=lambda: L.logistic().fit(X, LAB - 1),
    cart_cls_n_classes=lambda: TR.cart_classifier(n_classes=2).fit(X, LAB + 1),
)
table(
    V,
    "alpha",
    ridge_alpha=lambda: L.ridge(alpha=-1.0),
    ridge_alpha_nan=lambda: L.ridge(alpha=float("nan")),
)
table(V, "alphas", ridge_path_negative=lambda: L.ridge_path(X, Y, [-1.0, 1.0]))
table(
    V,
    "C",
    logistic_c=lambda: L.logistic(C=0.0),
    svc_c=lambda: SVM.svc(C=-1.0),
    linear_svc_c=lambda: SVM.linear_svc(C=0.0),
)
table(
    V,
    "kernel",
    svc_kernel=lambda: SVM.svc(kernel="magic"),
    kernel_matrix_kernel=lambda: SVM.kernel_matrix("magic", X, X),
)
table(V, "gamma", svc_gamma=lambda: SVM.svc(gamma="often"))
table(
    V,
    "max_depth",
    cart_depth=lambda: TR.cart_regressor(max_depth=0),
    forest_depth=lambda: TR.forest_regressor(max_depth=-1),
)
table(V, "criterion", cart_criterion=lambda: TR.cart_classifier(criterion="magic"))
table(V, "min_samples_leaf", cart_leaf=lambda: TR.cart_regressor(min_samples_leaf=0))
table(V, "n_estimators", forest_n=lambda: TR.forest_classifier(n_estimators=0))
table(V, "max_features", max_features=lambda: TR.resolve_max_features("most", 3))
table(V, "key", forest_no_key=lambda: TR.forest_regressor(n_estimators=2).fit(X, Y))
table(V, "sample_weight", ridge_neg_weight=lambda: RIDGE.fit(X, Y, sample_weight=-np.ones(12)))
table(E.SingularMatrixError, "X", ols_collinear=lambda: L.ols().fit(np.c_[X[:, :1], X[:, :1]], Y))

# --- recsys --------------------------------------------------------------------------------
table(
    V,
    "users",
    mf_user_out=lambda: RS.predict_ratings(MF, MF_PARAMS, np.array([4]), np.array([0])),
    mf_user_negative=lambda: RS.predict_ratings(MF, MF_PARAMS, np.array([-1]), np.array([0])),
)
table(
    V, "items", mf_item_out=lambda: RS.predict_ratings(MF, MF_PARAMS, np.array([0]), np.array([5]))
)
table(
    E.DTypeError,
    "users",
    mf_float_ids=lambda: RS.predict_ratings(MF, MF_PARAMS, np.array([0.5]), np.array([0])),
)
table(V, "user", recommend_user=lambda: RS.recommend(MF, MF_PARAMS, 10))
table(V, "k", recommend_k=lambda: RS.recommend(MF, MF_PARAMS, 0, k=0))
table(V, "l2", rating_loss_l2=lambda: RS.rating_loss(MF, l2=-1.0))

# --- models: MLP, adapters, GPT -----------------------------------------------------------
table(
    V,
    "features",
    mlp_empty=lambda: jf.models.MLP(features=()).init(K, X[:1]),
    mlp_zero_width=lambda: jf.models.MLP(features=(4, 0)).init(K, X[:1]),
    mlp_float_width=lambda: jf.models.MLP(features=(4.5, 2)).init(K, X[:1]),
    mlp_int=lambda: jf.models.MLP(features=3).init(K, X[:1]),
)
table(V, "model", as_apply_int=lambda: jf.models.as_apply(3))
table(
    V,
    "per_example_loss",
    supervised_optax=lambda: jf.losses.supervised(
        NET, optax.losses.softmax_cross_entropy_with_integer_labels
    ),
)
table(V, "loss", as_loss_int=lambda: jf.losses.as_loss(3))
table(V, "vocab_size", gpt_vocab=lambda: jf.models.gpt.GPTConfig(vocab_size=0, block_size=8))
table(
    V,
    "n_head",
    gpt_heads=lambda: jf.models.gpt.GPTConfig(vocab_size=10, block_size=8, n_embd=10, n_head=3),
)

# --- physics ------------------------------------------------------------------------------
table(V, "pde", residual_str=lambda: P.residual("poisson", U))
table(V, "model", field_int=lambda: P.field(123))
table(
    E.ShapeError,
    r"point x",
    laplacian_coords=lambda: P.laplacian(U)(PARAMS2, jnp.zeros(3)),
    field_coords=lambda: U(PARAMS2, jnp.zeros(5)),
)
table(
    V,
    "axis",
    partial_axis=lambda: P.partial(U, 5)(PARAMS2, jnp.zeros(2)),
    axis_name=lambda: P.axis_index("z", 2, ("x", "y")),
)
table(V, "n", uniform_n=lambda: P.uniform(K, 0, 2), grid_n=lambda: P.grid(0, 2))
table(V, "d", uniform_d=lambda: P.uniform(K, 4, 0))
table(V, "method", sample_unit_method=lambda: P.sample_unit("magic", 4, 2, K))
table(E.GeometryError, "lo.*hi", rectangle_order=lambda: P.Rectangle((1.0, 0.0), (0.0, 1.0)))
table(E.GeometryError, "radius", disk_radius=lambda: P.Disk((0.0, 0.0), -1.0))
table(
    V,
    "n_add",
    rar_n=lambda: P.rar(
        P.residual(P.poisson(), U, geometry=GEOM), PARAMS2, jnp.zeros((4, 2)), n_add=0
    ),
)
table(
    V,
    "weights",
    weighted_sum_weights=lambda: jf.losses.weighted_sum({"a": MSE}, weights={"b": 1.0}),
)
table(V, "terms", weighted_sum_empty=lambda: jf.losses.weighted_sum({}))
# the four faults the first barrage found and left open (now fixed)
table(V, "nu", burgers_nu_str=lambda: P.burgers("viscous"))
table(V, "kappa", heat_kappa_none=lambda: P.heat(None))
table(V, "coords", pde_coords_empty=lambda: P.pde(lambda d: d["u"], coords=()))
table(
    V,
    "n_slabs",
    causal_slabs=lambda: P.causal(P.dirichlet(lambda p, x: x[1], 0.0), t_range=(0.0, 1.0),
                                  n_slabs=0),
)
table(V, "dtype", cast_int=lambda: P.cast({"w": jnp.ones(2)}, jnp.int32))
