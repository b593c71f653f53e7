"""The trainer window's evolution as an animated GIF of bounded size (`--record FILE.gif`)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pygame

from .. import render as r
from ..files import atomic_write


class Recorder:
    """Frames of the window for an animated GIF of bounded size.

    A frame is kept every `every` training samples (not seconds: the weights change fastest
    at the start, when a clock-driven recording would have caught one or two frames); when
    `max_frames` are held, every other one is dropped and the interval doubles, so a run of
    any length becomes a GIF of at most `max_frames` frames evenly spaced in training, each
    at most `width` pixels wide. Capturing ignores the frame budget (a recording asked for
    the pictures); the doubling keeps its cost down: max_frames captures, then max_frames / 2
    more each time the run's length doubles."""

    def __init__(self, path, every: int, width: int = 600, max_frames: int = 40,
                 frame_ms: int = 150, overwrite: bool = False):
        from PIL import Image  # only a recording run needs Pillow

        self._Image = Image
        self.path, self.overwrite = Path(path), overwrite
        self.width, self.max_frames, self.every, self.frame_ms = width, max_frames, every, frame_ms
        self.frames: list = []
        self.last = -math.inf
        self._palette = Image.new("P", (1, 1))
        self._palette.putpalette(self.palette().ravel().tolist())

    @staticmethod
    def palette() -> np.ndarray:
        """256 fixed colours: the window's own (its colour maps, greys, theme colours and
        their blends). The same palette in every frame keeps unchanged pixels unchanged, so
        the GIF stores little more than what moved, and no frame's colours flicker."""
        ui = np.array([r.BACKGROUND, r.PANEL, r.GRID, r.TEXT, r.DIM, r.ACCENT, r.GOOD, r.BAD,
                       r.COST], np.float64)
        blends = [ui + (np.array(bg, np.float64) - ui) * t
                  for bg in (r.PANEL, r.BACKGROUND) for t in (0.35, 0.7)]
        greys = np.repeat(np.linspace(0, 255, 32)[:, None], 3, axis=1)
        colours = np.concatenate([r.DIVERGING_LUT[::3], r.SEQUENTIAL_LUT[::5], greys,
                                  ui, *blends]).round().astype(np.uint8)
        out = np.zeros((256, 3), np.uint8)
        out[:len(colours)] = colours[:256]
        return out

    def due(self, samples: int) -> bool:
        return samples - self.last >= self.every

    def add(self, surface: pygame.Surface, samples: int) -> None:
        self.last = samples
        w, h = surface.get_size()
        k = min(1.0, self.width / w)
        small = pygame.transform.smoothscale(surface, (round(w * k), round(h * k))) \
            if k < 1 else surface
        img = self._Image.frombytes("RGB", small.get_size(), pygame.image.tobytes(small, "RGB"))
        self.frames.append(img.quantize(palette=self._palette, dither=self._Image.Dither.NONE))
        if len(self.frames) > self.max_frames:
            self.frames = self.frames[::2]
            self.every *= 2

    def save(self) -> Path | None:
        """Write the GIF (atomically, like the networks); None when there is nothing to write."""
        if not self.frames:
            return None
        durations = [self.frame_ms] * len(self.frames)
        durations[-1] = 2000  # linger on the final state before looping
        with atomic_write(self.path, overwrite=self.overwrite) as f:
            self.frames[0].save(f, format="GIF", save_all=True, append_images=self.frames[1:],
                                duration=durations, loop=0, disposal=1)
        return self.path
