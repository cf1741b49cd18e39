"""day14 suite: the masked cross-entropy, the LSTM encoder–decoder forward and backward, greedy
decoding, beam search with length normalisation, and additive attention.

Oracles written here: a plain LSTM step (one slice of the weights per gate, sigmoid as
1 / (1 + exp(-z))), an encoder–decoder that loops over time with it, the next-token
log-probabilities of any prefix computed from scratch, greedy decoding and beam search
written with Python lists over that oracle, exhaustive search over every sequence of a
tiny vocabulary, and attention as a loop over the batch and the positions. Beyond values:
a model trained with the learner's own functions (an Adam loop written here) learns to
reverse digit sequences.
"""

import math
import time
from itertools import product

import numpy as np
import pytest

from checker.core.testing import (
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
    numerical_grad,
)

s2s = implementation("day14_seq2seq.seq2seq")

PARAM_KEYS = ("E", "enc_Wx", "enc_Wh", "enc_b", "dec_Wx", "dec_Wh", "dec_b", "W_out", "b_out")
BOS, EOS = 1, 2  # the decoding tests' special tokens (0 is padding)


# ================================================================ oracles


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x, h, c, Wx, Wh, b):
    """A plain LSTM step, one slice of the weights per gate (order i, f, g, o)."""
    H = h.shape[-1]
    a = x @ Wx + h @ Wh + b
    i, f = sigmoid(a[..., :H]), sigmoid(a[..., H : 2 * H])
    g, o = np.tanh(a[..., 2 * H : 3 * H]), sigmoid(a[..., 3 * H :])
    c = f * c + i * g
    return o * np.tanh(c), c


def shapes(V, D, H):
    return {
        "E": (V, D),
        **{f"{n}_Wx": (D, 4 * H) for n in ("enc", "dec")},
        **{f"{n}_Wh": (H, 4 * H) for n in ("enc", "dec")},
        **{f"{n}_b": (4 * H,) for n in ("enc", "dec")},
        "W_out": (H, V),
        "b_out": (V,),
    }


def make_params(rng, V, D, H, scale=1.0):
    """Random parameters; `scale` sharpens the next-token distributions."""
    params = {k: rng.standard_normal(shape) for k, shape in shapes(V, D, H).items()}
    for k in ("enc_Wx", "dec_Wx", "enc_Wh", "dec_Wh"):
        params[k] /= math.sqrt(params[k].shape[0])
    params["W_out"] *= scale
    return params


def run_lstm(x, h, c, params, name):
    """A loop of lstm_step over x (B, T, D): the hidden states (B, T, H) and the last (h, c)."""
    states = []
    for t in range(x.shape[1]):
        h, c = lstm_step(
            x[:, t], h, c, params[f"{name}_Wx"], params[f"{name}_Wh"], params[f"{name}_b"]
        )
        states.append(h)
    return np.stack(states, axis=1) if states else None, h, c


def decoder_run(params, src, tgt_in, x_src=None):
    """Teacher forcing by loops over time: (logits (B, T, V), decoder states (B, T, H)).
    x_src: the source's embeddings (B, S, D), params["E"][src] unless given."""
    x_src = params["E"][src] if x_src is None else x_src
    zeros = np.zeros((len(src), params["enc_Wh"].shape[0]))
    _, h, _ = run_lstm(x_src, zeros, zeros, params, "enc")
    hs, _, _ = run_lstm(params["E"][tgt_in], h, zeros, params, "dec")
    return hs @ params["W_out"] + params["b_out"], hs


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def next_logp(params, src_row, prefix):
    """log p(next token | src_row, prefix), (V,), recomputed from scratch."""
    tgt_in = np.array([[BOS, *prefix]])
    logits, _ = decoder_run(params, src_row[None], tgt_in)
    return log_softmax(logits[0, -1])


def greedy_oracle(params, src_row, max_len):
    """Greedy decoding of one row as a list, padded with EOS after the first EOS."""
    out = []
    while len(out) < max_len:
        out.append(EOS if EOS in out else int(np.argmax(next_logp(params, src_row, out))))
    return out


def sequence_logp(params, src_row, tokens):
    return sum(next_logp(params, src_row, tokens[:k])[t] for k, t in enumerate(tokens))


def all_finished(V, max_len):
    """Every finished hypothesis: EOS only at the end, or max_len tokens without it."""
    others = [v for v in range(V) if v != EOS]
    for L in range(1, max_len + 1):
        for body in product(others, repeat=L - 1):
            yield [*body, EOS]
    yield from (list(body) for body in product(others, repeat=max_len))


def exhaustive(params, src_row, V, max_len, alpha):
    """(tokens, score) of the best finished hypothesis of all."""
    scored = [
        (sequence_logp(params, src_row, y) / len(y) ** alpha, y) for y in all_finished(V, max_len)
    ]
    score, tokens = max(scored, key=lambda item: item[0])
    return tokens, score


def beam_oracle(params, src_row, V, max_len, width, alpha, stop_at_eos=True):
    """The docstring's beam search with lists: (tokens, score). stop_at_eos=False: the mistake
    of extending hypotheses past eos_id."""
    live, finished = [([], 0.0)], []
    while live:
        extended = [
            (y + [v], lp + step[v])
            for y, lp in live
            for step in [next_logp(params, src_row, y)]
            for v in range(V)
        ]
        kept = sorted(extended, key=lambda item: -item[1])[:width]
        done = [(y, lp) for y, lp in kept if (stop_at_eos and y[-1] == EOS) or len(y) == max_len]
        finished += done
        live = [item for item in kept if item not in done]
    return max(((y, lp / len(y) ** alpha) for y, lp in finished), key=lambda item: item[1])


def misaligned_beam(params, src_row, V, max_len, width, alpha):
    """The beam search of a bookkeeping slip: finished hypotheses leave log P and the states
    but stay in the list of token lists, so later hypotheses record another one's tokens."""
    records, live, finished = [[]], [([], 0.0)], []
    while live:
        extended = [
            (i, y + [v], lp + step[v])
            for i, (y, lp) in enumerate(live)
            for step in [next_logp(params, src_row, y)]
            for v in range(V)
        ]
        kept = sorted(extended, key=lambda item: -item[2])[:width]
        records = [records[i] + [y[-1]] for i, y, _ in kept]  # never filtered: the slip
        done = [y[-1] == EOS or len(y) == max_len for _, y, _ in kept]
        finished += [(r, lp) for r, (_, _, lp), d in zip(records, kept, done) if d]
        live = [(y, lp) for (_, y, lp), d in zip(kept, done) if not d]
    return max(((y, lp / len(y) ** alpha) for y, lp in finished), key=lambda item: item[1])


def attention_oracle(query, keys, mask, Wq, Wk, v):
    """Additive attention with loops over the batch and the positions."""
    B, T, H = keys.shape
    context, weights = np.zeros((B, H)), np.zeros((B, T))
    for b in range(B):
        real = [t for t in range(T) if mask[b, t]]
        scores = {t: v @ np.tanh(query[b] @ Wq + keys[b, t] @ Wk) for t in real}
        top = max(scores.values())
        total = sum(math.exp(s - top) for s in scores.values())
        for t in real:
            weights[b, t] = math.exp(scores[t] - top) / total
            context[b] += weights[b, t] * keys[b, t]
    return context, weights


# ================================================================ 14.1 masked cross-entropy


def ce_case(rng, B=3, T=4, V=5):
    """Logits and targets with padding at the end of some rows (never all of a row)."""
    logits = rng.standard_normal((B, T, V)) * 2
    targets = rng.integers(1, V, (B, T))
    lengths = rng.integers(1, T + 1, B)
    lengths[0] = T  # one full row, one padded row at least
    lengths[1] = min(lengths[1], T - 1)
    targets[np.arange(T) >= lengths[:, None]] = 0
    return logits, targets


def ce_oracle(logits, targets, pad_id):
    """(loss, dlogits) by a loop over the positions."""
    loss, grad, N = 0.0, np.zeros(logits.shape), int((targets != pad_id).sum())
    for b, t in np.ndindex(targets.shape):
        if targets[b, t] != pad_id:
            logp = log_softmax(logits[b, t].astype(float))
            loss -= logp[targets[b, t]] / N
            grad[b, t] = np.exp(logp) / N
            grad[b, t, targets[b, t]] -= 1 / N
    return loss, grad


def cross_entropy(logits, targets, *pad):
    return assert_tuple(
        s2s.masked_cross_entropy(logits, targets, *pad),
        2,
        "masked_cross_entropy",
        "(loss, dlogits)",
    )


def check_ce(result, logits, targets, pad_id=0):
    loss, dlogits = result
    assert_scalar(loss, msg(en="masked_cross_entropy's loss", ja="masked_cross_entropy の loss"))
    assert_array(dlogits, logits.shape, "dlogits")
    real = targets != pad_id
    expected_loss, expected_grad = ce_oracle(logits, targets, pad_id)
    all_positions = -np.take_along_axis(log_softmax(logits.astype(float)), targets[..., None], -1)
    assert_not_mistake(
        loss,
        all_positions.mean(),
        msg(
            en="the loss averages over every position, padding included: sum the losses of the "
            "real tokens only (targets != pad_id) and divide by their count",
            ja="損失がパディングも含めた全位置の平均になっています。実トークン(targets != pad_id)"
            "の損失だけを足し、その個数で割りましょう",
        ),
        correct=expected_loss,
    )
    assert_close(
        loss,
        expected_loss,
        msg(
            en="the mean cross-entropy over the real tokens",
            ja="実トークンについてのクロスエントロピーの平均",
        ),
    )
    leaked = np.abs(dlogits[~real]).max(initial=0.0)
    assert leaked == 0, msg(
        en=f"dlogits is not 0 at padded positions (up to {num(leaked)}): padding must not "
        "train the model; multiply the gradient by the mask of real tokens",
        ja=f"パディングの位置で dlogits が 0 ではありません(最大 {num(leaked)})。パディングで"
        "モデルを学習させてはいけません。勾配に実トークンのマスクを掛けましょう",
    )
    assert_close(
        dlogits,
        expected_grad,
        msg(
            en="dlogits = (softmax - one-hot) / N at real positions",
            ja="dlogits = 実位置で (softmax - one-hot) / N",
        ),
    )


@pytest.mark.task("14.1")
@pytest.mark.checks("inputs")
def test_cross_entropy_leaves_its_inputs_unchanged(rng):
    logits, targets = ce_case(rng)
    result = assert_inputs_unchanged(s2s.masked_cross_entropy, logits, targets, 0)
    check_ce(result, logits, targets)


@pytest.mark.task("14.1")
@pytest.mark.checks("types")
def test_cross_entropy_returns_a_float_and_a_float64_gradient(rng):
    logits, targets = ce_case(rng)
    check_ce(cross_entropy(logits.astype(np.float32), targets), logits.astype(np.float32), targets)


@pytest.mark.task("14.1")
@pytest.mark.checks("mistake")
def test_cross_entropy_ignores_padding(rng):
    logits, targets = ce_case(rng, B=4, T=6)
    check_ce(cross_entropy(logits, targets, 0), logits, targets)
    # what stands at padded positions never matters
    moved = logits + 5 * rng.standard_normal(logits.shape) * (targets == 0)[..., None]
    assert_close(
        cross_entropy(moved, targets, 0)[0],
        cross_entropy(logits, targets, 0)[0],
        msg(
            en="the loss after changing the logits at padded positions",
            ja="パディング位置の logits を変えた後の損失",
        ),
    )


@pytest.mark.task("14.1")
def test_cross_entropy_by_hand():
    # all logits equal: every real token costs log V; two real tokens of six
    logits, targets = np.zeros((2, 3, 4)), np.array([[3, 0, 0], [1, 0, 0]])
    loss, dlogits = cross_entropy(logits, targets, 0)
    assert_close(
        loss,
        math.log(4),
        msg(en="uniform logits over V = 4: loss = log 4", ja="V = 4 で一様な logits: 損失 = log 4"),
    )
    expected = np.zeros((2, 3, 4))
    expected[:, 0] = 0.25 / 2
    expected[0, 0, 3] -= 1 / 2
    expected[1, 0, 1] -= 1 / 2
    assert_close(dlogits, expected, "dlogits")


@pytest.mark.task("14.1")
def test_cross_entropy_pad_id_default_and_another(rng):
    logits, targets = ce_case(rng)
    assert_close(
        cross_entropy(logits, targets)[0],
        cross_entropy(logits, targets, 0)[0],
        msg(
            en="the loss with pad_id left at its default 0", ja="pad_id を既定値 0 のままにした損失"
        ),
    )
    # padding marked with 4 instead: the real tokens are then every target that is not 4
    shifted = np.where(targets == 0, 4, np.where(targets == 4, 0, targets))
    check_ce(cross_entropy(logits, shifted, 4), logits, shifted, pad_id=4)


@pytest.mark.task("14.1")
def test_cross_entropy_one_real_token_and_none(rng):
    logits = rng.standard_normal((2, 3, 5))
    one = np.zeros((2, 3), dtype=int)
    one[1, 2] = 3
    check_ce(cross_entropy(logits, one, 0), logits, one)
    loss, dlogits = cross_entropy(logits, np.zeros((2, 3), dtype=int), 0)
    assert loss == 0.0 and np.array_equal(dlogits, np.zeros(logits.shape)), msg(
        en=f"with every target padding, the loss must be 0.0 and dlogits all 0; got loss {num(loss)}: "
        "do not divide by a count of 0",
        ja=f"すべてがパディングなら損失は 0.0、dlogits はすべて 0 のはずですが、損失は {num(loss)} でした。"
        "0 個で割らないようにしましょう",
    )


@pytest.mark.task("14.1")
@pytest.mark.checks("mistake")
def test_cross_entropy_is_stable_for_huge_logits(rng):
    logits, targets = ce_case(rng)
    logits = logits * 1e4
    loss, dlogits = cross_entropy(logits, targets, 0)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits)), msg(
        en="huge logits (1e4) give inf or NaN: subtract each row's max before exp "
        "(log-softmax: z - max - log(sum(exp(z - max))))",
        ja="大きな logits(1e4)で inf か NaN になります。exp の前に各行の最大値を引きましょう"
        "(log-softmax: z - max - log(sum(exp(z - max))))",
    )
    check_ce((loss, dlogits), logits, targets)


@pytest.mark.task("14.1")
def test_cross_entropy_gradient_by_finite_differences(rng):
    logits, targets = ce_case(rng, B=2, T=3, V=4)
    _, dlogits = cross_entropy(logits, targets, 0)
    assert_grad_close(dlogits, lambda: cross_entropy(logits, targets, 0)[0], logits, "dlogits")


# ================================================================ 14.2 encoder–decoder


def model_case(rng, B=3, S=4, T=5, V=6, D=3, H=4):
    params = make_params(rng, V, D, H)
    src = rng.integers(0, V, (B, S))
    src[0, :-1] = src[0, -1]  # a repeated token (S > 1): its embedding gradient has parts
    tgt_in = rng.integers(0, V, (B, T))
    return params, src, tgt_in


def forward(params, src, tgt_in):
    return assert_tuple(
        s2s.seq2seq_forward(params, src, tgt_in), 2, "seq2seq_forward", "(logits, cache)"
    )


def check_forward(logits, params, src, tgt_in):
    V = params["W_out"].shape[1]
    assert_array(
        logits,
        (*tgt_in.shape, V),
        msg(en="seq2seq_forward's logits", ja="seq2seq_forward の logits"),
    )
    expected, _ = decoder_run(params, src, tgt_in)
    blind = decoder_run(params, np.zeros((len(src), 0), dtype=int), tgt_in)[0]
    assert_not_mistake(
        logits,
        blind,
        msg(
            en="the logits do not depend on the source: the decoder must start from the encoder's "
            "last hidden state (h0 = hs_enc[:, -1]), not from zeros",
            ja="logits がソースに依存していません。デコーダはゼロではなく、エンコーダの最後の"
            "隠れ状態(h0 = hs_enc[:, -1])から始めます",
        ),
    )
    assert_not_mistake(
        logits,
        with_encoder_cell(params, src, tgt_in),
        msg(
            en="the decoder starts from the encoder's last cell state too: here only h carries "
            "the source over; the decoder's c0 is zeros",
            ja="デコーダがエンコーダの最後のセル状態からも始まっています。ここでソースを運ぶのは h "
            "だけで、デコーダの c0 はゼロです",
        ),
    )
    assert_close(
        logits, expected, msg(en="the logits of seq2seq_forward", ja="seq2seq_forward の logits")
    )


def with_encoder_cell(params, src, tgt_in):
    """The logits when the decoder starts from the encoder's last (h, c)."""
    zeros = np.zeros((len(src), params["enc_Wh"].shape[0]))
    _, h, c = run_lstm(params["E"][src], zeros, zeros, params, "enc")
    hs, _, _ = run_lstm(params["E"][tgt_in], h, c, params, "dec")
    return hs @ params["W_out"] + params["b_out"]


def grads_of(params, src, tgt_in, dlogits):
    _, cache = forward(params, src, tgt_in)
    grads = s2s.seq2seq_backward(dlogits, cache)
    assert isinstance(grads, dict) and sorted(grads) == sorted(PARAM_KEYS), msg(
        en=f"seq2seq_backward should return a dict with the keys {sorted(PARAM_KEYS)}",
        ja=f"seq2seq_backward はキー {sorted(PARAM_KEYS)} を持つ dict を返すはずです",
    )
    for k in PARAM_KEYS:
        assert_array(grads[k], params[k].shape, f"grads[{k!r}]")
    return grads


def check_encoder_learns(grads):
    assert np.abs(grads["enc_Wx"]).max() > 0, msg(
        en="the encoder's gradients are all 0: the decoder's dh0 (from lstm_backward) is the "
        "gradient of the encoder's last hidden state; put it at dhs_enc[:, -1] and run the "
        "encoder's lstm_backward",
        ja="エンコーダの勾配がすべて 0 です。デコーダの lstm_backward が返す dh0 がエンコーダの"
        "最後の隠れ状態の勾配です。dhs_enc[:, -1] に入れて、エンコーダの lstm_backward を呼びましょう",
    )


def check_backward(grads, params, src, tgt_in, dlogits):
    _, hs_dec = decoder_run(params, src, tgt_in)
    V = params["W_out"].shape[1]
    assert_close(grads["b_out"], dlogits.sum(axis=(0, 1)), "grads['b_out']")
    assert_close(
        grads["W_out"],
        hs_dec.reshape(-1, hs_dec.shape[-1]).T @ dlogits.reshape(-1, V),
        "grads['W_out']",
    )
    unused = np.setdiff1d(np.arange(V), np.concatenate([src.ravel(), tgt_in.ravel()]))
    assert_close(
        grads["E"][unused],
        np.zeros((len(unused), params["E"].shape[1])),
        msg(en="grads['E'] at tokens that never occur", ja="一度も現れないトークンの grads['E']"),
    )
    check_encoder_learns(grads)

    def loss():
        return float((decoder_run(params, src, tgt_in)[0] * dlogits).sum())

    for k in PARAM_KEYS:
        assert_grad_close(grads[k], loss, params[k], f"grads[{k!r}]")


@pytest.mark.task("14.2")
@pytest.mark.checks("inputs")
def test_seq2seq_leaves_its_inputs_unchanged(rng):
    params, src, tgt_in = model_case(rng)
    logits, cache = assert_inputs_unchanged(s2s.seq2seq_forward, params, src, tgt_in)
    dlogits = rng.standard_normal(logits.shape)
    assert_inputs_unchanged(s2s.seq2seq_backward, dlogits, cache)
    check_forward(logits, params, src, tgt_in)


@pytest.mark.task("14.2")
@pytest.mark.checks("types")
def test_seq2seq_types_and_shapes(rng):
    params, src, tgt_in = model_case(rng, B=2, S=3, T=4)
    logits, _ = forward(params, src, tgt_in)
    check_forward(logits, params, src, tgt_in)
    grads_of(params, src, tgt_in, rng.standard_normal(logits.shape))


@pytest.mark.task("14.2")
@pytest.mark.checks("mistake")
def test_seq2seq_forward_against_a_loop_over_time(rng):
    params, src, tgt_in = model_case(rng)
    check_forward(forward(params, src, tgt_in)[0], params, src, tgt_in)


@pytest.mark.task("14.2")
def test_seq2seq_forward_with_one_step_each(rng):
    params, src, tgt_in = model_case(rng, B=1, S=1, T=1)
    check_forward(forward(params, src, tgt_in)[0], params, src, tgt_in)


@pytest.mark.task("14.2")
@pytest.mark.checks("mistake")
def test_seq2seq_backward_adds_the_gradients_of_repeated_tokens(rng):
    params, src, tgt_in = model_case(rng, B=2, S=3, T=3, V=4)
    src[:] = 3  # the same token everywhere in the source, never in the target
    tgt_in[:] = rng.integers(0, 3, tgt_in.shape)
    dlogits = rng.standard_normal((*tgt_in.shape, 4))
    grads = grads_of(params, src, tgt_in, dlogits)
    check_encoder_learns(grads)
    x_src = params["E"][src]  # (B, S, D): d loss / d x_src is the encoder's dx, one row per use
    dx_src = numerical_grad(
        lambda: float((decoder_run(params, src, tgt_in, x_src)[0] * dlogits).sum()), x_src
    )
    assert_not_mistake(
        grads["E"][3],
        dx_src[-1, -1],  # dE[src] += dx_enc: each row written once, the last use wins
        msg(
            en="grads['E'] keeps only one use of a repeated token: dE[src] += dx writes each row "
            "once; np.add.at(dE, src, dx) adds every use",
            ja="grads['E'] が繰り返し現れるトークンの 1 回分しか持っていません。dE[src] += dx は各行に"
            "1 回しか書きません。np.add.at(dE, src, dx) ならすべての出現を足します",
        ),
        rtol=1e-4,
        atol=1e-8,
        correct=dx_src.sum(axis=(0, 1)),
    )

    def loss():
        return float((decoder_run(params, src, tgt_in)[0] * dlogits).sum())

    assert_grad_close(grads["E"], loss, params["E"], "grads['E']")


@pytest.mark.task("14.2")
@pytest.mark.checks("mistake")
def test_seq2seq_backward_by_finite_differences(rng):
    params, src, tgt_in = model_case(rng)
    dlogits = rng.standard_normal((*tgt_in.shape, params["W_out"].shape[1]))
    check_backward(grads_of(params, src, tgt_in, dlogits), params, src, tgt_in, dlogits)


@pytest.mark.task("14.2")
def test_a_model_learns_to_reverse_digit_sequences():
    """The learner's loss, forward, backward and greedy decoding, trained by Adam written here:
    500 steps of 32 sequences of 4 digits from 5, H = 24 (a few seconds on a busy 2-core
    machine). Fixed seeds: the result never depends on --seed."""
    S, digits, D, H, steps, lr = 4, 5, 16, 24, 500, 0.02
    V = 3 + digits  # 0 padding, 1 bos, 2 eos, then the digits
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(shape) for k, shape in shapes(V, D, H).items()}
    for k, value in params.items():
        value *= (
            0.5
            if k == "E"
            else 0.0
            if k.endswith("b") or k == "b_out"
            else 1 / math.sqrt(len(value))
        )
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}
    data = np.random.default_rng(1)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        src = data.integers(3, V, (32, S))
        rev = src[:, ::-1]
        tgt_in = np.concatenate([np.full((32, 1), BOS), rev], axis=1)
        tgt_out = np.concatenate([rev, np.full((32, 1), EOS)], axis=1)
        logits, cache = s2s.seq2seq_forward(params, src, tgt_in)
        _, dlogits = s2s.masked_cross_entropy(logits, tgt_out, 0)
        grads = s2s.seq2seq_backward(dlogits, cache)
        for k in params:
            m[k] = 0.9 * m[k] + 0.1 * grads[k]
            v2[k] = 0.999 * v2[k] + 0.001 * grads[k] ** 2
            params[k] -= lr * (m[k] / (1 - 0.9**step)) / (np.sqrt(v2[k] / (1 - 0.999**step)) + 1e-8)
    seconds = time.perf_counter() - start
    test = np.random.default_rng(2).integers(3, V, (200, S))
    out = s2s.greedy_decode(params, test, BOS, EOS, S + 1)
    accuracy = float((np.asarray(out)[:, :S] == test[:, ::-1]).mean())
    assert accuracy >= 0.9, msg(
        en=f"after {steps} Adam steps ({seconds:.1f} s) the model reverses only {accuracy:.0%} "
        "of the digits (at least 90% expected): check that the decoder starts from the encoder's "
        "last hidden state and that seq2seq_backward sends dh0 back into the encoder",
        ja=f"Adam で {steps} ステップ学習({seconds:.1f} 秒)しても、数字列の反転が {accuracy:.0%} "
        "しか当たりません(90% 以上のはず)。デコーダがエンコーダの最後の隠れ状態から始まるか、"
        "seq2seq_backward が dh0 をエンコーダへ戻しているかを確かめましょう",
    )


# ================================================================ 14.3 greedy decoding


def decode_case(rng, B=4, S=3, V=6, D=3, H=4):
    params = make_params(rng, V, D, H, scale=3.0)
    params["b_out"][EOS] -= 1.0  # EOS neither always first nor never
    return params, rng.integers(3, V, (B, S))


def greedy(params, src, max_len):
    return s2s.greedy_decode(params, src, BOS, EOS, max_len)


def check_greedy(tokens, params, src, max_len):
    assert_array(
        tokens,
        (len(src), max_len),
        msg(en="greedy_decode's tokens", ja="greedy_decode の tokens"),
        dtype=np.int64,
    )
    expected = np.array([greedy_oracle(params, row, max_len) for row in src])
    bos_every_step = np.array([feeding_bos(params, row, max_len) for row in src])
    assert_not_mistake(
        tokens,
        bos_every_step,
        msg(
            en="every step is fed bos_id: feed back the token just chosen (the argmax) as the "
            "next input",
            ja="どのステップにも bos_id が入力されています。次の入力には、いま選んだトークン"
            "(argmax)を入れましょう",
        ),
        correct=expected,
    )
    running_on = np.array([continue_after_eos(params, row, max_len) for row in src])
    assert_not_mistake(
        tokens,
        running_on,
        msg(
            en="a row keeps generating after it chose eos_id: once a row has chosen eos_id, all "
            "its later tokens must be eos_id",
            ja="eos_id を選んだ後も生成が続いています。ある行が eos_id を選んだら、その後の"
            "トークンはすべて eos_id です",
        ),
        correct=expected,
    )
    wrong = np.argwhere(tokens != expected)
    assert len(wrong) == 0, msg(
        en=f"greedy_decode chose token {tokens[tuple(wrong[0])]} at row {wrong[0][0]}, step "
        f"{wrong[0][1]}; the most probable next token there is {expected[tuple(wrong[0])]}",
        ja=f"greedy_decode は {wrong[0][0]} 行目のステップ {wrong[0][1]} でトークン "
        f"{tokens[tuple(wrong[0])]} を選びましたが、そこで最も確率の高いトークンは "
        f"{expected[tuple(wrong[0])]} です",
    )


def feeding_bos(params, row, max_len):
    """Greedy decoding of one row when every input is bos_id (the states carried over)."""
    out = []
    while len(out) < max_len:
        step = next_logp(params, row, [BOS] * len(out))
        out.append(EOS if EOS in out else int(np.argmax(step)))
    return out


def continue_after_eos(params, row, max_len):
    out = []
    while len(out) < max_len:
        out.append(int(np.argmax(next_logp(params, row, out))))
    return out


@pytest.mark.task("14.3")
@pytest.mark.checks("inputs")
def test_greedy_leaves_its_inputs_unchanged(rng):
    params, src = decode_case(rng)
    tokens = assert_inputs_unchanged(s2s.greedy_decode, params, src, BOS, EOS, 5)
    check_greedy(tokens, params, src, 5)


@pytest.mark.task("14.3")
@pytest.mark.checks("types")
def test_greedy_returns_int64_tokens(rng):
    params, src = decode_case(rng, B=2)
    check_greedy(greedy(params, src, 3), params, src, 3)


@pytest.mark.task("14.3")
@pytest.mark.checks("mistake")
def test_greedy_against_a_step_by_step_oracle(rng):
    params, src = decode_case(rng, B=6)
    check_greedy(greedy(params, src, 6), params, src, 6)


@pytest.mark.task("14.3")
@pytest.mark.checks("mistake")
def test_greedy_stays_at_eos(rng):
    # find rows that choose EOS early and would choose something else after it
    for _ in range(50):
        params, src = decode_case(rng, B=8)
        expected = [greedy_oracle(params, row, 6) for row in src]
        if any(e != continue_after_eos(params, row, 6) for e, row in zip(expected, src)):
            break
    else:
        pytest.fail("test data: no row ended early in 50 draws")
    check_greedy(greedy(params, src, 6), params, src, 6)


@pytest.mark.task("14.3")
def test_greedy_with_a_very_confident_decoder(rng):
    # logits of a few hundred to a thousand: exp overflows unless the max is subtracted
    params, src = decode_case(rng, B=6)
    params["W_out"] *= 300
    check_greedy(greedy(params, src, 4), params, src, 4)


@pytest.mark.task("14.3")
def test_greedy_with_one_step(rng):
    params, src = decode_case(rng, B=3)
    check_greedy(greedy(params, src, 1), params, src, 1)


# ================================================================ 14.4 beam search


def beam(params, src_row, max_len, width, *alpha):
    result = assert_tuple(
        s2s.beam_search(params, src_row, BOS, EOS, max_len, width, *alpha),
        2,
        "beam_search",
        "(tokens, score)",
    )
    tokens, score = result
    assert isinstance(tokens, list) and all(isinstance(t, int) for t in tokens), msg(
        en=f"beam_search's tokens should be a list of Python ints, got {type(tokens).__name__}",
        ja=f"beam_search の tokens は Python の int のリストのはずですが、{type(tokens).__name__} でした",
    )
    assert_scalar(score, msg(en="beam_search's score", ja="beam_search の score"))
    return tokens, score


def check_beam(result, expected, params, src_row, V, max_len, width, alpha):
    """result of beam_search(params, src_row, BOS, EOS, max_len, width, alpha) against the
    expected (tokens, score); the README's mistakes named by the oracle's variants."""
    tokens, score = result
    want, want_score = expected
    mistakes = [
        (
            beam_oracle(params, src_row, V, max_len, width, 0.0),
            msg(
                en="the winner is chosen by log P without length normalisation: divide by "
                "L**alpha (L the number of tokens, eos_id included), or short hypotheses win",
                ja="長さで正規化しない log P で勝者を選んでいます。L**alpha で割りましょう"
                "(L は eos_id も含むトークン数)。そうしないと短い仮説が勝ちます",
            ),
        ),
        (
            beam_oracle(params, src_row, V, max_len, width, alpha, stop_at_eos=False),
            msg(
                en="hypotheses go on after eos_id: a hypothesis that ends in eos_id is finished; "
                "set it aside and stop extending it",
                ja="eos_id の後も仮説が伸び続けています。eos_id で終わった仮説は完了です。"
                "脇に置いて、それ以上伸ばさないようにしましょう",
            ),
        ),
    ]
    for (wrong, wrong_score), message in mistakes:
        differs = wrong != want or not math.isclose(wrong_score, want_score, rel_tol=1e-6)
        same = tokens == wrong and math.isclose(score, wrong_score, rel_tol=1e-9)
        assert not (differs and same), message
    assert tokens == want, msg(
        en=f"beam_search returned {tokens} (score {num(score)}); the best hypothesis is {want} "
        f"(score {num(want_score)})",
        ja=f"beam_search は {tokens}(スコア {num(score)})を返しましたが、最良の仮説は {want}"
        f"(スコア {num(want_score)})です",
    )
    assert_close(
        score,
        want_score,
        msg(en="beam_search's score log P / L**alpha", ja="beam_search のスコア log P / L**alpha"),
    )


def beam_case(rng, V=4):
    params = make_params(rng, V, 3, 4, scale=2.0)
    return params, rng.integers(3, V, 3)


@pytest.mark.task("14.4")
@pytest.mark.checks("inputs")
def test_beam_leaves_its_inputs_unchanged(rng):
    params, src_row = beam_case(rng)
    result = assert_inputs_unchanged(s2s.beam_search, params, src_row, BOS, EOS, 3, 2, 1.0)
    expected = beam_oracle(params, src_row, 4, 3, 2, 1.0)
    check_beam(result, expected, params, src_row, 4, 3, 2, 1.0)


@pytest.mark.task("14.4")
@pytest.mark.checks("types")
def test_beam_returns_a_list_of_ints_and_a_float(rng):
    params, src_row = beam_case(rng)
    expected = beam_oracle(params, src_row, 4, 2, 2, 1.0)
    check_beam(beam(params, src_row, 2, 2, 1.0), expected, params, src_row, 4, 2, 2, 1.0)


@pytest.mark.task("14.4")
@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_a_wide_beam_equals_exhaustive_search(rng, alpha):
    V, max_len = 4, 4
    params, src_row = beam_case(rng, V)
    width = V**max_len  # wide enough that nothing is ever pruned
    expected = exhaustive(params, src_row, V, max_len, alpha)
    check_beam(
        beam(params, src_row, max_len, width, alpha),
        expected,
        params,
        src_row,
        V,
        max_len,
        width,
        alpha,
    )


@pytest.mark.task("14.4")
def test_width_one_equals_greedy(rng):
    # rows where a beam of 2 finds something else than greedy, so width 1 must mean 1
    for _ in range(50):
        params, src = decode_case(rng, B=4)
        if any(
            beam_oracle(params, row, 6, 5, 1, 1.0) != beam_oracle(params, row, 6, 5, 2, 1.0)
            for row in src
        ):
            break
    else:
        pytest.fail("test data: a beam of 2 never beat greedy in 50 draws")
    for row in src:
        tokens = greedy_oracle(params, row, 5)
        tokens = tokens[: tokens.index(EOS) + 1] if EOS in tokens else tokens
        score = sequence_logp(params, row, tokens) / len(tokens)
        check_beam(beam(params, row, 5, 1), (tokens, score), params, row, 6, 5, 1, 1.0)


@pytest.mark.task("14.4")
@pytest.mark.parametrize("width", [2, 3])
def test_beam_against_a_list_oracle(rng, width):
    params, src = decode_case(rng, B=2, V=5)
    for row in src:
        expected = beam_oracle(params, row, 5, 5, width, 1.0)
        check_beam(beam(params, row, 5, width, 1.0), expected, params, row, 5, 5, width, 1.0)


@pytest.mark.task("14.4")
@pytest.mark.checks("mistake")
def test_beam_normalises_by_length_with_alpha_one_by_default(rng):
    # a case where length normalisation changes the winner, so the two can be told apart
    for _ in range(100):
        params, src_row = beam_case(rng)
        expected = exhaustive(params, src_row, 4, 3, 1.0)
        if expected[0] != exhaustive(params, src_row, 4, 3, 0.0)[0]:
            break
    else:
        pytest.fail("test data: normalisation never changed the winner in 100 draws")
    check_beam(beam(params, src_row, 3, 64), expected, params, src_row, 4, 3, 64, 1.0)


@pytest.mark.task("14.4")
@pytest.mark.checks("mistake")
def test_beam_stops_hypotheses_at_eos(rng):
    # a case where going on past eos_id changes the answer
    for _ in range(100):
        params, src_row = beam_case(rng)
        expected = beam_oracle(params, src_row, 4, 3, 3, 1.0)
        if expected != beam_oracle(params, src_row, 4, 3, 3, 1.0, stop_at_eos=False):
            break
    else:
        pytest.fail("test data: eos_id never mattered in 100 draws")
    check_beam(beam(params, src_row, 3, 3, 1.0), expected, params, src_row, 4, 3, 3, 1.0)


@pytest.mark.task("14.4")
def test_beam_goes_on_from_the_right_prefixes_after_one_finishes(rng):
    # a case where a hypothesis finishes early and another goes on to win: the ones that go
    # on must keep their own tokens, log P and states, and the finished one must leave all three
    for _ in range(200):
        params, src_row = beam_case(rng, V=5)
        expected = beam_oracle(params, src_row, 5, 4, 3, 1.0)
        if expected != misaligned_beam(params, src_row, 5, 4, 3, 1.0):
            break
    else:
        pytest.fail("test data: no early finish changed the bookkeeping in 200 draws")
    check_beam(beam(params, src_row, 4, 3, 1.0), expected, params, src_row, 5, 4, 3, 1.0)


@pytest.mark.task("14.4")
def test_beam_with_one_step(rng):
    params, src_row = beam_case(rng)
    logp = next_logp(params, src_row, [])
    best = int(np.argmax(logp))
    check_beam(
        beam(params, src_row, 1, 2, 1.0), ([best], float(logp[best])), params, src_row, 4, 1, 2, 1.0
    )


# ================================================================ 14.5 additive attention


def attention_case(rng, B=3, T=5, H=4, A=3):
    query, keys = rng.standard_normal((B, H)), rng.standard_normal((B, T, H))
    lengths = rng.integers(1, T + 1, B)
    lengths[0], lengths[-1] = T, min(lengths[-1], T - 2)  # one full row, one padded row
    mask = np.arange(T) < lengths[:, None]
    weights = (rng.standard_normal((H, A)), rng.standard_normal((H, A)), 2 * rng.standard_normal(A))
    return query, keys, mask, *weights


def attend(*case):
    return assert_tuple(
        s2s.additive_attention(*case), 2, "additive_attention", "(context, weights)"
    )


def check_attention(result, query, keys, mask, Wq, Wk, v):
    context, weights = result
    B, T, H = keys.shape
    assert_array(context, (B, H), "context")
    assert_array(weights, (B, T), "weights")
    expected_context, expected = attention_oracle(query, keys, mask, Wq, Wk, v)
    scores = np.tanh((query @ Wq)[:, None] + keys @ Wk) @ v
    unmasked = np.exp(scores - scores.max(axis=-1, keepdims=True))
    assert_not_mistake(
        weights,
        unmasked / unmasked.sum(axis=-1, keepdims=True),
        msg(
            en="padded positions get attention weight: set their scores to -inf "
            "(np.where(mask, scores, -np.inf)) before the softmax",
            ja="パディングの位置にアテンションの重みが付いています。softmax の前にそのスコアを -inf に"
            "しましょう(np.where(mask, scores, -np.inf))",
        ),
        correct=expected,
    )
    if B > 1:
        masked = np.where(mask, scores, -np.inf)
        with np.errstate(invalid="ignore"):  # a column all padding gives NaN: never a match
            e = np.exp(masked - masked.max(axis=0, keepdims=True))
            over_batch = e / e.sum(axis=0, keepdims=True)
        assert_not_mistake(
            weights,
            over_batch,
            msg(
                en="the softmax runs over the batch (axis 0): it must run over the positions "
                "of each row (axis=-1)",
                ja="softmax がバッチ方向(axis 0)に取られています。各行の位置の方向(axis=-1)に取りましょう",
            ),
            correct=expected,
        )
    assert np.all(np.isfinite(weights)) and np.all(np.isfinite(context)), msg(
        en="the weights or the context contain inf or NaN: subtract each row's max score "
        "before exp (huge scores overflow)",
        ja="重みか context に inf か NaN があります。exp の前に各行のスコアの最大値を引きましょう"
        "(大きなスコアはあふれます)",
    )
    padded = np.abs(weights[~mask]).max(initial=0.0)
    assert padded == 0, msg(
        en=f"the weights at padded positions must be exactly 0; the largest is {num(padded)}",
        ja=f"パディング位置の重みはちょうど 0 のはずですが、最大で {num(padded)} です",
    )
    sums = weights.sum(axis=-1)
    assert np.allclose(sums, 1), msg(
        en=f"each row of the weights must sum to 1; row 0 sums to {num(sums[0])}",
        ja=f"重みの各行の和は 1 のはずですが、0 行目の和は {num(sums[0])} です",
    )
    assert_close(weights, expected, "weights")
    assert_close(
        context,
        expected_context,
        msg(
            en="context = sum_t weights[b, t] * keys[b, t]",
            ja="context = sum_t weights[b, t] * keys[b, t]",
        ),
    )


@pytest.mark.task("14.5")
@pytest.mark.checks("inputs")
def test_attention_leaves_its_inputs_unchanged(rng):
    case = attention_case(rng)
    check_attention(assert_inputs_unchanged(s2s.additive_attention, *case), *case)


@pytest.mark.task("14.5")
@pytest.mark.checks("types")
def test_attention_types_and_shapes(rng):
    case = attention_case(rng, B=2, T=3, H=2, A=5)
    check_attention(attend(*case), *case)


@pytest.mark.task("14.5")
@pytest.mark.checks("mistake")
def test_attention_against_a_loop(rng):
    case = attention_case(rng, B=4, T=6)
    check_attention(attend(*case), *case)


@pytest.mark.task("14.5")
def test_attention_by_hand():
    # Wk = 0: every real position scores the same, so the weights are uniform over them
    keys = np.array([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])
    case = (
        np.array([[0.3, -0.2]]),
        keys,
        np.array([[True, True, False]]),
        np.ones((2, 2)),
        np.zeros((2, 2)),
        np.ones(2),
    )
    context, weights = attend(*case)
    assert_close(weights, [[0.5, 0.5, 0.0]], "weights")
    assert_close(context, [[0.5, 0.5]], "context")


@pytest.mark.task("14.5")
@pytest.mark.checks("mistake")
def test_attention_never_reads_padded_keys(rng):
    query, keys, mask, Wq, Wk, v = attention_case(rng)
    moved = keys + 10 * rng.standard_normal(keys.shape) * ~mask[..., None]
    check_attention(attend(query, moved, mask, Wq, Wk, v), query, moved, mask, Wq, Wk, v)
    assert_close(
        attend(query, moved, mask, Wq, Wk, v)[0],
        attend(query, keys, mask, Wq, Wk, v)[0],
        msg(
            en="context after changing the keys at padded positions",
            ja="パディング位置の keys を変えた後の context",
        ),
    )


@pytest.mark.task("14.5")
@pytest.mark.checks("mistake")
def test_attention_is_stable_for_huge_scores(rng):
    query, keys, mask, Wq, Wk, v = attention_case(rng)
    case = (query, keys, mask, Wq, Wk, 1e4 * v)
    check_attention(attend(*case), *case)


@pytest.mark.task("14.5")
def test_attention_with_one_real_position(rng):
    query, keys, mask, Wq, Wk, v = attention_case(rng, B=2, T=4)
    mask[:] = False
    mask[0, 2] = mask[1, 0] = True
    check_attention(attend(query, keys, mask, Wq, Wk, v), query, keys, mask, Wq, Wk, v)
