"""The first thing every script does: make sure it runs with the project's requirements.

Double-clicking a script, or `python3 script.py`, runs it with the system's Python, which has
none of them (numpy, pygame-ce, ...): the import would end in a traceback. Instead, when the
quick start's virtual environment is there, the script runs again with its Python; when it is
not, one line says how to make it. Standard library only, so it works before anything else."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

REQUIRED = ("numpy", "pygame", "matplotlib", "PIL", "tqdm", "threadpoolctl")
RELAUNCHED = "BASICNET_RELAUNCHED"  # set once, so that a broken environment cannot loop


def venv_python(root: Path) -> Path:
    return root / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_requirements(script: str, root: Path) -> None:
    """Return when the requirements can be imported; else run `script` again with the
    project's .venv Python (never returns), or say what to do and exit with status 2."""
    missing = [m for m in REQUIRED if importlib.util.find_spec(m) is None]
    if not missing:
        return
    venv = venv_python(root)
    here = Path(sys.executable).resolve()
    if venv.is_file() and venv.resolve() != here and not os.environ.get(RELAUNCHED):
        os.environ[RELAUNCHED] = "1"
        os.execv(str(venv), [str(venv), script, *sys.argv[1:]])
    names = ", ".join("pygame-ce" if m == "pygame" else "Pillow" if m == "PIL" else m
                      for m in missing)
    print(f"error: {sys.executable} has no {names}: make the project's environment once with "
          f"'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt' in {root}, "
          f"then run '.venv/bin/python {Path(script).relative_to(root)}' (README.md, "
          f"quick start)", file=sys.stderr)
    sys.exit(2)
