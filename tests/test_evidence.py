"""What the network looks at: the evidence map (gradient × input of a class's log-confidence),
through the hand-written backward pass, against finite differences of the same quantity."""

import itertools

import numpy as np
import pytest
from test_network import _net

from basicnet.network import HIDDEN_ACTIVATIONS, OUTPUT_LAYERS, OUTPUTS, Network


def _log_confidence(net, X, k):
    return np.log(net.confidence(X)[np.arange(len(X)), k])


def _numeric_input_gradient(net, X, k, eps=1e-6):
    """Central differences of ln confidence_k with respect to every input of every row."""
    grad = np.zeros_like(X)
    for j in range(X.shape[1]):
        up, down = X.copy(), X.copy()
        up[:, j] += eps
        down[:, j] -= eps
        grad[:, j] = (_log_confidence(net, up, k) - _log_confidence(net, down, k)) / (2 * eps)
    return grad


@pytest.mark.parametrize("hidden, output", list(itertools.product(HIDDEN_ACTIVATIONS, OUTPUTS)))
@pytest.mark.parametrize("sizes", [[9, 5, 4], [9, 6, 5, 4]], ids=["1hidden", "2hidden"])
def test_evidence_is_gradient_times_input_by_finite_differences(sizes, hidden, output):
    net = _net(sizes, hidden, output)
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, (5, sizes[0]))
    X[:, :2] = 0  # blank pixels: no evidence, whatever their gradient
    k = rng.integers(0, sizes[-1], 5)
    evidence = net.evidence(net.forward(X), k)
    numeric = X * _numeric_input_gradient(net, X, k)
    assert evidence.shape == X.shape
    assert np.abs(numeric).max() > 1e-4, "a vanishing gradient would make the check vacuous"
    scale = np.abs(numeric).max()
    assert np.abs(evidence - numeric).max() < 1e-7 * scale
    assert not evidence[:, :2].any()


@pytest.mark.parametrize("output", OUTPUTS)
def test_log_confidence_delta_by_finite_differences(output):
    """∂ ln confidence_k / ∂z[L], each output layer's own, against differences in z."""
    layer = OUTPUT_LAYERS[output]
    rng = np.random.default_rng(3)
    z = rng.normal(0, 2, (4, 6))
    k = np.array([0, 5, 2, 2])

    def log_conf(z):
        c = layer.confidence(layer.activation(z.copy()))
        return np.log(c[np.arange(len(k)), k])

    numeric = np.zeros_like(z)
    for j in range(z.shape[1]):
        up, down = z.copy(), z.copy()
        up[:, j] += 1e-6
        down[:, j] -= 1e-6
        numeric[:, j] = (log_conf(up) - log_conf(down)) / 2e-6
    delta = layer.log_confidence_delta(layer.activation(z.copy()), k)
    assert np.abs(delta - numeric).max() < 1e-8


def test_evidence_changes_nothing_and_works_in_float32():
    net = Network.create([784, 30, 10], np.random.default_rng(0))
    X = np.random.default_rng(1).uniform(0, 1, (1, 784)).astype(np.float32)
    a = net.forward(X)
    before = [w.copy() for w in net.W], [x.copy() for x in a]
    e = net.evidence(a, [3])
    assert e.dtype == np.float32 and np.isfinite(e).all()
    assert all(np.array_equal(w, v) for w, v in zip(net.W, before[0]))
    assert all(np.array_equal(x, v) for x, v in zip(a, before[1]))
