"""The trainer window's teaching keys and clicks, with SDL's dummy driver and real posted events:
the mistakes view (M, and the finished screen), a neuron opened by a click, the learning rate
changed by a key, and one batch at a time while paused."""

import csv
import os
import time

import numpy as np
import pygame
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import mlp_sigmoid_emnist as trainer  # noqa: E402
from basicnet import datasets, netfile  # noqa: E402
from basicnet.network import SGD, Network  # noqa: E402
from basicnet.trainer import window as tw  # noqa: E402
from basicnet.trainer.inspector import NeuronInspector  # noqa: E402
from basicnet.trainer.network_panel import NetworkPanel  # noqa: E402
from basicnet.trainer.panels import TilesPanel  # noqa: E402
from basicnet.training import (  # noqa: E402
    BatchDone,
    EpochDone,
    Hyper,
    RateChanged,
    Steering,
    train,
    worst_mistakes,
)


def post_key(key):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="",
                                         scancode=0))


def click(pos, button=1):
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=tuple(pos), button=button))


@pytest.fixture
def toy(toy_dir):
    return datasets.load("mnist", toy_dir)


@pytest.fixture
def window(toy, trainer_windows):
    def make(sizes=(784, 12, 10), data=None, **kw):
        return trainer_windows(sizes, data or toy, **kw)

    return make


def training(w, epochs=1, lr=0.1, schedule="constant", batch_size=32):
    return train(w.net, w.data, Hyper(epochs=epochs, batch_size=batch_size, lr=lr,
                                      schedule=schedule),
                 np.random.default_rng(0), SGD(), steering=w.steering)


# --- the mistakes view ---------------------------------------------------------------------

def test_m_shows_where_it_errs_from_the_epochs_own_evaluation(window):
    w = window()
    epochs = [e for e in w.watch(training(w, epochs=2)) if isinstance(e, EpochDone)]
    assert w.history.last_test is epochs[-1].test  # no test pass of the window's own
    assert w.history.worst == worst_mistakes(epochs[-1].test, len(w.history.worst))
    assert w.history.worst and w.state.view == "tiles" and w.tile_rect(0) is not None
    tiles = pygame.surfarray.array3d(w.surface).copy()
    assert "M  mistakes" in w.footer.key_help(3000)
    post_key(pygame.K_m)
    w.frame(time.perf_counter())
    assert w.state.view == "mistakes" and w.shown()["tiles"] == "mistakes"
    assert w.tile_rect(0) is None  # the tiles are not on screen: nothing to click there
    assert "M  tiles" in w.footer.key_help(3000)
    left = w.rects()["tiles"]
    now = pygame.surfarray.array3d(w.surface)
    region = (slice(left.left, left.right), slice(left.top, left.bottom))
    assert np.abs(now[region].astype(int) - tiles[region]).mean() > 5
    post_key(pygame.K_m)
    w.frame(time.perf_counter())
    assert w.state.view == "tiles"


def test_the_mistakes_view_also_opens_without_first_layer_tiles(window):
    w = window(draw_l1=False)
    list(w.watch(training(w)))
    assert "tiles" not in w.rects()
    post_key(pygame.K_m)
    w.frame(time.perf_counter())
    assert "tiles" in w.rects() and w.shown()["tiles"] == "mistakes"


def test_the_finished_screen_shows_the_mistakes(window, monkeypatch):
    w = window()
    list(w.watch(training(w)))
    sleeps = []

    def sleep(_):
        sleeps.append(w.state.view)
        if len(sleeps) == 3:
            post_key(pygame.K_ESCAPE)

    monkeypatch.setattr(tw.time, "sleep", sleep)
    w.hold()
    assert len(sleeps) >= 3 and set(sleeps) == {"mistakes"} and w.stopped


# --- a neuron, opened ----------------------------------------------------------------------

def test_clicking_a_tile_opens_its_neuron_and_esc_closes_it(window):
    w = window()
    list(w.watch(training(w)))
    click(w.tile_rect(5).center)
    w.frame(time.perf_counter())
    assert w.inspector.neuron == 5 and w.shown()["network"] == "neuron"
    assert "close the neuron" in w.footer.key_help(3000)
    click(w.tile_rect(2).move(1, 1).topleft)  # another tile: that one instead
    w.frame(time.perf_counter())
    assert w.inspector.neuron == 2
    post_key(pygame.K_ESCAPE)
    w.frame(time.perf_counter())
    assert w.inspector.neuron is None and not w.stopped  # Esc closed it, nothing else
    assert w.shown()["network"] == "network"
    post_key(pygame.K_ESCAPE)
    w.frame(time.perf_counter())
    assert w.stopped  # with nothing open, Esc stops as ever


def test_a_click_elsewhere_closes_the_neuron(window):
    w = window()
    w.frame(time.perf_counter())
    click(w.tile_rect(0).center)
    w.frame(time.perf_counter())
    assert w.inspector.is_open
    click(w.rects()["cost"].center)
    w.frame(time.perf_counter())
    assert not w.inspector.is_open and not w.stopped


def test_clicking_a_neuron_in_the_network_panel_opens_it(window):
    w = window((784, 20, 10), draw_l1=False)
    w.frame(time.perf_counter())
    box = w.rects()["network"]
    cell = NetworkPanel.hidden_cells(box.size, w.net.sizes)[0][13]
    click(cell.move(box.topleft).center)
    w.frame(time.perf_counter())
    assert w.inspector.neuron == 13


@pytest.mark.parametrize("sizes, size", [((784, 100, 10), (1280, 800)),
                                         ((784, 7, 10), (1024, 600)),
                                         ((784, 800, 10), (800, 500))])
def test_every_tile_and_network_cell_is_found_under_its_own_centre(sizes, size):
    rects = tw.layout(size, True)
    shown = {"tiles": "tiles", "network": "network"}
    box = rects["tiles"]
    for i in range(sizes[1]):
        tile = TilesPanel.tile_rect(box.size, sizes[1], i).move(box.topleft)
        assert tw.neuron_at(rects, shown, sizes, tile.center) == i
    net_box = rects["network"]
    for i, cell in enumerate(NetworkPanel.hidden_cells(net_box.size, sizes)[0]):
        if cell.width >= 3 and cell.height >= 3:
            assert tw.neuron_at(rects, shown, sizes, cell.move(net_box.topleft).center) == i
    assert tw.neuron_at(rects, shown, sizes, (2, 2)) is None
    assert tw.neuron_at(rects, shown, (784, 10), box.center) is None  # no hidden layer


def test_the_inspector_shows_the_test_images_that_excite_a_neuron_most_and_least(mnist):
    net = Network.create([784, 30, 10], np.random.default_rng(3))
    inspector = NeuronInspector(net, mnist.test_images, shown=6)
    inspector.open(17)
    assert inspector.update(0.0) and not inspector.update(0.5)  # then once a second
    a1 = net.forward(mnist.test_images[:10_000].astype(np.float64) / 255)[1][:, 17]
    order = np.argsort(-a1, kind="stable")
    assert set(inspector.most) == set(order[:6]) and set(inspector.least) == set(order[-6:])
    np.testing.assert_allclose(inspector.most_a, a1[inspector.most], rtol=1e-5)
    assert np.all(np.diff(inspector.most_a) <= 0) and np.all(np.diff(inspector.least_a) >= 0)
    net.W[0][:, 17] *= -1  # training moves the weights: the next update follows them
    assert inspector.update(1.0)
    assert set(inspector.most) == set(order[-6:])


def test_the_open_neuron_follows_training(window):
    w = window()
    click(w.tile_rect(4).center)
    events = w.watch(training(w, epochs=2))
    next(events)
    w.frame(time.perf_counter())
    before = w.inspector.most_a.copy()
    w.inspector._due = 0  # due again
    list(events)
    w.frame(time.perf_counter())
    assert w.inspector.neuron == 4 and not np.allclose(before, w.inspector.most_a)


# --- a hand on the learning rate -----------------------------------------------------------

def test_up_and_down_change_the_rate_of_the_following_batches(window):
    w = window()
    events, seen = w.watch(training(w, lr=0.2)), []
    for e in events:
        seen.append(e)
        if len(seen) == 2:
            post_key(pygame.K_UP)
            w.next_frame = 0  # a frame is due: it reads the key
        if len(seen) == 5:
            post_key(pygame.K_DOWN)
            post_key(pygame.K_DOWN)
            w.next_frame = 0
    rates = [round(e.lr, 6) for e in seen if isinstance(e, BatchDone)]
    assert rates == [0.2, 0.2, 0.25, 0.25, 0.16, 0.16, 0.16]
    changes = [e for e in seen if isinstance(e, RateChanged)]
    assert [round(c.factor, 6) for c in changes] == [1.25, 0.64]
    assert w.history.lr_marks == [(c.epoch, c.lr) for c in changes]
    assert "×1.25" in w.state.message or "×0.8" in w.state.message


@pytest.fixture
def up_after_two_batches(monkeypatch):
    """The trainer's window gets an ↑ after its second batch."""
    watch = tw.TrainerWindow.watch

    def press_up_after_two_batches(self, events):
        for i, event in enumerate(watch(self, events)):
            yield event
            if i == 1:
                post_key(pygame.K_UP)
                self.next_frame = 0

    monkeypatch.setattr(tw.TrainerWindow, "watch", press_up_after_two_batches)


def test_a_rate_key_lands_in_the_log(toy_dir, tmp_path, up_after_two_batches):
    log = tmp_path / "log.csv"
    code = trainer.main(["--data-dir", str(toy_dir), "--dataset", "mnist", "--no-download",
                         "--epochs", "2", "--hidden", "8", "--no-save", "--lr", "0.2",
                         "--schedule", "constant", "--seed", "4", "--log", str(log),
                         "--close-when-done"])
    assert code == 0
    with open(log, newline="") as f:
        rows = list(csv.DictReader(f))
    notes = [r for r in rows if r["note"]]
    assert len(notes) == 1 and notes[0]["note"] == "learning rate ×1.25 by hand"
    assert float(notes[0]["learning_rate"]) == pytest.approx(0.25)
    assert float(notes[0]["samples_seen"]) == 64  # two batches of 32: the change comes third
    assert float(notes[0]["epoch"]) == pytest.approx(2 / 7, abs=1e-6)
    epochs = [r for r in rows if not r["note"]]
    assert [float(r["learning_rate"]) for r in epochs] == [0.25, 0.25]
    assert rows[0]["settings"] and '"seed": 4' in rows[0]["settings"]


def test_a_rate_key_without_a_log_changes_the_rate_and_the_network_is_saved(
        toy_dir, tmp_path, up_after_two_batches):
    save = tmp_path / "net.npz"
    code = trainer.main(["--data-dir", str(toy_dir), "--dataset", "mnist", "--no-download",
                         "--epochs", "1", "--hidden", "8", "--save", str(save), "--no-log",
                         "--seed", "4", "--close-when-done"])
    assert code == 0
    assert netfile.load(save).epochs_trained == 1
    assert not save.with_suffix(".csv").exists()  # --no-log: no log


# --- one batch at a time -------------------------------------------------------------------

@pytest.mark.parametrize("also_faster", [False, True])
def test_n_trains_exactly_one_batch_while_paused(window, monkeypatch, also_faster):
    w = window()
    pulled, sleeps = [], []

    def counted(events):
        for e in events:
            pulled.append(e)
            yield e

    def sleep(_):
        sleeps.append(sum(isinstance(e, BatchDone) for e in pulled))
        if len(sleeps) == 3:
            if also_faster:
                post_key(pygame.K_UP)
            post_key(pygame.K_n)
        if len(sleeps) == 8:
            pygame.event.post(pygame.event.Event(pygame.QUIT))

    monkeypatch.setattr(tw.time, "sleep", sleep)
    events = w.watch(counted(training(w, epochs=1, lr=0.1)))
    next(events)
    post_key(pygame.K_SPACE)
    w.next_frame = 0
    rest = list(events)
    assert w.paused and w.stopped
    # waiting with one batch trained, one more on N, then waiting again
    assert sleeps == sorted(sleeps) and sleeps[0] == 1 and sleeps[-1] == 2
    batches = [e for e in pulled if isinstance(e, BatchDone)]
    assert len(batches) == 2 and len(rest) == len(pulled) - 1
    assert batches[1].lr == pytest.approx(0.125 if also_faster else 0.1)
    # the weights are those of exactly two batches of the same training
    steering = Steering()
    replay = Network.create([784, 12, 10], np.random.default_rng(1))
    for e in train(replay, w.data, Hyper(epochs=1, batch_size=32, lr=0.1, schedule="constant"),
                   np.random.default_rng(0), SGD(), steering=steering):
        if isinstance(e, BatchDone) and e.batch == 1 and also_faster:
            steering.lr_scale = 1.25
        if isinstance(e, BatchDone) and e.batch == 2:
            break
    for a, b in zip(w.net.W + w.net.b, replay.W + replay.b):
        np.testing.assert_array_equal(a, b)


def test_n_while_training_says_to_pause_first(window):
    w = window()
    post_key(pygame.K_n)
    w.frame(time.perf_counter())
    assert "Space" in w.state.message and w.state.steps == 0


def test_the_header_shows_the_rate_of_the_next_batch_at_once(window):
    """Up while paused: the header's η is the rate the next batch will use, before it runs."""
    w = window()
    w.history.note(BatchDone(1, 1, 10, 32, 1.0, 0.2), 0.0)
    assert w.header.lr_text() == "η 0.2"
    w.state.paused = True
    post_key(pygame.K_UP)
    w.frame(time.perf_counter())
    assert w.header.lr_text() == "η 0.25 (×1.25 by hand)"
