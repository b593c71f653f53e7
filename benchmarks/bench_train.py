#!/usr/bin/env python3
"""How fast does the numpy MLP train, how close is it to the machine's GEMM peak, and how does
it compare with the identical network in PyTorch?

    python benchmarks/bench_train.py [--quick] [--threads N] [--repeats N] [--no-torch]

Prints, on the real MNIST (60,000 training images):

1. the float32 GEMM rate (GFLOP/s) of a (128x784)@(784x800) product, the shape that dominates
   the 784-800-10 epoch, and of a large square product; the better one is the "peak";
2. epoch time and samples/s of 784-100-10 with batch 32 and 784-800-10 with batch 128 (sigmoid
   hidden layer, softmax + cross-entropy, plain SGD), through the trainer's own loop
   (`basicnet.training.train`: shuffling, uint8 -> float32 batches, the cost of every batch,
   the update), with the epoch's FLOPs / epoch time as a fraction of the peak; when PyTorch is
   importable, the same network, sizes, dtype, batch size, optimiser and thread count in
   PyTorch, and the ratio ours/torch (below 1: we are faster);
3. time to 98 % test accuracy with the trainer's default settings (the sum of the epochs'
   training seconds, evaluation excluded), and the accuracy the default run ends with;
4. only with `--only threads`: the default network's epochs with one BLAS thread, one per core,
   and tuned as the trainer does (threads.tune_threads), interleaved; `--busy` keeps one core
   busy meanwhile;
5. only with `--only best`: the most accurate plain-sigmoid recipe found (BEST below), its
   final test accuracy and training seconds.

The machine may be shared and noisy: every timing is repeated, ours and PyTorch's interleaved,
and the best run is reported (the median too). --quick repeats once and stops the default run
at 98 %.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="one repeat of each timing; stop the default run at 98%%")
    p.add_argument("--repeats", type=int, help="timings per measurement (default: 3, quick: 1)")
    p.add_argument("--threads", type=int,
                   help="BLAS/PyTorch threads (default: the number of cores)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    p.add_argument("--seeds", type=int, nargs="+", metavar="N",
                   help="seeds of the default run (default: 0 1; quick: 0)")
    p.add_argument("--data-dir", metavar="DIR", help="the MNIST folder (default: "
                   "../shared/datasets/mnist, else datasets/mnist)")
    p.add_argument("--only", choices=("gemm", "epochs", "default", "threads", "best"),
                   nargs="+", help="run only these parts (default: gemm epochs default); "
                   "threads: the default network's epochs with 1 BLAS thread, one per core, "
                   "and as the trainer tunes them; best: the most accurate recipe found "
                   "(docs/accuracy.md), about 5 minutes")
    p.add_argument("--busy", action="store_true",
                   help="with threads: keep one core busy with a spinning process meanwhile, "
                        "as another program would")
    args = p.parse_args(argv)
    if args.busy and "threads" not in (args.only or ()):
        p.error("--busy goes with --only threads")
    return args


ARGS = parse_args()
THREADS = ARGS.threads or os.cpu_count() or 1
# BLAS reads its thread count when numpy loads; set it before the import.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)

sys.path.insert(0, str(ROOT))
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import mlp_sigmoid_emnist as trainer  # noqa: E402
from basicnet import augment, datasets  # noqa: E402
from basicnet.network import SGD, Network  # noqa: E402
from basicnet.threads import tune_threads  # noqa: E402
from basicnet.training import EpochDone, Hyper, train  # noqa: E402

try:
    if ARGS.no_torch:
        raise ImportError
    import torch
    torch.set_num_threads(THREADS)
except ImportError:
    torch = None

CASES = [  # (hidden, batch, lr): the two shapes the issue asks for
    (100, 32, 0.1),
    (800, 128, 0.1),
]


def data_dir() -> Path:
    if ARGS.data_dir:
        return Path(ARGS.data_dir)
    shared = ROOT.parent / "shared" / "datasets" / "mnist"
    return shared if (shared / "train-images-idx3-ubyte.gz").is_file() else ROOT / "datasets/mnist"


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        times.append(fn())
    return min(times), float(np.median(times))


# --- 1. GEMM ----------------------------------------------------------------------------------

def gemm_rate(m, k, n, min_seconds=0.3) -> float:
    """GFLOP/s of float32 (m x k) @ (k x n), into a preallocated result, best of a few bursts."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), np.float32)
    np.matmul(a, b, out=c)
    reps = max(1, int(min_seconds / max(_time(lambda: np.matmul(a, b, out=c)), 1e-6)))
    best = min(_time(lambda: [np.matmul(a, b, out=c) for _ in range(reps)]) / reps
               for _ in range(5))
    return 2 * m * k * n / best / 1e9


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def torch_gemm_rate(m, k, n, min_seconds=0.3) -> float:
    g = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=g)
    b = torch.randn(k, n, generator=g)
    c = torch.empty(m, n)
    torch.mm(a, b, out=c)
    reps = max(1, int(min_seconds / max(_time(lambda: torch.mm(a, b, out=c)), 1e-6)))
    best = min(_time(lambda: [torch.mm(a, b, out=c) for _ in range(reps)]) / reps
               for _ in range(5))
    return 2 * m * k * n / best / 1e9


# --- 2. epochs --------------------------------------------------------------------------------

def epoch_flops(sizes, n) -> float:
    """FLOPs of one epoch's matrix products: per layer 2·n_in·n_out per sample for z = a W, as
    much again for ∂C/∂W = aᵀδ, and once more for δ = δ' Wᵀ except at the input layer."""
    total = 0
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        total += (4 if l == 0 else 6) * n_in * n_out
    return total * n


def ours_epoch(data, sizes, batch, lr, seed) -> float:
    rng = np.random.default_rng(seed)
    net = Network.create(sizes, rng)
    hyper = Hyper(epochs=1, batch_size=batch, lr=lr, schedule="constant", momentum=0.0)
    for event in train(net, data, hyper, rng, SGD(momentum=0.0)):
        if isinstance(event, EpochDone):
            return event.seconds
    raise AssertionError("no epoch")


def torch_epoch(data, sizes, batch, lr, seed) -> float:
    """The same epoch in PyTorch: uint8 images gathered by a fresh permutation, converted to
    float32 / 255 per batch, Linear-sigmoid-Linear, cross-entropy, plain SGD, and the batch
    cost read back (our trainer reads it too, to report it and catch divergence)."""
    torch.manual_seed(seed)
    layers = []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if l < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
    images = torch.from_numpy(data.train_images.copy())  # torch wants a writable array
    labels = torch.from_numpy(data.train_labels)
    n = len(labels)
    started = time.perf_counter()
    order = torch.randperm(n)
    cost_sum = 0.0
    for i in range(0, n, batch):
        idx = order[i:i + batch]
        x = images[idx].float().mul_(1 / 255)
        loss = torch.nn.functional.cross_entropy(model(x), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        cost_sum += loss.item()
    return time.perf_counter() - started


# --- 3. the default run -----------------------------------------------------------------------

# The best plain-sigmoid recipe with whole-pixel shifts (docs/accuracy.md): 784-800-10.
BEST = dict(hidden=[800], batch_size=64, lr=0.1, epochs=60, augment=augment.parse("2"))
BEST_FLAGS = "--hidden 800 --batch-size 64 --lr 0.1 --epochs 60 --augment 2"


def default_run(data, stop_at_98: bool, seed: int, threads=None, quiet=False, **settings):
    """Train with the trainer's defaults (changed by `settings`, Config fields) and `threads`
    BLAS threads (None: tuned as the trainer does); returns (seconds to 98 % or None, epoch of
    98 %, final accuracy, total training seconds, epochs run, the Config)."""
    cfg = trainer.Config(seed=seed, **settings)
    rng = np.random.default_rng(cfg.seed)
    net = Network.create([datasets.N_INPUTS, *cfg.hidden, data.n_classes], rng,
                         cfg.activation, cfg.output)
    opt = SGD(cfg.momentum, cfg.weight_decay)
    reached, at_epoch, acc, elapsed, epochs = None, None, 0.0, 0.0, 0
    events = train(net, data, cfg, rng, opt)
    with threadpool_limits(threads, user_api="blas"):
        for event in events if threads else tune_threads(events, THREADS):
            if isinstance(event, EpochDone):
                acc, elapsed, epochs = event.test.accuracy, event.elapsed, event.epoch
                if not quiet:
                    print(f"    epoch {event.epoch}: {event.seconds:.2f} s, test accuracy "
                          f"{100 * acc:.2f}%", flush=True)
                if reached is None and acc >= 0.98:
                    reached, at_epoch = elapsed, event.epoch
                    if stop_at_98:
                        break
    return reached, at_epoch, acc, elapsed, epochs, cfg


# --- 4. threads -------------------------------------------------------------------------------

# Another program keeping one core busy; it stops by itself when this benchmark is gone,
# however it ends.
SPINNER = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    pass"


def threads_part(data, repeats, epochs=2):
    cores = THREADS
    modes = {"1 thread": 1, f"{cores} threads": cores, "tuned": None} if cores > 1 else \
        {"1 thread": 1}
    print(f"\nBLAS threads: default network, {epochs}-epoch runs, mean seconds per epoch, "
          f"{repeats} rounds interleaved" + (", one core kept busy" if ARGS.busy else ""))
    busy = None
    try:
        if ARGS.busy:
            busy = subprocess.Popen([sys.executable, "-c", SPINNER])
        seconds = {m: [] for m in modes}
        for r in range(repeats):
            for mode, n in modes.items():
                elapsed = default_run(data, False, r, n, quiet=True, epochs=epochs)[3]
                seconds[mode].append(elapsed / epochs)
        for mode, v in seconds.items():
            print(f"  {mode:<10} {np.mean(v):.3f} s  ({', '.join(f'{x:.3f}' for x in v)})")
    finally:
        if busy:
            busy.kill()
            busy.wait()


# --- main -------------------------------------------------------------------------------------

def main() -> int:
    parts = set(ARGS.only or ("gemm", "epochs", "default"))  # best only when asked: minutes
    repeats = ARGS.repeats or (1 if ARGS.quick else 3)
    print(f"numpy {np.__version__}, {THREADS} BLAS thread(s) for the epochs (the default run "
          f"tunes them as the trainer does), {os.cpu_count()} core(s)"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch
             else ", PyTorch not importable: no comparison"))
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}" + ("  (a busy machine: multi-threaded BLAS suffers most; "
                                        "compare with --threads 1)" if load > 0.5 else ""))
    data = datasets.load("mnist", data_dir())
    n = len(data.train_labels)

    peak = None
    if parts & {"gemm", "epochs"}:
        print("\nfloat32 GEMM (best of 5 bursts)")
        shapes = [(128, 784, 800), (2048, 2048, 2048)]
        rates = [gemm_rate(*s) for s in shapes]
        peak = max(rates)
        for s, r in zip(shapes, rates):
            extra = f"   torch {torch_gemm_rate(*s):7.1f} GFLOP/s" if torch else ""
            print(f"  ({s[0]}x{s[1]})@({s[1]}x{s[2]}): {r:7.1f} GFLOP/s{extra}")
        print(f"  peak: {peak:.1f} GFLOP/s")

    if "epochs" in parts:
        print(f"\nepoch on MNIST ({n} samples), plain SGD, best (median) of {repeats}")
        head = f"  {'network':<12} {'batch':>5} {'ours s':>14} {'samples/s':>10} " \
               f"{'GFLOP/s':>8} {'of peak':>8}"
        if torch:
            head += f" {'torch s':>14} {'ours/torch':>10}"
        print(head)
        for hidden, batch, lr in CASES:
            sizes = [datasets.N_INPUTS, hidden, data.n_classes]
            ours, theirs = [], []
            for r in range(repeats):  # interleaved, so both see the same machine load
                ours.append(ours_epoch(data, sizes, batch, lr, seed=r))
                if torch:
                    theirs.append(torch_epoch(data, sizes, batch, lr, seed=r))
            o, om = min(ours), float(np.median(ours))
            gflops = epoch_flops(sizes, n) / o / 1e9
            line = (f"  {'-'.join(map(str, sizes)):<12} {batch:>5} {o:6.3f} ({om:5.3f}) "
                    f"{n / o:>10,.0f} {gflops:>8.1f} {100 * gflops / peak:>7.1f}%")
            if torch:
                t, tm = min(theirs), float(np.median(theirs))
                line += f" {t:6.3f} ({tm:5.3f}) {o / t:>10.2f}"
            print(line, flush=True)

    if "default" in parts:
        cfg = trainer.Config()
        seeds = ARGS.seeds or ([0] if ARGS.quick else [0, 1])
        print(f"\ndefault run: python mlp_sigmoid_emnist.py (hidden {cfg.hidden}, "
              f"batch {cfg.batch_size}, lr {cfg.lr}, momentum {cfg.momentum}, "
              f"{cfg.schedule} schedule, {cfg.epochs} epochs), seeds {seeds}; "
              f"training seconds, evaluation excluded")
        for seed in seeds:
            reached, at, acc, elapsed, epochs, _ = default_run(data, ARGS.quick, seed,
                                                               ARGS.threads)
            if reached is None:
                print(f"  seed {seed}: did NOT reach 98%: {100 * acc:.2f}% after {epochs} "
                      f"epochs, {elapsed:.2f} s of training")
            else:
                print(f"  seed {seed}: time to 98%: {reached:.2f} s (epoch {at}); final "
                      f"{100 * acc:.2f}% after {epochs} epochs, {elapsed:.2f} s", flush=True)

    if "threads" in parts:
        threads_part(data, repeats)

    if "best" in parts:
        print(f"\nbest recipe: python mlp_sigmoid_emnist.py {BEST_FLAGS} --seed 0; "
              f"training seconds, evaluation excluded")
        _, _, acc, elapsed, epochs, _ = default_run(data, False, 0, ARGS.threads, **BEST)
        print(f"  final {100 * acc:.2f}% after {epochs} epochs, {elapsed:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
