"""What the trainer window knows about the run so far, built from the training events alone.

Pure: no pygame, no network. The window feeds it every event (`note`) and the panels read it, so
a chart shows exactly what the events said, and a test can check it without a window.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from ..training import BatchDone, EpochDone, RateChanged, worst_mistakes

RATE_WINDOW = 64  # batches the samples/s figure is averaged over
MISTAKES_KEPT = 24  # the most confident mistakes of the last test, for the mistakes view


@dataclass
class TrainingHistory:
    """Costs, accuracies and speed of one run. The x coordinate of every curve is the network's
    age in epochs (fractional), so a continued network's curves go on from where it was."""

    epochs: int | None = None          # planned for this run
    epochs_before: int = 0             # the network's age when this run started
    epoch: int = 0                     # 1-based epoch of this run being trained
    batch: int = 0
    n_batches: int = 1
    samples_seen: int = 0
    lr: float = math.nan
    cost_curve: list = field(default_factory=list)   # (x, mean batch cost since the last point)
    test_cost: list = field(default_factory=list)    # (x, test cost) after each epoch
    test_acc: list = field(default_factory=list)     # (x, test accuracy %) after each epoch
    live_acc: list = field(default_factory=list)     # (x, estimate %) during epochs
    lr_marks: list = field(default_factory=list)     # (x, new rate): changed by hand
    last_test: object = None                         # the last epoch's training.Evaluation
    worst: list = field(default_factory=list)        # its most confident training.Mistakes
    _cost_sum: float = 0.0
    _cost_n: int = 0
    lr_scale: float = 1.0                            # the hand's factor in `lr`
    _rate: deque = field(default_factory=lambda: deque(maxlen=RATE_WINDOW))

    def note(self, event, now: float) -> None:
        """Take in one training event, seen at time `now` (seconds)."""
        if isinstance(event, BatchDone):
            self.epoch, self.batch, self.n_batches = event.epoch, event.batch, event.n_batches
            self.samples_seen, self.lr = event.samples_seen, event.lr
            self._cost_sum += event.cost
            self._cost_n += 1
            self._rate.append((now, event.samples_seen))
        elif isinstance(event, EpochDone):
            x = float(event.epochs_trained)
            self.test_cost.append((x, event.test.cost))
            self.test_acc.append((x, 100 * event.test.accuracy))
            self.last_test = event.test
            self.worst = worst_mistakes(event.test, MISTAKES_KEPT)
            self.batch = self.n_batches
            self.close_cost_point()
        elif isinstance(event, RateChanged):
            self.lr_marks.append((event.epoch, event.lr))
            self.lr = event.lr
            self.lr_scale *= event.factor

    def close_cost_point(self) -> None:
        """End the current stretch of batch costs with one point on the cost curve (the charts
        do this each time they are refreshed, so the curve is smoothed at their pace)."""
        if self._cost_n:
            self.cost_curve.append((self.x_now(), self._cost_sum / self._cost_n))
            self._cost_sum, self._cost_n = 0.0, 0

    def x_now(self) -> float:
        """The network's age in epochs, fractional: the charts' x coordinate."""
        return self.epochs_before + max(self.epoch - 1, 0) + self.batch / max(self.n_batches, 1)

    def progress(self) -> float:
        """How far through the current epoch, 0..1."""
        return self.batch / max(self.n_batches, 1)

    def samples_per_s(self) -> float:
        if len(self._rate) < 2:
            return math.nan
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else math.nan

    def skip_pause(self, gap: float) -> None:
        """A pause of `gap` seconds is not training time: shift the samples/s window past it."""
        self._rate = deque(((t + gap, s) for t, s in self._rate), maxlen=RATE_WINDOW)

    def x_range(self) -> tuple[float, float]:
        """From the network's age when this run started to a little beyond now (the planned
        end once near it): the curves use the width instead of hugging a long run's start."""
        base = self.epochs_before
        end = base + (self.epochs or 1)
        grown = base + max(1, math.ceil((self.x_now() - base) * 1.3))
        return float(base), float(max(min(end, grown), self.x_now()))
