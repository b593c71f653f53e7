"""How many threads the BLAS library gives the matrix products, chosen by timing batches.

`tune_threads(events)` wraps the training events and sets the thread count between two
batches as a `ThreadTuner` decides. docs/performance.md has the measurements behind it.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .training import BatchDone


class ThreadTuner:
    """Chooses how many threads the BLAS library gives the matrix products, by timing batches.

    Why measure: more threads help only when the products are big enough to share and the
    cores are free. On an idle machine two threads train a small batch faster than one; with
    another program busy on one core they train it several times slower (they wait for each
    other at every product), and one thread is unaffected (docs/performance.md has figures).

    So: try each choice (1, 2, 4, ... up to `cores`) for `probe` batches, keep the one with the
    least mean batch time, hold it for `hold` batches and try again; the hold doubles each time
    the same choice wins (up to 16 times the first hold), so a steady machine is seldom
    disturbed and a changed one is noticed.
    The mean, not the median: on a busy machine most two-thread batches are as fast as ever,
    and one in a few waits a whole time slice (milliseconds) for a thread the system put aside;
    those few are what make such an epoch slow.
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
