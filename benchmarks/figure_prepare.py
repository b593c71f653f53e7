#!/usr/bin/env python3
"""docs/images/prepare-mnist-vs-emnist.png: one picture of a letter prepared both ways, beside
EMNIST's own conversion of a NIST-like scan of the same letter.

    python benchmarks/figure_prepare.py [--font BecauseWeLearn-Regular.otf] [--char L]
                                        [--seed 4] [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import emnist_synth as synth  # noqa: E402

from basicnet import drawing  # noqa: E402

OUT = ROOT / "docs" / "images" / "prepare-mnist-vs-emnist.png"


def show(ax, image, title, box=None, mark=None):
    ax.imshow(image, cmap="gray", vmin=0, vmax=1 if image.dtype != np.uint8 else 255,
              interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if box is not None:  # (left, top, side): the square the box's longer side fills
        ax.add_patch(Rectangle((box[0] - 0.5, box[1] - 0.5), box[2], box[2], fill=False,
                               ec="tab:orange", ls="--", lw=1))
    if mark is not None:
        ax.plot(*mark, marker="+", color="tab:red", ms=10, mew=1.5)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--font", default="BecauseWeLearn-Regular.otf")
    p.add_argument("--char", default="L")
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    fonts, missing = synth.find_fonts([args.font])
    if missing:
        print(f"error: font {args.font} not found", file=sys.stderr)
        return 2
    glyph = synth.load_glyphs(fonts[0], args.char)[0]
    rng = np.random.default_rng(args.seed)
    page = synth.picture(glyph, rng)
    with tempfile.TemporaryDirectory() as tmp:  # through a file, as --predict reads it
        Image.fromarray(page).save(Path(tmp) / "letter.png")
        ink = drawing.read_image(Path(tmp) / "letter.png")
    mnist, emnist = drawing.to_mnist(ink), drawing.to_emnist(ink)
    scan = synth.nist_scan(glyph, rng)
    converted = synth.emnist_convert(scan)

    fig, axes = plt.subplots(1, 4, figsize=(10, 3.4), dpi=100)
    show(axes[0], page, f"the picture ({page.shape[1]}×{page.shape[0]})")
    cy, cx = drawing.centre_of_mass(mnist)
    show(axes[1], mnist, "MNIST's way (to_mnist):\n20-px box, mass centred",
         box=(4, 4, drawing.BOX_SIDE), mark=(cx, cy))
    full = 28 * (drawing.NIST_SIDE - 2 * drawing.NIST_BORDER) / drawing.NIST_SIDE
    edge = (28 - full) / 2
    show(axes[2], emnist, "EMNIST's way (to_emnist):\nbox fills the frame, box centred",
         box=(edge, edge, full), mark=(13.5, 13.5))
    show(axes[3], converted, "what an EMNIST network learnt:\nEMNIST's conversion of a scan",
         box=(edge, edge, full), mark=(13.5, 13.5))
    fig.text(0.5, 0.02, "dashed: a square as large as the box's longer side is made, in the "
             "middle; +: where the centre of mass (MNIST) or of the box (EMNIST) is put",
             ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
