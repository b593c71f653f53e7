"""One first-layer neuron opened for a closer look: which test images excite it most and least.

Like the `NetworkProbe`, it runs the network only in `update`, which the window calls between
two batches: when a neuron is opened, and then every UPDATE_S while it stays open, so the
images follow training. The panel that shows it (`neuron_panel.NeuronPanel`) only reads what
is left here.
"""

from __future__ import annotations

import math

import numpy as np

from ..network import ACTIVATIONS
from ..training import to_input

UPDATE_S = 1.0            # how often an open neuron's images are chosen again
INSPECT_SAMPLES = 10_000  # a fixed slice of the test set (all of MNIST's; EMNIST's are larger)
SHOWN = 6                 # images that excite it most, and least


class NeuronInspector:
    def __init__(self, net, test_images: np.ndarray, shown: int = SHOWN):
        self.net, self.images, self.shown = net, test_images, shown
        self.neuron: int | None = None  # the open first-layer neuron
        self.most = self.least = np.zeros(0, np.int64)  # test indices
        self.most_a = self.least_a = np.zeros(0, np.float32)  # their activations
        self._x = None             # the slice as network input, made when first needed
        self._due = -math.inf

    @property
    def is_open(self) -> bool:
        return self.neuron is not None

    @property
    def n_samples(self) -> int:
        return min(INSPECT_SAMPLES, len(self.images))

    def open(self, neuron: int) -> None:
        self.neuron, self._due = int(neuron), -math.inf
        self.most = self.least = np.zeros(0, np.int64)

    def close(self) -> None:
        self.neuron, self._x = None, None  # the slice's floats go with it

    def update(self, now: float) -> bool:
        """Choose the open neuron's images again when due; whether it did."""
        if self.neuron is None or now < self._due or self.n_samples == 0:
            return False
        self._due = now + UPDATE_S
        if self._x is None:
            self._x = to_input(self.images[:self.n_samples])
        a = self.activations(self.neuron)
        order = np.argsort(-a, kind="stable")
        k = min(self.shown, len(order))
        self.most, self.least = order[:k], order[::-1][:k]
        self.most_a, self.least_a = a[self.most], a[self.least]
        return True

    def activations(self, neuron: int) -> np.ndarray:
        """a[1] of that neuron for every image of the slice: σ(x · W[0][:, j] + b[0][j])."""
        W, b = self.net.W[0], self.net.b[0]
        z = self._x @ W[:, neuron] + b[neuron]
        return ACTIVATIONS[self.net.hidden](z)
