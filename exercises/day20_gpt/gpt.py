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
    # TODO(20.1): rng = np.random.default_rng(seed); weights 0.02 * rng.standard_normal(shape)
    raise NotImplementedError("20.1 init_gpt: see README.md")


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
    # TODO(20.2): causal_mask(T) into multi_head_attention; h = LN1(x + a); out = LN2(h + FFN(h)); keep every cache
    raise NotImplementedError("20.2 gpt_block: see README.md")


def gpt_block_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict]:
    """The backward pass of gpt_block.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by gpt_block.
    Returns (dx, grads): dx: (B, T, C) d loss / d x; grads: d loss / d each parameter, the
    same nested keys and shapes as the block's params ({"attn", "ln1", "ffn", "ln2"}),
    float64.
    """
    # TODO(20.2): reverse gpt_block: LN2, FFN, LN1, MHA; add the residual path at each sum
    raise NotImplementedError("20.2 gpt_block_backward: see README.md")


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
    # TODO(20.3): x = wte[ids] + wpe[:T]; every block in turn; logits = x @ W_out + b_out
    raise NotImplementedError("20.3 gpt_forward: see README.md")


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
    # TODO(20.4): score logits[:, :-1] on ids[:, 1:]; stable log-softmax; dlogits 0 at the last position
    raise NotImplementedError("20.4 next_token_loss: see README.md")


def gpt_backward(dlogits: np.ndarray, cache: tuple) -> dict:
    """The backward pass of gpt_forward, through every block down to the embeddings.

    dlogits: (B, T, V) d loss / d logits.
    cache: the cache returned by gpt_forward.
    Returns grads: d loss / d each parameter, float64, the same nested structure, keys and
    shapes as params: grads["wte"] row v sums the gradients of every position that reads
    token v (a token read twice gets both); grads["wpe"] row t sums position t's over the
    batch, and rows t >= T are 0; grads["blocks"][i] belongs to params["blocks"][i].
    """
    # TODO(20.5): dW_out, db_out, then the blocks from the last to the first; np.add.at for wte
    raise NotImplementedError("20.5 gpt_backward: see README.md")


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
    # TODO(20.6): m, v moving averages; divide by 1 - beta^t; decay arrays with ndim >= 2 only (map_params helps)
    raise NotImplementedError("20.6 adamw_step: see README.md")


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
    # TODO(20.7): init_gpt, then each step: windows, gpt_forward, next_token_loss, gpt_backward, adamw_step
    raise NotImplementedError("20.7 train_gpt: see README.md")
