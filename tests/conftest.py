"""Shared fixtures: the real MNIST from ../shared (CI has it) and small IDX datasets made here."""

import os
from pathlib import Path

# Tests check behaviour, not speed. On a small machine shared with other work, BLAS threads
# fighting over the cores make the small matrix products of these tests 5-10 times slower
# (measured: one MNIST epoch of 784-100-10 takes 2.8 s on one thread, 16 s on two), so the
# suite runs on one thread unless told otherwise. This must happen before numpy is imported;
# subprocesses started by the tests inherit it.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# A user's own mirror settings (docs/datasets.md) would replace the loopback servers the download
# tests set up, and the trainer's subprocesses would inherit them: the tests run without them.
for _var in [v for v in os.environ if v.startswith("BASICNET_")]:
    del os.environ[_var]

import numpy as np  # noqa: E402
import pytest

from basicnet import datasets, idx

ROOT = Path(__file__).resolve().parent.parent
SHARED_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"


def _mnist_dir() -> Path | None:
    for folder in (SHARED_MNIST, ROOT / "datasets" / "mnist"):
        if (folder / "train-images-idx3-ubyte.gz").is_file():
            return folder
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST. In CI it must be there: a missing dataset fails instead of skipping."""
    folder = _mnist_dir()
    if folder is None:
        where = "datasets/mnist/ (python mlp_sigmoid_emnist.py --download-only puts it there)"
        if os.environ.get("CI"):
            pytest.fail(f"the real MNIST is missing: expected in {where}")
        pytest.skip(f"the real MNIST is not in {where}")
    return folder


@pytest.fixture(scope="session")
def mnist(mnist_dir) -> datasets.Dataset:
    return datasets.load("mnist", mnist_dir)


def write_dataset(folder: Path, n_train=200, n_test=50, n_classes=10, seed=0,
                  names=datasets.MNIST.files) -> Path:
    """Four IDX files in MNIST's naming holding a learnable toy problem: class k is a bright
    bar in row band k, plus noise."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        y = rng.integers(0, n_classes, n).astype(np.uint8)
        x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(y):
            x[i, 2 + 2 * (k % 12):4 + 2 * (k % 12), 4:24] = 255
        idx.write_idx(folder / names[f"{split}_images"], x)
        idx.write_idx(folder / names[f"{split}_labels"], y)
    return folder


@pytest.fixture
def toy_dir(tmp_path) -> Path:
    return write_dataset(tmp_path / "toy")


@pytest.fixture(scope="session")
def plain_network_path(mnist, tmp_path_factory) -> Path:
    """A 784-256-64-10 sigmoid network trained on plain MNIST (no distortions), as the
    identifier's default was before it learnt from distorted digits: it misreads digits written
    in other hands, which is what teaching is for (the default now reads most of them)."""
    from basicnet import netfile
    from basicnet.network import SGD, Network
    from basicnet.training import Hyper, evaluate, train

    rng = np.random.default_rng(0)
    net = Network.create([784, 256, 64, 10], rng)
    for _ in train(net, mnist, Hyper(epochs=3), rng, SGD()):
        pass
    accuracy = evaluate(net, mnist.test_images, mnist.test_labels).accuracy
    path = tmp_path_factory.mktemp("plain") / "mnist-784-256-64-10.npz"
    netfile.save(path, netfile.NetFile(net, "mnist", mnist.classes, 3, accuracy))
    return path


@pytest.fixture
def trainer_windows():
    """make(sizes, data, **kw): a trainer window on a new network (seeded, as its probe is),
    closed when the test ends."""
    from basicnet.network import Network
    from basicnet.trainer.window import TrainerWindow

    opened = []

    def make(sizes, data, **kw):
        net = Network.create(list(sizes), np.random.default_rng(1))
        w = TrainerWindow(net, data, title="toy", epochs=2, rng=np.random.default_rng(2), **kw)
        opened.append(w)
        return w

    yield make
    for w in opened:
        w.close()
