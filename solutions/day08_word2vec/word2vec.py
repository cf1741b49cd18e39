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
    tokens = np.asarray(tokens, dtype=np.int64)
    T = len(tokens)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # (2 window,)
    centers = np.arange(T)[:, None]  # (T, 1)
    contexts = centers + offsets  # (T, 2 window) positions s, some outside the corpus
    inside = (contexts >= 0) & (contexts < T)  # (T, 2 window)
    centers = np.broadcast_to(centers, contexts.shape)  # (T, 2 window)
    return np.stack([tokens[centers[inside]], tokens[contexts[inside]]], axis=1)  # (N, 2)


def negative_sampling_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The distribution negative samples are drawn from: the unigram counts raised to a power.

    counts: (V,) how often each word occurs (ints or floats >= 0, at least one > 0).
    power: the exponent (default 0.75, word2vec's): 1 gives the plain unigram frequencies,
        0 the uniform distribution over the words that occur.
    Returns probs: (V,) float64, probs[w] = counts[w] ** power / sum_v counts[v] ** power;
    a word with count 0 gets probability 0, and probs sums to 1.
    """
    weights = np.where(counts > 0, np.asarray(counts, dtype=float) ** power, 0.0)  # (V,)
    return weights / weights.sum()  # 0 ** 0 would be 1: an unseen word must stay at 0


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
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(probs)  # (V,)
    cdf = cdf / cdf[-1]  # last entry exactly 1, so every u in [0, 1) finds a word
    u = rng.random(shape)  # shape, uniform in [0, 1)
    return np.searchsorted(cdf, u, side="right").astype(np.int64)  # shape


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
    N = len(centers)
    v = W_in[centers]  # (N, C)
    u_pos = W_out[contexts]  # (N, C)
    u_neg = W_out[negatives]  # (N, K, C)
    pos = np.sum(u_pos * v, axis=1)  # (N,) scores of the true contexts
    neg = np.einsum("nkc,nc->nk", u_neg, v)  # (N, K) scores of the negatives
    # -log sigmoid(x) = log(1 + e^-x) = logaddexp(0, -x): no exp of a large number
    loss = (np.logaddexp(0.0, -pos).sum() + np.logaddexp(0.0, neg).sum()) / N
    g_pos = -np.exp(-np.logaddexp(0.0, pos)) / N  # (N,) sigmoid(pos) - 1 = -sigmoid(-pos)
    g_neg = np.exp(-np.logaddexp(0.0, -neg)) / N  # (N, K) sigmoid(neg)
    dv = g_pos[:, None] * u_pos + np.einsum("nk,nkc->nc", g_neg, u_neg)  # (N, C)
    dW_in = np.zeros(W_in.shape)  # (V, C)
    np.add.at(dW_in, centers, dv)  # a repeated center adds up; dW_in[centers] += dv would not
    dW_out = np.zeros(W_out.shape)  # (V, C)
    np.add.at(dW_out, contexts, g_pos[:, None] * v)
    np.add.at(dW_out, negatives, g_neg[:, :, None] * v[:, None, :])  # (N, K, C) into rows
    return float(loss), dW_in, dW_out


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
    rng = np.random.default_rng(seed)
    W_in = (rng.random((V, C)) - 0.5) / C  # (V, C) small and random: words start apart
    W_out = np.zeros((V, C))  # (V, C)
    pairs = skipgram_pairs(tokens, window)  # (P, 2)
    P = len(pairs)
    probs = negative_sampling_distribution(np.bincount(tokens, minlength=V))  # (V,)
    for epoch in range(epochs):
        order = rng.permutation(P)  # (P,) a new shuffle every epoch
        negatives = sample_negatives(probs, (P, K), seed + 1 + epoch)  # (P, K)
        for start in range(0, P, batch_size):
            batch = order[start : start + batch_size]  # (b,) b <= batch_size
            centers, contexts = pairs[batch, 0], pairs[batch, 1]  # (b,), (b,)
            _, dW_in, dW_out = sgns_loss_and_grads(W_in, W_out, centers, contexts, negatives[batch])
            W_in = W_in - lr * dW_in
            W_out = W_out - lr * dW_out
    return W_in, W_out


def most_similar(W: np.ndarray, query: int, k: int = 5) -> np.ndarray:
    """The k words whose vectors have the highest cosine similarity to word `query`'s.

    W: (V, C) word vectors, one row per word; a row of zeros has similarity 0 to every word.
    query: the word id, in [0, V); it is never in its own answer.
    k: how many words to return (default 5), 1 <= k <= V - 1.
    Returns ids: (k,) int64, most similar first; equal similarities go to the smaller id.
    """
    norms = np.linalg.norm(W, axis=1)  # (V,)
    unit = W / np.where(norms > 0, norms, 1.0)[:, None]  # (V, C) length 1; zero rows stay 0
    sims = unit @ unit[query]  # (V,) cosine similarities
    sims[query] = -np.inf  # the query itself is always its own best match
    return np.argsort(-sims, kind="stable")[:k].astype(np.int64)  # (k,)


def analogy(W: np.ndarray, a: int, b: int, c: int, k: int = 1) -> np.ndarray:
    """Word analogies by vector arithmetic: a - b + c ("king" - "man" + "woman" = "queen").

    W: (V, C) word vectors; no row is all zeros.
    a, b, c: word ids in [0, V). Each row of W is first divided by its length, then
    x = w_a - w_b + w_c is compared by cosine similarity with every word except a, b and c.
    k: how many words to return (default 1), 1 <= k <= V - 3.
    Returns ids: (k,) int64, best first; equal similarities go to the smaller id.
    """
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)  # (V, C) every row of length 1
    x = unit[a] - unit[b] + unit[c]  # (C,)
    sims = unit @ x  # (V,) cosine times 1/|x|, the same for every word: the same order
    sims[[a, b, c]] = -np.inf  # the question's own words would win otherwise
    return np.argsort(-sims, kind="stable")[:k].astype(np.int64)  # (k,)
