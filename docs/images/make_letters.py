#!/usr/bin/env python3
"""Write a small synthetic stand-in for EMNIST Letters: the 26 letters typed in matplotlib's
fonts (upper and lower case, one class each, as EMNIST merges them), tilted, squeezed and moved
a little, blurred, and framed as EMNIST frames its characters (filling the 28×28 square). Stored
the way NIST stores EMNIST (images transposed, labels from 1, a mapping file), so the trainer
reads the folder as `--dataset emnist-letters`.

It is for the 26-class pictures in docs/live-window.md: the real EMNIST is a 536 MiB download.
Typed letters are easier than handwriting, but the confusions are the same kind (i with l,
o with q, u with v).

    python docs/images/make_letters.py FOLDER [--train 600] [--test 120] [--seed 0]
"""

from __future__ import annotations

import argparse
import string
import sys
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project, run from anywhere
from basicnet import datasets, idx  # noqa: E402

FONTS = ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSerif",
         "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSansMono", "STIXGeneral",
         "STIXGeneralItalic", "cmr10", "cmss10"]


def glyph(letter: str, font: ImageFont.FreeTypeFont, rng: np.random.Generator) -> np.ndarray:
    """One letter as a 28×28 uint8 image, light ink on black, framed as EMNIST's: the ink's box
    scaled (aspect kept) into the square less a 2-pixel border, centred."""
    big = Image.new("L", (128, 128))
    draw = ImageDraw.Draw(big)
    draw.text((64, 64), letter, fill=255, font=font, anchor="mm",
              stroke_width=int(rng.integers(0, 3)), stroke_fill=255)
    shear, squeeze = rng.uniform(-0.25, 0.25), rng.uniform(0.8, 1.2)
    big = big.transform(big.size, Image.Transform.AFFINE,
                        (squeeze, shear, -shear * 64 + 64 * (1 - squeeze), 0, 1, 0),
                        resample=Image.Resampling.BILINEAR)
    big = big.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR)
    big = big.filter(ImageFilter.GaussianBlur(1))
    box = big.getbbox()
    if box is None:
        return np.zeros((28, 28), np.uint8)
    ink = big.crop(box)
    side = max(ink.size)
    square = Image.new("L", (side, side))
    square.paste(ink, ((side - ink.size[0]) // 2, (side - ink.size[1]) // 2))
    small = square.resize((24, 24), Image.Resampling.BICUBIC)
    out = np.zeros((28, 28), np.uint8)
    dy, dx = rng.integers(-1, 2, 2)
    out[2 + dy:26 + dy, 2 + dx:26 + dx] = np.asarray(small)
    peak = out.max()
    return (out.astype(np.float32) * (255 / peak)).astype(np.uint8) if peak else out


def write(folder: Path, n_train: int, n_test: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    fonts_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    fonts = [ImageFont.truetype(str(fonts_dir / f"{name}.ttf"), 80) for name in FONTS]
    spec = datasets.CATALOGUE["emnist-letters"]
    folder.mkdir(parents=True, exist_ok=True)
    for part, per_class in (("train", n_train), ("test", n_test)):
        labels = rng.permutation(np.repeat(np.arange(26), per_class))
        images = np.empty((len(labels), 28, 28), np.uint8)
        for i, k in enumerate(labels):
            letter = (string.ascii_uppercase if rng.random() < 0.5 else
                      string.ascii_lowercase)[k]
            images[i] = glyph(letter, fonts[rng.integers(len(fonts))], rng)
        idx.write_idx(folder / spec.files[f"{part}_images"], images.transpose(0, 2, 1))
        idx.write_idx(folder / spec.files[f"{part}_labels"], (labels + 1).astype(np.uint8))
    (folder / spec.mapping).write_text("".join(f"{k} {64 + k} {96 + k}\n"
                                               for k in range(1, 27)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--train", type=int, default=600, help="training images per letter")
    p.add_argument("--test", type=int, default=120, help="test images per letter")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    write(a.folder, a.train, a.test, a.seed)
    print(f"wrote {26 * a.train} training and {26 * a.test} test letters to {a.folder}")


if __name__ == "__main__":
    main()
