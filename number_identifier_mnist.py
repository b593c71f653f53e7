#!/usr/bin/env python3
"""Draw a digit (or a letter, with an EMNIST network) and watch the network decide as you draw.

    python number_identifier_mnist.py [NETWORK.npz] [PICTURE ...]
    python number_identifier_mnist.py [NETWORK.npz] --predict PICTURE [PICTURE ...]

Without a network it uses the pretrained one in examples/. Left mouse draws, right mouse
erases, the wheel changes the brush, R resets; drop an .npz on the window to switch network,
or a picture to put it on the canvas. Pictures given (or dropped on this script) open the
canvas with the first of them on it, N shows the next; without a display they are classified
as --predict does. --predict classifies picture files (PNG, JPG, ..., any size, dark on light
or light on dark) through the same preparation as the canvas, one line per file, and opens no
window.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The identifier multiplies one 784-pixel image at a time. On such tiny products a
# multi-threaded BLAS spends longer waking its threads than computing (docs/performance.md),
# so it gets one thread unless told otherwise.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402  (after the thread settings above, which numpy reads once)

from basicnet import drawing, netfile, render  # noqa: E402
from basicnet.cli import ArgumentParser, UsageError, fail, run, say  # noqa: E402
from basicnet.identifier.state import Reading, is_network_file, load_network, top_guesses  # noqa: E402

ROOT = Path(__file__).resolve().parent
DEFAULT_NETWORK = ROOT / "examples" / "mnist-784-256-64-10.npz"


def parse_args(argv=None):
    p = ArgumentParser(
        description="Draw a digit and watch a saved network guess it in real time, or "
                    "classify picture files with --predict.")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="a saved network (.npz; default: the pretrained "
                        f"{DEFAULT_NETWORK.relative_to(ROOT)}) and/or pictures to put on the "
                        "canvas, one after the other (classified as --predict does when there "
                        "is no display)")
    p.add_argument("--predict", nargs="+", metavar="PICTURE",
                   help="classify these picture files and print one line each; no window")
    args = p.parse_args(argv)
    networks = [f for f in args.files if is_network_file(f)]
    if len(networks) > 1:
        raise UsageError(f"give one network, not {len(networks)} ({', '.join(networks)})")
    args.network = networks[0] if networks else str(DEFAULT_NETWORK)
    args.pictures = [f for f in args.files if f not in networks]
    return args


def guess_line(probs: np.ndarray, classes: list[str]) -> str:
    """'7 (97.1%)  then 1 (1.5%), 9 (0.4%)'"""
    first, *rest = [f"{c} ({100 * p:.1f}%)" for c, p in top_guesses(probs, classes)]
    return f"{first}  then {', '.join(rest)}" if rest else first


def predict(nf: netfile.NetFile, paths, out=None, err=None) -> int:
    """Classify every readable picture, prepared exactly as the canvas is; a line on stderr
    for each one that cannot be. Returns the exit status: 0 when every file was classified,
    else 2."""
    out, err = out or sys.stdout, err or sys.stderr
    failed = 0
    reading = Reading(nf)
    for path in paths:
        try:
            ink = drawing.read_image(path)
        except (OSError, ValueError) as e:
            fail(f"{path}: {e}", err)
            failed += 1
            continue
        reading.update(ink)
        if reading.empty:
            fail(f"{path}: no writing found (the picture is blank)", err)
            failed += 1
            continue
        say(f"{path}: {guess_line(reading.probs, nf.classes)}", out)
    return 2 if failed else 0


def open_window(nf: netfile.NetFile, path, pictures=()):
    """The window, or render.NoDisplay when there is no screen to put it on."""
    import pygame

    from basicnet.identifier.window import IdentifierWindow

    advice = "use --predict PICTURE to classify picture files without a window"
    try:
        render.init_display()
        return IdentifierWindow(nf, path, pictures_to_show=pictures)
    except render.NoDisplay as e:
        raise render.NoDisplay(f"no display to open a window on ({e}); {advice}") from None
    except pygame.error as e:
        raise render.NoDisplay(f"cannot open a window ({e}); {advice}") from None


def main(argv=None) -> int:
    args = parse_args(argv)
    nf = load_network(args.network)
    if args.predict:
        return predict(nf, args.predict + args.pictures)
    try:
        window = open_window(nf, args.network, args.pictures)
    except render.NoDisplay:
        if not args.pictures:
            raise
        return predict(nf, args.pictures)  # dropped on the script with no screen about
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
