"""Day 15 · Transformer · The Transformer's parts around attention.

Everything in the paper "Attention Is All You Need" that is not attention itself: the
sinusoidal positional encoding, token embeddings scaled by sqrt(C), layer normalisation, the
position-wise feed-forward network, inverted dropout and the warm-up learning-rate schedule.
Shapes: B batch, T sequence length, C model width (d_model), F feed-forward width, V vocabulary.
Forward passes return (out, cache); backward passes take (dout, cache). Parameters are dicts:
layer norm {"gamma": (C,), "beta": (C,)}, feed-forward {"W1": (C, F), "b1": (F,),
"W2": (F, C), "b2": (C,)}.
"""

import numpy as np

from ..day03_activations.activations import relu, relu_grad  # noqa: F401


def positional_encoding(T: int, C: int) -> np.ndarray:
    """The paper's sinusoidal positional encoding.

    PE[pos, 2i] = sin(pos / 10000**(2i / C)) and PE[pos, 2i + 1] = cos(pos / 10000**(2i / C)),
    for positions pos = 0 .. T - 1: columns 2i and 2i + 1 share one frequency.
    T: the number of positions (0 gives an empty (0, C) array).
    C: the model width; an odd C ends with a sin column (its cos partner would be column C).
    Returns PE: (T, C).
    """
    pos = np.arange(T)[:, None]  # (T, 1)
    two_i = np.arange(0, C, 2)  # (ceil(C/2),): the even columns 0, 2, 4, ...
    angles = pos / 10000.0 ** (two_i / C)  # (T, ceil(C/2)): one frequency per column pair
    pe = np.zeros((T, C))
    pe[:, 0::2] = np.sin(angles)  # even columns
    pe[:, 1::2] = np.cos(angles[:, : C // 2])  # odd columns; an odd C has one fewer
    return pe


def embed_tokens(ids: np.ndarray, W_emb: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Token embeddings scaled by sqrt(C), as the paper does: out = W_emb[ids] * sqrt(C).

    ids: (B, T) int token ids in [0, V); a token may occur many times.
    W_emb: (V, C) the embedding table, one row per token.
    Returns (out, cache): out: (B, T, C); cache: what embed_tokens_backward needs (opaque).
    """
    C = W_emb.shape[1]
    out = W_emb[ids] * np.sqrt(C)  # (B, T, C): row ids[b, t] of the table, scaled
    return out, (ids, W_emb.shape)


def embed_tokens_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """The backward pass of embed_tokens: the gradient of the loss with respect to W_emb.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by embed_tokens.
    Returns dW_emb: (V, C); row v sums sqrt(C) * dout over every position holding token v
    (zeros for a token that does not occur).
    """
    ids, (V, C) = cache
    dW_emb = np.zeros((V, C))
    np.add.at(dW_emb, ids, dout * np.sqrt(C))  # repeated ids accumulate, never overwrite
    return dW_emb


def layer_norm(
    x: np.ndarray, params: dict[str, np.ndarray], eps: float = 1e-5
) -> tuple[np.ndarray, tuple]:
    """Layer normalisation over the last axis (each position's C features on their own).

    out = gamma * (x - mean) / sqrt(var + eps) + beta, with mean and var the mean and the
    biased variance (divide by C, not C - 1) of each row x[b, t, :].
    x: (B, T, C) (any leading axes work the same way).
    params: {"gamma": (C,), "beta": (C,)}; not modified.
    eps: added to the variance inside the square root, so a constant row gives beta, not NaN.
    Returns (out, cache): out: (B, T, C); cache: what layer_norm_backward needs (opaque).
    """
    mean = x.mean(axis=-1, keepdims=True)  # (B, T, 1)
    var = x.var(axis=-1, keepdims=True)  # (B, T, 1), biased: divides by C
    rstd = 1.0 / np.sqrt(var + eps)  # (B, T, 1)
    xhat = (x - mean) * rstd  # (B, T, C): mean 0, variance 1 per row
    out = params["gamma"] * xhat + params["beta"]
    return out, (xhat, rstd, params["gamma"])


def layer_norm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The backward pass of layer_norm.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by layer_norm.
    Returns (dx, grads): dx: (B, T, C); grads: {"gamma": (C,), "beta": (C,)}, summed over
    every position (all axes but the last).
    """
    xhat, rstd, gamma = cache
    axes = tuple(range(dout.ndim - 1))  # every axis but C
    dgamma = (dout * xhat).sum(axis=axes)  # (C,)
    dbeta = dout.sum(axis=axes)  # (C,)
    dxhat = dout * gamma  # (B, T, C)
    # the mean and the variance depend on every x of the row: remove their two directions
    dx = rstd * (
        dxhat
        - dxhat.mean(axis=-1, keepdims=True)
        - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
    )
    return dx, {"gamma": dgamma, "beta": dbeta}


def feed_forward(x: np.ndarray, params: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple]:
    """The position-wise feed-forward network: out = relu(x @ W1 + b1) @ W2 + b2.

    The same two dense layers, with a ReLU between them (day 3's relu), applied to every
    position on its own.
    x: (B, T, C) (any leading axes work the same way).
    params: {"W1": (C, F), "b1": (F,), "W2": (F, C), "b2": (C,)}; not modified.
    Returns (out, cache): out: (B, T, C); cache: what feed_forward_backward needs (opaque).
    """
    h_pre = x @ params["W1"] + params["b1"]  # (B, T, F)
    h = relu(h_pre)  # (B, T, F)
    out = h @ params["W2"] + params["b2"]  # (B, T, C)
    return out, (x, h_pre, h, params)


def feed_forward_backward(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The backward pass of feed_forward.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by feed_forward.
    Returns (dx, grads): dx: (B, T, C); grads: {"W1": (C, F), "b1": (F,), "W2": (F, C),
    "b2": (C,)}, each summed over every position (all axes but the last).
    """
    x, h_pre, h, params = cache
    C, F = params["W1"].shape
    x2, h2, dout2 = x.reshape(-1, C), h.reshape(-1, F), dout.reshape(-1, C)  # (B*T, .)
    dW2 = h2.T @ dout2  # (F, C)
    db2 = dout2.sum(axis=0)  # (C,)
    dh_pre = (dout @ params["W2"].T) * relu_grad(h_pre)  # (B, T, F): only units that were on
    dh_pre2 = dh_pre.reshape(-1, F)  # (B*T, F)
    dW1 = x2.T @ dh_pre2  # (C, F)
    db1 = dh_pre2.sum(axis=0)  # (F,)
    dx = dh_pre @ params["W1"].T  # (B, T, C)
    return dx, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def dropout(
    x: np.ndarray, p: float, seed: int, train: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: each entry is zeroed with probability p and the survivors are
    divided by 1 - p, so the expected value of every entry stays x.

    x: (...) any shape.
    p: the probability of dropping an entry, 0 <= p < 1; p = 0 returns x unchanged (a copy).
    seed: draws come from np.random.default_rng(seed), never NumPy's global random state;
    the same seed drops the same entries.
    train: False (evaluation) returns x unchanged (a copy), whatever p.
    Returns (out, cache): out: (...) the shape of x; cache: what dropout_backward needs
    (opaque).
    """
    if not train:
        return x.copy(), np.ones(x.shape)
    keep = np.random.default_rng(seed).random(x.shape) >= p  # (...): True with prob. 1 - p
    scale = keep / (1.0 - p)  # (...): 0 or 1 / (1 - p)
    return x * scale, scale


def dropout_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """The backward pass of dropout: the gradient flows only through the kept entries, scaled
    as they were.

    dout: (...) d loss / d out, the shape of x.
    cache: the cache returned by dropout.
    Returns dx: (...) the shape of dout.
    """
    return dout * cache


def warmup_lr(step: int, C: int, warmup: int = 4000) -> float:
    """The paper's learning-rate schedule:
    lrate = C**-0.5 * min(step**-0.5, step * warmup**-1.5).

    It grows linearly for the first `warmup` steps, peaks at step == warmup with
    (C * warmup)**-0.5, then decays as 1 / sqrt(step).
    step: the training step, counted from 1 (step >= 1).
    C: the model width d_model.
    warmup: the number of warm-up steps (the paper's 4000 by default).
    Returns the learning rate, a Python float.
    """
    return float(C**-0.5 * min(step**-0.5, step * warmup**-1.5))
