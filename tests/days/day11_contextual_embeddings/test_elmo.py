"""day11 suite: reversal by length, a bidirectional LSTM layer, a stacked biLM and the ELMo
scalar mix.

Every task has one `check_*` function that judges a result: first the type and shape, then
the README's common mistakes by name (each computed here, independently), then the values
against oracles written in this file: a reversal loop, a plain LSTM run sentence by sentence
on the real words only (sigmoid as 1 / (1 + exp(-z)), no padding at all), a plain stack of
those, and a loop over the layers. The tests choose data; the checks judge.

Beyond values: the backward direction is the forward one run on the reversed sentence;
padded inputs never reach a real position; the same word gets the same token vector
everywhere, different contextual vectors in different sentences and identical ones in
identical sentences; equal layer weights give gamma times the mean; softmax weights sum to 1.
"""

import numpy as np
import pytest

from checker.core.testing import (
    ATOL,
    RTOL,
    assert_array,
    assert_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    implementation,
    msg,
    num,
)

elmo = implementation("day11_contextual_embeddings.elmo")

F32_RTOL = 1e-4  # float32 keeps ~7 digits; a few LSTM steps lose one or two
F32_ATOL = 1e-5


# ================================================================ shared helpers


def real_mask(lengths, T):
    """(B, T) bool: the real positions t < lengths[b]."""
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]


def naive_reverse(x, lengths):
    """Each row's first lengths[b] entries reversed, one row at a time; padding left alone."""
    out = x.copy()
    for b, L in enumerate(lengths):
        out[b, :L] = x[b, :L][::-1]
    return out


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def naive_lstm(words, Wx, Wh, b):
    """A plain LSTM over one sentence's real words, (L, D) -> (L, H), from zero states."""
    H = Wh.shape[0]
    h, c, out = np.zeros(H), np.zeros(H), []
    for x_t in words:
        a = x_t @ Wx + h @ Wh + b
        i, f = sigmoid(a[:H]), sigmoid(a[H : 2 * H])
        g, o = np.tanh(a[2 * H : 3 * H]), sigmoid(a[3 * H :])
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.array(out).reshape(len(words), H)


def direction(params, name):
    return params[f"Wx_{name}"], params[f"Wh_{name}"], params[f"b_{name}"]


def naive_bilstm(x, lengths, params, *, reverse="own", back=True, bw="bw"):
    """One biLSTM layer sentence by sentence, on the real words only, 0 at the padding. The
    keywords make the README's mistakes: reverse="row" reverses the whole padded row,
    back=False leaves the backward states in reversed order, bw="fw" reuses the forward
    weights."""
    B, T, _ = x.shape
    H = params["Wh_fw"].shape[0]
    out = np.zeros((B, T, 2 * H))
    for b, L in enumerate(lengths):
        out[b, :L, :H] = naive_lstm(x[b, :L], *direction(params, "fw"))
        if reverse == "row":  # the whole row, padding first
            states = naive_lstm(x[b][::-1], *direction(params, bw))[::-1]  # (T, H)
        else:
            states = naive_lstm(x[b, :L][::-1], *direction(params, bw))  # (L, H)
            states = states[::-1] if back else states
        out[b, :L, H:] = states[:L]
    return out


def naive_bilm(x, lengths, layers, *, sentence_order=False):
    """Every layer's states, sentence by sentence on the real words only, 0 at the padding:
    [x, x] at 0, then a forward stack and a backward stack of plain LSTMs. The backward
    stack works on the reversed sentence throughout and reverses only what it stores; with
    sentence_order=True each backward layer reads the one below in sentence order instead
    (the README's mistake)."""
    B, T, H = x.shape
    states = np.zeros((len(layers) + 1, B, T, 2 * H))
    for b, L in enumerate(lengths):
        words = x[b, :L]  # (L, H)
        states[0, b, :L] = np.concatenate([words, words], axis=-1)
        fw, bw = words, words[::-1]  # bw: from the last word to the first
        for l, params in enumerate(layers, start=1):
            fw = naive_lstm(fw, *direction(params, "fw"))
            out = naive_lstm(bw, *direction(params, "bw"))
            states[l, b, :L] = np.concatenate([fw, out[::-1]], axis=-1)
            bw = out[::-1] if sentence_order else out
    return states


def lstm_params(rng, D, H, dtype=np.float64):
    """Both directions' weights, scaled so every gate stays in its lively range."""
    params = {}
    for name in ("fw", "bw"):
        params[f"Wx_{name}"] = rng.standard_normal((D, 4 * H)) / np.sqrt(D)
        params[f"Wh_{name}"] = rng.standard_normal((H, 4 * H)) / np.sqrt(H)
        params[f"b_{name}"] = rng.uniform(-0.5, 0.5, 4 * H)
    return {k: v.astype(dtype) for k, v in params.items()}


def padded_case(rng, B=4, T=6, D=3, H=4, dtype=np.float64):
    """x, lengths, params: rows of different lengths (one full, one short, one length 1),
    padded with junk that would change every result if it ever leaked."""
    lengths = np.array([T, 3, 1, T - 1][:B] + list(rng.integers(1, T + 1, max(B - 4, 0))))
    lengths = np.clip(lengths, 1, T)
    x = rng.standard_normal((B, T, D))
    x[~real_mask(lengths, T)] = rng.uniform(2.0, 4.0, (np.sum(T - lengths), D))
    return x.astype(dtype), lengths, lstm_params(rng, D, H, dtype)


def tolerances(dtype):
    return (F32_RTOL, F32_ATOL) if dtype == np.float32 else (RTOL, ATOL)


# ================================================================ 11.1 reverse_padded


def check_reverse(out, x, lengths):
    assert_array(
        out,
        x.shape,
        msg(en="reverse_padded's result", ja="reverse_padded の結果"),
        dtype=x.dtype,
    )
    expected = naive_reverse(x, lengths)
    assert_not_mistake(
        out,
        x[:, ::-1],
        msg(
            en="reverse_padded reversed each whole row, padding included (x[:, ::-1]): the "
            "padding moved to the front. Reverse only the first lengths[b] positions of row b",
            ja="reverse_padded が行全体をパディングごと反転しています(x[:, ::-1])。パディングが"
            "先頭に来てしまいます。行 b は先頭の lengths[b] 個だけを反転しましょう",
        ),
        correct=expected,
    )
    zeroed = np.where(
        real_mask(lengths, x.shape[1]).reshape(x.shape[:2] + (1,) * (x.ndim - 2)), expected, 0
    )
    assert_not_mistake(
        out,
        zeroed,
        msg(
            en="reverse_padded set the padding to 0: padded positions must keep their own "
            "entries, left in place (out[b, t] = x[b, t] for t >= lengths[b])",
            ja="reverse_padded がパディングを 0 にしています。パディングの位置は元の値をその場に"
            "残します(t >= lengths[b] では out[b, t] = x[b, t])",
        ),
        correct=expected,
    )
    assert_close(
        out,
        expected,
        msg(
            en="reverse_padded: out[b, t] = x[b, lengths[b] - 1 - t] on the real part, x[b, t] "
            "at the padding",
            ja="reverse_padded: 実際の部分では out[b, t] = x[b, lengths[b] - 1 - t]、"
            "パディングでは x[b, t]",
        ),
    )


@pytest.mark.task("11.1")
@pytest.mark.checks("inputs")
def test_reverse_padded_leaves_its_inputs_unchanged(rng):
    x, lengths, _ = padded_case(rng)
    out = assert_inputs_unchanged(elmo.reverse_padded, x, lengths)
    check_reverse(out, x, lengths)


@pytest.mark.task("11.1")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64], ids=str)
def test_reverse_padded_keeps_the_shape_and_dtype_of_x(rng, dtype):
    x, lengths, _ = padded_case(rng, B=3, T=5, D=2)
    x = (x * 10).astype(dtype)
    check_reverse(elmo.reverse_padded(x, lengths), x, lengths)


@pytest.mark.task("11.1")
@pytest.mark.checks("mistake")
def test_reverse_padded_reverses_within_each_length_and_leaves_the_padding(rng):
    x, lengths, _ = padded_case(rng, B=5, T=7, D=2)
    check_reverse(elmo.reverse_padded(x, lengths), x, lengths)


@pytest.mark.task("11.1")
def test_reverse_padded_hand_worked():
    # the README's example: [a b c _] with 3 words -> [c b a _]; [d e _ _] with 2 -> [e d _ _]
    x = np.array([[1.0, 2.0, 3.0, 0.0], [4.0, 5.0, 6.0, 7.0]])[..., None]  # (2, 4, 1)
    out = elmo.reverse_padded(x, np.array([3, 2]))
    assert_close(
        out,
        np.array([[3.0, 2.0, 1.0, 0.0], [5.0, 4.0, 6.0, 7.0]])[..., None],
        msg(en="reverse_padded of the README's example", ja="README の例の reverse_padded"),
    )


@pytest.mark.task("11.1")
def test_reverse_padded_on_token_ids_of_shape_B_T(rng):
    """(B, T) works too, as the docstring says, and ids stay ints."""
    T = 8
    lengths = rng.integers(0, T + 1, 6)
    tokens = rng.integers(0, 1000, (6, T))
    check_reverse(elmo.reverse_padded(tokens, lengths), tokens, lengths)


@pytest.mark.task("11.1")
def test_reverse_padded_edge_lengths_and_twice_is_the_identity(rng):
    """lengths 0 (all padding: unchanged), T (the whole row reversed), 1 (unchanged); T = 1."""
    x = rng.standard_normal((4, 5, 3))
    lengths = np.array([0, 5, 1, 2])
    out = elmo.reverse_padded(x, lengths)
    check_reverse(out, x, lengths)
    assert_close(
        elmo.reverse_padded(out, lengths),
        x,
        msg(
            en="reversing twice within the same lengths must give x back",
            ja="同じ長さで 2 回反転すると x に戻るはずです",
        ),
    )
    one = rng.standard_normal((3, 1, 2))
    check_reverse(elmo.reverse_padded(one, np.array([1, 0, 1])), one, np.array([1, 0, 1]))


# ================================================================ 11.2 bilstm_forward


def check_bilstm(hs, x, lengths, params):
    B, T, _ = x.shape
    H = params["Wh_fw"].shape[0]
    assert_array(
        hs, (B, T, 2 * H), msg(en="bilstm_forward's hs", ja="bilstm_forward の hs"), dtype=x.dtype
    )
    rtol, atol = tolerances(x.dtype)
    x, params = x.astype(float), {k: v.astype(float) for k, v in params.items()}
    expected = naive_bilstm(x, lengths, params)
    padding = ~real_mask(lengths, T)
    assert np.all(hs[padding] == 0), msg(
        en=f"bilstm_forward left the padded positions non-zero (largest |value| "
        f"{num(float(np.abs(hs[padding]).max()))}): set every padded position to 0, as the "
        "docstring says (np.where with the mask t < lengths[b])",
        ja=f"bilstm_forward のパディングの位置が 0 になっていません(|値| の最大 "
        f"{num(float(np.abs(hs[padding]).max()))})。docstring のとおり、パディングの位置は"
        "すべて 0 にしましょう(t < lengths[b] のマスクで np.where)",
    )
    mistakes = {
        "row": msg(
            en="the backward direction read the padding: it reversed each whole row "
            "(x[:, ::-1]), so it started at the padding instead of the last real word. "
            "Reverse with reverse_padded(x, lengths) (11.1), and reverse the states back "
            "with it too",
            ja="後ろ向きの方向がパディングを読んでいます。行全体を反転した(x[:, ::-1])ため、"
            "本当の最後の単語ではなくパディングから読み始めています。reverse_padded(x, lengths)"
            "(11.1)で反転し、状態も同じ関数で反転して戻しましょう",
        ),
        "back": msg(
            en="the backward states are in reversed order: the LSTM run on the reversed "
            "sentence returns its states from the last word to the first; reverse them back "
            "with reverse_padded before concatenating",
            ja="後ろ向きの状態が逆順のままです。反転した文に走らせた LSTM は最後の単語から順に"
            "状態を返すので、連結する前に reverse_padded でもう一度反転して戻しましょう",
        ),
        "fw": msg(
            en="the backward direction used the forward weights: it has weights of its own, "
            'params["Wx_bw"], params["Wh_bw"], params["b_bw"]',
            ja='後ろ向きの方向が前向きの重みを使っています。後ろ向きには専用の重み params["Wx_bw"]、'
            'params["Wh_bw"]、params["b_bw"] があります',
        ),
    }
    mistaken = {
        "row": naive_bilstm(x, lengths, params, reverse="row"),
        "back": naive_bilstm(x, lengths, params, back=False),
        "fw": naive_bilstm(x, lengths, params, bw="fw"),
    }
    for name, message in mistakes.items():
        assert_not_mistake(hs, mistaken[name], message, correct=expected, rtol=rtol, atol=atol)
    assert_close(
        hs[..., :H],
        expected[..., :H],
        msg(
            en="the forward half hs[..., :H]: lstm_forward over x from zero states",
            ja="前半 hs[..., :H]: ゼロの初期状態から x に lstm_forward",
        ),
        rtol=rtol,
        atol=atol,
    )
    assert_close(
        hs[..., H:],
        expected[..., H:],
        msg(
            en="the backward half hs[..., H:]: at position t, the backward LSTM's state after "
            "reading words lengths[b] - 1 down to t",
            ja="後半 hs[..., H:]: 位置 t には、後ろ向きの LSTM が単語 lengths[b] - 1 から t まで"
            "読んだ後の状態",
        ),
        rtol=rtol,
        atol=atol,
    )


@pytest.mark.task("11.2")
@pytest.mark.checks("inputs")
def test_bilstm_forward_leaves_its_inputs_unchanged(rng):
    x, lengths, params = padded_case(rng)
    hs = assert_inputs_unchanged(elmo.bilstm_forward, x, lengths, params)
    check_bilstm(hs, x, lengths, params)


@pytest.mark.task("11.2")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_bilstm_forward_returns_B_T_2H_in_the_dtype_of_its_inputs(rng, dtype):
    x, lengths, params = padded_case(rng, B=3, T=5, D=2, H=3, dtype=dtype)
    check_bilstm(elmo.bilstm_forward(x, lengths, params), x, lengths, params)


@pytest.mark.task("11.2")
@pytest.mark.checks("mistake")
def test_bilstm_forward_matches_a_plain_lstm_on_each_sentence(rng):
    x, lengths, params = padded_case(rng, B=6, T=7, D=4, H=3)
    check_bilstm(elmo.bilstm_forward(x, lengths, params), x, lengths, params)


@pytest.mark.task("11.2")
def test_padding_never_leaks_into_real_positions(rng):
    x, lengths, params = padded_case(rng, B=5, T=6)
    hs = elmo.bilstm_forward(x, lengths, params)
    x2 = x.copy()
    padding = ~real_mask(lengths, x.shape[1])
    x2[padding] = rng.uniform(-50, 50, x2[padding].shape)  # other junk, much larger
    hs2 = elmo.bilstm_forward(x2, lengths, params)
    assert_close(
        hs2,
        hs,
        msg(
            en="hs after changing only the padded inputs: no real position may depend on the "
            "padding (in either direction), and the padding itself is 0",
            ja="パディングの入力だけを変えた後の hs: 実際の位置はどちらの方向でもパディングに"
            "依存してはいけません(パディングの位置自体は 0 です)",
        ),
    )


@pytest.mark.task("11.2")
def test_backward_direction_is_the_forward_one_on_reversed_sentences(rng):
    """Swap the two directions' weights and reverse every sentence: the two halves swap."""
    x, lengths, params = padded_case(rng, B=4, T=6, H=3)
    H = 3
    swapped = {k[:-2] + {"fw": "bw", "bw": "fw"}[k[-2:]]: v for k, v in params.items()}
    hs = elmo.bilstm_forward(x, lengths, params)
    hs_rev = elmo.bilstm_forward(naive_reverse(x, lengths), lengths, swapped)
    assert_close(
        naive_reverse(hs_rev[..., :H], lengths),
        hs[..., H:],
        msg(
            en="the backward half must equal the forward LSTM (with the backward weights) run on "
            "each sentence reversed within its length, its states reversed back",
            ja="後半は、各文を長さの中で反転して(後ろ向きの重みの)前向き LSTM に通し、状態を反転"
            "して戻したものと等しいはずです",
        ),
    )
    assert_close(
        naive_reverse(hs_rev[..., H:], lengths),
        hs[..., :H],
        msg(
            en="the forward half must equal the backward direction of the reversed sentences, "
            "reversed back",
            ja="前半は、反転した文の後ろ向きの方向を反転して戻したものと等しいはずです",
        ),
    )


@pytest.mark.task("11.2")
def test_bilstm_forward_edge_cases_one_step_and_empty_rows(rng):
    """T = 1, a batch of one, and a row with no real word (all 0)."""
    x, _, params = padded_case(rng, B=3, T=1, D=2, H=2)
    lengths = np.array([1, 0, 1])
    check_bilstm(elmo.bilstm_forward(x, lengths, params), x, lengths, params)
    x, _, params = padded_case(rng, B=1, T=4, D=2, H=2)
    lengths = np.array([4])
    check_bilstm(elmo.bilstm_forward(x, lengths, params), x, lengths, params)


# ================================================================ 11.3 bilm_forward


def bilm_case(rng, B=4, T=6, H=3, L=2, dtype=np.float64):
    """x (B, T, H), lengths, and L layers (each direction's layer reads H features)."""
    x, lengths, _ = padded_case(rng, B=B, T=T, D=H, H=H, dtype=dtype)
    layers = [lstm_params(rng, H, H, dtype) for _ in range(L)]
    return x, lengths, layers


def check_bilm(states, x, lengths, layers):
    B, T, H = x.shape
    L = len(layers)
    if isinstance(states, np.ndarray) and states.shape == (L, B, T, 2 * H) and L > 0:
        raise AssertionError(
            msg(
                en=f"bilm_forward returned {L} layers for {L} LSTM layers: the token layer "
                "states[0] = [x, x] comes first, so there are L + 1",
                ja=f"bilm_forward が LSTM {L} 層に対して {L} 層しか返していません。先頭に"
                "トークンの層 states[0] = [x, x] が入るので、L + 1 層になります",
            )
        )
    assert_array(
        states,
        (L + 1, B, T, 2 * H),
        msg(en="bilm_forward's states", ja="bilm_forward の states"),
        dtype=x.dtype,
    )
    rtol, atol = tolerances(x.dtype)
    x, layers = x.astype(float), [{k: v.astype(float) for k, v in p.items()} for p in layers]
    expected = naive_bilm(x, lengths, layers)
    padding = ~real_mask(lengths, T)
    assert np.all(states[:, padding] == 0), msg(
        en="bilm_forward left the padded positions non-zero: every layer, the token layer "
        "states[0] included, is 0 at the padding (np.where with the mask t < lengths[b])",
        ja="bilm_forward のパディングの位置が 0 になっていません。トークンの層 states[0] も含め、"
        "どの層もパディングの位置は 0 です(t < lengths[b] のマスクで np.where)",
    )
    assert_close(
        states[0],
        expected[0],
        msg(
            en="the token layer states[0]: [x, x] along the last axis (0 at the padding)",
            ja="トークンの層 states[0]: 最後の軸に [x, x](パディングは 0)",
        ),
        rtol=rtol,
        atol=atol,
    )
    mistaken = naive_bilm(x, lengths, layers, sentence_order=True)
    for l in range(1, L + 1):
        assert_not_mistake(
            states[l],
            mistaken[l],
            msg(
                en=f"backward layer {l} read the layer below in sentence order, so it ran from "
                "the first word to the last: the backward stack reads every layer from the end "
                "of the sentence. Keep its states in reversed order between layers; reverse "
                "back only what goes into states",
                ja=f"後ろ向きの第 {l} 層が、下の層を文の順に読んでいます(最初の単語から最後へ"
                "進んでいます)。後ろ向きのスタックはどの層も文末から読みます。層と層の間では"
                "状態を逆順のまま渡し、states に入れるものだけを反転して戻しましょう",
            ),
            correct=expected[l],
            rtol=rtol,
            atol=atol,
        )
        assert_close(
            states[l],
            expected[l],
            msg(
                en=f"layer {l}: [forward layer {l}, backward layer {l}], each direction's "
                f"LSTM (layers[{l - 1}]) over the same direction's layer {l - 1}",
                ja=f"第 {l} 層: [前向きの第 {l} 層, 後ろ向きの第 {l} 層]。各方向の LSTM"
                f"(layers[{l - 1}])が同じ方向の第 {l - 1} 層を読みます",
            ),
            rtol=rtol,
            atol=atol,
        )


@pytest.mark.task("11.3")
@pytest.mark.checks("inputs")
def test_bilm_forward_leaves_its_inputs_unchanged(rng):
    x, lengths, layers = bilm_case(rng)
    states = assert_inputs_unchanged(elmo.bilm_forward, x, lengths, layers)
    check_bilm(states, x, lengths, layers)


@pytest.mark.task("11.3")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_bilm_forward_returns_L_plus_1_layers_in_the_dtype_of_its_inputs(rng, dtype):
    x, lengths, layers = bilm_case(rng, B=3, T=4, H=2, L=2, dtype=dtype)
    check_bilm(elmo.bilm_forward(x, lengths, layers), x, lengths, layers)


@pytest.mark.task("11.3")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("L", [1, 3], ids=["one-layer", "three-layers"])
def test_bilm_forward_matches_a_plain_stack(rng, L):
    x, lengths, layers = bilm_case(rng, L=L)
    check_bilm(elmo.bilm_forward(x, lengths, layers), x, lengths, layers)


@pytest.mark.task("11.3")
def test_bilm_forward_with_no_lstm_layer_is_the_token_layer(rng):
    x, lengths, _ = bilm_case(rng, L=0)
    check_bilm(elmo.bilm_forward(x, lengths, []), x, lengths, [])


@pytest.mark.task("11.3")
def test_the_same_word_gets_context_dependent_vectors(rng):
    """Word 1 sits at position 1 of two sentences with other neighbours: its token vector is
    the same in both, its contextual vectors are not. The same sentence, padded differently
    in another row, gets exactly the same vectors."""
    V, H = 8, 3
    embedding = rng.standard_normal((V, H))
    tokens = np.array(
        [
            [3, 1, 4, 2, 0, 0],  # "3 1 4 2"
            [5, 1, 6, 0, 0, 0],  # "5 1 6": word 1 again, other neighbours
            [3, 1, 4, 2, 7, 7],  # "3 1 4 2" again, other padding
        ]
    )
    lengths = np.array([4, 3, 4])
    x = embedding[tokens]  # (B, T, H)
    layers = [lstm_params(rng, H, H), lstm_params(rng, H, H)]
    states = elmo.bilm_forward(x, lengths, layers)
    assert_array(
        states, (3, 3, 6, 2 * H), msg(en="bilm_forward's states", ja="bilm_forward の states")
    )
    assert_close(
        states[0, 1, 1],
        states[0, 0, 1],
        msg(
            en="the token layer of word 1 in two sentences: it ignores the context",
            ja="2 つの文の単語 1 のトークンの層: 文脈は見ません",
        ),
    )
    for l in (1, 2):
        gap = float(np.abs(states[l, 1, 1] - states[l, 0, 1]).max())
        assert gap > 1e-3, msg(
            en=f"layer {l} gives word 1 the same vector in '3 1 4 2' and in '5 1 6' (largest "
            f"difference {num(gap)}): a contextual layer must see the neighbours",
            ja=f"第 {l} 層で、'3 1 4 2' と '5 1 6' の単語 1 が同じベクトルです(差の最大 "
            f"{num(gap)})。文脈を考慮する層は周りの単語を見るはずです",
        )
    assert_close(
        states[:, 2],
        states[:, 0],
        msg(
            en="every layer of the same sentence '3 1 4 2' in two rows (only the padding "
            "differs): identical contexts must give identical vectors",
            ja="2 つの行にある同じ文 '3 1 4 2' の全層(違うのはパディングだけ): 同じ文脈なら"
            "同じベクトルになるはずです",
        ),
    )


# ================================================================ 11.4 scalar_mix


def softmax(w):
    e = np.exp(w - w.max())
    return e / e.sum()


def naive_mix(states, weights, gamma):
    """gamma * sum over j of weights[j] * states[j], one layer at a time."""
    out = np.zeros(states.shape[1:])
    for j in range(len(states)):
        out = out + weights[j] * states[j]
    return gamma * out


def check_mix(out, states, w, gamma):
    assert_array(out, states.shape[1:], msg(en="scalar_mix's result", ja="scalar_mix の結果"))
    expected = naive_mix(states, softmax(w), gamma)
    finite = np.isfinite(out)
    assert finite.all(), msg(
        en=f"scalar_mix gave inf or NaN for the layer weights w = {num(w)}: exp of a large "
        "weight overflows; subtract max(w) before the exp (the softmax stays the same)",
        ja=f"層の重み w = {num(w)} で scalar_mix が inf か NaN になりました。大きな重みの exp が"
        "あふれています。exp の前に max(w) を引きましょう(softmax は変わりません)",
    )
    mistakes = [
        (
            naive_mix(states, w, gamma),
            msg(
                en="scalar_mix used the raw weights w: turn them into softmax(w) first, so "
                "they are positive and sum to 1",
                ja="scalar_mix が生の重み w をそのまま使っています。先に softmax(w) にして、"
                "正で和が 1 の重みにしましょう",
            ),
        ),
        (
            naive_mix(states, w / w.sum(), gamma),
            msg(
                en="scalar_mix normalised the weights as w / w.sum(): ELMo uses softmax(w), "
                "which is positive for any w",
                ja="scalar_mix が重みを w / w.sum() で正規化しています。ELMo は softmax(w) を"
                "使います(どんな w でも正になります)",
            ),
        ),
        (
            naive_mix(states, softmax(w), 1.0),
            msg(
                en=f"scalar_mix forgot gamma: the weighted sum is scaled by gamma "
                f"(here {num(gamma)})",
                ja=f"scalar_mix で gamma を掛け忘れています。重み付き和を gamma 倍します"
                f"(ここでは {num(gamma)})",
            ),
        ),
    ]
    for mistaken, message in mistakes:
        assert_not_mistake(out, mistaken, message, correct=expected)
    assert_close(
        out,
        expected,
        msg(
            en="scalar_mix: gamma * sum over j of softmax(w)[j] * states[j]",
            ja="scalar_mix: gamma * Σ_j softmax(w)[j] * states[j]",
        ),
    )


def mix_case(rng, L=3, B=2, T=4, C=6):
    states = rng.standard_normal((L + 1, B, T, C))
    return states, rng.standard_normal(L + 1), float(rng.uniform(0.5, 2.0))


@pytest.mark.task("11.4")
@pytest.mark.checks("inputs")
def test_scalar_mix_leaves_its_inputs_unchanged(rng):
    states, w, gamma = mix_case(rng)
    out = assert_inputs_unchanged(elmo.scalar_mix, states, w, gamma)
    check_mix(out, states, w, gamma)


@pytest.mark.task("11.4")
@pytest.mark.checks("types")
def test_scalar_mix_returns_a_float64_B_T_C_array(rng):
    states, w, gamma = mix_case(rng, L=1, B=3, T=2, C=4)
    check_mix(elmo.scalar_mix(states, w, gamma), states, w, gamma)


@pytest.mark.task("11.4")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize(
    "shift",
    [[0.0, 0.0, 0.0], [1000.0, 1000.0, 1000.0], [-800.0, 0.0, 800.0]],
    ids=["weights-near-0", "weights-near-1000", "weights-far-apart"],
)
def test_scalar_mix_matches_a_loop_over_the_layers(rng, shift):
    """Far-apart weights overflow exp(w - min(w)) as well as exp(w)."""
    states, w, gamma = mix_case(rng, L=2)
    w = w + np.array(shift)
    check_mix(elmo.scalar_mix(states, w, gamma), states, w, gamma)


@pytest.mark.task("11.4")
def test_scalar_mix_hand_worked():
    # the README's example: layers 1 and 3; w = [0, log 3] -> weights [1/4, 3/4]
    states = np.array([1.0, 3.0]).reshape(2, 1, 1, 1)
    out = elmo.scalar_mix(states, np.array([0.0, np.log(3.0)]), 2.0)
    assert_close(
        out,
        [[[5.0]]],
        msg(
            en="scalar_mix of the README's example: 2 * (1/4 * 1 + 3/4 * 3) = 5",
            ja="README の例の scalar_mix: 2 * (1/4 * 1 + 3/4 * 3) = 5",
        ),
    )


@pytest.mark.task("11.4")
def test_equal_weights_give_gamma_times_the_mean(rng):
    states, _, gamma = mix_case(rng)
    w = np.full(len(states), float(rng.uniform(-5, 5)))
    assert_close(
        elmo.scalar_mix(states, w, gamma),
        gamma * states.mean(axis=0),
        msg(
            en="with equal layer weights the mix is gamma times the mean of the layers",
            ja="層の重みがすべて等しいとき、混合は層の平均の gamma 倍です",
        ),
    )


@pytest.mark.task("11.4")
def test_softmax_weights_sum_to_1_and_gamma_defaults_to_1(rng):
    """Every layer all ones: any weights that sum to 1 give exactly gamma everywhere."""
    states = np.ones((4, 2, 3, 5))
    w = rng.standard_normal(4) * 3
    assert_close(
        elmo.scalar_mix(states, w, 2.5),
        np.full((2, 3, 5), 2.5),
        msg(
            en="scalar_mix of layers that are all ones must be gamma (2.5) everywhere: the "
            "softmax weights sum to 1",
            ja="すべて 1 の層の scalar_mix はどこでも gamma (2.5) のはずです。softmax の重みの"
            "和は 1 です",
        ),
    )
    states, w, _ = mix_case(rng)
    assert_close(
        elmo.scalar_mix(states, w),
        naive_mix(states, softmax(w), 1.0),
        msg(
            en="scalar_mix with gamma left out (default 1.0)",
            ja="gamma を省いた scalar_mix(既定値 1.0)",
        ),
    )
