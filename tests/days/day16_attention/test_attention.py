"""day16 suite: masked softmax, scaled dot-product attention, head split/merge, multi-head
attention forward and backward, and tiled attention with an online softmax.

Every value is checked against a computation written here: the definition row by row with
Python's math (the naive versions below), closed forms, hand-worked cases, perturbations
(changing the future never moves the past) and central finite differences. Masks are where
learners go wrong, so they get the most tests: causal, padding, both together, rows with no
allowed key, T != S, length 1, float32 inputs and huge scores. The tiled version must equal
the exact one for every block size and never hold a (T, S) array (tracemalloc's peak); the
exact one must be vectorised over batch and heads (a self-calibrated timing)."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_fast_enough,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_tuple,
    implementation,
    msg,
    numerical_grad,
)

attention = implementation("day16_attention.attention")

# float32 inputs are converted to float64 before any arithmetic; the expected values below
# are computed from the same float32 numbers in float64, so RTOL still holds. Scores of
# +-1e4 lose relative precision in their differences; this bound is still 1e5 times tighter
# than any mistake those tests look for.
HUGE_RTOL = 1e-6
PARAM_KEYS = ("Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo")


# ---------------------------------------------------------------- the definitions, naively


def softmax_row(row, allowed) -> list[float]:
    """One row by the definition, with Python's math over the allowed entries only; a row
    with no allowed entry is all zeros."""
    keep = [j for j in range(len(row)) if allowed[j]]
    if not keep:
        return [0.0] * len(row)
    top = max(float(row[j]) for j in keep)
    e = {j: math.exp(float(row[j]) - top) for j in keep}
    total = sum(e.values())
    return [e[j] / total if j in e else 0.0 for j in range(len(row))]


def naive_softmax(scores, mask=None) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    allowed = np.broadcast_to(True if mask is None else mask, scores.shape)
    out = np.zeros(scores.shape)
    for index in np.ndindex(scores.shape[:-1]):
        out[index] = softmax_row(scores[index], allowed[index])
    return out


def naive_attention(q, k, v, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """Query by query: scores by dot products, the row softmax, the weighted sum of values."""
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    B, H, T, D = q.shape
    S = k.shape[2]
    allowed = np.broadcast_to(True if mask is None else mask, (B, H, T, S))
    out, weights = np.zeros((B, H, T, D)), np.zeros((B, H, T, S))
    for b, h, t in np.ndindex(B, H, T):
        scores = [float(np.dot(q[b, h, t], k[b, h, s])) / math.sqrt(D) for s in range(S)]
        weights[b, h, t] = softmax_row(scores, allowed[b, h, t])
        out[b, h, t] = sum(weights[b, h, t, s] * v[b, h, s] for s in range(S))
    return out, weights


def naive_mha(x, params, n_heads, mask=None) -> np.ndarray:
    """Multi-head attention head by head, each head's columns sliced out of the projections."""
    x = np.asarray(x, dtype=float)
    B, T, C = x.shape
    D = C // n_heads
    heads = []
    for h in range(n_heads):
        cols = slice(h * D, (h + 1) * D)
        q, k, v = (
            (x @ params["W" + n][:, cols] + params["b" + n][cols])[:, None] for n in "qkv"
        )  # (B, 1, T, D)
        heads.append(naive_attention(q, k, v, mask if mask is None else mask_for_head(mask, h))[0])
    concat = np.concatenate([head[:, 0] for head in heads], axis=-1)  # (B, T, C)
    return concat @ params["Wo"] + params["bo"]


def mask_for_head(mask, h):
    """The mask one head sees: (B, 1, T, T) or (T, T) from one broadcastable to (B, H, T, T)."""
    mask = np.asarray(mask)
    if mask.ndim == 4 and mask.shape[1] > 1:
        return mask[:, h : h + 1]
    return mask


def causal(T, S=None) -> np.ndarray:
    """(T, S) True where key s <= query t, built here: no task must need another for it."""
    S = T if S is None else S
    return np.arange(S)[None, :] <= np.arange(T)[:, None]


def padding(lengths, S) -> np.ndarray:
    """(B, 1, 1, S) True on the first lengths[b] keys of row b."""
    return (np.arange(S)[None, :] < np.asarray(lengths)[:, None])[:, None, None, :]


def qkv(rng, B, H, T, S, D, scale=1.0):
    q = rng.standard_normal((B, H, T, D)) * scale
    k, v = rng.standard_normal((2, B, H, S, D)) * scale
    return q, k, v


def no_nan(actual, what, advice):
    actual = np.asarray(actual, dtype=float)
    bad = np.argwhere(~np.isfinite(actual))
    assert len(bad) == 0, msg(
        en=f"{what} is not finite (first at index {tuple(int(i) for i in bad[0])}). {advice['en']}",
        ja=f"{what} に有限でない値があります(最初は添字 {tuple(int(i) for i in bad[0])})。"
        f"{advice['ja']}",
    )


# ================================================================ 16.1 masked_softmax

MASKED_WEIGHT = {
    "en": "masked entries must get weight exactly 0: set their scores to -inf before exp "
    "(np.where(mask, scores, -np.inf)); a score of 0, or multiplying scores by the mask, still "
    "gives exp(0) = 1",
    "ja": "マスクした要素の重みはちょうど 0 のはずです。exp の前にそのスコアを -inf にしましょう"
    "(np.where(mask, scores, -np.inf))。スコアを 0 にしたり、スコアにマスクを掛けたりしても "
    "exp(0) = 1 が残ります",
}
ALL_MASKED_NAN = {
    "en": "a row with every entry masked must be all zeros, never NaN: its max is -inf and "
    "-inf - (-inf) is NaN; use 0 as that row's max and divide by a row sum that is 1 where it "
    "would be 0",
    "ja": "すべてマスクされた行は NaN ではなくすべて 0 のはずです。その行の最大値は -inf で、"
    "-inf - (-inf) は NaN になります。その行の最大値は 0 とし、行の和が 0 になるところは 1 で"
    "割りましょう",
}
OVERFLOW = {
    "en": "subtract each row's max before exp: exp(1e4) overflows to inf, and inf / inf is NaN",
    "ja": "exp の前に各行の最大値を引きましょう。exp(1e4) は inf にあふれ、inf / inf は NaN に"
    "なります",
}


UNIFORM_ROW = {
    "en": "a row with every entry masked came out uniform (1/S each): a large negative number "
    "such as -1e9 in place of -inf makes every masked entry equal, so they share the weight; use "
    "-np.inf and give that row zeros",
    "ja": "すべてマスクされた行が一様(各 1/S)になりました。-inf の代わりに -1e9 のような大きな"
    "負の数を使うと、マスクした要素が同じ値になって重みを分け合います。-np.inf を使い、その行は"
    " 0 にしましょう",
}


def check_softmax(weights, scores, mask=None, rtol=1e-7):
    """weights = masked_softmax(scores, mask) against the definition, naming first the mistakes
    it can spot: NaN in a row with nothing allowed, overflow, weight on masked entries, and a
    uniform row where everything is masked."""
    scores = np.asarray(scores, dtype=float)
    allowed = np.broadcast_to(True if mask is None else mask, scores.shape)
    empty = ~allowed.any(axis=-1)  # (...,) rows with nothing allowed
    actual = assert_array(weights, scores.shape, "weights")
    bad = ~np.isfinite(actual)
    if bad.any():
        no_nan(actual, "masked_softmax", ALL_MASKED_NAN if bad[empty].any() else OVERFLOW)
    message = msg(**MASKED_WEIGHT)
    assert np.all(actual[~allowed & ~empty[..., None]] == 0), message
    if empty.any():
        S = scores.shape[-1]
        assert_not_mistake(
            actual[empty],
            np.full((int(empty.sum()), S), 1 / S),
            msg(**UNIFORM_ROW),
            correct=np.zeros((int(empty.sum()), S)),
        )
    assert_close(actual, naive_softmax(scores, mask), "masked_softmax(scores,mask)", rtol=rtol)


@pytest.mark.task("16.1")
@pytest.mark.checks("inputs")
def test_masked_softmax_leaves_its_inputs_alone(rng):
    scores = rng.standard_normal((2, 3, 4))
    mask = rng.random((2, 3, 4)) < 0.7
    assert_inputs_unchanged(attention.masked_softmax, scores, mask)
    assert_inputs_unchanged(attention.masked_softmax, scores, mask=None)


@pytest.mark.task("16.1")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_masked_softmax_returns_float64_of_the_shape_of_scores(rng, dtype):
    scores = rng.standard_normal((2, 3, 5)).astype(dtype)
    mask = causal(3, 5)  # (T, S): broadcast over the leading axis
    check_softmax(attention.masked_softmax(scores, mask), scores, mask)


@pytest.mark.task("16.1")
@pytest.mark.checks("mistake")
def test_masked_entries_get_exactly_zero_weight(rng):
    scores = rng.standard_normal((4, 6)) + 3.0  # positive: scores * mask is 0, not -inf
    mask = rng.random((4, 6)) < 0.5
    mask[:, 0] = True  # every row keeps one entry
    mask[0, 1:] = False
    check_softmax(attention.masked_softmax(scores, mask), scores, mask)


@pytest.mark.task("16.1")
@pytest.mark.checks("mistake")
def test_a_row_with_every_entry_masked_is_all_zeros_not_nan(rng):
    scores = rng.standard_normal((3, 4))
    mask = np.array([[True, False, True, True], [False] * 4, [True] * 4])
    weights = attention.masked_softmax(scores, mask)
    check_softmax(weights, scores, mask)
    assert_close(
        np.asarray(weights)[1], np.zeros(4), msg(en="the all-masked row", ja="すべてマスクされた行")
    )


@pytest.mark.task("16.1")
@pytest.mark.checks("mistake")
def test_masked_softmax_is_finite_and_right_at_huge_scores():
    scores = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4 + 2.0, 5e3]])
    mask = np.array([[True, True, True], [True, True, False]])
    weights = attention.masked_softmax(scores, mask)
    check_softmax(weights, scores, mask, rtol=HUGE_RTOL)
    e = math.exp(-1.0)
    e2 = math.exp(-2.0)
    expected = [[1 / (1 + e), e / (1 + e), 0.0], [e2 / (1 + e2), 1 / (1 + e2), 0.0]]
    assert_close(
        weights,
        expected,
        msg(en="masked_softmax at scores of ±1e4", ja="スコア ±1e4 での masked_softmax"),
        rtol=HUGE_RTOL,
    )


@pytest.mark.task("16.1")
def test_masked_softmax_hand_worked():
    # [1, 2, 3] with the middle one masked: e^1 / (e^1 + e^3) and e^3 / (e^1 + e^3)
    weights = attention.masked_softmax(np.array([1.0, 2.0, 3.0]), np.array([True, False, True]))
    e2 = math.exp(2.0)
    assert_close(weights, [1 / (1 + e2), 0.0, e2 / (1 + e2)], "masked_softmax([1,2,3])")
    # [0, ln 3]: 1 / (1 + 3) and 3 / (1 + 3)
    weights = attention.masked_softmax(np.array([[0.0, math.log(3.0)]]))
    assert_close(weights, [[0.25, 0.75]], "masked_softmax([0,ln3])")


@pytest.mark.task("16.1")
def test_masked_softmax_on_generated_scores_and_masks(rng):
    scores = rng.standard_normal((2, 3, 4, 7)) * 3
    mask = rng.random((2, 3, 4, 7)) < 0.6
    mask[0, 0, 0] = False  # and one row with nothing allowed
    weights = attention.masked_softmax(scores, mask)
    check_softmax(weights, scores, mask)
    weights = np.asarray(weights)
    allowed_rows = mask.any(axis=-1)
    sums = weights.sum(axis=-1)
    assert_close(
        sums[allowed_rows],
        np.ones(allowed_rows.sum()),
        msg(en="the sums of the rows", ja="各行の和"),
    )


@pytest.mark.task("16.1")
def test_masked_softmax_without_a_mask_is_the_plain_softmax(rng):
    scores = rng.standard_normal((3, 5)) * 2
    default = attention.masked_softmax(scores)
    assert_close(default, naive_softmax(scores), "masked_softmax(scores)")
    every = attention.masked_softmax(scores, np.ones((3, 5), dtype=bool))
    assert_close(
        default,
        every,
        msg(en="mask=None against an all-True mask", ja="mask=None と全 True のマスクの比較"),
    )


@pytest.mark.task("16.1")
def test_masked_softmax_ignores_a_constant_added_to_a_row(rng):
    scores = rng.standard_normal((4, 5))
    mask = rng.random((4, 5)) < 0.7
    mask[:, 2] = True
    shift = rng.uniform(-50, 50, (4, 1))
    assert_close(
        attention.masked_softmax(scores + shift, mask),
        naive_softmax(scores, mask),
        msg(
            en="masked_softmax(scores + c) against masked_softmax(scores)",
            ja="masked_softmax(scores + c) と masked_softmax(scores) の比較",
        ),
    )


@pytest.mark.task("16.1")
def test_masked_softmax_broadcasts_a_padding_mask(rng):
    scores = rng.standard_normal((2, 3, 4, 5))  # (B, H, T, S)
    mask = padding([2, 5], 5)  # (B, 1, 1, S)
    check_softmax(attention.masked_softmax(scores, mask), scores, mask)


# ================================================================ 16.2 scaled_dot_product_attention


def sdpa(q, k, v, mask=None):
    result = attention.scaled_dot_product_attention(q, k, v, mask)
    return assert_tuple(result, 2, "scaled_dot_product_attention", "(out, weights)")


def check_sdpa(result, q, k, v, mask=None, rtol=1e-7):
    """(out, weights) against the naive definition, naming the mistakes it can spot."""
    out, weights = result
    right_out, right_w = naive_attention(q, k, v, mask)
    D = q.shape[-1]
    assert_not_mistake(
        weights,
        naive_attention(q * math.sqrt(D), k, v, mask)[1],
        msg(
            en="the scores were not divided by sqrt(D): scores = q @ k^T / sqrt(D), with D = "
            "q.shape[-1] the head width",
            ja="スコアが sqrt(D) で割られていません。scores = q @ k^T / sqrt(D)(D = q.shape[-1] "
            "はヘッドの幅)です",
        ),
        correct=right_w,
    )
    assert_not_mistake(
        weights,
        naive_attention(q / math.sqrt(D), k, v, mask)[1],
        msg(
            en="the scores were divided by D, not by sqrt(D): the scale is 1 / sqrt(D)",
            ja="スコアが sqrt(D) ではなく D で割られています。スケールは 1 / sqrt(D) です",
        ),
        correct=right_w,
    )
    if mask is not None:
        inverted = ~np.broadcast_to(mask, right_w.shape)
        assert_not_mistake(
            weights,
            naive_attention(q, k, v, inverted)[1],
            msg(
                en="the mask is read the wrong way round: True means the query MAY attend "
                "to that key; your weights are non-zero exactly where the mask is False",
                ja="マスクの向きが逆です。True は「そのキーを見てよい」という意味ですが、"
                "重みがマスクの False のところだけ 0 でなくなっています",
            ),
            correct=right_w,
        )
    assert_close(weights, right_w, "weights", rtol=rtol)
    assert_close(out, right_out, "out", rtol=rtol)


@pytest.mark.task("16.2")
@pytest.mark.checks("inputs")
def test_attention_leaves_its_inputs_alone(rng):
    q, k, v = qkv(rng, 2, 2, 3, 4, 5)
    mask = causal(3, 4)
    assert_inputs_unchanged(attention.scaled_dot_product_attention, q, k, v, mask)
    assert_inputs_unchanged(attention.scaled_dot_product_attention, q, k, v)


@pytest.mark.task("16.2")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_attention_returns_float64_out_and_weights(rng, dtype):
    q, k, v = (a.astype(dtype) for a in qkv(rng, 2, 3, 4, 6, 5))  # T = 4 queries, S = 6 keys
    out, weights = sdpa(q, k, v)
    assert_array(out, (2, 3, 4, 5), "out")
    assert_array(weights, (2, 3, 4, 6), "weights")
    check_sdpa((out, weights), q, k, v)


@pytest.mark.task("16.2")
@pytest.mark.checks("mistake")
def test_attention_scales_by_sqrt_d_and_reads_the_mask_as_allowed(rng):
    q, k, v = qkv(rng, 2, 2, 5, 5, 4, scale=1.5)  # D = 4: sqrt(D) = 2 and D differ
    mask = causal(5) & padding([5, 3], 5)  # (B, 1, T, S)
    check_sdpa(sdpa(q, k, v, mask), q, k, v, mask)


@pytest.mark.task("16.2")
def test_attention_hand_worked():
    # D = 4, sqrt(D) = 2. The one query is (2, 0, 0, 0); the keys give scores 0 and
    # 2 ln 3 / 2 = ln 3, so the weights are 1/4 and 3/4, and out = 4/4 + 3 * 8/4 = 7.
    q = np.array([2.0, 0, 0, 0]).reshape(1, 1, 1, 4)
    k = np.array([[0.0, 0, 0, 0], [math.log(3.0), 0, 0, 0]]).reshape(1, 1, 2, 4)
    v = np.array([[4.0, 0, 0, 0], [8.0, 4, 0, 0]]).reshape(1, 1, 2, 4)
    out, weights = sdpa(q, k, v)
    assert_close(weights, np.array([0.25, 0.75]).reshape(1, 1, 1, 2), "weights")
    assert_close(out, np.array([7.0, 3.0, 0, 0]).reshape(1, 1, 1, 4), "out")


@pytest.mark.task("16.2")
def test_attention_on_generated_data_with_t_unlike_s(rng):
    q, k, v = qkv(rng, 2, 3, 4, 7, 3)
    mask = rng.random((2, 3, 4, 7)) < 0.6
    mask[..., 0] = True
    check_sdpa(sdpa(q, k, v, mask), q, k, v, mask)
    check_sdpa(sdpa(q, k, v), q, k, v)


@pytest.mark.task("16.2")
def test_causal_attention_never_looks_ahead(rng):
    q, k, v = qkv(rng, 3, 2, 6, 6, 4)
    mask = causal(6)
    out, weights = sdpa(q, k, v, mask)
    weights = np.asarray(weights, dtype=float)
    assert np.all(weights[..., ~mask] == 0), msg(
        en="weights above the diagonal must be exactly 0 under a causal mask: a query must "
        "not see later keys",
        ja="causal マスクでは対角より上の重みはちょうど 0 のはずです。クエリは後ろのキーを"
        "見てはいけません",
    )
    k2, v2 = k.copy(), v.copy()
    k2[:, :, -1] += 100.0  # changing the last key and value ...
    v2[:, :, -1] -= 100.0
    out2, _ = sdpa(q, k2, v2, mask)
    assert_close(
        np.asarray(out2)[:, :, :-1],
        np.asarray(out)[:, :, :-1],
        msg(
            en="outputs before the last position (after changing only the last key and value)",
            ja="最後の位置のキーと値だけを変えたあとの、それより前の位置の出力",
        ),
    )
    check_sdpa((out, weights), q, k, v, mask)


@pytest.mark.task("16.2")
def test_padded_keys_change_nothing(rng):
    q, k, v = qkv(rng, 2, 2, 4, 5, 3)
    mask = padding([3, 5], 5)  # row 0 has two padded keys at the end
    out, weights = sdpa(q, k, v, mask)
    k2, v2 = k.copy(), v.copy()
    k2[0, :, 3:] = rng.standard_normal((2, 2, 3)) * 50  # whatever sits in the padding ...
    v2[0, :, 3:] = 1e3
    out2, _ = sdpa(q, k2, v2, mask)
    assert_close(
        out2,
        out,
        msg(
            en="out after changing only padded keys and values",
            ja="パディングのキーと値だけを変えたあとの出力",
        ),
    )
    check_sdpa((out, weights), q, k, v, mask)


@pytest.mark.task("16.2")
def test_causal_and_padding_together_with_an_empty_row(rng):
    # left padding: row 0's first two keys are padding, so its first two queries see nothing
    q, k, v = qkv(rng, 2, 2, 5, 5, 3)
    keep = np.array([[False, False, True, True, True], [True] * 5])[:, None, None, :]
    mask = causal(5) & keep  # (B, 1, T, S)
    out, weights = sdpa(q, k, v, mask)
    no_nan(out, "out", ALL_MASKED_NAN)
    assert_close(
        np.asarray(out)[0, :, :2],
        np.zeros((2, 2, 3)),
        msg(en="out of queries that may attend to no key", ja="どのキーも見られないクエリの出力"),
    )
    check_sdpa((out, weights), q, k, v, mask)


@pytest.mark.task("16.2")
def test_attention_of_length_one_returns_the_value(rng):
    q, k, v = qkv(rng, 2, 3, 1, 1, 4)
    out, weights = sdpa(q, k, v, causal(1))
    assert_close(weights, np.ones((2, 3, 1, 1)), "weights")
    assert_close(out, v, "out")


@pytest.mark.task("16.2")
def test_attention_is_right_at_huge_scores(rng):
    q, k, v = qkv(rng, 1, 2, 4, 5, 2)
    q, k = q * 100, k * 100  # scores of order 1e4 / sqrt(2)
    out, weights = sdpa(q, k, v, causal(4, 5))
    no_nan(out, "out", OVERFLOW)
    right_out, right_w = naive_attention(q, k, v, causal(4, 5))
    assert_close(weights, right_w, "weights", rtol=HUGE_RTOL, atol=1e-9)
    assert_close(out, right_out, "out", rtol=HUGE_RTOL, atol=1e-9)


def attention_case(k, B, H, T, D):
    rng = np.random.default_rng(1000 + k)  # each timed run its own inputs
    return (*qkv(rng, B, H, T, T, D), causal(T))


def vectorised_attention(q, k, v, mask):
    scores = np.where(mask, q @ k.swapaxes(-1, -2) / math.sqrt(q.shape[-1]), -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights


# A Python loop pays its overhead (tens of microseconds for a softmax and two products) once
# per iteration, so each shape makes one kind of loop run thousands of times over tiny pieces
# of work: measured 100-400x the vectorised time on a busy 2-core machine, against a bound of
# 20x. Seven runs, not the usual three: on a machine shared by many processes one run in
# three can be stalled, and the fastest of seven is not.
PERF_SHAPES = {
    "heads": (1, 4096, 4, 4),  # a loop over the heads runs 4096 times
    "batch": (4096, 1, 4, 4),  # a loop over the batch runs 4096 times
    "pairs-of-positions": (1, 1, 256, 4),  # a loop over (t, s) runs 65536 times
}


@pytest.mark.task("16.2")
@pytest.mark.perf
@pytest.mark.parametrize("shape", PERF_SHAPES.values(), ids=PERF_SHAPES.keys())
def test_attention_is_vectorised(shape):
    B, H, T, D = shape
    assert_fast_enough(
        attention.scaled_dot_product_attention,
        vectorised_attention,
        lambda k: attention_case(k, B, H, T, D),
        msg(
            en=f"scaled_dot_product_attention on (B, H, T, D) = {shape}",
            ja=f"(B, H, T, D) = {shape} での scaled_dot_product_attention",
        ),
        msg(
            en="@ multiplies the last two axes and treats every leading axis as a batch: "
            "q @ k.swapaxes(-1, -2) gives all (B, H) score matrices at once. Look for a Python "
            "loop over the batch, the heads or the positions",
            ja="@ は最後の 2 軸で行列積をとり、それより前の軸はすべてバッチとして扱います。"
            "q @ k.swapaxes(-1, -2) で (B, H) 個のスコア行列が一度に求まります。バッチ・ヘッド・"
            "位置を回す Python のループがないか探しましょう",
        ),
        runs=7,
    )
    q, k, v, mask = attention_case(0, 2, 3, 4, 3)
    check_sdpa(sdpa(q, k, v, mask), q, k, v, mask)


# ================================================================ 16.3 split_heads / merge_heads


def naive_split(x, H):
    B, T, C = x.shape
    D = C // H
    out = np.zeros((B, H, T, D), dtype=x.dtype)
    for b, h, t, d in np.ndindex(B, H, T, D):
        out[b, h, t, d] = x[b, t, h * D + d]
    return out


def check_split(actual, x, H):
    B, T, C = x.shape
    D = C // H
    right = naive_split(x, H)
    assert_not_mistake(
        actual,
        x.reshape(B, H, T, D),
        msg(
            en="split_heads reshaped (B, T, C) straight to (B, H, T, D), which mixes positions "
            "and heads: reshape to (B, T, H, D) first, then move H in front of T "
            "(transpose(0, 2, 1, 3))",
            ja="split_heads が (B, T, C) を直接 (B, H, T, D) に reshape していて、位置とヘッドが"
            "混ざっています。先に (B, T, H, D) に reshape し、そのあと H を T の前へ "
            "(transpose(0, 2, 1, 3))",
        ),
        correct=right,
    )
    assert_not_mistake(
        actual,
        x.reshape(B, T, D, H).transpose(0, 3, 1, 2),
        msg(
            en="head h should hold the consecutive columns h*D .. (h+1)*D - 1 of x; yours holds "
            "every H-th column (h, h + H, ...): reshape to (B, T, H, D), not (B, T, D, H)",
            ja="ヘッド h は x の連続した列 h*D 〜 (h+1)*D - 1 を持つはずですが、H 列おき "
            "(h, h + H, …)になっています。(B, T, D, H) ではなく (B, T, H, D) に reshape しましょう",
        ),
        correct=right,
    )
    assert_close(actual, right, "split_heads(x,n_heads)")


def check_merge(actual, y):
    B, H, T, D = y.shape
    right = naive_split_inverse(y)
    assert_not_mistake(
        actual,
        y.reshape(B, T, H * D),
        msg(
            en="merge_heads reshaped (B, H, T, D) straight to (B, T, C), which mixes positions "
            "and heads: move H back behind T first (transpose(0, 2, 1, 3)), then reshape",
            ja="merge_heads が (B, H, T, D) を直接 (B, T, C) に reshape していて、位置とヘッドが"
            "混ざっています。先に H を T の後ろへ戻し (transpose(0, 2, 1, 3))、それから reshape",
        ),
        correct=right,
    )
    assert_close(actual, right, "merge_heads(x)")


def naive_split_inverse(y):
    B, H, T, D = y.shape
    out = np.zeros((B, T, H * D), dtype=y.dtype)
    for b, h, t, d in np.ndindex(B, H, T, D):
        out[b, t, h * D + d] = y[b, h, t, d]
    return out


@pytest.mark.task("16.3")
@pytest.mark.checks("inputs")
def test_split_and_merge_leave_their_inputs_alone(rng):
    assert_inputs_unchanged(attention.split_heads, rng.standard_normal((2, 3, 6)), 3)
    assert_inputs_unchanged(attention.merge_heads, rng.standard_normal((2, 3, 4, 2)))


@pytest.mark.task("16.3")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_split_and_merge_return_arrays_of_the_documented_shapes(rng, dtype):
    x = rng.standard_normal((2, 5, 12)).astype(dtype)
    split = assert_array(attention.split_heads(x, 4), (2, 4, 5, 3), "split_heads(x,4)", dtype)
    y = rng.standard_normal((2, 4, 5, 3)).astype(dtype)
    assert_array(attention.merge_heads(y), (2, 5, 12), "merge_heads(x)", dtype)
    check_split(split, x, 4)


@pytest.mark.task("16.3")
@pytest.mark.checks("mistake")
def test_split_and_merge_keep_positions_and_heads_apart(rng):
    x = rng.standard_normal((2, 3, 8))  # T = 3, H = 2, D = 4: no reshape mix-up coincides
    check_split(attention.split_heads(x, 2), x, 2)
    y = rng.standard_normal((2, 2, 3, 4))
    check_merge(attention.merge_heads(y), y)


@pytest.mark.task("16.3")
def test_split_heads_hand_worked():
    # x[0, t] = [10t, 10t + 1, ..., 10t + 5]; with 3 heads of width 2, head h at position t
    # holds columns 2h and 2h + 1
    x = (10.0 * np.arange(2)[:, None] + np.arange(6)[None, :])[None]  # (1, 2, 6)
    expected = np.array([[[0.0, 1], [10, 11]], [[2, 3], [12, 13]], [[4, 5], [14, 15]]])[None]
    assert_close(attention.split_heads(x, 3), expected, "split_heads(x,3)")
    assert_close(attention.merge_heads(expected), x, "merge_heads(split_heads(x,3))")


@pytest.mark.task("16.3")
@pytest.mark.parametrize("H", [1, 2, 3, 6])
def test_merge_undoes_split_for_any_number_of_heads(rng, H):
    x = rng.standard_normal((3, 4, 6))
    split = attention.split_heads(x, H)
    check_split(split, x, H)
    assert_close(
        attention.merge_heads(split),
        x,
        msg(en=f"merge_heads(split_heads(x, {H}))", ja=f"merge_heads(split_heads(x, {H}))"),
    )


@pytest.mark.task("16.3")
def test_merge_heads_on_generated_data(rng):
    y = rng.standard_normal((2, 3, 5, 2))
    check_merge(attention.merge_heads(y), y)
    assert_close(
        attention.split_heads(attention.merge_heads(y), 3), y, "split_heads(merge_heads(y),3)"
    )


# ================================================================ 16.4 multi-head attention


def mha_case(rng, B=2, T=4, C=6):
    x = rng.standard_normal((B, T, C))
    params = {f"W{n}": rng.standard_normal((C, C)) / math.sqrt(C) for n in "qkvo"}
    params.update({f"b{n}": rng.standard_normal(C) * 0.5 for n in "qkvo"})
    return x, params


def mha(x, params, n_heads, mask=None):
    result = attention.multi_head_attention(x, params, n_heads, mask)
    return assert_tuple(result, 2, "multi_head_attention", "(out, cache)")


def mha_backward(dout, cache):
    result = attention.multi_head_attention_backward(dout, cache)
    return assert_tuple(result, 2, "multi_head_attention_backward", "(dx, grads)")


def check_grads_dict(grads, params):
    assert isinstance(grads, dict), msg(
        en=f"grads should be a dict of arrays, got {type(grads).__name__}",
        ja=f"grads は配列の dict のはずですが、{type(grads).__name__} でした",
    )
    assert sorted(grads) == sorted(params), msg(
        en=f"grads should have the keys of params, {sorted(params)}; got {sorted(grads)}",
        ja=f"grads のキーは params と同じ {sorted(params)} のはずですが、{sorted(grads)} でした",
    )
    for key in PARAM_KEYS:
        assert_array(grads[key], params[key].shape, f"grads[{key!r}]")


def merged_heads(x, params, H, mask):
    """The (B, T, C) input of the output projection, computed here (naive_mha without Wo)."""
    plain = dict(params, Wo=np.eye(x.shape[-1]), bo=np.zeros(x.shape[-1]))
    return naive_mha(x, plain, H, mask)


@pytest.mark.task("16.4")
@pytest.mark.checks("inputs")
def test_multi_head_attention_leaves_its_inputs_alone(rng):
    x, params = mha_case(rng)
    mask = causal(4)
    out, cache = assert_inputs_unchanged(attention.multi_head_attention, x, params, 2, mask)
    dout = rng.standard_normal(np.shape(out))
    assert_inputs_unchanged(attention.multi_head_attention_backward, dout, cache)


@pytest.mark.task("16.4")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_multi_head_attention_returns_float64_arrays(rng, dtype):
    x, params = mha_case(rng, B=2, T=3, C=4)
    out, cache = mha(x.astype(dtype), params, 2)
    assert_array(out, (2, 3, 4), "out")
    dx, grads = mha_backward(rng.standard_normal((2, 3, 4)), cache)
    assert_array(dx, (2, 3, 4), "dx")
    check_grads_dict(grads, params)
    assert_close(out, naive_mha(x.astype(dtype), params, 2), "out")


@pytest.mark.task("16.4")
@pytest.mark.parametrize("H", [1, 2, 3])
def test_multi_head_attention_forward_on_generated_data(rng, H):
    x, params = mha_case(rng, B=2, T=5, C=6)
    mask = causal(5) & padding([5, 3], 5)  # (B, 1, T, T)
    out, _ = mha(x, params, H, mask)
    assert_close(out, naive_mha(x, params, H, mask), f"multi_head_attention(x,params,{H},mask)")
    out, _ = mha(x, params, H)
    assert_close(out, naive_mha(x, params, H), f"multi_head_attention(x,params,{H})")
    per_head = (rng.random((2, H, 5, 5)) < 0.5) | np.eye(5, dtype=bool)  # (B, H, T, T)
    out, _ = mha(x, params, H, per_head)
    assert_close(
        out, naive_mha(x, params, H, per_head), f"multi_head_attention(x,params,{H},per_head)"
    )


@pytest.mark.task("16.4")
def test_causal_multi_head_attention_never_looks_ahead(rng):
    x, params = mha_case(rng, B=2, T=5, C=6)
    out, _ = mha(x, params, 3, causal(5))
    x2 = x.copy()
    x2[:, -1] += 10.0  # only the last position changes ...
    out2, _ = mha(x2, params, 3, causal(5))
    assert_close(
        np.asarray(out2)[:, :-1],
        np.asarray(out)[:, :-1],
        msg(
            en="outputs before the last position (after changing only the last input)",
            ja="最後の入力だけを変えたあとの、それより前の位置の出力",
        ),
    )


def grad_check_case(rng, mask_kind):
    x, params = mha_case(rng, B=2, T=4, C=4)
    mask = {"none": None, "causal+padding": causal(4) & padding([4, 2], 4)}[mask_kind]
    dout = rng.standard_normal((2, 4, 4))
    return x, params, mask, dout


@pytest.mark.task("16.4")
@pytest.mark.parametrize("mask_kind", ["none", "causal+padding"])
def test_multi_head_attention_backward_matches_finite_differences(rng, mask_kind):
    x, params, mask, dout = grad_check_case(rng, mask_kind)
    _, cache = mha(x, params, 2, mask)
    dx, grads = mha_backward(dout, cache)
    x, params = x.copy(), {key: value.copy() for key, value in params.items()}

    def loss():
        return float(np.sum(naive_mha(x, params, 2, mask) * dout))

    assert_grad_close(dx, loss, x, "dx")
    check_grads_dict(grads, params)
    for key in PARAM_KEYS:
        if key == "bk":  # its gradient is 0 (see the closed forms), which differences cannot check
            continue
        assert_grad_close(grads[key], loss, params[key], what=f"grads[{key!r}]")


def paths_mha(xq, xk, xv, params, n_heads, mask=None) -> np.ndarray:
    """Multi-head attention with a separate input for each projection, vectorised here, so
    the gradient through one path (queries, keys or values) can be taken alone."""
    B, T, C = xq.shape
    D = C // n_heads

    def heads(x, n):  # (B, H, T, D), head h from columns h*D .. (h+1)*D - 1
        y = x @ params["W" + n] + params["b" + n]
        return np.stack([y[..., h * D : (h + 1) * D] for h in range(n_heads)], axis=1)

    scores = heads(xq, "q") @ heads(xk, "k").swapaxes(-1, -2) / math.sqrt(D)  # (B, H, T, T)
    if mask is not None:
        assert np.broadcast_to(mask, scores.shape).any(axis=-1).all(), msg(
            en="test bug: a row with nothing allowed", ja="テストの誤り: 見てよいキーのない行"
        )
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out = (e / e.sum(axis=-1, keepdims=True)) @ heads(xv, "v")  # (B, H, T, D)
    concat = np.concatenate([out[:, h] for h in range(n_heads)], axis=-1)  # (B, T, C)
    return concat @ params["Wo"] + params["bo"]


def path_grads(x, params, dout, n_heads, mask=None) -> dict[str, np.ndarray]:
    """d sum(out * dout) / dx through the queries, the keys and the values, each alone."""
    grads = {}
    for path in "qkv":
        inputs = {n: x.copy() for n in "qkv"}

        def loss(inputs=inputs):
            return float(np.sum(paths_mha(*inputs.values(), params, n_heads, mask) * dout))

        grads[path] = numerical_grad(loss, inputs[path])
    return grads


@pytest.mark.task("16.4")
@pytest.mark.checks("mistake")
def test_multi_head_attention_backward_avoids_the_common_mistakes(rng):
    x, params = mha_case(rng, B=2, T=4, C=6)
    H, D = 3, 2  # sqrt(D) = 1.41: a missing 1 / sqrt(D) shows
    dout = rng.standard_normal((2, 4, 6))
    _, cache = mha(x, params, H)
    dx, grads = mha_backward(dout, cache)
    check_grads_dict(grads, params)
    path = path_grads(x, params, dout, H)
    full = path["q"] + path["k"] + path["v"]
    close = {"rtol": 1e-4, "atol": 1e-6}  # finite differences on both sides
    for name in "qkv":
        assert_not_mistake(
            dx,
            path[name],
            msg(
                en="dx holds only one projection's part: x feeds the queries, the keys and the "
                "values, so dx is the sum of three terms (dx += dy @ W.T for each of Wq, Wk, Wv)",
                ja="dx に 1 つの射影の分しか入っていません。x はクエリ・キー・値の 3 つに入るので、"
                "dx は 3 つの項の和です(Wq, Wk, Wv のそれぞれで dx += dy @ W.T)",
            ),
            correct=full,
            **close,
        )
    assert_not_mistake(
        dx,
        path["v"] + math.sqrt(D) * (path["q"] + path["k"]),
        msg(
            en="dq and dk lack the 1 / sqrt(D) of the scores: scores = q @ k^T / sqrt(D), so "
            "dscores is divided by sqrt(D) before it reaches q and k",
            ja="dq と dk にスコアの 1 / sqrt(D) がありません。scores = q @ k^T / sqrt(D) なので、"
            "dscores を q と k に流す前に sqrt(D) で割ります",
        ),
        correct=full,
        **close,
    )
    summed = (dout @ params["Wo"].T).sum(axis=(0, 1))  # dbv: see the closed forms below
    assert_not_mistake(
        grads["bv"],
        summed / (2 * 4),
        msg(
            en="the bias gradients were averaged over batch and positions: every position "
            "adds the same bias, so its gradient is the sum over B and T",
            ja="バイアスの勾配がバッチと位置について平均されています。バイアスはどの位置にも"
            "同じものが足されるので、勾配は B と T についての和です",
        ),
        correct=summed,
    )
    assert_close(dx, full, "dx", **close)


@pytest.mark.task("16.4")
def test_multi_head_attention_backward_closed_forms(rng):
    # beside the finite differences: dbo and dWo from the output projection; dbv is the sum
    # of dout @ Wo^T, since every row of weights sums to 1; dbk = 0, since bk adds the same
    # q . bk to a whole row of scores, which softmax ignores
    x, params = mha_case(rng, B=2, T=5, C=6)
    mask = causal(5) & padding([5, 2], 5)
    dout = rng.standard_normal((2, 5, 6))
    _, cache = mha(x, params, 2, mask)
    _, grads = mha_backward(dout, cache)
    check_grads_dict(grads, params)
    concat = merged_heads(x, params, 2, mask)  # (B, T, C)
    assert_close(grads["bo"], dout.sum(axis=(0, 1)), "grads['bo']")
    assert_close(grads["Wo"], concat.reshape(-1, 6).T @ dout.reshape(-1, 6), "grads['Wo']")
    assert_close(grads["bv"], (dout @ params["Wo"].T).sum(axis=(0, 1)), "grads['bv']")
    assert_close(grads["bk"], np.zeros(6), "grads['bk']", atol=1e-9)


@pytest.mark.task("16.4")
def test_multi_head_attention_with_one_head_is_plain_attention(rng):
    x, params = mha_case(rng, B=1, T=3, C=4)
    out, _ = mha(x, params, 1)
    q, k, v = ((x @ params["W" + n] + params["b" + n])[:, None] for n in "qkv")
    heads = naive_attention(q, k, v)[0][:, 0]  # (B, T, C)
    assert_close(out, heads @ params["Wo"] + params["bo"], "multi_head_attention(x,params,1)")


# ================================================================ 16.5 flash_attention


def flash(q, k, v, **kwargs):
    return attention.flash_attention(q, k, v, **kwargs)


def unrescaled(q, k, v, is_causal, block_size):
    """What the tiled loop returns when the sums built under an old max are never rescaled
    by exp(old max - new max) (the scores are all computed here at once: the sizes are tiny)."""
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    T, S = q.shape[-2], k.shape[-2]
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(q.shape[-1])
    if is_causal:
        scores = np.where(causal(T, S), scores, -np.inf)
    top = np.full((*scores.shape[:-1], 1), -np.inf)
    total, acc = 0.0, 0.0
    for s0 in range(0, S, block_size):
        block = scores[..., s0 : s0 + block_size]
        top = np.maximum(top, block.max(axis=-1, keepdims=True))
        p = np.exp(block - top)
        total, acc = (
            total + p.sum(axis=-1, keepdims=True),
            acc + p @ v[..., s0 : s0 + block_size, :],
        )
    return acc / total


def check_flash(out, q, k, v, is_causal, block_size):
    """out = flash_attention(q, k, v, causal=is_causal, block_size=block_size) against the
    naive definition, naming the mistakes it can spot first."""
    T, S = q.shape[-2], k.shape[-2]
    mask = causal(T, S) if is_causal else None
    right = naive_attention(q, k, v, mask)[0]
    assert_array(out, q.shape, "flash_attention")
    kept = S // block_size * block_size  # the keys in whole blocks
    if 0 < kept < S:
        assert_not_mistake(
            out,
            naive_attention(
                q, k[..., :kept, :], v[..., :kept, :], None if mask is None else mask[:, :kept]
            )[0],
            msg(
                en=f"the last, shorter block of keys was left out (S = {S}, block_size = "
                f"{block_size}: keys {kept} .. {S - 1}): loop over range(0, S, block_size) and "
                "slice k[..., s0:s0 + block_size, :], which simply ends at S",
                ja=f"最後の短いキーのブロックが抜けています(S = {S}、block_size = {block_size}: "
                f"キー {kept} 〜 {S - 1})。range(0, S, block_size) で回し、"
                "k[..., s0:s0 + block_size, :] で切り出せば S で自然に終わります",
            ),
            correct=right,
        )
    assert_not_mistake(
        out,
        unrescaled(q, k, v, is_causal, block_size),
        msg(
            en="when a later block brings a larger score, the row sum and the weighted sum of "
            "values built under the old max must be multiplied by exp(old max - new max) "
            "before the block's own terms are added",
            ja="後のブロックでより大きなスコアが現れたら、古い最大値で積み上げた行の和と値の"
            "重み付き和に exp(古い最大値 - 新しい最大値) を掛けてから、そのブロックの項を"
            "足します",
        ),
        correct=right,
    )
    if is_causal and T > 1:
        strict = naive_attention(q, k, v, np.arange(S)[None, :] < np.arange(T)[:, None])[0]
        assert_not_mistake(
            np.asarray(out, dtype=float)[..., 1:, :],
            strict[..., 1:, :],
            msg(
                en="causal: query t may attend to keys 0 .. t, itself included (s <= t); "
                "yours leaves out its own position (s < t)",
                ja="causal: クエリ t が見てよいのはキー 0 〜 t で、自分自身も含みます(s <= t)。"
                "自分の位置が抜けています(s < t)",
            ),
            correct=right[..., 1:, :],
        )
    no_nan(out, "flash_attention", OVERFLOW)
    assert_close(out, right, f"flash_attention(causal={is_causal},block_size={block_size})")


@pytest.mark.task("16.5")
@pytest.mark.checks("inputs")
def test_flash_attention_leaves_its_inputs_alone(rng):
    q, k, v = qkv(rng, 2, 2, 5, 5, 3)
    assert_inputs_unchanged(attention.flash_attention, q, k, v, causal=True, block_size=2)
    assert_inputs_unchanged(attention.flash_attention, q, k, v)


@pytest.mark.task("16.5")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_flash_attention_returns_float64_of_the_shape_of_q(rng, dtype):
    q, k, v = (a.astype(dtype) for a in qkv(rng, 2, 3, 5, 7, 4))  # T = 5, S = 7
    out = flash(q, k, v, causal=False, block_size=3)
    assert_array(out, (2, 3, 5, 4), "flash_attention(q,k,v)")
    check_flash(out, q, k, v, False, 3)


@pytest.mark.task("16.5")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("is_causal", [False, True], ids=["full", "causal"])
def test_flash_attention_avoids_the_common_mistakes(rng, is_causal):
    q, k, v = qkv(rng, 2, 2, 9, 9, 3)
    k = k + np.linspace(0, 3, 9)[:, None] * q.mean(axis=2, keepdims=True)  # later keys score higher
    check_flash(flash(q, k, v, causal=is_causal, block_size=4), q, k, v, is_causal, 4)


@pytest.mark.task("16.5")
@pytest.mark.parametrize("block_size", [1, 2, 3, 5, 7, 8, 64])
@pytest.mark.parametrize("is_causal", [False, True], ids=["full", "causal"])
def test_flash_attention_equals_exact_attention_for_any_block_size(rng, block_size, is_causal):
    q, k, v = qkv(rng, 2, 2, 7, 7, 3, scale=1.5)
    check_flash(
        flash(q, k, v, causal=is_causal, block_size=block_size), q, k, v, is_causal, block_size
    )


@pytest.mark.task("16.5")
@pytest.mark.parametrize(("T", "S"), [(4, 9), (9, 4)], ids=["fewer-queries", "more-queries"])
@pytest.mark.parametrize("is_causal", [False, True], ids=["full", "causal"])
def test_flash_attention_with_t_unlike_s(rng, T, S, is_causal):
    q, k, v = qkv(rng, 1, 2, T, S, 3)
    check_flash(flash(q, k, v, causal=is_causal, block_size=3), q, k, v, is_causal, 3)


@pytest.mark.task("16.5")
def test_flash_attention_hand_worked():
    # the example of 16.2 one key per block: weights 1/4 and 3/4 found in two steps
    q = np.array([2.0, 0, 0, 0]).reshape(1, 1, 1, 4)
    k = np.array([[0.0, 0, 0, 0], [math.log(3.0), 0, 0, 0]]).reshape(1, 1, 2, 4)
    v = np.array([[4.0, 0, 0, 0], [8.0, 4, 0, 0]]).reshape(1, 1, 2, 4)
    out = flash(q, k, v, causal=False, block_size=1)
    assert_close(
        out, np.array([7.0, 3.0, 0, 0]).reshape(1, 1, 1, 4), "flash_attention(block_size=1)"
    )


@pytest.mark.task("16.5")
def test_flash_attention_defaults_are_full_attention_in_blocks_of_64(rng):
    q, k, v = qkv(rng, 1, 2, 70, 70, 2)  # more than one default block
    out = flash(q, k, v)
    assert_close(
        out,
        flash(q, k, v, causal=False, block_size=64),
        msg(
            en="flash_attention(q, k, v) against causal=False, block_size=64",
            ja="flash_attention(q, k, v) と causal=False, block_size=64 の比較",
        ),
    )
    check_flash(out, q, k, v, False, 64)


@pytest.mark.task("16.5")
def test_flash_attention_of_length_one_returns_the_value(rng):
    q, k, v = qkv(rng, 2, 2, 1, 1, 3)
    for is_causal in (False, True):
        assert_close(
            flash(q, k, v, causal=is_causal, block_size=4),
            v,
            msg(
                en=f"flash_attention of one position (causal={is_causal})",
                ja=f"長さ 1 の flash_attention(causal={is_causal})",
            ),
        )


@pytest.mark.task("16.5")
@pytest.mark.parametrize("is_causal", [False, True], ids=["full", "causal"])
def test_flash_attention_is_right_at_huge_scores(rng, is_causal):
    q, k, v = qkv(rng, 1, 2, 6, 6, 2)
    q, k = q * 100, k * 100  # scores of order 1e4
    out = flash(q, k, v, causal=is_causal, block_size=4)
    no_nan(out, "flash_attention", OVERFLOW)
    right = naive_attention(q, k, v, causal(6) if is_causal else None)[0]
    assert_close(
        out,
        right,
        msg(en="flash_attention at scores of ±1e4", ja="スコア ±1e4 での flash_attention"),
        rtol=HUGE_RTOL,
        atol=1e-9,
    )


@pytest.mark.task("16.5")
def test_causal_flash_attention_never_looks_ahead(rng):
    q, k, v = qkv(rng, 1, 2, 8, 8, 3)
    out = np.asarray(flash(q, k, v, causal=True, block_size=3), dtype=float)
    k2, v2 = k.copy(), v.copy()
    k2[..., 5:, :] += 50.0
    v2[..., 5:, :] -= 50.0
    out2 = np.asarray(flash(q, k2, v2, causal=True, block_size=3), dtype=float)
    assert_close(
        out2[..., :5, :],
        out[..., :5, :],
        msg(
            en="outputs of positions 0 .. 4 (after changing only keys and values 5 .. 7)",
            ja="キーと値 5 〜 7 だけを変えたあとの、位置 0 〜 4 の出力",
        ),
    )


def peak_bytes(function, *args, **kwargs) -> tuple[object, int]:
    """(result, the largest memory NumPy and Python held at once during the call, beyond
    what was held before), by tracemalloc, which sees every NumPy array's data."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = function(*args, **kwargs)
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.task("16.5")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("is_causal", [False, True], ids=["full", "causal"])
def test_flash_attention_never_holds_a_t_by_s_array(rng, is_causal):
    # one (T, S) float64 array is 32 MiB here; the tiles of 16 keys need (T, 16) arrays,
    # 256 KiB each. A quarter of (T, S) is far from both, so the bound cannot flake.
    T = S = 2048
    q, k, v = qkv(rng, 1, 1, T, S, 8)
    out, peak = peak_bytes(attention.flash_attention, q, k, v, causal=is_causal, block_size=16)
    limit = T * S * 8 // 4
    assert peak < limit, msg(
        en=f"flash_attention held {peak / 2**20:.1f} MiB at once at T = S = {T}; a (T, S) "
        f"float64 array is {T * S * 8 / 2**20:.0f} MiB, and the tiled version may use at most "
        f"{limit / 2**20:.0f} MiB: work on one block of keys at a time and never build the "
        "full scores (or the full mask)",
        ja=f"T = S = {T} で flash_attention が一度に {peak / 2**20:.1f} MiB を使いました。(T, S) の "
        f"float64 配列は {T * S * 8 / 2**20:.0f} MiB で、タイル版に許されるのは "
        f"{limit / 2**20:.0f} MiB までです。キーのブロックを 1 つずつ処理し、スコア全体"
        "(やマスク全体)を作らないようにしましょう",
    )
    rows = [0, 1, 1000, T - 1]  # a few rows by the definition
    mask = causal(T, S)[rows] if is_causal else None
    right = naive_attention(q[..., rows, :], k, v, mask)[0]
    assert_close(
        np.asarray(out)[..., rows, :],
        right,
        msg(en=f"rows {rows} of flash_attention", ja=f"flash_attention の行 {rows}"),
    )


@pytest.mark.task("16.4")
def test_multi_head_attention_hand_worked():
    # the README's example: Wq = Wk = 0 make every score 0, so the weights are uniform over
    # the allowed keys; Wv = Wo = I pass the values through: out is a mean of the inputs
    eye, zero = np.eye(2), np.zeros((2, 2))
    params = {"Wq": zero, "Wk": zero, "Wv": eye, "Wo": eye}
    params.update({f"b{n}": np.zeros(2) for n in "qkvo"})
    x = np.array([[[2.0, 0.0], [0.0, 4.0]]])  # (1, 2, 2)
    out, _ = mha(x, params, 1)
    assert_close(
        out, [[[1.0, 2.0], [1.0, 2.0]]], msg(en="out without a mask", ja="マスクなしの out")
    )
    out, _ = mha(x, params, 1, causal(2))
    assert_close(
        out,
        [[[2.0, 0.0], [1.0, 2.0]]],
        msg(en="out with a causal mask", ja="causal マスクでの out"),
    )
