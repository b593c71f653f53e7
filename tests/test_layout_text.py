"""No text is drawn over other text: every window, at its default size and the smallest one it
allows, with small and large networks, 10 and 62 classes. Each call of render.text is recorded
with the rectangle it covers on its surface; no two may overlap."""

import os

import numpy as np
import pygame
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from test_trainer_window import toy_data  # noqa: E402

from basicnet import render  # noqa: E402
from basicnet.identifier import window as iw  # noqa: E402
from basicnet.netfile import NetFile  # noqa: E402
from basicnet.network import Network  # noqa: E402
from basicnet.trainer import window as tw  # noqa: E402
from basicnet.training import BatchDone  # noqa: E402

LETTERS = [chr(65 + k) + chr(97 + k) for k in range(26)]
MANY = [str(k) for k in range(10)] + [chr(65 + k) for k in range(26)] + \
    [chr(97 + k) for k in range(26)]


@pytest.fixture
def texts(monkeypatch):
    """Every text drawn: (surface, rect, string, the surface's rect)."""
    drawn = []
    real = render.text

    def recording(surface, s, *args, **kwargs):
        rect = real(surface, s, *args, **kwargs)
        if str(s).strip():
            drawn.append((surface, rect, str(s), surface.get_rect()))
        return rect

    monkeypatch.setattr(render, "text", recording)
    return drawn


def overlaps(drawn) -> list:
    found = []
    for i, (surface, rect, s, _) in enumerate(drawn):
        for other, other_rect, t, _ in drawn[i + 1:]:
            if other is surface and rect.clip(other_rect).width * rect.clip(other_rect).height \
                    > 4:  # antialiased edges may touch
                found.append((s, t, rect, other_rect))
    return found


def inside(drawn) -> list:
    """Texts that run past the surface they are drawn on."""
    return [(s, rect) for _, rect, s, area in drawn if not area.contains(rect)]


@pytest.mark.parametrize("size", [tw.SIZE, tw.MIN_SIZE])
@pytest.mark.parametrize("sizes, classes, distort", [
    ((784, 100, 10), None, False), ((784, 24, 16, 10), None, True),
    ((784, 128, 64, 32, 16, 10), None, False), ((784, 800, 26), LETTERS, True),
    ((784, 30, 62), MANY, False)])
def test_trainer_texts_never_overlap(texts, size, sizes, classes, distort):
    net = Network.create(list(sizes), np.random.default_rng(1))
    data = toy_data(sizes[-1], classes=classes)
    extra = dict(distort=lambda images, rng: images, distortion="affine, elastic") \
        if distort else {}
    w = tw.TrainerWindow(net, data, title="emnist-bymerge", epochs=12, visible=False, size=size,
                         rng=np.random.default_rng(2), **extra)
    try:
        for i in range(40):  # figures in the header, points on the charts
            w.history.note(BatchDone(3, i + 1, 1875, 123_456_789 + i, 0.5, 0.123), float(i))
        w.update(100.0)
        w.draw()
    finally:
        w.close()
    assert overlaps(texts) == []
    assert inside(texts) == []


@pytest.mark.parametrize("size", [iw.SIZE, iw.MIN_SIZE])
@pytest.mark.parametrize("classes", [[str(k) for k in range(10)], LETTERS, MANY])
def test_identifier_texts_never_overlap(texts, size, classes):
    pygame.display.init()
    pygame.font.init()
    try:
        net = Network.create([784, 256, 64, len(classes)], np.random.default_rng(1))
        nf = NetFile(net, "emnist-byclass", classes, 12, 0.8765)
        w = iw.IdentifierWindow(nf, "a-network-with-a-long-file-name.npz", size=size)
        w.sketch.press((100, 100))
        w.sketch.move((300, 340))
        w.sketch.release()
        w.say("switched to a-network-with-a-long-file-name.npz · emnist-byclass · 87.65% test "
              "accuracy, and a message long enough to need shortening")
        w.step()
    finally:
        pygame.display.quit()
    assert overlaps(texts) == []
    assert inside(texts) == []
