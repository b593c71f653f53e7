#!/usr/bin/env python3
"""Fuzz the network loader far past what the tests run: damage real saved network files in many
ways and count what `netfile.load` makes of them.

    python benchmarks/bench_fuzz_netfile.py [--n 100000] [--seed 0]

Every damaged file must either be refused with NetFileError or load exactly the network that
was saved (a damaged date in a zip header changes nothing). Anything else is a failure: a
foreign exception (a traceback for the user) or a network that loads different (wrong weights,
silently). The last line gives the counts; the exit status is 1 when either failure occurred.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import numpy as np  # noqa: E402
from test_netfile import _size_fields  # noqa: E402  (where the zip keeps its sizes)

from basicnet import netfile  # noqa: E402
from basicnet.network import SGD, Network  # noqa: E402


def networks() -> dict[str, netfile.NetFile]:
    """The networks whose files are damaged: small ones (fast to fuzz), one with velocities,
    one deeper, with a long-labelled dataset."""
    out = {}
    for name, sizes, hidden, classes, opt in (
            ("small", (12, 6, 4), "sigmoid", list("0123"), False),
            ("momentum", (10, 5, 3), "tanh", ["Aa", "Bb", "Cc"], True),
            ("deep", (8, 7, 6, 5, 4), "relu", ["ä", "北", "7", "x"], False)):
        rng = np.random.default_rng(len(out))
        net = Network.create(list(sizes), rng, hidden)
        for b in net.b:
            b[:] = rng.normal(size=b.shape)
        sgd = SGD(vW=[rng.normal(size=w.shape).astype(np.float32) for w in net.W],
                  vb=[rng.normal(size=b.shape).astype(np.float32) for b in net.b]) if opt else None
        out[name] = netfile.NetFile(net, dataset="emnist-letters" if opt else "mnist",
                                    classes=classes, epochs_trained=3, test_accuracy=0.875,
                                    samples_seen=12345, optimizer=sgd, seed=7,
                                    settings={"hidden": list(sizes[1:-1]), "lr": 0.25},
                                    taught=2)
    return out


def files(folder: Path) -> dict[str, tuple[bytes, netfile.NetFile]]:
    """name -> (the file's bytes, the NetFile it must load as): each network saved by
    netfile.save (stored), recompressed (deflated), and written as format 1."""
    out = {}
    for name, nf in networks().items():
        path = folder / f"{name}.npz"
        netfile.save(path, nf)
        expected = netfile.load(path)
        out[name] = (path.read_bytes(), expected)
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
        np.savez_compressed(folder / f"{name}-deflated.npz", **arrays)
        out[f"{name}-deflated"] = ((folder / f"{name}-deflated.npz").read_bytes(), expected)
        v1 = {k: v for k, v in arrays.items()
              if k not in ("checksum", "seed", "settings", "preparation", "taught")}
        v1["format_version"] = np.array(1)
        np.savez(folder / f"{name}-v1.npz", **v1)
        old = netfile.load(folder / f"{name}-v1.npz")
        out[f"{name}-v1"] = ((folder / f"{name}-v1.npz").read_bytes(), old)
    return out


# --- damage ----------------------------------------------------------------------------------

def _headers(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each zip and .npy header: where a flipped bit hurts most."""
    spans = []
    for sig, fixed, name_at in ((b"PK\x03\x04", 30, 26), (b"PK\x01\x02", 46, 28),
                                (b"PK\x05\x06", 22, None), (b"PK\x06\x06", 56, None),
                                (b"\x93NUMPY", 10, None)):
        at = data.find(sig)
        while at >= 0:
            end = at + fixed
            if name_at is not None and at + name_at + 2 <= len(data):
                end += struct.unpack_from("<H", data, at + name_at)[0]
            elif sig == b"\x93NUMPY" and at + 10 <= len(data):
                end += struct.unpack_from("<H", data, at + 8)[0]
            spans.append((at, min(end, len(data))))
            at = data.find(sig, at + 1)
    return spans


def mutate(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """One to three kinds of damage; returns the damaged bytes and what was done."""
    data = bytearray(data)
    done = []
    for _ in range(int(rng.integers(1, 4))):
        if not data:
            break
        kind = str(rng.choice(["flip", "header-byte", "data-byte", "truncate", "insert",
                               "delete", "size-lie", "header-flip"]))
        spans = _headers(bytes(data))
        if kind in ("header-byte", "header-flip") and spans:
            start, end = spans[int(rng.integers(len(spans)))]
            pos = int(rng.integers(start, max(end, start + 1)))
        else:
            pos = int(rng.integers(len(data)))
        pos = min(pos, len(data) - 1)
        if kind in ("flip", "header-flip"):
            data[pos] ^= 1 << int(rng.integers(8))
        elif kind in ("header-byte", "data-byte"):
            data[pos] = (data[pos] + int(rng.integers(1, 256))) % 256
        elif kind == "truncate":
            del data[max(pos, 1):]
        elif kind == "insert":
            data[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
        elif kind == "delete":
            del data[pos:pos + int(rng.integers(1, 9))]
        else:  # size-lie: a zip size field says more, less, or absurdly much
            fields = _size_fields(bytes(data))
            if not fields:
                continue
            at = fields[int(rng.integers(len(fields)))]
            old = struct.unpack_from("<I", data, at)[0]
            new = int(rng.choice([old + 8, max(old - 8, 0), old * 2, 0xFFFFFFFF, 3 << 30,
                                  int(rng.integers(0, 1 << 32))])) & 0xFFFFFFFF
            struct.pack_into("<I", data, at, new)
        done.append(kind)
    return bytes(data), "+".join(done)


# --- judging ---------------------------------------------------------------------------------

def same(a: netfile.NetFile, b: netfile.NetFile) -> bool:
    """Whether two loaded networks are identical, bit for bit."""
    if (a.net.sizes, a.net.hidden, a.net.output) != (b.net.sizes, b.net.hidden, b.net.output):
        return False
    if any(x.dtype != y.dtype or x.tobytes() != y.tobytes()
           for x, y in zip(a.net.W + a.net.b, b.net.W + b.net.b)):
        return False
    if (a.optimizer is None) != (b.optimizer is None):
        return False
    if a.optimizer is not None and any(
            x.tobytes() != y.tobytes() for x, y in zip(a.optimizer.vW + a.optimizer.vb,
                                                       b.optimizer.vW + b.optimizer.vb)):
        return False
    fields = ("dataset", "classes", "epochs_trained", "samples_seen", "seed", "settings",
              "preparation", "taught")
    return all(getattr(a, f) == getattr(b, f) for f in fields) and (
        np.float64(a.test_accuracy).tobytes() == np.float64(b.test_accuracy).tobytes())


def judge(path: Path, expected: netfile.NetFile) -> str:
    """'refused', 'identical', 'different' or 'foreign'."""
    try:
        nf = netfile.load(path)
    except netfile.NetFileError as e:
        message = str(e)
        if "\n" in message or not message.startswith(str(path)):
            return "foreign"  # not the one line, naming the file, that the user must get
        return "refused"
    except Exception:
        return "foreign"
    return "identical" if same(nf, expected) else "different"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="damaged files to try")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--show", type=int, default=5, help="failures to print in full")
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    counts, kinds, shown = Counter(), Counter(), 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        originals = files(Path(folder))
        names = sorted(originals)
        path = Path(folder) / "fuzzed.npz"
        for i in range(args.n):
            name = names[i % len(names)]
            data, expected = originals[name]
            damaged, how = mutate(data, rng)
            path.write_bytes(damaged)
            result = judge(path, expected)
            counts[result] += 1
            if result in ("foreign", "different"):
                kinds[how] += 1
                if shown < args.show:
                    shown += 1
                    print(f"{result}: {name} after {how}")
                    if result == "foreign":
                        try:
                            netfile.load(path)
                        except Exception:
                            traceback.print_exc(limit=3)
            if (i + 1) % 10_000 == 0:
                print(f"  {i + 1:,} files, {time.perf_counter() - started:.0f} s", flush=True)
    if kinds:
        print("failures by damage:", dict(kinds.most_common(10)))
    print(f"fuzzed {args.n:,} files ({len(names)} originals, {time.perf_counter() - started:.0f} "
          f"s): refused {counts['refused']:,}, loaded identical {counts['identical']:,}, "
          f"loaded different {counts['different']:,}, foreign exceptions {counts['foreign']:,}")
    return 1 if counts["foreign"] or counts["different"] else 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
