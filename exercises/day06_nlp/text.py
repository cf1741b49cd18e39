"""Day 6 · 自然言語処理ってなに? · What is NLP: text in, numbers out.

Normalising text, cutting it into character n-grams, counting tokens into a bag of words,
and weighting the counts by TF-IDF. A document is a list of tokens (words or character
n-grams); a vocabulary is a sorted list of distinct tokens, token v being column v. Day 12
compares documents with these TF-IDF vectors.
"""

import unicodedata  # noqa: F401

import numpy as np


def normalize(text: str, lowercase: bool = True) -> str:
    """Unicode NFKC normalisation, then lower case, then whitespace tidied.

    text: any string (Japanese, English, full-width ＡＢＣ１２３, half-width ｶﾀｶﾅ; "" too).
    lowercase: when True (default), letters are lowered after NFKC, so full-width Ａ gives a;
        when False, case is kept.
    Returns a str in NFKC form (full-width letters and digits become ASCII, half-width
    katakana becomes full-width, ｶﾞ becomes the one character ガ), lowered if asked, every run
    of whitespace (spaces, tabs, newlines, the full-width space) replaced by one space, and
    no whitespace at either end.
    """
    # TODO(6.1): NFKC first (unicodedata.normalize), then lower(), then " ".join(text.split())
    raise NotImplementedError("6.1 normalize: see README.md")


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Every run of n consecutive characters of text, left to right.

    text: any string; a character is one code point (no normalisation here).
    n: >= 1, the length of each n-gram (default 2, bigrams).
    Returns a list of len(text) - n + 1 strings, each of length n, in order of position,
    repeats kept; [] when text is shorter than n.
    """
    # TODO(6.2): one slice text[i : i + n] per start i; the last start is len(text) - n
    raise NotImplementedError("6.2 char_ngrams: see README.md")


def build_vocabulary(docs: list[list[str]]) -> list[str]:
    """The distinct tokens of docs, sorted.

    docs: N documents, each a list of tokens (words or character n-grams); N = 0 allowed.
    Returns a list of the V distinct tokens, each once, in sorted (code point) order:
    the column of token v in bag_of_words is its index v.
    """
    # TODO(6.3): collect every token of every document in a set, then sort it
    raise NotImplementedError("6.3 build_vocabulary: see README.md")


def bag_of_words(docs: list[list[str]], vocabulary: list[str]) -> np.ndarray:
    """How many times each vocabulary token occurs in each document.

    docs: N documents, each a list of tokens.
    vocabulary: V distinct tokens; column v counts vocabulary[v].
    Returns counts: (N, V) float64, counts[i, v] = the number of times vocabulary[v] occurs
    in docs[i]; tokens not in the vocabulary are ignored; N = 0 gives shape (0, V).
    """
    # TODO(6.3): map each token to its column once (a dict), then add 1 per occurrence
    raise NotImplementedError("6.3 bag_of_words: see README.md")


def smooth_idf(counts: np.ndarray) -> np.ndarray:
    """Smooth inverse document frequency of each vocabulary token.

    counts: (N, V) term counts, as bag_of_words returns (int, float32 or float64).
    Returns idf: (V,) float64, idf[v] = ln((1 + N) / (1 + df[v])) + 1, where df[v] is the
    number of documents in which token v occurs (counts[:, v] > 0). Always >= 1.
    """
    # TODO(6.4): df counts documents (counts > 0), not occurrences; then ln((1 + N) / (1 + df)) + 1
    raise NotImplementedError("6.4 smooth_idf: see README.md")


def tfidf(counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """TF-IDF vectors: counts weighted by idf, each row scaled to unit l2 norm.

    counts: (N, V) term counts of N documents (int, float32 or float64); relative
        frequencies (fractions) work the same, since every row is scaled to norm 1.
    idf: (V,) weight of each token, e.g. smooth_idf of a corpus (pass a corpus's idf to
        weight a new document the same way as the corpus).
    Returns (N, V) float64: row i is counts[i] * idf divided by its l2 norm, so every row
    has norm 1; a row with no counts (an empty document) stays all zeros.
    """
    # TODO(6.4): multiply counts by idf, then divide each row by its l2 norm (leave zero rows at 0)
    raise NotImplementedError("6.4 tfidf: see README.md")
