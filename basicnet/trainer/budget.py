"""How often the trainer window may draw, so that drawing never stalls training.

Drawing and training take turns in one thread. The budget is kept like a bank account: wall
time earns drawing time at a fixed share, each frame spends what it took (including handing it
to the display), and no frame is drawn while the account is in the red, nor more often than a
frame rate cap. However long or uneven the frames, drawing then takes at most that share of the
time. Pure: a clock goes in, a time for the next frame comes out.
"""

from __future__ import annotations

import math


class FrameBudget:
    def __init__(self, share: float = 0.05, max_fps: float = 30.0, burst_s: float = 0.015):
        self.share = share          # fraction of wall time drawing may take
        self.max_fps = max_fps
        self.burst_s = burst_s      # drawing time idle moments may save up (a short burst)
        self.credit = 0.0           # seconds of drawing in hand; negative: owed
        self.credit_t = None        # when the credit was last brought up to date
        self.next_frame = 0.0       # the clock time from which the next frame may be drawn
        self.frames = 0
        self.drawing_s = 0.0        # every frame's time together
        self.frame_s = 0.0          # running mean seconds per frame

    def due(self, now: float) -> bool:
        return now >= self.next_frame

    def spent(self, started: float, done: float) -> None:
        """A frame ran from `started` to `done`: pay for it and set when the next may come."""
        cost = done - started
        self.drawing_s += cost
        self.frame_s = cost if self.frames == 0 else 0.8 * self.frame_s + 0.2 * cost
        self.frames += 1
        if self.credit_t is None:
            # the first frame pays once for what every later one reuses (fonts, the layout):
            # charged, it would hold the next frame back for seconds at the start of training
            self.credit_t, cost = done, 0.0
        earned = (started - self.credit_t) * self.share
        self.credit = min(self.credit + earned, self.burst_s) - cost
        self.credit_t = done
        self.next_frame = done + max(1 / self.max_fps, -self.credit / self.share)

    def forgive(self, now: float) -> None:
        """Frames drawn while training was paused cost it nothing: start the account afresh."""
        self.credit, self.credit_t = 0.0, now

    def fps(self) -> float:
        """The frame rate the budget allows at the current cost per frame."""
        if not self.frame_s:
            return self.max_fps
        return 1 / max(1 / self.max_fps, self.frame_s / self.share) if math.isfinite(
            self.frame_s) else 0.0
