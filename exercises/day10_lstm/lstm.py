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
    # TODO(10.1): split a into four blocks along the last axis; sigmoid on i, f, o and tanh on g
    raise NotImplementedError("10.1 lstm_gates: see README.md")


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
    # TODO(10.2): a = x @ Wx + h_prev @ Wh + b, lstm_gates(a), then the new c and h
    raise NotImplementedError("10.2 lstm_step_forward: see README.md")


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
    # TODO(10.2): c reaches the loss directly and through h; gate derivatives into one da
    raise NotImplementedError("10.2 lstm_step_backward: see README.md")


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
    # TODO(10.3): x @ Wx + b for all steps before the loop; one h @ Wh per step inside it
    raise NotImplementedError("10.3 lstm_forward: see README.md")


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
    # TODO(10.3): walk t backwards, adding what step t + 1 sends back; products after the loop
    raise NotImplementedError("10.3 lstm_backward: see README.md")
