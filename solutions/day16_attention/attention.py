"""Day 16 · Attention.

Every query asks every key "how much do you matter to me?", turns the answers into weights
with a softmax, and takes the weighted mean of the values. Masks say which keys a query may
look at: True where attending is allowed. Shapes use B batch, H heads, T queries, S keys,
D head width, C = H * D model width. Results are float64 (float32 inputs too).
"""

import numpy as np

from ..day03_activations.activations import softmax_backward


def masked_softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis that gives masked entries exactly 0, computed stably.

    scores: (..., S) raw scores (logits), float64 or float32, finite; ±1e4 included.
    mask: bool, broadcastable to scores.shape, True where an entry may get weight; None
        (the default) allows every entry.
    Returns (..., S) float64, the shape of scores: each row sums to 1 over its allowed
    entries, masked entries are exactly 0, and a row with no allowed entry is all zeros
    (never NaN).
    """
    scores = np.asarray(scores, dtype=float)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # exp(-inf) = 0: masked entries get no weight
    row_max = scores.max(axis=-1, keepdims=True)  # (..., 1)
    row_max = np.where(row_max == -np.inf, 0.0, row_max)  # all masked: -inf - (-inf) is NaN
    e = scores - row_max  # (..., S), a new array: every entry <= 0, so exp <= 1
    np.exp(e, out=e)  # in place: attention's (T, S) arrays are the largest it holds
    total = e.sum(axis=-1, keepdims=True)  # (..., 1), 0 on an all-masked row
    e /= np.where(total > 0, total, 1.0)  # an all-masked row stays 0 / 1 = 0
    return e


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
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    D = q.shape[-1]
    scores = (q / np.sqrt(D)) @ k.swapaxes(-1, -2)  # (B, H, T, S); sqrt(D) keeps their spread ~1
    weights = masked_softmax(scores, mask)  # (B, H, T, S)
    return weights @ v, weights  # (B, H, T, D), (B, H, T, S)


def split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    """Cut the model width into heads: x[b, t, h * D + d] becomes out[b, h, t, d].

    x: (B, T, C), C divisible by n_heads.
    n_heads: H, the number of heads; D = C // H.
    Returns (B, H, T, D), x's entries rearranged (x's dtype): head h holds columns h * D to
    (h + 1) * D - 1 of x.
    """
    B, T, C = x.shape
    return x.reshape(B, T, n_heads, C // n_heads).transpose(0, 2, 1, 3)  # (B, H, T, D)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """The inverse of split_heads: x[b, h, t, d] becomes out[b, t, h * D + d].

    x: (B, H, T, D).
    Returns (B, T, C) with C = H * D, x's entries rearranged (x's dtype);
    merge_heads(split_heads(y, H)) equals y.
    """
    B, H, T, D = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * D)  # (B, T, C)


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
    x = np.asarray(x, dtype=float)
    q = split_heads(x @ params["Wq"] + params["bq"], n_heads)  # (B, H, T, D)
    k = split_heads(x @ params["Wk"] + params["bk"], n_heads)  # (B, H, T, D)
    v = split_heads(x @ params["Wv"] + params["bv"], n_heads)  # (B, H, T, D)
    heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, H, T, D), (B, H, T, T)
    concat = merge_heads(heads)  # (B, T, C)
    out = concat @ params["Wo"] + params["bo"]  # (B, T, C)
    return out, (x, params, q, k, v, weights, concat)


def multi_head_attention_backward(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The backward pass of multi_head_attention.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by multi_head_attention.
    Returns (dx, grads): dx: (B, T, C) d loss / d x; grads: d loss / d each parameter, the
    same keys and shapes as params, float64.
    """
    x, params, q, k, v, weights, concat = cache
    B, H, T, D = q.shape
    C = H * D
    grads = {
        "Wo": concat.reshape(B * T, C).T @ dout.reshape(B * T, C),  # (C, C), summed over B and T
        "bo": dout.sum(axis=(0, 1)),  # (C,)
    }
    dheads = split_heads(dout @ params["Wo"].T, H)  # (B, H, T, D)
    dweights = dheads @ v.swapaxes(-1, -2)  # (B, H, T, T)
    dv = weights.swapaxes(-1, -2) @ dheads  # (B, H, T, D)
    dscores = softmax_backward(dweights, weights) / np.sqrt(D)  # masked weights: gradient 0
    dq = dscores @ k  # (B, H, T, D)
    dk = dscores.swapaxes(-1, -2) @ q  # (B, H, T, D)
    dx = np.zeros_like(x)  # (B, T, C): x feeds all three projections
    for name, dhead in (("q", dq), ("k", dk), ("v", dv)):
        dy = merge_heads(dhead)  # (B, T, C), d loss / d (x @ W + b)
        grads["W" + name] = x.reshape(B * T, C).T @ dy.reshape(B * T, C)  # (C, C)
        grads["b" + name] = dy.sum(axis=(0, 1))  # (C,)
        dx += dy @ params["W" + name].T  # (B, T, C)
    return dx, grads


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
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    T, D = q.shape[-2:]
    S = k.shape[-2]
    q = q / np.sqrt(D)  # (B, H, T, D): scale once, not every block
    row_max = np.full((*q.shape[:-1], 1), -np.inf)  # (B, H, T, 1) largest score seen so far
    row_sum = np.zeros((*q.shape[:-1], 1))  # (B, H, T, 1) sum of exp(score - row_max)
    acc = np.zeros(q.shape)  # (B, H, T, D) sum of exp(score - row_max) * v
    for s0 in range(0, min(S, T) if causal else S, block_size):
        r0 = s0 if causal else 0  # causal: queries before s0 see nothing in this block
        k_blk, v_blk = k[..., s0 : s0 + block_size, :], v[..., s0 : s0 + block_size, :]
        scores = q[..., r0:, :] @ k_blk.swapaxes(-1, -2)  # (B, H, T - r0, block)
        if causal:  # only the block's top rows see some of its keys in their future
            n = min(scores.shape[-2:])
            future = ~np.tri(n, scores.shape[-1], dtype=bool)  # (n, block): key s0 + j > t
            scores[..., :n, :][..., future] = -np.inf
        new_max = np.maximum(row_max[..., r0:, :], scores.max(axis=-1, keepdims=True))
        rescale = np.exp(row_max[..., r0:, :] - new_max)  # (B, H, T - r0, 1): old sums shrink
        scores -= new_max  # in place: the tile is the one large array here
        p = np.exp(scores, out=scores)  # (B, H, T - r0, block)
        row_sum[..., r0:, :] *= rescale
        row_sum[..., r0:, :] += p.sum(axis=-1, keepdims=True)
        acc[..., r0:, :] *= rescale
        acc[..., r0:, :] += p @ v_blk  # (B, H, T - r0, D)
        row_max[..., r0:, :] = new_max
    return acc / row_sum  # (B, H, T, D)
