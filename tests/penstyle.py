"""Digits in a hand that is not MNIST's, made here: drawn with a round pen of even width along
the paths a person taught in continental Europe writes (a 1 with a long flag and a foot, a
crossed 7, a closed 4, a slashed 0, a flat-topped 3), through `drawing.stroke` as the canvas
draws, each with its own size, slant, place, width and wobble. The tests and
benchmarks/bench_teach.py teach a network this hand and check it on other pictures of it."""

from __future__ import annotations

import numpy as np

from basicnet import drawing


def _arc(cx, cy, rx, ry, start, end, n=14):
    """Points along an ellipse, angles in degrees (0 = right, 90 = down, as on a screen)."""
    t = np.radians(np.linspace(start, end, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# Each digit: strokes, each a list of (x, y) in a box 0.6 wide and 1 high (y down).
STROKES = {
    "0": [_arc(0.3, 0.5, 0.3, 0.5, -90, 270, 24), [(0.62, 0.0), (-0.02, 1.0)]],
    "1": [[(0.0, 0.4), (0.38, 0.0), (0.38, 1.0)], [(0.1, 1.0), (0.66, 1.0)]],
    "2": [_arc(0.3, 0.26, 0.28, 0.26, 180, 380) + [(0.1, 0.86)]
          + _arc(0.14, 0.9, 0.1, 0.1, 180, 450, 10) + [(0.62, 0.98)]],
    "3": [[(0.02, 0.0), (0.58, 0.0), (0.22, 0.4)] + _arc(0.3, 0.68, 0.3, 0.3, -80, 150)],
    "4": [[(0.45, 1.0), (0.45, 0.0), (0.0, 0.66), (0.62, 0.66)]],
    "5": [[(0.6, 0.0), (0.1, 0.0), (0.06, 0.42)] + _arc(0.3, 0.68, 0.3, 0.3, -130, 150)],
    "6": [_arc(0.62, 0.55, 0.58, 0.55, 240, 180, 8) + _arc(0.3, 0.72, 0.28, 0.28, 180, 540, 20)],
    "7": [[(0.0, 0.12), (0.04, 0.0), (0.6, 0.0), (0.2, 1.0)], [(0.1, 0.52), (0.56, 0.52)]],
    "8": [_arc(0.3, 0.24, 0.22, 0.24, 90, 450, 18), _arc(0.3, 0.73, 0.3, 0.27, -90, 270, 20)],
    "9": [_arc(0.3, 0.26, 0.28, 0.26, 0, 360, 20) + _arc(0.3, 0.7, 0.28, 0.3, 0, 150, 10)],
}


def _wobble(n: int, rng: np.random.Generator, size: float) -> np.ndarray:
    """A hand's unsteadiness along a stroke of n points: a random walk, smooth, not jitter."""
    walk = np.cumsum(rng.normal(0, size, (n, 2)), axis=0)
    return walk - walk.mean(axis=0)


def ink(digit: str, rng: np.random.Generator, side: int = 160) -> np.ndarray:
    """One picture of `digit`, ink in [0, 1] on a side × side page: a height of 35 to 85 % of
    the page, wide (1.1 to 1.6 times the template's width) and leaning back (a backhand slant
    of 0.1 to 0.45), unlike MNIST's narrow, forward-leaning digits; a pen of 3 to 9 % of the
    height, a wobble along every stroke, anywhere on the page it fits."""
    height = side * rng.uniform(0.35, 0.85)
    width = height * rng.uniform(1.1, 1.6)
    slant = -rng.uniform(0.1, 0.45)
    pen = max(1.0, height * rng.uniform(0.03, 0.09))
    strokes = []
    for points in STROKES[digit]:
        p = np.array(points, float) + _wobble(len(points), rng, 0.012) + rng.normal(0, 0.02, 2)
        x = p[:, 0] * width + (1 - p[:, 1]) * slant * height
        strokes.append(np.stack([x, p[:, 1] * height], axis=1))
    allp = np.concatenate(strokes)
    lo, hi = allp.min(axis=0) - pen, allp.max(axis=0) + pen
    room = np.maximum(side - (hi - lo), 0)
    offset = rng.uniform(0, 1, 2) * room - lo
    page = np.zeros((side, side), np.float32)
    for s in strokes:
        s = s + offset
        for p0, p1 in zip(s[:-1], s[1:]):
            drawing.stroke(page, tuple(p0), tuple(p1), pen)
    return page


def picture(digit: str, rng: np.random.Generator, side: int = 160) -> np.ndarray:
    """The same as an (side, side, 3) uint8 picture: dark ink on light paper."""
    page = ink(digit, rng, side)
    paper, pen = np.array([246, 244, 236]), np.array([25, 30, 70])
    return (paper + page[..., None] * (pen - paper)).astype(np.uint8)


def dataset(n_per_digit: int, seed: int, side: int = 160):
    """(inks (N, side, side), labels (N,)) with n_per_digit of every digit, shuffled."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n_per_digit)
    rng.shuffle(labels)
    return np.stack([ink(str(d), rng, side) for d in labels]), labels
