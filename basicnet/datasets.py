"""Datasets by name: where their files live, how to read them, what their classes are called.

A dataset is four IDX files (train/test images and labels), raw or .gz. Images come back as
uint8 (N, 784) rows, upright like MNIST, labels as int64 0..K-1: converting to float happens one
batch at a time in training, so even EMNIST ByClass stays at 547 MB in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .idx import IdxError, read_idx

IMAGE_SIDE = 28
N_INPUTS = IMAGE_SIDE * IMAGE_SIDE
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATASETS_DIR = PROJECT_ROOT / "datasets"
ROLES = ("train_images", "train_labels", "test_images", "test_labels")


class DatasetError(ValueError):
    """A dataset that cannot be found or read; the message says what to do about it."""


@dataclass(frozen=True)
class Spec:
    """What a dataset name means."""

    name: str
    folder: str          # under datasets/
    files: dict          # role -> canonical file name (.gz)
    classes: tuple       # class names when fixed; empty when read from a mapping file


MNIST = Spec(
    name="mnist", folder="mnist",
    files={"train_images": "train-images-idx3-ubyte.gz",
           "train_labels": "train-labels-idx1-ubyte.gz",
           "test_images": "t10k-images-idx3-ubyte.gz",
           "test_labels": "t10k-labels-idx1-ubyte.gz"},
    classes=tuple("0123456789"),
)

CATALOGUE = {MNIST.name: MNIST}


@dataclass
class Dataset:
    name: str
    train_images: np.ndarray  # uint8 (N, 784)
    train_labels: np.ndarray  # int64 (N,)
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: list[str]

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def spec(name: str) -> Spec:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise DatasetError(f"unknown dataset {name!r}; choose one of: "
                           f"{', '.join(CATALOGUE)}") from None


def default_dir(name: str) -> Path:
    return DATASETS_DIR / spec(name).folder


def _candidates(canonical: str) -> list[str]:
    """The names a file may have on disk: .gz or extracted, dots or dashes (as some unzip
    tools write them), and 'test' for 't10k' (Fashion-MNIST and EMNIST call it test)."""
    raw = canonical[:-3] if canonical.endswith(".gz") else canonical
    names = [raw + ".gz", raw, raw.replace("-idx", ".idx"), raw.replace("-idx", ".idx") + ".gz"]
    if raw.startswith("t10k-"):
        names += [n.replace("t10k-", "test-", 1) for n in names]
    return names


def locate(s: Spec, folder: Path) -> dict:
    """role -> existing path; raises DatasetError naming every missing file."""
    found, missing = {}, []
    for role, canonical in s.files.items():
        path = next((folder / n for n in _candidates(canonical) if (folder / n).is_file()), None)
        if path is None:
            missing.append(canonical)
        else:
            found[role] = path
    if missing:
        raise DatasetError(
            f"{s.name} files missing in {folder}: {', '.join(missing)} "
            f"(download them, raw or .gz, into that folder, or pass --data-dir)")
    return found


def _images(path: Path) -> np.ndarray:
    a = read_idx(path)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DatasetError(f"{path}: expected uint8 images of shape (N, 28, 28), "
                           f"got {a.dtype} {a.shape}")
    return a.reshape(len(a), N_INPUTS)


def _labels(path: Path, n_images: int, images_path: Path) -> np.ndarray:
    a = read_idx(path)
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise DatasetError(f"{path}: expected a list of integer labels, got {a.dtype} {a.shape}")
    if len(a) != n_images:
        raise DatasetError(f"{path}: {len(a)} labels but {images_path.name} has "
                           f"{n_images} images")
    return a.astype(np.int64)


def load(name: str = "mnist", folder=None) -> Dataset:
    """Load a dataset by name from `folder` (default: its folder under datasets/)."""
    s = spec(name)
    folder = Path(folder) if folder is not None else default_dir(name)
    paths = locate(s, folder)
    try:
        train_x = _images(paths["train_images"])
        test_x = _images(paths["test_images"])
        train_y = _labels(paths["train_labels"], len(train_x), paths["train_images"])
        test_y = _labels(paths["test_labels"], len(test_x), paths["test_images"])
    except IdxError as e:
        raise DatasetError(str(e)) from None
    classes = list(s.classes)
    top = int(max(train_y.max(initial=0), test_y.max(initial=0)))
    if top >= len(classes):
        raise DatasetError(f"{folder}: label {top} is out of range for {len(classes)} classes")
    return Dataset(s.name, train_x, train_y, test_x, test_y, classes)
