"""The training loop's bookkeeping: what the events report."""

import time

import numpy as np

from basicnet import datasets
from basicnet.network import SGD, Network
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
