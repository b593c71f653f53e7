"""Distortions of a batch of training images (uint8, N × 784), vectorised over the batch.

A digit written 2 px further right, turned a little, slanted, squeezed or drawn with a wobblier
hand is the same digit, but to a fully connected layer it is a different input vector. Showing
every training image distorted afresh each time it is seen teaches the network those
invariances, and keeps a wide net from memorising the 60,000 originals. Three kinds:

    shift    whole-pixel shifts (exact: no resampling)
    affine   a random rotation, scale (x and y apart), horizontal shear (slant) and translation
    elastic  a random displacement field, smoothed by a Gaussian of width σ and scaled by α
             (Simard, Steinkraus & Platt 2003): the wobble of a hand

`Augment` says which and how strongly; `Distorter` draws them for each batch and `Warp` moves
the pixels. Only training batches are distorted; the test set never is.

How, in one picture: every output pixel (i, j) reads the source image at a point (X, Y), and
both maps, the affine one and the elastic one, are written as the same kind of small matrix
product. For one image and one coordinate,

    X = P @ C @ P.T          (28 × 28)

where the columns of P (28 × K) are a constant, the pixel coordinate and the few smooth
patterns an elastic field is made of, and C (K × K) holds this image's random numbers. The
whole batch's sampling grid is then two matrix products, and the pixels one bilinear gather.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .constants import IMAGE_SIDE

KINDS = ("shift", "affine", "elastic")
BEST = ("affine", "elastic")  # what a bare --augment means

# The strengths, as a table: (MNIST's default, EMNIST's, least, most). Letters get smaller
# rotations: a turned N is a Z, a turned u an n. Nothing is ever flipped: a mirrored
# digit or letter is another character, or none.
STRENGTHS = {
    "rotate": (10.0, 6.0, 0.0, 180.0),    # degrees, either way
    "scale": (0.1, 0.1, 0.0, 0.9),        # each axis stretched by a factor in 1 ± scale
    "shear": (0.2, 0.15, 0.0, 2.0),       # x += k·y (a slant), k in ± shear
    "translate": (1.0, 1.0, 0.0, 27.0),   # pixels, x and y apart, fractions included
    "alpha": (34.0, 30.0, 0.0, 200.0),    # elastic strength: the field's scale, pixels
    "sigma": (5.0, 5.0, 1.0, 28.0),       # elastic smoothness: the Gaussian's σ, pixels
    "shift": (2, 2, 0, IMAGE_SIDE - 1),   # whole pixels, x and y apart
}


def is_letters(dataset: str | None) -> bool:
    """EMNIST's splits (letters, or letters and digits, framed to fill the image) get the
    gentler defaults."""
    return bool(dataset) and dataset.startswith("emnist")


@dataclass(frozen=True)
class Augment:
    """Which distortions training applies, and how strongly. A strength left at None takes the
    dataset's default (STRENGTHS; see `for_dataset`)."""

    kinds: tuple[str, ...] = BEST
    rotate: float | None = None
    scale: float | None = None
    shear: float | None = None
    translate: float | None = None
    alpha: float | None = None
    sigma: float | None = None
    shift: int | None = None

    def __post_init__(self):
        if not self.kinds or any(k not in KINDS for k in self.kinds) \
                or len(set(self.kinds)) != len(self.kinds):
            raise ValueError(f"kinds must be some of {', '.join(KINDS)}, each once: "
                             f"got {self.kinds}")
        for name, (*_, least, most) in STRENGTHS.items():
            value = getattr(self, name)
            if value is not None and not least <= value <= most:
                raise ValueError(f"{name} must be from {least} to {most}, not {value}")

    def __str__(self) -> str:
        """The kinds as --augment spells them ('affine,elastic'; '3' for shifts of 3 px)."""
        if self.kinds == ("shift",) and self.shift is not None:
            return str(self.shift)
        return ",".join(self.kinds)

    def for_dataset(self, dataset: str | None) -> Augment:
        """This spec with every strength it left open filled in for `dataset`."""
        column = 1 if is_letters(dataset) else 0
        return replace(self, **{name: row[column] for name, row in STRENGTHS.items()
                                if getattr(self, name) is None})


def parse(text: str | None) -> Augment | None:
    """The command line's --augment value: a whole number of pixels (today's shifts; 0 means
    none), or kinds separated by commas ('affine,elastic'), or 'none'. Raises ValueError."""
    text = (text or "").strip().lower()
    if text in ("", "0", "none"):
        return None
    if text.lstrip("+-").isdigit():
        return Augment(kinds=("shift",), shift=int(text))
    given = [k.strip() for k in text.split(",")]
    bad = [k for k in given if k not in KINDS]
    if bad:
        raise ValueError(f"unknown distortion {bad[0]!r}: choose from {', '.join(KINDS)}, "
                         f"separated by commas, or a number of pixels")
    return Augment(kinds=tuple(k for k in KINDS if k in given))


# --- shifts: whole pixels, no resampling ---------------------------------------------------------

def shift_images(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each (N, 784) uint8 image moved by its own random whole-pixel shift of up to
    `max_shift` pixels in x and in y, the uncovered border filled with 0 (black).

    Vectorised: pad every image with `max_shift` zeros on each side, view the padded image as
    its (2m+1)x(2m+1) grid of 28x28 windows (no copy), and read each image's window at its own
    offset with one fancy-indexing gather (no loop over images).
    """
    n, side, m = len(images), IMAGE_SIDE, max_shift
    padded = np.pad(images.reshape(n, side, side), ((0, 0), (m, m), (m, m)))
    windows = sliding_window_view(padded, (side, side), axis=(1, 2))  # (n, 2m+1, 2m+1, 28, 28)
    dy, dx = rng.integers(0, 2 * m + 1, size=(2, n))  # window origin in the padded image
    return windows[np.arange(n), dy, dx].reshape(n, side * side)


# --- the sampling grid and the gather --------------------------------------------------------

def gaussian_matrix(sigma: float, side: int = IMAGE_SIDE) -> np.ndarray:
    """G (side × side) with G @ f the convolution of a column f with a Gaussian of width σ,
    zero outside the image (what is beyond the border is still, as in Simard's fields)."""
    d = np.arange(side)[:, None] - np.arange(side)[None, :]
    return np.exp(-d * d / (2.0 * sigma * sigma)) / (math.sqrt(2 * math.pi) * sigma)


def smooth_patterns(sigma: float, side: int = IMAGE_SIDE, share: float = 0.999) -> np.ndarray:
    """B (side × k): the few patterns a Gaussian-smoothed field is made of.

    Simard's field is G @ U @ G.T, U white noise (side × side). G is symmetric, G = Q Λ Q.T,
    so G U G.T = (QΛ) (Q.T U Q) (QΛ).T, and Q.T U Q, white noise seen in another orthonormal
    basis, is white noise again (uncorrelated, of the same variance). The Gaussian all but
    erases the fine patterns, those of small λ: the first k columns of QΛ, largest λ first,
    that carry `share` of the field's variance give the same field from k × k random numbers
    instead of side × side."""
    lam, Q = np.linalg.eigh(gaussian_matrix(sigma, side))
    order = np.argsort(-np.abs(lam))
    lam, Q = lam[order], Q[:, order]
    power = np.cumsum(lam * lam)
    held = (power / power[-1]) ** 2  # B U B.T's variance is var(U)·(Σ λ²)² over the image
    k = int(np.searchsorted(held, share)) + 1
    return Q[:, :k] * lam[:k]


class Warp:
    """Moves the pixels of a batch of images along a sampling grid, in one bilinear gather.

    The grid gives, for output pixel (i, j) of image n, the point (X, Y) of the source it
    shows, in pixel coordinates (pixel centres at whole numbers). X = P @ Cx @ P.T and
    Y = P @ Cy @ P.T (see the module's docstring), with P's columns: the elastic `patterns`,
    then 1, then the coordinate from the centre, i - 13.5. So a map's coefficients go in
    C[0, n] (for X) and C[1, n] (for Y) as:

        C[one, one]: the constant,  C[one, coord]: the factor on j,  C[coord, one]: on i,
        C[:k, :k]: the elastic field's random numbers (k patterns).

    Samples that fall outside the image read 0 (black). The arrays are kept for the next
    batch of the same size or smaller.
    """

    def __init__(self, patterns: np.ndarray | None = None, side: int = IMAGE_SIDE):
        self.patterns, self.side = patterns, side
        # images per pass: bounds the arrays kept, and keeps the float32 indices exact
        self.chunk = min(1024, 2 ** 24 // (side + 3) ** 2)
        self.k = 0 if patterns is None else patterns.shape[1]
        centred = np.arange(side) - (side - 1) / 2
        columns = [np.ones(side), centred] if patterns is None else \
            [*patterns.T, np.ones(side), centred]
        self.P = np.stack(columns, axis=1).astype(np.float32)  # side × K
        self.one, self.coord = self.k, self.k + 1
        self.capacity = 0

    def maps(self, inverse: np.ndarray, offset: np.ndarray,
             noise: np.ndarray | None = None) -> np.ndarray:
        """The coefficients C (2, n, K, K) of the grid that shows the source point
        inverse[n] @ (o - offset[n]) at output point o (both from the image's centre), moved
        further by the elastic field of `noise` (2, n, k, k), if given."""
        n, K = len(inverse), self.P.shape[1]
        C = np.zeros((2, n, K, K), np.float32)
        C[:, :, self.one, self.coord] = inverse[:, :, 0].T  # X's and Y's factors on j
        C[:, :, self.coord, self.one] = inverse[:, :, 1].T  # ... and on i
        C[:, :, self.one, self.one] = (self.side - 1) / 2 - np.einsum("nij,nj->in", inverse,
                                                                       offset)
        if noise is not None:
            C[:, :, :self.k, :self.k] = noise
        return C

    def identity(self, n: int) -> np.ndarray:
        """Coefficients of the map that leaves every image as it is."""
        return self.maps(np.broadcast_to(np.eye(2), (n, 2, 2)), np.zeros((n, 2)))

    def _reserve(self, n: int) -> None:
        if n <= self.capacity:
            return
        s, w = self.side, self.side + 3
        # One pixel of zeros before each image and two after: with the grid clipped to
        # [-1, side], all four neighbours of any sample lie inside the padded image, and a
        # sample beyond the border reads zeros only.
        self.padded = np.zeros((n, w, w), np.uint8)
        self.origin = (np.arange(n, dtype=np.float32) * (w * w) + w + 1)[:, None, None]
        self.grid = np.empty((2, n, s, s), np.float32)
        self.floor = np.empty((2, n, s, s), np.float32)
        self.index = np.empty((n, s, s), np.intp)
        self.corners = [np.empty((n, s, s), np.uint8) for _ in range(4)]
        self.capacity = n

    def sampling_grid(self, C: np.ndarray) -> np.ndarray:
        """X and Y (2, n, side, side) = P @ C @ P.T for every image: C @ P.T as one GEMM
        over the whole batch, then P @ that. Valid until the next call."""
        n, K, s = C.shape[1], self.P.shape[1], self.side
        self._reserve(n)
        right = (C.reshape(2 * n * K, K) @ self.P.T).reshape(2, n, K, s)
        return np.matmul(self.P, right, out=self.grid[:, :n])

    def sample(self, images: np.ndarray, grid: np.ndarray, out: np.ndarray | None = None):
        """Bilinear samples of the uint8 images (n, side²) at the grid's points (X and Y:
        2, n, side, side), rounded to uint8 (n, side²); 0 outside the image. The grid is used up.

        A point (X, Y) between the pixel centres (x0, y0) and (x0 + 1, y0 + 1), fx = X - x0
        and fy = Y - y0 along, reads

            top    = p[y0, x0]     + fx·(p[y0, x0 + 1]     - p[y0, x0])
            bottom = p[y0 + 1, x0] + fx·(p[y0 + 1, x0 + 1] - p[y0 + 1, x0])
            value  = top + fy·(bottom - top)

        On a whole-pixel point fx = fy = 0 and the value is the pixel itself, exactly.
        Few arrays, each used again for the next step, so that they stay in the cache."""
        n, s, w = len(images), self.side, self.side + 3
        self._reserve(n)
        padded = self.padded[:n]
        padded[:, 1:s + 1, 1:s + 1] = images.reshape(n, s, s)
        point = np.clip(grid, -1, s, out=grid)
        corner = np.floor(point, out=self.floor[:, :n])
        (fx, fy), (x0, y0) = np.subtract(point, corner, out=point), corner
        # where p[y0, x0] is in the padded batch, flat (exact in float32 for `chunk` images)
        y0 *= w
        y0 += x0
        y0 += self.origin[:n]
        index = self.index[:n]
        np.copyto(index, y0, casting="unsafe")
        # the four neighbours: the same index into views of the batch that start one pixel
        # right, one row down and both, so the gathers need no more index arithmetic ('clip':
        # every index is in range, and numpy then skips its checking)
        flat = padded.reshape(-1)
        p00, p01, p10, p11 = (np.take(flat[shift:], index, out=v[:n], mode="clip")
                              for shift, v in zip((0, 1, w, w + 1), self.corners))
        top = np.subtract(p01, p00, out=x0, dtype=np.float32)
        top *= fx
        top += p00
        bottom = np.subtract(p11, p10, out=y0, dtype=np.float32)
        bottom *= fx
        bottom += p10
        bottom -= top
        bottom *= fy
        top += 0.5  # so that the cast to uint8, which truncates, rounds to the nearest
        if out is None:
            out = np.empty((n, s * s), np.uint8)
        np.add(top, bottom, out=out.reshape(n, s, s), casting="unsafe")
        return out

    def __call__(self, images: np.ndarray, C: np.ndarray, out=None) -> np.ndarray:
        """The (n, side²) uint8 images moved by the maps with coefficients C (2, n, K, K)."""
        if out is None:
            out = np.empty_like(images)
        for i in range(0, len(images), self.chunk):
            part = slice(i, i + self.chunk)
            self.sample(images[part], self.sampling_grid(C[:, part]), out[part])
        return out


# --- random distortions ------------------------------------------------------------------------

class Distorter:
    """Draws a spec's distortions afresh for every batch and applies them (`Warp`).

    For each image: an affine map o = M·p + t, with M = rotation · shear · scale, taking a
    point p of the digit (from the centre) to where it is shown; the grid needs the way back,
    p = M⁻¹·(o - t). Then the elastic field, α·B·U·B.T per coordinate (U uniform in ±1,
    B = `smooth_patterns(σ)`), is added to where each output pixel reads."""

    def __init__(self, spec: Augment, dataset: str | None = None):
        self.spec = spec = spec.for_dataset(dataset)
        self.affine = "affine" in spec.kinds
        self.elastic = "elastic" in spec.kinds
        self.shift = spec.shift if "shift" in spec.kinds else 0
        self.warp = Warp(smooth_patterns(spec.sigma) if self.elastic else None)

    def coefficients(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Random maps for n images, as the grid's coefficients (2, n, K, K) (see Warp)."""
        spec = self.spec
        inverse = np.broadcast_to(np.eye(2), (n, 2, 2))
        offset = np.zeros((n, 2))
        if self.affine:
            u = rng.uniform(-1, 1, (n, 6))  # each image's angle, 2 scales, shear, 2 offsets
            inverse = inverse_affine(np.radians(spec.rotate) * u[:, 0], 1 + spec.scale
                                     * u[:, 1:3], spec.shear * u[:, 3])
            offset = spec.translate * u[:, 4:]
        if self.shift:
            offset = offset + rng.integers(-self.shift, self.shift + 1, (n, 2))
        noise = None
        if self.elastic:
            k = self.warp.k
            noise = rng.random((2, n, k, k), np.float32)  # α·U, U uniform in ±1
            noise *= np.float32(2 * spec.alpha)
            noise -= np.float32(spec.alpha)
        return self.warp.maps(inverse, offset, noise)

    @property
    def shifts_only(self) -> bool:
        """Whole-pixel shifts alone: exact, and cheaper than any gather (`shift_images`)."""
        return not (self.affine or self.elastic)

    def __call__(self, images: np.ndarray, rng: np.random.Generator, out=None) -> np.ndarray:
        """The (n, 784) uint8 images, each distorted its own way; new uint8 images."""
        if self.shifts_only:
            return shift_images(images, self.shift, rng)
        return self.warp(images, self.coefficients(len(images), rng), out)


class Ahead:
    """Distorts the next training batch on a second thread while the network learns from
    this one.

    Why: distorting a batch costs a good share of what a 784-800-10 network's step costs, and
    numpy lets go of the interpreter lock inside its loops and products, so with a core to
    spare that time is hidden (docs/augmentation.md has the figures). The distortions draw
    from their own random generator, split off the training's, in the order the batches
    come: a seed gives the same images whether they are made on this thread or the other.

    The calling thread starts a batch (`start`), trains on the one before, and collects the
    new one (`result`) before it ends its own batch, so the other thread's BLAS products never
    run while the thread count is being changed between two batches (threads.tune_threads).
    Two sets of arrays take turns: one is being written, the other holds the batch being
    learnt from. THREADED = False does it all on the calling thread (for comparisons)."""

    THREADED = True

    def __init__(self, spec: Augment, dataset: str | None, rng: np.random.Generator):
        self.distorter = Distorter(spec, dataset)
        self.rng = rng.spawn(1)[0]
        warp = self.distorter.warp
        self.warps = [warp, Warp(warp.patterns, warp.side)]
        self.outs = [np.empty((0, warp.side ** 2), np.uint8) for _ in self.warps]
        self.turn = 0
        self.pool = ThreadPoolExecutor(1, "distort") if self.THREADED else None
        self.coming: Future | None = None

    def start(self, images: np.ndarray, rows: np.ndarray) -> None:
        """Start distorting images[rows] ((n, 784) uint8) on the other thread."""
        turn, self.turn = self.turn, 1 - self.turn
        if self.pool is None:
            self.coming = Future()
            self.coming.set_result(self._distort(images, rows, turn))
        else:
            self.coming = self.pool.submit(self._distort, images, rows, turn)

    def result(self) -> np.ndarray:
        """The batch last started, distorted (waiting for it if need be); valid until the
        next but one start."""
        return self.coming.result()

    def _distort(self, images: np.ndarray, rows: np.ndarray, turn: int) -> np.ndarray:
        d, batch = self.distorter, images[rows]
        n = len(batch)
        if d.shifts_only or n > d.warp.chunk:
            return d(batch, self.rng)
        if len(self.outs[turn]) < n:
            self.outs[turn] = np.empty((n, batch.shape[1]), np.uint8)
        warp = self.warps[turn]
        grid = warp.sampling_grid(d.coefficients(n, self.rng))
        return warp.sample(batch, grid, self.outs[turn][:n])

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def inverse_affine(angle, scale, shear) -> np.ndarray:
    """M⁻¹ (n, 2, 2) for M = R(angle)·H(shear)·S(scale): S stretches x and y by scale[:, 0]
    and scale[:, 1], H slants (x += shear·y), R turns anticlockwise as seen on screen (where y
    points down) by `angle` radians. M⁻¹ = S⁻¹·H⁻¹·R(-angle), written out."""
    c, s, k = np.cos(angle), np.sin(angle), shear
    inverse = np.empty((len(c), 2, 2))
    inverse[:, 0, 0] = (c - k * s) / scale[:, 0]
    inverse[:, 0, 1] = (-s - k * c) / scale[:, 0]
    inverse[:, 1, 0] = s / scale[:, 1]
    inverse[:, 1, 1] = c / scale[:, 1]
    return inverse


def distort(images: np.ndarray, rng: np.random.Generator, spec: Augment | None = None,
            dataset: str | None = None) -> np.ndarray:
    """A few (n, 784) uint8 images as training shows them to the network: each distorted its
    own random way by `spec` (default: the bare --augment's) with `dataset`'s strengths."""
    return Distorter(spec or Augment(), dataset)(images, rng)
