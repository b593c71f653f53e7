#!/usr/bin/env python3
"""Does the live window slow training down? Samples per second with and without it.

For each network, runs of the same number of mini-batches on the real MNIST alternate between
headless (`training.train` alone) and windowed (`TrainerWindow.watch(train(...))`), so a busy
machine hurts both alike. The report gives each one's best run (the least disturbed by other
processes) and their ratio, by wall time and by the process's CPU time (which other processes
disturb far less; with the dummy driver all drawing is on this process's CPU), and the share of
the windowed runs' wall time spent drawing, which is what the window itself costs. The issue's
bar is a ratio of at least 90%.

    SDL_VIDEODRIVER=dummy python benchmarks/bench_window.py            # the issue's two networks
    python benchmarks/bench_window.py --sizes 784-800-10 --batches 400 # under a real display

BLAS runs single-threaded unless --threads says otherwise: on a small shared machine OpenBLAS's
threads fight over the cores and make every figure noise (32-sample batches gain nothing from
them anyway).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", nargs="+", default=["784-100-10", "784-24-16-10"])
    p.add_argument("--batches", type=int, default=1500, help="mini-batches per run")
    p.add_argument("--rounds", type=int, default=5, help="headless/window pairs per network")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", default="1", help="BLAS threads (default 1)")
    p.add_argument("--data-dir", default=None, help="MNIST folder (default: the shared copy, "
                   "else datasets/mnist)")
    a = p.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = a.threads
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from basicnet import datasets
    from basicnet.network import SGD, Network
    from basicnet.trainer.window import TrainerWindow
    from basicnet.training import Hyper, train

    folder = a.data_dir
    if folder is None:
        shared = ROOT.parent / "shared" / "datasets" / "mnist"
        folder = shared if shared.is_dir() else None
    data = datasets.load("mnist", folder)
    hyper = Hyper(epochs=1000, batch_size=a.batch_size)

    def run(net, window: TrainerWindow | None) -> tuple[float, int]:
        """Train `net` (the window's own, in place) afresh from the same start."""
        rng = np.random.default_rng(0)
        start = Network.create(net.sizes, rng)
        for now, then in zip(net.W + net.b, start.W + start.b):
            now[...] = then
        events = train(net, data, hyper, rng, SGD())
        if window is not None:
            events = window.watch(events)
        started, cpu = time.perf_counter(), time.process_time()
        frames, drawing = (window.frames, window.drawing_s) if window else (0, 0.0)
        for i, _ in enumerate(events):
            if i + 1 >= a.batches:
                break
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        n = a.batches * a.batch_size
        if window is None:
            return n / seconds, n / cpu, 0.0, 0.0
        return (n / seconds, n / cpu, (window.frames - frames) / seconds,
                (window.drawing_s - drawing) / seconds)

    print(f"video driver: {os.environ.get('SDL_VIDEODRIVER', '(default)')}, "
          f"BLAS threads: {a.threads}, {a.batches} batches of {a.batch_size} per run, "
          f"{a.rounds} rounds")
    print(f"{'':<16}{'samples/s (wall)':^36}{'by CPU time':^10}")
    print(f"{'network':<16}{'headless':>14}{'window':>14}{'ratio':>8}{'ratio':>10}"
          f"{'frames/s':>10}{'drawing':>9}")
    worst = math.inf
    for spec in a.sizes:
        sizes = [int(s) for s in spec.split("-")]
        net = Network.create(sizes, np.random.default_rng(0))
        window = TrainerWindow(net, data, title="mnist", epochs=1, rng=np.random.default_rng(0))
        try:
            run(net, None)  # warm-up: page in the data, load fonts
            heads, wins = [], []
            for k in range(a.rounds):  # alternating which goes first, too
                for w in ((None, window) if k % 2 == 0 else (window, None)):
                    (heads if w is None else wins).append(run(net, w))
        finally:
            window.close()
        best_h, best_w = max(h[0] for h in heads), max(w[0] for w in wins)
        ratio = best_w / best_h
        cpu_ratio = max(w[1] for w in wins) / max(h[1] for h in heads)
        worst = min(worst, ratio)
        print(f"{spec:<16}{best_h:>10,.0f} s/s{best_w:>10,.0f} s/s{100 * ratio:>7.1f}%"
              f"{100 * cpu_ratio:>9.1f}%{statistics.median(w[2] for w in wins):>10.1f}"
              f"{100 * statistics.median(w[3] for w in wins):>8.1f}%")
    print(f"worst ratio: {100 * worst:.1f}% (the bar: 90%)")
    return 0 if worst >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
