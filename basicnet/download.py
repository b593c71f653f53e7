"""Fetching files over HTTP(S) so that a failed download never looks like a finished one.

Every byte goes to `<name>.part` first; only when the whole file is there and its md5 matches
is it renamed to `<name>`. A `.part` left by a dropped connection is resumed with an HTTP Range
request the next time, which matters for EMNIST's 536 MB zip. Extraction from a zip follows the
same rule and refuses any member whose name would put it outside the target folder.

Nothing here knows about datasets: `datasets.py` says which files, from where, with which md5.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import socket
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .cli import ProgressStream
from .idx import GZIP_MAGIC, IdxError, content_chunks

CHUNK = 1 << 16
TIMEOUT_S = 30        # per socket operation, not per file: slow links still finish
ATTEMPTS = 4          # per URL, as long as each attempt gets further than the one before
USER_AGENT = "basic-neural-net (python urllib)"


class DownloadError(OSError):
    """A file that could not be fetched or verified; `offline` when no server answered at all."""

    def __init__(self, message: str, offline: bool = False, reason: str = ""):
        super().__init__(message)
        self.offline = offline
        self.reason = reason or message  # the first failure, without the addresses

    def __str__(self) -> str:
        return self.args[0]


class _Dropped(Exception):
    """The connection ended before the whole file came; the .part keeps what did."""


def md5_of(path, gunzip: bool = False) -> str:
    """md5 of a file's bytes, or of its decompressed content when `gunzip`."""
    h = hashlib.md5()
    if gunzip:
        for chunk in content_chunks(path):
            h.update(chunk)
        return h.hexdigest()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def verify(path, md5s) -> bool:
    """True when the file's md5, or (for gzip files) its decompressed content's md5, is one
    of `md5s`. The decompressed check lets a mirror recompress a file without breaking it."""
    md5s = {m.lower() for m in md5s}
    if not md5s or md5_of(path) in md5s:
        return True
    with open(path, "rb") as f:
        if f.read(2) != GZIP_MAGIC:
            return False
    try:
        return md5_of(path, gunzip=True) in md5s
    except IdxError:  # a damaged gzip
        return False


def _connection_failed(e: BaseException) -> bool:
    """True for faults that mean no server answered: no network, no DNS, refused, timed out
    (not for a server that answered badly, nor for certificate trouble)."""
    reason = e.reason if isinstance(e, urllib.error.URLError) else e
    return isinstance(reason, (ConnectionError, socket.gaierror, TimeoutError)) or (
        isinstance(reason, OSError) and reason.errno in _NO_ROUTE)


_NO_ROUTE = {getattr(errno, n) for n in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN",
                                         "EADDRNOTAVAIL") if hasattr(errno, n)}


def _open(url: str, offset: int):
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S)


def _progress(name: str, total: int | None, initial: int):
    """A tqdm bar with size, speed and time left, shown on terminals only."""
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=name, unit="B", unit_scale=True,
                unit_divisor=1024, disable=None, mininterval=0.5, leave=False,
                file=ProgressStream())  # a closed stderr must not end the download


def _transfer(url: str, part: Path, name: str) -> None:
    """One request: continue `part` from its current size (or start it) until the server
    says the file is complete. Raises _Dropped when the connection ends early."""
    offset = part.stat().st_size if part.exists() else 0
    try:
        resp = _open(url, offset)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # nothing after offset: the .part may already be whole
            return
        raise
    with resp:
        if offset and resp.status != 206:  # server ignored Range: start over
            offset = 0
        elif offset:
            m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != offset:
                resp.close()
                part.unlink()
                return _transfer(url, part, name)
        length = resp.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        with open(part, "r+b" if offset else "wb") as f, _progress(name, total, offset) as bar:
            f.seek(offset)
            got = offset
            while True:
                try:
                    chunk = resp.read(CHUNK)
                except (http.client.HTTPException, OSError) as e:  # disk errors stay errors
                    raise _Dropped(f"connection dropped after {got:,} bytes ({e})") from None
                if not chunk:
                    break
                f.write(chunk)
                got += len(chunk)
                bar.update(len(chunk))
            if total is not None and got < total:
                raise _Dropped(f"connection dropped after {got:,} of {total:,} bytes")


def _attempts(url: str, part: Path, name: str, say) -> None:
    """Transfer `url` into `part`, resuming after dropped connections as long as each
    attempt gets further than the one before."""
    best = -1
    for _ in range(ATTEMPTS):
        try:
            return _transfer(url, part, name)
        except _Dropped as e:
            size = part.stat().st_size if part.exists() else 0
            if size <= best:
                raise
            best = size
            say(f"  {e}; resuming")
    raise _Dropped("the connection kept dropping")


def fetch(urls, dest, md5s=(), say=print) -> Path:
    """Download `dest` from the first of `urls` that gives a file with an accepted md5.

    A mirror that fails (HTTP error, dropped connection it cannot recover from, wrong md5) is
    skipped for the next. Raises DownloadError naming every failure; no file called `dest`
    exists unless it was verified, and a bad `.part` is removed.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures, offline = [], True
    for url in urls:
        resumed = part.exists()
        say(f"downloading {dest.name} from {url}"
            + (f" (resuming after {part.stat().st_size:,} bytes)" if resumed else ""))
        try:
            _attempts(url, part, dest.name, say)
            verified = verify(part, md5s)
            if resumed and not verified:
                # the bytes kept from before may come from another mirror's copy: start over
                part.unlink()
                _attempts(url, part, dest.name, say)
                verified = verify(part, md5s)
        except _Dropped as e:
            offline = False
            failures.append(f"{url}: {e}")
            continue  # keep the .part: the next mirror or the next run resumes it
        except urllib.error.HTTPError as e:
            offline = False
            failures.append(f"{url}: HTTP {e.code} {e.reason}")
            continue
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError,
                TimeoutError) as e:
            reason = getattr(e, "reason", e)
            failures.append(f"{url}: {getattr(reason, 'strerror', None) or reason}")
            offline &= _connection_failed(e)
            continue
        except OSError as e:  # our side: disk full, no permission; no mirror helps with that
            raise DownloadError(f"cannot write {part}: {e.strerror or e}") from None
        offline = False
        if verified:
            os.replace(part, dest)
            return dest
        part.unlink()
        failures.append(f"{url}: md5 mismatch (expected {' or '.join(sorted(md5s))}); "
                        f"the download was deleted")
    raise DownloadError(f"could not download {dest.name}: " + "; ".join(failures), offline,
                        failures[0].split(": ", 1)[-1] if failures else "")


def _safe_member(name: str) -> bool:
    """A member name that stays inside the folder it is extracted to."""
    p = PurePosixPath(name.replace("\\", "/"))
    return bool(name) and not p.is_absolute() and ".." not in p.parts and ":" not in p.parts[0]


def extract(zip_path, wanted, target, say=print) -> list[Path]:
    """Extract the members of `zip_path` whose file names are in `wanted` into `target`
    (flat: `target/<file name>`), each via a `.part` renamed once its CRC checked out.

    Raises DownloadError for a damaged zip, a wanted file it lacks, or a member whose name
    would land outside `target` (such as `../x` or `/etc/x`); nothing is written for those.
    """
    target = Path(target)
    try:
        with zipfile.ZipFile(zip_path) as z:
            members = {}
            for info in z.infolist():
                base = PurePosixPath(info.filename.replace("\\", "/")).name
                if base in wanted and not info.is_dir():
                    if not _safe_member(info.filename):
                        raise DownloadError(f"{zip_path}: refusing member {info.filename!r}: "
                                            f"it would land outside {target}")
                    members[base] = info
            missing = [w for w in wanted if w not in members]
            if missing:
                raise DownloadError(f"{zip_path} lacks {', '.join(missing)}")
            done = []
            for base in wanted:
                dest = target / base
                if dest.resolve().parent != target.resolve():
                    raise DownloadError(f"refusing to write {dest}: outside {target}")
                part = dest.with_name(base + ".part")
                say(f"extracting {base} into {target}")
                try:
                    with z.open(members[base]) as src, open(part, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)  # zipfile checks the CRC at EOF
                except BaseException:
                    part.unlink(missing_ok=True)
                    raise
                os.replace(part, dest)
                done.append(dest)
            return done
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise DownloadError(f"{zip_path}: damaged zip ({e}); delete it to download it again") \
            from None

