"""Reading a picture file (a scan or a photo of a written character) as ink, with Pillow.

One library for every picture: Pillow reads PNG, JPEG (CMYK ones too, which pygame loads as
blank white), BMP, GIF, TIFF, WebP, ... in every mode, prints nothing of its own, and tells a
picture's size from its header before decoding it. That is where a picture bomb is stopped:
a 661-byte PNG may declare 60000 × 60000 pixels, 3.6 billion of them. What passes is brought
down to at most MAX_SIDE pixels a side as early as the format allows (JPEGs decode straight
at 1/2, 1/4 or 1/8 size), which is far more than a 28 × 28 input needs.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from .drawing import ink_from_rgba
from .files import file_kind, open_to_read

MAX_PIXELS = 50_000_000   # a 50-megapixel photo; a larger picture of one character is a bomb
MAX_SIDE = 1024           # pixels a side kept for finding the ink; the network sees 28


class PictureError(ValueError):
    """A file that cannot be read as a picture; the message says why (not which file: the
    caller names it)."""


def read_image(path) -> np.ndarray:
    """Ink (H, W) float32 in [0, 1] from a picture file, dark on light or light on dark.
    Raises PictureError with a one-line reason when the file is not a readable picture."""
    from PIL import Image, UnidentifiedImageError

    with open_to_read(path, "a picture", PictureError, named=False) as f:
        try:
            with warnings.catch_warnings():
                # Pillow's own bomb warning: the size check below says it in our words
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im = Image.open(f)
                im.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode smaller, for free
                width, height = im.size
                if width * height > MAX_PIXELS:
                    raise PictureError(f"the picture declares {width:,} × {height:,} pixels; "
                                       f"at most {MAX_PIXELS:,} are read")
                if width * height == 0:
                    raise PictureError("the picture is empty")
                orientation = _orientation(im)
                im.load()
                im = _shrunk(im)
                pixels = _pixels(im)
        except PictureError:
            raise
        except UnidentifiedImageError:
            f.seek(0)
            kind = file_kind(f.read(12), path)
            if kind:  # a network or a log given where a picture belongs
                raise PictureError(f"{kind}, not a picture") from None
            raise PictureError("not a picture (PNG, JPEG, BMP, GIF, TIFF, WebP, ...) that can "
                               "be read") from None
        except Image.DecompressionBombError as e:  # Pillow's own, larger, limit
            count = re.search(r"\((\d+) pixels\)", str(e))
            raise PictureError(f"the picture declares {int(count[1]) if count else 0:,} pixels; "
                               f"at most {MAX_PIXELS:,} are read") from None
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as e:
            # Pillow's way of saying damaged, truncated or unsupported
            raise PictureError(f"not a readable picture ({e})") from None
    return ink_from_rgba(_oriented(pixels, orientation))


def _orientation(im) -> int:
    """The EXIF orientation a camera wrote (1: upright), read before decoding."""
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 (a damaged EXIF block only loses the rotation)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _oriented(a: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels turned the way the camera meant (EXIF orientations 1-8)."""
    if orientation in (2, 4, 5, 7):
        a = a[:, ::-1]
    if orientation in (3, 4):
        a = a[::-1, ::-1]
    elif orientation in (5, 6):
        a = np.rot90(a, -1)
    elif orientation in (7, 8):
        a = np.rot90(a, 1)
    return np.ascontiguousarray(a)


def _shrunk(im):
    """At most MAX_SIDE pixels a side: a whole-number box reduction first (cheap), then an
    antialiased resize."""
    side = max(im.size)
    if side <= MAX_SIDE:
        return im
    if im.mode not in ("1", "L", "LA", "RGB", "RGBA", "I", "I;16", "F", "CMYK", "YCbCr"):
        im = im.convert("RGBA" if _transparent(im) else "RGB")
    factor = side // MAX_SIDE
    if factor > 1:
        im = im.reduce(factor)
    if max(im.size) > MAX_SIDE:
        im.thumbnail((MAX_SIDE, MAX_SIDE))
    return im


def _transparent(im) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info


def _pixels(im) -> np.ndarray:
    """uint8 (H, W), (H, W, 3) or (H, W, 4) from any mode, as ink_from_rgba takes them."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16- and 32-bit greys
        a = np.nan_to_num(np.asarray(im, dtype=np.float64))
        lo, hi = float(a.min()), float(a.max())
        if im.mode.startswith("I;16"):
            lo, hi = 0.0, 65535.0
        return np.clip((a - lo) * (255 / max(hi - lo, 1e-12)), 0, 255).astype(np.uint8)
    if im.mode == "L":
        return np.asarray(im, dtype=np.uint8)
    return np.asarray(im.convert("RGBA" if _transparent(im) else "RGB"), dtype=np.uint8)
