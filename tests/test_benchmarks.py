"""The benchmarks are not run by the tests, but they must keep working as the code under them
changes: each starts (`--help`), and the one that reads pictures as `--predict` does runs for
real on a few digits, so a benchmark cannot silently measure a path the programs left."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py"))


def run(*args, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_starts(script):
    done = run(f"benchmarks/{script}", "--help", timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


def test_the_robustness_benchmark_reads_pictures_as_predict_does(mnist_dir):
    network = ROOT / "examples" / "mnist-784-400-400-10.npz"
    done = run("benchmarks/bench_robustness.py", "--digits", "20", "--data-dir", str(mnist_dir),
               str(network))
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.strip().endswith("%")]
    assert len(rows) == 10  # one per style
    as_mnist = float(rows[0].split()[-1].rstrip("%"))
    assert as_mnist >= 90  # 20 MNIST test digits through the shipped network
