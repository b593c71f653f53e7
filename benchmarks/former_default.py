#!/usr/bin/env python3
"""The identifier's default network before it was trained with distortions (784-256-64-10
sigmoid, plain MNIST, 98.36 %), written out from git, where it was last committed: the
benchmarks compare it with today's default.

    python benchmarks/former_default.py OLD.npz [--ref REF]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH_IN_GIT = "examples/mnist-784-256-64-10.npz"


def write(target: Path, ref: str | None = None) -> Path | None:
    """The former default at `target`, from `ref` (default: the parent of the commit that
    removed it); None when git or the file is not at hand."""
    try:
        if ref is None:
            removed = subprocess.run(["git", "rev-list", "-1", "HEAD", "--", PATH_IN_GIT],
                                     cwd=ROOT, capture_output=True, check=True,
                                     text=True).stdout.strip()
            ref = f"{removed}^" if removed else "HEAD"
        blob = subprocess.run(["git", "show", f"{ref}:{PATH_IN_GIT}"], cwd=ROOT,
                              capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    target.write_bytes(blob)
    return target


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("target", type=Path, help="where to write it (.npz)")
    p.add_argument("--ref", help="git ref holding it (default: the last commit that had it)")
    args = p.parse_args()
    if write(args.target, args.ref) is None:
        print("error: git does not have the former default here", file=sys.stderr)
        return 2
    print(f"wrote {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
