"""What the identifier window shows, as plain objects: the sketch on the canvas, and what the
network makes of it. No pygame here: a test can draw and read without a window."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import drawing, netfile
from ..constants import IMAGE_SIDE, N_INPUTS, default_preparation

CANVAS_SIDE = 448                        # ink pixels: 16 × 28, whatever the canvas's size on screen
BRUSH_DEFAULT, BRUSH_MIN, BRUSH_MAX = 14, 2, 40   # pen radius, ink pixels


class NetworkUnfit(netfile.NetFileError):
    """A valid network file whose network does not take 28×28 images."""


def load_network(path) -> netfile.NetFile:
    """A network file the identifier can use: it must read 28×28 = 784 pixels."""
    nf = netfile.load(path)
    if nf.net.sizes[0] != N_INPUTS:
        raise NetworkUnfit(f"{os.fspath(path)}: this network reads {nf.net.sizes[0]} inputs, "
                           f"not the {N_INPUTS} pixels of a {IMAGE_SIDE}×{IMAGE_SIDE} image")
    return nf


def is_network_file(path) -> bool:
    """Whether a file given or dropped is meant as a network: named .npz, or a zip archive by
    its first bytes; anything else is taken for a picture."""
    if Path(path).suffix.lower() == ".npz":
        return True
    if not os.path.isfile(path):  # a FIFO would block the read below
        return False
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"PK"
    except OSError:
        return False


def describe(nf: netfile.NetFile, path) -> str:
    """'file · dataset · 98.36% test accuracy': the window title and header."""
    acc = nf.test_accuracy
    acc_text = f"{100 * acc:.2f}% test accuracy" if np.isfinite(acc) else "not tested"
    return f"{Path(path).name} · {nf.dataset} · {acc_text}"


def top_guesses(probs: np.ndarray, classes: list[str], k: int = 3) -> list[tuple[str, float]]:
    """The k most likely (label, probability) pairs, most likely first."""
    order = np.argsort(probs)[::-1][:k]
    return [(classes[i], float(probs[i])) for i in order]


class Sketch:
    """The drawing: ink in [0, 1] (0 = none) at CANVAS_SIDE pixels a side, and the pen.
    Positions are in ink pixels; the window maps the mouse onto them."""

    def __init__(self, side: int = CANVAS_SIDE):
        self.ink = np.zeros((side, side), np.float32)
        self.brush = BRUSH_DEFAULT
        self.pen = None        # "draw" or "erase" while a button is held
        self.last = None       # the previous pen position
        self.version = 0       # counts changes: whoever shows or reads the ink redoes it then

    def press(self, pos, erase: bool = False) -> None:
        self.pen, self.last = ("erase" if erase else "draw"), None
        self.move(pos)

    def move(self, pos) -> None:
        """The pen moved to `pos`: with a button held, paint the segment from the last
        position (a fast stroke stays continuous, not a trail of dots)."""
        if self.pen is None:
            return
        drawing.stroke(self.ink, self.last or pos, pos, self.brush, erase=self.pen == "erase")
        self.last = pos
        self.version += 1

    def release(self) -> None:
        self.pen, self.last = None, None

    def change_brush(self, steps: int) -> None:
        self.brush = int(np.clip(self.brush + steps, BRUSH_MIN, BRUSH_MAX))

    def reset(self) -> None:
        self.ink[:] = 0
        self.version += 1

    def put(self, ink: np.ndarray) -> None:
        """Replace the drawing by a picture's ink, fitted to the canvas."""
        self.ink[:] = drawing.fit(ink, self.ink.shape[0])
        self.version += 1


class Reading:
    """What the network makes of the sketch (or a picture): the 28×28 input, prepared as the
    network's dataset was, every layer's activations, how sure it is of each class, and its
    guess (None for a blank canvas). The canvas, its preview, --predict and --learn all read
    through here, so a drawing reaches every network framed as its training data was."""

    def __init__(self, nf: netfile.NetFile):
        self.nf = nf
        # prepared as the network's dataset was made (MNIST's or EMNIST's way)
        self.style = nf.preparation or default_preparation(nf.dataset)
        self.seen = np.zeros((IMAGE_SIDE, IMAGE_SIDE), np.float32)
        self.activations = nf.net.forward(self.seen.reshape(1, N_INPUTS))
        self.probs = np.zeros(nf.net.sizes[-1], np.float32)
        self.guess = None
        self.version = 0  # counts readings: whoever works from one redoes it then

    @property
    def empty(self) -> bool:
        return self.guess is None

    def update(self, ink: np.ndarray) -> None:
        """Canvas → the 28×28 input → every layer's activations → probabilities."""
        net = self.nf.net
        self.seen = drawing.prepare(ink, self.style)
        self.activations = net.forward(self.seen.reshape(1, N_INPUTS))
        self.probs = net.output_layer.confidence(self.activations[-1])[0]
        self.guess = int(np.argmax(self.probs)) if self.seen.any() else None
        self.version += 1

    def ranked(self, rank: int) -> int | None:
        """The class the network ranks `rank`-th (0: its guess, 1: the runner-up)."""
        if self.guess is None or rank >= len(self.probs):
            return None
        return int(np.argsort(self.probs)[::-1][rank])


class EvidenceMap:
    """What the network looks at: for one class k, how much each pixel of the 28×28 input
    pushes the network toward k (positive) or away from it, as gradient × input of ln
    confidence_k (Network.evidence). The class is the guess, the runner-up (where ink would
    change the network's mind), or one picked by hand; the map is worked out only while shown.
    """

    def __init__(self):
        self.shown = False
        self.pick: str | int = "guess"  # "guess", "runner-up" or a class picked by hand
        self.k: int | None = None       # the class of the map now; None: no map (blank canvas)
        self.values = np.zeros((IMAGE_SIDE, IMAGE_SIDE), np.float32)
        self.scale = 0.0                # the colour scale's end: values beyond it saturate
        self._for = None

    def toggle(self) -> None:
        self.shown = not self.shown

    def flip(self) -> None:
        """The guess's map <-> the runner-up's."""
        self.pick = "runner-up" if self.pick == "guess" else "guess"
        self.shown = True

    def choose(self, k: int) -> None:
        """A class picked by hand (a click on its bar); picking it again goes back to the
        guess."""
        self.pick = "guess" if self.pick == k and self.shown else k
        self.shown = True

    def forget_choice(self) -> None:
        """A new network: a class picked by hand may mean nothing to it."""
        if not isinstance(self.pick, str):
            self.pick = "guess"
        self._for = None

    def update(self, reading: Reading) -> None:
        """Redo the map when the reading, the pick or the visibility changed."""
        key = (reading.version, id(reading), self.pick, self.shown)
        if key == self._for:
            return
        self._for = key
        if not self.shown or reading.empty:
            self.k = None
            return
        self.k = {"guess": reading.guess, "runner-up": reading.ranked(1)}.get(self.pick,
                                                                              self.pick)
        if self.k is None:
            return
        values = reading.nf.net.evidence(reading.activations, [self.k])[0]
        self.values = values.reshape(IMAGE_SIDE, IMAGE_SIDE)
        # 2.5 × the root mean square over the inked pixels: the largest |value| alone would
        # be one pixel's, and leave every other one near the zero colour
        inked = values[reading.activations[0][0] > 0]
        self.scale = min(2.5 * float(np.sqrt(np.mean(inked * inked))) if inked.size else 0.0,
                         float(np.abs(values).max()))
