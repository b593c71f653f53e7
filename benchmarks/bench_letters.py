#!/usr/bin/env python3
"""Does a letters network read pictures of letters as well as it reads its own test set?

    python benchmarks/bench_letters.py NETWORK.npz DATA_DIR [--pictures DIR ...]

DATA_DIR holds an EMNIST-letters-format set (benchmarks/emnist_synth.py makes one from fonts,
with the test set and the pictures from held-out fonts). Printed side by side:

- the framed test accuracy: the network on the set's own test images (what the trainer
  reports), framed by EMNIST's conversion;
- the same network on upright pictures of held-out letters (DATA_DIR/pictures/<class>/*.png,
  dark ink on white paper, any size), read with drawing.read_image as --predict reads them,
  then prepared MNIST's way (drawing.to_mnist: what the identifier did for every network) and
  EMNIST's way (drawing.to_emnist, with and without its stroke-width normalisation), each also
  split into capitals and small letters; then the same for DATA_DIR/pictures-odd-pens, written
  with hairlines and markers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from basicnet import datasets, drawing, netfile  # noqa: E402
from basicnet.constants import N_INPUTS  # noqa: E402
from basicnet.training import evaluate  # noqa: E402


def read_pictures(folder: Path, classes: list[str]):
    """(inks, labels, is_capital) for folder/<class>/*.png; a file named ...upper-... or
    ...lower-... (as emnist_synth names them) says its case."""
    inks, labels, capital = [], [], []
    for k, name in enumerate(classes):
        for path in sorted((folder / name).glob("*.png")):
            inks.append(drawing.read_image(path))
            labels.append(k)
            capital.append("upper-" in path.name)
    return inks, np.array(labels), np.array(capital)


PREPARED = {  # what the identifier did for every network; what it does now; the second
    # without its stroke-width normalisation, to show what that normalisation adds
    "MNIST-style (before)": drawing.to_mnist,
    "EMNIST-style (after)": drawing.to_emnist,
    "EMNIST-style, pen width as drawn": lambda ink: drawing.to_emnist(ink, False),
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("network", help="a letters network (.npz)")
    p.add_argument("data_dir", type=Path, help="the EMNIST-letters-format set it was tested on")
    p.add_argument("--pictures", type=Path, nargs="+",
                   help="folders of pictures (default: DATA_DIR/pictures and, when there, "
                        "DATA_DIR/pictures-odd-pens)")
    args = p.parse_args(argv)
    nf = netfile.load(args.network)
    data = datasets.load("emnist-letters", args.data_dir)
    framed = evaluate(nf.net, data.test_images, data.test_labels)
    folders = args.pictures or [f for f in (args.data_dir / "pictures",
                                            args.data_dir / "pictures-odd-pens") if f.is_dir()]
    print(f"network {args.network}: {nf.dataset}, sizes {nf.net.sizes}, "
          f"{nf.epochs_trained} epochs")
    print(f"{'':<58} {'all':>6} {'n':>6} {'capitals':>9} {'small':>7} {'ms each':>8}")
    print(f"{'framed test set (the trainer test accuracy)':<58} "
          f"{100 * framed.accuracy:5.1f}% {framed.total:>6}")
    for folder in folders:
        inks, labels, capital = read_pictures(folder, nf.classes)
        if not inks:
            print(f"error: no pictures in {folder}/<class>/*.png", file=sys.stderr)
            return 2
        for name, prepare in PREPARED.items():
            t = time.perf_counter()
            x = np.stack([prepare(ink) for ink in inks]).reshape(-1, N_INPUTS)
            ms = 1000 * (time.perf_counter() - t) / len(inks)
            right = nf.net.confidence(x).argmax(axis=1) == labels
            print(f"{folder.name + ', ' + name:<58} {100 * right.mean():5.1f}% {len(right):>6}"
                  f" {100 * right[capital].mean():8.1f}% {100 * right[~capital].mean():6.1f}%"
                  f" {ms:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
