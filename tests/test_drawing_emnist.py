"""EMNIST-style preparation: a drawing reaches an EMNIST network framed as EMNIST's characters
were (Cohen et al. 2017, fig. 1), checked step by step against a reference computed directly."""

import ast
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from basicnet import drawing
from basicnet.drawing import (
    EMNIST_STROKE_RANGE,
    NIST_BORDER,
    NIST_SIDE,
    default_preparation,
    prepare,
    to_emnist,
    to_mnist,
)

FULL = 28 * (NIST_SIDE - 2 * NIST_BORDER) / NIST_SIDE  # a box's longer side: 27.125 px
FRAME_CENTRE = 14.0  # the middle of the 28-px frame, pixel i spanning [i, i + 1]


def lopsided_p() -> np.ndarray:
    """A binary 'P' at NIST's scale, already framed as EMNIST frames it: its box is 124 px
    tall, 2 px from the top and bottom, centred across. A thin stem and a solid bowl put its
    mass far up and right of its box's centre, so the two ways of centring disagree."""
    scan = np.zeros((NIST_SIDE, NIST_SIDE), np.float32)
    scan[2:126, 36:48] = 1     # the stem
    scan[2:62, 48:92] = 1      # the bowl: the box spans columns 36..92, centred in 128
    return scan


def reference(scan: np.ndarray, blur: bool = True) -> np.ndarray:
    """EMNIST's last steps on a framed 128-px scan, computed independently: a Gaussian of
    σ = 1 by direct convolution (blank beyond the edge), Pillow's bicubic down to 28×28,
    negative undershoot cut, stretched to a maximum of 1."""
    out = scan.astype(np.float64)
    if blur:
        taps = np.exp(-0.5 * np.arange(-4, 5) ** 2)
        taps /= taps.sum()
        for axis in (0, 1):
            padded = np.pad(out, [(4, 4) if a == axis else (0, 0) for a in (0, 1)])
            out = sum(t * np.take(padded, np.arange(k, k + NIST_SIDE), axis=axis)
                      for k, t in enumerate(taps))
    small = Image.fromarray(out.astype(np.float32), "F").resize((28, 28),
                                                                Image.Resampling.BICUBIC)
    small = np.clip(np.asarray(small, np.float64), 0, None)
    return small / small.max()


def half_max_span(image: np.ndarray, axis: int) -> tuple[float, float]:
    """Where the ink's profile along `axis` (the strongest pixel across it) first and last
    crosses 0.5, interpolated between pixel centres: the box's edges, in pixels (pixel i
    spans [i, i + 1]; beyond the frame is background)."""
    profile = np.pad(image.max(axis=1 - axis), 1)  # profile[k] is pixel k - 1
    inside = np.flatnonzero(profile >= 0.5)
    i, j = inside[0], inside[-1]
    lo = i - 0.5 - (profile[i] - 0.5) / (profile[i] - profile[i - 1])
    hi = j - 0.5 + (profile[j] - 0.5) / (profile[j] - profile[j + 1])
    return lo, hi


def draw(points, at, size, radius, canvas=(448, 448)) -> np.ndarray:
    ink = np.zeros(canvas, np.float32)
    pts = [(at[0] + x * size, at[1] + y * size) for x, y in points]
    for p0, p1 in zip(pts[:-1], pts[1:]):
        drawing.stroke(ink, p0, p1, radius)
    return ink


K = [(0.0, 0.0), (0.0, 1.4), (0.0, 0.8), (0.8, 0.0), (0.25, 0.6), (0.8, 1.4)]  # a 'K'


def test_matches_the_published_steps_computed_directly():
    scan = lopsided_p()
    out = to_emnist(scan, normalise_width=False)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert np.abs(out - reference(scan)).max() < 1e-5
    # the blur is really there: without it the picture is measurably different
    assert np.abs(out - reference(scan, blur=False)).max() > 0.02


@pytest.mark.parametrize("where", ["moved and enlarged", "thrice the size"])
def test_any_size_and_place_gives_the_same_frame(where):
    scan = lopsided_p()[2:126, 36:92]  # just the ink
    if where == "moved and enlarged":
        ink = np.zeros((700, 500), np.float32)
        ink[301:301 + 124, 17:17 + 56] = scan
    else:
        ink = np.kron(scan, np.ones((3, 3), np.float32))
    assert np.abs(to_emnist(ink, normalise_width=False) - reference(lopsided_p())).max() < 1e-5


def test_centred_by_its_box_not_its_mass():
    out = to_emnist(lopsided_p(), normalise_width=False)
    for axis in (0, 1):
        lo, hi = half_max_span(out, axis)
        assert (lo + hi) / 2 == pytest.approx(FRAME_CENTRE, abs=0.15)
    cy, cx = drawing.centre_of_mass(out)
    # the mass sits well above the middle (a pixel's index + 0.5 is its position)
    assert np.hypot(cy + 0.5 - FRAME_CENTRE, cx + 0.5 - FRAME_CENTRE) > 4
    # MNIST's way would have centred the mass instead
    my, mx = drawing.centre_of_mass(to_mnist(lopsided_p(), normalise_width=False))
    assert abs(my - 14) < 0.6 and abs(mx - 14) < 0.6


@pytest.mark.parametrize("shape", [(300, 150), (90, 180), (40, 40)])
def test_the_longer_side_fills_the_frame_and_the_aspect_ratio_is_kept(shape):
    h, w = shape
    ink = np.zeros((448, 448), np.float32)
    ink[100:100 + h, 200:200 + w] = 1  # a solid block, anywhere
    out = to_emnist(ink, normalise_width=False)
    lo_y, hi_y = half_max_span(out, 0)
    lo_x, hi_x = half_max_span(out, 1)
    # (the half-maximum overshoots a little where the edge pixel has no neighbour outside)
    assert max(hi_y - lo_y, hi_x - lo_x) == pytest.approx(FULL, abs=0.25)
    assert (hi_y - lo_y) / (hi_x - lo_x) == pytest.approx(h / w, rel=0.02)
    assert (lo_y + hi_y) / 2 == pytest.approx(FRAME_CENTRE, abs=0.1)
    assert (lo_x + hi_x) / 2 == pytest.approx(FRAME_CENTRE, abs=0.1)


def test_a_drawn_letter_fills_the_frame_wherever_and_however_large():
    small = to_emnist(draw(K, at=(20, 300), size=80, radius=5))
    large = to_emnist(draw(K, at=(60, 20), size=290, radius=18))
    for out in (small, large):
        (top, bottom), (left, right) = half_max_span(out, 0), half_max_span(out, 1)
        assert bottom - top == pytest.approx(FULL, abs=0.6)  # round pen ends lose a little
        assert (left + right) / 2 == pytest.approx(FRAME_CENTRE, abs=0.5)
    assert np.abs(small - large).max() < 0.25


def test_edges_are_soft_not_hard():
    out = to_emnist(lopsided_p(), normalise_width=False)
    steps = np.concatenate([np.abs(np.diff(out, axis=0)).ravel(),
                            np.abs(np.diff(out, axis=1)).ravel()])
    assert steps.max() < 0.8  # no pixel jumps from background to full ink
    assert ((out > 0.05) & (out < 0.95)).sum() > 20  # a fringe of grey all round


def test_stretched_to_0_1_with_a_blank_background():
    ink = np.zeros((300, 300), np.uint8)
    ink[20:280, 140:160] = 70  # a faint, narrow bar, as uint8
    out = to_emnist(ink, normalise_width=False)
    assert out.max() == 1.0 and out.min() == 0.0
    # far from the bar (more than the bicubic's reach), exactly nothing
    assert not out[:, :9].any() and not out[:, 19:].any()


def test_a_blank_input_gives_zeros():
    for blank in (np.zeros((448, 448), np.float32), np.zeros((5, 7), np.uint8)):
        out = to_emnist(blank)
        assert out.shape == (28, 28) and out.dtype == np.float32 and not out.any()


def test_refuses_what_is_not_a_picture():
    with pytest.raises(ValueError, match="2-D"):
        to_emnist(np.zeros(10))


def relative_width(image: np.ndarray) -> float:
    """Stroke width over the box's longer side, measured as EMNIST_STROKE_RANGE was: on the
    image enlarged 16× (bilinear)."""
    t = (np.arange(28 * 16) + 0.5) / 16 - 0.5
    up = np.clip(1 - np.abs(t[:, None] - np.arange(28)[None, :]), 0, None)
    big = up @ image @ up.T
    top, bottom, left, right = drawing.bounding_box(big)
    return drawing.stroke_width(big, big.max()) / max(bottom - top, right - left)


@pytest.mark.parametrize("radius, size", [(0.8, 300), (1.5, 100), (30, 120), (45, 280)],
                         ids=["hairline", "thin", "fat", "marker"])
def test_any_pen_ends_within_emnists_stroke_widths(radius, size):
    ink = draw(K, at=(60, 40), size=size, radius=radius)
    low, high = EMNIST_STROKE_RANGE
    raw = relative_width(to_emnist(ink, normalise_width=False))
    assert not low <= raw <= high  # the pen was outside the range...
    assert low * 0.85 <= relative_width(to_emnist(ink)) <= high * 1.15  # ...and is brought in


def test_a_pen_within_the_range_is_left_alone():
    ink = draw(K, at=(10, 10), size=80, radius=7, canvas=(128, 128))
    assert np.array_equal(to_emnist(ink), to_emnist(ink, normalise_width=False))


def test_prepare_dispatches_on_the_style():
    ink = draw(K, at=(60, 40), size=250, radius=12)
    assert set(drawing.PREPARATIONS) == {"mnist", "emnist"}
    assert np.array_equal(prepare(ink, "mnist"), to_mnist(ink))
    assert np.array_equal(prepare(ink, "emnist"), to_emnist(ink))
    assert np.array_equal(prepare(ink), to_mnist(ink))
    with pytest.raises(ValueError, match="unknown preparation 'nist'.*mnist, emnist"):
        prepare(ink, "nist")


@pytest.mark.parametrize("name, style", [
    ("emnist-letters", "emnist"), ("emnist-byclass", "emnist"), ("emnist-balanced", "emnist"),
    ("emnist-digits", "emnist"), ("emnist-mnist", "emnist"), ("mnist", "mnist"),
    ("fashion", "mnist"), ("my-letters", "mnist"), ("emnist", "mnist"), ("", "mnist"),
    (None, "mnist"),
])
def test_default_preparation_follows_the_dataset_name(name, style):
    assert default_preparation(name) == style
    assert style in drawing.PREPARATIONS


def test_drawing_imports_nothing_but_numpy_and_constants():
    tree = ast.parse(Path(drawing.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:  # module level: what importing drawing pulls in
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported <= {"__future__", "numpy", ".constants", "basicnet.constants"}


# --- the letters fixture: a small network trained on EMNIST-style letters --------------------

LETTERS_NET = Path(__file__).parent / "fixtures" / "letters-784-32-26.npz"
STROKES = {  # capitals as a person draws them on the canvas, in unit coordinates
    "Ll": [(0, 0), (0, 1.4), (0.8, 1.4)],
    "Tt": [(0, 0), (1, 0), (0.5, 0), (0.5, 1.4)],
    "Xx": [(0, 0), (1, 1.4), (0.5, 0.7), (1, 0), (0, 1.4)],
    "Vv": [(0, 0), (0.5, 1.4), (1, 0)],
    "Zz": [(0, 0), (1, 0), (0, 1.4), (1, 1.4)],
    "Nn": [(0, 1.4), (0, 0), (0.9, 1.4), (0.9, 0)],
}


def test_the_letters_fixture_reads_drawn_letters_prepared_its_datasets_way():
    from basicnet import netfile

    nf = netfile.load(LETTERS_NET)
    assert nf.dataset == "emnist-letters" and default_preparation(nf.dataset) == "emnist"
    assert nf.classes == [chr(65 + k) + chr(97 + k) for k in range(26)]
    right = {"mnist": 0, "emnist": 0}
    for name, points in STROKES.items():
        for at, size, radius in [((40, 40), 250, 12), ((200, 250), 80, 5)]:
            ink = draw(points, at, size, radius)
            for style in right:
                x = prepare(ink, style).reshape(1, -1)
                right[style] += nf.classes[nf.net.confidence(x)[0].argmax()] == name
    assert right["emnist"] == 2 * len(STROKES)  # every one
    assert right["mnist"] < right["emnist"] - 2  # framed MNIST's way, several are misread


def test_predict_and_the_canvas_prepare_as_the_networks_dataset_was(tmp_path, capsys):
    """End to end: drawn letters saved as pictures (dark on white) reach the letters network
    framed EMNIST's way through --predict, and the canvas shows that same framing."""
    from PIL import Image

    import number_identifier_mnist as ident
    from basicnet import netfile
    from basicnet.identifier.state import Reading

    paths, names = [], []
    for name, points in STROKES.items():
        ink = draw(points, (40, 40), 250, 12)
        path = tmp_path / f"{name}.png"
        Image.fromarray((255 * (1 - ink)).astype(np.uint8)).save(path)
        paths.append(str(path))
        names.append(name)
    assert ident.main([str(LETTERS_NET), "--predict", *paths]) == 0
    lines = capsys.readouterr().out.splitlines()
    guesses = [line.split(": ", 1)[1].split(" ")[0] for line in lines]
    assert guesses == names
    reading = Reading(netfile.load(LETTERS_NET))
    reading.update(draw(STROKES["Ll"], (40, 40), 250, 12))
    assert reading.style == "emnist"
    np.testing.assert_array_equal(reading.seen, prepare(draw(STROKES["Ll"], (40, 40), 250, 12),
                                                        "emnist"))


@pytest.mark.parametrize("size", ["default", "smallest"])
def test_the_preview_says_how_the_drawing_is_framed(size, monkeypatch):
    """The identifier's preview title names the framing (EMNIST-style for letters) at the
    window's default size and at its smallest, so the letter filling the frame is no surprise."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    import pygame

    from basicnet import render
    from basicnet.identifier import window as iw

    pygame.display.init()
    pygame.font.init()
    try:
        w = iw.IdentifierWindow(iw.load_network(LETTERS_NET), LETTERS_NET,
                                size=iw.SIZE if size == "default" else iw.MIN_SIZE)
        rects = w.rects()
        room = rects["layers"].right - rects["preview"].right
        shown = render.first_that_fits(w.preview.title(), rects["preview"].width + room, 18)
        assert "EMNIST" in shown, shown
    finally:
        pygame.display.quit()
