#!/usr/bin/env python3
"""EMNIST-letters-format data sets made here, through EMNIST's own conversion, from fonts.

    python benchmarks/emnist_synth.py OUT_DIR [--per-glyph 24] [--test-per-glyph 8]
                                      [--pictures-per-glyph 2] [--odd-pens 1] [--seed 0]

Real EMNIST cannot always be downloaded; this makes a stand-in that was *framed* the way
EMNIST was, so that what a network learns from it and how it reads a drawing can be measured:

1. "NIST scans": each letter of a font (A-Z, a-z) is drawn as a 128×128 binary image, as NIST
   SD19 stores its characters: at a random writing size, slightly rotated and stretched,
   shifted, and written with a round pen of a random width (the font's strokes are widened or
   narrowed to it, see `PEN_RATIO`).
2. EMNIST's conversion (Cohen, Afshar, Tapson & van Schaik 2017, fig. 1), written here
   independently of `basicnet.drawing.to_emnist`: a Gaussian blur of σ = 1, the character's
   region of interest centred in a square with its aspect ratio kept and a 2-pixel border,
   bicubic down to 28×28 (Pillow's, a = -0.5), intensities stretched to 0..255.
3. The four IDX files and the mapping, named and stored as EMNIST's letters split
   (`emnist-letters-*`, images transposed, labels 1..26, mapping lines `1 65 97`).

The training set comes from TRAIN_FONTS; the test set and a folder of pictures come from
HELD_OUT_FONTS, whole families never seen in training ("held-out material"). The pictures,
OUT_DIR/pictures/<class>/*.png, are letters as a person would hand them over: upright, dark ink
on white paper, in the middle of a picture of any size, antialiased; benchmarks/bench_letters.py
reads them through `drawing.read_image`. OUT_DIR/pictures-odd-pens/ holds more, written with a
hairline or a marker, for the stroke-width normalisation.

Fonts are looked for in the usual folders; missing ones are skipped with a notice. On Debian:
    apt-get install fonts-dejavu fonts-liberation fonts-freefont-ttf fonts-urw-base35 \\
        fonts-texgyre fonts-comic-neue fonts-humor-sans fonts-dkg-handwriting fonts-breip \\
        fonts-bwht fonts-tlwg-purisa fonts-sil-andika fonts-open-sans fonts-lato fonts-cabin \\
        fonts-klee fonts-dancingscript
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from basicnet import drawing, idx  # noqa: E402

FONT_DIRS = ["/usr/share/fonts", "/usr/share/texmf/fonts", "/usr/local/share/fonts",
             str(Path.home() / ".fonts"), str(Path.home() / ".local/share/fonts")]

# Whole families on each side, so no held-out letter shape has a twin in training (the
# Helvetica, Times, Courier, Avant Garde, Bookman and Palatino clones are all in training).
TRAIN_FONTS = [
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansCondensed.ttf",
    "LiberationSans-Regular.ttf", "LiberationSans-Italic.ttf", "LiberationSerif-Regular.ttf",
    "LiberationMono-Regular.ttf", "LiberationSansNarrow-Regular.ttf",
    "NimbusSans-Regular.otf", "NimbusRoman-Regular.otf", "FreeMono.ttf", "FreeSerifItalic.ttf",
    "texgyreheroscn-regular.otf", "texgyrecursor-bold.otf",
    "URWGothic-Book.otf", "URWGothic-Demi.otf", "URWBookman-Light.otf", "P052-Roman.otf",
    "Lato-Regular.ttf", "Lato-Bold.ttf", "Lato-Italic.ttf", "Lato-Light.ttf",
    "Cabin-Regular.otf", "Cabin-Italic.otf",
    "ComicNeue-Regular.otf", "ComicNeue-Bold.otf", "ComicNeue-Italic.otf",
    "dkg.ttf", "dkgIt.ttf", "Purisa.ttf", "Purisa-Oblique.ttf", "Purisa-Bold.ttf",
    "BecauseWeBuild-Regular.otf", "BecauseWeConnect-Regular.otf",
    "BecauseWeCreate-Regular.otf", "DancingScript-Regular.otf",
]
HELD_OUT_FONTS = [
    "BecauseWeLearn-Regular.otf", "BecauseWeMentor-Regular.otf",
    "BecauseWeOrganize-Regular.otf", "Humor-Sans.ttf", "Breip.ttf", "KleeOne-Regular.ttf",
    "Andika-Regular.ttf", "Andika-Italic.ttf", "OpenSans-Regular.ttf", "OpenSans-Italic.ttf",
    "C059-Roman.otf",
]
LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)] + \
          [chr(c) for c in range(ord("a"), ord("z") + 1)]
MAPPING = "".join(f"{k} {64 + k} {96 + k}\n" for k in range(1, 27))
CLASSES = [chr(64 + k) + chr(96 + k) for k in range(1, 27)]

NIST_SIDE = 128
BORDER = 2              # EMNIST's border round the region of interest, NIST pixels
BLUR_SIGMA = 1.0        # EMNIST's Gaussian, NIST pixels
MASTER_CAP = 192        # each glyph is drawn once with capitals this tall, then resampled
CAP_RANGE = (40, 90)    # writing size (capital height) in a NIST scan, pixels
FIT = 120               # largest side of a character in a NIST scan
ROTATION = 12           # degrees, either way
STRETCH = 0.15          # log of the widest horizontal stretch or squeeze
SHIFT = 10              # pixels the character's centre strays from the scan's, either way
# Pen width as a fraction of the writing size: log-normal, median and spread chosen so that
# digits written this way and framed MNIST's way have MNIST's stroke widths (10th, 50th and
# 90th percentiles, measured by benchmarks/stroke_widths.py; figures in docs/letters.md).
PEN_RATIO = (0.100, 0.3)
MIN_PEN = 1.5           # thinnest pen, NIST pixels: narrower strokes break up when scanned
ODD_PENS = (0.3, 2.2)   # pens far outside the scans' (times theirs): a hairline, a marker


def find_fonts(names: list[str]) -> tuple[list[Path], list[str]]:
    """(paths found, names missing), searching FONT_DIRS by file name."""
    found = {}
    for folder in FONT_DIRS:
        for dirpath, _, files in os.walk(folder):
            for f in files:
                found.setdefault(f, Path(dirpath) / f)
    return [found[n] for n in names if n in found], [n for n in names if n not in found]


# --- glyphs, pens and NIST-like scans ------------------------------------------------------

class Glyph:
    """One character of one font, drawn once large (capitals MASTER_CAP px tall), as
    coverage in [0, 1], cropped to its ink. `cap` is the font's capital height at that size,
    so that every letter is resampled at the writing size of its font."""

    def __init__(self, font: ImageFont.FreeTypeFont, char: str, cap: float):
        left, top, right, bottom = font.getbbox(char)
        image = Image.new("L", (right - left + 8, bottom - top + 8), 0)
        ImageDraw.Draw(image).text((4 - left, 4 - top), char, fill=255, font=font)
        ink = np.asarray(image, np.float32) / 255
        box = drawing.bounding_box(ink, 0.5)
        if box is None:
            raise ValueError(f"{font.getname()} has no {char!r}")
        self.image = Image.fromarray(ink[box[0]:box[1], box[2]:box[3]], "F")
        self.cap, self.char = cap, char


def load_glyphs(path: Path, chars) -> list[Glyph]:
    """Every character of `chars` that the font draws (a font lacking one draws a box or
    nothing; the first is kept, it is what a person would see too)."""
    probe = ImageFont.truetype(str(path), 200)
    left, top, right, bottom = probe.getbbox("H")
    font = ImageFont.truetype(str(path), max(8, round(200 * MASTER_CAP / (bottom - top))))
    cap = font.getbbox("H")[3] - font.getbbox("H")[1]
    return [Glyph(font, c, cap) for c in chars]


def place(glyph: Glyph, zoom: float, angle: float = 0.0, stretch: float = 1.0) -> np.ndarray:
    """The glyph's coverage scaled by `zoom` (times `stretch` across), rotated by `angle`
    degrees, bilinear, on a canvas just large enough."""
    w, h = glyph.image.size
    a = np.radians(angle)
    # forward map: source (x, y) about its centre -> rotate(scale(x)) about the canvas centre
    fwd = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.diag(
        [zoom * stretch, zoom])
    corners = fwd @ np.array([[-w, w, w, -w], [-h, -h, h, h]]) / 2
    W, H = (np.ceil(corners.max(axis=1) - corners.min(axis=1)) + 4).astype(int)
    inv = np.linalg.inv(fwd)
    # Pillow wants the inverse map: output (X, Y) -> source (x, y)
    offset = np.array([w / 2, h / 2]) - inv @ np.array([W / 2, H / 2])
    data = (inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1])
    out = glyph.image.transform((int(W), int(H)), Image.Transform.AFFINE, data,
                                Image.Resampling.BILINEAR)
    return np.asarray(out, np.float32)


def _hdilate(mask: np.ndarray, a: int) -> np.ndarray:
    """Each row's maximum over the 2a + 1 pixels around each pixel (a running sum > 0)."""
    if a == 0:
        return mask
    c = np.cumsum(mask, axis=1, dtype=np.int32)
    c = np.concatenate([np.zeros((len(c), a + 1), np.int32), c,
                        np.repeat(c[:, -1:], a, axis=1)], axis=1)
    return (c[:, 2 * a + 1:] - c[:, :-2 * a - 1]) > 0


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a disc of radius r: every stroke grows r pixels on each side, with
    round ends, as a round pen would draw it. One row-wise window per row of the disc."""
    if r <= 0:
        return mask
    m = np.zeros((mask.shape[0] + 2 * r, mask.shape[1] + 2 * r), bool)
    m[r:-r, r:-r] = mask
    out = np.zeros_like(m)
    rows = {}
    for dy in range(-r, r + 1):
        a = int(np.sqrt(r * r - dy * dy))
        if a not in rows:
            rows[a] = _hdilate(m, a)
        out |= np.roll(rows[a], dy, axis=0)  # the padding's blank rows are what wraps round
    return out


def with_pen(mask: np.ndarray, width: float, min_pen: float = MIN_PEN) -> np.ndarray:
    """The binary glyph with its strokes made `width` pixels wide on average (widened by
    dilation, narrowed by erosion, both with a disc). Worked at twice the resolution, so the
    width moves in steps of one pixel; never narrowed below `min_pen`."""
    fine = np.kron(mask, np.ones((2, 2), bool))
    now = drawing.stroke_width(fine.astype(np.float32)) / 2
    change = int(round(max(width, min_pen) - now))
    if change > 0:
        fine = dilate(fine, change)
    elif change < 0:
        fine = ~dilate(~np.pad(fine, 1), -change)[-change + 1:change - 1, -change + 1:change - 1]
    h, w = fine.shape
    return fine.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)) >= 0.5


def pen_width(rng: np.random.Generator, cap: float) -> float:
    """A pen for a writer whose capitals are `cap` px tall (see PEN_RATIO)."""
    median, spread = PEN_RATIO
    return max(MIN_PEN, cap * median * float(np.exp(rng.normal(0, spread))))


def nist_scan(glyph: Glyph, rng: np.random.Generator) -> np.ndarray:
    """A 128×128 binary image of the glyph as NIST would have scanned it (True = ink)."""
    cap = rng.uniform(*CAP_RANGE)
    angle = rng.uniform(-ROTATION, ROTATION)
    stretch = float(np.exp(rng.uniform(-STRETCH, STRETCH)))
    pen = pen_width(rng, cap)
    zoom = cap / glyph.cap
    mask = place(glyph, zoom, angle, stretch) >= 0.5
    box = drawing.bounding_box(mask.astype(np.float32))
    if box is None:  # a hairline lost at a small size: draw it a little larger
        return nist_scan(glyph, rng)
    mask = with_pen(mask[box[0]:box[1], box[2]:box[3]], pen)
    h, w = mask.shape
    if max(h, w) > FIT:  # too tall for the scan's frame: this writer writes smaller
        return nist_scan(glyph, rng)
    scan = np.zeros((NIST_SIDE, NIST_SIDE), bool)
    top = int(np.clip(round((NIST_SIDE - h) / 2 + rng.uniform(-SHIFT, SHIFT)), 0,
                      NIST_SIDE - h))
    left = int(np.clip(round((NIST_SIDE - w) / 2 + rng.uniform(-SHIFT, SHIFT)), 0,
                       NIST_SIDE - w))
    scan[top:top + h, left:left + w] = mask
    return scan


# --- EMNIST's conversion ----------------------------------------------------------------------

def gaussian_blur(image: np.ndarray, sigma: float = BLUR_SIGMA) -> np.ndarray:
    """Separable Gaussian blur, the page blank beyond the image's edge."""
    reach = int(np.ceil(4 * sigma))
    taps = np.exp(-0.5 * (np.arange(-reach, reach + 1) / sigma) ** 2)
    taps /= taps.sum()
    out = image.astype(np.float64)
    for axis in (0, 1):
        padded = np.pad(out, [(reach, reach) if a == axis else (0, 0) for a in (0, 1)])
        n = out.shape[axis]
        out = sum(t * np.take(padded, np.arange(k, k + n), axis=axis)
                  for k, t in enumerate(taps))
    return out


def emnist_convert(scan: np.ndarray) -> np.ndarray:
    """EMNIST's conversion of one NIST scan: 28×28 uint8, white on black.
    Blur; cut out the region of interest (the character's box) centred in a square, aspect
    ratio kept, with a BORDER-pixel border, taken from the blurred scan; bicubic down to 28×28;
    stretch to 0..255 (the bicubic's undershoot below 0 cut off, as in an 8-bit image)."""
    blurred = gaussian_blur(scan)
    rows, cols = np.flatnonzero(scan.any(axis=1)), np.flatnonzero(scan.any(axis=0))
    h, w = rows[-1] + 1 - rows[0], cols[-1] + 1 - cols[0]
    side = max(h, w) + 2 * BORDER
    top, left = rows[0] - (side - h) // 2, cols[0] - (side - w) // 2
    pad = side  # the square may reach past the scan's edge: blank there
    square = np.pad(blurred, pad)[top + pad:top + pad + side, left + pad:left + pad + side]
    small = Image.fromarray(square.astype(np.float32), "F").resize(
        (28, 28), Image.Resampling.BICUBIC)
    small = np.clip(np.asarray(small, np.float64), 0, None)
    return np.round(255 * small / small.max()).astype(np.uint8)


# --- pictures as a person hands them over -----------------------------------------------------

def picture(glyph: Glyph, rng: np.random.Generator, pen_scale: float = 1.0) -> np.ndarray:
    """An upright letter as a grey picture (uint8, H×W): dark ink on white paper, in the
    middle, at any size, written with a pen of the same kind as the scans' (times
    `pen_scale`: a hairline or a marker), antialiased."""
    H, W = (int(v) for v in rng.integers(96, 480, 2))
    cap = rng.uniform(0.25, 0.7) * min(H, W)
    pen = max(1.0, pen_scale * pen_width(rng, cap))
    mask = place(glyph, 2 * cap / glyph.cap) >= 0.5  # at twice the size, for antialiasing
    box = drawing.bounding_box(mask.astype(np.float32))
    mask = with_pen(mask[box[0]:box[1], box[2]:box[3]], 2 * pen, min_pen=2.0)
    h, w = mask.shape
    mask = mask[:h // 2 * 2, :w // 2 * 2]
    cover = mask.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    h, w = cover.shape
    if h > H - 4 or w > W - 4:  # a wide letter: a wider sheet
        H, W = max(H, h + 8), max(W, w + 8)
    paper, ink = rng.uniform(225, 255), rng.uniform(0, 70)
    page = np.full((H, W), paper)
    top = (H - h) // 2 + int(rng.integers(-(H - h) // 8, (H - h) // 8 + 1))
    left = (W - w) // 2 + int(rng.integers(-(W - w) // 8, (W - w) // 8 + 1))
    page[top:top + h, left:left + w] -= (paper - ink) * cover
    page += rng.normal(0, 2, page.shape)  # paper grain
    return np.clip(np.round(page), 0, 255).astype(np.uint8)


# --- the data set -------------------------------------------------------------------------

def letters_set(fonts: list[Path], per_glyph: int, rng: np.random.Generator, say=print):
    """(images (N, 28, 28) uint8 upright, labels (N,) 1..26) from every letter of `fonts`."""
    images, labels = [], []
    for path in fonts:
        for glyph in load_glyphs(path, LETTERS):
            for _ in range(per_glyph):
                images.append(emnist_convert(nist_scan(glyph, rng)))
                labels.append(ord(glyph.char.upper()) - 64)
        say(f"  {path.name}: {len(images)} images so far")
    order = rng.permutation(len(images))
    return np.stack(images)[order], np.array(labels, np.uint8)[order]


def write_letters(folder: Path, train, test) -> None:
    """The four IDX files and the mapping, named and stored as EMNIST's letters split:
    images transposed (column by column), labels 1..26."""
    folder.mkdir(parents=True, exist_ok=True)
    for part, (x, y) in (("train", train), ("test", test)):
        idx.write_idx(folder / f"emnist-letters-{part}-images-idx3-ubyte.gz",
                      np.ascontiguousarray(x.transpose(0, 2, 1)))
        idx.write_idx(folder / f"emnist-letters-{part}-labels-idx1-ubyte.gz", y)
    (folder / "emnist-letters-mapping.txt").write_text(MAPPING)


def write_pictures(folder: Path, fonts: list[Path], per_glyph: int,
                   rng: np.random.Generator, pen_scales=(1.0,)) -> int:
    """folder/<class>/<font>-<letter><case>-<n>.png for every letter of `fonts`, the pen
    scaled by each of `pen_scales` in turn; returns the count."""
    n = 0
    for path in fonts:
        for glyph in load_glyphs(path, LETTERS):
            sub = folder / CLASSES[ord(glyph.char.upper()) - 65]
            sub.mkdir(parents=True, exist_ok=True)
            case = "upper" if glyph.char.isupper() else "lower"
            for k in range(per_glyph):
                page = picture(glyph, rng, pen_scales[n % len(pen_scales)])
                Image.fromarray(page).save(
                    sub / f"{path.stem}-{glyph.char}{case}-{k}.png")
                n += 1
    return n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="folder for the IDX files and pictures/")
    p.add_argument("--per-glyph", type=int, default=24,
                   help="training images per letter and font (default: 24)")
    p.add_argument("--test-per-glyph", type=int, default=8,
                   help="test images per letter and held-out font (default: 8)")
    p.add_argument("--pictures-per-glyph", type=int, default=2,
                   help="pictures per letter and held-out font (default: 2; 0: none)")
    p.add_argument("--odd-pens", type=int, default=1, metavar="N",
                   help="pictures per letter and held-out font written with a hairline or a "
                        "marker (ODD_PENS), into OUT/pictures-odd-pens (default: 1; 0: none)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    train_fonts, missing_train = find_fonts(TRAIN_FONTS)
    held_fonts, missing_held = find_fonts(HELD_OUT_FONTS)
    for name in missing_train + missing_held:
        print(f"note: font {name} not found, skipped (see --help for the packages)")
    if not train_fonts or not held_fonts:
        print("error: need at least one training and one held-out font", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    print(f"training set: {len(train_fonts)} fonts × 52 letters × {args.per_glyph}")
    train = letters_set(train_fonts, args.per_glyph, rng)
    print(f"test set (held-out fonts): {len(held_fonts)} fonts × 52 × {args.test_per_glyph}")
    test = letters_set(held_fonts, args.test_per_glyph, rng)
    write_letters(args.out, train, test)
    print(f"wrote {len(train[0])} + {len(test[0])} images to {args.out} "
          f"({time.perf_counter() - t:.0f} s)")
    if args.pictures_per_glyph:
        n = write_pictures(args.out / "pictures", held_fonts, args.pictures_per_glyph, rng)
        print(f"wrote {n} pictures to {args.out / 'pictures'}")
    if args.odd_pens:
        n = write_pictures(args.out / "pictures-odd-pens", held_fonts, args.odd_pens, rng,
                           ODD_PENS)
        print(f"wrote {n} pictures to {args.out / 'pictures-odd-pens'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
