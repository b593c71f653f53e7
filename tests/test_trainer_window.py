"""The live training window, with SDL's dummy video driver (set in CI and here)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pygame
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import mlp_sigmoid_emnist as trainer  # noqa: E402
from basicnet import datasets, netfile, render  # noqa: E402
from basicnet.network import SGD, Network  # noqa: E402
from basicnet.trainer import window as tw  # noqa: E402
from basicnet.training import BatchDone, Hyper, train  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def toy_data(n_classes=10, n=64, classes=None):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, 784)).astype(np.uint8)
    y = rng.integers(0, n_classes, n).astype(np.int64)
    return datasets.Dataset("toy", x, y, x[:16], y[:16],
                            classes or [str(i) for i in range(n_classes)])


def fake_events(n, n_batches=10, log=None):
    """BatchDone events without training; `log` counts how many were pulled."""
    for i in range(n):
        if log is not None:
            log.append(i)
        yield BatchDone(1 + i // n_batches, 1 + i % n_batches, n_batches, 32 * (i + 1), 1.0, 0.1)


@pytest.fixture
def window(trainer_windows):
    def make(sizes=(784, 6, 10), data=None, **kw):
        return trainer_windows(sizes, data or toy_data(sizes[-1]), **kw)

    return make


def post_key(key):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="",
                                         scancode=0))


def test_window_opens_and_draws(window):
    w = window()
    assert pygame.display.get_surface() is not None
    assert pygame.display.get_surface().get_size() == tw.SIZE
    w.frame(time.perf_counter())
    assert w.frames == 1
    # not a blank screen: the panels and the colour key use many colours
    px = pygame.surfarray.array3d(w.surface).reshape(-1, 3)
    assert len(np.unique(px[::7], axis=0)) > 50


def test_tiles_show_the_actual_weights(window):
    w = window((784, 3, 10))
    W0 = np.zeros((784, 3), np.float32)
    img = W0.reshape(28, 28, 3)
    img[:14, :, 0] = 1.0      # neuron 0 likes ink in the top half,
    img[14:, :, 0] = -1.0     # hates it in the bottom half
    img[:, 14:, 1] = -1.0     # neuron 1 hates ink on the right; neuron 2 is all zero
    w.net.W[0][:] = W0
    w.draw()
    scale = render.symmetric_scale(W0)
    like, hate, zero = render.diverging(np.array([1.0, -1.0, 0.0]), scale).astype(int)

    def pixel(neuron, y, x):
        t = w.tile_rect(neuron)
        return np.array(w.surface.get_at((t.left + round((x + 0.5) * t.width / 28),
                                          t.top + round((y + 0.5) * t.height / 28))))[:3]

    for neuron, y, x, want in [(0, 5, 5, like), (0, 22, 20, hate), (1, 10, 3, zero),
                               (1, 10, 24, hate), (2, 14, 14, zero)]:
        assert np.abs(pixel(neuron, y, x) - want).max() <= 8, (neuron, y, x)
    assert np.abs(like - hate).max() > 100  # and those colours do differ


def test_tiles_follow_training(window):
    w = window((784, 4, 10))
    w.draw()
    t = w.tile_rect(0)
    before = pygame.surfarray.array3d(w.surface.subsurface(t)).copy()
    w.net.W[0][:, 0] = np.linspace(-1, 1, 784)
    w.refresh()
    w.draw()
    after = pygame.surfarray.array3d(w.surface.subsurface(w.tile_rect(0)))
    assert np.abs(after.astype(int) - before).mean() > 20


@pytest.mark.parametrize("sizes", [(784, 800, 10), (784, 24, 16, 10), (784, 64, 32, 16, 16, 10),
                                   (784, 10)])
def test_any_depth_and_size_draws(window, sizes):
    w = window(sizes)
    w.frame(time.perf_counter())
    n = sizes[1] if len(sizes) > 2 else 10
    if len(sizes) > 2:
        first, last = w.tile_rect(0), w.tile_rect(n - 1)
        screen = w.surface.get_rect()
        assert screen.contains(first) and screen.contains(last) and first != last


def test_emnist_labels_and_no_first_layer(window):
    letters = [chr(ord("A") + i) + chr(ord("a") + i) for i in range(26)]
    w = window((784, 30, 26), data=toy_data(26, classes=letters), draw_l1=False)
    w.frame(time.perf_counter())
    assert w.tile_rect(0) is None  # --no-draw-l1
    many = [str(i) for i in range(62)]
    w2 = window((784, 30, 62), data=toy_data(62, classes=many))
    w2.frame(time.perf_counter())


def test_quit_stops_after_the_current_batch(window):
    w = window()
    pulled = []
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    seen = list(w.watch(fake_events(1000, log=pulled)))
    assert w.stopped and len(seen) == 1 and len(pulled) == 1


def test_space_pauses_training_until_pressed_again(window, monkeypatch):
    w = window()
    pulled, during_pause = [], []

    def sleep(_):
        during_pause.append(len(pulled))
        if len(during_pause) == 5:
            post_key(pygame.K_SPACE)  # resume

    monkeypatch.setattr(tw.time, "sleep", sleep)
    events = w.watch(fake_events(50, log=pulled))
    next(events)
    post_key(pygame.K_SPACE)
    w.next_frame = 0  # a frame is due: it reads the key
    next(events)
    assert len(during_pause) >= 5 and len(set(during_pause)) == 1  # nothing trained meanwhile
    assert not w.paused
    assert len(list(events)) == 48


def test_s_saves_now(window):
    saved = []
    w = window(on_save=lambda: saved.append(1) or "saved it")
    post_key(pygame.K_s)
    w.frame(time.perf_counter())
    assert saved == [1] and w.state.message == "saved it"


def test_dropped_file_does_not_stop_training(window, tmp_path):
    w = window()
    pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=str(tmp_path / "other.npz")))
    w.frame(time.perf_counter())
    assert not w.stopped and "mlp_sigmoid_emnist.py" in w.state.message


def test_drawing_keeps_to_its_budget(window):
    """Events arriving every 0.2 ms for 1.5 s: drawing takes a small share of the time."""
    w = window((784, 100, 10))

    def busy(n):
        for e in fake_events(n, n_batches=1000):
            end = time.perf_counter() + 0.0002
            while time.perf_counter() < end:
                pass
            yield e

    started = time.perf_counter()
    for _ in w.watch(busy(10**6)):
        if time.perf_counter() - started > 1.5:
            break
    wall = time.perf_counter() - started
    assert w.frames >= 3
    assert w.drawing_s / wall < 0.12, (w.drawing_s, wall, w.frames)


def test_real_training_through_the_window(window, toy_dir):
    data = datasets.load("mnist", toy_dir)
    net = Network.create([784, 8, 10], np.random.default_rng(0))
    w = tw.TrainerWindow(net, data, epochs=2, rng=np.random.default_rng(0))
    try:
        events = list(w.watch(train(net, data, Hyper(epochs=2), np.random.default_rng(0),
                                    SGD())))
    finally:
        w.close()
    assert len(w.history.test_acc) == 2 and w.finished and len(events) == 2 * 7 + 2


# --- the trainer script --------------------------------------------------------------------

def run_trainer(args, env=None, timeout=60):
    e = dict(os.environ, OPENBLAS_NUM_THREADS="1", **(env or {}))
    return subprocess.run([sys.executable, str(ROOT / "mlp_sigmoid_emnist.py"), *args],
                          capture_output=True, text=True, env=e, timeout=timeout, cwd=ROOT)


def test_closing_the_window_stops_and_saves(toy_dir, tmp_path, monkeypatch, capsys):
    watch = tw.TrainerWindow.watch

    def closing(self, events):
        pygame.event.post(pygame.event.Event(pygame.QUIT))
        yield from watch(self, events)

    monkeypatch.setattr(tw.TrainerWindow, "watch", closing)
    save = tmp_path / "net.npz"
    code = trainer.main(["--data-dir", str(toy_dir), "--epochs", "100", "--hidden", "8",
                         "--save", str(save), "--log", str(tmp_path / "log.csv")])
    out = capsys.readouterr().out
    assert code == 0 and "window closed" in out and "test accuracy:" in out
    nf = netfile.load(save)
    assert nf.samples_seen == 32 and nf.epochs_trained == 0  # one batch, then it stopped
    assert not np.allclose(nf.net.W[0], 0)


def test_record_writes_an_animated_gif(toy_dir, tmp_path):
    from PIL import Image

    gif = tmp_path / "run.gif"
    p = run_trainer(["--data-dir", str(toy_dir), "--epochs", "4", "--hidden", "8", "--no-save",
                     "--log", str(tmp_path / "log.csv"), "--record", str(gif),
                     "--close-when-done"], env={"SDL_VIDEODRIVER": "dummy"})
    assert p.returncode == 0, p.stderr
    assert f"recording: {gif}" in p.stdout
    with Image.open(gif) as im:
        assert im.n_frames >= 4 and im.size[0] <= 600
        im.seek(im.n_frames - 1)
        assert len(im.convert("RGB").getcolors(100000)) > 20  # a picture, not a blank


def test_record_headless_needs_no_display(toy_dir, tmp_path):
    gif = tmp_path / "run.gif"
    p = run_trainer(["--data-dir", str(toy_dir), "--epochs", "2", "--hidden", "8", "--no-save",
                     "--headless", "--log", str(tmp_path / "log.csv"), "--record", str(gif)],
                    env={"SDL_VIDEODRIVER": "nosuchdriver"})
    assert p.returncode == 0, p.stderr
    assert gif.stat().st_size > 1000 and "no display" not in p.stdout
    assert p.stderr == ""  # nothing says a window stays open: there is none


@pytest.mark.parametrize("display", ["unusable driver", "no display variables"])
def test_no_display_trains_headless_with_a_notice(toy_dir, tmp_path, monkeypatch, display):
    if display == "unusable driver":
        monkeypatch.setenv("SDL_VIDEODRIVER", "nosuchdriver")
    else:  # an SSH session: SDL would quietly pick an invisible off-screen window
        for var in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY"):
            monkeypatch.delenv(var, raising=False)
    save = tmp_path / "net.npz"
    p = run_trainer(["--data-dir", str(toy_dir), "--epochs", "2", "--hidden", "8",
                     "--save", str(save), "--log", str(tmp_path / "log.csv")])
    assert p.returncode == 0, p.stderr
    notes = [line for line in p.stdout.splitlines() if "no display" in line]
    assert len(notes) == 1 and notes[0].startswith("note: ")
    assert p.stdout.rstrip().splitlines()[-1].startswith("test accuracy:")
    assert netfile.load(save).epochs_trained == 2
    assert p.stderr == ""


def test_record_must_be_a_gif(tmp_path):
    p = run_trainer(["--record", str(tmp_path / "x.png"), "--headless"])
    assert p.returncode == 2 and "gif" in p.stderr and not (tmp_path / "x.png").exists()


def test_record_never_overwrites_a_file(toy_dir, tmp_path):
    gif = tmp_path / "old.gif"
    gif.write_bytes(b"precious")
    p = run_trainer(["--data-dir", str(toy_dir), "--epochs", "1", "--no-save", "--headless",
                     "--log", str(tmp_path / "log.csv"), "--record", str(gif)])
    assert p.returncode == 2 and gif.read_bytes() == b"precious"
    assert p.stderr.strip().splitlines() == [f"error: --record {gif}: the file exists; choose "
                                             f"another name or add --overwrite"]


def test_a_tiny_window_still_draws():
    net = Network.create([784, 24, 16, 10], np.random.default_rng(0))
    w = tw.TrainerWindow(net, toy_data(), visible=False, size=(100, 60))
    w.draw()
    w.draw(full=False)
    assert w.surface.get_size() == (100, 60)


def test_s_key_saves_mid_epoch_from_the_trainer(toy_dir, tmp_path, monkeypatch, capsys):
    watch = tw.TrainerWindow.watch

    def press_s_then_close(self, events):
        for i, event in enumerate(watch(self, events)):
            yield event
            if i == 2:  # after three batches: S, then close
                post_key(pygame.K_s)
                pygame.event.post(pygame.event.Event(pygame.QUIT))
                self.next_frame = 0

    monkeypatch.setattr(tw.TrainerWindow, "watch", press_s_then_close)
    save = tmp_path / "deep" / "net.npz"
    code = trainer.main(["--data-dir", str(toy_dir), "--epochs", "5", "--hidden", "8",
                         "--save", str(save), "--log", str(tmp_path / "log.csv")])
    out = capsys.readouterr().out
    assert code == 0 and out.count(f"saved: {save}") == 2  # S, then the autosave on close
    assert netfile.load(save).samples_seen == 3 * 32  # no batch after the close


def test_the_window_stays_on_the_finished_run_until_closed(toy_dir, tmp_path, monkeypatch,
                                                            capsys):
    """Training over: the network is saved and the accuracy line printed at once; then the
    window shows FINISHED and keeps drawing until Esc, and the run ends normally."""
    save = tmp_path / "net.npz"
    seen, hold = {}, tw.TrainerWindow.hold
    sleeps = []

    def sleep(_):
        sleeps.append(1)
        if len(sleeps) == 5:
            post_key(pygame.K_ESCAPE)

    def watched_hold(self):
        seen.update(saved=save.exists(), out=capsys.readouterr().out, frames=self.frames)
        monkeypatch.setattr(tw.time, "sleep", sleep)
        hold(self)
        seen.update(label=self.state.label(), drawn=self.frames - seen["frames"])

    monkeypatch.setattr(tw.TrainerWindow, "hold", watched_hold)
    code = trainer.main(["--data-dir", str(toy_dir), "--epochs", "1", "--hidden", "8",
                         "--save", str(save), "--log", str(tmp_path / "log.csv")])
    assert code == 0 and seen["saved"]
    assert seen["out"].strip().splitlines()[-1].startswith("test accuracy:")
    assert seen["label"] == "FINISHED" and seen["drawn"] >= 5
    assert capsys.readouterr().out == ""  # nothing printed after the accuracy line


def test_close_when_done_does_not_wait(toy_dir, tmp_path, monkeypatch, capsys):
    def never(self):
        raise AssertionError("held the window open")

    monkeypatch.setattr(tw.TrainerWindow, "hold", never)
    code = trainer.main(["--data-dir", str(toy_dir), "--epochs", "1", "--hidden", "8",
                         "--no-save", "--log", str(tmp_path / "log.csv"), "--close-when-done"])
    assert code == 0 and capsys.readouterr().out.strip().splitlines()[-1].startswith("test acc")


def test_finished_screen_says_how_to_end(window):
    w = window()
    assert "pause" in w.footer.key_help(2000)
    w.state.finished = True
    assert w.state.label() == "FINISHED"
    assert "Esc" in w.footer.key_help(2000) and "pause" not in w.footer.key_help(2000)
    assert w.footer.key_help(60) in ("Esc  end", "")  # a narrow window gets the short form


def test_with_augmentation_the_window_shows_training_images_as_distorted(window):
    """The strip shows what `distort` made of training images, not the images as stored."""
    def distort(images, rng):
        return 255 - images  # a distortion one can see at a glance

    w = window((784, 6, 10), distort=distort, distortion="inverted")
    w.frame(time.perf_counter())
    shown = w.distorted.images
    assert shown is not None and len(shown) == 8
    stored = [np.flatnonzero((w.data.train_images == 255 - img).all(axis=1)) for img in shown]
    assert all(len(found) for found in stored)  # each one a training image, inverted
    strip = w.rects()["distorted"]
    assert w.surface.get_rect().contains(strip) and not strip.colliderect(w.rects()["network"])
