"""From a drawing (or a picture of one) to the 28×28 input the network expects. Pure numpy.

A network trained on MNIST has only ever seen digits prepared one way (LeCun, Cortes & Burges):
the ink's bounding box scaled, keeping its aspect ratio, so that its longer side is 20 px, with
antialiasing; then placed in a 28×28 field so that its centre of mass falls in the middle;
white ink on black. A drawing that skips any of these steps (off-centre, too big, too small)
looks to the network like nothing it was trained on, which is why drawn digits get misread.
`to_mnist` repeats those steps, plus one MNIST never needed: pens on a canvas can be much
thinner or fatter than a pen on a form, so the stroke width is brought into the range of
MNIST's strokes before scaling.

EMNIST's characters were prepared another way (Cohen, Afshar, Tapson & van Schaik 2017): from
NIST's 128×128 scans, blurred, the character's box centred in a square with a thin border,
bicubic down to 28×28: they fill nearly the whole frame and are centred by their box, not their
mass. `to_emnist` repeats those steps. A drawing must reach a network prepared the way its
dataset was made: `prepare(ink, style)` is the one place that chooses (the network file says
which style; `constants.default_preparation` names it for files that do not).

Images here are 2-D float arrays of *ink*: 0 = background, 1 = full ink, whatever the colours
were. `ink_from_rgba` turns a picture (dark on light or light on dark) into ink.
"""

from __future__ import annotations

import numpy as np

from .constants import IMAGE_SIDE, default_preparation  # noqa: F401  (named here too)

BOX_SIDE = 20              # MNIST's box for the longer side of the ink
CENTRE = IMAGE_SIDE / 2    # 14.0: MNIST's mean centre of mass (pixel index), both axes
INK_THRESHOLD = 0.1        # what counts as ink for the bounding box (fraction of the maximum)
# Stroke width as a fraction of the box's longer side: MNIST's 10th to 90th percentiles
# (estimated as 2·area/perimeter on the test digits, 16× enlarged). Pens inside that range are
# left alone, since MNIST's writers vary as much; pens outside it are brought to the target,
# set so that a drawn 7 or 4 then holds about as much ink as MNIST's median 7 or 4.
STROKE_RANGE = (0.067, 0.133)
STROKE_TARGET = 0.105
WORK_SIDE = 64  # strokes are reshaped with 64 to 127 px on the longer side: 3× the final 20


def bounding_box(ink: np.ndarray, threshold: float = INK_THRESHOLD):
    """(top, bottom, left, right) of the pixels above `threshold`·max, end-exclusive;
    None when there is no ink."""
    rows, cols = ink.max(axis=1), ink.max(axis=0)  # two passes, then only H + W values
    peak = float(rows.max(initial=0.0))
    if peak <= 0:
        return None
    rows, cols = np.flatnonzero(rows > threshold * peak), np.flatnonzero(cols > threshold * peak)
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def stroke_width(ink: np.ndarray, peak: float = 1.0) -> float:
    """Mean stroke width in pixels, as 2·area / perimeter of the inked region (more than half
    of `peak`): a stroke of length ℓ and width w has area ℓw and perimeter ≈ 2ℓ. The perimeter
    is counted along pixel edges, exactly as STROKE_RANGE was measured on MNIST, so the two
    compare fairly."""
    mask = ink > 0.5 * peak
    area = np.count_nonzero(mask)
    perimeter = (np.count_nonzero(mask[1:] != mask[:-1])
                 + np.count_nonzero(mask[:, 1:] != mask[:, :-1])
                 + np.count_nonzero(mask[[0, -1]]) + np.count_nonzero(mask[:, [0, -1]]))
    return 2.0 * area / perimeter if perimeter else 0.0


def _window(a: np.ndarray, n: int, axis: int, fn) -> np.ndarray:
    """fn (np.maximum or np.minimum) over every window of n pixels along `axis`, 'valid' mode:
    the result is n - 1 shorter. Windows double in width each pass, so it costs log₂ n passes."""
    a = np.moveaxis(a, axis, 0)
    covered = 1
    while covered < n:
        step = min(covered, n - covered)
        a = fn(a[:-step], a[step:])
        covered += step
    return np.moveaxis(a, 0, axis)


def _reshape_stroke(ink: np.ndarray, grow: int) -> np.ndarray:
    """Grey dilation (grow > 0) or erosion (grow < 0) by a square of side |grow| + 1, which
    changes every stroke's width by `grow` pixels. Squares are separable into a row pass and a
    column pass; at 20 px the corners they leave are far below one pixel."""
    if grow == 0:
        return ink
    if grow > 0:
        ink = _padded(ink, (grow, grow), (grow, grow))
        fn = np.maximum
    else:
        fn = np.minimum
    n = abs(grow) + 1
    return _window(_window(ink, n, 0, fn), n, 1, fn)


def _padded(a: np.ndarray, rows, cols) -> np.ndarray:
    """`a` with (before, after) zero rows and columns around it (np.pad, minus its overhead)."""
    out = np.zeros((a.shape[0] + sum(rows), a.shape[1] + sum(cols)), a.dtype)
    out[rows[0]:rows[0] + a.shape[0], cols[0]:cols[0] + a.shape[1]] = a
    return out


def _shrink(ink: np.ndarray, f: int, fn) -> np.ndarray:
    """Blocks of f × f pixels reduced to one by fn (np.mean: area averaging; np.max: every
    stroke survives, however thin)."""
    h, w = ink.shape
    H, W = -(-h // f), -(-w // f)
    if (H * f, W * f) != (h, w):
        ink = _padded(ink, (0, H * f - h), (0, W * f - w))
    # rows of blocks first (whole contiguous rows at a time: fast), then along each row
    return fn(fn(ink.reshape(H, f, W * f), axis=1).reshape(H, W, f), axis=2)


def stroke_growth(ink: np.ndarray, peak: float = 1.0, span=STROKE_RANGE,
                  target: float = STROKE_TARGET) -> int:
    """How many pixels to add to (or take from, when negative) every stroke of the cropped
    `ink` to bring its width into the range `span` (MNIST's by default, see STROKE_RANGE);
    0 when it is already.

    Growing a stroke by d also grows the box by d, so the width d that makes the fraction
    right solves (w + d) / (L + d) = target:  d = (target·L - w) / (1 - target)."""
    w, longer = stroke_width(ink, peak), max(ink.shape)
    if w == 0 or span[0] <= w / longer <= span[1]:
        return 0
    grow = int(round((target * longer - w) / (1 - target)))
    return max(grow, 1 - int(w))  # never erode a stroke away


def normalise_stroke(ink: np.ndarray, peak: float = 1.0, span=STROKE_RANGE,
                     target: float = STROKE_TARGET) -> np.ndarray:
    """The cropped ink, with its stroke width brought into the range `span` (MNIST's by
    default), cropped again, at a working resolution of about WORK_SIDE px: the final 20 px
    (27 for EMNIST) need no more, and reshaping a 64-pixel picture costs a hundredth of a
    448-pixel one. The width is measured before shrinking, where thin strokes are still
    visible."""
    grow = stroke_growth(ink, peak, span, target)
    f = max(1, max(ink.shape) // WORK_SIDE)
    if f > 1:
        # Thickening: the blocks' maximum keeps a hairline whole (it becomes one block wide,
        # which is f pixels' worth of the growth already done).
        ink = _shrink(ink, f, np.max if grow > 0 else np.mean)
        grow = max(0, round((grow - f + 1) / f)) if grow > 0 else round(grow / f)
    out = _reshape_stroke(ink, grow)
    box = bounding_box(out)
    return ink if box is None else out[box[0]:box[1], box[2]:box[3]]


def _area_matrix(n: int, scale: float, offset: float, size: int = IMAGE_SIDE) -> np.ndarray:
    """(size, n) matrix R that resamples n source pixels, source pixel j covering
    [j·scale + offset, (j+1)·scale + offset] of the output, by area: R[i, j] is the overlap of
    output pixel [i, i+1] with source pixel j. Downscaling averages every source pixel an output
    pixel covers (antialiasing); upscaling repeats pixels. Ink is conserved either way."""
    i = np.arange(size, dtype=np.float64)[:, None]
    j = np.arange(n, dtype=np.float64)[None, :]
    lo = np.maximum(i, j * scale + offset)
    hi = np.minimum(i + 1, (j + 1) * scale + offset)
    return np.clip(hi - lo, 0, None).astype(np.float32)


def to_mnist(ink: np.ndarray, normalise_width: bool = True) -> np.ndarray:
    """A 28×28 float32 image in [0, 1], white on black, prepared as MNIST's digits were:

    1. crop to the ink's bounding box (and bring the stroke width into MNIST's range);
    2. scale so the longer side is BOX_SIDE (20) px, by area averaging: antialiased;
    3. shift by whole pixels, so that the box starts on a pixel edge as MNIST's did, to put the
       centre of mass nearest to CENTRE (pixel 14, where MNIST's are on average).

    `ink` is any 2-D array (float in [0, 1], or uint8), 0 meaning no ink. No ink gives zeros.
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"expected a 2-D image of ink, got shape {ink.shape}")
    out = np.zeros((IMAGE_SIDE, IMAGE_SIDE), np.float32)
    box = bounding_box(ink)
    if box is None:
        return out
    crop = ink[box[0]:box[1], box[2]:box[3]]
    peak = float(crop.max())
    if normalise_width:
        crop = normalise_stroke(crop, peak)
    h, w = crop.shape
    scale = BOX_SIDE / max(h, w)
    mass = crop.sum()
    # centre of mass of the crop, pixel j's centre being at j + 0.5
    cy = crop.sum(axis=1) @ (np.arange(h) + 0.5) / mass
    cx = crop.sum(axis=0) @ (np.arange(w) + 0.5) / mass
    # In the output pixel i spans [i, i + 1], so pixel index 14 is centred at 14.5.
    top = np.clip(np.round(CENTRE + 0.5 - cy * scale), 0, IMAGE_SIDE - h * scale)
    left = np.clip(np.round(CENTRE + 0.5 - cx * scale), 0, IMAGE_SIDE - w * scale)
    out = _area_matrix(h, scale, top) @ crop @ _area_matrix(w, scale, left).T
    out *= np.float32(1 / peak)  # the strongest ink is 1, as in MNIST
    np.clip(out, 0, 1, out=out)
    return out


# --- EMNIST's framing ---------------------------------------------------------------------------
#
# EMNIST (Cohen, Afshar, Tapson & van Schaik 2017, fig. 1) started from NIST's 128×128 binary
# scans: blurred with a Gaussian, the character's region of interest centred in a square with
# its aspect ratio kept and a thin border, bicubic down to 28×28, intensities stretched to the
# full range. `to_emnist` repeats that at NIST's scale, whatever size the drawing is: the ink's
# box is fitted into the 128-px square less the border, then each step is one matrix per axis.

NIST_SIDE = 128    # the scans EMNIST was made from
NIST_BORDER = 2    # blank pixels round the character's box, at NIST's scale
NIST_BLUR = 1.0    # σ of EMNIST's Gaussian, in NIST pixels
KEYS_A = -0.5      # Keys' cubic with a = -0.5: the bicubic of MATLAB's imresize and of Pillow
# Stroke width as a fraction of the box's longer side, as STROKE_RANGE (2·area/perimeter on
# 16× enlarged 28×28 characters): 10th to 90th percentiles, the median as the target. Measured
# without the real EMNIST, on letters made through EMNIST's conversion from pens whose widths
# had first been matched to MNIST's on digits framed MNIST's way: MNIST and EMNIST come from
# the same NIST forms, filled in with the same pens, so only the framing can set them apart.
# The range comes out close to MNIST's: both framings scale a character's box to a fixed size,
# so a pen keeps its width relative to the character; it reaches a little higher, because
# EMNIST scales small letters too (an 'o', an 'e') to the whole frame, pen and all.
# docs/letters.md has the figures and the command, to repeat on the real EMNIST.
EMNIST_STROKE_RANGE = (0.070, 0.137)
EMNIST_STROKE_TARGET = 0.097


def _keys(x: np.ndarray, a: float = KEYS_A) -> np.ndarray:
    """Keys' cubic convolution kernel (1981): 1 at 0, 0 at every other integer, 0 beyond 2."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1       # |x| < 1
    far = a * (((x - 5) * x + 8) * x - 4)            # 1 <= |x| < 2
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _bicubic_matrix(n: int, size: int = IMAGE_SIDE) -> np.ndarray:
    """(size, n) matrix R that resamples n pixels to `size` bicubically: R[i, j] is the weight of
    source pixel j in output pixel i, Keys' kernel at their centres' distance. Shrinking widens
    the kernel by the reduction factor, so that every source pixel counts (antialiasing, as
    MATLAB's imresize and Pillow do). Each row sums to 1: where the kernel reaches past the
    frame's edge, the pixels inside share its weight (Pillow's rule; the frame's edge is blank
    anyway)."""
    scale = n / size
    centres = (np.arange(size) + 0.5) * scale         # output pixels' centres, in source pixels
    distance = (np.arange(n) + 0.5)[None, :] - centres[:, None]
    weights = _keys(distance / max(scale, 1.0))
    return weights / weights.sum(axis=1, keepdims=True)


def _gaussian_matrix(n: int, sigma: float) -> np.ndarray:
    """(n, n) matrix G that blurs n pixels with a Gaussian of `sigma`: the ink that would spread
    past the frame's edge is lost, as on a blank page."""
    offset = np.arange(n)[:, None] - np.arange(n)[None, :]
    reach = int(np.ceil(4 * sigma))
    taps = np.exp(-0.5 * (np.arange(-reach, reach + 1) / sigma) ** 2)
    G = np.exp(-0.5 * (offset / sigma) ** 2) / taps.sum()
    G[np.abs(offset) > reach] = 0
    return G


# NIST's frame to EMNIST's 28 pixels, along one axis: blur, then bicubic down.
_NIST_TO_EMNIST = _bicubic_matrix(NIST_SIDE) @ _gaussian_matrix(NIST_SIDE, NIST_BLUR)


def to_emnist(ink: np.ndarray, normalise_width: bool = True) -> np.ndarray:
    """A 28×28 float32 image in [0, 1], white on black, prepared as EMNIST's characters were:

    1. crop to the ink's bounding box (and bring the stroke width into EMNIST's range);
    2. scale it, keeping its aspect ratio, so its longer side fills NIST's 128-px square but
       for a NIST_BORDER-px border, and centre the box (not the mass) in that square;
    3. blur with a Gaussian of NIST_BLUR px;
    4. bicubic down to 28×28 (Keys, a = -0.5, antialiased);
    5. stretch so the strongest ink is 1; the cubic's small undershoot next to strokes is cut
       to 0, as an 8-bit image cuts it, so the background stays 0.

    Steps 2-4 are linear and act on rows and columns separately: they are one (28, n) matrix
    per axis, applied to the crop as rows @ crop @ columns.T.
    `ink` is any 2-D array (float in [0, 1], or uint8), 0 meaning no ink. No ink gives zeros.
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"expected a 2-D image of ink, got shape {ink.shape}")
    box = bounding_box(ink)
    if box is None:
        return np.zeros((IMAGE_SIDE, IMAGE_SIDE), np.float32)
    crop = ink[box[0]:box[1], box[2]:box[3]]
    if normalise_width:
        crop = normalise_stroke(crop, float(crop.max()), EMNIST_STROKE_RANGE,
                                EMNIST_STROKE_TARGET)
    h, w = crop.shape
    scale = (NIST_SIDE - 2 * NIST_BORDER) / max(h, w)

    def resample(n: int) -> np.ndarray:  # n crop pixels -> the centred frame -> 28 pixels
        frame = _area_matrix(n, scale, (NIST_SIDE - n * scale) / 2, NIST_SIDE)
        return _NIST_TO_EMNIST @ frame

    out = resample(h) @ crop @ resample(w).T
    np.clip(out, 0, None, out=out)
    out /= out.max()
    return out.astype(np.float32)


# --- choosing the preparation -------------------------------------------------------------------

PREPARATIONS = {"mnist": to_mnist, "emnist": to_emnist}


def prepare(ink: np.ndarray, style: str = "mnist") -> np.ndarray:
    """The 28×28 input for `ink`, prepared in `style` (a key of PREPARATIONS): the way the
    network's dataset was made."""
    if style not in PREPARATIONS:
        raise ValueError(f"unknown preparation {style!r}; choose one of: "
                         f"{', '.join(PREPARATIONS)}")
    return PREPARATIONS[style](ink)


def fit(ink: np.ndarray, side: int, margin: float = 0.1) -> np.ndarray:
    """The ink scaled (by area) so its bounding box fills a side × side square but for a
    `margin` all round, centred, strongest ink 1: a picture put on the canvas to be redrawn."""
    out = np.zeros((side, side), np.float32)
    box = bounding_box(ink)
    if box is None:
        return out
    crop = np.asarray(ink[box[0]:box[1], box[2]:box[3]], np.float32)
    h, w = crop.shape
    scale = side * (1 - 2 * margin) / max(h, w)
    out = (_area_matrix(h, scale, (side - h * scale) / 2, side) @ crop
           @ _area_matrix(w, scale, (side - w * scale) / 2, side).T)
    out *= np.float32(1 / crop.max())
    return np.clip(out, 0, 1, out=out)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) centre of mass in pixel indices, the way it is usually quoted for MNIST."""
    mass = image.sum()
    ys, xs = np.indices(image.shape)
    return float((image * ys).sum() / mass), float((image * xs).sum() / mass)


# --- drawing on a canvas -------------------------------------------------------------------------

def stroke(ink: np.ndarray, p0, p1, radius: float, erase: bool = False) -> None:
    """Paint (or erase) a round-ended line of `radius` from p0 to p1 = (x, y) into `ink`, in
    place. Each pixel gets the fraction of it the pen covers, estimated from the distance of its
    centre to the segment: that is the antialiasing. Painting a segment between every two mouse
    positions keeps a fast stroke continuous instead of a trail of dots."""
    (x0, y0), (x1, y1) = p0, p1
    r = max(float(radius), 0.5)
    hgt, wid = ink.shape
    left, right = int(max(min(x0, x1) - r - 1, 0)), int(min(max(x0, x1) + r + 2, wid))
    top, bottom = int(max(min(y0, y1) - r - 1, 0)), int(min(max(y0, y1) + r + 2, hgt))
    if left >= right or top >= bottom:
        return
    ys = np.arange(top, bottom, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(left, right, dtype=np.float32)[None, :] + 0.5
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    # t: where the nearest point of the segment is, 0 at p0 and 1 at p1; a segment far
    # shorter than a pixel is a dot (its length² would underflow float32 to 0, giving 0/0)
    t = 0.0 if length2 < 1e-12 else np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0, 1)
    distance = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))
    cover = np.clip(r + 0.5 - distance, 0, 1)
    patch = ink[top:bottom, left:right]
    if erase:
        np.minimum(patch, 1 - cover, out=patch)
    else:
        np.maximum(patch, cover, out=patch)


# --- pictures ------------------------------------------------------------------------------------

LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 grey, as Pillow's "L" mode
NOISE_FLOOR = 0.2  # paper grain and JPEG ripples below this fraction of the contrast are dropped


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def ink_from_rgba(rgba: np.ndarray) -> np.ndarray:
    """Ink (H, W) in [0, 1] from an (H, W, 3 or 4) uint8 picture, whichever way round it is.

    The background is the median grey of the picture's border (a written digit rarely touches
    all four edges); the ink is whatever differs from it, scaled so the strongest ink is 1.
    Dark on light (a scan, a photo of paper) and light on dark (MNIST itself) both work.
    Transparent pixels are treated as background."""
    rgba = np.asarray(rgba)
    if rgba.ndim == 2:
        grey = rgba.astype(np.float32) / 255
        alpha = None
    elif rgba.ndim == 3 and rgba.shape[2] in (3, 4):
        grey = rgba[..., :3].astype(np.float32) @ (LUMA / 255)
        alpha = rgba[..., 3].astype(np.float32) / 255 if rgba.shape[2] == 4 else None
    else:
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got {rgba.shape}")
    if grey.size == 0:
        raise ValueError("the image is empty")
    if alpha is not None and np.median(_border(alpha)) < 0.5:
        # On a transparent background the ink is the opaque part, whatever its colour.
        return np.where(alpha > NOISE_FLOOR, alpha, np.float32(0))
    border = _border(grey)
    background = float(np.median(border))
    ink = np.abs(grey - background)
    # the strongest ink, ignoring a few stray pixels
    peak = float(np.percentile(ink, 99.9)) if ink.size > 1000 else float(ink.max())
    if peak <= 0:
        return np.zeros_like(ink)
    ink = (ink / peak - NOISE_FLOOR) / (1 - NOISE_FLOOR)
    return np.clip(ink, 0, 1, out=ink)
