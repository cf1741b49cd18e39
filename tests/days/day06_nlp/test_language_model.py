"""day06 suite, language_model.py: the add-k n-gram model against counts kept in a dict here, on
hand-worked English-free id sequences and on すもももももももものうち, every context's row summing
to 1 (unseen contexts too), unseen n-grams keeping a probability above 0; perplexity against a
plain loop, its closed forms (V for the uniform model, 1 for a certain one), no underflow on long
texts. Every README mistake is named by what it would return."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    implementation,
    msg,
    num,
)

lm = implementation("day06_nlp.language_model")

# すもももももももものうち, one token per character, ids into the sorted vocabulary
SUMOMO = "すもももももももものうち"
SUMOMO_VOCABULARY = sorted(set(SUMOMO))  # ['う', 'す', 'ち', 'の', 'も']
SUMOMO_IDS = np.array([SUMOMO_VOCABULARY.index(c) for c in SUMOMO])
U, SU, CHI, NO, MO = range(5)

# the README's worked example: V = 3, ids 0 1 0 1 2, bigrams (0,1) twice, (1,0), (1,2)
EXAMPLE_IDS = np.array([0, 1, 0, 1, 2])
EXAMPLE_PROBS = np.array(
    [
        [1 / 5, 3 / 5, 1 / 5],  # after 0: (0 + 1, 2 + 1, 0 + 1) / (2 + 3)
        [2 / 5, 1 / 5, 2 / 5],  # after 1: (1 + 1, 0 + 1, 1 + 1) / (2 + 3)
        [1 / 3, 1 / 3, 1 / 3],  # after 2: never followed by anything, uniform
    ]
)


def naive_counts(ids, V: int, n: int) -> dict[tuple, int]:
    return Counter(tuple(int(i) for i in ids[t : t + n]) for t in range(len(ids) - n + 1))


def naive_model(ids, V: int, n: int, k: float) -> np.ndarray:
    """probs[c + (w,)] = (count(c, w) + k) / (sum_w' count(c, w') + k V), entry by entry."""
    counts = naive_counts(ids, V, n)
    probs = np.zeros((V,) * n)
    for index in np.ndindex(*probs.shape):
        context = index[:-1]
        row = sum(counts.get(context + (w,), 0) for w in range(V))
        probs[index] = (counts.get(index, 0) + k) / (row + k * V)
    return probs


def generated_text(rng, V: int, T: int) -> np.ndarray:
    """T ids of a V-token vocabulary from a sticky chain, so n-grams repeat and some are unseen."""
    ids = [int(rng.integers(V))]
    for _ in range(T - 1):
        ids.append(ids[-1] if rng.random() < 0.4 else int(rng.integers(V)))
    return np.array(ids)


def rows_sum_to_one(probs, what: str) -> None:
    sums = np.asarray(probs, dtype=float).sum(axis=-1)
    worst = np.unravel_index(np.argmax(np.abs(sums - 1)), sums.shape)
    assert np.allclose(sums, 1.0), msg(
        en=f"every context's probabilities should sum to 1 in {what}; context {worst} sums to "
        f"{num(sums[worst])}",
        ja=f"{what} では文脈ごとの確率の和が 1 のはずですが、文脈 {worst} の和は {num(sums[worst])} です",
    )


# ---------------------------------------------------------------- 6.5 ngram_probabilities


@pytest.mark.task("6.5")
@pytest.mark.checks("inputs")
def test_ngram_probabilities_leaves_the_ids_alone(rng):
    assert_inputs_unchanged(lm.ngram_probabilities, generated_text(rng, 4, 20), 4, 2, 0.5)


@pytest.mark.task("6.5")
@pytest.mark.checks("types")
def test_ngram_probabilities_has_one_axis_of_length_V_per_token_of_the_window(rng):
    ids = generated_text(rng, 4, 12).astype(np.int32)
    for n in (1, 2, 3):
        assert_array(
            lm.ngram_probabilities(ids, 4, n, 1.0), (4,) * n, f"ngram_probabilities(n={n})"
        )


@pytest.mark.task("6.5")
@pytest.mark.checks("mistake")
def test_ngram_probabilities_counts_a_repeated_ngram_each_time():
    ids = np.array([0, 1, 0, 1, 0, 1, 2])  # (0, 1) three times, (1, 0) twice
    counts = np.zeros((3, 3))
    counts[0, 1] = counts[1, 0] = counts[1, 2] = 1  # each seen n-gram once
    once = (counts + 1) / (counts + 1).sum(axis=1, keepdims=True)
    assert_not_mistake(
        lm.ngram_probabilities(ids, 3, 2, 1.0),
        once,
        msg(
            en="ngram_probabilities counted a repeated n-gram once: counts[tuple(windows.T)] += 1 "
            "adds 1 once per distinct index. Use np.add.at(counts, tuple(windows.T), 1)",
            ja="ngram_probabilities が繰り返し出た n-gram を 1 回しか数えていません。"
            "counts[tuple(windows.T)] += 1 は同じ添字に 1 回しか足しません。"
            "np.add.at(counts, tuple(windows.T), 1) を使いましょう",
        ),
    )


@pytest.mark.task("6.5")
@pytest.mark.checks("mistake")
def test_ngram_probabilities_divides_by_the_row_of_ngram_counts_plus_kV(rng):
    V, k = 5, 0.5
    ids = generated_text(rng, V, 30)
    actual = lm.ngram_probabilities(ids, V, 2, k)
    counts = np.zeros((V, V))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    occurrences = np.bincount(ids, minlength=V)[:, None]  # (V, 1), the last token included
    assert_not_mistake(
        actual,
        (counts + k) / (occurrences + k * V),
        msg(
            en="ngram_probabilities divided by how often the context occurs in the text; the last "
            "token is followed by nothing, so that row no longer sums to 1. Divide by the sum of "
            "the context's row of n-gram counts, plus k V",
            ja="ngram_probabilities が文脈のテキスト中の出現回数で割っています。最後のトークンの後ろには"
            "何も続かないので、その行の和が 1 になりません。文脈の行の n-gram の回数の合計に k V を"
            "足したもので割りましょう",
        ),
    )
    row = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        for without_kV in ((counts + k) / row, (counts + k) / (row + k)):
            assert_not_mistake(
                actual,
                without_kV,
                msg(
                    en="the denominator of ngram_probabilities lacks k V: k is added to each of the V "
                    "counts of a row, so the row's total grows by k V, and only then does it sum to 1",
                    ja="ngram_probabilities の分母に k V がありません。k は行の V 個の回数それぞれに"
                    "足されるので、行の合計は k V 増えます。そうして初めて和が 1 になります",
                ),
            )


@pytest.mark.task("6.5")
def test_ngram_probabilities_by_hand():
    assert_close(lm.ngram_probabilities(EXAMPLE_IDS, 3, 2, 1.0), EXAMPLE_PROBS, "probs")
    # k = 0.5: after 0 the counts are (0, 2, 0), so (0.5, 2.5, 0.5) / 3.5
    half = lm.ngram_probabilities(EXAMPLE_IDS, 3, 2, 0.5)
    assert_close(
        np.asarray(half)[0],
        np.array([1, 5, 1]) / 7,
        msg(en="probs[0] with k = 0.5", ja="k = 0.5 での probs[0]"),
    )


@pytest.mark.task("6.5")
def test_ngram_probabilities_of_sumomo():
    """す も×8 の う ち: bigrams (す,も) 1, (も,も) 7, (も,の) 1, (の,う) 1, (う,ち) 1; V = 5."""
    probs = np.asarray(lm.ngram_probabilities(SUMOMO_IDS, 5), dtype=float)
    assert_close(
        probs[MO, MO],
        8 / 13,
        msg(en="P(mo | mo) = (7 + 1) / (8 + 5)", ja="P(も | も) = (7 + 1) / (8 + 5)"),
    )
    assert_close(
        probs[MO, NO],
        2 / 13,
        msg(en="P(no | mo) = (1 + 1) / (8 + 5)", ja="P(の | も) = (1 + 1) / (8 + 5)"),
    )
    assert_close(
        probs[SU, MO],
        2 / 6,
        msg(en="P(mo | su) = (1 + 1) / (1 + 5)", ja="P(も | す) = (1 + 1) / (1 + 5)"),
    )
    assert_close(
        probs[CHI],
        np.full(5, 1 / 5),
        msg(
            en="P(. | chi): chi ends the text, a context never seen",
            ja="P(. | ち): ち は末尾なので、一度も見ていない文脈です",
        ),
    )


@pytest.mark.task("6.5")
def test_ngram_probabilities_defaults_are_a_bigram_with_add_one():
    assert_close(
        lm.ngram_probabilities(SUMOMO_IDS, 5),
        lm.ngram_probabilities(SUMOMO_IDS, 5, n=2, k=1.0),
        msg(
            en="ngram_probabilities(ids, V) with the defaults n = 2, k = 1",
            ja="既定値 n = 2, k = 1 での ngram_probabilities(ids, V)",
        ),
    )


@pytest.mark.task("6.5")
def test_unigram_and_a_single_window():
    # n = 1: (count(w) + k) / (T + k V); ids 0 1 0 1 2: counts (2, 2, 1), T = 5
    assert_close(
        lm.ngram_probabilities(EXAMPLE_IDS, 3, 1, 1.0), np.array([3, 3, 2]) / 8, "unigram_probs"
    )
    # T = n = 3: one trigram (2, 0, 1), everything else uniform
    probs = np.asarray(lm.ngram_probabilities(np.array([2, 0, 1]), 3, 3, 1.0), dtype=float)
    expected = np.full((3, 3, 3), 1 / 3)
    expected[2, 0] = [1 / 4, 2 / 4, 1 / 4]
    assert_close(
        probs,
        expected,
        msg(en="trigram probs of the text 2 0 1", ja="テキスト 2 0 1 のトライグラム確率"),
    )


@pytest.mark.task("6.5")
def test_every_context_sums_to_one_and_unseen_ngrams_stay_above_zero(rng):
    for n in (1, 2, 3):
        V, k = int(rng.integers(3, 7)), float(rng.uniform(0.1, 2.0))
        probs = lm.ngram_probabilities(generated_text(rng, V, 25), V, n, k)
        rows_sum_to_one(probs, f"ngram_probabilities(n={n}, k={num(k)})")
        smallest = float(np.min(probs))
        assert smallest > 0, msg(
            en=f"with k = {num(k)} every n-gram, seen or not, should have a probability above 0; "
            f"the smallest is {num(smallest)}",
            ja=f"k = {num(k)} なら、見たことがあってもなくても、どの n-gram の確率も 0 より大きいはずですが、"
            f"最小値は {num(smallest)} です",
        )


@pytest.mark.task("6.5")
def test_ngram_probabilities_on_generated_text(rng):
    for n in (1, 2, 3):
        V, k = int(rng.integers(2, 6)), float(rng.uniform(0.05, 3.0))
        ids = generated_text(rng, V, int(rng.integers(n, 30)))
        assert_close(
            lm.ngram_probabilities(ids, V, n, k), naive_model(ids, V, n, k), f"probs(n={n})"
        )


# ---------------------------------------------------------------- 6.6 perplexity


def naive_perplexity(probs: np.ndarray, ids) -> float:
    n, total, count = probs.ndim, 0.0, 0
    for t in range(n - 1, len(ids)):
        p = probs[tuple(int(i) for i in ids[t - n + 1 : t + 1])]
        total += -math.log(p)
        count += 1
    return math.exp(total / count)


def random_model(rng, V: int, n: int) -> np.ndarray:
    return rng.dirichlet(np.ones(V), size=(V,) * (n - 1)) if n > 1 else rng.dirichlet(np.ones(V))


@pytest.mark.task("6.6")
@pytest.mark.checks("inputs")
def test_perplexity_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(lm.perplexity, random_model(rng, 4, 2), generated_text(rng, 4, 15))


@pytest.mark.task("6.6")
@pytest.mark.checks("types")
def test_perplexity_is_a_python_float(rng):
    value = lm.perplexity(random_model(rng, 4, 2), generated_text(rng, 4, 15))
    assert_scalar(value, msg(en="the perplexity", ja="パープレキシティ"))


@pytest.mark.task("6.6")
@pytest.mark.checks("mistake")
def test_perplexity_averages_over_the_predicted_tokens_with_a_minus(rng):
    for n in (2, 3):
        probs, ids = random_model(rng, 4, n), generated_text(rng, 4, 12)
        actual = lm.perplexity(probs, ids)
        right = naive_perplexity(probs, ids)
        assert_not_mistake(
            actual,
            right ** ((len(ids) - n + 1) / len(ids)),
            msg(
                en=f"perplexity divided by all T = {len(ids)} tokens; only the T - n + 1 = "
                f"{len(ids) - n + 1} tokens that have n - 1 = {n - 1} tokens before them are "
                "predicted, so the mean is over those",
                ja=f"perplexity が T = {len(ids)} 個すべてで割っています。予測されるのは前に n - 1 = {n - 1} "
                f"個のトークンがある T - n + 1 = {len(ids) - n + 1} 個だけなので、平均はその個数で取ります",
            ),
        )
        assert_not_mistake(
            actual,
            1 / right,
            msg(
                en="perplexity returned 1 / perplexity (a number below 1): it is exp of MINUS the "
                "mean log-probability, since log-probabilities are negative",
                ja="perplexity が 1 / パープレキシティ(1 より小さい数)を返しています。対数確率は負なので、"
                "平均対数確率にマイナスを付けてから exp を取ります",
            ),
        )


@pytest.mark.task("6.6")
@pytest.mark.checks("mistake")
def test_perplexity_of_a_long_text_does_not_underflow(rng):
    V = 50
    ids = rng.integers(V, size=5000)
    value = lm.perplexity(np.full((V, V), 1 / V), ids)
    assert not (isinstance(value, float) and math.isinf(value)), msg(
        en="perplexity of 5000 tokens is inf: the product of 5000 probabilities of 1/50 "
        "underflows to 0. Average the logs, exp(-mean(log p)), instead of multiplying",
        ja="5000 トークンのパープレキシティが inf になりました。1/50 の確率を 5000 個掛けると"
        "アンダーフローして 0 になります。掛け算ではなく対数の平均 exp(-mean(log p)) を使いましょう",
    )
    assert_close(
        value,
        float(V),
        msg(
            en="the uniform model's perplexity on 5000 tokens",
            ja="5000 トークンでの一様モデルのパープレキシティ",
        ),
    )


@pytest.mark.task("6.6")
def test_perplexity_by_hand():
    # ids 0 1 2 under the worked example: P(1 | 0) = 3/5, P(2 | 1) = 2/5
    expected = math.sqrt(25 / 6)  # (3/5 * 2/5) ** (-1/2)
    assert_close(
        lm.perplexity(EXAMPLE_PROBS, np.array([0, 1, 2])),
        expected,
        msg(en="perplexity of 0 1 2", ja="0 1 2 のパープレキシティ"),
    )
    assert_close(
        lm.perplexity(np.full((7, 7), 1 / 7), np.array([3, 1, 4, 1, 5])),
        7.0,
        msg(en="the uniform model's perplexity (V = 7)", ja="一様モデルのパープレキシティ(V = 7)"),
    )
    certain = np.eye(3)[[1, 2, 0]]  # always 0 -> 1 -> 2 -> 0
    assert_close(
        lm.perplexity(certain, np.array([0, 1, 2, 0, 1])),
        1.0,
        msg(
            en="a certain, right model's perplexity",
            ja="確信を持って正解するモデルのパープレキシティ",
        ),
    )


@pytest.mark.task("6.6")
def test_perplexity_is_inf_for_a_zero_probability():
    probs = np.array([[0.0, 1.0], [0.5, 0.5]])  # 0 is never followed by 0
    value = lm.perplexity(probs, np.array([1, 0, 0]))
    assert isinstance(value, float) and value == math.inf, msg(
        en=f"a predicted token of probability 0 should give perplexity inf, got {num(value)}",
        ja=f"予測するトークンの確率が 0 ならパープレキシティは inf のはずですが、{num(value)} でした",
    )


@pytest.mark.task("6.6")
def test_perplexity_on_generated_models(rng):
    for n in (1, 2, 3):
        V = int(rng.integers(2, 6))
        probs, ids = random_model(rng, V, n), generated_text(rng, V, int(rng.integers(n, 25)))
        assert_close(lm.perplexity(probs, ids), naive_perplexity(probs, ids), f"perplexity(n={n})")
