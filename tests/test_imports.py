"""Imports point down: the maths needs numpy alone, reading a log never loads the training loop
or the downloader, and nothing in the library opens a window (or loads pygame) unasked."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules_after(statement: str) -> set[str]:
    """The project modules loaded by a fresh interpreter after `statement`."""
    code = (f"import sys; {statement}; "
            "print(' '.join(m for m in sys.modules if m.startswith('basicnet')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module, never", [
    ("basicnet.runlog", {"basicnet.training", "basicnet.datasets", "basicnet.download"}),
    ("basicnet.drawing", {"basicnet.datasets", "basicnet.training"}),
    ("basicnet.network", {"basicnet.constants", "basicnet.datasets", "basicnet.training",
                          "basicnet.files"}),
    ("basicnet.netfile", {"basicnet.training", "basicnet.datasets", "basicnet.download"}),
])
def test_a_module_loads_nothing_above_it(module, never):
    assert not modules_after(f"import {module}") & never


def test_the_maths_imports_numpy_and_the_standard_library_only():
    tree = ast.parse((ROOT / "basicnet" / "network.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0}
    relative = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.level > 0]
    assert not relative and imported <= {"__future__", "math", "dataclasses", "numpy"}


def test_plotting_a_log_needs_no_training_datasets_or_pygame():
    loaded = modules_after("import basicnet.plots, basicnet.runlog")
    assert not loaded & {"basicnet.training", "basicnet.datasets", "basicnet.download"}
    code = "import sys, basicnet.plots, basicnet.runlog; print('pygame' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True).stdout.strip() == "False"


@pytest.mark.parametrize("script", ["mlp_sigmoid_emnist.py", "number_identifier_mnist.py",
                                    "weightsbiases_hist.py", "logs/cost_plotter.py",
                                    "logs/percent_plotter.py"])
def test_a_python_without_the_requirements_gets_one_line_not_a_traceback(script, tmp_path):
    """As a double-click runs a script: with a Python that lacks numpy (here: this one with its
    site-packages switched off) and no project environment to move to, one line says how to
    make it."""
    env = dict(os.environ, BASICNET_RELAUNCHED="1")  # as if .venv had been tried already
    r = subprocess.run([sys.executable, "-S", str(ROOT / script), "--help"], capture_output=True,
                       text=True, cwd=tmp_path, env=env, timeout=60)
    assert r.returncode == 2 and not r.stdout and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "numpy" in lines[0]
    assert "python3 -m venv .venv" in lines[0]
