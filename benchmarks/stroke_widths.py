#!/usr/bin/env python3
"""Stroke widths of 28×28 characters, measured as drawing.STROKE_RANGE was measured on MNIST:
2·area/perimeter of the ink above half the strongest, on the image enlarged 16× (bilinear), as a
fraction of the longer side of the ink's box. Prints the 10th, 50th and 90th percentiles of:

1. the real MNIST test digits (the reference STROKE_RANGE came from);
2. digits written with the synthetic pens of benchmarks/emnist_synth.py (from its training
   fonts) and framed MNIST's way (drawing.to_mnist without its width normalisation): this is
   how emnist_synth.PEN_RATIO was chosen, to match 1;
3. letters written with the same pens and framed EMNIST's way (emnist_synth.emnist_convert):
   the range and target of drawing.EMNIST_STROKE_RANGE / EMNIST_STROKE_TARGET (and, for
   comparison, the same letters measured on their scans before framing, as
   drawing.stroke_growth measures a drawing);
4. with --emnist DIR, the real EMNIST letters test images, to check 3 against.

    python benchmarks/stroke_widths.py [--mnist-dir DIR] [--emnist DIR] [--per-glyph N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import emnist_synth as synth  # noqa: E402

from basicnet import datasets, drawing  # noqa: E402

ENLARGE = 16
PERCENTILES = (10, 50, 90)


def _linear(n: int, f: int) -> np.ndarray:
    """(n·f, n) bilinear enlargement matrix, pixel centres aligned."""
    t = (np.arange(n * f) + 0.5) / f - 0.5
    return np.clip(1 - np.abs(t[:, None] - np.arange(n)[None, :]), 0, None)


def relative_widths(images: np.ndarray) -> np.ndarray:
    """Each 28×28 image's stroke width over its box's longer side (see the docstring)."""
    up = _linear(images.shape[1], ENLARGE)
    out = []
    for image in images.astype(np.float64):
        big = up @ image @ up.T
        if big.max() <= 0:
            continue
        top, bottom, left, right = drawing.bounding_box(big)
        out.append(drawing.stroke_width(big, big.max()) / max(bottom - top, right - left))
    return np.array(out)


def crop_width(scan: np.ndarray) -> float:
    """A binary scan's stroke width over its box's longer side, at the scan's own resolution:
    what drawing.stroke_growth measures on a drawing before framing it."""
    top, bottom, left, right = drawing.bounding_box(scan.astype(np.float32))
    crop = scan[top:bottom, left:right].astype(np.float32)
    return drawing.stroke_width(crop) / max(crop.shape)


def report(name: str, widths: np.ndarray) -> np.ndarray:
    p = np.percentile(widths, PERCENTILES)
    cells = "  ".join(f"p{q}={v:.3f}" for q, v in zip(PERCENTILES, p))
    print(f"{name:<48} {cells}  (n={len(widths)})")
    return p


def synthetic(chars: str, frame, per_glyph: int, rng) -> np.ndarray:
    fonts, _ = synth.find_fonts(synth.TRAIN_FONTS)
    images = [frame(synth.nist_scan(glyph, rng))
              for path in fonts for glyph in synth.load_glyphs(path, chars)
              for _ in range(per_glyph)]
    return np.stack(images)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mnist-dir", default=str(ROOT.parent / "shared" / "datasets" / "mnist"))
    p.add_argument("--emnist", metavar="DIR", help="a folder holding the real EMNIST letters")
    p.add_argument("--per-glyph", type=int, default=4, help="synthetic images per character")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"stroke width / box's longer side, percentiles {PERCENTILES}")
    if Path(args.mnist_dir).is_dir():
        mnist = datasets.load("mnist", args.mnist_dir).test_images.reshape(-1, 28, 28)
        report("real MNIST test digits", relative_widths(mnist))
    digits = synthetic("0123456789", lambda s: drawing.to_mnist(s, normalise_width=False),
                       args.per_glyph * 2, rng)
    report("synthetic pens, digits framed MNIST's way", relative_widths(digits))
    scans = synthetic(synth.LETTERS, lambda s: s, args.per_glyph, rng)
    report("synthetic pens, letters' NIST scans (unframed)",
           np.array([crop_width(s) for s in scans]))
    upper = synthetic(synth.LETTERS[:26], synth.emnist_convert, args.per_glyph, rng)
    lower = synthetic(synth.LETTERS[26:], synth.emnist_convert, args.per_glyph, rng)
    report("synthetic pens, capitals framed EMNIST's way", relative_widths(upper))
    report("synthetic pens, small letters framed EMNIST's way", relative_widths(lower))
    both = report("synthetic pens, letters framed EMNIST's way",
                  relative_widths(np.concatenate([upper, lower])))
    print(f"-> EMNIST_STROKE_RANGE = ({both[0]:.3f}, {both[2]:.3f}), "
          f"EMNIST_STROKE_TARGET = {both[1]:.3f}")
    if args.emnist:
        real = datasets.load("emnist-letters", args.emnist).test_images.reshape(-1, 28, 28)
        report("real EMNIST letters test images", relative_widths(real))
    return 0


if __name__ == "__main__":
    sys.exit(main())
