"""Loading datasets: EMNIST upright with named classes, any folder of IDX files, damaged files."""

import gzip
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from basicnet import datasets, idx, netfile

ROOT = Path(__file__).resolve().parent.parent
LETTERS_MAPPING = "".join(f"{k} {64 + k} {96 + k}\n" for k in range(1, 27))
BYCLASS_MAPPING = "".join(f"{k} {c}\n" for k, c in enumerate(
    list(range(48, 58)) + list(range(65, 91)) + list(range(97, 123))))


def upright_images(labels: np.ndarray, seed=0) -> np.ndarray:
    """Images whose class shows as a bright 3-row bar at a height set by the class, plus a
    dot top-left: lopsided on purpose, so a transposed image differs from an upright one."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, (len(labels), 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        row = 1 + (k % 26)
        x[i, row:row + 2, 3:25] = 255
        x[i, 0, 0] = 200
    return x


def write_emnist(folder: Path, split="letters", n_train=260, n_test=52, seed=0,
                 gz=True) -> dict:
    """The four IDX files and the mapping of an EMNIST split, stored as NIST stores them:
    images transposed, letters labelled from 1. Returns the upright truth."""
    folder.mkdir(parents=True, exist_ok=True)
    k = datasets.EMNIST_SPLITS[split]
    first = 1 if split == "letters" else 0
    rng = np.random.default_rng(seed)
    truth = {}
    spec = datasets.CATALOGUE[f"emnist-{split}"]
    for part, n in (("train", n_train), ("test", n_test)):
        y = rng.integers(0, k, n)
        x = upright_images(y, seed + n)
        name_x, name_y = spec.files[f"{part}_images"], spec.files[f"{part}_labels"]
        if not gz:
            name_x, name_y = name_x[:-3], name_y[:-3]
        idx.write_idx(folder / name_x, x.transpose(0, 2, 1))
        idx.write_idx(folder / name_y, (y + first).astype(np.uint8))
        truth[part] = (x.reshape(n, 784), y)
    mapping = {"letters": LETTERS_MAPPING, "byclass": BYCLASS_MAPPING}.get(
        split, "".join(f"{i} {48 + i}\n" for i in range(k)))
    (folder / spec.mapping).write_text(mapping)
    return truth


def run_trainer(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "mlp_sigmoid_emnist.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


def test_catalogue_has_every_emnist_split():
    names = {f"emnist-{s}" for s in ("byclass", "bymerge", "balanced", "letters", "digits",
                                     "mnist")}
    assert names | {"mnist"} == set(datasets.CATALOGUE)
    assert datasets.CATALOGUE["emnist-letters"].files["train_images"] == \
        "emnist-letters-train-images-idx3-ubyte.gz"


def test_emnist_letters_load_upright_with_0_based_labels_and_both_cases(tmp_path):
    truth = write_emnist(tmp_path)
    data = datasets.load("emnist-letters", tmp_path)
    assert np.array_equal(data.train_images, truth["train"][0])
    assert np.array_equal(data.test_images, truth["test"][0])
    assert np.array_equal(data.train_labels, truth["train"][1])
    assert data.train_labels.min() == 0 and data.train_labels.max() == 25
    assert data.classes[:3] == ["Aa", "Bb", "Cc"] and data.classes[-1] == "Zz"
    assert data.train_images.dtype == np.uint8 and data.train_images.shape == (260, 784)


def test_emnist_byclass_names_one_character_each(tmp_path):
    truth = write_emnist(tmp_path, "byclass", n_train=124, n_test=62, gz=False)
    data = datasets.load("emnist-byclass", tmp_path)
    assert data.classes == list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz")
    assert np.array_equal(data.test_labels, truth["test"][1])
    assert np.array_equal(data.test_images, truth["test"][0])


def test_mapping_with_wrong_class_count_is_reported(tmp_path):
    write_emnist(tmp_path)
    four = "".join(LETTERS_MAPPING.splitlines(True)[:4])
    (tmp_path / "emnist-letters-mapping.txt").write_text(four)
    with pytest.raises(datasets.DatasetError, match="names 4 classes, emnist-letters has 26"):
        datasets.load("emnist-letters", tmp_path)


@pytest.mark.parametrize("text, fault", [("1 65 97\nx 66\n", "line 2"),
                                         ("", "names no classes"),
                                         ("1 65\n1 66\n", "listed twice")])
def test_bad_mapping_files_are_reported(tmp_path, text, fault):
    (tmp_path / "m.txt").write_text(text)
    with pytest.raises(datasets.DatasetError, match=fault):
        datasets.read_mapping(tmp_path / "m.txt")


def test_labels_the_mapping_does_not_name_are_reported(tmp_path):
    write_emnist(tmp_path, "digits", n_train=30, n_test=10)
    (tmp_path / "emnist-digits-mapping.txt").write_text(
        "".join(f"{i} {49 + i}\n" for i in range(1, 11)))  # names labels 1..10, data has 0
    with pytest.raises(datasets.DatasetError, match="does not name"):
        datasets.load("emnist-digits", tmp_path)


def test_real_mnist_loads_byte_for_byte(mnist):
    """The loaded pixels, with their IDX header, hash to the canonical decompressed files."""
    import hashlib
    import struct
    for images, md5 in ((mnist.train_images, "6bbc9ace898e44ae57da46a324031adb"),
                        (mnist.test_images, "2646ac647ad5339dbf082846283269ea")):
        header = struct.pack(">HBBIII", 0, 0x08, 3, len(images), 28, 28)
        assert hashlib.md5(header + images.tobytes()).hexdigest() == md5
    assert np.bincount(mnist.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958,
                                                       1028, 974, 1009]


def test_negative_labels_are_reported(tmp_path):
    write_emnist(tmp_path, "digits", n_train=30, n_test=10)
    idx.write_idx(tmp_path / "emnist-digits-test-labels-idx1-ubyte.gz",
                  np.array([-1] + [0] * 9, np.int8))
    with pytest.raises(datasets.DatasetError, match="negative label -1"):
        datasets.load("emnist-digits", tmp_path)


def test_multi_member_gzip_and_raw_files_read_alike(tmp_path):
    x = upright_images(np.arange(50))
    idx.write_idx(tmp_path / "raw", x)
    data = (tmp_path / "raw").read_bytes()
    (tmp_path / "two.gz").write_bytes(gzip.compress(data[:5000]) + gzip.compress(data[5000:]))
    for name in ("raw", "two.gz"):
        assert np.array_equal(datasets._read_images(tmp_path / name), x.reshape(50, 784))


@pytest.mark.parametrize("damage, fault", [
    (lambda b: gzip.compress(b)[:-300], "truncated gzip"),
    (lambda b: gzip.compress(b)[:40] + b"\0" * 80 + gzip.compress(b)[120:], "corrupt gzip"),
    (lambda b: b[:-10], "truncated"),
    (lambda b: b + b"\0", "trailing bytes"),
    (lambda b: b"\x08\x03" + b[2:], "bad magic"),
    (lambda b: b[:3], "too short"),
])
def test_damaged_present_files_are_reported_with_their_path(tmp_path, toy_dir, damage, fault):
    path = toy_dir / "train-images-idx3-ubyte.gz"
    path.write_bytes(damage(gzip.decompress(path.read_bytes())))
    with pytest.raises(datasets.DatasetError, match=fault) as e:
        datasets.load("mnist", toy_dir)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_float_or_wrong_shape_images_are_refused(toy_dir):
    idx.write_idx(toy_dir / "t10k-images-idx3-ubyte.gz", np.zeros((5, 28, 28), np.float32))
    with pytest.raises(datasets.DatasetError, match="expected uint8 images"):
        datasets.load("mnist", toy_dir)


def test_loading_keeps_one_copy_of_the_images_in_memory(tmp_path):
    """EMNIST ByClass must train within 1 GB: decompressing and turning images upright may not
    hold a second full copy (bytes + array, or array + transposed array)."""
    n = 40_000
    write = tmp_path / "emnist-letters-train-images-idx3-ubyte.gz"
    idx.write_idx(write, np.zeros((n, 28, 28), np.uint8) + np.arange(28, dtype=np.uint8))
    tracemalloc.start()
    try:
        images = datasets._read_images(write, transposed=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(images[0].reshape(28, 28)[:, 0], np.arange(28))  # now upright
    assert peak < images.nbytes * 1.3, f"peak {peak / 1e6:.1f} MB for {images.nbytes / 1e6} MB"


def test_generic_folder_classes_from_label_values_or_mapping(tmp_path):
    folder = tmp_path / "fashion"
    truth = write_emnist(folder, "digits", n_train=40, n_test=20)
    for path in folder.iterdir():  # rename to Fashion-MNIST's naming, labels 3..12
        path.rename(folder / path.name.replace("emnist-digits-", ""))
    (folder / "mapping.txt").unlink()
    for part in ("train", "test"):
        y = truth[part][1] + 3
        idx.write_idx(folder / f"{part}-labels-idx1-ubyte.gz", y.astype(np.uint8))
    data = datasets.load(None, folder)
    assert data.name == "fashion"
    assert data.classes == [str(v) for v in range(3, 13)]
    assert np.array_equal(data.train_labels, truth["train"][1])
    # not an EMNIST file name: read as stored, no transposition
    assert np.array_equal(data.train_images.reshape(-1, 28, 28),
                          truth["train"][0].reshape(-1, 28, 28).transpose(0, 2, 1))
    (folder / "mapping.txt").write_text("".join(f"{v} Class {v}\n" for v in range(3, 13)))
    assert datasets.load(None, folder).classes[0] == "Class 3"


def test_generic_folder_with_an_emnist_split_reads_it_as_that_split(tmp_path):
    truth = write_emnist(tmp_path / "mine")
    data = datasets.load(None, tmp_path / "mine")
    assert data.name == "emnist-letters" and data.classes[0] == "Aa"
    assert np.array_equal(data.test_images, truth["test"][0])


def test_generic_folder_faults(tmp_path):
    with pytest.raises(datasets.DatasetError, match="no dataset found"):
        datasets.load(None, tmp_path)
    write_emnist(tmp_path, "letters", 30, 10)
    write_emnist(tmp_path, "digits", 30, 10)
    with pytest.raises(datasets.DatasetError, match="several datasets .*emnist-digits"):
        datasets.load(None, tmp_path)


def test_missing_files_message_names_files_folder_and_sources(tmp_path):
    write_emnist(tmp_path)
    (tmp_path / "emnist-letters-test-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(datasets.DatasetError) as e:
        datasets.load("emnist-letters", tmp_path)
    msg = str(e.value)
    assert "emnist-letters-test-labels-idx1-ubyte.gz" in msg and str(tmp_path) in msg
    assert datasets.EMNIST_URL in msg and "emnist-letters-mapping" not in msg


def test_fashion_style_folder_trains_through_data_dir(tmp_path):
    """Fashion-MNIST's naming (train/t10k, raw files): the trainer takes it as it is."""
    folder = tmp_path / "fashion"
    folder.mkdir()
    for part, n in (("train", 300), ("t10k", 60)):
        y = np.arange(n) % 10
        idx.write_idx(folder / f"{part}-images-idx3-ubyte", upright_images(y))
        idx.write_idx(folder / f"{part}-labels-idx1-ubyte", y.astype(np.uint8))
    net = tmp_path / "net.npz"
    r = run_trainer("--data-dir", folder, "--headless", "--epochs", "3", "--hidden", "16",
                    "--lr", "0.5", "--seed", "1", "--save", net, "--log", tmp_path / "log.csv")
    assert r.returncode == 0, r.stderr
    assert "fashion: 300 training and 60 test images" in r.stdout
    nf = netfile.load(net)
    assert nf.dataset == "fashion" and nf.classes == list("0123456789")
    assert nf.test_accuracy > 0.9


def test_network_trained_on_emnist_letters_carries_its_class_names(tmp_path):
    write_emnist(tmp_path / "emnist", n_train=520)
    net = tmp_path / "letters.npz"
    r = run_trainer("--dataset", "emnist-letters", "--data-dir", tmp_path / "emnist",
                    "--no-download", "--headless", "--epochs", "3", "--hidden", "20", "--lr",
                    "0.5", "--seed", "2", "--save", net, "--log", tmp_path / "log.csv")
    assert r.returncode == 0, r.stderr
    nf = netfile.load(net)
    assert nf.dataset == "emnist-letters"
    assert nf.classes == [chr(65 + k) + chr(97 + k) for k in range(26)]
    assert nf.net.sizes[-1] == 26 and nf.test_accuracy > 0.8


# --- labels far from 0 ------------------------------------------------------------------------

@pytest.mark.parametrize("top", [2**31 - 1, 99_999_999_999], ids=["2**31-1", "99,999,999,999"])
def test_huge_label_values_map_through_their_distinct_values(tmp_path, top):
    """A lookup table as long as the largest label: 16 GB for 2**31 - 1."""
    import tracemalloc

    folder = tmp_path / "mine"
    write_emnist(folder, "digits", n_train=40, n_test=20)
    for path in folder.iterdir():
        path.rename(folder / path.name.replace("emnist-digits-", ""))
    (folder / "mapping.txt").unlink()
    values = np.array([0, 7, 1000, top], np.int64)
    for part in ("train", "test"):
        y = np.resize(values, 40 if part == "train" else 20)
        if top < 2**31:
            idx.write_idx(folder / f"{part}-labels-idx1-ubyte.gz", y.astype(np.int32))
        else:  # IDX holds no int64: such labels can only come from a mapping file
            idx.write_idx(folder / f"{part}-labels-idx1-ubyte.gz", np.resize(
                np.arange(4, dtype=np.uint8), len(y)))
    if top >= 2**31:
        (folder / "mapping.txt").write_text(f"0 zero\n1 seven\n2 thousand\n3 top\n{top} far\n")
    tracemalloc.start()
    try:
        data = datasets.load(None, folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000
    assert data.train_labels.max() <= len(data.classes) - 1
    if top < 2**31:
        assert data.classes == ["0", "7", "1000", str(top)]
        assert data.train_labels[:4].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("line", ["1180591620717411303424 huge", "3 1114112", "4 7 10"],
                         ids=["label 2**70", "no such character", "a line break"])
def test_mapping_lines_out_of_range_are_reported(tmp_path, line):
    (tmp_path / "m.txt").write_text(f"0 48\n{line}\n")
    with pytest.raises(datasets.DatasetError, match="line 2"):
        datasets.read_mapping(tmp_path / "m.txt")
