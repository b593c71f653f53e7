"""Teaching the network a hand that is not MNIST's (tests/penstyle.py): taught drawings are read
right afterwards, MNIST is not forgotten, and --learn on a folder of pictures improves the
reading of *other* pictures in that hand; bad folders get one error line and nothing saved."""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np
import penstyle
import pygame
import pytest

import number_identifier_mnist as ident
from basicnet import drawing, netfile, render
from basicnet.cli import run
from basicnet.teaching import Replay, Teacher, class_for, save_new, taught_name
from basicnet.training import evaluate


@pytest.fixture(scope="module")
def shipped(plain_network_path):
    """The network taught here: one trained on plain MNIST, which misreads the hand below."""
    return netfile.load(plain_network_path)


def prepared(inks):
    return np.stack([drawing.to_mnist(x) for x in inks]).reshape(len(inks), -1)


def read_right(net, X, y):
    return net.predict(X).argmax(axis=1) == y


def test_taught_drawings_are_read_right_afterwards(shipped):
    """One at a time, as the window's keys teach: each is read right at once, and (with the
    earlier ones rehearsed) still at the end. The pull guard: no dataset needed."""
    inks, y = penstyle.dataset(4, seed=11, side=100)
    X = prepared(inks)
    net = shipped.net.copy()
    wrong = np.flatnonzero(~read_right(net, X, y))
    assert len(wrong) >= 3, "the hand must be foreign enough to need teaching"
    teacher = Teacher(net, rng=np.random.default_rng(0))
    assert teacher.guard == "pull"
    for i in wrong:
        teacher.teach(X[i:i + 1], y[i:i + 1])
        assert read_right(net, X[i:i + 1], y[i:i + 1]).all()
    assert teacher.count == len(wrong)
    assert read_right(net, X[wrong], y[wrong]).mean() >= 0.8
    assert all(np.array_equal(w, w0) for w, w0 in zip(shipped.net.W, teacher.original.W))


@pytest.mark.parametrize("guard", ["replay", "pull"])
def test_teaching_100_drawings_costs_at_most_half_a_point_of_mnist(mnist, guard):
    """The network people teach, the identifier's default. bench_teach.py measures it over
    seeds and both ways of teaching (docs/teaching.md)."""
    inks, y = penstyle.dataset(10, seed=21, side=100)
    X = prepared(inks)
    net = netfile.load(ident.DEFAULT_NETWORK).net
    before = evaluate(net, mnist.test_images, mnist.test_labels).accuracy
    teacher = Teacher(net, Replay.of(mnist) if guard == "replay" else None,
                      np.random.default_rng(1))
    teacher.teach(X, y)
    after = evaluate(net, mnist.test_images, mnist.test_labels).accuracy
    assert read_right(net, X, y).mean() >= 0.95
    assert 100 * (before - after) <= 0.5, f"{100 * before:.2f}% -> {100 * after:.2f}%"


def test_class_for_names_and_keys():
    digits = [str(d) for d in range(10)]
    assert class_for("7", digits) == 7 and class_for("x", digits) is None
    letters = [chr(c) + chr(c + 32) for c in range(65, 91)]
    assert class_for("a", letters) == class_for("A", letters) == class_for("Aa", letters) == 0
    assert class_for("aa", letters) is None
    by_merge = digits + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + list("abdefghnqrt")
    assert class_for("c", by_merge) == by_merge.index("C")   # merged: one class for both
    assert class_for("a", by_merge) == by_merge.index("a")   # its own class
    assert class_for("A", by_merge) == by_merge.index("A")


def test_save_new_never_replaces_and_names_the_next_free(shipped, tmp_path):
    assert taught_name("a/mnist-784-256-64-10.npz") == "mnist-784-256-64-10-taught.npz"
    target = tmp_path / taught_name("mnist-784-256-64-10-taught-2.npz")
    assert target.name == "mnist-784-256-64-10-taught.npz"
    target.write_bytes(b"someone's file")
    saved = save_new(shipped, target)
    assert saved.name == "mnist-784-256-64-10-taught-2.npz"
    assert target.read_bytes() == b"someone's file"
    assert save_new(shipped, target).name == "mnist-784-256-64-10-taught-3.npz"  # by target


# --- --learn ---------------------------------------------------------------------------------

def write_png(path, rgb):
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(pygame.surfarray.make_surface(np.ascontiguousarray(rgb.transpose(1, 0, 2))),
                      str(path))
    return path


def lesson_folder(folder, n_per_digit, seed):
    rng = np.random.default_rng(seed)
    for d in range(10):
        for i in range(n_per_digit):
            write_png(folder / str(d) / f"{i}.png", penstyle.picture(str(d), rng, side=100))
    return folder


def test_learn_improves_other_pictures_in_that_hand(shipped, plain_network_path, mnist_dir,
                                                   tmp_path, capsys):
    folder = lesson_folder(tmp_path / "mine", 10, seed=31)
    out = tmp_path / "taught.npz"
    assert ident.main([str(plain_network_path), "--learn", str(folder), "--save", str(out),
                       "--data-dir", str(mnist_dir)]) == 0
    text = capsys.readouterr().out
    assert "learnt 100 pictures of 10 classes" in text and "replaying mnist" in text
    assert f"mnist test accuracy: {100 * shipped.test_accuracy:.2f}% before" in text
    assert f"saved {out}" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()[2:12]}
    assert sorted(rows) == [str(d) for d in range(10)]
    assert all(row[1] == "10" and row[3] == "10" for row in rows.values())  # all read right
    taught = netfile.load(out)
    assert taught.taught == 100 and taught.classes == shipped.classes
    assert taught.test_accuracy >= shipped.test_accuracy - 0.005
    # other pictures in the same hand, never shown to it
    inks, y = penstyle.dataset(20, seed=32, side=100)
    X = prepared(inks)
    before, after = read_right(shipped.net, X, y).mean(), read_right(taught.net, X, y).mean()
    assert after >= before + 0.06 and after >= 0.95, f"{before:.1%} -> {after:.1%}"


def learn(*argv):
    return run(lambda: ident.main(list(map(str, argv))), (netfile.NetFileError,
                                                         render.NoDisplay))


@pytest.mark.parametrize("fault", ["missing", "empty", "unknown class", "unreadable", "blank",
                                   "loose picture", "no --save", "exists", "shipped"])
def test_a_bad_lesson_is_one_error_line_and_nothing_saved(tmp_path, capsys, fault):
    folder = tmp_path / "mine"
    rng = np.random.default_rng(0)
    write_png(folder / "7" / "a.png", penstyle.picture("7", rng, side=80))
    out = tmp_path / "taught.npz"
    args = [folder, "--save", out]
    expect = {"missing": "no such folder", "empty": "no pictures", "unknown class": "'x' is not",
              "unreadable": "not a picture", "blank": "no writing found",
              "loose picture": "goes in the sub-folder", "no --save": "--learn needs --save",
              "exists": "the file exists", "shipped": "the shipped network"}[fault]
    if fault == "missing":
        args[0] = tmp_path / "nowhere"
    elif fault == "empty":
        (folder / "7" / "a.png").unlink()
        (folder / "7" / "notes.txt").write_text("not a picture")
    elif fault == "unknown class":
        write_png(folder / "x" / "b.png", penstyle.picture("1", rng, side=80))
    elif fault == "unreadable":
        (folder / "7" / "b.png").write_bytes(b"\x89PNG but not really")
    elif fault == "blank":
        write_png(folder / "7" / "b.png", np.full((40, 40, 3), 250, np.uint8))
    elif fault == "loose picture":
        write_png(folder / "c.png", penstyle.picture("1", rng, side=80))
    elif fault == "no --save":
        args = [folder]
    elif fault == "exists":
        out.write_bytes(b"keep me")
    elif fault == "shipped":
        args = [folder, "--save", ident.DEFAULT_NETWORK, "--overwrite"]
    shipped_bytes = ident.DEFAULT_NETWORK.read_bytes()
    assert learn("--learn", *args) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and len(captured.err.splitlines()) == 1
    assert expect in captured.err and not captured.out
    assert (not out.exists()) or out.read_bytes() == b"keep me"
    assert ident.DEFAULT_NETWORK.read_bytes() == shipped_bytes


def test_learn_overwrites_only_when_told(tmp_path, capsys):
    folder = tmp_path / "mine"
    rng = np.random.default_rng(1)
    write_png(folder / "7" / "a.png", penstyle.picture("7", rng, side=80))
    out = tmp_path / "taught.npz"
    out.write_bytes(b"old")
    assert learn("--learn", folder, "--save", out, "--overwrite", "--data-dir",
                 tmp_path / "no-mnist-here") == 0
    assert "pulling toward the original weights" in capsys.readouterr().out
    assert netfile.load(out).taught == 1
