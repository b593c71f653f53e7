"""The network on one test image: the image, every layer's activations, the strongest weights
between the deeper layers, and the output with the guess against the label."""

from __future__ import annotations

import numpy as np
import pygame

from .. import render as r
from ..constants import IMAGE_SIDE
from ..network import ACTIVATION_RANGE
from .panels import panel_title

MAX_LINKS = 300  # per pair of layers: the strongest weights only


class NetworkPanel:
    refresh_s = 0.25

    def __init__(self, net, classes: list[str], probe):
        self.net, self.classes, self.probe = net, classes, probe

    @staticmethod
    def frame(size, sizes) -> tuple:
        """Where the parts go in a panel of `size` for layer `sizes`: (inner rect, image width,
        output column width, hidden column pitch, top and height of the layers). Pure, so the
        window can find the neuron under the mouse without drawing."""
        inner = pygame.Rect(14, 52, size[0] - 28, size[1] - 62)
        # the image with two lines under it (label, guess) in the height there is
        img_w = max(28, min(168, inner.width // 5, inner.height - 22 - 56))
        out_w = 150 if NetworkPanel.labelled(size, sizes[-1]) else 130
        col_w = (inner.width - img_w - out_w) / (len(sizes) - 2 + 1)
        top = inner.top + 22
        return inner, img_w, out_w, col_w, top, inner.bottom - top

    @staticmethod
    def labelled(size, n_out: int) -> bool:
        """One row per class with its name and a bar, when rows are tall enough for a name."""
        return n_out <= 30 and (size[1] - 62 - 22) / n_out >= 14

    @staticmethod
    def hidden_cells(size, sizes) -> list[list[pygame.Rect]]:
        """Each hidden layer's cells, in the coordinates of a panel of `size`."""
        inner, img_w, _, col_w, top, layer_h = NetworkPanel.frame(size, sizes)
        columns = []
        for l, n in enumerate(sizes[1:-1]):
            cx = inner.left + img_w + col_w * (l + 1)
            w = min(max(col_w * 0.45, 12), 120)
            columns.append(r.layer_cells(n, pygame.Rect(round(cx - w / 2), top, round(w),
                                                        layer_h)))
        return columns

    def draw(self, s: pygame.Surface) -> None:
        net, probe = self.net, self.probe
        rect = s.get_rect()
        panel_title(s, ["The network on one test image", "One test image"])
        image, truth, acts = probe.image, probe.label, probe.activations
        if acts is None:
            image, acts = None, [None] + [np.zeros(n, np.float32) for n in net.sizes[1:]]
        inner, img_w, out_w, col_w, top, layer_h = self.frame(rect.size, net.sizes)
        n_out = net.sizes[-1]
        hidden = net.sizes[1:-1]
        labelled = self.labelled(rect.size, n_out)
        img_rect = pygame.Rect(inner.left, top + max(0, (layer_h - img_w - 56) // 2), img_w,
                               img_w)
        guess = int(np.argmax(acts[-1])) if image is not None else None
        if image is not None:
            room = img_w + col_w * 0.5 - 12  # up to the first layer's cells
            self._verdict(s, inner, img_rect, image, truth, guess, acts[-1], room)
        columns = self.hidden_cells(rect.size, net.sizes)
        self._hidden_names(s, inner, hidden, img_w, col_w)
        out_box = pygame.Rect(inner.right - out_w, top, out_w, layer_h)
        r.text(s, f"output  ({n_out})", (out_box.left + 40, inner.top), 16, r.DIM, "midtop")
        if labelled:
            row = min(out_box.height / n_out, 30)
            y0 = out_box.top + (out_box.height - row * n_out) / 2
            side = max(3, min(round(row) - 3, 20))
            out_cells = [pygame.Rect(out_box.left, round(y0 + i * row + (row - side) / 2),
                                     side, side) for i in range(n_out)]
        else:
            out_cells = r.layer_cells(n_out, pygame.Rect(out_box.left, top, 36, layer_h))
        # links: the deeper layers' weights (the first layer's are the tiles), from a layer's
        # right edge into the next one's left edge at each neuron's height: a grid of many
        # neurons stays readable
        cols = columns + [out_cells]
        for l in range(1, len(net.W)):
            right = max(c.right for c in cols[l - 1])
            left = min(c.left for c in cols[l])
            r.draw_links(s, [(right, c.centery) for c in cols[l - 1]],
                         [(left, c.centery) for c in cols[l]], net.W[l], max_links=MAX_LINKS,
                         background=r.PANEL)
        # a faint fan from the image to the first hidden layer: every pixel feeds every neuron
        if image is not None and columns:
            fan = r.blend(r.GRID, r.PANEL, 0.6)
            left = min(c.left for c in columns[0])
            for c in columns[0][:: max(1, len(columns[0]) // 48)]:
                pygame.draw.line(s, fan, img_rect.midright, (left, c.centery))
        for l, col in enumerate(columns):
            lo, hi = r.activation_range(ACTIVATION_RANGE[net.hidden], acts[l + 1])
            r.draw_activations(s, col, acts[l + 1], net.b[l], vmin=lo, vmax=hi)
        r.draw_activations(s, out_cells, acts[-1], net.b[-1], highlight=guess)
        if labelled:
            self._class_rows(s, out_cells, out_box, acts[-1], guess, truth, row)
        else:
            self._top_classes(s, out_box, acts[-1], guess, truth)

    def _verdict(self, s, inner, img_rect, image, truth, guess, out, room: float) -> None:
        """The image, its label and the guess (green when right, red when wrong), in no more
        than `room` pixels of width."""
        r.blit_array(s, r.gray_image(image, IMAGE_SIDE), img_rect, keep_aspect=False)
        pygame.draw.rect(s, r.GRID, img_rect.inflate(2, 2), 1)
        label = r.first_that_fits([f"label {self.classes[truth]}", self.classes[truth]], room, 18)
        r.text(s, label, (img_rect.centerx, img_rect.bottom + 8), 18, r.DIM, "midtop")
        p = 100 * float(self.net.output_layer.confidence(out)[guess])
        c = self.classes[guess]
        verdict = r.first_that_fits([f"guess {c}  {p:.0f}%", f"guess {c}", c], room, 22, True)
        # centred under the image, but never past the panel's edge
        x = max(img_rect.centerx, inner.left + r.text_size(verdict, 22, True)[0] // 2)
        r.text(s, verdict, (x, img_rect.bottom + 30), 22, r.GOOD if guess == truth else r.BAD,
               "midtop", bold=True)

    @staticmethod
    def _hidden_names(s, inner, hidden, img_w, col_w) -> None:
        """Each hidden layer's name and size above its column."""
        roomy = col_w >= r.text_size("hidden 4  (000)", 16)[0] + 12
        for l, n in enumerate(hidden):
            cx = inner.left + img_w + col_w * (l + 1)
            r.text(s, f"hidden {l + 1}  ({n})" if roomy else str(n), (cx, inner.top), 16,
                   r.DIM, "midtop")
        if hidden and not roomy:
            mid = inner.left + img_w + col_w * (len(hidden) + 1) / 2
            r.text(s, "hidden layers" if len(hidden) > 1 else "hidden", (mid, inner.top - 4),
                   16, r.DIM, "midbottom")

    def _class_rows(self, s, out_cells, out_box, out, guess, truth, row) -> None:
        """Up to 30 classes: a row each with its name and a bar."""
        size = max(13, min(20, round(row * 0.8)))
        x = out_cells[0].right + 8
        bar_x = x + max(r.text_size(c, size, True)[0] for c in self.classes) + 8
        for i, c in enumerate(out_cells):
            colour = (r.GOOD if guess == truth else r.BAD) if i == guess else \
                r.TEXT if i == truth else r.DIM
            r.text(s, self.classes[i], (x, c.centery), size, colour, "midleft",
                   bold=i in (guess, truth))
            w = round(float(np.clip(out[i], 0, 1)) * (out_box.right - bar_x))
            if w >= 2:  # thinner would read as a stray mark
                pygame.draw.rect(s, r.blend(colour, r.PANEL, 0.85),
                                 (bar_x, c.top + 2, w, max(2, c.height - 4)))

    def _top_classes(self, s, out_box, out, guess, truth) -> None:
        """More classes than rows: the six most likely, with their shares."""
        shares = self.net.output_layer.confidence(out)
        y = out_box.top
        rows = max(1, min(6, (out_box.height + 4) // 22))  # as many as the height holds
        for k in np.argsort(shares)[::-1][:rows]:
            colour = (r.GOOD if k == truth else r.BAD) if k == guess else \
                r.TEXT if k == truth else r.DIM
            r.text(s, f"{self.classes[k]}  {100 * shares[k]:.0f}%", (out_box.right, y), 18,
                   colour, "topright", bold=k == guess)
            y += 22
