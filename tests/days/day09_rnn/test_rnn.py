"""day09 suite: one RNN step forward and backward, a sequence and BPTT, clipping by the global
norm, the vanishing gradient measured, and a small RNN trained with clipping.

Every task has `check_*` functions that judge a result: first the type and shape, then the
README's common mistakes by name (each computed here, independently), then the values
against oracles written in this file: a plain RNN written step by step, its BPTT with
switches for the common mistakes, central differences of the plain forward, Jacobian
products for the gradient reaching h0, and a plain gradient-descent loop. The tests choose
data; the checks judge.

Beyond values: the gradient reaching h0 obeys the closed-form bound
||d L_t / d h0|| <= sqrt(B H) ||Wh||_2^(t + 1) (|tanh'| <= 1), so with small recurrent
weights it shrinks geometrically; and a small RNN learns to repeat its input from two steps
earlier, a task generated here, in well under a second.
"""

import math

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
)

rnn = implementation("day09_rnn.rnn")

GRAD_NAMES = ("dx", "dh_prev", "dWx", "dWh", "db")
SEQ_GRAD_NAMES = ("dx", "dh0", "dWx", "dWh", "db")
PARAM_KEYS = ("Wx", "Wh", "b", "Wy", "by")
TRAIN_RTOL = 1e-6  # a few training steps: two float64 implementations drift apart ~1e-14
TRAIN_ATOL = 1e-9


# ================================================================ shared helpers


def rnn_case(rng, B=3, T=4, D=5, H=4, scale=1.0):
    """x, h0, Wx, Wh, b: weights scaled so tanh sits in its lively range (not saturated)."""
    x = rng.standard_normal((B, T, D))
    h0 = rng.uniform(-0.9, 0.9, (B, H))
    Wx = rng.standard_normal((D, H)) / np.sqrt(D)
    Wh = scale * rng.standard_normal((H, H)) / np.sqrt(H)
    b = 0.5 * rng.standard_normal(H)
    return x, h0, Wx, Wh, b


# ---------------------------------------------------------------- the plain RNN


def plain_step(x, h_prev, Wx, Wh, b):
    """h = tanh(a), a[n, j] = sum_d x[n, d] Wx[d, j] + sum_k h_prev[n, k] Wh[k, j] + b[j]."""
    a = np.einsum("nd,dj->nj", x, Wx) + np.einsum("nk,kj->nj", h_prev, Wh) + b
    return np.tanh(a)


def plain_forward(x, h0, Wx, Wh, b):
    """The plain RNN over a sequence: hs (B, T, H), one step after another."""
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = plain_step(x[:, t], h, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs, axis=1)


def plain_step_backward(dh, x, h_prev, h, Wx, Wh, through_tanh=True, tanh_of=None):
    """The backward pass of plain_step. `through_tanh=False`: the common mistake of skipping
    tanh's derivative; `tanh_of`: the array whose 1 - (.)**2 is used (h, unless a mistake)."""
    slope = 1 - (h if tanh_of is None else tanh_of) ** 2
    da = dh * slope if through_tanh else dh
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def plain_bptt(dhs, x, h0, Wx, Wh, b, carry=True, local=True, accumulate=True):
    """BPTT over plain_forward, from the last step down. The switches are the common mistakes:
    carry=False drops what step t + 1 sends back, local=False reads dhs at the last step only,
    accumulate=False keeps one step's weight gradients instead of their sum."""
    hs = plain_forward(x, h0, Wx, Wh, b)
    B, T, _ = x.shape
    h_prevs = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        own = dhs[:, t] if (local or t == T - 1) else 0.0
        dh = own + (dh_next if carry else 0.0)
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = plain_step_backward(
            dh, x[:, t], h_prevs[:, t], hs[:, t], Wx, Wh
        )
        if accumulate:
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        else:
            dWx, dWh, db = dWx_t, dWh_t, db_t
    return dx, dh_next, dWx, dWh, db


def check_grads(grads, expected, names, what):
    for name, value, want in zip(names, grads, expected, strict=True):
        assert_array(value, want.shape, name)
    for name, value, want in zip(names, grads, expected, strict=True):
        assert_close(value, want, msg(en=f"{what}: {name}", ja=f"{what}: {name}"))


# ================================================================ 9.1 one step


def step_forward(x, h_prev, Wx, Wh, b):
    return assert_tuple(
        rnn.rnn_step_forward(x, h_prev, Wx, Wh, b), 2, "rnn_step_forward", "(h, cache)"
    )


def step_backward(dh, cache):
    result = rnn.rnn_step_backward(dh, cache)
    return assert_tuple(result, 5, "rnn_step_backward", "(dx, dh_prev, dWx, dWh, db)")


def step_case(rng, B=3, D=5, H=4):
    x, h0, Wx, Wh, b = rnn_case(rng, B, 1, D, H)
    return x[:, 0], h0, Wx, Wh, b, rng.standard_normal((B, H))


def check_step_forward(h, x, h_prev, Wx, Wh, b):
    assert_array(h, (len(x), Wh.shape[0]), "h")
    a = x @ Wx + h_prev @ Wh + b
    assert_not_mistake(
        h,
        a,
        msg(
            en="h is the pre-activation x @ Wx + h_prev @ Wh + b itself: the step forgot tanh, "
            "so nothing keeps the hidden state in (-1, 1). h = np.tanh(x @ Wx + h_prev @ Wh + b)",
            ja="h が活性化前の値 x @ Wx + h_prev @ Wh + b のままです。tanh を忘れているので、"
            "隠れ状態が (-1, 1) に収まりません。h = np.tanh(x @ Wx + h_prev @ Wh + b) です",
        ),
        correct=np.tanh(a),
    )
    assert_close(
        h,
        plain_step(x, h_prev, Wx, Wh, b),
        msg(en="h = tanh(x @ Wx + h_prev @ Wh + b)", ja="h = tanh(x @ Wx + h_prev @ Wh + b)"),
    )


def check_step_backward(grads, dh, x, h_prev, Wx, Wh, b):
    h = plain_step(x, h_prev, Wx, Wh, b)
    right = plain_step_backward(dh, x, h_prev, h, Wx, Wh)
    for name, value, want in zip(GRAD_NAMES, grads, right, strict=True):
        assert_array(value, want.shape, name)
    dx, dh_prev, dWx, dWh, db = grads
    assert_not_mistake(
        dh_prev,
        plain_step_backward(dh, x, h_prev, h, Wx, Wh, through_tanh=False)[1],
        msg(
            en="the gradients skip tanh's derivative: dh went straight into the products. "
            "First da = dh * (1 - h**2) (tanh'(a) = 1 - tanh(a)**2, and tanh(a) is h), then "
            "dh_prev = da @ Wh.T and so on",
            ja="勾配が tanh の微分を通っていません。dh をそのまま積に使っています。まず "
            "da = dh * (1 - h**2)(tanh'(a) = 1 - tanh(a)**2 で、tanh(a) は h そのもの)、"
            "それから dh_prev = da @ Wh.T などを求めます",
        ),
        correct=right[1],
    )
    assert_not_mistake(
        dh_prev,
        plain_step_backward(dh, x, h_prev, h, Wx, Wh, tanh_of=h_prev)[1],
        msg(
            en="tanh's derivative was taken at h_prev: 1 - h_prev**2. The tanh that this step "
            "applied produced h, so its derivative is 1 - h**2, with the new h",
            ja="tanh の微分を h_prev で計算しています (1 - h_prev**2)。このステップの tanh が"
            "出力したのは h なので、微分は新しい h を使って 1 - h**2 です",
        ),
        correct=right[1],
    )
    assert_not_mistake(
        dWh,
        h.T @ (dh * (1 - h**2)),
        msg(
            en="dWh was computed from the new h: h.T @ da. Wh multiplied h_prev in this step "
            "(a = x @ Wx + h_prev @ Wh + b), so dWh = h_prev.T @ da",
            ja="dWh を新しい h から h.T @ da で計算しています。このステップで Wh が掛かったのは "
            "h_prev です (a = x @ Wx + h_prev @ Wh + b)。dWh = h_prev.T @ da です",
        ),
        correct=right[3],
    )
    formulas = {
        "dx": "da @ Wx.T",
        "dh_prev": "da @ Wh.T",
        "dWx": "x.T @ da",
        "dWh": "h_prev.T @ da",
        "db": "da.sum(axis=0)",
    }
    for name, value, want in zip(GRAD_NAMES, grads, right, strict=True):
        assert_close(
            value,
            want,
            msg(
                en=f"{name} = {formulas[name]}, with da = dh * (1 - h**2)",
                ja=f"{name} = {formulas[name]}(da = dh * (1 - h**2))",
            ),
        )


@pytest.mark.task("9.1")
@pytest.mark.checks("inputs")
def test_step_leaves_its_inputs_unchanged(rng):
    x, h_prev, Wx, Wh, b, dh = step_case(rng)
    result = assert_inputs_unchanged(rnn.rnn_step_forward, x, h_prev, Wx, Wh, b)
    h, cache = assert_tuple(result, 2, "rnn_step_forward", "(h, cache)")
    check_step_forward(h, x, h_prev, Wx, Wh, b)
    grads = assert_inputs_unchanged(rnn.rnn_step_backward, dh, cache)
    grads = assert_tuple(grads, 5, "rnn_step_backward", "(dx, dh_prev, dWx, dWh, db)")
    check_step_backward(grads, dh, x, h_prev, Wx, Wh, b)


@pytest.mark.task("9.1")
@pytest.mark.checks("types")
def test_step_returns_float64_arrays_of_the_documented_shapes(rng):
    x, h_prev, Wx, Wh, b, dh = step_case(rng, B=2, D=3, H=5)
    h, cache = step_forward(x, h_prev, Wx, Wh, b)
    assert_array(h, (2, 5), "h")
    for name, value, shape in zip(
        GRAD_NAMES, step_backward(dh, cache), [(2, 3), (2, 5), (3, 5), (5, 5), (5,)], strict=True
    ):
        assert_array(value, shape, name)


@pytest.mark.task("9.1")
@pytest.mark.checks("mistake")
def test_step_avoids_the_common_mistakes(rng):
    x, h_prev, Wx, Wh, b, dh = step_case(rng, B=4, D=3, H=5)
    h, cache = step_forward(x, h_prev, Wx, Wh, b)
    check_step_forward(h, x, h_prev, Wx, Wh, b)
    check_step_backward(step_backward(dh, cache), dh, x, h_prev, Wx, Wh, b)


@pytest.mark.task("9.1")
@pytest.mark.parametrize(("B", "D", "H"), [(3, 5, 4), (1, 2, 3)], ids=["batch-3", "batch-1"])
def test_step_equals_a_plain_step_and_its_gradients(rng, B, D, H):
    x, h_prev, Wx, Wh, b, dh = step_case(rng, B, D, H)
    h, cache = step_forward(x, h_prev, Wx, Wh, b)
    check_step_forward(h, x, h_prev, Wx, Wh, b)
    assert np.all(np.abs(h) < 1), msg(
        en="every entry of h must lie in (-1, 1), tanh's range",
        ja="h のすべての要素は tanh の値域 (-1, 1) に入るはずです",
    )
    check_step_backward(step_backward(dh, cache), dh, x, h_prev, Wx, Wh, b)


@pytest.mark.task("9.1")
def test_step_gradients_match_finite_differences(rng):
    x, h_prev, Wx, Wh, b, G = step_case(rng)  # loss = sum(h * G), so d loss / d h = G
    arrays = {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "b": b}

    def loss():  # the plain forward, so this checks the backward on its own
        return float(np.sum(plain_step(*arrays.values()) * G))

    _, cache = step_forward(x, h_prev, Wx, Wh, b)
    grads = step_backward(G, cache)
    check_step_backward(grads, G, x, h_prev, Wx, Wh, b)
    for name, grad in zip(arrays, grads, strict=True):
        wrt = arrays[name]  # perturbed in place by the finite differences
        assert_grad_close(grad, loss, wrt, f"d{name}")


@pytest.mark.task("9.1")
def test_step_hand_worked():
    # the README's example: a = [1 - 1 + 0, 0 + 0 + ln 2] = [0, ln 2], so h = [0, 3/5]
    # (tanh(ln 2) = (4 - 1) / (4 + 1)); with dh = [1, 1], da = [1 * (1 - 0), 1 * (1 - 9/25)]
    x, h_prev = np.array([[1.0]]), np.array([[0.5, -0.5]])
    Wx, Wh = np.array([[1.0, 0.0]]), np.array([[-2.0, 0.0], [0.0, 0.0]])
    b = np.array([0.0, math.log(2.0)])
    h, cache = step_forward(x, h_prev, Wx, Wh, b)
    assert_close(h, [[0.0, 0.6]], msg(en="h of the README's example", ja="README の例の h"))
    expected = {
        "dx": [[1.0]],
        "dh_prev": [[-2.0, 0.0]],
        "dWx": [[1.0, 0.64]],
        "dWh": [[0.5, 0.32], [-0.5, -0.32]],
        "db": [1.0, 0.64],
    }
    grads = step_backward(np.array([[1.0, 1.0]]), cache)
    for (name, want), value in zip(expected.items(), grads, strict=True):
        assert_close(
            value, want, msg(en=f"{name} of the README's example", ja=f"README の例の {name}")
        )


# ================================================================ 9.2 sequence and BPTT


def seq_forward(x, h0, Wx, Wh, b):
    return assert_tuple(rnn.rnn_forward(x, h0, Wx, Wh, b), 2, "rnn_forward", "(hs, cache)")


def seq_backward(dhs, cache):
    result = rnn.rnn_backward(dhs, cache)
    return assert_tuple(result, 5, "rnn_backward", "(dx, dh0, dWx, dWh, db)")


def check_seq_forward(hs, x, h0, Wx, Wh, b):
    B, T, _ = x.shape
    assert_array(hs, (B, T, h0.shape[1]), "hs")
    right = plain_forward(x, h0, Wx, Wh, b)
    assert_not_mistake(
        hs,
        np.tanh(x @ Wx + h0[:, None] @ Wh + b),
        msg(
            en="every step started from h0: each step must start from the hidden state the "
            "step before returned (h = rnn_step_forward(x[:, t], h, ...)), or the RNN has "
            "no memory",
            ja="すべてのステップが h0 から始まっています。各ステップは直前のステップが返した"
            "隠れ状態から始めます (h = rnn_step_forward(x[:, t], h, ...))。そうしないと RNN に"
            "記憶がありません",
        ),
        correct=right,
    )
    assert_close(
        hs,
        right,
        msg(
            en="hs[:, t] = tanh(x[:, t] @ Wx + hs[:, t - 1] @ Wh + b), starting from h0",
            ja="hs[:, t] = tanh(x[:, t] @ Wx + hs[:, t - 1] @ Wh + b)(最初は h0 から)",
        ),
    )


def check_bptt(grads, dhs, x, h0, Wx, Wh, b):
    right = plain_bptt(dhs, x, h0, Wx, Wh, b)
    for name, value, want in zip(SEQ_GRAD_NAMES, grads, right, strict=True):
        assert_array(value, want.shape, name)
    dx, dh0, dWx, dWh, db = grads
    assert_not_mistake(
        dx,
        plain_bptt(dhs, x, h0, Wx, Wh, b, carry=False)[0],
        msg(
            en="each step's gradient ignores what the later steps send back: step t's h "
            "reaches the loss directly (dhs[:, t]) and through step t + 1, so call "
            "rnn_step_backward with dhs[:, t] + dh_prev, the dh_prev of step t + 1",
            ja="各ステップの勾配が、後のステップから戻ってくる分を無視しています。ステップ t の "
            "h は直接 (dhs[:, t]) とステップ t + 1 を通っての 2 つの道で損失に届くので、"
            "rnn_step_backward には dhs[:, t] + dh_prev(ステップ t + 1 の dh_prev)を渡します",
        ),
        correct=right[0],
    )
    assert_not_mistake(
        dx,
        plain_bptt(dhs, x, h0, Wx, Wh, b, local=False)[0],
        msg(
            en="only the last step's dhs entered BPTT: the loss reads every step's hidden "
            "state, so add dhs[:, t] at every step t, not only at t = T - 1",
            ja="BPTT に入っているのが最後のステップの dhs だけです。損失はすべてのステップの"
            "隠れ状態を読むので、t = T - 1 だけでなく、すべての t で dhs[:, t] を足します",
        ),
        correct=right[0],
    )
    assert_not_mistake(
        dWh,
        plain_bptt(dhs, x, h0, Wx, Wh, b, accumulate=False)[3],
        msg(
            en="dWx, dWh and db hold one step's gradients, not their sum: every step uses the "
            "same weights, so their gradients add up over all T steps (dWh = dWh + dWh_t)",
            ja="dWx、dWh、db が 1 ステップ分の勾配だけになっていて、合計になっていません。"
            "すべてのステップが同じ重みを使うので、勾配は T ステップ分を足し合わせます "
            "(dWh = dWh + dWh_t)",
        ),
        correct=right[3],
    )
    for name, value, want in zip(SEQ_GRAD_NAMES, grads, right, strict=True):
        assert_close(
            value,
            want,
            msg(
                en=f"{name}: BPTT from t = T - 1 down to 0, each step from dhs[:, t] plus what "
                "step t + 1 sent back",
                ja=f"{name}: t = T - 1 から 0 への BPTT(各ステップは dhs[:, t] とステップ t + 1 "
                "から戻った分の和)",
            ),
        )


@pytest.mark.task("9.2")
@pytest.mark.checks("inputs")
def test_sequence_leaves_its_inputs_unchanged(rng):
    x, h0, Wx, Wh, b = rnn_case(rng)
    dhs = rng.standard_normal((3, 4, 4))
    result = assert_inputs_unchanged(rnn.rnn_forward, x, h0, Wx, Wh, b)
    hs, cache = assert_tuple(result, 2, "rnn_forward", "(hs, cache)")
    check_seq_forward(hs, x, h0, Wx, Wh, b)
    grads = assert_inputs_unchanged(rnn.rnn_backward, dhs, cache)
    grads = assert_tuple(grads, 5, "rnn_backward", "(dx, dh0, dWx, dWh, db)")
    check_bptt(grads, dhs, x, h0, Wx, Wh, b)


@pytest.mark.task("9.2")
@pytest.mark.checks("types")
def test_sequence_returns_float64_arrays_of_the_documented_shapes(rng):
    x, h0, Wx, Wh, b = rnn_case(rng, B=2, T=3, D=4, H=5)
    hs, cache = seq_forward(x, h0, Wx, Wh, b)
    assert_array(hs, (2, 3, 5), "hs")
    shapes = [(2, 3, 4), (2, 5), (4, 5), (5, 5), (5,)]
    grads = seq_backward(rng.standard_normal((2, 3, 5)), cache)
    for name, value, shape in zip(SEQ_GRAD_NAMES, grads, shapes, strict=True):
        assert_array(value, shape, name)


@pytest.mark.task("9.2")
@pytest.mark.checks("mistake")
def test_sequence_avoids_the_common_mistakes(rng):
    x, h0, Wx, Wh, b = rnn_case(rng, B=2, T=5, D=3, H=4)
    dhs = rng.standard_normal((2, 5, 4))
    hs, cache = seq_forward(x, h0, Wx, Wh, b)
    check_seq_forward(hs, x, h0, Wx, Wh, b)
    check_bptt(seq_backward(dhs, cache), dhs, x, h0, Wx, Wh, b)


@pytest.mark.task("9.2")
@pytest.mark.parametrize(
    ("B", "T", "D", "H"), [(3, 6, 4, 5), (1, 1, 2, 3)], ids=["B3-T6", "batch-1-length-1"]
)
def test_sequence_equals_a_plain_rnn_and_its_bptt(rng, B, T, D, H):
    x, h0, Wx, Wh, b = rnn_case(rng, B, T, D, H)
    dhs = rng.standard_normal((B, T, H))
    hs, cache = seq_forward(x, h0, Wx, Wh, b)
    check_seq_forward(hs, x, h0, Wx, Wh, b)
    check_bptt(seq_backward(dhs, cache), dhs, x, h0, Wx, Wh, b)


@pytest.mark.task("9.2")
def test_the_past_never_depends_on_the_future(rng):
    x, h0, Wx, Wh, b = rnn_case(rng, T=5)
    hs, _ = seq_forward(x, h0, Wx, Wh, b)
    later = x.copy()
    later[:, 3:] += 5.0  # change steps 3 and 4 only
    hs2, _ = seq_forward(later, h0, Wx, Wh, b)
    assert_close(
        hs2[:, :3],
        hs[:, :3],
        msg(
            en="hs[:, :3] after changing x at steps 3 and 4 only: step t may read x up to step "
            "t, never later ones",
            ja="ステップ 3 と 4 の x だけを変えたときの hs[:, :3]。ステップ t が読めるのは "
            "ステップ t までの x で、それより後は読めません",
        ),
    )
    check_seq_forward(hs2, later, h0, Wx, Wh, b)


@pytest.mark.task("9.2")
def test_bptt_matches_finite_differences_through_the_whole_sequence(rng):
    x, h0, Wx, Wh, b = rnn_case(rng, B=2, T=5, D=3, H=4)
    G = rng.standard_normal((2, 5, 4))  # loss = sum(hs * G) reads every step
    arrays = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}

    def loss():  # the plain forward, so this checks the backward on its own
        return float(np.sum(plain_forward(*arrays.values()) * G))

    _, cache = seq_forward(x, h0, Wx, Wh, b)
    grads = seq_backward(G, cache)
    check_bptt(grads, G, x, h0, Wx, Wh, b)
    for name, grad in zip(arrays, grads, strict=True):
        wrt = arrays[name]  # perturbed in place by the finite differences
        assert_grad_close(grad, loss, wrt, f"d{name}")


@pytest.mark.task("9.2")
def test_bptt_hand_worked():
    # the README's example: x = 0, h0 = 0, b = 0, so every h is 0 and tanh' = 1. Step 1 gets
    # dh = 1, sends back Wh * 1 = 0.5; step 0 gets 1 + 0.5 = 1.5 and sends back 0.75 to h0
    x, h0 = np.zeros((1, 2, 1)), np.zeros((1, 1))
    Wx, Wh, b = np.array([[2.0]]), np.array([[0.5]]), np.zeros(1)
    hs, cache = seq_forward(x, h0, Wx, Wh, b)
    assert_close(
        hs, np.zeros((1, 2, 1)), msg(en="hs of the README's example", ja="README の例の hs")
    )
    expected = {
        "dx": [[[3.0], [2.0]]],  # da * Wx: 1.5 * 2, 1 * 2
        "dh0": [[0.75]],
        "dWx": [[0.0]],  # x = 0
        "dWh": [[0.0]],  # every h_prev = 0
        "db": [2.5],  # 1.5 + 1
    }
    grads = seq_backward(np.ones((1, 2, 1)), cache)
    for (name, want), value in zip(expected.items(), grads, strict=True):
        assert_close(
            value, want, msg(en=f"{name} of the README's example", ja=f"README の例の {name}")
        )


# ================================================================ 9.3 clipping


def clip(grads, max_norm):
    return assert_tuple(rnn.clip_grad_norm(grads, max_norm), 2, "clip_grad_norm", "(clipped, norm)")


def grads_case(rng, size):
    """A dict of three gradient arrays with global norm `size`."""
    grads = {"Wx": rng.standard_normal((3, 4)), "Wh": rng.standard_normal((4, 4))}
    grads["b"] = rng.standard_normal(4)
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    return {k: g * (size / norm) for k, g in grads.items()}


def check_clip(result, grads, max_norm):
    clipped, norm = result
    assert isinstance(clipped, dict) and sorted(clipped) == sorted(grads), msg(
        en=f"clipped should be a dict with the keys {sorted(grads)}, got "
        + (f"the keys {sorted(clipped)}" if isinstance(clipped, dict) else type(clipped).__name__),
        ja=f"clipped はキー {sorted(grads)} の dict のはずですが、"
        + (f"キーが {sorted(clipped)}" if isinstance(clipped, dict) else type(clipped).__name__)
        + " でした",
    )
    for k, g in grads.items():
        assert_array(clipped[k], g.shape, f"clipped[{k!r}]")
    assert_scalar(norm, "norm")
    flat = np.concatenate([g.ravel() for g in grads.values()])
    total = float(np.sqrt(flat @ flat))  # the norm of all the gradients as one vector
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    right = {k: g * scale for k, g in grads.items()}
    per_array = {
        k: g * min(1.0, max_norm / max(np.linalg.norm(g), 1e-300)) for k, g in grads.items()
    }
    assert_not_mistake(
        np.concatenate([clipped[k].ravel() for k in grads]),
        np.concatenate([per_array[k].ravel() for k in grads]),
        msg(
            en="each array was clipped by its own norm, which changes the direction of the "
            "whole gradient: compute one global norm over every entry of every array, and "
            "scale every array by the same factor",
            ja="配列ごとに自分のノルムでクリップしていて、勾配全体の向きが変わってしまいます。"
            "すべての配列の全要素からノルムをひとつ求め、すべての配列に同じ係数を掛けましょう",
        ),
        correct=flat * scale,
    )
    if total > 0:
        assert_not_mistake(
            np.concatenate([clipped[k].ravel() for k in grads]),
            flat * (max_norm / total),
            msg(
                en=f"gradients of norm {num(total)}, below max_norm = {num(max_norm)}, were "
                "scaled up to max_norm: clipping only ever shrinks. Scale only when the norm "
                "exceeds max_norm",
                ja=f"ノルム {num(total)} で max_norm = {num(max_norm)} より小さい勾配が、"
                "max_norm まで拡大されています。クリッピングは縮めるだけです。ノルムが max_norm "
                "を超えるときだけ縮めましょう",
            ),
            correct=flat * scale,
        )
    assert_not_mistake(
        norm,
        min(total, max_norm),
        msg(
            en=f"norm is {num(norm)}, the norm after clipping: return the global norm before "
            f"clipping, {num(total)} (what torch.nn.utils.clip_grad_norm_ returns too), so a "
            "training loop can see how large the gradients really were",
            ja=f"norm が {num(norm)} で、クリップした後のノルムになっています。返すのはクリップ"
            f"する前の大域ノルム {num(total)} です(torch.nn.utils.clip_grad_norm_ と同じ)。"
            "学習ループが本当の勾配の大きさを見られるようにするためです",
        ),
        correct=total,
    )
    assert_close(
        norm,
        total,
        msg(
            en="norm: sqrt of the sum of the squares of every entry of every array",
            ja="norm: すべての配列の全要素の 2 乗の和の平方根",
        ),
    )
    for k in grads:
        assert_close(
            clipped[k],
            right[k],
            msg(
                en=f"clipped[{k!r}] = grads[{k!r}] * min(1, max_norm / norm)",
                ja=f"clipped[{k!r}] = grads[{k!r}] * min(1, max_norm / norm)",
            ),
        )


@pytest.mark.task("9.3")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("size", [5.0, 0.5], ids=["clipped", "left-alone"])
def test_clipping_leaves_its_inputs_unchanged(rng, size):
    grads = grads_case(rng, size)
    result = assert_inputs_unchanged(rnn.clip_grad_norm, grads, 1.0)
    check_clip(assert_tuple(result, 2, "clip_grad_norm", "(clipped, norm)"), grads, 1.0)
    clipped, _ = result
    for k, g in grads.items():
        assert not np.shares_memory(clipped[k], g), msg(
            en=f"clipped[{k!r}] is the caller's own array: return new arrays, so changing "
            "the clipped gradients never changes the originals",
            ja=f"clipped[{k!r}] が呼び出し側の配列そのものです。新しい配列を返しましょう。"
            "クリップ後の勾配を変えても元の勾配が変わらないようにするためです",
        )


@pytest.mark.task("9.3")
@pytest.mark.checks("types")
def test_clipping_returns_a_dict_of_arrays_and_a_float(rng):
    grads = grads_case(rng, 3.0)
    check_clip(clip(grads, 2.0), grads, 2.0)


@pytest.mark.task("9.3")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("size", [4.0, 0.3], ids=["large-gradients", "small-gradients"])
def test_clipping_avoids_the_common_mistakes(rng, size):
    grads = grads_case(rng, size)
    check_clip(clip(grads, 1.0), grads, 1.0)


@pytest.mark.task("9.3")
def test_clipping_keeps_the_direction_and_caps_the_norm(rng):
    grads = grads_case(rng, rng.uniform(2.0, 50.0))
    max_norm = 1.5
    clipped, norm = clip(grads, max_norm)
    check_clip((clipped, norm), grads, max_norm)
    before = np.concatenate([g.ravel() for g in grads.values()])
    after = np.concatenate([clipped[k].ravel() for k in grads])
    cosine = float(after @ before / (np.linalg.norm(after) * np.linalg.norm(before)))
    assert abs(cosine - 1) < 1e-12, msg(
        en=f"the clipped gradients point in another direction (cosine {num(cosine)} with the "
        "original, expected 1): scale every array by one common factor",
        ja=f"クリップ後の勾配の向きが変わっています(元の勾配とのコサイン {num(cosine)}、"
        "1 のはず)。すべての配列に共通の係数ひとつを掛けましょう",
    )
    assert_close(
        np.linalg.norm(after),
        max_norm,
        msg(en="the global norm after clipping", ja="クリップ後の大域ノルム"),
    )


@pytest.mark.task("9.3")
def test_clipping_hand_worked_and_edge_cases():
    # the README's example: norm sqrt(3² + 4²) = 5 > 1, so both are scaled by 1 / 5
    grads = {"a": np.array([3.0]), "b": np.array([[4.0]])}
    clipped, norm = clip(grads, 1.0)
    assert_close(norm, 5.0, msg(en="norm of the README's example", ja="README の例の norm"))
    for k, want in (("a", [0.6]), ("b", [[0.8]])):
        assert_close(
            clipped[k],
            want,
            msg(en=f"clipped[{k!r}], max_norm = 1", ja=f"clipped[{k!r}](max_norm = 1)"),
        )
    clipped, norm = clip(grads, 10.0)  # 5 <= 10: left alone
    for k in grads:
        assert_close(
            clipped[k],
            grads[k],
            msg(
                en=f"clipped[{k!r}] with norm 5 <= max_norm = 10: left unchanged",
                ja=f"clipped[{k!r}]: ノルム 5 <= max_norm = 10 なのでそのまま",
            ),
        )
    zeros = {"a": np.zeros(3), "b": np.zeros((2, 2))}
    clipped, norm = clip(zeros, 1.0)
    check_clip((clipped, norm), zeros, 1.0)


# ================================================================ 9.4 vanishing gradient


def norms_through_time(x, h0, Wx, Wh, b):
    return rnn.grad_norms_through_time(x, h0, Wx, Wh, b)


def jacobian_norms(x, h0, Wx, Wh, b, cumulative=False):
    """norms[t] = ||d sum(hs[:, t]) / d h0|| by Jacobians: d h_t / d h0 = J_t ... J_0, with
    J_s = Wh^T diag(1 - h_s**2) per example (h_s = tanh(x_s Wx + h_{s-1} Wh + b)).
    cumulative=True: the common mistake, the loss sum(hs[:, :t + 1])."""
    hs = plain_forward(x, h0, Wx, Wh, b)
    B, T, H = hs.shape
    jac = np.broadcast_to(np.eye(H), (B, H, H)).copy()  # d h_{-1} / d h0 = I, per example
    grads, norms = [], np.zeros(T)
    for t in range(T):
        # d h_t[j] / d h0[i] = sum_k jac[i, k] Wh[k, j] (1 - h_t[j]²)
        jac = np.einsum("bik,kj->bij", jac, Wh) * (1 - hs[:, t] ** 2)[:, None, :]
        grads.append(jac.sum(axis=2))  # (B, H): d sum_j h_t[j] / d h0
        g = sum(grads) if cumulative else grads[-1]
        norms[t] = np.sqrt(np.sum(g**2))
    return norms


def check_norms(norms, x, h0, Wx, Wh, b):
    T = x.shape[1]
    assert_array(norms, (T,), "norms")
    right = jacobian_norms(x, h0, Wx, Wh, b)
    assert_not_mistake(
        norms,
        jacobian_norms(x, h0, Wx, Wh, b, cumulative=True),
        msg(
            en="norms[t] includes the gradients from steps 0 to t: dhs was 1 at every step up "
            "to t. Set dhs[:, t] = 1 at step t only (the rest zeros), so norms[t] shows the "
            "gradient that travelled t + 1 steps",
            ja="norms[t] にステップ 0 から t までの勾配が入っています。dhs が t までのすべての"
            "ステップで 1 になっています。ステップ t だけ dhs[:, t] = 1(残りは 0)にすれば、"
            "norms[t] が t + 1 ステップ伝わった勾配を表します",
        ),
        correct=right,
    )
    assert_not_mistake(
        norms,
        right[::-1],
        msg(
            en="norms is reversed: norms[t] belongs to the loss at step t, hs[:, t].sum(), the "
            "gradient that travelled back t + 1 steps; norms[0] is the shortest trip",
            ja="norms が逆順になっています。norms[t] はステップ t の損失 hs[:, t].sum() の勾配で、"
            "t + 1 ステップ戻ってきたものです。norms[0] がいちばん短い道のりです",
        ),
        correct=right,
    )
    assert_close(
        norms,
        right,
        msg(
            en="norms[t] = the norm of d hs[:, t].sum() / d h0 over all B * H entries",
            ja="norms[t] = d hs[:, t].sum() / d h0 の(B * H 要素すべてについての)ノルム",
        ),
    )


@pytest.mark.task("9.4")
@pytest.mark.checks("inputs")
def test_gradient_norms_leave_their_inputs_unchanged(rng):
    case = rnn_case(rng, B=2, T=5, D=3, H=4)
    norms = assert_inputs_unchanged(rnn.grad_norms_through_time, *case)
    check_norms(norms, *case)


@pytest.mark.task("9.4")
@pytest.mark.checks("types")
def test_gradient_norms_are_a_float64_array_of_length_T(rng):
    case = rnn_case(rng, B=3, T=6, D=2, H=5)
    assert_array(norms_through_time(*case), (6,), "norms")


@pytest.mark.task("9.4")
@pytest.mark.checks("mistake")
def test_gradient_norms_avoid_the_common_mistakes(rng):
    case = rnn_case(rng, B=2, T=6, D=3, H=4, scale=1.5)
    check_norms(norms_through_time(*case), *case)


@pytest.mark.task("9.4")
@pytest.mark.parametrize("T", [7, 1], ids=["T7", "length-1"])
def test_gradient_norms_equal_jacobian_products(rng, T):
    case = rnn_case(rng, B=3, T=T, D=3, H=4, scale=1.2)
    check_norms(norms_through_time(*case), *case)


@pytest.mark.task("9.4")
def test_gradient_norms_hand_worked():
    # the README's example: one unit, x = 0, b = 0, h0 = 0, so every h is 0 and tanh' = 1;
    # the gradient is multiplied by Wh = 0.5 once per step: 0.5, 0.25, 0.125
    x, h0 = np.zeros((1, 3, 1)), np.zeros((1, 1))
    norms = norms_through_time(x, h0, np.array([[1.0]]), np.array([[0.5]]), np.zeros(1))
    assert_close(
        norms, [0.5, 0.25, 0.125], msg(en="norms of the README's example", ja="README の例の norms")
    )


@pytest.mark.task("9.4")
def test_the_gradient_vanishes_geometrically_with_small_recurrent_weights(rng):
    B, T, D, H = 2, 25, 3, 6
    x, h0, Wx, _, b = rnn_case(rng, B, T, D, H)
    sigma = 0.6  # the largest singular value of Wh
    Q1, _ = np.linalg.qr(rng.standard_normal((H, H)))
    Q2, _ = np.linalg.qr(rng.standard_normal((H, H)))
    Wh = Q1 @ np.diag(sigma * rng.uniform(0.5, 1.0, H)) @ Q2
    Wh *= sigma / np.linalg.norm(Wh, 2)
    norms = norms_through_time(x, h0, Wx, Wh, b)
    check_norms(norms, x, h0, Wx, Wh, b)
    # |tanh'| <= 1, so each step multiplies the gradient's norm by at most ||Wh||_2 = sigma
    bound = np.sqrt(B * H) * sigma ** np.arange(1, T + 1)
    over = np.flatnonzero(norms > bound * (1 + 1e-9))
    assert over.size == 0, msg(
        en=f"norms[{over[0] if over.size else 0}] exceeds the bound sqrt(B H) sigma^(t + 1) "
        f"with sigma = ||Wh||_2 = {sigma}: each step back can multiply the gradient by at "
        "most ||Wh||_2, since |tanh'| <= 1",
        ja=f"norms[{over[0] if over.size else 0}] が上限 sqrt(B H) sigma^(t + 1)"
        f"(sigma = ||Wh||_2 = {sigma})を超えています。|tanh'| <= 1 なので、1 ステップ戻るごとに"
        "勾配は高々 ||Wh||_2 倍にしかなりません",
    )
    assert norms[-1] < 1e-3 * norms[0], msg(
        en=f"after {T} steps the gradient is still {num(norms[-1] / norms[0])} of the first "
        "step's: with small recurrent weights it must vanish",
        ja=f"{T} ステップ後も勾配が最初のステップの {num(norms[-1] / norms[0])} 倍あります。"
        "再帰の重みが小さければ勾配は消えるはずです",
    )


# ================================================================ 9.5 training


def train(x, y, **kw):
    return rnn.train_rnn(x, y, **kw)


def initial_params(D, H, K, seed):
    rng = np.random.default_rng(seed)
    return {
        "Wx": rng.standard_normal((D, H)) / np.sqrt(D),
        "Wh": rng.standard_normal((H, H)) / np.sqrt(H),
        "b": np.zeros(H),
        "Wy": rng.standard_normal((H, K)) / np.sqrt(H),
        "by": np.zeros(K),
    }


def predict(params, x):
    H = params["Wh"].shape[0]
    hs = plain_forward(x, np.zeros((len(x), H)), params["Wx"], params["Wh"], params["b"])
    return hs @ params["Wy"] + params["by"]


def loss_grads(params, x, y, denominator=None):
    """The mean squared error and its gradients, by the plain BPTT; `denominator`: what the
    squared errors are divided by (y.size unless a mistake)."""
    H = params["Wh"].shape[0]
    h0 = np.zeros((len(x), H))
    hs = plain_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    dpred = 2 * (hs @ params["Wy"] + params["by"] - y) / (denominator or y.size)
    _, _, dWx, dWh, db = plain_bptt(
        dpred @ params["Wy"].T, x, h0, params["Wx"], params["Wh"], params["b"]
    )
    dWy = np.einsum("bth,btk->hk", hs, dpred)
    return {"Wx": dWx, "Wh": dWh, "b": db, "Wy": dWy, "by": dpred.sum(axis=(0, 1))}


def plain_training(x, y, hidden, lr, steps, max_norm, seed, clipping=True, denominator=None):
    params = initial_params(x.shape[2], hidden, y.shape[2], seed)
    for _ in range(steps):
        grads = loss_grads(params, x, y, denominator)
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        scale = min(1.0, max_norm / norm) if clipping else 1.0
        params = {k: p - lr * scale * grads[k] for k, p in params.items()}
    return params


def check_params(params, shapes, what="train_rnn"):
    assert isinstance(params, dict), msg(
        en=f"{what} should return a dict of arrays, got {type(params).__name__}",
        ja=f"{what} は配列の dict を返すはずですが、{type(params).__name__} でした",
    )
    assert sorted(params) == sorted(shapes), msg(
        en=f"{what} should return the keys {sorted(shapes)}, got {sorted(params)}",
        ja=f"{what} が返す dict のキーは {sorted(shapes)} のはずですが、{sorted(params)} でした",
    )
    for key, shape in shapes.items():
        assert_array(params[key], shape, f"params[{key!r}]")


def check_training(params, x, y, hidden, lr, steps, max_norm, seed):
    D, K = x.shape[2], y.shape[2]
    shapes = {
        "Wx": (D, hidden),
        "Wh": (hidden, hidden),
        "b": (hidden,),
        "Wy": (hidden, K),
        "by": (K,),
    }
    check_params(params, shapes)
    right = plain_training(x, y, hidden, lr, steps, max_norm, seed)
    got = np.concatenate([params[k].ravel() for k in PARAM_KEYS])

    def flat(p):
        return np.concatenate([p[k].ravel() for k in PARAM_KEYS])

    if steps <= 10:  # the mistakes are named on short runs (long unclipped ones diverge)
        assert_not_mistake(
            got,
            flat(plain_training(x, y, hidden, lr, steps, max_norm, seed, clipping=False)),
            msg(
                en=f"the parameters are what gradient descent without clipping gives: pass the "
                f"gradients through clip_grad_norm(grads, max_norm) (max_norm = {num(max_norm)}) "
                "before every update",
                ja=f"パラメータがクリッピングなしの勾配降下法の結果になっています。更新の前に毎回 "
                f"clip_grad_norm(grads, max_norm)(max_norm = {num(max_norm)})を通しましょう",
            ),
            correct=flat(right),
            rtol=TRAIN_RTOL,
            atol=TRAIN_ATOL,
        )
        assert_not_mistake(
            got,
            flat(plain_training(x, y, hidden, lr, steps, max_norm, seed, denominator=len(x))),
            msg(
                en="the loss was averaged over the batch only: it is the mean over all B * T * K "
                "entries, so d loss / d prediction = 2 * (prediction - y) / y.size",
                ja="損失をバッチ方向だけで平均しています。損失は B * T * K 個すべての平均なので、"
                "d 損失 / d 予測 = 2 * (予測 - y) / y.size です",
            ),
            correct=flat(right),
            rtol=TRAIN_RTOL,
            atol=TRAIN_ATOL,
        )
    for k in PARAM_KEYS:
        assert_close(
            params[k],
            right[k],
            msg(
                en=f"params[{k!r}] after {steps} steps of gradient descent with clipping "
                "(initialised as the docstring says)",
                ja=f"クリッピング付き勾配降下法 {steps} ステップ後の params[{k!r}]"
                "(初期化は docstring のとおり)",
            ),
            rtol=TRAIN_RTOL,
            atol=TRAIN_ATOL,
        )


def check_init(params, D, H, K, seed):
    """params = train_rnn(..., hidden=H, steps=0, seed=seed): the documented initialisation."""
    check_params(params, {"Wx": (D, H), "Wh": (H, H), "b": (H,), "Wy": (H, K), "by": (K,)})
    right = initial_params(D, H, K, seed)
    for k in PARAM_KEYS:
        assert_close(
            params[k],
            right[k],
            msg(
                en=f"params[{k!r}] with steps = 0 differs from the documented initialisation: "
                "from one rng = np.random.default_rng(seed), draw Wx, Wh, Wy in this order, "
                "divided by sqrt(D), sqrt(H), sqrt(H); b and by zeros",
                ja=f"steps = 0 の params[{k!r}] が docstring の初期化と違います。"
                "rng = np.random.default_rng(seed) ひとつから Wx、Wh、Wy をこの順に引き、"
                "それぞれ sqrt(D)、sqrt(H)、sqrt(H) で割ります。b と by は 0 です",
            ),
        )


def delay_task(rng, B, T, delay=2):
    """Inputs ±1; the target at step t is the input at step t - delay (0 before that)."""
    x = rng.choice([-1.0, 1.0], size=(B, T, 1))
    y = np.zeros_like(x)
    y[:, delay:] = x[:, :-delay]
    return x, y


@pytest.mark.task("9.5")
@pytest.mark.checks("inputs")
def test_training_leaves_its_inputs_unchanged(rng):
    x, y = rng.standard_normal((2, 3, 4, 2))
    params = assert_inputs_unchanged(
        rnn.train_rnn, x, y, hidden=3, lr=0.1, steps=3, max_norm=0.1, seed=0
    )
    check_training(params, x, y, 3, 0.1, 3, 0.1, 0)


@pytest.mark.task("9.5")
@pytest.mark.checks("types")
def test_training_returns_float64_parameters_of_the_documented_shapes(rng):
    x, y = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 5, 4))
    shapes = {"Wx": (2, 6), "Wh": (6, 6), "b": (6,), "Wy": (6, 4), "by": (4,)}
    check_params(train(x, y, hidden=6, steps=2), shapes)


@pytest.mark.task("9.5")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("max_norm", [0.05, 1e9], ids=["always-clipped", "never-clipped"])
def test_training_avoids_the_common_mistakes(rng, max_norm):
    x, y = rng.standard_normal((3, 4, 3)), rng.standard_normal((3, 4, 2))
    check_init(train(x, y, hidden=4, steps=0, seed=5), 3, 4, 2, 5)
    params = train(x, y, hidden=4, lr=0.3, steps=4, max_norm=max_norm, seed=5)
    check_training(params, x, y, 4, 0.3, 4, max_norm, 5)


@pytest.mark.task("9.5")
def test_zero_steps_return_the_documented_initialisation(rng):
    x, y = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 3, 2))
    seed = int(rng.integers(1000))
    params = train(x, y, hidden=7, steps=0, seed=seed)
    check_init(params, 5, 7, 2, seed)
    other = train(x, y, hidden=7, steps=0, seed=seed + 1)
    assert not np.allclose(other["Wh"], params["Wh"]), msg(
        en="seeds seed and seed + 1 gave the same Wh: draw from np.random.default_rng(seed)",
        ja="seed と seed + 1 で同じ Wh になりました。np.random.default_rng(seed) から引きましょう",
    )


@pytest.mark.task("9.5")
def test_training_defaults(rng):
    x, y = rng.standard_normal((2, 3, 1)), rng.standard_normal((2, 3, 1))
    params = train(x, y)  # hidden=16, lr=0.5, steps=300, max_norm=1.0, seed=0
    check_training(params, x, y, 16, 0.5, 300, 1.0, 0)


@pytest.mark.task("9.5")
def test_a_small_rnn_learns_to_repeat_the_input_from_two_steps_ago(rng):
    x, y = delay_task(rng, B=64, T=12)
    params = train(x, y, hidden=16, lr=0.5, steps=300, max_norm=1.0, seed=int(rng.integers(100)))
    check_params(params, {"Wx": (1, 16), "Wh": (16, 16), "b": (16,), "Wy": (16, 1), "by": (1,)})
    x_new, y_new = delay_task(rng, B=200, T=12)  # fresh sequences: memory, not memorisation
    mse = float(np.mean((predict(params, x_new) - y_new)[:, 2:] ** 2))
    assert mse < 0.05, msg(
        en=f"after training, the mean squared error on new sequences is {num(mse)}; an RNN that "
        "remembers two steps gets below 0.05 (guessing 0 gives 1). Check the gradients of the "
        "read-out Wy, by and that every step updates the parameters",
        ja=f"学習後、新しい系列での平均二乗誤差が {num(mse)} です。2 ステップ前を覚えられる "
        "RNN なら 0.05 未満になります(いつも 0 と答えると 1)。読み出し層 Wy、by の勾配と、"
        "毎ステップでパラメータを更新しているかを確かめましょう",
    )
