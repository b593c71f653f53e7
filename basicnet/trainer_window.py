"""The live training window: watch the weights learn without slowing the learning.

`TrainerWindow.watch(events)` wraps the event generator of `training.train`: it passes every
event through unchanged and, between two of them (when the weights are safe to read), draws a
frame when one is due. Drawing and training share one thread, so nothing races; what keeps
training fast is the frame budget, kept like a bank account: wall time earns drawing time at
FRAME_BUDGET (5%), each frame spends what it took, and no frame is drawn while the account is
in the red (nor more often than MAX_FPS). However long or uneven the frames, drawing takes at
most 5% of the time; a window that takes 20 ms a frame is drawn 2.5 times a second, a cheap
one 30 times.
(A worker thread would not buy more: with 32-sample batches training is mostly Python calls
holding the GIL, and this machine's cores are busy anyway.)

What the window shows, left to right:
  - every first-layer neuron's 784 incoming weights as a 28×28 tile (red: ink there excites
    the neuron, blue: ink there inhibits it), in a grid that adapts from 10 tiles to 1000s;
  - the network as a diagram for one test sample: the image, each layer's activations (with a
    strip in the bias's colour on every cell), the strongest weights between deeper layers as
    coloured links, the output probabilities with the guess and the true label;
  - cost and test-accuracy curves, epoch, progress within the epoch, samples per second.

Keys: Space pauses/resumes, S saves now, closing the window stops after the current batch.
Nothing here touches the display until a TrainerWindow is made.
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner in the trainer's output
import pygame  # noqa: E402

from . import render as r
from .constants import IMAGE_SIDE
from .files import atomic_write
from .render import NoDisplay  # noqa: F401  (the trainer catches it from here)
from .training import BatchDone, EpochDone, to_input

SIZE = (1280, 800)
MIN_SIZE = (480, 320)
MAX_FPS = 30
FRAME_BUDGET = 0.05       # fraction of wall time drawing may take
CREDIT_MAX = 0.015        # seconds of drawing that idle time may save up (a short burst)
PAUSED_FPS = 20
TILE_REFRESH_S = 0.25     # the panels are the costly part; a few updates a second show
NETWORK_REFRESH_S = 0.25  # the learning as well as thirty would
CHART_REFRESH_S = 0.5
PUMP_S = 0.1              # how often window events are read even when no frame is due
MAX_LINKS = 300           # per pair of layers: the strongest weights only
SAMPLE_EVERY_S = 1.5      # how long one test sample stays on screen
LIVE_ACCURACY_SAMPLES = 500
LIVE_ACCURACY_EVERY_S = 2.0
MESSAGE_S = 4.0


def _layer_range(activation: str, values: np.ndarray) -> tuple[float, float]:
    if activation == "tanh":
        return -1.0, 1.0
    if activation == "relu":
        return 0.0, max(float(values.max(initial=0.0)), 1e-6)
    return 0.0, 1.0


class Recorder:
    """Frames of the window for an animated GIF of bounded size.

    A frame is kept every `every` training samples (not seconds: the weights change fastest
    at the start, when a clock-driven recording would have caught one or two frames); when
    `max_frames` are held, every other one is dropped and the interval doubles, so a run of
    any length becomes a GIF of at most `max_frames` frames evenly spaced in training, each
    at most `width` pixels wide. Capturing ignores the frame budget (a recording asked for
    the pictures); the doubling keeps its cost down: max_frames captures, then max_frames / 2
    more each time the run's length doubles."""

    def __init__(self, path, every: int, width: int = 600, max_frames: int = 40,
                 frame_ms: int = 150):
        from PIL import Image  # only a recording run needs Pillow

        self._Image = Image
        self.path = Path(path)
        self.width, self.max_frames, self.every, self.frame_ms = width, max_frames, every, frame_ms
        self.frames: list = []
        self.last = -math.inf
        self._palette = Image.new("P", (1, 1))
        self._palette.putpalette(self.palette().ravel().tolist())

    @staticmethod
    def palette() -> np.ndarray:
        """256 fixed colours: the window's own (its colour maps, greys, theme colours and
        their blends). The same palette in every frame keeps unchanged pixels unchanged, so
        the GIF stores little more than what moved, and no frame's colours flicker."""
        ui = np.array([r.BACKGROUND, r.PANEL, r.GRID, r.TEXT, r.DIM, r.ACCENT, r.GOOD, r.BAD,
                       r.COST], np.float64)
        blends = [ui + (np.array(bg, np.float64) - ui) * t
                  for bg in (r.PANEL, r.BACKGROUND) for t in (0.35, 0.7)]
        greys = np.repeat(np.linspace(0, 255, 32)[:, None], 3, axis=1)
        colours = np.concatenate([r.DIVERGING_LUTS["dark"][::3], r.SEQUENTIAL_LUT[::5], greys,
                                  ui, *blends]).round().astype(np.uint8)
        out = np.zeros((256, 3), np.uint8)
        out[:len(colours)] = colours[:256]
        return out

    def due(self, samples: int) -> bool:
        return samples - self.last >= self.every

    def add(self, surface: pygame.Surface, samples: int) -> None:
        self.last = samples
        w, h = surface.get_size()
        k = min(1.0, self.width / w)
        small = pygame.transform.smoothscale(surface, (round(w * k), round(h * k))) \
            if k < 1 else surface
        img = self._Image.frombytes("RGB", small.get_size(), pygame.image.tobytes(small, "RGB"))
        self.frames.append(img.quantize(palette=self._palette, dither=self._Image.Dither.NONE))
        if len(self.frames) > self.max_frames:
            self.frames = self.frames[::2]
            self.every *= 2

    def save(self) -> Path | None:
        """Write the GIF (atomically, like the networks); None when there is nothing to write."""
        if not self.frames:
            return None
        durations = [self.frame_ms] * len(self.frames)
        durations[-1] = 2000  # linger on the final state before looping
        with atomic_write(self.path) as f:
            self.frames[0].save(f, format="GIF", save_all=True, append_images=self.frames[1:],
                                duration=durations, loop=0, disposal=1)
        return self.path


class TrainerWindow:
    """A window (or, with visible=False, an off-screen surface for --record) that draws a
    network while it trains. Use `watch` on the training events; `close` when done."""

    def __init__(self, net, data, title: str = "", draw_l1: bool = True, record=None,
                 on_save=None, visible: bool = True, size=SIZE, epochs: int | None = None,
                 epochs_before: int = 0, rng: np.random.Generator | None = None):
        self.net, self.data, self.title = net, data, title
        self.classes = list(data.classes)
        self.draw_l1, self.on_save, self.visible, self.epochs = draw_l1, on_save, visible, epochs
        self.epochs_before = epochs_before  # the charts' x axis counts the network's age
        self.rng = rng or np.random.default_rng()
        # ~30 frames over the first epoch, fewer per epoch later (see Recorder)
        every = max(64, len(data.train_labels) // 30)
        self.recorder = Recorder(record, every) if record else None
        self.surface = self._open(size) if visible else None
        if self.surface is None:
            pygame.font.init()
            self.surface = pygame.Surface(size)
        self.paused = False
        self.stopped = False      # the window was closed: training should stop
        self.finished = False     # training ran to its end
        self.frames = 0
        self.render_cost = 0.0    # running mean seconds per frame
        self.drawing_s = 0.0      # all frames together
        self.next_frame = 0.0
        self._credit, self._credit_t = 0.0, time.perf_counter()
        self._message, self._message_until = "", 0.0
        # training state, from the events
        self.epoch, self.batch, self.n_batches = 0, 0, 1
        self.samples_seen = 0
        self.lr = float("nan")
        self._rate = deque(maxlen=64)     # (time, samples_seen) for the samples/s figure
        self._cost_sum, self._cost_n = 0.0, 0
        self.cost_curve: list[tuple[float, float]] = []   # (epoch, smoothed batch cost)
        self.test_cost: list[tuple[float, float]] = []    # (epoch, test cost)
        self.test_acc: list[tuple[float, float]] = []     # (epoch, test accuracy %)
        self.live_acc: list[tuple[float, float]] = []     # (epoch, estimate %)
        self._sample_i, self._sample_until = 0, -math.inf
        self._live_until = -math.inf
        self._layout_size, self._panels, self._due, self._cache = None, [], {}, {}
        self._next_pump = 0.0
        self._paused_at = None

    # --- the window ----------------------------------------------------------------------------

    def _open(self, size) -> pygame.Surface:
        """Open the window or raise NoDisplay with SDL's reason."""
        r.init_display()
        try:
            desktops = pygame.display.get_desktop_sizes()
            real = pygame.display.get_driver() not in r.HEADLESS_DRIVERS
            if desktops and real and size == SIZE:  # leave room for title bar and panels
                dw, dh = desktops[0]
                size = (min(size[0], max(MIN_SIZE[0], round(dw * 0.95))),
                        min(size[1], max(MIN_SIZE[1], round(dh * 0.88))))
            surface = pygame.display.set_mode(size, pygame.RESIZABLE)
        except pygame.error as e:
            pygame.display.quit()
            raise NoDisplay(str(e) or "no video device") from None
        sizes = "-".join(map(str, self.net.sizes))
        pygame.display.set_caption(f"basic-neural-net: training {sizes}"
                                   + (f" on {self.title}" if self.title else ""))
        return surface

    def close(self) -> Path | None:
        """Close the window; write the recording if one was asked for. Returns its path."""
        path = None
        if self.recorder is not None:
            if self.recorder.frames:
                self.draw()
                self.recorder.add(self.surface, self.samples_seen)  # the final state
            path = self.recorder.save()
            self.recorder = None
        if self.visible and pygame.display.get_init():
            pygame.display.quit()
        return path

    def message(self, s: str) -> None:
        """Show `s` in the footer for a few seconds."""
        self._message, self._message_until = s, time.perf_counter() + MESSAGE_S

    # --- the event loop ------------------------------------------------------------------------

    def watch(self, events):
        """Yield the training events, drawing frames between them; stops (leaving the rest of
        `events` unconsumed, i.e. training stops after the current batch) when the window
        is closed."""
        self.frame(time.perf_counter())
        for event in events:
            self.note(event)
            yield event
            now = time.perf_counter()
            if isinstance(event, EpochDone):
                self.refresh()
                self.frame(now)
            elif self.recorder is not None and self.recorder.due(self.samples_seen):
                self.refresh()
                self.frame(now, force_capture=True)
            elif now >= self.next_frame:
                self.frame(now)
            elif now >= self._next_pump and self.visible:
                self._pump(now)
            while self.paused and not self.stopped:
                self.frame(time.perf_counter())
                time.sleep(1 / PAUSED_FPS)
            if self.stopped:
                return
        self.finished = True

    def note(self, event) -> None:
        """Take in one training event."""
        now = time.perf_counter()
        if isinstance(event, BatchDone):
            self.epoch, self.batch, self.n_batches = event.epoch, event.batch, event.n_batches
            self.samples_seen, self.lr = event.samples_seen, event.lr
            self._cost_sum += event.cost
            self._cost_n += 1
            self._rate.append((now, event.samples_seen))
        elif isinstance(event, EpochDone):
            x = float(event.epochs_trained)
            self.test_cost.append((x, event.test.cost))
            self.test_acc.append((x, 100 * event.test.accuracy))
            self.batch = self.n_batches
            self._push_cost()

    def x_now(self) -> float:
        """The network's age in epochs, fractional: the charts' x coordinate."""
        return self.epochs_before + max(self.epoch - 1, 0) + self.batch / max(self.n_batches, 1)

    def _push_cost(self) -> None:
        if self._cost_n:
            self.cost_curve.append((self.x_now(), self._cost_sum / self._cost_n))
            self._cost_sum, self._cost_n = 0.0, 0

    def samples_per_s(self) -> float:
        if len(self._rate) < 2:
            return float("nan")
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else float("nan")

    def handle(self, e) -> None:
        """React to one pygame event."""
        if e.type == pygame.QUIT:
            self.stopped = True
            self.message("stopping after this batch...")
        elif e.type == pygame.KEYDOWN and e.key == pygame.K_SPACE:
            self.paused = not self.paused
            if self.paused:
                self._paused_at = time.perf_counter()
            else:
                # the pause is not training time: shift the samples/s window past it
                gap = time.perf_counter() - (self._paused_at or time.perf_counter())
                self._rate = deque(((t + gap, s) for t, s in self._rate), maxlen=64)
                # frames drawn while paused cost training nothing: forgive them
                self._credit, self._credit_t = 0.0, time.perf_counter()
        elif e.type == pygame.KEYDOWN and e.key == pygame.K_s:
            if self.on_save is None:
                self.message("saving is off")
            else:
                try:
                    self.message(self.on_save())
                except OSError as err:
                    self.message(f"could not save: {err}")
        elif e.type == pygame.DROPFILE:
            # switching networks mid-run would mix two runs' hyper-parameters, logs and save
            # paths; say how to do it instead
            name = os.path.basename(e.file)
            self.message(f"to train {name}, drop it on mlp_sigmoid_emnist.py "
                         f"(this window keeps training its own network)"
                         if name.lower().endswith(".npz") else
                         f"{name} is not a network (.npz); this window trains its own")
        elif e.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED) and self.visible:
            self.surface = pygame.display.get_surface()
            self._layout_size = None

    def _pump(self, now: float) -> None:
        """Read the window's events: keeps the window responsive between frames."""
        self._next_pump = now + PUMP_S
        for e in pygame.event.get():
            self.handle(e)

    def frame(self, now: float, force_capture: bool = False) -> None:
        """Handle input, draw, show; then schedule the next frame within the budget."""
        started = time.perf_counter()
        if self.visible:
            self._pump(now)
        changed = self.draw(now, full=self.frames == 0)
        if self.visible:
            pygame.display.update(changed)
        if self.recorder is not None and (force_capture or not self.recorder.frames):
            self.recorder.add(self.surface, self.samples_seen)
        done = time.perf_counter()
        cost = done - started
        self.drawing_s += cost
        self.render_cost = cost if self.frames == 0 else 0.8 * self.render_cost + 0.2 * cost
        self.frames += 1
        earned = (started - self._credit_t) * FRAME_BUDGET
        self._credit = min(self._credit + earned, CREDIT_MAX) - cost
        self._credit_t = done
        self.next_frame = done + max(1 / MAX_FPS, -self._credit / FRAME_BUDGET)

    # --- drawing -------------------------------------------------------------------------------
    # The frame is a cached background (panels, fixed titles) plus three cached panels that are
    # redrawn a few times a second (tiles, network, charts), plus the header and footer, which
    # are cheap and redrawn every frame so the progress bar and figures stay live.

    def refresh(self) -> None:
        """Make every panel redraw on the next frame (new epoch, resize, recording)."""
        self._due = {k: -math.inf for k in self._due}

    def draw(self, now: float | None = None, full: bool = True) -> list[pygame.Rect]:
        """Draw the frame; returns the rectangles that changed. With full=False only those
        are drawn (the rest of the surface is assumed to hold the previous frame): sending a
        whole 1280×800 frame to an X server can cost more than drawing it."""
        now = time.perf_counter() if now is None else now
        s = self.surface
        if self._layout_size != s.get_size():
            self._layout(s.get_size())
            full = True
        strips = [self._header_strip, self._footer_strip]
        if full:
            s.blit(self._background, (0, 0))
        else:
            for strip in strips:
                s.blit(self._background, strip, strip)
        changed = [s.get_rect()] if full else list(strips)
        # redraw the most overdue panel only (all of them when forced): spreading the costly
        # work over frames keeps every frame short, so the header can stay live
        due = [(self._due[name], name) for name, *_ in self._panels
               if now >= self._due[name] or name not in self._cache]
        forced = [name for t, name in due if t == -math.inf]
        redraw = set(forced) if forced else {min(due)[1]} if due else set()
        for name, rect, paint, every in self._panels:
            if name in redraw:
                self._due[name] = now + every
                panel = pygame.Surface(rect.size)
                panel.fill(r.BACKGROUND)
                pygame.draw.rect(panel, r.PANEL, panel.get_rect(), border_radius=8)
                paint(panel, now)
                self._cache[name] = panel
                changed.append(rect)
            if full or name in redraw:
                s.blit(self._cache[name], rect)
        self._header(s, self._header_rect, now)
        self._footer(s, self._footer_rect, now)
        return changed

    def _layout(self, size) -> None:
        self._layout_size = size
        # a window shrunk below this shows the top-left part of the layout (pygame clips)
        W, H = max(size[0], MIN_SIZE[0]), max(size[1], MIN_SIZE[1])
        self._header_rect = pygame.Rect(20, 10, W - 40, 70)
        self._footer_rect = pygame.Rect(20, H - 30, W - 40, 24)
        self._header_strip = pygame.Rect(0, 0, W, 88)
        self._footer_strip = pygame.Rect(0, H - 32, W, 32)
        body = pygame.Rect(20, 92, W - 40, H - 92 - 34)
        panels = []
        if self.draw_l1:
            left = pygame.Rect(body.left, body.top, round(body.width * 0.47), body.height)
            right = pygame.Rect(left.right + 14, body.top, body.right - left.right - 14,
                                body.height)
            panels.append(("tiles", left, self._tiles_panel, TILE_REFRESH_S))
        else:
            right = body
        net_h = round(right.height * 0.6)
        panels.append(("network", pygame.Rect(right.left, right.top, right.width, net_h),
                       self._network_panel, NETWORK_REFRESH_S))
        charts = pygame.Rect(right.left, right.top + net_h + 14, right.width,
                             right.height - net_h - 14)
        half = (charts.width - 14) // 2
        panels.append(("cost", pygame.Rect(charts.left, charts.top, half, charts.height),
                       self._cost_chart, CHART_REFRESH_S))
        panels.append(("accuracy", pygame.Rect(charts.left + half + 14, charts.top,
                                               charts.width - half - 14, charts.height),
                       self._accuracy_chart, CHART_REFRESH_S))
        self._panels = panels
        self._due = {name: -math.inf for name, *_ in panels}
        self._cache = {}
        bg = pygame.Surface((W, H))
        bg.fill(r.BACKGROUND)
        self._background = bg

    def _header(self, s, rect: pygame.Rect, now: float) -> None:
        net = self.net
        r.text(s, "basic-neural-net", rect.topleft, 34, r.TEXT, bold=True)
        sizes = "-".join(map(str, net.sizes))
        about = f"{sizes}  ·  {net.hidden} hidden  ·  {net.output} output  ·  " \
                f"{net.cost_name} cost"
        r.text(s, about + (f"  ·  {self.title}" if self.title else ""),
               (rect.left, rect.top + 32), 19, r.DIM)
        status, colour = ("PAUSED", r.ACCENT) if self.paused else \
            ("STOPPED", r.BAD) if self.stopped else ("FINISHED", r.COST) if self.finished \
            else ("TRAINING", r.GOOD)
        rate = self.samples_per_s()
        rate_s = f"{rate:,.0f} samples/s" if math.isfinite(rate) and not self.paused else \
            "— samples/s"
        box = r.text(s, rate_s, (rect.right, rect.top), 28, r.TEXT, "topright", bold=True)
        epochs = f" / {self.epochs}" if self.epochs else ""
        box = r.text(s, f"epoch {max(self.epoch, 1)}{epochs}", (box.left - 32, rect.top), 28,
                     r.TEXT, "topright", bold=True)
        pill = r.text(s, status, (box.left - 32, box.centery), 17, colour, "midright",
                      bold=True)
        pygame.draw.rect(s, colour, pill.inflate(16, 8), 1, border_radius=9)
        frac = self.batch / max(self.n_batches, 1)
        lr = f"η {self.lr:.3g}  ·  " if math.isfinite(self.lr) else ""
        r.text(s, f"{lr}{self.samples_seen:,} samples seen  ·  {100 * frac:.0f}% of epoch",
               (rect.right, rect.top + 32), 19, r.DIM, "topright")
        bar = pygame.Rect(rect.left, rect.bottom - 10, rect.width, 6)
        pygame.draw.rect(s, r.PANEL, bar, border_radius=3)
        if frac > 0:
            done = pygame.Rect(bar.left, bar.top, max(6, round(bar.width * frac)), bar.height)
            pygame.draw.rect(s, r.DIM if self.paused else r.ACCENT, done, border_radius=3)

    def _footer(self, s, rect: pygame.Rect, now: float) -> None:
        r.text(s, "Space  pause / resume       S  save now       close  stop and save",
               rect.midleft, 17, r.DIM, "midleft")
        if self._message and now < self._message_until:
            r.text(s, self._message, rect.midright, 17, r.ACCENT, "midright")
        else:
            r.text(s, f"drawing {self._fps():.0f} frames/s, {1000 * self.render_cost:.1f} ms "
                      f"each (budget: {100 * FRAME_BUDGET:.0f}% of the time)",
                   rect.midright, 15, r.blend(r.DIM, r.BACKGROUND, 0.6), "midright")

    def tile_rect(self, i: int) -> pygame.Rect | None:
        """Where neuron i's 28×28 tile is on screen (after a frame), or None when the tiles
        are not drawn. Pixel (y, x) of the tile covers the (y/28, x/28) point of this rect."""
        panel = next((rect for name, rect, *_ in self._panels if name == "tiles"), None)
        if panel is None or not hasattr(self, "_mosaic"):
            return None
        placed, (h, w), cols, gap = self._mosaic
        kx, ky = placed.width / w, placed.height / h
        row, col = divmod(i, cols)
        cell = IMAGE_SIDE + gap
        return pygame.Rect(round(panel.left + placed.left + col * cell * kx),
                           round(panel.top + placed.top + row * cell * ky),
                           round(IMAGE_SIDE * kx), round(IMAGE_SIDE * ky))

    def _fps(self) -> float:
        return 1 / max(1 / MAX_FPS, self.render_cost / FRAME_BUDGET)

    # --- first layer ---------------------------------------------------------------------------

    def _tiles_panel(self, s, now: float) -> None:
        rect = s.get_rect()
        W0 = self.net.W[0]
        n = W0.shape[1]
        title = f"Layer 1 weights: what each of the {n} hidden neurons looks for"
        if r.text_size(title, 21, True)[0] > rect.width - 28:
            title = f"Layer 1 weights ({n} neurons)"
        r.text(s, title, (14, 12), 21, r.TEXT, bold=True)
        area = pygame.Rect(14, 42, rect.width - 28, rect.height - 90)
        rows, cols = r.grid_shape(n, area.width, area.height)
        scale = r.symmetric_scale(W0)
        gap = 2 if min(area.width / cols, area.height / rows) >= 40 else 1
        mosaic = r.tile_mosaic(W0, IMAGE_SIDE, cols, gap=gap, scale=scale, background=r.PANEL,
                               rgbx=True)
        self._mosaic = (r.blit_array(s, mosaic, area), mosaic.shape[:2], cols, gap)
        # colour key: the diverging map and its scale
        key = pygame.Rect(0, 0, min(240, area.width // 2), 10)
        key.midbottom = (rect.centerx, rect.bottom - 26)
        ramp = r.diverging(np.linspace(-1, 1, key.width)[None, :].repeat(key.height, 0), 1.0)
        r.blit_array(s, ramp, key, keep_aspect=False)
        r.text(s, f"−{scale:.2g}", (key.left - 8, key.centery), 16, r.DIM, "midright")
        r.text(s, f"+{scale:.2g}", (key.right + 8, key.centery), 16, r.DIM, "midleft")
        r.text(s, "ink here inhibits", (key.left, key.bottom + 4), 16, (110, 170, 255))
        r.text(s, "excites", (key.right, key.bottom + 4), 16, (255, 140, 90), "topright")

    # --- the network for one sample ------------------------------------------------------------

    def _sample(self, now: float):
        """The test sample on show (a new one every SAMPLE_EVERY_S), its label and the
        network's activations for it."""
        data = self.data
        if len(data.test_labels) == 0:
            return None, None, None
        if now >= self._sample_until and not self.paused:
            self._sample_i = int(self.rng.integers(len(data.test_labels)))
            self._sample_until = now + SAMPLE_EVERY_S
        image = data.test_images[self._sample_i]
        a = self.net.forward(to_input(image[None, :]))
        return image, int(data.test_labels[self._sample_i]), [v[0] for v in a]

    def _network_panel(self, s, now: float) -> None:
        net = self.net
        rect = s.get_rect()
        r.text(s, "The network on one test image", (14, 12), 21, r.TEXT, bold=True)
        image, truth, acts = self._sample(now)
        if image is None:
            acts = [None] + [np.zeros(n, np.float32) for n in net.sizes[1:]]
        inner = pygame.Rect(14, 52, rect.width - 28, rect.height - 62)
        n_out = net.sizes[-1]
        hidden = net.sizes[1:-1]
        img_w = max(56, min(168, inner.width // 5, inner.height - 70))
        labelled = n_out <= 30  # one row per class with its name and a bar
        out_w = 150 if labelled else 130
        col_w = (inner.width - img_w - out_w) / (len(hidden) + 1)
        top = inner.top + 22
        layer_h = inner.bottom - top
        # the image and the verdict
        img_rect = pygame.Rect(inner.left, 0, img_w, img_w)
        img_rect.centery = top + layer_h // 2 - 18
        guess = int(np.argmax(acts[-1])) if image is not None else None
        if image is not None:
            r.blit_array(s, r.gray_image(image, IMAGE_SIDE), img_rect, keep_aspect=False)
            pygame.draw.rect(s, r.GRID, img_rect.inflate(2, 2), 1)
            ok = guess == truth
            r.text(s, f"label {self.classes[truth]}", (img_rect.centerx, img_rect.bottom + 8),
                   18, r.DIM, "midtop")
            p = 100 * float(net.output_layer.confidence(acts[-1])[guess])
            verdict = f"guess {self.classes[guess]}  {p:.0f}%"
            # centred under the image, but never past the panel's edge
            x = max(img_rect.centerx, inner.left + r.text_size(verdict, 22, True)[0] // 2)
            r.text(s, verdict, (x, img_rect.bottom + 30), 22, r.GOOD if ok else r.BAD,
                   "midtop", bold=True)
        # hidden layers: columns of cells
        columns = []
        roomy = col_w >= r.text_size("hidden 4  (000)", 16)[0] + 12
        for l, n in enumerate(hidden):
            cx = inner.left + img_w + col_w * (l + 1)
            w = min(max(col_w * 0.45, 12), 120)
            box = pygame.Rect(round(cx - w / 2), top, round(w), layer_h)
            columns.append(r.layer_cells(n, box))
            r.text(s, f"hidden {l + 1}  ({n})" if roomy else str(n), (cx, inner.top), 16,
                   r.DIM, "midtop")
        if hidden and not roomy:
            mid = inner.left + img_w + col_w * (len(hidden) + 1) / 2
            r.text(s, "hidden layers" if len(hidden) > 1 else "hidden", (mid, inner.top - 4),
                   16, r.DIM, "midbottom")
        # the output: labelled rows, or cells plus a top-5 list for many classes
        out_box = pygame.Rect(inner.right - out_w, top, out_w, layer_h)
        r.text(s, f"output  ({n_out})", (out_box.left + 40, inner.top), 16, r.DIM, "midtop")
        if labelled:
            row = min(out_box.height / n_out, 30)
            y0 = out_box.top + (out_box.height - row * n_out) / 2
            side = max(3, min(round(row) - 3, 20))
            out_cells = [pygame.Rect(out_box.left, round(y0 + i * row + (row - side) / 2),
                                     side, side) for i in range(n_out)]
        else:
            out_cells = r.layer_cells(n_out, pygame.Rect(out_box.left, top, 36, layer_h))
        # links: the deeper layers' weights (the first layer's are the tiles)
        # (from a layer's right edge into the next one's left edge, at each neuron's height:
        # a grid of many neurons stays readable)
        cols = columns + [out_cells]
        for l in range(1, len(net.W)):
            right = max(c.right for c in cols[l - 1])
            left = min(c.left for c in cols[l])
            r.draw_links(s, [(right, c.centery) for c in cols[l - 1]],
                         [(left, c.centery) for c in cols[l]], net.W[l], max_links=MAX_LINKS,
                         background=r.PANEL)
        # a faint fan from the image to the first hidden layer: every pixel feeds every neuron
        if image is not None and columns:
            fan = r.blend(r.GRID, r.PANEL, 0.6)
            left = min(c.left for c in columns[0])
            for c in columns[0][:: max(1, len(columns[0]) // 48)]:
                pygame.draw.line(s, fan, img_rect.midright, (left, c.centery))
        for l, col in enumerate(columns):
            lo, hi = _layer_range(net.hidden, acts[l + 1])
            r.draw_activations(s, col, acts[l + 1], net.b[l], vmin=lo, vmax=hi)
        r.draw_activations(s, out_cells, acts[-1], net.b[-1], highlight=guess)
        if labelled:
            size = max(13, min(20, round(row * 0.8)))
            x = out_cells[0].right + 8
            bar_x = x + max(r.text_size(c, size, True)[0] for c in self.classes) + 8
            for i, c in enumerate(out_cells):
                colour = (r.GOOD if guess == truth else r.BAD) if i == guess else \
                    r.TEXT if i == truth else r.DIM
                r.text(s, self.classes[i], (x, c.centery), size, colour, "midleft",
                       bold=i in (guess, truth))
                w = round(float(np.clip(acts[-1][i], 0, 1)) * (out_box.right - bar_x))
                if w >= 2:  # thinner would read as a stray mark
                    pygame.draw.rect(s, r.blend(colour, r.PANEL, 0.85),
                                     (bar_x, c.top + 2, w, max(2, c.height - 4)))
        else:
            shares = net.output_layer.confidence(acts[-1])
            y = out_box.top
            for k in np.argsort(shares)[::-1][:6]:
                colour = (r.GOOD if k == truth else r.BAD) if k == guess else \
                    r.TEXT if k == truth else r.DIM
                r.text(s, f"{self.classes[k]}  {100 * shares[k]:.0f}%", (out_box.right, y),
                       18, colour, "topright", bold=k == guess)
                y += 22

    # --- curves --------------------------------------------------------------------------------

    def _cost_chart(self, s, now: float) -> None:
        self._push_cost()
        series = []
        if self.cost_curve:
            xs, ys = zip(*self.cost_curve)
            series.append((xs, ys, r.COST, "training"))
        if self.test_cost:
            xs, ys = zip(*self.test_cost)
            series.append((xs, ys, r.ACCENT, "test"))
        last = f": {self.test_cost[-1][1]:.3f}" if self.test_cost else ""
        r.draw_line_chart(s, s.get_rect(), series, x_range=self._x_range(),
                          title=f"Cost ({self.net.cost_name}){last}", y_format="{:.2g}",
                          size=17)

    def _live_accuracy(self, now: float) -> None:
        """A quick estimate on a fixed slice of the test set, so the accuracy curve moves
        during the first epoch too; the full test set is scored at every epoch's end."""
        if now < self._live_until or self.paused or self.batch == 0:
            return
        self._live_until = now + LIVE_ACCURACY_EVERY_S
        n = min(LIVE_ACCURACY_SAMPLES, len(self.data.test_labels))
        if n == 0:
            return
        out = self.net.predict(to_input(self.data.test_images[:n]))
        acc = 100 * float((out.argmax(axis=1) == self.data.test_labels[:n]).mean())
        self.live_acc.append((self.x_now(), acc))

    def _accuracy_chart(self, s, now: float) -> None:
        self._live_accuracy(now)
        series = []
        if self.live_acc:
            xs, ys = zip(*self.live_acc)
            series.append((xs, ys, r.blend(r.GOOD, r.PANEL, 0.45),
                           f"first {LIVE_ACCURACY_SAMPLES}"))
        if self.test_acc:
            xs, ys = zip(*self.test_acc)
            series.append((xs, ys, r.GOOD, "whole test set"))
        ys = [y for _, y in self.live_acc + self.test_acc]
        lo = min(ys[-20:], default=0.0)  # zoom in as it improves; the start scrolls off
        y_range = (max(0.0, math.floor(min(lo, 98.0)) - 1), 100.0)
        last = f": {self.test_acc[-1][1]:.2f}%" if self.test_acc else ""
        r.draw_line_chart(s, s.get_rect(), series, x_range=self._x_range(), y_range=y_range,
                          title=f"Test accuracy{last}", y_format="{:.0f}%", size=17)

    def _x_range(self) -> tuple[float, float]:
        """From the network's age when this run started to a little beyond now (the planned
        end once near it): the curves use the width instead of hugging a long run's start."""
        base = self.epochs_before
        end = base + (self.epochs or 1)
        grown = base + max(1, math.ceil((self.x_now() - base) * 1.3))
        return float(base), float(max(min(end, grown), self.x_now()))
