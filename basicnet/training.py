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
    """How to train, with the trainer's defaults (its command line extends this class): a
    784-200-10 network reaches 98 % MNIST test accuracy in a few seconds with them;
    docs/accuracy.md says how they were chosen."""

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
    """A network's result on a test set: the figures, the confusion matrix, and each image's
    guess with how sure the network was of it (the stuff "why does it err?" is made of)."""

    accuracy: float       # fraction correct
    correct: int
    total: int
    cost: float           # mean cost
    confusion: np.ndarray  # (K, K) counts, rows = true class, columns = guess
    labels: np.ndarray | None = None      # (N,) the true classes
    guesses: np.ndarray | None = None     # (N,) the network's guesses
    confidence: np.ndarray | None = None  # (N,) its confidence in each guess, 0..1

    def line(self) -> str:
        """The last line of every run; other tools read this exact shape."""
        return f"test accuracy: {100 * self.accuracy:.2f}% ({self.correct}/{self.total})"

    def class_accuracy(self) -> np.ndarray:
        """(K,) the fraction of each true class guessed right; NaN for a class with no test
        image."""
        shown = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(shown > 0, np.diag(self.confusion) / shown, np.nan)


@dataclass(frozen=True)
class Mistake:
    index: int          # in the test set
    truth: int          # the true class
    guess: int
    confidence: float   # how sure the network was of its wrong guess, 0..1


def worst_mistakes(evaluation: Evaluation, n: int = 16) -> list[Mistake]:
    """The `n` wrong guesses the network was most confident of, most confident first (ties:
    the lower test index first). A confident mistake is the telling kind: a digit that really
    looks like another, or a wrong label."""
    e = evaluation
    if e.guesses is None or n <= 0:
        return []
    wrong = np.flatnonzero(e.guesses != e.labels)
    worst = wrong[np.argsort(-e.confidence[wrong], kind="stable")[:n]]
    return [Mistake(int(i), int(e.labels[i]), int(e.guesses[i]), float(e.confidence[i]))
            for i in worst]


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


@dataclass
class RateChanged:
    """The learning rate was changed by hand (`Steering`); from the next batch on it is `lr`."""

    epoch: float        # the network's age in epochs, fractional: where the change applies
    samples_seen: int
    elapsed: float      # training time since the run started
    lr: float           # the rate of the next batch
    factor: float       # how much the hand changed it since the last change

    def note(self) -> str:
        return f"learning rate ×{self.factor:.3g} by hand"


@dataclass
class Steering:
    """A hand on the running training: whoever holds it (the live window) changes it, and
    `train` reads it before every batch. The schedule's rate is multiplied by `lr_scale`."""

    lr_scale: float = 1.0


class Diverged(ArithmeticError):
    """The cost became NaN or infinite; the network holds the weights of the last good epoch."""


def evaluate(net: Network, images: np.ndarray, labels: np.ndarray, n_classes=None) -> Evaluation:
    """Test `net` on every image: cost, accuracy, confusion matrix, and each guess with its
    confidence (output_layer.confidence of the guessed class)."""
    k = n_classes or net.sizes[-1]
    total = len(labels)
    guess = np.zeros(total, np.int64)
    sure = np.zeros(total, np.float32)
    cost_sum = 0.0
    for i in range(0, total, EVAL_BATCH):
        y = labels[i:i + EVAL_BATCH]
        out = net.predict(to_input(images[i:i + EVAL_BATCH]))
        cost_sum += net.cost(out, y) * len(y)
        guess[i:i + len(y)] = out.argmax(axis=1)
        sure[i:i + len(y)] = net.output_layer.confidence(out).max(axis=1)
    confusion = np.bincount(labels.astype(np.int64) * k + guess,  # no uint8 wrap-round
                            minlength=k * k).reshape(k, k)
    correct = int(np.trace(confusion))
    return Evaluation(correct / max(total, 1), correct, total, cost_sum / max(total, 1), confusion,
                      labels, guess, sure)


def _diverged(net: Network, optimizer: SGD, good, epoch: int, where: str) -> Diverged:
    """Put back the weights and velocities `good` held before the epoch; the error to raise."""
    net.W, net.b = good[0].W, good[0].b
    optimizer.vW, optimizer.vb = good[1], good[2]
    return Diverged(f"training diverged in epoch {epoch}, {where}; kept the weights from "
                    f"before that epoch; try a smaller --lr")


def train(net: Network, data, hyper: Hyper, rng: np.random.Generator, optimizer: SGD,
          epochs_trained: int = 0, samples_seen: int = 0, steering: Steering | None = None):
    """Train `net` in place on `data` (a datasets.Dataset) for hyper.epochs epochs, yielding
    BatchDone / EpochDone events, and a RateChanged before the first batch that uses a new
    `steering.lr_scale`. Raises Diverged (after restoring the last good weights)."""
    # Only training batches are distorted, each time afresh; the test set never is. The next
    # batch is distorted (on a second thread) while the network learns from this one; the
    # thread ends with the run, however it ends (finished, stopped early, diverged).
    ahead = Ahead(hyper.augment, data.name, rng) if hyper.augment else None
    try:
        yield from _train(net, data, hyper, rng, optimizer, epochs_trained, samples_seen,
                          steering or Steering(), ahead)
    finally:
        if ahead:
            ahead.close()


def _train(net, data, hyper, rng, optimizer, epochs_trained, samples_seen, steering, ahead):
    applied = 1.0  # the scale the rates of the batches so far were multiplied by
    n = len(data.train_labels)
    n_batches = math.ceil(n / hyper.batch_size)
    work = net.workspace(min(hyper.batch_size, n))  # every batch reuses these arrays
    elapsed = 0.0
    for epoch in range(1, hyper.epochs + 1):
        good = net.copy(), [v.copy() for v in optimizer.vW], [v.copy() for v in optimizer.vb]
        order = rng.permutation(n)
        if ahead:
            ahead.start(data.train_images, order[:hyper.batch_size])
        cost_sum, lr, seconds = 0.0, hyper.lr, 0.0
        for batch in range(n_batches):
            scale = steering.lr_scale  # read once: the batch and its event agree on it
            lr = scale * learning_rate(hyper.lr, hyper.schedule, (epoch - 1 + batch / n_batches)
                                       / hyper.epochs)
            if scale != applied:
                yield RateChanged(epochs_trained + epoch - 1 + batch / n_batches, samples_seen,
                                  elapsed + seconds, lr, scale / applied)
                applied = scale
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
