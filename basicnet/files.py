"""Opening a user's file with a one-line reason when it cannot be, and writing a file so that a
crash, a full disk or Ctrl+C never leaves half of it behind."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager


@contextmanager
def atomic_write(path):
    """Yield a binary file to write `path`'s new content into. It is a temporary file in the
    same folder, renamed over `path` (os.replace) only once everything is written and synced,
    so `path` holds either its old content or the new one; on any failure the temporary file
    is removed and `path` is untouched."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".saving-{secrets.token_hex(6)}.tmp")
    # os.open rather than mkstemp: mkstemp makes the file 0600, which the rename would keep;
    # 0666 here lets the umask decide, as for any file the user writes.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def open_to_read(path, what: str, error: type[Exception]):
    """`path` opened for reading (binary), or `error` with one line naming the file and why not:
    missing, a folder (not `what`), or unreadable."""
    name = os.fspath(path)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise error(f"{name}: no such file") from None
    except IsADirectoryError:
        raise error(f"{name}: is a folder, not {what}") from None
    except OSError as e:
        raise error(f"{name}: cannot read it ({e.strerror or e})") from None
