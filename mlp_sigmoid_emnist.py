#!/usr/bin/env python3
"""Train and test a sigmoid multilayer perceptron on MNIST or EMNIST.

A window shows the network learning (its first-layer weights as pictures, the network on a
test image, cost and accuracy curves) without slowing it down; --headless for none.
Drop a saved network (.npz) on this script, or pass its path, to continue training it.
Every run writes a CSV log to logs/ and, unless --no-save, saves the network to networks/
(or --save PATH) at the end and on Ctrl+C. An existing file is never overwritten unless you
say --overwrite. The last line of a successful run reads 'test accuracy: 98.12% (9812/10000)'.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from basicnet import augment, datasets, netfile
from basicnet.cli import ArgumentParser, UsageError, run, say
from basicnet.network import HIDDEN_ACTIVATIONS, OUTPUTS, SCHEDULES, SGD, Network
from basicnet.runlog import CsvLog
from basicnet.threads import tune_threads
from basicnet.training import Diverged, EpochDone, Hyper, evaluate, train

ROOT = Path(__file__).resolve().parent
NETWORKS_DIR = ROOT / "networks"
LOGS_DIR = ROOT / "logs"


@dataclass
class Config(Hyper):
    """The command line, one field per flag; how to train (and its defaults) comes from Hyper."""

    network: str | None = None
    dataset: str | None = None  # None: the network's dataset, else mnist
    data_dir: str | None = None
    hidden: list[int] = field(default_factory=lambda: [200])
    activation: str = "sigmoid"
    output: str = "softmax"
    seed: int | None = None
    threads: int | None = None  # None: threads.tune_threads decides, batch by batch
    headless: bool = False
    no_draw_l1: bool = False
    record: str | None = None
    evaluate: bool = False
    save: str | None = None
    no_save: bool = False
    overwrite: bool = False
    log: str | None = None
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
    p.add_argument("--augment", nargs="?", const=best, metavar="KINDS",
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
    p.add_argument("--seed", type=int, help="random seed (default: a fresh one)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="BLAS threads for the matrix products (default: chosen while "
                        "training, by timing batches with 1, 2, 4, ... up to one per core)")
    p.add_argument("--headless", action="store_true",
                   help="no window (without a display the trainer runs headless anyway)")
    p.add_argument("--no-draw-l1", action="store_true",
                   help="leave out the first layer's weight tiles (the window draws faster)")
    p.add_argument("--record", metavar="FILE.gif",
                   help="write the window's evolution to an animated GIF (also headless)")
    p.add_argument("--evaluate", action="store_true",
                   help="only test the given network: no training, no save")
    p.add_argument("--save", metavar="PATH", help="where to save (default: networks/<run>.npz)")
    p.add_argument("--no-save", action="store_true", help="do not save the network")
    p.add_argument("--overwrite", action="store_true", help="allow --save to replace a file")
    p.add_argument("--log", metavar="PATH", help="CSV log path (default: logs/<run>.csv)")
    a = p.parse_args(argv)
    cfg = Config(**{k: v for k, v in vars(a).items()})
    for name in ("epochs", "batch_size"):
        if getattr(cfg, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if cfg.threads is not None and cfg.threads < 1:
        p.error("--threads must be at least 1")
    if any(h < 1 for h in cfg.hidden):
        p.error("--hidden sizes must be at least 1")
    if not cfg.lr > 0 or not math.isfinite(cfg.lr):
        p.error("--lr must be a positive number")
    if not 0 <= cfg.momentum < 1:
        p.error("--momentum must be at least 0 and less than 1")
    if not 0 <= cfg.weight_decay < math.inf:
        p.error("--weight-decay must be a number of at least 0")
    cfg.augment = _augment_spec(cfg, p)
    if not 0 <= cfg.dropout < 1:
        p.error("--dropout must be at least 0 and less than 1")
    for flag, path in (("--save", cfg.save), ("--log", cfg.log), ("--record", cfg.record)):
        if path and path.endswith(("/", os.sep)):
            p.error(f"{flag} {path} names a folder; give a file path")
    if cfg.save and cfg.no_save:
        p.error("--save and --no-save contradict each other")
    if cfg.no_download and cfg.download_only:
        p.error("--no-download and --download-only contradict each other")
    if cfg.record and not cfg.record.lower().endswith(".gif"):
        p.error("--record needs a file name ending in .gif")
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


def check_writable(path: Path, overwrite: bool, flag: str = "--save") -> None:
    """Refuse, before any training, a path that would be overwritten or cannot be written."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder; {flag} needs a file path")
    if path.exists() and not overwrite:
        raise UsageError(f"{path} exists; choose another {flag} path or add --overwrite")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


def prepare_network(cfg: Config) -> netfile.NetFile | None:
    """The network given on the command line, or None when a new one is to be made (which
    needs the dataset's class count first)."""
    if cfg.network:
        nf = netfile.load(cfg.network)
        sizes = nf.net.sizes
        accuracy = ("never tested" if math.isnan(nf.test_accuracy)
                    else f"test accuracy {100 * nf.test_accuracy:.2f}%")
        say(f"continuing {cfg.network}: {nf.epochs_trained} epochs trained, {accuracy}")
        if cfg.hidden != Config().hidden and cfg.hidden != sizes[1:-1]:
            say(f"note: {cfg.network} has layers {sizes}; ignoring --hidden {cfg.hidden}")
        return nf
    if cfg.evaluate:
        raise UsageError("--evaluate needs a network file to test")
    return None


def main(argv=None) -> int:
    cfg = parse_args(argv)
    if cfg.download_only:
        folder = datasets.ensure(cfg.dataset or "mnist", cfg.data_dir, True, say)
        say(f"{cfg.dataset or 'mnist'} is ready in {folder}")
        return 0
    rng = np.random.default_rng(cfg.seed)
    nf = prepare_network(cfg)
    name = cfg.dataset or (nf.dataset if nf else None)
    data = datasets.load(name, cfg.data_dir, not cfg.no_download, say)
    name = data.name
    if nf is None:
        net = Network.create([datasets.N_INPUTS, *cfg.hidden, data.n_classes], rng,
                             cfg.activation, cfg.output)
        nf = netfile.NetFile(net, dataset=name, classes=data.classes)
    if len(data.test_labels) == 0 or (len(data.train_labels) == 0 and not cfg.evaluate):
        which = "test" if len(data.test_labels) == 0 else "training"
        raise UsageError(f"the {name} {which} files hold no images; nothing to "
                         f"{'test' if which == 'test' else 'train'} on")
    net = nf.net
    if net.sizes[0] != datasets.N_INPUTS or net.sizes[-1] != data.n_classes:
        raise UsageError(f"network {net.sizes} does not fit {name}: it needs "
                         f"{datasets.N_INPUTS} inputs and {data.n_classes} outputs")
    say(f"network {'-'.join(map(str, net.sizes))} ({net.hidden} hidden, {net.output} output, "
        f"{net.cost_name} cost), {name}: {len(data.train_labels)} training and "
        f"{len(data.test_labels)} test images")

    if cfg.evaluate:
        say(evaluate(net, data.test_images, data.test_labels, data.n_classes).line())
        return 0

    run = f"{name}-{'-'.join(map(str, net.sizes))}-{time.strftime('%Y%m%d-%H%M%S')}"
    save_path, log_path, record = output_paths(cfg, run)
    nf.optimizer = SGD(cfg.momentum, cfg.weight_decay,
                       nf.optimizer.vW if nf.optimizer else [],
                       nf.optimizer.vb if nf.optimizer else [])
    manual_path = save_path or unique_path(NETWORKS_DIR / f"{run}.npz")  # S with --no-save
    window = open_window(cfg, nf, data, name, lambda: save_now(nf, manual_path))
    try:
        with threadpool_limits(cfg.threads, user_api="blas"):  # None: tune_threads decides
            result = run_training(cfg, nf, data, rng, window, save_path, log_path)
    finally:
        close_window(window, record)
    say(result.line())
    return 0


def output_paths(cfg: Config, run: str):
    """Where the network, the log and the recording go: checked before any training, so that
    no run ends unable to save, or replaces a file it was not told to, or one of its inputs."""
    save_path = None
    if cfg.save:
        save_path = Path(cfg.save)
        check_writable(save_path, cfg.overwrite)
    elif not cfg.no_save:
        save_path = unique_path(NETWORKS_DIR / f"{run}.npz")
        check_writable(save_path, False)
    log_path = Path(cfg.log) if cfg.log else unique_path(LOGS_DIR / f"{run}.csv")
    check_writable(log_path, cfg.overwrite, "--log")
    record = Path(cfg.record) if cfg.record else None
    if record is not None:
        check_writable(record, cfg.overwrite, "--record")
    named = [(f, p.resolve()) for f, p in (("--save", save_path), ("--log", log_path),
                                           ("--record", record)) if p is not None]
    if cfg.network:
        named.append(("the network being trained", Path(cfg.network).resolve()))
    for i, (flag, path) in enumerate(named):
        for other, other_path in named[i + 1:]:
            # --save over the network being trained, with --overwrite, is saving it in place
            if path == other_path and (flag, other) != ("--save", "the network being trained"):
                raise UsageError(f"{flag} and {other} both name {path}; one would be lost")
    if not cfg.log:  # checks passed: take the run's name, and name its network after it
        log_path = unique_path(log_path, reserve=True)
        if save_path is not None and not cfg.save:
            save_path = unique_path(NETWORKS_DIR / f"{log_path.stem}.npz")
    return save_path, log_path, record


def run_training(cfg: Config, nf: netfile.NetFile, data, rng, window, save_path, log_path):
    """Train, log every epoch, save the network; the test result of the network as saved."""
    net = nf.net
    events = train(net, data, cfg, rng, nf.optimizer, nf.epochs_trained, nf.samples_seen)
    if cfg.threads is None:
        events = tune_threads(events)
    if window is not None:
        events = window.watch(events)
    last = event = None
    samples_before = nf.samples_seen
    log = CsvLog(log_path)
    try:
        for event in progress(events, cfg.epochs):
            if isinstance(event, EpochDone):
                last = event
                nf.epochs_trained, nf.samples_seen = event.epochs_trained, event.samples_seen
                nf.test_accuracy = event.test.accuracy
                log.write(event)
            else:
                nf.samples_seen = event.samples_seen  # for S (save now) mid-epoch
    except KeyboardInterrupt:
        say("\ninterrupted")
        # save before testing: a second Ctrl+C during the test must not lose the network
        finish(nf, save_path, quiet=True)
    except Diverged as e:
        # the weights are those from before the failing epoch; so must the count be
        nf.samples_seen = last.samples_seen if last else samples_before
        finish(nf, save_path)
        raise UsageError(str(e)) from None
    finally:
        log.close()
    if window is not None and window.stopped:
        say("window closed: stopped after the current batch")
    say(f"log: {log_path}")
    # the last epoch's figures hold only when training ended on an epoch's end
    result = last.test if last is not None and event is last else \
        evaluate(net, data.test_images, data.test_labels, data.n_classes)
    nf.test_accuracy = result.accuracy
    finish(nf, save_path)
    return result


def close_window(window, record: Path | None) -> None:
    """Close the window and write the recording: after the network is saved, so that a
    recording that cannot be written costs only the recording."""
    if window is None:
        return
    try:
        gif = window.close()
    except OSError as e:
        say(f"note: could not write the recording {record}: {e.strerror or e}")
        return
    if gif is not None:
        say(f"recording: {gif}")


def open_window(cfg: Config, nf: netfile.NetFile, data, name: str, on_save):
    """The live window, an off-screen one when only --record asks for pictures, or None.
    Without a display the trainer says so in one line and goes on headless."""
    if cfg.headless and not cfg.record:
        return None
    from basicnet.trainer_window import NoDisplay, TrainerWindow

    args = dict(title=name, draw_l1=not cfg.no_draw_l1, record=cfg.record, on_save=on_save,
                epochs=cfg.epochs, epochs_before=nf.epochs_trained,
                rng=np.random.default_rng(cfg.seed))  # its own: training's stays untouched
    if not cfg.headless:
        try:
            return TrainerWindow(nf.net, data, visible=True, **args)
        except NoDisplay as e:
            say(f"note: no display ({e}); training without a window")
    return TrainerWindow(nf.net, data, visible=False, **args) if cfg.record else None


def save_now(nf: netfile.NetFile, path: Path) -> str:
    """The window's S key: save the network as it is, mid-epoch if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    netfile.save(path, nf)
    say(f"saved: {path}")
    return f"saved {path}"


def finish(nf: netfile.NetFile, save_path: Path | None, quiet: bool = False) -> None:
    if save_path is None:
        return
    try:
        netfile.save(save_path, nf)
    except OSError as e:  # e.g. the disk filled up during training
        raise UsageError(f"could not save the network to {save_path}: "
                         f"{e.strerror or e}") from None
    if not quiet:
        say(f"saved: {save_path}")


def progress(events, epochs: int):
    """Print one line per epoch, with a progress bar within the epoch when on a terminal."""
    from tqdm import tqdm

    bar = None
    for event in events:
        if isinstance(event, EpochDone):
            if bar is not None:
                bar.close()
                bar = None
            e = event
            say(f"epoch {e.epoch}/{epochs}  train cost {e.train_cost:.4f}  "
                f"test cost {e.test.cost:.4f}  test accuracy {100 * e.test.accuracy:.2f}%  "
                f"{e.seconds:.2f} s  {e.samples_per_s:,.0f} samples/s")
        else:
            if bar is None:
                bar = tqdm(total=event.n_batches, desc=f"epoch {event.epoch}/{epochs}",
                           unit="batch", leave=False, disable=None, mininterval=0.2)
            bar.update(1)
        yield event
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
