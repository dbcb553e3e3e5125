"""Adapt a pretrained character GPT to SST-2 sentiment every common way; one table on test.

Run:  python examples/finetune_sst2.py --backbone runs/pretrain_gpt        # a saved GPT
      python examples/finetune_sst2.py                  # pretrains a small GPT first
      python examples/finetune_sst2.py --smoke          # seconds: tiny model, tiny data

``--data`` is the folder with ``train.tsv``, ``dev.tsv``, ``test.tsv`` (``sentence<TAB>label``,
no header; default ``shared/data/text/sst2`` next to the repository's folder). ``--backbone``
is a folder written by ``examples/pretrain_gpt.py`` (``params.ckpt``, ``tokenizer.json``,
``config.json``); without it a small GPT is pretrained here on Tiny Shakespeare
(``--shakespeare``) with that example's own code (``--pretrain-iters`` steps).

**Policies.** Characters of SST-2 that the Shakespeare vocabulary lacks (digits, ``&``,
accented letters...) become a space (`jf.finetune.encode_texts` with ``unknown=" "``; the
count is printed). A sentence longer than the model's context keeps its LAST
``block_size`` characters (``truncation="tail"``; the count is printed): the verdict of a
review tends to come at its end. The sentence's feature is the mean of the backbone's final
features over its characters (``--pooling mean``, the default; ``last`` takes the last
character's): on the 10-minute recipe's GPT a frozen probe scored 62.7% on test with the
mean and 57.2% with the last character (dev 65.4% / 56.4%).

**Rows** (each: test accuracy with its 95% bootstrap interval, `jf.stats.bootstrap`,
trainable parameters, wall time): bag-of-words logistic regression (`jf.models.linear`
logistic on binary word features); the same GPT trained from scratch; zero-shot (" good" /
" bad" after the prompt, calibrated on the content-free prompt); a linear probe on the
frozen pooled features; few-shot probes (k per class, 10 draws as one vmap, mean ± sd)
and few-shot LoRA; LoRA rows (``--lora``, ``TARGETS:RANK``: ``qkv`` the attention's fused
QKV kernels, ``attn`` all attention kernels, ``all`` every kernel of the blocks; the head
always trains); full fine-tuning; then the probe, LoRA and full rows again from the
domain-adapted checkpoint (the backbone pretrained further on the unlabelled SST-2 training
sentences). Every trained GPT row uses AdamW with a linear warm-up and a cosine decay to a
tenth of its peak rate over all its steps. Hyper-parameters are selected on dev only: the
logistic C (of a grid), for every trained GPT row the epoch with the best dev accuracy,
and for every LoRA row also its peak learning rate (of ``--lr-lora``).

The output ends with ``RESULT bow=... scratch=... full_ft=... lora=... lora_trainable_frac=...
best=... zero_shot=... probe=... dapt_full_ft=... seconds=...`` (accuracies in %).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import time
from collections import Counter
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxfound as jf
from jaxfound.finetune import (
    SequenceClassifier,
    classification_loss,
    encode_texts,
    fit_draws,
    lora,
    param_count,
    stack_states,
    stratified_draws,
    with_backbone,
    zero_shot,
)
from jaxfound.models.gpt import GPT, GPTConfig, adamw, lm_loss

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "text" / "sst2"
DEFAULT_SHAKESPEARE = ROOT.parent / "shared" / "data" / "text" / "tinyshakespeare" / "input.txt"
#: LoRA's targets by name: the fused Q, K, V projections; all of attention; every block kernel
LORA_TARGETS = {"qkv": "params/gpt/h_*/attn/c_attn/kernel",
                "attn": "params/gpt/h_*/attn/*/kernel",
                "all": "params/gpt/h_*/**/kernel"}
HEAD = "params/head/**"
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


def read_tsv(path: Path) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        text, sep, label = line.rpartition("\t")
        if not sep or label.strip() not in ("0", "1"):
            raise jf.errors.DataFormatError(
                f"{path}:{i + 1} is not 'sentence<TAB>label' with label 0 or 1: {line[:60]!r}")
        texts.append(text)
        labels.append(int(label))
    if not texts:
        raise jf.errors.EmptyDataError(f"{path} holds no sentences.")
    return texts, np.asarray(labels, np.int32)


def load_backbone(folder: Path):
    try:
        cfg = GPTConfig(**json.loads((folder / "config.json").read_text()))
    except (OSError, TypeError, ValueError) as e:
        raise jf.errors.CheckpointError(
            f"{folder}/config.json is missing or not a GPTConfig ({e}); point --backbone at a "
            "folder written by examples/pretrain_gpt.py.") from e
    tok = jf.data.load_tokenizer(folder / "tokenizer.json")
    jf.models.gpt.check_vocab(cfg, tok)
    target = GPT(cfg).init(jax.random.key(0), jnp.zeros((1, cfg.block_size), jnp.int32))
    return cfg, tok, jf.train.restore_checkpoint(folder / "params.ckpt", target)


def pretrain_backbone(a) -> Path:
    spec = importlib.util.spec_from_file_location("pretrain_gpt", ROOT / "examples" /
                                                  "pretrain_gpt.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    out = Path(a.out) / "backbone"
    args = ["--data", a.shakespeare, "--out", str(out), "--no-progress", "--sample-chars", "80"]
    args += ["--smoke"] if a.smoke else [
        "--block-size", str(a.pretrain_block), "--iters", str(a.pretrain_iters),
        "--eval-interval", str(max(a.pretrain_iters // 4, 1))]
    print(f"--- pretraining a backbone: pretrain_gpt.py {' '.join(args)}")
    mod.main(args)
    return out


def bow_features(train: list[str], others: list[list[str]], size: int):
    df = Counter(w for t in train for w in set(t.split()))
    vocab = {w: i for i, (w, _) in enumerate(df.most_common(size))}

    def feats(texts):
        x = np.zeros((len(texts), len(vocab)), np.float32)
        for r, t in enumerate(texts):
            for w in set(t.split()):
                if w in vocab:
                    x[r, vocab[w]] = 1.0
        return x

    return feats(train), [feats(o) for o in others]


def ci(key, correct: np.ndarray) -> tuple[float, float]:
    res = jf.stats.bootstrap(key, jnp.mean, jnp.asarray(correct, jnp.float32),
                             n_resamples=2000, method="percentile")
    return 100 * float(res.low), 100 * float(res.high)


class Table:
    def __init__(self, key, y_test):
        self.rows, self.key, self.y = [], key, y_test

    def add(self, name, pred, trainable, seconds, note=""):
        correct = np.asarray(pred) == self.y
        lo, hi = ci(jax.random.fold_in(self.key, len(self.rows)), correct)
        acc = 100 * float(correct.mean())
        self.rows.append((name, acc, lo, hi, trainable, seconds, note))
        print(f"  {name}: test {acc:.2f}% [{lo:.1f}, {hi:.1f}]  ({seconds:.0f} s) {note}",
              flush=True)
        return acc

    def show(self):
        print(f"\n{'row':<34} {'test acc %':>10} {'95% CI':>14} {'trainable':>10} "
              f"{'frac':>7} {'s':>6}  note")
        for name, acc, lo, hi, tr, s, note in self.rows:
            frac = f"{tr[1]:.2%}" if isinstance(tr, tuple) else "-"
            n = f"{tr[0]:,}" if isinstance(tr, tuple) else str(tr)
            print(f"{name:<34} {acc:>10.2f} {f'[{lo:.1f}, {hi:.1f}]':>14} {n:>10} {frac:>7} "
                  f"{s:>6.0f}  {note}")


_COMPILED: dict = {}


def predict(apply_fn, params, x, batch=256):
    """Class predictions in batches, one compiled function per ``apply_fn``."""
    if apply_fn not in _COMPILED:
        _COMPILED[apply_fn] = jax.jit(lambda p, t, m: jnp.argmax(apply_fn(p, (t, m), None), -1))
    f = _COMPILED[apply_fn]
    return np.concatenate([np.asarray(f(params, x[0][i:i + batch], x[1][i:i + batch]))
                           for i in range(0, len(x[0]), batch)])


def train_classifier(loss, apply_fn, params, tx, train, dev, a, key):
    """fit epoch by epoch; keep the parameters of the best dev accuracy (selection on dev)."""
    state = jf.train.TrainState.create(params, tx, key=key)
    best = (-1.0, None, 0)
    for epoch in range(a.epochs):
        state, _ = jf.train.fit(state, loss, train, epochs=1, batch_size=a.batch_size,
                                progress=False, key=jax.random.fold_in(key, epoch))
        dev_acc = float(np.mean(predict(apply_fn, state.params, dev[0]) == dev[1]))
        if dev_acc > best[0]:
            best = (dev_acc, jax.tree_util.tree_map(jnp.copy, state.params), epoch + 1)
    return best


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DEFAULT_DATA), help="folder of the SST-2 TSVs")
    p.add_argument("--backbone", default=None, help="folder from examples/pretrain_gpt.py")
    p.add_argument("--shakespeare", default=str(DEFAULT_SHAKESPEARE))
    p.add_argument("--pretrain-iters", type=int, default=1500)
    p.add_argument("--pretrain-block", type=int, default=128)
    p.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs per GPT row")
    p.add_argument("--pooling", default="mean", choices=jf.finetune.POOLINGS,
                   help="sentence feature: mean over the characters, or the last one's")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr-full", type=float, default=3e-4)
    p.add_argument("--lora", default="qkv:4,all:2",
                   help="LoRA rows as TARGETS:RANK, TARGETS one of " + ", ".join(LORA_TARGETS))
    p.add_argument("--lr-lora", default="1e-3,3e-3",
                   help="LoRA peak learning rates (comma list): each row takes the best on dev")
    p.add_argument("--lr-scratch", type=float, default=1e-3)
    p.add_argument("--dapt-steps", type=int, default=300, help="0: no domain adaptation")
    p.add_argument("--fewshot-lora", default="all:2", help="the few-shot LoRA rows' TARGETS:RANK")
    p.add_argument("--lr-lora-fewshot", type=float, default=3e-3,
                   help="the few-shot LoRA rows' constant Adam rate")
    p.add_argument("--dapt-lora", default="all:2", help="LoRA rows (TARGETS:RANK) adapted")
    p.add_argument("--shots", default="8,32,128,512")
    p.add_argument("--lora-shots", default="8,32", help="k of the few-shot LoRA rows")
    p.add_argument("--fewshot-steps", type=int, default=100)
    p.add_argument("--bow-vocab", type=int, default=2000)
    p.add_argument("--max-train", type=int, default=None, help="use the first N training rows")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/finetune_sst2")
    p.add_argument("--smoke", action="store_true", help="tiny model, 2 shots, seconds")
    a = p.parse_args(argv)
    if a.smoke:
        a.epochs, a.dapt_steps, a.shots, a.lora_shots = 1, 10, "2", "2"
        a.fewshot_steps, a.bow_vocab, a.batch_size = 5, 200, 16

    def lora_specs(text: str) -> list[tuple[str, int]]:
        """``"qkv:4,all:2"`` -> ``[("qkv", 4), ("all", 2)]``; a bad spec is a usage error."""
        out = []
        for item in filter(None, text.split(",")):
            where, _, r = item.partition(":")
            if where not in LORA_TARGETS or not r.isdigit():
                p.error(f"LoRA row {item!r}: write TARGETS:RANK with TARGETS one of "
                        f"{', '.join(LORA_TARGETS)} and RANK a positive int, e.g. qkv:4")
            out.append((where, int(r)))
        return out

    # every list parsed once, so a usage error comes before any work
    specs_shk, specs_dapt, specs_fs = (lora_specs(t) for t in (a.lora, a.dapt_lora,
                                                                a.fewshot_lora))
    if len(specs_fs) != 1:
        p.error(f"--fewshot-lora takes one TARGETS:RANK, got {a.fewshot_lora!r}")
    lrs_lora = [float(x) for x in a.lr_lora.split(",") if x][:1 if a.smoke else None]

    def lora_of(spec: tuple[str, int]):
        """LoRA on ``spec``'s targets at its rank, alpha = 2r (scale 2) for every row."""
        return lora(LORA_TARGETS[spec[0]], rank=spec[1], alpha=2.0 * spec[1])

    t_start = time.perf_counter()
    data = Path(a.data)
    (tr_x, tr_y), (dv_x, dv_y), (te_x, te_y) = (read_tsv(data / f"{s}.tsv")
                                                for s in ("train", "dev", "test"))
    if a.max_train:
        tr_x, tr_y = tr_x[:a.max_train], tr_y[:a.max_train]
    print(f"SST-2: {len(tr_x)} train / {len(dv_x)} dev / {len(te_x)} test sentences")
    key = jax.random.key(a.seed)
    table = Table(jax.random.fold_in(key, 99), te_y)
    res: dict = {}

    # --- the backbone and the encoded sentences
    folder = Path(a.backbone) if a.backbone else pretrain_backbone(a)
    cfg, tok, gpt_vars = load_backbone(folder)
    print(f"backbone {folder}: {cfg.n_layer} layers, {cfg.n_embd} wide, context "
          f"{cfg.block_size}, vocabulary {tok.vocab_size}")

    # --- bag-of-words logistic regression (C chosen on dev)
    t0 = time.perf_counter()
    xb, (xb_dev, xb_test) = bow_features(tr_x, [dv_x, te_x], a.bow_vocab)
    est = jf.models.linear.logistic(max_iter=30)
    fits = {c: est.fit(xb, tr_y, C=c) for c in C_GRID}
    c_best = max(C_GRID, key=lambda c: float(np.mean(np.asarray(est.predict(fits[c], xb_dev))
                                                     == dv_y)))
    res["bow"] = table.add("bag-of-words logistic", est.predict(fits[c_best], xb_test),
                           (xb.shape[1] + 1, 1.0), time.perf_counter() - t0,
                           f"C={c_best} of {C_GRID} on dev, {xb.shape[1]} words")

    # --- the encoded sentences

    def enc(texts):
        e = encode_texts(tok, texts, cfg.block_size, unknown=" ", truncation="tail")
        return (jnp.asarray(e.padded.tokens), jnp.asarray(e.padded.mask)), e

    (x_tr, e_tr), (x_dv, e_dv), (x_te, e_te) = enc(tr_x), enc(dv_x), enc(te_x)
    for name, e in (("train", e_tr), ("dev", e_dv), ("test", e_te)):
        print(f"  {name}: {e.replaced} unknown characters -> ' '; {e.padded.truncated} of "
              f"{len(e.padded.tokens)} sentences cut to their last {cfg.block_size} chars")
    train, dev = (x_tr, jnp.asarray(tr_y)), (x_dv, dv_y)
    clf = SequenceClassifier(cfg, num_classes=2, pooling=a.pooling)
    fresh = clf.init(jax.random.fold_in(key, 1), (x_tr[0][:1], x_tr[1][:1]))
    apply_clf = jf.models.from_linen(clf)
    loss_full = classification_loss(clf, 2)
    n_all = param_count(fresh)
    steps = a.epochs * (len(tr_x) // a.batch_size)

    def schedule(lr: float, weight_decay: float = 0.01) -> optax.GradientTransformation:
        """AdamW, linear warm-up then cosine to lr/10 over all fine-tuning steps (every row)."""
        return adamw(lr, steps=max(steps, 2), warmup_steps=min(50, max(steps // 10, 1)),
                     min_learning_rate=lr / 10, weight_decay=weight_decay)

    # --- zero-shot
    t0 = time.perf_counter()
    model = GPT(cfg)
    scores = zero_shot(model.apply, gpt_vars, tok, te_x, block_size=cfg.block_size,
                       template="{} it was", verbalizers=(" bad", " good"), unknown=" ",
                       calibrate=True)
    res["zero_shot"] = table.add("zero-shot (' bad'/' good')", scores.argmax(1), (0, 0.0),
                                 time.perf_counter() - t0, "calibrated, prompt '{} it was'")

    features = jax.jit(lambda v, t, m: clf.apply(v, (t, m), method=SequenceClassifier.features))

    def feats(variables, x, batch=256):
        f = features
        return np.concatenate([np.asarray(f(variables, x[0][i:i + batch], x[1][i:i + batch]))
                               for i in range(0, len(x[0]), batch)])

    def adapted_rows(tag, backbone_vars, shots, lora_shots, specs):
        v0 = with_backbone(fresh, backbone_vars)
        # linear probe on frozen features: logistic regression, C on dev
        t0 = time.perf_counter()
        f_tr, f_dv, f_te = feats(v0, x_tr), feats(v0, x_dv), feats(v0, x_te)
        mu, sd = f_tr.mean(0), f_tr.std(0) + 1e-6
        f_tr, f_dv, f_te = (f_tr - mu) / sd, (f_dv - mu) / sd, (f_te - mu) / sd
        pfits = {c: est.fit(f_tr, tr_y, C=c) for c in C_GRID}
        cp = max(C_GRID, key=lambda c: float(np.mean(np.asarray(est.predict(pfits[c], f_dv))
                                                     == dv_y)))
        out = {"probe": table.add(f"{tag} linear probe (frozen)",
                                  est.predict(pfits[cp], f_te),
                                  (cfg.n_embd + 1, (cfg.n_embd + 1) / n_all.total),
                                  time.perf_counter() - t0, f"C={cp} on dev")}
        # few-shot probes: 10 draws per k as one vmap
        for k in shots:
            t0 = time.perf_counter()
            idx = stratified_draws(jax.random.fold_in(key, k), tr_y, k, n_draws=10)

            def probe_loss(w, b, _):
                z = b[0] @ w["w"] + w["b"]
                ce = optax.losses.softmax_cross_entropy_with_integer_labels(z, b[1]).mean()
                return ce + 1e-3 * jnp.sum(w["w"] ** 2), {}

            init = lambda kk: {"w": jnp.zeros((cfg.n_embd, 2)), "b": jnp.zeros(2)}  # noqa
            st = stack_states(init, optax.adam(1e-2), jax.random.split(jax.random.key(k), 10))
            st, _ = fit_draws(probe_loss, st, (jnp.asarray(f_tr[idx]), jnp.asarray(tr_y[idx])),
                              steps=a.fewshot_steps, batch_size=2 * k, key=jax.random.key(k))
            accs = [100 * float(np.mean(np.argmax(f_te @ np.asarray(st.params["w"][d]) +
                                                  np.asarray(st.params["b"][d]), 1) == te_y))
                    for d in range(10)]
            draw0_pred = np.argmax(f_te @ np.asarray(st.params["w"][0]) +
                                  np.asarray(st.params["b"][0]), 1)
            n_probe = 2 * cfg.n_embd + 2
            table.add(f"{tag} few-shot probe k={k}", draw0_pred, (n_probe, n_probe / n_all.total),
                      time.perf_counter() - t0,
                      f"10 draws: {np.mean(accs):.1f} ± {np.std(accs):.1f} (CI: draw 0)")
            out[f"probe_k{k}"] = float(np.mean(accs))
        # few-shot LoRA, 10 draws as one vmap, the backbone shared
        (fs_where, fs_r), = specs_fs
        lo_fs = lora_of(specs_fs[0])
        for k in lora_shots:
            t0 = time.perf_counter()
            idx = stratified_draws(jax.random.fold_in(key, 1000 + k), tr_y, k, n_draws=10)

            def lora_loss(own, b, kk):
                base, ((t, m), y) = b
                base = {**base, "params": {**base["params"], "head": own["head"]}}
                logits = clf.apply(lo_fs.merge(base, own["lora"]), (t, m))
                return optax.losses.softmax_cross_entropy_with_integer_labels(
                    logits, y).mean(), {}

            def init(kk, v0=v0):
                return {"lora": lo_fs.init(kk, v0), "head": v0["params"]["head"]}

            st = stack_states(init, optax.adam(a.lr_lora_fewshot),
                              jax.random.split(jax.random.key(k), 10))
            data = ((x_tr[0][idx], x_tr[1][idx]), jnp.asarray(tr_y)[idx])
            st, _ = fit_draws(lora_loss, st, data, steps=a.fewshot_steps,
                              batch_size=min(2 * k, 32), key=jax.random.key(k), shared=v0)
            accs = []
            for d in range(10):
                own = jax.tree_util.tree_map(lambda z, d=d: z[d], st.params)
                vd = {**v0, "params": {**v0["params"], "head": own["head"]}}
                pred = predict(apply_clf, lo_fs.merge(vd, own["lora"]), x_te)
                accs.append(100 * float(np.mean(pred == te_y)))
                if d == 0:
                    pred0 = pred
            n_tr = param_count(init(jax.random.key(0)))
            table.add(f"{tag} few-shot LoRA r={fs_r} on {fs_where} k={k}", pred0,
                      (n_tr.total, n_tr.total / n_all.total), time.perf_counter() - t0,
                      f"10 draws: {np.mean(accs):.1f} ± {np.std(accs):.1f} (CI: draw 0)")
            out[f"lora_k{k}"] = float(np.mean(accs))
        # LoRA rows (TARGETS:RANK, plus the head), the peak learning rate and epoch on dev
        out["loras"] = {}  # {"qkv:4": (test accuracy, trainable fraction)}
        for spec in specs:
            t0 = time.perf_counter()
            where, r = spec
            lo = lora_of(spec)
            tree = {"base": v0, "lora": lo.init(jax.random.fold_in(key, r), v0)}
            if spec not in wrapped:  # one wrapped apply and loss per spec: compiled once
                fn = lo.wrap(apply_clf, also_train=HEAD)
                wrapped[spec] = (fn, classification_loss(fn, 2))
            apply_lo, loss_lo = wrapped[spec]
            tried = []
            for lr in lrs_lora:
                tx = lo.optimizer(schedule(lr, 0.0), also_train=HEAD)
                tried.append((*train_classifier(loss_lo, apply_lo, tree, tx, train, dev, a,
                                                key), lr))
            acc_dev, best, ep, lr = max(tried, key=lambda t: t[0])
            cnt = param_count(tree, ("lora/**", "base/" + HEAD))
            out["loras"][f"{where}:{r}"] = (table.add(
                f"{tag} LoRA r={r} on {where}",
                predict(apply_clf, lo.merge(best["base"], best["lora"]), x_te),
                (cnt.trainable, cnt.fraction), time.perf_counter() - t0,
                f"dev {100 * acc_dev:.1f} at lr {lr:g}, epoch {ep} (dev by lr: " +
                ", ".join(f"{t[3]:g}: {100 * t[0]:.1f}" for t in tried) + ")"), cnt.fraction)
        # full fine-tuning
        t0 = time.perf_counter()
        acc_dev, best, ep = train_classifier(loss_full, apply_clf, v0, schedule(a.lr_full),
                                             train, dev, a, key)
        out["full"] = table.add(f"{tag} full fine-tuning", predict(apply_clf, best, x_te),
                                (n_all.total, 1.0), time.perf_counter() - t0,
                                f"dev {100 * acc_dev:.1f} at epoch {ep}")
        return out

    wrapped: dict = {}
    shots = [int(s) for s in a.shots.split(",") if s]
    lora_shots = [int(s) for s in a.lora_shots.split(",") if s]
    shk = adapted_rows("shakespeare:", gpt_vars, shots, lora_shots, specs_shk)

    # --- the same GPT from scratch, same steps
    t0 = time.perf_counter()
    acc_dev, best, ep = train_classifier(loss_full, apply_clf, fresh, schedule(a.lr_scratch),
                                         train, dev, a, key)
    res["scratch"] = table.add("scratch (same GPT, same steps)", predict(apply_clf, best, x_te),
                               (n_all.total, 1.0), time.perf_counter() - t0,
                               f"dev {100 * acc_dev:.1f} at epoch {ep}")

    # --- domain-adaptive pretraining on the unlabelled training sentences, then again
    dapt = {}
    if a.dapt_steps > 0:
        t0 = time.perf_counter()
        text_ids = np.concatenate([np.append(r[m], tok.encode("\n")) for r, m in
                                   zip(np.asarray(x_tr[0]), np.asarray(x_tr[1]))]).astype(
                                       np.int32)
        ids_dev = jnp.asarray(text_ids)
        bs, t = 12, cfg.block_size
        windows = jf.train.Sampler(
            lambda kk, p_, b_, i: jf.data.sample_windows(kk, ids_dev, bs, t))
        lm = lm_loss(model)
        before = float(jf.stats.next_token_loss(model.apply, gpt_vars, text_ids[:20000],
                                                block_size=t, batch_size=64))
        st = jf.train.TrainState.create(gpt_vars, adamw(3e-4, steps=a.dapt_steps,
                                                         warmup_steps=min(20, a.dapt_steps - 1),
                                                         min_learning_rate=3e-5),
                                        key=jax.random.fold_in(key, 7))
        st, _ = jf.train.fit(st, lm, windows, steps=a.dapt_steps, progress=False)
        after = float(jf.stats.next_token_loss(model.apply, st.params, text_ids[:20000],
                                               block_size=t, batch_size=64))
        print(f"domain-adaptive pretraining: {a.dapt_steps} steps, SST-2 train LM loss "
              f"{before:.3f} -> {after:.3f} nats/char ({time.perf_counter() - t0:.0f} s)")
        dapt = adapted_rows("sst2-adapted:", st.params, [], [], specs_dapt)
        res["dapt_lm_before"], res["dapt_lm_after"] = round(before, 4), round(after, 4)

    table.show()
    loras = list(shk["loras"].values())
    lora_ok = [t for t in loras if t[1] <= 0.02]
    lora_best, lora_frac = max(lora_ok or loras or [(float("nan"), float("nan"))])
    gpt_rows = [v for d in (shk, dapt) for kk, v in d.items() if kk in ("probe", "full")]
    gpt_rows += [acc for d in (shk, dapt) for acc, _ in d.get("loras", {}).values()]
    best = max(gpt_rows + [res["zero_shot"]])
    verdict = lambda ok: "met" if ok else "missed"  # noqa: E731
    gain = shk["full"] - res["scratch"]
    print(f"\nbars: LoRA (<= 2% trainable) within 1.0 of full FT: {lora_best:.2f} vs "
          f"{shk['full']:.2f} -> {verdict(lora_best >= shk['full'] - 1)}; full FT - scratch "
          f">= 3: {gain:+.2f} -> {verdict(gain >= 3)}; best GPT >= bag of words: {best:.2f} vs "
          f"{res['bow']:.2f} -> {verdict(best >= res['bow'])}")
    out = dict(bow=res["bow"], scratch=res["scratch"], full_ft=shk["full"], lora=lora_best,
               lora_trainable_frac=lora_frac, best=best, zero_shot=res["zero_shot"],
               probe=shk["probe"], dapt_full_ft=dapt.get("full", float("nan")),
               dapt_probe=dapt.get("probe", float("nan")),
               seconds=time.perf_counter() - t_start)
    out = {k: round(float(v), 4 if k == "lora_trainable_frac" else 2) for k, v in out.items()}
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "config_used.json").write_text(json.dumps(
        {**vars(a), "backbone_config": dataclasses.asdict(cfg)}, indent=1, default=str))
    print("RESULT " + " ".join(f"{k}={v}" for k, v in out.items()))
    return out


if __name__ == "__main__":
    main()
