"""Drawing primitives shared by the trainer window and the identifier: colour maps, arrays onto
surfaces, text, activation columns, links between layers and line charts.

Pure functions of their arguments, and `init_display` that both windows open with; nothing
here opens a window or initialises pygame at import time. The functions that draw take a target
`pygame.Surface` and a `pygame.Rect` (or tuple) and paint only inside it; the colour-map
functions are numpy only, so they are testable without pygame and cheap enough to call every
frame (a lookup table, no per-pixel Python).

Conventions: images are numpy arrays shaped (height, width, 3) uint8, row-major like the
datasets; colours are (r, g, b) tuples.
"""

from __future__ import annotations

import math
import os
import sys
from functools import lru_cache

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner in the programs' output
import pygame  # noqa: E402

# --- palette -----------------------------------------------------------------------------------
# A dark theme: the weights' colours stand out best against near-black.

BACKGROUND = (17, 19, 26)
PANEL = (26, 29, 39)
GRID = (48, 53, 68)
TEXT = (222, 226, 236)
DIM = (140, 148, 168)
ACCENT = (255, 196, 84)     # the network's guess, highlights
GOOD = (110, 220, 140)      # correct guess, accuracy curve
BAD = (255, 110, 100)       # wrong guess
COST = (120, 180, 255)      # cost curves

# The diverging map: value -1 (most negative) .. 0 .. +1 (most positive), as anchor colours.
# It fades to near-black at zero, so small weights recede and strong ones glow.
DIVERGING_ANCHORS = [(-1.0, (150, 225, 255)), (-0.55, (40, 120, 235)), (-0.2, (22, 45, 95)),
                     (0.0, (14, 15, 20)), (0.2, (100, 30, 28)), (0.55, (230, 75, 40)),
                     (1.0, (255, 225, 140))]
# Sequential map for activations in [0, 1]: dark slate to warm white, like a light turning on.
SEQUENTIAL_ANCHORS = [(0.0, (30, 34, 48)), (0.35, (90, 60, 110)), (0.7, (225, 120, 70)),
                      (1.0, (255, 240, 170))]
LUT_SIZE = 255  # odd, so that 0 has an entry of its own: the exact centre colour


def _lut(anchors) -> np.ndarray:
    """A (LUT_SIZE, 3) uint8 table interpolating the anchor colours linearly."""
    xs = np.array([x for x, _ in anchors], np.float64)
    cs = np.array([c for _, c in anchors], np.float64)
    t = np.linspace(xs[0], xs[-1], LUT_SIZE)
    return np.stack([np.interp(t, xs, cs[:, k]) for k in range(3)], axis=1).round() \
        .astype(np.uint8)


DIVERGING_LUT = _lut(DIVERGING_ANCHORS)
SEQUENTIAL_LUT = _lut(SEQUENTIAL_ANCHORS)


def _packed(lut: np.ndarray) -> np.ndarray:
    """The same table as one uint32 per colour, bytes R, G, B, 255 in memory order: gathering
    one 4-byte word per pixel is ~10x faster than gathering three bytes with fancy indexing."""
    rgbx = np.concatenate([lut, np.full((len(lut), 1), 255, np.uint8)], axis=1)
    return np.ascontiguousarray(rgbx).view(np.uint32).ravel()


_PACKED_DIVERGING = _packed(DIVERGING_LUT)
_PACKED_SEQUENTIAL = _packed(SEQUENTIAL_LUT)


def symmetric_scale(values: np.ndarray) -> float:
    """A robust half-range for a diverging map: 2.5 × the root mean square.

    The plain maximum lets a single outlier wash every other weight out to the zero colour; a
    percentile costs a partial sort per frame. 2.5 RMS keeps ~99% of normally distributed
    weights inside the scale, and the few beyond it simply saturate."""
    v = np.asarray(values, np.float32).ravel()
    if v.size == 0:
        return 1.0
    rms = float(np.sqrt(np.dot(v, v) / v.size))
    return 2.5 * rms if rms > 0 and math.isfinite(rms) else 1.0


def _indices(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values -> uint8 table indices, lo -> 0 and hi -> LUT_SIZE - 1, clipped."""
    k = np.float32((LUT_SIZE - 1) / (hi - lo))
    i = np.multiply(v, k, dtype=np.float32, order="C")
    i += np.float32(0.5 - lo * k)  # +0.5: the cast below truncates, this makes it round
    np.clip(i, 0, LUT_SIZE - 1, out=i)
    return i.astype(np.uint8)


def _as_rgb(words: np.ndarray) -> np.ndarray:
    return words.view(np.uint8).reshape(words.shape + (4,))[..., :3]


def diverging_rgbx(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Like `diverging`, as values.shape + (4,) uint8 bytes R, G, B, 255 (contiguous), the
    layout pygame takes directly as "RGBX"."""
    v = np.asarray(values, np.float32)
    if scale is None:
        scale = symmetric_scale(v)
    scale = float(scale) if scale and math.isfinite(scale) and scale > 0 else 1.0
    words = _PACKED_DIVERGING[_indices(v, -scale, scale)]
    return words.view(np.uint8).reshape(v.shape + (4,))


def diverging(values: np.ndarray, scale: float | None = None):
    """Map values to uint8 RGB with a symmetric diverging colour map: 0 is the centre colour,
    -scale and below the blue end, +scale and above the red end.

    Returns an array shaped values.shape + (3,). `scale` defaults to `symmetric_scale(values)`;
    a fixed scale lets frames be compared with each other."""
    return diverging_rgbx(values, scale)[..., :3]


def sequential(values: np.ndarray, vmin: float = 0.0, vmax: float = 1.0) -> np.ndarray:
    """Map values in [vmin, vmax] to uint8 RGB from dark to bright (for activations)."""
    v = np.asarray(values, np.float32)
    if not vmax > vmin:
        vmax = vmin + 1.0
    return _as_rgb(_PACKED_SEQUENTIAL[_indices(v, vmin, vmax)])


def blend(colour, background=BACKGROUND, t: float = 0.5):
    """The colour a fraction t of the way from `background` to `colour`."""
    return tuple(int(round(b + (c - b) * t)) for c, b in zip(colour, background))


# --- layout ------------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def grid_shape(n: int, width: float, height: float, aspect: float = 1.0) -> tuple[int, int]:
    """(rows, cols) holding n cells of width/height ratio `aspect` in a width × height box with
    the largest possible cells; 24 tiles come out as a few big ones, 800 as many small ones."""
    n = max(int(n), 1)
    best, best_size = (n, 1), -1.0
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        size = min(width / (cols * aspect), height / rows)
        if size > best_size + 1e-9:
            best, best_size = (rows, cols), size
    return best


def tile_mosaic(W: np.ndarray, side: int, cols: int, gap: int = 1, scale: float | None = None,
                background=BACKGROUND, rgbx: bool = False) -> np.ndarray:
    """The columns of W (n_in = side², n) as side × side tiles in a grid of `cols` columns,
    coloured with `diverging`, `gap` background pixels between tiles. Returns (h, w, 3) uint8,
    or (h, w, 4) "RGBX" bytes with rgbx=True (faster to put on a surface).

    One vectorised reshape: each hidden neuron's incoming weights become the picture it looks
    for in the input (red: ink there excites it, blue: ink there inhibits it)."""
    n = W.shape[1]
    rows = -(-n // cols)
    cell = side + gap
    tiles = np.empty((rows * cols, cell, cell, 4), np.uint8)
    tiles[:] = (*background, 255)
    # one contiguous copy of Wᵀ first: colouring a strided view is several times slower
    tiles[:n, :side, :side] = diverging_rgbx(np.ascontiguousarray(W.T).reshape(n, side, side),
                                             scale)
    mosaic = tiles.reshape(rows, cols, cell, cell, 4).transpose(0, 2, 1, 3, 4)
    mosaic = mosaic.reshape(rows * cell, cols * cell, 4)[:rows * cell - gap, :cols * cell - gap]
    return mosaic if rgbx else mosaic[..., :3]


# --- arrays onto surfaces ----------------------------------------------------------------------

def array_to_surface(rgb: np.ndarray, size: tuple[int, int] | None = None,
                     smooth: bool | None = None) -> pygame.Surface:
    """An (h, w, 3) uint8 RGB array (or (h, w, 4) RGBX) as a Surface, optionally scaled to
    size = (w, h).

    Enlarging uses nearest-neighbour so pixels stay crisp squares (the point of showing a
    28 × 28 picture); shrinking averages (smoothscale), since dropping pixels would flicker."""
    rgb = np.ascontiguousarray(rgb, np.uint8)
    h, w = rgb.shape[:2]
    fmt = "RGBX" if rgb.shape[2] == 4 else "RGB"
    surf = pygame.image.frombytes(rgb.tobytes(), (w, h), fmt)
    if size is None or tuple(size) == (w, h):
        return surf
    size = (max(1, int(size[0])), max(1, int(size[1])))
    if smooth is None:
        smooth = size[0] < w or size[1] < h
    return pygame.transform.smoothscale(surf, size) if smooth else \
        pygame.transform.scale(surf, size)


def blit_array(surface: pygame.Surface, rgb: np.ndarray, rect, smooth: bool | None = None,
               keep_aspect: bool = True) -> pygame.Rect:
    """Draw an (h, w, 3) RGB or (h, w, 4) RGBX array into `rect`, scaled to fit (centred,
    aspect kept by default). Returns the rectangle actually covered."""
    rect = pygame.Rect(rect)
    h, w = rgb.shape[:2]
    if keep_aspect:
        k = min(rect.width / w, rect.height / h)
        size = (max(1, round(w * k)), max(1, round(h * k)))
    else:
        size = rect.size
    target = pygame.Rect((0, 0), size)
    target.center = rect.center
    k = min(size[0] / w, size[1] / h)
    if smooth is None and 1 < k < 4 and k != int(k):
        # 1.9x by nearest neighbour makes every other pixel twice as wide: enlarge by a whole
        # number first (crisp), then shrink the little rest smoothly (even)
        big = array_to_surface(rgb, (w * math.ceil(k), h * math.ceil(k)), smooth=False)
        surface.blit(pygame.transform.smoothscale(big, size), target)
    else:
        surface.blit(array_to_surface(rgb, size, smooth), target)
    return target


def gray_image(pixels: np.ndarray, side: int) -> np.ndarray:
    """A flat image (side², values 0..1 or 0..255 uint8) as (side, side, 3) uint8 grey,
    ink light on dark, as the datasets store it."""
    p = np.asarray(pixels).reshape(side, side)
    if p.dtype != np.uint8:
        p = (np.clip(p, 0, 1) * 255).astype(np.uint8)
    return np.repeat(p[:, :, None], 3, axis=2)


# --- text --------------------------------------------------------------------------------------

def _font_file(bold: bool) -> str | None:
    """DejaVu Sans from matplotlib (a requirement anyway), found without importing it:
    crisper than pygame's bundled freesansbold at small sizes. None: use pygame's."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "mpl-data", "fonts", "ttf",
                            "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
        if os.path.isfile(path):
            return path
    return None


# pygame's default font draws a "size 18" about as tall as DejaVu Sans at 13; sizes given to
# `font` follow pygame's convention, so a missing DejaVu changes the look, not the layout.
DEJAVU_SIZE = 0.72


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> pygame.font.Font:
    """A font at `size` (pygame's default-font convention), made once: making a Font reads
    the file."""
    if not pygame.font.get_init():
        pygame.font.init()
    path = _font_file(bold)
    if path is not None:
        return pygame.font.Font(path, max(6, round(size * DEJAVU_SIZE)))
    f = pygame.font.Font(None, size)
    f.set_bold(bold)
    return f


@lru_cache(maxsize=1024)
def _rendered(s: str, size: int, colour, bold: bool) -> pygame.Surface:
    return font(size, bold).render(s, True, colour)


def text(surface: pygame.Surface, s: str, pos, size: int = 18, colour=TEXT,
         anchor: str = "topleft", bold: bool = False) -> pygame.Rect:
    """Draw `s` with its `anchor` ('topleft', 'midright', 'center', ...) at `pos`; returns the
    rectangle it covers. Rendered strings are cached, since labels repeat every frame."""
    img = _rendered(str(s), int(size), tuple(colour), bool(bold))
    r = img.get_rect(**{anchor: (int(pos[0]), int(pos[1]))})
    surface.blit(img, r)
    return r


def text_size(s: str, size: int = 18, bold: bool = False) -> tuple[int, int]:
    return font(int(size), bool(bold)).size(str(s))


def fit_text(s: str, max_width: float, size: int = 18, bold: bool = False) -> str:
    """`s` when it fits in `max_width` pixels, else as much of it as fits followed by '…'
    (or nothing): text that does not fit is shortened, never drawn over its neighbours."""
    s = str(s)
    if text_size(s, size, bold)[0] <= max_width:
        return s
    lo, hi = 0, len(s)
    while lo < hi:  # the longest prefix that fits with its ellipsis
        mid = (lo + hi + 1) // 2
        if text_size(s[:mid].rstrip() + "…", size, bold)[0] <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return s[:lo].rstrip() + "…" if lo else ""


def size_that_fits(s: str, max_width: float, sizes, bold: bool = False) -> int:
    """The first of `sizes` (largest first) at which `s` fits in `max_width`; else the last."""
    return next((k for k in sizes if text_size(s, k, bold)[0] <= max_width), sizes[-1])


def first_that_fits(options, max_width: float, size: int = 18, bold: bool = False) -> str:
    """The first of several phrasings, longest first, that fits; else the last, shortened."""
    for s in options:
        if text_size(s, size, bold)[0] <= max_width:
            return s
    return fit_text(options[-1], max_width, size, bold)


# --- layers ------------------------------------------------------------------------------------

def activation_range(bounds: tuple, values: np.ndarray) -> tuple[float, float]:
    """The (lo, hi) a picture of activations spans: the activation's own bounds (e.g.
    network.ACTIVATION_RANGE), up to the largest value shown when unbounded above (ReLU)."""
    lo, hi = bounds
    return lo, hi if hi is not None else max(float(np.max(values, initial=0.0)), 1e-6)


def layer_cells(n: int, rect, max_cell: int = 26) -> list[pygame.Rect]:
    """Cells for n neurons inside `rect`: one column (squares, or thin bars when there are
    many) when each gets at least 3 px, else a grid of squares filled column by column, so
    800 neurons still fit a narrow strip."""
    rect = pygame.Rect(rect)
    if rect.height / n >= 3:
        # one column, as in the textbook pictures; below square size the cells become bars
        h = min(rect.height / n, max_cell)
        w = min(rect.width, max(h, 20), max_cell)
        pad = 1 if h >= 4 else 0
        y0 = rect.centery - n * h / 2
        return [pygame.Rect(round(rect.centerx - w / 2), round(y0 + i * h), round(w),
                            max(1, round(y0 + (i + 1) * h) - round(y0 + i * h) - pad))
                for i in range(n)]
    rows, cols = grid_shape(n, rect.width, rect.height)
    size = min(rect.width / cols, rect.height / rows, max_cell)
    pad = 1 if size >= 4 else 0
    x0 = rect.centerx - cols * size / 2
    y0 = rect.centery - rows * size / 2
    cells = []
    for i in range(n):
        c, r = divmod(i, rows)
        cells.append(pygame.Rect(round(x0 + c * size), round(y0 + r * size),
                                 max(1, round(size) - pad), max(1, round(size) - pad)))
    return cells


def draw_activations(surface: pygame.Surface, cells: list[pygame.Rect], values: np.ndarray,
                     biases: np.ndarray | None = None, bias_scale: float | None = None,
                     highlight: int | None = None, vmin: float = 0.0,
                     vmax: float = 1.0) -> None:
    """Fill each neuron's cell with its activation (dark = 0, bright = 1). With `biases`, a
    thin strip on the cell's left edge shows the bias in the diverging map, so a neuron that
    is "on by default" is visible even when the input leaves it quiet. `highlight` outlines
    one cell (the network's guess)."""
    colours = sequential(values, vmin, vmax)
    bias_colours = diverging(biases, bias_scale) if biases is not None else None
    for i, r in enumerate(cells):
        surface.fill(tuple(int(c) for c in colours[i]), r)
        if bias_colours is not None and r.width >= 8:
            strip = pygame.Rect(r.left, r.top, max(2, r.width // 5), r.height)
            surface.fill(tuple(int(c) for c in bias_colours[i]), strip)
    if highlight is not None and 0 <= highlight < len(cells):
        pygame.draw.rect(surface, ACCENT, cells[highlight].inflate(4, 4), 2)


def draw_links(surface: pygame.Surface, src: list, dst: list, W: np.ndarray,
               scale: float | None = None, max_links: int = 500, max_width: int = 3,
               background=BACKGROUND) -> None:
    """Lines from every point in `src` to every point in `dst`, coloured by the weight
    W[i, j] (diverging map, `scale` defaults to the largest |w|) and fading into the
    background as |w| shrinks.

    Only the `max_links` strongest weights are drawn, strongest last (on top): beyond a few
    hundred lines a node-link diagram turns into a grey blur and costs milliseconds a frame."""
    n_in, n_out = W.shape
    flat = np.abs(W).ravel()
    k = min(max_links, flat.size)
    top = np.argpartition(flat, flat.size - k)[flat.size - k:] if k < flat.size else \
        np.arange(flat.size)
    top = top[np.argsort(flat[top])]
    if scale is None:  # the strongest link in full colour, the others fading with |w|
        scale = float(flat[top[-1]]) if k else 1.0
    colours = diverging(W.ravel()[top], scale)
    strength = np.clip(flat[top] / scale, 0, 1)
    bg = np.array(background, np.float32)
    mixed = (bg + (colours - bg) * (0.25 + 0.75 * strength[:, None])).astype(np.uint8)
    widths = 1 + np.rint(strength * (max_width - 1)).astype(int)
    for f, c, w in zip(top.tolist(), mixed.tolist(), widths.tolist()):
        i, j = divmod(f, n_out)
        pygame.draw.line(surface, c, src[i], dst[j], w)


def draw_bars(surface: pygame.Surface, rect, values: np.ndarray, labels: list[str],
              highlight: int | None = None, size: int = 16, figures: bool = False) -> None:
    """Horizontal bars for values in [0, 1] (class probabilities), one row per class, label on
    the left. The guess (`highlight`) is drawn in the accent colour. With `figures`, every bar
    worth reading (≥ 0.5 %) carries its percentage: inside a long bar, after a short one."""
    rect = pygame.Rect(rect)
    n = len(values)
    row = rect.height / max(n, 1)
    label_w = max(text_size(s, size)[0] for s in labels) + 6 if labels else 0
    bar_x = rect.left + label_w
    bar_w = rect.right - bar_x
    for i, v in enumerate(np.clip(np.asarray(values, np.float32), 0, 1)):
        y = rect.top + i * row
        h = max(1, int(row) - (1 if row >= 4 else 0))
        colour = ACCENT if i == highlight else DIM
        pygame.draw.rect(surface, PANEL, (bar_x, y, bar_w, h))
        pygame.draw.rect(surface, colour, (bar_x, y, max(1, round(float(v) * bar_w)), h))
        if labels and row >= size * 0.6:
            text(surface, labels[i], (bar_x - 4, y + h / 2), size,
                 ACCENT if i == highlight else TEXT, "midright")
        if figures and v >= 0.005:
            end, middle, figure = bar_x + float(v) * bar_w, y + h / 2, f"{100 * v:.1f}%"
            if v > 0.3:
                text(surface, figure, (end - 8, middle), 16, BACKGROUND, "midright", bold=True)
            else:
                text(surface, figure, (end + 6, middle), 16,
                     ACCENT if i == highlight else TEXT, "midleft")


# --- charts ------------------------------------------------------------------------------------

def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About n round-numbered ticks covering [lo, hi] (1, 2, 5 × 10^k steps)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    mag = 10 ** math.floor(math.log10((hi - lo) / max(n, 1)))

    def ticks(step):
        first = math.ceil(lo / step - 1e-9) * step
        return [round(first + i * step, 12)
                for i in range(int((hi - first) / step + 1e-9) + 1)]

    # of the round steps near (hi - lo) / n, the one giving closest to n ticks
    return min((ticks(m * mag) for m in (0.5, 1, 2, 5, 10)), key=lambda t: abs(len(t) - n))


def _points(xs, ys, x_range, y_range, rect: pygame.Rect) -> list[tuple[int, int]]:
    xs = np.asarray(xs, np.float64)
    ys = np.asarray(ys, np.float64)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if len(xs) > 2 * rect.width:  # more points than pixels: keep every k-th
        k = len(xs) // rect.width
        xs, ys = xs[::k], ys[::k]
    (x0, x1), (y0, y1) = x_range, y_range
    px = rect.left + (xs - x0) / ((x1 - x0) or 1) * (rect.width - 1)
    py = rect.bottom - 1 - (np.clip(ys, y0, y1) - y0) / ((y1 - y0) or 1) * (rect.height - 1)
    return list(zip(np.rint(px).astype(int).tolist(), np.rint(py).astype(int).tolist()))


def draw_line_chart(surface: pygame.Surface, rect, series, x_range=None, y_range=None,
                    title: str = "", y_format: str = "{:g}", x_label: str = "",
                    size: int = 15, marks=()) -> None:
    """A small line chart. `series`: a list of (xs, ys, colour, label) (label may be ''); a
    series of one point is drawn as a dot. Ranges default to the data's, with a margin.
    `marks`: x positions where something changed (a learning rate set by hand), drawn as thin
    vertical lines. Texts that do not fit are shortened or left out, never overlapped."""
    rect = pygame.Rect(rect)
    pygame.draw.rect(surface, PANEL, rect, border_radius=6)
    fh = text_size("0", size)[1]
    if title:
        text(surface, fit_text(title, rect.width - 16, size + 1, True),
             (rect.left + 8, rect.top + 5), size + 1, TEXT, bold=True)
    legend = [s for s in series if s[3]]
    top = rect.top + fh + 12 + (fh if legend else 0)
    plot = pygame.Rect(rect.left + 48, top, rect.width - 60, rect.bottom - fh - 10 - top)
    if plot.width < 10 or plot.height < 10:
        return
    xs_all = [x for s in series for x in np.asarray(s[0], np.float64).ravel()]
    ys_all = [y for s in series for y in np.asarray(s[1], np.float64).ravel() if math.isfinite(y)]
    if x_range is None:
        x_range = (min(xs_all, default=0.0), max(xs_all, default=1.0))
    if x_range[1] <= x_range[0]:
        x_range = (x_range[0], x_range[0] + 1)
    if y_range is None:
        lo, hi = min(ys_all, default=0.0), max(ys_all, default=1.0)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
        y_range = (lo - pad, hi + pad)
    label_h, last_y = text_size("0", size - 2)[1], math.inf
    for t in nice_ticks(*y_range, n=max(2, min(4, plot.height // (2 * label_h)))):
        y = _points([x_range[0]], [t], x_range, y_range, plot)[0][1]
        if last_y - y < label_h:  # a short chart: every other tick's label would overlap
            continue
        last_y = y
        pygame.draw.line(surface, GRID, (plot.left, y), (plot.right, y))
        text(surface, y_format.format(t), (plot.left - 5, y), size - 2, DIM, "midright")
    label_right = rect.left
    if x_label:
        label_right = text(surface, x_label, (rect.left + 8, rect.bottom - 4), size - 2, DIM,
                           "bottomleft").right
    for t in nice_ticks(*x_range, n=5):
        x = _points([t], [y_range[0]], x_range, y_range, plot)[0][0]
        if x - text_size(f"{t:g}", size - 2)[0] / 2 > label_right + 4:
            text(surface, f"{t:g}", (x, plot.bottom + 3), size - 2, DIM, "midtop")
    for x in _points(list(marks), [y_range[0]] * len(marks), x_range, y_range, plot):
        if plot.left <= x[0] <= plot.right:
            pygame.draw.line(surface, blend(ACCENT, PANEL, 0.5), (x[0], plot.top),
                             (x[0], plot.bottom))
    legend_x = plot.right
    for xs, ys, colour, label in reversed(series):
        pts = _points(xs, ys, x_range, y_range, plot)
        if len(pts) >= 2:
            pygame.draw.aalines(surface, colour, False, pts)
            pygame.draw.lines(surface, colour, False, pts, 2)
        for p in pts[-1:]:
            pygame.draw.circle(surface, colour, p, 3)
        if label and legend_x - text_size(label, size - 2)[0] - 16 >= rect.left + 8:
            r = text(surface, label, (legend_x, plot.top - 4), size - 2, colour, "bottomright")
            pygame.draw.line(surface, colour, (r.left - 16, r.centery), (r.left - 5, r.centery), 2)
            legend_x = r.left - 26
        elif label:
            legend_x = -math.inf  # no room: leave out this entry and every one after it


# --- the display --------------------------------------------------------------------------------

HEADLESS_DRIVERS = ("offscreen", "dummy")


class NoDisplay(RuntimeError):
    """No window can be opened here (no display, or SDL has no usable video driver)."""


def init_display() -> None:
    """Initialise pygame's display and fonts for a visible window, or raise NoDisplay.

    Without a display SDL does not fail: it quietly picks its invisible "offscreen" driver (and
    Wayland's client library prints a line of its own while SDL looks for a compositor). So on
    Linux no DISPLAY or WAYLAND_DISPLAY means no window, only the servers that were announced
    are tried (an unreachable one then fails cleanly), and an invisible driver is accepted only
    when asked for by name in SDL_VIDEODRIVER (as the tests do)."""
    chosen = os.environ.get("SDL_VIDEODRIVER", "").lower()
    if sys.platform.startswith("linux") and not chosen:
        x11, wayland = os.environ.get("DISPLAY"), os.environ.get("WAYLAND_DISPLAY")
        if not (x11 or wayland):
            raise NoDisplay("neither DISPLAY nor WAYLAND_DISPLAY is set")
        os.environ["SDL_VIDEODRIVER"] = ",".join(
            name for name, there in (("wayland", wayland), ("x11", x11)) if there)
    try:
        pygame.display.init()
        if pygame.display.get_driver() in HEADLESS_DRIVERS and \
                pygame.display.get_driver() != chosen:
            raise pygame.error("only an invisible off-screen video driver is available")
        pygame.font.init()
    except pygame.error as e:
        pygame.display.quit()
        raise NoDisplay(str(e) or "no video device") from None
