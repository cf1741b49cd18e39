"""day19 suite: BERT's input embeddings, [CLS]/[SEP] packing, masked-LM corruption, the MLM
loss, the [CLS] classification head and next-sentence pairs.

Values are checked against the formulas written out here with plain loops (a lookup per
position, a list built token by token, a cross-entropy per chosen position), against hand-worked
cases, against properties (changing the logits of positions that are not chosen changes
nothing; the head reads only position 0) and, for the random corruption, against the rates
80/10/10 of the paper, over many seeds, with bounds ten standard deviations wide so the
suite never flakes. The next-sentence pairs are located sentence by sentence in their documents
and their rates (IsNext half the time, the other document uniform, then its sentence) judged by
Hoeffding's bound. Shapes: B batch, T length, C width, V vocabulary (or classes)."""

from __future__ import annotations

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    assert_tuple,
    implementation,
    msg,
    num,
)

bert = implementation("day19_bert.bert")

PAD, CLS, SEP, MASK = 0, 1, 2, 3
SPECIALS = [PAD, CLS, SEP, MASK]


# ---------------------------------------------------------------- 19.1 bert_embeddings


def embedding_case(rng, B=3, T=5, C=4, V=8, T_max=16, dtype=float):
    token_ids = rng.integers(0, V, size=(B, T))
    segment_ids = rng.integers(0, 2, size=(B, T))
    params = {
        "token": rng.standard_normal((V, C)).astype(dtype),
        "segment": rng.standard_normal((2, C)).astype(dtype),
        "position": rng.standard_normal((T_max, C)).astype(dtype),
    }
    return token_ids, segment_ids, params


def embeddings_by_loop(token_ids, segment_ids, params) -> np.ndarray:
    B, T = token_ids.shape
    out = np.zeros((B, T, params["token"].shape[1]))
    for b in range(B):
        for t in range(T):
            out[b, t] = (
                params["token"][token_ids[b, t]]
                + params["segment"][segment_ids[b, t]]
                + params["position"][t]
            )
    return out


@pytest.mark.task("19.1")
@pytest.mark.checks("inputs")
def test_bert_embeddings_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(bert.bert_embeddings, *embedding_case(rng))


@pytest.mark.task("19.1")
@pytest.mark.checks("types")
def test_bert_embeddings_is_float64_b_t_c(rng):
    out = bert.bert_embeddings(*embedding_case(rng, B=2, T=3, C=5, dtype=np.float32))
    assert_array(out, (2, 3, 5), msg(en="the embeddings", ja="埋め込み"))


@pytest.mark.task("19.1")
@pytest.mark.checks("mistake")
def test_bert_embeddings_adds_all_three_tables(rng):
    token_ids, segment_ids, params = embedding_case(rng)
    out = bert.bert_embeddings(token_ids, segment_ids, params)
    right = embeddings_by_loop(token_ids, segment_ids, params)
    T = token_ids.shape[1]
    no_segment = params["token"][token_ids] + params["position"][:T]
    assert_not_mistake(
        out,
        no_segment,
        msg(
            en="bert_embeddings left out the segment embedding: add "
            "params['segment'][segment_ids], which tells sentence A from sentence B",
            ja="bert_embeddings にセグメント埋め込みがありません。文 A と文 B を区別する "
            "params['segment'][segment_ids] を足しましょう",
        ),
        correct=right,
    )
    by_id = (
        params["token"][token_ids] + params["segment"][segment_ids] + params["position"][token_ids]
    )
    assert_not_mistake(
        out,
        by_id,
        msg(
            en="bert_embeddings looked the position embedding up by token id; position t "
            "reads row t of params['position'] (params['position'][:T])",
            ja="bert_embeddings が位置埋め込みをトークン ID で引いています。位置 t は "
            "params['position'] の t 行目です(params['position'][:T])",
        ),
        correct=right,
    )


@pytest.mark.task("19.1")
def test_bert_embeddings_matches_a_loop_over_positions(rng):
    case = embedding_case(rng, B=4, T=7, C=6, V=11, T_max=9)
    out = bert.bert_embeddings(*case)
    assert_close(out, embeddings_by_loop(*case), msg(en="the embeddings", ja="埋め込み"))


@pytest.mark.task("19.1")
def test_bert_embeddings_by_hand():
    params = {
        "token": np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]]),  # V = 3, C = 2
        "segment": np.array([[0.0, 0.0], [10.0, 10.0]]),
        "position": np.array([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]),  # T_max = 3
    }
    out = bert.bert_embeddings(np.array([[2, 0]]), np.array([[0, 1]]), params)
    expected = [[[2.1, 2.1], [11.2, 10.2]]]  # token 2 + A + pos 0; token 0 + B + pos 1
    assert_close(out, expected, msg(en="the embeddings of [[2, 0]]", ja="[[2, 0]] の埋め込み"))


@pytest.mark.task("19.1")
def test_bert_embeddings_uses_every_row_when_t_is_t_max(rng):
    case = embedding_case(rng, B=2, T=6, T_max=6)
    out = bert.bert_embeddings(*case)
    assert_close(out, embeddings_by_loop(*case), msg(en="the embeddings", ja="埋め込み"))


# ---------------------------------------------------------------- 19.2 pack_pair


def pack_by_hand(a, b, T):
    ids = [CLS, *a, SEP, *b, SEP]
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    n = len(ids)
    return ids + [PAD] * (T - n), segments + [0] * (T - n), [True] * n + [False] * (T - n)


def check_packing(result, a, b, T):
    ids, segments, mask = assert_tuple(result, 3, "pack_pair", "(ids, segment_ids, attention_mask)")
    want_ids, want_segments, want_mask = pack_by_hand(a, b, T)
    n = len(a) + len(b) + 3
    inverted = [not m for m in want_mask]
    assert_not_mistake(
        mask,
        inverted,
        msg(
            en="the attention mask of pack_pair is inverted: True marks the real tokens "
            "(the specials too), False the padding",
            ja="pack_pair の attention mask が逆です。True が本物のトークン(特殊トークンも)、"
            "False がパディングです",
        ),
    )
    assert np.shape(ids) != (T,) or ids[n - 1] == SEP, msg(
        en=f"pack_pair should end the pair with [SEP] (id {SEP}) at position {n - 1}, got "
        f"{num(ids[n - 1])}: both sentences end with [SEP]",
        ja=f"pack_pair の位置 {n - 1} は組を閉じる [SEP](ID {SEP})のはずですが "
        f"{num(ids[n - 1])} でした。どちらの文も [SEP] で終わります",
    )
    assert_not_mistake(
        segments,
        want_segments[: n - 1] + [0] * (T - n + 1),
        msg(
            en="pack_pair put the last [SEP] in segment 0; it closes sentence B, so its "
            "segment id is 1",
            ja="pack_pair が最後の [SEP] をセグメント 0 にしています。文 B を閉じる [SEP] "
            "なのでセグメント ID は 1 です",
        ),
        correct=want_segments,
    )
    assert_close(ids, want_ids, msg(en="the packed ids", ja="詰めた ID 列"))
    assert_close(segments, want_segments, msg(en="the segment ids", ja="セグメント ID"))
    assert_close(mask, want_mask, msg(en="the attention mask", ja="attention mask"))


@pytest.mark.task("19.2")
@pytest.mark.checks("inputs")
def test_pack_pair_leaves_its_inputs_alone():
    assert_inputs_unchanged(bert.pack_pair, [5, 6], [7], 8, CLS, SEP, PAD)


@pytest.mark.task("19.2")
@pytest.mark.checks("types")
def test_pack_pair_returns_int64_int64_bool_of_shape_t():
    ids, segments, mask = assert_tuple(
        bert.pack_pair([5, 6], [7], 8, CLS, SEP, PAD),
        3,
        "pack_pair",
        "(ids, segment_ids, attention_mask)",
    )
    assert_array(ids, (8,), "ids", dtype=np.int64)
    assert_array(segments, (8,), "segment_ids", dtype=np.int64)
    assert_array(mask, (8,), "attention_mask", dtype=bool)


@pytest.mark.task("19.2")
@pytest.mark.checks("mistake")
def test_pack_pair_by_hand():
    # [CLS] 5 6 [SEP] 7 [SEP] [PAD] [PAD]
    check_packing(bert.pack_pair([5, 6], [7], 8, CLS, SEP, PAD), [5, 6], [7], 8)


@pytest.mark.task("19.2")
def test_pack_pair_on_random_pairs(rng):
    for _ in range(20):
        a = rng.integers(4, 50, size=rng.integers(1, 6)).tolist()
        b = rng.integers(4, 50, size=rng.integers(0, 6)).tolist()
        T = len(a) + len(b) + 3 + int(rng.integers(0, 4))
        check_packing(bert.pack_pair(a, b, T, CLS, SEP, PAD), a, b, T)


@pytest.mark.task("19.2")
def test_pack_pair_with_other_special_ids_and_an_exact_fit():
    ids, segments, mask = bert.pack_pair([9], [8, 7], 6, 101, 102, 55)
    assert_close(ids, [101, 9, 102, 8, 7, 102], msg(en="the packed ids", ja="詰めた ID 列"))
    assert_close(segments, [0, 0, 0, 1, 1, 1], msg(en="the segment ids", ja="セグメント ID"))
    assert_close(mask, [True] * 6, msg(en="the attention mask", ja="attention mask"))
    ids, segments, mask = bert.pack_pair([9], [], 5, 101, 102, 55)  # an empty sentence B
    assert_close(ids, [101, 9, 102, 102, 55], msg(en="the packed ids", ja="詰めた ID 列"))
    assert_close(segments, [0, 0, 0, 1, 0], msg(en="the segment ids", ja="セグメント ID"))
    assert_close(mask, [1, 1, 1, 1, 0], msg(en="the attention mask", ja="attention mask"))


# ---------------------------------------------------------------- 19.3 mask_tokens

V = 1000  # a random replacement almost never equals the original token


def packed_batch(rng, B=64, T=64):
    """(B, T) ids: [CLS] first, a [SEP] in the middle and at the end, padding after it."""
    ids = rng.integers(4, 50, size=(B, T))
    lengths = rng.integers(T // 4, T + 1, size=B)
    for b, n in enumerate(lengths):
        ids[b, 0], ids[b, n // 2], ids[b, n - 1], ids[b, n:] = CLS, SEP, SEP, PAD
    return ids


def corrupt_many(rng, seed, runs=10):
    """ids, corrupted, chosen of `runs` batches, each with its own seed, stacked."""
    results = [
        (ids := packed_batch(rng), *bert.mask_tokens(ids, SPECIALS, MASK, V, seed + k))
        for k in range(runs)
    ]
    return [np.concatenate(r) for r in zip(*results)]


def fraction(part, whole) -> float:
    return float(np.sum(part & whole) / max(np.sum(whole), 1))


@pytest.mark.task("19.3")
@pytest.mark.checks("inputs")
def test_mask_tokens_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(bert.mask_tokens, packed_batch(rng, 4, 16), list(SPECIALS), MASK, V, 3)


@pytest.mark.task("19.3")
@pytest.mark.checks("types")
def test_mask_tokens_returns_int64_and_bool_of_shape_b_t(rng):
    ids = packed_batch(rng, 3, 10).astype(np.int32)
    corrupted, chosen = assert_tuple(
        bert.mask_tokens(ids, SPECIALS, MASK, V, 0), 2, "mask_tokens", "(corrupted, chosen)"
    )
    assert_array(corrupted, (3, 10), "corrupted", dtype=np.int64)
    assert_array(chosen, (3, 10), "chosen", dtype=bool)


@pytest.mark.task("19.3")
@pytest.mark.checks("mistake")
def test_mask_tokens_never_chooses_special_tokens_or_padding(rng, seed):
    ids, corrupted, chosen = corrupt_many(rng, seed)
    special = np.isin(ids, SPECIALS)
    assert not np.any(chosen & special), msg(
        en=f"mask_tokens chose {int(np.sum(chosen & special))} special tokens or padding "
        "([CLS], [SEP], [PAD]): choose only among the ordinary tokens (np.isin(ids, special_ids))",
        ja=f"mask_tokens が特殊トークンかパディング([CLS]・[SEP]・[PAD])を "
        f"{int(np.sum(chosen & special))} 個選んでいます。普通のトークンの中だけから選びましょう"
        "(np.isin(ids, special_ids))",
    )
    unchosen = ~chosen
    assert np.array_equal(corrupted[unchosen], ids[unchosen]), msg(
        en="mask_tokens changed tokens it did not choose: only chosen positions may change",
        ja="mask_tokens が選んでいないトークンを変えています。変えてよいのは選んだ位置だけです",
    )


@pytest.mark.task("19.3")
@pytest.mark.checks("mistake")
def test_mask_tokens_splits_the_chosen_80_10_10(rng, seed):
    ids, corrupted, chosen = corrupt_many(rng, seed)
    masked = fraction(corrupted == MASK, chosen)
    unchanged = fraction(corrupted == ids, chosen)
    randomised = fraction((corrupted != MASK) & (corrupted != ids), chosen)
    assert masked < 0.95, msg(
        en=f"mask_tokens turned {masked:.1%} of the chosen tokens into [MASK]: only 80% "
        "become [MASK], 10% a random token and 10% stay as they are",
        ja=f"mask_tokens が選んだトークンの {masked:.1%} を [MASK] にしています。"
        "[MASK] にするのは 80% だけで、10% はランダムなトークン、10% はそのままです",
    )
    assert unchanged > 0.02, msg(
        en=f"of the chosen positions, {unchanged:.1%} kept their token, expected about 10%: "
        "the unchanged 10% are still chosen (the loss predicts them too), so return all of "
        "them in chosen",
        ja=f"選んだ位置のうち元のトークンのままなのは {unchanged:.1%} で、約 10% のはずです。"
        "そのままの 10% も選んだ位置です(損失はそこも予測します)。chosen にすべて含めましょう",
    )
    for name, value, expected, width in [
        ("[MASK]", masked, 0.8, 0.05),
        (msg(en="a random token", ja="ランダムなトークン"), randomised, 0.1, 0.04),
        (msg(en="unchanged", ja="そのまま"), unchanged, 0.1, 0.04),
    ]:
        assert abs(value - expected) < width, msg(
            en=f"{value:.1%} of the chosen tokens became {name}, expected {expected:.0%} "
            f"(give or take {width:.0%})",
            ja=f"選んだトークンのうち {name} になったのは {value:.1%} で、{expected:.0%} "
            f"(± {width:.0%})のはずです",
        )


@pytest.mark.task("19.3")
def test_mask_tokens_chooses_15_percent_of_the_ordinary_tokens(rng, seed):
    ids, _, chosen = corrupt_many(rng, seed)
    rate = fraction(chosen, ~np.isin(ids, SPECIALS))
    assert abs(rate - 0.15) < 0.03, msg(
        en=f"mask_tokens chose {rate:.1%} of the ordinary tokens, expected 15% by default "
        "(each one independently with probability rate)",
        ja=f"mask_tokens が普通のトークンの {rate:.1%} を選んでいます。既定では 15% のはずです"
        "(各トークンを確率 rate で独立に選びます)",
    )


@pytest.mark.task("19.3")
def test_mask_tokens_is_the_same_for_a_seed_and_differs_across_seeds(rng, seed):
    ids = packed_batch(rng, 8, 32)
    first = bert.mask_tokens(ids, SPECIALS, MASK, V, seed)
    again = bert.mask_tokens(ids, SPECIALS, MASK, V, seed, 0.15)  # the default, explicit
    other = bert.mask_tokens(ids, SPECIALS, MASK, V, seed + 1)
    same = all(np.array_equal(x, y) for x, y in zip(first, again))
    assert same, msg(
        en="mask_tokens gave different results for the same seed (and rate=0.15, the "
        "default): draw everything from np.random.default_rng(seed)",
        ja="mask_tokens が同じ seed(と既定の rate=0.15)で違う結果を返しました。乱数はすべて "
        "np.random.default_rng(seed) から引きましょう",
    )
    assert not np.array_equal(first[1], other[1]), msg(
        en="mask_tokens chose the same positions for seeds "
        f"{seed} and {seed + 1}: use the seed argument, not a fixed one",
        ja=f"mask_tokens が seed {seed} と {seed + 1} で同じ位置を選びました。固定の seed では"
        "なく引数の seed を使いましょう",
    )


@pytest.mark.task("19.3")
def test_mask_tokens_rate_1_and_random_tokens_uniform_over_the_vocabulary(seed):
    ids = np.full((50, 200), 7)
    corrupted, chosen = bert.mask_tokens(ids, [PAD], MASK, 2, seed, rate=1.0)
    assert chosen.all(), msg(
        en=f"with rate=1.0 every ordinary token is chosen; {int(np.sum(~chosen))} were not",
        ja=f"rate=1.0 ならすべての普通のトークンが選ばれますが、{int(np.sum(~chosen))} 個が"
        "選ばれていません",
    )
    randoms = corrupted[(corrupted != MASK) & (corrupted != 7)]
    assert set(np.unique(randoms).tolist()) <= {0, 1}, msg(
        en="with vocab_size=2, a random token is 0 or 1 (uniform over [0, V)), got "
        f"{sorted(set(np.unique(randoms).tolist()) - {0, 1})}",
        ja="vocab_size=2 ならランダムなトークンは 0 か 1 です([0, V) の一様分布)。"
        f"{sorted(set(np.unique(randoms).tolist()) - {0, 1})} がありました",
    )
    zeros = float(np.mean(randoms == 0)) if randoms.size else 0.0
    assert randoms.size > 500 and abs(zeros - 0.5) < 0.15, msg(
        en=f"random tokens should be uniform over [0, V): with V = 2, {zeros:.1%} of "
        f"{randoms.size} were 0, expected about 50% of about 1000",
        ja=f"ランダムなトークンは [0, V) の一様分布のはずです。V = 2 で {randoms.size} 個中 "
        f"{zeros:.1%} が 0 でした(約 1000 個中 約 50% のはず)",
    )


# ---------------------------------------------------------------- 19.4 mlm_loss


def mlm_case(rng, B=2, T=5, V=6, scale=1.0):
    logits = scale * rng.standard_normal((B, T, V))
    labels = rng.integers(0, V, size=(B, T))
    chosen = rng.random((B, T)) < 0.4
    chosen[0, 0], chosen[-1, -1] = True, False  # at least one of each
    return logits, labels, chosen


def mlm_by_loop(logits, labels, chosen):
    """Cross-entropy position by position, the chosen ones only, and its gradient."""
    total, count = 0.0, int(chosen.sum())
    grad = np.zeros_like(logits, dtype=float)
    for b, t in zip(*np.nonzero(chosen)):
        z = logits[b, t] - logits[b, t].max()
        log_p = z - np.log(np.exp(z).sum())  # the largest logit is 0: no overflow
        p = np.exp(log_p)
        total -= log_p[labels[b, t]]
        grad[b, t] = p
        grad[b, t, labels[b, t]] -= 1
    return total / max(count, 1), grad / max(count, 1)


def check_mlm(result, logits, labels, chosen):
    loss, dlogits = assert_tuple(result, 2, "mlm_loss", "(loss, dlogits)")
    right_loss, right_grad = mlm_by_loop(logits, labels, chosen)
    every_position = mlm_by_loop(logits, labels, np.ones_like(chosen))[0]
    assert_not_mistake(
        loss,
        every_position,
        msg(
            en="mlm_loss averaged the cross-entropy over every position; only the chosen "
            "(masked) positions count",
            ja="mlm_loss がすべての位置のクロスエントロピーを平均しています。数えるのは選んだ"
            "(マスクした)位置だけです",
        ),
        correct=right_loss,
    )
    assert_not_mistake(
        loss,
        right_loss * chosen.sum() / chosen.size,
        msg(
            en="mlm_loss divided by every position B * T; divide by the number of chosen "
            "positions M = chosen.sum()",
            ja="mlm_loss が全位置数 B * T で割っています。選んだ位置の数 M = chosen.sum() で"
            "割りましょう",
        ),
        correct=right_loss,
    )
    assert_close(loss, right_loss, msg(en="the MLM loss", ja="MLM 損失"))
    assert_close(dlogits, right_grad, msg(en="the gradient dlogits", ja="勾配 dlogits"))


@pytest.mark.task("19.4")
@pytest.mark.checks("inputs")
def test_mlm_loss_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(bert.mlm_loss, *mlm_case(rng))


@pytest.mark.task("19.4")
@pytest.mark.checks("types")
def test_mlm_loss_returns_a_float_and_float64_b_t_v(rng):
    logits, labels, chosen = mlm_case(rng, 2, 3, 4)
    loss, dlogits = assert_tuple(
        bert.mlm_loss(logits.astype(np.float32), labels, chosen), 2, "mlm_loss", "(loss, dlogits)"
    )
    assert_scalar(loss, msg(en="the MLM loss", ja="MLM 損失"))
    assert_array(dlogits, (2, 3, 4), "dlogits")


@pytest.mark.task("19.4")
@pytest.mark.checks("mistake")
def test_mlm_loss_matches_a_loop_over_the_chosen_positions(rng):
    case = mlm_case(rng, 3, 7, 5)
    check_mlm(bert.mlm_loss(*case), *case)


@pytest.mark.task("19.4")
def test_mlm_loss_by_hand():
    logits = np.zeros((1, 2, 4))  # uniform: every position costs log 4
    logits[0, 1, 3] = 50.0  # position 1 is not chosen: its logits are never read
    loss, dlogits = bert.mlm_loss(logits, np.array([[1, 2]]), np.array([[True, False]]))
    assert_close(loss, np.log(4), msg(en="the loss of uniform logits", ja="一様なロジットの損失"))
    expected = [[[0.25, -0.75, 0.25, 0.25], [0.0, 0.0, 0.0, 0.0]]]
    assert_close(dlogits, expected, msg(en="the gradient dlogits", ja="勾配 dlogits"))


@pytest.mark.task("19.4")
def test_mlm_loss_ignores_the_positions_not_chosen(rng):
    logits, labels, chosen = mlm_case(rng)
    loss, _ = bert.mlm_loss(logits, labels, chosen)
    shaken = logits + 10.0 * rng.standard_normal(logits.shape) * ~chosen[..., None]
    shaken_loss, dlogits = bert.mlm_loss(shaken, labels, chosen)
    assert_close(
        shaken_loss,
        loss,
        msg(
            en="the loss after changing only the logits of positions not chosen",
            ja="選んでいない位置のロジットだけを変えた後の損失",
        ),
    )
    assert_close(
        dlogits * ~chosen[..., None],
        np.zeros_like(logits),
        msg(en="dlogits at the positions not chosen", ja="選んでいない位置の dlogits"),
    )


@pytest.mark.task("19.4")
def test_mlm_loss_gradient_matches_finite_differences(rng):
    logits, labels, chosen = mlm_case(rng)
    _, dlogits = bert.mlm_loss(logits, labels, chosen)
    assert_grad_close(dlogits, lambda: bert.mlm_loss(logits, labels, chosen)[0], logits, "dlogits")
    assert_close(dlogits, mlm_by_loop(logits, labels, chosen)[1], msg(en="dlogits", ja="dlogits"))


@pytest.mark.task("19.4")
def test_mlm_loss_with_nothing_chosen_is_zero(rng):
    logits, labels, _ = mlm_case(rng)
    loss, dlogits = bert.mlm_loss(logits, labels, np.zeros(labels.shape, dtype=bool))
    assert_close(
        loss, 0.0, msg(en="the loss with no chosen position", ja="選んだ位置がないときの損失")
    )
    assert_close(
        dlogits,
        np.zeros_like(logits),
        msg(en="dlogits with no chosen position", ja="選んだ位置がないときの dlogits"),
    )


@pytest.mark.task("19.4")
@pytest.mark.checks("mistake")
def test_mlm_loss_stays_finite_at_huge_logits(rng):
    logits, labels, chosen = mlm_case(rng, scale=1e4)
    with np.errstate(all="ignore"):
        loss, dlogits = bert.mlm_loss(logits, labels, chosen)
    finite = np.isfinite(loss) and np.all(np.isfinite(dlogits))
    assert finite, msg(
        en="mlm_loss is not finite at logits of about 1e4: exp overflows. Subtract each "
        "row's largest logit before exp (the softmax does not change)",
        ja="ロジットが 1e4 程度のとき mlm_loss が有限になりません。exp があふれています。exp の"
        "前に各行の最大のロジットを引きましょう(softmax は変わりません)",
    )
    check_mlm((loss, dlogits), logits, labels, chosen)


# ---------------------------------------------------------------- 19.5 cls_logits


def head_case(rng, B=3, T=4, C=5, V=2):
    return rng.standard_normal((B, T, C)), rng.standard_normal((C, V)), rng.standard_normal(V)


@pytest.mark.task("19.5")
@pytest.mark.checks("inputs")
def test_cls_logits_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(bert.cls_logits, *head_case(rng))


@pytest.mark.task("19.5")
@pytest.mark.checks("types")
def test_cls_logits_is_float64_b_v(rng):
    h, W, b = (a.astype(np.float32) for a in head_case(rng, B=2, C=3, V=4))
    assert_array(bert.cls_logits(h, W, b), (2, 4), msg(en="the logits", ja="ロジット"))


@pytest.mark.task("19.5")
@pytest.mark.checks("mistake")
def test_cls_logits_reads_the_cls_position(rng):
    h, W, b = head_case(rng)
    logits = bert.cls_logits(h, W, b)
    right = np.array([[h[i, 0] @ W[:, k] + b[k] for k in range(W.shape[1])] for i in range(len(h))])
    for pooled, where in [
        (h.mean(axis=1), ("the mean over positions", "位置についての平均")),
        (h[:, -1], ("the last position", "最後の位置")),
    ]:
        assert_not_mistake(
            logits,
            pooled @ W + b,
            msg(
                en=f"cls_logits read {where[0]}; the head reads position 0, [CLS] (h[:, 0])",
                ja=f"cls_logits が{where[1]}を読んでいます。ヘッドが読むのは位置 0 の [CLS] "
                "(h[:, 0])です",
            ),
            correct=right,
        )
    assert_close(logits, right, msg(en="the logits", ja="ロジット"))


@pytest.mark.task("19.5")
def test_cls_logits_by_hand():
    h = np.array([[[1.0, 2.0], [9.0, 9.0]]])  # B = 1, T = 2, C = 2
    W = np.array([[1.0, 0.0], [0.0, -1.0]])
    logits = bert.cls_logits(h, W, np.array([0.5, 0.5]))
    assert_close(logits, [[1.5, -1.5]], msg(en="the logits", ja="ロジット"))


@pytest.mark.task("19.5")
def test_cls_logits_ignores_every_position_but_the_first(rng):
    h, W, b = head_case(rng, T=6)
    shaken = h.copy()
    shaken[:, 1:] += rng.standard_normal(h[:, 1:].shape)
    assert_close(
        bert.cls_logits(shaken, W, b),
        bert.cls_logits(h, W, b),
        msg(
            en="the logits after changing positions 1 … T-1", ja="位置 1 … T-1 を変えた後のロジット"
        ),
    )


# ---------------------------------------------------------------- 19.6 next_sentence_pairs

# The random pairs are judged by Hoeffding's inequality, which holds for any seed and needs no
# normal approximation: a sum S of n independent draws in [0, 1] leaves its mean by t or more
# with probability at most 2 exp(-2 t^2 / n). Every bound below is that t for 2e-9, so a right
# implementation fails one of them with probability about 1e-9: never, in practice.
CHANCE = 2e-9


def hoeffding(n: int) -> float:
    """How far a sum of n independent draws in [0, 1] may stray from its mean (see above)."""
    return float(np.sqrt(n * np.log(2 / CHANCE) / 2))


def corpus(rng, lengths) -> list[list[list[int]]]:
    """Documents of the given numbers of sentences, as lists of int. Sentence i of document d
    starts with the token 1000 d + i (then 0 to 3 random ones), so it is told apart by its
    tokens alone."""
    return [
        [[1000 * d + i, *rng.integers(4, 50, size=rng.integers(0, 4)).tolist()] for i in range(n)]
        for d, n in enumerate(lengths)
    ]


def located(documents, result):
    """(first, second, is_next) as [(d, i)], [(e, j)], [bool]: which sentence of which
    document each returned sentence is."""
    first, second, is_next = assert_tuple(
        result, 3, "next_sentence_pairs", "(first, second, is_next)"
    )
    where = {tuple(s): (d, i) for d, doc in enumerate(documents) for i, s in enumerate(doc)}

    def place(sentence, name):
        key = tuple(int(t) for t in sentence)
        assert key in where, msg(
            en=f"next_sentence_pairs returned {list(key)} in {name}, which is no sentence of "
            "the documents: return the documents' own sentences, whole",
            ja=f"next_sentence_pairs の {name} に {list(key)} がありますが、文書のどの文でも"
            "ありません。文書の文をそのまま丸ごと返しましょう",
        )
        return where[key]

    a, b = [place(s, "first") for s in first], [place(s, "second") for s in second]
    flags = [bool(f) for f in np.asarray(is_next).reshape(-1)]
    assert len(a) == len(b) == len(flags), msg(
        en=f"first, second and is_next should have one entry per pair; their lengths are "
        f"{len(a)}, {len(b)} and {len(flags)}",
        ja=f"first・second・is_next は組ごとに 1 つずつのはずですが、長さが {len(a)}・"
        f"{len(b)}・{len(flags)} です",
    )
    return a, b, flags


def check_pairs(documents, result):
    """Every pair as the contract says, each named mistake looked for in turn."""
    a, b, flags = located(documents, result)
    lengths = [len(doc) for doc in documents]
    pairs = list(zip(a, b, flags))
    last = [(d, i) for d, i in a if i == lengths[d] - 1]
    assert not last, msg(
        en=f"next_sentence_pairs made a pair for the last sentence of document {last[0][0]}: "
        "the last sentence of a document has no next sentence, so no pair starts there "
        "(do not pair across documents, as flattening them into one list of sentences does)",
        ja=f"next_sentence_pairs が文書 {last[0][0]} の最後の文から組を作っています。文書の"
        "最後の文には次の文がないので、そこから始まる組はありません(文書をまたいで組にしない"
        "こと。文書を 1 つの文のリストに平らにするとこうなります)",
    )
    backwards = [(d, i) for (d, i), (e, j), f in pairs if f and e == d and j == i - 1]
    assert not backwards, msg(
        en="next_sentence_pairs paired a sentence with the previous one as IsNext (sentence "
        f"{backwards[0][1]} of document {backwards[0][0]} with sentence {backwards[0][1] - 1}): "
        "B follows A, so an IsNext pair is sentence i, then sentence i + 1",
        ja="next_sentence_pairs が IsNext の組で文を 1 つ前の文と組にしています(文書 "
        f"{backwards[0][0]} の文 {backwards[0][1]} と文 {backwards[0][1] - 1})。B は A の後に"
        "続く文なので、IsNext の組は文 i と文 i + 1 です",
    )
    same = [(d, i, j) for (d, i), (e, j), f in pairs if not f and e == d]
    assert not same, msg(
        en=f"next_sentence_pairs took the NotNext sentence from the same document (document "
        f"{same[0][0]}: sentence {same[0][1]} with sentence {same[0][2]}): draw it from a "
        "different document, so that it really is unrelated",
        ja=f"next_sentence_pairs が NotNext の文を同じ文書から取っています(文書 {same[0][0]} の"
        f"文 {same[0][1]} と文 {same[0][2]})。本当に無関係な文になるよう、別の文書から"
        "取りましょう",
    )
    wrong = [(d, i, e, j) for (d, i), (e, j), f in pairs if f and (e, j) != (d, i + 1)]
    assert not wrong, msg(
        en=f"an IsNext pair should be sentence i, then sentence i + 1 of the same document; "
        f"sentence {wrong[0][1]} of document {wrong[0][0]} was paired with sentence "
        f"{wrong[0][3]} of document {wrong[0][2]}",
        ja=f"IsNext の組は同じ文書の文 i と文 i + 1 のはずですが、文書 {wrong[0][0]} の文 "
        f"{wrong[0][1]} が文書 {wrong[0][2]} の文 {wrong[0][3]} と組になっています",
    )
    expected = [(d, i) for d, n in enumerate(lengths) for i in range(n - 1)]
    assert a == expected, msg(
        en=f"first should hold every sentence that has a successor, in order (document by "
        f"document, sentence by sentence): {len(expected)} pairs, starting {expected[:4]} as "
        f"(document, sentence); got {len(a)} starting {a[:4]}",
        ja=f"first には次の文を持つすべての文が順に(文書ごと、文ごとに)入るはずです。"
        f"{len(expected)} 組で、(文書, 文) で書くと {expected[:4]} から始まりますが、{len(a)} 組で "
        f"{a[:4]} から始まっていました",
    )
    return a, b, flags


@pytest.mark.task("19.6")
@pytest.mark.checks("inputs")
def test_next_sentence_pairs_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(bert.next_sentence_pairs, corpus(rng, [3, 1, 4]), 5)


@pytest.mark.task("19.6")
@pytest.mark.checks("types")
def test_next_sentence_pairs_returns_two_lists_of_sentences_and_bool_n(rng):
    documents = corpus(rng, [3, 1, 4])
    first, second, is_next = assert_tuple(
        bert.next_sentence_pairs(documents, 0), 3, "next_sentence_pairs", "(first, second, is_next)"
    )
    for name, value in [("first", first), ("second", second)]:
        ok = isinstance(value, list) and all(isinstance(s, list) for s in value)
        assert ok, msg(
            en=f"{name} should be a list of sentences, each a list of token ids, got "
            f"{type(value).__name__}"
            + (f" of {type(value[0]).__name__}" if isinstance(value, list) and value else ""),
            ja=f"{name} は文のリスト(各文はトークン ID のリスト)のはずですが、"
            f"{type(value).__name__}"
            + (f"({type(value[0]).__name__} の)" if isinstance(value, list) and value else "")
            + " でした",
        )
    assert len(second) == len(first), msg(
        en=f"first and second should hold one sentence per pair, as many each; they hold "
        f"{len(first)} and {len(second)}",
        ja=f"first と second には組ごとに 1 文ずつ、同じ数の文が入るはずですが、{len(first)} 文と "
        f"{len(second)} 文でした",
    )
    assert_array(is_next, (len(first),), "is_next", dtype=bool)  # one flag per pair: (N,)


@pytest.mark.task("19.6")
@pytest.mark.checks("mistake")
def test_next_sentence_pairs_on_random_documents(rng, seed):
    for k in range(10):
        lengths = rng.integers(1, 9, size=rng.integers(2, 7)).tolist()
        lengths[0] = 8  # pairs on every run
        documents = corpus(rng, lengths)
        check_pairs(documents, bert.next_sentence_pairs(documents, seed + k))


@pytest.mark.task("19.6")
@pytest.mark.checks("mistake")
def test_next_sentence_pairs_are_isnext_half_of_the_time(rng, seed):
    documents = corpus(rng, [20] * 10)  # 190 pairs a call
    flags = np.concatenate(
        [
            np.asarray(bert.next_sentence_pairs(documents, seed + k)[2], dtype=bool).reshape(-1)
            for k in range(20)
        ]
    )
    share, n = float(flags.mean()), flags.size
    assert share < 0.95, msg(
        en=f"{share:.1%} of the pairs are IsNext: only half should be. Toss a fair coin for "
        "each pair (rng.random() < 0.5); on the other half, B is a random sentence of another "
        "document (NotNext), or the model learns to answer IsNext always",
        ja=f"組の {share:.1%} が IsNext です。IsNext は半分だけのはずです。組ごとに公平な"
        "コイン(rng.random() < 0.5)を投げ、残りの半分では B を別の文書のランダムな文"
        "(NotNext)にしましょう。そうしないとモデルは常に IsNext と答えることを覚えます",
    )
    assert abs(share - 0.5) * n < hoeffding(n), msg(
        en=f"{share:.1%} of {n} pairs are IsNext, expected 50% (give or take "
        f"{hoeffding(n) / n:.1%}): each pair is IsNext independently with probability 0.5",
        ja=f"{n} 組のうち IsNext は {share:.1%} で、50%(± {hoeffding(n) / n:.1%})のはずです。"
        "各組は独立に確率 0.5 で IsNext です",
    )


@pytest.mark.task("19.6")
def test_next_sentence_pairs_toss_a_coin_for_each_pair(rng, seed):
    # Three pairs whose coins are independent fair coins show each of the 8 patterns with
    # probability 1/8: one is missing from 200 seeds with chance at most 8 (7/8)**200 < 3e-11.
    documents = [[[5, 6], [7]], [[8], [9, 9], [4]]]  # the README's example: 3 pairs
    patterns = {
        tuple(bool(f) for f in bert.next_sentence_pairs(documents, seed + k)[2]) for k in range(200)
    }
    assert len(patterns) == 8, msg(
        en=f"over 200 seeds, the 3 pairs of the README's example showed only {len(patterns)} of "
        "the 8 patterns of is_next: toss one fair coin for each pair, independently (not "
        "exactly half IsNext, nor alternating)",
        ja=f"200 個の seed で、README の例の 3 組の is_next は 8 通りの並びのうち "
        f"{len(patterns)} 通りしか現れませんでした。組ごとに公平なコインを独立に 1 回投げましょう"
        "(ちょうど半分を IsNext にしたり、交互にしたりしない)",
    )
    # For independent fair coins, "pair k agrees with pair k - 1" are themselves independent
    # fair coins, so Hoeffding's bound holds for their count too.
    documents = corpus(rng, [20] * 10)  # 190 pairs a call, 189 neighbours
    agree = np.concatenate(
        [
            np.diff(np.asarray(bert.next_sentence_pairs(documents, seed + k)[2], dtype=int)) == 0
            for k in range(20)
        ]
    )
    share, n = float(agree.mean()), agree.size
    assert abs(share - 0.5) * n < hoeffding(n), msg(
        en=f"{share:.1%} of {n} neighbouring pairs have the same is_next, expected 50% (give or "
        f"take {hoeffding(n) / n:.1%}): each pair's coin must not depend on the pair before",
        ja=f"隣り合う {n} 組のうち is_next が同じものは {share:.1%} で、50%"
        f"(± {hoeffding(n) / n:.1%})のはずです。各組のコインは前の組に左右されてはいけません",
    )


@pytest.mark.task("19.6")
def test_next_sentence_pairs_draw_a_document_then_a_sentence_uniformly(rng, seed):
    lengths = [1, 2, 4, 8, 16]  # a document of 1 sentence has no pair but can be drawn
    documents, D = corpus(rng, lengths), len(lengths)
    draws = []  # (d, e, j): a NotNext pair of document d took sentence j of document e
    for k in range(150):
        a, b, flags = located(documents, bert.next_sentence_pairs(documents, seed + k))
        draws += [(d, e, j) for (d, _), (e, j), f in zip(a, b, flags) if not f]
    n = len(draws)
    assert n > 1000, msg(
        en=f"only {n} of 3900 pairs were NotNext; about half should be",
        ja=f"3900 組のうち NotNext は {n} 組だけでした。約半分のはずです",
    )
    d, e, j = np.array(draws).T
    L = np.array(lengths)
    for other in range(D):
        count, expected = int(np.sum(e == other)), float(np.sum(d != other) / (D - 1))
        assert abs(count - expected) < hoeffding(n), msg(
            en=f"{count} of {n} NotNext sentences came from document {other} "
            f"(of {lengths[other]} sentence{'s' if lengths[other] > 1 else ''}), expected "
            f"about {expected:.0f}: draw a document uniformly among the D - 1 others first "
            "(each equally likely, however long), then one of its sentences",
            ja=f"NotNext の {n} 文のうち {count} 文が文書 {other}({lengths[other]} 文)から"
            f"でした。約 {expected:.0f} 文のはずです。まず残りの D - 1 個の文書から 1 つを一様に"
            "(長さによらず同じ確率で)選び、次にその中の文を選びましょう",
        )
    ends = [(msg(en="first", ja="最初"), np.zeros_like(j)), (msg(en="last", ja="最後"), L[e] - 1)]
    for end, index in ends:
        count, expected = int(np.sum(j == index)), float(np.sum(1 / L[e]))
        assert abs(count - expected) < hoeffding(n), msg(
            en=f"{count} of {n} NotNext sentences were the {end} sentence of their document, "
            f"expected about {expected:.0f}: draw the sentence uniformly among all of the "
            "document's sentences",
            ja=f"NotNext の {n} 文のうち {count} 文が文書の{end}の文でした。約 {expected:.0f} 文"
            "のはずです。文は文書のすべての文から一様に選びましょう",
        )


@pytest.mark.task("19.6")
def test_next_sentence_pairs_by_hand(seed):
    documents = [[[5, 6], [7]], [[8], [9, 9], [4]]]  # the README's example: 1 + 2 pairs
    seen = [set(), set(), set()]  # the B of each pair, over the seeds
    for k in range(200):
        first, second, is_next = bert.next_sentence_pairs(documents, seed + k)
        assert first == [[5, 6], [8], [9, 9]], msg(
            en=f"first should be [[5, 6], [8], [9, 9]] (the sentences with a successor), got "
            f"{first}",
            ja=f"first は [[5, 6], [8], [9, 9]](次の文を持つ文)のはずですが、{first} でした",
        )
        for pair, b in enumerate(second):
            seen[pair].add((bool(is_next[pair]), tuple(b)))
    expected = [
        {(True, (7,)), (False, (8,)), (False, (9, 9)), (False, (4,))},
        {(True, (9, 9)), (False, (5, 6)), (False, (7,))},
        {(True, (4,)), (False, (5, 6)), (False, (7,))},
    ]
    for pair, (got, want) in enumerate(zip(seen, expected)):
        assert got == want, msg(
            en=f"over 200 seeds, pair {pair} (A = {first[pair]}) should have been (is_next, B) = "
            f"each of {sorted(want)}, got {sorted(got)}: B is the next sentence or any "
            "sentence of the other document",
            ja=f"200 個の seed で、組 {pair}(A = {first[pair]})の (is_next, B) は "
            f"{sorted(want)} のそれぞれになるはずですが、{sorted(got)} でした。B は次の文か、"
            "もう一方の文書の任意の文です",
        )


@pytest.mark.task("19.6")
def test_next_sentence_pairs_is_the_same_for_a_seed_and_differs_across_seeds(rng, seed):
    documents = corpus(rng, [20] * 10)  # 190 pairs: two seeds agree with chance 2**-190
    first = located(documents, bert.next_sentence_pairs(documents, seed))
    again = located(documents, bert.next_sentence_pairs(documents, seed))
    other = located(documents, bert.next_sentence_pairs(documents, seed + 1))
    assert first == again, msg(
        en="next_sentence_pairs gave different pairs for the same seed: draw everything from "
        "np.random.default_rng(seed)",
        ja="next_sentence_pairs が同じ seed で違う組を返しました。乱数はすべて "
        "np.random.default_rng(seed) から引きましょう",
    )
    assert first != other, msg(
        en=f"next_sentence_pairs gave the same pairs for seeds {seed} and {seed + 1}: use the "
        "seed argument, not a fixed one",
        ja=f"next_sentence_pairs が seed {seed} と {seed + 1} で同じ組を返しました。固定の seed "
        "ではなく引数の seed を使いましょう",
    )


@pytest.mark.task("19.6")
def test_next_sentence_pairs_of_one_sentence_documents(rng, seed):
    documents = corpus(rng, [1, 2, 1])  # only document 1 has a pair
    for k in range(40):
        a, b, flags = check_pairs(documents, bert.next_sentence_pairs(documents, seed + k))
        assert b[0] in ([(1, 1)] if flags[0] else [(0, 0), (2, 0)]), msg(
            en=f"the one pair is sentence 0 of document 1 with sentence 1 (IsNext) or with the "
            f"one sentence of document 0 or 2 (NotNext); got {b[0]} as (document, sentence)",
            ja=f"組は文書 1 の文 0 と、文 1(IsNext)か文書 0 か 2 の唯一の文(NotNext)の 1 つだけ"
            f"のはずですが、(文書, 文) で {b[0]} でした",
        )
    first, second, is_next = bert.next_sentence_pairs([[[5]], [[6]], [[7, 8]]], seed)
    assert first == [] and second == [], msg(
        en=f"documents of one sentence each make no pair; got first = {first}, second = {second}",
        ja=f"1 文だけの文書からは組ができませんが、first = {first}、second = {second} でした",
    )
    is_bool = np.dtype(getattr(is_next, "dtype", bool)) == np.bool_  # a list: assert_array
    assert is_bool, msg(
        en=f"is_next with no pair should still be a bool array, got dtype {is_next.dtype}: "
        "np.array([]) is float64, so write np.array(is_next, dtype=bool)",
        ja=f"組がないときも is_next は bool の配列のはずですが、dtype が {is_next.dtype} でした。"
        "np.array([]) は float64 になるので、np.array(is_next, dtype=bool) と書きましょう",
    )
    assert_array(is_next, (0,), msg(en="is_next with no pair", ja="組がないときの is_next"), bool)
