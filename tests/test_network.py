"""The maths of basicnet.network: gradients against finite differences, numerically safe
activations, the SGD step and the learning-rate schedules."""

import itertools
import warnings

import numpy as np
import pytest

from basicnet.network import (
    HIDDEN_ACTIVATIONS,
    OUTPUTS,
    SCHEDULES,
    SGD,
    Network,
    learning_rate,
    sigmoid,
    softmax,
)


def _net(sizes, hidden, output, seed=0) -> Network:
    """A float64 network with non-zero biases, so bias gradients are checked too."""
    rng = np.random.default_rng(seed)
    net = Network.create(sizes, rng, hidden, output, dtype=np.float64)
    for b in net.b:
        b[:] = rng.normal(0, 0.5, b.shape)
    return net


def _numeric_gradient(net, X, y, param, eps=1e-5, work=None):
    """Central differences of the mean cost with respect to every entry of `param` (with the
    dropout masks in `work`, when given)."""
    grad = np.zeros_like(param)
    for i in np.ndindex(param.shape):
        keep = param[i]
        param[i] = keep + eps
        up = net.cost(net.forward(X, work)[-1], y)
        param[i] = keep - eps
        down = net.cost(net.forward(X, work)[-1], y)
        param[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad


def _rel_error(a, b) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12))


@pytest.mark.parametrize("hidden, output", list(itertools.product(HIDDEN_ACTIVATIONS, OUTPUTS)))
@pytest.mark.parametrize("sizes", [[6, 5, 4, 3], [5, 4, 4, 3, 4]], ids=["2hidden", "3hidden"])
@pytest.mark.parametrize("path", ["new-arrays", "workspace", "dropout"])
def test_backward_matches_finite_differences(sizes, hidden, output, path):
    """Every path: new arrays; the workspace training reuses (larger than the batch, as for
    an epoch's last, short batch); and that workspace with dropout masks. With its masks held
    fixed, a network under dropout is a fixed function of its weights (some units silenced,
    the others scaled up), and backward must give that function's gradient."""
    net = _net(sizes, hidden, output)
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (7, sizes[0]))
    y = rng.integers(0, sizes[-1], 7)
    work = None if path == "new-arrays" else net.workspace(16)
    if path == "dropout":
        work.drop(0.5, np.random.default_rng(2), len(X))
        for m in work.mask[1:-1]:  # each layer drops some units and keeps others, scaled
            assert set(np.unique(m[:len(X)])) == {0, 2}
    dW, db = net.backward(net.forward(X, work), y, work)
    dW, db = [g.copy() for g in dW], [g.copy() for g in db]
    assert len(dW) == len(db) == len(sizes) - 1
    for l in range(len(net.W)):
        assert dW[l].shape == net.W[l].shape and db[l].shape == net.b[l].shape
        num_W = _numeric_gradient(net, X, y, net.W[l], work=work)
        num_b = _numeric_gradient(net, X, y, net.b[l], work=work)
        assert np.abs(num_W).max() > 1e-6, "a vanishing gradient would make the check vacuous"
        # worst measured over all cases: 1e-8 (eps=1e-5 balances truncation and rounding);
        # a missing σ' or 1/n anywhere gives more than 1e-3
        assert _rel_error(dW[l], num_W) < 1e-6, f"dW[{l}]"
        assert _rel_error(db[l], num_b) < 1e-6, f"db[{l}]"


def test_dropout_drops_at_its_rate_keeps_the_mean_and_only_in_training():
    """About p of the hidden units are dropped, the kept ones scaled by 1/(1 - p), so each
    unit's input to the next layer keeps its expected value; a network used without the
    training workspace (testing, the windows) never drops anything."""
    net = Network.create([20, 300, 200, 10], np.random.default_rng(3))
    work = net.workspace(64)
    work.drop(0.25, np.random.default_rng(4))
    assert work.mask[0] is None and work.mask[-1] is None  # hidden layers only
    for m in work.mask[1:-1]:
        assert set(np.unique(m)) == {0, np.float32(256 / 192)}
        assert abs((m == 0).mean() - 0.25) < 0.01
        assert abs(m.mean() - 1) < 0.02
    X = np.random.default_rng(5).normal(size=(64, 20)).astype(np.float32)
    a = net.forward(X, work)
    np.testing.assert_allclose(work.shown[1], a[1] * work.mask[1], rtol=1e-6)
    plain = net.predict(X)
    assert not np.allclose(a[-1], plain)  # training saw the dropped network ...
    np.testing.assert_array_equal(net.predict(X), plain)  # ... testing sees it whole
    work.drop(0, None)
    np.testing.assert_allclose(net.forward(X, work)[-1], plain, rtol=1e-5)
    assert net.workspace(8).mask == [None] * 4  # a workspace starts without dropout


@pytest.mark.parametrize("output", OUTPUTS)
def test_backward_changes_nothing(output):
    net = _net([8, 6, 5, 4], "sigmoid", output)
    rng = np.random.default_rng(2)
    X = rng.normal(0, 1, (5, 8))
    y = rng.integers(0, 4, 5)
    a = net.forward(X)
    before = ([w.copy() for w in net.W], [b.copy() for b in net.b], [x.copy() for x in a],
              X.copy(), y.copy())
    net.backward(a, y)
    for old, new in zip(before, (net.W, net.b, a, X, y)):
        for o, n in zip(old, new):
            np.testing.assert_array_equal(o, n)


def test_forward_returns_every_activation():
    net = _net([6, 5, 4, 3], "tanh", "softmax")
    X = np.random.default_rng(3).normal(0, 1, (9, 6))
    a = net.forward(X)
    assert [x.shape for x in a] == [(9, 6), (9, 5), (9, 4), (9, 3)]
    assert a[0] is X
    np.testing.assert_allclose(a[-1].sum(axis=1), 1.0)
    np.testing.assert_allclose(a[1], np.tanh(X @ net.W[0] + net.b[0]))


def test_float32_by_default_and_fan_in_scaled():
    rng = np.random.default_rng(4)
    net = Network.create([784, 400, 10], rng)
    assert all(w.dtype == np.float32 for w in net.W + net.b)
    assert net.W[0].std() == pytest.approx(1 / np.sqrt(784), rel=0.02)
    assert net.W[1].std() == pytest.approx(1 / np.sqrt(400), rel=0.05)
    assert net.forward(np.ones((2, 784), np.float32))[-1].dtype == np.float32


# --- activations at extreme inputs -------------------------------------------------------------

def _strict():
    """Every floating-point warning (overflow, invalid, divide) becomes an error."""
    warnings.simplefilter("error")
    return np.errstate(over="raise", invalid="raise", divide="raise", under="ignore")


EXTREMES = [1.0, 20.0, 1e4, 1e30]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("big", EXTREMES + ["max"])
def test_sigmoid_is_safe_and_right_at_extremes(dtype, big):
    big = np.finfo(dtype).max if big == "max" else big
    z = np.array([-big, -big / 2, 0, big / 2, big], dtype)
    with warnings.catch_warnings(), _strict():
        s = sigmoid(z.copy())
    assert s.dtype == dtype
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-z.astype(np.float64)))
    np.testing.assert_allclose(s, expected, rtol=0, atol=2 * np.finfo(dtype).eps)
    assert np.all((s >= 0) & (s <= 1))
    if big >= 1e4:
        assert s[0] == 0 and s[-1] == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("big", EXTREMES + ["max"])
def test_softmax_is_safe_and_right_at_extremes(dtype, big):
    big = np.finfo(dtype).max if big == "max" else big
    z = np.array([[-big, 0, big], [big, big, -big], [-big, -big, -big], [0, 1, 2]], dtype)
    with warnings.catch_warnings(), _strict():
        p = softmax(z.copy())
    assert p.dtype == dtype and np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=4 * np.finfo(dtype).eps)
    np.testing.assert_allclose(p[2], 1 / 3, rtol=4 * np.finfo(dtype).eps)
    e = np.exp([0.0, 1.0, 2.0])
    np.testing.assert_allclose(p[3], e / e.sum(), rtol=4 * np.finfo(dtype).eps)
    if big >= 1e4:
        np.testing.assert_array_equal(p[0], [0, 0, 1])
        np.testing.assert_array_equal(p[1], [0.5, 0.5, 0])


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_network_saturated_by_huge_weights_stays_finite(output, dtype):
    """A network driven far into saturation still gives finite outputs, cost and gradients."""
    net = Network.create([4, 3, 2], np.random.default_rng(5), output=output, dtype=dtype)
    net.W = [w * dtype(1e4) for w in net.W]
    X = np.random.default_rng(6).normal(0, 100, (8, 4)).astype(dtype)
    y = np.arange(8) % 2
    with warnings.catch_warnings(), _strict():
        a = net.forward(X)
        cost = net.cost(a[-1], y)
        dW, db = net.backward(a, y)
    assert np.isfinite(cost) and cost > 0
    assert all(np.all(np.isfinite(g)) for g in dW + db)


# --- SGD ---------------------------------------------------------------------------------------

def test_sgd_momentum_and_weight_decay_hand_computed():
    """v ← μv − η(∂C/∂W + λW), W ← W + v; the bias velocity gets no decay term."""
    net = Network([np.array([[1.0], [2.0]])], [np.array([0.5])])
    W_ref, b_ref = net.W[0], net.b[0]
    opt = SGD(momentum=0.9, weight_decay=0.01)
    gW, gb = [np.array([[0.5], [-1.0]])], [np.array([0.25])]
    opt.update(net, gW, gb, 0.1)
    # v = -0.1 (g + 0.01 W) = [-0.051, 0.098];  vb = -0.025
    np.testing.assert_allclose(net.W[0], [[0.949], [2.098]], rtol=1e-12)
    np.testing.assert_allclose(net.b[0], [0.475], rtol=1e-12)
    opt.update(net, gW, gb, 0.1)
    # v = 0.9 v - 0.1 (g + 0.01 W) = [-0.096849, 0.186102];  vb = 0.9(-0.025) - 0.025
    np.testing.assert_allclose(net.W[0], [[0.852151], [2.284102]], rtol=1e-12)
    np.testing.assert_allclose(net.b[0], [0.4275], rtol=1e-12)
    np.testing.assert_allclose(opt.vW[0], [[-0.096849], [0.186102]], rtol=1e-12)
    np.testing.assert_allclose(opt.vb[0], [-0.0475], rtol=1e-12)
    assert net.W[0] is W_ref and net.b[0] is b_ref, "updates happen in place"
    np.testing.assert_array_equal(gW[0], [[0.5], [-1.0]])  # the gradients are not consumed


def test_plain_sgd_is_w_minus_lr_gradient():
    rng = np.random.default_rng(7)
    net = _net([3, 4, 2], "sigmoid", "softmax")
    old = net.copy()
    dW = [rng.normal(size=w.shape) for w in net.W]
    db = [rng.normal(size=b.shape) for b in net.b]
    SGD(momentum=0.0, weight_decay=0.0).update(net, dW, db, 0.3)
    for l in range(2):
        np.testing.assert_allclose(net.W[l], old.W[l] - 0.3 * dW[l], rtol=1e-12)
        np.testing.assert_allclose(net.b[l], old.b[l] - 0.3 * db[l], rtol=1e-12)


def test_weight_decay_alone_shrinks_weights_not_biases():
    net = _net([3, 2], "sigmoid", "softmax")
    old = net.copy()
    zero = [np.zeros_like(w) for w in net.W], [np.zeros_like(b) for b in net.b]
    SGD(momentum=0.0, weight_decay=0.1).update(net, *zero, 0.5)
    np.testing.assert_allclose(net.W[0], old.W[0] * (1 - 0.5 * 0.1), rtol=1e-12)
    np.testing.assert_array_equal(net.b[0], old.b[0])


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("momentum, decay", [(0.0, 0.0), (0.0, 0.01), (0.9, 0.0), (0.9, 0.01)])
def test_training_path_steps_equal_the_gradient_path(momentum, decay, output):
    """The training loop asks backward for η·∇C (scale=η) and hands it over as steps
    (scaled=True); two updates that way move the network exactly as gradients and lr do."""
    a_net = _net([5, 4, 3], "sigmoid", output)
    b_net = a_net.copy()
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(6, 5)), rng.integers(0, 3, 6)
    a_opt, b_opt = SGD(momentum, decay), SGD(momentum, decay)
    for lr in (0.5, 0.2):
        dW, db = a_net.backward(a_net.forward(X), y)
        steps = b_net.backward(b_net.forward(X, work := b_net.workspace(8)), y, work, scale=lr)
        for g, s in zip(dW + db, steps[0] + steps[1]):
            np.testing.assert_allclose(s, lr * g, rtol=1e-12)
        a_opt.update(a_net, dW, db, lr)
        b_opt.update(b_net, *steps, lr, scaled=True)
        for p, q in zip(a_net.W + a_net.b, b_net.W + b_net.b):
            np.testing.assert_allclose(q, p, rtol=1e-12)


def test_weight_decay_scratch_follows_the_network_dtype():
    """One optimiser, a float32 network then a float64 one: λ·W must not be rounded to
    float32 for the second."""
    opt = SGD(momentum=0.0, weight_decay=0.1)
    small = _net([3, 2], "sigmoid", "softmax").astype(np.float32)
    opt.update(small, [np.zeros_like(w) for w in small.W], [np.zeros_like(b) for b in small.b],
               0.5)
    net = _net([3, 2], "sigmoid", "softmax")
    net.W[0][:] = 1 / 3  # not a float32 number
    opt.update(net, [np.zeros_like(w) for w in net.W], [np.zeros_like(b) for b in net.b], 0.5)
    np.testing.assert_allclose(net.W[0], (1 / 3) * (1 - 0.05), rtol=1e-15)


def test_sgd_lowers_the_cost():
    net = _net([6, 8, 8, 3], "sigmoid", "softmax")
    rng = np.random.default_rng(8)
    X = rng.normal(size=(40, 6))
    y = X[:, :3].argmax(axis=1)  # a rule to learn, not noise to memorise
    opt = SGD(momentum=0.9)
    start = net.cost(net.predict(X), y)
    for _ in range(100):
        opt.update(net, *net.backward(net.forward(X), y), 0.5)
    assert net.cost(net.predict(X), y) < 0.5 * start


# --- learning-rate schedules -------------------------------------------------------------------

def test_constant_schedule():
    assert [learning_rate(0.3, "constant", t) for t in (0, 0.5, 1)] == [0.3, 0.3, 0.3]


def test_cosine_schedule_shape():
    lr = [learning_rate(0.2, "cosine", t) for t in (0, 0.25, 0.5, 0.75, 1)]
    np.testing.assert_allclose(lr, [0.2, 0.2 * (1 + np.sqrt(0.5)) / 2, 0.1,
                                    0.2 * (1 - np.sqrt(0.5)) / 2, 0], atol=1e-12)


def test_step_schedule_halves_each_quarter():
    lr = [learning_rate(0.8, "step", t) for t in (0, 0.24, 0.25, 0.5, 0.75, 0.99, 1)]
    assert lr == [0.8, 0.8, 0.4, 0.2, 0.1, 0.1, 0.1]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_schedule_starts_at_base_and_never_rises(schedule):
    lr = [learning_rate(0.5, schedule, t) for t in np.linspace(0, 1, 101)]
    assert lr[0] == pytest.approx(0.5)
    assert all(0 <= x <= 0.5 for x in lr)
    assert all(b <= a + 1e-15 for a, b in zip(lr, lr[1:]))
    # progress outside [0, 1] (e.g. a resumed run) is clamped rather than extrapolated
    assert learning_rate(0.5, schedule, -1) == lr[0]
    assert learning_rate(0.5, schedule, 2) == pytest.approx(lr[-1])


def test_unknown_schedule_and_activation_are_refused():
    with pytest.raises(ValueError, match="schedule"):
        learning_rate(0.1, "sawtooth", 0.5)
    with pytest.raises(ValueError, match="activation"):
        Network.create([2, 2], np.random.default_rng(), hidden="swish")
    with pytest.raises(ValueError, match="output"):
        Network.create([2, 2], np.random.default_rng(), output="linear")


@pytest.mark.parametrize("output", OUTPUTS)
def test_shares_are_what_the_windows_show_as_percentages(output):
    """Softmax outputs are probabilities already; independent sigmoid outputs, which can all be
    near 1 at once, are shown as shares of their sum."""
    net = _net([6, 5, 4], "sigmoid", output)
    out = net.predict(np.random.default_rng(3).normal(0, 3, (9, 6)))
    shares = net.output_layer.confidence(out)
    np.testing.assert_allclose(shares.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(shares.argmax(axis=1), out.argmax(axis=1))
    if output == "softmax":
        assert shares is out
    else:
        assert out.sum(axis=1).max() > 1.2, "the case this guards against: outputs over 100 %"
