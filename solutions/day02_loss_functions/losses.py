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
    residual = np.asarray(pred, dtype=float) - target  # (N, ...) float64
    loss = np.mean(residual**2)
    dpred = 2.0 * residual / residual.size  # d(r^2)/dr = 2r, and the mean divides by n
    return float(loss), dpred


def mae_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean absolute error: mean(|pred - target|) over all n elements.

    pred: (N, ...) predictions, any shape, float64 or float32; n = pred.size elements.
    target: (N, ...) the true values, same shape as pred.
    Returns (loss, dpred): loss is a Python float; dpred: (N, ...) float64 (float32 inputs
    too), d loss / d pred, shape of pred.
    Where pred == target exactly, |r| has no derivative; that entry of dpred is 0.
    """
    residual = np.asarray(pred, dtype=float) - target  # (N, ...) float64
    loss = np.mean(np.abs(residual))
    dpred = np.sign(residual) / residual.size  # sign(0) = 0: an exact answer is not pushed
    return float(loss), dpred


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
    residual = np.asarray(pred, dtype=float) - target  # (N, ...) float64
    abs_r = np.abs(residual)
    quadratic = 0.5 * residual**2  # small errors: like MSE
    linear = delta * (abs_r - 0.5 * delta)  # large errors: like MAE, meets it at |r| = delta
    loss = np.mean(np.where(abs_r <= delta, quadratic, linear))
    dpred = np.clip(residual, -delta, delta) / residual.size  # r inside, +-delta outside
    return float(loss), dpred


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
    z, y = np.asarray(logits, dtype=float), labels  # (N, ...) float64
    e = np.exp(-np.abs(z))  # in (0, 1]: exp of a non-positive number never overflows
    # -y log s - (1-y) log(1-s) rewritten as max(z, 0) - z y + log(1 + exp(-|z|))
    loss = np.mean(np.maximum(z, 0.0) - z * y + np.log1p(e))
    sigmoid = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # both branches are safe
    dlogits = (sigmoid - y) / z.size
    return float(loss), dlogits


def cross_entropy_with_logits(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Categorical cross-entropy of softmax(logits) against class indices, mean over rows:
    mean over the N rows of -log softmax(logits[i])[targets[i]], without overflow.

    logits: (N, V) raw scores, one row of V class scores per example (±1e4 included),
        float64 or float32.
    targets: (N,) int, the correct class of each row, in [0, V).
    Returns (loss, dlogits): loss is a Python float; dlogits: (N, V) float64 (float32
    inputs too), d loss / d logits.
    """
    z = np.asarray(logits, dtype=float)  # (N, V) float64
    N = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)  # (N, V), row max 0: exp <= 1
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, V) log-sum-exp
    rows = np.arange(N)
    loss = -log_probs[rows, targets].mean()  # each row's own target, not log_probs[:, targets]
    dlogits = np.exp(log_probs)  # (N, V) softmax
    dlogits[rows, targets] -= 1.0  # softmax - onehot
    return float(loss), dlogits / N
