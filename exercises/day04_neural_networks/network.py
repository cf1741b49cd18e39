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
    # TODO(4.1): out = x @ W plus b on every row; return (out, what dense_backward needs)
    raise NotImplementedError("4.1 dense_forward: see README.md")


def dense_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of dense_forward.

    dout: (N, D_out) d loss / d out.
    cache: the cache returned by dense_forward.
    Returns (dx, dW, db): dx: (N, D_in), dW: (D_in, D_out), db: (D_out,), the gradients
    of the loss with respect to x, W and b. With N = 0, dW and db are zeros.
    """
    # TODO(4.1): one matrix product each for dx and dW; db sums dout over the rows
    raise NotImplementedError("4.1 dense_backward: see README.md")


def init_weights(fan_in: int, fan_out: int, scheme: str = "he", seed: int = 0) -> np.ndarray:
    """Random weights for a dense layer, drawn from a normal distribution with mean 0.

    scheme "he" (for layers followed by ReLU): variance 2 / fan_in.
    scheme "xavier" (Glorot): variance 2 / (fan_in + fan_out).
    seed: the same seed gives the same weights, different seeds different ones; draw from a
    generator of your own, np.random.default_rng(seed), never NumPy's global random state.
    Returns W: (fan_in, fan_out).
    """
    # TODO(4.2): choose the variance from the scheme; scale standard normal draws by its sqrt
    raise NotImplementedError("4.2 init_weights: see README.md")


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
    # TODO(4.3): forward: dense, relu, dense, cross-entropy; then back through the same steps
    raise NotImplementedError("4.3 mlp_loss_and_grads: see README.md")


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    """One step of gradient descent: new[k] = params[k] - lr * grads[k] for every key.

    params: any dict of arrays; grads: a dict with the same keys and shapes.
    lr: the learning rate (lr = 0 returns equal copies).
    Returns a new dict of new arrays; neither params nor grads is modified.
    """
    # TODO(4.4): build a new dict: each parameter minus lr times its gradient
    raise NotImplementedError("4.4 sgd_step: see README.md")


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
    # TODO(4.5): init the four parameters, then `steps` times: full-batch grads, one sgd_step
    raise NotImplementedError("4.5 train_mlp: see README.md")
