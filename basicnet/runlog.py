"""Training logs: the CSV log the trainer writes (`CsvLog`), and reading logs back for plotting,
from that CSV or from the trainer's saved terminal output.

Both plotters (logs/percent_plotter.py and logs/cost_plotter.py) read logs only through `read`,
so the two formats are understood in exactly one place:

* the CSV that `CsvLog` writes: a header row, then one row per epoch with
  epoch, samples_seen, elapsed_s, learning_rate, train_cost, test_cost, test_accuracy
  (extra columns are ignored, missing ones or empty cells become "not logged"), and two more:
  `note`, which marks a row that is not an epoch but an event (the learning rate changed by
  hand: `Run.lr_marks`, never a point on a curve), and `settings`, the run's settings as a
  JSON object on the first row (`Run.settings`);
* the trainer's terminal output saved to a text file (`python mlp_sigmoid_emnist.py | tee run.txt`,
  the seed's habit), where each epoch prints

    epoch 3/10  train cost 0.1241  test cost 0.1066  test accuracy 96.60%  0.82 s  73,372 samples/s

  Epochs there count from 1 in every run, so a second run appended to the same file (training a
  saved network further) continues where the first ended. Training time is the running sum of
  the per-epoch seconds, exactly what the CSV's elapsed_s holds. Samples seen are known only when
  the file also holds the run's first line, '... mnist: 60000 training and 10000 test images'
  (every epoch goes through the whole training set once); without it that axis is unavailable.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
from array import array
from dataclasses import dataclass, field

import numpy as np

from .files import file_kind, open_to_read

X_AXES = ("epochs", "samples", "seconds")
CSV_COLUMNS = ("epoch", "samples_seen", "elapsed_s", "learning_rate", "train_cost", "test_cost",
               "test_accuracy")
EXTRA_COLUMNS = ("note", "settings")


class CsvLog:
    """The trainer's log: one header row (COLUMNS), then one row per epoch, and a row with a
    note where the learning rate was changed by hand; each flushed as it is written so that a
    plot can follow a run that is still going. The first row also holds the run's `settings`
    as JSON (with its seed: what repeats the run)."""

    COLUMNS = CSV_COLUMNS + EXTRA_COLUMNS

    def __init__(self, path, settings: dict | None = None):
        self.path = path
        self._settings = json.dumps(settings, sort_keys=True) if settings else ""
        self._file = open(path, "w", newline="")
        self._writer = csv.writer(self._file)
        try:
            self._writer.writerow(self.COLUMNS)
            self._file.flush()
        except OSError as e:  # a full disk: no empty log left behind
            self._abandon()
            raise OSError(e.errno, e.strerror, os.fspath(path)) from None

    def write(self, e) -> None:
        """One row from an epoch's figures (a `training.EpochDone`). OSError (naming the file)
        when it cannot be written."""
        self._row([e.epochs_trained, e.samples_seen, f"{e.elapsed:.3f}", f"{e.lr:.6g}",
                   f"{e.train_cost:.6f}", f"{e.test.cost:.6f}", f"{e.test.accuracy:.6f}", ""])

    def note(self, e) -> None:
        """A row for a learning rate changed by hand (a `training.RateChanged`): where it
        happened (epoch as a fraction), the new rate and the note; no figures."""
        self._row([f"{e.epoch:.6g}", e.samples_seen, f"{e.elapsed:.3f}", f"{e.lr:.6g}",
                   "", "", "", e.note()])

    def _row(self, cells: list) -> None:
        settings, self._settings = self._settings, ""  # on the first row only
        try:
            self._writer.writerow([*cells, settings])
            self._file.flush()
        except OSError as err:
            raise OSError(err.errno, err.strerror, os.fspath(self.path)) from None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as err:
            raise OSError(err.errno, err.strerror, os.fspath(self.path)) from None

    def _abandon(self) -> None:
        """Close and remove the log, whatever it holds (it holds no epoch yet)."""
        try:
            self._file.close()
        except OSError:
            pass
        try:
            os.remove(self.path)
        except OSError:
            pass


class RunLogError(ValueError):
    """A file that is not a readable training log; the message names the file and the fault."""


@dataclass
class Run:
    """One training run's per-epoch figures, as float arrays of equal length.

    A quantity the log does not hold is None; a single missing value inside one is NaN.
    Accuracy is a fraction in [0, 1] (the plots show percent)."""

    path: str
    kind: str                                  # "csv" or "terminal"
    epoch: np.ndarray
    samples: np.ndarray | None = None          # training samples seen
    seconds: np.ndarray | None = None          # training time, evaluation excluded
    learning_rate: np.ndarray | None = None
    train_cost: np.ndarray | None = None
    test_cost: np.ndarray | None = None
    test_accuracy: np.ndarray | None = None
    cost_name: str | None = None               # "cross-entropy" / "quadratic" when the log says
    description: str | None = None             # "784-100-10, sigmoid, cross-entropy cost, mnist"
    settings: dict = field(default_factory=dict)  # the run's settings, when the log has them
    lr_marks: list = field(default_factory=list)  # (epoch, new rate, note): changed by hand

    def x(self, axis: str) -> np.ndarray:
        """The x values for `axis` (one of X_AXES); RunLogError when this log cannot give them."""
        values = {"epochs": self.epoch, "samples": self.samples, "seconds": self.seconds}[axis]
        if values is not None and not np.all(np.isnan(values)):
            return values
        if self.kind == "csv":
            why = f"the CSV has no {_CSV_OF_AXIS[axis]} column"
        elif axis == "samples":
            why = ("the saved terminal output lacks the line '... N training and M test images' "
                   "that gives the training set size")
        else:
            why = "the saved terminal output lacks the per-epoch times"
        raise RunLogError(f"{self.path}: cannot plot against {axis}: {why}")


_CSV_OF_AXIS = {"epochs": "epoch", "samples": "samples_seen", "seconds": "elapsed_s"}


MAX_LOG_CHARS = 128 << 20  # a log of a million epochs is 80 MB; more is not a log
MAX_LINE = 1 << 16         # characters in a line (tqdm's redraws end at carriage returns)


def read(path) -> Run:
    """Read a CSV log or saved terminal output; raises RunLogError naming the file. The file
    is read as a stream, line by line, up to MAX_LOG_CHARS: memory holds the numbers, not the
    text, and a file that never ends (or a device such as /dev/zero) is refused."""
    name = os.fspath(path)
    with open_to_read(path, "a training log", RunLogError) as raw:
        kind = file_kind(raw.read(12), name)
        if kind and not kind.startswith("a training log"):
            raise RunLogError(f"{name}: {kind}, not a training log (.csv or saved terminal "
                              f"output)")
        raw.seek(0)
        # universal newlines: tqdm's carriage returns end lines too
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None)
        lines = _lines(text, name)
        number, first = next(((n, line.lstrip("\ufeff")) for n, line in lines
                              if line.lstrip("\ufeff").strip()), (0, ""))
        if not first:
            raise RunLogError(f"{name}: not a training log: the file is empty")
        if "epoch" in first and "," in first and not _EPOCH_LINE.search(first):
            return _read_csv(name, first, lines)
        return _read_terminal(name, itertools.chain([(number, first)], lines))


def _lines(f, name: str):
    """(line number, line) of a text file, within the limits, refusing binary files."""
    total = 0
    for number in itertools.count(1):
        try:
            line = f.readline(MAX_LINE + 1)
        except OSError as e:
            raise RunLogError(f"{name}: cannot read it ({e.strerror or e})") from None
        if not line:
            return
        total += len(line)
        if "\0" in line:
            raise RunLogError(f"{name}: a binary file, not a training log (.csv or saved "
                              f"terminal output)")
        if total > MAX_LOG_CHARS:
            raise RunLogError(f"{name}: more than {MAX_LOG_CHARS >> 20} MB: too big for a "
                              f"training log")
        if len(line) > MAX_LINE:
            raise RunLogError(f"{name}: line {number} is longer than {MAX_LINE:,} characters: "
                              f"not a training log")
        yield number, line.rstrip("\n")


# --- CSV -----------------------------------------------------------------------------------

def _read_csv(name: str, first: str, lines) -> Run:
    header = [h.strip() for h in next(csv.reader([first]))]
    if "epoch" not in header:
        raise RunLogError(f"{name}: CSV without an 'epoch' column")
    if not {"train_cost", "test_cost", "test_accuracy"} & set(header):
        raise RunLogError(f"{name}: CSV without any of the columns train_cost, test_cost, "
                          f"test_accuracy: nothing to plot")
    at = {h: i for i, h in enumerate(header)}
    columns = {h: array("d") for h in header if h in CSV_COLUMNS}
    settings, marks = None, []
    for number, line in lines:
        row = next(csv.reader([line]), [])
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise RunLogError(f"{name}: line {number} has {len(row)} cells, the header "
                              f"{len(header)}")
        if settings is None:  # the first row holds them, when the log has any
            settings = _settings(name, number, row[at["settings"]] if "settings" in at else "")
        if "note" in at and row[at["note"]].strip():
            # a row with a note is an event, not an epoch: a mark, never a point on a curve
            rate = row[at["learning_rate"]] if "learning_rate" in at else ""
            marks.append((_cell_number(name, number, "epoch", row[at["epoch"]]),
                          _cell_number(name, number, "learning_rate", rate) if rate.strip()
                          else math.nan, row[at["note"]].strip()))
            continue
        for h, cell in zip(header, row):
            if h in columns:
                columns[h].append(_cell_number(name, number, h, cell) if cell.strip()
                                  else math.nan)
    if not len(columns["epoch"]):
        raise RunLogError(f"{name}: the log has a header but no epochs yet")
    columns = {k: np.frombuffer(v, np.float64).copy() for k, v in columns.items()}
    if np.any(np.isnan(columns["epoch"])):
        raise RunLogError(f"{name}: a row without an epoch number")
    got = {k: _present(v) for k, v in columns.items()}
    return Run(name, "csv", columns["epoch"], got.get("samples_seen"), got.get("elapsed_s"),
               got.get("learning_rate"), got.get("train_cost"), got.get("test_cost"),
               got.get("test_accuracy"), settings=settings or {}, lr_marks=marks)


def _cell_number(name: str, line: int, column: str, cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise RunLogError(f"{name}: line {line}: {column} is {cell.strip()[:40]!r}, "
                          f"not a number") from None


def _settings(name: str, line: int, cell: str) -> dict:
    """The run's settings, from the first row's `settings` cell; {} when it has none."""
    if not cell.strip():
        return {}
    try:
        settings = json.loads(cell)
    except ValueError:
        settings = None
    if not isinstance(settings, dict):
        raise RunLogError(f"{name}: line {line}: settings is not a JSON object")
    return settings


# --- terminal output -----------------------------------------------------------------------

# 'epoch 3/10 ...' (a new network: epochs count from 1) or 'epoch 8 (1 of 2) ...' (a network
# trained further: the first number is its age, the bracket counts this run's epochs)
_EPOCH_LINE = re.compile(r"\bepoch\s+(\d+)(?:\s*/\s*\d+\b|\s+\(\d+\s+of\s+\d+\))(.*)")
_AGE_GIVEN = re.compile(r"\bepoch\s+\d+\s+\(")
_NUMBER = r"([-+]?(?:\d[\d,]*\.?\d*(?:e[-+]?\d+)?|nan|inf))"
_FIELDS = {
    "train_cost": re.compile(r"train cost\s+" + _NUMBER, re.I),
    "test_cost": re.compile(r"test cost\s+" + _NUMBER, re.I),
    "test_accuracy": re.compile(r"test accuracy\s+" + _NUMBER + r"\s*%", re.I),
    "seconds": re.compile(r"(?<![\w/.])" + _NUMBER + r"\s*s(?![\w/])"),
}
_HEADER = re.compile(r"^network\s+([\d-]+)\s+\((\w+) hidden, (\w+) output, ([\w-]+) cost\)"
                     r",\s*(\S+):\s*(\d+) training and (\d+) test images")
# The trainer's other lines, which a saved terminal output may hold between its epochs: what
# it says on starting, downloading, stopping and saving; tqdm's bars; error lines (2>&1).
_OWN_LINE = re.compile(r"(network |continuing |testing |note: |saved: |log: |test accuracy: |"
                       r"recording: |downloading |extracting |EMNIST comes |connection dropped|"
                       r"error: |"
                       r"interrupted|terminated \(SIGTERM\)|hung up \(SIGHUP\)|window closed|"
                       r"\S+ is ready in )")
_BAR = re.compile(r"\d+%\||\[\d+:\d+[<,]")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _read_terminal(name: str, lines) -> Run:
    epochs, n_trains, values = [], [], {k: array("d") for k in _FIELDS}
    # epochs of earlier runs in this file; the previous line's epoch as printed, and as counted
    offset = last = last_absolute = 0
    n_train, cost_name, description = None, None, None
    for number, line in lines:
        line = line.strip()
        if not line:
            continue
        header = _HEADER.match(line)
        if header:
            sizes, hidden, _, cost_name, dataset, n, _ = header.groups()
            n_train, description = int(n), f"{sizes}, {hidden}, {cost_name} cost, {dataset}"
            continue
        m = _EPOCH_LINE.match(line)
        if not m or ("cost" not in m.group(2) and "accuracy" not in m.group(2)):
            if _OWN_LINE.match(line) or _BAR.search(line):
                continue
            raise RunLogError(f"{name}: not a training log: line {number} is neither a CSV "
                              f"header nor the trainer's output ({line[:50]!r})")
        epoch, rest = int(m.group(1)), m.group(2)
        if _AGE_GIVEN.match(line):  # the network's own count: no offset needed
            absolute, last = epoch, math.inf
        else:
            if epoch <= last:  # a new run appended to the file: it continues the network
                offset = last_absolute
            absolute, last = offset + epoch, epoch
        last_absolute = absolute
        epochs.append(absolute)
        n_trains.append(n_train)
        for key, pattern in _FIELDS.items():
            found = pattern.search(rest)
            values[key].append(_number(found.group(1)) if found else math.nan)
    if not epochs:
        raise RunLogError(f"{name}: not a training log: no CSV header and no lines like "
                          f"'epoch 1/10  train cost ...'")
    arrays = {k: np.frombuffer(v, np.float64).copy() for k, v in values.items()}
    arrays["test_accuracy"] /= 100
    seconds = np.cumsum(arrays["seconds"]) if not np.any(np.isnan(arrays["seconds"])) else None
    samples = None
    if all(n is not None for n in n_trains):
        samples = np.cumsum(np.array(n_trains, float)) if _contiguous(epochs) else None
    return Run(name, "terminal", np.array(epochs, float), samples, seconds, None,
               _present(arrays["train_cost"]), _present(arrays["test_cost"]),
               _present(arrays["test_accuracy"]), cost_name, description)


def _contiguous(epochs) -> bool:
    """Whether the epochs run 1, 2, 3, ... with no gap (then samples add up exactly)."""
    return list(epochs) == list(range(1, len(epochs) + 1))


def _present(a: np.ndarray) -> np.ndarray | None:
    return None if np.all(np.isnan(a)) else a
