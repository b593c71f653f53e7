"""The training loop, as a generator of progress events, plus evaluation and the CSV log.

`train` yields a `BatchDone` after every mini-batch and an `EpochDone` (with test figures)
after every epoch. A terminal progress bar, the CSV log and the live window all just consume
these events; whoever consumes may pause between two of them, which is when the weights are
safe to read.
"""

from __future__ import annotations

import csv
import math
import os
import time
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .datasets import IMAGE_SIDE
from .network import SGD, Network, learning_rate

PIXEL_SCALE = np.float32(1 / 255)
EVAL_BATCH = 10_000


def to_input(images: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """uint8 pixels (N, 784) -> float32 network input in [0, 1], in one pass (into `out`,
    a float32 (N, 784) array, when given)."""
    return np.multiply(images, PIXEL_SCALE, out=out, dtype=np.float32)


@dataclass
class Hyper:
    """How to train, with the trainer's defaults (its command line extends this class). They
    reach 98 % MNIST test accuracy after 4-5 epochs with a 784-200-10 network (3-5 s of
    training on two cores) and end near 98.1-98.3 %; README.md says how they were chosen."""

    epochs: int = 7
    batch_size: int = 32
    lr: float = 0.25
    schedule: str = "cosine"
    momentum: float = 0.9
    weight_decay: float = 0.0
    augment: int = 0  # shift each training image by up to this many pixels; 0: never


def shift_images(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each (N, 784) uint8 image moved by its own random whole-pixel shift of up to
    `max_shift` pixels in x and in y, the uncovered border filled with 0 (black).

    Why: a digit drawn 2 px further right is the same digit, but to a fully connected layer it
    is a different input vector. Showing every training image at a fresh offset each time it is
    seen teaches the network that invariance and, by roughly multiplying the data, keeps a wide
    net from memorising the 60,000 originals: with it a plain sigmoid 784-800-10 on raw pixels
    reaches 98.8 % on MNIST instead of 98.1 % (README.aug.md). Only training batches are
    shifted; the test images never are.

    Vectorised: pad every image with `max_shift` zeros on each side, view the padded image as
    its (2m+1)x(2m+1) grid of 28x28 windows (no copy), and read each image's window at its own
    offset with one fancy-indexing gather (no loop over images).
    """
    n, side, m = len(images), IMAGE_SIDE, max_shift
    padded = np.pad(images.reshape(n, side, side), ((0, 0), (m, m), (m, m)))
    windows = sliding_window_view(padded, (side, side), axis=(1, 2))  # (n, 2m+1, 2m+1, 28, 28)
    dy, dx = rng.integers(0, 2 * m + 1, size=(2, n))  # window origin in the padded image
    return windows[np.arange(n), dy, dx].reshape(n, side * side)


@dataclass
class Evaluation:
    accuracy: float       # fraction correct
    correct: int
    total: int
    cost: float           # mean cost
    confusion: np.ndarray  # (K, K) counts, rows = true class, columns = guess

    def line(self) -> str:
        """The last line of every run; other tools read this exact shape."""
        return f"test accuracy: {100 * self.accuracy:.2f}% ({self.correct}/{self.total})"


@dataclass
class BatchDone:
    epoch: int          # 1-based epoch of this run being trained
    batch: int          # 1-based batch within the epoch
    n_batches: int
    samples_seen: int   # over the network's whole life
    cost: float         # this batch's mean cost, before the update
    lr: float
    seconds: float = 0.0  # this batch's training time


@dataclass
class EpochDone:
    epoch: int          # 1-based epoch of this run just finished
    epochs_trained: int  # over the network's whole life
    samples_seen: int
    train_cost: float   # mean of the epoch's batch costs
    test: Evaluation
    lr: float
    seconds: float      # training time of this epoch, evaluation excluded
    elapsed: float      # training time since the run started
    samples_per_s: float


class Diverged(ArithmeticError):
    """The cost became NaN or infinite; the network holds the weights of the last good epoch."""


def evaluate(net: Network, images: np.ndarray, labels: np.ndarray, n_classes=None) -> Evaluation:
    k = n_classes or net.sizes[-1]
    cost_sum, guesses = 0.0, []
    for i in range(0, len(labels), EVAL_BATCH):
        y = labels[i:i + EVAL_BATCH]
        out = net.predict(to_input(images[i:i + EVAL_BATCH]))
        cost_sum += net.cost(out, y) * len(y)
        guesses.append(out.argmax(axis=1))
    guess = np.concatenate(guesses) if guesses else np.zeros(0, np.int64)
    confusion = np.bincount(labels.astype(np.int64) * k + guess,  # no uint8 wrap-round
                            minlength=k * k).reshape(k, k)
    correct = int(np.trace(confusion))
    total = len(labels)
    return Evaluation(correct / max(total, 1), correct, total, cost_sum / max(total, 1), confusion)


def train(net: Network, data, hyper: Hyper, rng: np.random.Generator, optimizer: SGD,
          epochs_trained: int = 0, samples_seen: int = 0):
    """Train `net` in place on `data` (a datasets.Dataset) for hyper.epochs epochs, yielding
    BatchDone / EpochDone events. Raises Diverged (after restoring the last good weights)."""
    n = len(data.train_labels)
    n_batches = math.ceil(n / hyper.batch_size)
    work = net.workspace(min(hyper.batch_size, n))  # every batch reuses these arrays
    elapsed = 0.0
    for epoch in range(1, hyper.epochs + 1):
        good = net.copy(), [v.copy() for v in optimizer.vW], [v.copy() for v in optimizer.vb]

        def diverged(where: str) -> Diverged:
            net.W, net.b = good[0].W, good[0].b
            optimizer.vW, optimizer.vb = good[1], good[2]
            return Diverged(f"training diverged in epoch {epoch}, {where}; kept the weights "
                            f"from before that epoch; try a smaller --lr")

        order = rng.permutation(n)
        cost_sum, lr, seconds = 0.0, hyper.lr, 0.0
        for batch in range(n_batches):
            started = time.perf_counter()
            idx = order[batch * hyper.batch_size:(batch + 1) * hyper.batch_size]
            y = data.train_labels[idx]
            images = data.train_images[idx]
            if hyper.augment:
                images = shift_images(images, hyper.augment, rng)
            x = to_input(images, out=work.x[:len(idx)])
            a = net.forward(x, work)
            cost = net.cost(a[-1], y)
            if not math.isfinite(cost):
                raise diverged(f"batch {batch + 1} (cost {cost})")
            lr = learning_rate(hyper.lr, hyper.schedule, (epoch - 1 + batch / n_batches)
                               / hyper.epochs)
            optimizer.update(net, *net.backward(a, y, work, scale=lr), lr, scaled=True)
            cost_sum += cost
            samples_seen += len(idx)
            # training time only: what consumers do with the event (draw, pause) is theirs
            took = time.perf_counter() - started
            seconds += took
            yield BatchDone(epoch, batch + 1, n_batches, samples_seen, cost, lr, took)
        if not all(np.isfinite(p).all() for p in net.W + net.b):
            # the epoch's last update overflowed, and no later batch cost will show it
            raise diverged("its last batch (the weights overflowed)")
        elapsed += seconds
        test = evaluate(net, data.test_images, data.test_labels, data.n_classes)
        yield EpochDone(epoch, epochs_trained + epoch, samples_seen, cost_sum / n_batches, test,
                        lr, seconds, elapsed, n / seconds)


class ThreadTuner:
    """Chooses how many threads the BLAS library gives the matrix products, by timing batches.

    Why measure: more threads help only when the products are big enough to share and the
    cores are free. On an idle 2-core machine a 784-200-10 batch of 32 trains 17 % faster with
    two threads than with one; with another program busy on one core it trains 2.5-3x slower
    with two (they wait for each other at every product), and one thread is unaffected.

    So: try each choice (1, 2, 4, ... up to `cores`) for `probe` batches, keep the one with the
    least mean batch time, hold it for `hold` batches and try again; the hold doubles each time
    the same choice wins (up to 16 times the first hold), so a steady machine is seldom
    disturbed and a changed one is noticed.
    The mean, not the median: on a busy machine most two-thread batches are as fast as ever,
    and one in a few waits a whole time slice (milliseconds) for a thread the system put aside;
    those few are what make such an epoch 2.5-3x slower.
    """

    def __init__(self, cores: int, probe: int = 48, hold: int = 512):
        if probe < 2 or hold < 1:
            raise ValueError("a probe needs 2 batches or more (the first one warms up)")
        self.choices = [c for c in (2 ** i for i in range(cores.bit_length())) if c < cores]
        self.choices.append(cores)
        self.probe, self.first_hold, self.hold = probe, hold, hold
        self.best = None
        self._start_trials()

    def _start_trials(self):
        # the choice in force goes first: it sets the bar, and a trial stops as soon as it is
        # slower than a whole probe of a better choice (on a busy machine, a slow choice costs)
        order = sorted(self.choices, key=lambda c: c != self.best)
        self.plan = [(c, self.probe) for c in order]
        self.times = {}
        self.bar = math.inf  # the least time a whole probe took in this round
        self.spent = 0.0     # what the choice on trial has taken so far, after its warm-up
        self.threads, self.left = self.plan.pop(0)
        self.trying = True

    def _mean(self, c) -> float:
        return float(np.mean(self.times[c][1:]))  # the first batch after a switch warms up

    def batch_done(self, seconds: float) -> int | None:
        """Note one batch's training time; returns the thread count to switch to now, or
        None to keep the current one."""
        if self.trying:
            times = self.times.setdefault(self.threads, [])
            times.append(seconds)
            if len(times) > 1:
                self.spent += seconds
            if self.spent > self.bar:
                self.left = 1
        self.left -= 1
        if self.left > 0:
            return None
        before = self.threads
        if self.trying:  # a trial ends; one that was cut short cannot lower the bar
            self.bar, self.spent = min(self.bar, self.spent), 0.0
        if self.plan:
            self.threads, self.left = self.plan.pop(0)
        elif self.trying:
            fastest = min(self.times, key=self._mean)
            self.hold = min(2 * self.hold, 16 * self.first_hold) if fastest == self.best \
                else self.first_hold
            self.best, self.threads, self.left, self.trying = fastest, fastest, self.hold, False
        else:
            self._start_trials()
        return self.threads if self.threads != before else None


def usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than the
    machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def tune_threads(events, cores: int | None = None):
    """Pass the training events through, setting the BLAS threads between batches as a
    ThreadTuner decides, over 1 ... `cores`: by default the cores this process may use, but
    no more than BLAS had when called (so OPENBLAS_NUM_THREADS=1 still means one thread).
    The thread count is restored when the events end or this generator is closed."""
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController()
    if cores is None:
        now = [lib["num_threads"] for lib in blas.select(user_api="blas").info()]
        cores = min([usable_cores(), *now])
    tuner = ThreadTuner(cores)
    if len(tuner.choices) == 1:  # nothing to choose between
        yield from events
        return
    with blas.limit(limits=tuner.threads, user_api="blas"):  # restores the count on exit
        for event in events:
            if isinstance(event, BatchDone):
                threads = tuner.batch_done(event.seconds)
                if threads is not None:
                    blas.limit(limits=threads, user_api="blas")
            yield event


class CsvLog:
    """One row per epoch: the columns the plotting scripts read."""

    COLUMNS = ("epoch", "samples_seen", "elapsed_s", "learning_rate", "train_cost", "test_cost",
               "test_accuracy")

    def __init__(self, path):
        self.path = path
        self._file = open(path, "w", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(self.COLUMNS)
        self._file.flush()

    def write(self, e: EpochDone) -> None:
        self._writer.writerow([e.epochs_trained, e.samples_seen, f"{e.elapsed:.3f}", f"{e.lr:.6g}",
                               f"{e.train_cost:.6f}", f"{e.test.cost:.6f}",
                               f"{e.test.accuracy:.6f}"])
        self._file.flush()

    def close(self) -> None:
        self._file.close()
