"""The window's teaching, as a plain object: a drawing taught with its right class, the count,
and saving the taught network to a new file. No pygame here; the maths is basicnet.teaching."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import datasets, netfile, teaching
from .state import Reading

SAVE_DIR = datasets.PROJECT_ROOT / "networks"  # where the trainer saves too (git-ignored)


class Lessons:
    """Teaches the window's network (in place: the reading sees the change at once) and saves
    it. The Teacher, and the dataset it rehearses, are made at the first lesson: a window
    that is never asked to learn never loads a dataset."""

    def __init__(self, nf: netfile.NetFile, path, data_dir=None, save_dir=SAVE_DIR):
        self.nf, self.path = nf, Path(path)
        self.data_dir, self.save_dir = data_dir, Path(save_dir)
        self.teacher: teaching.Teacher | None = None
        self.data: datasets.Dataset | None = None
        self.saved_count = 0       # drawings taught when last saved
        self.saved_to: Path | None = None

    @property
    def count(self) -> int:
        """Drawings taught in this window."""
        return 0 if self.teacher is None else self.teacher.count

    @property
    def unsaved(self) -> int:
        return self.count - self.saved_count

    @property
    def total(self) -> int:
        """Drawings taught in all: those the file had been taught, and these."""
        return self.nf.taught + self.count

    def teach(self, reading: Reading, k: int) -> str:
        """Teach the drawing the reading holds that it is class k; what to tell the user."""
        classes = list(self.nf.classes)
        if reading.empty:
            return f"nothing to teach: draw a {classes[k]} first"
        was = reading.guess
        if self.teacher is None:
            self.data = teaching.dataset_at_hand(self.nf, self.data_dir)
            self.teacher = teaching.Teacher(
                self.nf.net, teaching.Replay.of(self.data) if self.data else None,
                np.random.default_rng())
        self.teacher.teach(reading.seen.reshape(1, -1), [k])
        p = self.nf.net.confidence(reading.seen.reshape(1, -1))[0]
        now = int(np.argmax(p))
        return (f"taught: this is a {classes[k]} (it read {classes[was]}; now {classes[now]}, "
                f"{100 * p[now]:.1f}%)")

    def keep(self) -> str | None:
        """Save what was taught and not saved yet (the window closes, or another network
        comes): a taught network is never lost. What to tell the user; None when nothing was
        unsaved."""
        return self.save() if self.unsaved else None

    def save(self) -> str:
        """Save the taught network to a new file beside the others, never over one."""
        if self.count == 0:
            return "nothing taught yet to save: when a guess is wrong, type the right class"
        nf = teaching.taught_file(self.nf, self.teacher, self.data)
        try:
            self.saved_to = teaching.save_new(nf, self.save_dir / teaching.taught_name(self.path))
        except (OSError, netfile.NetFileError) as e:
            return f"kept unsaved: {getattr(e, 'strerror', None) or e}"
        self.saved_count = self.count
        try:  # the shorter name, when it is under the folder the program was started in
            shown = self.saved_to.relative_to(Path.cwd())
        except ValueError:
            shown = self.saved_to
        return f"saved {shown} (taught {nf.taught} drawings in all)"
