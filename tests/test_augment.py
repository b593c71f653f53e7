"""Training-time distortions (`--augment`, basicnet/augment.py): shifts, affine maps and elastic
fields, applied to every training batch and never to the test set."""

import sys
import threading

import numpy as np
import pytest

import mlp_sigmoid_emnist as trainer
from basicnet import augment
from basicnet.augment import shift_images
from basicnet.datasets import IMAGE_SIDE, N_INPUTS, Dataset
from basicnet.network import SGD, Network
from basicnet.training import Hyper, to_input, train

SIDE = IMAGE_SIDE


def _shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """The 28x28 image moved down dy and right dx pixels, zero fill: one slice assignment."""
    out = np.zeros((SIDE, SIDE), image.dtype)
    src = image.reshape(SIDE, SIDE)
    out[max(dy, 0):SIDE + min(dy, 0), max(dx, 0):SIDE + min(dx, 0)] = \
        src[max(-dy, 0):SIDE - max(dy, 0), max(-dx, 0):SIDE - max(dx, 0)]
    return out.reshape(N_INPUTS)


def _offsets(original: np.ndarray, moved: np.ndarray, m: int) -> list[tuple[int, int]]:
    return [(dy, dx) for dy in range(-m, m + 1) for dx in range(-m, m + 1)
            if np.array_equal(_shifted(original, dy, dx), moved)]


def _blobs(n: int, rng: np.random.Generator, margin: int = 3) -> np.ndarray:
    """Random uint8 images whose ink stays `margin` pixels away from every border."""
    x = np.zeros((n, SIDE, SIDE), np.uint8)
    x[:, margin:SIDE - margin, margin:SIDE - margin] = rng.integers(
        0, 256, (n, SIDE - 2 * margin, SIDE - 2 * margin))
    return x.reshape(n, N_INPUTS)


def test_every_image_comes_back_as_a_shifted_copy_with_zero_fill():
    rng = np.random.default_rng(0)
    images = _blobs(200, rng)
    before = images.copy()
    moved = shift_images(images, 2, rng)
    assert moved.shape == images.shape and moved.dtype == np.uint8
    assert np.array_equal(images, before), "the dataset's own images must not change"
    seen = set()
    for original, out in zip(images, moved):
        (offset,) = _offsets(original, out, 2)  # exactly one shift explains every output
        seen.add(offset)
        # nothing was pushed over the border here, so no ink is lost or made up
        assert int(out.sum()) == int(original.sum())
    # each image draws its own offset, in x and y independently, up to ±2 px
    assert len(seen) >= 20 and {dy for dy, _ in seen} == {dx for _, dx in seen} == {-2, -1, 0,
                                                                                     1, 2}


def test_ink_shifted_over_the_border_is_lost_and_the_border_filled_with_black():
    images = np.full((400, N_INPUTS), 255, np.uint8)  # all white: every shift shows its fill
    moved = shift_images(images, 1, np.random.default_rng(1)).reshape(-1, SIDE, SIDE)
    dark_rows = (moved == 0).all(axis=2).sum(axis=1)
    dark_cols = (moved == 0).all(axis=1).sum(axis=1)
    assert set(dark_rows) == set(dark_cols) == {0, 1}
    assert ((moved == 0) | (moved == 255)).all()
    # the pixels lost are exactly the uncovered rows and columns
    lost = 255 * SIDE * (dark_rows + dark_cols) - 255 * dark_rows * dark_cols
    assert np.array_equal(255 * N_INPUTS - moved.reshape(-1, N_INPUTS).sum(axis=1,
                                                                           dtype=np.int64), lost)


class _Spy(Network):
    """A network that remembers every input batch it trains on and is tested on."""

    def forward(self, x, work=None):
        if work is not None:  # train() passes its workspace; predict() does not
            self.trained_on.append(x.copy())
        return super().forward(x, work)

    def backward(self, a, y, work=None, scale=1.0):
        self.trained_labels.append(y.copy())
        return super().backward(a, y, work, scale)

    def predict(self, x):
        self.tested_on.append(x.copy())
        return super().predict(x)


def _spy(sizes, rng) -> _Spy:
    net = Network.create(sizes, rng)
    spy = _Spy(net.W, net.b, net.hidden, net.output)
    spy.trained_on, spy.trained_labels, spy.tested_on = [], [], []
    return spy


def test_training_batches_are_shifted_with_their_labels_and_the_test_set_never():
    rng = np.random.default_rng(2)
    train_x, test_x = _blobs(64, rng), _blobs(40, rng)
    labels = rng.integers(0, 10, 64)
    data = Dataset("toy", train_x, labels, test_x, rng.integers(0, 10, 40),
                   [str(k) for k in range(10)])
    net = _spy([N_INPUTS, 8, 10], rng)
    hyper = Hyper(epochs=2, batch_size=16, lr=0.1, schedule="constant",
                  augment=augment.parse("2"))
    list(train(net, data, hyper, rng, SGD()))

    # the test images reach the network exactly as stored, after every epoch
    assert len(net.tested_on) == 2
    for x in net.tested_on:
        assert np.array_equal(x, to_input(test_x))
    # each training input is one of the 25 shifts (±2 px) of the training image with its label
    label_of = {bytes(_shifted(img, dy, dx)): k for img, k in zip(train_x, labels)
                for dy in range(-2, 3) for dx in range(-2, 3)}
    batches = np.concatenate(net.trained_on)
    batch_labels = np.concatenate(net.trained_labels)
    assert len(batches) == 128
    stored = {bytes(img) for img in train_x}
    moved = 0
    for x, k in zip(batches, batch_labels):
        pixels = bytes(np.rint(x * 255).astype(np.uint8))
        assert label_of.get(pixels) == k, "a training input is no shift of its labelled image"
        moved += pixels not in stored
    assert moved > 0.8 * len(batches)  # 24 of 25 offsets move the image


def test_without_the_flag_training_batches_are_the_stored_images():
    rng = np.random.default_rng(3)
    train_x = _blobs(32, rng)
    data = Dataset("toy", train_x, rng.integers(0, 10, 32), train_x[:8], np.zeros(8, np.int64),
                   [str(k) for k in range(10)])
    net = _spy([N_INPUTS, 8, 10], rng)
    list(train(net, data, Hyper(epochs=1, batch_size=8), rng, SGD()))
    stored = {bytes(img) for img in train_x}
    assert all(bytes(np.rint(x * 255).astype(np.uint8)) in stored
               for x in np.concatenate(net.trained_on))


def _shapes(n: int, rng: np.random.Generator, jitter: int) -> tuple[np.ndarray, np.ndarray]:
    """Four thin shapes (—, |, ⟍, □), each drawn at a random offset of up to `jitter` px."""
    shape = np.zeros((4, SIDE, SIDE), np.uint8)
    shape[0, 14, 8:20] = shape[1, 8:20, 14] = 255
    shape[2, np.arange(8, 20), np.arange(8, 20)] = 255
    shape[3, 9:19, 9] = shape[3, 9:19, 18] = shape[3, 9, 9:19] = shape[3, 18, 9:19] = 255
    y = rng.integers(0, 4, n)
    dy, dx = rng.integers(-jitter, jitter + 1, (2, n))
    x = np.stack([np.roll(shape[k], (a, b), axis=(0, 1)) for k, a, b in zip(y, dy, dx)])
    return x.reshape(n, N_INPUTS), y


@pytest.mark.parametrize("shift", [0, 2])
def test_augmented_training_learns_what_shifts_do_not_change(shift):
    """Trained on shapes always drawn in the same place, tested on the same shapes moved by up to
    2 px: with --augment the network learns them wherever they are; without it, it cannot know
    what a moved shape means (measured, seeds 0-5: 100 % with, 21-27 % = chance without)."""
    rng = np.random.default_rng(4)
    train_x, train_y = _shapes(400, rng, jitter=0)
    test_x, test_y = _shapes(400, rng, jitter=2)
    data = Dataset("shapes", train_x, train_y, test_x, test_y, list("-|\\o"))
    net = Network.create([N_INPUTS, 30, 4], rng)
    events = list(train(net, data, Hyper(epochs=8, batch_size=16, lr=0.1, schedule="constant",
                                          augment=augment.parse(str(shift))),
                        rng, SGD(momentum=0.9)))
    accuracy = events[-1].test.accuracy
    if shift:
        assert accuracy >= 0.97, f"{accuracy:.1%}"
    else:
        assert accuracy <= 0.5, f"{accuracy:.1%}"


def test_the_flag_fills_hyper_and_is_checked():
    assert trainer.parse_args([]).augment is None
    assert trainer.parse_args(["--augment"]).augment == augment.Augment(("affine", "elastic"))
    assert trainer.parse_args(["--augment", "3"]).augment == augment.Augment(("shift",), shift=3)
    for bad in ("-1", "28"):
        with pytest.raises(trainer.UsageError, match="--augment"):
            trainer.parse_args(["--augment", bad])


# --- affine maps and elastic fields --------------------------------------------------------------

def _noise(n: int, seed: int = 5) -> np.ndarray:
    """Random uint8 images, ink to the border: every pixel counts."""
    return np.random.default_rng(seed).integers(0, 256, (n, N_INPUTS), dtype=np.uint8)


def _still(kinds) -> augment.Augment:
    return augment.Augment(kinds, rotate=0, scale=0, shear=0, translate=0, alpha=0, shift=0)


@pytest.mark.parametrize("kinds", [("affine",), ("elastic",), ("affine", "elastic"),
                                   ("shift",), ("shift", "affine", "elastic")])
def test_a_distortion_of_zero_strength_is_the_identity_exactly(kinds):
    images = _noise(300)
    before = images.copy()
    out = augment.distort(images, np.random.default_rng(0), _still(kinds))
    assert out.dtype == np.uint8 and out.shape == images.shape
    assert np.array_equal(out, images)
    assert np.array_equal(images, before), "the dataset's own images must not change"


def _warp(images: np.ndarray, angle=0.0, scale=(1.0, 1.0), shear=0.0, offset=(0.0, 0.0)):
    """The images moved by one known affine map (the same for each)."""
    n, warp = len(images), augment.Warp()
    inverse = augment.inverse_affine(np.full(n, angle), np.tile(scale, (n, 1)), np.full(n, shear))
    return warp(images, warp.maps(inverse, np.tile(offset, (n, 1)))).reshape(n, SIDE, SIDE)


def _dot(row: int, col: int) -> np.ndarray:
    image = np.zeros((1, N_INPUTS), np.uint8)
    image[0, row * SIDE + col] = 255
    return image


def test_a_quarter_turn_is_anticlockwise_and_exact():
    """Turned by 90° about the centre, every pixel centre lands on a pixel centre: the result
    is numpy's rot90 (anticlockwise as seen), pixel for pixel; the pixel right of the centre
    goes above it."""
    images = _noise(20)
    assert np.array_equal(_warp(images, np.pi / 2),
                          np.rot90(images.reshape(-1, SIDE, SIDE), 1, axes=(1, 2)))
    moved = _warp(_dot(13, 20), np.pi / 2)[0]
    assert moved[7, 13] == 255 and np.count_nonzero(moved) == 1


def test_a_whole_pixel_translation_is_a_shift_and_half_a_pixel_averages_neighbours():
    images = _noise(20)
    moved = _warp(images, offset=(3, -2))  # right 3, up 2
    assert np.array_equal(moved.reshape(-1, N_INPUTS),
                          np.stack([_shifted(img, -2, 3) for img in images]))
    half = _warp(images, offset=(0.5, 0)).astype(int)
    src = np.pad(images.reshape(-1, SIDE, SIDE).astype(int), ((0, 0), (0, 0), (1, 0)))
    # each output pixel reads halfway between its own pixel and the one to its left (black
    # beyond the border), rounded half up
    assert np.array_equal(half, (src[:, :, :-1] + src[:, :, 1:] + 1) // 2)


def test_shear_slants_lower_rows_right_and_scale_stretches_from_the_centre():
    # x += 2y: the pixel 2.5 rows below the centre moves 5 columns right
    moved = _warp(_dot(16, 14), shear=2.0)[0]
    assert moved[16, 19] == 255 and np.count_nonzero(moved) == 1
    # x three times as wide: the pixel half a column right of the centre now 1.5 columns
    moved = _warp(_dot(13, 14), scale=(3.0, 1.0))[0]
    assert moved[13, 15] == 255 and moved.argmax() == 13 * SIDE + 15
    assert np.array_equal(np.flatnonzero(moved[13]), [13, 14, 15, 16, 17])  # bilinear footprint


def test_samples_outside_the_image_are_black():
    images = np.full((5, N_INPUTS), 255, np.uint8)
    assert not _warp(images, offset=(40, 0)).any()
    edge = _warp(images, offset=(0.5, 0))
    assert (edge[:, :, 0] == 128).all() and (edge[:, :, 1:] == 255).all()  # half off, half on


def test_elastic_fields_are_simards_smooth_and_bounded():
    """The field the grid adds is α·G U G.T with U uniform in ±1 (Simard et al. 2003), made
    from a few smooth patterns: same spread pixel by pixel as the recipe done in full, nearly
    equal neighbours, and never more than the patterns allow."""
    n, rng = 3000, np.random.default_rng(6)
    d = augment.Distorter(augment.Augment(("elastic",)), "mnist")
    alpha, sigma = d.spec.alpha, d.spec.sigma
    field = d.warp.sampling_grid(d.coefficients(n, rng)).copy()
    field -= d.warp.sampling_grid(d.warp.identity(n))
    G = augment.gaussian_matrix(sigma)
    reference = alpha * G @ rng.uniform(-1, 1, (2, n, SIDE, SIDE)) @ G.T
    np.testing.assert_allclose(field.std(axis=(0, 1)), reference.std(axis=(0, 1)), rtol=0.1)
    assert 0.3 < np.abs(field).mean() < 3  # pixels, for α 34 and σ 5
    # neighbours (white noise: √2 times the field apart on average)
    for axis in (-1, -2):
        assert np.abs(np.diff(field, axis=axis)).mean() < 0.2 * np.abs(field).mean()
    B = np.abs(augment.smooth_patterns(sigma)).sum(axis=1)
    assert (np.abs(field) <= alpha * np.outer(B, B) + 1e-3).all()


def test_affine_and_elastic_share_one_grid():
    """The grid of a map with both is the affine grid plus the elastic field."""
    n, rng = 50, np.random.default_rng(7)
    d = augment.Distorter(augment.Augment(("affine", "elastic")), "mnist")
    C = d.coefficients(n, rng)
    both = d.warp.sampling_grid(C).copy()
    k = d.warp.k
    affine, field = C.copy(), C.copy()
    affine[:, :, :k, :k] = 0
    field[:, :, k:, k:] = d.warp.identity(n)[:, :, k:, k:]
    grid = d.warp.sampling_grid(affine).copy()
    grid += d.warp.sampling_grid(field)
    grid -= d.warp.sampling_grid(d.warp.identity(n))
    np.testing.assert_allclose(both, grid, atol=1e-4)


@pytest.mark.parametrize("dataset", ["mnist", "emnist-letters", "emnist-balanced"])
def test_no_map_ever_mirrors_and_letters_turn_less(dataset):
    """A mirrored digit or letter is another character, or none: every drawn map keeps the
    orientation (positive determinant), even at the strongest settings."""
    d = augment.Distorter(augment.Augment(("affine",), rotate=180, scale=0.9, shear=2), dataset)
    C, w = d.coefficients(10_000, np.random.default_rng(8)), d.warp
    (xj, yj), (xi, yi) = C[:, :, w.one, w.coord], C[:, :, w.coord, w.one]
    assert (xj * yi - xi * yj > 0).all()
    letters = augment.Augment().for_dataset(dataset)
    digits = augment.Augment().for_dataset("mnist")
    assert (letters.rotate < digits.rotate) == dataset.startswith("emnist")


def test_each_image_gets_its_own_distortion_and_the_input_stays():
    images = np.repeat(_noise(1), 64, axis=0)
    before = images.copy()
    out = augment.distort(images, np.random.default_rng(9))
    assert np.array_equal(images, before)
    assert len({bytes(x) for x in out}) == 64


def _python_lines(f) -> int:
    """How many lines of Python run while f() runs (numpy's own loops are not Python)."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        count += event == "line"
        return tracer

    sys.settrace(tracer)
    try:
        f()
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("kinds", [("affine", "elastic"), ("shift",), ("elastic",)])
def test_no_python_runs_per_image(kinds):
    """One image or 512 take the same Python lines: the batch is the unit, never the image
    (a loop over images would run its lines 512 times)."""
    spec, rng = augment.Augment(kinds), np.random.default_rng(10)
    runs = [_python_lines(lambda n=n: augment.distort(_noise(n), rng, spec)) for n in (1, 512)]
    assert runs[0] == runs[1] > 0


def _constant_images(n: int) -> np.ndarray:
    """Image k is flat grey k + 1 to the border: a mild distortion leaves its centre pixel
    k + 1 (bilinear samples of equal pixels are that pixel) and blackens its border."""
    return np.repeat(np.arange(1, n + 1, dtype=np.uint8)[:, None], N_INPUTS, axis=1)


def test_labels_go_with_their_distorted_images_and_the_test_set_is_never_distorted():
    rng = np.random.default_rng(11)
    train_x, test_x = _constant_images(64), _noise(40)
    labels = rng.integers(0, 10, 64)
    data = Dataset("mnist", train_x, labels, test_x, rng.integers(0, 10, 40),
                   [str(k) for k in range(10)])
    net = _spy([N_INPUTS, 8, 10], rng)
    spec = augment.Augment(("affine", "elastic"), rotate=10, scale=0.1, translate=1, alpha=20)
    list(train(net, data, Hyper(epochs=2, batch_size=16, augment=spec), rng, SGD()))
    x = np.rint(np.concatenate(net.trained_on) * 255).astype(int)
    image = x[:, SIDE * 14 + 14] - 1  # which stored image each training input came from
    assert np.array_equal(np.concatenate(net.trained_labels), labels[image])
    assert sorted(image) == sorted(list(range(64)) * 2)  # each once per epoch
    assert (x[:, 0] == 0).mean() > 0.5, "the corners of most inputs should be distorted away"
    assert len(net.tested_on) == 2
    for tested in net.tested_on:
        assert np.array_equal(tested, to_input(test_x))


def test_dropout_trains_a_thinned_network_and_tests_the_whole():
    rng = np.random.default_rng(12)
    data = Dataset("mnist", _blobs(64, rng), rng.integers(0, 10, 64), _blobs(20, rng),
                   rng.integers(0, 10, 20), [str(k) for k in range(10)])
    net = _spy([N_INPUTS, 30, 20, 10], rng)
    masks = []
    original = Network.backward

    def spy_backward(self, a, y, work=None, scale=1.0):
        masks.append([None if m is None else m[:len(y)].copy() for m in work.mask])
        return original(self, a, y, work, scale)

    net.backward = spy_backward.__get__(net)
    list(train(net, data, Hyper(epochs=1, batch_size=16, dropout=0.5), rng, SGD()))
    assert len(masks) == 4
    for m in masks:
        assert m[0] is None and m[-1] is None
        assert {0.0, 2.0} == set(np.unique(m[1])) == set(np.unique(m[2]))
    assert not any(np.array_equal(masks[0][1], m[1]) for m in masks[1:])  # fresh each batch


# --- the command line ----------------------------------------------------------------------------

A = augment.Augment


@pytest.mark.parametrize("args, spec", [
    ([], None),
    (["--augment"], A(("affine", "elastic"))),
    (["--augment", "affine,elastic"], A(("affine", "elastic"))),
    (["--augment", "elastic,affine"], A(("affine", "elastic"))),
    (["--augment", "Affine, Elastic"], A(("affine", "elastic"))),
    (["--augment", "shift"], A(("shift",))),
    (["--augment", "elastic"], A(("elastic",))),
    (["--augment", "affine"], A(("affine",))),
    (["--augment", "2"], A(("shift",), shift=2)),
    (["--augment", "0"], None),
    (["--augment", "none"], None),
    (["--augment", "--rotate", "10", "--elastic-alpha", "30", "--elastic-sigma", "6"],
     A(("affine", "elastic"), rotate=10, alpha=30, sigma=6)),
    (["--augment", "affine", "--scale", "0.2", "--shear", "0", "--translate", "1.5"],
     A(("affine",), scale=0.2, shear=0, translate=1.5)),
])
def test_augment_spellings(args, spec):
    assert trainer.parse_args(args).augment == spec
    if spec is not None:  # and a spec says itself the way the flag spells it
        assert augment.parse(str(spec)).kinds == spec.kinds


def test_dropout_flag():
    assert trainer.parse_args([]).dropout == 0
    assert trainer.parse_args(["--dropout", "0.5"]).dropout == 0.5


@pytest.mark.parametrize("args, word", [
    (["--augment", "affine;elastic"], "--augment"),
    (["--augment", "rotate"], "rotate"),
    (["--augment", "1.5"], "--augment"),
    (["--augment", "-1"], "--augment"),
    (["--augment", "28"], "--augment"),
    (["--augment", ","], "--augment"),
    (["--rotate", "5"], "--rotate"),
    (["--augment", "shift", "--elastic-alpha", "3"], "--elastic-alpha"),
    (["--augment", "elastic", "--translate", "3"], "--translate"),
    (["--augment", "--rotate", "-1"], "--rotate"),
    (["--augment", "--rotate", "nan"], "--rotate"),
    (["--augment", "--elastic-sigma", "0"], "--elastic-sigma"),
    (["--augment", "--scale", "1"], "--scale"),
    (["--dropout", "1"], "--dropout"),
    (["--dropout", "-0.1"], "--dropout"),
    (["--dropout", "nan"], "--dropout"),
])
def test_bad_spellings_are_one_error_line(args, word, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "argv", ["mlp_sigmoid_emnist.py", "--headless", "--no-download",
                                      "--data-dir", str(tmp_path), *args])
    assert trainer.cli() == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 1, err
    assert lines[0].startswith("error: ") and word in lines[0] and "see --help" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_distorting_ahead_on_a_thread_gives_the_same_batches_and_stops_with_training(
        monkeypatch):
    """The next batch is distorted on a second thread while this one trains; the random
    numbers are drawn in the same order either way, so a seed gives the same inputs. A run
    that is stopped (a closed window, Ctrl+C) leaves no thread behind."""
    rng = np.random.default_rng(13)
    data = Dataset("mnist", _noise(100), rng.integers(0, 10, 100), _noise(10),
                   rng.integers(0, 10, 10), [str(k) for k in range(10)])
    inputs = []
    for threaded in (True, False):
        monkeypatch.setattr(augment.Ahead, "THREADED", threaded)
        net = _spy([N_INPUTS, 8, 10], np.random.default_rng(14))
        hyper = Hyper(epochs=2, batch_size=16, augment=augment.Augment(), dropout=0.2)
        list(train(net, data, hyper, np.random.default_rng(15), SGD()))
        inputs.append(np.concatenate(net.trained_on))
    assert np.array_equal(*inputs)
    monkeypatch.setattr(augment.Ahead, "THREADED", True)
    events = train(_spy([N_INPUTS, 8, 10], rng), data, Hyper(augment=augment.Augment()), rng,
                   SGD())
    next(events)
    assert _distorting() == 1
    events.close()  # still referenced: the thread must end with the run, not with the object
    assert _distorting() == 0


def _distorting() -> int:
    """The threads distorting batches ahead of training."""
    return sum(t.name.startswith("distort") for t in threading.enumerate())
