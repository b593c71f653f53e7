#!/usr/bin/env python3
"""What distorting the training images costs (issue 13: affine + elastic may add at most 15 %
to a 784-800-10, batch-128 epoch).

    python benchmarks/bench_augment.py [--rounds 3] [--threads 1] [--data-dir DIR]

Prints, on the real MNIST:

1. the kernel alone: milliseconds to distort one batch of 128 training images, for each kind
   (shift, affine, elastic, affine + elastic), beside one training step of 784-800-10 on the
   same batch (forward, backward, update), best and median of many;
2. whole epochs of 784-800-10, batch 128, lr 0.1, through the trainer's own loop
   (`training.train`): without distortions, with affine + elastic as the trainer runs them
   (the next batch distorted on a second thread, `augment.Ahead`), and with affine + elastic
   on the training thread alone (`Ahead.THREADED = False`: what it costs without a spare core),
   interleaved round by round so that all three see the same machine; best and median seconds
   and each one's ratio to the undistorted epoch.

The machine may be shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="epochs of each kind (default: 3)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default: 1)")
    p.add_argument("--data-dir", metavar="DIR", help="the MNIST folder (default: "
                   "../shared/datasets/mnist, else datasets/mnist)")
    return p.parse_args(argv)


ARGS = parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)  # BLAS reads it when numpy loads

sys.path.insert(0, str(ROOT))
import numpy as np  # noqa: E402

from basicnet import augment, datasets  # noqa: E402
from basicnet.network import SGD, Network  # noqa: E402
from basicnet.training import EpochDone, Hyper, to_input, train  # noqa: E402

BATCH, HIDDEN, LR = 128, 800, 0.1
KINDS = {"shift": ("shift",), "affine": ("affine",), "elastic": ("elastic",),
         "affine + elastic": ("affine", "elastic")}


def data_dir() -> Path:
    if ARGS.data_dir:
        return Path(ARGS.data_dir)
    shared = ROOT.parent / "shared" / "datasets" / "mnist"
    return shared if (shared / "train-images-idx3-ubyte.gz").is_file() else ROOT / "datasets/mnist"


def milliseconds(fn, data, repeats=30, rounds=15) -> tuple[float, float]:
    """Best and median ms per call of fn(batch) over `rounds` timings of `repeats` calls, each
    round on other training images."""
    fn(data.train_images[:BATCH])
    times = []
    for r in range(rounds):
        batch = data.train_images[r * BATCH:(r + 1) * BATCH]
        started = time.perf_counter()
        for _ in range(repeats):
            fn(batch)
        times.append(1000 * (time.perf_counter() - started) / repeats)
    return min(times), float(np.median(times))


def kernel(data) -> None:
    print(f"\n1. one batch of {BATCH}, ms (best, median)")
    rng = np.random.default_rng(0)
    net = Network.create([datasets.N_INPUTS, HIDDEN, 10], rng)
    work, opt, y = net.workspace(BATCH), SGD(), data.train_labels[:BATCH]

    def step(images):
        a = net.forward(to_input(images, out=work.x), work)
        net.cost(a[-1], y)
        opt.update(net, *net.backward(a, y, work, scale=0.01), 0.01, scaled=True)

    best, median = milliseconds(step, data, repeats=10)
    print(f"  {'training step, 784-800-10':<26} {best:6.3f} {median:6.3f}")
    out = np.empty((BATCH, datasets.N_INPUTS), np.uint8)
    for name, kinds in KINDS.items():
        d = augment.Distorter(augment.Augment(kinds), "mnist")
        b, m = milliseconds(lambda images, d=d: d(images, rng, out=out), data)
        print(f"  {'distort: ' + name:<26} {b:6.3f} {m:6.3f}   {100 * b / best:4.1f} % of a step")


def epoch(data, spec, seed) -> float:
    rng = np.random.default_rng(seed)
    net = Network.create([datasets.N_INPUTS, HIDDEN, 10], rng)
    hyper = Hyper(epochs=1, batch_size=BATCH, lr=LR, augment=spec)
    for event in train(net, data, hyper, rng, SGD()):
        if isinstance(event, EpochDone):
            return event.seconds
    raise AssertionError("no epoch")


def epochs(data) -> None:
    print(f"\n2. epochs of 784-800-10, batch {BATCH}, lr {LR}, through training.train, "
          f"{ARGS.rounds} rounds interleaved; training seconds (best, median) and ratio")
    both = augment.Augment(("affine", "elastic"))
    modes = {"no distortion": (None, True), "affine + elastic": (both, True),
             "affine + elastic, 1 thread": (both, False)}
    seconds = {m: [] for m in modes}
    for r in range(ARGS.rounds):
        for mode, (spec, threaded) in modes.items():
            augment.Ahead.THREADED = threaded
            seconds[mode].append(epoch(data, spec, r))
        print(f"  round {r + 1}: " + ", ".join(f"{m} {v[-1]:.2f} s" for m, v in seconds.items()),
              flush=True)
    augment.Ahead.THREADED = True
    base_best, base_median = min(seconds["no distortion"]), np.median(seconds["no distortion"])
    for mode, v in seconds.items():
        b, m = min(v), float(np.median(v))
        print(f"  {mode:<28} {b:6.2f} {m:6.2f} s   x{b / base_best:.3f} (best)  "
              f"x{m / base_median:.3f} (median)")


def main() -> int:
    print(f"numpy {np.__version__}, {ARGS.threads} BLAS thread(s), {os.cpu_count()} core(s), "
          f"load average {os.getloadavg()[0]:.2f}")
    data = datasets.load("mnist", data_dir())
    kernel(data)
    epochs(data)
    print(f"\nload average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
