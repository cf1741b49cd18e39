"""day12 suite, similarity.py: cosine similarity against a loop over pairs, on the post's pair
猫が私の椅子で寝ている / 猫が私のベッドで寝ている (words: 8/9; character bigrams: 7/sqrt(110)),
scale invariance and zero vectors; masked mean pooling against a loop, padding that holds nan
never leaking; TF-IDF vectors of a corpus and its queries against the formula written here;
top-k against a stable full sort, ties by index; Jaccard and BM25 against hand-worked values
and loops written here from the formulas. Retrieval over 100k vectors and top-k over 1M scores
are timed against vectorised versions written here. Every README mistake is named by what it
would return."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_fast_enough,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    assert_tuple,
    implementation,
    msg,
    num,
)

similarity = implementation("day12_similarity.similarity")

# the post's pair, cut into words (as a morphological analyser would) and into character bigrams
CHAIR = "猫が私の椅子で寝ている"
BED = "猫が私のベッドで寝ている"
CHAIR_WORDS = ["猫", "が", "私", "の", "椅子", "で", "寝", "て", "いる"]
BED_WORDS = ["猫", "が", "私", "の", "ベッド", "で", "寝", "て", "いる"]
WORDS = ["猫", "犬", "が", "私", "の", "椅子", "ベッド", "で", "寝", "て", "いる", "走る", "庭"]


def bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


def count_vectors(*docs: list[str]) -> np.ndarray:
    """(N, V) counts over the sorted distinct tokens, written plainly here."""
    vocabulary = sorted({t for doc in docs for t in doc})
    return np.array([[doc.count(t) for t in vocabulary] for doc in docs], dtype=float)


def naive_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sim = np.zeros((len(a), len(b)))
    for i, u in enumerate(a):
        for j, v in enumerate(b):
            nu, nv = math.sqrt(sum(x * x for x in u)), math.sqrt(sum(x * x for x in v))
            sim[i, j] = 0.0 if nu == 0 or nv == 0 else sum(u * v) / (nu * nv)
    return sim


def random_docs(rng, n: int, longest: int = 8) -> list[list[str]]:
    return [list(rng.choice(WORDS, size=int(rng.integers(1, longest + 1)))) for _ in range(n)]


# ---------------------------------------------------------------- 12.1 cosine_similarity


@pytest.mark.task("12.1")
@pytest.mark.checks("inputs")
def test_cosine_similarity_leaves_its_inputs_alone(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    assert_inputs_unchanged(similarity.cosine_similarity, a, b)


@pytest.mark.task("12.1")
@pytest.mark.checks("types")
def test_cosine_similarity_is_an_N_by_M_float64_array(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    assert_array(similarity.cosine_similarity(a, b), (3, 5), "cosine_similarity(a,b)")
    sim32 = similarity.cosine_similarity(a.astype(np.float32), b.astype(np.float32))
    assert_array(
        sim32, (3, 5), msg(en="cosine_similarity of float32", ja="float32 の cosine_similarity")
    )
    counts = np.array([[1, 0, 2], [0, 3, 1]])  # int counts, as a bag of words may be
    assert_array(similarity.cosine_similarity(counts, counts), (2, 2), "cosine_similarity(counts)")
    assert_array(similarity.cosine_similarity(a[:0], b), (0, 5), "cosine_similarity(N=0)")


@pytest.mark.task("12.1")
def test_cosine_similarity_of_the_posts_pair():
    words = count_vectors(CHAIR_WORDS, BED_WORDS)  # 9 words each, 8 shared, each once
    assert_close(
        similarity.cosine_similarity(words, words),
        np.array([[1, 8 / 9], [8 / 9, 1]]),
        msg(
            en="cosine similarity of 猫が私の椅子で寝ている and 猫が私のベッドで寝ている as words: "
            "8 shared words / (3 · 3)",
            ja="単語で見た 猫が私の椅子で寝ている と 猫が私のベッドで寝ている のコサイン類似度: "
            "共通の 8 語 / (3 · 3)",
        ),
    )
    grams = count_vectors(bigrams(CHAIR), bigrams(BED))  # 10 and 11 bigrams, 7 shared
    assert_close(
        similarity.cosine_similarity(grams[:1], grams[1:]),
        np.array([[7 / math.sqrt(110)]]),
        msg(
            en="the same pair as character bigrams: 7 shared / sqrt(10 · 11)",
            ja="同じ 2 文を文字バイグラムで: 共通の 7 個 / sqrt(10 · 11)",
        ),
    )


@pytest.mark.task("12.1")
def test_cosine_similarity_by_hand():
    a = np.array([[1.0, 0.0], [3.0, 4.0]])
    b = np.array([[1.0, 1.0], [-2.0, 0.0], [0.0, 5.0]])
    expected = np.array([[1 / math.sqrt(2), -1.0, 0.0], [7 / (5 * math.sqrt(2)), -0.6, 0.8]])
    assert_close(similarity.cosine_similarity(a, b), expected, "cosine_similarity(a,b)")


@pytest.mark.task("12.1")
def test_cosine_similarity_on_generated_vectors(rng):
    for N, M, C in ((1, 1, 1), (4, 6, 3), (7, 2, 10)):
        a, b = rng.standard_normal((N, C)), rng.standard_normal((M, C))
        assert_close(
            similarity.cosine_similarity(a, b), naive_cosine(a, b), f"sim({N}x{C},{M}x{C})"
        )


@pytest.mark.task("12.1")
def test_cosine_similarity_ignores_length(rng):
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    sim = np.asarray(similarity.cosine_similarity(a, b), dtype=float)
    scale_a, scale_b = rng.uniform(0.01, 100.0, (4, 1)), rng.uniform(0.01, 100.0, (3, 1))
    assert_close(
        similarity.cosine_similarity(a * scale_a, b * scale_b),
        sim,
        msg(
            en="similarities after scaling every row by a positive number: only the direction "
            "of a vector counts, never its length",
            ja="各行を正の数で拡大・縮小した後の類似度。見るのはベクトルの向きだけで、長さは関係ありません",
        ),
    )
    assert_close(
        similarity.cosine_similarity(-a, b),
        -sim,
        msg(en="similarities of the opposite vectors -a", ja="逆向きのベクトル -a の類似度"),
    )
    assert_close(
        np.diag(np.asarray(similarity.cosine_similarity(a, a), dtype=float)),
        np.ones(4),
        msg(en="a vector's similarity with itself", ja="ベクトルとそれ自身の類似度"),
    )


@pytest.mark.task("12.1")
@pytest.mark.checks("mistake")
def test_a_zero_vector_has_similarity_zero(rng):
    a = rng.standard_normal((3, 4))
    a[1] = 0.0  # an empty document's bag of words
    sim = np.asarray(similarity.cosine_similarity(a, a), dtype=float)
    assert not np.isnan(sim).any(), msg(
        en="cosine_similarity gave NaN for a zero vector: its norm is 0, and 0 / 0 is NaN. Divide "
        "a zero row by 1 instead (np.where(norms > 0, norms, 1.0)), so its similarities are 0",
        ja="cosine_similarity がゼロベクトルに NaN を返しました。ノルムが 0 なので 0 / 0 = NaN です。"
        "ゼロの行は代わりに 1 で割り(np.where(norms > 0, norms, 1.0))、類似度を 0 にしましょう",
    )
    assert_close(
        sim[1],
        np.zeros(3),
        msg(
            en="similarities of a zero vector (with itself too): it has no direction, so 0",
            ja="ゼロベクトルの類似度(自分自身とも)。向きがないので 0 です",
        ),
    )
    assert_close(
        sim[:, 1],
        np.zeros(3),
        msg(en="similarities with a zero vector", ja="ゼロベクトルとの類似度"),
    )


@pytest.mark.task("12.1")
@pytest.mark.checks("mistake")
def test_cosine_similarity_normalises_each_row_of_both(rng):
    a, b = rng.uniform(0.5, 3.0, (3, 4)), rng.uniform(0.5, 3.0, (5, 4))
    actual = similarity.cosine_similarity(a, b)
    na, nb = np.linalg.norm(a, axis=1, keepdims=True), np.linalg.norm(b, axis=1, keepdims=True)
    one_side = msg(
        en="cosine_similarity divided by the norms of only one side: both a[i] and b[j] must be "
        "scaled to length 1",
        ja="cosine_similarity が片方のノルムでしか割っていません。a[i] と b[j] の両方を長さ 1 に"
        "しましょう",
    )
    assert_not_mistake(actual, (a / na) @ b.T, one_side)
    assert_not_mistake(actual, a @ (b / nb).T, one_side)
    columns = msg(
        en="cosine_similarity divided by column norms (axis=0); each vector is a row, so take "
        "the norm of each row: np.linalg.norm(a, axis=1, keepdims=True)",
        ja="cosine_similarity が列のノルム(axis=0)で割っています。ベクトルは各行なので、"
        "行ごとのノルム np.linalg.norm(a, axis=1, keepdims=True) を使いましょう",
    )
    ca, cb = np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0)
    assert_not_mistake(actual, (a / ca) @ (b / cb).T, columns)


@pytest.mark.task("12.1")
@pytest.mark.perf
def test_retrieval_over_100k_vectors_is_vectorised(rng):
    # a loop over the 100k documents costs about a second; the vectorised norms and product a few ms
    N, M, C = 100_000, 2, 16
    docs, queries = rng.standard_normal((N, C)), rng.standard_normal((M, C))

    def vectorised(q, d):
        q_unit = q / np.linalg.norm(q, axis=1, keepdims=True)
        return q_unit @ (d / np.linalg.norm(d, axis=1, keepdims=True)).T

    assert_fast_enough(
        similarity.cosine_similarity,
        vectorised,
        lambda k: (queries + 1e-3 * k, docs),  # each run its own queries
        msg(
            en=f"cosine_similarity of {M} queries with {N} documents",
            ja=f"{M} 個のクエリと {N} 個の文書の cosine_similarity",
        ),
        msg(
            en="The norms of all rows and one matrix product compute every pair: look for a "
            "Python loop over documents or pairs in cosine_similarity",
            ja="全行のノルムと行列積 1 回ですべての組が求まります。cosine_similarity に文書や組を回す "
            "Python のループがないか探しましょう",
        ),
    )
    some = rng.choice(N, 20, replace=False)
    assert_close(
        np.asarray(similarity.cosine_similarity(queries, docs))[:, some],
        naive_cosine(queries, docs[some]),
        msg(
            en="similarities with 20 of the 100k documents", ja="10 万文書のうち 20 文書との類似度"
        ),
    )


# ---------------------------------------------------------------- 12.2 mean_pool


def padded_batch(rng, B: int, T: int, C: int):
    """x with nan at every padded position, and a mask whose first row is full and last empty."""
    lengths = rng.integers(1, T + 1, size=B)
    lengths[0], lengths[-1] = T, 0
    mask = np.arange(T) < lengths[:, None]  # (B, T)
    x = rng.standard_normal((B, T, C))
    x[~mask] = np.nan
    return x, mask


def naive_pool(x, mask) -> np.ndarray:
    out = np.zeros((x.shape[0], x.shape[2]))
    for i in range(x.shape[0]):
        rows = [x[i, t] for t in range(x.shape[1]) if mask[i, t]]
        if rows:
            out[i] = sum(rows) / len(rows)
    return out


@pytest.mark.task("12.2")
@pytest.mark.checks("inputs")
def test_mean_pool_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(similarity.mean_pool, *padded_batch(rng, 3, 4, 2))


@pytest.mark.task("12.2")
@pytest.mark.checks("types")
def test_mean_pool_is_a_B_by_C_float64_array(rng):
    x, mask = padded_batch(rng, 3, 4, 2)
    assert_array(similarity.mean_pool(x, mask), (3, 2), "mean_pool(x,mask)")
    pooled32 = similarity.mean_pool(np.nan_to_num(x).astype(np.float32), mask)
    assert_array(pooled32, (3, 2), msg(en="mean_pool of float32 x", ja="float32 の x の mean_pool"))


@pytest.mark.task("12.2")
def test_mean_pool_by_hand():
    x = np.array([[[1.0, 2.0], [3.0, 6.0], [99.0, 99.0]], [[4.0, 0.0], [-1.0, -1.0], [0.0, 4.0]]])
    mask = np.array([[True, True, False], [True, False, True]])
    assert_close(
        similarity.mean_pool(x, mask),
        np.array([[2.0, 4.0], [2.0, 2.0]]),
        msg(
            en="mean_pool of the README's example: the mean of the real tokens only",
            ja="README の例の mean_pool: 本物のトークンだけの平均",
        ),
    )


@pytest.mark.task("12.2")
def test_mean_pool_on_generated_batches(rng):
    for B, T, C in ((1, 1, 1), (4, 5, 3), (6, 9, 2)):
        x, mask = padded_batch(rng, B, T, C)
        assert_close(similarity.mean_pool(x, mask), naive_pool(x, mask), f"mean_pool(B={B},T={T})")


@pytest.mark.task("12.2")
def test_a_sentence_of_one_token_pools_to_that_token(rng):
    x, mask = rng.standard_normal((3, 4, 2)), np.zeros((3, 4), dtype=bool)
    mask[[0, 1, 2], [0, 3, 1]] = True  # one real token each, at positions 0, 3 and 1
    assert_close(
        similarity.mean_pool(x, mask),
        x[[0, 1, 2], [0, 3, 1]],
        msg(
            en="mean_pool of sentences of one real token: that token's vector",
            ja="本物のトークンが 1 つだけの文の mean_pool: そのトークンのベクトル",
        ),
    )


@pytest.mark.task("12.2")
def test_mean_pool_with_every_token_real_is_the_plain_mean(rng):
    x = rng.standard_normal((3, 5, 4))
    assert_close(
        similarity.mean_pool(x, np.ones((3, 5), dtype=bool)),
        x.mean(axis=1),
        msg(
            en="mean_pool with no padding: the plain mean over T",
            ja="パディングなしの mean_pool: T 方向の普通の平均",
        ),
    )


@pytest.mark.task("12.2")
@pytest.mark.checks("mistake")
def test_mean_pool_never_reads_the_padding(rng):
    x, mask = padded_batch(rng, 4, 5, 3)
    pooled = np.asarray(similarity.mean_pool(x, mask), dtype=float)
    assert not np.isnan(pooled[:-1]).any(), msg(
        en="mean_pool gave NaN: the padding holds nan, and nan * 0 is nan, so multiplying by the "
        "mask lets it in. Select the real tokens with np.where(mask, x, 0.0) instead",
        ja="mean_pool が NaN を返しました。パディングには nan が入っていて nan * 0 は nan なので、"
        "mask を掛けると入り込みます。代わりに np.where(mask, x, 0.0) で本物のトークンを選びましょう",
    )
    assert not np.isnan(pooled[-1]).any(), msg(
        en="mean_pool gave NaN for a sentence with no real token: 0 / 0. Divide by "
        "np.maximum(count, 1), so that sentence gives zeros",
        ja="mean_pool が本物のトークンのない文に NaN を返しました(0 / 0)。np.maximum(count, 1) で割り、"
        "その文は 0 になるようにしましょう",
    )
    assert_close(
        pooled[-1],
        np.zeros(3),
        msg(
            en="the vector of a sentence with no real token", ja="本物のトークンがない文のベクトル"
        ),
    )


@pytest.mark.task("12.2")
@pytest.mark.checks("mistake")
def test_mean_pool_divides_by_the_number_of_real_tokens(rng):
    mask = np.arange(6) < np.array([6, 2, 4, 0])[:, None]  # (4, 6): lengths 6, 2, 4, 0
    x = np.where(mask[:, :, None], rng.standard_normal((4, 6, 3)), 0.0)  # only the divisor differs
    assert_not_mistake(
        similarity.mean_pool(x, mask),
        x.sum(axis=1) / x.shape[1],
        msg(
            en="mean_pool divided by T, the padded length: divide by how many real tokens each "
            "sentence has, mask.sum(axis=1)",
            ja="mean_pool がパディング込みの長さ T で割っています。各文の本物のトークンの数 "
            "mask.sum(axis=1) で割りましょう",
        ),
    )


# ---------------------------------------------------------------- 12.3 tfidf_vectors


def naive_tfidf(corpus, queries):
    vocabulary = sorted({t for doc in corpus for t in doc})
    N = len(corpus)
    idf = [math.log((1 + N) / (1 + sum(t in doc for doc in corpus))) + 1 for t in vocabulary]

    def vector(doc):
        counts = Counter(doc)
        w = np.array([counts[t] * i for t, i in zip(vocabulary, idf)])
        norm = math.sqrt(sum(w * w))
        return w / norm if norm else w

    return np.array([vector(d) for d in corpus]), np.array([vector(q) for q in queries]).reshape(
        len(queries), len(vocabulary)
    )


def vectors(corpus, queries):
    docs, qs = assert_tuple(
        similarity.tfidf_vectors(corpus, queries), 2, "tfidf_vectors", "(docs, qs)"
    )
    return np.asarray(docs, dtype=float), np.asarray(qs, dtype=float)


@pytest.mark.task("12.3")
@pytest.mark.checks("inputs")
def test_tfidf_vectors_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(similarity.tfidf_vectors, random_docs(rng, 4), random_docs(rng, 2))


@pytest.mark.task("12.3")
@pytest.mark.checks("types")
def test_tfidf_vectors_are_two_float64_arrays_over_the_corpus_vocabulary(rng):
    corpus = [CHAIR_WORDS, BED_WORDS, ["犬", "が", "走る"]]  # V = 12 distinct words
    result = assert_tuple(
        similarity.tfidf_vectors(corpus, [["猫"], ["庭"]]), 2, "tfidf_vectors", "(docs, qs)"
    )
    assert_array(result[0], (3, 12), "docs")
    assert_array(result[1], (2, 12), "qs")
    assert_array(
        similarity.tfidf_vectors(corpus, [])[1],
        (0, 12),
        msg(en="qs of no queries", ja="クエリ 0 個の qs"),
    )


@pytest.mark.task("12.3")
def test_tfidf_vectors_of_the_posts_pair():
    docs, qs = vectors([CHAIR_WORDS, BED_WORDS], [BED_WORDS])
    # shared words: idf = ln(3/3) + 1 = 1; 椅子 and ベッド: idf = ln(3/2) + 1
    rare = math.log(1.5) + 1
    cos = 8 / (8 + rare**2)
    assert_close(
        docs @ docs[1],
        np.array([cos, 1.0]),
        msg(
            en="cosines of the TF-IDF vectors of the post's pair: 8 / (8 + (ln 1.5 + 1)^2)",
            ja="記事の 2 文の TF-IDF ベクトルのコサイン: 8 / (8 + (ln 1.5 + 1)^2)",
        ),
    )
    assert_close(
        qs[0],
        docs[1],
        msg(
            en="the query 猫が私のベッドで寝ている, weighted like the corpus",
            ja="コーパスと同じ重みを付けたクエリ 猫が私のベッドで寝ている",
        ),
    )


@pytest.mark.task("12.3")
def test_tfidf_vectors_on_generated_corpora(rng):
    for N, M in ((1, 1), (5, 3), (8, 0)):
        corpus, queries = random_docs(rng, N), random_docs(rng, M)
        queries += [["未知の語"], []]  # no vocabulary token at all: a zero row
        docs, qs = vectors(corpus, queries)
        want_docs, want_qs = naive_tfidf(corpus, queries)
        assert_close(docs, want_docs, f"docs(N={N})")
        assert_close(qs, want_qs, f"qs(N={N},M={M + 2})")


@pytest.mark.task("12.3")
@pytest.mark.checks("mistake")
def test_tfidf_vectors_weigh_queries_by_the_corpus_idf(rng):
    corpus = random_docs(rng, 6) + [WORDS]  # every word in the vocabulary
    queries = [["猫", "犬", "庭"], ["猫", "椅子"], ["猫", "寝", "て"]]  # 猫 in every query
    actual = vectors(corpus, queries)[1]
    correct = naive_tfidf(corpus, queries)[1]
    vocabulary = sorted(set(WORDS))
    counts = count_vectors(*queries, vocabulary)[:-1]  # columns: the corpus vocabulary

    def weighted(idf_docs):
        N = len(idf_docs)
        idf = np.array(
            [math.log((1 + N) / (1 + sum(t in d for d in idf_docs))) + 1 for t in vocabulary]
        )
        w = counts * idf
        return w / np.linalg.norm(w, axis=1, keepdims=True)

    assert_not_mistake(
        actual,
        weighted(queries),
        msg(
            en="tfidf_vectors weighted the queries by an idf computed from the queries: the idf "
            "must come from the corpus alone, so queries and documents share the same weights",
            ja="tfidf_vectors がクエリから求めた idf でクエリを重み付けしています。idf はコーパスだけから"
            "求め、クエリと文書が同じ重みを共有するようにしましょう",
        ),
        correct=correct,
    )
    assert_not_mistake(
        actual,
        weighted(corpus + queries),
        msg(
            en="tfidf_vectors computed the idf from the corpus and the queries together: the "
            "queries must not change the weights, take the idf of the corpus alone",
            ja="tfidf_vectors がコーパスとクエリを合わせて idf を求めています。クエリで重みが変わっては"
            "いけません。コーパスだけの idf を使いましょう",
        ),
        correct=correct,
    )


# ---------------------------------------------------------------- 12.4 top_k

SCORES = np.array([1.0, 3.0, 3.0, 2.0, 3.0, 0.0])


def stable_top(scores, k: int) -> np.ndarray:
    return np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k]


@pytest.mark.task("12.4")
@pytest.mark.checks("inputs")
def test_top_k_leaves_the_scores_alone(rng):
    assert_inputs_unchanged(similarity.top_k, rng.standard_normal(10), 3)


@pytest.mark.task("12.4")
@pytest.mark.checks("types")
def test_top_k_is_a_k_long_int64_array(rng):
    assert_array(
        similarity.top_k(rng.standard_normal(10), 3), (3,), "top_k(scores,3)", dtype=np.int64
    )
    assert_array(
        similarity.top_k(np.array([4, 1, 9]), 1),
        (1,),
        msg(en="top_k of int scores", ja="整数スコアの top_k"),
        dtype=np.int64,
    )


@pytest.mark.task("12.4")
def test_top_k_by_hand():
    for k, expected in (
        (1, [1]),
        (2, [1, 2]),
        (3, [1, 2, 4]),
        (4, [1, 2, 4, 3]),
        (6, [1, 2, 4, 3, 0, 5]),
    ):
        got = np.asarray(similarity.top_k(SCORES, k))
        assert np.array_equal(got, expected), msg(
            en=f"top_k([1, 3, 3, 2, 3, 0], {k}) should be {expected} (highest first, equal scores "
            f"by smaller index), got {got.tolist()}",
            ja=f"top_k([1, 3, 3, 2, 3, 0], {k}) は {expected} のはずです(高い順、同点は添字の小さい順)が、"
            f"{got.tolist()} でした",
        )


@pytest.mark.task("12.4")
def test_top_k_equals_a_stable_full_sort(rng):
    for N in (1, 7, 50, 300):
        scores = rng.integers(0, max(2, N // 3), size=N).astype(float)  # many ties
        for k in sorted({1, (N + 1) // 2, N}):
            got = np.asarray(similarity.top_k(scores, k))
            want = stable_top(scores, k)
            assert np.array_equal(got, want), msg(
                en=f"top_k on {N} scores with k = {k} differs from the first k of a stable sort by "
                f"descending score: {num(got)}, expected {num(want)}",
                ja=f"{N} 個のスコアで k = {k} の top_k が、スコアの降順の安定ソートの先頭 k 個と違います: "
                f"{num(got)}、正しくは {num(want)}",
            )


@pytest.mark.task("12.4")
@pytest.mark.checks("mistake")
def test_top_k_takes_the_highest_scores_in_order():
    scores = np.array([3.0, 9.0, 1.0, 7.0, 5.0, 8.0, 0.0, 6.0, 2.0, 4.0])  # top 5: 1 5 3 7 4
    got = np.asarray(similarity.top_k(scores, 5))
    assert_not_mistake(
        got,
        np.argsort(scores)[:5],
        msg(
            en="top_k returned the lowest scores: np.argpartition(scores, k) collects the k "
            "smallest; partition -scores to get the highest",
            ja="top_k が低いスコアを返しました。np.argpartition(scores, k) は小さい方から k 個を集めます。"
            "高い方を得るには -scores を分割しましょう",
        ),
    )
    want = stable_top(scores, 5)
    same_set = np.array_equal(np.sort(got), np.sort(want))
    assert not same_set or np.array_equal(got, want), msg(
        en=f"top_k found the right indices {num(np.sort(want))} but not highest first: got "
        f"{num(got)}. argpartition leaves the k in no particular order; sort them by score",
        ja=f"top_k の添字の集合 {num(np.sort(want))} は正しいのですが、高い順になっていません: "
        f"{num(got)}。argpartition は k 個を順不同で返すので、スコアで並べ替えましょう",
    )


@pytest.mark.task("12.4")
@pytest.mark.checks("mistake")
def test_top_k_puts_the_smaller_index_first_among_ties():
    scores = np.array([2.0, 5.0, 5.0, 1.0, 5.0, 2.0, 2.0])
    for k in (2, 3, 5):
        assert_not_mistake(
            similarity.top_k(scores, k),
            np.argsort(scores, kind="stable")[::-1][:k],
            msg(
                en="top_k put the larger index first among equal scores: reversing an ascending "
                "argsort reverses the ties too. Sort by -scores, then by index",
                ja="top_k が同点のとき大きい添字を先にしています。昇順の argsort を逆にすると同点の順も"
                "逆になります。-scores で、次に添字で並べましょう",
            ),
            correct=stable_top(scores, k),
        )


@pytest.mark.task("12.4")
@pytest.mark.perf
def test_top_k_over_a_million_scores_is_vectorised(rng):
    # argpartition takes a few ms; a stable argsort of all N ~50x that, sorted() ~500x
    N, k = 1_000_000, 10
    scores = rng.standard_normal(N)

    def partitioned(s, k):
        top = np.argpartition(-s, k - 1)[:k]
        return top[np.argsort(-s[top], kind="stable")]

    assert_fast_enough(
        similarity.top_k,
        partitioned,
        lambda run: (np.roll(scores, run), k),  # each run its own order
        msg(en=f"top_k of {k} among {N} scores", ja=f"{N} 個のスコアからの top_k({k} 個)"),
        msg(
            en="np.argpartition finds the k highest in linear time, and only those k need sorting: "
            "look for a sort of all N scores (np.argsort, sorted()) or a Python loop over them in "
            "top_k",
            ja="np.argpartition なら線形時間で上位 k 個が見つかり、並べ替えるのはその k 個だけです。"
            "top_k で N 個すべてのスコアを並べ替えていないか(np.argsort、sorted())、スコアを回す "
            "Python のループがないか探しましょう",
        ),
    )
    assert np.array_equal(np.asarray(similarity.top_k(scores, k)), stable_top(scores, k)), msg(
        en=f"top_k of {k} among {N} scores differs from a full sort",
        ja=f"{N} 個のスコアからの top_k({k} 個)が全体のソートの結果と違います",
    )


# ---------------------------------------------------------------- 12.5 jaccard and bm25


@pytest.mark.task("12.5")
@pytest.mark.checks("inputs")
def test_jaccard_and_bm25_leave_their_inputs_alone(rng):
    a, b = random_docs(rng, 2)
    assert_inputs_unchanged(similarity.jaccard, a, b)
    assert_inputs_unchanged(similarity.bm25, a, random_docs(rng, 4))


@pytest.mark.task("12.5")
@pytest.mark.checks("types")
def test_jaccard_is_a_float_and_bm25_an_array_of_N(rng):
    assert_scalar(similarity.jaccard(CHAIR_WORDS, BED_WORDS), "jaccard(a,b)")
    assert_scalar(similarity.jaccard([], []), "jaccard([],[])")
    assert_array(similarity.bm25(["猫"], random_docs(rng, 5)), (5,), "bm25(query,docs)")


@pytest.mark.task("12.5")
def test_jaccard_of_the_posts_pair():
    assert_close(
        similarity.jaccard(CHAIR_WORDS, BED_WORDS),
        0.8,
        msg(
            en="jaccard of the post's pair as words: 8 shared / 10 in all",
            ja="単語で見た記事の 2 文の jaccard: 共通 8 / 全体 10",
        ),
    )
    assert_close(
        similarity.jaccard(bigrams(CHAIR), bigrams(BED)),
        0.5,
        msg(
            en="the same pair as character bigrams: 7 shared / 14 in all",
            ja="同じ 2 文を文字バイグラムで: 共通 7 / 全体 14",
        ),
    )


@pytest.mark.task("12.5")
def test_jaccard_edge_cases():
    cases = [
        ([], [], 0.0, msg(en="both empty: 0 by definition", ja="両方とも空: 定義により 0")),
        (["猫"], [], 0.0, msg(en="one empty: nothing shared", ja="片方が空: 共通なし")),
        (["猫", "猫", "犬"], ["猫"], 0.5, msg(en="repeats count once", ja="繰り返しは 1 回")),
        (["a", "b"], ["b", "a", "a"], 1.0, msg(en="the same set", ja="同じ集合")),
    ]
    for a, b, want, why in cases:
        assert_close(
            similarity.jaccard(a, b),
            want,
            msg(en=f"jaccard({a}, {b}): {why}", ja=f"jaccard({a}, {b}): {why}"),
        )


@pytest.mark.task("12.5")
def test_jaccard_on_generated_documents(rng):
    for _ in range(10):
        a, b = random_docs(rng, 2)
        kinds = sorted(set(a + b))
        shared = sum(1 for t in kinds if t in a and t in b)
        assert_close(
            similarity.jaccard(a, b),
            shared / len(kinds),
            msg(en=f"jaccard({a}, {b})", ja=f"jaccard({a}, {b})"),
        )


@pytest.mark.task("12.5")
@pytest.mark.checks("mistake")
def test_jaccard_counts_a_shared_token_once_in_the_union():
    assert_not_mistake(
        similarity.jaccard(CHAIR_WORDS, BED_WORDS),
        8 / 18,
        msg(
            en="jaccard divided by len(A) + len(B), which counts every shared token twice; the "
            "union len(A | B) counts it once",
            ja="jaccard が len(A) + len(B) で割っています。これでは共通のトークンを 2 回数えます。"
            "和集合 len(A | B) なら 1 回です",
        ),
    )


def naive_bm25(query, docs, k1=1.5, b=0.75) -> np.ndarray:
    N, avgdl = len(docs), sum(len(d) for d in docs) / len(docs)
    scores = np.zeros(N)
    for i, doc in enumerate(docs):
        for q in query:
            f, n = doc.count(q), sum(q in d for d in docs)
            idf = math.log((N - n + 0.5) / (n + 0.5) + 1)
            scores[i] += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len(doc) / avgdl))
    return scores


CATS = [["猫", "猫", "寝る"], ["猫", "が", "寝る"], ["犬", "が", "走る"]]  # all of length 3


@pytest.mark.task("12.5")
def test_bm25_by_hand():
    # equal lengths: the length term is k1; 猫 is in 2 of 3 documents: idf = ln(1.5 / 2.5 + 1)
    assert_close(
        similarity.bm25(["猫"], CATS),
        math.log(1.6) * np.array([2 * 2.5 / (2 + 1.5), 1.0, 0.0]),
        msg(
            en="bm25 of 猫: ln 1.6 · f (k1 + 1) / (f + k1), with f = 2, 1, 0",
            ja="猫 の bm25: ln 1.6 · f (k1 + 1) / (f + k1)、f = 2, 1, 0",
        ),
    )
    # b = 1, lengths 1 and 3 (avgdl 2): 猫 in both, idf = ln(0.5 / 2.5 + 1) = ln 1.2
    assert_close(
        similarity.bm25(["猫"], [["猫"], ["猫", "が", "寝る"]], b=1.0),
        math.log(1.2) * np.array([2.5 / (1 + 1.5 * 0.5), 2.5 / (1 + 1.5 * 1.5)]),
        msg(
            en="bm25 with b = 1: the short document counts more (|d| / avgdl = 0.5 and 1.5)",
            ja="b = 1 の bm25: 短い文書ほど大きくなります(|d| / avgdl = 0.5 と 1.5)",
        ),
    )


@pytest.mark.task("12.5")
def test_bm25_on_generated_documents(rng):
    for _ in range(6):
        docs, query = random_docs(rng, int(rng.integers(1, 8))), random_docs(rng, 1, longest=4)[0]
        k1, b = float(rng.uniform(0.5, 2.5)), float(rng.uniform(0.0, 1.0))
        assert_close(
            similarity.bm25(query, docs, k1=k1, b=b),
            naive_bm25(query, docs, k1, b),
            f"bm25(k1={num(k1)},b={num(b)})",
        )


@pytest.mark.task("12.5")
def test_bm25_defaults_are_k1_1_5_and_b_0_75(rng):
    docs = random_docs(rng, 6) + [["猫"], ["猫", "庭", "犬", "寝", "て", "いる", "猫", "が"]]
    assert_close(
        similarity.bm25(["猫", "庭"], docs),
        similarity.bm25(["猫", "庭"], docs, k1=1.5, b=0.75),
        msg(
            en="bm25(query, docs) with the defaults k1 = 1.5, b = 0.75",
            ja="既定値 k1 = 1.5, b = 0.75 での bm25(query, docs)",
        ),
    )
    assert_close(
        similarity.bm25(["猫", "庭"], docs),
        naive_bm25(["猫", "庭"], docs),
        msg(en="bm25 with the default k1 and b", ja="既定の k1 と b での bm25"),
    )


@pytest.mark.task("12.5")
@pytest.mark.checks("mistake")
def test_bm25_idf_stays_positive_for_common_tokens():
    docs = [["猫", "が"], ["猫", "寝る"], ["猫"], ["犬"]]  # 猫 in 3 of 4
    actual = similarity.bm25(["猫"], docs)
    with_one = naive_bm25(["猫"], docs)
    assert_not_mistake(
        actual,
        with_one * math.log(1.5 / 3.5) / math.log(1.5 / 3.5 + 1),
        msg(
            en="bm25 gave a token found in most documents a negative idf: use ln((N - n + 0.5) / "
            "(n + 0.5) + 1), whose + 1 keeps every idf above 0",
            ja="bm25 で、多くの文書にあるトークンの idf が負になっています。ln((N - n + 0.5) / (n + 0.5) + 1) "
            "を使いましょう。+ 1 があればどの idf も 0 より大きくなります",
        ),
    )


@pytest.mark.task("12.5")
@pytest.mark.checks("mistake")
def test_bm25_divides_the_length_by_the_mean_length():
    docs = [["猫"], ["猫", "が", "寝る", "猫"], ["犬", "が"]]
    k1, b = 1.5, 0.75
    idf = math.log((3 - 2 + 0.5) / (2 + 0.5) + 1)
    raw_length = [
        idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len(d))) for f, d in zip([1, 2, 0], docs)
    ]
    assert_not_mistake(
        similarity.bm25(["猫"], docs),
        raw_length,
        msg(
            en="bm25 used the raw length |d| in the length term: it is |d| / avgdl, the length "
            "relative to the mean length of the documents",
            ja="bm25 が長さの項に |d| をそのまま使っています。正しくは |d| / avgdl、文書の平均の長さに"
            "対する長さです",
        ),
    )


@pytest.mark.task("12.5")
@pytest.mark.checks("mistake")
def test_bm25_counts_a_repeated_query_token_each_time():
    once = np.asarray(similarity.bm25(["猫"], CATS), dtype=float)
    twice = similarity.bm25(["猫", "猫"], CATS)
    assert_not_mistake(
        twice,
        once,
        msg(
            en="bm25 counted a repeated query token once: each occurrence in the query adds its "
            "term again, so the query 猫 猫 scores twice as much as 猫",
            ja="bm25 がクエリで繰り返したトークンを 1 回しか数えていません。クエリに出るたびにその項を"
            "もう一度足すので、クエリ 猫 猫 のスコアは 猫 の 2 倍です",
        ),
    )
    assert_close(
        twice,
        2 * naive_bm25(["猫"], CATS),
        msg(en="bm25 of the query 猫 猫", ja="クエリ 猫 猫 の bm25"),
    )
