#!/usr/bin/env python3
"""How well the identifier reads digits handed over as pictures in other styles than MNIST's.

    python benchmarks/bench_robustness.py [NETWORK.npz ...] [--digits 500] [--seed 0]

MNIST test digits are written out as PNG files the way a person might hand them over: enlarged,
moved off-centre in a larger picture, turned by ±20°, with thinner or thicker strokes, dark ink
on light paper, or small in a large picture. Each file then goes through exactly what
`number_identifier_mnist.py --predict` does with a picture (`pictures.read_image`, then
`drawing.prepare` as the network's dataset was framed, then the network), and the accuracy per
style is printed for every network side by side. Default networks: the identifier's default
before issue 13 (from git: `former_default.py`) and its default now.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import former_default  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402

import number_identifier_mnist as ident  # noqa: E402  (sets the BLAS threads first)
from basicnet import augment, datasets, drawing, netfile, pictures  # noqa: E402

SCALE = 4  # pictures are drawn at 4 × 28 = 112 px before any other change


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("networks", nargs="*", help="networks to compare (default: the old and the "
                   "new default network)")
    p.add_argument("--digits", type=int, default=500, help="test digits (default: 500)")
    p.add_argument("--seed", type=int, default=0, help="which digits (default: 0)")
    p.add_argument("--old-ref", help="git ref holding the old default (default: the last "
                   "commit that had it)")
    p.add_argument("--data-dir", metavar="DIR", help="the MNIST folder (default: "
                   "../shared/datasets/mnist, else datasets/mnist)")
    return p.parse_args(argv)


def data_dir(args) -> Path:
    if args.data_dir:
        return Path(args.data_dir)
    shared = ROOT.parent / "shared" / "datasets" / "mnist"
    return shared if (shared / "train-images-idx3-ubyte.gz").is_file() else ROOT / "datasets/mnist"


# --- the styles: each turns (n, 28, 28) uint8 digits into pictures (n, H, W) of ink ----------

def _linear(n: int, factor: int) -> np.ndarray:
    """(factor·n × n) matrix that enlarges a row of n pixels by linear interpolation."""
    x = (np.arange(n * factor) + 0.5) / factor - 0.5
    return np.clip(1 - np.abs(x[:, None] - np.arange(n)[None, :]), 0, 1).astype(np.float32)


def enlarged(digits: np.ndarray) -> np.ndarray:
    """Four times larger and smooth, as a digit drawn on a bigger canvas."""
    U = _linear(digits.shape[1], SCALE)
    big = U @ digits.astype(np.float32) @ U.T
    return np.clip(np.rint(big), 0, 255).astype(np.uint8)


def turned(degrees: float = 0.0, slant: float = 0.0):
    """Enlarged, then turned anticlockwise by `degrees`, or slanted (x += slant·y)."""
    def style(digits):
        big = enlarged(digits)
        n, side = len(big), big.shape[1]
        warp = augment.Warp(side=side)
        inverse = augment.inverse_affine(np.full(n, np.radians(degrees)), np.ones((n, 2)),
                                         np.full(n, -slant))  # y points down: lean right
        moved = warp(big.reshape(n, -1), warp.maps(inverse, np.zeros((n, 2))))
        return moved.reshape(n, side, side)
    return style


def _grey_filter(ink: np.ndarray, radius: int, fn) -> np.ndarray:
    """Grey dilation (np.maximum) or erosion (np.minimum) by a (2r+1)-square."""
    out = ink.copy()
    for axis in (1, 2):
        padded = np.pad(out, [(0, 0)] + [(radius, radius) if a == axis else (0, 0)
                                        for a in (1, 2)])
        windows = [np.take(padded, np.arange(d, d + ink.shape[axis]), axis=axis)
                   for d in range(2 * radius + 1)]
        out = fn.reduce(windows)
    return out


def thin(digits):
    """Strokes about half as wide (a fine pen)."""
    return _grey_filter(enlarged(digits), 2, np.minimum)


def thick(digits):
    """Strokes about twice as wide (a marker)."""
    return _grey_filter(enlarged(digits), 5, np.maximum)


def dark_on_light(digits):
    """Black ink on white paper, as a scan or a photo of one."""
    return 255 - enlarged(digits)


def moved(digits):
    """Off-centre: in the lower right of a picture twice as large."""
    big = enlarged(digits)
    n, side = len(big), big.shape[1]
    out = np.zeros((n, 2 * side, 2 * side), np.uint8)
    out[:, side - 16:2 * side - 16, side - 8:2 * side - 8] = big
    return out


def small(digits):
    """Small in a large picture: a 28-pixel digit in a 200-pixel square, off-centre."""
    out = np.zeros((len(digits), 200, 200), np.uint8)
    out[:, 40:68, 120:148] = digits
    return out


STYLES = {
    "as MNIST (28 px)": lambda digits: digits,
    "enlarged x4": enlarged,
    "moved off-centre": moved,
    "small in a large picture": small,
    "turned +20°": turned(20),
    "turned -20°": turned(-20),
    "slanted (italic)": turned(slant=0.4),
    "thin strokes": thin,
    "thick strokes": thick,
    "dark on light": dark_on_light,
}


def write_pictures(pictures: np.ndarray, folder: Path) -> list[Path]:
    """PNG files, grey, one per picture."""
    folder.mkdir(parents=True)
    paths = []
    for i, picture in enumerate(pictures):
        rgb = np.repeat(picture.T[:, :, None], 3, axis=2)  # surfarray is (x, y)
        path = folder / f"{i:04d}.png"
        pygame.image.save(pygame.surfarray.make_surface(rgb), str(path))
        paths.append(path)
    return paths


def prepared(paths, preparation: str) -> np.ndarray:
    """What `--predict` gives a network framed by `preparation` for each file: (n, 784)."""
    return np.stack([drawing.prepare(pictures.read_image(p), preparation).reshape(-1)
                     for p in paths])


def main() -> int:
    args = parse_args()
    data = datasets.load("mnist", data_dir(args))
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(data.test_labels), args.digits, replace=False)
    digits = data.test_images[pick].reshape(-1, 28, 28)
    labels = data.test_labels[pick]
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(p) for p in args.networks]
        if not paths:
            old = former_default.write(Path(tmp) / "old-default.npz", args.old_ref)
            paths = ([old] if old else []) + [ident.DEFAULT_NETWORK]
        names = ["old default" if p.name == "old-default.npz" else p.name for p in paths]
        loaded = [netfile.load(p) for p in paths]
        print(f"{args.digits} MNIST test digits (seed {args.seed}) per style, as PNG files, "
              "through read_image + prepare as --predict reads them; accuracy:")
        width = max(len(s) for s in STYLES)
        print(f"  {'':<{width}}  " + "  ".join(f"{n:>28}" for n in names))
        for style, make in STYLES.items():
            files = write_pictures(make(digits), Path(tmp) / style.replace(" ", "_"))
            scores = [float((nf.net.confidence(prepared(files, nf.preparation)).argmax(axis=1)
                             == labels).mean()) for nf in loaded]
            print(f"  {style:<{width}}  " + "  ".join(f"{100 * s:>27.1f}%" for s in scores),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
