"""One first-layer neuron, opened: what it looks for (its 784 incoming weights, large, and its
bias), where its output goes (its outgoing weights: the classes it votes for, or the next
layer's neurons), and the test images that excite it most and least (chosen by the
`NeuronInspector` between batches). Drawn in the place of the network panel; reads the weights
and the inspector, changes nothing.
"""

from __future__ import annotations

import numpy as np
import pygame

from .. import render as r
from ..constants import IMAGE_SIDE
from .panels import colour_key, panel_title

OUTGOING_LISTED = 10   # a wide next layer: its strongest links only


class NeuronPanel:
    refresh_s = 0.25

    def __init__(self, net, classes: list[str], inspector, test_images: np.ndarray):
        self.net, self.classes, self.inspector, self.images = net, classes, inspector, test_images

    def draw(self, s: pygame.Surface) -> None:
        i = self.inspector.neuron
        if i is None:
            return
        rect = s.get_rect()
        n = self.net.W[0].shape[1]
        panel_title(s, [f"Neuron {i + 1} of the {n} in layer 1   (Esc or a click elsewhere "
                        f"closes it)", f"Neuron {i + 1} of {n} in layer 1", f"Neuron {i + 1}"])
        area = pygame.Rect(14, 46, rect.width - 28, rect.height - 54)
        side = int(min(area.height - 58, area.width * 0.32))
        self._weights(s, pygame.Rect(area.left, area.top, side, area.height), i)
        rest = pygame.Rect(area.left + side + 22, area.top, area.right - area.left - side - 22,
                           area.height)
        out_w = int(rest.width * 0.45)
        self._outgoing(s, pygame.Rect(rest.left, rest.top, out_w, rest.height), i)
        self._images(s, pygame.Rect(rest.left + out_w + 18, rest.top,
                                    rest.width - out_w - 18, rest.height))

    def _weights(self, s, box: pygame.Rect, i: int) -> None:
        """Its incoming weights as a 28×28 picture, in the tiles' colours and scale (the whole
        layer's), with the key and the bias under it."""
        W0 = self.net.W[0]
        scale = r.symmetric_scale(W0)
        r.text(s, "what it looks for", (box.left, box.top), 16, r.DIM)
        tile = pygame.Rect(box.left, box.top + 22, box.width, box.width)
        r.blit_array(s, r.diverging(W0[:, i].reshape(IMAGE_SIDE, IMAGE_SIDE), scale), tile,
                     keep_aspect=False)
        bias = float(self.net.b[0][i])
        r.text(s, r.fit_text(f"bias {bias:+.3f}", box.width, 17), (box.left, tile.bottom + 6),
               17, r.TEXT)
        key_w = max(40, box.width - 70)
        colour_key(s, box.centerx, tile.bottom + 44, key_w, scale, words=False)

    def _outgoing(self, s, box: pygame.Rect, i: int) -> None:
        """Its outgoing weights: one signed bar per class when the next layer is the output,
        else the strongest links into the next hidden layer."""
        last = len(self.net.W) == 2
        w = self.net.W[1][i]
        if last:
            title = "votes for (+) and against (−)"
            names = self.classes
        else:
            title = "feeds layer 2: strongest links"
            names = [f"#{j + 1}" for j in range(len(w))]
        r.text(s, r.first_that_fits([title, "its output goes to", "out"], box.width, 16),
               box.topleft, 16, r.DIM)
        rows = pygame.Rect(box.left, box.top + 24, box.width, box.height - 24)
        fit = max(1, int(rows.height // 13))
        if last and len(w) <= fit:
            shown = np.arange(len(w))
        else:  # the strongest links, strongest first
            shown = np.argsort(-np.abs(w), kind="stable")[:min(OUTGOING_LISTED, fit)]
        row = min(rows.height / max(len(shown), 1), 26)
        size = int(np.clip(row * 0.75, 11, 16))
        label_w = max(r.text_size(names[j], size)[0] for j in shown) + 8
        centre = rows.left + label_w + (rows.width - label_w) / 2
        half = (rows.width - label_w) / 2 - 2
        top = float(np.abs(w).max(initial=0)) or 1.0
        colours = r.diverging(w[shown], top)
        pygame.draw.line(s, r.GRID, (centre, rows.top), (centre, rows.top + row * len(shown)))
        for n, (j, colour) in enumerate(zip(shown, colours)):
            y = rows.top + n * row
            r.text(s, names[j], (rows.left + label_w - 8, y + row / 2), size, r.TEXT,
                   "midright")
            length = max(1, round(abs(float(w[j])) / top * half))
            bar = pygame.Rect(0, round(y + 2), length, max(1, round(row) - 4))
            if w[j] >= 0:
                bar.left = round(centre)
            else:
                bar.right = round(centre)
            s.fill(tuple(int(c) for c in colour), bar)

    def _images(self, s, box: pygame.Rect) -> None:
        """The test images it answers most and least, with its activation for each."""
        ins = self.inspector
        half = (box.height - 8) // 2
        for n, (words, indices, values) in enumerate((
                ("excite it most", ins.most, ins.most_a),
                ("excite it least", ins.least, ins.least_a))):
            group = pygame.Rect(box.left, box.top + n * (half + 8), box.width, half)
            r.text(s, r.first_that_fits([f"test images that {words}", words, ""],
                                        group.width, 16), group.topleft, 16, r.DIM)
            self._grid(s, pygame.Rect(group.left, group.top + 22, group.width,
                                      group.height - 22), indices, values)
        some = "the first" if ins.n_samples < len(self.images) else "all"
        r.text(s, r.fit_text(f"of {some} {ins.n_samples:,} test images", box.width, 14),
               (box.left, box.bottom), 14, r.blend(r.DIM, r.PANEL, 0.7), "bottomleft")

    def _grid(self, s, box: pygame.Rect, indices, values) -> None:
        """The images in rows, each with its activation under it: all of them, or the first
        half when that shows them much larger (a small window)."""
        label_h = r.text_size("0", 14)[1]
        best = (0.0, 0, 1, 1)  # (area shown, cell, columns, count)
        for n in {len(indices), len(indices) // 2}:
            for cols in range(1, n + 1):
                rows = -(-n // cols)
                cell = int(min(box.width / cols - 6, (box.height - 14) / rows - label_h - 4))
                if cell >= 12:
                    best = max(best, (n * cell ** 2, cell, cols, n))
        _, cell, cols, n = best
        for k, (i, a) in enumerate(zip(indices[:n], values[:n])):
            row, col = divmod(k, cols)
            img = pygame.Rect(box.left + col * (cell + 6), box.top + row * (cell + label_h + 4),
                              cell, cell)
            r.blit_array(s, r.gray_image(self.images[i], IMAGE_SIDE), img, keep_aspect=False)
            r.text(s, f"{a:.2f}", (img.centerx, img.bottom + 1), 14, r.DIM, "midtop")
