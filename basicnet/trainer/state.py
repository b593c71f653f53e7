"""The trainer window's own state: whether the run is paused, stopped or finished, and the
message in its footer. A plain object the window changes and the panels read."""

from __future__ import annotations

from dataclasses import dataclass

MESSAGE_S = 4.0  # how long a message stays in the footer


@dataclass
class RunState:
    paused: bool = False
    stopped: bool = False      # the window was closed: training stops after this batch
    finished: bool = False     # training ran to its end (or stopped); the result is on show
    message: str = ""
    message_until: float = 0.0

    def say(self, message: str, now: float) -> None:
        self.message, self.message_until = message, now + MESSAGE_S

    def current_message(self, now: float) -> str:
        return self.message if now < self.message_until else ""

    def label(self) -> str:
        """The status pill's word."""
        return "PAUSED" if self.paused else "STOPPED" if self.stopped and not self.finished \
            else "FINISHED" if self.finished else "TRAINING"
