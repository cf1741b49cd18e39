"""Day 3 · 活性化関数 · Activation functions: the non-linear bend between two linear layers.

Every function works elementwise on an array of any shape (softmax along one axis) and
returns float64: a float32 or integer input is promoted. `name_grad(x)` is the
derivative of `name` evaluated at x, elementwise; `softmax_backward` is the
vector-Jacobian product that backpropagation needs.
"""

import math

import numpy as np


def erf(x: np.ndarray) -> np.ndarray:
    """The error function erf(x) = 2/√π ∫₀ˣ exp(-t²) dt, elementwise (given, not a task:
    NumPy has no erf, so this vectorises the standard library's math.erf).

    x: (...) any shape.
    Returns (...) erf of every entry, in [-1, 1].
    """
    return np.vectorize(math.erf, otypes=[float])(np.asarray(x, dtype=float))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic sigmoid σ(x) = 1 / (1 + exp(-x)), elementwise.

    x: (...) any shape.
    Returns (...) values in [0, 1]; finite and without overflow warnings for any
    finite x, ±1e3 included (σ(1e3) = 1, σ(-1e3) = 0).
    """
    x = np.asarray(x, dtype=float)
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    # x >= 0: 1/(1+e^-x);  x < 0: e^x/(1+e^x), the same value multiplied by e^x/e^x
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """The derivative σ'(x) = σ(x)(1 - σ(x)), elementwise.

    x: (...) any shape.
    Returns (...) values in [0, 0.25]; σ'(0) = 0.25, and 0 (not NaN) at ±1e3.
    """
    return sigmoid(x) * sigmoid(-x)  # 1 - σ(x) = σ(-x), which keeps precision where σ ≈ 1


def tanh(x: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2σ(2x) - 1, elementwise.

    x: (...) any shape.
    Returns (...) values in [-1, 1]; ±1 (not NaN) at ±1e3.
    """
    return 2.0 * sigmoid(2.0 * np.asarray(x, dtype=float)) - 1.0  # a stretched, centred sigmoid


def tanh_grad(x: np.ndarray) -> np.ndarray:
    """The derivative tanh'(x) = 1 - tanh(x)², elementwise.

    x: (...) any shape.
    Returns (...) values in [0, 1]; tanh'(0) = 1, and 0 at ±1e3.
    """
    t = tanh(x)
    return 1.0 - t * t


def relu(x: np.ndarray) -> np.ndarray:
    """The rectified linear unit relu(x) = max(x, 0), elementwise.

    x: (...) any shape (an array-like of ints is fine); it is not modified.
    Returns (...) a new array: x where x > 0, else 0.
    """
    return np.maximum(np.asarray(x, dtype=float), 0.0)  # a new array; x itself is untouched


def relu_grad(x: np.ndarray) -> np.ndarray:
    """The derivative of relu, elementwise: 1 where x > 0, else 0.

    At the kink x = 0 relu has no derivative; this course defines relu'(0) = 0,
    as PyTorch does.

    x: (...) any shape.
    Returns (...) float64 array of 0.0 and 1.0 (not booleans).
    """
    return (np.asarray(x) > 0).astype(float)  # the kink x = 0 counts as "off"


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """Leaky ReLU: x where x > 0, else slope·x, elementwise.

    x: (...) any shape; it is not modified.
    slope: the gradient kept for negative inputs (0 gives relu, 1 the identity).
    Returns (...) a new array.
    """
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, slope * x)


def leaky_relu_grad(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """The derivative of leaky_relu, elementwise: 1 where x > 0, else slope.

    At the kink x = 0 the derivative is defined as `slope` (matching relu'(0) = 0 when
    slope = 0).

    x: (...) any shape.
    slope: as in leaky_relu.
    Returns (...) float64 array of 1.0 and slope.
    """
    return np.where(np.asarray(x) > 0, 1.0, float(slope))


def gelu(x: np.ndarray, approximate: bool = False) -> np.ndarray:
    """The Gaussian error linear unit GELU(x) = x·Φ(x), elementwise, where
    Φ(x) = (1 + erf(x/√2)) / 2 is the standard normal CDF.

    With approximate=True, the tanh approximation used by BERT and GPT-2:
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), within 5e-4 of the exact value.

    x: (...) any shape.
    approximate: False for the exact erf form, True for the tanh approximation.
    Returns (...) values; GELU(0) = 0, ≈ x for large x, ≈ 0 for very negative x (±1e3 safe).
    """
    x = np.asarray(x, dtype=float)
    if approximate:
        u = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1.0 + np.tanh(u))
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))  # x·Φ(x)


def gelu_grad(x: np.ndarray, approximate: bool = False) -> np.ndarray:
    """The derivative of gelu (of the same form), elementwise.

    Exact: GELU'(x) = Φ(x) + x·φ(x), with φ(x) = exp(-x²/2)/√(2π) the normal density.
    Approximate: the derivative of the tanh formula (product and chain rule).

    x: (...) any shape.
    approximate: as in gelu.
    Returns (...) values; GELU'(0) = 0.5 in both forms, 1 at 1e3 and 0 at -1e3.
    """
    x = np.asarray(x, dtype=float)
    if approximate:
        c = np.sqrt(2.0 / np.pi)
        t = np.tanh(c * (x + 0.044715 * x**3))
        du = c * (1.0 + 3 * 0.044715 * x**2)  # d/dx of the tanh's argument
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))  # Φ(x)
    pdf = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)  # φ(x); underflows harmlessly to 0
    return cdf + x * pdf


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along `axis`: exp(x_i) / Σ_j exp(x_j), computed stably.

    x: (..., V) scores (logits); normalised along `axis`, the last by default.
    axis: the axis whose entries become a probability distribution.
    Returns (..., V) same shape as x, entries in [0, 1] summing to 1 along `axis`;
    unchanged when a constant is added along `axis`; finite for scores of ±1e3.
    """
    x = np.asarray(x, dtype=float)
    shifted = x - x.max(axis=axis, keepdims=True)  # largest entry is 0: exp cannot overflow
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(dout: np.ndarray, out: np.ndarray, axis: int = -1) -> np.ndarray:
    """Backward pass of softmax: the gradient with respect to its input x.

    Given out = softmax(x, axis) and dout = dL/dout, returns
    dL/dx = out * (dout - Σ_axis dout·out), without building the (V, V) Jacobian.

    dout: (..., V) upstream gradient, the shape of out.
    out: (..., V) the softmax output of the forward pass.
    axis: the axis softmax normalised along.
    Returns (..., V) dL/dx; it sums to 0 along `axis` (softmax ignores a constant shift).
    """
    dout = np.asarray(dout, dtype=float)
    dot = np.sum(dout * out, axis=axis, keepdims=True)  # (..., 1): dL/dout averaged under out
    return out * (dout - dot)
