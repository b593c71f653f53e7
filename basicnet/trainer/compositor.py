"""The trainer window's picture: panels in their slots of the layout, each redrawn at its own
pace onto a cached surface, the header and footer every frame. A window smaller than the layout
needs gets the whole layout scaled down, so nothing overlaps."""

from __future__ import annotations

import math

import pygame

from .. import render as r
from .layout import MIN_SIZE, layout, rescale


class Compositor:
    """Composes `panels` (name -> panel) into a surface, in the slots `shown` names (slot ->
    panel name), with the `header` and `footer`. Keeps what each panel last drew, and when it
    is due again."""

    def __init__(self, panels: dict, header, footer):
        self.panels, self.header, self.footer = panels, header, footer
        self.canvas = None  # what the layout is drawn on: the window, or a larger surface
        self._rects, self._rects_for, self._shown = {}, None, {}
        self._due, self._cache = {}, {}

    def refresh(self) -> None:
        """Make every panel redraw on the next frame (new epoch, resize, recording)."""
        self._due = {k: -math.inf for k in self._due}

    def rects(self, surface: pygame.Surface, shown: dict) -> dict:
        """The layout for the surface's size and the panels shown (worked out once per
        change), in the coordinates of the canvas."""
        size = surface.get_size()
        key = size, "tiles" in shown
        if self._rects_for != key or self.canvas is None:
            canvas = (max(size[0], MIN_SIZE[0]), max(size[1], MIN_SIZE[1]))
            # a window manager keeps windows above MIN_SIZE; not every desktop has one
            self.canvas = surface if canvas == size else pygame.Surface(canvas)
            self._rects = layout(canvas, key[1], "distorted" in self.panels)
            self._rects_for = key
            self._due = {name: -math.inf for name in self.panels}
            self._cache = {}
        return self._rects

    def draw(self, surface: pygame.Surface, shown: dict, now: float,
             full: bool = True) -> list[pygame.Rect]:
        """Draw the frame onto `surface`; returns the rectangles that changed. With
        full=False only those are drawn (the rest of the surface is assumed to hold the
        previous frame): sending a whole frame to an X server can cost more than drawing it."""
        fresh = self._rects_for != (surface.get_size(), "tiles" in shown) or \
            shown != self._shown  # another panel in a slot: its old picture must go
        rects = self.rects(surface, shown)
        s = self.canvas
        full = full or fresh
        self._shown = shown
        strips = [rects["header_strip"], rects["footer_strip"]]
        if full:
            s.fill(r.BACKGROUND)
        else:
            for strip in strips:
                s.fill(r.BACKGROUND, strip)
        changed = [s.get_rect()] if full else list(strips)
        # redraw the most overdue panel only (all of them when forced): spreading the costly
        # work over frames keeps every frame short, so the header can stay live
        due = [(self._due[name], name) for name in shown.values()
               if now >= self._due[name] or name not in self._cache]
        forced = [name for t, name in due if t == -math.inf]
        redraw = set(forced) if forced else {min(due)[1]} if due else set()
        for slot, name in shown.items():
            if name in redraw or name not in self._cache:
                self._due[name] = now + self.panels[name].refresh_s
                self._cache[name] = self._paint(self.panels[name], rects[slot].size)
                changed.append(rects[slot])
            if full or name in redraw:
                s.blit(self._cache[name], rects[slot])
        self.header.draw(s, rects["header"])
        self.footer.draw(s, rects["footer"], now)
        if s is not surface:
            pygame.transform.smoothscale(s, surface.get_size(), surface)
            return [surface.get_rect()]
        return changed

    @staticmethod
    def _paint(panel, size) -> pygame.Surface:
        """One panel on a surface of its own, its rounded card first."""
        surface = pygame.Surface(size)
        surface.fill(r.BACKGROUND)
        pygame.draw.rect(surface, r.PANEL, surface.get_rect(), border_radius=8)
        panel.draw(surface)
        return surface

    def to_window(self, surface: pygame.Surface, rect: pygame.Rect) -> pygame.Rect:
        """A rectangle of the canvas where it shows on `surface`."""
        x, y = rescale(rect.topleft, self.canvas.get_size(), surface.get_size())
        w, h = rescale(rect.size, self.canvas.get_size(), surface.get_size())
        return pygame.Rect(round(x), round(y), round(w), round(h))
