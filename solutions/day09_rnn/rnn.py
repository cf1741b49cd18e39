"""Day 9 · RNN.

A recurrent neural network reads a sequence one step at a time and carries a hidden
state h from each step to the next, its memory of what it has read so far:

    h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)

The same weights Wx, Wh, b serve every step. Training runs the recurrence backwards
(backpropagation through time, BPTT): the gradient reaching an early step has passed
through Wh and tanh' once per step in between, so with small recurrent weights it
shrinks geometrically (the vanishing gradient), and with large ones it can explode
(hence clipping by the global norm).

Shapes: B batch, T time steps, D input features, H hidden units, K outputs, as on day 10
(the LSTM), whose functions have the same arguments plus the cell state.
"""

import numpy as np


def rnn_step_forward(
    x: np.ndarray, h_prev: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """One time step of a tanh RNN: h = tanh(x @ Wx + h_prev @ Wh + b).

    x: (B, D) inputs at this step.
    h_prev: (B, H) hidden state of the previous step.
    Wx: (D, H), Wh: (H, H), b: (H,) weights and bias.
    Returns (h, cache): h: (B, H), every entry in (-1, 1); cache: what rnn_step_backward
    needs (opaque).
    """
    h = np.tanh(x @ Wx + h_prev @ Wh + b)  # (B, H)
    return h, (x, h_prev, Wx, Wh, h)


def rnn_step_backward(
    dh: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of rnn_step_forward.

    dh: (B, H) d loss / d h.
    cache: the cache returned by rnn_step_forward.
    Returns (dx, dh_prev, dWx, dWh, db): dx: (B, D), dh_prev: (B, H), dWx: (D, H),
    dWh: (H, H), db: (H,), the gradients of the loss with respect to x, h_prev, Wx, Wh
    and b.
    """
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1 - h**2)  # (B, H): tanh'(a) = 1 - tanh(a)², and h is tanh(a)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(
    x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """A tanh RNN over a whole sequence: rnn_step_forward at t = 0, 1, ..., T - 1, each
    step starting from the hidden state the previous one returned (h0 at t = 0).

    x: (B, T, D) inputs; T may be 1.
    h0: (B, H) initial hidden state.
    Wx: (D, H), Wh: (H, H), b: (H,), shared by every step.
    Returns (hs, cache): hs: (B, T, H) the hidden states, hs[:, t] = h at step t;
    cache: what rnn_backward needs (opaque).
    """
    B, T, _ = x.shape
    hs = np.empty((B, T, h0.shape[1]))  # (B, T, H)
    caches, h = [], h0
    for t in range(T):  # the recurrence: step t needs step t - 1
        h, cache = rnn_step_forward(x[:, t], h, Wx, Wh, b)  # (B, H)
        hs[:, t] = h
        caches.append(cache)
    return hs, tuple(caches)


def rnn_backward(
    dhs: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of rnn_forward: backpropagation through time (BPTT).

    dhs: (B, T, H) d loss / d hs (the loss may read any step's hidden state).
    cache: the cache returned by rnn_forward.
    Going from t = T - 1 down to 0, the gradient reaching h at step t is the loss's own
    dhs[:, t] plus what step t + 1 sends back; the weights are shared, so their
    gradients are the sums over all steps.
    Returns (dx, dh0, dWx, dWh, db): dx: (B, T, D), dh0: (B, H), dWx: (D, H), dWh: (H, H),
    db: (H,).
    """
    B, T, _ = dhs.shape
    x0, h0, Wx, Wh, _ = cache[0]
    dx = np.empty((B, T, x0.shape[1]))  # (B, T, D)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_prev = np.zeros_like(h0)  # nothing comes back from after the last step
    for t in reversed(range(T)):
        dx[:, t], dh_prev, dWx_t, dWh_t, db_t = rnn_step_backward(dhs[:, t] + dh_prev, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t  # shared weights: sum over steps
    return dx, dh_prev, dWx, dWh, db


def clip_grad_norm(
    grads: dict[str, np.ndarray], max_norm: float
) -> tuple[dict[str, np.ndarray], float]:
    """Clip gradients by their global norm, as torch.nn.utils.clip_grad_norm_ does.

    grads: any dict of arrays (the gradients of every parameter); not modified.
    max_norm: the largest norm allowed, > 0.
    The global norm is sqrt of the sum of the squares of every entry of every array.
    When it exceeds max_norm, every array is multiplied by the same factor
    max_norm / norm, so the clipped gradients have norm max_norm and the same direction;
    otherwise they are returned unchanged (as new arrays). All-zero gradients stay zero.
    Returns (clipped, norm): clipped: a new dict, the same keys and shapes; norm: a float,
    the global norm before clipping.
    """
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    scale = max_norm / max(norm, max_norm)  # 1 when norm <= max_norm
    return {k: g * scale for k, g in grads.items()}, norm


def grad_norms_through_time(
    x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """How much gradient reaches the initial state from each step: the vanishing gradient.

    x: (B, T, D), h0: (B, H), Wx: (D, H), Wh: (H, H), b: (H,), as for rnn_forward.
    For each step t, the loss L_t = hs[:, t].sum() reads step t only; norms[t] is the
    norm (sqrt of the sum of squares over all B * H entries) of d L_t / d h0, the
    gradient that travelled back t + 1 steps.
    Returns norms: (T,), float64, every entry >= 0.
    """
    hs, cache = rnn_forward(x, h0, Wx, Wh, b)  # (B, T, H)
    T = hs.shape[1]
    norms = np.empty(T)
    for t in range(T):
        dhs = np.zeros_like(hs)
        dhs[:, t] = 1.0  # d L_t / d hs: step t only
        dh0 = rnn_backward(dhs, cache)[1]  # (B, H)
        norms[t] = np.sqrt(np.sum(dh0**2))
    return norms


def train_rnn(
    x: np.ndarray,
    y: np.ndarray,
    hidden: int = 16,
    lr: float = 0.5,
    steps: int = 300,
    max_norm: float = 1.0,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Train an RNN with a linear read-out to predict y[:, t] from x[:, :t + 1].

    x: (B, T, D) inputs; y: (B, T, K) targets.
    The model: hs = rnn_forward(x, zeros (B, H), Wx, Wh, b)[0], predictions
    hs @ Wy + by (B, T, K); the loss is the mean of (prediction - y)**2 over all
    B * T * K entries.
    Initialisation, from rng = np.random.default_rng(seed), drawn in this order:
    Wx = rng.standard_normal((D, H)) / sqrt(D), Wh = rng.standard_normal((H, H)) / sqrt(H),
    Wy = rng.standard_normal((H, K)) / sqrt(H); b and by zeros.
    Then `steps` times: the gradients of the loss on the whole batch, clip_grad_norm
    with max_norm, params - lr * clipped. steps = 0 returns the initialisation.
    Returns params: {"Wx": (D, H), "Wh": (H, H), "b": (H,), "Wy": (H, K), "by": (K,)}.
    """
    (B, T, D), K, H = x.shape, y.shape[2], hidden
    rng = np.random.default_rng(seed)
    params = {
        "Wx": rng.standard_normal((D, H)) / np.sqrt(D),
        "Wh": rng.standard_normal((H, H)) / np.sqrt(H),
        "b": np.zeros(H),
        "Wy": rng.standard_normal((H, K)) / np.sqrt(H),
        "by": np.zeros(K),
    }
    for _ in range(steps):
        hs, cache = rnn_forward(x, np.zeros((B, H)), params["Wx"], params["Wh"], params["b"])
        dpred = 2 * (hs @ params["Wy"] + params["by"] - y) / y.size  # (B, T, K)
        dhs = dpred @ params["Wy"].T  # (B, T, H)
        _, _, dWx, dWh, db = rnn_backward(dhs, cache)
        grads = {"Wx": dWx, "Wh": dWh, "b": db}
        grads["Wy"] = hs.reshape(B * T, H).T @ dpred.reshape(B * T, K)  # (H, K)
        grads["by"] = dpred.sum(axis=(0, 1))  # (K,)
        clipped, _ = clip_grad_norm(grads, max_norm)
        params = {k: p - lr * clipped[k] for k, p in params.items()}
    return params
