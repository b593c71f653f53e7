#!/usr/bin/env python3
"""Train and test a sigmoid multilayer perceptron on MNIST or EMNIST.

A window shows the network learning (its first-layer weights as pictures, the network on a
test image, cost and accuracy curves) without slowing it down; --headless for none.
Drop a saved network (.npz) on this script, or pass its path, to continue training it.
Unless --no-save, the network is saved to networks/ (or --save PATH) at the end, on Ctrl+C and
on kill, with its CSV log beside it (same name, .csv; --log PATH for another, --no-log for
none). An existing file is never overwritten unless you say --overwrite. The last line of a
successful run reads 'test accuracy: 98.12% (9812/10000)'.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from basicnet.launch import ensure_requirements

# run with the project's environment (a double-click uses the system's Python), or say how
ensure_requirements(__file__, Path(__file__).resolve().parent)

import numpy as np
from threadpoolctl import threadpool_limits

from basicnet import augment, datasets, netfile, report
from basicnet.cli import ArgumentParser, ProgressStream, UsageError, fail_quietly, run, say
from basicnet.constants import N_INPUTS, PREPARATIONS, default_preparation
from basicnet.files import check_output
from basicnet.network import HIDDEN_ACTIVATIONS, OUTPUTS, SCHEDULES, SGD, Network, sizes_text
from basicnet.runlog import CsvLog
from basicnet.stopping import StopRequest
from basicnet.threads import tune_threads
from basicnet.training import (
    BatchDone,
    Diverged,
    EpochDone,
    Hyper,
    RateChanged,
    Steering,
    evaluate,
    train,
)

ROOT = Path(__file__).resolve().parent
NETWORKS_DIR = ROOT / "networks"


@dataclass
class Config(Hyper):
    """The command line, one field per flag; how to train (and its defaults) comes from Hyper."""

    network: str | None = None
    dataset: str | None = None  # None: the network's dataset, else mnist
    data_dir: str | None = None
    preparation: str | None = None  # None: by the dataset (EMNIST's way for emnist-*)
    hidden: list[int] = field(default_factory=lambda: [200])
    activation: str = "sigmoid"
    output: str = "softmax"
    seed: int | None = None
    threads: int | None = None  # None: threads.tune_threads decides, batch by batch
    headless: bool = False
    close_when_done: bool = False
    no_draw_l1: bool = False
    record: str | None = None
    evaluate: bool = False
    report: str | None = None
    save: str | None = None
    no_save: bool = False
    overwrite: bool = False
    log: str | None = None
    no_log: bool = False
    no_download: bool = False
    download_only: bool = False
    # strengths of the distortions (--augment); None: the dataset's default (augment.STRENGTHS)
    rotate: float | None = None
    scale: float | None = None
    shear: float | None = None
    translate: float | None = None
    elastic_alpha: float | None = None
    elastic_sigma: float | None = None


# The strength flags: the kind of distortion each belongs to, and its field in augment.Augment.
STRENGTH_FLAGS = {"rotate": ("affine", "rotate"), "scale": ("affine", "scale"),
                  "shear": ("affine", "shear"), "translate": ("affine", "translate"),
                  "elastic_alpha": ("elastic", "alpha"), "elastic_sigma": ("elastic", "sigma")}


def _strength(name: str) -> str:
    """A strength's defaults, for --help."""
    digits, letters, *_ = augment.STRENGTHS[name]
    return f"{digits:g}; {letters:g} for EMNIST"


@dataclass(frozen=True)
class Interval:
    """The values a flag allows, as scikit-learn writes its parameter constraints. NaN is in
    no interval."""

    kind: type
    low: float
    high: float
    closed: str = "both"  # which ends belong to it: "both", "left", "right" or "neither"

    def __contains__(self, v) -> bool:
        above = self.low <= v if self.closed in ("both", "left") else self.low < v
        below = v <= self.high if self.closed in ("both", "right") else v < self.high
        return above and below

    def __str__(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        low = f"{self.low:,}" if self.kind is int else f"{self.low:g}"
        high = f"{self.high:,}" if self.kind is int else f"{self.high:g}"
        if self.high == math.inf:
            return f"{what} {'of at least' if self.closed == 'left' else 'above'} {low}"
        return (f"{what} from {low}{'' if self.closed in ('both', 'left') else ' (excluded)'} "
                f"to {high}{'' if self.closed in ('both', 'right') else ' (excluded)'}")


# What each numeric flag allows, checked before anything is made. The upper ends keep a typo
# from asking for terabytes or overflowing a C integer: a seed is stored as int64, BLAS takes
# an int thread count, and no layer of this project's networks needs more than 65,536 units.
LIMITS = {
    "epochs": Interval(int, 1, 1_000_000_000),
    "batch_size": Interval(int, 1, 1_000_000_000),
    "hidden": Interval(int, 1, 65_536),
    "lr": Interval(float, 0, math.inf, "neither"),
    "momentum": Interval(float, 0, 1, "left"),
    "weight_decay": Interval(float, 0, math.inf, "left"),
    "dropout": Interval(float, 0, 1, "left"),
    "seed": Interval(int, 0, 2**63 - 1),
    "threads": Interval(int, 1, 1024),
}


def parse_args(argv=None) -> Config:
    d = Config()
    p = ArgumentParser(
        description="Train and test a multilayer perceptron (plain numpy) on MNIST or EMNIST. "
                    "Pass a saved network (.npz) to continue training it.")
    p.add_argument("network", nargs="?", help="a saved network (.npz) to continue training")
    p.add_argument("--dataset", choices=datasets.CATALOGUE, metavar="NAME",
                   help="dataset (default: the network's, else mnist): "
                   + ", ".join(datasets.CATALOGUE) + "; missing files are downloaded")
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder holding the dataset's IDX files (default: datasets/<name>/); "
                        "without --dataset, any folder of four MNIST-format IDX files "
                        "(e.g. Fashion-MNIST)")
    p.add_argument("--preparation", choices=PREPARATIONS,
                   help="how a drawing must be framed for this network, as its dataset's images "
                        "were (default: emnist for EMNIST splits, else mnist; say emnist for a "
                        "folder of EMNIST-made images); stored in the network file")
    p.add_argument("--no-download", action="store_true",
                   help="never download: fail when dataset files are missing")
    p.add_argument("--download-only", action="store_true",
                   help="fetch the dataset's missing files, then exit")
    p.add_argument("--hidden", type=int, nargs="+", default=d.hidden, metavar="N",
                   help=f"hidden layer sizes for a new network (default: {d.hidden[0]})")
    p.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, default=d.activation,
                   help="hidden activation of a new network (default: sigmoid)")
    p.add_argument("--output", choices=OUTPUTS, default=d.output,
                   help="output layer of a new network: softmax + cross-entropy cost (default) "
                        "or sigmoid + quadratic cost")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"default: {d.epochs}")
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help=f"default: {d.batch_size}")
    p.add_argument("--lr", type=float, default=d.lr, help=f"learning rate (default: {d.lr})")
    p.add_argument("--schedule", choices=SCHEDULES, default=d.schedule,
                   help=f"learning-rate schedule (default: {d.schedule})")
    p.add_argument("--momentum", type=float, default=d.momentum, help=f"default: {d.momentum}")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay, metavar="L2",
                   help=f"L2 weight decay (default: {d.weight_decay})")
    best = ",".join(augment.BEST)
    p.add_argument("--augment", nargs="?", const=best, metavar="KINDS|PX",
                   help="distort every training image afresh each time it is seen (the test set "
                        "never is): KINDS is shift, affine, elastic or several of them joined "
                        f"by commas; a bare --augment means {best}; a number PX means shifts "
                        "of up to PX whole pixels, as --augment shift with that reach "
                        "(default: none)")
    p.add_argument("--rotate", type=float, metavar="DEG",
                   help=f"affine: turn by up to ±DEG degrees (default: {_strength('rotate')})")
    p.add_argument("--scale", type=float, metavar="F",
                   help=f"affine: stretch x and y each by a factor in 1 ± F "
                        f"(default: {_strength('scale')})")
    p.add_argument("--shear", type=float, metavar="K",
                   help=f"affine: slant, x += k·y with k in ±K (default: {_strength('shear')})")
    p.add_argument("--translate", type=float, metavar="PX",
                   help=f"affine: move by up to ±PX pixels in x and y "
                        f"(default: {_strength('translate')})")
    p.add_argument("--elastic-alpha", type=float, metavar="A",
                   help=f"elastic: strength α of the smoothed displacement field, pixels "
                        f"(default: {_strength('alpha')})")
    p.add_argument("--elastic-sigma", type=float, metavar="S",
                   help=f"elastic: smoothness σ of the field, the Gaussian's width in pixels "
                        f"(default: {_strength('sigma')})")
    p.add_argument("--dropout", type=float, default=d.dropout, metavar="P",
                   help="drop each hidden unit from each training batch with probability P "
                        f"(default: {d.dropout:g}, none)")
    p.add_argument("--seed", type=int,
                   help="random seed (default: a fresh one); either way it is kept in the "
                        "network file and the log, so the run can be repeated (with the same "
                        "--threads)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="BLAS threads for the matrix products (default: chosen while "
                        "training, by timing batches with 1, 2, 4, ... up to one per core)")
    p.add_argument("--headless", action="store_true",
                   help="no window (without a display the trainer runs headless anyway)")
    p.add_argument("--close-when-done", action="store_true",
                   help="close the window as soon as training ends (for scripts); by default "
                        "it stays on the finished run until you close it")
    p.add_argument("--no-draw-l1", action="store_true",
                   help="leave out the first layer's weight tiles (the window draws faster)")
    p.add_argument("--record", metavar="FILE.gif",
                   help="write the window's evolution to an animated GIF (also headless)")
    p.add_argument("--evaluate", action="store_true",
                   help="only test the given network: no training, no save; prints the "
                        "confusion matrix and the most confident mistakes")
    p.add_argument("--report", metavar="FILE.png",
                   help="draw where the network errs (confusion matrix, accuracy per class, "
                        "the most confident mistakes) in one picture: with --evaluate, or at "
                        "the end of training")
    p.add_argument("--save", metavar="PATH", help="where to save (default: networks/<run>.npz)")
    p.add_argument("--no-save", action="store_true", help="do not save the network")
    p.add_argument("--overwrite", action="store_true", help="allow --save to replace a file")
    p.add_argument("--log", metavar="PATH",
                   help="CSV log path (default: beside the saved network, under its name "
                        "with .csv; none with --no-save)")
    p.add_argument("--no-log", action="store_true", help="write no CSV log")
    a = p.parse_args(argv)
    cfg = Config(**{k: v for k, v in vars(a).items()})
    for name, allowed in LIMITS.items():
        value = getattr(cfg, name)
        for v in value if isinstance(value, list) else [value]:
            if v is not None and v not in allowed:
                shown = f"{v:g}" if isinstance(v, float) else v
                p.error(f"--{name.replace('_', '-')} {shown}: must be {allowed}")
    if len(cfg.hidden) > netfile.MAX_LAYERS - 1:
        p.error(f"--hidden: at most {netfile.MAX_LAYERS - 1} hidden layers")
    # the dataset's class count is not known yet: one output is the least it can be
    count = netfile.parameter_count([N_INPUTS, *cfg.hidden, 1])
    if not cfg.network and count > netfile.MAX_PARAMETERS:
        p.error(f"--hidden {' '.join(map(str, cfg.hidden))}: {count:,} weights and biases or "
                f"more; at most {netfile.MAX_PARAMETERS:,} are allowed")
    cfg.augment = _augment_spec(cfg, p)
    for flag, path in (("--save", cfg.save), ("--log", cfg.log), ("--record", cfg.record),
                       ("--report", cfg.report)):
        if path and path.endswith(("/", os.sep)):
            p.error(f"{flag} {path} names a folder; give a file path")
    if cfg.save and cfg.no_save:
        p.error("--save and --no-save contradict each other")
    if cfg.log and cfg.no_log:
        p.error("--log and --no-log contradict each other")
    if cfg.no_download and cfg.download_only:
        p.error("--no-download and --download-only contradict each other")
    if cfg.record and not cfg.record.lower().endswith(".gif"):
        p.error("--record needs a file name ending in .gif")
    if cfg.report:
        if cfg.download_only:
            p.error("--report needs a training run or --evaluate")
        from basicnet.plots import picture_format
        try:
            picture_format(cfg.report, "--report")
        except UsageError as e:
            p.error(str(e))
    return cfg


def _augment_spec(cfg: Config, p: ArgumentParser) -> augment.Augment | None:
    """--augment and the strength flags, as the spec training applies."""
    try:
        spec = augment.parse(cfg.augment)
    except ValueError as e:
        p.error(f"--augment {cfg.augment}: {e}")
    strengths = {}
    for name, (kind, field_name) in STRENGTH_FLAGS.items():
        value = getattr(cfg, name)
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        if spec is None or kind not in spec.kinds:
            p.error(f"{flag} sets {kind} distortions: add --augment {kind} (or with others, "
                    f"e.g. --augment {','.join(augment.BEST)})")
        least, most = augment.STRENGTHS[field_name][2:]
        if not least <= value <= most:
            p.error(f"{flag} must be from {least:g} to {most:g}")
        strengths[field_name] = value
    return replace(spec, **strengths) if spec else None


def unique_path(path: Path, reserve: bool = False) -> Path:
    """`path`, or path-2, path-3, ... when it exists: autosaves never replace a file. With
    `reserve`, the name is taken by creating the file empty, so that two runs started in the
    same second cannot both pick it."""
    candidate, i = path, 2
    while True:
        try:
            if not reserve and not candidate.exists():
                return candidate
            if reserve:
                candidate.parent.mkdir(parents=True, exist_ok=True)
                with open(candidate, "x"):
                    return candidate
        except FileExistsError:
            pass
        candidate = path.with_name(f"{path.stem}-{i}{path.suffix}")
        i += 1


def check_writable(path: Path, overwrite: bool, flag: str = "--save",
                   made: list | None = None, suffix: str | None = None) -> None:
    """Refuse, before any training, a path that would be overwritten or cannot be written.
    Folders it creates on the way are added to `made`, so that a run that fails can take
    them away again."""
    check_output(path, overwrite, flag, UsageError, suffix)
    folder = path.parent
    try:
        for missing in reversed([f for f in (folder, *folder.parents) if not f.exists()]):
            missing.mkdir()
            if made is not None:
                made.append(missing)
        probe = folder / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


def prepare_network(cfg: Config) -> netfile.NetFile | None:
    """The network given on the command line, or None when a new one is to be made (which
    needs the dataset's class count first)."""
    if cfg.network:
        try:
            nf = netfile.load(cfg.network)
        except netfile.OtherKindOfFile as e:
            if not e.kind.startswith("a picture"):
                raise
            raise UsageError(f"{cfg.network} is a picture; the trainer takes a network file "
                             f"(.npz) to train further. To have a network read a picture, "
                             f"give it to number_identifier_mnist.py") from None
        sizes = nf.net.sizes
        accuracy = ("not tested" if math.isnan(nf.test_accuracy)
                    else f"test accuracy {100 * nf.test_accuracy:.2f}%")
        doing = "testing" if cfg.evaluate else "continuing"
        say(f"{doing} {cfg.network}: {plural(nf.epochs_trained, 'epoch')} trained, {accuracy}")
        if cfg.hidden != Config().hidden and cfg.hidden != sizes[1:-1]:
            say(f"note: {cfg.network} has layers {sizes}; ignoring --hidden {cfg.hidden}")
        return nf
    if cfg.evaluate:
        raise UsageError("--evaluate needs a network file to test")
    return None


def check_fit(net: Network, dataset: str, n_classes: int) -> None:
    """A network must read 28×28 pixels and have one output per class of the dataset."""
    if net.sizes[0] != N_INPUTS or net.sizes[-1] != n_classes:
        raise UsageError(f"network {net.sizes_text} does not fit {dataset}: it needs "
                         f"{N_INPUTS} inputs and {n_classes} outputs")


def plural(n: int, word: str) -> str:
    """'1 epoch', '2 epochs'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def run_settings(cfg: Config, net: Network) -> dict:
    """What the network file and the log keep of this run, named as the flags are: the
    network's own shape (a network trained further keeps its layers, whatever --hidden said)
    and how it was trained."""
    keep = ("epochs", "batch_size", "lr", "schedule", "momentum", "weight_decay", "dropout",
            "threads")
    spec = cfg.augment  # as --augment spells it, with the strengths it was given
    strengths = {flag: getattr(cfg, flag) for flag in STRENGTH_FLAGS
                 if getattr(cfg, flag) is not None}
    return {"hidden": net.sizes[1:-1], "activation": net.hidden, "output": net.output,
            **{k: getattr(cfg, k) for k in keep}, "augment": str(spec) if spec else 0,
            **strengths}


def fresh_seed() -> int:
    """A seed for a run not given one: drawn from the system's entropy, 63 bits (the network
    file stores it as int64), and kept like a given one so that the run can be repeated."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))


def main(argv=None) -> int:
    cfg = parse_args(argv)
    made: list = []  # folders and files this run created, taken away again if it fails
    try:
        return _main(cfg, made)
    except BaseException:
        remove_empty(made)
        raise


def remove_empty(made: list) -> None:
    """Take away what a failed run created and left empty: the reserved log, new folders."""
    for path in reversed(made):
        try:
            if path.is_dir():
                path.rmdir()  # only when empty
            elif path.stat().st_size == 0:
                path.unlink()
        except OSError:
            pass


def _main(cfg: Config, made: list) -> int:
    if cfg.download_only:
        folder = datasets.ensure(cfg.dataset or "mnist", cfg.data_dir, True, say)
        say(f"{cfg.dataset or 'mnist'} is ready in {folder}")
        return 0
    if cfg.seed is None:
        cfg.seed = fresh_seed()
    rng = np.random.default_rng(cfg.seed)
    nf = prepare_network(cfg)
    figure = report_path(cfg) if cfg.evaluate else None
    name = cfg.dataset or (nf.dataset if nf else None)
    if nf is not None and name in datasets.CATALOGUE and cfg.data_dir is None:
        # the catalogue knows the shape of its datasets: refuse before a download starts
        check_fit(nf.net, name, datasets.CATALOGUE[name].n_classes)
    data = datasets.load(name, cfg.data_dir, not cfg.no_download, say)
    name = data.name
    if nf is None:
        sizes = [N_INPUTS, *cfg.hidden, data.n_classes]
        count = netfile.parameter_count(sizes)
        if count > netfile.MAX_PARAMETERS:
            raise UsageError(f"--hidden {' '.join(map(str, cfg.hidden))}: a "
                             f"{sizes_text(sizes)} network has {count:,} weights and "
                             f"biases; at most {netfile.MAX_PARAMETERS:,} are allowed")
        net = Network.create(sizes, rng, cfg.activation, cfg.output)
        nf = netfile.NetFile(net, dataset=name, classes=data.classes,
                             preparation=cfg.preparation or default_preparation(name))
    if cfg.preparation and nf.preparation != cfg.preparation:
        say(f"note: drawings will be prepared {cfg.preparation}-style for this network "
            f"(it was {nf.preparation}-style)")
        nf.preparation = cfg.preparation
    nf.seed, nf.settings = cfg.seed, run_settings(cfg, nf.net)
    if len(data.test_labels) == 0 or (len(data.train_labels) == 0 and not cfg.evaluate):
        which = "test" if len(data.test_labels) == 0 else "training"
        raise UsageError(f"the {name} {which} files hold no images; nothing to "
                         f"{'test' if which == 'test' else 'train'} on")
    net = nf.net
    check_fit(net, name, data.n_classes)
    about = (f"network {net.sizes_text} ({net.hidden} hidden, {net.output} output, "
             f"{net.cost_name} cost), {name}: {len(data.train_labels)} training and "
             f"{len(data.test_labels)} test images")

    if cfg.evaluate:
        say(about)
        result = evaluate(net, data.test_images, data.test_labels, data.n_classes)
        for line in [*report.confusion_text(result, data.classes, report.terminal_width()), "",
                     *report.mistakes_text(result, data.classes)]:
            say(line)
        if figure is not None:
            write_report(figure, result, data, nf, cfg.overwrite)
        say(result.line())
        return 0

    netfile.check(nf)  # a network its file would refuse is refused before training, not after
    run = f"{name}-{net.sizes_text}-{time.strftime('%Y%m%d-%H%M%S')}"
    save_path, log_path, record = output_paths(cfg, run, made)
    say(about)  # after the checks: a refused run says only why
    figure = Path(cfg.report) if cfg.report else None
    nf.optimizer = SGD(cfg.momentum, cfg.weight_decay,
                       nf.optimizer.vW if nf.optimizer else [],
                       nf.optimizer.vb if nf.optimizer else [])
    saver = Saver(cfg.overwrite)
    manual_path = save_path or unique_path(NETWORKS_DIR / f"{run}.npz")  # S with --no-save
    steering = Steering()  # the window's hand on the learning rate
    window = open_window(cfg, nf, data, name, lambda: save_now(nf, saver, manual_path),
                         steering)
    try:
        with threadpool_limits(cfg.threads, user_api="blas"):  # None: tune_threads decides
            result = run_training(cfg, nf, data, rng, window, save_path, log_path, saver,
                                  steering)
        write_recording(window, record)
        if figure is not None:
            try:
                write_report(figure, result, data, nf, cfg.overwrite)
            except UsageError as e:  # the network is saved: the picture alone is lost
                say(f"note: {e}")
        say(result.line())  # saved and said at once: nothing waits on the window below
        if window is not None and window.visible and window.finished and not cfg.close_when_done:
            # the finished curves stay on screen until the window is closed; Ctrl+C or a
            # signal closes it like Esc does (the network is saved already)
            with StopRequest(on_request=window.request_stop):
                fail_quietly("note: the window shows the finished run until you close it "
                             "(Esc)")  # on stderr: the accuracy line stays the last on stdout
                window.hold()
    finally:
        write_recording(window, record)
        if window is not None:
            window.close()
    return 0


def write_to_log(log, event) -> None:
    """An epoch's row, or a learning-rate change by hand, into the log when there is one."""
    if log is None:
        return
    if isinstance(event, EpochDone):
        log.write(event)
    elif isinstance(event, RateChanged):
        log.note(event)


def output_paths(cfg: Config, run: str, made: list | None = None):
    """Where the network, its log and the recording go: checked before any training, so that
    no run ends unable to save, or replaces a file it was not told to, or one of its inputs.
    The log goes next to the network it belongs to, under the same name (.csv); a run that
    keeps no network keeps no log unless --log names one."""
    save_path = None
    if cfg.save:
        save_path = Path(cfg.save)
        check_writable(save_path, cfg.overwrite, made=made, suffix=".npz")
    elif not cfg.no_save:
        save_path = unique_path(NETWORKS_DIR / f"{run}.npz")
        check_writable(save_path, False, made=made)
    log_path = None
    if cfg.log:
        log_path = Path(cfg.log)
        check_writable(log_path, cfg.overwrite, "--log", made)
    elif save_path is not None and not cfg.no_log:
        log_path = save_path.with_suffix(".csv")
        if log_path.exists() and not (cfg.overwrite and cfg.save):
            log_path = unique_path(log_path)
        check_writable(log_path, True, "--log", made)
    record = Path(cfg.record) if cfg.record else None
    if record is not None:
        check_writable(record, cfg.overwrite, "--record", made)
    figure = Path(cfg.report) if cfg.report else None
    if figure is not None:
        check_writable(figure, cfg.overwrite, "--report", made)
    named = [(f, p.resolve()) for f, p in (("--save", save_path), ("--log", log_path),
                                           ("--record", record), ("--report", figure))
             if p is not None]
    if cfg.network:
        named.append(("the network being trained", Path(cfg.network).resolve()))
    for i, (flag, path) in enumerate(named):
        for other, other_path in named[i + 1:]:
            # --save over the network being trained, with --overwrite, is saving it in place
            if path == other_path and (flag, other) != ("--save", "the network being trained"):
                raise UsageError(f"{flag} and {other} both name {path}; one would be lost")
    if log_path is not None and not cfg.log:
        # checks passed: take the name now, so that two runs started in the same second
        # cannot both pick it; an automatic network is named after its log
        log_path = unique_path(log_path, reserve=True)
        if made is not None:
            made.append(log_path)
        if not cfg.save:
            save_path = unique_path(NETWORKS_DIR / f"{log_path.stem}.npz")
    return save_path, log_path, record


def report_path(cfg: Config) -> Path | None:
    """--evaluate's --report picture, checked before the network is tested."""
    if not cfg.report:
        return None
    figure = Path(cfg.report)
    check_writable(figure, cfg.overwrite, "--report")
    if figure.resolve() == Path(cfg.network).resolve():
        raise UsageError(f"--report and the network being tested both name {figure}")
    return figure


def write_report(path: Path, result, data, nf: netfile.NetFile, overwrite: bool) -> None:
    """The --report picture of where the network errs."""
    from basicnet import plots

    fig = plots.report_figure(result, data.test_images, data.classes,
                              title=f"Where {nf.net.sizes_text} errs on {data.name}: "
                                    f"{100 * result.accuracy:.2f}% of {result.total:,} test "
                                    f"images right")
    plots.save(fig, os.fspath(path), overwrite, flag="--report")
    say(f"report: {path}")


def log_settings(cfg: Config, nf: netfile.NetFile, name: str) -> dict:
    """What the log keeps of the run: its settings with the seed and data, enough to repeat it
    (with the same thread count: see docs/live-window.md)."""
    return {**run_settings(cfg, nf.net), "seed": cfg.seed, "dataset": name,
            "network": cfg.network}


def run_training(cfg: Config, nf: netfile.NetFile, data, rng, window, save_path, log_path,
                 saver: Saver | None = None, steering: Steering | None = None):
    """Train, log every epoch, save the network; the test result of the network as saved.

    Ctrl+C, SIGTERM and SIGHUP (and closing the window) stop training after the current batch;
    the network is then tested and saved as at the end of a run. A second signal changes
    nothing: the save, once begun, ends."""
    saver = saver or Saver(cfg.overwrite)
    net = nf.net
    events = train(net, data, cfg, rng, nf.optimizer, nf.epochs_trained, nf.samples_seen,
                   steering)
    if cfg.threads is None:
        events = tune_threads(events)
    if window is not None:
        events = window.watch(events)
    last = event = None
    samples_before = nf.samples_seen
    # the window's pause loop ends when a signal asks to stop, as when the window is closed
    stop = StopRequest(on_request=window.request_stop if window else None)
    with stop:
        log = open_log(log_path, log_settings(cfg, nf, data.name)) if log_path is not None else None
        bars = progress(events, cfg.epochs, nf.epochs_trained)
        log_failed = None
        try:
            for event in bars:
                if isinstance(event, EpochDone):
                    last = event
                    nf.epochs_trained, nf.samples_seen = event.epochs_trained, event.samples_seen
                    nf.test_accuracy = event.test.accuracy
                elif not isinstance(event, RateChanged):
                    nf.samples_seen = event.samples_seen  # for S (save now) mid-epoch
                try:
                    write_to_log(log, event)
                except OSError as e:  # a full disk: keep the network, stop here
                    log_failed = e
                    break
                if stop.requested:
                    break
        except Diverged as e:
            # the weights are those from before the failing epoch; so must the count be
            nf.samples_seen = last.samples_seen if last else samples_before
            finish(nf, saver, save_path)
            raise UsageError(str(e)) from None
        finally:
            bars.close()
            log_closed = close_log(log) if log is not None else None
        log_failed = log_failed or log_closed
        if stop.requested:
            say(f"\n{stop.words()}: stopped after the current batch")
        elif window is not None and window.stopped:
            say("window closed: stopped after the current batch")
        if log_failed is None and log_path is not None:
            say(f"log: {log_path}")
        # the last epoch's figures hold only when training ended on an epoch's end
        result = last.test if last is not None and event is last else \
            evaluate(net, data.test_images, data.test_labels, data.n_classes)
        nf.test_accuracy = result.accuracy
        if log_failed is not None:
            why = log_failed.strerror or log_failed
            try:
                saved = finish(nf, saver, save_path)
            except UsageError as e:
                raise UsageError(f"could not write the log {log_path} ({why}); {e}") from None
            where = f"saved the network to {saved}" if saved else "the network was not saved"
            raise UsageError(f"could not write the log {log_path} ({why}); stopped training "
                             f"and {where}")
        finish(nf, saver, save_path)
    return result


def open_log(path: Path, settings: dict | None = None) -> CsvLog:
    """The run's CSV log, or a one-line error naming it (nothing left behind)."""
    try:
        return CsvLog(path, settings)
    except OSError as e:
        raise UsageError(f"could not write the log {path}: {e.strerror or e}") from None


def close_log(log: CsvLog) -> OSError | None:
    """Close the log; the error when its last lines could not be written."""
    try:
        log.close()
    except OSError as e:
        return e
    return None


def write_recording(window, record: Path | None) -> None:
    """Write the --record GIF, once: after the network is saved, so that a recording that
    cannot be written costs only the recording."""
    if window is None or window.recorder is None:
        return
    try:
        gif = window.write_recording()
    except OSError as e:
        say(f"note: could not write the recording {record}: {e.strerror or e}")
        return
    if gif is not None:
        say(f"recording: {gif}")


def open_window(cfg: Config, nf: netfile.NetFile, data, name: str, on_save,
                steering: Steering | None = None):
    """The live window, an off-screen one when only --record asks for pictures, or None.
    Without a display the trainer says so in one line and goes on headless."""
    if cfg.headless and not cfg.record:
        return None
    from basicnet.trainer.window import NoDisplay, TrainerWindow

    spec = cfg.augment.for_dataset(name) if cfg.augment else None
    shown = dict(distort=lambda images, rng: augment.distort(images, rng, spec),
                 distortion=str(spec)) if spec else {}
    args = dict(title=name, draw_l1=not cfg.no_draw_l1, record=cfg.record, on_save=on_save,
                overwrite=cfg.overwrite, steering=steering, **shown,
                epochs=cfg.epochs, epochs_before=nf.epochs_trained,
                rng=np.random.default_rng(cfg.seed))  # its own: training's stays untouched
    if not cfg.headless:
        try:
            return TrainerWindow(nf.net, data, visible=True, **args)
        except NoDisplay as e:
            say(f"note: no display ({e}); training without a window")
    return TrainerWindow(nf.net, data, visible=False, **args) if cfg.record else None


class Saver:
    """Saves the run's network without ever replacing a file it was not allowed to: with
    --overwrite, or over a file this run saved itself, the save replaces; a file that appeared
    at the path since the run began is left alone and the network goes to the next free name."""

    def __init__(self, overwrite: bool = False):
        self.overwrite = overwrite
        self.ours: set[Path] = set()

    def save(self, nf: netfile.NetFile, path: Path) -> Path:
        target = Path(path)
        while True:
            try:
                netfile.save(target, nf, overwrite=self.overwrite or target in self.ours)
                break
            except FileExistsError:  # it appeared during training
                target = unique_path(Path(path))
        self.ours.add(target)
        if target != Path(path):
            say(f"note: {path} appeared during training; saved the network to {target} "
                f"instead")
        return target


def save_now(nf: netfile.NetFile, saver: Saver, path: Path) -> str:
    """The window's S key: save the network as it is, mid-epoch if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        saved = saver.save(nf, path)
    except netfile.NetFileError as e:
        return f"could not save: {e}"
    say(f"saved: {saved}")
    return f"saved {saved}"


def finish(nf: netfile.NetFile, saver: Saver, save_path: Path | None) -> Path | None:
    """Save the network at the end of the run; where it went (None with --no-save)."""
    if save_path is None:
        return None
    try:
        saved = saver.save(nf, save_path)
    except OSError as e:  # e.g. the disk filled up during training
        raise UsageError(f"could not save the network to {save_path}: "
                         f"{e.strerror or e}") from None
    except netfile.NetFileError as e:
        raise UsageError(f"could not save the network: {e}") from None
    say(f"saved: {saved}")
    return saved


def epoch_name(age: int, epoch: int, epochs: int) -> str:
    """'epoch 3/7' for a new network; 'epoch 8 (1 of 2)' for one trained further, whose log
    counts epochs over its whole life."""
    return f"epoch {epoch}/{epochs}" if age == epoch else f"epoch {age} ({epoch} of {epochs})"


def progress(events, epochs: int, before: int | None = None):
    """Print one line per epoch, with a progress bar within the epoch when on a terminal.
    `before`: the epochs the network had been trained before this run."""
    from tqdm import tqdm

    bar = None
    for event in events:
        if isinstance(event, EpochDone):
            if bar is not None:
                bar.close()
                bar = None
            e = event
            say(f"{epoch_name(e.epochs_trained, e.epoch, epochs)}  train cost {e.train_cost:.4f}  "
                f"test cost {e.test.cost:.4f}  test accuracy {100 * e.test.accuracy:.2f}%  "
                f"{e.seconds:.2f} s  {e.samples_per_s:,.0f} samples/s")
        elif isinstance(event, BatchDone):
            if bar is None:  # on stderr, whose troubles must not stop training
                age = event.epoch + (before if before is not None else 0)
                bar = tqdm(total=event.n_batches, desc=epoch_name(age, event.epoch, epochs),
                           unit="batch", leave=False, disable=None, mininterval=0.2,
                           file=ProgressStream())
            bar.update(1)
        try:
            yield event
        except GeneratorExit:  # training stopped early: the bar goes
            if bar is not None:
                bar.close()
            raise
    if bar is not None:
        bar.close()


def cli() -> int:
    def guarded():
        try:
            # Divergence is detected from NaN/inf costs and weights and reported in one line;
            # numpy's overflow warnings on the way there would only bury that line.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return main()
        except OSError as e:  # a file that cannot be read: no permission, a device error
            if isinstance(e, BrokenPipeError):
                raise
            where = f"{e.filename}: " if e.filename else ""
            raise UsageError(f"{where}{e.strerror or e}") from None

    return run(guarded, (datasets.DatasetError, netfile.NetFileError))


if __name__ == "__main__":
    sys.exit(cli())
