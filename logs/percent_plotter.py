#!/usr/bin/env python3
"""Test accuracy over training, one line per run, from the trainer's logs.

Drop one or more logs on this script (or pass their paths): the CSV logs the trainer writes to
logs/, or its terminal output saved to a text file.

    python logs/percent_plotter.py LOG [LOG ...] [--x epochs|samples|seconds] [--out FILE.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Let this script find basicnet/ whether it is run from the project root or from logs/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from basicnet import plots, runlog  # noqa: E402


def main(argv=None) -> int:
    p = plots.parser("Test accuracy over training, one line per run.",
                     "training logs: the trainer's CSV logs or its saved terminal output")
    p.add_argument("--x", choices=runlog.X_AXES, default="epochs",
                   help="x axis: epochs (default), training samples seen or training seconds")
    args = p.parse_args(argv)

    def read(path):
        run = runlog.read(path)
        if run.test_accuracy is None:
            raise runlog.RunLogError(f"{path}: the log holds no test accuracy")
        run.x(args.x)  # raises, naming the file, when this log cannot give that axis
        return run

    return plots.run_script(args, read, runlog.RunLogError,
                            lambda runs, fig: plots.accuracy_figure(runs, args.x, fig))


if __name__ == "__main__":
    sys.exit(main())
