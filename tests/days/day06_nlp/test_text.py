"""day06 suite, text.py: NFKC normalisation (full-width letters and digits, half-width katakana
with its voiced marks, whitespace), character n-grams against a plain loop, a sorted vocabulary
and a bag of words against collections.Counter, and smooth TF-IDF against a loop written here
from the formula, with unit rows, empty documents and a corpus's idf reused for a query.
Every README mistake is named by what it would return."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    implementation,
    msg,
    num,
)

text = implementation("day06_nlp.text")

# ---------------------------------------------------------------- characters the tests build

FULL_WIDTH_OFFSET = 0xFF01 - 0x21  # Ａ is A + this, ０ is 0 + this (the block U+FF01..U+FF5E)
# half-width katakana of the ka row and the full-width letters they stand for; the voiced
# form (ｶﾞ = ｶ + the half-width voiced mark ﾞ) is the full-width letter's next code point
HALF_KA_ROW = {"ｶ": "カ", "ｷ": "キ", "ｸ": "ク", "ｹ": "ケ", "ｺ": "コ"}
HALF_VOICED_MARK = "\uff9e"  # ﾞ
WHITESPACE = [" ", "  ", "\t", "\n", "\u3000", " \u3000 "]  # \u3000: the full-width space
WORDS = ["cat", "dog", "sat", "mat", "on", "the", "a", "猫", "犬", "寝る", "椅子", "ベッド"]


def full_width(ascii_text: str) -> str:
    return "".join(chr(ord(c) + FULL_WIDTH_OFFSET) for c in ascii_text)


def same_string(actual, expected: str, what: str) -> None:
    assert isinstance(actual, str), msg(
        en=f"{what} should return a str, got {type(actual).__name__}",
        ja=f"{what} は str を返すはずですが、{type(actual).__name__} でした",
    )
    assert actual == expected, msg(
        en=f"{what} returned {actual!r}, expected {expected!r}",
        ja=f"{what} は {actual!r} を返しましたが、正しくは {expected!r} です",
    )


def not_the_mistake(actual, right, mistaken, message: str) -> None:
    """Fail with `message` when `actual` is what a mistake returns and the mistake differs from
    the right answer on this input."""
    assert mistaken == right or actual != mistaken, message


# ---------------------------------------------------------------- 6.1 normalize


def nfkc_pipeline(s: str, form: str = "NFKC", lower_first: bool = False) -> str:
    """What normalize computes when it uses `form`, or lowers before normalising."""
    if lower_first:
        return " ".join(unicodedata.normalize(form, s.lower()).split())
    return " ".join(unicodedata.normalize(form, s).lower().split())


@pytest.mark.task("6.1")
@pytest.mark.checks("types")
def test_normalize_returns_a_string():
    for sample in ["", "Abc", "ＡＢＣ"]:
        result = text.normalize(sample)
        assert isinstance(result, str), msg(
            en=f"normalize({sample!r}) should return a str, got {type(result).__name__}",
            ja=f"normalize({sample!r}) は str を返すはずですが、{type(result).__name__} でした",
        )


@pytest.mark.task("6.1")
@pytest.mark.checks("mistake")
def test_normalize_uses_nfkc_not_nfc_or_nfkd():
    for sample in ["ＡＢＣ１２３", "ﾃﾞｰﾀ", "ｶﾞｷﾞｸﾞ"]:
        actual = text.normalize(sample)
        right = nfkc_pipeline(sample)
        not_the_mistake(
            actual,
            right,
            nfkc_pipeline(sample, "NFC"),
            msg(
                en=f"normalize({sample!r}) kept the full-width or half-width characters: that is "
                "what NFC does. NFKC (the K: compatibility) is the form that folds them",
                ja=f"normalize({sample!r}) で全角・半角の文字がそのまま残っています。それは NFC の"
                "結果です。それらをそろえるのは NFKC(K は互換 compatibility)です",
            ),
        )
        not_the_mistake(
            actual,
            right,
            nfkc_pipeline(sample, "NFKD"),
            msg(
                en=f"normalize({sample!r}) split a voiced katakana into its base letter and a "
                "combining mark (2 code points): that is NFKD. NFKC composes them back into one "
                "character",
                ja=f"normalize({sample!r}) で濁音のカタカナが、もとの文字と結合用の濁点の 2 文字に"
                "分かれています。それは NFKD の結果です。NFKC なら 1 文字に合成されます",
            ),
        )


@pytest.mark.task("6.1")
@pytest.mark.checks("mistake")
def test_normalize_lowers_after_normalising():
    for sample in ["ℌello", "ℭℌ", "ℑℜ"]:
        not_the_mistake(
            text.normalize(sample),
            nfkc_pipeline(sample),
            nfkc_pipeline(sample, lower_first=True),
            msg(
                en=f"normalize({sample!r}) lowered the letters before NFKC: a letter such as ℌ "
                "has no lower case until NFKC turns it into H, so normalise first, then lower()",
                ja=f"normalize({sample!r}) が NFKC の前に小文字にしています。ℌ のような文字は NFKC で "
                "H になるまで小文字を持ちません。先に正規化し、そのあと lower() しましょう",
            ),
        )


@pytest.mark.task("6.1")
def test_normalize_folds_full_width_letters_and_digits():
    same_string(text.normalize("ＡＢＣ１２３"), "abc123", "normalize('ＡＢＣ１２３')")
    same_string(text.normalize("ＬＬＭへ至る道"), "llmへ至る道", "normalize('ＬＬＭへ至る道')")
    same_string(text.normalize("ＧＰＴ－４！"), "gpt-4!", "normalize('ＧＰＴ－４！')")


@pytest.mark.task("6.1")
def test_normalize_turns_half_width_katakana_full_width_and_joins_voiced_marks():
    same_string(text.normalize("ｶﾀｶﾅ"), "カタカナ", "normalize('ｶﾀｶﾅ')")
    same_string(text.normalize("ﾃﾞｰﾀ"), "データ", "normalize('ﾃﾞｰﾀ')")
    result = text.normalize("ｶﾞ")
    same_string(result, "ガ", "normalize('ｶﾞ')")
    assert len(result) == 1, msg(
        en=f"normalize('ｶﾞ') should be one character, got {len(result)}",
        ja=f"normalize('ｶﾞ') は 1 文字のはずですが、{len(result)} 文字でした",
    )


@pytest.mark.task("6.1")
def test_normalize_collapses_whitespace_and_strips_the_ends():
    same_string(text.normalize("  the\t cat \n\n sat  "), "the cat sat", "normalize")
    same_string(text.normalize("猫が\u3000\u3000寝ている"), "猫が 寝ている", "normalize")
    same_string(text.normalize(" \t\u3000\n"), "", "normalize(' \\t\\u3000\\n')")


@pytest.mark.task("6.1")
def test_normalize_lowercase_flag_and_its_default():
    same_string(
        text.normalize("ＡＢＣ Ｄef", lowercase=False),
        "ABC Def",
        "normalize('ＡＢＣ Ｄef', lowercase=False)",
    )
    same_string(
        text.normalize("ＡＢＣ Ｄef", lowercase=True),
        "abc def",
        "normalize('ＡＢＣ Ｄef', lowercase=True)",
    )
    same_string(
        text.normalize("ＡＢＣ Ｄef"),
        "abc def",
        msg(
            en="normalize('ＡＢＣ Ｄef') with the default lowercase",
            ja="lowercase を既定値にした normalize('ＡＢＣ Ｄef')",
        ),
    )


@pytest.mark.task("6.1")
def test_normalize_on_generated_text(rng):
    """Full-width words, half-width ka-row katakana (some voiced) and random whitespace, against
    an oracle built from code-point arithmetic, not from unicodedata."""
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    half = list(HALF_KA_ROW)
    for _ in range(20):
        pieces, words = [], []
        for _ in range(int(rng.integers(1, 6))):
            if rng.random() < 0.5:
                word = "".join(rng.choice(letters, size=int(rng.integers(1, 6))))
                pieces.append(full_width(word))
                words.append(word.lower())
            else:
                chosen = [
                    (half[i], bool(v)) for i, v in zip(rng.integers(0, 5, 4), rng.random(4) < 0.5)
                ]
                pieces.append("".join(h + (HALF_VOICED_MARK if v else "") for h, v in chosen))
                words.append("".join(chr(ord(HALF_KA_ROW[h]) + v) for h, v in chosen))
            pieces.append(WHITESPACE[int(rng.integers(len(WHITESPACE)))])
        sample = WHITESPACE[int(rng.integers(len(WHITESPACE)))] + "".join(pieces)
        same_string(text.normalize(sample), " ".join(words), f"normalize({sample!r})")


# ---------------------------------------------------------------- 6.2 char_ngrams


def naive_ngrams(s: str, n: int) -> list[str]:
    grams, start = [], 0
    while start + n <= len(s):
        grams.append(s[start : start + n])
        start += 1
    return grams


def same_list(actual, expected: list, what: str) -> None:
    assert isinstance(actual, list), msg(
        en=f"{what} should return a list, got {type(actual).__name__}",
        ja=f"{what} は list を返すはずですが、{type(actual).__name__} でした",
    )
    assert actual == expected, msg(
        en=f"{what} returned {actual}, expected {expected}",
        ja=f"{what} は {actual} を返しましたが、正しくは {expected} です",
    )


@pytest.mark.task("6.2")
@pytest.mark.checks("types")
def test_char_ngrams_returns_a_list_of_strings():
    for sample, n in [("abcd", 2), ("ab", 3)]:
        grams = text.char_ngrams(sample, n)
        assert isinstance(grams, list) and all(isinstance(g, str) for g in grams), msg(
            en=f"char_ngrams({sample!r}, {n}) should return a list of str, got "
            f"{type(grams).__name__}",
            ja=f"char_ngrams({sample!r}, {n}) は str の list を返すはずですが、"
            f"{type(grams).__name__} でした",
        )


@pytest.mark.task("6.2")
@pytest.mark.checks("mistake")
def test_char_ngrams_keeps_the_last_and_adds_no_short_tails():
    for s, n in [("すもも", 2), ("abcd", 3), ("猫が寝ている", 2)]:
        actual, right = text.char_ngrams(s, n), naive_ngrams(s, n)
        not_the_mistake(
            actual,
            right,
            right[:-1],
            msg(
                en=f"char_ngrams({s!r}, {n}) lost the last n-gram {right[-1]!r}: a text of length "
                "L has L - n + 1 of them, so the starts run over range(L - n + 1)",
                ja=f"char_ngrams({s!r}, {n}) で最後の n-gram {right[-1]!r} が抜けています。長さ L の"
                "文字列には L - n + 1 個あるので、開始位置は range(L - n + 1) です",
            ),
        )
        not_the_mistake(
            actual,
            right,
            [s[i : i + n] for i in range(len(s))],
            msg(
                en=f"char_ngrams({s!r}, {n}) ends with n-grams shorter than n: the last one "
                "starts at L - n, not at L - 1",
                ja=f"char_ngrams({s!r}, {n}) の最後に n 文字より短い切れ端があります。最後の n-gram は"
                "L - 1 ではなく L - n から始まります",
            ),
        )


@pytest.mark.task("6.2")
def test_char_ngrams_of_a_japanese_sentence():
    same_list(
        text.char_ngrams("すもももももも", 2),
        ["すも", "もも", "もも", "もも", "もも", "もも"],
        "char_ngrams('すもももももも', 2)",
    )
    same_list(text.char_ngrams("猫が寝る", 3), ["猫が寝", "が寝る"], "char_ngrams('猫が寝る', 3)")
    same_list(
        text.char_ngrams("猫が寝る"),
        ["猫が", "が寝", "寝る"],
        msg(en="n's default", ja="n の既定値"),
    )


@pytest.mark.task("6.2")
def test_char_ngrams_edge_lengths():
    same_list(text.char_ngrams("abc", 1), ["a", "b", "c"], "char_ngrams('abc', 1)")
    same_list(text.char_ngrams("abc", 3), ["abc"], "char_ngrams('abc', 3)")
    same_list(text.char_ngrams("", 2), [], "char_ngrams('', 2)")
    same_list(text.char_ngrams("a", 2), [], "char_ngrams('a', 2)")
    same_list(text.char_ngrams("ab", 3), [], "char_ngrams('ab', 3)")


@pytest.mark.task("6.2")
def test_char_ngrams_on_generated_text(rng):
    alphabet = np.array(list("あいうえおかきくけこ猫犬ab "))
    for _ in range(30):
        s = "".join(rng.choice(alphabet, size=int(rng.integers(0, 15))))
        n = int(rng.integers(1, 5))
        same_list(text.char_ngrams(s, n), naive_ngrams(s, n), f"char_ngrams({s!r}, {n})")


# ---------------------------------------------------------------- 6.3 vocabulary, bag of words


DOCS = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog"], []]
DOCS_VOCABULARY = ["cat", "dog", "mat", "on", "sat", "the"]
DOCS_COUNTS = [
    [1, 0, 1, 1, 1, 2],  # the cat sat on the mat: "the" twice
    [0, 1, 0, 0, 0, 1],  # the dog
    [0, 0, 0, 0, 0, 0],  # an empty document
]


def generated_docs(rng, N: int) -> list[list[str]]:
    """N documents drawn from WORDS (at least 10 distinct tokens in all), repeats likely."""
    while True:
        docs = [list(rng.choice(WORDS, size=int(rng.integers(0, 9)))) for _ in range(N)]
        docs = [[str(t) for t in doc] for doc in docs]
        if len({t for doc in docs for t in doc}) >= 10:
            return docs


def counter_counts(docs, vocabulary) -> np.ndarray:
    counts = np.zeros((len(docs), len(vocabulary)))
    for i, doc in enumerate(docs):
        tally = Counter(doc)
        for v, token in enumerate(vocabulary):
            counts[i, v] = tally[token]
    return counts


@pytest.mark.task("6.3")
@pytest.mark.checks("inputs")
def test_vocabulary_and_bag_of_words_leave_their_inputs_alone(rng):
    docs = generated_docs(rng, 4)
    assert_inputs_unchanged(text.build_vocabulary, docs)
    assert_inputs_unchanged(text.bag_of_words, docs, sorted(WORDS))


@pytest.mark.task("6.3")
@pytest.mark.checks("types")
def test_vocabulary_is_a_list_of_strings_and_counts_an_array():
    vocabulary = text.build_vocabulary(DOCS)
    assert isinstance(vocabulary, list) and all(isinstance(t, str) for t in vocabulary), msg(
        en=f"build_vocabulary should return a list of str, got {type(vocabulary).__name__}",
        ja=f"build_vocabulary は str の list を返すはずですが、{type(vocabulary).__name__} でした",
    )
    assert_array(text.bag_of_words(DOCS, DOCS_VOCABULARY), (3, 6), "bag_of_words(docs,vocabulary)")
    assert_array(text.bag_of_words([], DOCS_VOCABULARY), (0, 6), "bag_of_words([],vocabulary)")


@pytest.mark.task("6.3")
@pytest.mark.checks("mistake")
def test_vocabulary_is_sorted_with_each_token_once(rng):
    docs = generated_docs(rng, 6)
    vocabulary = text.build_vocabulary(docs)
    right = sorted({t for doc in docs for t in doc})
    assert isinstance(vocabulary, list) and len(vocabulary) == len(set(vocabulary)), msg(
        en=f"build_vocabulary returned some tokens more than once ({len(vocabulary)} tokens, "
        f"{len(set(vocabulary))} distinct): collect them in a set first",
        ja=f"build_vocabulary が同じトークンを 2 回以上返しています(トークン {len(vocabulary)} 個、"
        f"異なるものは {len(set(vocabulary))} 個)。まず set に集めましょう",
    )
    assert set(vocabulary) != set(right) or vocabulary == right, msg(
        en="build_vocabulary's tokens are not sorted: a set's order changes from run to run, "
        "and the columns of the bag of words follow it. Return sorted(...)",
        ja="build_vocabulary のトークンがソートされていません。set の順番は実行ごとに変わり、"
        "Bag of Words の列の順番もそれに従ってしまいます。sorted(...) を返しましょう",
    )


@pytest.mark.task("6.3")
@pytest.mark.checks("mistake")
def test_bag_of_words_counts_a_repeated_token_each_time(rng):
    docs = [["the", "cat", "the", "the"], *generated_docs(rng, 5)]
    vocabulary = sorted({t for doc in docs for t in doc})
    right = counter_counts(docs, vocabulary)
    assert_not_mistake(
        text.bag_of_words(docs, vocabulary),
        np.minimum(right, 1.0),
        msg(
            en="bag_of_words counted a repeated token once: counts[i, columns] += 1 adds 1 once per "
            "distinct column. Use np.add.at, or add 1 token by token",
            ja="bag_of_words が繰り返し出たトークンを 1 回しか数えていません。counts[i, columns] += 1 は"
            "同じ列に 1 回しか足しません。np.add.at を使うか、トークンごとに 1 を足しましょう",
        ),
    )


@pytest.mark.task("6.3")
def test_bag_of_words_by_hand():
    same_list(text.build_vocabulary(DOCS), DOCS_VOCABULARY, "build_vocabulary(docs)")
    assert_close(text.bag_of_words(DOCS, DOCS_VOCABULARY), np.array(DOCS_COUNTS, float), "counts")
    bigrams = [["猫が", "が寝", "寝る"], ["犬が", "が寝", "寝る"]]
    same_list(text.build_vocabulary(bigrams), ["が寝", "寝る", "犬が", "猫が"], "build_vocabulary")
    assert_close(
        text.bag_of_words(bigrams, ["が寝", "寝る", "犬が", "猫が"]),
        np.array([[1.0, 1, 0, 1], [1, 1, 1, 0]]),
        "counts",
    )


@pytest.mark.task("6.3")
def test_vocabulary_of_no_documents_or_empty_ones_is_empty():
    same_list(text.build_vocabulary([]), [], "build_vocabulary([])")
    same_list(text.build_vocabulary([[], []]), [], "build_vocabulary([[], []])")
    same_list(text.build_vocabulary([["b", "a", "b"], ["a"]]), ["a", "b"], "build_vocabulary")


@pytest.mark.task("6.3")
def test_bag_of_words_ignores_tokens_outside_the_vocabulary_and_follows_its_order():
    counts = text.bag_of_words([["the", "cat", "purrs", "the"]], ["the", "dog", "cat"])
    assert_close(
        counts,
        np.array([[2.0, 0.0, 1.0]]),
        msg(
            en="counts for the vocabulary ['the', 'dog', 'cat'] (purrs is not in it)",
            ja="語彙 ['the', 'dog', 'cat'] での回数(purrs は語彙にありません)",
        ),
    )
    assert_close(
        text.bag_of_words([["x"]], []),
        np.zeros((1, 0)),
        msg(en="counts for an empty vocabulary", ja="空の語彙での回数"),
    )


@pytest.mark.task("6.3")
def test_bag_of_words_on_generated_documents(rng):
    docs = generated_docs(rng, 8)
    vocabulary = sorted({t for doc in docs for t in doc})
    same_list(text.build_vocabulary(docs), vocabulary, "build_vocabulary")
    shuffled = [vocabulary[i] for i in rng.permutation(len(vocabulary))][
        :-2
    ]  # any order, 2 left out
    assert_close(text.bag_of_words(docs, shuffled), counter_counts(docs, shuffled), "counts")


# ---------------------------------------------------------------- 6.4 smooth_idf, tfidf


def naive_idf(counts) -> np.ndarray:
    N, V = len(counts), len(counts[0])
    idf = np.zeros(V)
    for v in range(V):
        df = sum(1 for i in range(N) if counts[i][v] > 0)
        idf[v] = math.log((1 + N) / (1 + df)) + 1
    return idf


def naive_tfidf(counts, idf) -> np.ndarray:
    out = np.zeros((len(counts), len(idf)))
    for i, row in enumerate(counts):
        weights = [float(c) * w for c, w in zip(row, idf)]
        norm = math.sqrt(sum(x * x for x in weights))
        out[i] = [x / norm if norm > 0 else 0.0 for x in weights]
    return out


def generated_counts(rng, N: int = 6, V: int = 9) -> np.ndarray:
    """Counts with a token in every document, a token in one, and an empty document."""
    counts = rng.integers(0, 4, size=(N, V)) * (rng.random((N, V)) < 0.5)
    counts[:, 0] = rng.integers(1, 4, size=N)  # in every document
    counts[:, 1] = 0
    counts[int(rng.integers(N - 1)), 1] = 2  # in exactly one
    counts[-1] = 0  # an empty document
    return counts.astype(float)


@pytest.mark.task("6.4")
@pytest.mark.checks("inputs")
def test_idf_and_tfidf_leave_their_inputs_alone(rng):
    counts = generated_counts(rng)
    idf = naive_idf(counts)
    assert_inputs_unchanged(text.smooth_idf, counts)
    assert_inputs_unchanged(text.tfidf, counts, idf)


@pytest.mark.task("6.4")
@pytest.mark.checks("types")
def test_idf_and_tfidf_return_float64_arrays():
    counts = np.array(DOCS_COUNTS)  # int
    assert_array(text.smooth_idf(counts), (6,), "smooth_idf(counts)")
    idf = naive_idf(DOCS_COUNTS)
    assert_array(text.tfidf(counts, idf), (3, 6), "tfidf(counts,idf)")
    assert_array(
        text.tfidf(counts.astype(np.float32), idf),
        (3, 6),
        msg(en="tfidf of float32 counts", ja="float32 の counts の tfidf"),
    )


@pytest.mark.task("6.4")
@pytest.mark.checks("mistake")
def test_idf_counts_documents_with_smoothing(rng):
    counts = generated_counts(rng)
    N = len(counts)
    actual = text.smooth_idf(counts)
    assert_not_mistake(
        actual,
        np.log((1 + N) / (1 + counts.sum(axis=0))) + 1,
        msg(
            en="smooth_idf counted occurrences, not documents: df[v] is the number of documents "
            "that hold token v at least once, (counts > 0).sum(axis=0)",
            ja="smooth_idf が出現回数を数えています。df[v] はトークン v を 1 回以上含む文書の数で、"
            "(counts > 0).sum(axis=0) です",
        ),
    )
    df = (counts > 0).sum(axis=0)
    with np.errstate(divide="ignore"):
        for unsmoothed in (np.log(N / df), np.log(N / df) + 1, np.log((1 + N) / (1 + df))):
            assert_not_mistake(
                actual,
                unsmoothed,
                msg(
                    en="smooth_idf is not the smooth idf ln((1 + N) / (1 + df)) + 1: add 1 to N and "
                    "to df (as if one more document held every token) and 1 to the log, so a "
                    "token in every document keeps weight 1 instead of 0",
                    ja="smooth_idf が smooth idf の ln((1 + N) / (1 + df)) + 1 になっていません。N と df に"
                    "1 を足し(すべてのトークンを含む文書がもう 1 つあるとみなす)、対数にも 1 を足します。"
                    "そうすれば、すべての文書に現れるトークンの重みは 0 ではなく 1 になります",
                ),
            )


@pytest.mark.task("6.4")
@pytest.mark.checks("mistake")
def test_tfidf_leaves_an_empty_document_at_zero():
    counts = np.array(DOCS_COUNTS, float)
    result = np.asarray(text.tfidf(counts, naive_idf(counts)), dtype=float)
    assert np.isfinite(result).all(), msg(
        en="tfidf returned NaN for the empty document (row 2): its norm is 0 and 0 / 0 is NaN. "
        "Divide only rows whose norm is above 0, e.g. by np.where(norms > 0, norms, 1.0)",
        ja="tfidf が空の文書(2 行目)で NaN を返しました。ノルムが 0 なので 0 / 0 = NaN です。"
        "ノルムが 0 より大きい行だけを割りましょう(例えば np.where(norms > 0, norms, 1.0) で割る)",
    )
    assert_close(result[2], np.zeros(6), msg(en="the empty document's row", ja="空の文書の行"))


@pytest.mark.task("6.4")
def test_idf_and_tfidf_by_hand():
    # N = 3; df = [3, 1, 1]: idf = [ln(4/4) + 1, ln(4/2) + 1, ln(4/2) + 1] = [1, 1 + ln 2, 1 + ln 2]
    counts = np.array([[1, 1, 0], [1, 0, 2], [2, 0, 0]])
    a = 1 + math.log(2)
    assert_close(text.smooth_idf(counts), np.array([1.0, a, a]), "smooth_idf(counts)")
    expected = np.array(
        [
            [1, a, 0] / np.sqrt(1 + a**2),
            [1, 0, 2 * a] / np.sqrt(1 + 4 * a**2),
            [1.0, 0, 0],  # a token in every document keeps weight 1: this row is (2, 0, 0) / 2
        ]
    )
    assert_close(text.tfidf(counts, text.smooth_idf(counts)), expected, "tfidf(counts,idf)")


@pytest.mark.task("6.4")
def test_tfidf_of_two_japanese_sentences_by_hand():
    """Character bigrams of 猫が私の椅子で寝ている and 猫が私のベッドで寝ている (day 12's pair): 7 bigrams
    shared (idf 1), 3 and 4 of their own (idf ln(3/2) + 1 = b), each once."""
    s1 = ["猫が", "が私", "私の", "の椅", "椅子", "子で", "で寝", "寝て", "てい", "いる"]
    s2 = ["猫が", "が私", "私の", "のベ", "ベッ", "ッド", "ドで", "で寝", "寝て", "てい", "いる"]
    vocabulary = sorted(set(s1) | set(s2))  # V = 14
    counts = np.array([[float(t in s) for t in vocabulary] for s in (s1, s2)])  # (2, 14)
    b = math.log(3 / 2) + 1
    shared = np.array([t in s1 and t in s2 for t in vocabulary])
    idf = text.smooth_idf(counts)
    assert_close(
        idf,
        np.where(shared, 1.0, b),
        msg(en="smooth idf of the two sentences' bigrams", ja="2 文のバイグラムの smooth idf"),
    )
    vectors = np.asarray(text.tfidf(counts, np.where(shared, 1.0, b)), dtype=float)
    cosine = float(vectors[0] @ vectors[1])
    expected = 7 / math.sqrt((7 + 3 * b**2) * (7 + 4 * b**2))
    assert_close(
        cosine,
        expected,
        msg(
            en="the cosine of the two tfidf rows, 7 / sqrt((7 + 3 b^2) (7 + 4 b^2))",
            ja="2 つの tfidf 行のコサイン 7 / sqrt((7 + 3 b^2) (7 + 4 b^2))",
        ),
    )


@pytest.mark.task("6.4")
def test_tfidf_uses_the_idf_it_is_given():
    """A query is weighted with the corpus's idf, not with an idf of the query alone."""
    query = np.array([[1.0, 2.0, 0.0, 1.0]])
    idf = np.array([1.0, 3.0, 5.0, 2.0])
    expected = np.array([[1.0, 6.0, 0.0, 2.0]]) / math.sqrt(41.0)
    assert_close(
        text.tfidf(query, idf),
        expected,
        msg(en="tfidf(query, corpus_idf)", ja="tfidf(query, corpus_idf)"),
    )


@pytest.mark.task("6.4")
def test_tfidf_of_relative_frequencies_equals_tfidf_of_counts(rng):
    """Rows are scaled to norm 1, so dividing a row by its length changes nothing; fractions
    must stay fractions (norms below 1 included)."""
    counts = generated_counts(rng)
    idf = naive_idf(counts)
    lengths = np.maximum(counts.sum(axis=1, keepdims=True), 1.0)  # (N, 1)
    assert_close(
        text.tfidf(counts / lengths, idf),
        naive_tfidf(counts, idf),
        msg(
            en="tfidf of relative frequencies counts / length",
            ja="相対頻度 counts / length の tfidf",
        ),
    )
    assert_close(
        text.tfidf(np.array([[0.5, 0.25, 0.25]]), np.ones(3)),
        np.array([[2.0, 1.0, 1.0]]) / math.sqrt(6.0),
        msg(
            en="tfidf of the frequencies [0.5, 0.25, 0.25] with idf 1",
            ja="頻度 [0.5, 0.25, 0.25] と idf 1 での tfidf",
        ),
    )


@pytest.mark.task("6.4")
def test_tfidf_on_generated_counts(rng):
    counts = generated_counts(rng, N=int(rng.integers(3, 8)), V=int(rng.integers(3, 12)))
    idf = naive_idf(counts)
    assert_close(text.smooth_idf(counts), idf, "smooth_idf(counts)")
    assert np.all(np.asarray(text.smooth_idf(counts)) >= 1.0), msg(
        en="every smooth idf should be at least 1 (ln of a number >= 1, plus 1)",
        ja="smooth idf はどれも 1 以上のはずです(1 以上の数の ln に 1 を足したもの)",
    )
    result = text.tfidf(counts, idf)
    assert_close(result, naive_tfidf(counts, idf), "tfidf(counts,idf)")
    norms = np.linalg.norm(np.asarray(result, dtype=float)[:-1], axis=1)
    assert np.allclose(norms, 1.0), msg(
        en=f"every row of tfidf with some counts should have l2 norm 1, got {num(norms)}",
        ja=f"回数のある tfidf の各行の l2 ノルムは 1 のはずですが、{num(norms)} でした",
    )
    assert_close(
        text.tfidf(3 * counts, idf),
        result,
        msg(
            en="tfidf of 3 * counts (unit rows do not change with length)",
            ja="3 * counts の tfidf(単位長の行は文書の長さで変わりません)",
        ),
    )
