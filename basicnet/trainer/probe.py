"""The parts of the trainer window's picture that take running the network: the test image on
show with every layer's activations, and a quick accuracy estimate during an epoch.

The window calls `update` between two batches, when the weights are safe to read; the panels only
read what it left here. So no drawing call runs the network, and drawing costs what it costs.
"""

from __future__ import annotations

import math

import numpy as np

from ..training import to_input

SAMPLE_EVERY_S = 1.5          # how long one test image stays on screen
LIVE_ACCURACY_SAMPLES = 500   # a fixed slice of the test set, scored while an epoch runs
LIVE_ACCURACY_EVERY_S = 2.0


class NetworkProbe:
    def __init__(self, net, data, rng: np.random.Generator):
        self.net, self.data, self.rng = net, data, rng
        self.index = None         # the test image on show
        self.image = None         # its uint8 pixels (784,)
        self.label = None
        self.activations = None   # a[0] .. a[L] for it, one row each
        self._sample_until = -math.inf
        self._live_until = -math.inf

    def update(self, now: float, history, paused: bool) -> None:
        """Choose the next test image when its time is up (not while paused), run the network
        on it with the current weights, and add an accuracy estimate to `history` when due."""
        data = self.data
        if len(data.test_labels) == 0:
            return
        if self.index is None or (now >= self._sample_until and not paused):
            self.index = int(self.rng.integers(len(data.test_labels)))
            self._sample_until = now + SAMPLE_EVERY_S
        self.image = data.test_images[self.index]
        self.label = int(data.test_labels[self.index])
        self.activations = [a[0] for a in self.net.forward(to_input(self.image[None, :]))]
        if now >= self._live_until and not paused and history.batch > 0:
            self._live_until = now + LIVE_ACCURACY_EVERY_S
            history.live_acc.append((history.x_now(), self.live_accuracy()))

    def live_accuracy(self) -> float:
        """Percent right on the first LIVE_ACCURACY_SAMPLES test images: an estimate that moves
        during the first epoch too (the whole test set is scored at every epoch's end)."""
        n = min(LIVE_ACCURACY_SAMPLES, len(self.data.test_labels))
        out = self.net.predict(to_input(self.data.test_images[:n]))
        return 100 * float((out.argmax(axis=1) == self.data.test_labels[:n]).mean())

    def guess(self) -> int | None:
        return None if self.activations is None else int(np.argmax(self.activations[-1]))
