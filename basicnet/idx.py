"""Strict reader and writer for IDX files (the MNIST/EMNIST format), raw or gzip-compressed.

Layout: two zero bytes, a dtype code, the number of dimensions d, then d big-endian uint32
sizes, then the values, big-endian, C order. Nothing else may follow.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
CODES = {np.dtype(v).newbyteorder("="): k for k, v in DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"


class IdxError(ValueError):
    """A file that is not a well-formed IDX file; the message names the file and the fault."""


def _read_bytes(path) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise IdxError(f"{path}: corrupt or truncated gzip data ({e})") from None


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array held by the IDX bytes `data`, in native byte order."""
    if len(data) < 4:
        raise IdxError(f"{name}: too short for an IDX header ({len(data)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise IdxError(f"{name}: bad magic number 0x{data[:4].hex()} (not an IDX file)")
    if code not in DTYPES:
        raise IdxError(f"{name}: unknown IDX dtype code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxError(f"{name}: header announces {ndim} dimensions but the file ends first")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(DTYPES[code])
    # Python ints: numpy's int64 product wraps round (65536**4 == 0) and would let a bogus
    # header pass the length check.
    expected = header + math.prod(shape) * dtype.itemsize
    if len(data) < expected:
        raise IdxError(f"{name}: truncated: shape {shape} needs {expected} bytes, "
                       f"file has {len(data)}")
    if len(data) > expected:
        raise IdxError(f"{name}: {len(data) - expected} unexpected trailing bytes after "
                       f"shape {shape}")
    try:
        array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    except ValueError:  # no values, but sides numpy cannot describe, e.g. (0, 2³¹, 2³¹)
        raise IdxError(f"{name}: shape {shape} is too large for an array") from None
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def read_idx(path) -> np.ndarray:
    """Read an IDX file, raw or .gz (detected by content, not by name)."""
    return parse_idx(_read_bytes(path), os.fspath(path))


def write_idx(path, array: np.ndarray) -> None:
    """Write `array` as IDX; gzip-compressed when the path ends in .gz."""
    array = np.asarray(array)
    code = CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX has no dtype code for {array.dtype}")
    data = (struct.pack(">HBB", 0, code, array.ndim)
            + struct.pack(f">{array.ndim}I", *array.shape)
            + np.ascontiguousarray(array, DTYPES[code]).tobytes())
    if os.fspath(path).endswith(".gz"):
        data = gzip.compress(data, compresslevel=6)
    with open(path, "wb") as f:
        f.write(data)
