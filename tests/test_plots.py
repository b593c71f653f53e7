"""The plotting scripts: figures hold exactly the files' numbers, bad files are named and skipped,
pictures are written headless. Figures are read back through matplotlib's artists."""

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.patches import StepPatch
from PIL import Image

import mlp_sigmoid_emnist
from basicnet import netfile, plots, runlog
from basicnet.network import Network
from basicnet.runlog import CsvLog
from basicnet.training import EpochDone, Evaluation

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def load_script(relpath):
    spec = importlib.util.spec_from_file_location(Path(relpath).stem, ROOT / relpath)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hist_script = load_script("weightsbiases_hist.py")
percent_script = load_script("logs/percent_plotter.py")
cost_script = load_script("logs/cost_plotter.py")


# --- fixtures ------------------------------------------------------------------------------

def make_net(path, sizes, seed, hidden="sigmoid", drift=0.0, accuracy=0.9123, dataset="mnist"):
    """A network as Network.create makes it, moved a little as training would, saved."""
    rng = np.random.default_rng(seed)
    net = Network.create(sizes, rng, hidden)
    for W, b in zip(net.W, net.b):
        W += drift * rng.standard_normal(W.shape).astype(np.float32)
        b += drift * rng.standard_normal(b.shape).astype(np.float32)
    netfile.save(path, netfile.NetFile(net, dataset=dataset, test_accuracy=accuracy,
                                       epochs_trained=3))
    return netfile.load(path)


def epoch_event(epoch, train_cost, test_cost, accuracy, seconds, n_train=60000):
    test = Evaluation(accuracy, round(accuracy * 10000), 10000, test_cost, np.zeros((10, 10)))
    return EpochDone(epoch, epoch, epoch * n_train, train_cost, test, 0.1, seconds,
                     seconds * epoch, n_train / seconds)


def write_csv_log(path, rows):
    log = CsvLog(path)
    for e in rows:
        log.write(e)
    log.close()
    return path


@pytest.fixture
def csv_log(tmp_path):
    return write_csv_log(tmp_path / "run-a.csv", [
        epoch_event(1, 0.2829, 0.1592, 0.9518, 1.5),
        epoch_event(2, 0.1264, 0.1067, 0.9660, 1.25),
        epoch_event(3, 0.0880, 0.0924, 0.9714, 1.0)])


def csv_columns(path):
    """The log read back independently of runlog: column name -> floats (the figures; the
    note and settings columns hold text)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]
            if k not in ("note", "settings")}


TERMINAL = (
    "network 784-100-10 (sigmoid hidden, softmax output, cross-entropy cost), mnist: "
    "60000 training and 10000 test images\n"
    "epoch 1/3:  40%|####      | 750/1875 [00:00<00:01, 900.00batch/s]\r"
    "epoch 1/3  train cost 0.2829  test cost 0.1592  test accuracy 95.18%  35.79 s  "
    "1,677 samples/s\n"
    "epoch 2/3  train cost 0.1264  test cost 0.1067  test accuracy 96.60%  27.96 s  "
    "2,146 samples/s\n"
    "epoch 3/3  train cost 0.0880  test cost 0.0924  test accuracy 97.14%  24.51 s  "
    "2,448 samples/s\n"
    "log: logs/x.csv\nsaved: networks/x.npz\ntest accuracy: 97.14% (9714/10000)\n")


def lines_by_gid(fig):
    return {line.get_gid(): line for ax in fig.axes for line in ax.get_lines() if line.get_gid()}


def steps_by_gid(ax):
    return {p.get_gid(): p for p in ax.patches if isinstance(p, StepPatch) and p.get_gid()}


# --- histograms ----------------------------------------------------------------------------

@pytest.mark.parametrize("hidden", ["sigmoid", "relu"])
def test_initial_std_is_the_one_network_create_draws_with(hidden):
    net = Network.create([2000, 300], np.random.default_rng(0), hidden)
    assert net.W[0].std() == pytest.approx(plots.init_std(2000, hidden), rel=0.01)


def test_pooled_histograms_hold_numpys_counts_for_every_network(tmp_path):
    a = make_net(tmp_path / "a.npz", [784, 30, 10], 1, drift=0.02)
    b = make_net(tmp_path / "b.npz", [784, 16, 16, 10], 2, drift=0.05)
    nets = [plots.Named("a", a), plots.Named("b", b)]
    fig = plots.histogram_figure(nets)
    weights_ax, biases_ax = fig.axes
    for ax, kind in ((weights_ax, "weights"), (biases_ax, "biases")):
        steps = steps_by_gid(ax)
        for named in nets:
            params = named.nf.net.W if kind == "weights" else named.nf.net.b
            values = np.concatenate([p.ravel() for p in params])
            density, edges, _ = steps[f"{kind}:{named.label}"].get_data()
            counts, numpy_edges = np.histogram(values, bins=edges)
            assert np.array_equal(edges, numpy_edges)
            assert counts.sum() == values.size   # the bins span every value
            np.testing.assert_allclose(density * values.size * np.diff(edges), counts,
                                       rtol=1e-9, atol=1e-9)


def test_per_layer_histograms_and_initial_normal(tmp_path):
    nf = make_net(tmp_path / "a.npz", [784, 50, 10], 3)
    fig = plots.histogram_figure([plots.Named("a", nf)], biases=False, per_layer=True)
    assert len(fig.axes) == 2                  # one row per layer, no bias column
    for l, ax in enumerate(fig.axes):
        density, edges, _ = steps_by_gid(ax)["weights:a"].get_data()
        np.testing.assert_allclose(density, np.histogram(nf.net.W[l], bins=edges,
                                                         density=True)[0])
        # the dashed curve is N(0, 1/n_in): its peak is 1 / (σ √(2π)) with σ = 1/√n_in
        init = [line for line in ax.get_lines() if line.get_gid() == "init"]
        assert len(init) == 1
        sigma = 1 / np.sqrt(nf.net.sizes[l])
        assert init[0].get_ydata().max() == pytest.approx(1 / (sigma * np.sqrt(2 * np.pi)),
                                                          rel=1e-3)
        # an untrained layer matches its initial distribution: the histogram hugs the curve
        centres = (edges[:-1] + edges[1:]) / 2
        inside = np.abs(centres) < 2 * sigma
        expected = np.interp(centres[inside], init[0].get_xdata(), init[0].get_ydata())
        assert np.abs(density[inside] - expected).mean() < 0.15 * expected.mean()


def test_layers_of_different_shapes_say_what_each_is(tmp_path):
    """Row 2 of 784-20-10 beside 784-30-30-10 holds an output layer and a hidden one: each
    network's panel text says which, and the title no longer claims one shape."""
    shallow = make_net(tmp_path / "a.npz", [784, 20, 10], 1)
    deep = make_net(tmp_path / "b.npz", [784, 30, 30, 10], 2)
    fig = plots.histogram_figure([plots.Named("a", shallow), plots.Named("b", deep)],
                                 per_layer=True)
    weights, biases = fig.axes[2], fig.axes[3]     # the second row
    for ax in (weights, biases):
        said = [t.get_text() for t in ax.texts]
        assert any(t.startswith("20 → 10, output") for t in said)
        assert any(t.startswith("30 → 30") and "output" not in t for t in said)
        assert ax.get_title().endswith("(of different shapes)")
    assert fig.axes[4].get_title() == "Layer 3 weights (30 → 10)"  # the deep one's alone


def test_pooled_initial_curve_is_the_mixture_of_the_layers(tmp_path):
    nf = make_net(tmp_path / "a.npz", [784, 100, 10], 4)
    fig = plots.histogram_figure([plots.Named("a", nf)], biases=False)
    (init,) = [line for line in fig.axes[0].get_lines() if line.get_gid() == "init"]
    n0, n1 = 784 * 100, 100 * 10
    peak = (n0 * np.sqrt(784) + n1 * np.sqrt(100)) / (n0 + n1) / np.sqrt(2 * np.pi)
    assert init.get_ydata().max() == pytest.approx(peak, rel=1e-3)


# --- logs ----------------------------------------------------------------------------------

def test_csv_log_reads_back_exactly(csv_log):
    run = runlog.read(csv_log)
    cols = csv_columns(csv_log)
    for key in ("train_cost", "test_cost", "test_accuracy", "learning_rate"):
        np.testing.assert_array_equal(getattr(run, key), cols[key])
    np.testing.assert_array_equal(run.x("epochs"), cols["epoch"])
    np.testing.assert_array_equal(run.x("samples"), cols["samples_seen"])
    np.testing.assert_array_equal(run.x("seconds"), cols["elapsed_s"])


@pytest.mark.parametrize("x, column", [("epochs", "epoch"), ("samples", "samples_seen"),
                                       ("seconds", "elapsed_s")])
def test_curves_hold_exactly_the_logs_values(csv_log, tmp_path, x, column):
    other = write_csv_log(tmp_path / "run-b.csv", [epoch_event(4, 0.5, 0.4, 0.88, 2.0),
                                                   epoch_event(5, 0.3, 0.35, 0.9, 2.0)])
    runs = [runlog.read(csv_log), runlog.read(other)]
    acc_lines = lines_by_gid(plots.accuracy_figure(runs, x))
    cost_lines = lines_by_gid(plots.cost_figure(runs, x))
    for path in (csv_log, other):
        cols = csv_columns(path)
        for lines, key in ((acc_lines, "test_accuracy"), (cost_lines, "train_cost"),
                           (cost_lines, "test_cost")):
            line = lines[f"{path}:{key}"]
            np.testing.assert_array_equal(line.get_xdata(), cols[column])
            np.testing.assert_array_equal(line.get_ydata(), cols[key])
    assert len(acc_lines) == 2 and len(cost_lines) == 4   # one line per run (and cost kind)


def test_terminal_output_parses(tmp_path):
    path = tmp_path / "run.txt"
    path.write_text(TERMINAL)
    run = runlog.read(path)
    assert run.kind == "terminal" and run.cost_name == "cross-entropy"
    np.testing.assert_array_equal(run.epoch, [1, 2, 3])
    np.testing.assert_array_equal(run.train_cost, [0.2829, 0.1264, 0.0880])
    np.testing.assert_array_equal(run.test_cost, [0.1592, 0.1067, 0.0924])
    np.testing.assert_allclose(run.test_accuracy, [0.9518, 0.9660, 0.9714])
    np.testing.assert_allclose(run.x("seconds"), [35.79, 35.79 + 27.96, 35.79 + 27.96 + 24.51])
    np.testing.assert_array_equal(run.x("samples"), [60000, 120000, 180000])


def test_terminal_output_of_a_continued_run_continues_the_curve(tmp_path):
    path = tmp_path / "run.txt"
    path.write_text(TERMINAL + TERMINAL.replace("0.2829", "0.0700"))
    run = runlog.read(path)
    np.testing.assert_array_equal(run.epoch, [1, 2, 3, 4, 5, 6])
    assert run.train_cost[3] == 0.07
    assert run.x("samples")[-1] == 6 * 60000


def test_terminal_output_without_its_first_line_has_no_samples_axis(tmp_path):
    path = tmp_path / "pasted.txt"
    path.write_text(TERMINAL.split("\n", 1)[1])
    run = runlog.read(path)
    np.testing.assert_array_equal(run.x("epochs"), [1, 2, 3])
    with pytest.raises(runlog.RunLogError, match="pasted.txt.*samples"):
        run.x("samples")


def test_what_the_trainer_prints_parses(tmp_path, capsys):
    """Guards the trainer's progress() format and this parser against drifting apart."""
    events = [epoch_event(1, 0.2829, 0.1592, 0.9518, 1.5),
              epoch_event(2, 0.1264, 0.1067, 0.966, 1.25)]
    list(mlp_sigmoid_emnist.progress(iter(events), 2))
    path = tmp_path / "out.txt"
    path.write_text(capsys.readouterr().out)
    run = runlog.read(path)
    np.testing.assert_array_equal(run.epoch, [1, 2])
    np.testing.assert_allclose(run.train_cost, [0.2829, 0.1264], atol=5e-5)
    np.testing.assert_allclose(run.test_cost, [0.1592, 0.1067], atol=5e-5)
    np.testing.assert_allclose(run.test_accuracy, [0.9518, 0.966], atol=5e-5)
    np.testing.assert_allclose(run.x("seconds"), [1.5, 2.75], atol=5e-3)


@pytest.mark.parametrize("content, message", [
    (b"", "not a training log"),
    (b"hello\nworld\n", "not a training log"),
    (b"PK\x03\x04\x00\x00binary", "a zip archive"),
    (b"epoch,samples_seen,elapsed_s,learning_rate,train_cost,test_cost,test_accuracy\n",
     "no epochs"),
    (b"epoch,train_cost\n1,0.5\n2,lots\n", "line 3"),
])
def test_unreadable_logs_are_named(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(runlog.RunLogError, match=f"bad.csv.*{message}"):
        runlog.read(path)


# --- the scripts ---------------------------------------------------------------------------

def assert_png(path, min_bytes=15_000, max_bytes=400_000):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC
    assert min_bytes < len(data) < max_bytes
    with Image.open(path) as im:
        assert im.width >= 600 and im.height >= 400


def test_histogram_script_names_bad_files_and_plots_the_rest(tmp_path, capsys):
    make_net(tmp_path / "good.npz", [784, 20, 10], 5, drift=0.03)
    make_net(tmp_path / "other.npz", [784, 20, 10], 6, drift=0.01)
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    out = tmp_path / "hist.png"
    status = hist_script.main([str(tmp_path / "good.npz"), str(tmp_path / "corrupt.npz"),
                               str(tmp_path / "missing.npz"), str(tmp_path / "other.npz"),
                               "--per-layer", "--out", str(out)])
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert len(err) == 2
    assert err[0].startswith("error: ") and "corrupt.npz" in err[0]
    assert err[1].startswith("error: ") and "missing.npz" in err[1]
    assert_png(out)


def test_histogram_switches(tmp_path, capsys):
    make_net(tmp_path / "a.npz", [784, 20, 10], 7)
    status = hist_script.main([str(tmp_path / "a.npz"), "--no-weights", "--no-biases",
                               "--out", str(tmp_path / "x.png")])
    assert status == 2 and not (tmp_path / "x.png").exists()
    assert capsys.readouterr().err.startswith("error: nothing to plot")
    nf = netfile.load(tmp_path / "a.npz")
    fig = plots.histogram_figure([plots.Named("a", nf)], weights=False)
    assert [ax.get_xlabel() for ax in fig.axes] == ["bias"]


def test_log_scripts_write_pictures(csv_log, tmp_path, capsys):
    terminal = tmp_path / "run.txt"
    terminal.write_text(TERMINAL)
    for script, name in ((percent_script, "percent.png"), (cost_script, "cost.png")):
        out = tmp_path / name
        assert script.main([str(csv_log), str(terminal), "--x", "seconds",
                            "--out", str(out)]) == 0
        assert_png(out)
    assert capsys.readouterr().err == ""


def test_log_scripts_name_a_log_that_lacks_the_asked_axis(csv_log, tmp_path, capsys):
    pasted = tmp_path / "pasted.txt"
    pasted.write_text(TERMINAL.split("\n", 1)[1])
    out = tmp_path / "cost.png"
    assert cost_script.main([str(csv_log), str(pasted), "--x", "samples",
                             "--out", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "pasted.txt" in err[0]
    assert_png(out)


def test_out_never_replaces_an_input_or_writes_an_unknown_format(csv_log, tmp_path, capsys):
    before = csv_log.read_bytes()
    assert percent_script.main([str(csv_log), "--out", str(csv_log)]) == 2
    assert percent_script.main([str(csv_log), "--out", str(tmp_path / "x.txt")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)
    assert csv_log.read_bytes() == before and not (tmp_path / "x.txt").exists()


def test_out_never_replaces_a_file_without_overwrite(csv_log, tmp_path, capsys):
    picture = tmp_path / "earlier.png"
    picture.write_bytes(b"a picture made earlier")
    assert cost_script.main([str(csv_log), "--out", str(picture)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "exists" in err[0] and "--overwrite" in err[0]
    assert picture.read_bytes() == b"a picture made earlier"
    assert cost_script.main([str(csv_log), "--out", str(picture), "--overwrite"]) == 0
    assert_png(picture)


def headless_env():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["MPLBACKEND"] = "Agg"
    return env


def test_script_runs_from_inside_logs_folder(csv_log, tmp_path):
    """As people run it: a plain `python percent_plotter.py` inside logs/ (sys.path[0] is then
    logs/, as it is for `python logs/percent_plotter.py` from the root), with no display."""
    out = tmp_path / "p.png"
    bad = tmp_path / "notes.txt"
    bad.write_text("shopping list\n")
    r = subprocess.run([sys.executable, "percent_plotter.py", str(csv_log), str(bad),
                        "--out", str(out)], cwd=ROOT / "logs", env=headless_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines() == [f"error: {bad}: not a training log: line 1 is neither a "
                                     f"CSV header nor the trainer's output ('shopping list')"]
    assert_png(out)


def test_nothing_readable_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "c.png"
    (tmp_path / "a.txt").write_text("shopping list\n")
    assert cost_script.main([str(tmp_path / "a.txt"), str(tmp_path / "b.csv"),
                             "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[:2] for line in err] == [["error", f" {tmp_path / 'a.txt'}"],
                                                     ["error", f" {tmp_path / 'b.csv'}"]]
    assert not out.exists()


def test_no_display_and_no_out_says_so(csv_log):
    r = subprocess.run([sys.executable, "weightsbiases_hist.py", str(csv_log)], cwd=ROOT,
                       env=headless_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("error: ") and "--out" in r.stderr


def test_log_density_leaves_empty_bins_out_and_keeps_a_sane_range(tmp_path):
    nf = make_net(tmp_path / "a.npz", [784, 30, 10], 8, drift=0.05)
    fig = plots.histogram_figure([plots.Named("a", nf)], biases=False, log=True)
    ax = fig.axes[0]
    density, edges, _ = steps_by_gid(ax)["weights:a"].get_data()
    values = np.concatenate([w.ravel() for w in nf.net.W])
    expected = np.histogram(values, bins=edges, density=True)[0]
    assert np.array_equal(np.isnan(density), expected == 0)
    np.testing.assert_allclose(density[expected > 0], expected[expected > 0])
    bottom, top = ax.get_ylim()
    assert ax.get_yscale() == "log"
    assert expected[expected > 0].min() / 10 < bottom < expected[expected > 0].min()
    assert top > expected.max()


def test_importing_opens_no_window_and_loads_no_pyplot():
    code = ("import sys, basicnet.plots, basicnet.runlog, weightsbiases_hist; "
            "print('matplotlib.pyplot' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=headless_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr


def test_a_display_with_a_backend_that_cannot_show_says_so(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib
    monkeypatch.setitem(matplotlib.rcParams, "backend", "Agg")
    problem = plots.display_problem()
    assert problem and "agg" in problem.lower() and "--out" in problem


# --- legends: inside the picture, runs named by what sets them apart (issue 12) -----------------

def _logged_run(path, settings, accuracies):
    log = CsvLog(path, settings)
    for k, acc in enumerate(accuracies, 1):
        log.write(epoch_event(k, 0.3 / k, 0.2 / k, acc, 1.0))
    log.close()
    return runlog.read(path)


def test_runs_are_named_by_what_differs(tmp_path):
    base = {"hidden": [800], "lr": 0.1, "batch_size": 64, "augment": 0, "epochs": 3, "seed": 1}
    runs = [_logged_run(tmp_path / f"mnist-784-800-10-20261201-1200{k}.csv", {**base, **extra},
                        [0.97, 0.98, 0.975])
            for k, extra in enumerate([{}, {"lr": 0.2}, {"batch_size": 128, "augment": 2}])]
    names = plots.run_names(runs)
    assert names == ["lr 0.1, batch 64", "lr 0.2, batch 64", "lr 0.1, batch 128, augment 2"]
    assert plots.run_names(runs[:1]) == ["mnist-784-800-10-20261201-12000.csv"]
    label = plots.accuracy_figure(runs).legends[0].get_texts()[0].get_text()
    assert label == "lr 0.1, batch 64: final 97.50%, best 98.00% at epoch 2"


@pytest.mark.parametrize("n", [1, 4, 7, 12])
def test_every_legend_and_label_stays_inside_the_picture(tmp_path, n):
    runs = [_logged_run(tmp_path / f"a-rather-long-log-file-name-for-run-number-{k}.csv",
                        {"hidden": [800 + k, 400], "lr": 0.1 * (k + 1), "batch_size": 64,
                         "augment": "affine,elastic" if k % 2 else "shift", "seed": k,
                         "activation": "relu" if k % 3 else "sigmoid"},
                        [0.9 + 0.005 * k, 0.95, 0.94]) for k in range(n)]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for fig in (plots.accuracy_figure(runs), plots.cost_figure(runs)):
        canvas = FigureCanvasAgg(fig)  # as --out draws it
        canvas.draw()
        renderer = canvas.get_renderer()
        whole = fig.bbox
        artists = [*fig.legends, *(ax.title for ax in fig.axes), *(ax.xaxis.label for ax in
                   fig.axes), *(ax.yaxis.label for ax in fig.axes)]
        for artist in artists:
            box = artist.get_window_extent(renderer)
            assert whole.x0 - 1 <= box.x0 and box.x1 <= whole.x1 + 1, artist
            assert whole.y0 - 1 <= box.y0 and box.y1 <= whole.y1 + 1, artist


# --- hostile logs --------------------------------------------------------------------------

OWN_LINES = (
    "downloading train-images-idx3-ubyte.gz from https://example.org/mnist/\n"
    "  connection dropped after 1,024 bytes (timed out); resuming\n"
    "continuing networks/a.npz: 3 epochs trained, test accuracy 97.14%\n"
    "note: networks/a.npz has layers [784, 100, 10]; ignoring --hidden [30]\n"
    + TERMINAL.replace("log: logs/x.csv\n", "\ninterrupted: stopped after the current batch\n"
                       "log: logs/x.csv\n")
    + "epoch 1/3: 845batch [00:01, 420.31batch/s]\n"
    "terminated (SIGTERM): stopped after the current batch\nrecording: run.gif\n"
    "note: networks/x.npz appeared during training; saved the network to x-2.npz instead\n"
    "\n\n")


def test_the_trainers_own_lines_are_part_of_a_log(tmp_path):
    path = tmp_path / "run.txt"
    path.write_text(OWN_LINES)
    np.testing.assert_array_equal(runlog.read(path).epoch, [1, 2, 3])


@pytest.mark.parametrize("intruder", ["# my notes", "Epoch one went well", "$ python x.py",
                                      "Traceback (most recent call last):"])
def test_a_file_with_other_lines_is_not_a_log(tmp_path, intruder):
    """Issue #12, 9: README.md, holding one epoch-like line, was plotted as a run."""
    path = tmp_path / "notes.txt"
    path.write_text(TERMINAL + intruder + "\n")
    with pytest.raises(runlog.RunLogError, match=r"notes.txt: not a training log: line 9"):
        runlog.read(path)


def test_the_readme_is_not_a_log(tmp_path, csv_log, capsys):
    readme = ROOT / "README.md"
    assert cost_script.main([str(csv_log), str(readme), "--out", str(tmp_path / "c.png")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {readme}: not a training log")
    assert cost_script.main([str(readme), "--out", str(tmp_path / "d.png")]) == 2
    assert not (tmp_path / "d.png").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_device_is_refused_not_read_forever(tmp_path):
    fifo = tmp_path / "run.csv"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, str(ROOT / "logs" / "cost_plotter.py"), str(fifo),
                        "/dev/zero", "--out", str(tmp_path / "c.png")], env=headless_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        f"error: {fifo}: is a named pipe (FIFO), not a training log",
        "error: /dev/zero: is a character device, not a training log"]


def test_a_log_past_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(runlog, "MAX_LOG_CHARS", 10_000)
    path = tmp_path / "long.csv"
    path.write_text("epoch,train_cost\n" + "".join(f"{i},0.5\n" for i in range(1, 3000)))
    with pytest.raises(runlog.RunLogError, match="long.csv: more than .* too big"):
        runlog.read(path)
    path.write_text("epoch 1/3  train cost 0.5" + " " * 70_000 + "\n")
    monkeypatch.undo()
    with pytest.raises(runlog.RunLogError, match="line 1 is longer than 65,536 characters"):
        runlog.read(path)


def test_a_big_log_is_read_as_a_stream(tmp_path):
    """A 100 MB CSV took 1.7 GB: the text and every row were held at once."""
    import tracemalloc

    path = tmp_path / "big.csv"
    rows = 150_000
    with open(path, "w") as f:
        f.write(",".join(runlog.CSV_COLUMNS) + "\n")
        for i in range(1, rows + 1):
            f.write(f"{i},{i * 60000},{i * 1.5:.3f},0.1,0.123456,0.234567,0.987654\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        run = runlog.read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(run.epoch) == rows and run.test_accuracy[-1] == 0.987654
    numbers = 7 * 8 * rows
    # the numbers, growing and then copied once into arrays; the text held whole was 20 times
    assert peak < 3 * numbers, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB log"


@pytest.mark.parametrize("script", ["percent", "cost"])
def test_finite_but_absurd_values_are_plotted(tmp_path, script, capsys):
    """Values like ±1e308 crashed the percent plotter (matplotlib's axis span overflowed)."""
    path = tmp_path / "absurd.csv"
    path.write_text(",".join(runlog.CSV_COLUMNS) + "\n"
                    "1,100,1.0,0.1,0.5,0.4,1e308\n2,200,2.0,0.1,-1e308,1e308,-1e308\n"
                    "3,300,1e308,0.1,0.2,0.3,0.95\n")
    main = {"percent": percent_script, "cost": cost_script}[script].main
    for x in ("epochs", "seconds"):
        out = tmp_path / f"{script}-{x}.png"
        assert main([str(path), "--x", x, "--out", str(out)]) == 0
        assert capsys.readouterr().err == ""
        assert out.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("script", ["weightsbiases_hist.py", "logs/percent_plotter.py",
                                    "logs/cost_plotter.py"])
@pytest.mark.parametrize("args", [["--frobnicate", "x"], []], ids=["unknown flag", "no files"])
def test_a_bad_command_line_is_one_error_line(script, args):
    r = subprocess.run([sys.executable, str(ROOT / script), *args], env=headless_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and not r.stdout
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert lines[0].endswith("(see --help)")


def test_without_a_matplotlib_window_the_plot_opens_in_a_pygame_one(monkeypatch, tmp_path):
    """A stock Debian python3 has no tkinter: matplotlib falls back to drawing pictures only.
    The plot is then shown in a pygame window, the same picture --out would write."""
    import matplotlib

    from basicnet import plot_window

    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setitem(matplotlib.rcParams, "backend", "Agg")  # what the fallback picks
    assert plots.display_problem() is None
    fig = plots.Figure(figsize=(3, 2), dpi=50)
    fig.patch.set_facecolor((1.0, 0.0, 0.0))  # a picture one can recognise
    shown = plot_window.show(fig, max_frames=2)
    assert shown.get_size() == (150, 100)
    assert tuple(shown.get_at((75, 50)))[:3] == (255, 0, 0)


def test_a_picture_given_to_a_plotter_is_named_as_one(tmp_path, capsys):
    from PIL import Image

    picture = tmp_path / "seven.png"
    Image.new("L", (20, 20), 255).save(picture)
    assert hist_script.main([str(picture), "--out", str(tmp_path / "h.png")]) == 2
    assert percent_script.main([str(picture), "--out", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: {picture}: a picture (PNG), not a network file (.npz)",
                   f"error: {picture}: a picture (PNG), not a training log (.csv or saved "
                   f"terminal output)"]


def test_costs_of_different_kinds_are_named_on_the_plot(tmp_path):
    """Cross-entropy and quadratic costs differ in scale: a lower quadratic curve is not a
    better network, so each run says its cost, and so does the axis."""
    runs = [_logged_run(tmp_path / f"{output}.csv", {"output": output, "lr": 0.1},
                        [0.95, 0.96]) for output in ("softmax", "sigmoid")]
    fig = plots.cost_figure(runs)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "(cross-entropy cost)" in labels[0] and "(quadratic cost)" in labels[1]
    assert "different kinds" in fig.axes[0].get_ylabel()
    same = plots.cost_figure(runs[:1])
    assert same.axes[0].get_ylabel().startswith("cross-entropy cost")


def test_a_log_without_settings_beside_ones_with_them_keeps_the_names_short(tmp_path):
    runs = [_logged_run(tmp_path / f"r{k}.csv", {"lr": lr, "seed": 10**18 + k, "batch_size": 32},
                        [0.95, 0.96]) for k, lr in enumerate((0.1, 0.2))]
    terminal = tmp_path / "run.txt"
    terminal.write_text(TERMINAL)
    names = plots.run_names([*runs, runlog.read(terminal)])
    assert names[:2] == ["lr 0.1", "lr 0.2"] and names[2].startswith("run.txt")
    same_but_seed = [_logged_run(tmp_path / f"s{k}.csv", {"lr": 0.1, "seed": k}, [0.9, 0.95])
                     for k in (1, 2)]
    assert plots.run_names(same_but_seed) == ["seed 1", "seed 2"]
