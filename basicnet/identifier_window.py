"""The identifier's window: draw on a canvas and watch the network decide, every frame.

Left, the canvas (white ink on black, like MNIST): left button draws, right button erases, the
wheel changes the brush, R resets. Middle, the 28×28 picture the network actually sees (made by
`drawing.to_mnist`) and every layer's activations. Right, the guess and a bar for every class.
Dropping a network file (.npz) on the window switches to it; a file that cannot be used leaves
the current network in place and says why. Dropping a picture (PNG, JPG, ...) puts its writing
on the canvas.

`IdentifierWindow.step()` runs one frame of the real event loop (events, guess, drawing), so
tests drive the window by posting events and stepping, exactly as a person would by clicking.
Nothing here opens a window at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pygame

from . import drawing, netfile, pictures, render
from .constants import IMAGE_SIDE, N_INPUTS
from .render import ACCENT, BACKGROUND, BAD, DIM, GRID, PANEL, TEXT

SIZE = (1200, 660)
CANVAS_SIDE = 448                       # 16 × 28: a digit drawn to fill it is ~15× MNIST's
CANVAS = pygame.Rect(24, 72, CANVAS_SIDE, CANVAS_SIDE)
PREVIEW = pygame.Rect(500, 96, 224, 224)   # 28 × 8
LAYERS = pygame.Rect(500, 370, 300, 236)
GUESS = pygame.Rect(832, 72, 344, 190)
BARS = pygame.Rect(832, 290, 344, 316)
BRUSH_DEFAULT, BRUSH_MIN, BRUSH_MAX = 14, 2, 40   # pen radius, canvas pixels
FPS = 60
MESSAGE_SECONDS = 8.0
BARS_PER_COLUMN = 16  # more classes than that (EMNIST: 26, 47, 62) are shown in columns
MAX_CELL = 22         # px, a neuron's square at most
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp")


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


class NetworkUnfit(netfile.NetFileError):
    """A valid network file whose network does not take 28×28 images."""


def load_network(path) -> netfile.NetFile:
    """A network file the identifier can use: it must read 28×28 = 784 pixels."""
    nf = netfile.load(path)
    if nf.net.sizes[0] != N_INPUTS:
        raise NetworkUnfit(f"{os.fspath(path)}: this network reads {nf.net.sizes[0]} inputs, "
                           f"not the {N_INPUTS} pixels of a {IMAGE_SIDE}×{IMAGE_SIDE} image")
    return nf


def describe(nf: netfile.NetFile, path) -> str:
    """'file · dataset · 98.36% test accuracy': the window title and header."""
    acc = nf.test_accuracy
    acc_text = f"{100 * acc:.2f}% test accuracy" if np.isfinite(acc) else "never tested"
    return f"{Path(path).name} · {nf.dataset} · {acc_text}"


def top_guesses(probs: np.ndarray, classes: list[str], k: int = 3) -> list[tuple[str, float]]:
    """The k most likely (label, probability) pairs, most likely first."""
    order = np.argsort(probs)[::-1][:k]
    return [(classes[i], float(probs[i])) for i in order]


class IdentifierWindow:
    """The window and its state. `step()` = one frame; `run()` = until closed."""

    def __init__(self, nf: netfile.NetFile, path):
        self.screen = pygame.display.set_mode(SIZE)
        self.clock = pygame.time.Clock()
        self.ink = np.zeros((CANVAS_SIDE, CANVAS_SIDE), np.float32)
        # The canvas on screen: an 8-bit surface with a grey palette, so showing the ink is
        # one byte per pixel to copy, not three.
        self.canvas_surface = pygame.Surface((CANVAS_SIDE, CANVAS_SIDE), depth=8)
        self.canvas_surface.set_palette([(g, g, g) for g in range(256)])
        self.canvas_bytes = np.zeros((CANVAS_SIDE, CANVAS_SIDE), np.uint8)
        self.brush = BRUSH_DEFAULT
        self.pen = None          # "draw" or "erase" while a button is held
        self.last = None         # the previous pen position on the canvas
        self.mouse = None        # where the brush outline is drawn
        self.message = ""
        self.message_until = 0.0
        self.running = True
        self.frames = 0
        self.canvas_changed = True
        self.set_network(nf, path)

    # --- state ----------------------------------------------------------------------------

    def set_network(self, nf: netfile.NetFile, path) -> None:
        self.nf, self.path = nf, Path(path)
        self.classes = list(nf.classes)  # netfile.load fills and checks them
        self.layout = self._layout_layers()
        digits = sum(c.isdigit() for c in self.classes)
        self.what = ("a digit" if digits == len(self.classes) else
                     "a letter" if digits == 0 else "a digit or a letter")
        pygame.display.set_caption(f"number identifier — {describe(nf, path)}")
        self.dirty = True  # the guess must be redone with the new network

    def reset(self) -> None:
        self.ink[:] = 0
        self.dirty = self.canvas_changed = True

    def guess_now(self) -> None:
        """Canvas → the 28×28 input → every layer's activations → probabilities."""
        self.seen = drawing.to_mnist(self.ink)
        self.empty = not self.seen.any()
        self.activations = self.nf.net.forward(self.seen.reshape(1, N_INPUTS))
        self.probs = self.nf.net.output_layer.confidence(self.activations[-1])[0]
        self.guess = None if self.empty else int(np.argmax(self.probs))
        self.dirty = False

    def say(self, message: str) -> None:
        self.message = message
        self.message_until = pygame.time.get_ticks() / 1000 + MESSAGE_SECONDS

    def drop(self, path: str) -> None:
        """A network file switches network; a picture is put on the canvas, to be guessed
        and drawn over."""
        if Path(path).suffix.lower() in IMAGE_SUFFIXES:
            try:
                self.ink[:] = drawing.fit(pictures.read_image(path), CANVAS_SIDE)
            except (OSError, ValueError) as e:
                self.say(f"kept the canvas: {Path(path).name}: {e}")
                return
            self.dirty = self.canvas_changed = True
            self.say(f"on the canvas: {Path(path).name}")
            return
        try:
            nf = load_network(path)
        except netfile.NetFileError as e:
            self.say(f"kept {self.path.name}: {e}")
            return
        self.set_network(nf, path)
        self.say(f"switched to {describe(nf, path)}")

    # --- events ---------------------------------------------------------------------------

    def _to_canvas(self, pos):
        return pos[0] - CANVAS.left, pos[1] - CANVAS.top

    def _paint(self, pos) -> None:
        p = self._to_canvas(pos)
        drawing.stroke(self.ink, self.last or p, p, self.brush, erase=self.pen == "erase")
        self.last = p
        self.dirty = self.canvas_changed = True

    def handle(self, event) -> None:
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.KEYDOWN:
            if event.key == pygame.K_r:
                self.reset()
            elif event.key in (pygame.K_ESCAPE, pygame.K_q):
                self.running = False
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button in (1, 3):
            if CANVAS.collidepoint(event.pos):
                self.pen = "draw" if event.button == 1 else "erase"
                self.last = None
                self._paint(event.pos)
        elif event.type == pygame.MOUSEMOTION:
            self.mouse = event.pos if CANVAS.collidepoint(event.pos) else None
            if self.pen:
                self._paint(event.pos)  # outside the canvas too: the stroke is clipped
        elif event.type == pygame.MOUSEBUTTONUP and event.button in (1, 3):
            self.pen, self.last = None, None
        elif event.type == pygame.MOUSEWHEEL:
            self.brush = int(np.clip(self.brush + event.y, BRUSH_MIN, BRUSH_MAX))
        elif event.type == pygame.DROPFILE:
            self.drop(event.file)

    def step(self) -> bool:
        """One frame: every pending event, the guess if the canvas changed, the picture."""
        for event in pygame.event.get():
            self.handle(event)
        if self.dirty:
            self.guess_now()
        self.draw()
        pygame.display.flip()
        self.frames += 1
        return self.running

    def run(self, max_frames: int | None = None) -> None:
        while self.step() and (max_frames is None or self.frames < max_frames):
            self.clock.tick(FPS)

    # --- drawing --------------------------------------------------------------------------

    def draw(self) -> None:
        s = self.screen
        s.fill(BACKGROUND)
        render.text(s, f"Draw {self.what}", (24, 18), 34, TEXT, bold=True)
        render.text(s, describe(self.nf, self.path), (SIZE[0] - 24, 30), 18, DIM, "midright")
        self.draw_canvas()
        self.draw_seen()
        self.draw_layers()
        self.draw_guess()
        self.draw_bars()

    def draw_canvas(self) -> None:
        s = self.screen
        if self.canvas_changed:
            np.multiply(self.ink, 255, out=self.canvas_bytes, casting="unsafe")
            pygame.surfarray.blit_array(self.canvas_surface, self.canvas_bytes.T)
            self.canvas_changed = False
        s.blit(self.canvas_surface, CANVAS)
        pygame.draw.rect(s, GRID, CANVAS.inflate(2, 2), 1)
        if self.empty:
            render.text(s, "draw here", CANVAS.center, 28, GRID, "center")
        if self.mouse is not None:
            pygame.draw.circle(s, ACCENT, self.mouse, self.brush, 1)
        y = CANVAS.bottom + 30
        # the brush at its true size (up to the space there is), and its width in pixels
        pygame.draw.circle(s, TEXT, (CANVAS.left + 16, y), min(self.brush, 16))
        render.text(s, f"brush {2 * self.brush} px", (CANVAS.left + 42, y), 20, TEXT,
                    "midleft")
        render.text(s, "left: draw · right: erase · wheel: brush · R: reset",
                    (CANVAS.right, y - 9), 16, DIM, "midright")
        render.text(s, "drop an .npz here to switch network", (CANVAS.right, y + 11), 16, DIM,
                    "midright")
        if self.message and pygame.time.get_ticks() / 1000 < self.message_until:
            colour = BAD if self.message.startswith("kept") else ACCENT
            render.text(s, self.message, (CANVAS.left, y + 32), 18, colour, "midleft")

    def draw_seen(self) -> None:
        s = self.screen
        render.text(s, "what the network sees (28×28)", (PREVIEW.left, PREVIEW.top - 24), 18,
                    DIM)
        pygame.draw.rect(s, GRID, PREVIEW.inflate(2, 2), 1)
        render.blit_array(s, render.gray_image(self.seen, IMAGE_SIDE), PREVIEW, smooth=False)

    def _layout_layers(self) -> list:
        """Where each layer's neurons go, worked out once per network: for every hidden layer
        and the output, (rows, cols, cell size, top-left corner, column rect)."""
        sizes = self.nf.net.sizes[1:]
        # a column of ≤ 32 squares needs little width; grids share the rest
        widths = np.array([60 if n <= 32 else 0 for n in sizes], float)
        grids = widths == 0
        if grids.any():
            widths[grids] = (LAYERS.width - widths.sum()) / grids.sum()
        widths *= LAYERS.width / widths.sum()
        lefts = LAYERS.left + np.concatenate([[0], np.cumsum(widths)[:-1]])
        layout = []
        for l, n in enumerate(sizes):
            col = pygame.Rect(lefts[l], LAYERS.top, widths[l] - 12, LAYERS.height - 22)
            if n <= 32:  # a textbook column when it fits
                rows, cols = n, 1
            else:
                rows, cols = render.grid_shape(n, col.width, col.height)
            cell = int(min(col.width / cols, col.height / rows, MAX_CELL))
            corner = (col.centerx - cols * cell // 2, col.centery - rows * cell // 2)
            layout.append((rows, cols, max(cell, 1), corner, col))
        return layout

    def draw_layers(self) -> None:
        """Each hidden layer and the output lit by its activations, one picture per layer:
        a few hundred neurons filled one by one would cost more than the whole guess."""
        s = self.screen
        render.text(s, "layers", (LAYERS.left, LAYERS.top - 24), 18, DIM)
        net = self.nf.net
        last = len(self.layout) - 1
        for l, ((rows, cols, cell, corner, col), a) in enumerate(
                zip(self.layout, self.activations[1:])):
            a = a[0]
            if l == last or net.hidden == "sigmoid":
                lo, hi = 0.0, 1.0
            elif net.hidden == "tanh":
                lo, hi = -1.0, 1.0
            else:
                lo, hi = 0.0, max(float(a.max()), 1e-6)
            s.blit(render.array_to_surface(neuron_grid(a, rows, cols, cell, lo, hi)), corner)
            name = "output" if l == last else f"hidden {l + 1}"
            render.text(s, f"{name} · {len(a)}", (col.centerx, col.bottom + 4), 15, DIM,
                        "midtop")
        rows, cols, cell, (x, y), col = self.layout[last]
        if cols == 1 and cell >= 10:
            for i, label in enumerate(self.classes):
                render.text(s, label, (x + cell + 4, y + i * cell + cell // 2), 14,
                            ACCENT if i == self.guess else DIM, "midleft")
        if self.guess is not None:
            r, c = (self.guess, 0) if cols == 1 else divmod(self.guess, cols)
            pygame.draw.rect(s, ACCENT, (x + c * cell - 2, y + r * cell - 2, cell + 3, cell + 3),
                             2)

    def draw_guess(self) -> None:
        s = self.screen
        pygame.draw.rect(s, PANEL, GUESS, border_radius=8)
        if self.guess is None:
            render.text(s, "?", (GUESS.left + 80, GUESS.centery), 190, GRID, "center",
                        bold=True)
            hint = f"draw {self.what}"
            size = 24 if render.text_size(hint, 24)[0] < GUESS.right - GUESS.left - 180 else 18
            render.text(s, hint, (GUESS.left + 170, GUESS.centery), size, DIM, "midleft")
            return
        (label, p), *rest = top_guesses(self.probs, self.classes)
        colour = ACCENT if p >= 0.5 else render.blend(ACCENT, PANEL, 0.6)
        render.text(s, label, (GUESS.left + 80, GUESS.centery + 6), 190, colour, "center",
                    bold=True)
        render.text(s, f"{100 * p:.1f}%", (GUESS.left + 170, GUESS.centery - 26), 52, TEXT,
                    "midleft", bold=True)
        then = ", ".join(f"{c} ({100 * q:.1f}%)" for c, q in rest)
        render.text(s, f"then {then}", (GUESS.left + 172, GUESS.centery + 26), 18, DIM,
                    "midleft")

    def draw_bars(self) -> None:
        n = len(self.classes)
        columns = -(-n // BARS_PER_COLUMN)
        rows = -(-n // columns)
        width = BARS.width / columns
        for c in range(columns):
            part = slice(c * rows, min(n, (c + 1) * rows))
            rect = pygame.Rect(BARS.left + c * width, BARS.top, width - 10,
                               BARS.height * (part.stop - part.start) / rows)
            guess = None if self.guess is None else self.guess - part.start
            probs = self.probs[part] if self.guess is not None else np.zeros(n)[part]
            size = 20 if columns == 1 else 15
            render.draw_bars(self.screen, rect, probs, self.classes[part],
                             highlight=guess, size=size, figures=columns == 1)
