"""day08 suite: skip-gram pairs, the unigram^0.75 distribution and its sampler, the
negative-sampling loss and its gradients, the SGD loop, nearest neighbours and analogies.

The oracles are written here, plainly: a double loop over positions for the pairs, the
formula for the distribution, a scan of the cumulative sum for each draw, a loop over pairs
for the loss and its gradients (plus central differences), a per-pair SGD loop for the
training, and a sort of per-row cosines for the neighbours. Each README mistake is computed
here too and named when a result equals it. The training test on a corpus with known
structure (groups of words that share their contexts) must put every word's group mates
closest to it.
"""

import math

import numpy as np
import pytest

from checker.core.testing import (
    ATOL,
    assert_array,
    assert_close,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    assert_tuple,
    implementation,
    msg,
    num,
)

w2v = implementation("day08_word2vec.word2vec")

TRAIN_RTOL = 1e-6  # a few hundred SGD steps: two float64 implementations drift apart ~1e-13
TRAIN_ATOL = 1e-9


# ---------------------------------------------------------------- shared helpers


def named(actual, mistaken, correct, message):
    """Name a mistake when `actual` is what it computes, unless on this data the mistake
    happens to give the correct value too (then there is nothing to tell apart)."""
    same_shape = np.shape(mistaken) == np.shape(correct)
    if not (same_shape and np.allclose(mistaken, correct, rtol=1e-6, atol=ATOL)):
        assert_not_mistake(actual, mistaken, message)


def code(text):
    """A code expression as the `what` of a message: it reads the same in both languages."""
    return msg(en=text, ja=text)


def assert_ids(actual, expected, what):
    """Integer ids equal, said in words."""
    assert_array(actual, np.shape(expected), what, dtype=np.int64)
    wrong = np.flatnonzero(np.asarray(actual).ravel() != np.asarray(expected).ravel())
    assert len(wrong) == 0, msg(
        en=f"{what} is wrong in {len(wrong)} of {np.size(expected)} entries; the first is at "
        f"flat index {wrong[0] if len(wrong) else 0}: expected {num(np.asarray(expected))}, "
        f"got {num(np.asarray(actual))}",
        ja=f"{what} の {np.size(expected)} 個中 {len(wrong)} 個が違います。"
        f"正しくは {num(np.asarray(expected))} ですが、{num(np.asarray(actual))} でした",
    )


# ---------------------------------------------------------------- 8.1 skipgram_pairs


def naive_pairs(tokens, window, offsets=None, wrap=False, ids=True):
    """Every (center, context) pair by a double loop; the keyword arguments make the
    README's mistakes: other offsets s - t, wrapping around, positions for ids."""
    T = len(tokens)
    offsets = [d for d in range(-window, window + 1) if d != 0] if offsets is None else offsets
    rows = []
    for t in range(T):
        for s in (t + d for d in sorted(offsets)):
            if wrap and T:
                s = s % T
            elif not 0 <= s < T:
                continue
            rows.append([tokens[t], tokens[s]] if ids else [t, s])
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


PAIR_MISTAKES = {
    "center": msg(
        en="skipgram_pairs paired a word with itself: the window is every s with "
        "0 < |s - t| <= window, never s = t",
        ja="skipgram_pairs が単語をそれ自身と組にしています。窓は 0 < |s - t| <= window の s "
        "すべてで、s = t は含みません",
    ),
    "one side": msg(
        en="skipgram_pairs only looked to the right of each word: the context reaches "
        "window positions to the left as well",
        ja="skipgram_pairs が各単語の右側しか見ていません。文脈は左側にも window 個分広がります",
    ),
    "short": msg(
        en="skipgram_pairs stops one short of the window: the context goes up to "
        "|s - t| = window inclusive (range(1, window + 1))",
        ja="skipgram_pairs の窓が 1 つ足りません。文脈は |s - t| = window まで含みます"
        "(range(1, window + 1))",
    ),
    "wrap": msg(
        en="skipgram_pairs wrapped around the ends of the corpus: tokens[-1] is the last "
        "token, not 'nothing'. Keep only the positions with 0 <= s < T",
        ja="skipgram_pairs がコーパスの端で反対側に回り込んでいます。tokens[-1] は「何もない」"
        "ではなく最後のトークンです。0 <= s < T の位置だけを使いましょう",
    ),
    "positions": msg(
        en="skipgram_pairs returned positions t and s, not the token ids tokens[t] and "
        "tokens[s] at them",
        ja="skipgram_pairs が位置 t と s を返しています。返すのはその位置のトークン ID "
        "tokens[t] と tokens[s] です",
    ),
}


def check_pairs(actual, tokens, window):
    right = naive_pairs(tokens, window)
    assert_array(actual, np.shape(actual), "pairs", np.int64)  # its length is judged below
    mistaken = {
        "center": naive_pairs(tokens, window, offsets=range(-window, window + 1)),
        "one side": naive_pairs(tokens, window, offsets=range(1, window + 1)),
        "short": naive_pairs(tokens, window, offsets=[d for d in range(1 - window, window) if d]),
        "wrap": naive_pairs(tokens, window, wrap=True),
        "positions": naive_pairs(tokens, window, ids=False),
    }
    for key, wrong in mistaken.items():
        named(actual, wrong, right, PAIR_MISTAKES[key])
    assert np.shape(actual) == right.shape, msg(
        en=f"skipgram_pairs gave {len(actual)} pairs for T = {len(tokens)}, window = {window}; "
        f"expected {len(right)}",
        ja=f"T = {len(tokens)}、window = {window} で skipgram_pairs のペアは {len(right)} 個の"
        f"はずですが、{len(actual)} 個でした",
    )
    assert_ids(actual, right, "pairs")


@pytest.mark.task("8.1")
@pytest.mark.checks("inputs")
def test_skipgram_pairs_leaves_the_tokens_alone(rng):
    tokens = rng.integers(0, 9, size=12)
    assert_inputs_unchanged(w2v.skipgram_pairs, tokens, 3)


@pytest.mark.task("8.1")
@pytest.mark.checks("types")
def test_skipgram_pairs_returns_an_int64_array_of_rows_of_two():
    pairs = w2v.skipgram_pairs(np.array([4, 1, 3, 1, 2]), 2)
    rows = len(pairs) if np.ndim(pairs) == 2 else 14  # how many rows: judged by the value tests
    assert_array(pairs, (rows, 2), "pairs", np.int64)
    pairs32 = w2v.skipgram_pairs(np.array([4, 1, 3], dtype=np.int32), 1)
    rows = len(pairs32) if np.ndim(pairs32) == 2 else 4
    assert_array(
        pairs32, (rows, 2), msg(en="pairs of int32 tokens", ja="int32 のトークンのペア"), np.int64
    )
    empty = w2v.skipgram_pairs(np.zeros(0, dtype=np.int64), 2)
    assert_array(
        empty, (0, 2), msg(en="pairs of an empty corpus", ja="空のコーパスのペア"), np.int64
    )


@pytest.mark.task("8.1")
@pytest.mark.checks("mistake")
def test_skipgram_pairs_avoids_the_common_mistakes():
    tokens = np.array([10, 11, 12, 13, 14])  # ids differ from positions; every pair is distinct
    for window in (1, 2):
        check_pairs(w2v.skipgram_pairs(tokens, window), tokens, window)


@pytest.mark.task("8.1")
def test_skipgram_pairs_by_hand():
    """The README's example: 'the cat sat down' as ids [5, 6, 7, 8]."""
    expected = [[5, 6], [6, 5], [6, 7], [7, 6], [7, 8], [8, 7]]
    assert_ids(
        w2v.skipgram_pairs(np.array([5, 6, 7, 8]), 1), expected, code("skipgram_pairs(tokens, 1)")
    )
    expected = [[5, 6], [5, 7], [6, 5], [6, 7], [6, 8], [7, 5], [7, 6], [7, 8], [8, 6], [8, 7]]
    assert_ids(
        w2v.skipgram_pairs(np.array([5, 6, 7, 8]), 2), expected, code("skipgram_pairs(tokens, 2)")
    )


@pytest.mark.task("8.1")
def test_skipgram_pairs_match_a_double_loop_on_generated_corpora(rng):
    for _ in range(6):
        T, window = int(rng.integers(2, 30)), int(rng.integers(1, 5))
        tokens = rng.integers(0, 50, size=T)
        check_pairs(w2v.skipgram_pairs(tokens, window), tokens, window)
    tokens = rng.integers(0, 50, size=3)  # a window wider than the corpus
    check_pairs(w2v.skipgram_pairs(tokens, 5), tokens, 5)


@pytest.mark.task("8.1")
def test_skipgram_pairs_of_one_token_are_none():
    pairs = w2v.skipgram_pairs(np.array([3]), 2)
    assert_array(
        pairs, (0, 2), msg(en="pairs of a one-token corpus", ja="1 語のコーパスのペア"), np.int64
    )


@pytest.mark.task("8.1")
def test_skipgram_pairs_window_defaults_to_two(rng):
    tokens = rng.integers(0, 50, size=9)
    assert_ids(w2v.skipgram_pairs(tokens), naive_pairs(tokens, 2), "skipgram_pairs(tokens)")


# ---------------------------------------------------------------- 8.2 the noise distribution


def unigram_power(counts, power):
    counts = np.asarray(counts, dtype=float)
    weights = np.array([c**power if c > 0 else 0.0 for c in counts])
    return weights / weights.sum()


DISTRIBUTION_MISTAKES = {
    "normalise first": msg(
        en="negative_sampling_distribution normalised before raising to the power: "
        "(counts / total) ** power does not sum to 1. Raise first, then divide by the sum "
        "of the powered counts",
        ja="negative_sampling_distribution がべき乗の前に正規化しています。"
        "(counts / total) ** power は和が 1 になりません。先に power 乗し、べき乗した回数の"
        "合計で割りましょう",
    ),
    "no normalising": msg(
        en="negative_sampling_distribution returned counts ** power without dividing by "
        "their sum: probabilities must sum to 1",
        ja="negative_sampling_distribution が counts ** power を合計で割らずに返しています。"
        "確率の和は 1 です",
    ),
    "fixed power": msg(
        en="negative_sampling_distribution used 0.75 whatever power it was given: use the "
        "power argument",
        ja="negative_sampling_distribution が渡された power に関係なく 0.75 を使っています。"
        "引数 power を使いましょう",
    ),
    "unseen": msg(
        en="negative_sampling_distribution gave an unseen word (count 0) a probability: "
        "0 ** 0 is 1 in NumPy, so with power = 0 keep count-0 words at 0 explicitly",
        ja="negative_sampling_distribution が出現回数 0 の単語に確率を与えています。NumPy では "
        "0 ** 0 = 1 なので、power = 0 でも回数 0 の単語は明示的に 0 にしましょう",
    ),
}


def check_distribution(actual, counts, power):
    right = unigram_power(counts, power)
    c = np.asarray(counts, dtype=float)
    mistaken = {
        "normalise first": (c / c.sum()) ** power,
        "no normalising": np.where(c > 0, c**power, 0.0),
        "fixed power": unigram_power(counts, 0.75),
        "unseen": c**power / (c**power).sum(),
    }
    assert_array(actual, right.shape, "probs")
    for key, wrong in mistaken.items():
        named(actual, wrong, right, DISTRIBUTION_MISTAKES[key])
    assert_close(actual, right, "probs")


def draw_by_scan(probs, u):
    """Inverse transform sampling written plainly: walk the cumulative sum to the first
    word whose interval [cdf[w-1], cdf[w]) holds u."""
    cdf = np.cumsum(probs) / np.sum(probs)
    ids = np.empty(np.shape(u), dtype=np.int64)
    for index in np.ndindex(np.shape(u)):
        w = 0
        while not (cdf[w] > u[index]):
            w += 1
        ids[index] = w
    return ids


@pytest.mark.task("8.2")
@pytest.mark.checks("inputs")
def test_the_distribution_and_the_sampler_leave_their_inputs_alone(rng):
    counts = rng.integers(0, 50, size=8)
    counts[0] = 3
    assert_inputs_unchanged(w2v.negative_sampling_distribution, counts, 0.5)
    probs = unigram_power(counts, 0.75)
    assert_inputs_unchanged(w2v.sample_negatives, probs, (4, 3), 1)


@pytest.mark.task("8.2")
@pytest.mark.checks("types")
def test_the_distribution_is_float64_and_the_samples_int64():
    probs = w2v.negative_sampling_distribution(np.array([3, 0, 5]))
    assert_array(probs, (3,), "probs")
    probs32 = w2v.negative_sampling_distribution(np.array([3, 0, 5], dtype=np.float32))
    assert_array(probs32, (3,), msg(en="probs of float32 counts", ja="float32 の回数の probs"))
    for shape in ((4, 3), (7,), (0, 5)):
        ids = w2v.sample_negatives(np.array([0.5, 0.0, 0.5]), shape, 0)
        assert_array(ids, shape, msg(en=f"ids of shape {shape}", ja=f"形 {shape} の ids"), np.int64)


@pytest.mark.task("8.2")
@pytest.mark.checks("mistake")
def test_the_distribution_avoids_the_common_mistakes():
    counts = np.array([16, 81, 0, 1])
    for power in (0.75, 0.5, 1.0, 0.0):
        check_distribution(w2v.negative_sampling_distribution(counts, power), counts, power)


@pytest.mark.task("8.2")
def test_the_distribution_by_hand():
    """16^0.75 = 8, 81^0.75 = 27, 1^0.75 = 1: probabilities 8/36, 27/36, 0, 1/36."""
    probs = w2v.negative_sampling_distribution(np.array([16, 81, 0, 1]))
    assert_close(
        probs,
        [8 / 36, 27 / 36, 0.0, 1 / 36],
        msg(
            en="negative_sampling_distribution([16, 81, 0, 1])",
            ja="negative_sampling_distribution([16, 81, 0, 1]) の結果",
        ),
    )


@pytest.mark.task("8.2")
def test_the_distribution_on_generated_counts(rng):
    counts = rng.integers(0, 1000, size=20)
    counts[rng.integers(20)] = 0
    counts[0] = 7  # at least one word occurs
    for power in (0.75, rng.uniform(0.1, 2.0), 1.0, 0.0):
        check_distribution(w2v.negative_sampling_distribution(counts, power), counts, power)
    weights = rng.uniform(0.1, 5.0, size=8)  # counts may be floats (weighted occurrences)
    weights[3] = 0.0
    check_distribution(w2v.negative_sampling_distribution(weights, 0.75), weights, 0.75)
    default = w2v.negative_sampling_distribution(counts)
    assert_close(
        default,
        unigram_power(counts, 0.75),
        msg(
            en="negative_sampling_distribution(counts), whose power defaults to 0.75",
            ja="negative_sampling_distribution(counts)(power の既定値は 0.75)",
        ),
    )


@pytest.mark.task("8.2")
def test_the_distribution_flattens_the_frequencies(rng):
    """power < 1 lifts rare words and lowers frequent ones, keeping their order."""
    counts = np.sort(rng.integers(1, 10_000, size=12))
    counts[0], counts[-1] = 1, 100_000
    smooth = w2v.negative_sampling_distribution(counts, 0.75)
    plain = counts / counts.sum()
    assert smooth[0] > plain[0] and smooth[-1] < plain[-1], msg(
        en="with power 0.75 the rarest word should get more than its frequency and the most "
        f"frequent less; got {num(smooth[0])} (frequency {num(plain[0])}) and "
        f"{num(smooth[-1])} (frequency {num(plain[-1])})",
        ja="power 0.75 では最も珍しい単語は頻度より大きく、最も多い単語は頻度より小さな確率に"
        f"なるはずですが、{num(smooth[0])}(頻度 {num(plain[0])})と {num(smooth[-1])}"
        f"(頻度 {num(plain[-1])})でした",
    )


SAMPLER_UNIFORM = msg(
    en="sample_negatives drew every word about equally often, ignoring probs: a word's share "
    "of the draws should be its probability",
    ja="sample_negatives がどの単語もほぼ同じ回数だけ引いていて、probs を使っていません。"
    "各単語が引かれる割合はその確率になるはずです",
)


@pytest.mark.task("8.2")
@pytest.mark.checks("mistake")
def test_sample_negatives_is_seeded_and_follows_probs(seed):
    probs = np.array([0.7, 0.0, 0.1, 0.2])
    first = w2v.sample_negatives(probs, (50, 4), seed)
    again = w2v.sample_negatives(probs, (50, 4), seed)
    assert np.array_equal(first, again), msg(
        en="sample_negatives gave different ids for the same seed twice: draw from "
        "np.random.default_rng(seed), not from an unseeded generator or NumPy's global state",
        ja="sample_negatives が同じ seed で 2 回呼ぶと違う ID を返しました。"
        "np.random.default_rng(seed) から引きましょう(seed なしの生成器や NumPy の"
        "グローバルな乱数状態ではなく)",
    )
    other = w2v.sample_negatives(probs, (50, 4), seed + 1)
    assert not np.array_equal(first, other), msg(
        en="sample_negatives gave the same 200 ids for two different seeds: use the seed",
        ja="sample_negatives が異なる 2 つの seed で同じ 200 個の ID を返しました。seed を使いましょう",
    )
    share = np.mean(np.asarray(first) == 0)
    assert share > 0.45, SAMPLER_UNIFORM  # 0.7 expected; uniform would give 1/3


@pytest.mark.task("8.2")
def test_sample_negatives_is_inverse_transform_sampling(rng, seed):
    """The documented draw: u = default_rng(seed).random(shape), then the cumulative sum."""
    probs = rng.dirichlet(np.ones(9))
    probs[[2, 5]] = 0.0
    probs = probs / probs.sum()
    u = np.random.default_rng(seed).random((6, 5))
    unnormalised = w2v.sample_negatives(3.0 * probs, (6, 5), seed)  # divided by cdf[-1] = 3
    assert_ids(
        unnormalised,
        draw_by_scan(probs, u),
        msg(
            en="sample_negatives(3 * probs, (6, 5), seed): the cumulative sum is divided by its "
            "last entry, so weights that sum to 3 draw as their probabilities would",
            ja="sample_negatives(3 * probs, (6, 5), seed)。累積和を最後の要素で割るので、和が 3 の"
            "重みでも確率と同じように引かれるはずです",
        ),
    )
    assert_ids(
        w2v.sample_negatives(probs, (6, 5), seed),
        draw_by_scan(probs, u),
        msg(
            en="sample_negatives(probs, (6, 5), seed) (the docstring's cumulative sum and "
            "np.searchsorted(cdf, u, side='right') on u = default_rng(seed).random(shape))",
            ja="sample_negatives(probs, (6, 5), seed)(docstring のとおり、u = "
            "default_rng(seed).random(shape) に累積和と np.searchsorted(cdf, u, side='right'))",
        ),
    )


@pytest.mark.task("8.2")
def test_sample_negatives_matches_probs_over_many_draws(rng, seed):
    """200,000 draws: each word's count within 6 standard deviations of n p (a binomial),
    so a right sampler fails about once in 10^8 runs, and words of probability 0 never."""
    probs = rng.dirichlet(np.ones(10))
    probs[[1, 6]] = 0.0
    probs = probs / probs.sum()
    n = 200_000
    ids = np.asarray(w2v.sample_negatives(probs, (n,), seed))
    counts = np.bincount(ids.ravel(), minlength=len(probs))
    assert counts[[1, 6]].sum() == 0, msg(
        en=f"sample_negatives drew words of probability 0 ({counts[1] + counts[6]} times): "
        "a word is drawn only where its interval of the cumulative sum has length > 0",
        ja=f"sample_negatives が確率 0 の単語を {counts[1] + counts[6]} 回引いています。"
        "累積和の区間の長さが正の単語だけが引かれるはずです",
    )
    expected = n * probs
    bound = 6 * np.sqrt(n * probs * (1 - probs)) + 1
    uniform = n / len(probs)
    if np.all(np.abs(counts - uniform) <= 6 * np.sqrt(uniform) + 1):
        raise AssertionError(SAMPLER_UNIFORM)
    worst = int(np.argmax(np.abs(counts - expected) / bound))
    assert np.all(np.abs(counts - expected) <= bound), msg(
        en=f"over {n} draws word {worst} came {counts[worst]} times; with probability "
        f"{num(probs[worst])} it should come about {expected[worst]:.0f} times "
        f"(± {bound[worst]:.0f})",
        ja=f"{n} 回引いたうち単語 {worst} が {counts[worst]} 回出ました。確率 {num(probs[worst])} "
        f"なら約 {expected[worst]:.0f} 回(± {bound[worst]:.0f})のはずです",
    )


# ---------------------------------------------------------------- 8.3 the SGNS loss


def softplus(x):
    """log(1 + e^x) without overflow: -log sigmoid(-x)."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sigmoid(x):
    return math.exp(-softplus(-x))


def naive_sgns(
    W_in, W_out, centers, contexts, negatives, *, mean=True, neg_sign=1.0, with_negatives_in_dv=True
):
    """The loss and its gradients pair by pair; the keyword arguments make README mistakes."""
    N = len(centers)
    scale = 1.0 / N if mean else 1.0
    loss, dW_in, dW_out = 0.0, np.zeros(W_in.shape), np.zeros(W_out.shape)
    for i in range(N):
        c, o = centers[i], contexts[i]
        v = W_in[c]
        pos = float(W_out[o] @ v)
        loss += softplus(-pos)  # -log sigmoid(pos)
        g = (sigmoid(pos) - 1.0) * scale
        dW_in[c] += g * W_out[o]
        dW_out[o] += g * v
        for k in negatives[i]:
            neg = float(W_out[k] @ v)
            loss += softplus(neg_sign * neg)  # -log sigmoid(-neg)
            g = neg_sign * sigmoid(neg_sign * neg) * scale
            if with_negatives_in_dv:
                dW_in[c] += g * W_out[k]
            dW_out[k] += g * v
    return loss * scale, dW_in, dW_out


def lost_duplicates(W_in, W_out, centers, contexts, negatives):
    """What `dW[idx] += g` gives: NumPy writes each repeated row once, the last one wins."""
    N = len(centers)
    v, u_pos, u_neg = W_in[centers], W_out[contexts], W_out[negatives]
    pos, neg = np.sum(u_pos * v, 1), np.einsum("nkc,nc->nk", u_neg, v)
    g_pos = -1.0 / (1.0 + np.exp(pos)) / N
    g_neg = 1.0 / (1.0 + np.exp(-neg)) / N
    dW_in, dW_out = np.zeros(W_in.shape), np.zeros(W_out.shape)
    dW_in[centers] += g_pos[:, None] * u_pos + np.einsum("nk,nkc->nc", g_neg, u_neg)
    dW_out[contexts] += g_pos[:, None] * v
    dW_out[negatives] += g_neg[:, :, None] * v[:, None, :]
    return dW_in, dW_out


SGNS_MISTAKES = {
    "duplicates": msg(
        en="sgns_loss_and_grads lost the contributions of repeated words: dW[idx] += g writes "
        "a repeated row only once. Add every row with np.add.at(dW, idx, g)",
        ja="sgns_loss_and_grads で同じ単語が何度も出たときの寄与が失われています。"
        "dW[idx] += g では繰り返し出る行が 1 回しか書かれません。np.add.at(dW, idx, g) で"
        "すべて足しましょう",
    ),
    "sum": msg(
        en="sgns_loss_and_grads summed over the N pairs instead of averaging: divide the loss "
        "and every gradient by N",
        ja="sgns_loss_and_grads が N 個のペアについて平均でなく合計を取っています。"
        "損失と勾配をすべて N で割りましょう",
    ),
    "negative sign": msg(
        en="sgns_loss_and_grads scored the negatives with log sigmoid(+u_k . v): a negative "
        "word should be pushed away, so its term is -log sigmoid(-u_k . v)",
        ja="sgns_loss_and_grads が負例を log sigmoid(+u_k · v) で評価しています。"
        "負例は遠ざけたい単語なので、その項は -log sigmoid(-u_k · v) です",
    ),
    "dv without negatives": msg(
        en="dW_in only has the true context's part: the negatives' vectors also reach the "
        "center word, dv = g_pos u_pos + sum_k g_neg u_k",
        ja="dW_in に正解の文脈の分しかありません。負例のベクトルも中心語に勾配を送ります。"
        "dv = g_pos u_pos + Σ_k g_neg u_k です",
    ),
}


def check_sgns(result, W_in, W_out, centers, contexts, negatives):
    loss, dW_in, dW_out = assert_tuple(result, 3, "sgns_loss_and_grads", "(loss, dW_in, dW_out)")
    right = naive_sgns(W_in, W_out, centers, contexts, negatives)
    mistaken = {
        "duplicates": (None, *lost_duplicates(W_in, W_out, centers, contexts, negatives)),
        "sum": naive_sgns(W_in, W_out, centers, contexts, negatives, mean=False),
        "negative sign": naive_sgns(W_in, W_out, centers, contexts, negatives, neg_sign=-1.0),
        "dv without negatives": naive_sgns(
            W_in, W_out, centers, contexts, negatives, with_negatives_in_dv=False
        ),
    }
    for key, wrong in mistaken.items():
        for got, bad, good in zip((loss, dW_in, dW_out), wrong, right):
            if bad is not None:
                named(got, bad, good, SGNS_MISTAKES[key])
    assert_close(loss, right[0], msg(en="the SGNS loss", ja="SGNS の損失"))
    assert_close(dW_in, right[1], "dW_in")
    assert_close(dW_out, right[2], "dW_out")


def sgns_data(rng, V=6, C=4, N=7, K=3, scale=0.8):
    """Small V, so words repeat among the centers, contexts and negatives of a batch."""
    W_in = rng.standard_normal((V, C)) * scale
    W_out = rng.standard_normal((V, C)) * scale
    centers = rng.integers(0, V, size=N)
    centers[1] = centers[0]  # a repeated center for certain
    contexts = rng.integers(0, V, size=N)
    contexts[2] = contexts[0]
    negatives = rng.integers(0, V, size=(N, K))
    negatives[0, 1] = negatives[0, 0]  # a negative drawn twice
    negatives[3, 0] = contexts[0]  # a context word drawn as a negative
    return W_in, W_out, centers, contexts, negatives


@pytest.mark.task("8.3")
@pytest.mark.checks("inputs")
def test_sgns_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(w2v.sgns_loss_and_grads, *sgns_data(rng))


@pytest.mark.task("8.3")
@pytest.mark.checks("types")
def test_sgns_returns_a_float_and_two_float64_matrices(rng):
    W_in, W_out, centers, contexts, negatives = sgns_data(rng, V=6, C=4)
    result = w2v.sgns_loss_and_grads(W_in, W_out, centers, contexts, negatives)
    loss, dW_in, dW_out = assert_tuple(result, 3, "sgns_loss_and_grads", "(loss, dW_in, dW_out)")
    assert_scalar(loss, msg(en="the SGNS loss", ja="SGNS の損失"))
    assert_array(dW_in, (6, 4), "dW_in")
    assert_array(dW_out, (6, 4), "dW_out")


@pytest.mark.task("8.3")
@pytest.mark.checks("mistake")
def test_sgns_avoids_the_common_mistakes(rng):
    data = sgns_data(rng)
    check_sgns(w2v.sgns_loss_and_grads(*data), *data)


@pytest.mark.task("8.3")
def test_sgns_by_hand():
    """W_out = 0: every score is 0 and sigmoid(0) = 1/2, so loss = (1 + K) log 2 and
    dW_out gets -v/2 at the context and +v/2 at the negative; dW_in is 0 (u = 0)."""
    W_in = np.array([[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]])
    W_out = np.zeros((3, 2))
    loss, dW_in, dW_out = w2v.sgns_loss_and_grads(
        W_in, W_out, np.array([0]), np.array([1]), np.array([[2]])
    )
    assert_close(
        loss, 2 * math.log(2), msg(en="the SGNS loss at W_out = 0", ja="W_out = 0 での SGNS の損失")
    )
    assert_close(dW_in, np.zeros((3, 2)), "dW_in")
    assert_close(dW_out, [[0.0, 0.0], [-0.5, -1.0], [0.5, 1.0]], "dW_out")


@pytest.mark.task("8.3")
def test_sgns_matches_a_loop_over_pairs_on_generated_batches(rng):
    for V, C, N, K in ((6, 4, 7, 3), (12, 5, 20, 5), (3, 2, 1, 1)):
        data = sgns_data(rng, V=V, C=C, N=max(N, 4), K=max(K, 2))
        check_sgns(w2v.sgns_loss_and_grads(*data), *data)


@pytest.mark.task("8.3")
def test_sgns_gradients_match_finite_differences(rng):
    W_in, W_out, centers, contexts, negatives = sgns_data(rng)
    loss, dW_in, dW_out = w2v.sgns_loss_and_grads(W_in, W_out, centers, contexts, negatives)
    right = naive_sgns(W_in, W_out, centers, contexts, negatives)
    assert_close(dW_in, right[1], "dW_in")  # the value check beside the gradient check

    def f():
        return naive_sgns(W_in, W_out, centers, contexts, negatives)[0]

    assert_grad_close(dW_in, f, W_in, "dW_in")
    assert_grad_close(dW_out, f, W_out, "dW_out")


@pytest.mark.task("8.3")
def test_sgns_stays_finite_at_huge_scores(rng):
    """Scores of ±1e4: -log sigmoid must come from logaddexp, never log(sigmoid(x))."""
    W_in, W_out, centers, contexts, negatives = sgns_data(rng, scale=100.0)
    loss, dW_in, dW_out = w2v.sgns_loss_and_grads(W_in, W_out, centers, contexts, negatives)
    right = naive_sgns(W_in, W_out, centers, contexts, negatives)
    assert np.isfinite(loss), msg(
        en=f"the SGNS loss is {num(loss)} when scores are about ±1e4: log(sigmoid(x)) rounds "
        "to log 0 there. Use -np.logaddexp(0, -x) for log sigmoid(x)",
        ja=f"スコアが ±1e4 程度のとき SGNS の損失が {num(loss)} になりました。そこでは "
        "log(sigmoid(x)) が log 0 に丸まります。log sigmoid(x) には -np.logaddexp(0, -x) を"
        "使いましょう",
    )
    assert_close(
        loss, right[0], msg(en="the SGNS loss at huge scores", ja="大きなスコアでの SGNS の損失")
    )
    assert_close(dW_in, right[1], "dW_in")
    assert_close(dW_out, right[2], "dW_out")


# ---------------------------------------------------------------- 8.4 train_word2vec


def naive_train(tokens, V, C, window, K, lr, epochs, batch_size, seed, mistake=None):
    """The docstring's SGD loop with the test's own parts; `mistake` makes a README mistake."""
    rng = np.random.default_rng(seed)
    W_in = (rng.random((V, C)) - 0.5) / C
    W_out = np.zeros((V, C))
    pairs = naive_pairs(tokens, window)
    P = len(pairs)
    probs = unigram_power(np.bincount(tokens, minlength=V), 0.75)
    sign = -1.0 if mistake == "ascent" else 1.0
    stop = P - batch_size + 1 if mistake == "drop last" else P
    for epoch in range(epochs):
        if mistake != "shuffle once" or epoch == 0:
            order = rng.permutation(P)
        negatives_seed = seed + 1 + (0 if mistake == "same negatives" else epoch)
        negatives = np.random.default_rng(negatives_seed).choice(V, size=(P, K), p=probs)
        for start in range(0, stop, batch_size):
            batch = order[start : start + batch_size]
            _, dW_in, dW_out = naive_sgns(
                W_in, W_out, pairs[batch, 0], pairs[batch, 1], negatives[batch]
            )
            W_in = W_in - sign * lr * dW_in
            W_out = W_out - sign * lr * dW_out
    return W_in, W_out


TRAIN_MISTAKES = {
    "shuffle once": msg(
        en="train_word2vec shuffled the pairs only once: draw order = rng.permutation(P) at "
        "the start of every epoch",
        ja="train_word2vec がペアを一度しかシャッフルしていません。各エポックの最初に "
        "order = rng.permutation(P) を引きましょう",
    ),
    "same negatives": msg(
        en="train_word2vec used the same negatives in every epoch: draw them with "
        "sample_negatives(probs, (P, K), seed + 1 + epoch), a new seed each epoch",
        ja="train_word2vec がどのエポックでも同じ負例を使っています。"
        "sample_negatives(probs, (P, K), seed + 1 + epoch) で、エポックごとに別の seed で"
        "引きましょう",
    ),
    "drop last": msg(
        en="train_word2vec skipped the last, shorter batch: range(0, P, batch_size) reaches "
        "every pair, and the last batch may hold fewer than batch_size",
        ja="train_word2vec が最後の短いバッチを飛ばしています。range(0, P, batch_size) で"
        "すべてのペアを回り、最後のバッチは batch_size より少なくてかまいません",
    ),
    "ascent": msg(
        en="train_word2vec added the gradient: gradient descent subtracts it, "
        "W = W - lr * dW, so that the loss goes down",
        ja="train_word2vec が勾配を足しています。勾配降下法では引きます(W = W - lr * dW)。"
        "そうすれば損失が下がります",
    ),
}


def check_train(result, tokens, V, C, window, K, lr, epochs, batch_size, seed):
    args = (tokens, V, C, window, K, lr, epochs, batch_size, seed)
    W_in, W_out = assert_tuple(result, 2, "train_word2vec", "(W_in, W_out)")
    right = naive_train(*args)
    for key, message in TRAIN_MISTAKES.items():
        wrong = naive_train(*args, mistake=key)
        for got, bad, good in zip((W_in, W_out), wrong, right):
            named(got, bad, good, message)
    assert_close(W_in, right[0], "W_in", rtol=TRAIN_RTOL, atol=TRAIN_ATOL)
    assert_close(W_out, right[1], "W_out", rtol=TRAIN_RTOL, atol=TRAIN_ATOL)


def grouped_corpus(rng, groups=4, members=4, sentences=1500):
    """Sentences 'left_g member right_g': the members of group g share their contexts
    left_g and right_g, and nothing else. Members are ids g * members + m; the context
    words come after them."""
    g = rng.integers(groups, size=sentences)
    m = rng.integers(members, size=sentences)
    first_context = groups * members
    left, right = first_context + 2 * g, first_context + 2 * g + 1
    tokens = np.stack([left, g * members + m, right], axis=1).ravel()  # (3 sentences,)
    return tokens, first_context + 2 * groups


def cosine_matrix(W):
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)
    return unit @ unit.T


@pytest.mark.task("8.4")
@pytest.mark.checks("inputs")
def test_train_word2vec_leaves_the_tokens_alone(rng):
    tokens = rng.integers(0, 6, size=20)
    assert_inputs_unchanged(w2v.train_word2vec, tokens, 6, 4, 2, 2, 0.5, 2, 8, 0)


@pytest.mark.task("8.4")
@pytest.mark.checks("types")
def test_train_word2vec_returns_two_float64_matrices(rng):
    tokens = rng.integers(0, 5, size=15)
    result = w2v.train_word2vec(tokens, 7, C=3, epochs=1, batch_size=16)  # words 5, 6 unseen
    W_in, W_out = assert_tuple(result, 2, "train_word2vec", "(W_in, W_out)")
    assert_array(W_in, (7, 3), "W_in")
    assert_array(W_out, (7, 3), "W_out")


@pytest.mark.task("8.4")
@pytest.mark.checks("mistake")
def test_train_word2vec_avoids_the_common_mistakes(rng, seed):
    tokens = rng.integers(0, 7, size=21)  # 78 pairs at window 2: batches of 16, the last of 14
    args = (tokens, 7, 3, 2, 2, 0.5, 3, 16, seed % 1000)
    check_train(w2v.train_word2vec(*args), *args)


@pytest.mark.task("8.4")
def test_train_word2vec_is_the_documented_sgd_loop(rng, seed):
    tokens = rng.integers(0, 9, size=30)
    tokens[:2] = 0  # a word seen more often than the rest
    args = (tokens, 10, 4, 1, 3, 0.8, 2, 12, seed % 1000 + 3)  # word 9 never occurs
    check_train(w2v.train_word2vec(*args), *args)


@pytest.mark.task("8.4")
def test_train_word2vec_starts_from_the_documented_initialisation(rng, seed):
    tokens = rng.integers(0, 6, size=12)
    init = np.random.default_rng(seed).random((6, 5))
    for options in ({"epochs": 0}, {"lr": 0.0, "epochs": 2}):
        W_in, W_out = w2v.train_word2vec(tokens, 6, C=5, seed=seed, **options)
        what = msg(en=f"train_word2vec(..., {options})", ja=f"train_word2vec(..., {options})")
        assert_close(
            W_in,
            (init - 0.5) / 5,
            msg(
                en=f"W_in of {what}: (rng.random((V, C)) - 0.5) / C with rng = default_rng(seed)",
                ja=f"{what} の W_in(rng = default_rng(seed) で (rng.random((V, C)) - 0.5) / C)",
            ),
        )
        assert_close(
            W_out,
            np.zeros((6, 5)),
            msg(
                en=f"W_out of {what}, which starts at zeros",
                ja=f"{what} の W_out(ゼロから始まります)",
            ),
        )


@pytest.mark.task("8.4")
def test_train_word2vec_defaults_are_the_documented_ones(rng):
    tokens = rng.integers(0, 8, size=40)
    W_in, W_out = w2v.train_word2vec(tokens, 8)
    right = naive_train(tokens, 8, 16, 2, 5, 1.0, 5, 64, 0)
    what = msg(
        en="train_word2vec(tokens, V), whose defaults are C=16, window=2, K=5, lr=1.0, "
        "epochs=5, batch_size=64, seed=0",
        ja="train_word2vec(tokens, V)(既定値は C=16、window=2、K=5、lr=1.0、epochs=5、"
        "batch_size=64、seed=0)",
    )
    assert_close(W_in, right[0], what, rtol=TRAIN_RTOL, atol=TRAIN_ATOL)
    assert_close(W_out, right[1], what, rtol=TRAIN_RTOL, atol=TRAIN_ATOL)


@pytest.mark.task("8.4")
def test_words_that_share_contexts_end_up_closest(rng, seed):
    """4 groups of 4 words, each group between its own two context words: after training,
    every word's 3 nearest words (cosine of W_in) are its own group's other members."""
    tokens, V = grouped_corpus(rng)
    W_in, W_out = w2v.train_word2vec(tokens, V, window=1, seed=seed % 1000)
    cos = cosine_matrix(np.asarray(W_in))[:16, :16]
    np.fill_diagonal(cos, -np.inf)
    for word in range(16):
        group = set(range(word // 4 * 4, word // 4 * 4 + 4)) - {word}
        nearest = set(np.argsort(-cos[word])[:3].tolist())
        assert nearest == group, msg(
            en=f"after training, word {word}'s nearest words are {sorted(nearest)}, but the "
            f"words that share its contexts are {sorted(group)}: check the gradients' signs "
            "and that every pair of every epoch is used",
            ja=f"学習後、単語 {word} に最も近い単語が {sorted(nearest)} でしたが、同じ文脈を共有する"
            f"のは {sorted(group)} です。勾配の符号と、すべてのエポックですべてのペアを使って"
            "いるかを確かめましょう",
        )


@pytest.mark.task("8.4")
def test_training_lowers_the_loss_on_the_grouped_corpus(rng, seed):
    tokens, V = grouped_corpus(rng, sentences=300)
    pairs = naive_pairs(tokens, 1)
    probs = unigram_power(np.bincount(tokens, minlength=V), 0.75)
    negatives = rng.choice(V, size=(len(pairs), 5), p=probs)

    def loss(W_in, W_out):
        return naive_sgns(W_in, W_out, pairs[:, 0], pairs[:, 1], negatives)[0]

    before = loss(*w2v.train_word2vec(tokens, V, window=1, epochs=0, seed=seed % 1000))
    after = loss(*w2v.train_word2vec(tokens, V, window=1, epochs=3, seed=seed % 1000))
    assert after < 0.8 * before, msg(
        en=f"3 epochs of training took the mean SGNS loss from {num(before)} to {num(after)}; "
        "it should fall by at least a fifth",
        ja=f"3 エポックの学習で SGNS の平均損失が {num(before)} から {num(after)} になりました。"
        "少なくとも 5 分の 1 は下がるはずです",
    )


@pytest.mark.task("8.4")
def test_train_word2vec_is_deterministic_by_seed(rng):
    tokens = rng.integers(0, 6, size=20)
    first = w2v.train_word2vec(tokens, 6, C=3, epochs=1, seed=4)
    again = w2v.train_word2vec(tokens, 6, C=3, epochs=1, seed=4)
    other = w2v.train_word2vec(tokens, 6, C=3, epochs=1, seed=5)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1]), msg(
        en="train_word2vec gave different vectors for the same seed: take all randomness from "
        "np.random.default_rng(seed) and sample_negatives(..., seed + 1 + epoch)",
        ja="train_word2vec が同じ seed で違うベクトルを返しました。乱数はすべて "
        "np.random.default_rng(seed) と sample_negatives(..., seed + 1 + epoch) から取りましょう",
    )
    assert not np.allclose(first[0], other[0]), msg(
        en="train_word2vec gave the same W_in for seeds 4 and 5: use the seed",
        ja="train_word2vec が seed 4 と 5 で同じ W_in を返しました。seed を使いましょう",
    )


# ---------------------------------------------------------------- 8.5 most_similar


def naive_cosines(W, x):
    """cos(W[w], x) row by row; 0 where either vector is zero."""
    out = np.zeros(len(W))
    for w, row in enumerate(W):
        norms = np.linalg.norm(row) * np.linalg.norm(x)
        out[w] = float(row @ x) / norms if norms > 0 else 0.0
    return out


def ranked(scores, exclude, k):
    """The k best ids by score, excluding some; ties to the smaller id."""
    order = sorted(
        (w for w in range(len(scores)) if w not in exclude), key=lambda w: (-scores[w], w)
    )
    return np.array(order[:k], dtype=np.int64)


SIMILAR_MISTAKES = {
    "dot": msg(
        en="most_similar ranked by the dot product: long vectors win by their length. Divide "
        "by both lengths (cosine similarity)",
        ja="most_similar が内積で順位を付けています。長いベクトルが長さだけで勝ってしまいます。"
        "両方の長さで割りましょう(コサイン類似度)",
    ),
    "self": msg(
        en="most_similar returned the query itself: every word is most similar to itself "
        "(cosine 1), so leave the query out",
        ja="most_similar がクエリ自身を返しています。どの単語も自分自身と最も似ている"
        "(コサイン 1)ので、クエリは除きましょう",
    ),
    "ascending": msg(
        en="most_similar put the least similar words first: np.argsort sorts ascending, so "
        "sort -sims",
        ja="most_similar が最も似ていない単語から並べています。np.argsort は昇順なので "
        "-sims を並べましょう",
    ),
}


def check_similar(actual, W, query, k):
    sims = naive_cosines(W, W[query])
    right = ranked(sims, {query}, k)
    assert_array(actual, (k,), "most_similar", np.int64)
    without_query = sims.copy()
    without_query[query] = -np.inf
    mistaken = {
        "dot": ranked(W @ W[query], {query}, k),
        "self": ranked(sims, set(), k),
        "ascending": np.argsort(without_query, kind="stable")[:k],
    }
    for key, wrong in mistaken.items():
        if not np.array_equal(wrong, right):
            assert_not_mistake(actual, wrong, SIMILAR_MISTAKES[key])
    assert_ids(
        actual, right, msg(en=f"most_similar(W, {query}, {k})", ja=f"most_similar(W, {query}, {k})")
    )


SIMILAR_W = np.array([[1.0, 0.0], [3.0, 3.0], [1.0, 0.1], [0.0, 2.0], [-1.0, 0.0]])


@pytest.mark.task("8.5")
@pytest.mark.checks("inputs")
def test_most_similar_leaves_the_vectors_alone(rng):
    assert_inputs_unchanged(w2v.most_similar, rng.standard_normal((8, 3)), 2, 3)


@pytest.mark.task("8.5")
@pytest.mark.checks("types")
def test_most_similar_returns_k_int64_ids(rng):
    W = rng.standard_normal((9, 4))
    assert_array(
        w2v.most_similar(W, 0, 3),
        (3,),
        msg(en="most_similar(W, 0, 3)", ja="most_similar(W, 0, 3) の結果"),
        np.int64,
    )
    assert_array(
        w2v.most_similar(W, 4),
        (5,),
        msg(
            en="most_similar(W, 4), whose k defaults to 5", ja="most_similar(W, 4)(k の既定値は 5)"
        ),
        np.int64,
    )


@pytest.mark.task("8.5")
@pytest.mark.checks("mistake")
def test_most_similar_avoids_the_common_mistakes():
    check_similar(w2v.most_similar(SIMILAR_W, 0, 4), SIMILAR_W, 0, 4)


@pytest.mark.task("8.5")
def test_most_similar_by_hand():
    """Word 0 = [1, 0]: cosines 0.995 (word 2), 0.707 (word 1, long but at 45°), 0 (word 3),
    -1 (word 4)."""
    assert_ids(w2v.most_similar(SIMILAR_W, 0, 4), [2, 1, 3, 4], code("most_similar(W, 0, 4)"))
    assert_ids(w2v.most_similar(SIMILAR_W, 3, 2), [1, 2], code("most_similar(W, 3, 2)"))
    short = w2v.most_similar(SIMILAR_W / 10, 0, 4)  # cosines do not depend on the lengths
    assert_ids(
        short,
        [2, 1, 3, 4],
        msg(
            en="most_similar(W / 10, 0, 4): every row divided by its own length, short ones too",
            ja="most_similar(W / 10, 0, 4)。短い行も含め、すべての行をその長さで割ります",
        ),
    )


@pytest.mark.task("8.5")
def test_most_similar_matches_sorted_cosines_on_generated_vectors(rng):
    W = rng.standard_normal((30, 6)) * rng.uniform(0.1, 10.0, size=(30, 1))  # varied lengths
    for query, k in ((0, 5), (int(rng.integers(30)), 1), (int(rng.integers(30)), 29)):
        check_similar(w2v.most_similar(W, query, k), W, query, k)
    assert_ids(
        w2v.most_similar(W, 7),
        ranked(naive_cosines(W, W[7]), {7}, 5),
        msg(
            en="most_similar(W, 7), whose k defaults to 5", ja="most_similar(W, 7)(k の既定値は 5)"
        ),
    )


@pytest.mark.task("8.5")
def test_most_similar_treats_a_zero_vector_as_similarity_zero(rng):
    W = rng.standard_normal((6, 3))
    W[3] = 0.0
    check_similar(w2v.most_similar(W, 1, 5), W, 1, 5)
    ids = w2v.most_similar(W, 3, 3)  # all similarities 0: ties go to the smaller ids
    assert_ids(
        ids,
        [0, 1, 2],
        msg(
            en="most_similar of a zero vector (every similarity 0, ties to the smaller id)",
            ja="ゼロベクトルの most_similar(類似度はすべて 0、同点は小さい ID から)",
        ),
    )


# ---------------------------------------------------------------- 8.6 analogy


def naive_analogy(W, a, b, c, k, *, normalise=True, exclude=True, signs=(1, -1, 1)):
    unit = np.array([row / np.linalg.norm(row) for row in W]) if normalise else W
    x = signs[0] * unit[a] + signs[1] * unit[b] + signs[2] * unit[c]
    scores = naive_cosines(unit, x) if normalise else unit @ x
    return ranked(scores, {a, b, c} if exclude else set(), k)


ANALOGY_MISTAKES = {
    "keep": msg(
        en="analogy returned a word of the question itself: leave a, b and c out of the "
        "answer (they are usually closest to a - b + c)",
        ja="analogy が問題の単語そのものを返しています。a、b、c は答えから除きましょう"
        "(a - b + c に一番近いのはたいていこれらです)",
    ),
    "raw": msg(
        en="analogy used the raw vectors: divide every row of W by its length first, then "
        "compare by cosine, so that long vectors do not win by their length",
        ja="analogy が長さをそろえないままのベクトルを使っています。まず W の各行をその長さで"
        "割り、コサインで比べましょう。長いベクトルが長さだけで勝たないようにするためです",
    ),
    "sign": msg(
        en="analogy computed b - a + c: the question a - b + c is 'king - man + woman' for "
        "analogy(W, king, man, woman)",
        ja="analogy が b - a + c を計算しています。analogy(W, king, man, woman) が求めるのは "
        "a - b + c、つまり king - man + woman です",
    ),
}


def check_analogy(actual, W, a, b, c, k):
    right = naive_analogy(W, a, b, c, k)
    assert_array(actual, (k,), "analogy", np.int64)
    mistaken = {
        "keep": naive_analogy(W, a, b, c, k, exclude=False),
        "raw": naive_analogy(W, a, b, c, k, normalise=False),
        "sign": naive_analogy(W, a, b, c, k, signs=(-1, 1, 1)),
    }
    for key, wrong in mistaken.items():
        if not np.array_equal(wrong, right):
            assert_not_mistake(actual, wrong, ANALOGY_MISTAKES[key])
    assert_ids(actual, right, code(f"analogy(W, {a}, {b}, {c}, {k})"))


# man, woman, king, queen, apple (the README's example)
ANALOGY_W = np.array(
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, -1.0]]
)


def royal_vectors(rng, people=6, C=8):
    """Words with known structure: person i as a man (id 4i), a woman (4i + 1), a king
    (4i + 2) and a queen (4i + 3), that is base_i plus a gender and a royalty direction.
    The people and the two directions are orthogonal (so no analogy is a near tie), and
    each word's vector gets a length of its own (which the normalisation must undo)."""
    q, _ = np.linalg.qr(rng.standard_normal((C, people + 2)))  # (C, people + 2) orthonormal
    base, female, royal = 2.0 * q[:, :people].T, q[:, people], q[:, people + 1]
    offsets = np.array([0 * female, female, royal, female + royal])  # (4, C)
    W = (base[:, None, :] + offsets[None]).reshape(-1, C)  # (4 people, C)
    return W * rng.uniform(0.5, 2.0, size=(len(W), 1))


@pytest.mark.task("8.6")
@pytest.mark.checks("inputs")
def test_analogy_leaves_the_vectors_alone(rng):
    assert_inputs_unchanged(w2v.analogy, rng.standard_normal((8, 3)), 0, 1, 2, 2)


@pytest.mark.task("8.6")
@pytest.mark.checks("types")
def test_analogy_returns_k_int64_ids(rng):
    W = rng.standard_normal((9, 4))
    assert_array(
        w2v.analogy(W, 0, 1, 2, 3),
        (3,),
        msg(en="analogy(W, 0, 1, 2, 3)", ja="analogy(W, 0, 1, 2, 3) の結果"),
        np.int64,
    )
    assert_array(
        w2v.analogy(W, 0, 1, 2),
        (1,),
        msg(
            en="analogy(W, 0, 1, 2), whose k defaults to 1",
            ja="analogy(W, 0, 1, 2)(k の既定値は 1)",
        ),
        np.int64,
    )


@pytest.mark.task("8.6")
@pytest.mark.checks("mistake")
def test_analogy_avoids_the_common_mistakes(rng):
    for _ in range(4):
        W = rng.standard_normal((10, 4)) * rng.uniform(0.1, 10.0, size=(10, 1))
        a, b, c = (int(i) for i in rng.choice(10, size=3, replace=False))
        check_analogy(w2v.analogy(W, a, b, c, 4), W, a, b, c, 4)


@pytest.mark.task("8.6")
def test_analogy_by_hand():
    """king - man + woman: x = [-0.29, 1, 0.71]; queen scores 1.21, woman 1.0 (left out)."""
    assert_ids(w2v.analogy(ANALOGY_W, 2, 0, 1), [3], code("analogy(W, king, man, woman)"))
    assert_ids(w2v.analogy(ANALOGY_W, 2, 0, 1, 2), [3, 4], code("analogy(W, king, man, woman, 2)"))


@pytest.mark.task("8.6")
def test_analogy_matches_a_loop_on_generated_vectors(rng):
    W = rng.standard_normal((25, 6)) * rng.uniform(0.2, 5.0, size=(25, 1))
    for k in (1, 3, 22):
        a, b, c = (int(i) for i in rng.choice(25, size=3, replace=False))
        check_analogy(w2v.analogy(W, a, b, c, k), W, a, b, c, k)


@pytest.mark.task("8.6")
def test_analogy_finds_the_queen_in_vectors_with_known_structure(rng):
    W = royal_vectors(rng)
    for i in range(6):
        man, woman, king, queen = 4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3
        j = (i + 1) % 6  # another person's man and woman: the offsets are shared
        got = w2v.analogy(W, king, man, woman)
        assert_ids(
            got,
            [queen],
            msg(
                en=f"analogy(W, king={king}, man={man}, woman={woman})",
                ja=f"analogy(W, king={king}, man={man}, woman={woman})",
            ),
        )
        got = w2v.analogy(W, 4 * j + 3, 4 * j + 1, man)  # queen_j - woman_j + man_i
        assert_ids(
            got,
            [king],
            msg(
                en=f"analogy(W, queen={4 * j + 3}, woman={4 * j + 1}, man={man})",
                ja=f"analogy(W, queen={4 * j + 3}, woman={4 * j + 1}, man={man})",
            ),
        )
