#!/usr/bin/env python3
"""Histograms of the weights and biases of one or more saved networks (.npz).

Drop two or more networks on this script (or pass their paths) to compare them: each gets its
own colour, and a dashed curve shows the normal distribution the weights started from, so you
can see how little (or how much) training moved them away from it.

    python weightsbiases_hist.py NET.npz [NET2.npz ...] [--per-layer] [--no-weights]
        [--no-biases] [--log] [--out FILE.png]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from basicnet.launch import ensure_requirements

# run with the project's environment (a double-click uses the system's Python), or say how
ensure_requirements(__file__, Path(__file__).resolve().parent)

from basicnet import netfile, plots
from basicnet.cli import UsageError, run


def main(argv=None) -> int:
    return run(lambda: plot(argv))


def plot(argv) -> int:
    p = plots.parser("Histograms of the weights and biases of saved networks, with the normal "
                     "distribution they started from drawn dashed.",
                     "network files (.npz) written by the trainer")
    p.add_argument("--no-weights", dest="weights", action="store_false",
                   help="leave out the weights")
    p.add_argument("--no-biases", dest="biases", action="store_false",
                   help="leave out the biases")
    p.add_argument("--per-layer", action="store_true",
                   help="one row of histograms per layer instead of all layers pooled")
    p.add_argument("--log", action="store_true", help="logarithmic density axis (shows tails)")
    args = p.parse_args(argv)
    if not (args.weights or args.biases):
        raise UsageError("nothing to plot: weights and biases are both switched off")

    def read(path):
        nf = netfile.load(path)
        return plots.Named(plots.net_label(path, nf), nf, os.path.basename(path))

    def build(nets, fig):
        return plots.histogram_figure(nets, args.weights, args.biases, args.per_layer, args.log,
                                      fig)

    return plots.run_script(args, read, netfile.NetFileError, build)


if __name__ == "__main__":
    sys.exit(main())
