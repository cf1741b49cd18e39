"""Day 16 · Attention.

Every query asks every key "how much do you matter to me?", turns the answers into weights
with a softmax, and takes the weighted mean of the values. Masks say which keys a query may
look at: True where attending is allowed. Shapes use B batch, H heads, T queries, S keys,
D head width, C = H * D model width. Results are float64 (float32 inputs too).
"""

import numpy as np

from ..day03_activations.activations import softmax_backward  # noqa: F401


def masked_softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis that gives masked entries exactly 0, computed stably.

    scores: (..., S) raw scores (logits), float64 or float32, finite; ±1e4 included.
    mask: bool, broadcastable to scores.shape, True where an entry may get weight; None
        (the default) allows every entry.
    Returns (..., S) float64, the shape of scores: each row sums to 1 over its allowed
    entries, masked entries are exactly 0, and a row with no allowed entry is all zeros
    (never NaN).
    """
    # TODO(16.1): -inf where masked, subtract the row max (0 if all masked), exp, divide by a nonzero sum
    raise NotImplementedError("16.1 masked_softmax: see README.md")


def scaled_dot_product_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """softmax(q k^T / sqrt(D)) v, with masked keys getting weight exactly 0.

    q: (B, H, T, D) queries.
    k: (B, H, S, D) keys; S may differ from T.
    v: (B, H, S, D) values, one per key.
    mask: bool, broadcastable to (B, H, T, S), True where query t may attend to key s
        (a causal mask (T, S), a padding mask (B, 1, 1, S), or both combined); None (the
        default) lets every query attend to every key.
    Returns (out, weights): out: (B, H, T, D), weights: (B, H, T, S), float64. Each row of
    weights sums to 1 over its allowed keys; a query with no allowed key gets all-zero
    weights and an all-zero output (never NaN).
    """
    # TODO(16.2): scores = q @ k^T / sqrt(D) for all heads at once; masked_softmax; weights @ v
    raise NotImplementedError("16.2 scaled_dot_product_attention: see README.md")


def split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    """Cut the model width into heads: x[b, t, h * D + d] becomes out[b, h, t, d].

    x: (B, T, C), C divisible by n_heads.
    n_heads: H, the number of heads; D = C // H.
    Returns (B, H, T, D), x's entries rearranged (x's dtype): head h holds columns h * D to
    (h + 1) * D - 1 of x.
    """
    # TODO(16.3): reshape (B, T, C) to (B, T, H, D), then move the head axis in front of T
    raise NotImplementedError("16.3 split_heads: see README.md")


def merge_heads(x: np.ndarray) -> np.ndarray:
    """The inverse of split_heads: x[b, h, t, d] becomes out[b, t, h * D + d].

    x: (B, H, T, D).
    Returns (B, T, C) with C = H * D, x's entries rearranged (x's dtype);
    merge_heads(split_heads(y, H)) equals y.
    """
    # TODO(16.3): move the head axis back behind T, then reshape to (B, T, H * D)
    raise NotImplementedError("16.3 merge_heads: see README.md")


def multi_head_attention(
    x: np.ndarray, params: dict[str, np.ndarray], n_heads: int, mask: np.ndarray | None = None
) -> tuple[np.ndarray, tuple]:
    """Multi-head self-attention: project x to queries, keys and values, attend in each
    head, merge the heads and project back.

    x: (B, T, C) inputs; C divisible by n_heads.
    params: {"Wq", "Wk", "Wv", "Wo": (C, C), "bq", "bk", "bv", "bo": (C,)}, each
        projection y = x @ W + b; not modified.
    n_heads: H; each head has width D = C // H.
    mask: bool, broadcastable to (B, H, T, T), True where position t may attend to
        position s; None (the default) allows every pair.
    Returns (out, cache): out: (B, T, C) float64; cache: what multi_head_attention_backward
    needs (opaque).
    """
    # TODO(16.4): project, split_heads, attend, merge_heads, project with Wo; cache the pieces
    raise NotImplementedError("16.4 multi_head_attention: see README.md")


def multi_head_attention_backward(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The backward pass of multi_head_attention.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by multi_head_attention.
    Returns (dx, grads): dx: (B, T, C) d loss / d x; grads: d loss / d each parameter, the
    same keys and shapes as params, float64.
    """
    # TODO(16.4): undo the forward pass step by step; day 3's softmax_backward does the softmax
    raise NotImplementedError("16.4 multi_head_attention_backward: see README.md")


def flash_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool = False, block_size: int = 64
) -> np.ndarray:
    """Exact attention computed one block of keys at a time, with an online softmax, so
    that no (T, S) array ever exists (the FlashAttention algorithm).

    q: (B, H, T, D) queries.
    k: (B, H, S, D) keys; S may differ from T.
    v: (B, H, S, D) values.
    causal: if True, query t attends to keys 0..t only (keys s <= t); False (the default)
        lets every query attend to every key.
    block_size: keys per block (default 64), any positive int; it need not divide S.
    Returns out: (B, H, T, D) float64, equal to scaled_dot_product_attention's out with the
    same mask. Memory beyond the inputs and out is O(T * block_size) per head, never (T, S).
    """
    # TODO(16.5): per key block: update a running max, sum and v-sum; rescale old sums by exp(old - new max)
    raise NotImplementedError("16.5 flash_attention: see README.md")
