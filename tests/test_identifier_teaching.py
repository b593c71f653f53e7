"""The identifier's evidence map and teaching, used as a person would: real mouse and key
events through the window's own loop (SDL's dummy video driver)."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np
import pygame
import pytest

import number_identifier_mnist as ident
from basicnet import netfile, render
from basicnet.identifier import window as iw
from basicnet.network import Network

LAYOUT = iw.layout(iw.SIZE)
CANVAS, PREVIEW, BARS = LAYOUT["canvas"], LAYOUT["preview"], LAYOUT["bars"]


def arc(cx, cy, rx, ry, n=25):
    t = np.radians(np.linspace(-90, 270, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# A zero with a long slash through it: the shipped network reads it as an 8.
SLASHED_ZERO = [arc(224, 224, 100, 150), [(340, 40), (110, 410)]]
SEVEN = [[(110, 110), (220, 110), (340, 110), (300, 230), (260, 340), (230, 420)]]


@pytest.fixture(scope="module")
def shipped_bytes():
    return ident.DEFAULT_NETWORK.read_bytes()


def open_window(path=ident.DEFAULT_NETWORK, **kw):
    pygame.display.init()
    pygame.font.init()
    w = iw.IdentifierWindow(iw.load_network(path), path, **kw)
    w.step()
    return w


@pytest.fixture
def window(tmp_path):
    w = open_window(data_dir=tmp_path / "no-dataset", save_dir=tmp_path / "networks")
    yield w
    pygame.display.quit()


def post(kind, **attrs):
    pygame.event.post(pygame.event.Event(kind, **attrs))


def key(k, text="", mod=0):
    post(pygame.KEYDOWN, key=k, mod=mod, unicode=text, scancode=0)


def draw(strokes, release=True):
    for points in strokes:
        points = [(round(CANVAS.left + x), round(CANVAS.top + y)) for x, y in points]
        post(pygame.MOUSEBUTTONDOWN, button=1, pos=points[0])
        for p in points[1:]:
            post(pygame.MOUSEMOTION, pos=p, rel=(0, 0), buttons=(1, 0, 0))
        if release:
            post(pygame.MOUSEBUTTONUP, button=1, pos=points[-1])


def click_bar(k, n=10):
    row = BARS.height / n
    post(pygame.MOUSEBUTTONDOWN, button=1, pos=(BARS.centerx, round(BARS.top + (k + 0.5) * row)))
    post(pygame.MOUSEBUTTONUP, button=1, pos=(BARS.centerx, round(BARS.top + (k + 0.5) * row)))


def colours(w, rect):
    return pygame.surfarray.array3d(w.screen.subsurface(rect)).reshape(-1, 3).astype(int)


def reddish(px):
    return int(((px[:, 0] > 150) & (px[:, 2] < 100)).sum())


def bluish(px):
    return int(((px[:, 2] > 180) & (px[:, 0] < 120)).sum())


def test_the_map_shows_what_argues_for_the_guess_and_the_runner_up(window):
    draw(SLASHED_ZERO)
    window.step()
    assert window.classes[window.guess] == "8" and window.evidence.k is None
    grey = colours(window, PREVIEW)
    assert reddish(grey) == bluish(grey) == 0
    key(pygame.K_e, "e")
    window.step()
    ev, reading = window.evidence, window.reading
    assert ev.shown and ev.k == window.guess
    expected = window.nf.net.evidence(reading.activations, [window.guess])[0]
    assert np.array_equal(ev.values.ravel(), expected)
    assert not ev.values[reading.seen == 0].any()  # no ink, no evidence
    shown = colours(window, PREVIEW)
    assert reddish(shown) > 50 and bluish(shown) > 20  # for and against, both there
    key(pygame.K_SPACE, " ")  # the runner-up: a zero, and the slash argues against it
    window.step()
    assert ev.pick == "runner-up" and ev.k == reading.ranked(1) == 0
    slash = reading.seen.copy()
    zero_only = ev.values.copy()
    assert zero_only[slash > 0].min() < 0 < zero_only[slash > 0].max()
    click_bar(3)
    window.step()
    assert ev.k == 3 and ev.pick == 3
    click_bar(3)  # again: back to the guess
    window.step()
    assert ev.k == window.guess
    key(pygame.K_e, "e")
    window.step()
    assert ev.k is None and reddish(colours(window, PREVIEW)) == 0


def test_the_map_follows_the_pen(window):
    key(pygame.K_e, "e")
    draw([SEVEN[0][:3]], release=False)
    window.step()
    first = window.evidence.values.copy()
    assert window.evidence.k == window.guess and first.any()
    for p in SEVEN[0][3:]:
        post(pygame.MOUSEMOTION, pos=(CANVAS.left + p[0], CANVAS.top + p[1]), rel=(0, 0),
             buttons=(1, 0, 0))
    window.step()  # the button is still held
    assert not np.array_equal(first, window.evidence.values)
    assert window.classes[window.evidence.k] == "7"


def test_typing_the_right_digit_teaches_it_and_s_saves_a_new_file(window, tmp_path,
                                                                   shipped_bytes):
    key(pygame.K_0, "0")
    window.step()
    assert window.lessons.count == 0 and "nothing to teach" in window.message
    draw(SLASHED_ZERO)
    window.step()
    assert window.classes[window.guess] == "8"
    key(pygame.K_0, "0")
    window.step()
    assert window.classes[window.guess] == "0"  # at once
    assert window.lessons.count == 1 and window.lessons.teacher.guard == "pull"
    assert "this is a 0" in window.message and "it read 8" in window.message
    lesson = LAYOUT["lesson"]
    assert (np.abs(colours(window, lesson) - render.ACCENT).max(axis=1) < 40).any()  # "taught 1"
    # S saves beside the others, never over a file: the next free name
    taken = tmp_path / "networks" / f"{ident.DEFAULT_NETWORK.stem}-taught.npz"
    taken.parent.mkdir()
    taken.write_bytes(b"someone else's")
    key(pygame.K_s, "s")
    window.step()
    saved = tmp_path / "networks" / f"{ident.DEFAULT_NETWORK.stem}-taught-2.npz"
    assert saved.name in window.message and taken.read_bytes() == b"someone else's"
    nf = netfile.load(saved)
    assert nf.taught == 1 and np.isnan(nf.test_accuracy)  # no test set at hand: not tested
    assert ident.DEFAULT_NETWORK.read_bytes() == shipped_bytes
    key(pygame.K_r, "r")
    window.step()
    draw(SLASHED_ZERO)
    window.step()
    assert window.classes[window.guess] == "0"  # still taught


def test_teaching_rehearses_mnist_when_it_is_there(mnist_dir, tmp_path):
    w = open_window(data_dir=mnist_dir, save_dir=tmp_path)
    try:
        draw(SLASHED_ZERO)
        w.step()
        key(pygame.K_0, "0")
        key(pygame.K_s, "s", pygame.KMOD_LCTRL)
        w.step()
        assert w.lessons.teacher.guard == "replay" and w.classes[w.guess] == "0"
        nf = netfile.load(tmp_path / f"{ident.DEFAULT_NETWORK.stem}-taught.npz")
        assert nf.taught == 1 and nf.test_accuracy > 0.975  # measured again, on MNIST's test set
    finally:
        pygame.display.quit()


def test_a_letter_network_takes_its_commands_off_the_letters(tmp_path):
    letters = [chr(c) + chr(c + 32) for c in range(65, 91)]
    path = tmp_path / "letters.npz"
    net = Network.create([784, 30, 26], np.random.default_rng(0))
    netfile.save(path, netfile.NetFile(net, "emnist-letters", letters, 1, 0.5, taught=4))
    w = open_window(path, data_dir=tmp_path, save_dir=tmp_path / "out")
    try:
        draw(SEVEN)
        w.step()
        for k, text, what in ((pygame.K_r, "r", "Rr"), (pygame.K_e, "E", "Ee"),
                              (pygame.K_s, "s", "Ss")):
            key(k, text)
            w.step()
            assert w.ink.any() and not w.evidence.shown  # taught, not reset nor the map
            assert f"this is a {what}" in w.message
        assert w.lessons.count == 3
        key(pygame.K_TAB)
        w.step()
        assert w.evidence.shown
        key(pygame.K_s, "s", pygame.KMOD_LCTRL)
        w.step()
        assert netfile.load(tmp_path / "out" / "letters-taught.npz").taught == 7
        key(pygame.K_BACKSPACE, "\b")
        w.step()
        assert not w.ink.any()
        key(pygame.K_ESCAPE, "\x1b")
        assert not w.step()
    finally:
        pygame.display.quit()


def test_closing_the_window_keeps_what_was_taught(window, tmp_path, capsys):
    """Esc with drawings taught and not saved: they are saved to a new file, and the terminal
    says where, as the trainer's window saves its network when closed."""
    draw(SLASHED_ZERO)
    window.step()
    key(pygame.K_0, "0")
    window.step()
    assert window.lessons.unsaved == 1
    key(pygame.K_ESCAPE, "")
    window.run(max_frames=10)
    saved = tmp_path / "networks" / f"{ident.DEFAULT_NETWORK.stem}-taught.npz"
    assert netfile.load(saved).taught == 1
    out = capsys.readouterr().out
    assert out.startswith("saved ") and saved.name in out


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_a_signal_closes_the_window_and_keeps_what_was_taught(window, tmp_path, capsys,
                                                             monkeypatch, signal_name):
    """Ctrl+C in the terminal (or kill) while drawings taught are unsaved: the window closes
    as Esc closes it, and they are saved."""
    import os
    import signal

    draw(SLASHED_ZERO)
    window.step()
    key(pygame.K_0, "0")
    window.step()
    assert window.lessons.unsaved == 1
    events = pygame.event.get

    def signalled(*args, **kw):
        os.kill(os.getpid(), getattr(signal, signal_name))
        return events(*args, **kw)

    monkeypatch.setattr(pygame.event, "get", signalled)
    window.run(max_frames=50)
    assert window.frames < 50, "the signal closed the window"
    saved = tmp_path / "networks" / f"{ident.DEFAULT_NETWORK.stem}-taught.npz"
    assert netfile.load(saved).taught == 1
    assert capsys.readouterr().out.startswith("saved ")
