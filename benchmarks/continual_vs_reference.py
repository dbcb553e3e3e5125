"""Wall time of split MNIST: the reference's own ``main.py`` (PyTorch CPU, one seed) against
jaxfound for one seed and for ``--seeds`` seeds at once (one ``jax.vmap``), per strategy.

The reference (van de Ven et al., ``GMvandeVen/continual-learning``) is run unchanged from a
temporary copy. It reads MNIST through torchvision; when torchvision is not installed a
minimal stand-in (``datasets.MNIST`` over the local IDX files, the few transforms it uses)
is put on its path. Nothing is downloaded: the local files are unpacked where torchvision
expects them (``<data-dir>/MNIST/raw``).

    python benchmarks/continual_vs_reference.py --quick            # 100 it/context, none + er
    python benchmarks/continual_vs_reference.py --iters 2000 --strategies none,ewc,si,lwf,er

Bar (issue 12): jaxfound's 10-seed run takes less time than the reference's single seed.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax

import jaxfound as jf
from jaxfound.models import MLP

C = jf.continual
HERE = Path(__file__).resolve().parent
PEER = HERE.parent / ".." / "shared" / "peers" / "continual-learning"
FLAGS = {"none": [], "ewc": ["--ewc"], "si": ["--si"], "lwf": ["--lwf"],
         "er": ["--replay=buffer"], "joint": ["--joint"]}

# A stand-in for the parts of torchvision the reference imports (only if it is missing).
SHIM = {
    "__init__.py": "from . import datasets, transforms, utils\n",
    "utils.py": "def make_grid(*a, **k):\n    raise NotImplementedError('stand-in torchvision')\n",
    "transforms.py": '''
import numpy as np, torch
class Compose:
    def __init__(self, ts): self.ts = ts
    def __call__(self, x):
        for t in self.ts: x = t(x)
        return x
class ToTensor:
    def __call__(self, x):
        a = np.asarray(x, np.float32) / 255.0
        return torch.from_numpy(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
class Normalize:
    def __init__(self, mean, std):
        self.m = torch.tensor(mean)[:, None, None]
        self.s = torch.tensor(std)[:, None, None]
    def __call__(self, x): return (x - self.m) / self.s
class Lambda:
    def __init__(self, f): self.f = f
    def __call__(self, x): return self.f(x)
class _Unused:
    def __init__(self, *a, **k): pass
    def __call__(self, x): raise NotImplementedError("stand-in torchvision")
Pad = RandomCrop = RandomHorizontalFlip = ToPILImage = _Unused
''',
    "datasets.py": '''
import gzip, os, numpy as np, torch
def _idx(path):
    with open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(shape)
class MNIST(torch.utils.data.Dataset):
    def __init__(self, root, train=True, download=False, transform=None, target_transform=None):
        pre = "train" if train else "t10k"
        raw = os.path.join(root, "raw")
        self.data = torch.from_numpy(_idx(os.path.join(raw, pre + "-images-idx3-ubyte")).copy())
        labels = _idx(os.path.join(raw, pre + "-labels-idx1-ubyte"))
        self.targets = torch.from_numpy(labels.astype(np.int64))
        self.transform, self.target_transform = transform, target_transform
    def __len__(self): return len(self.targets)
    def __getitem__(self, i):
        img, t = self.data[i].numpy(), int(self.targets[i])
        if self.transform is not None: img = self.transform(img)
        if self.target_transform is not None: t = self.target_transform(t)
        return img, t
CIFAR10 = CIFAR100 = None
''',
}


def prepare_peer(tmp: Path, data: Path) -> dict:
    """Copy the reference, unpack MNIST where torchvision looks, add the stand-in if needed."""
    code = tmp / "peer"
    shutil.copytree(PEER, code, ignore=shutil.ignore_patterns(".git", "figures", "NeurIPS*",
                                                                "ICLR*", "StabilityGap"))
    for sub in ("results", "models", "plots"):  # its default output folders
        (code / "store" / sub).mkdir(parents=True, exist_ok=True)
    raw = tmp / "datasets" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in data.glob("*-ubyte.gz"):
        with gzip.open(gz) as src, open(raw / gz.name[:-3], "wb") as dst:
            shutil.copyfileobj(src, dst)
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    try:
        import torchvision  # noqa: F401
    except ImportError:
        shim = tmp / "shim" / "torchvision"
        shim.mkdir(parents=True)
        for name, text in SHIM.items():
            (shim / name).write_text(text)
        env["PYTHONPATH"] = str(tmp / "shim")
    return {"code": code, "data": tmp / "datasets", "env": env}


def run_peer(peer: dict, scenario: str, strategy: str, iters: int, fisher_n: int) -> dict:
    cmd = ["nice", "-n", "19", sys.executable, "main.py", "--experiment=splitMNIST",
           f"--scenario={scenario}", f"--iters={iters}", "--seed=0", "--time", "--no-save",
           "--no-gpus", f"--data-dir={peer['data']}", *FLAGS[strategy]]
    if strategy == "ewc" and fisher_n:
        cmd.append(f"--fisher-n={fisher_n}")
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=peer["code"], env=peer["env"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"reference failed ({' '.join(cmd)}):\n{out.stderr[-3000:]}")
    acc = re.findall(r"average accuracy over all \d+ contexts: ([0-9.]+)", out.stdout)
    train = re.findall(r"Total training time = ([0-9.]+) seconds", out.stdout)
    return {"wall": wall, "train": float(train[-1]) if train else float("nan"),
            "acc": float(acc[-1]) if acc else float("nan")}


def run_jax(scenario, strategy, iters, seeds, fisher_n, data) -> dict:
    kw = {}
    if strategy == "ewc":
        kw = {"ewc_lambda": C.PAPER_SETTINGS[scenario]["ewc_lambda"], "fisher_n": fisher_n or None}
    elif strategy == "si":
        kw = {"si_c": C.PAPER_SETTINGS[scenario]["si_c"]}
    t0 = time.perf_counter()
    s = C.split_scenario(data[:2], data[2:], scenario)
    res = C.train_continual(s, C.strategy(strategy, **kw), MLP((400, 400, s.n_outputs)),
                            jax.random.key(0), seeds=seeds, iters=iters)
    return {"wall": time.perf_counter() - t0, "acc": float(C.average_accuracy(res.accuracy).mean())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(HERE.parent / ".." / "shared" / "data" / "mnist"))
    p.add_argument("--scenarios", default="class")
    p.add_argument("--strategies", default="none,er")
    p.add_argument("--iters", type=int, default=2000)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--fisher-n", type=int, default=1000, help="both sides (0: whole context)")
    p.add_argument("--quick", action="store_true", help="100 iterations per context")
    args = p.parse_args(argv)
    if args.quick:
        args.iters = 100
    if not PEER.exists():
        sys.exit(f"the reference is not at {PEER}")
    data = jf.data.load_mnist(args.data)
    print(f"split MNIST, {args.iters} it/context; reference = its main.py, 1 seed (PyTorch CPU); "
          f"jaxfound 1 seed and {args.seeds} seeds (one vmap); wall seconds incl. compile")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        peer = prepare_peer(Path(tmp), Path(args.data))
        for scen in args.scenarios.split(","):
            for strat in args.strategies.split(","):
                ref = run_peer(peer, scen, strat, args.iters, args.fisher_n)
                one = run_jax(scen, strat, args.iters, 1, args.fisher_n, data)
                many = run_jax(scen, strat, args.iters, args.seeds, args.fisher_n, data)
                rows.append((scen, strat, ref, one, many))
                print(f"  {scen:6s} {strat:5s} reference {ref['wall']:7.1f} s "
                      f"(acc {ref['acc']:.3f})"
                      f" | jaxfound 1 seed {one['wall']:6.1f} s (acc {one['acc']:.3f}) | "
                      f"{args.seeds} seeds {many['wall']:6.1f} s (acc {many['acc']:.3f}) | "
                      f"{'met' if many['wall'] < ref['wall'] else 'MISSED'}", flush=True)
    met = sum(m["wall"] < r["wall"] for _, _, r, _, m in rows)
    items = " ".join(f"{s}_{m}_ratio={many['wall'] / ref['wall']:.3f}"
                     for s, m, ref, _, many in rows)
    print(f"RESULT {items} bars_met={met}/{len(rows)} iters={args.iters} seeds={args.seeds}")


if __name__ == "__main__":
    main()
