"""day17 suite: padding masks from lengths, the encoder block (post-LN and pre-LN), the stack
of blocks, and the block's backward pass.

Every value is checked against the formulas written out here with NumPy (layer norm, the
feed-forward network and multi-head attention head by head, independent of days 15 and 16),
against properties (permuting the positions permutes the output when there are no positions;
padded positions never move real ones; a block whose sublayers output 0 is the identity in
pre-LN), and against central finite differences. Shapes: B batch, T length, C width, H heads,
F feed-forward width."""

from __future__ import annotations

import math

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_tuple,
    implementation,
    msg,
    num,
    numerical_grad,
)

encoder = implementation("day17_encoder.encoder")

EPS = 1e-5  # day 15's layer_norm default
FD_CLOSE = {"rtol": 1e-4, "atol": 1e-6}  # finite differences on the mistaken side
SUBLAYERS = ("attn", "ln1", "ffn", "ln2")


# ---------------------------------------------------------------- the formulas, written out


def ln(x, p) -> np.ndarray:
    """Layer norm of each row: gamma * (x - mean) / sqrt(var + eps) + beta."""
    centred = x - x.mean(axis=-1, keepdims=True)
    var = (centred**2).mean(axis=-1, keepdims=True)
    return p["gamma"] * centred / np.sqrt(var + EPS) + p["beta"]


def ffn(x, p) -> np.ndarray:
    return np.maximum(x @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]


def mha(x, p, H, mask=None) -> np.ndarray:
    """Head by head and sequence by sequence: scores, a softmax over the allowed keys, the
    weighted values; then the heads side by side and the output projection."""
    x = np.asarray(x, dtype=float)
    B, T, C = x.shape
    D = C // H
    q, k, v = (x @ p["W" + n] + p["b" + n] for n in "qkv")  # (B, T, C) each
    allowed = np.broadcast_to(True if mask is None else mask, (B, H, T, T))
    concat = np.zeros((B, T, C))
    for b in range(B):
        for h in range(H):
            cols = slice(h * D, (h + 1) * D)
            scores = q[b, :, cols] @ k[b, :, cols].T / math.sqrt(D)  # (T, T)
            scores = np.where(allowed[b, h], scores, -np.inf)
            top = scores.max(axis=-1, keepdims=True)
            e = np.exp(scores - np.where(np.isinf(top), 0.0, top))
            total = e.sum(axis=-1, keepdims=True)
            concat[b, :, cols] = (e / np.where(total > 0, total, 1.0)) @ v[b, :, cols]
    return concat @ p["Wo"] + p["bo"]


def block(x, p, H, mask=None, pre_ln=False) -> np.ndarray:
    if pre_ln:
        h = x + mha(ln(x, p["ln1"]), p["attn"], H, mask)
        return h + ffn(ln(h, p["ln2"]), p["ffn"])
    h = ln(x + mha(x, p["attn"], H, mask), p["ln1"])
    return ln(h + ffn(h, p["ffn"]), p["ln2"])


def stack(x, layers, H, mask=None, pre_ln=False) -> np.ndarray:
    for p in layers:
        x = block(x, p, H, mask, pre_ln)
    return x


def lengths_mask(lengths, T) -> np.ndarray:
    """(B, 1, 1, T), one key at a time."""
    mask = np.zeros((len(lengths), 1, 1, T), dtype=bool)
    for b, length in enumerate(lengths):
        for s in range(T):
            mask[b, 0, 0, s] = s < length
    return mask


def block_params(rng, C=6, F=8) -> dict[str, dict[str, np.ndarray]]:
    """Weights of spread ~1/sqrt(width), so every sublayer matters; gamma near 1 and beta
    near 0, but neither exactly, so swapping or dropping them shows."""
    w = lambda *shape: rng.standard_normal(shape) / math.sqrt(shape[0])  # noqa: E731
    small = lambda n: 0.3 * rng.standard_normal(n)  # noqa: E731
    norm = lambda: {"gamma": 1.0 + small(C), "beta": small(C)}  # noqa: E731
    attn = {"W" + n: w(C, C) for n in "qkvo"} | {"b" + n: small(C) for n in "qkvo"}
    return {
        "attn": attn,
        "ln1": norm(),
        "ffn": {"W1": w(C, F), "b1": small(F), "W2": w(F, C), "b2": small(C)},
        "ln2": norm(),
    }


def switched_off(p) -> dict[str, dict[str, np.ndarray]]:
    """The same block with both sublayers' last projections zeroed: they output 0."""
    p = {name: dict(sub) for name, sub in p.items()}
    for name, keys in (("attn", ("Wo", "bo")), ("ffn", ("W2", "b2"))):
        for key in keys:
            p[name][key] = np.zeros_like(p[name][key])
    return p


def copy_params(p):
    return {name: {key: value.copy() for key, value in sub.items()} for name, sub in p.items()}


# ------------------------------------------------------------------ 17.1 padding_mask


@pytest.mark.task("17.1")
@pytest.mark.checks("inputs")
def test_padding_mask_leaves_its_inputs_alone():
    assert_inputs_unchanged(encoder.padding_mask, np.array([2, 0, 3]), 3)


@pytest.mark.task("17.1")
@pytest.mark.checks("types")
def test_padding_mask_is_bool_of_shape_b_1_1_t():
    mask = encoder.padding_mask(np.array([1, 4]), 4)
    assert_array(mask, (2, 1, 1, 4), "mask", dtype=bool)


@pytest.mark.task("17.1")
@pytest.mark.checks("mistake")
def test_padding_mask_avoids_the_common_mistakes():
    lengths = np.array([2, 3, 0, 1])
    mask = np.asarray(encoder.padding_mask(lengths, 3))
    real = lengths_mask(lengths, 3)
    assert_not_mistake(
        mask,
        np.arange(3) <= lengths[:, None, None, None],
        msg(
            en="the mask allows one position too many: position s is real when s < length "
            "(a length of 2 means positions 0 and 1), not s <= length",
            ja="マスクが 1 つ多く位置を許しています。長さ 2 なら本物は位置 0 と 1 なので、"
            "位置 s が本物なのは s <= length ではなく s < length のときです",
        ),
    )
    assert_not_mistake(
        mask,
        ~real,
        msg(
            en="the mask is inverted: True must mark the real tokens (where attending is "
            "allowed), False the padding",
            ja="マスクが反転しています。True は本物のトークン(注意を向けてよいところ)、"
            "False がパディングです",
        ),
    )


@pytest.mark.task("17.1")
def test_padding_mask_hand_worked():
    mask = encoder.padding_mask(np.array([2, 3, 0]), 3)
    expected = np.array([[1, 1, 0], [1, 1, 1], [0, 0, 0]], dtype=bool)[:, None, None, :]
    assert_close(mask, expected, "padding_mask([2,3,0],3)")


@pytest.mark.task("17.1")
def test_padding_mask_on_generated_lengths(rng):
    T = 7
    lengths = rng.integers(0, T + 1, size=9)
    lengths[:2] = 0, T  # all padding and no padding, whatever the seed
    mask = encoder.padding_mask(lengths, T)
    assert_array(mask, (9, 1, 1, T), "mask", dtype=bool)
    assert_close(mask, lengths_mask(lengths, T), f"padding_mask({','.join(map(str, lengths))},{T})")


@pytest.mark.task("17.1")
def test_padding_mask_is_the_same_for_every_head_and_query(rng):
    lengths = np.array([3, 5])
    full = np.broadcast_to(encoder.padding_mask(lengths, 5), (2, 4, 5, 5))  # (B, H, T, T)
    for b, length in enumerate(lengths):
        allowed_keys = full[b].any(axis=(0, 1))
        assert full[b].all(axis=(0, 1)).sum() == allowed_keys.sum() == length, msg(
            en=f"sequence {b} has {length} real tokens, so every head and every query must "
            f"allow exactly the keys 0..{length - 1}: the mask varies along the wrong axis",
            ja=f"系列 {b} の本物のトークンは {length} 個なので、どのヘッド・どのクエリも"
            f"キー 0〜{length - 1} だけを許すはずです。マスクが違う軸に沿って変わっています",
        )


# ------------------------------------------------------------------ 17.2 encoder_block


def block_case(rng, B=2, T=5, C=6, F=8):
    return rng.standard_normal((B, T, C)), block_params(rng, C, F)


@pytest.mark.task("17.2")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_leaves_its_inputs_alone(rng, pre_ln):
    x, params = block_case(rng)
    mask = lengths_mask([5, 3], 5)
    assert_inputs_unchanged(encoder.encoder_block, x, params, 2, mask, pre_ln)


@pytest.mark.task("17.2")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_returns_float64_out_and_a_cache(rng, dtype, pre_ln):
    x, params = block_case(rng, B=2, T=3)
    result = encoder.encoder_block(x.astype(dtype), params, 3, pre_ln=pre_ln)
    out, _ = assert_tuple(result, 2, "encoder_block", "(out, cache)")
    assert_array(out, (2, 3, 6), "out")


@pytest.mark.task("17.2")
@pytest.mark.checks("mistake")
def test_post_ln_block_avoids_the_common_mistakes(rng):
    x, p = block_case(rng)
    out, _ = encoder.encoder_block(x, p, 2)
    right = block(x, p, 2)
    h_no_residual = ln(mha(x, p["attn"], 2), p["ln1"])
    assert_not_mistake(
        out,
        ln(h_no_residual + ffn(h_no_residual, p["ffn"]), p["ln2"]),
        msg(
            en="the attention sublayer lost its residual connection: post-LN is "
            "h = LN1(x + MHA(x)), the input added back before the layer norm",
            ja="Attention のサブレイヤーから残差接続が抜けています。Post-LN は "
            "h = LN1(x + MHA(x)) で、レイヤー正規化の前に入力を足し戻します",
        ),
        correct=right,
    )
    h = ln(x + mha(x, p["attn"], 2), p["ln1"])
    assert_not_mistake(
        out,
        ln(h + ffn(x, p["ffn"]), p["ln2"]),
        msg(
            en="the feed-forward network read the block's input x: it reads h, the output of "
            "the attention sublayer (out = LN2(h + FFN(h)))",
            ja="Feed-Forward ネットワークがブロックの入力 x を読んでいます。読むのは "
            "Attention サブレイヤーの出力 h です(out = LN2(h + FFN(h)))",
        ),
        correct=right,
    )
    assert_not_mistake(
        out,
        block(x, p, 2, pre_ln=True),
        msg(
            en="pre_ln=False (the default) is the paper's post-LN: normalise after adding "
            "the residual, h = LN1(x + MHA(x)), not before the sublayer",
            ja="pre_ln=False(既定値)は論文の Post-LN です。残差を足した後で正規化します: "
            "h = LN1(x + MHA(x))。サブレイヤーの前ではありません",
        ),
        correct=right,
    )


@pytest.mark.task("17.2")
@pytest.mark.checks("mistake")
def test_pre_ln_block_avoids_the_common_mistakes(rng):
    x, p = block_case(rng)
    out, _ = encoder.encoder_block(x, p, 2, pre_ln=True)
    right = block(x, p, 2, pre_ln=True)
    n1 = ln(x, p["ln1"])
    h = n1 + mha(n1, p["attn"], 2)
    assert_not_mistake(
        out,
        h + ffn(ln(h, p["ln2"]), p["ffn"]),
        msg(
            en="in pre-LN the residual carries the raw input: h = x + MHA(LN1(x)), not "
            "LN1(x) + MHA(LN1(x))",
            ja="Pre-LN の残差が運ぶのは正規化前の入力です: h = x + MHA(LN1(x))。"
            "LN1(x) + MHA(LN1(x)) ではありません",
        ),
        correct=right,
    )
    assert_not_mistake(
        out,
        block(x, p, 2, pre_ln=False),
        msg(
            en="pre_ln=True was ignored: pre-LN normalises what goes into each sublayer, "
            "h = x + MHA(LN1(x)), out = h + FFN(LN2(h))",
            ja="pre_ln=True が無視されています。Pre-LN は各サブレイヤーに入れるものを"
            "正規化します: h = x + MHA(LN1(x))、out = h + FFN(LN2(h))",
        ),
        correct=right,
    )


@pytest.mark.task("17.2")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_on_generated_data(rng, pre_ln):
    x, params = block_case(rng, B=3, T=5)
    for H, mask in ((2, None), (3, lengths_mask([5, 2, 4], 5)), (1, lengths_mask([1, 5, 3], 5))):
        out, _ = encoder.encoder_block(x, params, H, mask, pre_ln=pre_ln)
        assert_close(out, block(x, params, H, mask, pre_ln), f"encoder_block(H={H})")


@pytest.mark.task("17.2")
def test_encoder_block_defaults_are_no_mask_and_post_ln(rng):
    x, params = block_case(rng)
    out, _ = encoder.encoder_block(x, params, 2)
    explicit, _ = encoder.encoder_block(x, params, 2, None, False)
    assert_close(
        out, explicit, msg(en="encoder_block with its defaults", ja="既定値の encoder_block")
    )
    assert_close(out, block(x, params, 2), "encoder_block(x,params,2)")


@pytest.mark.task("17.2")
def test_switched_off_sublayers_show_where_the_layer_norms_sit(rng):
    """Sublayers that output 0: pre-LN passes x through untouched, post-LN normalises it
    twice, whatever the weights inside."""
    x, params = block_case(rng)
    off = switched_off(params)
    out, _ = encoder.encoder_block(x, off, 2, pre_ln=True)
    assert_close(
        out,
        x,
        msg(
            en="pre-LN with sublayers that output 0 must return x itself: out = h + FFN(LN2(h)) "
            "and h = x + MHA(LN1(x)), so nothing normalises the residual path",
            ja="出力が 0 のサブレイヤーでは Pre-LN は x そのものを返すはずです: "
            "out = h + FFN(LN2(h))、h = x + MHA(LN1(x)) で、残差の道は正規化されません",
        ),
    )
    out, _ = encoder.encoder_block(x, off, 2)
    expected = ln(ln(x, params["ln1"]), params["ln2"])
    assert_close(
        out,
        expected,
        msg(
            en="post-LN with sublayers that output 0 must return LN2(LN1(x)): each residual "
            "sum goes through its layer norm",
            ja="出力が 0 のサブレイヤーでは Post-LN は LN2(LN1(x)) を返すはずです: "
            "残差の和はそれぞれレイヤー正規化を通ります",
        ),
    )


@pytest.mark.task("17.2")
def test_encoder_block_hand_worked(rng):
    """The README's example: C = 2, gamma = 1, beta = 0, sublayers that output 0, the row
    [1, 3]. LN1 gives [-a, a] with a = 1 / sqrt(1 + eps); LN2 gives [-a, a] / sqrt(a^2 + eps)."""
    params = switched_off(block_params(rng, C=2, F=3))
    for name in ("ln1", "ln2"):
        params[name] = {"gamma": np.ones(2), "beta": np.zeros(2)}
    x = np.array([[[1.0, 3.0], [0.0, 2.0]]])  # (1, 2, 2): both rows have variance 1
    out, _ = encoder.encoder_block(x, params, 1, pre_ln=True)
    assert_close(
        out, x, msg(en="pre-LN block of the README's example", ja="README の例の Pre-LN ブロック")
    )
    a = 1 / math.sqrt(1 + EPS)
    expected = np.array([[[-1.0, 1.0], [-1.0, 1.0]]]) * a / math.sqrt(a * a + EPS)
    out, _ = encoder.encoder_block(x, params, 2)
    assert_close(
        out,
        expected,
        msg(en="post-LN block of the README's example", ja="README の例の Post-LN ブロック"),
    )


@pytest.mark.task("17.2")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_is_permutation_equivariant(rng, pre_ln):
    x, params = block_case(rng, B=2, T=6)
    order = rng.permutation(6)
    while np.array_equal(order, np.arange(6)):
        order = rng.permutation(6)
    out, _ = encoder.encoder_block(x, params, 2, pre_ln=pre_ln)
    shuffled, _ = encoder.encoder_block(x[:, order], params, 2, pre_ln=pre_ln)
    assert_close(
        shuffled,
        np.asarray(out)[:, order],
        msg(
            en=f"with no positions added, shuffling the positions ({order.tolist()}) must "
            "shuffle the output the same way: a block treats every position alike",
            ja=f"位置情報を足していないので、位置を並べ替える({order.tolist()})と出力も同じように"
            "並べ替わるはずです。ブロックはどの位置も同じように扱います",
        ),
    )


@pytest.mark.task("17.2")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_padded_positions_never_change_real_ones_in_a_block(rng, pre_ln):
    x, params = block_case(rng, B=2, T=5)
    lengths = [3, 1]
    mask = lengths_mask(lengths, 5)
    out, _ = encoder.encoder_block(x, params, 2, mask, pre_ln)
    noisy = x.copy()
    for b, length in enumerate(lengths):
        noisy[b, length:] += 10 * rng.standard_normal((5 - length, 6))
    moved, _ = encoder.encoder_block(noisy, params, 2, mask, pre_ln)
    for b, length in enumerate(lengths):
        change = float(np.abs(np.asarray(moved)[b, :length] - np.asarray(out)[b, :length]).max())
        assert change < 1e-9, msg(
            en=f"changing the padding of sequence {b} moved its real positions 0..{length - 1} "
            f"by up to {num(change)}: pass the mask to the attention so no query reads a padded key",
            ja=f"系列 {b} のパディングを変えたら本物の位置 0〜{length - 1} が最大 {num(change)} "
            "動きました。マスクを Attention に渡し、どのクエリもパディングのキーを読まないようにしましょう",
        )


# ------------------------------------------------------------------ 17.3 encoder


def encoder_case(rng, n_layers=2, B=3, T=5, C=6):
    return rng.standard_normal((B, T, C)), [block_params(rng, C) for _ in range(n_layers)]


@pytest.mark.task("17.3")
@pytest.mark.checks("inputs")
def test_encoder_leaves_its_inputs_alone(rng):
    x, layers = encoder_case(rng)
    assert_inputs_unchanged(encoder.encoder, x, layers, 2, np.array([5, 2, 4]))


@pytest.mark.task("17.3")
@pytest.mark.checks("types")
@pytest.mark.parametrize("n_layers", [0, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_encoder_returns_float64_of_the_shape_of_x(rng, n_layers, dtype):
    x, layers = encoder_case(rng, n_layers)
    out = encoder.encoder(x.astype(dtype), layers, 2)
    assert_array(out, (3, 5, 6), "out")


@pytest.mark.task("17.3")
@pytest.mark.checks("mistake")
def test_encoder_avoids_the_common_mistakes(rng):
    x, layers = encoder_case(rng, n_layers=3)
    lengths = np.array([5, 2, 3])
    mask = lengths_mask(lengths, 5)
    out = encoder.encoder(x, layers, 2, lengths)
    right = stack(x, layers, 2, mask)
    assert_not_mistake(
        out,
        block(x, layers[-1], 2, mask),
        msg(
            en="every block read the original x, so only the last one counts: each block "
            "reads the previous block's output (out = encoder_block(out, ...) in the loop)",
            ja="どのブロックも元の x を読んでいるので、最後のブロックしか効いていません。"
            "各ブロックは 1 つ前のブロックの出力を読みます(ループの中で out = encoder_block(out, ...))",
        ),
        correct=right,
    )
    assert_not_mistake(
        out,
        stack(x, layers, 2),
        msg(
            en="lengths was ignored: build padding_mask(lengths, T) and pass it to every block, "
            "so no position attends to padding",
            ja="lengths が無視されています。padding_mask(lengths, T) を作ってすべてのブロックに渡し、"
            "どの位置もパディングに注意を向けないようにしましょう",
        ),
        correct=right,
    )


@pytest.mark.task("17.3")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_on_generated_data(rng, pre_ln):
    x, layers = encoder_case(rng, n_layers=3)
    lengths = np.array([5, 1, 3])
    out = encoder.encoder(x, layers, 3, lengths, pre_ln)
    expected = stack(x, layers, 3, lengths_mask(lengths, 5), pre_ln)
    assert_close(
        out,
        expected,
        msg(
            en=f"encoder with 3 layers, 3 heads, lengths {lengths.tolist()}, pre_ln={pre_ln}",
            ja=f"3 層・3 ヘッド・lengths {lengths.tolist()}・pre_ln={pre_ln} の encoder",
        ),
    )


@pytest.mark.task("17.3")
def test_encoder_defaults_are_no_padding_and_post_ln(rng):
    x, layers = encoder_case(rng)
    out = encoder.encoder(x, layers, 2)
    assert_close(out, encoder.encoder(x, layers, 2, None, False), "encoder(x,layers,2)")
    assert_close(out, stack(x, layers, 2), "encoder(x,layers,2)")
    full = encoder.encoder(x, layers, 2, np.array([5, 5, 5]))
    assert_close(
        full,
        out,
        msg(
            en="lengths equal to T (no padding) must give the same output as lengths=None",
            ja="lengths がすべて T(パディングなし)なら、lengths=None と同じ出力になるはずです",
        ),
    )


@pytest.mark.task("17.3")
def test_encoder_with_no_layers_returns_x(rng):
    x, _ = encoder_case(rng)
    out = encoder.encoder(x.astype(np.float32), [], 2)
    assert_close(
        out,
        x.astype(np.float32).astype(float),
        msg(
            en="encoder with no layers must return x", ja="層がないとき encoder は x を返すはずです"
        ),
    )


@pytest.mark.task("17.3")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_the_encoder_without_positions_is_permutation_equivariant(rng, pre_ln):
    x, layers = encoder_case(rng, n_layers=2, B=2, T=6)
    order = np.roll(rng.permutation(6), 1)
    order = order if not np.array_equal(order, np.arange(6)) else order[::-1]
    out = np.asarray(encoder.encoder(x, layers, 2, pre_ln=pre_ln))
    shuffled = encoder.encoder(x[:, order], layers, 2, pre_ln=pre_ln)
    assert_close(
        shuffled,
        out[:, order],
        msg(
            en=f"the encoder knows no order: shuffling the input positions ({order.tolist()}) must "
            "shuffle the output the same way",
            ja=f"Encoder は順序を知りません。入力の位置を並べ替える({order.tolist()})と"
            "出力も同じように並べ替わるはずです",
        ),
    )


@pytest.mark.task("17.3")
def test_padding_never_reaches_real_positions_through_the_stack(rng):
    x, layers = encoder_case(rng, n_layers=3)
    lengths = np.array([4, 1, 2])
    out = np.asarray(encoder.encoder(x, layers, 2, lengths))
    noisy = x.copy()
    for b, length in enumerate(lengths):
        noisy[b, length:] = 5 * rng.standard_normal((5 - length, 6))
    moved = np.asarray(encoder.encoder(noisy, layers, 2, lengths))
    for b, length in enumerate(lengths):
        change = float(np.abs(moved[b, :length] - out[b, :length]).max())
        assert change < 1e-9, msg(
            en=f"changing the padding of sequence {b} moved its real positions by up to "
            f"{num(change)}: every block needs the mask built from lengths",
            ja=f"系列 {b} のパディングを変えたら本物の位置が最大 {num(change)} 動きました。"
            "lengths から作ったマスクがすべてのブロックに必要です",
        )


# ------------------------------------------------------------------ 17.4 encoder_block_backward


def backward_case(rng, pre_ln):
    x, params = block_case(rng, B=2, T=4, C=4, F=6)
    mask = lengths_mask([4, 3], 4)
    dout = rng.standard_normal((2, 4, 4))
    _, cache = encoder.encoder_block(x, params, 2, mask, pre_ln)
    return x, params, mask, dout, cache


def check_grads_structure(grads, params):
    assert isinstance(grads, dict) and set(grads) == set(SUBLAYERS), msg(
        en=f"grads should be a dict with the keys {list(SUBLAYERS)}, like params",
        ja=f"grads は params と同じくキー {list(SUBLAYERS)} を持つ dict のはずです",
    )
    for name in SUBLAYERS:
        assert isinstance(grads[name], dict) and set(grads[name]) == set(params[name]), msg(
            en=f"grads[{name!r}] should have the keys {sorted(params[name])}",
            ja=f"grads[{name!r}] のキーは {sorted(params[name])} のはずです",
        )
        for key, value in params[name].items():
            assert_array(grads[name][key], value.shape, f"grads[{name!r}][{key!r}]")


@pytest.mark.task("17.4")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_backward_leaves_its_inputs_alone(rng, pre_ln):
    _, _, _, dout, cache = backward_case(rng, pre_ln)
    assert_inputs_unchanged(encoder.encoder_block_backward, dout, cache)


@pytest.mark.task("17.4")
@pytest.mark.checks("types")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_backward_returns_dx_and_nested_grads(rng, pre_ln):
    _, params, _, dout, cache = backward_case(rng, pre_ln)
    result = encoder.encoder_block_backward(dout, cache)
    dx, grads = assert_tuple(result, 2, "encoder_block_backward", "(dx, grads)")
    assert_array(dx, (2, 4, 4), "dx")
    check_grads_structure(grads, params)


@pytest.mark.task("17.4")
@pytest.mark.checks("mistake")
def test_encoder_block_backward_avoids_the_common_mistakes(rng):
    x, params, mask, dout, cache = backward_case(rng, pre_ln=False)
    dx, grads = encoder.encoder_block_backward(dout, cache)
    check_grads_structure(grads, params)
    z1 = x + mha(x, params["attn"], 2, mask)  # (B, T, C): what LN1 normalises

    def loss_of_z1():
        h = ln(z1, params["ln1"])
        return float(np.sum(ln(h + ffn(h, params["ffn"]), params["ln2"]) * dout))

    def loss_of_x():
        return float(np.sum(block(x, params, 2, mask) * dout))

    dz1 = numerical_grad(loss_of_z1, z1)
    full = numerical_grad(loss_of_x, x)
    assert_not_mistake(
        dx,
        full - dz1,
        msg(
            en="dx lacks the residual's direct path: z = x + MHA(x) sends dz to x twice, "
            "straight through the addition and back through the attention, so dx = dz + "
            "(gradient through MHA)",
            ja="dx に残差の直通の道が抜けています。z = x + MHA(x) では dz が x に 2 通りで届きます"
            "(足し算をそのまま通る道と Attention を逆にたどる道)。dx = dz + (MHA 経由の勾配)",
        ),
        correct=full,
        **FD_CLOSE,
    )
    assert_not_mistake(
        grads["ffn"]["b2"],
        dout.sum(axis=(0, 1)),
        msg(
            en="the feed-forward gradients were taken from dout directly: in post-LN the block "
            "ends with LN2, so go back through layer_norm_backward first and hand its result "
            "to feed_forward_backward",
            ja="Feed-Forward の勾配を dout から直接求めています。Post-LN のブロックは LN2 で"
            "終わるので、先に layer_norm_backward を通し、その結果を feed_forward_backward に渡します",
        ),
    )


@pytest.mark.task("17.4")
@pytest.mark.parametrize("pre_ln", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_backward_matches_finite_differences(rng, pre_ln):
    x, params, mask, dout, cache = backward_case(rng, pre_ln)
    dx, grads = encoder.encoder_block_backward(dout, cache)
    check_grads_structure(grads, params)
    x, params = x.copy(), copy_params(params)

    def loss():
        return float(np.sum(block(x, params, 2, mask, pre_ln) * dout))

    assert_grad_close(dx, loss, x, "dx")
    for name in SUBLAYERS:
        for key in params[name]:
            if key == "bk":  # the softmax ignores it: its gradient is 0, nothing to compare
                continue
            assert_grad_close(
                grads[name][key], loss, params[name][key], f"grads[{name!r}][{key!r}]"
            )


@pytest.mark.task("17.4")
def test_encoder_block_backward_closed_forms(rng):
    """Values worked out from the formulas: the last layer's bias gradients are sums of what
    reaches them, and a pre-LN block whose sublayers output 0 passes dout straight to dx."""
    x, params, mask, dout, cache = backward_case(rng, pre_ln=True)
    _, grads = encoder.encoder_block_backward(dout, cache)
    check_grads_structure(grads, params)
    assert_close(
        grads["ffn"]["b2"],
        dout.sum(axis=(0, 1)),
        msg(
            en="pre-LN: the block ends with out = h + FFN(LN2(h)), so d/d b2 is dout summed over B and T",
            ja="Pre-LN: ブロックの最後は out = h + FFN(LN2(h)) なので、d/d b2 は dout の B と T についての和です",
        ),
    )
    _, cache = encoder.encoder_block(x, params, 2, mask)
    _, grads = encoder.encoder_block_backward(dout, cache)
    z2 = ln(x + mha(x, params["attn"], 2, mask), params["ln1"])
    z2 = z2 + ffn(z2, params["ffn"])
    xhat = (z2 - z2.mean(-1, keepdims=True)) / np.sqrt(z2.var(-1, keepdims=True) + EPS)
    assert_close(grads["ln2"]["beta"], dout.sum(axis=(0, 1)), "grads['ln2']['beta']")
    assert_close(grads["ln2"]["gamma"], (dout * xhat).sum(axis=(0, 1)), "grads['ln2']['gamma']")
    _, cache = encoder.encoder_block(x, switched_off(params), 2, mask, pre_ln=True)
    dx, _ = encoder.encoder_block_backward(dout, cache)
    assert_close(
        dx,
        dout,
        msg(
            en="pre-LN with sublayers that output 0 is the identity, so dx must equal dout: "
            "each residual passes the gradient straight through",
            ja="出力が 0 のサブレイヤーの Pre-LN は恒等写像なので、dx は dout に等しいはずです。"
            "残差は勾配をそのまま通します",
        ),
    )
