"""Where a network errs, as text for the terminal: the confusion matrix (or, when it is too wide
for the terminal, its largest confusions) and the most confident mistakes. Pure: an
`training.Evaluation` goes in, lines come out; the trainer prints them with --evaluate."""

from __future__ import annotations

import shutil

import numpy as np

from .training import Evaluation, worst_mistakes

ZERO = "."            # an empty cell: the few real confusions stand out among them
CONFUSIONS_LISTED = 20
HARDEST_LISTED = 10
MISTAKES_LISTED = 10


def terminal_width() -> int:
    """The terminal's width in characters (COLUMNS, else the terminal's own, else 100 when
    the output goes to a file or a pipe), at least 60."""
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def confusion_text(evaluation: Evaluation, classes, width: int = 100) -> list[str]:
    """The confusion matrix as lines of at most `width` characters: one row per true class,
    one column per guess, headed by the class names, each row's accuracy at its end. A matrix
    too wide for `width` (EMNIST's 47 or 62 classes) becomes the list of its largest
    off-diagonal cells, "true → guess: count", and the classes guessed worst."""
    matrix = _matrix(evaluation.confusion, classes, evaluation.class_accuracy())
    if max(map(len, matrix)) <= width:
        return [f"confusion matrix: rows are the true classes, columns the guesses "
                f"('{ZERO}': none)", *matrix]
    return _largest_confusions(evaluation, classes, width)


def _matrix(confusion: np.ndarray, classes, accuracy: np.ndarray) -> list[str]:
    names = [str(c) for c in classes]
    corner = "true\\guess"
    label_w = max(len(corner), *map(len, names))
    cell_w = max(len(str(int(confusion.max(initial=0)))), *map(len, names)) + 1
    lines = [corner.rjust(label_w) + "".join(n.rjust(cell_w) for n in names) + "  right"]
    for name, row, acc in zip(names, confusion, accuracy):
        cells = "".join((str(int(v)) if v else ZERO).rjust(cell_w) for v in row)
        right = f"{100 * acc:6.1f}%" if np.isfinite(acc) else "     -"
        lines.append(name.rjust(label_w) + cells + " " + right)
    return lines


def _largest_confusions(evaluation: Evaluation, classes, width: int) -> list[str]:
    names = [str(c) for c in classes]
    off = evaluation.confusion.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:CONFUSIONS_LISTED]
    pairs = [divmod(int(f), off.shape[1]) for f in order if off.flat[f] > 0]
    k = len(names)
    lines = [f"confusion matrix: {k} classes, too wide for {width} columns;",
             f"its {len(pairs)} largest confusions (true → guess: count):"]
    lines += _columns([f"{names[t]} → {names[g]}: {off[t, g]}" for t, g in pairs], width)
    accuracy = evaluation.class_accuracy()
    tested = np.flatnonzero(np.isfinite(accuracy))
    hardest = tested[np.argsort(accuracy[tested], kind="stable")[:HARDEST_LISTED]]
    lines.append(f"the {len(hardest)} classes guessed worst (accuracy):")
    lines += _columns([f"{names[c]}: {100 * accuracy[c]:.1f}%" for c in hardest], width)
    return lines


def _columns(items: list[str], width: int) -> list[str]:
    """Items in as many aligned columns as fit in `width` (indented by two)."""
    if not items:
        return ["  none"]
    cell = max(map(len, items)) + 3
    per_line = max(1, (width - 2) // cell)
    return ["  " + "".join(s.ljust(cell) for s in items[i:i + per_line]).rstrip()
            for i in range(0, len(items), per_line)]


def mistakes_text(evaluation: Evaluation, classes, n: int = MISTAKES_LISTED) -> list[str]:
    """The `n` most confident mistakes as a table: test index, true class, guess, confidence
    (in the network's confidence, see network.output_layer.confidence)."""
    worst = worst_mistakes(evaluation, n)
    if not worst:
        return ["no mistakes: every test image was guessed right"]
    names = [str(c) for c in classes]
    w = max(5, *map(len, names))
    lines = [f"the {len(worst)} most confident mistake{'s' if len(worst) > 1 else ''}:",
             f"  {'test index':>10}  {'true':>{w}}  {'guess':>{w}}  confidence"]
    for m in worst:
        lines.append(f"  {m.index:>10}  {names[m.truth]:>{w}}  {names[m.guess]:>{w}}  "
                     f"{100 * m.confidence:9.1f}%")
    return lines
