"""Network files: everything survives a round trip, anything unusable is refused with a clear
NetFileError, and a save that fails half-way never costs the previous file."""

import io
import os
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
    "format version 2": (_edited(format_version=np.array(2)), "format version 2"),
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
        netfile.save(path, _netfile(seed=2, epochs_trained=4))
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
    netfile.save(path, new)
    _assert_same(new, netfile.load(path))
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


# --- fuzzing -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("netfuzz")
    netfile.save(folder / "stored.npz", _netfile(sizes=(6, 5, 3), classes=list("abc")))
    with np.load(folder / "stored.npz") as z:
        np.savez_compressed(folder / "deflated.npz", **{k: z[k] for k in z.files})
    return folder


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(["stored.npz", "deflated.npz"]), st.data())
def test_fuzz_damaged_files_load_or_raise_netfile_error(fuzz_files, name, draw):
    data = bytearray((fuzz_files / name).read_bytes())
    for _ in range(draw.draw(st.integers(1, 3))):
        pos = draw.draw(st.integers(0, len(data) - 1))
        op = draw.draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip":
            data[pos] ^= draw.draw(st.integers(1, 255))
        elif op == "cut":
            del data[max(pos, 1):]
        else:
            data[pos:pos] = draw.draw(st.binary(min_size=1, max_size=4))
    path = fuzz_files / "fuzzed.npz"
    path.write_bytes(bytes(data))
    try:
        nf = netfile.load(path)
    except NetFileError as e:
        assert str(e).startswith(str(path))
        return
    # whatever loads is usable: shapes agree with sizes and every number is finite
    sizes = nf.net.sizes
    assert [w.shape for w in nf.net.W] == list(zip(sizes[:-1], sizes[1:]))
    assert len(nf.classes) == sizes[-1]
    assert all(np.all(np.isfinite(w)) for w in nf.net.W + nf.net.b)
