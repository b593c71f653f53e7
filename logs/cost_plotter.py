#!/usr/bin/env python3
"""Train and test cost over training, one colour per run, from the trainer's logs.

Drop one or more logs on this script (or pass their paths): the CSV logs the trainer writes
beside its networks, or its terminal output saved to a text file. Train cost is drawn solid,
test cost dashed.

    python logs/cost_plotter.py LOG [LOG ...] [--x epochs|samples|seconds] [--log]
        [--out FILE.png]
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
    p = plots.log_parser("Train and test cost over training, one colour per run.")
    p.add_argument("--log", action="store_true", help="logarithmic cost axis")
    args = p.parse_args(argv)
    read = plots.log_reader(args.x, "cost", lambda run: run.train_cost is not None
                            or run.test_cost is not None)
    return plots.run_script(args, read, runlog.RunLogError,
                            lambda runs, fig: plots.cost_figure(runs, args.x, fig, args.log))


if __name__ == "__main__":
    sys.exit(main())
