"""A plot in a pygame window, for machines where matplotlib has no window of its own (a stock
Debian python3 has no tkinter, so matplotlib falls back to drawing pictures only). The figure is
drawn by Agg, as --out draws it, and shown scaled to the window, until it is closed."""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from . import render  # noqa: E402

CLOSE_KEYS = (pygame.K_ESCAPE, pygame.K_q)


def picture(fig) -> pygame.Surface:
    """The figure as Agg draws it, on a surface."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return pygame.image.frombytes(rgba.tobytes(), (rgba.shape[1], rgba.shape[0]), "RGBA")


def show(fig, max_frames: int | None = None) -> pygame.Surface:
    """Open a window holding the figure and keep it until it is closed (close, Esc or Q);
    `max_frames` ends it sooner (tests). Returns the window's last surface."""
    render.init_display()
    image = picture(fig)
    size = image.get_size()
    desktops = pygame.display.get_desktop_sizes()
    if desktops and pygame.display.get_driver() not in render.HEADLESS_DRIVERS:
        dw, dh = desktops[0]  # a picture taller than the screen is shown smaller, whole
        k = min(1.0, 0.95 * dw / size[0], 0.88 * dh / size[1])
        size = (round(size[0] * k), round(size[1] * k))
    screen = pygame.display.set_mode(size, pygame.RESIZABLE)
    pygame.display.set_caption(f"basic-neural-net: {fig.axes[0].get_title() if fig.axes else ''}")
    clock, frames, running, shown = pygame.time.Clock(), 0, True, None
    while running and (max_frames is None or frames < max_frames):
        for e in pygame.event.get():
            if e.type == pygame.QUIT or (e.type == pygame.KEYDOWN and e.key in CLOSE_KEYS):
                running = False
            elif e.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
                screen, shown = pygame.display.get_surface(), None
        if shown is None:  # scaled once per size: the picture does not change
            screen.fill((255, 255, 255))
            shown = pygame.transform.smoothscale(image, screen.get_size())
            screen.blit(shown, (0, 0))
            pygame.display.flip()
        frames += 1
        clock.tick(30)
    last = screen.copy()
    pygame.display.quit()
    return last
