"""The shared drawing primitives: colour maps, tile layout, charts. No window needed."""

import numpy as np
import pygame
import pytest

from basicnet import render as r


def test_diverging_is_symmetric_around_the_centre_colour():
    c = r.diverging(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), scale=1.0)
    assert c.dtype == np.uint8 and c.shape == (5, 3)
    centre = r.DIVERGING_ANCHORS[3][1]
    assert tuple(c[2]) == centre
    assert tuple(c[3]) == r.DIVERGING_ANCHORS[-1][1]   # +scale: the red end
    assert tuple(c[1]) == r.DIVERGING_ANCHORS[0][1]    # -scale: the blue end
    assert (c[0] == c[1]).all() and (c[4] == c[3]).all()       # beyond the scale: clipped
    neg, pos = r.diverging(np.array([-0.5, 0.5]), 1.0).astype(int)
    assert neg[2] > neg[0] and pos[0] > pos[2]                  # blue below zero, red above


def test_diverging_grows_away_from_zero():
    v = np.linspace(0, 1, 50)
    mid = np.array(r.DIVERGING_LUT[len(r.DIVERGING_LUT) // 2], int)
    dist = np.abs(r.diverging(v, 1.0).astype(int) - mid).sum(axis=1)
    assert (np.diff(dist) >= -3).all() and dist[-1] > 150


def test_default_scale_ignores_one_outlier():
    w = np.random.default_rng(0).normal(0, 0.05, 1000).astype(np.float32)
    w[0] = 50.0
    assert r.symmetric_scale(w) < 5  # the max would be 50: everything else grey
    assert r.symmetric_scale(np.zeros(10)) == 1.0


def test_sequential_brightens():
    c = r.sequential(np.linspace(0, 1, 20)).astype(int).sum(axis=1)
    assert (np.diff(c) >= 0).all() and c[-1] > c[0] + 300


@pytest.mark.parametrize("n", [1, 10, 24, 100, 800, 1000])
def test_grid_holds_every_tile_and_uses_the_space(n):
    rows, cols = r.grid_shape(n, 600, 500)
    assert rows * cols >= n and (rows - 1) * cols < n
    size = min(600 / cols, 500 / rows)
    assert size * size * n > 0.4 * 600 * 500  # tiles cover a good part of the area


def test_tile_mosaic_puts_each_neurons_weights_in_its_tile():
    W = np.zeros((784, 5), np.float32)
    W[3 * 28 + 7, 4] = 1.0       # neuron 4, pixel (row 3, column 7)
    W[27 * 28 + 0, 1] = -1.0     # neuron 1, pixel (row 27, column 0)
    m = r.tile_mosaic(W, 28, cols=3, gap=2, scale=1.0)
    assert m.shape == (2 * 30 - 2, 3 * 30 - 2, 3)
    red, blue = r.diverging(np.array([1.0, -1.0]), 1.0)
    assert (m[30 + 3, 30 + 7] == red).all()           # neuron 4: row 1, column 1
    assert (m[27, 30 + 0] == blue).all()              # neuron 1: row 0, column 1
    assert (m[28, 5] == r.BACKGROUND).all()           # the gap
    centre = r.diverging(np.array([0.0]), 1.0)[0]
    assert (m[5, 5] == centre).all()


def test_array_to_surface_keeps_pixels_and_enlarges_crisply():
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[1, 2] = (250, 10, 20)
    surf = r.array_to_surface(rgb, (30, 20))
    assert surf.get_size() == (30, 20)
    assert tuple(surf.get_at((25, 15)))[:3] == (250, 10, 20)
    assert tuple(surf.get_at((21, 11)))[:3] == (250, 10, 20)
    assert tuple(surf.get_at((19, 9)))[:3] == (0, 0, 0)


def test_line_chart_draws_the_series_colour():
    pygame.font.init()
    s = pygame.Surface((300, 200))
    s.fill((0, 0, 0))
    colour = (10, 250, 20)
    r.draw_line_chart(s, s.get_rect(), [([0, 1, 2], [0.0, 0.5, 1.0], colour, "c")], title="t")
    px = pygame.surfarray.array3d(s).reshape(-1, 3)
    assert (px == colour).all(axis=1).sum() > 50


def test_nice_ticks():
    assert r.nice_ticks(0, 1) == [0.0, 0.5, 1.0]
    t = r.nice_ticks(0.013, 0.47)
    assert t[0] >= 0.013 and t[-1] <= 0.47 and 3 <= len(t) <= 6
