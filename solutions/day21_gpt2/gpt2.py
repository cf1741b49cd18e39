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
    params = init_gpt(config, seed)  # day 20's draws: every matrix N(0, 0.02²), fresh arrays
    L, C = config["n_layers"], config["d_model"]
    for block in params["blocks"]:  # each block adds two projections to the residual stream
        block["attn"]["Wo"] = block["attn"]["Wo"] / np.sqrt(2 * L)
        block["ffn"]["W2"] = block["ffn"]["W2"] / np.sqrt(2 * L)
    del params["W_out"], params["b_out"]  # the output layer is wte itself
    params["ln_f"] = {"gamma": np.ones(C), "beta": np.zeros(C)}
    return params


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
    T = x.shape[1]
    n1, ln1 = layer_norm(x, params["ln1"])  # (B, T, C)
    a, attn = multi_head_attention(n1, params["attn"], n_heads, causal_mask(T))  # (B, T, C)
    h = x + a  # (B, T, C): the residual stream
    n2, ln2 = layer_norm(h, params["ln2"])  # (B, T, C)
    f, ffn = feed_forward(n2, params["ffn"])  # (B, T, C)
    return h + f, (ln1, attn, ln2, ffn)


def gpt2_block_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict]:
    """The backward pass of gpt2_block.

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by gpt2_block.
    Returns (dx, grads): dx: (B, T, C) d loss / d x; grads: d loss / d each parameter, the
    same nested keys and shapes as the block's params ({"attn", "ln1", "ffn", "ln2"}),
    float64.
    """
    ln1, attn, ln2, ffn = cache
    grads = {}
    dn2, grads["ffn"] = feed_forward_backward(dout, ffn)  # (B, T, C)
    dh_ln, grads["ln2"] = layer_norm_backward(dn2, ln2)  # (B, T, C)
    dh = dout + dh_ln  # (B, T, C): the residual path and the sublayer's path
    dn1, grads["attn"] = multi_head_attention_backward(dh, attn)  # (B, T, C)
    dx_ln, grads["ln1"] = layer_norm_backward(dn1, ln1)  # (B, T, C)
    return dh + dx_ln, grads


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
    T = ids.shape[1]
    x = params["wte"][ids] + params["wpe"][:T]  # (B, T, C): token + position
    caches = []
    for block in params["blocks"]:
        x, cache = gpt2_block(x, block, n_heads)  # (B, T, C)
        caches.append(cache)
    h, ln_f = layer_norm(x, params["ln_f"])  # (B, T, C)
    logits = h @ params["wte"].T  # (B, T, V): the embedding, read backwards
    return logits, (ids, h, ln_f, caches, params)


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
    ids, h, ln_f, caches, params = cache
    T = ids.shape[1]
    dwte = np.einsum("btv,btc->vc", dlogits, h)  # (V, C): the output layer's use, summed
    dx, dln_f = layer_norm_backward(dlogits @ params["wte"], ln_f)  # (B, T, C)
    dblocks = []
    for cache_i in reversed(caches):  # the last block first
        dx, grads_i = gpt2_block_backward(dx, cache_i)  # (B, T, C)
        dblocks.append(grads_i)
    np.add.at(dwte, ids, dx)  # plus the embedding's use; a token read twice adds both
    dwpe = np.zeros_like(params["wpe"], dtype=float)  # (T_max, C)
    dwpe[:T] = dx.sum(axis=0)  # (T, C): every sequence of the batch used the same rows
    return {"wte": dwte, "wpe": dwpe, "blocks": dblocks[::-1], "ln_f": dln_f}


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
    out = np.array(logits, dtype=float)  # a copy: logits stays as it was
    if top_k is not None and top_k < out.shape[-1]:
        kth = np.sort(out, axis=-1)[..., -top_k, None]  # (B, 1): the k-th largest
        out[out < kth] = -np.inf  # ties with the k-th stay
    if top_p is not None:
        probs = np.exp(out - out.max(axis=-1, keepdims=True))  # (B, V)
        probs /= probs.sum(axis=-1, keepdims=True)
        desc = -np.sort(-probs, axis=-1)  # (B, V): likeliest first
        m = (np.cumsum(desc, axis=-1) < top_p).sum(axis=-1, keepdims=True)  # (B, 1): before p
        cutoff = np.take_along_axis(desc, np.minimum(m, out.shape[-1] - 1), axis=-1)  # (B, 1)
        out[probs < cutoff] = -np.inf  # the least likely kept token's ties stay
    return out


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
    if temperature == 0:
        return np.argmax(logits, axis=-1).astype(np.int64)  # greedy
    z = filter_logits(np.asarray(logits, dtype=float) / temperature, top_k, top_p)  # (B, V)
    probs = np.exp(z - z.max(axis=-1, keepdims=True))  # (B, V); removed entries: exp(-inf) = 0
    cdf = np.cumsum(probs, axis=-1)  # (B, V)
    cdf /= cdf[:, -1:]  # the last entry exactly 1
    u = np.random.default_rng(seed).random(len(z))  # (B,)
    return (cdf <= u[:, None]).sum(axis=-1).astype(np.int64)  # (B,): first v with cdf > u


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
    B = len(ids_t)
    t = 0 if kv_cache is None else kv_cache[0][0].shape[2]  # positions already cached
    x = params["wte"][ids_t] + params["wpe"][t]  # (B, C)
    H, C = n_heads, x.shape[-1]
    D = C // H
    new_cache = []
    for i, block in enumerate(params["blocks"]):
        p = block["attn"]
        n1, _ = layer_norm(x, block["ln1"])  # (B, C)
        q, k, v = ((n1 @ p["W" + s] + p["b" + s]).reshape(B, H, 1, D) for s in "qkv")
        if kv_cache is not None:
            k = np.concatenate([kv_cache[i][0], k], axis=2)  # (B, H, t + 1, D)
            v = np.concatenate([kv_cache[i][1], v], axis=2)  # (B, H, t + 1, D)
        new_cache.append((k, v))
        scores = q @ k.swapaxes(-1, -2) / np.sqrt(D)  # (B, H, 1, t + 1): 0..t all allowed
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        weights /= weights.sum(axis=-1, keepdims=True)  # (B, H, 1, t + 1)
        x = x + (weights @ v).reshape(B, C) @ p["Wo"] + p["bo"]  # (B, C): heads merged
        n2, _ = layer_norm(x, block["ln2"])  # (B, C)
        f, _ = feed_forward(n2, block["ffn"])  # (B, C)
        x = x + f
    h, _ = layer_norm(x, params["ln_f"])  # (B, C)
    return h @ params["wte"].T, new_cache  # (B, V)


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
    ids = np.array(prompt_ids, dtype=np.int64)  # (B, T0), a copy
    cache = None
    for t in range(ids.shape[1] - 1):  # the prompt, but its last token, fills the cache
        _, cache = gpt2_step(ids[:, t], params, n_heads, cache)
    for i in range(n_new):
        logits, cache = gpt2_step(ids[:, -1], params, n_heads, cache)  # (B, V)
        next_ids = sample_next(logits, temperature, top_k, top_p, seed=seed + i)  # (B,)
        ids = np.concatenate([ids, next_ids[:, None]], axis=1)  # (B, t + 2)
    return ids
