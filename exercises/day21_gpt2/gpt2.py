"""Day 21 · GPT-2 · Language models are unsupervised multitask learners.

GPT-2 (Radford et al., 2019) is day 20's GPT with three changes: each block normalises its
input before each sublayer (pre-LN: x + MHA(LN(x)), the residual path never normalised), a
final layer norm "ln_f" follows the last block, and the output layer is the token embedding
itself (weight tying: logits = h @ wte.T, no W_out, no b_out). Its residual projections (each
attention's Wo and each feed-forward's W2) start smaller, N(0, (0.02 / sqrt(2 L))²), so the
residual stream's variance does not grow with depth. Then it writes text: one token at a
time, sampled with a temperature, top-k or top-p (nucleus) filtering, or greedily, each step
reusing the keys and values of the earlier positions (a key/value cache).
Shapes: B batch, T sequence length (T <= T_max), C model width, H heads, D = C // H head
width, F feed-forward width, V vocabulary, L layers.
config = {"vocab_size": V, "max_len": T_max, "d_model": C, "n_layers": L, "n_heads": H,
"d_ff": F}.
params = {"wte": (V, C) the token embedding, also the output layer, "wpe": (T_max, C) the
learned position embedding, "blocks": a list of L blocks, each {"attn": day 16's multi-head
attention params {"Wq", "Wk", "Wv", "Wo": (C, C), "bq", "bk", "bv", "bo": (C,)}, "ln1":
{"gamma", "beta": (C,)}, "ffn": day 15's feed-forward params {"W1": (C, F), "b1": (F,),
"W2": (F, C), "b2": (C,)}, "ln2": {"gamma", "beta": (C,)}}, "ln_f": {"gamma", "beta": (C,)}}.
Gradients have the same nested structure. No dropout.
"""

import numpy as np

from ..day20_gpt.gpt import (  # noqa: F401
    causal_mask,
    feed_forward,
    feed_forward_backward,
    init_gpt,
    layer_norm,
    layer_norm_backward,
    map_params,
    multi_head_attention,
    multi_head_attention_backward,
)


def init_gpt2(config: dict, seed: int) -> dict:
    """Fresh GPT-2 parameters, drawn as GPT-2 draws them.

    config: {"vocab_size": V, "max_len": T_max, "d_model": C, "n_layers": L, "n_heads": H,
        "d_ff": F}; L may be 0 (no blocks).
    seed: the seed of np.random.default_rng; the same seed gives the same params.
    Returns params, the module docstring's structure (with "ln_f", without "W_out" and
    "b_out"), every array float64: wte, wpe and each block's Wq, Wk, Wv and W1 drawn from
    N(0, 0.02²); each block's residual projections Wo and W2 drawn from
    N(0, (0.02 / sqrt(2 L))²), standard deviation 0.02 / sqrt(2 L); every matrix with draws
    of its own (no two blocks share weights); every bias 0; every layer norm's gamma 1 and
    beta 0, ln_f's included.
    """
    # TODO(21.1): day 20's init_gpt(config, seed); Wo and W2 / sqrt(2 L); no W_out, b_out; add ln_f
    raise NotImplementedError("21.1 init_gpt2: see README.md")


def gpt2_block(x: np.ndarray, params: dict, n_heads: int) -> tuple[np.ndarray, tuple]:
    """One GPT-2 block, pre-LN: each sublayer reads a normalised copy of the residual stream
    and adds its result to it; the stream itself is never normalised.
        h = x + MHA(LN1(x), causal);          out = h + FFN(LN2(h))

    x: (B, T, C) inputs; C divisible by n_heads.
    params: {"attn", "ln1", "ffn", "ln2"}, as the module docstring says; not modified.
    n_heads: H. The self-attention is causal (day 18's causal_mask(T)): position t reads
        positions 0..t only, so out[:, t] never depends on x[:, t + 1:].
    Returns (out, cache): out: (B, T, C) float64; cache: what gpt2_block_backward needs
    (opaque).
    """
    # TODO(21.2): pre-LN: h = x + MHA(LN1(x)) with causal_mask(T), out = h + FFN(LN2(h)); keep the four caches
    raise NotImplementedError("21.2 gpt2_block: see README.md")


def gpt2_block_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict]:
    """The backward pass of gpt2_block.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by gpt2_block.
    Returns (dx, grads): dx: (B, T, C) d loss / d x; grads: d loss / d each parameter, the
    same nested keys and shapes as the block's params ({"attn", "ln1", "ffn", "ln2"}),
    float64.
    """
    # TODO(21.2): backwards through the FFN, ln2, the attention, ln1; the residual paths add dout and dh
    raise NotImplementedError("21.2 gpt2_block_backward: see README.md")


def gpt2_forward(ids: np.ndarray, params: dict, n_heads: int) -> tuple[np.ndarray, tuple]:
    """The whole GPT-2: embeddings, the pre-LN blocks, the final layer norm, the tied output.
        x = wte[ids] + wpe[:T];    h = LN_f(block_L(... block_1(x)));    logits = h @ wte.T

    ids: (B, T) int token ids in [0, V), 1 <= T <= T_max.
    params: the module docstring's structure, float64; not modified.
    n_heads: H, for every block.
    Returns (logits, cache): logits: (B, T, V) float64, at position t the scores of the token
    that follows ids[:, t] (position t reads ids[:, :t + 1] only); cache: what gpt2_backward
    needs (opaque).
    """
    # TODO(21.3): x = wte[ids] + wpe[:T]; the blocks; h = LN_f(x); logits = h @ wte.T; cache what the backward needs
    raise NotImplementedError("21.3 gpt2_forward: see README.md")


def gpt2_backward(dlogits: np.ndarray, cache: tuple) -> dict:
    """The backward pass of gpt2_forward, through ln_f and every block down to the embeddings.

    dlogits: (B, T, V) d loss / d logits.
    cache: the cache returned by gpt2_forward.
    Returns grads: d loss / d each parameter, float64, the same nested structure, keys and
    shapes as params. wte is used twice, so grads["wte"] is the sum of both uses: the output
    layer's dlogits^T h (every position's, summed) plus the embedding's rows (row v sums the
    gradients of every position that reads token v). grads["wpe"] row t sums position t's
    over the batch, and rows t >= T are 0; grads["blocks"][i] belongs to params["blocks"][i];
    grads["ln_f"] = {"gamma", "beta"}.
    """
    # TODO(21.3): dwte = dlogits^T h (the output layer) PLUS the embedding's rows (np.add.at)
    raise NotImplementedError("21.3 gpt2_backward: see README.md")


def filter_logits(
    logits: np.ndarray, top_k: int | None = None, top_p: float | None = None
) -> np.ndarray:
    """Keep only the likeliest tokens of each row; the others get -inf (probability 0).

    logits: (B, V) scores, finite or -inf (at least one finite per row).
    top_k: keep the k largest logits of each row, 1 <= k; every logit equal to the k-th
        largest is kept too (ties are never broken arbitrarily); k >= V keeps everything.
        None (the default): no top-k filtering.
    top_p: nucleus filtering, 0 < p <= 1: with probs = softmax of the row (after top-k, if
        both are given), keep the smallest set of likeliest tokens whose probabilities sum to
        at least p, and every token as likely as the least likely one kept. The likeliest
        token is always kept; p = 1 keeps every token. None (the default): no top-p filtering.
    Returns (B, V) float64, a new array: the kept logits unchanged, the others -inf.
    """
    # TODO(21.4): top-k: -inf below the k-th largest; top-p: sorted probs' cumsum, keep until p
    raise NotImplementedError("21.4 filter_logits: see README.md")


def sample_next(
    logits: np.ndarray,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Draw each row's next token from its logits.

    logits: (B, V) scores of the next token, finite; not modified.
    temperature: >= 0. 0 is greedy: each row's argmax (the first one on a tie), with no
        randomness at all. Otherwise the logits are divided by the temperature (below 1
        sharpens the distribution, above 1 flattens it), then filtered by
        filter_logits(logits / temperature, top_k, top_p), then turned into probs by a
        softmax.
    top_k, top_p: as filter_logits'; None (the default): not used.
    seed: the draws use u = np.random.default_rng(seed).random(B), one uniform per row: row b
        gets the smallest v with cdf[v] > u[b], where cdf = np.cumsum(probs[b]) divided by
        its last entry (what rng.choice(V, p=probs[b]) does, row after row).
    Returns (B,) int64, one token id in [0, V) per row, never a filtered-out one.
    """
    # TODO(21.4): temperature 0: argmax; else filter_logits(logits / temperature), softmax, cdf, u
    raise NotImplementedError("21.4 sample_next: see README.md")


def gpt2_step(
    ids_t: np.ndarray, params: dict, n_heads: int, kv_cache: list | None = None
) -> tuple[np.ndarray, list]:
    """One step of incremental decoding: only the new position t goes through the model; each
    block's self-attention reuses the keys and values of positions 0..t-1 from the cache
    instead of recomputing them.

    ids_t: (B,) int the tokens at the new position t, in [0, V).
    params: the module docstring's structure with at least one block; not modified.
    n_heads: H.
    kv_cache: one (K, V) pair per block, each (B, H, t, D): the self-attention keys and values
        of positions 0..t-1 as that block computed them (from LN1 of its input, with its Wk,
        bk and Wv, bv, heads split as day 16's split_heads does); None (the default) at the
        first step, t = 0. t < T_max. Not modified.
    Returns (logits_t, new_cache): logits_t: (B, V) float64, equal to position t's row of
    gpt2_forward run on positions 0..t at once; new_cache: the (K, V) pairs with position t
    appended, each (B, H, t + 1, D).
    """
    # TODO(21.5): t = the cache's length; x = wte[ids_t] + wpe[t]; per block append K, V, attend
    raise NotImplementedError("21.5 gpt2_step: see README.md")


def generate(
    params: dict,
    prompt_ids: np.ndarray,
    n_new: int,
    n_heads: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Write n_new tokens after a prompt, one at a time, with the key/value cache.

    params: GPT-2's params with at least one block; not modified.
    prompt_ids: (B, T0) int, T0 >= 1, T0 + n_new <= T_max; not modified.
    n_new: the number of tokens to write, >= 0.
    n_heads: H.
    temperature, top_k, top_p: as sample_next's (temperature 0: greedy).
    seed: new token i (i = 0, 1, ..., n_new - 1) is
        sample_next(logits, temperature, top_k, top_p, seed=seed + i), with logits the
        scores gpt2_step gives at the last position written so far.
    Returns (B, T0 + n_new) int64: the prompt, then the new tokens. It equals recomputing
    gpt2_forward on the whole sequence before every token, and sampling from its last
    position the same way; each position goes through the model once (gpt2_step).
    """
    # TODO(21.5): the prompt but its last token through gpt2_step; then step, sample_next, append
    raise NotImplementedError("21.5 generate: see README.md")
