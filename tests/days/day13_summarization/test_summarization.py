"""day13 suite, summarization.py: the sentence splitter on Japanese and English texts (runs of
terminators, text after the last one, whitespace, empty input) and on texts assembled here from
random sentences; centroid scores against a loop; TextRank against the stationary vector got by
solving (I - d P.T) r = (1 - d) / N here, on a graph worked by hand (20/43, 20/43, 3/43) and on
generated ones, with the stopping rule replayed step by step; MMR against a greedy loop written
here, and a near-duplicate it must skip; ROUGE-1/2/L on hand-worked pairs and against Counter
overlaps and a recursive LCS written here. Every README mistake is named by what it returns."""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

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
    num,
)

summarization = implementation("day13_summarization.summarization")


def naive_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sim = np.zeros((len(a), len(b)))
    for i, u in enumerate(a):
        for j, v in enumerate(b):
            nu, nv = math.sqrt(float(u @ u)), math.sqrt(float(v @ v))
            sim[i, j] = 0.0 if nu == 0 or nv == 0 else float(u @ v) / (nu * nv)
    return sim


def transition(X: np.ndarray, diagonal: bool = False, dangling: float | None = None) -> np.ndarray:
    """TextRank's P written plainly: clipped similarities, zero diagonal, rows summing to 1."""
    N = len(X)
    W = np.maximum(naive_cosine(X, X), 0.0)
    if not diagonal:
        W[np.arange(N), np.arange(N)] = 0.0
    P = np.zeros((N, N))
    for i in range(N):
        total = W[i].sum()
        P[i] = W[i] / total if total > 0 else (1.0 / N if dangling is None else dangling)
    return P


def stationary(P: np.ndarray, d: float = 0.85) -> np.ndarray:
    """The r with r = (1 - d) / N + d P.T r, by a linear solve (no iteration)."""
    N = len(P)
    return np.linalg.solve(np.eye(N) - d * P.T, np.full(N, (1 - d) / N))


# ---------------------------------------------------------------- 13.1 split_sentences

JA = "今日は晴れ。散歩に行こう！楽しいね？"
JA_SENTENCES = ["今日は晴れ。", "散歩に行こう！", "楽しいね？"]
EN = "It rained. Did you go out? Yes! "
EN_SENTENCES = ["It rained.", "Did you go out?", "Yes!"]


@pytest.mark.task("13.1")
@pytest.mark.checks("inputs")
def test_split_sentences_leaves_its_input_alone():
    assert_inputs_unchanged(summarization.split_sentences, JA)


@pytest.mark.task("13.1")
@pytest.mark.checks("types")
def test_split_sentences_returns_a_list_of_str():
    sentences = summarization.split_sentences(EN)
    assert isinstance(sentences, list) and all(isinstance(s, str) for s in sentences), msg(
        en=f"split_sentences should return a list of str, got {type(sentences).__name__}",
        ja=f"split_sentences は str の list を返すはずですが、{type(sentences).__name__} でした",
    )


def assert_sentences(actual, expected, text):
    assert actual == expected, msg(
        en=f"split_sentences({text!r}) should be {expected}, got {actual}",
        ja=f"split_sentences({text!r}) は {expected} のはずですが、{actual} でした",
    )


@pytest.mark.task("13.1")
def test_split_sentences_on_japanese_and_english():
    assert_sentences(summarization.split_sentences(JA), JA_SENTENCES, JA)
    assert_sentences(summarization.split_sentences(EN), EN_SENTENCES, EN)
    mixed = "猫が寝ている。The cat sleeps. 本当？"
    assert_sentences(
        summarization.split_sentences(mixed), ["猫が寝ている。", "The cat sleeps.", "本当？"], mixed
    )


@pytest.mark.task("13.1")
def test_split_sentences_keeps_text_after_the_last_terminator():
    text = "First one. and no full stop"
    assert_sentences(summarization.split_sentences(text), ["First one.", "and no full stop"], text)
    assert_sentences(summarization.split_sentences("見出し"), ["見出し"], "見出し")


@pytest.mark.task("13.1")
def test_split_sentences_strips_whitespace_and_drops_empty_pieces():
    for text in ("", "   ", "\n\n"):
        assert_sentences(summarization.split_sentences(text), [], text)
    text = "  One.\n\n  Two!   \n"
    assert_sentences(summarization.split_sentences(text), ["One.", "Two!"], text)
    text = "3.14 is pi."  # every "." ends a sentence, as the docstring says
    assert_sentences(summarization.split_sentences(text), ["3.", "14 is pi."], text)


@pytest.mark.task("13.1")
def test_split_sentences_on_assembled_texts(rng):
    words = ["猫", "cat", "寝る", "sleeps", "今日", "the", "楽しい", "dog"]
    marks = ["。", "！", "？", ".", "!", "?", "？！", "...", "!?"]
    for _ in range(20):
        sentences = [
            "".join(rng.choice(words, size=int(rng.integers(1, 4)))) + str(rng.choice(marks))
            for _ in range(int(rng.integers(1, 6)))
        ]
        gaps = [str(rng.choice(["", " ", "\n", "  "])) for _ in sentences]
        text = "".join(g + s for g, s in zip(gaps, sentences))
        assert_sentences(summarization.split_sentences(text), sentences, text)


@pytest.mark.task("13.1")
@pytest.mark.checks("mistake")
def test_split_sentences_keeps_the_punctuation():
    actual = summarization.split_sentences(JA)
    assert actual != ["今日は晴れ", "散歩に行こう", "楽しいね"], msg(
        en="split_sentences dropped the terminators: splitting on them removes them. Cut just "
        "after them instead (a lookbehind (?<=[...])), so each sentence keeps its 。！？.!?",
        ja="split_sentences が文末の記号を消しています。記号で split すると記号は消えます。記号の"
        "直後で切り(後読み (?<=[...]))、各文に 。！？.!? を残しましょう",
    )


@pytest.mark.task("13.1")
@pytest.mark.checks("mistake")
def test_split_sentences_keeps_a_run_of_terminators_together():
    text = "本当？！Wait...What?!"
    actual = summarization.split_sentences(text)
    assert actual != ["本当？", "！", "Wait.", ".", ".", "What?", "!"], msg(
        en="split_sentences cut after every terminator, so 本当？！ and Wait... fell into pieces: "
        "cut only after a run of them (a lookahead (?![...]): no terminator comes next)",
        ja="split_sentences が記号 1 つごとに切っているので、本当？！ や Wait... がばらばらです。"
        "記号の並びの直後だけで切りましょう(否定先読み (?![...]) で次が記号でないことを確かめます)",
    )
    assert_sentences(actual, ["本当？！", "Wait...", "What?!"], text)


@pytest.mark.task("13.1")
@pytest.mark.checks("mistake")
def test_split_sentences_strips_each_piece():
    text = "One. Two.\nThree."
    actual = summarization.split_sentences(text)
    assert actual != ["One.", " Two.", "\nThree."], msg(
        en="split_sentences kept the spaces and newlines between sentences: strip each piece "
        "(p.strip()) and drop the ones that are then empty",
        ja="split_sentences が文の間の空白や改行を残しています。各片を strip し(p.strip())、"
        "空になった片は捨てましょう",
    )
    assert_sentences(actual, ["One.", "Two.", "Three."], text)


# ---------------------------------------------------------------- 13.2 centroid_scores


@pytest.mark.task("13.2")
@pytest.mark.checks("inputs")
def test_centroid_scores_leaves_its_input_alone(rng):
    assert_inputs_unchanged(summarization.centroid_scores, rng.random((4, 3)))


@pytest.mark.task("13.2")
@pytest.mark.checks("types")
def test_centroid_scores_is_an_N_float64_array(rng):
    X = rng.random((5, 3))
    assert_array(summarization.centroid_scores(X), (5,), "centroid_scores(X)")
    assert_array(
        summarization.centroid_scores(X.astype(np.float32)),
        (5,),
        msg(en="centroid_scores of float32", ja="float32 の centroid_scores"),
    )
    counts = np.array([[1, 0, 2], [0, 3, 1]])
    assert_array(summarization.centroid_scores(counts), (2,), "centroid_scores(counts)")


@pytest.mark.task("13.2")
def test_centroid_scores_by_hand():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])  # centroid (1, 1): 45 degrees from both axes
    assert_close(
        summarization.centroid_scores(X),
        np.array([1 / math.sqrt(2), 1 / math.sqrt(2), 1.0]),
        msg(
            en="centroid scores of (1, 0), (0, 1), (2, 2): the centroid is (1, 1)",
            ja="(1, 0)、(0, 1)、(2, 2) の重心スコア。重心は (1, 1) です",
        ),
    )
    assert_close(summarization.centroid_scores(np.array([[3.0, 4.0]])), np.ones(1), "N=1")
    opposite = np.array([[1.0, 2.0], [-1.0, -2.0]])  # the centroid is the zero vector
    assert_close(
        summarization.centroid_scores(opposite),
        np.zeros(2),
        msg(
            en="centroid scores when the centroid is the zero vector: 0, as day 12 defines",
            ja="重心がゼロベクトルのときの重心スコア。12 日目の定義どおり 0 です",
        ),
    )


@pytest.mark.task("13.2")
def test_centroid_scores_on_generated_vectors(rng):
    for N, C in ((1, 3), (6, 4), (9, 12)):
        X = rng.standard_normal((N, C))
        expected = naive_cosine(X, X.sum(axis=0, keepdims=True) / N)[:, 0]
        assert_close(summarization.centroid_scores(X), expected, f"centroid_scores({N}x{C})")


@pytest.mark.task("13.2")
@pytest.mark.checks("mistake")
def test_centroid_scores_are_cosines_not_dot_products(rng):
    X = rng.uniform(0.5, 3.0, (5, 4))
    actual = summarization.centroid_scores(X)
    assert_not_mistake(
        actual,
        X @ X.mean(axis=0),
        msg(
            en="centroid_scores took the dot product with the centroid, which favours long "
            "sentences: use the cosine (day 12's cosine_similarity), which only sees direction",
            ja="centroid_scores が重心との内積を使っているので、長い文ほど有利になります。向きだけを"
            "見るコサイン類似度(12 日目の cosine_similarity)を使いましょう",
        ),
    )
    assert_close(
        summarization.centroid_scores(X * 7.0),
        actual,
        msg(
            en="centroid scores after scaling every sentence vector by 7: only directions count",
            ja="すべての文ベクトルを 7 倍した後の重心スコア。見るのは向きだけです",
        ),
    )


# ---------------------------------------------------------------- 13.3 textrank


@pytest.mark.task("13.3")
@pytest.mark.checks("inputs")
def test_textrank_leaves_its_input_alone(rng):
    assert_inputs_unchanged(summarization.textrank, rng.random((5, 3)))


@pytest.mark.task("13.3")
@pytest.mark.checks("types")
def test_textrank_is_an_N_float64_array(rng):
    X = rng.random((5, 3))
    assert_array(summarization.textrank(X), (5,), "textrank(X)")
    assert_array(
        summarization.textrank(X.astype(np.float32)),
        (5,),
        msg(en="textrank of float32", ja="float32 の textrank"),
    )
    assert_array(summarization.textrank(np.ones((1, 2), dtype=int)), (1,), "textrank(N=1)")


@pytest.mark.task("13.3")
def test_textrank_by_hand():
    # sentences 0 and 1 are alike, sentence 2 is like neither: its row of P is 1/3 everywhere
    X = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    assert_close(
        summarization.textrank(X),
        np.array([20 / 43, 20 / 43, 3 / 43]),
        msg(
            en="TextRank of the README's three sentences: (20/43, 20/43, 3/43)",
            ja="README の 3 文の TextRank: (20/43, 20/43, 3/43)",
        ),
    )
    assert_close(summarization.textrank(np.ones((1, 2))), np.ones(1), "textrank(N=1)")


@pytest.mark.task("13.3")
def test_textrank_is_the_stationary_vector(rng):
    for N, C in ((2, 3), (5, 4), (8, 6)):
        for X in (rng.random((N, C)), rng.standard_normal((N, C))):
            r = summarization.textrank(X)
            assert_close(
                r,
                stationary(transition(X)),
                msg(
                    en=f"TextRank of {N} sentences against the solution of "
                    "r = (1 - d) / N + d P.T r",
                    ja=f"{N} 文の TextRank と r = (1 - d) / N + d P.T r の解の比較",
                ),
                rtol=1e-7,
                atol=1e-9,
            )
            assert np.all(np.asarray(r) > 0) and abs(float(np.sum(r)) - 1.0) < 1e-9, msg(
                en=f"TextRank ranks must be positive and sum to 1; they sum to {num(np.sum(r))}",
                ja=f"TextRank のランクは正で和が 1 のはずですが、和は {num(np.sum(r))} です",
            )


@pytest.mark.task("13.3")
def test_textrank_damping_and_its_default(rng):
    X = rng.random((6, 4))
    assert_close(
        summarization.textrank(X),
        summarization.textrank(X, damping=0.85, tol=1e-10, max_iter=1000),
        msg(
            en="textrank with the defaults left out, against damping=0.85, tol=1e-10, "
            "max_iter=1000 passed",
            ja="既定値を省いた textrank と damping=0.85、tol=1e-10、max_iter=1000 を渡した結果の比較",
        ),
    )
    for d in (0.5, 0.99):
        assert_close(
            summarization.textrank(X, damping=d),
            stationary(transition(X), d),
            f"textrank(damping={d})",
            rtol=1e-6,
            atol=1e-9,
        )
    assert_close(
        summarization.textrank(X, damping=0.0),
        np.full(6, 1 / 6),
        msg(
            en="with damping=0 the walker always jumps at random: every rank is 1/N",
            ja="damping=0 では常にランダムに飛ぶので、すべてのランクが 1/N です",
        ),
    )


@pytest.mark.task("13.3")
def test_textrank_stops_as_documented(rng):
    X = rng.random((5, 3))
    P = transition(X)
    steps = [np.full(5, 0.2)]
    for _ in range(3):
        steps.append(0.15 / 5 + 0.85 * P.T @ steps[-1])
    for m in (0, 1, 3):
        assert_close(
            summarization.textrank(X, tol=0.0, max_iter=m),
            steps[m],
            msg(
                en=f"textrank after max_iter={m} power-iteration steps from r = 1/N",
                ja=f"r = 1/N から max_iter={m} 回の反復の後の textrank",
            ),
        )
    r, tol = np.full(5, 0.2), 1e-3
    while True:  # the first step whose l1 change is below tol, replayed here
        r_next = 0.15 / 5 + 0.85 * P.T @ r
        change, r = np.abs(r_next - r).sum(), r_next
        if change < tol:
            break
    assert_close(
        summarization.textrank(X, tol=tol),
        r,
        msg(
            en="textrank(tol=1e-3) must return the first iterate whose l1 change is below tol",
            ja="textrank(tol=1e-3) は l1 の変化が初めて tol を下回った反復の値を返すはずです",
        ),
    )


def replay(X, damping, tol, max_iter):
    """Power iteration as the docstring tells it, one step at a time."""
    P, r = transition(X), np.full(len(X), 1 / len(X))
    for _ in range(max_iter):
        r_next = (1 - damping) / len(X) + damping * P.T @ r
        change, r = np.abs(r_next - r).sum(), r_next
        if change < tol:
            break
    return r


# two sentences unlike each other, both like a third: a graph whose walker swings back and forth
SWING = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


@pytest.mark.task("13.3")
def test_textrank_default_tolerance_and_step_limit():
    # with damping=0.9 the change shrinks by 0.9 a step, so it must pass between 1e-10 and 1.5e-10
    assert_close(
        summarization.textrank(SWING, damping=0.9),
        replay(SWING, 0.9, 1e-10, 1000),
        msg(
            en="textrank must stop at the first step whose l1 change is below the default "
            "tol=1e-10, no sooner and no later",
            ja="textrank は l1 の変化が既定の tol=1e-10 を初めて下回った反復で止まるはずです"
            "(早すぎても遅すぎてもいけません)",
        ),
        rtol=0.0,
        atol=1e-13,
    )
    # with damping=0.99999 the swing never settles: exactly max_iter=1000 steps are taken
    assert_close(
        summarization.textrank(SWING, damping=0.99999),
        replay(SWING, 0.99999, 1e-10, 1000),
        msg(
            en="textrank on a graph that never settles must stop after the default "
            "max_iter=1000 steps",
            ja="収束しないグラフでは、textrank は既定の max_iter=1000 回の反復で止まるはずです",
        ),
        rtol=0.0,
        atol=1e-12,
    )


@pytest.mark.task("13.3")
def test_textrank_goes_on_while_the_change_equals_tol():
    # three identical sentences and one unlike them: every number below is exact in binary
    X = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    r1 = np.array([0.3125, 0.3125, 0.3125, 0.0625])  # one step from 1/4, damping 1, change 0.375
    r2 = np.array([0.328125, 0.328125, 0.328125, 0.015625])  # change 0.09375
    assert_close(
        summarization.textrank(X, damping=1.0, max_iter=1),
        r1,
        "textrank(damping=1,max_iter=1)",
    )
    assert_close(
        summarization.textrank(X, damping=1.0, tol=0.375),
        r2,
        msg(
            en="the first change is exactly tol=0.375, which is not below it: textrank must "
            "take one more step (stop when change < tol)",
            ja="最初の変化はちょうど tol=0.375 で、tol より小さくはありません。textrank はもう 1 回"
            "反復するはずです(変化 < tol で止まります)",
        ),
    )


@pytest.mark.task("13.3")
@pytest.mark.checks("mistake")
def test_textrank_mistakes_are_named(rng):
    X = rng.random((6, 4))
    r = summarization.textrank(X)
    assert_not_mistake(
        r,
        stationary(transition(X, diagonal=True)),
        msg(
            en="textrank kept the diagonal of the similarity matrix: every sentence is 1 like "
            "itself and votes for itself. Set the diagonal to 0 (np.fill_diagonal(W, 0.0))",
            ja="textrank が類似度行列の対角を残しています。どの文も自分自身と類似度 1 なので自分に"
            "投票してしまいます。対角を 0 にしましょう(np.fill_diagonal(W, 0.0))",
        ),
    )
    P = transition(X)
    assert_not_mistake(
        r,
        np.linalg.solve(np.eye(6) - 0.85 * P, np.full(6, 0.15 / 6)),
        msg(
            en="textrank multiplied by P instead of P.T: a sentence passes its rank along its "
            "row of P, so the new rank of j sums P[i, j] r[i] over i: P.T @ r",
            ja="textrank が P.T ではなく P を掛けています。各文は P の自分の行に沿ってランクを渡すので、"
            "j の新しいランクは i についての P[i, j] r[i] の和、つまり P.T @ r です",
        ),
    )
    assert_not_mistake(
        r,
        np.zeros(6),
        msg(
            en="textrank left out the random jump (1 - d) / N, so the ranks shrink by d at every "
            "step towards 0: r <- (1 - d) / N + d P.T @ r",
            ja="textrank がランダムジャンプの項 (1 - d) / N を落としているので、ランクが毎回 d 倍に"
            "縮んで 0 に向かいます: r <- (1 - d) / N + d P.T @ r",
        ),
        atol=1e-8,
    )


@pytest.mark.task("13.3")
@pytest.mark.checks("mistake")
def test_textrank_a_sentence_like_no_other_spreads_its_rank():
    X = np.array([[1.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # sentence 2: all 0
    r = summarization.textrank(X)
    assert_not_mistake(
        r,
        stationary(transition(X, dangling=0.0)),
        msg(
            en="textrank left the row of a sentence like no other at 0, so its rank leaks away "
            "and the ranks no longer sum to 1: set such a row to 1/N",
            ja="textrank がどの文とも似ていない文の行を 0 のままにしているので、そのランクが消えて"
            "和が 1 になりません。そのような行は 1/N にしましょう",
        ),
    )
    assert_close(r, stationary(transition(X)), "textrank(X)")


# ---------------------------------------------------------------- 13.4 mmr_select


def naive_mmr(X, query, k, lam, combine=max):
    relevance = naive_cosine(X, query[None, :])[:, 0]
    sim = naive_cosine(X, X)
    picked = []
    for _ in range(k):
        best, best_score = None, -math.inf
        for i in range(len(X)):
            if i in picked:
                continue
            redundancy = combine([sim[i, j] for j in picked]) if picked else 0.0
            score = lam * relevance[i] - (1 - lam) * redundancy
            if score > best_score:
                best, best_score = i, score
        picked.append(best)
    return picked


def assert_picks(actual, expected, what):
    assert list(np.asarray(actual)) == list(expected), msg(
        en=f"{what}: mmr_select should pick {list(expected)} in this order, got "
        f"{[int(i) for i in np.asarray(actual)]}",
        ja=f"{what}: mmr_select はこの順で {list(expected)} を選ぶはずですが、"
        f"{[int(i) for i in np.asarray(actual)]} でした",
    )


@pytest.mark.task("13.4")
@pytest.mark.checks("inputs")
def test_mmr_select_leaves_its_inputs_alone(rng):
    X = rng.random((5, 3))
    assert_inputs_unchanged(summarization.mmr_select, X, X.mean(axis=0), 3)


@pytest.mark.task("13.4")
@pytest.mark.checks("types")
def test_mmr_select_is_k_int64_indices(rng):
    X = rng.random((5, 3))
    picked = summarization.mmr_select(X, X.mean(axis=0), 3)
    assert isinstance(picked, np.ndarray) and picked.dtype == np.int64, msg(
        en=f"mmr_select should return an int64 np.ndarray, got {type(picked).__name__} "
        f"of {getattr(picked, 'dtype', '?')}: return np.array(picked, dtype=np.int64)",
        ja=f"mmr_select は int64 の np.ndarray を返すはずですが、{type(picked).__name__}"
        f"({getattr(picked, 'dtype', '?')})でした。np.array(picked, dtype=np.int64) を返しましょう",
    )
    assert_array(picked, (3,), "mmr_select(X,query,3)", dtype=np.int64)


# a near-duplicate pair (0, 1), both most relevant, and a relevant sentence on another point (2)
DUPLICATES = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.1], [1.0, 0.0, 1.0], [0.0, 0.2, 1.0]])
DUP_QUERY = np.array([1.0, 0.8, 0.3])


@pytest.mark.task("13.4")
def test_mmr_select_skips_a_near_duplicate():
    relevance = naive_cosine(DUPLICATES, DUP_QUERY[None, :])[:, 0]
    assert list(np.argsort(-relevance)[:2]) == [1, 0], msg(  # top-2: the duplicates
        en="the test's own data: the two most relevant are the near-duplicates 1 and 0",
        ja="テスト自身のデータ: 最も関連する 2 文はほぼ同じ文 1 と 0 です",
    )
    assert_picks(
        summarization.mmr_select(DUPLICATES, DUP_QUERY, 2, lam=0.5),
        [1, 2],
        msg(
            en="sentences 0 and 1 say the same thing; with lam=0.5 the second pick is 2, not 0",
            ja="文 0 と 1 は同じ内容なので、lam=0.5 では 2 つ目に 0 ではなく 2 を選びます",
        ),
    )


@pytest.mark.task("13.4")
def test_mmr_select_with_lam_1_ranks_by_relevance(rng):
    X, query = rng.random((7, 4)), rng.random(4)
    relevance = naive_cosine(X, query[None, :])[:, 0]
    assert_picks(
        summarization.mmr_select(X, query, 7, lam=1.0),
        list(np.argsort(-relevance, kind="stable")),
        msg(en="with lam=1, by relevance alone", ja="lam=1 では関連性だけで"),
    )
    twins = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])  # 1 and 2 tie in everything
    assert_picks(
        summarization.mmr_select(twins, np.array([0.0, 1.0]), 3, lam=1.0),
        [1, 2, 0],
        msg(en="ties go to the smaller index", ja="同点は小さい添字が先"),
    )


@pytest.mark.task("13.4")
def test_mmr_select_on_generated_vectors(rng):
    for N, C, k, lam in ((5, 3, 3, 0.7), (8, 4, 8, 0.3), (6, 5, 1, 0.5), (9, 6, 5, 0.9)):
        X, query = rng.standard_normal((N, C)), rng.standard_normal(C)
        assert_picks(
            summarization.mmr_select(X, query, k, lam=lam),
            naive_mmr(X, query, k, lam),
            f"N={N}, k={k}, lam={lam}",
        )
    # on this data lam=0.7 picks in an order no lam of 0.5, 0.6, 0.8, 1 or more gives
    X = np.array([[3.0, 1.0, 0.0], [2.0, 2.0, 1.0], [0.0, 0.0, 1.0], [0.0, 2.0, 1.0]])
    assert_picks(
        summarization.mmr_select(X, np.ones(3), 4),
        naive_mmr(X, np.ones(3), 4, 0.7),
        msg(en="lam left out: the default is 0.7", ja="lam を省いたとき(既定値 0.7)"),
    )


@pytest.mark.task("13.4")
@pytest.mark.checks("mistake")
def test_mmr_select_never_picks_twice(rng):
    X, query = rng.random((5, 3)), rng.random(3)
    picked = [int(i) for i in np.asarray(summarization.mmr_select(X, query, 5, lam=1.0))]
    assert len(set(picked)) == len(picked), msg(
        en=f"mmr_select picked the same sentence more than once ({picked}): leave the picked "
        "ones out of the argmax (np.where(free, score, -np.inf))",
        ja=f"mmr_select が同じ文を 2 回以上選んでいます({picked})。選んだ文は argmax の対象から"
        "外しましょう(np.where(free, score, -np.inf))",
    )


@pytest.mark.task("13.4")
@pytest.mark.checks("mistake")
def test_mmr_select_mistakes_are_named(rng):
    X, query = rng.standard_normal((9, 4)), rng.standard_normal(4)
    cases = [(DUPLICATES, DUP_QUERY, 4, 0.8), (X, query, 6, 0.3), (X, query, 6, 0.8)]
    for X, query, k, lam in cases:  # on DUPLICATES, lam=0.8 and lam=0.2 pick in different orders
        actual = [int(i) for i in np.asarray(summarization.mmr_select(X, query, k, lam=lam))]
        correct = naive_mmr(X, query, k, lam)
        if actual != correct and actual == naive_mmr(X, query, k, 1.0 - lam):
            raise AssertionError(
                msg(
                    en="mmr_select weighed relevance by 1 - lam and redundancy by lam: lam is the "
                    "weight of relevance (lam = 1 ranks by relevance alone)",
                    ja="mmr_select が関連性に 1 - lam、重複に lam を掛けています。lam は関連性の"
                    "重みです(lam = 1 なら関連性だけで並べます)",
                )
            )
    # data on which a sum of similarities and their max pick in different orders
    X = np.array([[0.5, 1.0, 0.1], [0.9, 0.3, 0.4], [0.8, 0.4, 0.5], [0.0, 0.8, 0.5]])
    correct, summed = naive_mmr(X, np.ones(3), 4, 0.5), naive_mmr(X, np.ones(3), 4, 0.5, sum)
    assert correct != summed, msg(
        en="the test's own data must tell a sum of similarities from their max",
        ja="テスト自身のデータで、類似度の和と最大値が区別できるはずです",
    )
    picked = [int(i) for i in np.asarray(summarization.mmr_select(X, np.ones(3), 4, lam=0.5))]
    assert picked != summed, msg(
        en="mmr_select added up the similarities to the picked sentences: a candidate's "
        "redundancy is its largest similarity to any one of them (the max)",
        ja="mmr_select が選んだ文との類似度を足し合わせています。候補の重複度は選んだ文のどれか "
        "1 つとの類似度の最大値です(max)",
    )
    assert_picks(picked, naive_mmr(X, np.ones(3), 4, 0.5), "mmr_select(X, ones, 4, lam=0.5)")


# ---------------------------------------------------------------- 13.5 rouge_n, rouge_l


CAT = "the cat sat on the mat".split()
CAT_REF = "the cat is on the mat".split()


def naive_rouge_n(c, r, n):
    grams_c = Counter(tuple(c[i : i + n]) for i in range(len(c) - n + 1))
    grams_r = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
    overlap = sum((grams_c & grams_r).values())
    return prf(overlap, sum(grams_c.values()), sum(grams_r.values()))


def naive_lcs(c, r):
    @cache
    def lcs(i, j):
        if i == len(c) or j == len(r):
            return 0
        if c[i] == r[j]:
            return 1 + lcs(i + 1, j + 1)
        return max(lcs(i + 1, j), lcs(i, j + 1))

    return lcs(0, 0)


def prf(overlap, n_c, n_r):
    p = overlap / n_c if n_c else 0.0
    r = overlap / n_r if n_r else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def assert_prf(actual, expected, what):
    assert_tuple(actual, 3, what, "(precision, recall, f1)")
    for name, a in zip(("precision", "recall", "f1"), actual):
        assert_scalar(a, f"{what}:{name}")
    assert_close(np.array(actual, dtype=float), np.array(expected, dtype=float), what)


@pytest.mark.task("13.5")
@pytest.mark.checks("inputs")
def test_rouge_leaves_its_inputs_alone():
    assert_inputs_unchanged(summarization.rouge_n, CAT, CAT_REF, 2)
    assert_inputs_unchanged(summarization.rouge_l, CAT, CAT_REF)


@pytest.mark.task("13.5")
@pytest.mark.checks("types")
def test_rouge_returns_three_python_floats():
    for name, result in (
        ("rouge_n", summarization.rouge_n(CAT, CAT_REF)),
        ("rouge_l", summarization.rouge_l(CAT, CAT_REF)),
        ("rouge_n(empty)", summarization.rouge_n([], CAT_REF)),
        ("rouge_l(empty)", summarization.rouge_l([], [])),
    ):
        assert_tuple(result, 3, name, "(precision, recall, f1)")
        for part, value in zip(("precision", "recall", "f1"), result):
            assert_scalar(value, f"{name}:{part}")


@pytest.mark.task("13.5")
def test_rouge_by_hand():
    assert_prf(summarization.rouge_n(CAT, CAT_REF, 1), (5 / 6, 5 / 6, 5 / 6), "ROUGE-1(cat)")
    assert_prf(summarization.rouge_n(CAT, CAT_REF, 2), (3 / 5, 3 / 5, 3 / 5), "ROUGE-2(cat)")
    assert_prf(summarization.rouge_l(CAT, CAT_REF), (5 / 6, 5 / 6, 5 / 6), "ROUGE-L(cat)")
    short = ["the", "cat"]
    assert_prf(summarization.rouge_n(short, CAT, 1), (1.0, 2 / 6, 0.5), "ROUGE-1(the cat)")
    ja_c, ja_r = ["猫", "が", "椅子", "で", "寝る"], ["猫", "が", "ベッド", "で", "寝る"]
    assert_prf(summarization.rouge_n(ja_c, ja_r, 2), (0.5, 0.5, 0.5), "ROUGE-2(猫が椅子で寝る)")
    assert_prf(summarization.rouge_l(ja_c, ja_r), (0.8, 0.8, 0.8), "ROUGE-L(猫が椅子で寝る)")


@pytest.mark.task("13.5")
def test_rouge_edges_and_default_n():
    assert_prf(summarization.rouge_n(CAT, CAT_REF), summarization.rouge_n(CAT, CAT_REF, 1), "n=1")
    assert_prf(summarization.rouge_n(CAT, CAT), (1.0, 1.0, 1.0), "ROUGE-1(x, x)")
    assert_prf(summarization.rouge_l(CAT, CAT), (1.0, 1.0, 1.0), "ROUGE-L(x, x)")
    assert_prf(summarization.rouge_n([], CAT), (0.0, 0.0, 0.0), "ROUGE-1([], ref)")
    assert_prf(summarization.rouge_n(CAT, []), (0.0, 0.0, 0.0), "ROUGE-1(cand, [])")
    assert_prf(summarization.rouge_n(["a"], ["a"], 2), (0.0, 0.0, 0.0), "ROUGE-2 of 1 token")
    assert_prf(summarization.rouge_l([], CAT), (0.0, 0.0, 0.0), "ROUGE-L([], ref)")
    assert_prf(summarization.rouge_l(CAT, []), (0.0, 0.0, 0.0), "ROUGE-L(cand, [])")
    assert_prf(summarization.rouge_l(["x"], ["y"]), (0.0, 0.0, 0.0), "ROUGE-L(nothing shared)")


@pytest.mark.task("13.5")
def test_rouge_on_generated_token_lists(rng):
    vocabulary = ["a", "b", "c", "d", "e"]
    for _ in range(30):
        c = [str(t) for t in rng.choice(vocabulary, size=int(rng.integers(0, 9)))]
        r = [str(t) for t in rng.choice(vocabulary, size=int(rng.integers(1, 9)))]
        for n in (1, 2, 3):
            assert_prf(summarization.rouge_n(c, r, n), naive_rouge_n(c, r, n), f"ROUGE-{n}")
        assert_prf(summarization.rouge_l(c, r), prf(naive_lcs(c, r), len(c), len(r)), "ROUGE-L")


@pytest.mark.task("13.5")
@pytest.mark.checks("mistake")
def test_rouge_n_clips_repeated_ngrams():
    c, r = ["the", "the", "the"], ["the", "cat"]
    actual = summarization.rouge_n(c, r, 1)
    assert_not_mistake(
        np.array(actual),
        np.array(prf(3, 3, 2)),
        msg(
            en="rouge_n counted each repeat of 'the' in the candidate although the reference has "
            "it once: count a shared n-gram min(count in candidate, count in reference) times",
            ja="rouge_n が候補の 'the' を参照にある回数(1 回)より多く数えています。共通の n-gram は "
            "min(候補での回数, 参照での回数) 回だけ数えましょう",
        ),
    )
    c, r = ["a", "a", "b"], ["a", "a", "c"]
    assert_not_mistake(
        np.array(summarization.rouge_n(c, r, 1)),
        np.array(prf(1, 3, 3)),
        msg(
            en="rouge_n counted each shared n-gram once, as a set: 'a' is in both twice, so it "
            "counts twice (min of the two counts)",
            ja="rouge_n が共通の n-gram を集合として 1 回ずつしか数えていません。'a' は両方に 2 回"
            "あるので 2 回数えます(2 つの回数の min)",
        ),
    )
    assert_prf(summarization.rouge_n(c, r, 1), prf(2, 3, 3), "ROUGE-1(a a b, a a c)")


@pytest.mark.task("13.5")
@pytest.mark.checks("mistake")
def test_rouge_precision_divides_by_the_candidate():
    c = ["the", "cat"]
    actual = summarization.rouge_n(c, CAT, 1)
    assert_not_mistake(
        np.array(actual),
        np.array((2 / 6, 1.0, 0.5)),
        msg(
            en="rouge_n swapped precision and recall: precision divides by the candidate's "
            "n-grams, recall by the reference's",
            ja="rouge_n が適合率と再現率を取り違えています。適合率は候補の n-gram 数で、再現率は"
            "参照の n-gram 数で割ります",
        ),
    )
    assert_not_mistake(
        np.array(summarization.rouge_l(c, CAT)),
        np.array((2 / 6, 1.0, 0.5)),
        msg(
            en="rouge_l swapped precision and recall: precision is |LCS| / len(candidate), "
            "recall |LCS| / len(reference)",
            ja="rouge_l が適合率と再現率を取り違えています。適合率は |LCS| / len(候補)、再現率は "
            "|LCS| / len(参照) です",
        ),
    )


@pytest.mark.task("13.5")
@pytest.mark.checks("mistake")
def test_rouge_l_is_a_subsequence_not_a_substring():
    c, r = ["a", "b", "c", "d"], ["a", "x", "c", "y", "d"]
    actual = summarization.rouge_l(c, r)
    assert_not_mistake(
        np.array(actual),
        np.array(prf(1, 4, 5)),
        msg(
            en="rouge_l took the longest common run of adjacent tokens: the LCS may skip tokens "
            "(a _ c _ d gives 3). On a mismatch take the larger neighbour, max(lcs[i-1, j], "
            "lcs[i, j-1]), instead of 0",
            ja="rouge_l が連続する共通部分(部分文字列)の最長を取っています。最長共通部分列は間を"
            "飛ばしてよい(a _ c _ d で 3)ので、不一致のときは 0 ではなく max(lcs[i-1, j], "
            "lcs[i, j-1]) にしましょう",
        ),
    )
    assert_prf(actual, prf(3, 4, 5), "ROUGE-L(a b c d, a x c y d)")
