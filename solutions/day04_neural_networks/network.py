"""Day 4 · ニューラルネットワーク · Neural networks.

A network from scratch: a dense (fully connected) layer and its backward pass, weight
initialisation, the loss and gradients of a two-layer MLP
(dense -> ReLU -> dense -> softmax cross-entropy), one SGD step, and a training loop.
Parameters are dicts of arrays: {"W1": (D, F), "b1": (F,), "W2": (F, V), "b2": (V,)},
with D input features, F hidden units and V classes.
"""

import numpy as np

from ..day02_loss_functions.losses import cross_entropy_with_logits  # noqa: F401
from ..day03_activations.activations import relu, relu_grad  # noqa: F401


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """A dense layer: out = x @ W + b, one row per example.

    x: (N, D_in) inputs, N may be 0 or 1.
    W: (D_in, D_out) weights.
    b: (D_out,) bias, added to every row.
    Returns (out, cache): out: (N, D_out); cache: what dense_backward needs (opaque).
    """
    out = x @ W + b  # (N, D_out); b broadcasts over the rows
    return out, (x, W)


def dense_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of dense_forward.

    dout: (N, D_out) d loss / d out.
    cache: the cache returned by dense_forward.
    Returns (dx, dW, db): dx: (N, D_in), dW: (D_in, D_out), db: (D_out,), the gradients
    of the loss with respect to x, W and b. With N = 0, dW and db are zeros.
    """
    x, W = cache
    dx = dout @ W.T  # (N, D_in)
    dW = x.T @ dout  # (D_in, D_out): every row adds its own contribution
    db = dout.sum(axis=0)  # (D_out,): b was added to every row, so its gradient sums them
    return dx, dW, db


def init_weights(fan_in: int, fan_out: int, scheme: str = "he", seed: int = 0) -> np.ndarray:
    """Random weights for a dense layer, drawn from a normal distribution with mean 0.

    scheme "he" (for layers followed by ReLU): variance 2 / fan_in.
    scheme "xavier" (Glorot): variance 2 / (fan_in + fan_out).
    seed: the same seed gives the same weights, different seeds different ones; draw from a
    generator of your own, np.random.default_rng(seed), never NumPy's global random state.
    Returns W: (fan_in, fan_out).
    """
    if scheme == "he":
        var = 2.0 / fan_in  # ReLU zeroes half the inputs; 2 keeps the activations' scale
    elif scheme == "xavier":
        var = 2.0 / (fan_in + fan_out)  # a compromise between forward and backward scale
    else:
        raise ValueError(f"unknown scheme {scheme!r}; use 'he' or 'xavier'")
    rng = np.random.default_rng(seed)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(var)  # std = sqrt(variance)


def mlp_loss_and_grads(
    params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of a two-layer MLP: dense -> ReLU -> dense -> softmax cross-entropy.

    params: {"W1": (D, F), "b1": (F,), "W2": (F, V), "b2": (V,)}; not modified.
    X: (N, D) inputs.
    y: (N,) int, the class of each row, in [0, V).
    Returns (loss, grads): loss is a float, the mean cross-entropy over the N rows;
    grads: d loss / d each parameter, the same keys and shapes as params.
    """
    h_pre, cache1 = dense_forward(X, params["W1"], params["b1"])  # (N, F)
    h = relu(h_pre)  # (N, F)
    logits, cache2 = dense_forward(h, params["W2"], params["b2"])  # (N, V)
    loss, dlogits = cross_entropy_with_logits(logits, y)  # dlogits already carries the 1/N
    dh, dW2, db2 = dense_backward(dlogits, cache2)  # (N, F)
    dh_pre = dh * relu_grad(h_pre)  # the gradient only flows through units that were on
    _, dW1, db1 = dense_backward(dh_pre, cache1)  # dX is not needed
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    """One step of gradient descent: new[k] = params[k] - lr * grads[k] for every key.

    params: any dict of arrays; grads: a dict with the same keys and shapes.
    lr: the learning rate (lr = 0 returns equal copies).
    Returns a new dict of new arrays; neither params nor grads is modified.
    """
    # p - lr * g makes a new array; `p -= lr * g` would overwrite the caller's parameters
    return {k: p - lr * grads[k] for k, p in params.items()}


def train_mlp(
    X: np.ndarray,
    y: np.ndarray,
    hidden: int = 32,
    lr: float = 1.0,
    steps: int = 2000,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Train the two-layer MLP of mlp_loss_and_grads by full-batch gradient descent.

    X: (N, D) inputs; y: (N,) int classes, V = y.max() + 1 of them (a class absent from y
    still counts).
    hidden: F, the number of hidden units.
    Initialisation: W1 = init_weights(D, F, "he", seed), W2 = init_weights(F, V, "xavier",
    seed + 1), b1 and b2 zeros. Then `steps` times: gradients on all N rows, one sgd_step.
    steps = 0 returns the initialisation. The same seed gives the same parameters.
    Returns params: {"W1": (D, F), "b1": (F,), "W2": (F, V), "b2": (V,)}.
    """
    D, V = X.shape[1], int(y.max()) + 1
    params = {
        "W1": init_weights(D, hidden, "he", seed),  # (D, F)
        "b1": np.zeros(hidden),
        "W2": init_weights(hidden, V, "xavier", seed + 1),  # (F, V); seed + 1: not W1's draws
        "b2": np.zeros(V),
    }
    for _ in range(steps):
        _, grads = mlp_loss_and_grads(params, X, y)
        params = sgd_step(params, grads, lr)
    return params
