"""Day 11 · 文脈を考慮して単語を埋め込む · Contextual embeddings (ELMo).

A word's vector should depend on its sentence. ELMo reads the sentence with a
bidirectional LSTM language model: one LSTM from left to right, one from right to left,
and concatenates their hidden states, so every position sees both its past and its
future. Several such layers are stacked, and the embedding of a word is a weighted sum
of every layer's state at its position (the scalar mix).

Batches hold sentences of different lengths, padded at the end: row b has lengths[b]
real words at positions 0 .. lengths[b] - 1, then padding. The backward direction must
start at each row's own last word, never at the padding.

Shapes: B batch, T time steps (the padded length), H hidden units of one direction,
C = 2H the width of both directions together. One direction's LSTM weights come from
day 10: Wx (D, 4H), Wh (H, 4H), b (4H,), gates in the order i, f, g, o.
"""

import numpy as np

from ..day10_lstm.lstm import lstm_forward


def _real(lengths: np.ndarray, T: int) -> np.ndarray:
    """(B, T, 1) bool: True at the real positions t < lengths[b], False at the padding."""
    return (np.arange(T) < np.asarray(lengths)[:, None])[..., None]  # (B, T, 1)


def reverse_padded(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reverse every row of a padded batch within its own length.

    x: (B, T, D) a padded batch (any dtype; any number of trailing axes after T works
       the same, (B, T) included).
    lengths: (B,) int, the number of real positions of each row, 0 <= lengths[b] <= T.
    Returns (B, T, D) in the dtype of x: out[b, t] = x[b, lengths[b] - 1 - t] for
    t < lengths[b], and out[b, t] = x[b, t] at the padding (t >= lengths[b]), left in place.
    Reversing twice gives x back. x is not modified.
    """
    B, T = x.shape[:2]
    t = np.arange(T)  # (T,)
    L = np.asarray(lengths)[:, None]  # (B, 1)
    src = np.where(t < L, L - 1 - t, t)  # (B, T): the position each output reads from
    return x[np.arange(B)[:, None], src]  # (B, T, D)


def bilstm_forward(x: np.ndarray, lengths: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """One bidirectional LSTM layer over a padded batch.

    x: (B, T, D) inputs, padded at the end of each row; T may be 1.
    lengths: (B,) int, real positions of each row, 0 <= lengths[b] <= T.
    params: {"Wx_fw": (D, 4H), "Wh_fw": (H, 4H), "b_fw": (4H,)} for the forward direction
    and the same three with "_bw" for the backward one; not modified.
    Forward direction: day 10's lstm_forward over x from zero states (h0 = c0 = 0).
    Backward direction: lstm_forward, with its own weights and zero states, over each row
    reversed within its length (reverse_padded), and its states reversed back, so that
    position t holds what the backward LSTM saw of words lengths[b] - 1 down to t.
    Returns hs: (B, T, 2H), [forward states, backward states] along the last axis, in the
    dtype of x and the weights (all float32 stays float32); 0 at every padded position.
    Real positions never depend on the padded inputs.
    """
    B, T, _ = x.shape
    H = params["Wh_fw"].shape[0]
    h0 = np.zeros((B, H), dtype=x.dtype)  # zero initial states, for c as well
    fw, _, _ = lstm_forward(x, h0, h0, params["Wx_fw"], params["Wh_fw"], params["b_fw"])
    x_rev = reverse_padded(x, lengths)  # each row read from its own last word
    bw, _, _ = lstm_forward(x_rev, h0, h0, params["Wx_bw"], params["Wh_bw"], params["b_bw"])
    bw = reverse_padded(bw, lengths)  # (B, T, H): back to the words' own positions
    hs = np.concatenate([fw, bw], axis=-1)  # (B, T, 2H)
    return np.where(_real(lengths, T), hs, 0)  # padding: 0


def bilm_forward(
    x: np.ndarray, lengths: np.ndarray, layers: list[dict[str, np.ndarray]]
) -> np.ndarray:
    """A two-stack bidirectional LSTM language model (ELMo's biLM), every layer's states.

    x: (B, T, H) token embeddings (context-free), padded at the end of each row; their
       width equals H, the width of one direction.
    lengths: (B,) int, real positions of each row, 0 <= lengths[b] <= T.
    layers: L dicts of bilstm_forward's params (L may be 0), every Wx (H, 4H); not modified.
    As in ELMo (and the post's figure) the two directions are two separate stacks: forward
    layer l runs lstm_forward (zero states, the "_fw" weights of layers[l - 1]) over the
    forward states of layer l - 1, left to right; backward layer l runs it (the "_bw"
    weights) over the backward states of layer l - 1, each sentence from its last real
    word to its first. Layer 0 of both stacks is x.
    Returns states: (L + 1, B, T, 2H). states[0] is the token layer [x, x] (the embedding
    repeated for both directions); states[l] = [forward layer l, backward layer l] along
    the last axis, both at the words' own positions. With L = 1 that is bilstm_forward.
    Every layer is 0 at the padding. In the dtype of x and the weights (all float32 stays
    float32).
    """
    B, T, H = x.shape
    h0 = np.zeros((B, H), dtype=x.dtype)  # zero initial states, for c as well
    fw, bw = x, reverse_padded(x, lengths)  # (B, T, H) each; bw reads from the end
    states = [np.concatenate([x, x], axis=-1)]  # the token layer, for both directions
    for p in layers:
        fw, _, _ = lstm_forward(fw, h0, h0, p["Wx_fw"], p["Wh_fw"], p["b_fw"])  # (B, T, H)
        bw, _, _ = lstm_forward(bw, h0, h0, p["Wx_bw"], p["Wh_bw"], p["b_bw"])  # reversed
        states.append(np.concatenate([fw, reverse_padded(bw, lengths)], axis=-1))
    return np.where(_real(lengths, T), np.stack(states), 0)  # (L + 1, B, T, 2H)


def scalar_mix(states: np.ndarray, w: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """ELMo's scalar mix: a task's own weighted sum of the layers.

    states: (L + 1, B, T, C) every layer's states (bilm_forward's result).
    w: (L + 1,) unnormalised layer weights; any finite values (w = 1000 included).
    gamma: the scale of the whole vector (default 1.0).
    s = softmax(w), so the weights are positive and sum to 1;
    returns gamma * sum over j of s[j] * states[j]: (B, T, C). Equal weights give
    gamma times the mean of the layers. states and w are not modified.
    """
    s = np.exp(w - np.max(w))  # shifting by the max: no overflow, same softmax
    s = s / s.sum()  # (L + 1,): positive, sums to 1
    return gamma * np.tensordot(s, states, axes=1)  # (B, T, C)
