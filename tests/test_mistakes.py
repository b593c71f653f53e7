"""Why a network errs: the evaluation's guesses and confidences, the confusion matrix printed by
--evaluate, the --report picture, the learning rate changed by hand (and its log row), and runs
repeated from their seed. Every figure is checked against a count made here, independently."""

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import AxesImage

import mlp_sigmoid_emnist as trainer
from basicnet import datasets, netfile, plots, report, runlog
from basicnet.network import SGD, Network
from basicnet.runlog import CsvLog
from basicnet.training import (
    BatchDone,
    EpochDone,
    Evaluation,
    Hyper,
    Mistake,
    RateChanged,
    Steering,
    evaluate,
    train,
    worst_mistakes,
)
from conftest import write_dataset


def independent_guesses(net, images):
    """Guess and confidence per image, one image at a time: no batching, no shared code."""
    guesses, sure = [], []
    for x in images:
        a = x.astype(np.float64) / 255
        for l, (W, b) in enumerate(zip(net.W, net.b)):
            z = a @ W.astype(np.float64) + b
            a = 1 / (1 + np.exp(-z)) if l < len(net.W) - 1 else np.exp(z - z.max())
        p = a / a.sum()
        guesses.append(int(np.argmax(p)))
        sure.append(float(p.max()))
    return np.array(guesses), np.array(sure)


def evaluation_of(k, n=400, seed=0, right=0.8):
    """An Evaluation with known guesses: `right` of them correct, random confidences."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    guesses = np.where(rng.random(n) < right, labels, rng.integers(0, k, n))
    sure = rng.random(n).astype(np.float32)
    confusion = np.zeros((k, k), np.int64)
    for t, g in zip(labels, guesses):
        confusion[t, g] += 1
    correct = int((labels == guesses).sum())
    return Evaluation(correct / n, correct, n, 0.5, confusion, labels, guesses, sure)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("toy"), n_train=300, n_test=120)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, toy):
    """A 784-12-10 network the trainer made in two epochs: some right, some wrong."""
    folder = tmp_path_factory.mktemp("net")
    code = trainer.main(["--data-dir", str(toy), "--dataset", "mnist", "--no-download",
                         "--headless", "--hidden", "12", "--epochs", "2", "--seed", "5",
                         "--lr", "0.05", "--threads", "1", "--save", str(folder / "net.npz"),
                         "--log", str(folder / "run.csv")])
    assert code == 0
    return folder / "net.npz"


# --- the evaluation ----------------------------------------------------------------------------

def test_evaluation_keeps_each_guess_and_its_confidence(toy, trained):
    data = datasets.load("mnist", toy)
    net = netfile.load(trained).net
    result = evaluate(net, data.test_images, data.test_labels, 10)
    guesses, sure = independent_guesses(net, data.test_images)
    np.testing.assert_array_equal(result.guesses, guesses)
    np.testing.assert_allclose(result.confidence, sure, rtol=1e-4)
    np.testing.assert_array_equal(result.labels, data.test_labels)
    wrong = guesses != data.test_labels
    assert 0 < wrong.sum() < len(wrong), "the fixture must hold mistakes and right answers"
    per_class = [(guesses[data.test_labels == c] == c).mean() if (data.test_labels == c).any()
                 else math.nan for c in range(10)]
    np.testing.assert_allclose(result.class_accuracy(), per_class)


def test_worst_mistakes_are_the_most_confident_wrong_guesses():
    e = evaluation_of(10, n=300)
    wrong = [(float(e.confidence[i]), i) for i in range(300) if e.guesses[i] != e.labels[i]]
    expected = [i for _, i in sorted(wrong, key=lambda t: (-t[0], t[1]))[:7]]
    worst = worst_mistakes(e, 7)
    assert [m.index for m in worst] == expected
    m = worst[0]
    assert m == Mistake(expected[0], int(e.labels[m.index]), int(e.guesses[m.index]),
                        float(e.confidence[m.index]))
    assert all(m.truth != m.guess for m in worst)
    assert worst_mistakes(e, 0) == [] and len(worst_mistakes(e, 10_000)) == len(wrong)


# --- the printed matrix and mistakes -------------------------------------------------------

def test_evaluate_prints_the_confusion_matrix_and_the_worst_mistakes(toy, trained, capsys):
    code = trainer.main([str(trained), "--evaluate", "--data-dir", str(toy), "--dataset",
                         "mnist", "--no-download"])
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert code == 0
    last = re.fullmatch(r"test accuracy: (\d+\.\d\d)% \((\d+)/(\d+)\)", lines[-1])
    assert last, lines[-1]
    # the matrix, read back from the text: '.' is an empty cell
    top = next(i for i, s in enumerate(lines) if s.startswith("confusion matrix")) + 1
    assert lines[top].split() == ["true\\guess", *"0123456789", "right"]
    rows = [lines[top + 1 + k].split() for k in range(10)]
    assert [r[0] for r in rows] == list("0123456789")
    printed = np.array([[0 if c == "." else int(c) for c in r[1:11]] for r in rows])
    data = datasets.load("mnist", toy)
    net = netfile.load(trained).net
    guesses, sure = independent_guesses(net, data.test_images)
    counted = np.zeros((10, 10), int)
    for t, g in zip(data.test_labels, guesses):
        counted[t, g] += 1
    np.testing.assert_array_equal(printed, counted)
    assert np.trace(printed) == int(last[2]) and printed.sum() == int(last[3])
    # the most confident mistakes, in order, with their classes and confidence
    head = lines.index("  test index   true  guess  confidence")
    table = [s.split() for s in lines[head + 1:-1]]
    wrong = sorted((i for i in range(len(guesses)) if guesses[i] != data.test_labels[i]),
                   key=lambda i: (-sure[i], i))[:report.MISTAKES_LISTED]
    assert [int(r[0]) for r in table] == wrong
    for r in table:
        i = int(r[0])
        assert (r[1], r[2]) == (str(data.test_labels[i]), str(guesses[i]))
        assert float(r[3].rstrip("%")) == pytest.approx(100 * sure[i], abs=0.051)


@pytest.mark.parametrize("k", [47, 62])
def test_many_classes_print_their_largest_confusions_within_the_width(k):
    e = evaluation_of(k, n=6000, seed=k)
    names = [f"c{i}" for i in range(k)]
    lines = report.confusion_text(e, names, width=100)
    assert max(map(len, lines)) <= 100 and len(lines) < 20
    listed = re.findall(r"(c\d+) → (c\d+): (\d+)", "\n".join(lines))
    assert len(listed) == report.CONFUSIONS_LISTED
    off = e.confusion.copy()
    np.fill_diagonal(off, 0)
    counts = [int(n) for _, _, n in listed]
    assert counts == sorted(off.ravel(), reverse=True)[:len(counts)]
    for t, g, n in listed:
        assert off[int(t[1:]), int(g[1:])] == int(n)


def test_a_narrow_matrix_is_printed_whole_and_a_perfect_network_says_so():
    e = evaluation_of(3, n=30, right=1.0)
    lines = report.confusion_text(e, ["a", "b", "c"], width=60)
    assert lines[1].split() == ["true\\guess", "a", "b", "c", "right"]
    assert report.mistakes_text(e, ["a", "b", "c"]) == [
        "no mistakes: every test image was guessed right"]


# --- the report picture --------------------------------------------------------------------

@pytest.mark.parametrize("k", [10, 26, 62])
def test_report_figure_holds_the_matrix_and_the_most_confident_mistakes(k):
    e = evaluation_of(k, n=40 * k, seed=k)
    images = np.random.default_rng(k).integers(0, 256, (40 * k, 784), dtype=np.uint8)
    fig = plots.report_figure(e, images, [f"n{i}" for i in range(k)])
    artists = [a for ax in fig.get_axes() for a in ax.get_children()]
    heat = [a for a in artists if isinstance(a, AxesImage) and a.get_gid() == "confusion"]
    assert len(heat) == 1
    np.testing.assert_array_equal(np.ma.filled(heat[0].get_array(), 0), e.confusion)
    counts = {a.get_gid(): a.get_text() for a in artists
              if str(a.get_gid()).startswith("count:")}
    if k <= 26:  # cells big enough for their counts
        assert counts == {f"count:{i}:{j}": str(v) for (i, j), v in np.ndenumerate(e.confusion)
                          if v}
    bars = sorted((a for a in artists if a.get_gid() == "class_accuracy"),
                  key=lambda a: a.get_y())
    heights = [a.get_width() for a in bars]
    np.testing.assert_allclose(heights, np.diag(e.confusion) / e.confusion.sum(axis=1))
    # the gallery: the test set's most confident mistakes, most confident first
    wrong = np.flatnonzero(e.guesses != e.labels)
    expected = wrong[np.lexsort((wrong, -e.confidence[wrong]))][:16]
    shown = [a for a in artists if str(a.get_gid()).startswith("mistake:")]
    assert [int(a.get_gid().split(":")[1]) for a in shown] == list(expected)
    for a, i in zip(shown, expected):
        np.testing.assert_array_equal(a.get_array(), images[i].reshape(28, 28))
    titles = [a.axes.get_title() for a in shown]
    assert titles[0] == (f"n{e.labels[expected[0]]} → n{e.guesses[expected[0]]}  "
                         f"{100 * e.confidence[expected[0]]:.1f}%")


def test_report_at_the_end_of_training_and_with_evaluate(toy, trained, tmp_path, capsys):
    after = tmp_path / "after.png"
    code = trainer.main(["--data-dir", str(toy), "--dataset", "mnist", "--no-download",
                         "--headless", "--hidden", "8", "--epochs", "1", "--no-save",
                         "--log", str(tmp_path / "run.csv"), "--report", str(after)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and out[-2] == f"report: {after}" and out[-1].startswith("test accuracy")
    assert after.read_bytes().startswith(b"\x89PNG")
    tested = tmp_path / "tested.svg"
    code = trainer.main([str(trained), "--evaluate", "--data-dir", str(toy), "--dataset",
                         "mnist", "--no-download", "--report", str(tested)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and out[-2] == f"report: {tested}" and b"<svg" in tested.read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--download-only", "--report", "x.png"], "--report needs a training run or --evaluate"),
    (["--report", "x.txt"], "--report x.txt: unknown picture format '.txt'"),
])
def test_report_refuses_bad_input(args, message):
    with pytest.raises(trainer.UsageError, match=re.escape(message)):
        trainer.parse_args(args)


def test_report_never_replaces_a_file_unless_told(toy, trained, tmp_path, capsys):
    old = tmp_path / "old.png"
    old.write_bytes(b"precious")
    args = [str(trained), "--evaluate", "--data-dir", str(toy), "--dataset", "mnist",
            "--no-download", "--report", str(old)]
    with pytest.raises(trainer.UsageError, match="--report .*old.png: the file exists"):
        trainer.main(args)
    assert old.read_bytes() == b"precious"
    odd = tmp_path / "net.png"  # a network under a picture's name
    odd.write_bytes(trained.read_bytes())
    with pytest.raises(trainer.UsageError, match="--report and the network being tested"):
        trainer.main([str(odd), *args[1:-1], str(odd), "--overwrite"])
    assert odd.read_bytes() == trained.read_bytes()
    assert trainer.main([*args, "--overwrite"]) == 0
    assert old.read_bytes().startswith(b"\x89PNG")


# --- a hand on the learning rate -----------------------------------------------------------

def test_a_rate_changed_by_hand_applies_from_the_next_batch(toy):
    data = datasets.load("mnist", toy)
    net = Network.create([784, 8, 10], np.random.default_rng(0))
    steering = Steering()
    hyper = Hyper(epochs=2, batch_size=50, lr=0.1, schedule="constant")
    events = []
    for e in train(net, data, hyper, np.random.default_rng(1), SGD(), 3, 900, steering):
        events.append(e)
        if isinstance(e, BatchDone) and e.epoch == 1 and e.batch == 2:
            steering.lr_scale *= 1.25
    rates = [e.lr for e in events if isinstance(e, BatchDone)]
    assert rates[:2] == [0.1, 0.1] and rates[2:] == [pytest.approx(0.125)] * 10
    changed = [e for e in events if isinstance(e, RateChanged)]
    assert len(changed) == 1 and events[2] is changed[0]  # before the third batch
    c = changed[0]
    assert (c.epoch, c.samples_seen, c.lr) == (pytest.approx(3 + 2 / 6), 1000,
                                               pytest.approx(0.125))
    assert c.factor == pytest.approx(1.25) and c.note() == "learning rate ×1.25 by hand"
    assert c.elapsed == pytest.approx(sum(e.seconds for e in events[:2]))


def test_the_rate_a_batch_used_is_the_one_that_trained_it(toy):
    """Same start, one run at η = 0.125, one at 0.1 changed by hand to ×1.25 before any
    batch: the same weights."""
    data = datasets.load("mnist", toy)
    nets = []
    for lr, scale in ((0.125, 1.0), (0.1, 1.25)):
        net = Network.create([784, 8, 10], np.random.default_rng(0))
        hyper = Hyper(epochs=1, batch_size=50, lr=lr, schedule="cosine")
        list(train(net, data, hyper, np.random.default_rng(1), SGD(), steering=Steering(scale)))
        nets.append(net)
    np.testing.assert_allclose(nets[0].W[0], nets[1].W[0], rtol=1e-5, atol=1e-7)


def test_the_log_notes_a_rate_changed_by_hand_and_keeps_the_settings(tmp_path):
    path = tmp_path / "run.csv"
    log = CsvLog(path, {"seed": 7, "hidden": [30], "lr": 0.25})
    test = Evaluation(0.9, 90, 100, 0.3, np.zeros((10, 10), int))
    log.note(RateChanged(0.5, 30_000, 1.25, 0.3125, 1.25))
    log.write(EpochDone(1, 1, 60_000, 0.4, test, 0.2, 2.0, 2.5, 30_000))
    log.write(EpochDone(2, 2, 120_000, 0.2, Evaluation(0.95, 95, 100, 0.2, test.confusion),
                        0.1, 2.0, 4.5, 30_000))
    log.close()
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "samples_seen", "elapsed_s", "learning_rate", "train_cost",
                       "test_cost", "test_accuracy", "note", "settings"]
    assert rows[1][:8] == ["0.5", "30000", "1.250", "0.3125", "", "", "",
                           "learning rate ×1.25 by hand"]
    assert json.loads(rows[1][8]) == {"seed": 7, "hidden": [30], "lr": 0.25}
    assert rows[2][7:] == ["", ""] and rows[3][7:] == ["", ""]  # settings: first row only
    run = runlog.read(path)
    np.testing.assert_array_equal(run.epoch, [1, 2])  # the note is no point on the curves
    np.testing.assert_array_equal(run.test_accuracy, [0.9, 0.95])
    np.testing.assert_array_equal(run.learning_rate, [0.2, 0.1])
    assert run.lr_marks == [(0.5, 0.3125, "learning rate ×1.25 by hand")]
    assert run.settings == {"seed": 7, "hidden": [30], "lr": 0.25}


def test_a_log_without_the_new_columns_reads_as_before(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("epoch,samples_seen,elapsed_s,learning_rate,train_cost,test_cost,"
                    "test_accuracy\n1,60000,1.5,0.1,0.3,0.2,0.95\n2,120000,3.0,0.1,0.2,0.1,0.97\n")
    run = runlog.read(path)
    assert run.settings == {} and run.lr_marks == []
    np.testing.assert_array_equal(run.test_accuracy, [0.95, 0.97])


def test_settings_that_are_not_a_json_object_are_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("epoch,test_accuracy,note,settings\n1,0.9,,[1]\n")
    with pytest.raises(runlog.RunLogError, match="line 2: settings is not a JSON object"):
        runlog.read(path)


# --- runs repeated from their seed -----------------------------------------------------------

def test_a_run_repeated_with_its_seed_and_settings_gives_the_same_weights(toy, tmp_path):
    """The first run gets no --seed: it draws one, and keeps it in the network file and the
    log; a second run given that seed and the logged settings ends with the same weights."""
    common = ["--data-dir", str(toy), "--dataset", "mnist", "--no-download", "--headless",
              "--threads", "1"]
    first = tmp_path / "first.npz"
    assert trainer.main([*common, "--hidden", "10", "--epochs", "2", "--augment", "2",
                         "--save", str(first), "--log", str(tmp_path / "first.csv")]) == 0
    seed = netfile.load(first).seed
    settings = runlog.read(tmp_path / "first.csv").settings
    assert seed is not None and settings["seed"] == seed and settings["threads"] == 1
    again = tmp_path / "again.npz"
    argv = [*common, "--seed", str(settings["seed"]), "--save", str(again),
            "--log", str(tmp_path / "again.csv"), "--hidden", *map(str, settings["hidden"])]
    for key in ("epochs", "batch_size", "lr", "schedule", "momentum", "weight_decay",
                "augment", "activation", "output"):
        argv += [f"--{key.replace('_', '-')}", str(settings[key])]
    assert trainer.main(argv) == 0
    a, b = netfile.load(first).net, netfile.load(again).net
    for x, y in zip(a.W + a.b, b.W + b.b):
        np.testing.assert_array_equal(x, y)


def test_the_docs_typed_letters_load_as_emnist_letters(tmp_path):
    """docs/images/make_letters.py, which made the 26-class pictures, writes a set the trainer
    reads as EMNIST Letters: upright, 26 named classes, the counts asked for."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_letters", Path(trainer.__file__).parent / "docs" / "images" / "make_letters.py")
    make_letters = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_letters)
    make_letters.write(tmp_path, n_train=3, n_test=2, seed=0)
    data = datasets.load("emnist-letters", tmp_path, False)
    assert data.classes[:2] == ["Aa", "Bb"] and data.n_classes == 26
    assert len(data.train_labels) == 78 and len(data.test_labels) == 52
    np.testing.assert_array_equal(np.bincount(data.test_labels), np.full(26, 2))
    # upright: ink fills the frame's middle, and the 2-pixel border EMNIST keeps stays dark
    images = data.train_images.reshape(-1, 28, 28)
    assert images[:, 0, :].max() < 60 and images[:, 8:20, 8:20].mean() > 40
