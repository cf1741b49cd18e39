"""Day 12 · 文章で類似度 · Sentence similarity.

Sentences become vectors (a mean of token vectors, or day 6's TF-IDF) and are compared by
the cosine of the angle between them; the k most similar documents are retrieved with
np.argpartition. Jaccard and BM25 score word overlap directly, without vectors. A document
is a list of tokens (words or character n-grams), as on day 6.
"""

import numpy as np

from ..day06_nlp.text import bag_of_words, build_vocabulary, smooth_idf, tfidf


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The cosine similarity of every row of a with every row of b.

    a: (N, C) vectors; b: (M, C) vectors (int, float32 or float64); N or M may be 0.
    Returns sim: (N, M) float64, sim[i, j] = a[i] . b[j] / (|a[i]| |b[j]|), in [-1, 1].
    A zero vector has no direction: its similarity with every vector, itself included, is 0.
    Scaling a row by any positive number leaves its similarities unchanged.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a_norm = np.linalg.norm(a, axis=1, keepdims=True)  # (N, 1)
    b_norm = np.linalg.norm(b, axis=1, keepdims=True)  # (M, 1)
    a_unit = a / np.where(a_norm > 0, a_norm, 1.0)  # (N, C) unit rows; zero rows stay 0
    b_unit = b / np.where(b_norm > 0, b_norm, 1.0)  # (M, C)
    return a_unit @ b_unit.T  # (N, M)


def mean_pool(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sentence vectors: the mean of each sentence's token vectors over its real tokens.

    x: (B, T, C) token vectors of B sentences padded to length T (float32 or float64);
        padded positions may hold anything, nan and inf included.
    mask: (B, T) bool, True at real tokens, False at padding.
    Returns (B, C) float64: row i is the mean of x[i, t] over the t where mask[i, t] is True;
    a sentence with no real token gives a row of zeros.
    """
    real = np.asarray(mask, dtype=bool)[:, :, None]  # (B, T, 1)
    total = np.where(real, np.asarray(x, dtype=float), 0.0).sum(axis=1)  # (B, C) padding never read
    count = real.sum(axis=1)  # (B, 1) real tokens per sentence
    return total / np.maximum(count, 1)  # (B, C); no real token: 0 / 1 = 0


def tfidf_vectors(
    corpus: list[list[str]], queries: list[list[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """TF-IDF vectors of a corpus, and of queries weighted the same way (day 6's functions).

    corpus: N >= 1 documents, each a list of tokens; they fix the vocabulary (day 6's
        build_vocabulary: sorted distinct tokens, V of them) and the idf (smooth_idf).
    queries: M documents (M = 0 allowed); their tokens outside the corpus vocabulary are
        ignored, and the queries never change the vocabulary or the idf.
    Returns (docs, qs): docs: (N, V), qs: (M, V), both float64, rows of l2 norm 1 (day 6's
    tfidf with the corpus idf); a row without any vocabulary token is all zeros.
    """
    vocabulary = build_vocabulary(corpus)
    counts = bag_of_words(corpus, vocabulary)  # (N, V)
    idf = smooth_idf(counts)  # (V,) from the corpus alone
    return tfidf(counts, idf), tfidf(bag_of_words(queries, vocabulary), idf)  # (N, V), (M, V)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The indices of the k highest scores, highest first, found with np.argpartition.

    scores: (N,) scores of N documents (int or float); 1 <= k <= N.
    Returns (k,) int64 indices into scores, ordered by score from highest to lowest; among
    equal scores the smaller index comes first (so the result is the first k of a stable
    sort by descending score).
    """
    scores = np.asarray(scores, dtype=float)
    candidates = np.argpartition(-scores, k - 1)[:k]  # (k,) the k highest, in any order
    kth = scores[candidates].min()  # the k-th highest score
    above, tied = np.flatnonzero(scores > kth), np.flatnonzero(scores == kth)
    top = np.concatenate([above, tied])[:k]  # (k,) ties at the k-th score: smaller index first
    return top[np.lexsort((top, -scores[top]))]  # (k,) by score, then by index


def jaccard(a: list[str], b: list[str]) -> float:
    """The Jaccard similarity of two token lists, taken as sets.

    a, b: lists of tokens; repeats count once.
    Returns a float in [0, 1]: |A & B| / |A | B| for the sets A, B of their tokens;
    0.0 when both are empty.
    """
    A, B = set(a), set(b)
    union = len(A | B)
    return len(A & B) / union if union else 0.0


def bm25(query: list[str], docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> np.ndarray:
    """Okapi BM25 score of every document for a query.

    query: a list of tokens; a token repeated in the query counts once per occurrence.
    docs: N >= 1 documents, each a list of tokens, not all empty.
    k1: how fast a repeated token's contribution saturates (default 1.5).
    b: how strongly long documents are discounted, 0 (not at all) to 1 (default 0.75).
    Returns scores: (N,) float64, scores[i] = sum over the query's tokens q of
        idf(q) * f (k1 + 1) / (f + k1 (1 - b + b |d_i| / avgdl)),
    where f is the count of q in docs[i], |d_i| = len(docs[i]), avgdl the mean length of the
    documents, and idf(q) = ln((N - n(q) + 0.5) / (n(q) + 0.5) + 1) with n(q) the number of
    documents holding q (always > 0). A document holding no query token scores 0.
    """
    terms = sorted(set(query))  # (Q,) the distinct query tokens
    f = bag_of_words(docs, terms)  # (N, Q) count of each query token in each document
    N = len(docs)
    n = (f > 0).sum(axis=0)  # (Q,) documents holding each token
    idf = np.log((N - n + 0.5) / (n + 0.5) + 1.0)  # (Q,) the +1 keeps it above 0
    lengths = np.array([len(doc) for doc in docs], dtype=float)  # (N,)
    norm = k1 * (1.0 - b + b * lengths / lengths.mean())  # (N,) long documents count less
    per_term = idf * f * (k1 + 1.0) / (f + norm[:, None])  # (N, Q)
    return per_term @ bag_of_words([query], terms)[0]  # (N,) a repeated query token counts again
