"""Datasets by name: where their files live, how to fetch and read them, what their classes are.

A dataset is four IDX files (train/test images and labels), raw or .gz, plus for EMNIST a
mapping file `label ascii [ascii]` that names the classes. Images come back as uint8 (N, 784)
rows, upright like MNIST, labels as int64 0..K-1: converting to float happens one batch at a
time in training, so even EMNIST ByClass stays at 547 MB in memory. To keep loading within that
too, images are decompressed straight into their final array (never holding the decompressed
bytes and the array at once) and EMNIST's transposed images are turned upright in place.

Files already present are used as they are (raw or .gz, any compression, no md5 check: they
may be the user's own copies). Missing files are downloaded when the caller asks for it, from
the sources below; tests point those at a loopback server through the module constants or the
environment variables named next to them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import download as dl
from .constants import IMAGE_SIDE, N_INPUTS
from .idx import IdxError, read_idx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATASETS_DIR = PROJECT_ROOT / "datasets"
ROLES = ("train_images", "train_labels", "test_images", "test_labels")

# Where missing files come from. Environment variables override the constants (for people
# behind a proxy mirror, and for tests that run the trainer against a loopback server).
MNIST_MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/",
                 "http://yann.lecun.com/exdb/mnist/"]
MNIST_MIRRORS_ENV = "BASICNET_MNIST_MIRRORS"  # space-separated folder URLs
# Each file's accepted md5s: of the canonical .gz, and of its decompressed content, so that a
# mirror which recompressed the files (the bytes differ, the content does not) still verifies.
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": ("f68b3c2dcbeaaa9fbdd348bbdeb94873",
                                   "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels-idx1-ubyte.gz": ("d53e105ee54ea40749a09fcbcd1e9432",
                                   "a25bea736e30d166cdddb491f175f624"),
    "t10k-images-idx3-ubyte.gz": ("9fb629c4189551a2d022fa330f9573f3",
                                  "2646ac647ad5339dbf082846283269ea"),
    "t10k-labels-idx1-ubyte.gz": ("ec29112dd5afa0611ce80d1b7f02629c",
                                  "27ae3e4e09519cfbb04c329615203637"),
}
EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"  # 535.73 MiB, every split
EMNIST_URL_ENV = "BASICNET_EMNIST_URL"
EMNIST_MD5 = "58c8d27c78d21e728a6bc7b3cc06412e"
EMNIST_MD5_ENV = "BASICNET_EMNIST_MD5"
EMNIST_ZIP = "gzip.zip"  # kept next to the splits, so fetching another split needs no download

TRANSPOSE_CHUNK = 2048    # images turned upright at a time: a 1.6 MB scratch copy
MAX_LABEL = 2**63 - 1     # a mapping file's label is read as int64


class DatasetError(ValueError):
    """A dataset that cannot be found or read; the message says what to do about it."""


@dataclass(frozen=True)
class Spec:
    """What a dataset name means."""

    name: str
    folder: str          # under datasets/
    files: dict          # role -> canonical file name (.gz)
    classes: tuple = ()  # class names when fixed; empty when read from the mapping file
    mapping: str = ""    # mapping file name ("label ascii [ascii]" lines), if any
    transposed: bool = False  # images stored column by column (EMNIST)
    n_classes: int = 0

    @property
    def needed(self) -> list[str]:
        """Every file the dataset consists of."""
        return list(self.files.values()) + ([self.mapping] if self.mapping else [])


MNIST = Spec(
    name="mnist", folder="mnist",
    files={"train_images": "train-images-idx3-ubyte.gz",
           "train_labels": "train-labels-idx1-ubyte.gz",
           "test_images": "t10k-images-idx3-ubyte.gz",
           "test_labels": "t10k-labels-idx1-ubyte.gz"},
    classes=tuple("0123456789"), n_classes=10,
)

# split -> number of classes (training/test sizes: byclass and bymerge 697,932/116,323,
# balanced 112,800/18,800, letters 124,800/20,800, digits 240,000/40,000, mnist 60,000/10,000)
EMNIST_SPLITS = {"byclass": 62, "bymerge": 47, "balanced": 47, "letters": 26, "digits": 10,
                 "mnist": 10}


def _emnist(split: str, n_classes: int) -> Spec:
    files = {f"{part}_{kind}": f"emnist-{split}-{part}-{kind}-{dims}-ubyte.gz"
             for part in ("train", "test") for kind, dims in (("images", "idx3"),
                                                              ("labels", "idx1"))}
    return Spec(f"emnist-{split}", "emnist", files, mapping=f"emnist-{split}-mapping.txt",
                transposed=True, n_classes=n_classes)


CATALOGUE = {s.name: s for s in [MNIST] + [_emnist(k, n) for k, n in EMNIST_SPLITS.items()]}


@dataclass
class Dataset:
    name: str
    train_images: np.ndarray  # uint8 (N, 784)
    train_labels: np.ndarray  # int64 (N,)
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def spec(name: str) -> Spec:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise DatasetError(f"unknown dataset {name!r}; choose one of: {', '.join(CATALOGUE)}, "
                           f"or pass --data-dir with a folder of IDX files") from None


def default_dir(name: str) -> Path:
    return DATASETS_DIR / spec(name).folder


# --- finding files ------------------------------------------------------------------------

def _candidates(canonical: str) -> list[str]:
    """The names a file may have on disk: .gz or extracted, dots or dashes (as some unzip
    tools write them), and 'test' for 't10k' (Fashion-MNIST and EMNIST call it test)."""
    if not canonical.endswith(".gz"):
        return [canonical]
    raw = canonical[:-3]
    names = [raw + ".gz", raw, raw.replace("-idx", ".idx"), raw.replace("-idx", ".idx") + ".gz"]
    if raw.startswith("t10k-"):
        names += [n.replace("t10k-", "test-", 1) for n in names]
    return names


def _find(folder: Path, canonical: str) -> Path | None:
    return next((folder / n for n in _candidates(canonical) if (folder / n).is_file()), None)


def missing_files(s: Spec, folder: Path) -> list[str]:
    """Canonical names of the dataset's files that are in `folder` under none of their names."""
    return [f for f in s.needed if _find(Path(folder), f) is None]


def sources(s: Spec) -> str:
    """Where to get the files by hand, in words."""
    if s.name == "mnist":
        return (f"from any of {', '.join(_mnist_mirrors())} (the address followed by the "
                f"file name)")
    url, md5 = _emnist_source()
    return f"from the gzip/ folder inside {url} (a 536 MB zip, md5 {md5})"


def _mnist_mirrors() -> list[str]:
    env = os.environ.get(MNIST_MIRRORS_ENV, "").split()
    return [m if m.endswith("/") else m + "/" for m in (env or MNIST_MIRRORS)]


def _emnist_source() -> tuple[str, str]:
    return (os.environ.get(EMNIST_URL_ENV) or EMNIST_URL,
            os.environ.get(EMNIST_MD5_ENV) or EMNIST_MD5)


def locate(s: Spec, folder: Path) -> dict:
    """role -> existing path ('mapping' too when the dataset has one); raises DatasetError
    naming every missing file, the folder and where to get them."""
    folder = Path(folder)
    missing = missing_files(s, folder)
    if missing:
        raise DatasetError(f"{s.name} files missing in {folder}: {', '.join(missing)}; "
                           f"get them {sources(s)} into that folder (raw or .gz)")
    found = {role: _find(folder, name) for role, name in s.files.items()}
    if s.mapping:
        found["mapping"] = folder / s.mapping
    return found


def ensure(name: str, folder=None, download: bool = True, say=print) -> Path:
    """Make sure dataset `name` is complete in `folder` (default: datasets/<its folder>/),
    downloading what is missing unless `download` is False. Returns the folder.

    Present files are never replaced or checked here: a damaged one shows up when it is read.
    """
    s = spec(name)
    folder = Path(folder) if folder is not None else default_dir(name)
    missing = missing_files(s, folder)
    if not missing:
        return folder
    if not download:
        raise DatasetError(f"{s.name} files missing in {folder}: {', '.join(missing)} "
                           f"(downloads are off); get them {sources(s)} into that folder")
    made = [f for f in (folder, *folder.parents) if not f.exists()]  # deepest first
    ensured = False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if s.name == "mnist":
            for f in missing:
                dl.fetch([m + f for m in _mnist_mirrors()], folder / f, MNIST_MD5.get(f, ()),
                         say)
        else:
            url, md5 = _emnist_source()
            archive = folder / EMNIST_ZIP
            if not archive.is_file():
                say(f"EMNIST comes as one zip of every split ({EMNIST_ZIP}, 536 MB); "
                    f"{s.name} is taken out of it, and the zip is kept for the others")
                dl.fetch([url], archive, [md5], say)
            dl.extract(archive, missing, folder, say)
        ensured = True
    except dl.DownloadError as e:
        cause = f"no connection ({e.reason})" if e.offline else str(e)
        raise DatasetError(f"cannot download {s.name}: {cause}. Missing in {folder}: "
                           f"{', '.join(missing)}; get them by hand {sources(s)} into that "
                           f"folder, or try again later") from None
    except OSError as e:
        raise DatasetError(f"cannot write into {folder}: {e.strerror or e}") from None
    finally:
        if not ensured:  # a failed download leaves no empty folder it made
            for f in made:
                try:
                    f.rmdir()
                except OSError:
                    break
    return folder


# --- reading ------------------------------------------------------------------------------

def _read_images(path: Path, transposed: bool = False) -> np.ndarray:
    """uint8 images (N, 784) from an IDX file, upright (turned back in place, a block at a
    time, when stored transposed)."""
    images = read_idx(path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE,
                                                                            IMAGE_SIDE):
        raise DatasetError(f"{path}: expected uint8 images of shape "
                           f"(N, {IMAGE_SIDE}, {IMAGE_SIDE}), got "
                           f"{images.dtype.name} {images.shape}")
    if transposed:
        for i in range(0, len(images), TRANSPOSE_CHUNK):
            block = images[i:i + TRANSPOSE_CHUNK]
            block[...] = block.transpose(0, 2, 1).copy()
    return images.reshape(len(images), N_INPUTS)


def _read_labels(path: Path, n_images: int, images_path: Path) -> np.ndarray:
    a = read_idx(path)
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise DatasetError(f"{path}: expected a list of integer labels, got {a.dtype} {a.shape}")
    if len(a) != n_images:
        raise DatasetError(f"{path}: {len(a)} labels but {images_path.name} has "
                           f"{n_images} images")
    if a.size and a.min() < 0:
        raise DatasetError(f"{path}: negative label {a.min()}; labels count classes from 0")
    return a.astype(np.int64)


def read_mapping(path: Path) -> tuple[np.ndarray, list[str]]:
    """(labels, names) from a mapping file. EMNIST's lines are `label ascii [ascii]`, e.g.
    `10 65` -> 'A', and for letters `1 65 97` -> 'Aa'; a line `label some text` (your own
    dataset's names) is taken as the text."""
    labels, names = [], []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetError(f"{path}: cannot read the mapping file ({e})") from None
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        try:
            label = int(fields[0])
            if not 0 <= label <= MAX_LABEL or len(fields) < 2:
                raise ValueError
            codes = [int(c) for c in fields[1:]] if all(c.isdigit() for c in fields[1:]) else []
            name = "".join(map(chr, codes)) if codes else line.split(None, 1)[1].strip()
        except (ValueError, OverflowError):
            raise DatasetError(f"{path}, line {number}: expected 'label ascii [ascii]' with a "
                               f"label from 0 to {MAX_LABEL:,}, got {line.strip()!r}") from None
        if not name.isprintable():  # a class name is printed; it may not forge lines
            raise DatasetError(f"{path}, line {number}: the class name {name!r} holds "
                               f"characters that cannot be printed")
        labels.append(label)
        names.append(name)
    if not labels:
        raise DatasetError(f"{path}: the mapping file names no classes")
    if len(set(labels)) != len(labels):
        raise DatasetError(f"{path}: a label is listed twice")
    return np.array(labels, np.int64), names


def _relabel(y_train, y_test, known: np.ndarray, where) -> tuple:
    """Map the stored label values `known[k]` to k, so that outputs count from 0. Through the
    distinct values, sorted (searchsorted), not a table as long as the largest label: a label
    of 2**31 - 1 would make that table 16 GB."""
    order = np.argsort(known, kind="stable")
    ranked = known[order]

    def lookup(y):
        at = np.minimum(np.searchsorted(ranked, y), len(ranked) - 1)
        if not np.array_equal(ranked[at], y):
            raise DatasetError(f"{where}: the labels hold values that the mapping file "
                               f"does not name")
        return order[at].astype(np.int64)

    return lookup(y_train), lookup(y_test)


def _read(name: str, paths: dict, folder: Path, transposed: bool, classes=(),
          n_classes: int = 0, hint: str = "") -> Dataset:
    try:
        train_x = _read_images(paths["train_images"], transposed)
        test_x = _read_images(paths["test_images"], transposed)
        train_y = _read_labels(paths["train_labels"], len(train_x), paths["train_images"])
        test_y = _read_labels(paths["test_labels"], len(test_x), paths["test_images"])
    except (IdxError, OSError) as e:
        raise DatasetError(f"{e}{hint}") from None
    if paths.get("mapping"):
        known, classes = read_mapping(paths["mapping"])
        if n_classes and len(classes) != n_classes:
            raise DatasetError(f"{paths['mapping']}: names {len(classes)} classes, "
                               f"{name} has {n_classes}")
        train_y, test_y = _relabel(train_y, test_y, known, folder)
    elif classes:
        classes = list(classes)
        top = int(max(train_y.max(initial=0), test_y.max(initial=0)))
        if top >= len(classes):
            raise DatasetError(f"{folder}: label {top} is out of range for {len(classes)} "
                               f"classes")
    else:  # no names anywhere: the label values themselves are the names
        known = np.union1d(train_y, test_y)
        classes = [str(v) for v in known]
        train_y, test_y = _relabel(train_y, test_y, known, folder)
    return Dataset(name, train_x, train_y, test_x, test_y, list(classes))


# --- any folder of IDX files ----------------------------------------------------------------

_IDX_NAME = re.compile(r"^(?P<prefix>.*?)(?P<part>train|t10k|test)[-_.](?P<kind>images|labels)"
                       r"[-_.]idx(?P<dims>[13])[-_.]ubyte(\.gz)?$")


def scan(folder: Path) -> dict:
    """prefix -> {role: path, 'mapping': path} for the IDX sets in `folder`, named like
    MNIST (train/t10k) or Fashion-MNIST/EMNIST (train/test), raw or .gz, with any prefix."""
    sets: dict = {}
    for path in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else []:
        m = _IDX_NAME.match(path.name)
        if m and path.is_file():
            part = "train" if m["part"] == "train" else "test"
            sets.setdefault(m["prefix"], {}).setdefault(f"{part}_{m['kind']}", path)
    complete = {p: r for p, r in sets.items() if all(role in r for role in ROLES)}
    for prefix, roles in complete.items():
        for name in (f"{prefix}mapping.txt", "mapping.txt", "classes.txt"):
            if (Path(folder) / name).is_file():
                roles["mapping"] = Path(folder) / name
                break
    return complete


def load_folder(folder) -> Dataset:
    """Any folder holding four MNIST-format IDX files (e.g. Fashion-MNIST). Classes come from
    a mapping file when there is one (`<prefix>mapping.txt`, `mapping.txt` or
    `classes.txt`), else from the label values. A folder holding one of the catalogue's EMNIST
    splits is read as that split (upright, named classes)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder")
    sets = scan(folder)
    if not sets:
        raise DatasetError(f"{folder}: no dataset found; expected four IDX files such as "
                           f"train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                           f"t10k-images-idx3-ubyte (or test-...), t10k-labels-idx1-ubyte, "
                           f"raw or .gz (to download a dataset there, name it with --dataset)")
    if len(sets) > 1:
        names = ", ".join(p.rstrip("-_.") or "(no prefix)" for p in sets)
        raise DatasetError(f"{folder} holds several datasets ({names}); choose one with "
                           f"--dataset")
    prefix, paths = next(iter(sets.items()))
    known = prefix.rstrip("-_.")
    if known in CATALOGUE and known != "mnist":
        return load(known, folder)
    return _read(known or folder.resolve().name, paths, folder, transposed=False)


def load(name: str | None = "mnist", folder=None, download: bool = False, say=print) -> Dataset:
    """Load a dataset by name from `folder` (default: its folder under datasets/), fetching
    missing files first when `download` is true.

    With a folder and no name (or a name the catalogue does not know, such as that of a
    network trained on a folder of your own), the folder is read as any IDX dataset.
    """
    if folder is not None and (name is None or name not in CATALOGUE):
        return load_folder(folder)
    s = spec(name or "mnist")
    folder = Path(folder) if folder is not None else default_dir(s.name)
    ensure(s.name, folder, download, say)
    return _read(s.name, locate(s, folder), folder, s.transposed, s.classes, s.n_classes,
                 " (a file that was there is never replaced: delete it to have it downloaded "
                 "again)")
