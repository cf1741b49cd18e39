"""Day 2 · 損失関数 · Loss functions.

Every loss returns `(loss, grad)`: the loss is one Python float, a mean, and `grad` is
d loss / d (first argument), a float64 array of the same shape as that argument.
Regression and binary losses average over every element; categorical cross-entropy
averages over the N rows.
"""

import numpy as np


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error: mean((pred - target) ** 2) over all n elements.

    pred: (N, ...) predictions, any shape, float64 or float32; n = pred.size elements.
    target: (N, ...) the true values, same shape as pred.
    Returns (loss, dpred): loss is a Python float; dpred: (N, ...) float64 (float32 inputs
    too), d loss / d pred, shape of pred.
    """
    # TODO(2.1): r = pred - target; average r**2 over every element, then differentiate that mean
    raise NotImplementedError("2.1 mse_loss: see README.md")


def mae_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean absolute error: mean(|pred - target|) over all n elements.

    pred: (N, ...) predictions, any shape, float64 or float32; n = pred.size elements.
    target: (N, ...) the true values, same shape as pred.
    Returns (loss, dpred): loss is a Python float; dpred: (N, ...) float64 (float32 inputs
    too), d loss / d pred, shape of pred.
    Where pred == target exactly, |r| has no derivative; that entry of dpred is 0.
    """
    # TODO(2.2): average |r| over every element; np.sign(r) is already 0 where r == 0
    raise NotImplementedError("2.2 mae_loss: see README.md")


def huber_loss(
    pred: np.ndarray, target: np.ndarray, delta: float = 1.0
) -> tuple[float, np.ndarray]:
    """Huber loss: the mean over all n elements of, with r = pred - target,
    0.5 * r**2 where |r| <= delta, and delta * (|r| - 0.5 * delta) where |r| > delta.

    pred: (N, ...) predictions, any shape, float64 or float32; n = pred.size elements.
    target: (N, ...) the true values, same shape as pred.
    delta: > 0, where the loss turns from quadratic to linear (default 1.0).
    Returns (loss, dpred): loss is a Python float; dpred: (N, ...) float64 (float32 inputs
    too), d loss / d pred, shape of pred.
    """
    # TODO(2.3): pick a piece per element with np.where; the slope is r capped at ±delta
    raise NotImplementedError("2.3 huber_loss: see README.md")


def binary_cross_entropy_with_logits(
    logits: np.ndarray, labels: np.ndarray
) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of sigmoid(logits) against labels, mean over all n elements:
    mean(-y * log(sigmoid(z)) - (1 - y) * log(1 - sigmoid(z))), computed without overflow.

    logits: (N, ...) raw scores z, any shape and size (±1e4 included), float64 or float32;
        n = logits.size.
    labels: (N, ...) targets y in [0, 1] (hard 0/1 or soft), same shape as logits.
    Returns (loss, dlogits): loss is a Python float; dlogits: (N, ...) float64 (float32
    inputs too), d loss / d logits.
    """
    # TODO(2.4): never take exp of a large positive number: build everything from exp(-|z|)
    raise NotImplementedError("2.4 binary_cross_entropy_with_logits: see README.md")


def cross_entropy_with_logits(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Categorical cross-entropy of softmax(logits) against class indices, mean over rows:
    mean over the N rows of -log softmax(logits[i])[targets[i]], without overflow.

    logits: (N, V) raw scores, one row of V class scores per example (±1e4 included),
        float64 or float32.
    targets: (N,) int, the correct class of each row, in [0, V).
    Returns (loss, dlogits): loss is a Python float; dlogits: (N, V) float64 (float32
    inputs too), d loss / d logits.
    """
    # TODO(2.5): subtract each row's max, then log-sum-exp; the gradient is softmax - onehot
    raise NotImplementedError("2.5 cross_entropy_with_logits: see README.md")
