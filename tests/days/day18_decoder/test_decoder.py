"""day18 suite: the causal mask, cross-attention over the encoder's output, the post-LN
decoder block, and incremental decoding with a key/value cache.

Every value is checked against the formulas written out here with loops over sequences and
heads (independent of days 15–17), and against the properties the day proves: changing a later
target token never changes an earlier output (causality); changing a padded encoder position
never changes anything (cross-attention respects the padding); decoding one step at a time
with the cache equals recomputing every position at once, at every step. Shapes: B batch,
T target length, S source length, C width, H heads, D = C // H, F feed-forward width."""

from __future__ import annotations

import math

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    assert_tuple,
    implementation,
    msg,
)

decoder = implementation("day18_decoder.decoder")

EPS = 1e-5  # day 15's layer_norm default
H = 2


# ---------------------------------------------------------------- the formulas, written out


def ln(x, p) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    var = (centred**2).mean(axis=-1, keepdims=True)
    return p["gamma"] * centred / np.sqrt(var + EPS) + p["beta"]


def ffn(x, p) -> np.ndarray:
    return np.maximum(x @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]


def attend(x_q, x_kv, p, allowed) -> np.ndarray:
    """Multi-head attention, sequence by sequence and head by head: queries from x_q (B, T, C),
    keys and values from x_kv (B, S, C); allowed (B, T, S) bool says which keys each query sees
    (a query that sees none gets 0 before the output projection)."""
    x_q, x_kv = np.asarray(x_q, dtype=float), np.asarray(x_kv, dtype=float)
    B, T, C = x_q.shape
    D = C // H
    q = x_q @ p["Wq"] + p["bq"]
    k, v = x_kv @ p["Wk"] + p["bk"], x_kv @ p["Wv"] + p["bv"]
    concat = np.zeros((B, T, C))
    for b in range(B):
        for h in range(H):
            cols = slice(h * D, (h + 1) * D)
            for t in range(T):
                keys = np.flatnonzero(allowed[b, t])
                if keys.size == 0:
                    continue
                scores = k[b][keys][:, cols] @ q[b, t, cols] / math.sqrt(D)
                w = np.exp(scores - scores.max())
                concat[b, t, cols] = (w / w.sum()) @ v[b][keys][:, cols]
    return concat @ p["Wo"] + p["bo"]


def allowed_causal(B, T, lengths=None) -> np.ndarray:
    """(B, T, T): key s <= query t, and s real."""
    lengths = [T] * B if lengths is None else lengths
    return np.array(
        [[[s <= t and s < lengths[b] for s in range(T)] for t in range(T)] for b in range(B)]
    )


def allowed_memory(B, T, S, memory_lengths=None) -> np.ndarray:
    """(B, T, S): key s real."""
    memory_lengths = [S] * B if memory_lengths is None else memory_lengths
    return np.array(
        [[[s < memory_lengths[b] for s in range(S)] for _ in range(T)] for b in range(B)]
    )


def block(x, memory, p, lengths=None, memory_lengths=None) -> np.ndarray:
    B, T, _ = x.shape
    S = memory.shape[1]
    h1 = ln(x + attend(x, x, p["self_attn"], allowed_causal(B, T, lengths)), p["ln1"])
    c = attend(h1, memory, p["cross_attn"], allowed_memory(B, T, S, memory_lengths))
    h2 = ln(h1 + c, p["ln2"])
    return ln(h2 + ffn(h2, p["ffn"]), p["ln3"])


def stack(x, memory, layers, memory_lengths=None) -> np.ndarray:
    for p in layers:
        x = block(x, memory, p, None, memory_lengths)
    return x


def attn_params(rng, C) -> dict[str, np.ndarray]:
    return {"W" + n: rng.standard_normal((C, C)) / math.sqrt(C) for n in "qkvo"} | {
        "b" + n: 0.3 * rng.standard_normal(C) for n in "qkvo"
    }


def block_params(rng, C=6, F=8) -> dict[str, dict[str, np.ndarray]]:
    """Weights of spread ~1/sqrt(width), so every sublayer matters; gamma and beta near 1
    and 0 but never exactly, so dropping one shows."""

    def norm():
        return {
            "gamma": 1.0 + 0.3 * rng.standard_normal(C),
            "beta": 0.3 * rng.standard_normal(C),
        }

    return {
        "self_attn": attn_params(rng, C),
        "ln1": norm(),
        "cross_attn": attn_params(rng, C),
        "ln2": norm(),
        "ffn": {
            "W1": rng.standard_normal((C, F)) / math.sqrt(C),
            "b1": 0.3 * rng.standard_normal(F),
            "W2": rng.standard_normal((F, C)) / math.sqrt(F),
            "b2": 0.3 * rng.standard_normal(C),
        },
        "ln3": norm(),
    }


def head_keys_values(x, p) -> tuple[np.ndarray, np.ndarray]:
    """The self-attention's keys and values of x (B, T, C), cut into heads: (B, H, T, D)."""
    B, T, C = x.shape
    k = (x @ p["Wk"] + p["bk"]).reshape(B, T, H, C // H).transpose(0, 2, 1, 3)
    v = (x @ p["Wv"] + p["bv"]).reshape(B, T, H, C // H).transpose(0, 2, 1, 3)
    return k, v


# ------------------------------------------------------------------ 18.1 causal_mask


@pytest.mark.task("18.1")
@pytest.mark.checks("inputs")
def test_causal_mask_leaves_its_inputs_alone():
    assert_inputs_unchanged(decoder.causal_mask, 3, np.array([2, 0, 3]))


@pytest.mark.task("18.1")
@pytest.mark.checks("types")
def test_causal_mask_is_bool_of_the_documented_shape():
    assert_array(decoder.causal_mask(4), (1, 1, 4, 4), "mask", dtype=bool)
    assert_array(decoder.causal_mask(4, np.array([1, 4, 2])), (3, 1, 4, 4), "mask", dtype=bool)


@pytest.mark.task("18.1")
@pytest.mark.checks("mistake")
def test_causal_mask_avoids_the_common_mistakes():
    mask = np.asarray(decoder.causal_mask(4))
    past = np.tri(4, dtype=bool)[None, None]
    assert_not_mistake(
        mask,
        past.swapaxes(-1, -2),
        msg(
            en="the mask lets each position see the future and hides the past: row t (the "
            "query) must allow the keys s <= t, the lower triangle",
            ja="マスクが未来を見せて過去を隠しています。行 t(クエリ)が許すのはキー s <= t、"
            "つまり下三角です",
        ),
    )
    assert_not_mistake(
        mask,
        np.tri(4, k=-1, dtype=bool)[None, None],
        msg(
            en="the mask hides each position from itself: query t may attend to key t too "
            "(s <= t, the diagonal included); the first position would see nothing at all",
            ja="マスクが各位置から自分自身を隠しています。クエリ t はキー t も見てよい(s <= t、"
            "対角成分を含む)ので、このままでは最初の位置が何も見られません",
        ),
    )


@pytest.mark.task("18.1")
def test_causal_mask_hand_worked():
    expected = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=bool)
    assert_close(decoder.causal_mask(3), expected[None, None], "causal_mask(3)")
    padded = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 0]], dtype=bool)
    assert_close(
        decoder.causal_mask(3, np.array([3, 2])),
        np.stack([expected, padded])[:, None],
        "causal_mask(3,[3,2])",
    )


@pytest.mark.task("18.1")
def test_causal_mask_on_generated_lengths(rng):
    T = 6
    lengths = rng.integers(0, T + 1, size=7)
    lengths[:2] = 0, T  # all padding and no padding, whatever the seed
    mask = decoder.causal_mask(T, lengths)
    assert_array(mask, (7, 1, T, T), "mask", dtype=bool)
    assert_close(mask[:, 0], allowed_causal(7, T, lengths), "causal_mask(6,lengths)")


@pytest.mark.task("18.1")
def test_causal_mask_without_lengths_is_the_lower_triangle(rng):
    T = int(rng.integers(1, 9))
    assert_close(decoder.causal_mask(T), allowed_causal(1, T)[:, None], f"causal_mask({T})")
    full = np.full(3, T)
    assert_close(
        decoder.causal_mask(T, full),
        np.broadcast_to(allowed_causal(1, T), (3, T, T))[:, None],
        "mask",
    )


# ------------------------------------------------------------------ 18.2 cross_attention


def cross_case(rng, B=3, T=5, S=5, C=6):
    """T = S by default, so that a mistake mixing up x and memory still runs."""
    x = rng.standard_normal((B, T, C))
    memory = rng.standard_normal((B, S, C))
    lengths = np.array([S, 2, 1])[:B]
    return x, memory, attn_params(rng, C), lengths


@pytest.mark.task("18.2")
@pytest.mark.checks("inputs")
def test_cross_attention_leaves_its_inputs_alone(rng):
    x, memory, p, lengths = cross_case(rng)
    assert_inputs_unchanged(decoder.cross_attention, x, memory, p, H, lengths)


@pytest.mark.task("18.2")
@pytest.mark.checks("types")
def test_cross_attention_returns_float64_b_t_c(rng):
    x, memory, p, lengths = cross_case(rng)
    out = decoder.cross_attention(x.astype(np.float32), memory.astype(np.float32), p, H, lengths)
    assert_array(out, (3, 5, 6), "out")


@pytest.mark.task("18.2")
@pytest.mark.checks("mistake")
def test_cross_attention_avoids_the_common_mistakes(rng):
    x, memory, p, lengths = cross_case(rng)
    out = decoder.cross_attention(x, memory, p, H, lengths)
    correct = attend(x, memory, p, allowed_memory(3, 5, 5, lengths))
    assert_not_mistake(
        out,
        attend(x, x, p, allowed_memory(3, 5, 5, lengths)),
        msg(
            en="the keys and values come from the decoder's own states: in cross-attention "
            "only the queries come from x; keys and values come from the encoder's output "
            "(memory)",
            ja="キーとバリューがデコーダ自身の状態から作られています。Cross-Attention で x から"
            "作るのはクエリだけで、キーとバリューはエンコーダの出力(memory)から作ります",
        ),
        correct=correct,
    )
    assert_not_mistake(
        out,
        attend(x, memory, p, allowed_memory(3, 5, 5)),
        msg(
            en="the padded encoder positions get attention weight: mask the keys "
            "s >= memory_lengths[b] (day 17's padding_mask) so padding never reaches the "
            "decoder",
            ja="パディングされたエンコーダの位置に注意の重みが付いています。"
            "s >= memory_lengths[b] のキーをマスク(17 日目の padding_mask)して、"
            "パディングがデコーダに届かないようにしましょう",
        ),
        correct=correct,
    )


@pytest.mark.task("18.2")
def test_cross_attention_on_generated_data(rng):
    x, memory, p, lengths = cross_case(rng, T=4)  # S = 5 keys for 4 queries
    out = decoder.cross_attention(x, memory, p, H, lengths)
    assert_close(out, attend(x, memory, p, allowed_memory(3, 4, 5, lengths)), "cross_attention")


@pytest.mark.task("18.2")
def test_cross_attention_with_one_source_token_copies_its_value(rng):
    """One real key: every weight is 1, so every query gets that key's value, projected."""
    x, memory, p, _ = cross_case(rng)
    out = decoder.cross_attention(x, memory, p, H, np.array([1, 1, 1]))
    value = (memory[:, :1] @ p["Wv"] + p["bv"]) @ p["Wo"] + p["bo"]  # (B, 1, C)
    assert_close(out, np.broadcast_to(value, out.shape), "cross_attention(memory_lengths=[1,1,1])")


@pytest.mark.task("18.2")
def test_cross_attention_ignores_padded_encoder_positions(rng):
    x, memory, p, lengths = cross_case(rng)
    before = decoder.cross_attention(x, memory, p, H, lengths)
    changed = memory.copy()
    for b, length in enumerate(lengths):
        changed[b, length:] = 100.0 * rng.standard_normal(changed[b, length:].shape)
    after = decoder.cross_attention(x, changed, p, H, lengths)
    assert np.allclose(before, after), msg(
        en="changing the padded encoder positions changed the output: keys s >= "
        "memory_lengths[b] must get weight exactly 0",
        ja="パディングされたエンコーダの位置を変えたら出力が変わりました。s >= memory_lengths[b] "
        "のキーの重みはちょうど 0 のはずです",
    )


@pytest.mark.task("18.2")
def test_cross_attention_defaults_to_no_padding(rng):
    x, memory, p, _ = cross_case(rng, T=4)
    out = decoder.cross_attention(x, memory, p, H)
    assert_close(
        out, decoder.cross_attention(x, memory, p, H, np.full(3, 5)), "memory_lengths=None"
    )
    assert_close(out, attend(x, memory, p, allowed_memory(3, 4, 5)), "cross_attention")


# ------------------------------------------------------------------ 18.3 decoder_block


def block_case(rng, B=3, T=5, S=4, C=6):
    x = rng.standard_normal((B, T, C))
    memory = rng.standard_normal((B, S, C))
    return x, memory, block_params(rng, C)


@pytest.mark.task("18.3")
@pytest.mark.checks("inputs")
def test_decoder_block_leaves_its_inputs_alone(rng):
    x, memory, p = block_case(rng)
    assert_inputs_unchanged(
        decoder.decoder_block, x, memory, p, H, np.array([5, 3, 1]), np.array([4, 2, 1])
    )


@pytest.mark.task("18.3")
@pytest.mark.checks("types")
def test_decoder_block_returns_float64_b_t_c(rng):
    x, memory, p = block_case(rng)
    assert_array(decoder.decoder_block(x.astype(np.float32), memory, p, H), (3, 5, 6), "out")


@pytest.mark.task("18.3")
@pytest.mark.checks("mistake")
def test_decoder_block_avoids_the_common_mistakes(rng):
    x, memory, p = block_case(rng)
    out = decoder.decoder_block(x, memory, p, H)
    correct = block(x, memory, p)
    full = np.ones((3, 5, 5), dtype=bool)
    memory_all = allowed_memory(3, 5, 4)
    h1 = ln(x + attend(x, x, p["self_attn"], full), p["ln1"])
    h2 = ln(h1 + attend(h1, memory, p["cross_attn"], memory_all), p["ln2"])
    assert_not_mistake(
        out,
        ln(h2 + ffn(h2, p["ffn"]), p["ln3"]),
        msg(
            en="the self-attention has no causal mask, so each position reads the later "
            "target tokens (the answer it must predict): pass causal_mask(T, lengths)",
            ja="Self-Attention に因果マスクがないので、各位置が後ろの正解トークン(予測すべき答え)"
            "を読めてしまいます。causal_mask(T, lengths) を渡しましょう",
        ),
        correct=correct,
    )
    h1 = ln(x + attend(x, x, p["self_attn"], allowed_causal(3, 5)), p["ln1"])
    for mistaken, en, ja in (
        (
            ln(h1 + attend(x, memory, p["cross_attn"], memory_all), p["ln2"]),
            "the cross-attention's queries come from the block's input x: they must come from "
            "h1, the output of the first add & norm",
            "Cross-Attention のクエリがブロックの入力 x から作られています。クエリは最初の "
            "加算&層正規化の出力 h1 から作ります",
        ),
        (
            ln(attend(h1, memory, p["cross_attn"], memory_all), p["ln2"]),
            "the cross-attention has no residual connection: normalise h1 + CrossMHA(h1, memory), "
            "not the attention alone",
            "Cross-Attention に残差結合がありません。正規化するのは h1 + CrossMHA(h1, memory) "
            "で、Attention の出力だけではありません",
        ),
    ):
        assert_not_mistake(
            out,
            ln(mistaken + ffn(mistaken, p["ffn"]), p["ln3"]),
            msg(en=en, ja=ja),
            correct=correct,
        )


@pytest.mark.task("18.3")
def test_decoder_block_on_generated_data(rng):
    x, memory, p = block_case(rng)
    lengths, memory_lengths = np.array([5, 3, 1]), np.array([4, 2, 1])
    out = decoder.decoder_block(x, memory, p, H, lengths, memory_lengths)
    assert_close(out, block(x, memory, p, lengths, memory_lengths), "decoder_block")


@pytest.mark.task("18.3")
def test_decoder_block_defaults_to_no_padding(rng):
    x, memory, p = block_case(rng)
    out = decoder.decoder_block(x, memory, p, H)
    assert_close(out, block(x, memory, p), "decoder_block")
    same = decoder.decoder_block(x, memory, p, H, np.full(3, 5), np.full(3, 4))
    assert_close(out, same, "decoder_block(lengths=None,memory_lengths=None)")


@pytest.mark.task("18.3")
def test_decoder_block_is_causal(rng):
    """Changing the target from position t on never changes the outputs before t."""
    x, memory, p = block_case(rng)
    before = decoder.decoder_block(x, memory, p, H)
    for t in range(1, 5):
        changed = x.copy()
        changed[:, t:] = 10.0 * rng.standard_normal(changed[:, t:].shape)
        after = decoder.decoder_block(changed, memory, p, H)
        assert np.allclose(before[:, :t], after[:, :t]), msg(
            en=f"changing the target tokens from position {t} on changed an earlier output: "
            "position t may only read positions 0..t (the causal mask)",
            ja=f"位置 {t} 以降のターゲットを変えたら、それより前の出力が変わりました。"
            "位置 t が読めるのは位置 0〜t だけです(因果マスク)",
        )
        assert not np.allclose(before[:, t:], after[:, t:]), msg(
            en=f"changing the target tokens from position {t} on changed nothing from there: "
            "the block must read its own input",
            ja=f"位置 {t} 以降のターゲットを変えても、そこから先の出力が変わりません。"
            "ブロックは自分の入力を読むはずです",
        )


@pytest.mark.task("18.3")
def test_decoder_block_ignores_padded_encoder_positions(rng):
    x, memory, p = block_case(rng)
    memory_lengths = np.array([4, 2, 1])
    before = decoder.decoder_block(x, memory, p, H, None, memory_lengths)
    changed = memory.copy()
    for b, length in enumerate(memory_lengths):
        changed[b, length:] = 100.0 * rng.standard_normal(changed[b, length:].shape)
    after = decoder.decoder_block(x, changed, p, H, None, memory_lengths)
    assert np.allclose(before, after), msg(
        en="changing the padded encoder positions changed the block's output: pass "
        "memory_lengths to the cross-attention",
        ja="パディングされたエンコーダの位置を変えたらブロックの出力が変わりました。"
        "memory_lengths を Cross-Attention に渡しましょう",
    )


# ------------------------------------------------------------------ 18.4 decoder_step


def step_case(rng, B=2, T=5, S=4, C=6, L=2):
    x = rng.standard_normal((B, T, C))
    memory = rng.standard_normal((B, S, C))
    return x, memory, [block_params(rng, C) for _ in range(L)], np.array([S, 2])[:B]


def decode_all(x, memory, layers, memory_lengths):
    """Step by step with the implementation's cache: the outputs (B, T, C) and every cache."""
    outs, caches, cache = [], [], None
    for t in range(x.shape[1]):
        out_t, cache = assert_tuple(
            decoder.decoder_step(x[:, t], memory, layers, H, cache, memory_lengths),
            2,
            "decoder_step",
            "(out_t, new_cache)",
        )
        outs.append(np.asarray(out_t))
        caches.append(cache)
    return np.stack(outs, axis=1), caches


@pytest.mark.task("18.4")
@pytest.mark.checks("inputs")
def test_decoder_step_leaves_its_inputs_alone(rng):
    x, memory, layers, memory_lengths = step_case(rng)
    _, cache = decoder.decoder_step(x[:, 0], memory, layers, H, None, memory_lengths)
    cache = [tuple(np.array(a) for a in kv) for kv in cache]
    assert_inputs_unchanged(decoder.decoder_step, x[:, 1], memory, layers, H, cache, memory_lengths)


@pytest.mark.task("18.4")
@pytest.mark.checks("types")
def test_decoder_step_returns_out_and_a_growing_cache(rng):
    x, memory, layers, memory_lengths = step_case(rng)
    cache = None
    for t in range(3):
        out_t, cache = assert_tuple(
            decoder.decoder_step(
                x[:, t].astype(np.float32), memory, layers, H, cache, memory_lengths
            ),
            2,
            "decoder_step",
            "(out_t, new_cache)",
        )
        assert_array(out_t, (2, 6), "out_t")
        assert isinstance(cache, list) and len(cache) == 2, msg(
            en="new_cache must be a list with one (K, V) pair per layer",
            ja="new_cache は層ごとに 1 組の (K, V) を持つリストのはずです",
        )
        for k, v in cache:
            assert_array(k, (2, H, t + 1, 3), "K")
            assert_array(v, (2, H, t + 1, 3), "V")


@pytest.mark.task("18.4")
@pytest.mark.checks("mistake")
def test_decoder_step_avoids_the_common_mistakes(rng):
    x, memory, layers, memory_lengths = step_case(rng, L=1)
    outs, caches = decode_all(x, memory, layers, memory_lengths)
    p = layers[0]
    alone = np.broadcast_to(np.eye(5, dtype=bool), (2, 5, 5))  # each position sees only itself
    h1 = ln(x + attend(x, x, p["self_attn"], alone), p["ln1"])
    h2 = ln(
        h1 + attend(h1, memory, p["cross_attn"], allowed_memory(2, 5, 4, memory_lengths)), p["ln2"]
    )
    assert_not_mistake(
        outs,
        ln(h2 + ffn(h2, p["ffn"]), p["ln3"]),
        msg(
            en="each new position attends only to itself: concatenate the cached keys and "
            "values of positions 0..t-1 with the new ones before attending",
            ja="新しい位置が自分自身にしか注意を向けていません。注意を計算する前に、"
            "キャッシュにある位置 0〜t-1 のキーとバリューに新しいものを連結しましょう",
        ),
    )
    k, v = head_keys_values(x, p["self_attn"])
    assert_not_mistake(
        caches[-1][0][0],
        k[:, :, ::-1],
        msg(
            en="the cache holds the positions in reverse order: append the new key and value "
            "at the end (np.concatenate([past, new], axis=2)), so that K[:, :, s] is position s",
            ja="キャッシュの位置の順番が逆になっています。新しいキーとバリューは末尾に追加して"
            "(np.concatenate([past, new], axis=2))、K[:, :, s] が位置 s になるようにしましょう",
        ),
    )


@pytest.mark.task("18.4")
def test_decoder_step_equals_full_recomputation_at_every_step(rng):
    x, memory, layers, memory_lengths = step_case(rng)
    outs, _ = decode_all(x, memory, layers, memory_lengths)
    for t in range(x.shape[1]):
        full = stack(x[:, : t + 1], memory, layers, memory_lengths)  # (B, t + 1, C)
        assert_close(outs[:, t], full[:, t], f"out_t[step={t}]")


@pytest.mark.task("18.4")
def test_decoder_step_caches_each_layers_keys_and_values(rng):
    x, memory, layers, memory_lengths = step_case(rng)
    _, caches = decode_all(x, memory, layers, memory_lengths)
    h = x
    for i, p in enumerate(layers):
        k, v = head_keys_values(h, p["self_attn"])  # (B, H, T, D) of this layer's input
        assert_close(caches[-1][i][0], k, f"K[layer={i}]")
        assert_close(caches[-1][i][1], v, f"V[layer={i}]")
        h = block(h, memory, p, None, memory_lengths)


@pytest.mark.task("18.4")
def test_decoder_step_defaults(rng):
    x, memory, layers, _ = step_case(rng)
    out, cache = decoder.decoder_step(x[:, 0], memory, layers, H)
    assert_close(out, stack(x[:, :1], memory, layers)[:, 0], "decoder_step(x[:,0])")
    explicit, _ = decoder.decoder_step(x[:, 0], memory, layers, H, None, np.full(2, 4))
    assert_close(out, explicit, "decoder_step(kv_cache=None,memory_lengths=None)")
    empty, cache = decoder.decoder_step(x[:, 0], memory, [], H)
    assert_array(empty, (2, 6), "out_t")
    assert_close(empty, x[:, 0], "decoder_step(layers=[])")
    assert cache == [], msg(
        en="with no layers the cache is an empty list", ja="層がなければキャッシュは空のリストです"
    )


@pytest.mark.task("18.2")
def test_cross_attention_readme_example():
    eye, zero = np.eye(2), np.zeros(2)
    p = {"Wq": eye, "Wk": eye, "Wv": eye, "Wo": eye, "bq": zero, "bk": zero, "bv": zero, "bo": zero}
    x = np.array([[[0.5, -1.0], [2.0, 0.0], [0.0, 3.0]]])  # (1, 3, 2)
    memory = np.array([[[1.0, 2.0], [5.0, 5.0]]])  # (1, 2, 2), the second position padding
    out = decoder.cross_attention(x, memory, p, 1, np.array([1]))
    assert_close(out, [[[1.0, 2.0]] * 3], "cross_attention(README_example)")


@pytest.mark.task("18.3")
def test_decoder_block_readme_example():
    """Sublayers that output 0, gamma = 1, beta = 0: the block is LN(LN(LN(x)))."""
    C = 2
    p = block_params(np.random.default_rng(0), C=C)
    for name in ("self_attn", "cross_attn"):
        p[name]["Wo"], p[name]["bo"] = np.zeros((C, C)), np.zeros(C)
    p["ffn"]["W2"], p["ffn"]["b2"] = np.zeros((8, C)), np.zeros(C)
    for name in ("ln1", "ln2", "ln3"):
        p[name] = {"gamma": np.ones(C), "beta": np.zeros(C)}
    x = np.array([[[1.0, 3.0], [4.0, 0.0]]])  # (1, 2, 2)
    out = decoder.decoder_block(x, np.ones((1, 1, C)), p, 1)
    assert_close(
        out, [[[-1.0, 1.0], [1.0, -1.0]]], "decoder_block(README_example)", rtol=1e-4, atol=1e-4
    )


# ------------------------------------------------------------------ 18.5 translation_loss


def embed(ids, W) -> np.ndarray:
    """W[ids] * sqrt(C), plus the sinusoids PE[pos, 2i] = sin, PE[pos, 2i + 1] = cos."""
    B, T = ids.shape
    C = W.shape[1]
    pe = np.zeros((T, C))
    for pos in range(T):
        for col in range(C):
            angle = pos / 10000.0 ** ((col - col % 2) / C)
            pe[pos, col] = math.sin(angle) if col % 2 == 0 else math.cos(angle)
    return W[ids] * math.sqrt(C) + pe


def encode(x, layers, lengths) -> np.ndarray:
    B, S, _ = x.shape
    for p in layers:
        h = ln(x + attend(x, x, p["attn"], allowed_memory(B, S, S, lengths)), p["ln1"])
        x = ln(h + ffn(h, p["ffn"]), p["ln2"])
    return x


def losses(src_ids, tgt_ids, params, src_lengths, targets=None) -> np.ndarray:
    """(B, T) cross-entropy of every position, predicting `targets` (the next tokens)."""
    memory = encode(embed(src_ids, params["src_emb"]), params["encoder"], src_lengths)
    h = embed(tgt_ids[:, :-1], params["tgt_emb"])
    for p in params["decoder"]:
        h = block(h, memory, p, None, src_lengths)
    logits = h @ params["W_out"] + params["b_out"]
    targets = tgt_ids[:, 1:] if targets is None else targets
    nll = np.zeros(targets.shape)
    for b, t in np.ndindex(*targets.shape):
        row = logits[b, t]
        top = row.max()
        nll[b, t] = top + math.log(np.exp(row - top).sum()) - row[targets[b, t]]
    return nll


def loss_case(rng, B=3, S=4, T=5, C=6, V_src=7, V=9):
    enc = block_params(rng, C)
    params = {
        "src_emb": rng.standard_normal((V_src, C)) / math.sqrt(C),
        "tgt_emb": rng.standard_normal((V, C)) / math.sqrt(C),
        "encoder": [
            {"attn": enc["self_attn"], "ln1": enc["ln1"], "ffn": enc["ffn"], "ln2": enc["ln2"]}
        ],
        "decoder": [block_params(rng, C)],
        "W_out": rng.standard_normal((C, V)),
        "b_out": 0.3 * rng.standard_normal(V),
    }
    src_ids = rng.integers(0, V_src, size=(B, S))
    tgt_ids = rng.integers(0, V, size=(B, T + 1))
    return src_ids, tgt_ids, params, np.array([S, 2, 1])[:B], np.array([T + 1, 3, 2])[:B]


def real_mean(nll, tgt_lengths) -> float:
    real = [nll[b, t] for b, t in np.ndindex(*nll.shape) if t + 1 < tgt_lengths[b]]
    return sum(real) / len(real)


@pytest.mark.task("18.5")
@pytest.mark.checks("inputs")
def test_translation_loss_leaves_its_inputs_alone(rng):
    src_ids, tgt_ids, params, src_lengths, tgt_lengths = loss_case(rng)
    assert_inputs_unchanged(
        decoder.translation_loss, src_ids, tgt_ids, params, H, src_lengths, tgt_lengths
    )


@pytest.mark.task("18.5")
@pytest.mark.checks("types")
def test_translation_loss_is_a_float(rng):
    src_ids, tgt_ids, params, src_lengths, tgt_lengths = loss_case(rng)
    assert_scalar(
        decoder.translation_loss(src_ids, tgt_ids, params, H, src_lengths, tgt_lengths), "loss"
    )


@pytest.mark.task("18.5")
@pytest.mark.checks("mistake")
def test_translation_loss_avoids_the_common_mistakes(rng):
    src_ids, tgt_ids, params, src_lengths, tgt_lengths = loss_case(rng)
    loss = decoder.translation_loss(src_ids, tgt_ids, params, H, src_lengths, tgt_lengths)
    nll = losses(src_ids, tgt_ids, params, src_lengths)
    correct = real_mean(nll, tgt_lengths)
    assert_not_mistake(
        loss,
        real_mean(losses(src_ids, tgt_ids, params, src_lengths, tgt_ids[:, :-1]), tgt_lengths),
        msg(
            en="each position is scored on the token it reads, not the next one: the targets "
            "are tgt_ids[:, 1:], one step ahead of the decoder's input tgt_ids[:, :-1]",
            ja="各位置が、次のトークンではなく自分が読んだトークンで採点されています。"
            "正解はデコーダの入力 tgt_ids[:, :-1] より 1 つ先の tgt_ids[:, 1:] です",
        ),
        correct=correct,
    )
    assert_not_mistake(
        loss,
        nll.mean(),
        msg(
            en="the loss averages over the padding too: only the positions whose next token "
            "is real (t + 1 < tgt_lengths[b]) count, in the sum and in the count",
            ja="損失がパディングも含めて平均されています。数えるのは次のトークンが本物の位置 "
            "(t + 1 < tgt_lengths[b])だけで、和にも個数にも入れません",
        ),
        correct=correct,
    )


@pytest.mark.task("18.5")
def test_translation_loss_on_generated_data(rng):
    src_ids, tgt_ids, params, src_lengths, tgt_lengths = loss_case(rng)
    loss = decoder.translation_loss(src_ids, tgt_ids, params, H, src_lengths, tgt_lengths)
    expected = real_mean(losses(src_ids, tgt_ids, params, src_lengths), tgt_lengths)
    assert_close(loss, expected, "loss")


@pytest.mark.task("18.5")
def test_translation_loss_of_a_uniform_guess_is_log_v(rng):
    """W_out = 0 and b_out = 0: every token gets probability 1 / V, so the loss is log V."""
    src_ids, tgt_ids, params, src_lengths, tgt_lengths = loss_case(rng)
    params["W_out"], params["b_out"] = np.zeros((6, 9)), np.zeros(9)
    loss = decoder.translation_loss(src_ids, tgt_ids, params, H, src_lengths, tgt_lengths)
    assert_close(loss, math.log(9), "loss")


@pytest.mark.task("18.5")
def test_translation_loss_ignores_the_padding(rng):
    src_ids, tgt_ids, params, src_lengths, tgt_lengths = loss_case(rng)
    before = decoder.translation_loss(src_ids, tgt_ids, params, H, src_lengths, tgt_lengths)
    src2, tgt2 = src_ids.copy(), tgt_ids.copy()
    for b in range(3):
        src2[b, src_lengths[b] :] = rng.integers(0, 7, size=4 - src_lengths[b])
        tgt2[b, tgt_lengths[b] :] = rng.integers(0, 9, size=6 - tgt_lengths[b])
    after = decoder.translation_loss(src2, tgt2, params, H, src_lengths, tgt_lengths)
    assert math.isclose(before, after, rel_tol=1e-9), msg(
        en="changing padded source or target tokens changed the loss: the encoder, the "
        "cross-attention and the average must all skip the padding",
        ja="パディングされたソースやターゲットのトークンを変えたら損失が変わりました。"
        "エンコーダ、Cross-Attention、平均のどれもパディングを飛ばすはずです",
    )


@pytest.mark.task("18.5")
def test_translation_loss_defaults_to_no_padding(rng):
    src_ids, tgt_ids, params, _, _ = loss_case(rng)
    loss = decoder.translation_loss(src_ids, tgt_ids, params, H)
    assert_close(
        loss,
        decoder.translation_loss(src_ids, tgt_ids, params, H, np.full(3, 4), np.full(3, 6)),
        "loss",
    )
    assert_close(loss, losses(src_ids, tgt_ids, params, None).mean(), "loss")
    nothing = decoder.translation_loss(src_ids, tgt_ids, params, H, None, np.ones(3, dtype=int))
    assert_close(nothing, 0.0, "translation_loss(tgt_lengths=[1,1,1])")


@pytest.mark.task("18.5")
def test_translation_loss_with_huge_logits_and_a_single_prediction(rng):
    src_ids, tgt_ids, params, src_lengths, _ = loss_case(rng)
    params["W_out"] = 1000.0 * params["W_out"]  # logits of order 1000: exp overflows unless shifted
    one = np.array([2, 1, 1])  # exactly one real prediction: sequence 0, position 0
    loss = decoder.translation_loss(src_ids, tgt_ids, params, H, src_lengths, one)
    assert_close(loss, losses(src_ids, tgt_ids, params, src_lengths)[0, 0], "loss", rtol=1e-9)
