"""The training loop's bookkeeping: what the events report."""

import time

import numpy as np
import pytest

from basicnet import datasets
from basicnet.network import SGD, Network
from basicnet.threads import ThreadTuner, tune_threads
from basicnet.training import BatchDone, EpochDone, Hyper, evaluate, train


def test_epoch_seconds_leave_out_what_consumers_do(toy_dir):
    """A window that draws (or is paused) between batches must not make training look slow:
    the epoch's seconds and samples/s count training only."""
    data = datasets.load("mnist", toy_dir)
    net = Network.create([784, 16, 10], np.random.default_rng(0))
    started = time.perf_counter()
    done = None
    for event in train(net, data, Hyper(epochs=1, batch_size=20), np.random.default_rng(1),
                       SGD()):
        if isinstance(event, BatchDone):
            time.sleep(0.02)  # ten batches: 0.2 s spent by the consumer
        else:
            done = event
    wall = time.perf_counter() - started
    assert isinstance(done, EpochDone) and wall > 0.2
    assert done.seconds < 0.1 and done.elapsed == done.seconds
    assert done.samples_per_s == len(data.train_labels) / done.seconds


def test_confusion_matrix_with_small_integer_labels():
    """uint8 labels times 62 classes would wrap round; the matrix must still add up."""
    net = Network.create([784, 8, 62], np.random.default_rng(0))
    images = np.random.default_rng(1).integers(0, 256, (124, 784), dtype=np.uint8)
    labels = np.repeat(np.arange(62, dtype=np.uint8), 2)
    result = evaluate(net, images, labels, 62)
    assert result.confusion.sum() == 124
    np.testing.assert_array_equal(result.confusion.sum(axis=1), np.full(62, 2))


# --- BLAS threads chosen by timing batches ------------------------------------------------------

def _feed(tuner, speed, batches):
    """Run `batches` batches whose time depends on the thread count: speed[threads] seconds.
    Returns the thread counts in force for each batch."""
    used = []
    for _ in range(batches):
        used.append(tuner.threads)
        tuner.batch_done(speed[tuner.threads])
    return used


def test_thread_tuner_keeps_the_faster_choice_and_notices_when_it_changes():
    tuner = ThreadTuner(cores=2, probe=4, hold=10)
    assert tuner.choices == [1, 2]
    used = _feed(tuner, {1: 1.0, 2: 0.5}, 8 + 10)  # both tried for 4 batches, then 2 held
    assert used == [1] * 4 + [2] * 4 + [2] * 10
    # the choice in force is timed first; one thread is given up as soon as its three batches
    # after the warm-up one cost more than two threads' whole probe; 2 wins again: held twice
    # as long
    used = _feed(tuner, {1: 1.0, 2: 0.5}, 4 + 3 + 20)
    assert used == [2] * 4 + [1] * 3 + [2] * 20
    # another program takes a core: two threads become slow, and the next trial sees it
    used = _feed(tuner, {1: 1.0, 2: 3.0}, 8 + 10 + 1)
    assert used == [2] * 4 + [1] * 4 + [1] * 10 + [1]
    assert tuner.hold == 10, "a new winner is held for the first, short time again"


def test_thread_tuner_goes_by_the_mean_so_rare_long_stalls_count():
    """On a busy machine most two-thread batches are fast and a few wait a whole time slice."""
    tuner = ThreadTuner(cores=2, probe=9, hold=10)
    for t in [1.0] * 9 + [1.0] + [0.5, 0.5, 0.5, 5.0, 0.5, 0.5, 0.5, 0.5]:  # median 0.5, mean 1.06
        tuner.batch_done(t)
    assert tuner.threads == 1


def test_thread_tuner_ignores_a_slow_first_batch_after_a_switch():
    tuner = ThreadTuner(cores=2, probe=5, hold=10)
    times = iter([1.0] * 5 + [9.0] + [0.5] * 4)  # two threads: a slow start, then faster
    for t in times:
        tuner.batch_done(t)
    assert tuner.threads == 2


def test_thread_tuner_holds_a_steady_choice_at_most_16_times_the_first_hold():
    tuner = ThreadTuner(cores=2, probe=2, hold=1)
    _feed(tuner, {1: 1.0, 2: 0.5}, 400)
    assert tuner.hold == 16
    with pytest.raises(ValueError):
        ThreadTuner(cores=2, probe=1)


def test_thread_tuner_choices():
    assert ThreadTuner(cores=1).choices == [1]
    assert ThreadTuner(cores=6).choices == [1, 2, 4, 6]
    assert ThreadTuner(cores=8).choices == [1, 2, 4, 8]
    one = ThreadTuner(cores=1, probe=2, hold=3)
    assert set(_feed(one, {1: 1.0}, 50)) == {1}


def test_tune_threads_sets_the_blas_threads_between_batches_and_restores_them():
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController().select(user_api="blas")
    if not blas.lib_controllers:
        pytest.skip("numpy reports no BLAS library to tune")
    before = blas.info()[0]["num_threads"]
    probe = ThreadTuner(cores=2).probe  # tune_threads times 1 thread, then 2, and keeps 2
    seen = []

    def events():
        for i in range(3 * probe):
            seen.append(ThreadpoolController().select(user_api="blas").info()[0]["num_threads"])
            yield BatchDone(1, i + 1, 3 * probe, i + 1, 1.0, 0.1, 0.001 * (3 - seen[-1]))

    assert list(tune_threads(events(), cores=2))[-1].batch == 3 * probe
    assert seen == [1] * probe + [2] * (2 * probe)
    assert blas.info()[0]["num_threads"] == before

    # a consumer that stops early: closing the events restores the count too
    seen.clear()
    events_ = tune_threads(events(), cores=2)
    for _ in events_:
        if seen[-1] == 2:
            break
    events_.close()
    assert blas.info()[0]["num_threads"] == before


def test_tune_threads_keeps_to_the_threads_blas_was_given(monkeypatch):
    """OPENBLAS_NUM_THREADS=1 (or threadpool_limits(1)) before training means one thread:
    the tuner does not raise it (the test suite itself runs that way)."""
    from threadpoolctl import ThreadpoolController, threadpool_limits

    monkeypatch.setattr("basicnet.threads.usable_cores", lambda: 8)
    events = [BatchDone(1, i + 1, 200, i + 1, 1.0, 0.1, 0.001) for i in range(200)]
    seen = []

    def watch(evs):
        for e in evs:
            seen.append(ThreadpoolController().select(user_api="blas").info()[0]["num_threads"])
            yield e

    with threadpool_limits(1, user_api="blas"):
        list(watch(tune_threads(iter(events))))
    assert set(seen) == {1}
