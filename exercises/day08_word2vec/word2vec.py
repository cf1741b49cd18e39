"""Day 8 · 単語を埋め込む · Word embeddings (word2vec).

Skip-gram with negative sampling (SGNS): every word is a vector, and a word's vector is
pulled towards the words seen around it and pushed away from random words. A corpus is
an array of token ids in [0, V); the model is two matrices of V rows of C numbers each,
W_in (the word vectors, the "embeddings") and W_out (the vectors words have as contexts).
"""

import numpy as np


def skipgram_pairs(tokens: np.ndarray, window: int = 2) -> np.ndarray:
    """Every (center, context) pair of a skip-gram window over a corpus.

    tokens: (T,) int token ids; T may be 0 or 1.
    window: >= 1, how far the context reaches on each side (default 2): the context of
        position t is every position s with 0 < |s - t| <= window and 0 <= s < T (the
        ends of the corpus cut the window short; it never wraps around).
    Returns pairs: (N, 2) int64, row [tokens[t], tokens[s]] for each such t and s, ordered
    by t, then by s. N = 0 gives shape (0, 2).
    """
    # TODO(8.1): offsets -window..-1 and 1..window around each position; keep those inside [0, T)
    raise NotImplementedError("8.1 skipgram_pairs: see README.md")


def negative_sampling_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The distribution negative samples are drawn from: the unigram counts raised to a power.

    counts: (V,) how often each word occurs (ints or floats >= 0, at least one > 0).
    power: the exponent (default 0.75, word2vec's): 1 gives the plain unigram frequencies,
        0 the uniform distribution over the words that occur.
    Returns probs: (V,) float64, probs[w] = counts[w] ** power / sum_v counts[v] ** power;
    a word with count 0 gets probability 0, and probs sums to 1.
    """
    # TODO(8.2): raise the counts to `power`, keep unseen words at 0, then divide by the total
    raise NotImplementedError("8.2 negative_sampling_distribution: see README.md")


def sample_negatives(probs: np.ndarray, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Draw word ids independently from `probs`, by inverse transform sampling.

    probs: (V,) probabilities, >= 0, at least one > 0. They need not sum to exactly 1:
        dividing by the cumulative sum's last entry normalises them.
    shape: the shape of the result, e.g. (N, K): K negatives for each of N pairs.
    seed: draw from np.random.default_rng(seed), never NumPy's global random state; the
        same seed gives the same ids. Exactly: cdf = np.cumsum(probs) / its last entry,
        u = rng.random(shape), id = the first w with cdf[w] > u (np.searchsorted(cdf, u,
        side="right")). For probs that sum to 1, rng.choice(V, size=shape, p=probs)
        draws exactly these ids.
    Returns ids: `shape` int64, each in [0, V); a word with probability 0 never appears.
    """
    # TODO(8.2): a cumulative sum of probs, uniform numbers from default_rng(seed), np.searchsorted
    raise NotImplementedError("8.2 sample_negatives: see README.md")


def sgns_loss_and_grads(
    W_in: np.ndarray,
    W_out: np.ndarray,
    centers: np.ndarray,
    contexts: np.ndarray,
    negatives: np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray]:
    """The skip-gram negative-sampling loss of a batch of pairs, and its gradients.

    W_in: (V, C) center-word vectors v_w; W_out: (V, C) context vectors u_w.
    centers: (N,) int, contexts: (N,) int, the N pairs (c_i, o_i); N >= 1.
    negatives: (N, K) int, K random words k_ij for pair i (they may repeat, and may equal
        c_i or o_i).
    loss = (1/N) sum_i [ -log sigmoid(u_{o_i} . v_{c_i}) - sum_j log sigmoid(-u_{k_ij} . v_{c_i}) ],
    finite for scores of any size (±1e4 included).
    Returns (loss, dW_in, dW_out): loss is a Python float; dW_in: (V, C) and dW_out: (V, C)
    float64, d loss / d W_in and d loss / d W_out. A word used several times in the batch
    gets the sum of its contributions; a word not used gets a zero row.
    """
    # TODO(8.3): gather v, u_pos, u_neg by fancy indexing; scatter the gradients back with np.add.at
    raise NotImplementedError("8.3 sgns_loss_and_grads: see README.md")


def train_word2vec(
    tokens: np.ndarray,
    V: int,
    C: int = 16,
    window: int = 2,
    K: int = 5,
    lr: float = 1.0,
    epochs: int = 5,
    batch_size: int = 64,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Train skip-gram with negative sampling by minibatch SGD.

    tokens: (T,) int token ids in [0, V); V: the vocabulary size; C: the vector width.
    window: the skip-gram window (skipgram_pairs); K: negatives per pair; lr: the
    learning rate; epochs: passes over all the pairs; batch_size: pairs per step.
    Exactly, with rng = np.random.default_rng(seed):
      W_in = (rng.random((V, C)) - 0.5) / C, W_out = zeros((V, C));
      pairs = skipgram_pairs(tokens, window), P of them;
      probs = negative_sampling_distribution(np.bincount(tokens, minlength=V));
      each epoch e = 0, 1, ...: order = rng.permutation(P), then
        negatives = sample_negatives(probs, (P, K), seed + 1 + e), row i for pair i;
        for each run of batch_size entries of order (the last may be shorter), the pairs
        and negatives at those entries: one sgns_loss_and_grads, then
        W_in -= lr * dW_in and W_out -= lr * dW_out (on new arrays, not the caller's).
    epochs = 0 or lr = 0 returns the initialisation. The same seed gives the same vectors.
    Returns (W_in, W_out): (V, C) and (V, C) float64.
    """
    # TODO(8.4): follow the docstring step by step: one rng, pairs, distribution, then epochs
    raise NotImplementedError("8.4 train_word2vec: see README.md")


def most_similar(W: np.ndarray, query: int, k: int = 5) -> np.ndarray:
    """The k words whose vectors have the highest cosine similarity to word `query`'s.

    W: (V, C) word vectors, one row per word; a row of zeros has similarity 0 to every word.
    query: the word id, in [0, V); it is never in its own answer.
    k: how many words to return (default 5), 1 <= k <= V - 1.
    Returns ids: (k,) int64, most similar first; equal similarities go to the smaller id.
    """
    # TODO(8.5): rows divided by their lengths, one matrix-vector product, query left out, argsort
    raise NotImplementedError("8.5 most_similar: see README.md")


def analogy(W: np.ndarray, a: int, b: int, c: int, k: int = 1) -> np.ndarray:
    """Word analogies by vector arithmetic: a - b + c ("king" - "man" + "woman" = "queen").

    W: (V, C) word vectors; no row is all zeros.
    a, b, c: word ids in [0, V). Each row of W is first divided by its length, then
    x = w_a - w_b + w_c is compared by cosine similarity with every word except a, b and c.
    k: how many words to return (default 1), 1 <= k <= V - 3.
    Returns ids: (k,) int64, best first; equal similarities go to the smaller id.
    """
    # TODO(8.6): unit rows, x = w_a - w_b + w_c, leave a, b and c out, the best k by cosine
    raise NotImplementedError("8.6 analogy: see README.md")
