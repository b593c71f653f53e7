"""The identifier's window: draw on a canvas and watch the network decide, every frame.

Left, the canvas (white ink on black, like MNIST): left button draws, right button erases, the
wheel changes the brush, R resets. Middle, the 28×28 picture the network actually sees (or,
with E, the evidence map: what in it argues for the guess, the runner-up with Space, or the
class of any bar clicked) and every layer's activations. Right, the guess and a bar for every
class; typing the right class when the guess is wrong teaches the network that drawing, S
saves the taught network to a new file (keys.py: letter networks move these off the letters).
Dropping a network file (.npz) on the window switches to it; a file that cannot be used leaves
the current network in place and says why. Dropping a picture (PNG, JPG, ...) puts its writing
on the canvas; several pictures are shown one after the other (N for the next).

The window only routes: mouse and keys to the `Sketch`, the `EvidenceMap` and the `Lessons`,
the sketch to the network's `Reading` (once per change), and each panel its rectangle of
`layout(size)`. `step()` runs one frame of
the real event loop, so tests drive the window by posting events and stepping, exactly as a
person would by clicking. Nothing here opens a window at import time.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pygame

from .. import netfile, pictures, render
from ..cli import say
from ..render import BACKGROUND, DIM, TEXT
from ..stopping import StopRequest
from .keys import KeyMap
from .lessons import SAVE_DIR, Lessons
from .panels import BarsPanel, CanvasPanel, GuessPanel, LayersPanel, LessonPanel, PreviewPanel
from .state import (  # noqa: F401
    BRUSH_MIN,
    CANVAS_SIDE,
    EvidenceMap,
    Reading,
    Sketch,
    describe,
    is_network_file,
    load_network,
)

SIZE = (1200, 660)
MIN_SIZE = (880, 500)   # the least the panels are legible at; smaller windows get it scaled
FPS = 60
MESSAGE_SECONDS = 8.0


def layout(size) -> dict:
    """Where everything goes on a canvas of `size` (at least MIN_SIZE): name -> Rect. At the
    default size the canvas is CANVAS_SIDE pixels, one screen pixel per ink pixel."""
    W, H = size
    side = min(H - 212, round((W - 48) * 0.39))
    canvas = pygame.Rect(24, 72, side, side)
    left = canvas.right + 28
    mid_w = round((W - left - 56) * 0.466)
    preview_side = min(round(mid_w * 0.747), round((H - 96) * 0.4))
    preview = pygame.Rect(left, 96, preview_side, preview_side)
    layers = pygame.Rect(left, preview.bottom + 50, mid_w, H - 54 - preview.bottom - 50)
    right = left + mid_w + 32
    guess = pygame.Rect(right, 72, W - 24 - right, round((H - 126) * 0.356))
    bars = pygame.Rect(right, guess.bottom + 28, guess.width, H - 54 - guess.bottom - 28)
    lesson = pygame.Rect(right, bars.bottom + 12, guess.width, 24)
    return {"canvas": canvas, "preview": preview, "layers": layers, "guess": guess, "bars": bars,
            "lesson": lesson, "title": pygame.Rect(24, 18, W - 48, 40)}


class IdentifierWindow:
    """The window and its state. `step()` = one frame; `run()` = until closed."""

    def __init__(self, nf: netfile.NetFile, path, size=SIZE, pictures_to_show=(),
                 data_dir=None, save_dir=SAVE_DIR):
        self.screen = self._open(size)
        self.clock = pygame.time.Clock()
        self.sketch = Sketch(CANVAS_SIDE)
        self.evidence = EvidenceMap()
        self.data_dir, self.save_dir = data_dir, save_dir
        self.lessons = None
        self.mouse = None          # where the brush outline is drawn, in window coordinates
        self.message, self.message_until = "", 0.0
        self.running = True
        self.frames = 0
        self.queue = list(pictures_to_show)  # dropped pictures still to show (N: the next)
        self._read_version = None
        self._canvas, self._rects, self._rects_for = self.screen, {}, None
        self.set_network(nf, path)
        if self.queue:
            self.show_next_picture()

    @staticmethod
    def _open(size) -> pygame.Surface:
        desktops = pygame.display.get_desktop_sizes()
        if desktops and pygame.display.get_driver() not in render.HEADLESS_DRIVERS:
            dw, dh = desktops[0]  # leave room for the title bar and the desktop's panels
            size = (min(size[0], round(dw * 0.95)), min(size[1], round(dh * 0.88)))
        screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        with warnings.catch_warnings():  # the only way to reach set_mode's window
            warnings.simplefilter("ignore", DeprecationWarning)
            pygame.Window.from_display_module().minimum_size = MIN_SIZE
        return screen

    # what the tests and the script read
    ink = property(lambda self: self.sketch.ink)
    brush = property(lambda self: self.sketch.brush)
    guess = property(lambda self: self.reading.guess)
    probs = property(lambda self: self.reading.probs)
    seen = property(lambda self: self.reading.seen)

    # --- state -------------------------------------------------------------------------------

    def set_network(self, nf: netfile.NetFile, path) -> None:
        self.nf, self.path = nf, Path(path)
        self.classes = list(nf.classes)  # netfile.load fills and checks them
        digits = sum(c.isdigit() for c in self.classes)
        self.what = ("a digit" if digits == len(self.classes) else
                     "a letter" if digits == 0 else "a digit or a letter")
        self.keys = KeyMap(self.classes)
        self.reading = Reading(nf)
        self.evidence.forget_choice()
        self.lessons = Lessons(nf, path, self.data_dir, self.save_dir)
        self.canvas_panel = CanvasPanel(self.sketch, self.keys)
        self.panels = {"layers": LayersPanel(self.reading, self.classes),
                       "guess": GuessPanel(self.reading, self.classes, self.what),
                       "bars": BarsPanel(self.reading, self.classes, self.evidence),
                       "lesson": LessonPanel(self.lessons, self.keys, self.what)}
        self.preview = PreviewPanel(self.reading, self.evidence, self.classes, self.keys)
        pygame.display.set_caption(f"number identifier — {describe(nf, path)}")
        self._read_version = None  # the guess must be redone with the new network

    def reset(self) -> None:
        self.sketch.reset()

    def say(self, message: str) -> None:
        self.message = message
        self.message_until = pygame.time.get_ticks() / 1000 + MESSAGE_SECONDS

    def drop(self, path: str) -> None:
        """A network file switches network; a picture is put on the canvas, to be guessed
        and drawn over."""
        if not is_network_file(path):
            self.put_picture(path)
            return
        try:
            nf = load_network(path)
        except netfile.NetFileError as e:
            self.say(f"kept {self.path.name}: {e}")
            return
        kept = self.lessons.keep()  # what the old network was taught is saved first
        if kept is not None:
            say(kept)
        self.set_network(nf, path)
        self.say(f"switched to {describe(nf, path)}" + (f"; {kept}" if kept else ""))

    def put_picture(self, path, rest: int = 0) -> bool:
        try:
            ink = pictures.read_image(path)
        except (OSError, ValueError) as e:
            self.say(f"kept the canvas: {Path(path).name}: {e}")
            return False
        self.sketch.put(ink)
        more = f" ({rest} more: N shows the next)" if rest else ""
        self.say(f"on the canvas: {Path(path).name}{more}")
        return True

    def show_next_picture(self) -> None:
        """The next of the pictures given at the start, skipping unreadable ones."""
        while self.queue:
            path = self.queue.pop(0)
            if self.put_picture(path, len(self.queue)):
                return

    # --- events ------------------------------------------------------------------------------

    def to_ink(self, pos) -> tuple[float, float]:
        """A window position -> ink pixel coordinates on the canvas."""
        canvas = self.rects()["canvas"]
        x, y = self.to_layout(pos)
        k = CANVAS_SIDE / canvas.width
        return (x - canvas.left) * k, (y - canvas.top) * k

    def to_layout(self, pos) -> tuple[float, float]:
        """A window position -> the layout's coordinates (they differ in a window smaller than
        the layout, which is shown scaled down)."""
        (w, h), (cw, ch) = self.screen.get_size(), self._canvas.get_size()
        return pos[0] * cw / w, pos[1] * ch / h

    def over_canvas(self, pos) -> bool:
        return self.rects()["canvas"].collidepoint(self.to_layout(pos))

    def command(self, action: str, k: int | None = None) -> None:
        """What a key asked for (keys.KeyMap)."""
        if action == "reset":
            self.reset()
        elif action == "next":
            self.show_next_picture()
        elif action == "quit":
            self.request_close()
        elif action == "map":
            self.evidence.toggle()
        elif action == "flip":
            self.evidence.flip()
        elif action == "teach":
            self.update()  # the drawing as it is now, even if no frame has read it yet
            self.say(self.lessons.teach(self.reading, k))
            self._read_version = None  # the network changed: read the drawing again
        elif action == "save":
            said = self.lessons.save()
            self.say(said)
            say(said)  # in the terminal too: where the file went outlives the window

    def handle(self, event) -> None:
        if event.type == pygame.QUIT:
            self.request_close()
        elif event.type == pygame.KEYDOWN:
            action = self.keys.action(event)
            if action is not None:
                self.command(*action)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button in (1, 3):
            if self.over_canvas(event.pos):
                self.sketch.press(self.to_ink(event.pos), erase=event.button == 3)
            elif event.button == 1:
                k = self.panels["bars"].class_at(self.rects()["bars"], self.to_layout(event.pos))
                if k is not None:
                    self.evidence.choose(k)
        elif event.type == pygame.MOUSEMOTION:
            self.mouse = event.pos if self.over_canvas(event.pos) else None
            self.sketch.move(self.to_ink(event.pos))  # outside the canvas too: clipped
        elif event.type == pygame.MOUSEBUTTONUP and event.button in (1, 3):
            self.sketch.release()
        elif event.type == pygame.MOUSEWHEEL:
            self.sketch.change_brush(event.y)
        elif event.type == pygame.DROPFILE:
            self.drop(event.file)
        elif event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            self.screen = pygame.display.get_surface()

    def update(self) -> None:
        """The network reads the sketch again when it changed (or the network did)."""
        if self._read_version != self.sketch.version:
            self.reading.update(self.sketch.ink)
            self._read_version = self.sketch.version
        self.evidence.update(self.reading)

    def step(self) -> bool:
        """One frame: every pending event, the guess if the canvas changed, the picture."""
        for event in pygame.event.get():
            self.handle(event)
        self.update()
        self.draw()
        pygame.display.flip()
        self.frames += 1
        return self.running

    def run(self, max_frames: int | None = None) -> None:
        """Frames until the window is closed; then what was taught and not saved is saved.
        Ctrl+C, kill or a closed terminal close it as Esc does (a signal would otherwise end
        the program on the spot, or inside the save, and the lessons with it)."""
        with StopRequest(on_request=self.request_close):
            while self.step() and (max_frames is None or self.frames < max_frames):
                self.clock.tick(FPS)
            if not self.running:
                kept = self.lessons.keep()
                if kept is not None:
                    say(kept)

    def request_close(self) -> None:
        """End the frames after this one (Esc, Q, the window's close button, a signal)."""
        self.running = False

    # --- drawing -----------------------------------------------------------------------------

    def rects(self) -> dict:
        """The layout for the window's size, in the coordinates of what it is drawn on."""
        size = self.screen.get_size()
        if self._rects_for != size:
            canvas = (max(size[0], MIN_SIZE[0]), max(size[1], MIN_SIZE[1]))
            self._canvas = self.screen if canvas == size else pygame.Surface(canvas)
            self._rects, self._rects_for = layout(canvas), size
        return self._rects

    def draw(self) -> None:
        rects = self.rects()
        s = self._canvas
        s.fill(BACKGROUND)
        title = rects["title"]
        about = describe(self.nf, self.path)
        if self.lessons.count:  # the network shown has learnt since; the file is as it was
            about += " before teaching"
        shown = render.text(s, render.fit_text(about, title.width * 0.55, 18), title.midright,
                            18, DIM, "midright")
        render.text(s, render.fit_text(f"Draw {self.what}", shown.left - 24 - title.left, 34,
                                       True), title.midleft, 34, TEXT, "midleft", bold=True)
        now = pygame.time.get_ticks() / 1000
        message = self.message if now < self.message_until else ""
        mouse = None if self.mouse is None else self.to_layout(self.mouse)
        canvas = rects["canvas"]
        self.canvas_panel.draw(s, canvas, mouse, canvas.width / CANVAS_SIDE, message,
                               message.startswith("kept"), self.reading.empty)
        for name, panel in self.panels.items():
            panel.draw(s, rects[name])
        preview = rects["preview"]
        self.preview.draw(s, preview, rects["layers"].right - preview.right)
        if s is not self.screen:
            pygame.transform.smoothscale(s, self.screen.get_size(), self.screen)
