"""What augmentation does, on screen: a few training images as the network sees them, each
distorted afresh by the training's own distortion every few seconds."""

from __future__ import annotations

import math

import numpy as np
import pygame

from .. import render as r
from ..constants import IMAGE_SIDE

COUNT = 8          # images in the strip
EVERY_S = 2.0      # a new draw of distortions this often


class DistortedSamples:
    """The images on show. `distort(images, rng)` is the training's distortion of a uint8
    batch; it runs in `update`, between two batches, never while drawing."""

    def __init__(self, data, distort, rng: np.random.Generator):
        self.data, self.distort, self.rng = data, distort, rng
        self.images = self.labels = None
        self._until = -math.inf

    def update(self, now: float, paused: bool) -> None:
        n = len(self.data.train_labels)
        if n == 0 or (now < self._until or paused) and self.images is not None:
            return
        self._until = now + EVERY_S
        pick = self.rng.choice(n, min(COUNT, n), replace=False)
        self.images = self.distort(self.data.train_images[pick], self.rng)
        self.labels = self.data.train_labels[pick]


class DistortedStrip:
    """The panel: the distorted images in a row, each with its label."""

    refresh_s = 0.5

    def __init__(self, samples: DistortedSamples, classes: list[str], what: str):
        self.samples, self.classes, self.what = samples, classes, what

    def draw(self, s: pygame.Surface) -> None:
        rect = s.get_rect()
        r.text(s, r.first_that_fits([f"Training images as the network sees them ({self.what})",
                                     "As the network sees them", ""], rect.width - 28, 17,
                                    True), (14, 8), 17, r.TEXT, bold=True)
        images = self.samples.images
        if images is None:
            return
        label_h = r.text_size("0", 14)[1]
        side = max(8, min(rect.height - 36 - label_h, (rect.width - 28) // len(images) - 10))
        for k, (image, label) in enumerate(zip(images, self.samples.labels)):
            cell = pygame.Rect(14 + k * (side + 10), 32, side, side)
            if cell.right > rect.width - 14:
                break
            r.blit_array(s, r.gray_image(image, IMAGE_SIDE), cell, keep_aspect=False)
            r.text(s, r.fit_text(self.classes[int(label)], side + 8, 14),
                   (cell.centerx, cell.bottom + 2), 14, r.DIM, "midtop")
