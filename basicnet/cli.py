"""What every script shares at its edge: one way to report a bad input, and output that a closed
pipe cannot turn into a lost network or a traceback.

Every script ends a bad input with exactly one line on stderr, `error: ...`, and exit status 2
(`fail`); its command line is read by `ArgumentParser`, whose errors are such lines too; and it
prints through `say`, which survives a reader that went away (`... | head -1`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys

USAGE_STATUS = 2       # a bad input, as argparse uses
INTERRUPTED_STATUS = 130  # 128 + SIGINT, as a shell reports Ctrl+C


class UsageError(ValueError):
    """A bad command line or input; its message is the script's one error line."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad command line like every other error: one line, status 2,
    instead of a usage block (--help still prints the whole story)."""

    def error(self, message):
        raise UsageError(f"{message} (see --help)")


def one_line(message: str) -> str:
    """The message on one line: line breaks (with the blanks around them) become one space and
    other control characters are written as escapes, so that a name read from a file cannot
    split the error into lines that look like others, or send the terminal commands."""
    flat = re.sub(r"\s*[^\S ]+\s*", " ", str(message)).strip()
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in flat)


def fail(message: str, stream=None) -> int:
    """Print `error: message` as one line on stderr; returns the exit status for bad input."""
    stream = stream if stream is not None else sys.stderr
    if stream is not None:  # None: Python started without a stderr (2>&-)
        try:
            print("error: " + one_line(message), file=stream, flush=True)
        except (OSError, ValueError):  # stderr closed or full too: the status still tells
            pass
    return USAGE_STATUS


# Why stdout could not be written, other than a reader that went away (say, a full disk);
# `run` reports it at the end, once the work is done.
_lost_output: list[str] = []


def say(message: str = "", stream=None) -> None:
    """Print a line to stdout (or `stream`) at once. When it cannot be written (the reader has
    gone away, `| head -1`; a full disk; a closed stream), the rest of the output is dropped
    quietly: the work goes on, and a trained network is still saved."""
    stream = stream if stream is not None else sys.stdout
    if stream is None:  # Python started without a stdout (>&-)
        return
    try:
        try:
            print(message, file=stream, flush=True)
        except UnicodeEncodeError:  # e.g. a file name that is not UTF-8, on a strict stream
            encoding = getattr(stream, "encoding", None) or "utf-8"
            print(message.encode(encoding, "backslashreplace").decode(encoding), file=stream,
                  flush=True)
    except BrokenPipeError:
        _silence(stream)
    except OSError as e:
        _silence(stream)
        if stream is sys.stdout:
            _lost_output.append(e.strerror or str(e))
    except ValueError:  # the stream was closed
        pass


def _silence(stream) -> None:
    """Point the stream's file descriptor at /dev/null, so that neither later prints nor the
    interpreter's own flush at exit raise on the broken pipe again."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class ProgressStream:
    """stderr for a progress bar (tqdm): a write that fails (a closed pipe, a closed terminal)
    ends the bar's output, never the program; without a stderr it is not a terminal."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.broken = self.stream is None

    def write(self, text: str) -> None:
        if self.broken:
            return
        try:
            self.stream.write(text)
        except (OSError, ValueError):
            self.broken = True

    def flush(self) -> None:
        if self.broken:
            return
        try:
            self.stream.flush()
        except (OSError, ValueError):
            self.broken = True

    def isatty(self) -> bool:
        try:
            return not self.broken and self.stream.isatty()
        except (OSError, ValueError, AttributeError):
            return False


def run(main, errors: tuple = ()) -> int:
    """Run `main()` and turn its ending into an exit status: `errors` (and UsageError) become one
    error line and 2, Ctrl+C before any handler took it 130, a closed stdout a quiet end, and
    output lost to anything else (a full disk) one error line and 2 once the work is done."""
    _lost_output.clear()
    try:
        status = main()
    except (UsageError, *errors) as e:
        return fail(str(e))
    except KeyboardInterrupt:
        fail_quietly("interrupted")
        return INTERRUPTED_STATUS
    except BrokenPipeError:
        _silence(sys.stdout)
        return 0
    if _lost_output:
        return fail(f"could not write the output: {_lost_output[0]}")
    return status


def fail_quietly(message: str) -> None:
    """A line on stderr that is not an error (e.g. 'interrupted')."""
    if sys.stderr is None:
        return
    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
