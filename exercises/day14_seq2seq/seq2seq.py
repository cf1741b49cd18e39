"""Day 14 · Seq2Seq · Sequence to sequence.

An encoder LSTM reads the source tokens; its last hidden state is the whole sentence in one
vector, and the decoder LSTM starts from it (its cell state starts at zero, as in
ゼロから作るDeep Learning 2) to write the target one token at a time. Training feeds the
decoder the true previous token (teacher forcing); decoding feeds back its own choice,
greedily or with a beam. Additive (Bahdanau) attention lets the decoder look at every
encoder state instead of only the last one: the bridge to day 16.

Parameters are a dict of arrays (V vocabulary, D embedding width, H hidden units):
    "E": (V, D) token embeddings, shared by the encoder and the decoder;
    "enc_Wx": (D, 4H), "enc_Wh": (H, 4H), "enc_b": (4H,) the encoder LSTM (day 10);
    "dec_Wx": (D, 4H), "dec_Wh": (H, 4H), "dec_b": (4H,) the decoder LSTM;
    "W_out": (H, V), "b_out": (V,) the decoder's output layer (logits of the next token).
Shapes: B batch, S source length, T target length.
"""

import numpy as np

from ..day10_lstm.lstm import lstm_backward, lstm_forward, lstm_step_forward  # noqa: F401


def _encode(params: dict, src: np.ndarray) -> np.ndarray:
    """The encoder's last hidden state: src (B, S) int token ids -> h (B, H).
    Given, not an exercise: greedy_decode and beam_search start the decoder from it."""
    H = params["enc_Wh"].shape[0]
    h0 = np.zeros((len(src), H))  # (B, H)
    hs, _, _ = lstm_forward(params["E"][src], h0, h0, *_lstm(params, "enc"))  # (B, S, H)
    return hs[:, -1]


def _decode_step(
    params: dict, tokens: np.ndarray, h: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One decoder step: tokens (B,) int the previous tokens, h, c (B, H) the decoder's states
    -> (logp, h, c): logp (B, V) log-probabilities of the next token, h, c (B, H) the new states.
    Given, not an exercise."""
    h, c, _ = lstm_step_forward(params["E"][tokens], h, c, *_lstm(params, "dec"))  # (B, H)
    logits = h @ params["W_out"] + params["b_out"]  # (B, V)
    logits = logits - logits.max(axis=-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True)), h, c


def _lstm(params: dict, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Wx, Wh, b) of the encoder ("enc") or the decoder ("dec"). Given, not an exercise."""
    return params[f"{name}_Wx"], params[f"{name}_Wh"], params[f"{name}_b"]


def masked_cross_entropy(
    logits: np.ndarray, targets: np.ndarray, pad_id: int = 0
) -> tuple[float, np.ndarray]:
    """The mean cross-entropy over the real (not padded) target tokens, and its gradient.

    logits: (B, T, V) scores of the next token at every target position (float32 or float64).
    targets: (B, T) int token ids; positions where targets == pad_id are padding.
    pad_id: the padding token id (default 0).
    loss = -(1 / N) * sum over real positions (b, t) of log softmax(logits[b, t])[targets[b, t]],
    N = the number of real positions. Stable for huge logits (1e4).
    Returns (loss, dlogits): loss a Python float; dlogits (B, T, V) float64, d loss / d logits,
    exactly 0 at padded positions. With no real position at all: loss 0.0 and dlogits all 0.
    """
    # TODO(14.1): log-softmax with the max subtracted, pick each target's entry, average over targets != pad_id only
    raise NotImplementedError("14.1 masked_cross_entropy: see README.md")


def seq2seq_forward(params: dict, src: np.ndarray, tgt_in: np.ndarray) -> tuple[np.ndarray, tuple]:
    """The encoder–decoder with teacher forcing: the logits of every next target token.

    params: the dict of the module docstring.
    src: (B, S) int source token ids (no padding: every row has S real tokens).
    tgt_in: (B, T) int the decoder's inputs: the true previous tokens (bos first).
    The encoder (lstm_forward from zero states) reads E[src]; the decoder (lstm_forward)
    reads E[tgt_in], starting from h0 = the encoder's last hidden state and c0 = 0;
    logits = decoder hidden states @ W_out + b_out.
    Returns (logits, cache): logits (B, T, V); cache: what seq2seq_backward needs (opaque).
    """
    # TODO(14.2): encoder lstm_forward from zeros; decoder from (its last h, zeros); output layer
    raise NotImplementedError("14.2 seq2seq_forward: see README.md")


def seq2seq_backward(dlogits: np.ndarray, cache: tuple) -> dict:
    """The backward pass of seq2seq_forward.

    dlogits: (B, T, V) d loss / d logits; cache: the cache of seq2seq_forward.
    Returns grads: a dict with the keys of params, grads[k] = d loss / d params[k], each of
    params[k]'s shape. The decoder's dh0 flows back into the encoder's last hidden state;
    "E" collects the gradients of both the source and the target embeddings.
    """
    # TODO(14.2): output layer, lstm_backward of the decoder, its dh0 into the encoder's last step, np.add.at for E
    raise NotImplementedError("14.2 seq2seq_backward: see README.md")


def greedy_decode(
    params: dict, src: np.ndarray, bos_id: int, eos_id: int, max_len: int
) -> np.ndarray:
    """Greedy decoding: at every step, feed back the most probable next token.

    params: the dict of the module docstring; src: (B, S) int source token ids.
    The decoder starts from h = the encoder's last hidden state (_encode), c = 0, and the
    token bos_id; each step takes the argmax of the next-token distribution (_decode_step)
    and feeds it back as the next input. It runs max_len steps (max_len >= 1).
    Returns tokens: (B, max_len) int64, the chosen tokens (bos_id not included); once a row
    has chosen eos_id, all its later tokens are eos_id.
    """
    # TODO(14.3): _encode, then max_len calls of _decode_step, feeding back the argmax; keep eos_id once a row has it
    raise NotImplementedError("14.3 greedy_decode: see README.md")


def beam_search(
    params: dict,
    src: np.ndarray,
    bos_id: int,
    eos_id: int,
    max_len: int,
    width: int,
    alpha: float = 1.0,
) -> tuple[list[int], float]:
    """Beam search with length normalisation, for one source sequence.

    params: the dict of the module docstring; src: (S,) int one source sequence.
    A hypothesis y = (y_1, ..., y_L) is the tokens after bos_id; it is finished when
    y_L == eos_id or L == max_len. log P(y) = sum_k log p(y_k | src, y_<k) (_decode_step,
    from _encode's state). Its score is log P(y) / L**alpha (alpha = 0: no normalisation;
    default 1.0: the mean log-probability per token).
    Search: start from the empty hypothesis; at every step, extend each unfinished
    hypothesis by every token of the vocabulary and keep the `width` extensions with the
    highest log P (all have the same length, so the same as the highest score); the kept
    ones that are finished are set aside for good, the others go on. Stop when none goes on.
    width >= 1, max_len >= 1.
    Returns (tokens, score) of the finished hypothesis with the highest score: tokens a list
    of Python ints (with its final eos_id, if it has one), score a Python float.
    """
    # TODO(14.4): extend, keep the width best log P, set finished aside, pick by log P / L**alpha
    raise NotImplementedError("14.4 beam_search: see README.md")


def additive_attention(
    query: np.ndarray,
    keys: np.ndarray,
    mask: np.ndarray,
    Wq: np.ndarray,
    Wk: np.ndarray,
    v: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Additive (Bahdanau) attention of a decoder state over the encoder states.

    query: (B, H) the decoder's hidden state; keys: (B, T, H) the encoder's hidden states.
    mask: (B, T) bool, True at real positions, False at padding; every row has at least one
    real position. Wq: (H, A), Wk: (H, A), v: (A,) the attention's weights (A its width).
    scores[b, t] = v · tanh(query[b] @ Wq + keys[b, t] @ Wk)                  (B, T)
    weights = softmax of the scores over the real positions of each row: exactly 0 at
    padded positions, each row sums to 1. Stable for huge scores (v of 1e4).
    context[b] = sum_t weights[b, t] * keys[b, t]                            (B, H)
    Returns (context, weights): context (B, H), weights (B, T).
    """
    # TODO(14.5): tanh(query @ Wq + keys @ Wk) @ v, -inf at padding, stable softmax, weighted sum
    raise NotImplementedError("14.5 additive_attention: see README.md")
