"""The IDX reader is strict and names what is wrong; the writer produces what the reader (and
every other IDX reader) expects."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basicnet.idx import DTYPES, IdxError, parse_idx, read_idx, write_idx

SHAPES = {1: (7,), 2: (3, 5), 3: (4, 28, 28), 4: (2, 3, 1, 5)}


def _values(dtype: np.dtype, shape, rng) -> np.ndarray:
    """Values that fill the dtype's whole range, ends included."""
    dtype = np.dtype(dtype).newbyteorder("=")
    n = int(np.prod(shape))
    if dtype.kind == "f":
        info = np.finfo(dtype)
        v = rng.normal(0, 1e3, n).astype(dtype)
        v[:4] = [info.max, info.min, info.tiny, -0.0][: len(v[:4])]
    else:
        info = np.iinfo(dtype)
        v = rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)
        v[:2] = [info.min, info.max][: len(v[:2])]
    return v.reshape(shape)


def _idx_bytes(code: int, shape, payload: bytes) -> bytes:
    return struct.pack(">HBB", 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape) \
        + payload


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("rank", sorted(SHAPES))
@pytest.mark.parametrize("code", sorted(DTYPES), ids=lambda c: f"0x{c:02x}")
def test_round_trip_every_dtype_and_rank(tmp_path, code, rank, gz):
    rng = np.random.default_rng(code * 10 + rank)
    array = _values(DTYPES[code], SHAPES[rank], rng)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(path, array)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == gz
    data = gzip.decompress(raw) if gz else raw
    # the header the format defines: 0, 0, dtype code, rank, then big-endian sizes
    assert data[:4] == bytes([0, 0, code, rank])
    assert struct.unpack(f">{rank}I", data[4:4 + 4 * rank]) == SHAPES[rank]
    back = read_idx(path)
    assert back.shape == array.shape and back.dtype == array.dtype
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize("shape", [(), (0,), (0, 28, 28), (3, 0)])
def test_round_trip_empty_and_scalar(tmp_path, shape):
    array = np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape) + 9
    write_idx(tmp_path / "e.idx", array)
    back = read_idx(tmp_path / "e.idx")
    assert back.shape == shape
    np.testing.assert_array_equal(back, array)


def test_compression_is_detected_by_content_not_name(tmp_path):
    """A gzip file without .gz in its name, or a raw file with it, still reads."""
    array = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    write_idx(tmp_path / "a.gz", array)
    (tmp_path / "gz-without-suffix").write_bytes((tmp_path / "a.gz").read_bytes())
    write_idx(tmp_path / "raw", array)
    (tmp_path / "raw-with-suffix.gz").write_bytes((tmp_path / "raw").read_bytes())
    for name in ("gz-without-suffix", "raw-with-suffix.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), array)


def test_writer_refuses_dtypes_idx_cannot_hold(tmp_path):
    for dtype in (np.int64, np.uint16, np.complex64, np.bool_):
        with pytest.raises(ValueError, match="dtype"):
            write_idx(tmp_path / "x.idx", np.zeros(3, dtype))
    assert not (tmp_path / "x.idx").exists()


def test_reads_the_real_mnist_labels(mnist_dir):
    labels = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(labels).tolist()[:3] == [980, 1135, 1032]


# --- malformed files: IdxError naming the file and the fault -----------------------------------

GOOD = _idx_bytes(0x08, (2, 3, 4), bytes(range(24)))


def _corrupt_gzip(data: bytes) -> bytes:
    gz = bytearray(gzip.compress(data))
    for i in range(12, len(gz) - 8):  # the deflate stream, between header and trailer
        gz[i] ^= 0xFF
    return bytes(gz)


MALFORMED = {
    "empty": (b"", "too short"),
    "bad magic": (b"\x01\x02" + GOOD[2:], "bad magic"),
    "text file": (b"hello, world\n" * 4, "bad magic"),
    "unknown dtype code": (b"\x00\x00\x07\x03" + GOOD[4:], "unknown IDX dtype code 0x07"),
    "header cut short": (GOOD[:10], "header"),
    "truncated payload": (GOOD[:-1], "truncated"),
    "trailing bytes": (GOOD + b"\x00\x00", "2 unexpected trailing bytes"),
    "wrong shape for payload": (_idx_bytes(0x08, (2, 3, 5), bytes(24)), "truncated"),
    "corrupt gzip": (_corrupt_gzip(GOOD), "gzip"),
    "truncated gzip": (gzip.compress(GOOD)[:-10], "gzip"),
    "gzip cut inside the header": (gzip.compress(GOOD)[:6], "gzip"),
    "gzip holding a truncated IDX": (gzip.compress(GOOD[:-5]), "truncated"),
    "gzip holding garbage": (gzip.compress(b"PK\x03\x04 not idx"), "bad magic"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_raises_idx_error_naming_file_and_fault(tmp_path, case):
    data, fault = MALFORMED[case]
    path = tmp_path / "sub dir" / "train-images-idx3-ubyte.gz"
    path.parent.mkdir()
    path.write_bytes(data)
    with pytest.raises(IdxError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert fault in message
    assert "\n" not in message


def test_idx_error_is_a_value_error():
    """Callers that catch ValueError for bad input keep working."""
    assert issubclass(IdxError, ValueError)


def test_absurd_dimensions_do_not_wrap_round():
    """65536**4 overflows int64 to 0; the reader must still see that the payload is missing."""
    with pytest.raises(IdxError, match="truncated"):
        parse_idx(_idx_bytes(0x08, (65536,) * 4, b""), "x")
    with pytest.raises(IdxError, match="truncated"):
        parse_idx(_idx_bytes(0x0E, (2 ** 32 - 1,) * 3, bytes(8)), "x")
    # no values at all, yet numpy cannot even describe an array of that shape
    with pytest.raises(IdxError, match="too large"):
        parse_idx(_idx_bytes(0x08, (0, 3, 1753380096, 1753446017), b""), "x")


# --- fuzzing: any bytes either parse or raise IdxError, never anything else -------------------

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("idx-fuzz") / "fuzz.idx"


def _check(path: Path, data: bytes):
    """Parse `data` from a file; if it parses, writing it back must give the same bytes."""
    path.write_bytes(data)
    try:
        array = read_idx(path)
    except IdxError as e:
        assert str(path) in str(e)
        return
    assert isinstance(array, np.ndarray)
    write_idx(path, array)
    plain = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    assert path.read_bytes() == plain


@FUZZ
@given(st.binary(max_size=80))
def test_fuzz_arbitrary_bytes(scratch, data):
    _check(scratch, data)
    _check(scratch, gzip.compress(data))


headers = st.builds(
    lambda code, shape, payload: _idx_bytes(code, shape, payload),
    st.one_of(st.sampled_from(sorted(DTYPES)), st.integers(0, 255)),
    st.lists(st.one_of(st.integers(0, 4), st.integers(0, 2 ** 32 - 1),
                       st.sampled_from([2 ** 16, 2 ** 31, 2 ** 32 - 1])), max_size=6),
    st.binary(max_size=48))


@FUZZ
@given(headers)
def test_fuzz_plausible_headers(scratch, data):
    _check(scratch, data)


@FUZZ
@given(st.sampled_from(["raw", "gz"]), st.data())
def test_fuzz_mutations_of_a_valid_file(scratch, kind, draw):
    base = _idx_bytes(0x0B, (3, 2, 2), np.arange(12, dtype=">i2").tobytes())
    data = bytearray(gzip.compress(base) if kind == "gz" else base)
    for _ in range(draw.draw(st.integers(1, 4))):
        op = draw.draw(st.sampled_from(["flip", "cut", "append", "insert", "delete"]))
        pos = draw.draw(st.integers(0, len(data)))
        if op == "flip" and pos < len(data):
            data[pos] ^= draw.draw(st.integers(1, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "append":
            data += draw.draw(st.binary(min_size=1, max_size=8))
        elif op == "insert":
            data[pos:pos] = draw.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[pos:pos + draw.draw(st.integers(1, 4))]
    _check(scratch, bytes(data))
