"""Where the trainer window puts its panels, and what is under the mouse: pure functions of a
size and a view, so that hit-testing needs no frame to have been drawn."""

from __future__ import annotations

import pygame

from ..constants import IMAGE_SIDE
from .network_panel import NetworkPanel
from .panels import TilesPanel

SIZE = (1280, 800)
MIN_SIZE = (800, 500)  # the least every panel is legible at; a 1024×600 screen holds more


def layout(size, draw_l1: bool, strip: bool = False) -> dict:
    """Where everything goes on a canvas of `size` (at least MIN_SIZE): name -> Rect. With
    `draw_l1`, the left column ("tiles": the weight tiles or the mistakes) is there; with
    `strip`, room for the distorted training images under the network."""
    W, H = size
    rects = {"header": pygame.Rect(20, 10, W - 40, 70),
             "footer": pygame.Rect(20, H - 30, W - 40, 24),
             "header_strip": pygame.Rect(0, 0, W, 88),
             "footer_strip": pygame.Rect(0, H - 32, W, 32)}
    body = pygame.Rect(20, 92, W - 40, H - 92 - 34)
    if draw_l1:
        rects["tiles"] = pygame.Rect(body.left, body.top, round(body.width * 0.47), body.height)
        right = pygame.Rect(rects["tiles"].right + 14, body.top,
                            body.right - rects["tiles"].right - 14, body.height)
    else:
        right = body
    strip_h = min(110, round(right.height * 0.2)) if strip else 0
    net_h = round((right.height - strip_h) * 0.6)
    rects["network"] = pygame.Rect(right.left, right.top, right.width, net_h)
    top = right.top + net_h + 14
    if strip:
        rects["distorted"] = pygame.Rect(right.left, top, right.width, strip_h)
        top += strip_h + 14
    charts = pygame.Rect(right.left, top, right.width, right.bottom - top)
    half = (charts.width - 14) // 2
    rects["cost"] = pygame.Rect(charts.left, charts.top, half, charts.height)
    rects["accuracy"] = pygame.Rect(charts.left + half + 14, charts.top, charts.width - half - 14,
                                    charts.height)
    return rects


def panels_shown(view: str, neuron_open: bool, tiles: bool, strip: bool = False) -> dict:
    """Which panel each part of the layout shows: slot -> panel name. The left column holds
    the tiles (when drawn) or the mistakes; an open neuron takes the network panel's place."""
    slots = {"network": "neuron" if neuron_open else "network", "cost": "cost",
             "accuracy": "accuracy"}
    if strip:
        slots["distorted"] = "distorted"
    if view == "mistakes" or tiles:
        slots["tiles"] = "mistakes" if view == "mistakes" else "tiles"
    return slots


def rescale(xy, size_from, size_to) -> tuple[float, float]:
    """A point (or a size) on a surface of `size_from` where it falls on one of `size_to`: the
    canvas is scaled onto a window smaller than the layout's minimum."""
    return xy[0] * size_to[0] / size_from[0], xy[1] * size_to[1] / size_from[1]


def neuron_at(rects: dict, shown: dict, sizes, point) -> int | None:
    """The first-layer neuron drawn at `point` (canvas coordinates) in the layout `rects` with
    the panels `shown` (slot -> panel): a weight tile, or a cell of the network panel's first
    hidden layer. Pure, like `layout`. None elsewhere, and for a network without hidden layers
    (its first layer is the output)."""
    if len(sizes) < 3:
        return None
    if shown.get("tiles") == "tiles" and rects["tiles"].collidepoint(point):
        box, n = rects["tiles"], sizes[1]
        x, y = point[0] - box.left, point[1] - box.top
        placed, rows, cols, gap = TilesPanel.geometry(box.size, n)
        cell = IMAGE_SIDE + gap  # as TilesPanel.tile_rect places the tiles
        pitch_x = cell * placed.width / (cols * cell - gap)
        pitch_y = cell * placed.height / (rows * cell - gap)
        i = int((y - placed.top) // pitch_y) * cols + int((x - placed.left) // pitch_x)
        if 0 <= i < n and TilesPanel.tile_rect(box.size, n, i).collidepoint(x, y):
            return i
    if shown.get("network") == "network" and rects["network"].collidepoint(point):
        box = rects["network"]
        x, y = point[0] - box.left, point[1] - box.top
        for i, cell in enumerate(NetworkPanel.hidden_cells(box.size, sizes)[0]):
            if cell.inflate(2, 2).collidepoint(x, y):
                return i
    return None
