"""The identifier window's panels. Each draws what it was given (the sketch, the network's
reading of it, the window's message) into the rectangle it is handed, and changes nothing.
Texts are fitted to their space, so nothing is drawn over anything else at any window size."""

from __future__ import annotations

import numpy as np
import pygame

from .. import render
from ..constants import IMAGE_SIDE
from ..network import ACTIVATION_RANGE
from ..render import ACCENT, BACKGROUND, BAD, DIM, GRID, PANEL, TEXT
from .state import top_guesses

BARS_PER_COLUMN = 16  # more classes than that (EMNIST: 26, 47, 62) are shown in columns
MAX_CELL = 22         # px, a neuron's square at most
HELP = ["left: draw · right: erase · wheel: brush", "left: draw · right: erase", ""]
DROP_HELP = ["drop an .npz to switch network, a picture to read it",
             "drop a network or a picture", ""]


def neuron_grid(values: np.ndarray, rows: int, cols: int, cell: int, lo=0.0, hi=1.0):
    """Activations as an (rows·cell, cols·cell, 3) picture of squares, filled row by row,
    one pixel of background between them: dark when quiet, bright when firing."""
    grid = np.empty((rows * cols, 3), np.uint8)
    grid[:] = BACKGROUND
    grid[:len(values)] = render.sequential(values, lo, hi)
    img = np.repeat(np.repeat(grid.reshape(rows, cols, 3), cell, axis=0), cell, axis=1)
    if cell >= 4:
        img[cell - 1::cell] = BACKGROUND
        img[:, cell - 1::cell] = BACKGROUND
    return img


class CanvasPanel:
    """The ink, white on black like MNIST, at the canvas's size on screen; the brush; the help
    lines and the window's message under it."""

    def __init__(self, sketch, keys):
        self.sketch, self.keys = sketch, keys
        # an 8-bit surface with a grey palette: showing the ink is one byte per pixel to copy
        side = sketch.ink.shape[0]
        self.surface = pygame.Surface((side, side), depth=8)
        self.surface.set_palette([(g, g, g) for g in range(256)])
        self._bytes = np.zeros((side, side), np.uint8)
        self._shown = None  # the sketch version on the surface

    def draw(self, s: pygame.Surface, rect: pygame.Rect, mouse, scale: float, message: str,
             message_is_bad: bool, empty: bool) -> None:
        sketch = self.sketch
        if self._shown != sketch.version:
            np.multiply(sketch.ink, 255, out=self._bytes, casting="unsafe")
            pygame.surfarray.blit_array(self.surface, self._bytes.T)
            self._shown = sketch.version
        shown = self.surface if rect.size == self.surface.get_size() else \
            pygame.transform.smoothscale(self.surface.convert(), rect.size)
        s.blit(shown, rect)
        pygame.draw.rect(s, GRID, rect.inflate(2, 2), 1)
        if empty:
            render.text(s, "draw here", rect.center, 28, GRID, "center")
        if mouse is not None:
            pygame.draw.circle(s, ACCENT, mouse, max(1, round(sketch.brush * scale)), 1)
        y = rect.bottom + 30
        # the brush at its true size (up to the space there is), and its width in pixels
        pygame.draw.circle(s, TEXT, (rect.left + 16, y), min(round(sketch.brush * scale), 16))
        label = render.text(s, f"brush {2 * sketch.brush} px", (rect.left + 42, y), 20, TEXT,
                            "midleft")
        room = rect.right - label.right - 16
        for dy, lines in ((-18, HELP), (0, self.keys.canvas_help()), (18, DROP_HELP)):
            render.text(s, render.first_that_fits(lines, room, 16), (rect.right, y + dy), 16,
                        DIM, "midright")
        if message:
            width = rect.width
            render.text(s, render.fit_text(message, width, 18), (rect.left, y + 40), 18,
                        BAD if message_is_bad else ACCENT, "midleft")


class PreviewPanel:
    """The 28×28 picture the network actually sees; with the evidence map shown, that picture
    coloured by how much each pixel pushes toward the map's class (red) or away from it
    (blue), with its colour scale beside it."""

    def __init__(self, reading, evidence, classes, keys):
        self.reading, self.evidence, self.classes, self.keys = reading, evidence, classes, keys

    def title(self) -> list[str]:
        k = self.evidence.k
        if k is None:  # framed as the network's dataset framed its images
            style = self.reading.style
            made = {"mnist": "MNIST's digits", "emnist": "EMNIST's characters"}[style]
            return [f"what the network sees, framed as {made} were",
                    f"what the network sees, {style.upper()}-style",
                    f"{style.upper()}-style framing (28×28)", f"{style.upper()}-style",
                    "28×28 input"]
        whose = {"guess": "its guess", "runner-up": "the runner-up"}.get(self.evidence.pick,
                                                                        "picked")
        label = self.classes[k]
        return [f"evidence for {label} ({whose}): red for, blue against",
                f"evidence for {label} ({whose})", f"evidence for {label}", label]

    def draw(self, s: pygame.Surface, rect: pygame.Rect, room: int) -> None:
        """room: the width there is right of the preview, for the colour scale."""
        render.text(s, render.first_that_fits(self.title(), rect.width + room, 18),
                    (rect.left, rect.top - 24), 18, DIM)
        pygame.draw.rect(s, GRID, rect.inflate(2, 2), 1)
        ev = self.evidence
        if ev.k is None:
            render.blit_array(s, render.gray_image(self.reading.seen, IMAGE_SIDE), rect,
                              smooth=False)
        else:
            render.blit_array(s, render.diverging_rgbx(ev.values, ev.scale or 1.0), rect,
                              smooth=False)
            self.draw_scale(s, rect, room, ev.scale)
        render.text(s, render.first_that_fits(self.keys.map_help(), rect.width + room, 15),
                    (rect.left, rect.bottom + 6), 15, DIM)

    @staticmethod
    def draw_scale(s: pygame.Surface, rect: pygame.Rect, room: int, scale: float) -> None:
        """A vertical colour bar from +scale (for) to -scale (against), in ln-probability."""
        if room < 40:
            return
        bar = pygame.Rect(rect.right + 12, rect.top, 12, rect.height)
        values = np.linspace(1, -1, bar.height, dtype=np.float32)[:, None].repeat(bar.width, 1)
        render.blit_array(s, render.diverging_rgbx(values, 1.0), bar, keep_aspect=False)
        x = bar.right + 5
        width = rect.right + room - x
        for text, y, anchor in ((f"+{scale:.2g}", bar.top, "topleft"),
                                ("for", bar.top + 18, "topleft"),
                                ("0", bar.centery, "midleft"),
                                ("against", bar.bottom - 18, "bottomleft"),
                                (f"−{scale:.2g}", bar.bottom, "bottomleft")):
            render.text(s, render.fit_text(text, width, 14), (x, y), 14, DIM, anchor)


class LayersPanel:
    """Each hidden layer and the output lit by its activations, one picture per layer: a few
    hundred neurons filled one by one would cost more than the whole guess."""

    def __init__(self, reading, classes):
        self.reading, self.classes = reading, classes
        self._layout, self._layout_for = None, None

    def layout(self, rect: pygame.Rect) -> list:
        """Where each layer's neurons go, worked out once per network and size: for every hidden
        layer and the output, (rows, cols, cell size, top-left corner, column rect)."""
        key = (tuple(rect), tuple(self.reading.nf.net.sizes))
        if self._layout_for == key:
            return self._layout
        sizes = self.reading.nf.net.sizes[1:]
        # a column of ≤ 32 squares needs little width; grids share the rest
        widths = np.array([60 if n <= 32 else 0 for n in sizes], float)
        grids = widths == 0
        if grids.any():
            widths[grids] = max(rect.width - widths.sum(), 60 * grids.sum()) / grids.sum()
        widths *= rect.width / widths.sum()
        lefts = rect.left + np.concatenate([[0], np.cumsum(widths)[:-1]])
        layout = []
        for l, n in enumerate(sizes):
            col = pygame.Rect(lefts[l], rect.top, max(widths[l] - 12, 1), max(rect.height - 22, 1))
            if n <= 32:  # a textbook column when it fits
                rows, cols = n, 1
            else:
                rows, cols = render.grid_shape(n, col.width, col.height)
            cell = int(min(col.width / cols, col.height / rows, MAX_CELL))
            corner = (col.centerx - cols * cell // 2, col.centery - rows * cell // 2)
            layout.append((rows, cols, max(cell, 1), corner, col))
        self._layout, self._layout_for = layout, key
        return layout

    def draw(self, s: pygame.Surface, rect: pygame.Rect) -> None:
        render.text(s, "layers", (rect.left, rect.top - 24), 18, DIM)
        reading = self.reading
        net = reading.nf.net
        layout = self.layout(rect)
        last = len(layout) - 1
        for l, ((rows, cols, cell, corner, col), a) in enumerate(
                zip(layout, reading.activations[1:])):
            a = a[0]
            bounds = (0.0, 1.0) if l == last else ACTIVATION_RANGE[net.hidden]
            lo, hi = render.activation_range(bounds, a)
            s.blit(render.array_to_surface(neuron_grid(a, rows, cols, cell, lo, hi)), corner)
            name = "output" if l == last else f"hidden {l + 1}"
            label = render.first_that_fits([f"{name} · {len(a)}", str(len(a))], col.width + 8, 15)
            render.text(s, label, (col.centerx, col.bottom + 4), 15, DIM, "midtop")
        rows, cols, cell, (x, y), col = layout[last]
        if cols == 1 and cell >= render.text_size("0", 14)[1]:  # a name per row, when it fits
            for i, label in enumerate(self.classes):
                render.text(s, label, (x + cell + 4, y + i * cell + cell // 2), 14,
                            ACCENT if i == reading.guess else DIM, "midleft")
        if reading.guess is not None:
            r, c = (reading.guess, 0) if cols == 1 else divmod(reading.guess, cols)
            pygame.draw.rect(s, ACCENT, (x + c * cell - 2, y + r * cell - 2, cell + 3, cell + 3),
                             2)


class GuessPanel:
    """The top guess in large type with how sure the network is, and the next two."""

    def __init__(self, reading, classes, what: str):
        self.reading, self.classes, self.what = reading, classes, what

    def draw(self, s: pygame.Surface, rect: pygame.Rect) -> None:
        pygame.draw.rect(s, PANEL, rect, border_radius=8)
        big = min(190, rect.height)
        mid_x = rect.left + min(80, rect.width // 4)
        text_x = rect.left + min(170, rect.width // 2)
        room = rect.right - text_x - 8
        if self.reading.guess is None:
            render.text(s, "?", (mid_x, rect.centery), big, GRID, "center", bold=True)
            hint = render.first_that_fits([f"draw {self.what}", "draw"], room, 24)
            render.text(s, hint, (text_x, rect.centery), 24, DIM, "midleft")
            return
        (label, p), *rest = top_guesses(self.reading.probs, self.classes)
        colour = ACCENT if p >= 0.5 else render.blend(ACCENT, PANEL, 0.6)
        # 'Aa' or a long class name takes more than one glyph's width: a smaller size then
        room_big = 2 * min(mid_x - rect.left, text_x - mid_x) - 8
        size = render.size_that_fits(label, room_big, [k for k in (190, 150, 120, 96, 72, 56, 40)
                                                       if k <= big] or [big], True)
        render.text(s, label, (mid_x, rect.centery + 6), size, colour, "center", bold=True)
        percent = f"{100 * p:.1f}%"
        size = render.size_that_fits(percent, room, (52, 44, 36, 28), True)
        render.text(s, render.fit_text(percent, room, size, True), (text_x, rect.centery - 26),
                    size, TEXT, "midleft", bold=True)
        then = [f"{c} ({100 * q:.1f}%)" for c, q in rest]
        render.text(s, render.first_that_fits([f"then {', '.join(then)}", f"then {then[0]}", ""]
                                              if then else [""], room, 18),
                    (text_x + 2, rect.centery + 26), 18, DIM, "midleft")


class BarsPanel:
    """A bar for every class, in columns when there are many; the class of the evidence map,
    when it is not the guess, outlined."""

    def __init__(self, reading, classes, evidence=None):
        self.reading, self.classes, self.evidence = reading, classes, evidence

    def columns(self, rect: pygame.Rect) -> list[tuple[slice, pygame.Rect]]:
        """Each column's classes and rectangle."""
        n = len(self.classes)
        columns = -(-n // BARS_PER_COLUMN)
        rows = -(-n // columns)
        width = rect.width / columns
        out = []
        for c in range(columns):
            part = slice(c * rows, min(n, (c + 1) * rows))
            out.append((part, pygame.Rect(rect.left + c * width, rect.top, width - 10,
                                          rect.height * (part.stop - part.start) / rows)))
        return out

    def class_at(self, rect: pygame.Rect, pos) -> int | None:
        """The class whose row (label or bar) is at `pos`, or None."""
        for part, column in self.columns(rect):
            if column.collidepoint(pos):
                row = column.height / (part.stop - part.start)
                return min(part.start + int((pos[1] - column.top) / row), part.stop - 1)
        return None

    def draw(self, s: pygame.Surface, rect: pygame.Rect) -> None:
        guess = self.reading.guess
        columns = self.columns(rect)
        for part, column in columns:
            highlight = None if guess is None else guess - part.start
            probs = self.reading.probs[part] if guess is not None else \
                np.zeros(len(self.classes))[part]
            render.draw_bars(s, column, probs, self.classes[part], highlight=highlight,
                             size=20 if len(columns) == 1 else 15, figures=len(columns) == 1)
        k = None if self.evidence is None else self.evidence.k
        if k is not None and k != guess:
            part, column = next((p, c) for p, c in columns if p.start <= k < p.stop)
            row = column.height / (part.stop - part.start)
            pygame.draw.rect(s, TEXT, (column.left - 4, column.top + (k - part.start) * row - 2,
                                       column.width + 8, row + 2), 1, border_radius=3)


class LessonPanel:
    """One line under the bars: how to teach, and how many drawings were taught."""

    def __init__(self, lessons, keys, what: str):
        self.lessons, self.keys, self.what = lessons, keys, what

    def draw(self, s: pygame.Surface, rect: pygame.Rect) -> None:
        lessons = self.lessons
        options = self.keys.teach_help(self.what.split(" ", 1)[1])
        y = rect.top + 10
        if lessons.count:
            state = (f"{lessons.unsaved} not saved: {self.keys.save_key} saves"
                     if lessons.unsaved else f"saved as {lessons.saved_to.name}")
            taught = render.text(s, f"taught {lessons.count}", (rect.left, y), 18, ACCENT,
                                 "midleft", bold=True)
            x = taught.right + 12
            render.text(s, render.first_that_fits([state, ""], rect.right - x, 16), (x, y), 16,
                        TEXT if lessons.unsaved else DIM, "midleft")
            return
        render.text(s, render.first_that_fits(options, rect.width, 16), (rect.left, y), 16, DIM,
                    "midleft")
