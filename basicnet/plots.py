"""Matplotlib figures for the three plotting scripts, and the command line they share.

The builders (`histogram_figure`, `accuracy_figure`, `cost_figure`) return a
`matplotlib.figure.Figure` and never touch pyplot, so they run headless, in tests and behind
`--out`; only `new_figure(interactive=True)` and `show()` import pyplot, and only when a person
asked for a window. Nothing here opens a window at import time.

Every curve is drawn from the numbers as they are in the file (accuracy stays a fraction; the
axis formats it as percent), so a test can read the figure back and compare.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
import warnings
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter, MaxNLocator, PercentFormatter

from . import runlog
from .cli import ArgumentParser, UsageError, fail, say
from .files import atomic_write, check_output
from .network import OUTPUT_LAYERS, init_std, sizes_text

STYLE = {
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.35, "grid.linewidth": 0.6,
    "axes.titlesize": 11, "axes.titleweight": "bold", "axes.labelsize": 10,
    "figure.titlesize": 13, "figure.titleweight": "bold",
    "legend.fontsize": 9, "legend.framealpha": 0.9, "legend.edgecolor": "0.85",
    "xtick.labelsize": 9, "ytick.labelsize": 9, "savefig.dpi": 110,
}
INIT_STYLE = {"color": "0.15", "linestyle": (0, (4, 3)), "linewidth": 1.3}
VIEW_TAIL = 0.0025          # the share of values a histogram's view may leave out on each side
MARKERS_UP_TO = 60          # points per line; beyond that markers only clutter
RUG_UP_TO = 200             # values in a panel up to which each gets its own tick
COST_KINDS = {"train_cost": "train: mean over the epoch's batches, while learning",
              "test_cost": "test: after the epoch"}
X_LABELS = {"epochs": "epoch", "samples": "training samples seen",
            "seconds": "training time (s, evaluation excluded)"}


def colours(n: int) -> list:
    """n distinct colours: tab10 while it lasts (easy on the eye, colour-blind friendlier than
    a rainbow), then evenly spaced hues."""
    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    return [colormaps["hsv"](i / n) for i in range(n)]


def new_figure(interactive: bool = False) -> Figure:
    """A pyplot-managed figure for a window, else a plain Figure that needs no display."""
    if interactive:
        import matplotlib.pyplot as plt
        return plt.figure()
    return Figure()


def _sized(fig: Figure | None, width: float, height: float) -> Figure:
    """`fig` (or a new Figure) at width x height inches, laid out so nothing overlaps."""
    fig = fig or Figure()
    fig.set_size_inches(width, height)
    fig.set_layout_engine("constrained")
    return fig


# --- weight and bias histograms ------------------------------------------------------------

def _normal_pdf(x, std):
    return np.exp(-0.5 * (x / std) ** 2) / (std * math.sqrt(2 * math.pi))


def histogram_edges(arrays, symmetric: bool) -> tuple[np.ndarray, tuple[float, float]]:
    """Shared bin edges for several networks' values, and the x range worth looking at.

    The edges span every value (so counts are complete), but the bin width is set by the
    central 99.5 % so a few far-flung weights do not squash the bulk into three bins. The view
    is that central range (symmetric about 0 for weights, whose start is symmetric)."""
    values = np.concatenate([a.ravel() for a in arrays])
    lo, hi = float(values.min()), float(values.max())
    q_lo, q_hi = (float(q) for q in np.quantile(values, [VIEW_TAIL, 1 - VIEW_TAIL]))
    if symmetric:
        m = max(abs(q_lo), abs(q_hi))
        q_lo, q_hi = -m, m
    if q_hi - q_lo <= 0:        # e.g. the biases of an untrained network: all zero
        q_lo, q_hi = lo - 0.5, hi + 0.5
    n_view = int(np.clip(2 * len(values) ** (1 / 3), 10, 150))   # Rice's rule
    width = (q_hi - q_lo) / n_view
    n_bins = min(int(math.ceil((hi - lo) / width)) if hi > lo else 1, 5000)
    if hi > lo:
        edges = np.linspace(lo, hi, n_bins + 1)
    else:                       # one value: one bin centred on it
        edges = np.array([lo - width / 2, lo + width / 2])
    pad = 0.06 * (q_hi - q_lo)
    return edges, (q_lo - pad, q_hi + pad)


@dataclass
class Named:
    """A network file as the histogram needs it: a legend label and its NetFile."""

    label: str
    nf: object  # netfile.NetFile
    name: str = ""  # the file name alone, for the dashed curve's entry when curves differ


def net_label(path, nf) -> str:
    """'sigmoid-100.npz: mnist, 97.62% test' — which file, what it learnt, how well."""
    acc = nf.test_accuracy
    tested = "not tested" if math.isnan(acc) else f"{100 * acc:.2f}% test"
    return f"{os.path.basename(os.fspath(path))}: {nf.dataset}, {tested}"


def histogram_figure(nets: list[Named], weights: bool = True, biases: bool = True,
                     per_layer: bool = False, log: bool = False, fig: Figure | None = None
                     ) -> Figure:
    """Histograms (as densities, so networks of different sizes compare) of the weights and/or
    biases, all layers pooled or one row per layer, each network in its own colour, with the
    distribution the weights started from drawn dashed: N(0, 1/n_in) per layer, and for pooled
    layers the mixture of those normals weighted by each layer's share of the weights."""
    if not (weights or biases):
        raise ValueError("nothing to plot: weights and biases both switched off")
    kinds = [k for k, on in (("weights", weights), ("biases", biases)) if on]
    n_rows = max(len(n.nf.net.W) for n in nets) if per_layer else 1
    fig = _sized(fig, 6.2 * len(kinds) + 0.4, 3.0 * n_rows + 1.3 if per_layer else 4.8)
    palette = colours(len(nets))
    with rc_context(STYLE):
        axes = fig.subplots(n_rows, len(kinds), squeeze=False)
        for row in range(n_rows):
            layers = [row] if per_layer else None
            for col, kind in enumerate(kinds):
                _histogram_panel(axes[row][col], nets, palette, kind, layers, log)
        what = " and ".join(kinds)
        fig.suptitle(f"Distribution of the {what}"
                     + (", layer by layer" if per_layer else ", all layers pooled"))
        pairs = [(h, l) for h, l in zip(*axes[0][0].get_legend_handles_labels())
                 if not l.startswith("initial")]
        handles, labels = [p[0] for p in pairs], [p[1] for p in pairs]
        fig.legend(handles, labels, loc="outside lower center",
                   ncols=min(len(labels), 2 if len(kinds) == 1 else 3))
    return fig


def _layer_values(nf, kind, layers):
    """The chosen layers' weights or biases of one network (None when it lacks them)."""
    params = nf.net.W if kind == "weights" else nf.net.b
    chosen = range(len(params)) if layers is None else [l for l in layers if l < len(params)]
    if not chosen:
        return None, []
    return np.concatenate([params[l].ravel() for l in chosen]), list(chosen)


def _histogram_panel(ax, nets, palette, kind, layers, log):
    present = [(n, c, *_layer_values(n.nf, kind, layers)) for n, c in zip(nets, palette)]
    present = [p for p in present if p[2] is not None]
    if not present:
        ax.set_visible(False)
        return
    edges, view = histogram_edges([p[2] for p in present], symmetric=kind == "weights")
    outside, lowest, highest = 0, math.inf, 0.0
    for n, colour, values, _ in present:
        density, _ = np.histogram(values, bins=edges, density=True)
        if log:     # empty bins have no logarithm: leave gaps, and no fill down to -infinity
            density = np.where(density > 0, density, np.nan)
            lowest = min(lowest, float(np.nanmin(density)))
            highest = max(highest, float(np.nanmax(density)))
        else:
            ax.stairs(density, edges, fill=True, color=colour, alpha=0.13, linewidth=0)
        ax.stairs(density, edges, color=colour, linewidth=1.5, label=n.label,
                  gid=f"{kind}:{n.label}", baseline=None if log else 0)
        outside = max(outside, int(np.sum((values < view[0]) | (values > view[1]))))
        if values.size <= RUG_UP_TO:    # a few values: show each one, bins alone mislead
            ax.plot(values, np.full(values.size, 0.015), "|", color=colour, markersize=9,
                    transform=ax.get_xaxis_transform(), gid=f"rug:{kind}:{n.label}")
    sizes = present[0][0].nf.net.sizes
    # networks of different shapes: a row's layer is not the same layer in each, so say which
    same = layers is None or all(p[0].nf.net.sizes[layers[0]:layers[0] + 2]
                                 == sizes[layers[0]:layers[0] + 2] for p in present)
    for i, (n, colour, values, chosen) in enumerate(present):
        said = [] if same else [_layer_shape(n.nf.net, layers[0])]
        if kind == "weights":   # how far each network's spread moved from where it started
            parts = _init_parts(n.nf.net, chosen)
            start = math.sqrt(sum(size * std ** 2 for size, std in parts) / values.size)
            said.append(f"σ {start:.3g} at start, {values.std():.3g} now")
        if said:
            ax.text(0.99, 0.89 - 0.065 * i, ", ".join(said), color=colour,
                    transform=ax.transAxes, ha="right", va="top", fontsize=8.5)
    if kind == "weights":
        _initial_weights(ax, present, view)
    else:
        ax.axvline(0, **INIT_STYLE, label="initial biases: all 0")
    ax.set_xlim(*view)
    if log:
        ax.set_yscale("log")
        peaks = [line.get_ydata().max() for line in ax.get_lines() if line.get_gid() == "init"]
        # the normal's tails would otherwise reach down to 1e-90
        ax.set_ylim(lowest / 3, max([highest, *peaks]) * 3)
    if outside:
        noun = kind if outside > 1 else {"weights": "weight", "biases": "bias"}[kind]
        ax.text(0.99, 0.97, f"{outside:,} {noun} beyond this view", transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color="0.4")
    if layers is None:
        ax.set_title(f"{kind.capitalize()}, all layers")
    else:
        l = layers[0]
        shape = f" ({sizes[l]} → {sizes[l + 1]})" if same else " (of different shapes)"
        ax.set_title(f"Layer {l + 1} {kind}{shape}")
    ax.set_xlabel("bias" if kind == "biases" else "weight")
    ax.set_ylabel("density (log scale)" if log else "density (area = 1)")
    ax.legend(*_init_handles(ax), loc="upper left", fontsize=8)


def _layer_shape(net, l: int) -> str:
    """'400 → 400' for a hidden layer, '200 → 10, output' for the last."""
    return f"{net.sizes[l]} → {net.sizes[l + 1]}" + (", output" if l == len(net.W) - 1 else "")


def _init_parts(net, layers) -> tuple:
    """(number of weights, initial σ) of each chosen layer: what the start was a mixture of."""
    return tuple((net.W[l].size, init_std(net.W[l].shape[0], net.hidden)) for l in layers)


def _initial_weights(ax, present, view):
    """Dashed: the distribution Network.create drew these weights from. Networks with the same
    layer sizes and activation share one curve; different ones get their own colour."""
    x = np.linspace(*view, 600)
    curves = {}
    for n, colour, _, chosen in present:
        parts = _init_parts(n.nf.net, chosen)
        curves.setdefault(parts, []).append((colour, n.name))
    for parts, owners in curves.items():
        total = sum(size for size, _ in parts)
        pdf = sum(size / total * _normal_pdf(x, std) for size, std in parts)
        style = dict(INIT_STYLE) if len(curves) == 1 else {**INIT_STYLE, "color": owners[0][0]}
        if len(curves) > 1:
            name = "initial, " + ", ".join(owner for _, owner in owners)
        elif len(parts) == 1:
            name = f"initial N(0, σ²), σ = {parts[0][1]:.3g}"
        else:
            name = "initial: each layer's N(0, 1/n_in), mixed"
        ax.plot(x, pdf, **style, label=name, gid="init")


def _init_handles(ax):
    """Only the dashed 'initial' entries: the networks are in the figure's own legend."""
    pairs = [(h, l) for h, l in zip(*ax.get_legend_handles_labels()) if l.startswith("initial")]
    return [p[0] for p in pairs], [p[1] for p in pairs]


# --- learning curves -----------------------------------------------------------------------

def _style_x(ax, x: str) -> None:
    ax.set_xlabel(X_LABELS[x])
    if x == "epochs":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    elif x == "samples":
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    else:
        ax.set_xlim(left=0)     # every run's clock starts at 0


# How a run's settings read in a legend, in this order: what people compare runs by first.
SETTING_NAMES = {"dataset": "{}", "hidden": "hidden {}", "activation": "{}", "output": "{} output",
                 "lr": "lr {}", "batch_size": "batch {}", "augment": "augment {}",
                 "dropout": "dropout {}", "momentum": "momentum {}",
                 "weight_decay": "L2 {}", "schedule": "{} schedule", "epochs": "{} epochs",
                 "seed": "seed {}"}
LEGEND_WRAP = 95  # characters per legend line: wider would run off an 8-inch figure


def _setting_text(key: str, value) -> str:
    if isinstance(value, list):  # hidden layer sizes
        value = sizes_text(value)
    return SETTING_NAMES[key].format(value)


def run_names(runs) -> list[str]:
    """A name for each run that says what sets it apart from the others: the settings that
    differ between the runs whose logs hold them (sizes, learning rate, batch, augmentation,
    ...; the seed only when nothing else differs); the file name for a log that does not say
    (saved terminal output, older logs), or when nothing differs."""
    known = [{k: v for k, v in (run.settings or {}).items() if k in SETTING_NAMES
              and v is not None} for run in runs]
    told = [s for s in known if s]
    keys = [k for k in SETTING_NAMES
            if all(k in s for s in told) and len({repr(s[k]) for s in told}) > 1]
    if keys != ["seed"]:
        keys = [k for k in keys if k != "seed"]
    names = []
    for run, settings in zip(runs, known):
        # a setting that is off (augment 0, no dropout) is not named: the others' are
        differ = [_setting_text(k, settings[k]) for k in keys
                  if settings and settings[k] not in ("", 0, [], False)]
        file = os.path.basename(run.path)
        if differ and len(told) > 1:
            names.append(", ".join(differ))
        else:
            names.append(file + (f" ({run.description})" if run.description else ""))
    return names


def _run_label(name: str, extra: str = "") -> str:
    return textwrap.fill(name + (f": {extra}" if extra else ""), LEGEND_WRAP,
                         subsequent_indent="  ")


def _at(x: str, value: float) -> str:
    """Where on the x axis: 'epoch 6', '1.2M samples', '45 s'."""
    if x == "epochs":
        return f"epoch {value:g}"
    if x == "samples":
        return f"{EngFormatter(sep='')(value)} samples"
    return f"{value:.0f} s"


# The largest magnitude drawn as it is: matplotlib computes an axis's span and margins from its
# limits, and between -1e308 and 1e308 those overflow to infinity and its tick locator fails.
# Larger finite values are drawn at this bound; NaN and infinities are not drawn at all.
DRAWN_UP_TO = 1e300


def _drawable(values: np.ndarray) -> np.ndarray:
    """`values` as a curve can show them: finite ones (clamped to ±DRAWN_UP_TO), others NaN."""
    values = np.asarray(values, np.float64)
    return np.where(np.isfinite(values), np.clip(values, -DRAWN_UP_TO, DRAWN_UP_TO), np.nan)


def _percent(fraction: float) -> str:
    """'97.14%', or '1e+302%' for a value no accuracy can have."""
    return f"{100 * fraction:.2f}%" if abs(fraction) <= 10 else f"{100 * fraction:.3g}%"


def _marker(n: int) -> dict:
    return {"marker": "o", "markersize": 4} if n <= MARKERS_UP_TO else {}


def _runs_legend(fig, ax) -> None:
    """One entry per run, under the plot where it never hides a curve, one column (labels are
    wrapped, never cut) and the figure grown to hold it."""
    handles, labels = ax.get_legend_handles_labels()
    handles = [Line2D([], [], color=h.get_color(), linewidth=1.8, marker=h.get_marker(),
                      markersize=4) for h in handles]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig.set_size_inches(fig.get_figwidth(), fig.get_figheight() + 0.2 * lines)
    fig.legend(handles, labels, loc="outside lower center", ncols=1)


def accuracy_figure(runs, x: str = "epochs", fig: Figure | None = None) -> Figure:
    """Test accuracy of each run against epochs, samples seen or training time."""
    fig = _sized(fig, 8, 5)
    with rc_context(STYLE):
        ax = fig.subplots()
        for run, name, colour in zip(runs, run_names(runs), colours(len(runs))):
            if run.test_accuracy is None:
                continue
            acc, xs = _drawable(run.test_accuracy), _drawable(run.x(x))
            finite = acc[np.isfinite(acc)]
            extra = "no accuracy logged"
            if finite.size:
                extra = f"final {_percent(finite[-1])}"
                if finite.max() > finite[-1]:
                    best = int(np.nanargmax(acc))
                    extra += f", best {_percent(finite.max())} at {_at(x, xs[best])}"
            ax.plot(xs, acc, color=colour, linewidth=1.8, **_marker(len(acc)),
                    label=_run_label(name, extra), gid=f"{run.path}:test_accuracy")
        shown = [a for r in runs if r.test_accuracy is not None for a in r.test_accuracy
                 if math.isfinite(a)]
        if all(-10 <= a <= 10 for a in shown):  # else the default formatter's 1e300 notation
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=None))
        ax.set_ylabel("test accuracy")
        _style_x(ax, x)
        ax.set_title("Test accuracy while training")
        _runs_legend(fig, ax)
    return fig


def cost_name(run) -> str | None:
    """The run's cost, 'cross-entropy' or 'quadratic', from its log when it says."""
    output = (run.settings or {}).get("output")
    return run.cost_name or (OUTPUT_LAYERS[output].cost_name if output in OUTPUT_LAYERS
                             else None)


def cost_figure(runs, x: str = "epochs", fig: Figure | None = None, log: bool = False) -> Figure:
    """Train cost (solid; the mean over the epoch's batches, measured while learning) and test
    cost (dashed; after the epoch) of each run, one colour per run."""
    fig = _sized(fig, 8, 5)
    costs = [cost_name(run) for run in runs]
    mixed = len(set(costs)) > 1  # then each run says which: their scales differ
    with rc_context(STYLE):
        ax = fig.subplots()
        for run, name, cost, colour in zip(runs, run_names(runs), costs, colours(len(runs))):
            if mixed:
                name += f" ({cost or 'unknown'} cost)"
            xs = _drawable(run.x(x))
            shown = False
            for key, style in (("train_cost", "-"), ("test_cost", "--")):
                values = getattr(run, key)
                if values is None:
                    continue
                values = _drawable(values)
                hollow = {"markerfacecolor": "white"} if key == "test_cost" else {}
                ax.plot(xs, values, color=colour, linestyle=style, linewidth=1.8,
                        **_marker(len(values)), **hollow, gid=f"{run.path}:{key}",
                        label=None if shown else _run_label(name))
                shown = True
        cost = "cost, of different kinds: compare each run with itself" if mixed else \
            f"{costs[0]} cost" if costs and costs[0] else "cost"
        ax.set_ylabel(f"{cost} (mean per sample)" + (", log scale" if log else ""))
        if log:
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)   # a cost is never negative; from 0 the drops keep proportion
        _style_x(ax, x)
        ax.set_title("Cost while training")
        kinds = [k for k in ("train_cost", "test_cost")
                 if any(getattr(r, k) is not None for r in runs)]
        styles = [Line2D([], [], color="0.3", linewidth=1.5, **_marker(len(runs[0].epoch)),
                         linestyle="-" if k == "train_cost" else "--",
                         markerfacecolor="0.3" if k == "train_cost" else "white")
                  for k in kinds]
        ax.legend(styles, [COST_KINDS[k] for k in kinds], loc="best", fontsize=8.5)
        _runs_legend(fig, ax)
    return fig


# --- where a network errs ----------------------------------------------------------------

GALLERY_COLS = 8
COUNT_FONT = (4.5, 9.0)     # points: counts in cells smaller than the first are left out


def report_figure(evaluation, images: np.ndarray, classes, n_mistakes: int = 16,
                  title: str = "", fig: Figure | None = None) -> Figure:
    """One picture of where a network errs on its test set: the confusion matrix as a heat map
    (counts in the cells while they fit), each class's accuracy beside its row, and the most
    confident mistakes with their images. `images` are the test images (N, 784) uint8 in the
    evaluation's order; `evaluation` is a training.Evaluation.

    The heat map's colours are on a log scale: the diagonal holds hundreds per cell and the
    confusions a handful, and on a linear scale the confusions, the point of the picture,
    would all be white. Empty cells stay white."""
    from matplotlib.colors import LogNorm

    from .training import worst_mistakes

    confusion = np.asarray(evaluation.confusion)
    k = len(confusion)
    names = [str(c) for c in classes]
    worst = worst_mistakes(evaluation, n_mistakes)
    side = float(np.clip(0.32 * k + 1.5, 4.6, 12.0))        # inches of heat map
    rows = -(-len(worst) // GALLERY_COLS)
    gallery_h = 1.35 * rows + 0.45 if worst else 0.5
    fig = _sized(fig, max(side * 1.4 + 1.2, 9.0), side + 1.5 + gallery_h)
    with rc_context(STYLE):
        top, bottom = fig.subfigures(2, 1, height_ratios=[side + 1.5, gallery_h])
        ax, acc_ax = top.subplots(1, 2, width_ratios=[1.0, 0.3], sharey=True)
        vmax = max(int(confusion.max(initial=0)), 2)
        im = ax.imshow(np.ma.masked_equal(confusion, 0), cmap="Blues",
                       norm=LogNorm(vmin=1, vmax=vmax), interpolation="nearest", gid="confusion")
        ax.grid(False)
        cell_pt = side * 72 / (k + 1)
        label_size = float(np.clip(cell_pt * 0.7, 5, 9))
        ax.set_xticks(range(k), names, fontsize=label_size, rotation=90 if k > 12 else 0)
        ax.set_yticks(range(k), names, fontsize=label_size)
        ax.set_xlabel("the network's guess")
        ax.set_ylabel("true class")
        ax.set_title("Confusion matrix")
        _counts(ax, confusion, im, cell_pt)
        top.colorbar(im, ax=ax, location="left", shrink=0.6, pad=0.02,
                     label="test images (log scale)")
        _class_accuracy(acc_ax, evaluation.class_accuracy(), cell_pt)
        _gallery(bottom, worst, images, names)
        fig.suptitle(title or f"Where the network errs: {100 * evaluation.accuracy:.2f}% of "
                     f"{evaluation.total:,} test images right")
    return fig


def _counts(ax, confusion, im, cell_pt: float) -> None:
    """Each non-empty cell's count, in a size that fits the cell's widest count, or none."""
    digits = len(str(int(confusion.max(initial=0))))
    size = min(COUNT_FONT[1], cell_pt / (0.62 * digits + 0.5))
    if size < COUNT_FONT[0]:
        return  # too small to read: the heat map says it
    for (i, j), v in np.ndenumerate(confusion):
        if v:
            dark = im.norm(v) > 0.55
            ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=size,
                    color="white" if dark else "0.15", gid=f"count:{i}:{j}")


def _class_accuracy(ax, accuracy: np.ndarray, cell_pt: float) -> None:
    """A bar per true class, beside its row of the matrix; its figure on it while it fits."""
    k = len(accuracy)
    shown = np.where(np.isfinite(accuracy), accuracy, 0.0)
    ax.barh(range(k), shown, height=0.75, color=colours(1)[0], gid="class_accuracy")
    low = float(np.nanmin(accuracy)) if np.isfinite(accuracy).any() else 0.0
    left = max(0.0, math.floor(20 * low - 0.5) / 20)  # zoomed in, in 5 % steps
    ax.set_xlim(left, 1.0)
    size = min(COUNT_FONT[1], cell_pt * 0.55)
    if size >= COUNT_FONT[0]:
        for i, a in enumerate(accuracy):
            if np.isfinite(a):
                ax.text(max(a, left) - 0.01 * (1 - left), i, f"{100 * a:.1f}%", ha="right",
                        va="center", fontsize=size, color="white", gid=f"accuracy:{i}")
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.tick_params(axis="y", left=False, labelleft=False)
    ax.grid(axis="y", visible=False)
    ax.set_title("Right, per class")


def _gallery(sub, worst, images: np.ndarray, names) -> None:
    if not worst:
        sub.text(0.5, 0.5, "no mistakes: every test image was guessed right", ha="center",
                 va="center", fontsize=11)
        return
    rows = -(-len(worst) // GALLERY_COLS)
    axes = sub.subplots(rows, GALLERY_COLS, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, m in zip(axes.ravel(), worst):
        side = int(round(math.sqrt(images.shape[1])))
        # dark ink on white, as on paper (the datasets store light ink on black)
        ax.imshow(images[m.index].reshape(side, side), cmap="gray_r", vmin=0, vmax=255,
                  interpolation="nearest", gid=f"mistake:{m.index}")
        ax.set_title(f"{names[m.truth]} → {names[m.guess]}  {100 * m.confidence:.1f}%",
                     fontsize=9)
        ax.text(0.5, -0.04, f"#{m.index}", transform=ax.transAxes, ha="center", va="top",
                fontsize=8, color="0.4")
    sub.suptitle(f"The {len(worst)} most confident mistakes: true → guess, the network's "
                 f"confidence, # test index", fontsize=11)


# --- the command line the three scripts share ----------------------------------------------

class PlotError(UsageError):
    """Ends a plotting script with one 'error: ...' line and exit status 2."""


def display_problem() -> str | None:
    """Why no window can be shown here, or None when one can: matplotlib's own window (Tk, Qt,
    ...), or, where matplotlib has none (a stock Debian python3 has no tkinter), a pygame
    window showing the picture. A backend asked for by name (MPLBACKEND=Agg) is obeyed."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                  or os.environ.get("WAYLAND_DISPLAY")):
        return "no display to show the plot on; save it instead with --out FILE.png"
    if _matplotlib_can_show() or not os.environ.get("MPLBACKEND"):
        return None
    import matplotlib
    return (f"matplotlib's backend '{matplotlib.get_backend()}' cannot open a window; "
            f"save the plot instead with --out FILE.png")


def _matplotlib_can_show() -> bool:
    import matplotlib
    import matplotlib.pyplot  # noqa: F401  (resolves the backend matplotlib will use)
    from matplotlib.backends import BackendFilter, backend_registry
    backend = matplotlib.get_backend().lower()
    return backend not in backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE)


def picture_format(out: str, flag: str = "--out") -> str:
    """The picture format `out`'s extension names; PlotError (naming `flag`) for one that
    matplotlib cannot write. Cheap, so a script can ask before it starts its work."""
    ext = os.path.splitext(out)[1].lower().lstrip(".")
    if not ext:
        raise PlotError(f"{flag} {out}: no extension to name the picture format (use .png, "
                        f".svg or .pdf)")
    if ext not in Figure().canvas.get_supported_filetypes():
        raise PlotError(f"{flag} {out}: unknown picture format '.{ext}' "
                        f"(use .png, .svg or .pdf)")
    return ext


def save(fig: Figure, out: str, overwrite: bool = False, flag: str = "--out") -> None:
    """Write the figure to `out` (format from its extension) through a temporary file, so a
    failure never leaves half a picture behind; an existing `out` is replaced only with
    `overwrite` (even one that appeared while the figure was drawn)."""
    ext = picture_format(out, flag)
    try:
        with atomic_write(out, overwrite=overwrite) as f:
            fig.savefig(f, format=ext)
    except OSError as e:
        raise PlotError(f"cannot write {out}: {e.strerror or e}") from None


def parser(description: str, files_help: str) -> argparse.ArgumentParser:
    p = ArgumentParser(description=description)
    p.add_argument("files", nargs="+", metavar="FILE", help=files_help)
    p.add_argument("--out", metavar="FILE.png",
                   help="save the figure to this file (.png, .svg, .pdf) instead of showing it")
    p.add_argument("--overwrite", action="store_true", help="allow --out to replace a file")
    return p


def log_parser(description: str) -> argparse.ArgumentParser:
    """The command line of the two log plotters."""
    p = parser(description, "training logs: the trainer's CSV logs or its saved terminal output")
    p.add_argument("--x", choices=runlog.X_AXES, default="epochs",
                   help="x axis: epochs (default), training samples seen or training seconds")
    return p


def log_reader(x: str, what: str, has):
    """read(path) for run_script: a log, refused (naming the file) unless has(run) and it can
    give the x axis asked for."""
    def read(path):
        run = runlog.read(path)
        if not has(run):
            raise runlog.RunLogError(f"{path}: the log holds no {what}")
        run.x(x)  # raises, naming the file, when this log cannot give that axis
        return run
    return read


def run_script(args, read, errors, build) -> int:
    """The shape every plotting script shares: read each file (a bad one is named on stderr and
    skipped), build one figure from the rest, save it to --out or show it. Exit status 0, or 1
    when some file was skipped, or 2 when nothing could be plotted."""
    try:
        if not args.out:
            problem = display_problem()
            if problem:
                raise PlotError(problem)
        elif os.path.exists(args.out) and any(os.path.exists(f) and os.path.samefile(f, args.out)
                                              for f in args.files):
            raise PlotError(f"--out {args.out} is one of the input files; choose another name")
        else:
            check_output(args.out, args.overwrite, "--out", PlotError)
            picture_format(args.out)
        items, bad = [], 0
        for path in args.files:
            try:
                items.append(read(path))
            except errors as e:
                fail(str(e))
                bad += 1
        if not items:
            return 2
        # absurd but finite values (1e300) make matplotlib warn about layouts and overflows:
        # the picture is still drawn, and the warnings would bury the one line that matters
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fig = build(items, new_figure(interactive=not args.out))
            if args.out:
                save(fig, args.out, args.overwrite)
        if args.out:
            say(f"saved: {args.out}")
        else:
            show(fig)
    except PlotError as e:
        return fail(str(e))
    except KeyboardInterrupt:
        return 130
    return 1 if bad else 0


def show(fig: Figure) -> None:
    """Show the figure until its window is closed: in matplotlib's window, or drawn into a
    pygame one where matplotlib has no window of its own."""
    if _matplotlib_can_show():
        import matplotlib.pyplot as plt
        plt.show()
        return
    from . import plot_window, render  # pygame: only when a window is wanted

    try:
        plot_window.show(fig)
    except render.NoDisplay as e:
        raise PlotError(f"no window can be opened here ({e}); save the plot instead with "
                        f"--out FILE.png") from None
