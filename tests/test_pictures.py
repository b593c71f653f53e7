"""Picture files read as ink by one library (Pillow) in every mode; bombs, pipes, devices and
damaged files refused with a one-line reason, at once, printing nothing of their own."""

import os
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from basicnet import pictures
from basicnet.drawing import to_mnist
from basicnet.pictures import MAX_SIDE, PictureError, read_image
from conftest import ROOT


def _digit(shape=(200, 300)) -> np.ndarray:
    """Ink (H, W) in [0, 1]: a thick 7."""
    ink = np.zeros(shape, np.float32)
    h, w = shape
    ink[h // 5:h // 5 + h // 12, w // 4:3 * w // 4] = 1
    for y in range(h // 5, 4 * h // 5):
        x = 3 * w // 4 - (y - h // 5) * (w // 3) // (3 * h // 5)
        ink[y, max(x - w // 30, 0):x + w // 30] = 1
    return ink


def _paper(ink) -> np.ndarray:
    """Dark ink on white paper, uint8 RGB."""
    return np.repeat(((1 - ink) * 255).astype(np.uint8)[..., None], 3, axis=2)


def _close(a, b) -> bool:
    return np.abs(to_mnist(a) - to_mnist(b)).mean() < 0.03


def test_round_trip_and_errors(tmp_path):
    ink = _digit()
    Image.fromarray(_paper(ink)).save(tmp_path / "seven.png")
    got = read_image(tmp_path / "seven.png")
    assert got.shape == (200, 300) and got.dtype == np.float32
    assert 0 <= got.min() and got.max() <= 1 and _close(got, ink)
    (tmp_path / "junk.png").write_bytes(b"not a picture")
    with pytest.raises(PictureError, match="not a picture"):
        read_image(tmp_path / "junk.png")
    with pytest.raises(PictureError, match="^no such file$"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(PictureError, match="^is a folder, not a picture$"):
        read_image(tmp_path)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "CMYK", "I;16", "1", "LA"])
def test_every_mode_gives_the_same_ink(tmp_path, mode):
    """pygame loaded CMYK JPEGs as blank white: the digit must be there in every mode."""
    ink = _digit()
    rgb = Image.fromarray(_paper(ink))
    if mode == "I;16":
        im = Image.fromarray((255 * (1 - ink)).astype(np.uint16) * 257)
        assert im.mode == "I;16"
    else:
        im = rgb.convert(mode)
    path = tmp_path / ("digit.jpg" if mode == "CMYK" else "digit.png")
    im.save(path, **({"quality": 95} if mode == "CMYK" else {}))
    assert Image.open(path).mode == mode
    assert _close(read_image(path), ink)


def test_a_transparent_picture_uses_its_opaque_part(tmp_path):
    ink = _digit()
    rgba = np.zeros(ink.shape + (4,), np.uint8)
    rgba[..., 3] = (ink * 255).astype(np.uint8)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    Image.fromarray(rgba).convert("LA").save(tmp_path / "la.png")
    palette = Image.fromarray((ink > 0.5).astype(np.uint8), "P")  # 0: transparent, 1: ink
    palette.putpalette([255, 255, 255, 40, 40, 40])
    palette.save(tmp_path / "p.png", transparency=0)
    for name in ("p.png", "rgba.png", "la.png"):
        assert _close(read_image(tmp_path / name), ink)


def test_a_camera_rotation_is_followed(tmp_path):
    ink = _digit()
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show the picture rotated 90° clockwise
    Image.fromarray(_paper(np.rot90(ink))).save(tmp_path / "turned.jpg", exif=exif, quality=95)
    got = read_image(tmp_path / "turned.jpg")
    assert got.shape == ink.shape and _close(got, ink)


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width × height pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                                  0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(600), 9)) + chunk(b"IEND", b""))


def test_a_picture_bomb_is_refused_from_its_header(tmp_path):
    """A 661-byte PNG declaring 60000 × 60000 took 3.5 GB and 5.6 s before libpng gave up."""
    import tracemalloc

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_declaring(60000, 60000))
    assert bomb.stat().st_size < 1000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(PictureError, match="declares 3,600,000,000 pixels"):
            read_image(bomb)
        took, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert took < 1 and peak < 10_000_000


def test_a_picture_over_the_cap_is_refused_by_its_declared_size(tmp_path):
    (tmp_path / "big.png").write_bytes(_png_declaring(10000, 6000))
    with pytest.raises(PictureError, match="10,000 × 6,000 pixels; at most 50,000,000"):
        read_image(tmp_path / "big.png")


def test_a_big_photo_is_brought_down_early(tmp_path):
    """A 24-megapixel JPEG is decoded at a fraction of its size and kept at MAX_SIDE."""
    ink = _digit((400, 600))
    big = Image.fromarray(_paper(ink)).resize((6000, 4000), Image.NEAREST)
    big.save(tmp_path / "photo.jpg", quality=90)
    big.save(tmp_path / "photo.png")
    for name in ("photo.jpg", "photo.png"):
        got = read_image(tmp_path / name)
        assert max(got.shape) <= MAX_SIDE and got.shape[1] / got.shape[0] == pytest.approx(1.5,
                                                                                          0.01)
        assert _close(got, ink)


def test_a_truncated_picture_is_refused(tmp_path):
    Image.fromarray(_paper(_digit())).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    with pytest.raises(PictureError, match="not a readable picture"):
        read_image(tmp_path / "cut.png")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_device_is_refused_not_read(tmp_path):
    """Reading a FIFO waited for a writer forever; /dev/zero was 'no such file'."""
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-c", "import sys; from basicnet import pictures; "
                        "[pictures.read_image(p) for p in sys.argv[1:]]", str(fifo)],
                       capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert "is a named pipe (FIFO), not a picture" in r.stderr
    if os.path.exists("/dev/zero"):
        with pytest.raises(PictureError, match="^is a character device, not a picture$"):
            read_image("/dev/zero")


def test_a_name_that_is_not_utf8_is_read(tmp_path):
    name = os.fsdecode(os.fsencode(tmp_path) + b"/seven-\xe9.png")
    Image.fromarray(_paper(_digit())).save(name, format="PNG")
    assert read_image(name).shape == (200, 300)


def test_pillow_is_the_only_reader(tmp_path):
    """libpng's own warnings (through pygame) went to stderr; Pillow prints nothing."""
    Image.fromarray(_paper(_digit())).save(tmp_path / "ok.png")
    data = (tmp_path / "ok.png").read_bytes()
    at = data.index(b"IDAT") - 4
    body = b"x\x00\x00" + zlib.compress(b"not an ICC profile")
    iccp = struct.pack(">I", len(body)) + b"iCCP" + body + \
        struct.pack(">I", zlib.crc32(b"iCCP" + body))
    (tmp_path / "iccp.png").write_bytes(data[:at] + iccp + data[at:])
    r = subprocess.run([sys.executable, str(ROOT / "number_identifier_mnist.py"), "--predict",
                        str(tmp_path / "iccp.png")], capture_output=True, text=True, timeout=60,
                       cwd=ROOT)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "pygame" not in pictures.__dict__
