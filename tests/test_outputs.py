"""Every file a script writes (--save, --log, --record, --report, --out) is refused, before any
work, when its path cannot take a new file: a pipe or a folder (--overwrite cannot make either a
file, and writing into a pipe waits for a reader), an existing file without --overwrite, a name
that another reader would take for something else. One `error:` line naming the flag, exit 2,
and what was there is still there, unchanged."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from basicnet import files

ROOT = Path(__file__).resolve().parent.parent
PLOTTER = ROOT / "logs" / "cost_plotter.py"
TRAINER = ROOT / "mlp_sigmoid_emnist.py"
IDENTIFIER = ROOT / "number_identifier_mnist.py"

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def script(path, *args):
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, str(path), *map(str, args)], capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("epoch,samples_seen,elapsed_s,learning_rate,train_cost,test_cost,"
                    "test_accuracy\n1,100,1.0,0.1,0.5,0.4,0.9\n2,200,2.0,0.1,0.3,0.3,0.93\n")
    return path


@pytest.fixture
def lessons(tmp_path):
    """A --learn folder: one picture of a 7, drawn as a bar and a slant."""
    from PIL import Image, ImageDraw

    folder = tmp_path / "mine" / "7"
    folder.mkdir(parents=True)
    im = Image.new("L", (100, 100), 255)
    ImageDraw.Draw(im).line([(20, 20), (80, 20), (40, 90)], fill=0, width=9)
    im.save(folder / "a.png")
    return tmp_path / "mine"


def commands(kind, target, log, lessons, toy):
    """The scripts with `target` as their output file."""
    return {
        "trainer --save": [TRAINER, "--data-dir", toy, "--epochs", "1", "--hidden", "4",
                           "--headless", "--no-log", "--save", target],
        "trainer --log": [TRAINER, "--data-dir", toy, "--epochs", "1", "--hidden", "4",
                          "--headless", "--no-save", "--log", target],
        "identifier --learn --save": [IDENTIFIER, "--learn", lessons, "--save", target,
                                      "--data-dir", toy.parent / "none"],
        "plotter --out": [PLOTTER, log, "--out", target],
    }[kind]


KINDS = ["trainer --save", "trainer --log", "identifier --learn --save", "plotter --out"]
SUFFIX = {"trainer --save": ".npz", "trainer --log": ".csv", "identifier --learn --save": ".npz",
          "plotter --out": ".png"}


@needs_fifo
@pytest.mark.parametrize("kind", KINDS)
def test_a_pipe_is_never_written_into_or_replaced_even_with_overwrite(kind, tmp_path, log,
                                                                      lessons, toy_dir):
    fifo = tmp_path / f"out{SUFFIX[kind]}"
    os.mkfifo(fifo)
    r = script(*commands(kind, fifo, log, lessons, toy_dir), "--overwrite")
    assert r.returncode == 2, r.stdout
    assert r.stderr.splitlines() == [f"error: {kind.split()[-1]} {fifo}: is a named pipe "
                                     f"(FIFO); give a file name"]
    assert fifo.is_fifo()


@pytest.mark.parametrize("kind", KINDS)
def test_a_folder_is_named_as_one_even_with_overwrite(kind, tmp_path, log, lessons, toy_dir):
    folder = tmp_path / f"out{SUFFIX[kind]}"
    folder.mkdir()
    r = script(*commands(kind, folder, log, lessons, toy_dir), "--overwrite")
    assert r.returncode == 2, r.stdout
    assert r.stderr.splitlines() == [f"error: {kind.split()[-1]} {folder}: is a folder; give "
                                     f"a file name"]
    assert folder.is_dir() and not any(folder.iterdir())


@pytest.mark.parametrize("kind", KINDS)
def test_an_existing_file_is_kept_without_overwrite(kind, tmp_path, log, lessons, toy_dir):
    target = tmp_path / f"out{SUFFIX[kind]}"
    target.write_bytes(b"precious")
    r = script(*commands(kind, target, log, lessons, toy_dir))
    assert r.returncode == 2, r.stdout
    assert r.stderr.splitlines() == [f"error: {kind.split()[-1]} {target}: the file exists; "
                                     f"choose another name or add --overwrite"]
    assert target.read_bytes() == b"precious"


@pytest.mark.parametrize("kind", ["trainer --save", "identifier --learn --save"])
def test_a_network_is_never_saved_under_another_kind_of_name(kind, tmp_path, log, lessons,
                                                              toy_dir):
    """A network saved as net.png would be read by every script as a damaged picture."""
    target = tmp_path / "net.png"
    r = script(*commands(kind, target, log, lessons, toy_dir))
    assert r.returncode == 2
    assert r.stderr.splitlines() == [f"error: --save {target}: the name must end in .npz"]
    assert not target.exists() and "network" not in r.stdout  # a refused run says only why


def test_a_picture_without_an_extension_is_refused_as_such(tmp_path, log):
    r = script(PLOTTER, log, "--out", tmp_path / "picture")
    assert r.returncode == 2
    assert r.stderr.splitlines() == [f"error: --out {tmp_path / 'picture'}: no extension to "
                                     f"name the picture format (use .png, .svg or .pdf)"]


@needs_fifo
def test_a_pipe_that_takes_the_name_while_writing_is_not_replaced(tmp_path):
    """atomic_write with overwrite=True replaces a file, never a pipe that appeared since the
    checks (the temporary file is removed; the pipe stays)."""
    target = tmp_path / "out.npz"
    with pytest.raises(OSError, match="named pipe"):
        with files.atomic_write(target, overwrite=True) as f:
            f.write(b"new")
            os.mkfifo(target)
    assert target.is_fifo() and os.listdir(tmp_path) == ["out.npz"]
