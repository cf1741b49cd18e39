"""Day 13 · 要約処理 · Summarisation.

Extractive summarisation: cut a text into sentences, turn each sentence into a vector (day 12),
score how central each sentence is (closeness to the centroid, or TextRank: PageRank on the
graph of similarities), pick sentences that are relevant but not repetitive (MMR), and score a
summary against a reference by the words and word order they share (ROUGE).
"""

import re

import numpy as np

from ..day12_similarity.similarity import cosine_similarity

TERMINATORS = "。！？.!?"


def split_sentences(text: str) -> list[str]:
    """Cut a Japanese or English text into sentences.

    text: any string.
    Returns the sentences, in order, as a list of str. A sentence ends after a run of the
    terminators 。！？ . ! ? (so "本当？！" and "Wait..." stay whole); the terminators stay in
    the sentence. Text after the last terminator is a last sentence. Every piece is stripped of
    surrounding whitespace (spaces, newlines), and pieces that are then empty are dropped, so
    "" and "  " give []. Every "." ends a sentence, even in "3.14" or "e.g." (no exceptions).
    """
    pieces = re.split(f"(?<=[{TERMINATORS}])(?![{TERMINATORS}])", text)  # cut after each run
    return [p.strip() for p in pieces if p.strip()]


def centroid_scores(X: np.ndarray) -> np.ndarray:
    """How central each sentence is: its cosine similarity with the mean of all sentences.

    X: (N, C) sentence vectors (N >= 1; int, float32 or float64), e.g. TF-IDF rows.
    Returns scores: (N,) float64, scores[i] = cos(X[i], centroid) with centroid the mean of
    the rows of X (day 12's cosine_similarity: 0 for a zero vector or a zero centroid).
    """
    centroid = np.mean(X, axis=0, keepdims=True, dtype=float)  # (1, C) summed in float64
    return cosine_similarity(X, centroid)[:, 0]  # (N,)


def textrank(
    X: np.ndarray, damping: float = 0.85, tol: float = 1e-10, max_iter: int = 1000
) -> np.ndarray:
    """TextRank: PageRank on the graph whose edge weights are the sentences' similarities.

    X: (N, C) sentence vectors (N >= 1; int, float32 or float64).
    damping: the probability of following an edge rather than jumping to a random sentence
        (default 0.85).
    tol: stop once the l1 distance between two successive rank vectors is below tol
        (default 1e-10); max_iter: stop after this many steps in any case (default 1000).
    The graph: W = cosine_similarity(X, X) (day 12) with negative values set to 0 and the
    diagonal set to 0 (no sentence votes for itself); P = W with every row divided by its sum,
    and a row summing to 0 (a sentence like no other) replaced by 1/N everywhere.
    Power iteration from r = 1/N everywhere: r <- (1 - damping) / N + damping * P.T @ r.
    Returns r: (N,) float64, the ranks, positive and summing to 1: the stationary vector,
    the solution of r = (1 - damping) / N + damping * P.T @ r.
    """
    N = len(X)
    W = np.maximum(cosine_similarity(X, X), 0.0)  # (N, N) edge weights, never negative
    np.fill_diagonal(W, 0.0)  # no self-loops
    out = W.sum(axis=1, keepdims=True)  # (N, 1) total weight leaving each sentence
    P = np.where(out > 0, W / np.where(out > 0, out, 1.0), 1.0 / N)  # (N, N) rows sum to 1
    r = np.full(N, 1.0 / N)  # (N,)
    for _ in range(max_iter):
        r_next = (1.0 - damping) / N + damping * (P.T @ r)  # (N,)
        done = np.abs(r_next - r).sum() < tol
        r = r_next
        if done:
            break
    return r


def mmr_select(X: np.ndarray, query: np.ndarray, k: int, lam: float = 0.7) -> np.ndarray:
    """Maximal Marginal Relevance: k sentences relevant to the query, but unlike each other.

    X: (N, C) sentence vectors; query: (C,) the vector to be relevant to (e.g. the centroid);
    1 <= k <= N; lam: the weight of relevance against novelty, in [0, 1] (default 0.7;
    1 ranks by relevance alone).
    Greedy: at each step pick, among the sentences not yet picked, the i with the highest
        lam * cos(X[i], query) - (1 - lam) * max over picked j of cos(X[i], X[j]),
    the max being 0 while nothing is picked (so the first pick is the most relevant).
    Ties go to the smaller index. Similarities are day 12's cosine_similarity.
    Returns (k,) int64 indices into X, in the order they were picked.
    """
    relevance = cosine_similarity(X, np.asarray(query)[None, :])[:, 0]  # (N,)
    sim = cosine_similarity(X, X)  # (N, N)
    redundancy = np.zeros(len(relevance))  # (N,) max similarity to the picked ones so far
    free = np.ones(len(relevance), dtype=bool)  # (N,) not yet picked
    picked = []
    for _ in range(k):
        score = lam * relevance - (1.0 - lam) * redundancy  # (N,)
        i = int(np.argmax(np.where(free, score, -np.inf)))  # argmax: ties to the smaller index
        picked.append(i)
        free[i] = False
        redundancy = np.maximum(redundancy, sim[:, i]) if len(picked) > 1 else sim[:, i]
    return np.array(picked, dtype=np.int64)


def _prf(overlap: float, n_candidate: int, n_reference: int) -> tuple[float, float, float]:
    precision = overlap / n_candidate if n_candidate else 0.0
    recall = overlap / n_reference if n_reference else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def rouge_n(candidate: list[str], reference: list[str], n: int = 1) -> tuple[float, float, float]:
    """ROUGE-N: the n-grams a candidate summary shares with a reference summary.

    candidate, reference: lists of tokens; n >= 1 (default 1: ROUGE-1; 2 gives ROUGE-2).
    overlap = the number of n-grams shared, each counted min(count in candidate, count in
    reference) times. Returns (precision, recall, f1) as Python floats:
    precision = overlap / (n-grams in candidate), recall = overlap / (n-grams in reference),
    f1 = 2 precision recall / (precision + recall); each is 0.0 where its denominator is 0.
    """
    grams_c = [tuple(candidate[i : i + n]) for i in range(len(candidate) - n + 1)]
    grams_r = [tuple(reference[i : i + n]) for i in range(len(reference) - n + 1)]
    count_r = {g: grams_r.count(g) for g in set(grams_r)}
    overlap = sum(min(grams_c.count(g), count_r.get(g, 0)) for g in set(grams_c))
    return _prf(overlap, len(grams_c), len(grams_r))


def rouge_l(candidate: list[str], reference: list[str]) -> tuple[float, float, float]:
    """ROUGE-L: the longest common subsequence (LCS) of a candidate and a reference summary.

    candidate, reference: lists of tokens. The LCS is the longest list of tokens found in
    both in the same order, not necessarily next to each other.
    Returns (precision, recall, f1) as Python floats: precision = |LCS| / len(candidate),
    recall = |LCS| / len(reference), f1 = 2 precision recall / (precision + recall); each is
    0.0 where its denominator is 0.
    """
    lcs = np.zeros((len(candidate) + 1, len(reference) + 1), dtype=int)  # lcs[i, j]: prefixes
    for i, c in enumerate(candidate, 1):
        for j, r in enumerate(reference, 1):
            lcs[i, j] = lcs[i - 1, j - 1] + 1 if c == r else max(lcs[i - 1, j], lcs[i, j - 1])
    return _prf(int(lcs[-1, -1]), len(candidate), len(reference))
