"""The trainer window's own state: whether the run is paused, stopped or finished, and the
message in its footer. A plain object the window changes and the panels read."""

from __future__ import annotations

from dataclasses import dataclass

MESSAGE_S = 4.0  # how long a message stays in the footer


VIEWS = ("tiles", "mistakes")  # what the window's left column shows (M switches)


@dataclass
class RunState:
    paused: bool = False
    stopped: bool = False      # the window was closed: training stops after this batch
    finished: bool = False     # training ran to its end (or stopped); the result is on show
    steps: int = 0             # batches to train while paused (N) before waiting again
    view: str = "tiles"        # one of VIEWS
    message: str = ""
    message_until: float = 0.0

    def switch_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]

    def say(self, message: str, now: float) -> None:
        self.message, self.message_until = message, now + MESSAGE_S

    def current_message(self, now: float) -> str:
        return self.message if now < self.message_until else ""

    def label(self) -> str:
        """The status pill's word."""
        return "PAUSED" if self.paused else "STOPPED" if self.stopped and not self.finished \
            else "FINISHED" if self.finished else "TRAINING"
