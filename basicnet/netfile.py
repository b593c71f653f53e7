"""The network file: a versioned .npz that holds a network, what it knows and how to resume it.

Format 1 (every string is a numpy unicode array; nothing is pickled):

    format_version  int          1
    sizes           int64 (L+1,) layer sizes n_0 .. n_L
    W0 .. W{L-1}    float32      (n_l, n_{l+1})
    b0 .. b{L-1}    float32      (n_{l+1},)
    hidden_activation, output    str
    dataset         str          e.g. "mnist", "emnist-letters"
    classes         str (n_L,)   one label per output, e.g. "7" or "Aa"
    epochs_trained  int
    test_accuracy   float        fraction in [0, 1], NaN when not tested
    vW0.., vb0..    float32      optional: SGD velocities, to resume with momentum intact
    samples_seen    int          optional

Saving writes a temporary file in the destination folder and renames it over the target with
`os.replace`, so a crash mid-save leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

from .files import atomic_write, open_to_read
from .network import HIDDEN_ACTIVATIONS, OUTPUTS, SGD, Network

FORMAT_VERSION = 1


class NetFileError(ValueError):
    """A network file that cannot be used; the message names the file and the fault."""


# What zipfile, zlib and numpy raise for a damaged archive or member. NotImplementedError and
# RuntimeError are how zipfile reports flags (encryption, odd compression) set by a flipped bit.
_DAMAGE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError,
           MemoryError)


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


def save(path, nf: NetFile) -> None:
    """Write `nf` to `path` atomically."""
    net = nf.net
    arrays = {
        "format_version": np.array(FORMAT_VERSION),
        "sizes": np.array(net.sizes, np.int64),
        "hidden_activation": np.array(net.hidden),
        "output": np.array(net.output),
        "dataset": np.array(nf.dataset),
        "classes": np.array(list(nf.classes) or [str(i) for i in range(net.sizes[-1])]),
        "epochs_trained": np.array(nf.epochs_trained),
        "test_accuracy": np.array(nf.test_accuracy, np.float64),
        "samples_seen": np.array(nf.samples_seen, np.int64),
    }
    for l, (W, b) in enumerate(zip(net.W, net.b)):
        arrays[f"W{l}"] = W.astype(np.float32)
        arrays[f"b{l}"] = b.astype(np.float32)
    if nf.optimizer is not None and nf.optimizer.vW:
        for l, (vW, vb) in enumerate(zip(nf.optimizer.vW, nf.optimizer.vb)):
            arrays[f"vW{l}"] = vW.astype(np.float32)
            arrays[f"vb{l}"] = vb.astype(np.float32)
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def _get(z, key, name) -> np.ndarray:
    if key not in z.files:
        raise NetFileError(f"{name}: missing array '{key}'")
    try:
        value = z[key]
    except ValueError as e:
        if "allow_pickle" in str(e):  # numpy refusing to unpickle an object array
            raise NetFileError(f"{name}: array '{key}' holds pickled objects; "
                               f"refusing to load it") from None
        raise NetFileError(f"{name}: array '{key}' is damaged ({e})") from None
    except _DAMAGE as e:
        raise NetFileError(f"{name}: array '{key}' is damaged ({e})") from None
    if not isinstance(value, np.ndarray):  # a zip member that is not .npy comes back as bytes
        raise NetFileError(f"{name}: '{key}' is not a numpy array")
    return value


def _string(z, key, name, choices=None) -> str:
    value = _get(z, key, name)
    if value.dtype.kind != "U" or value.ndim != 0:
        raise NetFileError(f"{name}: '{key}' must be a string")
    value = str(value)
    if choices is not None and value not in choices:
        raise NetFileError(f"{name}: '{key}' is {value!r}, expected one of {', '.join(choices)}")
    return value


def _scalar(z, key, name, kind, default=None):
    if key not in z.files and default is not None:
        return default
    value = _get(z, key, name)
    if value.ndim != 0 or value.dtype.kind not in kind:
        raise NetFileError(f"{name}: '{key}' must be a single number")
    return value.item()


def _count(z, key, name, default=None) -> int:
    value = int(_scalar(z, key, name, "iu", default))
    if value < 0:
        raise NetFileError(f"{name}: '{key}' is {value}; it cannot be negative")
    return value


def _matrix(z, key, name, shape):
    value = _get(z, key, name)
    if value.shape != shape or value.dtype.kind != "f":
        raise NetFileError(f"{name}: '{key}' has shape {value.shape} and dtype {value.dtype}, "
                           f"expected float {shape}")
    if not np.all(np.isfinite(value)):
        raise NetFileError(f"{name}: '{key}' contains NaN or infinite values")
    return value.astype(np.float32)


def load(path) -> NetFile:
    """Read and validate a network file; raises NetFileError for anything unusable."""
    name = os.fspath(path)
    # opened here so that it is closed even when numpy gives up
    with open_to_read(path, "a network file", NetFileError) as f:
        # Look before numpy does: it takes any unknown content for a pickle and suggests
        # loading it unsafely, which is no advice to give about a text file or an image.
        head = f.read(6)
        f.seek(0)
        if not head:
            raise NetFileError(f"{name}: the file is empty, not a network file")
        if head.startswith(b"\x93NUMPY"):
            raise NetFileError(f"{name}: holds a single numpy array (.npy), not a network "
                               f"file (.npz)")
        if not head.startswith(b"PK"):
            raise NetFileError(f"{name}: not a network file (.npz): it is not a zip archive")
        try:
            z = np.load(f, allow_pickle=False)
        except (ValueError, *_DAMAGE) as e:
            raise NetFileError(f"{name}: not a network file (.npz): {e}") from None
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise NetFileError(f"{name}: not a network file (.npz)")
        try:
            with z:
                return _parse(z, name)
        except _DAMAGE as e:
            raise NetFileError(f"{name}: damaged network file: {e}") from None


def _parse(z, name) -> NetFile:
    version = _scalar(z, "format_version", name, "iu")
    if version != FORMAT_VERSION:
        raise NetFileError(f"{name}: format version {version} is not supported "
                           f"(this program reads version {FORMAT_VERSION})")
    sizes = _get(z, "sizes", name)
    if sizes.ndim != 1 or sizes.dtype.kind not in "iu" or len(sizes) < 2 or np.any(sizes < 1):
        raise NetFileError(f"{name}: 'sizes' must list at least two positive layer sizes")
    sizes = [int(s) for s in sizes]
    pairs = list(zip(sizes[:-1], sizes[1:]))
    W = [_matrix(z, f"W{l}", name, (i, o)) for l, (i, o) in enumerate(pairs)]
    b = [_matrix(z, f"b{l}", name, (o,)) for l, (i, o) in enumerate(pairs)]
    net = Network(W, b, _string(z, "hidden_activation", name, HIDDEN_ACTIVATIONS),
                  _string(z, "output", name, OUTPUTS))
    classes = _get(z, "classes", name)
    if classes.dtype.kind != "U" or classes.shape != (sizes[-1],):
        raise NetFileError(f"{name}: 'classes' must hold {sizes[-1]} labels, one per output")
    optimizer = None
    if all(f"vW{l}" in z.files and f"vb{l}" in z.files for l in range(len(pairs))):
        optimizer = SGD(vW=[_matrix(z, f"vW{l}", name, (i, o)) for l, (i, o) in enumerate(pairs)],
                        vb=[_matrix(z, f"vb{l}", name, (o,)) for l, (i, o) in enumerate(pairs)])
    accuracy = float(_scalar(z, "test_accuracy", name, "f"))
    return NetFile(net=net, dataset=_string(z, "dataset", name), classes=[str(c) for c in classes],
                   epochs_trained=_count(z, "epochs_trained", name),
                   test_accuracy=accuracy,
                   samples_seen=_count(z, "samples_seen", name, default=0),
                   optimizer=optimizer)
