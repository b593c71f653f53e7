"""The network file: a versioned .npz that holds a network, what it knows and how to resume it.

Format 2 (every string is a numpy unicode array; nothing is pickled; numpy alone reads it):

    format_version  int          2
    sizes           int64 (L+1,) layer sizes n_0 .. n_L
    W0 .. W{L-1}    float32      (n_l, n_{l+1})
    b0 .. b{L-1}    float32      (n_{l+1},)
    hidden_activation, output    str
    dataset         str          e.g. "mnist", "emnist-letters"
    classes         str (n_L,)   one label per output, e.g. "7" or "Aa"
    epochs_trained  int
    test_accuracy   float        fraction in [0, 1], NaN when not tested
    samples_seen    int
    seed            int64        the run's random seed, -1 when it had none
    settings        str          JSON object: the run's settings, e.g. {"hidden": [200], ...}
    preparation     str          "mnist" or "emnist": how a drawing is prepared for it
    taught          int          user drawings the network was taught after training
    vW0.., vb0..    float32      optional: SGD velocities, to resume with momentum intact
    checksum        str          sha256 (hex) of every other member: for each, in name order,
                                 the name, the dtype as a little-endian numpy type string, the
                                 shape as comma-separated numbers (each followed by a NUL), then
                                 the values' bytes, C order, little-endian

Format 1 is format 2 without seed, settings, preparation, taught and checksum (samples_seen
optional); it still loads, its preparation following its dataset.

Reading trusts nothing: every member is read here through zipfile, whole (so its CRC is
checked), after its declared size and its .npy header (parsed strictly, never evaluated) have
been compared with what `sizes` says it must hold; anything else in the archive, any value out
of range, or a checksum that disagrees, and the file is refused with one NetFileError line.

Saving checks the network the same way first (a file `load` would refuse is never written),
then writes a temporary file in the destination folder that takes the target's name only once
complete (see files.atomic_write): a crash or a signal leaves the old file or the new one, and
an existing file is replaced only with `overwrite`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

from .constants import PREPARATIONS, default_preparation
from .files import atomic_write, file_kind, open_to_read
from .network import HIDDEN_ACTIVATIONS, OUTPUTS, SGD, Network

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

MAX_LAYERS = 64              # weight layers
MAX_PARAMETERS = 1 << 28     # weights and biases together: 1 GiB as float32, and training
                             # holds four such copies (weights, velocities, gradients, backup)
MAX_COUNT = 1 << 53          # epochs, samples, drawings: beyond this a float cannot count them
MAX_LABEL = 64               # characters of a class label
MAX_NAME = 256               # characters of a dataset's name
MAX_SETTINGS = 1 << 16       # characters of the settings' JSON
MAX_HEADER = 1 << 16         # bytes of a .npy header (numpy writes 128)
CHUNK = 1 << 20              # bytes read at a time


class NetFileError(ValueError):
    """A network file that cannot be used; the message names the file and the fault."""


class OtherKindOfFile(NetFileError):
    """A file of a kind this project reads, given where a network belongs (`kind`: 'a picture
    (PNG)', 'a training log (.csv)'), so that a script can say where it belongs instead."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


# What zipfile and zlib raise for a damaged archive or member. NotImplementedError and
# RuntimeError are how zipfile reports flags (encryption, odd compression) set by a flipped bit;
# struct.error, ValueError and OverflowError come from its header fields; MemoryError from a
# size that is absurd.
_DAMAGE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError,
           ValueError, OverflowError, MemoryError, struct.error, KeyError, IndexError)


@dataclass
class NetFile:
    """A network with what the file says about it."""

    net: Network
    dataset: str = "mnist"
    classes: list[str] = field(default_factory=list)
    epochs_trained: int = 0
    test_accuracy: float = float("nan")
    samples_seen: int = 0
    optimizer: SGD | None = None  # velocities only; hyper-parameters come from the command line
    seed: int | None = None       # the run's seed; None when it had none
    settings: dict = field(default_factory=dict)  # the run's settings, as the trainer gave them
    preparation: str | None = None  # "mnist"/"emnist"; None: by the dataset (filled on load)
    taught: int = 0               # user drawings taught after training


# --- what each member must be ----------------------------------------------------------------

@dataclass(frozen=True)
class _Want:
    """What a member may hold: dtype kinds ('f' float, 'iu' integer, 'U' text), a shape (None
    for one free length up to `most`), and for text the most characters per string."""

    kinds: str
    shape: tuple | None = ()
    most: int = 0

    def describe(self) -> str:
        kind = {"f": "float", "iu": "integer", "U": "text"}[self.kinds]
        return f"{kind} {self.shape}" if self.shape is not None else f"a list of {kind}s"


_INT, _FLOAT = _Want("iu"), _Want("f")
_STRING = _Want("U", most=32)
_KEY = re.compile(r"[a-z_]+|(?:v?[Wb])(?:0|[1-9]\d{0,3})")


def _wants(version: int, sizes: list[int]) -> tuple[dict, set]:
    """Every member a file of `version` with these layer sizes may hold, and those it must."""
    wants = {"format_version": _INT, "sizes": _Want("iu", None, MAX_LAYERS + 1),
             "hidden_activation": _STRING, "output": _STRING,
             "dataset": _Want("U", (), MAX_NAME), "classes": _Want("U", (sizes[-1],), MAX_LABEL),
             "epochs_trained": _INT, "test_accuracy": _FLOAT, "samples_seen": _INT}
    for l, (i, o) in enumerate(zip(sizes[:-1], sizes[1:])):
        for prefix in ("", "v"):
            wants[f"{prefix}W{l}"] = _Want("f", (i, o))
            wants[f"{prefix}b{l}"] = _Want("f", (o,))
    if version >= 2:
        wants.update(seed=_INT, settings=_Want("U", (), MAX_SETTINGS), preparation=_STRING,
                     taught=_INT, checksum=_Want("U", (), 64))
    optional = {k for k in wants if k.startswith("v")}
    if version == 1:
        optional.add("samples_seen")
    return wants, set(wants) - optional


def _check_array(name: str, key: str, dtype: np.dtype, shape: tuple, want: _Want) -> None:
    """Refuse a member whose dtype or shape is not what `want` says (before its data is read)."""
    if dtype.kind == "O":
        raise NetFileError(f"{name}: array '{key}' holds pickled objects; refusing to load it")
    if want.shape is None:
        fits = len(shape) == 1 and shape[0] <= want.most
    else:
        fits = shape == want.shape
    if dtype.kind not in want.kinds or not fits:
        if want.kinds == "U" and want.shape == ():
            raise NetFileError(f"{name}: '{key}' must be a string")
        if want.shape == ():
            raise NetFileError(f"{name}: '{key}' must be a single number")
        if key == "classes":
            raise NetFileError(f"{name}: 'classes' must hold {want.shape[0]} labels, one per "
                               f"output")
        if key == "sizes":
            raise NetFileError(f"{name}: 'sizes' must list at least two positive layer sizes")
        raise NetFileError(f"{name}: '{key}' has shape {shape} and dtype {dtype}, "
                           f"expected {want.describe()}")
    if dtype.kind == "U" and dtype.itemsize // 4 > want.most:
        raise NetFileError(f"{name}: '{key}' holds strings of up to {dtype.itemsize // 4:,} "
                           f"characters; at most {want.most} are allowed")


# --- reading the archive ----------------------------------------------------------------------

class _Clamped:
    """The file as zipfile sees it, with every read cut at the file's end: a damaged size
    field then asks for what is there, not for gigabytes."""

    def __init__(self, f, size: int):
        self.f, self.size = f, size

    def read(self, n: int = -1) -> bytes:
        left = max(self.size - self.f.tell(), 0)
        return self.f.read(left if n is None or n < 0 else min(n, left))

    def seek(self, *args):
        return self.f.seek(*args)

    def tell(self) -> int:
        return self.f.tell()

    def seekable(self) -> bool:
        return True


_MAGIC = b"\x93NUMPY"
_VALUE = (r"'[^'\\]*'|True|False|\(\s*\)|\(\s*\d{1,19}\s*,\s*\)"   # a string, a flag, (), (n,)
          r"|\(\s*\d{1,19}(?:\s*,\s*\d{1,19})+\s*,?\s*\)")           # (n, m, ...)
_ITEM = re.compile(rf"'(\w+)'\s*:\s*({_VALUE})")
_DICT = re.compile(rf"\{{\s*(?:'\w+'\s*:\s*(?:{_VALUE})\s*,\s*)*"
                   rf"(?:'\w+'\s*:\s*(?:{_VALUE})\s*)?\}}\s*")
_DESCR = re.compile(r"([<>|])([fiuUO])(\d{0,7})")
_ITEMSIZES = {"f": (2, 4, 8), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8)}


def _parse_header(text: str) -> tuple[np.dtype, bool, tuple]:
    """(dtype, fortran_order, shape) from a .npy header, read by a strict pattern rather than
    evaluated: a dict of exactly 'descr', 'fortran_order' and 'shape'. ValueError when not."""
    if not _DICT.fullmatch(text):
        raise ValueError("its header is not the dict numpy writes")
    items = _ITEM.findall(text)
    keys = [k for k, _ in items]
    if sorted(keys) != ["descr", "fortran_order", "shape"]:
        raise ValueError("its header must name exactly descr, fortran_order and shape")
    values = dict(items)
    descr = _DESCR.fullmatch(values["descr"].strip("'"))
    if not values["descr"].startswith("'") or not descr:
        raise ValueError(f"unsupported dtype {values['descr']}")
    order, kind, size = descr.group(1), descr.group(2), int(descr.group(3) or 0)
    if kind == "O":
        return np.dtype(object), False, ()
    if kind == "U" and not 1 <= size <= MAX_SETTINGS or kind != "U" and (
            size not in _ITEMSIZES[kind] or (order == "|") != (size == 1)):
        raise ValueError(f"unsupported dtype {values['descr']}")
    if values["fortran_order"] not in ("True", "False") or not values["shape"].startswith("("):
        raise ValueError("its header's fortran_order or shape is malformed")
    shape = tuple(int(d) for d in re.findall(r"\d+", values["shape"]))
    return np.dtype(f"{order}{kind}{size}"), values["fortran_order"] == "True", shape


def _read_exact(m, n: int) -> bytes:
    data = m.read(n)
    if len(data) != n:
        raise EOFError("the member ends early")
    return data


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, want: _Want,
                 name: str) -> np.ndarray:
    """One member, read whole (its CRC checked) once its size and header fit `want`."""
    if want.shape is None:
        most_values = want.most
    else:
        most_values = math.prod(want.shape)
    most_item = 4 * want.most if want.kinds == "U" else 8
    limit = 12 + MAX_HEADER + most_values * most_item
    if info.file_size > limit:
        raise NetFileError(f"{name}: '{key}' declares {info.file_size:,} bytes, more than "
                           f"{want.describe()} can hold")
    try:
        with z.open(info) as m:
            preamble = _read_exact(m, 8)
            if preamble[:6] != _MAGIC:
                raise NetFileError(f"{name}: '{key}' is not a numpy array")
            version = (preamble[6], preamble[7])
            if version not in ((1, 0), (2, 0), (3, 0)):
                raise ValueError(f".npy version {version[0]}.{version[1]} is unknown")
            width = 2 if version[0] == 1 else 4
            length = int.from_bytes(_read_exact(m, width), "little")
            start = 8 + width + length
            if length > MAX_HEADER or start > info.file_size:
                raise ValueError("its header length is impossible")
            text = _read_exact(m, length).decode("utf-8" if version[0] == 3 else "latin-1")
            dtype, fortran, shape = _parse_header(text)
            _check_array(name, key, dtype, shape, want)
            count = math.prod(shape)
            if start + count * dtype.itemsize != info.file_size:
                raise ValueError(f"its header declares {count:,} values of {dtype.itemsize} "
                                 f"bytes, the member holds {info.file_size - start:,} bytes")
            data = np.empty(count * dtype.itemsize, np.uint8)
            view, done = memoryview(data), 0
            while done < len(data):  # the last read reaches the end: zipfile checks the CRC
                chunk = _read_exact(m, min(CHUNK, len(data) - done))
                view[done:done + len(chunk)] = chunk
                done += len(chunk)
            if m.read(1):
                raise ValueError("it holds bytes after its values")
    except NetFileError:
        raise
    except _DAMAGE as e:
        raise NetFileError(f"{name}: array '{key}' is damaged ({e})") from None
    if dtype.kind == "U":
        codes = data.view(dtype.byteorder.replace("|", "<") + "u4")
        if codes.size and (codes.max() > 0x10FFFF):
            raise NetFileError(f"{name}: '{key}' holds characters that do not exist")
    values = data.view(dtype).reshape(shape, order="F" if fortran else "C")
    return values.astype(dtype.newbyteorder("="), order="C")


def _declared_count(f, size: int) -> int:
    """How many members the zip's end record says it holds (its zip64 record's count when
    the plain one overflows), or -1 when no end record is found."""
    tail = min(size, 22 + 0xFFFF)  # the end record, and a comment of up to 64 KiB after it
    f.seek(size - tail)
    data = f.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(data):
        return -1
    count = int.from_bytes(data[at + 10:at + 12], "little")
    if count == 0xFFFF and at >= 20 and data[at - 20:at - 16] == b"PK\x06\x07":
        where = int.from_bytes(data[at - 12:at - 4], "little")
        if where + 56 <= size:
            f.seek(where)
            record = f.read(56)
            if record[:4] == b"PK\x06\x06":
                count = int.from_bytes(record[32:40], "little")
    return count


def _members(z: zipfile.ZipFile, name: str, declared: int) -> dict:
    """key -> ZipInfo for the archive's members, refusing odd names and repeats, and a
    directory that lists fewer members than the end record counts: a damaged name, extra or
    comment length there swallows the entries after it, and zipfile would not say."""
    if len(z.infolist()) != declared:
        raise NetFileError(f"{name}: damaged network file: its zip directory lists "
                           f"{len(z.infolist())} members, its end record {declared}")
    members = {}
    for info in z.infolist():
        key = info.filename[:-4] if info.filename.endswith(".npy") else ""
        if not _KEY.fullmatch(key):
            raise NetFileError(f"{name}: holds {info.filename!r}, which is no part of a "
                               f"network file")
        if key in members:
            raise NetFileError(f"{name}: holds '{key}' twice")
        members[key] = info
    return members


def _read_all(z: zipfile.ZipFile, name: str, declared: int) -> dict:
    """Every member's array, checked against what the file's version and sizes require."""
    members = _members(z, name, declared)

    def read(key, want):
        if key not in members:
            raise NetFileError(f"{name}: missing array '{key}'")
        return _read_member(z, members[key], key, want, name)

    raw = {"format_version": read("format_version", _INT)}
    version = _version(raw["format_version"], name)
    raw["sizes"] = read("sizes", _Want("iu", None, MAX_LAYERS + 1))
    wants, required = _wants(version, _sizes(raw["sizes"], name))
    for key in members:
        if key not in wants:
            raise NetFileError(f"{name}: holds '{key}', which is no part of this network")
    for key in sorted(required - set(members)):
        raise NetFileError(f"{name}: missing array '{key}'")
    for key in members:
        if key not in raw:
            raw[key] = read(key, wants[key])
    return raw


# --- what the arrays must say ----------------------------------------------------------------

def _version(value: np.ndarray, name: str) -> int:
    version = int(value)
    if version not in READABLE_VERSIONS:
        raise NetFileError(f"{name}: format version {version} is not supported "
                           f"(this program reads versions "
                           f"{', '.join(map(str, READABLE_VERSIONS))})")
    return version


def parameter_count(sizes) -> int:
    """Weights and biases of a network with these layer sizes."""
    return sum((int(i) + 1) * int(o) for i, o in zip(sizes[:-1], sizes[1:]))


def _sizes(value: np.ndarray, name: str) -> list[int]:
    sizes = [int(s) for s in value]
    if len(sizes) < 2 or min(sizes) < 1:
        raise NetFileError(f"{name}: 'sizes' must list at least two positive layer sizes")
    if len(sizes) > MAX_LAYERS + 1:
        raise NetFileError(f"{name}: 'sizes' lists {len(sizes) - 1} layers; at most "
                           f"{MAX_LAYERS} are allowed")
    parameters = parameter_count(sizes)
    if parameters > MAX_PARAMETERS:
        raise NetFileError(f"{name}: 'sizes' {sizes} make {parameters:,} weights and biases; "
                           f"at most {MAX_PARAMETERS:,} are allowed")
    return sizes


def _text(raw: dict, key: str, name: str, choices=None, empty: bool = False) -> str:
    value = str(raw[key])
    if choices is not None and value not in choices:
        raise NetFileError(f"{name}: '{key}' is {value!r}, expected one of {', '.join(choices)}")
    _printable(value, key, name, empty)
    return value


def _printable(value: str, key: str, name: str, empty: bool = False) -> None:
    # A label is printed as it is (`--predict`); a line break or a control character in it
    # could forge output lines or send the terminal commands.
    if not value and not empty:
        raise NetFileError(f"{name}: '{key}' holds an empty name")
    if not value.isprintable():
        raise NetFileError(f"{name}: '{key}' holds {value!r}, with characters that cannot be "
                           f"printed (line breaks, control characters)")


def _count(raw: dict, key: str, name: str, least: int = 0) -> int:
    value = int(raw[key])
    if not least <= value <= MAX_COUNT:
        problem = "it cannot be negative" if value < least else "that is out of range"
        raise NetFileError(f"{name}: '{key}' is {value}; {problem}")
    return value


def _floats(raw: dict, key: str, name: str) -> np.ndarray:
    """float32, refused when NaN or infinite as float32 (3.4e39 is finite in float64)."""
    with np.errstate(over="ignore", invalid="ignore"):
        value = np.ascontiguousarray(raw[key], dtype=np.float32)
    if not np.all(np.isfinite(value)):
        raise NetFileError(f"{name}: '{key}' contains NaN or infinite values (as float32)")
    return value


def _checksum(arrays: dict) -> str:
    h = hashlib.sha256()
    for key in sorted(k for k in arrays if k != "checksum"):
        a = np.asarray(arrays[key])
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        h.update(f"{key}\0{a.dtype.str}\0{','.join(map(str, a.shape))}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _parse(raw: dict, name: str) -> NetFile:
    """The NetFile the arrays describe; NetFileError for anything out of place. `raw` holds
    arrays whose dtypes and shapes were already checked against `_wants`."""
    version = _version(raw["format_version"], name)
    sizes = _sizes(raw["sizes"], name)
    pairs = range(len(sizes) - 1)
    W = [_floats(raw, f"W{l}", name) for l in pairs]
    b = [_floats(raw, f"b{l}", name) for l in pairs]
    net = Network(W, b, _text(raw, "hidden_activation", name, HIDDEN_ACTIVATIONS),
                  _text(raw, "output", name, OUTPUTS))
    classes = [str(c) for c in raw["classes"]]
    for c in classes:
        _printable(c, "classes", name)
    velocities = [k for k in raw if k.startswith("v")]
    optimizer = None
    if velocities:
        if len(velocities) != 2 * len(pairs):
            raise NetFileError(f"{name}: holds velocities for some layers only")
        optimizer = SGD(vW=[_floats(raw, f"vW{l}", name) for l in pairs],
                        vb=[_floats(raw, f"vb{l}", name) for l in pairs])
    accuracy = float(raw["test_accuracy"])
    if not (math.isnan(accuracy) or 0 <= accuracy <= 1):
        raise NetFileError(f"{name}: 'test_accuracy' is {accuracy}; a fraction from 0 to 1 "
                           f"(or NaN, not tested) is expected")
    dataset = _text(raw, "dataset", name)
    nf = NetFile(net=net, dataset=dataset, classes=classes,
                 epochs_trained=_count(raw, "epochs_trained", name),
                 test_accuracy=accuracy,
                 samples_seen=_count(raw, "samples_seen", name) if "samples_seen" in raw else 0,
                 optimizer=optimizer, preparation=default_preparation(dataset))
    if version >= 2:
        seed = int(raw["seed"])
        if not -1 <= seed < 1 << 63:
            raise NetFileError(f"{name}: 'seed' is {seed}; expected -1 (none) or a seed from 0 "
                               f"to 2**63 - 1")
        nf.seed = None if seed == -1 else seed
        try:
            nf.settings = json.loads(str(raw["settings"]))
        except ValueError as e:
            raise NetFileError(f"{name}: 'settings' is not JSON ({e})") from None
        if not isinstance(nf.settings, dict):
            raise NetFileError(f"{name}: 'settings' must be a JSON object")
        nf.preparation = _text(raw, "preparation", name, PREPARATIONS)
        nf.taught = _count(raw, "taught", name)
        stored = str(raw["checksum"])
        if stored != _checksum(raw):
            raise NetFileError(f"{name}: damaged network file: its checksum does not match "
                               f"its arrays")
    return nf


# --- the two entry points --------------------------------------------------------------------

def load(path) -> NetFile:
    """Read and validate a network file; raises NetFileError for anything unusable."""
    name = os.fspath(path)
    with open_to_read(path, "a network file", NetFileError) as f:
        head = f.read(12)
        f.seek(0)
        if not head:
            raise NetFileError(f"{name}: the file is empty, not a network file")
        if head.startswith(_MAGIC):
            raise NetFileError(f"{name}: holds a single numpy array (.npy), not a network "
                               f"file (.npz)")
        kind = file_kind(head, name)
        if kind and not kind.startswith(("a network", "a zip")):
            raise OtherKindOfFile(f"{name}: {kind}, not a network file (.npz)", kind)
        if not head.startswith(b"PK"):
            raise NetFileError(f"{name}: not a network file (.npz): it is not a zip archive")
        try:
            size = os.fstat(f.fileno()).st_size
            declared = _declared_count(f, size)
            with zipfile.ZipFile(_Clamped(f, size)) as z:
                raw = _read_all(z, name, declared)
        except NetFileError:
            raise
        except _DAMAGE as e:
            raise NetFileError(f"{name}: not a network file (.npz), or a damaged one: "
                               f"{e}") from None
    return _parse(raw, name)


def arrays(nf: NetFile, name: str = "the network") -> dict:
    """The members a file of `nf` holds, checksum included (NetFileError naming `name` for
    values no array can hold)."""
    net = nf.net
    try:
        out = {
            "format_version": np.array(FORMAT_VERSION, np.int64),
            "sizes": np.array(net.sizes, np.int64),
            "hidden_activation": np.array(net.hidden),
            "output": np.array(net.output),
            "dataset": np.array(nf.dataset),
            "classes": np.array([str(c) for c in nf.classes]
                                or [str(i) for i in range(net.sizes[-1])]),
            "epochs_trained": np.array(nf.epochs_trained, np.int64),
            "test_accuracy": np.array(nf.test_accuracy, np.float64),
            "samples_seen": np.array(nf.samples_seen, np.int64),
            "seed": np.array(-1 if nf.seed is None else nf.seed, np.int64),
            "settings": np.array(json.dumps(nf.settings, sort_keys=True)),
            "preparation": np.array(nf.preparation or default_preparation(nf.dataset)),
            "taught": np.array(nf.taught, np.int64),
        }
    except (OverflowError, TypeError, ValueError) as e:
        raise NetFileError(f"{name}: cannot be saved: {e}") from None
    with np.errstate(over="ignore", invalid="ignore"):
        for l, (W, b) in enumerate(zip(net.W, net.b)):
            out[f"W{l}"] = np.asarray(W).astype(np.float32, copy=False)
            out[f"b{l}"] = np.asarray(b).astype(np.float32, copy=False)
        if nf.optimizer is not None and nf.optimizer.vW:
            for l, (vW, vb) in enumerate(zip(nf.optimizer.vW, nf.optimizer.vb)):
                out[f"vW{l}"] = np.asarray(vW).astype(np.float32, copy=False)
                out[f"vb{l}"] = np.asarray(vb).astype(np.float32, copy=False)
    out["checksum"] = np.array(_checksum(out))
    return out


def check(nf: NetFile, name: str = "the network") -> dict:
    """The arrays of `nf`'s file, after the checks `load` makes: NetFileError (naming `name`)
    when a file of it would be refused. Cheap enough to run before training starts."""
    out = arrays(nf, name)
    wants, required = _wants(FORMAT_VERSION, _sizes(out["sizes"], name))
    missing = required - set(out)
    if missing:
        raise NetFileError(f"{name}: missing array '{sorted(missing)[0]}'")
    for key, a in out.items():
        if key not in wants:
            raise NetFileError(f"{name}: '{key}' is no part of this network")
        _check_array(name, key, a.dtype, a.shape, wants[key])
    _parse(out, name)
    return out


def save(path, nf: NetFile, *, overwrite: bool = False) -> None:
    """Write `nf` to `path` atomically, after the checks `load` makes (NetFileError when it
    would be refused). Without `overwrite` a file at `path`, even one that appeared a moment
    ago, is left alone: FileExistsError. A signal during the save waits for its end."""
    out = check(nf, os.fspath(path))
    with atomic_write(path, overwrite=overwrite) as f:
        np.savez(f, **out)
