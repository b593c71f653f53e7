#!/usr/bin/env python3
"""How fast MNIST loads, and how much memory training on EMNIST ByClass takes.

1. Loads MNIST's four .gz files several times and reports the wall and CPU times
   (target: <= 0.5 s).
2. Writes a synthetic EMNIST-ByClass-sized set (697,932 + 116,323 images, stored transposed
   and gzip-compressed like NIST's, with a 62-line mapping) into a temporary folder, then in a
   fresh subprocess loads it and trains a 784-100-62 network for a short stretch followed by
   a full test-set evaluation, and reports that process's peak RSS (target: <= 1.0 GB).
   The folder is removed afterwards.

    python benchmarks/bench_datasets.py [--mnist-dir DIR] [--batches N] [--skip-byclass]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from basicnet import datasets  # noqa: E402

BYCLASS_TRAIN, BYCLASS_TEST = 697_932, 116_323
WRITE_CHUNK = 20_000


def default_mnist_dir() -> Path:
    for folder in (ROOT.parent / "shared" / "datasets" / "mnist", datasets.DATASETS_DIR / "mnist"):
        if (folder / "train-images-idx3-ubyte.gz").is_file():
            return folder
    return datasets.DATASETS_DIR / "mnist"


def bench_mnist(folder: Path, repeats: int = 7) -> dict:
    datasets.load("mnist", folder)  # warm the page cache: we time decoding, not the disk
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        datasets.load("mnist", folder)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"wall_min_s": min(wall), "wall_median_s": statistics.median(wall),
            "cpu_median_s": statistics.median(cpu)}


def write_synthetic_byclass(folder: Path, seed: int = 0) -> None:
    """EMNIST-like images (dark background, a few bright strokes) so gzip compresses them
    about as well as the real ones; written chunk by chunk to keep this process small."""
    rng = np.random.default_rng(seed)
    s = datasets.CATALOGUE["emnist-byclass"]
    for part, n in (("train", BYCLASS_TRAIN), ("test", BYCLASS_TEST)):
        with gzip.open(folder / s.files[f"{part}_images"], "wb", compresslevel=1) as f:
            f.write(struct.pack(">HBB3I", 0, 0x08, 3, n, 28, 28))
            for i in range(0, n, WRITE_CHUNK):
                m = min(WRITE_CHUNK, n - i)
                x = np.zeros((m, 28, 28), np.uint8)
                rows = rng.integers(4, 24, (m, 3))
                for k in range(3):  # three two-pixel strokes of uneven ink, random heights
                    ink = rng.integers(96, 256, (m, 2, 16), dtype=np.uint8)
                    x[np.arange(m)[:, None, None], rows[:, k, None, None] + np.arange(2)[:, None],
                      np.arange(6, 22)] = ink
                f.write(x.tobytes())
        labels = rng.integers(0, 62, n).astype(np.uint8)
        with gzip.open(folder / s.files[f"{part}_labels"], "wb", compresslevel=1) as f:
            f.write(struct.pack(">HBB1I", 0, 0x08, 1, n) + labels.tobytes())
    codes = list(range(48, 58)) + list(range(65, 91)) + list(range(97, 123))
    (folder / s.mapping).write_text("".join(f"{k} {c}\n" for k, c in enumerate(codes)))


CHILD = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from basicnet import datasets
from basicnet.network import SGD, Network
from basicnet.training import BatchDone, Hyper, evaluate, train

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

t = time.perf_counter()
data = datasets.load("emnist-byclass", {folder!r})
load_s = time.perf_counter() - t
after_load = peak_mb()
rng = np.random.default_rng(0)
net = Network.create([datasets.N_INPUTS, 100, data.n_classes], rng)
t = time.perf_counter()
for event in train(net, data, Hyper(epochs=1), rng, SGD(0.9)):
    if isinstance(event, BatchDone) and event.batch >= {batches}:
        break
train_s = time.perf_counter() - t
test = evaluate(net, data.test_images, data.test_labels, data.n_classes)
print(json.dumps({{"load_s": load_s, "train_s": train_s, "batches": {batches},
                  "peak_after_load_mb": after_load, "peak_mb": peak_mb(),
                  "images_mb": (data.train_images.nbytes + data.test_images.nbytes) / 2**20,
                  "n_train": len(data.train_labels), "classes": data.classes[10] + "..",
                  "accuracy": test.accuracy}}))
"""


def bench_byclass(batches: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-byclass-"))
    try:
        t = time.perf_counter()
        write_synthetic_byclass(folder)
        written = time.perf_counter() - t
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        child = CHILD.format(root=str(ROOT), folder=str(folder), batches=batches)
        r = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"error: the measuring process failed: {r.stderr.strip()}")
        result = json.loads(r.stdout)
        result.update(written_s=written, files_mb=size)
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mnist-dir", type=Path, default=default_mnist_dir())
    p.add_argument("--batches", type=int, default=2000,
                   help="training batches of 32 on the ByClass-sized set (default: 2000)")
    p.add_argument("--skip-byclass", action="store_true")
    a = p.parse_args()
    m = bench_mnist(a.mnist_dir)
    print(f"MNIST load ({a.mnist_dir}): min {m['wall_min_s']:.3f} s, median "
          f"{m['wall_median_s']:.3f} s wall, {m['cpu_median_s']:.3f} s CPU  (target <= 0.5 s)")
    if a.skip_byclass:
        return 0
    b = bench_byclass(a.batches)
    print(f"synthetic ByClass: {b['n_train']:,} training images, {b['files_mb']:.0f} MB of .gz "
          f"(written in {b['written_s']:.1f} s), {b['images_mb']:.0f} MiB as uint8")
    print(f"  load {b['load_s']:.2f} s, peak RSS after load {b['peak_after_load_mb']:.0f} MiB")
    print(f"  {b['batches']} batches of 32 in {b['train_s']:.1f} s + test-set evaluation: "
          f"peak RSS {b['peak_mb']:.0f} MiB = {b['peak_mb'] * 2**20 / 1e9:.3f} GB  "
          f"(target <= 1.0 GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
