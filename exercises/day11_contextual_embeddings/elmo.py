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

from ..day10_lstm.lstm import lstm_forward  # noqa: F401


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
    # TODO(11.1): (B, T) source positions, lengths[b] - 1 - t on the real part; index x once
    raise NotImplementedError("11.1 reverse_padded: see README.md")


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
    # TODO(11.2): lstm_forward on x, and on reverse_padded(x) reversed back; concat, 0 at padding
    raise NotImplementedError("11.2 bilstm_forward: see README.md")


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
    # TODO(11.3): two stacks: fw over x, bw over reverse_padded(x); states[l] = [fw, bw back]
    raise NotImplementedError("11.3 bilm_forward: see README.md")


def scalar_mix(states: np.ndarray, w: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """ELMo's scalar mix: a task's own weighted sum of the layers.

    states: (L + 1, B, T, C) every layer's states (bilm_forward's result).
    w: (L + 1,) unnormalised layer weights; any finite values (w = 1000 included).
    gamma: the scale of the whole vector (default 1.0).
    s = softmax(w), so the weights are positive and sum to 1;
    returns gamma * sum over j of s[j] * states[j]: (B, T, C). Equal weights give
    gamma times the mean of the layers. states and w are not modified.
    """
    # TODO(11.4): s = softmax(w) (subtract the max first); gamma times the s-weighted sum of the layers
    raise NotImplementedError("11.4 scalar_mix: see README.md")
