"""Network files: everything survives a round trip, anything unusable is refused with a clear
NetFileError, and a save that fails half-way never costs the previous file."""

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basicnet import netfile
from basicnet.netfile import FORMAT_VERSION, NetFile, NetFileError
from basicnet.network import SGD, Network


def _netfile(sizes=(784, 30, 20, 26), seed=0, **kw) -> NetFile:
    rng = np.random.default_rng(seed)
    net = Network.create(list(sizes), rng, hidden="tanh", output="sigmoid")
    for b in net.b:
        b[:] = rng.normal(size=b.shape)
    opt = SGD(vW=[rng.normal(size=w.shape).astype(np.float32) for w in net.W],
              vb=[rng.normal(size=b.shape).astype(np.float32) for b in net.b])
    fields = dict(dataset="emnist-letters", classes=[chr(65 + i) + chr(97 + i) for i in range(26)],
                  epochs_trained=7, test_accuracy=0.9123, samples_seen=873_600, optimizer=opt)
    fields.update(kw)
    return NetFile(net, **fields)


def _assert_same(a: NetFile, b: NetFile):
    assert a.net.sizes == b.net.sizes
    assert (a.net.hidden, a.net.output) == (b.net.hidden, b.net.output)
    for x, y in zip(a.net.W + a.net.b, b.net.W + b.net.b):
        assert y.dtype == np.float32
        np.testing.assert_array_equal(x.astype(np.float32), y)
    assert (a.dataset, list(a.classes), a.epochs_trained, a.samples_seen) == \
           (b.dataset, list(b.classes), b.epochs_trained, b.samples_seen)
    np.testing.assert_equal(a.test_accuracy, b.test_accuracy)  # NaN == NaN here


def test_round_trip_keeps_everything(tmp_path):
    nf = _netfile()
    netfile.save(tmp_path / "net.npz", nf)
    back = netfile.load(tmp_path / "net.npz")
    _assert_same(nf, back)
    assert back.optimizer is not None
    for x, y in zip(nf.optimizer.vW + nf.optimizer.vb, back.optimizer.vW + back.optimizer.vb):
        np.testing.assert_array_equal(x, y)
    assert back.net.predict(np.ones((1, 784), np.float32)).shape == (1, 26)


def test_round_trip_of_a_fresh_network(tmp_path):
    """No optimizer state, no test yet, default class labels: all come back as they went."""
    net = Network.create([784, 10], np.random.default_rng(1), dtype=np.float64)
    netfile.save(tmp_path / "fresh.npz", NetFile(net))
    back = netfile.load(str(tmp_path / "fresh.npz"))
    assert back.optimizer is None
    assert back.classes == [str(i) for i in range(10)]
    assert np.isnan(back.test_accuracy) and back.epochs_trained == 0
    assert (back.net.hidden, back.net.output, back.dataset) == ("sigmoid", "softmax", "mnist")
    np.testing.assert_array_equal(back.net.W[0], net.W[0].astype(np.float32))


def test_file_is_a_plain_npz_without_pickles(tmp_path):
    """Other tools (numpy alone, allow_pickle=False) can read every array of the format."""
    netfile.save(tmp_path / "net.npz", _netfile())
    with np.load(tmp_path / "net.npz", allow_pickle=False) as z:
        assert int(z["format_version"]) == FORMAT_VERSION
        assert z["sizes"].tolist() == [784, 30, 20, 26]
        assert z["classes"].dtype.kind == "U" and str(z["classes"][0]) == "Aa"
        assert str(z["hidden_activation"]) == "tanh" and str(z["output"]) == "sigmoid"
        assert {"W0", "W1", "W2", "b0", "b1", "b2", "vW0", "vb2"} <= set(z.files)


def test_saved_file_gets_ordinary_permissions(tmp_path):
    """The temporary file must not leave the network readable by its owner only."""
    old = os.umask(0o022)
    try:
        netfile.save(tmp_path / "net.npz", _netfile())
    finally:
        os.umask(old)
    assert (tmp_path / "net.npz").stat().st_mode & 0o777 == 0o644


# --- malformed files ---------------------------------------------------------------------------

def _valid() -> dict:
    """The arrays of a valid small network file, to break one at a time."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "n.npz"
        netfile.save(path, _netfile(sizes=(6, 5, 4, 3), classes=["x", "y", "z"]))
        with np.load(path) as z:
            return {k: z[k] for k in z.files}


def _edited(drop=(), **changes) -> dict:
    arrays = _valid()
    for k in drop:
        del arrays[k]
    arrays.update(changes)
    return arrays


def _nan(shape, where=(0,)):
    a = np.ones(shape, np.float32)
    a[where] = np.nan
    return a


EDITS = {
    # name: (arrays, words the message must contain)
    "missing W1": (_edited(drop=["W1"]), "missing array 'W1'"),
    "missing b0": (_edited(drop=["b0"]), "missing array 'b0'"),
    "missing sizes": (_edited(drop=["sizes"]), "missing array 'sizes'"),
    "missing classes": (_edited(drop=["classes"]), "missing array 'classes'"),
    "missing format_version": (_edited(drop=["format_version"]), "'format_version'"),
    "missing output": (_edited(drop=["output"]), "missing array 'output'"),
    "missing epochs_trained": (_edited(drop=["epochs_trained"]), "'epochs_trained'"),
    "W0 transposed": (_edited(W0=np.ones((5, 6), np.float32)), "'W0' has shape (5, 6)"),
    "b1 too long": (_edited(b1=np.ones(5, np.float32)), "'b1' has shape (5,)"),
    "W2 three-dimensional": (_edited(W2=np.ones((4, 3, 1), np.float32)), "'W2'"),
    "W0 of integers": (_edited(W0=np.ones((6, 5), np.int32)), "dtype int32"),
    "W0 of strings": (_edited(W0=np.full((6, 5), "1")), "'W0'"),
    "sizes disagree with W": (_edited(sizes=np.array([6, 7, 4, 3])), "'W0' has shape"),
    "sizes of floats": (_edited(sizes=np.array([6.0, 5, 4, 3])), "'sizes'"),
    "sizes 2-D": (_edited(sizes=np.array([[6, 5], [4, 3]])), "'sizes'"),
    "sizes with zero": (_edited(sizes=np.array([6, 0, 4, 3])), "'sizes'"),
    "one layer only": (_edited(sizes=np.array([6])), "'sizes'"),
    "NaN weight": (_edited(W1=_nan((5, 4), (2, 3))), "'W1' contains NaN"),
    "infinite bias": (_edited(b2=np.array([0, np.inf, 0], np.float32)), "'b2' contains NaN"),
    "NaN velocity": (_edited(vW0=_nan((6, 5))), "'vW0' contains NaN"),
    "mis-shaped velocity": (_edited(vb1=np.ones(3, np.float32)), "'vb1' has shape"),
    "format version 99": (_edited(format_version=np.array(99)), "format version 99"),
    "format version as text": (_edited(format_version=np.array("1")), "'format_version'"),
    "three classes expected, two given": (_edited(classes=np.array(["x", "y"])), "3 labels"),
    "classes as numbers": (_edited(classes=np.arange(3)), "'classes'"),
    "unknown activation": (_edited(hidden_activation=np.array("swish")), "'swish'"),
    "unknown output": (_edited(output=np.array("linear")), "'linear'"),
    "output as a number": (_edited(output=np.array(3)), "'output' must be a string"),
    "negative epochs": (_edited(epochs_trained=np.array(-1)), "'epochs_trained' is -1"),
    "accuracy as text": (_edited(test_accuracy=np.array("high")), "'test_accuracy'"),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_malformed_arrays_are_refused(tmp_path, case):
    arrays, words = EDITS[case]
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(NetFileError) as info:
        netfile.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and words in message
    assert "\n" not in message


def _object_array_file(path, key):
    arrays = _valid()
    arrays[key] = np.array(list(arrays[key]), dtype=object)
    np.savez(path, **arrays)  # numpy pickles object arrays


@pytest.mark.parametrize("key", ["W0", "classes", "sizes"])
def test_pickled_objects_are_refused_not_unpickled(tmp_path, key):
    path = tmp_path / "pickled.npz"
    _object_array_file(path, key)
    with pytest.raises(NetFileError, match=f"'{key}' holds pickled objects"):
        netfile.load(path)


def test_a_pickle_is_never_executed(tmp_path):
    """A file that is one big pickle must be refused without running it."""
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(NetFileError, match="not a network file"):
        netfile.load(path)
    assert not (tmp_path / "pwned").exists()


def _zip_member_not_npy(path):
    with zipfile.ZipFile(path, "w") as z:
        for k, v in _valid().items():
            buf = io.BytesIO()
            np.save(buf, v)
            z.writestr(f"{k}.npy" if k != "W0" else "W0", buf.getvalue() if k != "W0" else b"hi")


NOT_NPZ = {
    "text": lambda p: p.write_text("W0 = [[1, 2], [3, 4]]\n"),
    "empty": lambda p: p.write_bytes(b""),
    "truncated zip": lambda p: (netfile.save(p, _netfile()),
                                p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
    "zip with a cut central directory": lambda p: (
        netfile.save(p, _netfile()), p.write_bytes(p.read_bytes()[:-30])),
    "a single .npy array": lambda p: p.write_bytes(_npy_bytes()),
    "a png image": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64)),
    "a zip of other files": lambda p: zipfile.ZipFile(p, "w").writestr("readme.txt", "hello"),
    "a zip member that is not .npy": _zip_member_not_npy,
}


def _npy_bytes():
    buf = io.BytesIO()
    np.save(buf, np.ones((3, 3), np.float32))
    return buf.getvalue()


@pytest.mark.parametrize("case", sorted(NOT_NPZ))
def test_files_that_are_not_networks_are_refused(tmp_path, case):
    path = tmp_path / "net.npz"
    NOT_NPZ[case](path)
    with pytest.raises(NetFileError) as info:
        netfile.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert "allow_pickle" not in message, "never advise loading a file unsafely"


def test_missing_file_and_folder_are_refused(tmp_path):
    with pytest.raises(NetFileError, match="no such file"):
        netfile.load(tmp_path / "nothing.npz")
    with pytest.raises(NetFileError, match="folder"):
        netfile.load(tmp_path)


def test_damaged_member_is_refused(tmp_path):
    """A bit flipped inside a weight matrix is caught by the zip's CRC, not loaded."""
    path = tmp_path / "net.npz"
    netfile.save(path, _netfile())
    data = bytearray(path.read_bytes())
    at = data.find(b"W1.npy")
    data[at + 400] ^= 0x10  # inside W1's values (30x20 floats follow its ~128-byte header)
    path.write_bytes(bytes(data))
    with pytest.raises(NetFileError, match="'W1' is damaged"):
        netfile.load(path)


# --- interrupted saves -------------------------------------------------------------------------

class Crash(Exception):
    pass


def _crash(*args, **kwargs):
    raise Crash("disk on fire")


def _partial_savez(file, **arrays):
    file.write(b"PK\x03\x04 half a zip")
    raise Crash("disk full")


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("where, failure", [
    ("savez", _crash), ("savez", _partial_savez), ("savez", _interrupt),
    ("fsync", _crash), ("replace", _crash), ("replace", _interrupt),
])
def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch, where, failure):
    path = tmp_path / "net.npz"
    old = _netfile(seed=1, epochs_trained=3)
    netfile.save(path, old)
    before = path.read_bytes()
    target = {"savez": (netfile.np, "savez"), "fsync": (netfile.os, "fsync"),
              "replace": (netfile.os, "replace")}[where]
    monkeypatch.setattr(*target, failure)
    with pytest.raises((Crash, KeyboardInterrupt)):
        netfile.save(path, _netfile(seed=2, epochs_trained=4), overwrite=True)
    monkeypatch.undo()
    assert path.read_bytes() == before
    _assert_same(old, netfile.load(path))
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"], "no temporary file left behind"


def test_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(netfile.np, "savez", _partial_savez)
    with pytest.raises(Crash):
        netfile.save(tmp_path / "new.npz", _netfile())
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_an_existing_file_whole(tmp_path):
    path = tmp_path / "net.npz"
    netfile.save(path, _netfile(sizes=(784, 100, 10), classes=list("0123456789")))
    new = _netfile(sizes=(784, 10), classes=list("0123456789"), epochs_trained=1)
    netfile.save(path, new, overwrite=True)
    _assert_same(new, netfile.load(path))
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


# --- fuzzing -----------------------------------------------------------------------------------
# Real saved network files, damaged every way a disk, a download or a careless tool damages
# them: whatever loads must be exactly what was saved, anything else one NetFileError line.
# benchmarks/bench_fuzz_netfile.py runs the same idea 100,000 times.

def _same(a: NetFile, b: NetFile) -> bool:
    """Identical, bit for bit, in everything a file holds."""
    arrays = lambda nf: nf.net.W + nf.net.b + (nf.optimizer.vW + nf.optimizer.vb  # noqa: E731
                                               if nf.optimizer else [])
    return ((a.net.sizes, a.net.hidden, a.net.output, a.dataset, a.classes, a.epochs_trained,
             a.samples_seen, a.seed, a.settings, a.preparation, a.taught)
            == (b.net.sizes, b.net.hidden, b.net.output, b.dataset, b.classes, b.epochs_trained,
                b.samples_seen, b.seed, b.settings, b.preparation, b.taught)
            and np.float64(a.test_accuracy).tobytes() == np.float64(b.test_accuracy).tobytes()
            and len(arrays(a)) == len(arrays(b))
            and all(x.dtype == y.dtype and x.tobytes() == y.tobytes()
                    for x, y in zip(arrays(a), arrays(b))))


def _spans(data: bytes) -> list[tuple[int, int]]:
    """Where the zip's headers and the .npy headers are: a damaged byte there hurts most."""
    out = []
    for sig, size in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46), (b"PK\x05\x06", 22),
                      (b"PK\x06\x06", 56), (b"\x93NUMPY", 128)):
        at = data.find(sig)
        while at >= 0:
            out.append((at, min(at + size, len(data))))
            at = data.find(sig, at + 1)
    return out


def _size_fields(data: bytes) -> list[int]:
    """Where the zip records each member's sizes (compressed, uncompressed) and the lengths of
    its name, extra field and comment."""
    out = []
    for sig, fields in ((b"PK\x03\x04", (18, 22, 26)), (b"PK\x01\x02", (20, 24, 28, 30))):
        at = data.find(sig)
        while at >= 0:
            out += [at + f for f in fields if at + f + 4 <= len(data)]
            at = data.find(sig, at + 1)
    return out


@pytest.fixture(scope="module")
def fuzz_files(tmp_path_factory):
    """name -> (bytes, the NetFile it loads as): format 2 as saved, deflated, and format 1."""
    folder = tmp_path_factory.mktemp("netfuzz")
    nf = _netfile(sizes=(6, 5, 3), classes=["a", "Bb", "北"], seed=4)
    nf.seed, nf.settings, nf.taught = 11, {"hidden": [5], "lr": 0.5}, 3
    netfile.save(folder / "stored.npz", nf)
    with np.load(folder / "stored.npz") as z:
        np.savez_compressed(folder / "deflated.npz", **{k: z[k] for k in z.files})
    _format_1(folder / "format1.npz", _netfile(sizes=(7, 4, 2), classes=["x", "y"]))
    return {p.stem: (p.read_bytes(), netfile.load(p)) for p in folder.iterdir()}, folder


_POS = st.integers(0, 1 << 20)
DAMAGE = st.one_of(
    st.tuples(st.just("flip"), _POS, st.integers(0, 7)),
    st.tuples(st.just("header byte"), _POS, st.integers(1, 255)),
    st.tuples(st.just("data byte"), _POS, st.integers(1, 255)),
    st.tuples(st.just("truncate"), _POS),
    st.tuples(st.just("insert"), _POS, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("size lie"), _POS, st.sampled_from([-8, -1, 1, 8, 1 << 16, 1 << 31])),
)


def _damage(data: bytes, ops) -> bytes:
    data = bytearray(data)
    for op, pos, *arg in ops:
        if not data:
            break
        if op == "header byte":
            start, end = (spans := _spans(bytes(data)) or [(0, len(data))])[pos % len(spans)]
            at = start + pos % max(end - start, 1)
            data[at] = (data[at] + arg[0]) % 256
        elif op == "size lie":
            fields = _size_fields(bytes(data))
            if fields:
                at = fields[pos % len(fields)]
                old = int.from_bytes(data[at:at + 4], "little")
                data[at:at + 4] = ((old + arg[0]) % (1 << 32)).to_bytes(4, "little")
        else:
            at = pos % len(data)
            if op == "flip":
                data[at] ^= 1 << arg[0]
            elif op == "data byte":
                data[at] = (data[at] + arg[0]) % 256
            elif op == "truncate":
                del data[max(at, 1):]
            else:
                data[at:at] = arg[0]
    return bytes(data)


@settings(max_examples=2000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(["stored", "deflated", "format1"]),
       st.lists(DAMAGE, min_size=1, max_size=3))
def test_fuzz_a_damaged_file_is_refused_or_loads_unchanged(fuzz_files, name, ops):
    originals, folder = fuzz_files
    data, expected = originals[name]
    path = folder / "fuzzed.npz"
    path.write_bytes(_damage(data, ops))
    try:
        nf = netfile.load(path)
    except NetFileError as e:  # anything else fails the test: a traceback for the user
        assert str(e).startswith(f"{path}: ") and "\n" not in str(e)
        return
    assert _same(nf, expected), "a damaged file loaded as a different network"


# --- format 2: what it adds, and format 1 still loading ----------------------------------------

def test_format_2_keeps_seed_settings_preparation_and_taught(tmp_path):
    nf = _netfile(seed=3, classes=[chr(65 + i) + chr(97 + i) for i in range(26)])
    nf.seed, nf.settings, nf.taught = 2**63 - 1, {"hidden": [30, 20], "lr": 0.25}, 12
    netfile.save(tmp_path / "net.npz", nf)
    back = netfile.load(tmp_path / "net.npz")
    _assert_same(nf, back)
    assert (back.seed, back.settings, back.taught) == (2**63 - 1, nf.settings, 12)
    assert back.preparation == "emnist"  # filled from the dataset when not given
    with np.load(tmp_path / "net.npz", allow_pickle=False) as z:
        assert int(z["format_version"]) == 2 and int(z["seed"]) == 2**63 - 1
        assert len(str(z["checksum"])) == 64 and str(z["preparation"]) == "emnist"


def test_a_run_without_seed_stores_minus_one(tmp_path):
    netfile.save(tmp_path / "net.npz", _netfile(dataset="mnist", preparation="emnist"))
    back = netfile.load(tmp_path / "net.npz")
    assert back.seed is None and back.settings == {} and back.taught == 0
    assert back.preparation == "emnist"  # as given, whatever the dataset
    with np.load(tmp_path / "net.npz") as z:
        assert int(z["seed"]) == -1


def _format_1(path, nf):
    """A file as format 1 wrote it: no seed, settings, preparation, taught or checksum."""
    netfile.save(path, nf)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files
                  if k not in ("seed", "settings", "preparation", "taught", "checksum")}
    arrays["format_version"] = np.array(1)
    path.unlink()
    np.savez(path, **arrays)


@pytest.mark.parametrize("dataset, preparation", [
    ("mnist", "mnist"), ("emnist-letters", "emnist"), ("emnist-mnist", "emnist"),
    ("fashion", "mnist")])
def test_format_1_still_loads(tmp_path, dataset, preparation):
    nf = _netfile(dataset=dataset)
    _format_1(tmp_path / "old.npz", nf)
    back = netfile.load(tmp_path / "old.npz")
    _assert_same(nf, back)
    assert (back.preparation, back.seed, back.settings, back.taught) == (preparation, None, {}, 0)


def test_the_example_network_loads():
    nf = netfile.load(Path(__file__).resolve().parent.parent / "examples"
                      / "mnist-784-400-400-10.npz")
    assert nf.net.sizes == [784, 400, 400, 10] and nf.preparation == "mnist"
    assert nf.test_accuracy >= 0.99 and nf.optimizer is None  # slimmed: no velocities


# --- damage that numpy's own reader misses or turns into tracebacks -----------------------------

def _members(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _rezip(path, **replace):
    """Rewrite the archive with some members' bytes replaced; the zip's CRCs are recomputed, so
    only the reader's own checks can find the damage."""
    members = _members(path)
    members.update({f"{k}.npy": v for k, v in replace.items()})
    path.unlink()
    with zipfile.ZipFile(path, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)


def _npy(a, header: str | None = None) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    data = buf.getvalue()
    if header is None:
        return data
    body = data[10 + int.from_bytes(data[8:10], "little"):]
    text = header.encode("latin-1")
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + body


def _small(path) -> Path:
    netfile.save(path, _netfile(sizes=(6, 5, 3), classes=list("abc")))
    return path


W0 = np.ones((6, 5), np.float32)
HEADERS = {
    # numpy's parser raises tokenize.TokenError or SyntaxError for these
    "unterminated string": "{'descr': '<f4, 'fortran_order': False, 'shape': (6, 5), }  \n",
    "unbalanced bracket": "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 5, }   \n",
    "code instead of a dict": "__import__('os').system('echo pwned')                      \n",
    # an OverflowError in numpy
    "shape of 2**64": "{'descr': '<f4', 'fortran_order': False, "
                      "'shape': (18446744073709551616, 5), }\n",
    "negative shape": "{'descr': '<f4', 'fortran_order': False, 'shape': (-6, 5), }   \n",
    "extra key": "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 5), 'x': 1}\n",
    "missing key": "{'descr': '<f4', 'shape': (6, 5), }                                \n",
    "repeated key": "{'descr': '<f4', 'descr': '<f4', 'shape': (6, 5), }               \n",
    "object dtype": "{'descr': '|O', 'fortran_order': False, 'shape': (6, 5), }         \n",
    "structured dtype": "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6, 5), }\n",
    "odd dtype": "{'descr': '<f3', 'fortran_order': False, 'shape': (6, 5), }           \n",
}


@pytest.mark.parametrize("case", sorted(HEADERS))
def test_a_malformed_npy_header_is_refused_in_one_line(tmp_path, case):
    path = _small(tmp_path / "net.npz")
    _rezip(path, W0=_npy(W0, HEADERS[case]))
    with pytest.raises(NetFileError) as info:
        netfile.load(path)
    assert str(info.value).startswith(f"{path}: ") and "'W0'" in str(info.value)
    assert not (tmp_path / "pwned").exists()


def _data_start(data: bytes, info: zipfile.ZipInfo) -> int:
    """Where a member's bytes begin: after its local header (whose extra field numpy's zip64
    writing makes longer than the central directory's)."""
    at = info.header_offset
    return at + 30 + int.from_bytes(data[at + 26:at + 28], "little") + \
        int.from_bytes(data[at + 28:at + 30], "little")


def _central(data: bytes, filename: str) -> int:
    """Where a member's central directory entry begins."""
    at = data.find(b"PK\x01\x02")
    while not data[at + 46:].startswith(filename.encode()):
        at = data.find(b"PK\x01\x02", at + 1)
        assert at >= 0
    return at


def test_a_header_length_off_by_eight_is_refused_not_shifted(tmp_path):
    """numpy would stop 8 bytes short of the header's end, and the CRC would never be read:
    W0 came back shifted by 8 values."""
    path = _small(tmp_path / "net.npz")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("W0.npy")
    start = _data_start(data, info)
    assert data[start:start + 6] == b"\x93NUMPY"
    data[start + 8] -= 8  # the header length, low byte
    path.write_bytes(bytes(data))
    with pytest.raises(NetFileError, match="'W0'"):
        netfile.load(path)
    _small(tmp_path / "net2.npz")  # the same damage, with a valid CRC
    _rezip(tmp_path / "net2.npz", W0=bytes(data[start:start + info.file_size]))
    path = tmp_path / "net2.npz"
    with pytest.raises(NetFileError, match="'W0'"):
        netfile.load(path)


def test_a_consistent_change_is_caught_by_the_checksum(tmp_path):
    """A member replaced whole (valid CRC, valid header, right shape): only the checksum can
    tell."""
    path = _small(tmp_path / "net.npz")
    _rezip(path, W0=_npy(W0))
    with pytest.raises(NetFileError, match="checksum"):
        netfile.load(path)


def test_a_code_point_beyond_unicode_is_refused(tmp_path):
    """numpy turns U+110000 into a SystemError when the label is read."""
    path = _small(tmp_path / "net.npz")
    raw = bytearray(_npy(np.array(list("abc"))))
    raw[-4:] = (0x110000).to_bytes(4, "little")
    _rezip(path, classes=bytes(raw))
    with pytest.raises(NetFileError, match="'classes'"):
        netfile.load(path)


def test_weights_beyond_float32_are_refused_after_the_cast(tmp_path):
    nf = _netfile(sizes=(6, 5, 3), classes=list("abc"))
    nf.net.W[0] = nf.net.W[0].astype(np.float64)
    nf.net.W[0][1, 2] = 3.5e38  # finite as float64, inf as float32
    with pytest.raises(NetFileError, match="'W0' contains NaN or infinite"):
        netfile.save(tmp_path / "net.npz", nf)
    assert list(tmp_path.iterdir()) == [], "a file load would refuse is never written"
    arrays = _valid()
    arrays["W0"] = np.full((6, 5), 1e39)
    np.savez(tmp_path / "f64.npz", **arrays)
    with pytest.raises(NetFileError, match="'W0' contains NaN or infinite"):
        netfile.load(tmp_path / "f64.npz")


def test_a_member_that_inflates_past_its_shape_is_refused_before_it_is_read(tmp_path):
    """A small file whose W0 inflates to 120 MB: refused from the sizes it declares."""
    import tracemalloc

    path = _small(tmp_path / "net.npz")
    members = _members(path)
    members["W0.npy"] = _npy(np.zeros((6000, 5000), np.float32))
    path.unlink()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in members.items():
            z.writestr(k, v)
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(NetFileError, match="'W0' declares 120,000,128 bytes"):
            netfile.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_a_member_whose_size_field_lies_is_refused(tmp_path):
    """The zip says W0 is small, its data says otherwise (or the other way round)."""
    path = _small(tmp_path / "net.npz")
    data = bytearray(path.read_bytes())
    central = _central(data, "W0.npy")
    for delta in (-8, 8, 1 << 30):
        damaged = bytearray(data)
        for field in (20, 24):  # compressed and uncompressed size
            old = int.from_bytes(damaged[central + field:central + field + 4], "little")
            damaged[central + field:central + field + 4] = (old + delta).to_bytes(4, "little")
        path.write_bytes(bytes(damaged))
        with pytest.raises(NetFileError):
            netfile.load(path)


@pytest.mark.parametrize("field", [30, 32], ids=["extra length", "comment length"])
def test_a_directory_entry_that_swallows_the_entries_after_it_is_refused(tmp_path, field):
    """One flipped bit made b1's comment 32 KiB long: zipfile read the velocities' entries as
    that comment, and a format 1 file (no checksum) loaded without its velocities."""
    path = tmp_path / "old.npz"
    _format_1(path, _netfile(sizes=(10, 5, 3), classes=list("abc")))
    data = bytearray(path.read_bytes())
    at = _central(bytes(data), "b1.npy")
    data[at + field + 1] ^= 0x80
    path.write_bytes(bytes(data))
    with pytest.raises(NetFileError, match="damaged"):
        netfile.load(path)


def test_huge_layer_sizes_are_refused_before_any_array_is_read(tmp_path):
    arrays = _valid()
    arrays["sizes"] = np.array([6, 1 << 40, 4, 3])
    np.savez(tmp_path / "big.npz", **arrays)
    with pytest.raises(NetFileError, match="'sizes'.*at most"):
        netfile.load(tmp_path / "big.npz")


def test_strange_members_are_refused(tmp_path):
    path = _small(tmp_path / "net.npz")
    members = _members(path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("extra.npy", members["W0.npy"])
    with pytest.raises(NetFileError, match="'extra'"):
        netfile.load(path)
    path = _small(tmp_path / "twice.npz")
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as z:  # zipfile warns, allows
        z.writestr("W0.npy", _npy(W0))
    with pytest.raises(NetFileError, match="'W0' twice"):
        netfile.load(path)


# --- metadata out of range ---------------------------------------------------------------------

META = {
    "accuracy 7.5": ({"test_accuracy": 7.5}, "'test_accuracy' is 7.5"),
    "accuracy -1": ({"test_accuracy": -1.0}, "'test_accuracy' is -1.0"),
    "accuracy inf": ({"test_accuracy": float("inf")}, "'test_accuracy' is inf"),
    "label with a newline": ({"classes": ["a", "b\nerror: forged", "c"]}, "'classes'"),
    "label with an escape": ({"classes": ["a", "\x1b[2J", "c"]}, "'classes'"),
    "label with a right-to-left override": ({"classes": ["a", "\u202eb", "c"]}, "'classes'"),
    "empty label": ({"classes": ["a", "", "c"]}, "'classes'"),
    "long label": ({"classes": ["a", "b" * 65, "c"]}, "'classes'"),
    "dataset with a newline": ({"dataset": "mnist\nsaved: x"}, "'dataset'"),
    "negative epochs": ({"epochs_trained": -1}, "'epochs_trained' is -1"),
    "absurd samples": ({"samples_seen": 2**62}, "'samples_seen'"),
    "seed below -1": ({"seed": -2}, "'seed' is -2"),
    "negative taught": ({"taught": -1}, "'taught' is -1"),
    "unknown preparation": ({"preparation": "fancy"}, "'preparation' is 'fancy'"),
}


@pytest.mark.parametrize("case", sorted(META))
def test_metadata_out_of_range_is_refused_by_load_and_by_save(tmp_path, case):
    changes, words = META[case]
    nf = _netfile(sizes=(6, 5, 3), classes=list("abc"))
    for k, v in changes.items():
        setattr(nf, k, v)
    with pytest.raises(NetFileError, match=re.escape(words)):
        netfile.save(tmp_path / "net.npz", nf)
    assert list(tmp_path.iterdir()) == []
    # the same values written by another tool (with a checksum that matches them)
    arrays = netfile.arrays(_netfile(sizes=(6, 5, 3), classes=list("abc")))
    for k, v in changes.items():
        arrays[k] = np.array(v)
    arrays["checksum"] = np.array(netfile._checksum(arrays))
    np.savez(tmp_path / "other.npz", **arrays)
    with pytest.raises(NetFileError, match=re.escape(words)) as info:
        netfile.load(tmp_path / "other.npz")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("settings, words", [("[1, 2]", "JSON object"), ("{nope", "not JSON")])
def test_settings_must_be_a_json_object(tmp_path, settings, words):
    arrays = netfile.arrays(_netfile(sizes=(6, 5, 3), classes=list("abc")))
    arrays["settings"] = np.array(settings)
    arrays["checksum"] = np.array(netfile._checksum(arrays))
    np.savez(tmp_path / "net.npz", **arrays)
    with pytest.raises(NetFileError, match=words):
        netfile.load(tmp_path / "net.npz")


# --- files that are not files ------------------------------------------------------------------

def _finishes(f, *args, seconds=10):
    """f(*args) in a thread: its exception (or None), failing the test if it hangs."""
    import threading

    out = []

    def target():
        try:
            f(*args)
            out.append(None)
        except Exception as e:  # noqa: BLE001 (handed to the test)
            out.append(e)
    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert out, f"{f.__name__} hung"
    return out[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "net.npz"
    os.mkfifo(fifo)
    error = _finishes(netfile.load, fifo)
    assert isinstance(error, NetFileError) and "named pipe" in str(error)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_refused_as_what_it_is():
    error = _finishes(netfile.load, "/dev/zero")
    assert isinstance(error, NetFileError) and "character device" in str(error)
    assert "no such file" not in str(error)


def test_a_name_that_is_not_utf8_is_read(tmp_path):
    path = os.fsencode(tmp_path) + b"/net-\xff.npz"
    netfile.save(os.fsdecode(path), _netfile())
    assert netfile.load(os.fsdecode(path)).epochs_trained == 7


# --- saving never replaces a file it was not allowed to ---------------------------------------

def test_save_refuses_an_existing_file_without_overwrite(tmp_path):
    path = tmp_path / "net.npz"
    path.write_bytes(b"someone else's")
    with pytest.raises(FileExistsError):
        netfile.save(path, _netfile())
    assert path.read_bytes() == b"someone else's"
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


def test_save_refuses_a_file_that_appears_while_it_writes(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    real = np.savez

    def racing(f, **arrays):
        path.write_bytes(b"appeared meanwhile")
        real(f, **arrays)
    monkeypatch.setattr(netfile.np, "savez", racing)
    with pytest.raises(FileExistsError):
        netfile.save(path, _netfile())
    assert path.read_bytes() == b"appeared meanwhile"
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


@pytest.mark.parametrize("exists", [False, True])
def test_without_hard_links_the_save_still_never_replaces(tmp_path, monkeypatch, exists):
    import errno

    def no_links(*args):
        raise OSError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "net.npz"
    if exists:
        path.write_bytes(b"keep me")
        with pytest.raises(FileExistsError):
            netfile.save(path, _netfile())
        assert path.read_bytes() == b"keep me"
    else:
        netfile.save(path, _netfile())
        assert netfile.load(path).epochs_trained == 7
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


# --- a signal during a save waits for its end ---------------------------------------------------

@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_during_a_save_acts_after_it(tmp_path, monkeypatch, signame):
    import signal

    if not hasattr(signal, signame):
        pytest.skip(f"no {signame} here")
    sig = getattr(signal, signame)
    path = tmp_path / "net.npz"
    netfile.save(path, _netfile(seed=1, epochs_trained=3))
    seen = []

    def handler(signum, frame):  # what the program does with the signal, once it may
        seen.append(path.exists() and netfile.load(path).epochs_trained)
        raise KeyboardInterrupt

    real = np.savez

    def signalled(f, **arrays):
        os.kill(os.getpid(), sig)  # arrives in the middle of the save
        os.kill(os.getpid(), sig)  # and once more: impatience
        real(f, **arrays)
    monkeypatch.setattr(netfile.np, "savez", signalled)
    old = signal.signal(sig, handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            netfile.save(path, _netfile(seed=2, epochs_trained=4), overwrite=True)
    finally:
        signal.signal(sig, old)
    assert seen == [4], "the handler ran once, after the new network was in place"
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"], "no temporary file left"
    assert signal.getsignal(sig) is old
