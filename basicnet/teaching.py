"""Teaching a trained network a person's own handwriting, without making it forget the rest.

A drawing the network misreads is taught with a few steps of gradient descent on it, labelled
as its writer says. Left alone, those steps would pull the whole network toward a handful of
pictures: it would learn the drawing and unlearn some of what ten thousand others taught it
(catastrophic forgetting, McCloskey & Cohen 1989). Each step is therefore guarded, one of two
ways:

- replay: every step also takes a batch of the network's own training set, so what the
  network already knew is rehearsed while it learns the new; needs the dataset on disk.
- pull: without the dataset, every step also pulls each weight back toward its value before
  any teaching, the gradient of (λ/2)·‖W - W₀‖² (an L2 anchor: weight decay toward the
  original weights instead of toward zero).

The drawings taught earlier are rehearsed too, so teaching the fortieth does not undo the
first. A drawing the network is sure is something else has a large gradient, and the first
steps on it move every weight its ink reaches; so each lesson ends with steps of rehearsal and
guard alone, which mend much of that before the network is used or saved.
docs/teaching.md measures both guards. No pygame here: the window and the command line's
--learn both teach through `Teacher`; the window saves through `save_new` (never over a file),
--learn to its --save path.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import datasets, netfile
from .idx import IdxError
from .network import Network
from .training import evaluate

GUARDS = ("replay", "pull")


@dataclass(frozen=True)
class Lesson:
    """How each drawing is taught (docs/teaching.md says how these were chosen)."""

    steps: int = 10         # gradient steps per drawing taught
    most_steps: int = 40    # more while one of them is still misread, up to this many
    settle: int = 60        # then steps of rehearsal and guard alone, to mend what they broke
    lr: float = 0.05        # η of those steps (plain SGD, no momentum: nothing carries over)
    batch: int = 8          # new drawings in one step when several are taught at once
    rehearse: int = 8       # earlier taught drawings in each step
    replay: int = 32        # training images in each step (replay guard)
    pull: float = 2.0       # λ of the pull toward the original weights (pull guard)


class Replay:
    """The network's training set as a source of rehearsal batches: uint8 rows (N, n_0) and
    their labels, converted to float one batch at a time."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, name: str = "the training set"):
        self.images, self.labels, self.name = images, labels, name

    @classmethod
    def of(cls, data: datasets.Dataset) -> Replay:
        return cls(data.train_images, data.train_labels, f"{data.name}'s training set")

    def batch(self, n: int, rng: np.random.Generator, dtype) -> tuple[np.ndarray, np.ndarray]:
        i = rng.integers(0, len(self.labels), n)
        return self.images[i].astype(dtype) * dtype.type(1 / 255), self.labels[i]


class Teacher:
    """Teaches `net` (in place) drawings with their right labels, under one guard: replay of
    `replay` when given, else a pull toward the weights `net` had when the Teacher was made.
    Keeps every drawing taught, to rehearse them, and their count."""

    def __init__(self, net: Network, replay: Replay | None = None,
                 rng: np.random.Generator | None = None, lesson: Lesson | None = None,
                 guard: str | None = None):
        self.net, self.replay, self.lesson = net, replay, lesson or Lesson()
        self.guard = guard or ("replay" if replay is not None else "pull")
        if self.guard not in GUARDS or (self.guard == "replay" and replay is None):
            raise ValueError(f"guard {self.guard!r} needs " +
                             ("a replay source" if self.guard == "replay" else
                              f"to be one of {GUARDS}"))
        self.rng = rng if rng is not None else np.random.default_rng()
        self.original = net.copy()
        self.dtype = net.W[0].dtype
        self.X = np.empty((0, net.sizes[0]), self.dtype)  # every drawing taught, as input
        self.y = np.empty(0, np.int64)

    @property
    def count(self) -> int:
        """Drawings taught so far."""
        return len(self.y)

    def teach(self, X: np.ndarray, y) -> None:
        """Teach the prepared drawings X (N, n_0) the labels y (N,): `lesson.steps` steps per
        batch of up to `lesson.batch` of them, each with the earlier drawings and the guard,
        and more (up to `lesson.most_steps`) while one of the batch is still misread."""
        X = np.asarray(X, self.dtype).reshape(-1, self.net.sizes[0])
        y = np.asarray(y, np.int64).reshape(-1)
        earlier = self.count
        self.X, self.y = np.concatenate([self.X, X]), np.concatenate([self.y, y])
        lesson = self.lesson
        for start in range(0, len(y), lesson.batch):
            new = np.arange(earlier + start, earlier + min(start + lesson.batch, len(y)))
            for k in range(lesson.most_steps):
                if k >= lesson.steps and self.reads_right(new):
                    break
                self.step(new, np.arange(earlier + start))
        for _ in range(lesson.settle):
            self.step(np.arange(0), np.arange(self.count))

    def reads_right(self, which: np.ndarray) -> bool:
        """Whether the network now reads every one of these taught drawings as taught."""
        return bool((self.net.predict(self.X[which]).argmax(axis=1) == self.y[which]).all())

    def step(self, new: np.ndarray, before: np.ndarray) -> None:
        """One step of plain gradient descent on the mean cost of the new drawings, plus that of
        a few drawings taught before, plus the guard's term, each group weighing the same."""
        lesson, rng, net = self.lesson, self.rng, self.net
        groups = [(self.X[new], self.y[new])] if len(new) else []
        if lesson.rehearse and len(before):
            old = rng.choice(before, min(lesson.rehearse, len(before)), replace=False)
            groups.append((self.X[old], self.y[old]))
        if self.guard == "replay":
            groups.append(self.replay.batch(lesson.replay, rng, self.dtype))
        dW = [np.zeros_like(w) for w in net.W]
        db = [np.zeros_like(b) for b in net.b]
        for X, y in groups:
            gW, gb = net.backward(net.forward(X), y, scale=lesson.lr)
            for total, g in zip(dW + db, gW + gb):
                total += g
        if self.guard == "pull":  # η·λ·(W - W₀): the anchor's gradient
            for total, w, w0 in zip(dW + db, net.W + net.b, self.original.W + self.original.b):
                total += lesson.lr * lesson.pull * (w - w0)
        for param, step in zip(net.W + net.b, dW + db):
            param -= step


# --- around the teacher: the dataset, the class a name stands for, the taught network's file --

def dataset_at_hand(nf: netfile.NetFile, folder=None) -> datasets.Dataset | None:
    """The network's own dataset when its files are on disk (in `folder`, default its folder
    under datasets/), never downloaded; None when they are not, or do not fit the network."""
    try:
        spec = datasets.spec(nf.dataset)
        folder = Path(folder) if folder is not None else datasets.default_dir(spec.name)
        if datasets.missing_files(spec, folder):
            return None
        data = datasets.load(spec.name, folder)
    except (datasets.DatasetError, IdxError, OSError, ValueError):
        return None
    fits = data.train_images.shape[1] == nf.net.sizes[0] and data.n_classes == nf.net.sizes[-1]
    return data if fits else None


def class_for(name: str, classes) -> int | None:
    """The class a folder's name or a typed key stands for: the class of that name, else the
    one class that holds that character in either case ('a' or 'A' for EMNIST letters' 'Aa',
    'c' for By_Merge's 'C'); None when there is none, or more than one."""
    classes = list(classes)
    if name in classes:
        return classes.index(name)
    if len(name) != 1:
        return None
    hits = [i for i, c in enumerate(classes) if name.casefold() in c.casefold()]
    return hits[0] if len(hits) == 1 else None


def taught_file(nf: netfile.NetFile, teacher: Teacher,
                data: datasets.Dataset | None = None) -> netfile.NetFile:
    """What a file of the taught network holds: what `nf` said, the taught network, how many
    drawings it was taught in all, and its test accuracy measured again on `data`'s test set
    (NaN, "not tested", without it: the old figure no longer holds)."""
    accuracy = float("nan")
    if data is not None:
        accuracy = evaluate(teacher.net, data.test_images, data.test_labels).accuracy
    return dataclasses.replace(nf, net=teacher.net.copy(), test_accuracy=accuracy,
                               taught=nf.taught + teacher.count, optimizer=None)


def taught_name(path) -> str:
    """'net.npz' -> 'net-taught.npz' (and 'net-taught-3.npz' -> 'net-taught.npz' again)."""
    stem = re.sub(r"-taught(-\d+)?$", "", Path(path).stem) or "network"
    return f"{stem}-taught.npz"


def save_new(nf: netfile.NetFile, path) -> Path:
    """Save to `path`, or to path-2, path-3, ... when that is taken: never over any file,
    even one that appears meanwhile (netfile.save refuses, and the next name is tried)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for i in range(1, 10_000):
        target = path if i == 1 else path.with_name(f"{path.stem}-{i}{path.suffix}")
        if target.exists() or target.is_symlink():
            continue
        try:
            netfile.save(target, nf)
            return target
        except FileExistsError:
            continue
    raise FileExistsError(f"{path}: no free name left beside it")


def percent(x: float) -> str:
    return f"{100 * x:.2f}%" if math.isfinite(x) else "not tested"
