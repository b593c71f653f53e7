"""Learning on the real MNIST: one epoch must get far beyond what a subtly broken backprop or a
mangled dataset could reach. The bounds were set from measured runs, broken ones included
(docs/testing.md, "Learning").
"""

import numpy as np
import pytest

from basicnet.network import SGD, Network
from basicnet.training import BatchDone, EpochDone, Hyper, evaluate, train


def _one_epoch(data, sizes, output, hyper: Hyper, seed=0):
    rng = np.random.default_rng(seed)
    net = Network.create(sizes, rng, output=output)
    events = list(train(net, data, hyper, rng, SGD(momentum=hyper.momentum)))
    return net, events


def test_softmax_network_learns_mnist_in_one_epoch(mnist):
    net, events = _one_epoch(mnist, [784, 100, 10], "softmax",
                             Hyper(epochs=1, batch_size=32, lr=0.1, schedule="constant",
                                   momentum=0.9))
    batches = [e for e in events if isinstance(e, BatchDone)]
    (done,) = [e for e in events if isinstance(e, EpochDone)]
    assert events[-1] is done
    assert len(batches) == 1875 and batches[-1].samples_seen == 60000
    assert [b.batch for b in batches[:3]] == [1, 2, 3]
    assert (done.epoch, done.epochs_trained, done.samples_seen) == (1, 1, 60000)

    test = done.test
    assert test.accuracy >= 0.945, f"{test.accuracy:.2%}"
    assert test.total == 10000 and test.correct == round(test.accuracy * 10000)
    assert test.confusion.shape == (10, 10) and test.confusion.sum() == 10000
    assert np.array_equal(test.confusion.sum(axis=1), np.bincount(mnist.test_labels))
    assert test.cost < 0.25 and done.train_cost < 0.5
    # the costs of the first batches are those of an untrained net: about ln 10
    assert batches[0].cost == pytest.approx(np.log(10), abs=0.3)
    assert np.mean([b.cost for b in batches[-100:]]) < 0.3
    # evaluate() agrees with the figures the epoch reported
    again = evaluate(net, mnist.test_images, mnist.test_labels)
    assert (again.correct, again.cost) == (test.correct, pytest.approx(test.cost, rel=1e-5))


def test_quadratic_sigmoid_network_learns_mnist_in_one_epoch(mnist):
    """The 3Blue1Brown model: sigmoid outputs and the quadratic cost."""
    net, events = _one_epoch(mnist, [784, 30, 10], "sigmoid",
                             Hyper(epochs=1, batch_size=32, lr=3.0, schedule="constant",
                                   momentum=0.0))
    assert events[-1].test.accuracy >= 0.92, f"{events[-1].test.accuracy:.2%}"
