"""Day 18 · Transformer Decoder · The Transformer decoder.

The decoder writes the output sentence one token at a time. Each block has three sublayers,
each followed by a residual connection and a layer norm (post-LN, as in the paper):
masked self-attention over the tokens written so far (a causal mask: position t sees
positions 0..t only), cross-attention whose queries come from the decoder and whose keys and
values come from the encoder's output (the memory), and the feed-forward network.
Shapes: B batch, T target length, S source length, C model width, H heads, D = C // H head
width, F feed-forward width.
A block's parameters are a dict of six dicts:
{"self_attn", "cross_attn": day 16's multi-head attention params {"Wq", "Wk", "Wv", "Wo":
(C, C), "bq", "bk", "bv", "bo": (C,)}, "ln1", "ln2", "ln3": {"gamma", "beta": (C,)},
"ffn": day 15's feed-forward params {"W1": (C, F), "b1": (F,), "W2": (F, C), "b2": (C,)}}.
translation_loss puts the encoder and the decoder together. Forward passes only; no dropout.
"""

import numpy as np

from ..day15_transformer.transformer import embed_tokens, positional_encoding  # noqa: F401
from ..day16_attention.attention import (  # noqa: F401
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)
from ..day17_encoder.encoder import (  # noqa: F401
    encoder,
    feed_forward,
    layer_norm,
    multi_head_attention,
    padding_mask,
)


def causal_mask(T: int, lengths: np.ndarray | None = None) -> np.ndarray:
    """The decoder's self-attention mask: query t may attend to key s when s <= t (never to a
    later position) and, with lengths, when s is a real token (s < lengths[b]).

    T: the (padded) target length.
    lengths: (B,) int, the real length of each target sequence, 0 <= lengths[b] <= T; None
        (the default): no padding.
    Returns mask: bool, (1, 1, T, T) without lengths, (B, 1, T, T) with them; mask[b, 0, t, s]
    is True where query t may attend to key s. It broadcasts to the scores' (B, H, T, T).
    """
    # TODO(18.1): np.tri(T, dtype=bool) is s <= t; add two axes, then & padding_mask(lengths, T)
    raise NotImplementedError("18.1 causal_mask: see README.md")


def cross_attention(
    x: np.ndarray,
    memory: np.ndarray,
    params: dict[str, np.ndarray],
    n_heads: int,
    memory_lengths: np.ndarray | None = None,
) -> np.ndarray:
    """Multi-head attention from the decoder to the encoder: queries from x, keys and values
    from the encoder's output.

    x: (B, T, C) the decoder's states (the queries).
    memory: (B, S, C) the encoder's output (the keys and values); S may differ from T.
    params: {"Wq", "Wk", "Wv", "Wo": (C, C), "bq", "bk", "bv", "bo": (C,)}: queries
        x @ Wq + bq, keys memory @ Wk + bk, values memory @ Wv + bv; not modified.
    n_heads: H; C divisible by H.
    memory_lengths: (B,) int, the real length of each source sequence: padded encoder
        positions s >= memory_lengths[b] get weight exactly 0. None (the default): no padding.
    Returns out: (B, T, C) float64, the heads merged and projected with Wo, bo.
    """
    # TODO(18.2): q from x, k and v from memory; attend with padding_mask(memory_lengths, S)
    raise NotImplementedError("18.2 cross_attention: see README.md")


def decoder_block(
    x: np.ndarray,
    memory: np.ndarray,
    params: dict[str, dict[str, np.ndarray]],
    n_heads: int,
    lengths: np.ndarray | None = None,
    memory_lengths: np.ndarray | None = None,
) -> np.ndarray:
    """One decoder block, post-LN as in the paper:
        h1 = LN1(x + MaskedMHA(x));   h2 = LN2(h1 + CrossMHA(h1, memory));   out = LN3(h2 + FFN(h2))

    x: (B, T, C) the decoder's inputs (target embeddings with positions, or the previous
        block's output).
    memory: (B, S, C) the encoder's output.
    params: {"self_attn", "ln1", "cross_attn", "ln2", "ffn", "ln3"}, as the module docstring
        says; not modified.
    n_heads: H, for both attentions.
    lengths: (B,) int, the real target lengths, masked with causal_mask(T, lengths); None
        (the default): causal mask only.
    memory_lengths: (B,) int, the real source lengths, passed to cross_attention; None (the
        default): no source padding.
    Returns out: (B, T, C) float64.
    """
    # TODO(18.3): three times h = layer_norm(h + sublayer(h)): masked self, cross, feed-forward
    raise NotImplementedError("18.3 decoder_block: see README.md")


def decoder_step(
    x_t: np.ndarray,
    memory: np.ndarray,
    layers: list[dict[str, dict[str, np.ndarray]]],
    n_heads: int,
    kv_cache: list[tuple[np.ndarray, np.ndarray]] | None = None,
    memory_lengths: np.ndarray | None = None,
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """One step of incremental decoding through a stack of decoder blocks: only the new
    position t goes through the blocks; each block's self-attention reuses the keys and
    values of positions 0..t-1 from the cache instead of recomputing them.

    x_t: (B, C) the input of the new position t (its embedding with its position).
    memory: (B, S, C) the encoder's output.
    layers: one decoder block's params per layer, applied in list order; none is modified.
    n_heads: H.
    kv_cache: one (K, V) pair per layer, each (B, H, t, D): the self-attention keys and
        values of positions 0..t-1 as that layer computed them; None (the default) at the
        first step (t = 0). Not modified.
    memory_lengths: (B,) int, the real source lengths, for every cross-attention; None (the
        default): no source padding.
    Returns (out_t, new_cache): out_t: (B, C) float64, equal to row t of the stack run on all
    positions 0..t at once (decoder_block after decoder_block, no target padding);
    new_cache: the (K, V) pairs with position t appended, each (B, H, t + 1, D).
    """
    # TODO(18.4): per layer: append the new k, v to the cached ones (axis 2), then the block
    raise NotImplementedError("18.4 decoder_step: see README.md")


def translation_loss(
    src_ids: np.ndarray,
    tgt_ids: np.ndarray,
    params: dict,
    n_heads: int,
    src_lengths: np.ndarray | None = None,
    tgt_lengths: np.ndarray | None = None,
) -> float:
    """The encoder–decoder's next-token loss on a batch of translation pairs (teacher
    forcing): the decoder reads the target sentence up to position t and predicts token t + 1.

    src_ids: (B, S) int source token ids in [0, V_src), padded after src_lengths[b].
    tgt_ids: (B, T + 1) int target token ids in [0, V), a start symbol first, padded after
        tgt_lengths[b]; the decoder reads tgt_ids[:, :-1] and predicts tgt_ids[:, 1:].
    params: {"src_emb": (V_src, C), "tgt_emb": (V, C), "encoder": a list of day 17's
        encoder-block params, "decoder": a list of decoder-block params, "W_out": (C, V),
        "b_out": (V,)}; not modified. Embeddings are day 15's embed_tokens (scaled by sqrt(C))
        plus positional_encoding; the encoder is day 17's post-LN encoder with src_lengths;
        every decoder block gets memory_lengths = src_lengths and no target lengths (with the
        padding at the end, the causal mask already keeps real positions from it).
    n_heads: H, for every block.
    src_lengths: (B,) int, the real source lengths; None (the default): no source padding.
    tgt_lengths: (B,) int, the real lengths of tgt_ids (the start symbol included),
        1 <= tgt_lengths[b] <= T + 1: position t is a real prediction when
        t + 1 < tgt_lengths[b]. None (the default): every position is real.
    Returns loss: a Python float, the cross-entropy -log softmax(logits)[next token]
    averaged over the real predictions only (padding ignored; 0.0 if there are none).
    """
    # TODO(18.5): encode the source, decode tgt_ids[:, :-1], score tgt_ids[:, 1:] on real positions
    raise NotImplementedError("18.5 translation_loss: see README.md")
