"""Strict reader and writer for IDX files (the MNIST/EMNIST format), raw or gzip-compressed.

Layout: two zero bytes, a dtype code, the number of dimensions d, then d big-endian uint32
sizes, then the values, big-endian, C order. Nothing else may follow.
"""

from __future__ import annotations

import gzip
import itertools
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


READ_CHUNK = 1 << 20     # compressed bytes read at a time
INFLATE_CHUNK = 1 << 20  # most decompressed bytes produced at a time (bounds zip bombs too)


def content_chunks(path):
    """The content of a raw or gzip file (gzip told by its magic bytes, not its name), a few
    MB at a time, so a 547 MB file never sits in memory as one bytes object."""
    with open(path, "rb") as f:
        if f.read(2) != GZIP_MAGIC:
            f.seek(0)
            while chunk := f.read(READ_CHUNK):
                yield chunk
            return
        f.seek(0)
        inflate = None
        try:
            while data := f.read(READ_CHUNK):
                while data:
                    if inflate is None:  # start of a gzip member (a .gz may hold several)
                        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    yield inflate.decompress(data, INFLATE_CHUNK)
                    if inflate.eof:
                        data, inflate = inflate.unused_data, None
                    else:
                        data = inflate.unconsumed_tail
        except zlib.error as e:
            raise IdxError(f"{path}: corrupt gzip data ({e})") from None
        if inflate is not None:
            raise IdxError(f"{path}: truncated gzip data (the file ends mid-stream)")


def _assemble(chunks, name: str) -> np.ndarray:
    """The array held by IDX content arriving as `chunks` of bytes, in native byte order.
    The values are copied straight into the final array: the content is never held twice."""
    chunks = iter(chunks)
    head = bytearray()
    for chunk in chunks:
        head += chunk
        if len(head) >= 4 and len(head) >= 4 + 4 * head[3]:
            break
    if len(head) < 4:
        raise IdxError(f"{name}: too short for an IDX header ({len(head)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", head[:4])
    if zero != 0:
        raise IdxError(f"{name}: bad magic number 0x{bytes(head[:4]).hex()} (not an IDX file)")
    if code not in DTYPES:
        raise IdxError(f"{name}: unknown IDX dtype code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(head) < header:
        raise IdxError(f"{name}: header announces {ndim} dimensions but the file ends first")
    shape = struct.unpack(f">{ndim}I", head[4:header])
    dtype = np.dtype(DTYPES[code])
    # Python ints: numpy's int64 product wraps round (65536**4 == 0) and would let a bogus
    # header pass the length check.
    size = math.prod(shape) * dtype.itemsize
    try:
        out = np.empty(size, np.uint8)
    except (MemoryError, ValueError):  # a bogus header: the file cannot hold that much either
        have = len(head) - header + sum(len(rest) for rest in chunks)
        raise IdxError(f"{name}: truncated: shape {shape} needs {header + size} bytes, "
                       f"file has {header + have}") from None
    pos = 0
    for piece in itertools.chain([memoryview(head)[header:]], chunks):
        end = pos + len(piece)
        if end > size:
            extra = end - size + sum(len(rest) for rest in chunks)
            raise IdxError(f"{name}: {extra} unexpected trailing bytes after shape {shape}")
        out[pos:end] = np.frombuffer(piece, np.uint8)
        pos = end
    if pos < size:
        raise IdxError(f"{name}: truncated: shape {shape} needs {header + size} bytes, "
                       f"file has {header + pos}")
    try:
        array = out.view(dtype).reshape(shape)
    except ValueError:  # no values, but sides numpy cannot describe, e.g. (0, 2³¹, 2³¹)
        raise IdxError(f"{name}: shape {shape} is too large for an array") from None
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array held by the IDX bytes `data`, in native byte order."""
    return _assemble([data], name)


def read_idx(path) -> np.ndarray:
    """Read an IDX file, raw or .gz (detected by content, not by name), decompressing
    straight into the array."""
    return _assemble(content_chunks(path), os.fspath(path))


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
