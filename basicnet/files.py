"""Opening a user's file with a one-line reason when it cannot be, and writing a file so that a
crash, a full disk, a signal or Ctrl+C never leaves half of it, a stray temporary file, or a
replaced file behind."""

from __future__ import annotations

import errno
import os
import secrets
import signal
import stat
from contextlib import contextmanager

from .stopping import handling_stop_signals

# Why os.link may fail on a folder that can hold files: the file system has no hard links
# (FAT, some network and FUSE file systems).
_NO_LINKS = {getattr(errno, n) for n in ("EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK")
             if hasattr(errno, n)}


@contextmanager
def signals_deferred():
    """Run the block with SIGINT, SIGTERM and SIGHUP held back: one that arrives meanwhile is
    noted, and once the block is done (and the previous handlers are back) it is raised again,
    so it acts as it would have, only later.

    Python handlers rather than `signal.pthread_sigmask`: the mask is per thread, and BLAS or
    tqdm threads that do not block a signal receive it for the whole process; Python then runs
    its handler in the main thread anyway."""
    pending: list[int] = []
    try:
        with handling_stop_signals(lambda signum, frame: pending.append(signum)):
            yield
    finally:  # also when the block failed: the signal still acts
        for s in dict.fromkeys(pending):
            signal.raise_signal(s)


@contextmanager
def atomic_write(path, overwrite: bool = False):
    """Yield a binary file to write `path`'s new content into. It is a temporary file
    (`.saving-*.tmp`) in the same folder that becomes `path` only once everything is written
    and synced, so `path` holds either its old content or the new one; on any failure the
    temporary file is removed and `path` is untouched.

    Without `overwrite`, a file that exists at `path` when the new one is ready (even one that
    appeared while it was written) is never replaced: FileExistsError. SIGINT, SIGTERM and
    SIGHUP wait until the write is over (see `signals_deferred`): a save, once begun, ends."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    with signals_deferred():
        tmp = os.path.join(folder, f".saving-{secrets.token_hex(6)}.tmp")
        # os.open rather than mkstemp: mkstemp makes the file 0600, which the rename would
        # keep; 0666 here lets the umask decide, as for any file the user writes.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(tmp, flags, 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            _publish(tmp, path, overwrite)
        finally:
            try:
                os.remove(tmp)  # still there after a failure, or as the link's other name
            except FileNotFoundError:
                pass


def _publish(tmp: str, path: str, overwrite: bool) -> None:
    """Give the finished temporary file its name."""
    if overwrite:
        kind = _not_a_file(path)
        if kind:  # a pipe or a device in its place: not a file to replace
            raise OSError(errno.EEXIST, f"it is {kind}, not a file", path)
        os.replace(tmp, path)
    else:
        try:
            os.link(tmp, path)  # fails when `path` exists, at this very moment
        except FileExistsError:
            raise FileExistsError(errno.EEXIST, "the file exists", path) from None
        except (AttributeError, NotImplementedError):
            _claim_and_replace(tmp, path)
        except OSError as e:
            if e.errno not in _NO_LINKS:
                raise
            _claim_and_replace(tmp, path)
    _sync_folder(path)


def _claim_and_replace(tmp: str, path: str) -> None:
    """Without hard links: take the name with an exclusive create, then rename over the empty
    file just made (a crash in between leaves that empty file, never a lost one)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "the file exists", path) from None
    os.replace(tmp, path)


def _sync_folder(path: str) -> None:
    """Make the new name itself survive a power cut (where folders can be synced)."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# The first bytes of the picture formats people have: a picture given where a network or a log
# belongs is named as one, not reported as a damaged file.
PICTURE_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP",
                 b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}


def picture_kind(head: bytes) -> str | None:
    """'PNG', 'JPEG', ... when `head` (a file's first 12 bytes) starts a picture, else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in PICTURE_MAGIC.items() if head.startswith(magic)), None)


def file_kind(head: bytes, name="") -> str | None:
    """What a file is, in words, from its first 12 bytes (and its name, for a zip), for the
    kinds this project reads: a picture, a network file (a zip named .npz), a training log
    (CSV); None for anything else. A file given where another kind belongs is named as what it
    is, not as a damaged one."""
    picture = picture_kind(head)
    if picture:
        return f"a picture ({picture})"
    if head.startswith(b"PK\x03\x04"):
        return ("a network file (.npz)" if os.fspath(name).lower().endswith(".npz")
                else "a zip archive")
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"epoch,"):
        return "a training log (.csv)"
    return None


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, words in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "not a regular file"


def _not_a_file(path) -> str | None:
    """What stands at `path` in words when it exists and is no regular file, else None."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return None if stat.S_ISREG(mode) else kind_of(mode)


def check_output(path, overwrite: bool, flag: str, error: type[Exception],
                 suffix: str | None = None) -> None:
    """Refuse, before any work, an output path that cannot take a new file: a folder, a pipe or
    a device (writing into a pipe waits for a reader; --overwrite cannot make it a file), a
    file that exists when `overwrite` is not given, or a name that does not end in `suffix`
    (a network saved as `net.png` would be taken for a picture by every reader). `error`
    carries the one line, naming `flag` and the path."""
    if suffix and not os.fspath(path).lower().endswith(suffix):
        raise error(f"{flag} {os.fspath(path)}: the name must end in {suffix}")
    kind = _not_a_file(path)
    if kind:
        raise error(f"{flag} {os.fspath(path)}: is {kind}; give a file name")
    if os.path.lexists(path) and not overwrite:
        raise error(f"{flag} {os.fspath(path)}: the file exists; choose another name or add "
                    f"--overwrite")


def open_to_read(path, what: str, error: type[Exception], named: bool = True):
    """`path` opened for reading (binary), or `error` with one line naming the file and why not:
    missing, a folder, a pipe or a device (not `what`: reading those can block forever or never
    end), or unreadable. Without `named` the message leaves the file's name to the caller."""
    name = os.fspath(path) if named else ""
    sep = ": " if named else ""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        mode = os.stat(path).st_mode  # look first: opening a device can have effects
        # O_NONBLOCK: if a pipe took the file's place since, opening it must not wait for a
        # writer; fstat then tells what was really opened
        fd = os.open(path, flags) if stat.S_ISREG(mode) else None
    except FileNotFoundError:
        raise error(f"{name}{sep}no such file") from None
    except NotADirectoryError:
        raise error(f"{name}{sep}no such file (a part of the path is not a folder)") from None
    except (ValueError, UnicodeError):  # a NUL in the name, or one the system cannot take
        raise error(f"{name}{sep}not a usable file name") from None
    except OSError as e:
        raise error(f"{name}{sep}cannot read it ({e.strerror or e})") from None
    if fd is None:
        raise error(f"{name}{sep}is {kind_of(mode)}, not {what}")
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(f"{name}{sep}is {kind_of(mode)}, not {what}")
        try:
            os.set_blocking(fd, True)
        except (AttributeError, OSError):  # not every system can say so of a regular file
            pass
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
