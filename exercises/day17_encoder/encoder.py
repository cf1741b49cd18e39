"""Day 17 · Transformer Encoder · The Transformer encoder.

The encoder reads the whole input at once: every position attends to every real position
(padding is masked out), then each position goes through the feed-forward network on its
own. Around both sublayers sit a residual connection and a layer norm: after the residual in
the paper (post-LN), or before the sublayer (pre-LN, as GPT-2 and most modern models do).
Shapes: B batch, T sequence length, C model width, H heads, F feed-forward width.
A block's parameters are a dict of four dicts:
{"attn": day 16's multi-head attention params {"Wq", "Wk", "Wv", "Wo": (C, C),
"bq", "bk", "bv", "bo": (C,)}, "ln1": {"gamma", "beta": (C,)}, "ffn": day 15's
feed-forward params {"W1": (C, F), "b1": (F,), "W2": (F, C), "b2": (C,)},
"ln2": {"gamma", "beta": (C,)}}. No dropout here (the evaluation-time block).
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


def padding_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """The attention mask of a padded batch: position s of sequence b is real when
    s < lengths[b], padding otherwise.

    lengths: (B,) int, the number of real tokens of each sequence, 0 <= lengths[b] <= T
        (0: all padding; T: no padding).
    T: the padded length.
    Returns mask: (B, 1, 1, T) bool, True where a query may attend to key s (s is real);
    it broadcasts to the attention scores' (B, H, T, T): the same for every head and
    every query.
    """
    # TODO(17.1): s < lengths[b] is real: compare np.arange(T) with lengths, then add the head and query axes
    raise NotImplementedError("17.1 padding_mask: see README.md")


def encoder_block(
    x: np.ndarray,
    params: dict[str, dict[str, np.ndarray]],
    n_heads: int,
    mask: np.ndarray | None = None,
    pre_ln: bool = False,
) -> tuple[np.ndarray, tuple]:
    """One encoder block: multi-head self-attention, then the feed-forward network, each
    with a residual connection and a layer norm.

    Post-LN (the paper, pre_ln=False, the default):
        h = LN1(x + MHA(x));          out = LN2(h + FFN(h))
    Pre-LN (pre_ln=True):
        h = x + MHA(LN1(x));          out = h + FFN(LN2(h))
    x: (B, T, C) inputs; C divisible by n_heads.
    params: {"attn", "ln1", "ffn", "ln2"}, as the module docstring says; not modified.
    n_heads: H, the number of attention heads.
    mask: bool, broadcastable to (B, H, T, T), True where position t may attend to
        position s (padding_mask's result, say); None (the default) allows every pair.
    pre_ln: False (the default) for post-LN, True for pre-LN.
    Returns (out, cache): out: (B, T, C) float64; cache: what encoder_block_backward needs
    (opaque).
    """
    # TODO(17.2): post-LN: h = LN1(x + MHA(x)), out = LN2(h + FFN(h)); pre-LN normalises before each sublayer
    raise NotImplementedError("17.2 encoder_block: see README.md")


def encoder(
    x: np.ndarray,
    layers: list[dict[str, dict[str, np.ndarray]]],
    n_heads: int,
    lengths: np.ndarray | None = None,
    pre_ln: bool = False,
) -> np.ndarray:
    """The encoder: a stack of blocks, each reading the previous block's output.

    x: (B, T, C) inputs (embeddings, with positions added if wanted: the encoder itself
        knows no order).
    layers: one block's params per layer, applied in list order (an empty list returns x
        as float64); none is modified.
    n_heads: H, the number of heads of every block.
    lengths: (B,) int, the real length of each sequence; every block masks the padding
        with padding_mask(lengths, T). None (the default): no padding, every pair allowed.
    pre_ln: passed to every block (False, the default: post-LN).
    Returns out: (B, T, C) float64.
    """
    # TODO(17.3): build the mask once from lengths, then feed each block the previous block's output
    raise NotImplementedError("17.3 encoder: see README.md")


def encoder_block_backward(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, dict[str, dict[str, np.ndarray]]]:
    """The backward pass of encoder_block (post-LN or pre-LN, as the forward pass was).

    dout: (B, T, C) d loss / d out.
    cache: the cache returned by encoder_block.
    Returns (dx, grads): dx: (B, T, C) d loss / d x; grads: d loss / d each parameter,
    the same nested keys and shapes as params ({"attn", "ln1", "ffn", "ln2"}).
    """
    # TODO(17.4): walk the forward pass backwards; a residual adds its gradient to the sublayer's
    raise NotImplementedError("17.4 encoder_block_backward: see README.md")
