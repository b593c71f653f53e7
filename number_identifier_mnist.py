#!/usr/bin/env python3
"""Draw a digit (or a letter, with an EMNIST network) and watch the network decide as you draw.

    python number_identifier_mnist.py [NETWORK.npz] [PICTURE ...]
    python number_identifier_mnist.py [NETWORK.npz] --predict PICTURE [PICTURE ...]
    python number_identifier_mnist.py [NETWORK.npz] --learn FOLDER --save OUT.npz

Without a network it uses the pretrained one in examples/. Left mouse draws, right mouse
erases, the wheel changes the brush, R resets; E shows what the network looks at (Space: the
runner-up's map, a click on a bar: that class's); typing the right digit when the guess is
wrong teaches it that drawing, S saves the taught network to a new file (a network with letters
keeps its letter keys for teaching: Backspace, Tab and Ctrl+S then); drop an .npz on the
window to switch network, or a picture to put it on the canvas. Pictures given (or dropped on
this script) open the canvas with the first of them on it, N shows the next; without a
display they are classified as --predict does. --predict classifies picture files (PNG, JPG,
..., any size, dark on light or light on dark) through the same preparation as the canvas, one
line per file, and opens no window. --learn teaches the network the pictures in
FOLDER/<class name>/ (as the window's class keys teach a drawing) and saves the taught network
to OUT.npz; docs/teaching.md tells more.
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

from basicnet.launch import ensure_requirements  # noqa: E402

# run with the project's environment (a double-click uses the system's Python), or say how
ensure_requirements(__file__, Path(__file__).resolve().parent)

import numpy as np  # noqa: E402  (after the thread settings above, which numpy reads once)

from basicnet import netfile, pictures, render, teaching  # noqa: E402
from basicnet.cli import ArgumentParser, UsageError, fail, run, say  # noqa: E402
from basicnet.files import check_output  # noqa: E402
from basicnet.identifier.state import Reading, is_network_file, load_network, top_guesses  # noqa: E402

ROOT = Path(__file__).resolve().parent
# What --learn reads as a picture (what pygame reads); other files in a class folder are
# skipped, as torchvision's ImageFolder skips them, and counted.
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp",
                    ".pnm", ".pbm", ".pgm", ".ppm", ".qoi")
DEFAULT_NETWORK = ROOT / "examples" / "mnist-784-400-400-10.npz"


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
    p.add_argument("--learn", metavar="FOLDER",
                   help="teach the network the pictures in FOLDER/<class name>/ (one "
                        "sub-folder per class, e.g. FOLDER/7/; PNG, JPEG or any format "
                        "--predict reads), then save it with --save; no window")
    p.add_argument("--save", metavar="OUT.npz",
                   help="where --learn saves the taught network (required with --learn; an "
                        "existing file only with --overwrite)")
    p.add_argument("--overwrite", action="store_true",
                   help="let --save replace an existing file (never the shipped network)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="where the network's training set is, rehearsed while teaching so "
                        "that the network forgets nothing (default: datasets/<its name>/; "
                        "without it, teaching pulls toward the original weights instead)")
    args = p.parse_args(argv)
    networks = [f for f in args.files if is_network_file(f)]
    if not networks and args.files and not os.path.isfile(args.files[0]) and \
            Path(args.files[0]).suffix.lower() not in PICTURE_SUFFIXES:
        networks = args.files[:1]  # where the network goes: its reader says what is wrong
    if len(networks) > 1:
        p.error(f"give one network, not {len(networks)} ({', '.join(networks)})")
    args.network = networks[0] if networks else str(DEFAULT_NETWORK)
    args.pictures = [f for f in args.files if f not in networks]
    if args.learn is not None:
        if args.save is None:
            raise UsageError("--learn needs --save OUT.npz: the taught network is saved there, "
                             "and the network it starts from is left as it is")
        if args.predict or args.pictures:
            raise UsageError("--learn takes a folder of pictures, one sub-folder per class; "
                             "give pictures to classify in another command")
    elif args.save is not None or args.overwrite:
        raise UsageError(f"{'--save' if args.save is not None else '--overwrite'} goes with "
                         "--learn FOLDER")
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
            ink = pictures.read_image(path)
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


def lesson_pictures(folder, classes) -> tuple[list[tuple[Path, int]], int]:
    """Every picture in FOLDER/<class name>/ (sub-folders of those too) with its class, in
    name order, and how many other files were skipped. UsageError, naming the file, for a
    folder that is missing or has no pictures, a class name the network does not have, or a
    picture outside a class folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}"
                         " (--learn takes a folder with one sub-folder of pictures per class)")
    found, skipped = [], 0
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            if entry.suffix.lower() in PICTURE_SUFFIXES:
                raise UsageError(f"{entry}: a picture goes in the sub-folder of its class "
                                 f"(e.g. {folder / classes[0] / entry.name})")
            skipped += 1
            continue
        k = teaching.class_for(entry.name, classes)
        if k is None:
            raise UsageError(f"{entry}: '{entry.name}' is not a class of this network (its "
                             f"classes: {' '.join(classes)})")
        for path in sorted(entry.rglob("*")):
            if any(part.startswith(".") for part in path.relative_to(entry).parts):
                continue
            if path.is_file() and path.suffix.lower() in PICTURE_SUFFIXES:
                found.append((path, k))
            elif not path.is_dir():
                skipped += 1
    if not found:
        raise UsageError(f"{folder}: no pictures in it (put them in one sub-folder per class, "
                         f"e.g. {folder / classes[0] / 'a.png'})")
    return found, skipped


def check_save_target(path, overwrite: bool) -> Path:
    """--save's file, refused before any work: the shipped network never, another existing
    file only with --overwrite."""
    path = Path(path)
    if DEFAULT_NETWORK.exists() and path.is_file() and path.samefile(DEFAULT_NETWORK):
        raise UsageError(f"--save {path}: that is the shipped network, never replaced; "
                         f"give another name")
    check_output(path, overwrite, "--save", UsageError, suffix=".npz")
    if not path.parent.is_dir():
        raise UsageError(f"--save {path}: no folder {path.parent}")
    return path


def learn(nf: netfile.NetFile, folder, save_to, overwrite=False, data_dir=None,
          out=None) -> int:
    """--learn: read every picture of `folder` as --predict does, teach them all, say what was
    learnt (pictures per class, read right before and after), save to `save_to`."""
    classes = list(nf.classes)
    target = check_save_target(save_to, overwrite)
    lessons, skipped = lesson_pictures(folder, classes)
    reading = Reading(nf)
    X = np.empty((len(lessons), nf.net.sizes[0]), nf.net.W[0].dtype)
    y = np.array([k for _, k in lessons])
    for i, (path, _) in enumerate(lessons):
        try:
            ink = pictures.read_image(path)
        except (OSError, ValueError) as e:
            raise UsageError(f"{path}: {e}") from None
        reading.update(ink)
        if reading.empty:
            raise UsageError(f"{path}: no writing found (the picture is blank)")
        X[i] = reading.seen.ravel()
    data = teaching.dataset_at_hand(nf, data_dir)
    teacher = teaching.Teacher(nf.net.copy(), teaching.Replay.of(data) if data else None,
                               np.random.default_rng(0))
    before = nf.net.predict(X).argmax(axis=1) == y
    teacher.teach(X, y)
    after = teacher.net.predict(X).argmax(axis=1) == y
    guard = (f"replaying {data.name}'s training set" if data else
             "pulling toward the original weights (the training set is not at hand: "
             "--data-dir)")
    note = (f"; {skipped} other file{'s' if skipped > 1 else ''} skipped" if skipped else "")
    say(f"learnt {len(y)} pictures of {len(set(y.tolist()))} classes from {folder}{note}, "
        f"guarded by {guard}", out)
    say(f"{'class':>6} {'pictures':>9} {'read right before':>18} {'after':>6}", out)
    for k in sorted(set(y.tolist())):
        mine = y == k
        say(f"{classes[k]:>6} {mine.sum():>9} {before[mine].sum():>18} {after[mine].sum():>6}",
            out)
    say(f"{'all':>6} {len(y):>9} {before.sum():>10} ({100 * before.mean():5.1f}%) "
        f"{after.sum():>6} ({100 * after.mean():.1f}%)", out)
    taught = teaching.taught_file(nf, teacher, data)
    if data is not None:
        say(f"{data.name} test accuracy: {teaching.percent(nf.test_accuracy)} before, "
            f"{teaching.percent(taught.test_accuracy)} after", out)
    try:
        netfile.save(target, taught, overwrite=overwrite)
    except FileExistsError:
        raise UsageError(f"--save {target}: the file appeared meanwhile; nothing was "
                         f"saved over it") from None
    except OSError as e:
        raise UsageError(f"could not save {target}: {e.strerror or e}") from None
    say(f"saved {target} (taught {taught.taught} drawings in all)", out)
    return 0


def open_window(nf: netfile.NetFile, path, shown=(), data_dir=None):
    """The window, or render.NoDisplay when there is no screen to put it on."""
    import pygame

    from basicnet.identifier.window import IdentifierWindow

    advice = "use --predict PICTURE to classify picture files without a window"
    try:
        render.init_display()
        return IdentifierWindow(nf, path, pictures_to_show=shown, data_dir=data_dir)
    except render.NoDisplay as e:
        raise render.NoDisplay(f"no display to open a window on ({e}); {advice}") from None
    except pygame.error as e:
        raise render.NoDisplay(f"cannot open a window ({e}); {advice}") from None


def main(argv=None) -> int:
    args = parse_args(argv)
    nf = load_network(args.network)
    if args.learn is not None:
        return learn(nf, args.learn, args.save, args.overwrite, args.data_dir)
    if args.predict:
        return predict(nf, args.predict + args.pictures)
    readable = [path for path in args.pictures if readable_picture(path)]
    if args.pictures and not readable:
        return 2  # each one was named, with what is wrong with it
    try:
        window = open_window(nf, args.network, readable, args.data_dir)
    except render.NoDisplay:
        if not args.pictures:
            raise
        return predict(nf, readable)  # dropped on the script with no screen about
    try:
        window.run()
    finally:
        import pygame

        pygame.quit()
    return 2 if len(readable) < len(args.pictures) else 0


def readable_picture(path) -> bool:
    """Whether a picture given can be read; if not, one error line says why (the window would
    only flash it)."""
    try:
        pictures.read_image(path)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
        return False
    return True


def cli() -> int:
    return run(main, (netfile.NetFileError, render.NoDisplay))


if __name__ == "__main__":
    sys.exit(cli())
