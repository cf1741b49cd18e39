"""Day 20 · GPT · Generative pre-training of a decoder-only Transformer.

GPT (Radford et al., 2018) keeps only the Transformer's decoder, without the cross-attention:
a stack of blocks, each masked self-attention and the feed-forward network, each followed by a
residual connection and a layer norm (post-LN, as in the paper). It is pre-trained on plain
text to predict the next token, then fine-tuned. Shapes: B batch, T sequence length
(T <= T_max), C model width, H heads, F feed-forward width, V vocabulary, L layers.
config = {"vocab_size": V, "max_len": T_max, "d_model": C, "n_layers": L, "n_heads": H,
"d_ff": F}.
params = {"wte": (V, C) the token embedding, "wpe": (T_max, C) the learned position
embedding, "blocks": a list of L blocks, each {"attn": day 16's multi-head attention params
{"Wq", "Wk", "Wv", "Wo": (C, C), "bq", "bk", "bv", "bo": (C,)}, "ln1": {"gamma", "beta":
(C,)}, "ffn": day 15's feed-forward params {"W1": (C, F), "b1": (F,), "W2": (F, C),
"b2": (C,)}, "ln2": {"gamma", "beta": (C,)}}, "W_out": (C, V), "b_out": (V,)}: an output
layer of its own (not tied to wte). Gradients have the same nested structure. No dropout.
"""

import numpy as np

from ..day15_transformer.transformer import (  # noqa: F401
    feed_forward,
    feed_forward_backward,
    layer_norm,
    layer_norm_backward,
)
from ..day16_attention.attention import (  # noqa: F401
    multi_head_attention,
    multi_head_attention_backward,
)
from ..day18_decoder.decoder import causal_mask  # noqa: F401


def map_params(fn, *trees):
    """A helper, not an exercise: apply fn to the arrays found at the same place of every tree
    (nested dicts and lists of arrays, all of the first tree's structure) and return a new tree
    of that structure holding the results. map_params(lambda p, g: p - 0.1 * g, params, grads)
    is one step of gradient descent on every array of GPT's params.
    """
    first = trees[0]
    if isinstance(first, dict):
        return {key: map_params(fn, *(tree[key] for tree in trees)) for key in first}
    if isinstance(first, list | tuple):
        return type(first)(map_params(fn, *items) for items in zip(*trees))
    return fn(*trees)


def init_gpt(config: dict, seed: int) -> dict:
    """Fresh GPT parameters, drawn as GPT draws them.

    config: {"vocab_size": V, "max_len": T_max, "d_model": C, "n_layers": L, "n_heads": H,
        "d_ff": F}; L may be 0 (no blocks).
    seed: the seed of np.random.default_rng; the same seed gives the same params.
    Returns params, the module docstring's structure, every array float64: every weight
    matrix (wte, wpe, each block's Wq, Wk, Wv, Wo, W1, W2, and W_out) drawn from N(0, 0.02²),
    standard deviation 0.02, each with draws of its own (no two blocks share weights); every
    bias 0; every layer norm's gamma 1 and beta 0.
    """
    rng = np.random.default_rng(seed)
    V, T_max, C = config["vocab_size"], config["max_len"], config["d_model"]
    L, F = config["n_layers"], config["d_ff"]

    def normal(*shape):
        return 0.02 * rng.standard_normal(shape)  # N(0, 0.02²): small, so the first loss is ~log V

    def block():
        attn = {"W" + n: normal(C, C) for n in "qkvo"}  # Wq, Wk, Wv, Wo: (C, C)
        return {
            "attn": attn | {"b" + n: np.zeros(C) for n in "qkvo"},
            "ln1": {"gamma": np.ones(C), "beta": np.zeros(C)},
            "ffn": {"W1": normal(C, F), "b1": np.zeros(F), "W2": normal(F, C), "b2": np.zeros(C)},
            "ln2": {"gamma": np.ones(C), "beta": np.zeros(C)},
        }

    blocks = [block() for _ in range(L)]  # one call each: every block its own draws
    return {
        "wte": normal(V, C),
        "wpe": normal(T_max, C),
        "blocks": blocks,
        "W_out": normal(C, V),
        "b_out": np.zeros(V),
    }


def gpt_block(x: np.ndarray, params: dict, n_heads: int) -> tuple[np.ndarray, tuple]:
    """One GPT block, post-LN as in the paper: day 18's decoder block without the
    cross-attention.
        h = LN1(x + MHA(x, causal));          out = LN2(h + FFN(h))

    x: (B, T, C) inputs; C divisible by n_heads.
    params: {"attn", "ln1", "ffn", "ln2"}, as the module docstring says; not modified.
    n_heads: H. The self-attention is causal (day 18's causal_mask(T)): position t reads
        positions 0..t only, so out[:, t] never depends on x[:, t + 1:].
    Returns (out, cache): out: (B, T, C) float64; cache: what gpt_block_backward needs
    (opaque).
    """
    T = x.shape[1]
    a, attn = multi_head_attention(x, params["attn"], n_heads, causal_mask(T))  # (B, T, C)
    h, ln1 = layer_norm(x + a, params["ln1"])  # (B, T, C)
    f, ffn = feed_forward(h, params["ffn"])  # (B, T, C)
    out, ln2 = layer_norm(h + f, params["ln2"])  # (B, T, C)
    return out, (attn, ln1, ffn, ln2)


def gpt_block_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict]:
    """The backward pass of gpt_block.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by gpt_block.
    Returns (dx, grads): dx: (B, T, C) d loss / d x; grads: d loss / d each parameter, the
    same nested keys and shapes as the block's params ({"attn", "ln1", "ffn", "ln2"}),
    float64.
    """
    attn, ln1, ffn, ln2 = cache
    grads = {}
    dz2, grads["ln2"] = layer_norm_backward(dout, ln2)  # (B, T, C): d / d (h + FFN(h))
    dh_ffn, grads["ffn"] = feed_forward_backward(dz2, ffn)  # (B, T, C)
    dh = dz2 + dh_ffn  # (B, T, C): the residual path and the sublayer's path
    dz1, grads["ln1"] = layer_norm_backward(dh, ln1)  # (B, T, C): d / d (x + MHA(x))
    dx_attn, grads["attn"] = multi_head_attention_backward(dz1, attn)  # (B, T, C)
    dx = dz1 + dx_attn  # (B, T, C)
    return dx, grads


def gpt_forward(ids: np.ndarray, params: dict, n_heads: int) -> tuple[np.ndarray, tuple]:
    """The whole GPT: embeddings, the blocks, the output layer.
        x = wte[ids] + wpe[:T];    h = block_L(... block_1(x));    logits = h @ W_out + b_out

    ids: (B, T) int token ids in [0, V), 1 <= T <= T_max.
    params: the module docstring's structure, float64; not modified. The token embedding is
        not scaled (unlike day 15's embed_tokens) and the positions are the learned rows
        wpe[:T], not sinusoids.
    n_heads: H, for every block.
    Returns (logits, cache): logits: (B, T, V) float64, at position t the scores of the token
    that follows ids[:, t] (position t reads ids[:, :t + 1] only); cache: what gpt_backward
    needs (opaque).
    """
    T = ids.shape[1]
    x = params["wte"][ids] + params["wpe"][:T]  # (B, T, C): token + position
    caches = []
    for block in params["blocks"]:
        x, cache = gpt_block(x, block, n_heads)  # (B, T, C)
        caches.append(cache)
    logits = x @ params["W_out"] + params["b_out"]  # (B, T, V)
    return logits, (ids, x, caches, params)


def next_token_loss(logits: np.ndarray, ids: np.ndarray) -> tuple[float, np.ndarray]:
    """The language-modelling loss: position t is scored on the next token, ids[:, t + 1].

    logits: (B, T, V) the model's scores, float32 or float64, finite (±1e4 included).
    ids: (B, T) int the tokens the model read; the targets are ids[:, 1:].
    Returns (loss, dlogits): loss: a Python float, the cross-entropy
    -log softmax(logits[b, t])[ids[b, t + 1]] averaged over the B * (T - 1) positions
    t < T - 1; dlogits: (B, T, V) float64, d loss / d logits: (softmax(logits[b, t]) - the
    one-hot of ids[b, t + 1]) / (B * (T - 1)) at those positions and 0 at the last position
    t = T - 1, whose next token is unknown. With T = 1 nothing is predicted: loss 0.0 and
    dlogits all 0.
    """
    B, T, V = logits.shape
    z = np.asarray(logits[:, :-1], dtype=float)  # (B, T - 1, V): the last has no target
    z = z - z.max(axis=-1, keepdims=True)  # stable: every exp <= 1
    log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # (B, T - 1, V)
    targets = ids[:, 1:, None]  # (B, T - 1, 1): one step ahead
    n = max(B * (T - 1), 1)
    loss = -np.take_along_axis(log_probs, targets, axis=-1).sum() / n
    dz = np.exp(log_probs)  # (B, T - 1, V): softmax
    np.put_along_axis(dz, targets, np.take_along_axis(dz, targets, axis=-1) - 1.0, axis=-1)
    dlogits = np.zeros((B, T, V))
    dlogits[:, :-1] = dz / n  # the last position stays 0
    return float(loss), dlogits


def gpt_backward(dlogits: np.ndarray, cache: tuple) -> dict:
    """The backward pass of gpt_forward, through every block down to the embeddings.

    dlogits: (B, T, V) d loss / d logits.
    cache: the cache returned by gpt_forward.
    Returns grads: d loss / d each parameter, float64, the same nested structure, keys and
    shapes as params: grads["wte"] row v sums the gradients of every position that reads
    token v (a token read twice gets both); grads["wpe"] row t sums position t's over the
    batch, and rows t >= T are 0; grads["blocks"][i] belongs to params["blocks"][i].
    """
    ids, h, caches, params = cache
    C, V = params["W_out"].shape
    T = ids.shape[1]
    dW_out = h.reshape(-1, C).T @ dlogits.reshape(-1, V)  # (C, V), summed over B and T
    db_out = dlogits.sum(axis=(0, 1))  # (V,)
    dx = dlogits @ params["W_out"].T  # (B, T, C)
    dblocks = []
    for cache_i in reversed(caches):  # the last block first
        dx, grads_i = gpt_block_backward(dx, cache_i)  # (B, T, C)
        dblocks.append(grads_i)
    dwte = np.zeros_like(params["wte"], dtype=float)  # (V, C)
    np.add.at(dwte, ids, dx)  # unbuffered: a token read twice adds both gradients
    dwpe = np.zeros_like(params["wpe"], dtype=float)  # (T_max, C)
    dwpe[:T] = dx.sum(axis=0)  # (T, C): every sequence of the batch used the same rows
    return {"wte": dwte, "wpe": dwpe, "blocks": dblocks[::-1], "W_out": dW_out, "b_out": db_out}


def adamw_step(
    params: dict,
    grads: dict,
    state: dict | None,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.01,
) -> tuple[dict, dict]:
    """One AdamW step: Adam's bias-corrected moments, with the weight decay decoupled from
    the gradient (Loshchilov & Hutter). For every array p with gradient g, at step t (1 on
    the first call):
        m = beta1 m + (1 - beta1) g;           v = beta2 v + (1 - beta2) g²
        m_hat = m / (1 - beta1^t);             v_hat = v / (1 - beta2^t)
        p_new = p - lr (m_hat / (sqrt(v_hat) + eps) + weight_decay p)
    where the decay term is used only on arrays with ndim >= 2 (weight matrices and
    embeddings): biases and layer norms' gamma and beta are never decayed.

    params: nested dicts and lists of float arrays (GPT's params, or any such structure);
        not modified.
    grads: the same structure and shapes; not modified.
    state: None on the first step (m = v = 0, t = 0), else the new_state the previous call
        returned; not modified.
    lr: the learning rate.
    betas: (beta1, beta2), the moments' decay rates.
    eps: added to sqrt(v_hat), so a zero gradient gives no division by zero.
    weight_decay: the decoupled decay rate.
    Returns (new_params, new_state): new_params: params' structure, new float64 arrays;
    new_state: {"t": the number of steps taken (an int), "m": the first moments, "v": the
    second moments}, m and v of params' structure.
    """
    beta1, beta2 = betas
    if state is None:
        zeros = map_params(lambda p: np.zeros(np.shape(p)), params)
        state = {"t": 0, "m": zeros, "v": zeros}
    t = state["t"] + 1
    m = map_params(lambda m, g: beta1 * m + (1 - beta1) * g, state["m"], grads)
    v = map_params(lambda v, g: beta2 * v + (1 - beta2) * g**2, state["v"], grads)

    def update(p, m, v):
        m_hat = m / (1 - beta1**t)  # the moments start at 0: undo their pull towards it
        v_hat = v / (1 - beta2**t)
        decay = weight_decay * p if np.ndim(p) >= 2 else 0.0  # matrices only
        return p - lr * (m_hat / (np.sqrt(v_hat) + eps) + decay)

    return map_params(update, params, m, v), {"t": t, "m": m, "v": v}


def train_gpt(
    ids: np.ndarray, config: dict, steps: int, batch_size: int, lr: float, seed: int
) -> tuple[dict, list[float]]:
    """Pre-train a GPT on a corpus: random windows, the next-token loss, AdamW.

    ids: (N,) int the corpus' token ids in [0, V), N >= T_max.
    config: as init_gpt's; T_max = config["max_len"], H = config["n_heads"].
    steps: the number of optimiser steps (0: the initialisation and no losses).
    batch_size: B, windows per step.
    lr: AdamW's learning rate; the other settings are adamw_step's defaults.
    seed: the params start as init_gpt(config, seed), and the windows come from
        rng = np.random.default_rng(seed). Each step draws
        starts = rng.integers(0, N - T_max + 1, size=B), reads the (B, T_max) batch of windows
        ids[s : s + T_max], computes its loss with gpt_forward and next_token_loss, its
        gradients with gpt_backward, and takes one adamw_step (the state carried on from
        step to step).
    Returns (params, losses): the trained params; losses: a list of `steps` Python floats,
    each step's loss (before its update).
    """
    rng = np.random.default_rng(seed)
    params, state, losses = init_gpt(config, seed), None, []
    T = config["max_len"]
    for _ in range(steps):
        starts = rng.integers(0, len(ids) - T + 1, size=batch_size)  # (B,)
        batch = ids[starts[:, None] + np.arange(T)]  # (B, T)
        logits, cache = gpt_forward(batch, params, config["n_heads"])  # (B, T, V)
        loss, dlogits = next_token_loss(logits, batch)
        params, state = adamw_step(params, gpt_backward(dlogits, cache), state, lr)
        losses.append(loss)
    return params, losses
