"""Day 6 · 自然言語処理ってなに? · What is NLP: an n-gram language model.

A language model gives the probability of the next token given the ones before it. An
n-gram model looks at the n - 1 tokens before it, counts how often each next token followed
them in a text, and adds k to every count (add-k smoothing) so that an n-gram never seen
still has a probability above 0. Perplexity measures how surprised a model is by a text.
Tokens are ids in [0, V), e.g. indices into a day-6 vocabulary.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view  # noqa: F401


def ngram_probabilities(ids: np.ndarray, V: int, n: int = 2, k: float = 1.0) -> np.ndarray:
    """An add-k smoothed n-gram model estimated from one text.

    ids: (T,) int token ids in [0, V), T >= n.
    V: the vocabulary size.
    n: >= 1, the order (default 2, a bigram model): a token is predicted from the n - 1
        tokens before it.
    k: > 0, the pseudo-count added to every n-gram (default 1.0, add-one/Laplace).
    Returns probs: (V,) * n float64 (n axes of length V), with count(c, w) the number of
    windows ids[t : t + n] (t = 0 .. T - n) equal to (c_1, ..., c_{n-1}, w):
    probs[c_1, ..., c_{n-1}, w] = (count(c, w) + k) / (sum over w' of count(c, w') + k V).
    Every context's row probs[c] sums to 1; a context never seen gets the uniform row 1 / V.
    For n = 1 it is the unigram model (count(w) + k) / (T + k V).
    """
    # TODO(6.5): count every window ids[t : t + n] (np.add.at), add k, divide by the row sum
    raise NotImplementedError("6.5 ngram_probabilities: see README.md")


def perplexity(probs: np.ndarray, ids: np.ndarray) -> float:
    """Perplexity of an n-gram model on a text: exp of the mean over the predicted tokens of
    -ln P(token | the n - 1 tokens before it).

    probs: (V,) * n, an n-gram model as ngram_probabilities returns (n = probs.ndim).
    ids: (T,) int token ids in [0, V), T >= n. The first n - 1 tokens are context only, so
        the mean is over the T - n + 1 tokens ids[n - 1:].
    Returns a Python float >= 1: V for the uniform model, 1 for a model certain of every
    token, inf when a predicted token has probability 0. Long texts (thousands of tokens)
    must not underflow.
    """
    # TODO(6.6): P(token | context) for the T - n + 1 windows; exp(-mean of their logs)
    raise NotImplementedError("6.6 perplexity: see README.md")
