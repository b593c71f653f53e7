"""From a drawing (or a picture of one) to the 28×28 input the network expects. Pure numpy.

A network trained on MNIST has only ever seen digits prepared one way (LeCun, Cortes & Burges):
the ink's bounding box scaled, keeping its aspect ratio, so that its longer side is 20 px, with
antialiasing; then placed in a 28×28 field so that its centre of mass falls in the middle;
white ink on black. A drawing that skips any of these steps (off-centre, too big, too small)
looks to the network like nothing it was trained on, which is why drawn digits get misread.
`to_mnist` repeats those steps, plus one MNIST never needed: pens on a canvas can be much
thinner or fatter than a pen on a form, so the stroke width is brought into the range of
MNIST's strokes before scaling.

Images here are 2-D float arrays of *ink*: 0 = background, 1 = full ink, whatever the colours
were. `ink_from_rgba` turns a picture (dark on light or light on dark) into ink.
"""

from __future__ import annotations

import numpy as np

from .constants import IMAGE_SIDE

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


def stroke_growth(ink: np.ndarray, peak: float = 1.0) -> int:
    """How many pixels to add to (or take from, when negative) every stroke of the cropped
    `ink` to bring its width into MNIST's range (see STROKE_RANGE); 0 when it is already.

    Growing a stroke by d also grows the box by d, so the width d that makes the fraction
    right solves (w + d) / (L + d) = target:  d = (target·L - w) / (1 - target)."""
    w, longer = stroke_width(ink, peak), max(ink.shape)
    if w == 0 or STROKE_RANGE[0] <= w / longer <= STROKE_RANGE[1]:
        return 0
    grow = int(round((STROKE_TARGET * longer - w) / (1 - STROKE_TARGET)))
    return max(grow, 1 - int(w))  # never erode a stroke away


def normalise_stroke(ink: np.ndarray, peak: float = 1.0) -> np.ndarray:
    """The cropped ink, with its stroke width brought into MNIST's range, cropped again, at a
    working resolution of about WORK_SIDE px: the final 20 px need no more, and reshaping a
    64-pixel picture costs a hundredth of a 448-pixel one. The width is measured before
    shrinking, where thin strokes are still visible."""
    grow = stroke_growth(ink, peak)
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
