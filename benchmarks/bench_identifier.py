#!/usr/bin/env python3
"""How fast the identifier answers: canvas → guess latency, and frames per second while drawing.

    python benchmarks/bench_identifier.py [--frames 300]

Budgets (issue 5): at most 2 ms from canvas to guess, at least 60 frames per second while
drawing; (issue 15) at most 2 ms a frame for the evidence map (gradient × input through the
backward pass, coloured and drawn), and 60 frames per second while drawing with it shown.
The window is driven through its real event loop with SDL's dummy video driver, so the figures
include everything but the copy to a real screen. Exit status 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

import number_identifier_mnist as ident  # noqa: E402  (sets the BLAS threads first)
from basicnet import drawing  # noqa: E402
from basicnet.identifier import state  # noqa: E402
from basicnet.identifier import window as iw  # noqa: E402

GUESS_BUDGET_MS = 2.0
MAP_BUDGET_MS = 2.0
FPS_BUDGET = 60.0
SEVEN = [(0.0, 0.0), (1.0, 0.0), (0.35, 1.6)]


def canvas_with(size, radius, at=(40, 30)):
    ink = np.zeros((state.CANVAS_SIDE, state.CANVAS_SIDE), np.float32)
    pts = [(at[0] + x * size, at[1] + y * size) for x, y in SEVEN]
    for p0, p1 in zip(pts[:-1], pts[1:]):
        drawing.stroke(ink, p0, p1, radius)
    return ink


def time_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * np.median(times), 1000 * np.percentile(times, 95)


def bench_guess(net, repeat) -> float:
    cases = {
        "a 7, default brush": canvas_with(240, state.BRUSH_DEFAULT),
        "a 7, thinnest brush, whole canvas": canvas_with(250, state.BRUSH_MIN, at=(10, 10)),
        "a small 7, fattest brush": canvas_with(60, state.BRUSH_MAX, at=(150, 150)),
        "empty canvas": np.zeros((state.CANVAS_SIDE, state.CANVAS_SIDE), np.float32),
    }
    worst = 0.0
    print(f"canvas → guess ({state.CANVAS_SIDE}×{state.CANVAS_SIDE} canvas, network "
          f"{net.sizes_text}), {repeat} runs each:")
    for name, ink in cases.items():
        prep = time_ms(lambda ink=ink: drawing.to_mnist(ink), repeat)
        total = time_ms(lambda ink=ink: net.forward(drawing.to_mnist(ink).reshape(1, -1)), repeat)
        worst = max(worst, total[0])
        print(f"  {name:36s} median {total[0]:.3f} ms  p95 {total[1]:.3f} ms  "
              f"(preparation {prep[0]:.3f} ms)")
    return worst


def bench_map(nf, repeat) -> float:
    """The evidence map's own cost a frame: worked out again (the pen moved), coloured and
    drawn into the preview."""
    pygame.display.init()
    pygame.font.init()
    surface = pygame.Surface(iw.SIZE)
    reading, evidence = state.Reading(nf), state.EvidenceMap()
    evidence.toggle()
    preview = iw.layout(iw.SIZE)["preview"]
    panel = iw.PreviewPanel(reading, evidence, list(nf.classes),
                            iw.KeyMap(list(nf.classes)))
    reading.update(canvas_with(240, state.BRUSH_DEFAULT))

    def work():
        evidence._for = None  # as after a move of the pen
        evidence.update(reading)

    compute = time_ms(work, repeat)
    draw = time_ms(lambda: panel.draw(surface, preview, 90), repeat)
    pygame.display.quit()
    print(f"evidence map, network {nf.net.sizes_text}, {repeat} runs each:")
    print(f"  gradient × input  median {compute[0]:.3f} ms  p95 {compute[1]:.3f} ms")
    print(f"  colour and draw   median {draw[0]:.3f} ms  p95 {draw[1]:.3f} ms")
    return compute[0] + draw[0]


def bench_frames(nf, frames, evidence=False) -> float:
    pygame.display.init()
    pygame.font.init()
    w = iw.IdentifierWindow(nf, ident.DEFAULT_NETWORK)
    if evidence:
        w.evidence.toggle()
    w.step()
    centre = np.array(w.rects()["canvas"].center, float)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1,
                                         pos=tuple(centre.astype(int))))
    w.step()
    times = []
    for f in range(frames):
        # two mouse positions a frame (mice report at 125 Hz and more) along a looping path
        for k in (0, 0.5):
            a = 0.05 * (f + k)
            p = centre + 170 * np.array([np.sin(a), np.sin(2 * a) / 2])
            pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=tuple(p.astype(int)),
                                                 rel=(0, 0), buttons=(1, 0, 0)))
        t = time.perf_counter()
        w.step()
        times.append(time.perf_counter() - t)
        if f % 100 == 99:
            w.reset()  # a fresh digit now and then, so the canvas does not fill up
    pygame.display.quit()
    times = np.array(times) * 1000
    fps = 1000 / times.mean()
    shown = ", evidence map shown" if evidence else ""
    print(f"drawing, {frames} frames through the event loop (dummy video driver{shown}):")
    print(f"  frame median {np.median(times):.2f} ms  p95 {np.percentile(times, 95):.2f} ms  "
          f"max {times.max():.2f} ms  →  {fps:.0f} frames per second possible")
    return fps


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--repeat", type=int, default=200)
    a = p.parse_args()
    nf = ident.load_network(ident.DEFAULT_NETWORK)
    print(f"numpy {np.__version__}, pygame-ce {pygame.version.ver}, "
          f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}")
    worst = bench_guess(nf.net, a.repeat)
    fps = bench_frames(nf, a.frames)
    map_ms = bench_map(nf, a.repeat)
    fps_map = bench_frames(nf, a.frames, evidence=True)
    ok = worst <= GUESS_BUDGET_MS and min(fps, fps_map) >= FPS_BUDGET and map_ms <= MAP_BUDGET_MS
    verdict = {True: "ok", False: "MISSED"}
    print(f"budgets: guess ≤ {GUESS_BUDGET_MS} ms: {verdict[worst <= GUESS_BUDGET_MS]} "
          f"(worst median {worst:.3f} ms);  map ≤ {MAP_BUDGET_MS} ms: "
          f"{verdict[map_ms <= MAP_BUDGET_MS]} ({map_ms:.3f} ms);  ≥ {FPS_BUDGET:.0f} fps: "
          f"{verdict[min(fps, fps_map) >= FPS_BUDGET]} ({fps:.0f}, {fps_map:.0f} with the map)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
