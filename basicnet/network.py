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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUTS = ("softmax", "sigmoid")  # softmax + cross-entropy, sigmoid + quadratic cost
COST_OF_OUTPUT = {"softmax": "cross-entropy", "sigmoid": "quadratic"}


# --- activations -------------------------------------------------------------------------------
# Each works in place on z (it is a temporary nobody else reads) to spare the allocator.

def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2: equal, and tanh never overflows."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _tanh(z, out=None):
    return np.tanh(z, out=out)


def _relu(z, out=None):
    return np.maximum(z, 0, out=out)


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Row-wise softmax; subtracting the row maximum keeps every exp(·) ≤ 1."""
    with np.errstate(over="ignore"):  # z - max may reach -inf near the float limit: exp gives 0
        out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


ACTIVATION = {"sigmoid": sigmoid, "tanh": _tanh, "relu": _relu}


def activation_prime(name: str, a: np.ndarray) -> np.ndarray:
    """σ'(z) written with the activation a = σ(z), which forward already kept."""
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a * a
    return (a > 0).astype(a.dtype)


# --- the network -------------------------------------------------------------------------------

@dataclass
class Network:
    """Weights, biases and the choice of activations; nothing else."""

    W: list[np.ndarray]
    b: list[np.ndarray]
    hidden: str = "sigmoid"
    output: str = "softmax"

    @classmethod
    def create(cls, sizes, rng: np.random.Generator, hidden="sigmoid", output="softmax",
               dtype=np.float32) -> "Network":
        """Weights ~ N(0, 1/n_in), scaled by fan-in so every z starts with unit variance and
        no sigmoid starts saturated (ReLU gets He's 2/n_in). Biases start at zero."""
        if hidden not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"unknown hidden activation {hidden!r}")
        if output not in OUTPUTS:
            raise ValueError(f"unknown output {output!r}")
        gain = 2.0 if hidden == "relu" else 1.0
        W = [(rng.standard_normal((n_in, n_out)) * np.sqrt(gain / n_in)).astype(dtype)
             for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        b = [np.zeros(n_out, dtype) for n_out in sizes[1:]]
        return cls(W, b, hidden, output)

    @property
    def sizes(self) -> list[int]:
        return [self.W[0].shape[0]] + [w.shape[1] for w in self.W]

    @property
    def cost_name(self) -> str:
        return COST_OF_OUTPUT[self.output]

    def astype(self, dtype) -> "Network":
        return Network([w.astype(dtype) for w in self.W], [b.astype(dtype) for b in self.b],
                       self.hidden, self.output)

    def copy(self) -> "Network":
        return self.astype(self.W[0].dtype)

    def forward(self, X: np.ndarray) -> list[np.ndarray]:
        """Every activation a[0] = X, a[1], ..., a[L] for a batch X of shape (N, n_0)."""
        a = [X]
        last = len(self.W) - 1
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            z = a[-1] @ W
            z += b
            if l < last:
                a.append(ACTIVATION[self.hidden](z, out=z))
            else:
                a.append(softmax(z, out=z) if self.output == "softmax" else sigmoid(z, out=z))
        return a

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Output activations (class probabilities for softmax) for X of shape (N, n_0)."""
        return self.forward(X)[-1]

    def cost(self, out: np.ndarray, y: np.ndarray) -> float:
        """Mean cost of a batch: out = a[L], y = integer class labels (N,)."""
        n = len(y)
        if self.output == "softmax":
            p = out[np.arange(n), y]
            return float(-np.log(np.maximum(p, np.finfo(out.dtype).tiny)).mean())
        diff = out.copy()
        diff[np.arange(n), y] -= 1
        return float(0.5 * np.einsum("ij,ij->", diff, diff) / n)

    def backward(self, a: list[np.ndarray], y: np.ndarray):
        """Gradients (∂C/∂W[l], ∂C/∂b[l]) of the mean cost C, from the activations of
        `forward` and integer labels y. Changes nothing.

            δ[L] = a[L] - y                    softmax + cross-entropy
            δ[L] = (a[L] - y) ⊙ σ'(z[L])       sigmoid + quadratic
            δ[l] = (δ[l+1] @ W[l]ᵀ) ⊙ σ'(z[l])
            ∂C/∂W[l] = a[l]ᵀ @ δ[l+1],  ∂C/∂b[l] = Σ_rows δ[l+1]
        """
        n = len(y)
        delta = a[-1].copy()
        delta[np.arange(n), y] -= 1
        if self.output == "sigmoid":
            delta *= activation_prime("sigmoid", a[-1])
        delta *= 1.0 / n  # the cost is a mean over the batch
        dW = [None] * len(self.W)
        db = [None] * len(self.W)
        for l in range(len(self.W) - 1, -1, -1):
            dW[l] = a[l].T @ delta
            db[l] = delta.sum(axis=0)
            if l > 0:  # the input layer needs no δ
                delta = delta @ self.W[l].T
                delta *= activation_prime(self.hidden, a[l])
        return dW, db


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
        return base * 0.5 * (1 + np.cos(np.pi * t))
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

    def update(self, net: Network, dW, db, lr: float) -> None:
        if not self.vW:
            self.vW = [np.zeros_like(w) for w in net.W]
            self.vb = [np.zeros_like(b) for b in net.b]
        for W, b, gW, gb, vW, vb in zip(net.W, net.b, dW, db, self.vW, self.vb):
            if self.weight_decay:
                gW = gW + self.weight_decay * W
            vW *= self.momentum
            vW -= lr * gW
            W += vW
            vb *= self.momentum
            vb -= lr * gb
            b += vb
