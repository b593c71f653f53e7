"""Stopping a training run politely: Ctrl+C, `kill` or a closed terminal ask it to stop after
the current batch, so that the network can still be tested and saved.

Without this, SIGINT raises KeyboardInterrupt wherever the program happens to be (inside the
save, too), and SIGTERM and SIGHUP end the process on the spot with nothing saved.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

# The signals that end a program politely, and how a run reports each one.
STOP_SIGNALS = {name: words for name, words in (("SIGINT", "interrupted"),
                                                ("SIGTERM", "terminated (SIGTERM)"),
                                                ("SIGHUP", "hung up (SIGHUP)"))
                if hasattr(signal, name)}


@contextmanager
def handling_stop_signals(handler):
    """Run the block with `handler(signum, frame)` for SIGINT, SIGTERM and SIGHUP, then put the
    previous handlers back. A signal the program was told to ignore (`nohup` ignores SIGHUP)
    stays ignored, and one handled outside Python (None) is left alone: it could not be put
    back. Handlers can be set only from the main thread; elsewhere the block runs as it is."""
    previous = {}
    try:
        if threading.current_thread() is threading.main_thread():
            for name in STOP_SIGNALS:
                s = getattr(signal, name)
                current = signal.getsignal(s)
                if current is not None and current != signal.SIG_IGN:
                    previous[s] = signal.signal(s, handler)
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


class StopRequest:
    """While installed (`with StopRequest() as stop:`), SIGINT, SIGTERM and SIGHUP only note a
    request to stop (`stop.requested`), and call `on_request` (e.g. to end a paused window's
    wait); every further signal is noted too, never an exception. On leaving, the previous
    handlers are back: outside training, Ctrl+C interrupts as usual.

    A signal the program was told to ignore (`nohup` ignores SIGHUP) stays ignored. Handlers
    can be set only from the main thread; elsewhere the request is never made."""

    def __init__(self, on_request=None):
        self.on_request = on_request
        self.signal: int | None = None  # the first signal received
        self.count = 0

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def words(self) -> str:
        """How the run reports the request: 'interrupted', 'terminated (SIGTERM)', ..."""
        name = signal.Signals(self.signal).name if self.signal is not None else ""
        return STOP_SIGNALS.get(name, name or "not stopped")

    def _handle(self, signum, frame) -> None:
        self.count += 1
        if self.signal is None:
            self.signal = signum
        if self.on_request is not None:
            self.on_request()

    def __enter__(self) -> StopRequest:
        self._handling = handling_stop_signals(self._handle)
        self._handling.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._handling.__exit__(None, None, None)  # the handlers go back; exc goes on
