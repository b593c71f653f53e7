"""A multilayer perceptron in plain numpy, written the way the maths is written.

Shapes, for a batch of N samples and layer sizes n_0, n_1, ..., n_L:

    a[0] = X                     (N, n_0)        one sample per row
    W[l]                         (n_l, n_{l+1})
    b[l]                         (n_{l+1},)
    z[l+1] = a[l] @ W[l] + b[l]  (N, n_{l+1})
    a[l+1] = σ(z[l+1])           hidden layers: sigmoid (default), tanh or relu
    a[L]   = softmax(z[L])       with the cross-entropy cost (default, learns fast), or
           = sigmoid(z[L])       with the quadratic cost (the 3Blue1Brown model)

`forward` returns every activation, `backward` returns the gradients of the mean cost and
changes nothing, `SGD.update` applies them. Keeping the three apart makes a gradient check a
few lines long and lets a window read the weights safely between two steps.

Speed: the matrix products are most of the work, so everything else avoids new arrays. A
training loop hands `forward` and `backward` a `Workspace` whose arrays every batch reuses,
asks `backward` for the steps η·∂C/∂W rather than the gradients (the learning rate rides on
the small δ[L], not on a pass over every W), and everything stays float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# --- activations -------------------------------------------------------------------------------
# Each writes into `out` when given (z itself, in forward: nobody else reads it) to spare the
# allocator; on a 784-800-10 network these element-wise passes are a few % of a batch's time.

def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z). Where z < -88, e^-z overflows a float32 to inf and
    1 / (1 + inf) = 0 is the right answer, so that overflow is expected and its warning
    silenced. (The tanh form, (1 + tanh(z/2)) / 2, never overflows but costs twice as much.)"""
    with np.errstate(over="ignore"):
        out = np.negative(z, out=out)
        np.exp(out, out=out)
    out += 1.0
    return np.divide(1.0, out, out=out)


def tanh(z, out=None):
    return np.tanh(z, out=out)


def relu(z, out=None):
    return np.maximum(z, 0, out=out)


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Row-wise softmax; subtracting the row maximum keeps every exp(·) ≤ 1."""
    with np.errstate(over="ignore"):  # z - max may reach -inf near the float limit: exp gives 0
        out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


# σ'(z) written with the activation a = σ(z), which forward already kept, so backward needs no z.

def sigmoid_prime(a, out=None):
    """σ' = a(1 - a)"""
    out = np.subtract(1, a, out=out)
    out *= a
    return out


def tanh_prime(a, out=None):
    """tanh' = 1 - a²"""
    out = np.multiply(a, a, out=out)
    return np.subtract(1, out, out=out)


def relu_prime(a, out=None):
    """relu' = [a > 0]"""
    return np.greater(a, 0, out=out if out is not None else np.empty_like(a))


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}
DERIVATIVES = {"sigmoid": sigmoid_prime, "tanh": tanh_prime, "relu": relu_prime}
HIDDEN_ACTIVATIONS = tuple(ACTIVATIONS)
# What a layer of each activation can output: the range a picture of its activations spans
# (None: unbounded above; a picture then scales to the largest value it shows).
ACTIVATION_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, None)}


# --- output layers: an activation and the cost it is paired with ------------------------------
# As in Nielsen's network2.py, each pair is one small object that owns its cost and its output
# error δ[L], so no other code asks which output it is. y is given as integer labels (N,);
# the one-hot vector is never built: "minus y" is a subtraction of 1 at each label.

class SoftmaxCrossEntropy:
    """softmax outputs, a probability distribution over the classes, with the cross-entropy
    cost C = -ln a_y: δ[L] = a - y, no σ' factor, so a confident wrong answer learns fast."""

    name, cost_name = "softmax", "cross-entropy"
    activation = staticmethod(softmax)

    @staticmethod
    def cost(a: np.ndarray, y: np.ndarray) -> float:
        """Mean cost of the batch."""
        p = a[np.arange(len(y)), y]  # the probability given to the right class
        np.maximum(p, np.finfo(p.dtype).tiny, out=p)  # log(0) would be -inf
        return -float(np.log(p, out=p).sum()) / len(y)

    @staticmethod
    def delta(a: np.ndarray, y: np.ndarray, out: np.ndarray, scratch=None) -> np.ndarray:
        """δ[L] = ∂C/∂z[L] = a - y, written into `out`."""
        np.copyto(out, a)
        out[np.arange(len(y)), y] -= 1
        return out

    @staticmethod
    def confidence(a: np.ndarray) -> np.ndarray:
        """How sure the network is of each class, summing to 1 per row: softmax outputs
        already are."""
        return a

    @staticmethod
    def log_confidence_delta(a: np.ndarray, k: np.ndarray) -> np.ndarray:
        """∂ ln a_k / ∂z[L] for the class k of each row: e_k - a, the cross-entropy's δ[L]
        with the sign turned (its cost is -ln a_y)."""
        out = np.negative(a)
        out[np.arange(len(k)), k] += 1
        return out


class SigmoidQuadratic:
    """Independent sigmoid outputs with the quadratic cost C = ½‖a - y‖² (the 3Blue1Brown
    model): δ[L] = (a - y) ⊙ σ'(z[L]) (Nielsen's BP1)."""

    name, cost_name = "sigmoid", "quadratic"
    activation = staticmethod(sigmoid)

    @staticmethod
    def cost(a: np.ndarray, y: np.ndarray) -> float:
        diff = a.copy()
        diff[np.arange(len(y)), y] -= 1
        return float(0.5 * np.einsum("ij,ij->", diff, diff) / len(y))

    @staticmethod
    def delta(a: np.ndarray, y: np.ndarray, out: np.ndarray, scratch=None) -> np.ndarray:
        np.copyto(out, a)
        out[np.arange(len(y)), y] -= 1
        out *= sigmoid_prime(a, out=scratch)
        return out

    @staticmethod
    def confidence(a: np.ndarray) -> np.ndarray:
        """Each output's share of the row's sum: independent sigmoids do not sum to 1, and two
        classes must not both read 90 %."""
        return a / SigmoidQuadratic._sum(a)

    @staticmethod
    def log_confidence_delta(a: np.ndarray, k: np.ndarray) -> np.ndarray:
        """∂ ln c_k / ∂z[L] for the class k of each row, where c_k = a_k / S and S = Σ_j a_j:

            ln c_k = ln a_k - ln S,   ∂a_j/∂z_j = σ'(z_j) = a_j(1 - a_j),   so
            ∂ ln c_k / ∂z_j = [j = k]·(1 - a_k) - σ'(z_j) / S

        (σ'(z_k)/a_k is written 1 - a_k: no division by an output that may be 0)."""
        out = sigmoid_prime(a)
        out /= -SigmoidQuadratic._sum(a)
        rows = np.arange(len(k))
        out[rows, k] += 1 - a[rows, k]
        return out

    @staticmethod
    def _sum(a: np.ndarray) -> np.ndarray:
        return np.maximum(a.sum(axis=-1, keepdims=True), np.finfo(a.dtype).tiny)


OUTPUT_LAYERS = {o.name: o for o in (SoftmaxCrossEntropy, SigmoidQuadratic)}
OUTPUTS = tuple(OUTPUT_LAYERS)  # softmax + cross-entropy (default), sigmoid + quadratic cost


# --- the network -------------------------------------------------------------------------------

def init_std(n_in: int, hidden: str) -> float:
    """The standard deviation of a layer's starting weights: sqrt(1/n_in), so the variance of
    z does not grow with the number of inputs and no sigmoid starts saturated; He's
    sqrt(2/n_in) for ReLU, which silences half its inputs."""
    return math.sqrt((2.0 if hidden == "relu" else 1.0) / n_in)


class Workspace:
    """Arrays that `forward` and `backward` write into instead of allocating fresh ones for
    every batch: the activations a[l], the errors δ[l], σ'(z[l]), the gradients, and the input
    batch as floats. A training loop makes one per batch size and hands it to every call;
    whatever a call wrote into it is overwritten by the next call that uses it, so copy what
    you want to keep. Smaller batches (the last one of an epoch) use the first rows.

    Dropout (training only, `drop`) keeps its masks here too: m[l] for each hidden layer, and
    a[l] ⊙ m[l], what the next layer is shown."""

    def __init__(self, sizes, batch_size: int, dtype=np.float32):
        self.sizes, self.batch_size, self.dtype = list(sizes), batch_size, np.dtype(dtype)
        rows = [np.empty((batch_size, n), dtype) for n in sizes]
        self.x = rows[0]  # the input batch, converted from pixels
        self.a = [None] + rows[1:]
        self.delta = [None] + [np.empty((batch_size, n), dtype) for n in sizes[1:]]
        self.prime = [None] + [np.empty((batch_size, n), dtype) for n in sizes[1:]]
        self.dW = [np.empty((n_in, n_out), dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.db = [np.empty(n_out, dtype) for n_out in sizes[1:]]
        self.mask = [None] * len(sizes)  # m[l], or None: no dropout on layer l
        self.shown = [None] * len(sizes)  # a[l] ⊙ m[l]

    def drop(self, p: float, rng: np.random.Generator, n: int | None = None) -> None:
        """Draw fresh dropout masks for the first n rows (default: all): each hidden unit is
        dropped, m = 0, with probability p and kept, m = 1/(1 - p), otherwise; p = 0 switches
        dropout off.

        Inverted dropout (Srivastava et al. 2014): scaling the kept units by 1/(1 - p) keeps
        what the next layer receives the same on average, so the network is tested whole and
        unchanged. The coin is one random byte per unit, drawn in bulk (a random float per
        unit would cost more than the rest of the mask), so p is rounded to a multiple of
        1/256, and the scale uses that rounded p: the expectation stays exact."""
        hidden = range(1, len(self.sizes) - 1)
        self.mask = [None] * len(self.sizes)
        if not p:
            return
        if self.shown[1] is None:
            self.shown = [None] + [np.empty_like(self.a[l]) for l in hidden] + [None]
            self._masks = [None] + [np.empty_like(self.a[l]) for l in hidden] + [None]
            self._kept = [None] + [np.empty(self.a[l].shape, bool) for l in hidden] + [None]
        n = self.batch_size if n is None else n
        threshold = min(max(round(p * 256), 1), 255)  # a unit is dropped when its byte is below
        scale = self.dtype.type(256 / (256 - threshold))
        for l in hidden:
            coins = np.frombuffer(rng.bytes(n * self.sizes[l]), np.uint8).reshape(n, -1)
            kept = np.greater_equal(coins, threshold, out=self._kept[l][:n])
            self.mask[l] = np.multiply(kept, scale, out=self._masks[l][:n])


def sizes_text(sizes) -> str:
    """Layer sizes as people write them: '784-200-10'."""
    return "-".join(map(str, sizes))


@dataclass
class Network:
    """Weights, biases and the choice of activations; nothing else."""

    W: list[np.ndarray]
    b: list[np.ndarray]
    hidden: str = "sigmoid"
    output: str = "softmax"

    @classmethod
    def create(cls, sizes, rng: np.random.Generator, hidden="sigmoid", output="softmax",
               dtype=np.float32) -> Network:
        """Weights ~ N(0, init_std²), biases zero."""
        if hidden not in ACTIVATIONS:
            raise ValueError(f"unknown hidden activation {hidden!r}")
        if output not in OUTPUT_LAYERS:
            raise ValueError(f"unknown output {output!r}")
        W = [(rng.standard_normal((n_in, n_out)) * init_std(n_in, hidden)).astype(dtype)
             for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        b = [np.zeros(n_out, dtype) for n_out in sizes[1:]]
        return cls(W, b, hidden, output)

    @property
    def sizes(self) -> list[int]:
        return [self.W[0].shape[0]] + [w.shape[1] for w in self.W]

    @property
    def sizes_text(self) -> str:
        """The layer sizes as people write them: '784-200-10'."""
        return sizes_text(self.sizes)

    @property
    def output_layer(self):
        """The output activation and its cost, as one object (see OUTPUT_LAYERS)."""
        return OUTPUT_LAYERS[self.output]

    @property
    def cost_name(self) -> str:
        return self.output_layer.cost_name

    def astype(self, dtype) -> Network:
        return Network([w.astype(dtype) for w in self.W], [b.astype(dtype) for b in self.b],
                       self.hidden, self.output)

    def copy(self) -> Network:
        return self.astype(self.W[0].dtype)

    def workspace(self, batch_size: int) -> Workspace:
        return Workspace(self.sizes, batch_size, self.W[0].dtype)

    def forward(self, X: np.ndarray, work: Workspace | None = None) -> list[np.ndarray]:
        """Every activation a[0] = X, a[1], ..., a[L] for a batch X of shape (N, n_0); written
        into `work` when given (then valid until its next use), else into new arrays.
        With dropout masks in `work`, hidden layer l shows the next layer a[l] ⊙ m[l] (kept
        in `work.shown` for backward); the list still holds the units' own a[l]."""
        a = [X]
        last = len(self.W) - 1
        hidden, output = ACTIVATIONS[self.hidden], self.output_layer.activation
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            shown = a[l]
            if work is not None and work.mask[l] is not None:
                shown = np.multiply(a[l], work.mask[l][:len(X)], out=work.shown[l][:len(X)])
            z = np.matmul(shown, W, out=None if work is None else work.a[l + 1][:len(X)])
            z += b
            a.append((output if l == last else hidden)(z, out=z))
        return a

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Output activations (class probabilities for softmax) for X of shape (N, n_0)."""
        return self.forward(X)[-1]

    def confidence(self, X: np.ndarray) -> np.ndarray:
        """How sure the network is of each class for each row of X, summing to 1 per row."""
        return self.output_layer.confidence(self.predict(X))

    def cost(self, out: np.ndarray, y: np.ndarray) -> float:
        """Mean cost of a batch: out = a[L], y = integer class labels (N,)."""
        return self.output_layer.cost(out, y)

    def backward(self, a: list[np.ndarray], y: np.ndarray, work: Workspace | None = None,
                 scale: float = 1.0):
        """Gradients (∂C/∂W[l], ∂C/∂b[l]) of the mean cost C over the batch, times `scale`,
        from the activations of `forward` and integer labels y. Changes nothing in the network;
        the gradients go into `work` when given (valid until its next use), else new arrays.

        With y one-hot (the code subtracts 1 at each label instead of building it), δ = ∂C/∂z
        for one sample, and N samples per batch:

            δ[L] = a[L] - y                    softmax + cross-entropy
            δ[L] = (a[L] - y) ⊙ σ'(z[L])       sigmoid + quadratic         (Nielsen's BP1)
            δ[l] = (δ[l+1] @ W[l]ᵀ) ⊙ σ'(z[l])                             (BP2)
            ∂C/∂b[l] = mean over the rows of δ[l+1]                        (BP3)
            ∂C/∂W[l] = a[l]ᵀ @ δ[l+1] / N                                  (BP4)

        Under dropout (masks m[l] in `work`) layer l passed on a[l] ⊙ m[l] instead of a[l]:
        that is what BP4 multiplies, and BP2 gains a factor m[l], since a dropped unit
        passed nothing on and so is to blame for nothing.

        (Row-major: W[l] here is Nielsen's w^{l+1} transposed.) Every δ is linear in δ[L], so
        the 1/N and `scale` are folded into δ[L] once, a (N, n_L) array, rather than
        multiplied into every gradient afterwards. Training asks for scale = η: then
        a[l]ᵀ @ δ[l+1] is the step η·∂C/∂W itself, and no pass over W is spent scaling it.
        """
        n, L = len(y), len(self.W)
        if work is None:
            work = Workspace(self.sizes, n, self.W[0].dtype)
        dW, db = work.dW, work.db
        prime = DERIVATIVES[self.hidden]
        delta = self.output_layer.delta(a[L], y, work.delta[L][:n], work.prime[L][:n])
        delta *= scale / n  # the cost is a mean over the batch
        for l in range(L - 1, -1, -1):
            shown = a[l] if work.mask[l] is None else work.shown[l][:n]  # what layer l passed on
            np.matmul(shown.T, delta, out=dW[l])
            delta.sum(axis=0, out=db[l])
            if l > 0:  # the input layer needs no δ
                delta = np.matmul(delta, self.W[l].T, out=work.delta[l][:n])
                delta *= prime(a[l], out=work.prime[l][:n])
                if work.mask[l] is not None:
                    delta *= work.mask[l][:n]
        return dW, db


    def backward_to_input(self, a: list[np.ndarray], delta: np.ndarray) -> np.ndarray:
        """∂q/∂a[0], the gradient with respect to the input of any quantity q of the output,
        given its δ[L] = ∂q/∂z[L] (N, n_L) and the activations of `forward`: BP2 carried one
        layer further down, to the pixels. Changes nothing."""
        prime = DERIVATIVES[self.hidden]
        for l in range(len(self.W) - 1, 0, -1):
            delta = delta @ self.W[l].T
            delta *= prime(a[l])
        return delta @ self.W[0].T

    def evidence(self, a: list[np.ndarray], k: np.ndarray) -> np.ndarray:
        """Gradient × input, (N, n_0): for each input, a[0] ⊙ ∂ ln confidence_k / ∂a[0], how
        much it pushes the network toward class k of its row (positive) or away from it.
        To first order, taking input i away changes ln confidence_k by minus its entry, so
        the map shows what the network's belief in k rests on. Inputs at 0 (no ink) show 0
        whatever their gradient: the map is about what is there."""
        delta = self.output_layer.log_confidence_delta(a[-1], np.asarray(k))
        return a[0] * self.backward_to_input(a, delta)


# --- learning rate and the update --------------------------------------------------------------

SCHEDULES = ("constant", "cosine", "step")


def learning_rate(base: float, schedule: str, progress: float) -> float:
    """η at `progress` = epochs done (fractional) / epochs planned, in [0, 1].

    constant: η;  cosine: η·(1 + cos πt)/2, which ends near zero;  step: η halved at each
    quarter of the run."""
    t = min(max(progress, 0.0), 1.0)
    if schedule == "constant":
        return base
    if schedule == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * t))
    if schedule == "step":
        return base * 0.5 ** min(int(t * 4), 3)
    raise ValueError(f"unknown schedule {schedule!r}")


@dataclass
class SGD:
    """Stochastic gradient descent with momentum μ and L2 weight decay λ:

        v ← μ·v - η·(∂C/∂W + λ·W),   W ← W + v       (biases are not decayed)
    """

    momentum: float = 0.9
    weight_decay: float = 0.0
    vW: list[np.ndarray] = field(default_factory=list)  # velocities, kept for resuming
    vb: list[np.ndarray] = field(default_factory=list)
    decay: list[np.ndarray] = field(default_factory=list, repr=False, compare=False)  # η·λ·W

    def update(self, net: Network, dW, db, lr: float, scaled: bool = False) -> None:
        """Apply the gradients (dW, db) to `net` in place, with learning rate η = lr. With
        μ = 0 this is plain SGD, W ← W - η·∂C/∂W, and no velocities are kept.

        scaled: dW and db already are the steps η·∂C/∂W, η·∂C/∂b, as
        `net.backward(a, y, work, scale=lr)` gives them (the training loop does this: it
        spares a pass over every W). They are used up as scratch then."""
        mu, decay = self.momentum, self.weight_decay
        if not scaled:  # new arrays: the caller's gradients stay as they were
            dW, db = [lr * g for g in dW], [lr * g for g in db]
        if mu and not self.vW:
            self.vW = [np.zeros_like(w) for w in net.W]
            self.vb = [np.zeros_like(b) for b in net.b]
        elif not mu:
            self.vW, self.vb = [], []  # nothing to resume: a later μ > 0 starts from rest
        if decay and [(d.shape, d.dtype) for d in self.decay] != \
                [(w.shape, w.dtype) for w in net.W]:
            self.decay = [np.empty_like(w) for w in net.W]
        for l, (W, b, step, step_b) in enumerate(zip(net.W, net.b, dW, db)):
            if decay:  # η·(∂C/∂W + λ·W)
                step += np.multiply(W, lr * decay, out=self.decay[l])
            if mu:
                vW, vb = self.vW[l], self.vb[l]
                vW *= mu
                vW -= step
                W += vW
                vb *= mu
                vb -= step_b
                b += vb
            else:
                W -= step
                b -= step_b
