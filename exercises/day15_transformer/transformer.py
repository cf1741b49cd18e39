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
    # TODO(15.1): angles = pos / 10000**(2i / C), one per position and column pair; sin even, cos odd
    raise NotImplementedError("15.1 positional_encoding: see README.md")


def embed_tokens(ids: np.ndarray, W_emb: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Token embeddings scaled by sqrt(C), as the paper does: out = W_emb[ids] * sqrt(C).

    ids: (B, T) int token ids in [0, V); a token may occur many times.
    W_emb: (V, C) the embedding table, one row per token.
    Returns (out, cache): out: (B, T, C); cache: what embed_tokens_backward needs (opaque).
    """
    # TODO(15.2): index the table with the whole ids array at once, then scale by sqrt(C)
    raise NotImplementedError("15.2 embed_tokens: see README.md")


def embed_tokens_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """The backward pass of embed_tokens: the gradient of the loss with respect to W_emb.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by embed_tokens.
    Returns dW_emb: (V, C); row v sums sqrt(C) * dout over every position holding token v
    (zeros for a token that does not occur).
    """
    # TODO(15.2): add each position's scaled dout into the row of its token; np.add.at accumulates repeated ids
    raise NotImplementedError("15.2 embed_tokens_backward: see README.md")


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
    # TODO(15.3): mean and biased variance over the last axis, xhat with sqrt(var + eps), then scale, shift
    raise NotImplementedError("15.3 layer_norm: see README.md")


def layer_norm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The backward pass of layer_norm.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by layer_norm.
    Returns (dx, grads): dx: (B, T, C); grads: {"gamma": (C,), "beta": (C,)}, summed over
    every position (all axes but the last).
    """
    # TODO(15.3): dgamma, dbeta sum over all axes but the last; dx: mean and var depend on x
    raise NotImplementedError("15.3 layer_norm_backward: see README.md")


def feed_forward(x: np.ndarray, params: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple]:
    """The position-wise feed-forward network: out = relu(x @ W1 + b1) @ W2 + b2.

    The same two dense layers, with a ReLU between them (day 3's relu), applied to every
    position on its own.
    x: (B, T, C) (any leading axes work the same way).
    params: {"W1": (C, F), "b1": (F,), "W2": (F, C), "b2": (C,)}; not modified.
    Returns (out, cache): out: (B, T, C); cache: what feed_forward_backward needs (opaque).
    """
    # TODO(15.4): dense, relu, dense: x @ W1 + b1, relu, then @ W2 + b2
    raise NotImplementedError("15.4 feed_forward: see README.md")


def feed_forward_backward(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The backward pass of feed_forward.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by feed_forward.
    Returns (dx, grads): dx: (B, T, C); grads: {"W1": (C, F), "b1": (F,), "W2": (F, C),
    "b2": (C,)}, each summed over every position (all axes but the last).
    """
    # TODO(15.4): reshape to (B*T, .) rows for the weight gradients; the ReLU lets the gradient through where h_pre > 0
    raise NotImplementedError("15.4 feed_forward_backward: see README.md")


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
    # TODO(15.5): keep = default_rng(seed).random(x.shape) >= p; divide the kept entries by 1 - p
    raise NotImplementedError("15.5 dropout: see README.md")


def dropout_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """The backward pass of dropout: the gradient flows only through the kept entries, scaled
    as they were.

    dout: (...) d loss / d out, the shape of x.
    cache: the cache returned by dropout.
    Returns dx: (...) the shape of dout.
    """
    # TODO(15.5): the same scaled mask as the forward pass, applied to dout
    raise NotImplementedError("15.5 dropout_backward: see README.md")


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
    # TODO(15.6): C**-0.5 * min(step**-0.5, step * warmup**-1.5), returned as a float
    raise NotImplementedError("15.6 warmup_lr: see README.md")
