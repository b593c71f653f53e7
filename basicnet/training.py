"""The training loop, as a generator of progress events, plus evaluation.

`train` yields a `BatchDone` after every mini-batch and an `EpochDone` (with test figures)
after every epoch. A terminal progress bar, the CSV log and the live window all just consume
these events; whoever consumes may pause between two of them, which is when the weights are
safe to read.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .augment import Ahead, Augment
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
    augment: Augment | None = None  # distortions of the training images; None: none
    dropout: float = 0.0  # probability of dropping each hidden unit from a training batch


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


def _diverged(net: Network, optimizer: SGD, good, epoch: int, where: str) -> Diverged:
    """Put back the weights and velocities `good` held before the epoch; the error to raise."""
    net.W, net.b = good[0].W, good[0].b
    optimizer.vW, optimizer.vb = good[1], good[2]
    return Diverged(f"training diverged in epoch {epoch}, {where}; kept the weights from "
                    f"before that epoch; try a smaller --lr")


def train(net: Network, data, hyper: Hyper, rng: np.random.Generator, optimizer: SGD,
          epochs_trained: int = 0, samples_seen: int = 0):
    """Train `net` in place on `data` (a datasets.Dataset) for hyper.epochs epochs, yielding
    BatchDone / EpochDone events. Raises Diverged (after restoring the last good weights)."""
    n = len(data.train_labels)
    n_batches = math.ceil(n / hyper.batch_size)
    work = net.workspace(min(hyper.batch_size, n))  # every batch reuses these arrays
    # Only training batches are distorted, each time afresh; the test set never is. The next
    # batch is distorted (on a second thread) while the network learns from this one.
    ahead = Ahead(hyper.augment, data.name, rng) if hyper.augment else None
    elapsed = 0.0
    for epoch in range(1, hyper.epochs + 1):
        good = net.copy(), [v.copy() for v in optimizer.vW], [v.copy() for v in optimizer.vb]
        order = rng.permutation(n)
        if ahead:
            ahead.start(data.train_images, order[:hyper.batch_size])
        cost_sum, lr, seconds = 0.0, hyper.lr, 0.0
        for batch in range(n_batches):
            started = time.perf_counter()
            idx = order[batch * hyper.batch_size:(batch + 1) * hyper.batch_size]
            y = data.train_labels[idx]
            if ahead:
                images = ahead.result()
                after = order[(batch + 1) * hyper.batch_size:(batch + 2) * hyper.batch_size]
                if len(after):
                    ahead.start(data.train_images, after)
            else:
                images = data.train_images[idx]
            if hyper.dropout:
                work.drop(hyper.dropout, rng, len(idx))
            x = to_input(images, out=work.x[:len(idx)])
            a = net.forward(x, work)
            cost = net.cost(a[-1], y)
            if not math.isfinite(cost):
                raise _diverged(net, optimizer, good, epoch, f"batch {batch + 1} (cost {cost})")
            lr = learning_rate(hyper.lr, hyper.schedule, (epoch - 1 + batch / n_batches)
                               / hyper.epochs)
            optimizer.update(net, *net.backward(a, y, work, scale=lr), lr, scaled=True)
            if ahead:
                ahead.result()  # the next batch is ready before anyone may change BLAS threads
            cost_sum += cost
            samples_seen += len(idx)
            # training time only: what consumers do with the event (draw, pause) is theirs
            took = time.perf_counter() - started
            seconds += took
            yield BatchDone(epoch, batch + 1, n_batches, samples_seen, cost, lr, took)
        if not all(np.isfinite(p).all() for p in net.W + net.b):
            # the epoch's last update overflowed, and no later batch cost will show it
            raise _diverged(net, optimizer, good, epoch,
                            "its last batch (the weights overflowed)")
        elapsed += seconds
        test = evaluate(net, data.test_images, data.test_labels, data.n_classes)
        yield EpochDone(epoch, epochs_trained + epoch, samples_seen, cost_sum / n_batches, test,
                        lr, seconds, elapsed, n / seconds)
    if ahead:  # (a run stopped early lets go of it too: its thread ends with it)
        ahead.close()
