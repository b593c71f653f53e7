"""The live training window: watch the weights learn without slowing the learning.

`TrainerWindow.watch(events)` wraps the event generator of `training.train`: it passes every
event through unchanged and, between two of them (when the weights are safe to read), draws a
frame when its `FrameBudget` allows. Drawing and training share one thread, so nothing races.
(A worker thread would not buy more: with small batches training is mostly Python calls holding
the GIL.) When training ends, `hold` keeps the window on the FINISHED state until it is closed.

The window only routes: pygame events to the state they change (the `Controls` for a teacher's
keys), training events to the `TrainingHistory`, the network runs to the `NetworkProbe` and the
`NeuronInspector` (between batches, never while drawing), and each panel its rectangle. What it
shows, left to right: every first-layer neuron's weights as a tile (or, M, where the network
errs: the `MistakesPanel`, also what the finished run shows); the network on one test image (or
the neuron clicked, the `NeuronPanel`); the cost and accuracy curves.

Keys: Space pauses/resumes, N trains one batch while paused, Up/Down (or +/-) change the
learning rate, M switches the left column, S saves now, Esc or Q (or closing the window) stops
after the current batch; Esc or a click elsewhere first closes an open neuron. Nothing here
touches the display until a TrainerWindow is made.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner in the trainer's output
import pygame  # noqa: E402

from .. import render as r  # noqa: E402
from ..render import NoDisplay  # noqa: E402, F401  (the trainer catches it from here)
from ..training import BatchDone, EpochDone, Steering  # noqa: E402
from .budget import FrameBudget  # noqa: E402
from .compositor import Compositor  # noqa: E402
from .controls import Controls  # noqa: E402
from .distorted import DistortedSamples, DistortedStrip  # noqa: E402
from .history import TrainingHistory  # noqa: E402
from .inspector import NeuronInspector  # noqa: E402
from .layout import MIN_SIZE, SIZE, layout, neuron_at, panels_shown, rescale  # noqa: E402, F401
from .mistakes_panel import MistakesPanel  # noqa: E402
from .network_panel import NetworkPanel  # noqa: E402
from .neuron_panel import NeuronPanel  # noqa: E402
from .panels import AccuracyChart, CostChart, Footer, Header, TilesPanel  # noqa: E402
from .probe import LIVE_ACCURACY_SAMPLES, NetworkProbe  # noqa: E402
from .recorder import Recorder  # noqa: E402
from .state import RunState  # noqa: E402

MAX_FPS = 30
FRAME_BUDGET = 0.05       # fraction of wall time drawing may take
CREDIT_MAX = 0.015        # seconds of drawing that idle time may save up (a short burst)
PAUSED_FPS = 20
PUMP_S = 0.1              # how often window events are read even when no frame is due
COST_POINT_S = 0.5        # the training cost curve gets a point (a mean) this often
CLOSE_KEYS = (pygame.K_ESCAPE, pygame.K_q)
CONTROL_KEYS = {pygame.K_m: Controls.switch_view, pygame.K_n: Controls.step,
                pygame.K_RIGHT: Controls.step, pygame.K_UP: Controls.faster,
                pygame.K_DOWN: Controls.slower, pygame.K_PLUS: Controls.faster,
                pygame.K_EQUALS: Controls.faster, pygame.K_KP_PLUS: Controls.faster,
                pygame.K_MINUS: Controls.slower, pygame.K_KP_MINUS: Controls.slower}


class TrainerWindow:
    """A window (or, with visible=False, an off-screen surface for --record) that draws a
    network while it trains. Use `watch` on the training events, `hold` to show the result,
    `close` when done."""

    def __init__(self, net, data, title: str = "", draw_l1: bool = True, record=None,
                 on_save=None, visible: bool = True, size=SIZE, epochs: int | None = None,
                 epochs_before: int = 0, rng: np.random.Generator | None = None,
                 overwrite: bool = False, steering: Steering | None = None, distort=None,
                 distortion: str = ""):
        self.net, self.data, self.title = net, data, title
        self.steering = steering or Steering()  # the keys' hand on training's learning rate
        self.on_save, self.visible = on_save, visible
        self.state = RunState()
        self.history = TrainingHistory(epochs=epochs, epochs_before=epochs_before)
        self.budget = FrameBudget(FRAME_BUDGET, MAX_FPS, CREDIT_MAX)
        self.probe = NetworkProbe(net, data, rng or np.random.default_rng())
        self.inspector = NeuronInspector(net, data.test_images)
        self.controls = Controls(self.state, self.steering, self.inspector)
        self.header = Header(net, title, self.history, self.state, self.steering)
        self.footer = Footer(self.state, self.budget, self.inspector)
        classes = list(data.classes)
        # with augmentation, a strip of training images distorted as the network sees them
        self.distorted = None if distort is None else DistortedSamples(
            data, distort, np.random.default_rng(self.probe.rng.integers(2**63)))
        self.panels = {"tiles": TilesPanel(net, self.inspector)} if draw_l1 else {}
        self.panels.update(network=NetworkPanel(net, classes, self.probe),
                           neuron=NeuronPanel(net, classes, self.inspector, data.test_images),
                           mistakes=MistakesPanel(self.history, data.test_images, classes),
                           **({} if self.distorted is None else
                              {"distorted": DistortedStrip(self.distorted, classes, distortion)}),
                           cost=CostChart(self.history, net.cost_name),
                           accuracy=AccuracyChart(self.history, LIVE_ACCURACY_SAMPLES))
        # ~30 frames over the first epoch, fewer per epoch later (see Recorder)
        every = max(64, len(data.train_labels) // 30)
        self.recorder = Recorder(record, every, overwrite=overwrite) if record else None
        self.surface = self._open(size) if visible else None
        if self.surface is None:
            pygame.font.init()
            self.surface = pygame.Surface(size)
        self.compositor = Compositor(self.panels, self.header, self.footer)
        self._next_pump = self._next_cost_point = 0.0
        self._paused_at = None

    # the run's state, as the trainer script and the tests read it
    paused = property(lambda self: self.state.paused)
    stopped = property(lambda self: self.state.stopped)
    finished = property(lambda self: self.state.finished)
    frames = property(lambda self: self.budget.frames)
    drawing_s = property(lambda self: self.budget.drawing_s)

    @property
    def next_frame(self) -> float:
        return self.budget.next_frame

    @next_frame.setter
    def next_frame(self, t: float) -> None:
        self.budget.next_frame = t

    # --- the window --------------------------------------------------------------------------

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
            with warnings.catch_warnings():  # the only way to reach set_mode's window
                warnings.simplefilter("ignore", DeprecationWarning)
                pygame.Window.from_display_module().minimum_size = MIN_SIZE
        except pygame.error as e:
            pygame.display.quit()
            raise NoDisplay(str(e) or "no video device") from None
        pygame.display.set_caption(f"basic-neural-net: training {self.net.sizes_text}"
                                   + (f" on {self.title}" if self.title else ""))
        return surface

    def write_recording(self) -> Path | None:
        """Write the --record GIF with the final state as its last frame; returns its path
        (None when nothing was recorded). Recording ends here."""
        recorder, self.recorder = self.recorder, None
        if recorder is None or not recorder.frames:
            return None
        self.draw()
        recorder.add(self.surface, self.history.samples_seen)
        return recorder.save()

    def close(self) -> Path | None:
        """Close the window, writing the recording if that was not done yet."""
        path = self.write_recording()
        if self.visible and pygame.display.get_init():
            pygame.display.quit()
        return path

    def request_stop(self) -> None:
        """Stop after the current batch (a signal asked, or the window was closed); a pause
        or the FINISHED screen ends too."""
        self.state.stopped = True

    def message(self, s: str) -> None:
        """Show `s` in the footer for a few seconds."""
        self.state.say(s, time.perf_counter())

    # --- the event loop ----------------------------------------------------------------------

    def watch(self, events):
        """Yield the training events, drawing frames between them; stops (leaving the rest of
        `events` unconsumed, i.e. training stops after the current batch) when the window
        is closed."""
        self.frame(time.perf_counter())
        for event in events:
            self.history.note(event, time.perf_counter())
            yield event
            now = time.perf_counter()
            stepped = isinstance(event, BatchDone) and self.state.steps > 0
            if stepped:  # one batch trained while paused (N): show what it changed
                self.state.steps -= 1
            if isinstance(event, EpochDone) or stepped:
                self.refresh()
                self.frame(now)
            elif self.recorder is not None and self.recorder.due(self.history.samples_seen):
                self.refresh()
                self.frame(now, force_capture=True)
            elif self.budget.due(now):
                self.frame(now)
            elif now >= self._next_pump and self.visible:
                self._pump(now)
            while self.state.paused and not self.state.stopped and not self.state.steps:
                self.frame(time.perf_counter())
                time.sleep(1 / PAUSED_FPS)
            if self.state.stopped:
                return
        self.state.finished = True

    def hold(self) -> None:
        """Show the finished run until the window is closed (close, Esc or Q). Training is
        over, so frames are drawn at an easy pace and nothing else waits on them. It shows
        where the network errs (M goes back to the weights)."""
        self.state.finished, self.state.paused = True, False
        if self.history.last_test is not None:
            self.state.view = "mistakes"
        self.refresh()
        while self.visible and not self.state.stopped:
            self.frame(time.perf_counter())
            time.sleep(1 / PAUSED_FPS)

    def handle(self, e) -> None:
        """React to one pygame event."""
        now = time.perf_counter()
        if e.type == pygame.KEYDOWN and e.key == pygame.K_ESCAPE and self.controls.close():
            self.refresh()  # Esc closed the neuron; it stops training only when none is open
            self.next_frame = 0.0
        elif e.type == pygame.QUIT or (e.type == pygame.KEYDOWN and e.key in CLOSE_KEYS):
            self.state.stopped = True
            if not self.state.finished:
                self.message("stopping after this batch...")
        elif e.type == pygame.KEYDOWN and e.key == pygame.K_SPACE and not self.state.finished:
            self._toggle_pause(now)
        elif e.type == pygame.KEYDOWN and e.key == pygame.K_s:
            self._save()
        elif e.type == pygame.KEYDOWN and e.key in CONTROL_KEYS:
            self.message(CONTROL_KEYS[e.key](self.controls))
            self.next_frame = 0.0  # an answer to a key shows at once, whatever the budget
        elif e.type == pygame.MOUSEBUTTONDOWN and e.button == 1:
            self._click(e.pos)
            self.next_frame = 0.0
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

    def _toggle_pause(self, now: float) -> None:
        self.state.paused = not self.state.paused
        if self.state.paused:
            self._paused_at = now
        else:
            self.history.skip_pause(now - (self._paused_at or now))
            self.budget.forgive(now)

    def _click(self, pos) -> None:
        """A neuron clicked opens (another neuron replaces the open one); a click elsewhere
        closes it."""
        rects = self.rects()
        point = rescale(pos, self.surface.get_size(), self.canvas.get_size())
        neuron = neuron_at(rects, self.shown(), self.net.sizes, point)
        if neuron is not None:
            self.controls.open(neuron)
        elif not self.controls.close():
            return
        self.refresh()

    def _save(self) -> None:
        if self.on_save is None:
            self.message("saving is off")
            return
        try:
            self.message(self.on_save())
        except OSError as err:
            self.message(f"could not save: {err}")

    def _pump(self, now: float) -> None:
        """Read the window's events: keeps the window responsive between frames."""
        self._next_pump = now + PUMP_S
        for e in pygame.event.get():
            self.handle(e)

    def update(self, now: float) -> None:
        """What changes before a frame is drawn: the network's picture of the current test
        image and the accuracy estimate (the probe runs the network), the cost curve's point."""
        still = self.state.paused or self.state.finished
        self.probe.update(now, self.history, still)
        self.inspector.update(now)
        if self.distorted is not None:
            self.distorted.update(now, still)
        if now >= self._next_cost_point:
            self._next_cost_point = now + COST_POINT_S
            self.history.close_cost_point()

    def frame(self, now: float, force_capture: bool = False) -> None:
        """Handle input, update, draw, show; then schedule the next frame within the budget."""
        started = time.perf_counter()
        if self.visible:
            self._pump(now)
        self.update(now)
        changed = self.draw(now, full=self.budget.frames == 0)
        if self.visible:
            pygame.display.update(changed)
        if self.recorder is not None and (force_capture or not self.recorder.frames):
            self.recorder.add(self.surface, self.history.samples_seen)
        self.budget.spent(started, time.perf_counter())

    # --- drawing: the Compositor's ------------------------------------------------------------

    def refresh(self) -> None:
        """Make every panel redraw on the next frame (new epoch, resize, recording)."""
        self.compositor.refresh()

    def shown(self) -> dict:
        """Which panel each part of the layout shows now: slot -> panel name."""
        return panels_shown(self.state.view, self.inspector.is_open, "tiles" in self.panels,
                            "distorted" in self.panels)

    def rects(self) -> dict:
        """The layout for the window's current size and view, in the canvas's coordinates."""
        return self.compositor.rects(self.surface, self.shown())

    @property
    def canvas(self) -> pygame.Surface:
        self.rects()
        return self.compositor.canvas

    def draw(self, now: float | None = None, full: bool = True) -> list[pygame.Rect]:
        """Draw the frame; returns the rectangles that changed (see Compositor.draw)."""
        now = time.perf_counter() if now is None else now
        return self.compositor.draw(self.surface, self.shown(), now, full)

    def tile_rect(self, i: int) -> pygame.Rect | None:
        """Where neuron i's 28×28 tile is on screen, or None when the tiles are not shown.
        Pixel (y, x) of the tile covers the (y/28, x/28) point of this rect."""
        panel = self.rects().get("tiles")
        if panel is None or self.shown().get("tiles") != "tiles":
            return None
        tile = TilesPanel.tile_rect(panel.size, self.net.W[0].shape[1], i).move(panel.topleft)
        return self.compositor.to_window(self.surface, tile)
