#!/usr/bin/env python3
"""Test accuracy over training, one line per run, from the trainer's logs.

Drop one or more logs on this script (or pass their paths): the CSV logs the trainer writes
beside its networks, or its terminal output saved to a text file.

    python logs/percent_plotter.py LOG [LOG ...] [--x epochs|samples|seconds] [--out FILE.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Let this script find basicnet/ whether it is run from the project root or from logs/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from basicnet.launch import ensure_requirements

# run with the project's environment (a double-click uses the system's Python), or say how
ensure_requirements(__file__, Path(__file__).resolve().parent.parent)

from basicnet import plots, runlog  # noqa: E402
from basicnet.cli import run  # noqa: E402


def main(argv=None) -> int:
    return run(lambda: plot(argv))


def plot(argv) -> int:
    args = plots.log_parser("Test accuracy over training, one line per run.").parse_args(argv)
    read = plots.log_reader(args.x, "test accuracy", lambda run: run.test_accuracy is not None)
    return plots.run_script(args, read, runlog.RunLogError,
                            lambda runs, fig: plots.accuracy_figure(runs, args.x, fig))


if __name__ == "__main__":
    sys.exit(main())
