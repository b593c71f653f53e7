"""Where the network errs, after its last test: the confusion matrix and the mistakes it was
most sure of. Drawn in the window's left column, in place of the weight tiles (M switches):
the column is the largest space on screen, a matrix needs a square and a gallery its width, and
the network and the curves stay in view beside it, so one sees both what the network does and
where it fails. Draws what the `TrainingHistory` kept of the last `EpochDone`; runs nothing.
"""

from __future__ import annotations

import math

import numpy as np
import pygame

from .. import render as r
from ..constants import IMAGE_SIDE
from .panels import panel_title

EMPTY = r.blend(r.GRID, r.PANEL, 0.45)   # a cell no test image fell in
CONFUSIONS_NAMED = 6                      # the largest, in a line under the matrix


class MistakesPanel:
    refresh_s = 2.0  # what it shows changes once an epoch (the window redraws it then)

    def __init__(self, history, test_images: np.ndarray, classes: list[str]):
        self.history, self.images, self.classes = history, test_images, classes

    def draw(self, s: pygame.Surface) -> None:
        rect = s.get_rect()
        e = self.history.last_test
        if e is None:
            panel_title(s, ["Where it errs", "Mistakes"])
            r.text(s, r.first_that_fits(
                ["the confusion matrix and the worst mistakes show after the first epoch",
                 "shown after the first epoch", ""], rect.width - 28, 18), rect.center, 18,
                r.DIM, "center")
            return
        epoch = len(self.history.test_acc) + self.history.epochs_before
        panel_title(s, [f"Where it errs after epoch {epoch}: {100 * e.accuracy:.2f}% of "
                        f"{e.total:,} test images right",
                        f"Where it errs: {100 * e.accuracy:.2f}% right", "Where it errs"])
        area = pygame.Rect(14, 46, rect.width - 28, rect.height - 56)
        # many classes: the matrix needs the height more than the gallery needs a second row
        gallery_h = max(round(area.height * (0.34 if len(e.confusion) <= 12 else 0.24)), 90)
        matrix = pygame.Rect(area.left, area.top, area.width, area.height - gallery_h - 30)
        bottom = self._matrix(s, matrix, e.confusion)
        self._confusions(s, pygame.Rect(area.left, bottom + 6, area.width, 22), e.confusion)
        self._gallery(s, pygame.Rect(area.left, bottom + 34, area.width,
                                     area.bottom - bottom - 34))

    # --- the confusion matrix ------------------------------------------------------------------

    def _matrix(self, s, box: pygame.Rect, confusion: np.ndarray) -> int:
        """Rows: the true class; columns: the guess. The diagonal in green, as bright as the
        share of the row that is right; a confusion in red, brighter the more images (on a
        log scale: a handful must show beside hundreds). Returns the bottom edge."""
        k = len(confusion)
        label = int(np.clip(box.height / k * 0.8, 13, 16))
        label_w = max(r.text_size(c, label)[0] for c in self.classes) + 8
        head_h = r.text_size("0", label)[1] + 6
        cell = max(1.0, min((box.width - label_w) / k, (box.height - head_h - 18) / k, 44))
        side = cell * k
        x0 = box.left + label_w + (box.width - label_w - side) / 2
        y0 = box.top + head_h + 18
        r.text(s, "guess →", (x0, box.top), 14, r.DIM)
        r.text(s, "true ↓", (x0 - 4, box.top), 14, r.DIM, "topright")
        totals = confusion.sum(axis=1)
        off = confusion.copy()
        np.fill_diagonal(off, 0)
        top_off = math.log1p(max(int(off.max(initial=0)), 1))
        size = int(np.clip(cell * 0.42, 10, 16))
        digits = r.text_size(str(int(confusion.max(initial=0))), size)[0]
        counts = cell >= 18 and digits <= cell - 4
        gap = 1 if cell >= 6 else 0
        for i in range(k):
            for j in range(k):
                v = int(confusion[i, j])
                c = pygame.Rect(round(x0 + j * cell), round(y0 + i * cell),
                                max(1, round(x0 + (j + 1) * cell) - round(x0 + j * cell) - gap),
                                max(1, round(y0 + (i + 1) * cell) - round(y0 + i * cell) - gap))
                if i == j:
                    t = v / totals[i] if totals[i] else 0.0
                    colour = r.blend(r.GOOD, EMPTY, 0.2 + 0.8 * t) if v else EMPTY
                else:
                    t = math.log1p(v) / top_off
                    colour = r.blend(r.BAD, EMPTY, 0.15 + 0.85 * t) if v else EMPTY
                s.fill(colour, c)
                if counts and v:
                    dark = (i == j and t > 0.5) or (i != j and t > 0.6)
                    r.text(s, str(v), c.center, size, r.BACKGROUND if dark else r.TEXT,
                           "center")
        self._labels(s, k, x0, y0, cell, label)
        return round(y0 + side)

    def _labels(self, s, k: int, x0: float, y0: float, cell: float, size: int) -> None:
        """The class names beside the rows and above the columns: every one that has room,
        else every second, third, ... so that none overlaps another."""
        height = r.text_size("0", size)[1]
        widest = max(r.text_size(c, size)[0] for c in self.classes)
        every_row = max(1, math.ceil(height / cell))
        every_col = max(1, math.ceil((widest + 4) / cell))
        for i in range(0, k, every_row):
            r.text(s, self.classes[i], (x0 - 6, y0 + (i + 0.5) * cell), size, r.DIM,
                   "midright")
        for j in range(0, k, every_col):
            r.text(s, self.classes[j], (x0 + (j + 0.5) * cell, y0 - 3), size, r.DIM,
                   "midbottom")

    def _confusions(self, s, box: pygame.Rect, confusion: np.ndarray) -> None:
        """The largest confusions in words, for a matrix whose cells are too small for
        figures."""
        off = confusion.copy()
        np.fill_diagonal(off, 0)
        order = np.argsort(-off, axis=None, kind="stable")[:CONFUSIONS_NAMED]
        pairs = [divmod(int(f), len(off)) for f in order if off.flat[f] > 0]
        if not pairs:
            return
        named = [f"{self.classes[t]} → {self.classes[g]} ({off[t, g]})" for t, g in pairs]
        options = [f"most confused (true → guess): {', '.join(named[:n])}"
                   for n in range(len(named), 0, -1)]
        r.text(s, r.first_that_fits(options, box.width, 16), box.topleft, 16, r.TEXT)

    # --- the gallery ---------------------------------------------------------------------------

    def _gallery(self, s, box: pygame.Rect) -> None:
        """The most confident mistakes, most confident first: the image, true → guess and how
        sure the network was."""
        worst = self.history.worst
        if not worst:
            r.text(s, "no mistakes: every test image was guessed right", box.topleft, 17,
                   r.GOOD)
            return
        r.text(s, r.first_that_fits(["Most confident mistakes: true → guess, how sure it was",
                                     "Most confident mistakes"], box.width, 17, True),
               box.topleft, 17, r.TEXT, bold=True)
        caption = 15
        cap_h = r.text_size("0", caption)[1] + 2
        room = pygame.Rect(box.left, box.top + 26, box.width, box.height - 26)
        words_w = max(r.text_size(f"{c} → {c} 99%", caption)[0] for c in self.classes)
        best = (0, 1, 1, 24)  # (image area shown, rows, columns, side): fill the room
        for rows in (1, 2, 3):
            thumb = int(min(84, (room.height - rows * (cap_h + 6)) / rows))
            cols = max(1, int((room.width + 8) // (max(thumb, min(words_w, 110)) + 8)))
            if thumb >= 24:
                best = max(best, (min(rows * cols, len(worst)) * thumb ** 2, rows, cols, thumb))
        _, rows, cols, thumb = best
        pitch = room.width / cols
        for n, m in enumerate(worst[:rows * cols]):
            row, col = divmod(n, cols)
            cx = room.left + (col + 0.5) * pitch
            img = pygame.Rect(0, 0, thumb, thumb)
            img.midtop = (round(cx), room.top + row * (thumb + cap_h + 6))
            r.blit_array(s, r.gray_image(self.images[m.index], IMAGE_SIDE), img,
                         keep_aspect=False)
            words = r.first_that_fits(
                [f"{self.classes[m.truth]} → {self.classes[m.guess]} {100 * m.confidence:.0f}%",
                 f"{self.classes[m.truth]}→{self.classes[m.guess]}"], pitch - 4, caption)
            r.text(s, words, (cx, img.bottom + 1), caption, r.BAD, "midtop")
