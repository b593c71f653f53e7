"""The trainer window's panels. Each draws what it was given (the network, the run's history, the
probe's activations, the window's state) onto the surface it is handed, and changes nothing:
the window decides when each is drawn, and where.

Every text is fitted to its space (shortened, or said more briefly) so that nothing is ever
drawn over anything else, down to the smallest window size.
"""

from __future__ import annotations

import math

import numpy as np
import pygame

from .. import render as r
from ..constants import IMAGE_SIDE

# What the keys do, most fully first; {view} is the other view M switches to
KEY_HELP = [
    "Space  pause      ↑ ↓  learning rate      M  {view}      click a neuron  open it      "
    "S  save now      Esc  stop and save",
    "Space pause   ↑↓ rate   M {view}   click: open   S save   Esc stop",
    "Space pause   ↑↓ rate   M {view}   Esc stop",
    "Space pause   S save   Esc stop",
]
PAUSED_HELP = [
    "Space  resume      N  one batch      ↑ ↓  learning rate      M  {view}      "
    "click a neuron  open it      S  save now      Esc  stop and save",
    "Space resume   N one batch   ↑↓ rate   M {view}   S save   Esc stop",
    "Space resume   N one batch   ↑↓ rate   Esc stop",
    "Space resume   N step   Esc stop",
]
FINISHED_HELP = [
    "training is over      M  {view}      click a neuron  open it      "
    "Esc or close the window to end",
    "training is over      M  {view}      Esc or close the window to end",
    "M {view}   Esc end",
    "Esc  end",
]
OPEN_HELP = [
    "Esc or a click elsewhere  close the neuron      click another neuron  open it instead",
    "Esc or a click elsewhere  close the neuron",
    "Esc  close",
]


def panel_title(s: pygame.Surface, options, size: int = 21) -> None:
    """A panel's title at its top left, the first phrasing that fits."""
    width = s.get_width() - 28
    r.text(s, r.first_that_fits(options, width, size, True), (14, 12), size, r.TEXT, bold=True)


class Header:
    """The run in one strip: what network, what state, how fast, how far."""

    def lr_text(self) -> str:
        """The learning rate of the next batch (a key pressed while paused shows at once),
        and the hand's factor in it."""
        h, scale = self.history, self.steering.lr_scale if self.steering is not None else 1.0
        if not math.isfinite(h.lr):
            return ""
        text = f"η {h.lr * scale / h.lr_scale:.3g}"
        return text + (f" (×{scale:.3g} by hand)" if scale != 1.0 and not self.state.finished
                       else "")

    def __init__(self, net, title: str, history, state, steering=None):
        self.net, self.title, self.history, self.state = net, title, history, state
        self.steering = steering  # a training.Steering: the learning rate's hand factor

    def draw(self, s: pygame.Surface, rect: pygame.Rect) -> None:
        net, h, state = self.net, self.history, self.state
        rate = h.samples_per_s()
        rate_s = f"{rate:,.0f} samples/s" if math.isfinite(rate) and not state.paused else \
            "— samples/s"
        epochs = f" / {h.epochs}" if h.epochs else ""
        status = state.label()
        colour = {"PAUSED": r.ACCENT, "STOPPED": r.BAD, "FINISHED": r.COST}.get(status, r.GOOD)
        # the right-hand group first: it holds the figures that change; the rest gets what is left
        box = r.text(s, rate_s, (rect.right, rect.top), 28, r.TEXT, "topright", bold=True)
        box = r.text(s, f"epoch {max(h.epoch, 1)}{epochs}", (box.left - 28, rect.top), 28,
                     r.TEXT, "topright", bold=True)
        pill = r.text(s, status, (box.left - 28, box.centery), 17, colour, "midright", bold=True)
        pygame.draw.rect(s, colour, pill.inflate(16, 8), 1, border_radius=9)
        title_w = pill.left - 24 - rect.left
        r.text(s, r.fit_text("basic-neural-net", title_w, 34, True), rect.topleft, 34, r.TEXT,
               bold=True)
        lr = self.lr_text()
        seen = f"{h.samples_seen:,} samples seen"
        done = f"{100 * h.progress():.0f}% of epoch"
        right = r.first_that_fits([" · ".join(p for p in (lr, seen, done) if p),
                                   " · ".join(p for p in (lr, done) if p), lr],
                                  rect.width * 0.5, 19)
        line = r.text(s, right, (rect.right, rect.top + 32), 19, r.DIM, "topright")
        about_w = line.left - 24 - rect.left
        parts = [net.sizes_text, f"{net.hidden} hidden", f"{net.output} output",
                 f"{net.cost_name} cost", self.title]
        about = r.first_that_fits([" · ".join(p for p in parts if p),
                                   " · ".join(p for p in parts[:2] + parts[4:] if p),
                                   net.sizes_text], about_w, 19)
        r.text(s, about, (rect.left, rect.top + 32), 19, r.DIM)
        bar = pygame.Rect(rect.left, rect.bottom - 10, rect.width, 6)
        pygame.draw.rect(s, r.PANEL, bar, border_radius=3)
        if h.progress() > 0:
            done_bar = pygame.Rect(bar.left, bar.top, max(6, round(bar.width * h.progress())),
                                   bar.height)
            pygame.draw.rect(s, r.DIM if state.paused else r.ACCENT, done_bar, border_radius=3)


class Footer:
    """The keys on the left; a message, or the drawing's own cost, on the right."""

    def __init__(self, state, budget, inspector=None):
        self.state, self.budget, self.inspector = state, budget, inspector

    def draw(self, s: pygame.Surface, rect: pygame.Rect, now: float) -> None:
        message = self.state.current_message(now)
        if message:
            shown = r.text(s, r.fit_text(message, rect.width * 0.6, 17), rect.midright, 17,
                           r.ACCENT, "midright")
        else:
            b = self.budget
            fps = b.fps()
            shown = r.text(s, r.first_that_fits(
                [f"drawing {fps:.0f} frame{'s' if round(fps) != 1 else ''}/s, "
                 f"{1000 * b.frame_s:.1f} ms each (budget: {100 * b.share:.0f}% of the time)",
                 f"drawing {fps:.0f}/s, {1000 * b.frame_s:.1f} ms each", ""],
                rect.width * 0.45, 15), rect.midright, 15, r.blend(r.DIM, r.BACKGROUND, 0.6),
                "midright")
        r.text(s, self.key_help(shown.left - 24 - rect.left), rect.midleft, 17, r.DIM, "midleft")

    def key_help(self, width: float) -> str:
        """What the keys do now, said as fully as `width` allows."""
        state = self.state
        if self.inspector is not None and self.inspector.is_open:
            options = OPEN_HELP
        else:
            options = FINISHED_HELP if state.finished else PAUSED_HELP if state.paused else \
                KEY_HELP
        other = "tiles" if state.view == "mistakes" else "mistakes"
        return r.first_that_fits([o.format(view=other) for o in options], width, 17)


# --- the first layer's weights ---------------------------------------------------------------

class TilesPanel:
    """Every first-layer neuron's incoming weights as a 28×28 tile: red where ink excites it,
    blue where ink inhibits it, with the colour key."""

    refresh_s = 0.25

    def __init__(self, net, inspector=None):
        self.net, self.inspector = net, inspector  # the inspector's open tile is outlined

    @staticmethod
    def geometry(size, n: int):
        """Where the tiles go in a panel of `size`: (placed rect, rows, cols, gap). Pure, so the
        window can find a tile under the mouse without a frame having been drawn."""
        area = pygame.Rect(14, 42, max(size[0] - 28, 1), max(size[1] - 90, 1))
        rows, cols = r.grid_shape(n, area.width, area.height)
        gap = 2 if min(area.width / cols, area.height / rows) >= 40 else 1
        cell = IMAGE_SIDE + gap
        h, w = rows * cell - gap, cols * cell - gap
        k = min(area.width / w, area.height / h)
        placed = pygame.Rect(0, 0, max(1, round(w * k)), max(1, round(h * k)))
        placed.center = area.center
        return placed, rows, cols, gap

    @staticmethod
    def tile_rect(size, n: int, i: int) -> pygame.Rect:
        """Neuron i's tile within a panel of `size`: pixel (y, x) of the tile covers the
        (y/28, x/28) point of this rect."""
        placed, rows, cols, gap = TilesPanel.geometry(size, n)
        cell = IMAGE_SIDE + gap
        kx = placed.width / (cols * cell - gap)
        ky = placed.height / (rows * cell - gap)
        row, col = divmod(i, cols)
        return pygame.Rect(round(placed.left + col * cell * kx),
                           round(placed.top + row * cell * ky),
                           round(IMAGE_SIDE * kx), round(IMAGE_SIDE * ky))

    def draw(self, s: pygame.Surface) -> None:
        rect = s.get_rect()
        W0 = self.net.W[0]
        n = W0.shape[1]
        panel_title(s, [f"Layer 1 weights: what each of the {n} hidden neurons looks for",
                        f"Layer 1 weights ({n} neurons)", "Layer 1"])
        placed, rows, cols, gap = self.geometry(rect.size, n)
        scale = r.symmetric_scale(W0)
        mosaic = r.tile_mosaic(W0, IMAGE_SIDE, cols, gap=gap, scale=scale, background=r.PANEL,
                               rgbx=True)
        r.blit_array(s, mosaic, placed)
        if self.inspector is not None and self.inspector.neuron is not None:
            tile = self.tile_rect(rect.size, n, self.inspector.neuron)
            pygame.draw.rect(s, r.ACCENT, tile.inflate(4, 4), 2)
        colour_key(s, rect.centerx, rect.bottom - 26, min(240, rect.width // 2), scale)


def colour_key(s: pygame.Surface, centre_x: int, bottom: int, width: int, scale: float,
               words: bool = True) -> None:
    """The diverging map as a bar with its scale: what the weights' colours mean (in words
    under it, when `words` and there is room)."""
    key = pygame.Rect(0, 0, max(width, 1), 10)
    key.midbottom = (centre_x, bottom)
    ramp = r.diverging(np.linspace(-1, 1, key.width)[None, :].repeat(key.height, 0), 1.0)
    r.blit_array(s, ramp, key, keep_aspect=False)
    r.text(s, f"−{scale:.2g}", (key.left - 8, key.centery), 16, r.DIM, "midright")
    r.text(s, f"+{scale:.2g}", (key.right + 8, key.centery), 16, r.DIM, "midleft")
    if words and width >= 120:
        r.text(s, "ink here inhibits", (key.left, key.bottom + 4), 16, (110, 170, 255))
        r.text(s, "excites", (key.right, key.bottom + 4), 16, (255, 140, 90), "topright")


# --- curves ----------------------------------------------------------------------------------

def _series(*curves) -> list:
    """(xs, ys, colour, label) for each (points, colour, label) that has points yet."""
    return [(*zip(*points), colour, label) for points, colour, label in curves if points]


class CostChart:
    """The training cost (smoothed between refreshes) and the test cost after every epoch."""

    refresh_s = 0.5

    def __init__(self, history, cost_name: str):
        self.history, self.cost_name = history, cost_name

    def draw(self, s: pygame.Surface) -> None:
        h = self.history
        series = _series((h.cost_curve, r.COST, "training"), (h.test_cost, r.ACCENT, "test"))
        last = f": {h.test_cost[-1][1]:.3f}" if h.test_cost else ""
        r.draw_line_chart(s, s.get_rect(), series, x_range=h.x_range(),
                          title=f"Cost ({self.cost_name}){last}", y_format="{:.2g}", size=17,
                          x_label="epoch", marks=[x for x, _ in h.lr_marks])


class AccuracyChart:
    """Test accuracy after every epoch, and the quick estimate that moves within an epoch."""

    refresh_s = 0.5

    def __init__(self, history, live_samples: int):
        self.history, self.live_samples = history, live_samples

    def draw(self, s: pygame.Surface) -> None:
        h = self.history
        series = _series((h.live_acc, r.blend(r.GOOD, r.PANEL, 0.45), f"first {self.live_samples}"),
                         (h.test_acc, r.GOOD, "whole test set"))
        ys = [y for _, y in h.live_acc + h.test_acc]
        lo = min(ys[-20:], default=0.0)  # zoom in as it improves; the start scrolls off
        y_range = (max(0.0, math.floor(min(lo, 98.0)) - 1), 100.0)
        last = f": {h.test_acc[-1][1]:.2f}%" if h.test_acc else ""
        r.draw_line_chart(s, s.get_rect(), series, x_range=h.x_range(), y_range=y_range,
                          title=f"Test accuracy{last}", y_format="{:.0f}%", size=17,
                          x_label="epoch", marks=[x for x, _ in h.lr_marks])
