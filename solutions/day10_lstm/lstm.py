"""Day 10 · LSTM.

An LSTM cell keeps two states: the hidden state h (what it shows the next layer) and the
cell state c (its long-term memory). Three sigmoid gates say how much to let through:
the input gate i (how much of the candidate g to write), the forget gate f (how much of
the old memory to keep) and the output gate o (how much of the memory to show).

All four come from one pre-activation a = x @ Wx + h_prev @ Wh + b of width 4H, split in
the order i, f, g, o:

    c = f * c_prev + i * g            h = o * tanh(c)

Shapes: B batch, T time steps, D input features, H hidden units. Every function computes
in the dtype of its inputs (all float64, or all float32) and returns that dtype.
"""

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """sigmoid(z) = 1 / (1 + exp(-z)), written as (1 + tanh(z / 2)) / 2: the same function,
    it never overflows, and it keeps float32 in float32 (day 3)."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def lstm_gates(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four gates of an LSTM from their pre-activations.

    a: (N, 4H) pre-activations, four blocks of H columns in the order i, f, g, o
       (any number of leading axes works the same: (..., 4H)).
    Returns (i, f, g, o), each (N, H): i = sigmoid(block 0), f = sigmoid(block 1),
    g = tanh(block 2), o = sigmoid(block 3). Gates i, f, o lie in [0, 1]; g in [-1, 1].
    Finite for any finite a (a = ±1e4 included); the dtype of a (float32 stays float32).
    """
    i, f, g, o = np.split(a, 4, axis=-1)  # (N, H) each
    return _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)


def lstm_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One time step of an LSTM.

    x: (B, D) inputs at this step.
    h_prev, c_prev: (B, H) hidden and cell states of the previous step.
    Wx: (D, 4H), Wh: (H, 4H), b: (4H,) weights and bias, columns in the gate order i, f, g, o.
    a = x @ Wx + h_prev @ Wh + b; (i, f, g, o) = lstm_gates(a);
    c = f * c_prev + i * g; h = o * tanh(c).
    Returns (h, c, cache): h, c: (B, H); cache: what lstm_step_backward needs (opaque).
    """
    a = x @ Wx + h_prev @ Wh + b  # (B, 4H)
    i, f, g, o = lstm_gates(a)  # (B, H) each
    c = f * c_prev + i * g  # keep some old memory, write some new
    tanh_c = np.tanh(c)
    h = o * tanh_c  # (B, H)
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of lstm_step_forward.

    dh: (B, H) d loss / d h; dc: (B, H) d loss / d c from later steps (zeros at the last one).
    cache: the cache returned by lstm_step_forward.
    Returns (dx, dh_prev, dc_prev, dWx, dWh, db): dx: (B, D), dh_prev, dc_prev: (B, H),
    dWx: (D, 4H), dWh: (H, 4H), db: (4H,), the gradients of the loss with respect to x,
    h_prev, c_prev, Wx, Wh and b.
    """
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    dc = dc + dh * o * (1 - tanh_c**2)  # c reaches the loss directly and through h
    da = np.concatenate(
        [
            dc * g * i * (1 - i),  # sigmoid' = s (1 - s)
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g**2),  # tanh' = 1 - tanh²
            dh * tanh_c * o * (1 - o),
        ],
        axis=-1,
    )  # (B, 4H)
    dx = da @ Wx.T  # (B, D)
    dh_prev = da @ Wh.T  # (B, H)
    dc_prev = dc * f  # the memory path: only the forget gate scales it
    return dx, dh_prev, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """An LSTM over a whole sequence: lstm_step_forward at t = 0, 1, ..., T - 1, each step
    starting from the states the previous one returned (h0, c0 at t = 0).

    x: (B, T, D) inputs; T may be 1.
    h0, c0: (B, H) initial hidden and cell states.
    Wx: (D, 4H), Wh: (H, 4H), b: (4H,), the gate order i, f, g, o.
    The input projection x @ Wx + b of every step is one matrix product before the loop;
    each step then does one (B, H) @ (H, 4H) product for all four gates. The loop over
    time is the only Python loop.
    Returns (hs, cs, cache): hs: (B, T, H) the hidden states, hs[:, t] = h at step t;
    cs: (B, T, H) the cell states; cache: what lstm_backward needs (opaque).
    """
    B, T, _ = x.shape
    H = h0.shape[1]
    xw = x @ Wx  # (B, T, 4H): every step's input projection in one product
    xw += b  # in place: xw is ours, and large
    hs = np.empty((B, T, H), dtype=xw.dtype)
    cs = np.empty((B, T, H), dtype=xw.dtype)
    gates = []  # (i, f, g, o) of every step, for the backward pass
    h, c = h0, c0
    for t in range(T):
        a = h @ Wh  # (B, 4H): one fused product for the four gates
        a += xw[:, t]
        i, f, g, o = lstm_gates(a)  # (B, H) each
        c = f * c + i * g  # (B, H)
        h = o * np.tanh(c)  # (B, H)
        gates.append((i, f, g, o))
        hs[:, t], cs[:, t] = h, c
    return hs, cs, (x, h0, c0, Wx, Wh, hs, cs, gates)


def lstm_backward(
    dhs: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of lstm_forward, through time (BPTT).

    dhs: (B, T, H) d loss / d hs (the loss may read any step's hidden state).
    cache: the cache returned by lstm_forward.
    Going from t = T - 1 down to 0, the gradients reaching h and c at step t are the
    loss's own dhs[:, t] plus what step t + 1 sends back. The products with Wx, the
    weight gradients and db are each one matrix product (or sum) after the loop.
    Returns (dx, dh0, dc0, dWx, dWh, db): dx: (B, T, D), dh0, dc0: (B, H), dWx: (D, 4H),
    dWh: (H, 4H), db: (4H,).
    """
    x, h0, c0, Wx, Wh, hs, cs, gates = cache
    (B, T, D), H = x.shape, h0.shape[1]
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # (B, T, H): h_{t-1}
    c_prev = np.concatenate([c0[:, None], cs[:, :-1]], axis=1)  # (B, T, H): c_{t-1}
    tanh_cs = np.tanh(cs)  # (B, T, H)
    das = np.empty((B, T, 4 * H), dtype=hs.dtype)  # d loss / d a of every step
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)  # nothing comes back from after the end
    for t in reversed(range(T)):
        i, f, g, o = gates[t]  # (B, H) each
        dh = dhs[:, t] + dh  # the loss's own gradient plus the one from step t + 1
        dc = dc + dh * o * (1 - tanh_cs[:, t] ** 2)
        das[:, t, :H] = dc * g * i * (1 - i)
        das[:, t, H : 2 * H] = dc * c_prev[:, t] * f * (1 - f)
        das[:, t, 2 * H : 3 * H] = dc * i * (1 - g**2)
        das[:, t, 3 * H :] = dh * tanh_cs[:, t] * o * (1 - o)
        dh = das[:, t] @ Wh.T  # (B, H): sent back to step t - 1
        dc = dc * f
    das_flat = das.reshape(B * T, 4 * H)  # every step's gradients as rows of one product
    dWx = x.reshape(B * T, D).T @ das_flat  # (D, 4H)
    dWh = h_prev.reshape(B * T, H).T @ das_flat  # (H, 4H)
    return das @ Wx.T, dh, dc, dWx, dWh, das_flat.sum(axis=0)
