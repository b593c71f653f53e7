#!/usr/bin/env python3
"""Draw a digit (or a letter, with an EMNIST network) and watch the network decide as you draw.

    python number_identifier_mnist.py [NETWORK.npz]
    python number_identifier_mnist.py [NETWORK.npz] --predict IMAGE [IMAGE ...]

Without a network it uses the pretrained one in examples/. Left mouse draws, right mouse
erases, the wheel changes the brush, R resets; drop an .npz on the window to switch network.
--predict classifies image files (PNG, JPG, ..., any size, dark on light or light on dark)
through the same preparation as the canvas, one line per file, and opens no window.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The identifier multiplies one 784-pixel image at a time. On such tiny products a
# multi-threaded BLAS spends longer waking its threads than computing, and on a busy machine
# far longer (measured: 7 ms instead of 0.3 ms), so it gets one thread unless told otherwise.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402  (after the thread settings above, which numpy reads once)

from basicnet import drawing, netfile, render  # noqa: E402
from basicnet.cli import ArgumentParser, fail, run, say  # noqa: E402
from basicnet.constants import N_INPUTS  # noqa: E402
from basicnet.identifier_window import IdentifierWindow, load_network, top_guesses  # noqa: E402

ROOT = Path(__file__).resolve().parent
DEFAULT_NETWORK = ROOT / "examples" / "mnist-784-400-400-10.npz"


def parse_args(argv=None):
    p = ArgumentParser(
        description="Draw a digit and watch a saved network guess it in real time, or "
                    "classify image files with --predict.")
    p.add_argument("network", nargs="?", default=str(DEFAULT_NETWORK),
                   help="a saved network (.npz); default: the pretrained "
                        f"{DEFAULT_NETWORK.relative_to(ROOT)}")
    p.add_argument("--predict", nargs="+", metavar="IMAGE",
                   help="classify these image files and print one line each; no window")
    return p.parse_args(argv)


def guess_line(probs: np.ndarray, classes: list[str]) -> str:
    """'7 (97.1%)  then 1 (1.5%), 9 (0.4%)'"""
    first, *rest = [f"{c} ({100 * p:.1f}%)" for c, p in top_guesses(probs, classes)]
    return f"{first}  then {', '.join(rest)}" if rest else first


def predict(nf: netfile.NetFile, paths, out=None, err=None) -> int:
    """Classify every readable image; a line on stderr for each one that is not.
    Returns the exit status: 0 when every file was classified, else 2."""
    out, err = out or sys.stdout, err or sys.stderr
    failed = 0
    for path in paths:
        try:
            ink = drawing.read_image(path)
        except (OSError, ValueError) as e:
            fail(f"{path}: {e}", err)
            failed += 1
            continue
        x = drawing.to_mnist(ink)
        if not x.any():
            fail(f"{path}: no writing found (the image is blank)", err)
            failed += 1
            continue
        probs = nf.net.confidence(x.reshape(1, N_INPUTS))[0]
        say(f"{path}: {guess_line(probs, nf.classes)}", out)
    return 2 if failed else 0


def open_window(nf: netfile.NetFile, path):
    """The window, or render.NoDisplay when there is no screen to put it on."""
    import pygame

    advice = "use --predict IMAGE to classify image files without a window"
    try:
        render.init_display()
        return IdentifierWindow(nf, path)
    except render.NoDisplay as e:
        raise render.NoDisplay(f"no display to open a window on ({e}); {advice}") from None
    except pygame.error as e:
        raise render.NoDisplay(f"cannot open a window ({e}); {advice}") from None


def main(argv=None) -> int:
    args = parse_args(argv)
    nf = load_network(args.network)
    if args.predict:
        return predict(nf, args.predict)
    window = open_window(nf, args.network)
    try:
        window.run()
    finally:
        import pygame

        pygame.quit()
    return 0


def cli() -> int:
    return run(main, (netfile.NetFileError, render.NoDisplay))


if __name__ == "__main__":
    sys.exit(cli())
