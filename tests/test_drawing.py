"""Preprocessing: whatever is drawn, the network gets a digit prepared the way MNIST's were."""

import numpy as np
import pytest

from basicnet import drawing
from basicnet.drawing import BOX_SIDE, CENTRE, to_mnist

SEVEN = [(0.0, 0.0), (1.0, 0.0), (0.35, 1.6)]          # a "7", 1 wide and 1.6 tall
FOUR = [(0.7, 1.6), (0.7, 0.0), (0.0, 1.1), (1.0, 1.1)]  # a "4"


def draw(shape, at=(50, 50), size=200, radius=12, canvas=(448, 448)):
    """The polyline `shape` (unit coordinates), `size` px per unit, from `at`, as a user would
    draw it: one stroke segment between successive mouse positions."""
    ink = np.zeros(canvas, np.float32)
    points = [(at[0] + x * size, at[1] + y * size) for x, y in shape]
    for p0, p1 in zip(points[:-1], points[1:]):
        drawing.stroke(ink, p0, p1, radius)
    return ink


def extent(image):
    rows, cols = np.nonzero(image)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


CASES = {
    "off-centre": dict(at=(10, 20), size=150, radius=10),
    "bottom-right": dict(at=(380, 300), size=40, radius=4),
    "tiny": dict(at=(200, 200), size=8, radius=1.5),
    "huge": dict(at=(12, 12), size=260, radius=20),
    "thin": dict(at=(100, 30), size=220, radius=0.8),
    "fat": dict(at=(150, 150), size=60, radius=14),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("shape", [SEVEN, FOUR], ids=["seven", "four"])
def test_any_drawing_becomes_a_centred_20px_digit(case, shape):
    out = to_mnist(draw(shape, **CASES[case]))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() == pytest.approx(1, abs=0.05)
    h, w = extent(out)
    assert max(h, w) == BOX_SIDE  # the longer side, here the height, is MNIST's 20 px
    assert h == BOX_SIDE and w < BOX_SIDE
    cy, cx = drawing.centre_of_mass(out)
    # shifted by whole pixels as MNIST was: the centre of mass lands within half a pixel
    assert abs(cy - CENTRE) <= 0.6 and abs(cx - CENTRE) <= 0.6


def test_position_does_not_matter():
    a = to_mnist(draw(SEVEN, at=(40, 30)))
    b = to_mnist(draw(SEVEN, at=(230, 90)))
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_size_and_pen_do_not_matter_much():
    """A small drawing with a fat pen, a huge one and a thin one all reach the network looking
    alike, with strokes as heavy as MNIST's (the middle 90 % of its 7s hold 54 to 138 units of
    ink, 89 in the median)."""
    reference = to_mnist(draw(SEVEN, size=200, radius=9))
    for kw in (dict(size=40, radius=6), dict(size=260, radius=24), dict(size=240, radius=0.8),
               dict(size=15, radius=1)):
        out = to_mnist(draw(SEVEN, **kw))
        assert np.abs(out - reference).mean() < 0.08, kw
        assert 0.7 < out.sum() / reference.sum() < 1.45, kw
        assert 54 < out.sum() < 138, kw


def test_thin_pen_is_thickened_to_mnist_strokes():
    thin = draw(SEVEN, size=240, radius=0.8)
    faint = to_mnist(thin, normalise_width=False)
    out = to_mnist(thin)
    assert faint.sum() < 0.4 * out.sum()  # without the fix the network sees a faint ghost
    assert (out > 0.5).sum() > 2.5 * (faint > 0.5).sum()


def test_real_mnist_digits_are_left_as_they_are(mnist):
    """MNIST digits are already prepared: preparing them again changes almost nothing."""
    x = mnist.test_images[:200].reshape(-1, 28, 28).astype(np.float32) / 255
    out = np.stack([to_mnist(i) for i in x])
    assert np.abs(out - x).mean() < 0.02
    # the same digit drawn 8 times larger, far from the centre, comes back the same
    big = np.zeros((400, 400), np.float32)
    big[150:374, 10:234] = np.kron(x[0], np.ones((8, 8), np.float32))
    assert np.abs(to_mnist(big) - out[0]).mean() < 0.03


def test_nothing_drawn_gives_an_empty_input():
    assert not to_mnist(np.zeros((100, 80))).any()
    with pytest.raises(ValueError):
        to_mnist(np.zeros((3, 4, 5)))


def test_uint8_ink_is_accepted():
    ink = draw(FOUR)
    np.testing.assert_allclose(to_mnist((ink * 255).astype(np.uint8)), to_mnist(ink), atol=0.02)


# --- the pen ---------------------------------------------------------------------------------

def test_stroke_is_continuous_antialiased_and_erasable():
    ink = np.zeros((100, 300), np.float32)
    drawing.stroke(ink, (10, 50.25), (290, 50.25), 3)  # one fast mouse move: no gaps
    assert (ink[48:53, 10:290] == 1).all()
    # soft edges, antialiased: each edge row is covered as much as the pen covers it
    np.testing.assert_allclose(ink[[47, 53], 150], [0.75, 0.25])
    assert not ink[:40].any() and not ink[60:].any()
    drawing.stroke(ink, (100, 50), (200, 50), 6, erase=True)
    assert not ink[:, 108:192].any() and (ink[50, 10:90] == 1).all()


def test_stroke_off_the_canvas_is_clipped():
    ink = np.zeros((50, 50), np.float32)
    drawing.stroke(ink, (-20, -20), (-10, -5), 3)
    assert not ink.any()
    drawing.stroke(ink, (40, 40), (80, 80), 3)
    assert ink[45, 45] == 1


# --- pictures ----------------------------------------------------------------------------------

def test_dark_on_light_and_light_on_dark_give_the_same_ink():
    ink = draw(FOUR, canvas=(300, 260))
    paper, pencil = np.array([235, 230, 220]), np.array([40, 40, 60])
    rgb = (paper + ink[..., None] * (pencil - paper)).astype(np.uint8)
    rng = np.random.default_rng(0)
    noisy = np.clip(rgb + rng.normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    for picture in (rgb, noisy, (255 - rgb)):
        got = drawing.ink_from_rgba(picture)
        assert np.abs(to_mnist(got) - to_mnist(ink)).mean() < 0.03


def test_transparent_background_uses_the_opaque_ink():
    ink = draw(SEVEN, canvas=(300, 300))
    rgba = np.zeros((300, 300, 4), np.uint8)
    rgba[..., 3] = (ink * 255).astype(np.uint8)  # black ink on a transparent background
    assert np.abs(to_mnist(drawing.ink_from_rgba(rgba)) - to_mnist(ink)).mean() < 0.02


# --- any scribble --------------------------------------------------------------------------------

from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

points = st.tuples(st.floats(0, 447), st.floats(0, 447))


@settings(max_examples=60, deadline=None)
@given(st.lists(points, min_size=1, max_size=6), st.floats(0.5, 30))
@example([(0.0, 0.0), (0.0, 1.4e-45)], 1.0)  # a segment whose length² underflows float32
def test_any_scribble_fills_the_20px_box_around_the_centre(path, radius):
    ink = np.zeros((448, 448), np.float32)
    for p0, p1 in zip(path, path[1:] or path):
        drawing.stroke(ink, p0, p1, radius)
    out = to_mnist(ink)
    assert out.min() >= 0 and out.max() <= 1 and out.max() > 0.3
    assert max(extent(out)) == BOX_SIDE
    rows, cols = np.nonzero(out)
    # the centre of mass is in the middle, unless that would push the box out of the field
    cy, cx = drawing.centre_of_mass(out)
    assert abs(cy - CENTRE) <= 0.6 or rows.min() == 0 or rows.max() == 27
    assert abs(cx - CENTRE) <= 0.6 or cols.min() == 0 or cols.max() == 27
