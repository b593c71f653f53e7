#!/usr/bin/env python3
"""Write a trained network without its optimizer's velocities: half the file, the same network.

    python benchmarks/slim_network.py NETWORK.npz OUT.npz

The trainer saves the SGD velocities beside the weights so that a run can be continued with its
momentum; a network that is only used (the identifier's default in examples/) needs none of them.
OUT must not exist yet.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from basicnet import netfile  # noqa: E402
from basicnet.cli import ArgumentParser, UsageError, run, say  # noqa: E402


def main(argv=None) -> int:
    p = ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("network", help="a saved network (.npz)")
    p.add_argument("out", help="where to write it without velocities (.npz, a new file)")
    args = p.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        raise UsageError(f"{out} exists; choose another name")
    nf = netfile.load(args.network)
    nf.optimizer = None
    netfile.save(out, nf)
    say(f"{out}: {nf.net.sizes_text}, {out.stat().st_size:,} bytes "
        f"(was {Path(args.network).stat().st_size:,})")
    return 0


if __name__ == "__main__":
    sys.exit(run(main, (netfile.NetFileError, OSError)))

