"""day10 suite: the LSTM's gates, one step forward and backward, and the sequence kernel.

Every task has `check_*` functions that judge a result: first the type and shape, then the
README's common mistakes by name (each computed here, independently), then the values
against oracles written in this file: a plain per-gate LSTM (one slice of the weights per
gate, sigmoid as 1 / (1 + exp(-z))), its backward pass gate by gate, and central
differences of that plain forward. The tests choose data; the checks judge.

Beyond values: an LSTM remembers a token across a gap of 60 steps where a plain tanh RNN
(written here) forgets it, and the sequence kernel is timed against a fused, vectorised
kernel written here (a loop over the samples fails).
"""

import math

import numpy as np
import pytest

from checker.core.testing import (
    ATOL,
    RTOL,
    assert_array,
    assert_close,
    assert_fast_enough,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_tuple,
    implementation,
    msg,
    num,
)

lstm = implementation("day10_lstm.lstm")

GATES = ("i", "f", "g", "o")
F32_RTOL = 1e-4  # float32 keeps ~7 digits; a few steps of a recurrence lose one or two
F32_ATOL = 1e-5


# ================================================================ shared helpers


def tolerances(dtype):
    return (F32_RTOL, F32_ATOL) if dtype == np.float32 else (RTOL, ATOL)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def blocks(W):
    """The four gate blocks of the last axis (width 4H), in the order i, f, g, o."""
    H = W.shape[-1] // 4
    return [W[..., k * H : (k + 1) * H] for k in range(4)]


def lstm_case(rng, B=3, T=4, D=5, H=4, dtype=np.float64):
    """x, h0, c0, Wx, Wh, b: weights scaled so every gate sits in its lively range."""
    x = rng.standard_normal((B, T, D))
    h0, c0 = rng.uniform(-0.9, 0.9, (2, B, H))
    Wx = rng.standard_normal((D, 4 * H)) / np.sqrt(D)
    Wh = rng.standard_normal((H, 4 * H)) / np.sqrt(H)
    b = 0.5 * rng.standard_normal(4 * H)
    return tuple(a.astype(dtype) for a in (x, h0, c0, Wx, Wh, b))


# ---------------------------------------------------------------- the plain per-gate LSTM


def plain_step(x, h, c, Wx, Wh, b, tanh_on_c=True):
    """One step, each gate from its own slices of the weights. Returns h, c and the gates."""
    pre = [x @ wx + h @ wh + bk for wx, wh, bk in zip(blocks(Wx), blocks(Wh), blocks(b))]
    i, f, o = sigmoid(pre[0]), sigmoid(pre[1]), sigmoid(pre[3])
    g = np.tanh(pre[2])
    c_new = f * c + i * g
    h_new = o * (np.tanh(c_new) if tanh_on_c else c_new)
    return h_new, c_new, (i, f, g, o)


def plain_forward(x, h0, c0, Wx, Wh, b, carry_h=True):
    """The plain LSTM over a sequence, one step after another: hs, cs, each (B, T, H), and
    every step's (h_prev, c_prev, gates) for plain_backward."""
    h, c, steps, hs, cs = h0, c0, [], [], []
    for t in range(x.shape[1]):
        h_prev, c_prev = (h if carry_h else h0), c
        h, c, gates = plain_step(x[:, t], h_prev, c_prev, Wx, Wh, b)
        steps.append((h_prev, c_prev, gates))
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1), steps


def plain_step_backward(dh, dc, x, h_prev, c_prev, gates, Wx, Wh, **mistake):
    """Gate by gate, the backward pass of plain_step. `mistake` switches on one common
    mistake: through_h=False (c's gradient only from dc), scale_f=False (dc_prev = dc)."""
    i, f, g, o = gates
    tanh_c = np.tanh(f * c_prev + i * g)
    dc_total = dc + dh * o * (1 - tanh_c**2) if mistake.get("through_h", True) else dc
    d_pre = [
        dc_total * g * i * (1 - i),
        dc_total * c_prev * f * (1 - f),
        dc_total * i * (1 - g**2),
        dh * tanh_c * o * (1 - o),
    ]
    dx = sum(dk @ wx.T for dk, wx in zip(d_pre, blocks(Wx)))
    dh_prev = sum(dk @ wh.T for dk, wh in zip(d_pre, blocks(Wh)))
    dc_prev = dc_total * f if mistake.get("scale_f", True) else dc_total
    dWx = np.concatenate([x.T @ dk for dk in d_pre], axis=1)
    dWh = np.concatenate([h_prev.T @ dk for dk in d_pre], axis=1)
    db = np.concatenate([dk.sum(axis=0) for dk in d_pre])
    return dx, dh_prev, dc_prev, dWx, dWh, db


def plain_backward(dhs, x, h0, c0, Wx, Wh, b, carry_dh=True, carry_dc=True):
    """BPTT over plain_forward, step by step from the last. carry_dh / carry_dc = False: the
    common mistakes of dropping what step t + 1 sends back to h or to c."""
    _, _, steps = plain_forward(x, h0, c0, Wx, Wh, b)
    B, T, _ = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        h_prev, c_prev, gates = steps[t]
        dh = dhs[:, t] + (dh_next if carry_dh else 0)
        dc = dc_next if carry_dc else np.zeros_like(c0)
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = plain_step_backward(
            dh, dc, x[:, t], h_prev, c_prev, gates, Wx, Wh
        )
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dh_next, dc_next, dWx, dWh, db


# ================================================================ 10.1 the gates


def check_gates(result, a):
    """result = lstm_gates(a) for a: (..., 4H)."""
    gates = assert_tuple(result, 4, "lstm_gates", "(i, f, g, o)")
    H = a.shape[-1] // 4
    shape = a.shape[:-1] + (H,)
    split_rows = (a.shape[0] // 4,) + a.shape[1:]
    if a.shape[0] % 4 == 0 and all(np.shape(gate) == split_rows for gate in gates):
        raise AssertionError(
            msg(
                en=f"the gates have shape {split_rows}, a quarter of the rows of a: a was cut "
                "along its first axis (np.split(a, 4) splits axis 0). The blocks of H columns "
                "are on the last axis: np.split(a, 4, axis=-1)",
                ja=f"ゲートの形が {split_rows} で、a の行を 4 等分したものになっています。"
                "a を最初の軸で切っています(np.split(a, 4) は axis 0 で分けます)。H 列ずつの"
                "ブロックは最後の軸にあるので np.split(a, 4, axis=-1) としましょう",
            )
        )
    for name, gate in zip(GATES, gates):
        assert_array(gate, shape, name, dtype=a.dtype)
    pre = blocks(a.astype(np.float64))
    right = [sigmoid(pre[0]), sigmoid(pre[1]), np.tanh(pre[2]), sigmoid(pre[3])]
    rtol, atol = tolerances(a.dtype)
    assert_not_mistake(
        gates[2],
        np.tanh(pre[3]),
        msg(
            en="g is tanh of the last block and o the sigmoid of the third: the blocks were read "
            "in the order i, f, o, g. This course (like PyTorch) orders them i, f, g, o",
            ja="g が最後のブロックの tanh、o が 3 番目のブロックの sigmoid になっています。"
            "ブロックを i, f, o, g の順に読んでいます。このコースでは(PyTorch と同じく)"
            "i, f, g, o の順です",
        ),
        correct=right[2],
        rtol=rtol,
        atol=atol,
    )
    assert_not_mistake(
        gates[2],
        sigmoid(pre[2]),
        msg(
            en="g went through a sigmoid, so the candidate is never negative and the memory can "
            "only grow: g is a value to write, so it uses tanh (-1 to 1); only i, f, o are "
            "sigmoids",
            ja="g に sigmoid を使っているので、候補が負にならず、メモリは増えるだけになります。"
            "g は書き込む値なので tanh(-1〜1)を使います。sigmoid を使うのは i, f, o だけです",
        ),
        correct=right[2],
        rtol=rtol,
        atol=atol,
    )
    for name, gate, pre_k in zip(
        ("i", "f", "o"), (gates[0], gates[1], gates[3]), pre[:2] + pre[3:]
    ):
        assert_not_mistake(
            gate,
            np.tanh(pre_k),
            msg(
                en=f"gate {name} went through tanh, so it can be negative: i, f and o say how "
                "much to let through, a share from 0 to 1, so they are sigmoids",
                ja=f"ゲート {name} に tanh を使っているので負になりえます。i, f, o は「どれだけ"
                "通すか」を 0〜1 の割合で表すので sigmoid です",
            ),
            correct=sigmoid(pre_k),
            rtol=rtol,
            atol=atol,
        )
    for name, gate, want in zip(GATES, gates, right):
        assert_close(
            gate,
            want,
            msg(
                en=f"gate {name} = {'tanh' if name == 'g' else 'sigmoid'} of block "
                f"{GATES.index(name)} of a",
                ja=f"ゲート {name} = a のブロック {GATES.index(name)} の "
                f"{'tanh' if name == 'g' else 'sigmoid'}",
            ),
            rtol=rtol,
            atol=atol,
        )


@pytest.mark.task("10.1")
@pytest.mark.checks("inputs")
def test_gates_leave_their_input_unchanged(rng):
    a = 3 * rng.standard_normal((4, 12))
    check_gates(assert_inputs_unchanged(lstm.lstm_gates, a), a)


@pytest.mark.task("10.1")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_gates_are_four_arrays_of_the_input_dtype(rng, dtype):
    a = (2 * rng.standard_normal((5, 8))).astype(dtype)  # H = 2
    check_gates(lstm.lstm_gates(a), a)


@pytest.mark.task("10.1")
@pytest.mark.checks("mistake")
def test_gates_follow_the_order_and_activations(rng):
    a = rng.uniform(-3, 3, (8, 20))  # 8 rows: cutting the rows in four would also "work"
    check_gates(lstm.lstm_gates(a), a)


@pytest.mark.task("10.1")
def test_gates_hand_worked():
    # the README's example: sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4 and
    # tanh(ln 3) = (3 - 1/3) / (3 + 1/3) = 4/5
    ln3 = math.log(3)
    i, f, g, o = assert_tuple(
        lstm.lstm_gates(np.array([[0.0, ln3, ln3, -ln3]])), 4, "lstm_gates", ""
    )
    for name, gate, want in zip(GATES, (i, f, g, o), (0.5, 0.75, 0.8, 0.25)):
        assert_close(
            gate,
            [[want]],
            msg(en=f"gate {name} of the README's example", ja=f"README の例のゲート {name}"),
        )


@pytest.mark.task("10.1")
def test_gates_work_on_any_leading_axes(rng):
    a = rng.standard_normal((2, 3, 16))  # (B, T, 4H)
    check_gates(lstm.lstm_gates(a), a)


@pytest.mark.task("10.1")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_gates_saturate_without_overflow(dtype):
    a = np.array([[1e4, -1e4, 1e4, -1e4], [-1e4, 1e4, -1e4, 1e4], [800, -800, -800, 800]])
    i, f, g, o = assert_tuple(lstm.lstm_gates(a.astype(dtype)), 4, "lstm_gates", "(i, f, g, o)")
    for name, gate, want in zip(GATES, (i, f, g, o), blocks(np.sign(a))):
        want = want if name == "g" else (want + 1) / 2  # a sigmoid saturates at 0 and 1
        assert_close(
            gate,
            want,
            msg(
                en=f"gate {name} at pre-activations of ±1e4 and ±800 (saturated; never NaN)",
                ja=f"活性化前の値が ±1e4 と ±800 のときのゲート {name}(飽和する。NaN にはならない)",
            ),
        )


# ================================================================ 10.2 one step


def step_case(rng, B=3, D=5, H=4, dtype=np.float64):
    """x, h_prev, c_prev, Wx, Wh, b for one step, and upstream gradients dh, dc."""
    x, h0, c0, Wx, Wh, b = lstm_case(rng, B, 1, D, H)
    dh, dc = rng.standard_normal((2, B, H))
    return tuple(a.astype(dtype) for a in (x[:, 0], h0, c0, Wx, Wh, b, dh, dc))


def flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def check_step_forward(result, x, h_prev, c_prev, Wx, Wh, b):
    h, c, _ = assert_tuple(result, 3, "lstm_step_forward", "(h, c, cache)")
    shape, dtype = h_prev.shape, x.dtype
    assert_array(h, shape, "h", dtype=dtype)
    assert_array(c, shape, "c", dtype=dtype)
    args = [a.astype(np.float64) for a in (x, h_prev, c_prev, Wx, Wh, b)]
    right_h, right_c, _ = plain_step(*args)
    rtol, atol = tolerances(dtype)
    assert_not_mistake(
        h,
        plain_step(*args, tanh_on_c=False)[0],
        msg(
            en="h is o * c: the cell state was shown without its tanh. h = o * tanh(c) keeps "
            "h between -1 and 1 however large the memory grows",
            ja="h が o * c になっていて、セル状態を tanh を通さずに出しています。"
            "h = o * tanh(c) なら、メモリがどれだけ大きくなっても h は -1〜1 に収まります",
        ),
        correct=right_h,
        rtol=rtol,
        atol=atol,
    )
    assert_close(
        c,
        right_c,
        msg(en="c = f * c_prev + i * g", ja="c = f * c_prev + i * g"),
        rtol=rtol,
        atol=atol,
    )
    assert_close(h, right_h, msg(en="h = o * tanh(c)", ja="h = o * tanh(c)"), rtol=rtol, atol=atol)


STEP_GRADS = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")


def check_step_backward(grads, dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    """grads = lstm_step_backward(dh, dc, cache of lstm_step_forward(x, h_prev, ...))."""
    grads = assert_tuple(grads, 6, "lstm_step_backward", "(dx, dh_prev, dc_prev, dWx, dWh, db)")
    dtype = x.dtype
    for name, grad, like in zip(STEP_GRADS, grads, (x, h_prev, c_prev, Wx, Wh, b)):
        assert_array(grad, like.shape, name, dtype=dtype)
    args = [a.astype(np.float64) for a in (dh, dc, x, h_prev, c_prev)]
    Wx64, Wh64, b64 = (a.astype(np.float64) for a in (Wx, Wh, b))
    _, _, gates = plain_step(*args[2:], Wx64, Wh64, b64)
    right = plain_step_backward(*args, gates, Wx64, Wh64)
    rtol, atol = tolerances(dtype)
    assert_not_mistake(
        flat(grads),
        flat(plain_step_backward(*args, gates, Wx64, Wh64, through_h=False)),
        msg(
            en="the gradients leave out the path from h to c: c reaches the loss through dc and "
            "through h = o * tanh(c), so c's gradient is dc + dh * o * (1 - tanh(c)**2)",
            ja="h から c への道の勾配が抜けています。c は dc と h = o * tanh(c) の 2 つの道で"
            "損失に届くので、c の勾配は dc + dh * o * (1 - tanh(c)**2) です",
        ),
        correct=flat(right),
        rtol=rtol,
        atol=atol,
    )
    assert_not_mistake(
        grads[2],
        plain_step_backward(*args, gates, Wx64, Wh64, scale_f=False)[2],
        msg(
            en="dc_prev is c's gradient without the forget gate: c = f * c_prev + ..., so "
            "dc_prev = (c's gradient) * f",
            ja="dc_prev に忘却ゲートが掛かっていません。c = f * c_prev + … なので、"
            "dc_prev = (c の勾配) * f です",
        ),
        correct=right[2],
        rtol=rtol,
        atol=atol,
    )
    for name, grad, want in zip(STEP_GRADS, grads, right):
        assert_close(
            grad,
            want,
            msg(
                en=f"{name}, compared with a backward pass written gate by gate",
                ja=f"{name}(ゲートごとに書いた逆伝播との比較)",
            ),
            rtol=rtol,
            atol=atol,
        )


def step(x, h_prev, c_prev, Wx, Wh, b):
    return assert_tuple(
        lstm.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b),
        3,
        "lstm_step_forward",
        "(h, c, cache)",
    )


@pytest.mark.task("10.2")
@pytest.mark.checks("inputs")
def test_step_leaves_its_inputs_unchanged(rng):
    x, h_prev, c_prev, Wx, Wh, b, dh, dc = step_case(rng)
    result = assert_inputs_unchanged(lstm.lstm_step_forward, x, h_prev, c_prev, Wx, Wh, b)
    check_step_forward(result, x, h_prev, c_prev, Wx, Wh, b)
    grads = assert_inputs_unchanged(lstm.lstm_step_backward, dh, dc, result[2])
    check_step_backward(grads, dh, dc, x, h_prev, c_prev, Wx, Wh, b)


@pytest.mark.task("10.2")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_step_returns_arrays_of_the_documented_shapes_and_dtype(rng, dtype):
    x, h_prev, c_prev, Wx, Wh, b, dh, dc = step_case(rng, B=2, D=3, H=5, dtype=dtype)
    result = step(x, h_prev, c_prev, Wx, Wh, b)
    check_step_forward(result, x, h_prev, c_prev, Wx, Wh, b)
    grads = lstm.lstm_step_backward(dh, dc, result[2])
    check_step_backward(grads, dh, dc, x, h_prev, c_prev, Wx, Wh, b)


@pytest.mark.task("10.2")
@pytest.mark.checks("mistake")
def test_step_avoids_the_common_mistakes(rng):
    x, h_prev, c_prev, Wx, Wh, b, dh, dc = step_case(rng, B=4, D=3, H=3)
    c_prev = 3 * c_prev  # a memory outside [-1, 1]: o * c and o * tanh(c) differ clearly
    result = step(x, h_prev, c_prev, Wx, Wh, b)
    check_step_forward(result, x, h_prev, c_prev, Wx, Wh, b)
    check_step_backward(
        lstm.lstm_step_backward(dh, dc, result[2]), dh, dc, x, h_prev, c_prev, Wx, Wh, b
    )


@pytest.mark.task("10.2")
@pytest.mark.parametrize(("B", "D", "H"), [(1, 1, 1), (5, 2, 3), (2, 7, 6)])
def test_step_equals_a_plain_per_gate_step(rng, B, D, H):
    x, h_prev, c_prev, Wx, Wh, b, dh, dc = step_case(rng, B, D, H)
    result = step(x, h_prev, c_prev, Wx, Wh, b)
    check_step_forward(result, x, h_prev, c_prev, Wx, Wh, b)
    check_step_backward(
        lstm.lstm_step_backward(dh, dc, result[2]), dh, dc, x, h_prev, c_prev, Wx, Wh, b
    )


@pytest.mark.task("10.2")
def test_step_gradients_match_finite_differences(rng):
    x, h_prev, c_prev, Wx, Wh, b, dh, dc = step_case(rng, B=2, D=3, H=2)
    params = [x, h_prev, c_prev, Wx, Wh, b]
    _, _, cache = step(*params)
    grads = assert_tuple(
        lstm.lstm_step_backward(dh, dc, cache), 6, "lstm_step_backward", "(dx, dh_prev, ...)"
    )

    def loss():  # sum(h * dh) + sum(c * dc): its gradient with respect to h is dh, to c dc
        h, c, _ = plain_step(*params)
        return float(np.sum(h * dh) + np.sum(c * dc))

    for name, grad, param in zip(STEP_GRADS, grads, params):
        assert_grad_close(grad, loss, param, name)


@pytest.mark.task("10.2")
def test_step_hand_worked():
    # the README's example: H = D = 1, Wx = Wh = 0, b = [0, ln 3, ln 3, -ln 3], so
    # i, f, g, o = 1/2, 3/4, 4/5, 1/4 (10.1); c_prev = 0.4 -> c = 3/4 * 0.4 + 1/2 * 4/5 = 0.7
    ln3 = math.log(3)
    x, h_prev, c_prev = np.array([[1.0]]), np.array([[2.0]]), np.array([[0.4]])
    Wx, Wh, b = np.zeros((1, 4)), np.zeros((1, 4)), np.array([0.0, ln3, ln3, -ln3])
    h, c, cache = step(x, h_prev, c_prev, Wx, Wh, b)
    assert_close(c, [[0.7]], msg(en="c of the README's example", ja="README の例の c"))
    assert_close(
        h, [[0.25 * math.tanh(0.7)]], msg(en="h of the README's example", ja="README の例の h")
    )
    # dh = 0, dc = 1: da = [g i (1 - i), c_prev f (1 - f), i (1 - g²), 0]
    #                    = [0.8 * 0.25, 0.4 * 0.1875, 0.5 * 0.36, 0] = [0.2, 0.075, 0.18, 0]
    grads = lstm.lstm_step_backward(np.zeros((1, 1)), np.ones((1, 1)), cache)
    grads = assert_tuple(grads, 6, "lstm_step_backward", "(dx, dh_prev, dc_prev, dWx, dWh, db)")
    da = [0.2, 0.075, 0.18, 0.0]
    expected = [[[0.0]], [[0.0]], [[0.75]], [da], [[2 * v for v in da]], da]
    for name, grad, want in zip(STEP_GRADS, grads, expected):
        assert_close(
            grad,
            want,
            msg(en=f"{name} of the README's example", ja=f"README の例の {name}"),
        )


# ================================================================ 10.3 the sequence kernel

SEQ_GRADS = ("dx", "dh0", "dc0", "dWx", "dWh", "db")


def run_forward(x, h0, c0, Wx, Wh, b):
    return assert_tuple(
        lstm.lstm_forward(x, h0, c0, Wx, Wh, b), 3, "lstm_forward", "(hs, cs, cache)"
    )


def run_backward(dhs, cache):
    return assert_tuple(
        lstm.lstm_backward(dhs, cache), 6, "lstm_backward", "(dx, dh0, dc0, dWx, dWh, db)"
    )


def check_forward(result, x, h0, c0, Wx, Wh, b):
    hs, cs, _ = assert_tuple(result, 3, "lstm_forward", "(hs, cs, cache)")
    B, T, _ = x.shape
    H = h0.shape[1]
    assert_array(hs, (B, T, H), "hs", dtype=x.dtype)
    assert_array(cs, (B, T, H), "cs", dtype=x.dtype)
    args = [a.astype(np.float64) for a in (x, h0, c0, Wx, Wh, b)]
    right_hs, right_cs, _ = plain_forward(*args)
    rtol, atol = tolerances(x.dtype)
    if T > 1:
        assert_not_mistake(
            hs,
            plain_forward(*args, carry_h=False)[0],
            msg(
                en="every step started from h0: step t must read the hidden state of step "
                "t - 1 (h = the new h at the end of each step, and the next product uses it)",
                ja="どのステップも h0 から始まっています。ステップ t は 1 つ前のステップの隠れ状態を"
                "使います(各ステップの最後に h を新しい値に更新し、次の積ではそれを使う)",
            ),
            correct=right_hs,
            rtol=rtol,
            atol=atol,
        )
    assert_close(
        cs,
        right_cs,
        msg(
            en="cs, compared with a plain LSTM that computes each gate separately",
            ja="cs(ゲートを 1 つずつ計算する素朴な LSTM との比較)",
        ),
        rtol=rtol,
        atol=atol,
    )
    assert_close(
        hs,
        right_hs,
        msg(
            en="hs, compared with a plain LSTM that computes each gate separately",
            ja="hs(ゲートを 1 つずつ計算する素朴な LSTM との比較)",
        ),
        rtol=rtol,
        atol=atol,
    )


def check_backward(grads, dhs, x, h0, c0, Wx, Wh, b):
    grads = assert_tuple(grads, 6, "lstm_backward", "(dx, dh0, dc0, dWx, dWh, db)")
    for name, grad, like in zip(SEQ_GRADS, grads, (x, h0, c0, Wx, Wh, b)):
        assert_array(grad, like.shape, name, dtype=x.dtype)
    args = [a.astype(np.float64) for a in (dhs, x, h0, c0, Wx, Wh, b)]
    right = plain_backward(*args)
    rtol, atol = tolerances(x.dtype)
    mistakes = {
        "carry_dh": msg(
            en="the gradient of h at step t is only dhs[:, t]: it must also get what step t + 1 "
            "sends back (da_{t+1} @ Wh.T), since h_t fed step t + 1's product",
            ja="ステップ t の h の勾配が dhs[:, t] だけになっています。h_t はステップ t + 1 の"
            "積に使われたので、そこから送り返される da_{t+1} @ Wh.T も足します",
        ),
        "carry_dc": msg(
            en="the cell state's gradient does not flow back through time: step t must start "
            "from what step t + 1 sends back to c (dc_{t+1} * f_{t+1}); that path is the LSTM's "
            "long memory",
            ja="セル状態の勾配が時間をさかのぼっていません。ステップ t は、ステップ t + 1 から c に"
            "送り返された勾配(dc_{t+1} * f_{t+1})から始めます。この道こそが LSTM の長い記憶です",
        ),
    }
    if x.shape[1] > 1:
        for switch, message in mistakes.items():
            mistaken = plain_backward(*args, **{switch: False})
            assert_not_mistake(
                flat(grads), flat(mistaken), message, correct=flat(right), rtol=rtol, atol=atol
            )
    for name, grad, want in zip(SEQ_GRADS, grads, right):
        assert_close(
            grad,
            want,
            msg(
                en=f"{name}, compared with backpropagation through time written gate by gate",
                ja=f"{name}(ゲートごとに書いた時間方向の逆伝播との比較)",
            ),
            rtol=rtol,
            atol=atol,
        )


@pytest.mark.task("10.3")
@pytest.mark.checks("inputs")
def test_sequence_kernel_leaves_its_inputs_unchanged(rng):
    x, h0, c0, Wx, Wh, b = lstm_case(rng)
    result = assert_inputs_unchanged(lstm.lstm_forward, x, h0, c0, Wx, Wh, b)
    check_forward(result, x, h0, c0, Wx, Wh, b)
    dhs = rng.standard_normal(result[0].shape)
    grads = assert_inputs_unchanged(lstm.lstm_backward, dhs, result[2])
    check_backward(grads, dhs, x, h0, c0, Wx, Wh, b)


@pytest.mark.task("10.3")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_sequence_kernel_returns_arrays_of_the_documented_shapes_and_dtype(rng, dtype):
    x, h0, c0, Wx, Wh, b = lstm_case(rng, B=2, T=3, D=4, H=5, dtype=dtype)
    result = run_forward(x, h0, c0, Wx, Wh, b)
    check_forward(result, x, h0, c0, Wx, Wh, b)
    dhs = rng.standard_normal((2, 3, 5)).astype(dtype)
    check_backward(run_backward(dhs, result[2]), dhs, x, h0, c0, Wx, Wh, b)


@pytest.mark.task("10.3")
@pytest.mark.checks("mistake")
def test_sequence_kernel_avoids_the_common_mistakes(rng):
    x, h0, c0, Wx, Wh, b = lstm_case(rng, B=3, T=5, D=3, H=3)
    result = run_forward(x, h0, c0, Wx, Wh, b)
    check_forward(result, x, h0, c0, Wx, Wh, b)
    dhs = rng.standard_normal((3, 5, 3))
    check_backward(run_backward(dhs, result[2]), dhs, x, h0, c0, Wx, Wh, b)


@pytest.mark.task("10.3")
@pytest.mark.parametrize(
    ("B", "T", "D", "H"), [(1, 1, 1, 1), (2, 1, 3, 2), (1, 6, 2, 3), (4, 7, 5, 6)]
)
def test_sequence_kernel_equals_a_plain_per_gate_lstm(rng, B, T, D, H):
    x, h0, c0, Wx, Wh, b = lstm_case(rng, B, T, D, H)
    result = run_forward(x, h0, c0, Wx, Wh, b)
    check_forward(result, x, h0, c0, Wx, Wh, b)
    dhs = rng.standard_normal((B, T, H))
    check_backward(run_backward(dhs, result[2]), dhs, x, h0, c0, Wx, Wh, b)


@pytest.mark.task("10.3")
def test_sequence_gradients_match_finite_differences(rng):
    x, h0, c0, Wx, Wh, b = params = list(lstm_case(rng, B=2, T=4, D=2, H=2))
    hs, _, cache = run_forward(*params)
    dhs = rng.standard_normal(hs.shape)
    grads = run_backward(dhs, cache)

    def loss():  # sum(hs * dhs): its gradient with respect to hs is dhs
        return float(np.sum(plain_forward(*params)[0] * dhs))

    for name, grad, param in zip(SEQ_GRADS, grads, params):
        assert_grad_close(grad, loss, param, name)


# ---------------------------------------------------------------- memory across a gap

GAP = 60  # steps between the token and the moment it is read


def memory_case(rng):
    """Two sequences, the same except for the token at step 0 (+1 or -1): inputs are
    [token, start flag, distractor noise], the noise the same in both."""
    x = np.zeros((2, GAP + 1, 3))
    x[:, 0, 0] = [1.0, -1.0]  # the token
    x[:, 0, 1] = 1.0  # "a token is here"
    x[:, 1:, 2] = rng.standard_normal(GAP)  # the same distraction for both
    return x


def memory_lstm():
    """Weights by hand, H = 1: the input gate opens only at the start flag, the forget and
    output gates stay open, the candidate is the token (and, later, the noise)."""
    Wx = np.zeros((3, 4))
    Wx[1, 0] = 20.0  # i: sigmoid(20 * flag - 10): 1 at the token, 5e-5 after
    Wx[0, 2], Wx[2, 2] = 1.0, 1.0  # g: tanh(token + noise)
    b = np.array([-10.0, 8.0, 0.0, 8.0])  # f = o = sigmoid(8) = 0.9997
    return np.zeros((1, 1)), np.zeros((1, 1)), Wx, np.zeros((1, 4)), b


def tanh_rnn_last(x, w_token=1.0, w_noise=1.0, w_h=0.9):
    """The last hidden state of a plain tanh RNN, h = tanh(token + noise + 0.9 h_prev):
    the same input weights as the LSTM's candidate, and a recurrent weight below 1 (above
    1 the RNN's gradients explode)."""
    h = np.zeros(len(x))
    for t in range(x.shape[1]):
        h = np.tanh(w_token * x[:, t, 0] + w_noise * x[:, t, 2] + w_h * h)
    return h


@pytest.mark.task("10.3")
def test_an_lstm_remembers_a_token_across_a_gap_where_a_tanh_rnn_forgets(rng):
    x = memory_case(rng)
    h0, c0, Wx, Wh, b = memory_lstm()
    B = len(x)
    h0, c0 = np.repeat(h0, B, axis=0), np.repeat(c0, B, axis=0)
    rnn = tanh_rnn_last(x)
    assert abs(rnn[0] - rnn[1]) < 1e-2, msg(
        en="test bug: the RNN should have forgotten the token",
        ja="テストの不具合: RNN はトークンを忘れているはずです",
    )
    hs, cs, cache = run_forward(x, h0, c0, Wx, Wh, b)
    check_forward((hs, cs, cache), x, h0, c0, Wx, Wh, b)
    last = hs[:, -1, 0]
    assert last[0] > 0.5 and last[1] < -0.5, msg(
        en=f"after {GAP} steps of noise the LSTM should still show its token (+1 then -1) in h: "
        f"h = {num(last)}. The forget gate is open (f = 0.9997) and the input gate closed, so "
        "c = f * c_prev + i * g should keep the token's value",
        ja=f"ノイズが {GAP} ステップ続いた後も、LSTM の h には最初のトークン(+1 と -1)が残る"
        f"はずですが、h = {num(last)} です。忘却ゲートは開いていて(f = 0.9997)入力ゲートは"
        "閉じているので、c = f * c_prev + i * g はトークンの値を保つはずです",
    )
    # the gradient of the last h with respect to the token, back across the gap
    dhs = np.zeros_like(hs)
    dhs[:, -1] = 1.0
    dx = run_backward(dhs, cache)[0]
    nudge = np.zeros_like(x)
    nudge[:, 0, 0] = 1e-5  # the token only
    rnn_grad = (tanh_rnn_last(x + nudge) - tanh_rnn_last(x - nudge))[0] / 2e-5
    lstm_grad = float(dx[0, 0, 0])
    assert abs(rnn_grad) < 1e-3, msg(
        en="test bug: the RNN's gradient should have vanished",
        ja="テストの不具合: RNN の勾配は消えているはずです",
    )
    assert lstm_grad > 0.1, msg(
        en=f"the gradient of the last h with respect to the token {GAP} steps earlier is "
        f"{num(lstm_grad)}; through the cell state it should stay above 0.1 (the RNN's "
        f"has vanished to {num(rnn_grad)}). In lstm_backward, carry dc back through every step "
        "(dc = dc * f), not only dh",
        ja=f"最後の h の、{GAP} ステップ前のトークンに対する勾配が {num(lstm_grad)} です。"
        f"セル状態を通れば 0.1 を超えるはずです(RNN の勾配は {num(rnn_grad)} まで"
        "消えています)。lstm_backward では dh だけでなく dc もすべてのステップをさかのぼらせ"
        "ましょう(dc = dc * f)",
    )


# ---------------------------------------------------------------- speed

# Many samples, tiny products. A loop over the samples pays NumPy's per-call overhead 128 times
# per step (measured 60-100x the fused kernel); a fused kernel makes ~20 calls per step
# whatever the batch, and its time (over 1 ms) stays above the timer floor. Every product is
# at most 2**18 multiply-adds (here B * T * D * 4H = 2**17), so OpenBLAS keeps it on one
# thread and never waits for a busy second core; the fastest of seven runs counts.
PERF_B, PERF_T, PERF_D, PERF_H, PERF_RUNS = 128, 64, 2, 2, 7
# The test's own kernel is the same algorithm as a right answer (1-2x apart); a loop over
# the samples measures 30-35x with one BLAS thread, as llmroad check runs: a bound of 10x
# keeps a wide margin on both sides.
PERF_FACTOR = 10


def fused_forward(x, h0, c0, Wx, Wh, b):
    """The fused kernel written here: the input projection hoisted, one product per step.
    Returns hs and what fused_backward needs."""
    B, T, _ = x.shape
    H = h0.shape[1]
    xw = x @ Wx + b
    hs, cs, acts = np.empty((B, T, H)), np.empty((B, T, H)), np.empty((B, T, 4 * H))
    h, c = h0, c0
    for t in range(T):
        a = xw[:, t] + h @ Wh
        acts[:, t, : 2 * H] = sigmoid(a[:, : 2 * H])
        acts[:, t, 2 * H : 3 * H] = np.tanh(a[:, 2 * H : 3 * H])
        acts[:, t, 3 * H :] = sigmoid(a[:, 3 * H :])
        i, f, g, o = blocks(acts[:, t])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[:, t], cs[:, t] = h, c
    return hs, (x, h0, c0, Wx, Wh, hs, cs, acts)


def fused_backward(dhs, cache):
    x, h0, c0, Wx, Wh, hs, cs, acts = cache
    B, T, H = hs.shape
    tanh_cs = np.tanh(cs)
    c_prev = np.concatenate([c0[:, None], cs[:, :-1]], axis=1)
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    das = np.empty_like(acts)
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        i, f, g, o = blocks(acts[:, t])
        dh = dhs[:, t] + dh
        dc = dc + dh * o * (1 - tanh_cs[:, t] ** 2)
        das[:, t] = np.concatenate(
            [
                dc * g * i * (1 - i),
                dc * c_prev[:, t] * f * (1 - f),
                dc * i * (1 - g**2),
                dh * tanh_cs[:, t] * o * (1 - o),
            ],
            axis=-1,
        )
        dh, dc = das[:, t] @ Wh.T, dc * f
    flat_das = das.reshape(B * T, 4 * H)
    dWx = x.reshape(B * T, -1).T @ flat_das
    dWh = h_prev.reshape(B * T, H).T @ flat_das
    return das @ Wx.T, dh, dc, dWx, dWh, flat_das.sum(axis=0)


SPEED_ADVICE = msg(
    en="Only the recurrence needs a Python loop, over time. Work on the whole batch at once "
    "in each step (h @ Wh is (B, H) @ (H, 4H)), compute x @ Wx + b for every step before the "
    "loop, and look for a loop over the samples, the gates or the hidden units",
    ja="Python のループが要るのは時間方向の再帰だけです。各ステップではバッチ全体をまとめて"
    "計算し(h @ Wh は (B, H) @ (H, 4H))、x @ Wx + b はループの前に全ステップ分を計算します。"
    "サンプル・ゲート・隠れユニットを回すループがないか探しましょう",
)


@pytest.mark.task("10.3")
@pytest.mark.perf
def test_lstm_forward_is_fused_and_vectorised(rng):
    x0, h0, c0, Wx, Wh, b = lstm_case(rng, PERF_B, PERF_T, PERF_D, PERF_H)
    assert_fast_enough(
        lstm.lstm_forward,
        fused_forward,
        lambda k: (x0 + 1e-3 * k, h0, c0, Wx, Wh, b),  # each run its own inputs
        msg(
            en=f"lstm_forward on {PERF_B} sequences of {PERF_T} steps",
            ja=f"{PERF_T} ステップの系列 {PERF_B} 本に対する lstm_forward",
        ),
        SPEED_ADVICE,
        factor=PERF_FACTOR,
        runs=PERF_RUNS,
    )
    small = lstm_case(rng, B=2, T=3, D=2, H=2)
    check_forward(run_forward(*small), *small)


@pytest.mark.task("10.3")
@pytest.mark.perf
def test_lstm_backward_is_fused_and_vectorised(rng):
    x, h0, c0, Wx, Wh, b = args = lstm_case(rng, PERF_B, PERF_T, PERF_D, PERF_H)
    hs, _, cache = run_forward(*args)
    _, mine = fused_forward(*args)
    dhs0 = rng.standard_normal(hs.shape)
    assert_fast_enough(
        lstm.lstm_backward,
        lambda dhs, cache: fused_backward(dhs, mine),  # the same work on the test's own cache
        lambda k: (dhs0 + 1e-3 * k, cache),
        msg(
            en=f"lstm_backward on {PERF_B} sequences of {PERF_T} steps",
            ja=f"{PERF_T} ステップの系列 {PERF_B} 本に対する lstm_backward",
        ),
        SPEED_ADVICE,
        factor=PERF_FACTOR,
        runs=PERF_RUNS,
    )
    small = lstm_case(rng, B=2, T=3, D=2, H=2)
    result = run_forward(*small)
    dhs = rng.standard_normal((2, 3, 2))
    check_backward(run_backward(dhs, result[2]), dhs, *small)
