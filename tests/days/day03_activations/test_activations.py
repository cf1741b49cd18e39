"""Day 3 suite: every activation and its derivative.

For each task: its inputs come back unchanged; it returns float64 arrays of its input's
shape (float32 and integer input promoted, and computed in float64); values match
hand-worked points and an independent computation written here (the standard library's
math, an explicit Jacobian, a complex-step derivative) on generated data; ±1e3 stays
finite and warning-free; each derivative matches central finite differences beside a
value check; and each common mistake of the README is named.
"""

import math
import warnings

import numpy as np
import pytest

from checker.core.testing import (
    RTOL,
    assert_array,
    assert_close,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    implementation,
    msg,
    num,
)

act = implementation("day03_activations.activations")

LN2, LN3 = math.log(2.0), math.log(3.0)
C = math.sqrt(2.0 / math.pi)  # √(2/π), the tanh approximation's scale
K = 0.044715  # the tanh approximation's cubic coefficient
# float32 input must be computed in float64: matching to 1e-12 rules out float32 arithmetic,
# whose rounding (≈ 6e-8 per operation) shows at 1e-8 and above
PROMOTED_RTOL = 1e-12


# ---------------------------------------------------------------- independent oracles


def _each(f, x):
    """f applied to every entry with the standard library, shape kept (float64)."""
    return np.vectorize(f, otypes=[float])(np.asarray(x, dtype=float))


def _sigmoid(x):  # e^v / (1 + e^v) for v < 0: math.exp never sees a large positive number
    return _each(lambda v: 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)), x)


def _sigmoid_grad(x):  # σ'(x) = e^-|x| / (1 + e^-|x|)², an even function
    return _each(lambda v: math.exp(-abs(v)) / (1 + math.exp(-abs(v))) ** 2, x)


def _tanh(x):
    return _each(math.tanh, x)


def _tanh_grad(x):  # sech²(x) = 1 / cosh²(x); cosh overflows past 710, where sech² is 0
    return _each(lambda v: (1 / math.cosh(v)) ** 2 if abs(v) < 700 else 0.0, x)


def _relu(x):
    return _each(lambda v: max(v, 0.0), x)


def _relu_grad(x):
    return _each(lambda v: 1.0 if v > 0 else 0.0, x)


def _leaky(x, slope=0.01):
    return _each(lambda v: v if v > 0 else slope * v, x)


def _leaky_grad(x, slope=0.01):
    return _each(lambda v: 1.0 if v > 0 else slope, x)


def _cdf(x):  # Φ(x), the standard normal CDF
    return _each(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))), x)


def _pdf(x):  # φ(x), the standard normal density
    return _each(lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi), x)


def _gelu_tanh_form(z):  # also on complex numbers, for the complex-step derivative
    return 0.5 * z * (1 + np.tanh(C * (z + K * z**3)))


def _gelu(x, approximate=False):
    if approximate:
        return _each(lambda v: 0.5 * v * (1 + math.tanh(C * (v + K * v**3))), x)
    return np.asarray(x, dtype=float) * _cdf(x)


def _gelu_grad(x, approximate=False):
    x = np.asarray(x, dtype=float)
    if approximate:  # complex step: f'(x) = Im f(x + ih) / h, exact to rounding
        return np.imag(_gelu_tanh_form(x + 1e-30j)) / 1e-30
    return _cdf(x) + x * _pdf(x)  # product rule on x·Φ(x)


def _softmax(x, axis=-1):
    """Row by row with math.exp, after subtracting the row's largest score."""

    def row(v):
        e = [math.exp(s - max(v)) for s in v]
        return [w / sum(e) for w in e]

    return np.apply_along_axis(row, axis, np.asarray(x, dtype=float))


def _softmax_backward(dout, out, axis=-1):
    """dL/dx through the explicit Jacobian ∂out_j/∂x_k = out_j(δ_jk - out_k) of each row."""
    dout, out = np.moveaxis(dout, axis, -1), np.moveaxis(out, axis, -1)
    dx = np.empty(out.shape)
    for index in np.ndindex(out.shape[:-1]):
        p = out[index]
        dx[index] = dout[index] @ (np.diag(p) - np.outer(p, p))  # (V,) @ (V, V)
    return np.moveaxis(dx, -1, axis)


# what each elementwise function returns, worked out here, keyword arguments included
ORACLE = {
    "sigmoid": _sigmoid,
    "sigmoid_grad": _sigmoid_grad,
    "tanh": _tanh,
    "tanh_grad": _tanh_grad,
    "relu": _relu,
    "relu_grad": _relu_grad,
    "leaky_relu": _leaky,
    "leaky_relu_grad": _leaky_grad,
    "gelu": _gelu,
    "gelu_grad": _gelu_grad,
}


# ---------------------------------------------------------------- shared checks


def _random(rng, shape, scale=3.0):
    """Random points, the first six fixed so every seed holds both signs, 0 and (0, 1]."""
    x = scale * rng.standard_normal(shape)
    x.flat[:6] = [-2.0, -0.5, 0.0, 0.5, 1.0, 3.0]
    return x


def _away_from_zero(rng, shape, gap=0.1):
    """Random points with |x| >= gap, so no finite difference straddles a kink."""
    x = rng.standard_normal(shape)
    return np.sign(x) * (gap + np.abs(x))


def _on_random(name):
    return msg(en=f"{name}(x) of random x", ja=f"ランダムな x に対する {name}(x)")


def _check_leaves_input_alone(name, rng, **kwargs):
    x = _random(rng, (3, 4))
    out = assert_inputs_unchanged(getattr(act, name), x, **kwargs)
    assert_close(out, ORACLE[name](x, **kwargs), _on_random(name))


def _check_returns_float64(name, **kwargs):
    """float32 and integer input come back as float64 arrays of the input's shape, with
    the values of a float64 computation."""
    function = getattr(act, name)
    x32 = np.array([[-2.5, -0.7, 0.0], [0.3, 1.0, 2.2]], dtype=np.float32)
    ints = np.array([[-3, -1], [0, 2]])
    for x, what in [(x32, f"{name}(x_float32)"), (ints, f"{name}(x_int)")]:
        out = function(x, **kwargs)
        assert not (isinstance(out, np.ndarray) and out.dtype == bool), msg(
            en=f"{what} returned booleans (True/False): turn the comparison into 0.0 and 1.0 "
            "with .astype(float)",
            ja=f"{what} が真偽値 (True/False) を返しました。比較の結果は .astype(float) で "
            "0.0 と 1.0 に変換しましょう",
        )
        assert_array(out, x.shape, what)
        assert_close(out, ORACLE[name](x, **kwargs), what, rtol=PROMOTED_RTOL)


def _watching_overflow(fn, *args, **kwargs):
    """Call fn; return its result and the overflow / invalid / divide warnings NumPy raised.
    (Underflow, e.g. exp(-1000) = 0, is harmless and ignored.)"""
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"),
    ):
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def _assert_stable(fn, x, expected, what, *, en, ja, **kwargs):
    """fn(x) raises no overflow warning and equals `expected` (exactly where that is 0, so a
    subnormal result lost to 1/inf counts); `en` / `ja` name the formula that overflows and
    what to write instead. Returns fn(x)."""
    out, overflow = _watching_overflow(fn, x, **kwargs)
    assert not overflow, msg(
        en=f"{what} raised a warning ({overflow[0]}). {en}",
        ja=f"{what} で警告 ({overflow[0]}) が出ました。{ja}",
    )
    got = np.asarray(out, dtype=float)
    expected = np.asarray(expected, dtype=float)
    wrong = np.shape(got) != expected.shape or not np.allclose(got, expected, rtol=RTOL, atol=0)
    assert not wrong, msg(
        en=f"{what} is {num(got)}, expected {num(expected)}. {en}",
        ja=f"{what} は {num(got)} ですが、正しくは {num(expected)} です。{ja}",
    )
    return out


# ---------------------------------------------------------------- 3.1 sigmoid


@pytest.mark.task("3.1")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])
def test_sigmoid_leaves_its_input_alone(name, rng):
    _check_leaves_input_alone(name, rng)


@pytest.mark.task("3.1")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])
def test_sigmoid_returns_float64_of_the_input_shape(name):
    _check_returns_float64(name)


@pytest.mark.task("3.1")
@pytest.mark.checks("mistake")
def test_sigmoid_never_exponentiates_a_large_positive_number():
    # σ(-720) = e^-720 / (1 + e^-720) ≈ 1.9e-313 is a float64 (a subnormal one), but
    # 1 / (1 + np.exp(720)) is 1 / inf = 0, with an overflow warning
    _assert_stable(
        act.sigmoid,
        np.array([-1e3, -720.0, -710.0, 0.0, 710.0, 1e3]),
        [0.0, math.exp(-720.0), math.exp(-710.0), 0.5, 1.0, 1.0],
        "sigmoid([-1e3,-720,-710,0,710,1e3])",
        en="1 / (1 + np.exp(-x)) overflows for x below about -709 (e^709.8 is the largest "
        "float64): for x < 0 use the equal form e^x / (1 + e^x), which only exponentiates "
        "negative numbers",
        ja="1 / (1 + np.exp(-x)) は x が約 -709 より小さいとオーバーフローします"
        "(float64 の最大は e^709.8)。x < 0 では同じ値の e^x / (1 + e^x) を使えば、"
        "exp には負の数しか入りません",
    )


@pytest.mark.task("3.1")
@pytest.mark.checks("mistake")
def test_sigmoid_picks_the_branch_by_the_sign_of_x(rng):
    x = _random(rng, (2, 5))
    out = act.sigmoid(x)
    assert_not_mistake(
        out,
        _sigmoid(np.abs(x)),
        msg(
            en="sigmoid(x) is σ(|x|), at least 1/2 even for negative x: with "
            "z = np.exp(-np.abs(x)), use 1 / (1 + z) where x >= 0 and z / (1 + z) where x < 0 "
            "(np.where picks by the sign of x)",
            ja="sigmoid(x) が σ(|x|) になり、負の x でも 1/2 以上です。z = np.exp(-np.abs(x)) "
            "なら x >= 0 では 1 / (1 + z)、x < 0 では z / (1 + z) を使いましょう"
            "(np.where で x の符号によって選びます)",
        ),
    )
    assert_close(out, _sigmoid(x), _on_random("sigmoid"))


@pytest.mark.task("3.1")
@pytest.mark.checks("mistake")
def test_sigmoid_grad_is_finite_at_plus_minus_1e3():
    # σ'(-720) = σ(-720)·σ(720) = e^-720, but e^720 / (1 + e^720)² is inf / inf = NaN
    _assert_stable(
        act.sigmoid_grad,
        np.array([-1e3, -720.0, 0.0, 1e3]),
        [0.0, math.exp(-720.0), 0.25, 0.0],
        "sigmoid_grad([-1e3,-720,0,1e3])",
        en="np.exp(-x) / (1 + np.exp(-x))**2 is right on paper but inf / inf = NaN for very "
        "negative x: reuse your stable sigmoid, σ'(x) = σ(x)·(1 - σ(x))",
        ja="np.exp(-x) / (1 + np.exp(-x))**2 は式としては正しいものの、大きな負の x で "
        "inf / inf = NaN になります。安定な sigmoid を使って σ'(x) = σ(x)·(1 - σ(x)) "
        "としましょう",
    )


@pytest.mark.task("3.1")
@pytest.mark.checks("mistake")
def test_sigmoid_grad_takes_the_sigmoid_first(rng):
    x = _random(rng, (2, 5))
    grad = act.sigmoid_grad(x)
    assert_not_mistake(
        grad,
        x * (1 - x),
        msg(
            en="sigmoid_grad(x) returned x·(1 - x): s·(1 - s) is the derivative written with "
            "the OUTPUT s = σ(x), so compute s = sigmoid(x) first",
            ja="sigmoid_grad(x) が x·(1 - x) を返しました。s·(1 - s) は出力 s = σ(x) で書いた"
            "微分です。先に s = sigmoid(x) を計算しましょう",
        ),
    )
    assert_close(grad, _sigmoid_grad(x), _on_random("sigmoid_grad"))


@pytest.mark.task("3.1")
def test_sigmoid_at_hand_worked_points():
    # σ(0) = 1/(1+1) = 1/2;  σ(ln 3) = 1/(1 + 1/3) = 3/4;  σ(-ln 3) = 1/(1 + 3) = 1/4
    # σ'(0) = 1/2·1/2 = 1/4;  σ'(±ln 3) = 3/4·1/4 = 3/16
    x = np.array([0.0, LN3, -LN3])
    assert_close(act.sigmoid(x), [0.5, 0.75, 0.25], "sigmoid([0,ln3,-ln3])")
    assert_close(act.sigmoid_grad(x), [0.25, 0.1875, 0.1875], "sigmoid_grad([0,ln3,-ln3])")


@pytest.mark.task("3.1")
def test_sigmoid_of_random_values_is_point_symmetric(rng):
    x = 4.0 * rng.standard_normal((2, 3, 4))
    out = act.sigmoid(x)
    assert_array(out, x.shape, "sigmoid(x)")
    assert_close(out, _sigmoid(x), _on_random("sigmoid"))
    assert_close(
        act.sigmoid(-x),
        1.0 - out,
        msg(
            en="sigmoid(-x), which must equal 1 - sigmoid(x),",
            ja="sigmoid(-x)(1 - sigmoid(x) に等しいはず)",
        ),
    )


@pytest.mark.task("3.1")
def test_sigmoid_grad_matches_finite_differences(rng):
    x = 3.0 * rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))  # loss L = Σ w·σ(x), so dL/dx = w·σ'(x)
    grad = act.sigmoid_grad(x)
    assert_close(grad, _sigmoid_grad(x), _on_random("sigmoid_grad"))
    assert_grad_close(w * grad, lambda: np.sum(w * _sigmoid(x)), x, "w*sigmoid_grad(x)")


# ---------------------------------------------------------------- 3.2 tanh


@pytest.mark.task("3.2")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["tanh", "tanh_grad"])
def test_tanh_leaves_its_input_alone(name, rng):
    _check_leaves_input_alone(name, rng)


@pytest.mark.task("3.2")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["tanh", "tanh_grad"])
def test_tanh_returns_float64_of_the_input_shape(name):
    _check_returns_float64(name)


@pytest.mark.task("3.2")
@pytest.mark.checks("mistake")
def test_tanh_is_finite_at_plus_minus_1e3():
    # tanh(±1e3) = ±1, but (e^x - e^-x) / (e^x + e^-x) is inf / inf = NaN there
    _assert_stable(
        act.tanh,
        np.array([-1e3, -400.0, 0.0, 400.0, 1e3]),
        [-1.0, -1.0, 0.0, 1.0, 1.0],
        "tanh([-1e3,-400,0,400,1e3])",
        en="(np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)) is inf / inf = NaN at "
        "x = ±1000: use tanh(x) = 2σ(2x) - 1 with your stable sigmoid",
        ja="(np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)) は x = ±1000 で "
        "inf / inf = NaN になります。安定な sigmoid を使って tanh(x) = 2σ(2x) - 1 と"
        "しましょう",
    )


@pytest.mark.task("3.2")
@pytest.mark.checks("mistake")
def test_tanh_doubles_the_input_of_the_sigmoid(rng):
    x = _random(rng, (2, 5))
    out = act.tanh(x)
    assert_not_mistake(
        out,
        _tanh(x / 2),
        msg(
            en="tanh(x) returned 2σ(x) - 1, which is tanh(x/2): the identity is "
            "tanh(x) = 2σ(2x) - 1, with 2x inside the sigmoid",
            ja="tanh(x) が 2σ(x) - 1、つまり tanh(x/2) を返しました。正しい恒等式は "
            "tanh(x) = 2σ(2x) - 1 で、sigmoid の中は 2x です",
        ),
    )
    assert_close(out, _tanh(x), _on_random("tanh"))


@pytest.mark.task("3.2")
@pytest.mark.checks("mistake")
def test_tanh_grad_squares_the_tanh(rng):
    x = _random(rng, (2, 5))
    grad = act.tanh_grad(x)
    assert_not_mistake(
        grad,
        1 - _tanh(x),
        msg(
            en="tanh_grad(x) returned 1 - tanh(x): the derivative is 1 - tanh(x)², "
            "with the tanh squared",
            ja="tanh_grad(x) が 1 - tanh(x) を返しました。微分は tanh を 2 乗した "
            "1 - tanh(x)² です",
        ),
    )
    assert_close(grad, _tanh_grad(x), _on_random("tanh_grad"))


@pytest.mark.task("3.2")
def test_tanh_at_hand_worked_points():
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 1.5 / 2.5 = 0.6; tanh is odd, tanh(0) = 0
    # tanh'(0) = 1 - 0² = 1;  tanh'(±ln 2) = 1 - 0.6² = 0.64;  tanh'(±1e3) = 1 - 1 = 0
    x = np.array([0.0, LN2, -LN2, 1e3, -1e3])
    assert_close(act.tanh(x), [0.0, 0.6, -0.6, 1.0, -1.0], "tanh([0,ln2,-ln2,1e3,-1e3])")
    grad = _assert_stable(
        act.tanh_grad,
        x,
        [1.0, 0.64, 0.64, 0.0, 0.0],
        "tanh_grad([0,ln2,-ln2,1e3,-1e3])",
        en="compute tanh_grad as 1 - t*t from your stable tanh",
        ja="tanh_grad は安定な tanh から t を求めて 1 - t*t としましょう",
    )
    assert_array(grad, x.shape, "tanh_grad(x)")


@pytest.mark.task("3.2")
def test_tanh_of_random_values_is_odd(rng):
    x = 3.0 * rng.standard_normal((2, 3, 4))
    out = act.tanh(x)
    assert_array(out, x.shape, "tanh(x)")
    assert_close(out, _tanh(x), _on_random("tanh"))
    assert_close(
        act.tanh(-x),
        -out,
        msg(en="tanh(-x), which must equal -tanh(x),", ja="tanh(-x)(-tanh(x) に等しいはず)"),
    )


@pytest.mark.task("3.2")
def test_tanh_grad_matches_finite_differences(rng):
    x = 2.0 * rng.standard_normal((4, 3))
    w = rng.standard_normal((4, 3))  # L = Σ w·tanh(x)
    grad = act.tanh_grad(x)
    assert_close(grad, _tanh_grad(x), _on_random("tanh_grad"))
    assert_grad_close(w * grad, lambda: np.sum(w * np.tanh(x)), x, "w*tanh_grad(x)")


# ---------------------------------------------------------------- 3.3 ReLU


@pytest.mark.task("3.3")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_relu_leaves_its_input_alone(name, rng):
    _check_leaves_input_alone(name, rng)


@pytest.mark.task("3.3")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_relu_returns_float64_of_the_input_shape(name):
    _check_returns_float64(name)


@pytest.mark.task("3.3")
@pytest.mark.checks("types")
def test_relu_takes_a_list_of_ints():
    # the docstring: "an array-like of ints is fine"
    out = act.relu([-2, 0, 3])
    assert_array(out, (3,), "relu([-2,0,3])")
    assert_close(out, [0.0, 0.0, 3.0], "relu([-2,0,3])")


@pytest.mark.task("3.3")
@pytest.mark.checks("mistake")
def test_relu_grad_is_zero_at_the_kink(rng):
    x = _random(rng, (2, 5))  # holds 0
    grad = act.relu_grad(x)
    assert_not_mistake(
        grad,
        (x >= 0).astype(float),
        msg(
            en="relu_grad(0) is 1, but this course defines relu'(0) = 0: compare x > 0, not x >= 0",
            ja="relu_grad(0) が 1 ですが、このコースでは relu'(0) = 0 と決めています。"
            "x >= 0 ではなく x > 0 で比べましょう",
        ),
    )
    assert_close(grad, _relu_grad(x), _on_random("relu_grad"))


@pytest.mark.task("3.3")
def test_relu_at_hand_worked_points():
    # max(-2, 0) = 0, max(-0.5, 0) = 0, max(0, 0) = 0, max(0.5, 0) = 0.5, max(3, 0) = 3
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    assert_close(act.relu(x), [0.0, 0.0, 0.0, 0.5, 3.0], "relu([-2,-0.5,0,0.5,3])")
    x = np.array([-2.0, -1e-3, 0.0, 1e-3, 1.0, 3.0])
    assert_close(act.relu_grad(x), [0, 0, 0, 1, 1, 1], "relu_grad([-2,-0.001,0,0.001,1,3])")


@pytest.mark.task("3.3")
def test_relu_of_random_values_up_to_1e3(rng):
    x = 1e3 * rng.standard_normal((2, 3, 4))
    out = act.relu(x)
    assert_array(out, x.shape, "relu(x)")
    assert_close(out, _relu(x), _on_random("relu"))


@pytest.mark.task("3.3")
def test_relu_returns_a_new_array_even_when_nothing_changes(rng):
    x = 0.1 + rng.random((3, 4))  # all positive: relu(x) equals x, yet must be a new array
    out = act.relu(x)
    assert_close(out, x, msg(en="relu(x) of positive x", ja="正の x に対する relu(x)"))
    assert not np.shares_memory(out, x), msg(
        en="relu returned its input array itself: return a new array (np.maximum makes one), "
        "so a caller who changes the result does not change x",
        ja="relu が入力の配列そのものを返しました。新しい配列を返しましょう(np.maximum は"
        "新しい配列を作ります)。結果を書き換えたときに x まで変わらないようにするためです",
    )


@pytest.mark.task("3.3")
def test_relu_grad_matches_finite_differences_away_from_the_kink(rng):
    x = _away_from_zero(rng, (3, 4))
    w = rng.standard_normal((3, 4))  # L = Σ w·max(x, 0)
    grad = act.relu_grad(x)
    assert_close(grad, _relu_grad(x), _on_random("relu_grad"))
    assert_grad_close(w * grad, lambda: np.sum(w * np.maximum(x, 0.0)), x, "w*relu_grad(x)")


# ---------------------------------------------------------------- 3.4 leaky ReLU


@pytest.mark.task("3.4")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_leaky_relu_leaves_its_input_alone(name, slope, rng):
    _check_leaves_input_alone(name, rng, slope=slope)


@pytest.mark.task("3.4")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
def test_leaky_relu_returns_float64_of_the_input_shape(name):
    _check_returns_float64(name, slope=0.2)


@pytest.mark.task("3.4")
@pytest.mark.checks("mistake")
def test_leaky_relu_uses_the_slope_it_is_given(rng):
    x = _random(rng, (2, 5))
    for name, oracle in [("leaky_relu", _leaky), ("leaky_relu_grad", _leaky_grad)]:
        out = getattr(act, name)(x, slope=0.2)
        assert_not_mistake(
            out,
            oracle(x, slope=0.01),
            msg(
                en=f"{name}(x, slope=0.2) used the slope 0.01: use the `slope` argument, "
                "not a hard-coded 0.01 (0.01 is only its default)",
                ja=f"{name}(x, slope=0.2) が傾き 0.01 を使いました。0.01 を書き込まず、"
                "引数 `slope` を使いましょう(0.01 はその既定値にすぎません)",
            ),
        )
        assert_close(out, oracle(x, slope=0.2), f"{name}(x,slope=0.2)")


@pytest.mark.task("3.4")
@pytest.mark.checks("mistake")
def test_leaky_relu_scales_the_negative_side(rng):
    x = _random(rng, (2, 5))
    out = act.leaky_relu(x, slope=0.2)
    assert_not_mistake(
        out,
        np.where(x > 0, 0.2 * x, x),
        msg(
            en="leaky_relu scaled the positive inputs and kept the negative ones: the slope "
            "belongs to x <= 0, np.where(x > 0, x, slope * x)",
            ja="leaky_relu が正の入力に傾きを掛け、負の入力をそのまま返しました。傾きを掛けるのは"
            " x <= 0 の側です: np.where(x > 0, x, slope * x)",
        ),
    )
    assert_close(out, _leaky(x, slope=0.2), "leaky_relu(x,slope=0.2)")


@pytest.mark.task("3.4")
@pytest.mark.checks("mistake")
def test_leaky_relu_grad_is_the_slope_at_the_kink(rng):
    x = _random(rng, (2, 5))  # holds 0
    grad = act.leaky_relu_grad(x, slope=0.2)
    assert_not_mistake(
        grad,
        np.where(x >= 0, 1.0, 0.2),
        msg(
            en="leaky_relu_grad(0) is 1, but the derivative at the kink is defined as `slope` "
            "(as relu'(0) = 0 is slope 0): compare x > 0, not x >= 0",
            ja="leaky_relu_grad(0) が 1 ですが、折れ目での微分は `slope` と決めています"
            "(relu'(0) = 0 は slope = 0 の場合)。x >= 0 ではなく x > 0 で比べましょう",
        ),
    )
    assert_close(grad, _leaky_grad(x, slope=0.2), "leaky_relu_grad(x,slope=0.2)")


@pytest.mark.task("3.4")
def test_leaky_relu_at_hand_worked_points_with_the_default_slope():
    # slope 0.01: -2 → -0.02, -0.5 → -0.005, 0 → 0, 0.5 → 0.5, 1 → 1, 3 → 3
    x = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
    for name, expected in [
        ("leaky_relu", [[-0.02, -0.005, 0.0], [0.5, 1.0, 3.0]]),
        ("leaky_relu_grad", [[0.01, 0.01, 0.01], [1.0, 1.0, 1.0]]),
    ]:
        function = getattr(act, name)
        out = function(x)
        assert_array(out, x.shape, f"{name}(x)")
        assert_close(out, expected, f"{name}([-2,-0.5,0,0.5,1,3])")
        assert_close(
            out,
            function(x, slope=0.01),
            msg(
                en=f"{name}(x) against {name}(x, slope=0.01): the default slope is 0.01",
                ja=f"{name}(x) と {name}(x, slope=0.01) の比較(slope の既定値は 0.01)",
            ),
        )


@pytest.mark.task("3.4")
def test_leaky_relu_with_slope_0_is_relu_and_with_slope_1_the_identity(rng):
    x = _random(rng, (3, 4))
    assert_close(act.leaky_relu(x, slope=0.0), _relu(x), "leaky_relu(x,slope=0)")
    assert_close(act.leaky_relu_grad(x, slope=0.0), _relu_grad(x), "leaky_relu_grad(x,slope=0)")
    out = act.leaky_relu(x, slope=1.0)
    assert_close(out, x, "leaky_relu(x,slope=1)")
    assert not np.shares_memory(out, x), msg(
        en="leaky_relu(x, slope=1) returned x itself: the docstring promises a new array",
        ja="leaky_relu(x, slope=1) が x そのものを返しました。docstring は新しい配列を返すと"
        "約束しています",
    )


@pytest.mark.task("3.4")
def test_leaky_relu_of_random_values_and_slope(rng):
    x = _random(rng, (2, 3, 4))
    slope = rng.uniform(0.05, 0.5)
    for name, oracle in [("leaky_relu", _leaky), ("leaky_relu_grad", _leaky_grad)]:
        out = getattr(act, name)(x, slope)
        assert_array(out, x.shape, f"{name}(x,slope)")
        assert_close(
            out,
            oracle(x, slope),
            msg(
                en=f"{name}(x, slope) of random x and slope {num(slope)}",
                ja=f"ランダムな x と slope {num(slope)} に対する {name}(x, slope)",
            ),
        )


@pytest.mark.task("3.4")
def test_leaky_relu_grad_matches_finite_differences_away_from_the_kink(rng):
    x = _away_from_zero(rng, (4, 3))
    w = rng.standard_normal((4, 3))  # L = Σ w·leaky(x)
    grad = act.leaky_relu_grad(x, slope=0.1)
    assert_close(grad, _leaky_grad(x, slope=0.1), "leaky_relu_grad(x,slope=0.1)")
    assert_grad_close(
        w * grad,
        lambda: np.sum(w * np.where(x > 0, x, 0.1 * x)),
        x,
        "w*leaky_relu_grad(x,slope=0.1)",
    )


# ---------------------------------------------------------------- 3.5 GELU


@pytest.mark.task("3.5")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["gelu", "gelu_grad"])
@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_leaves_its_input_alone(name, approximate, rng):
    _check_leaves_input_alone(name, rng, approximate=approximate)


@pytest.mark.task("3.5")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["gelu", "gelu_grad"])
@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_returns_float64_of_the_input_shape(name, approximate):
    _check_returns_float64(name, approximate=approximate)


@pytest.mark.task("3.5")
@pytest.mark.checks("mistake")
def test_gelu_divides_by_root_2_inside_erf(rng):
    x = _random(rng, (2, 5))
    out = act.gelu(x)
    erf_of_x = _each(lambda v: 0.5 * v * (1 + math.erf(v)), x)
    assert_not_mistake(
        out,
        erf_of_x,
        msg(
            en="gelu(x) used erf(x): the normal CDF is Φ(x) = (1 + erf(x / √2)) / 2, "
            "so divide by np.sqrt(2) inside erf",
            ja="gelu(x) が erf(x) を使っています。標準正規分布の累積分布関数は "
            "Φ(x) = (1 + erf(x / √2)) / 2 なので、erf の中で np.sqrt(2) で割りましょう",
        ),
    )
    assert_close(out, _gelu(x), _on_random("gelu"))


@pytest.mark.task("3.5")
@pytest.mark.checks("mistake")
def test_gelu_follows_the_approximate_flag():
    # the two forms differ by up to 4.7e-4 on [-3, 3], far above the tolerance
    x = np.linspace(-3.0, 3.0, 13)
    for name, oracle in [("gelu", _gelu), ("gelu_grad", _gelu_grad)]:
        out = getattr(act, name)(x, approximate=True)
        assert_not_mistake(
            out,
            oracle(x),
            msg(
                en=f"{name}(x, approximate=True) returned the exact erf form: with "
                "approximate=True use the tanh formula 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))",
                ja=f"{name}(x, approximate=True) が erf を使う厳密形を返しました。"
                "approximate=True のときは tanh の式 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) "
                "を使いましょう",
            ),
        )
        assert_close(out, oracle(x, approximate=True), f"{name}(x,approximate=True)")


@pytest.mark.task("3.5")
@pytest.mark.checks("mistake")
def test_gelu_grad_uses_the_product_rule(rng):
    x = _random(rng, (2, 5))
    grad = act.gelu_grad(x)
    assert_not_mistake(
        grad,
        _cdf(x),
        msg(
            en="gelu_grad(x) returned Φ(x) alone: GELU(x) = x·Φ(x) is a product, so its "
            "derivative is Φ(x) + x·φ(x), with φ(x) = exp(-x²/2) / √(2π)",
            ja="gelu_grad(x) が Φ(x) だけを返しました。GELU(x) = x·Φ(x) は積なので、微分は "
            "積の微分法則により Φ(x) + x·φ(x) です(φ(x) = exp(-x²/2) / √(2π))",
        ),
    )
    assert_close(grad, _gelu_grad(x), _on_random("gelu_grad"))


@pytest.mark.task("3.5")
@pytest.mark.checks("mistake")
def test_gelu_grad_tanh_form_applies_the_chain_rule(rng):
    x = _random(rng, (2, 5))
    grad = act.gelu_grad(x, approximate=True)
    t = np.tanh(C * (x + K * x**3))
    assert_not_mistake(
        grad,
        0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C,
        msg(
            en="gelu_grad(x, approximate=True) left out the chain-rule factor of the tanh's "
            "argument: d/dx √(2/π)(x + 0.044715x³) = √(2/π)(1 + 3·0.044715x²)",
            ja="gelu_grad(x, approximate=True) で、tanh の引数の微分(連鎖律の因子)が抜けています。"
            "d/dx √(2/π)(x + 0.044715x³) = √(2/π)(1 + 3·0.044715x²) を掛けましょう",
        ),
    )
    assert_close(grad, _gelu_grad(x, approximate=True), "gelu_grad(x,approximate=True)")


@pytest.mark.task("3.5")
def test_gelu_at_known_points_in_both_forms():
    # GELU(0) = 0·Φ(0) = 0;  GELU(±1) = ±Φ(±1);  ±1e3: Φ = 1 or 0, so 1e3 and 0
    # GELU'(0) = 1/2 + 0 = 1/2 (tanh form: 0.5·(1 + tanh 0) = 1/2);  GELU'(±1e3) = 1 and 0
    x = np.array([0.0, 1.0, -1.0, 1e3, -1e3])
    gelu_at = [0.0, _cdf(1.0), -_cdf(-1.0), 1e3, 0.0]
    pdf1 = _pdf(1.0)
    grad_at = [0.5, _cdf(1.0) + pdf1, _cdf(-1.0) - pdf1, 1.0, 0.0]
    for approximate in (False, True):
        form = f"approximate={approximate}"
        _assert_stable(
            act.gelu,
            x[[0, 3, 4]],
            [0.0, 1e3, 0.0],
            f"gelu([0,1e3,-1e3],{form})",
            en="GELU(0) = 0, GELU(1e3) = 1e3 and GELU(-1e3) = 0 in both forms",
            ja="どちらの形でも GELU(0) = 0、GELU(1e3) = 1e3、GELU(-1e3) = 0 です",
            approximate=approximate,
        )
        _assert_stable(
            act.gelu_grad,
            x[[0, 3, 4]],
            [0.5, 1.0, 0.0],
            f"gelu_grad([0,1e3,-1e3],{form})",
            en="GELU'(0) = 0.5, GELU'(1e3) = 1 and GELU'(-1e3) = 0 in both forms",
            ja="どちらの形でも GELU'(0) = 0.5、GELU'(1e3) = 1、GELU'(-1e3) = 0 です",
            approximate=approximate,
        )
    assert_close(act.gelu(x), gelu_at, "gelu([0,1,-1,1e3,-1e3])")
    assert_close(act.gelu_grad(x), grad_at, "gelu_grad([0,1,-1,1e3,-1e3])")


@pytest.mark.task("3.5")
@pytest.mark.parametrize("name", ["gelu", "gelu_grad"])
def test_gelu_of_random_values_is_exact_by_default(name, rng):
    x = _random(rng, (2, 3, 4))
    function = getattr(act, name)
    out = function(x)
    assert_array(out, x.shape, f"{name}(x)")
    assert_close(
        out,
        ORACLE[name](x),
        msg(
            en=f"{name}(x) of random x, whose default is the exact erf form",
            ja=f"ランダムな x に対する {name}(x)(既定は erf を使う厳密形)",
        ),
    )
    assert_close(function(x, approximate=False), out, f"{name}(x,approximate=False)")


@pytest.mark.task("3.5")
def test_gelu_minus_its_mirror_image_is_x(rng):
    # Φ(x) + Φ(-x) = 1, so GELU(x) - GELU(-x) = x·Φ(x) + x·Φ(-x) = x; the tanh form too
    x = _random(rng, (3, 4))
    for approximate in (False, True):
        out = act.gelu(x, approximate=approximate)
        assert_close(out, _gelu(x, approximate), f"gelu(x,approximate={approximate})")
        assert_close(
            out - act.gelu(-x, approximate=approximate),
            x,
            msg(
                en=f"gelu(x) - gelu(-x) with approximate={approximate}, which must equal x,",
                ja=f"approximate={approximate} での gelu(x) - gelu(-x)(x に等しいはず)",
            ),
        )


@pytest.mark.task("3.5")
def test_gelu_tanh_approximation_is_within_5e_4_of_the_exact_form(rng):
    grid = np.linspace(-6.0, 6.0, 241)
    approx = act.gelu(grid, approximate=True)
    assert_close(approx, _gelu(grid, approximate=True), "gelu(grid,approximate=True)")
    gap = float(np.max(np.abs(approx - _gelu(grid))))
    assert gap < 5e-4, msg(
        en=f"the tanh approximation is {num(gap)} away from x·Φ(x); it should be within 5e-4",
        ja=f"tanh 近似が x·Φ(x) から {num(gap)} 離れています。差は 5e-4 以内のはずです",
    )


@pytest.mark.task("3.5")
@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_grad_matches_finite_differences(approximate, rng):
    x = 2.0 * rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))  # L = Σ w·GELU(x)
    grad = act.gelu_grad(x, approximate=approximate)
    assert_close(grad, _gelu_grad(x, approximate), f"gelu_grad(x,approximate={approximate})")
    assert_grad_close(
        w * grad,
        lambda: np.sum(w * _gelu(x, approximate)),
        x,
        f"w*gelu_grad(x,approximate={approximate})",
    )


# ---------------------------------------------------------------- 3.6 softmax


def _softmax_call(name, rng, dtype=float):
    """(args, kwargs, expected) for one call of softmax or softmax_backward on random data."""
    x = rng.standard_normal((3, 4)).astype(dtype)
    if name == "softmax":
        return (x,), {}, _softmax(x)
    dout, out = rng.standard_normal((3, 4)).astype(dtype), _softmax(x).astype(dtype)
    return (dout, out), {}, _softmax_backward(dout.astype(float), out.astype(float))


@pytest.mark.task("3.6")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["softmax", "softmax_backward"])
def test_softmax_leaves_its_inputs_alone(name, rng):
    args, kwargs, expected = _softmax_call(name, rng)
    out = assert_inputs_unchanged(getattr(act, name), *args, **kwargs)
    assert_close(out, expected, _on_random(name))


@pytest.mark.task("3.6")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["softmax", "softmax_backward"])
def test_softmax_returns_float64_of_the_input_shape(name, rng):
    args, kwargs, expected = _softmax_call(name, rng, dtype=np.float32)
    out = getattr(act, name)(*args, **kwargs)
    assert_array(out, (3, 4), f"{name}(float32_inputs)")
    assert_close(out, expected, f"{name}(float32_inputs)", rtol=PROMOTED_RTOL)
    if name == "softmax":
        ints = np.array([[0, 1, 2], [3, 3, 3]])
        out = act.softmax(ints)
        assert_array(out, (2, 3), "softmax(x_int)")
        assert_close(out, _softmax(ints), "softmax(x_int)")


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_subtracts_the_max_before_exp():
    # [a, a + ln 3] → [1, 3] / 4 for any a; np.exp(1000) = inf, and np.exp(-1000) = 0 gives 0/0
    for x in (np.array([[1e3, 1e3 + LN3], [1e3 + LN3, 1e3]]), np.array([[-1e3, -1e3 + LN3]])):
        _assert_stable(
            act.softmax,
            x,
            [[0.25, 0.75], [0.75, 0.25]][: len(x)],
            f"softmax({num(x)})",
            en="np.exp(x) / np.exp(x).sum() overflows (inf / inf) at scores of 1000 and "
            "underflows (0 / 0) at -1000: subtract each row's maximum before np.exp",
            ja="np.exp(x) / np.exp(x).sum() はスコア 1000 でオーバーフロー (inf / inf)、"
            "-1000 でアンダーフロー (0 / 0) します。np.exp の前に各行の最大値を引きましょう",
        )


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_subtracts_the_maximum_not_the_minimum():
    # softmax([0, 800]) = [e^-800, 1] / (1 + e^-800) = [0, 1] in float64; shifting by the
    # minimum computes e^800 = inf.  [-1000, 0, 1000] → [0, 0, 1].
    advice = {
        "en": "the largest exponent must be e^0 = 1: subtract the row's maximum, not its "
        "minimum (x - min reaches e^(max - min), which overflows once a row spans 710)",
        "ja": "最大の指数は e^0 = 1 でなければなりません。各行の最小値ではなく最大値を引き"
        "ましょう(x - min では e^(max - min) となり、行の幅が 710 を超えるとオーバーフロー"
        "します)",
    }
    cases = [([0.0, 800.0], [0.0, 1.0]), ([-1e3, 0.0, 1e3], [0.0, 0.0, 1.0])]
    cases += [([800.0, 800.0 + LN3, 0.0], [0.25, 0.75, 0.0])]
    for x, expected in cases:
        _assert_stable(act.softmax, np.array(x), expected, f"softmax({num(np.array(x))})", **advice)


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_subtracts_each_rows_own_maximum():
    # the global max (ln 3) leaves the second row at e^-2000 = 0 for both entries: 0 / 0
    x = np.array([[0.0, LN3], [-2e3, -2e3 + LN3]])
    _assert_stable(
        act.softmax,
        x,
        [[0.25, 0.75], [0.25, 0.75]],
        "softmax([[0,ln3],[-2000,-2000+ln3]])",
        en="subtract each row's own maximum, x.max(axis=axis, keepdims=True), not the "
        "maximum of the whole array: a row far below the others still becomes 0 / 0",
        ja="配列全体の最大値ではなく、各行の最大値 x.max(axis=axis, keepdims=True) を"
        "引きましょう。他の行よりずっと小さい行は 0 / 0 になってしまいます",
    )


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_keeps_the_reduced_axis(rng):
    # on a square input, a row statistic without keepdims=True broadcasts along the columns
    x = rng.standard_normal((4, 4))
    out = act.softmax(x)
    e = np.exp(x - x.max(axis=-1))  # row maxima subtracted from the columns
    e_rows = np.exp(x - x.max(axis=-1, keepdims=True))
    for mistaken in (e / e.sum(axis=-1, keepdims=True), e_rows / e_rows.sum(axis=-1)):
        assert_not_mistake(
            out,
            mistaken,
            msg(
                en="softmax of a square matrix mixed rows and columns: x.max(axis=axis) and "
                ".sum(axis=axis) drop the axis, so the row results broadcast along the columns; "
                "pass keepdims=True to both",
                ja="正方行列の softmax で行と列が混ざりました。x.max(axis=axis) や "
                ".sum(axis=axis) は軸を消すので、行ごとの値が列方向にブロードキャストされます。"
                "どちらにも keepdims=True を付けましょう",
            ),
        )
    assert_close(out, _softmax(x), "softmax(x)")


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_normalises_each_row_not_the_whole_array(rng):
    x = rng.standard_normal((4, 6))
    out = act.softmax(x)
    assert_not_mistake(
        np.sum(out),
        1.0,
        msg(
            en="the whole output of softmax sums to 1, rather than each row: sum along `axis` "
            "with keepdims=True, e.sum(axis=axis, keepdims=True)",
            ja="softmax の出力が行ごとではなく全体で和 1 になっています。"
            "e.sum(axis=axis, keepdims=True) のように `axis` に沿って和をとりましょう",
        ),
    )
    assert_close(out, _softmax(x), "softmax(x)")


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_backward_sums_along_the_axis(rng):
    out = _softmax(rng.standard_normal((3, 5)))
    dout = rng.standard_normal((3, 5))
    dx = act.softmax_backward(dout, out)
    assert_not_mistake(
        dx,
        out * (dout - np.sum(dout * out)),
        msg(
            en="softmax_backward summed dout·out over the whole array: the sum belongs to each "
            "row, np.sum(dout * out, axis=axis, keepdims=True)",
            ja="softmax_backward が dout·out を配列全体で合計しました。和は行ごとに "
            "np.sum(dout * out, axis=axis, keepdims=True) ととります",
        ),
    )
    assert_close(dx, _softmax_backward(dout, out), "softmax_backward(dout,out)")


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_backward_is_not_elementwise(rng):
    out = _softmax(rng.standard_normal((3, 5)))
    dout = rng.standard_normal((3, 5))
    dx = act.softmax_backward(dout, out)
    assert_not_mistake(
        dx,
        out * dout,
        msg(
            en="softmax_backward returned out·dout, as if softmax were elementwise: every "
            "output depends on every input of its row, so subtract the row's Σ dout·out: "
            "out * (dout - Σ dout·out)",
            ja="softmax_backward が out·dout を返しました。softmax は要素ごとの関数ではなく、"
            "各出力が行のすべての入力に依存します。行の Σ dout·out を引いて "
            "out * (dout - Σ dout·out) としましょう",
        ),
    )
    assert_close(dx, _softmax_backward(dout, out), "softmax_backward(dout,out)")


@pytest.mark.task("3.6")
def test_softmax_of_log_1_2_3_is_1_2_3_over_6():
    # e^0 = 1, e^ln2 = 2, e^ln3 = 3; the sum is 6, so the output is [1/6, 2/6, 3/6]
    out = act.softmax(np.array([0.0, LN2, LN3]))
    assert_array(out, (3,), "softmax([0,ln2,ln3])")
    assert_close(out, [1 / 6, 2 / 6, 3 / 6], "softmax([0,ln2,ln3])")


@pytest.mark.task("3.6")
def test_softmax_of_random_scores_along_the_default_last_axis(rng):
    x = 3.0 * rng.standard_normal((2, 3, 5))
    out = act.softmax(x)
    assert_array(out, x.shape, "softmax(x)")
    assert_close(out.sum(axis=-1), np.ones((2, 3)), "softmax(x).sum(axis=-1)")
    assert_close(
        out,
        _softmax(x, axis=-1),
        msg(
            en="softmax(x) of random 3-D x, normalised along the last axis by default",
            ja="ランダムな 3 次元の x に対する softmax(x)(既定では最後の軸で正規化)",
        ),
    )
    assert_close(act.softmax(x, axis=-1), out, "softmax(x,axis=-1)")


@pytest.mark.task("3.6")
def test_softmax_ignores_a_constant_added_to_each_row(rng):
    x = rng.standard_normal((4, 6))
    shift = 50.0 * rng.standard_normal((4, 1))  # a different constant for each row
    assert_close(
        act.softmax(x + shift),
        _softmax(x),
        msg(
            en="softmax(x + c) for a per-row constant c, which must equal softmax(x),",
            ja="行ごとの定数 c を足した softmax(x + c)(softmax(x) に等しいはず)",
        ),
    )


@pytest.mark.task("3.6")
@pytest.mark.parametrize(("shape", "axis"), [((4, 4), 0), ((4, 4), 1), ((2, 3, 4), 1)])
def test_softmax_normalises_along_the_given_axis(shape, axis, rng):
    x = rng.standard_normal(shape)
    out = act.softmax(x, axis=axis)
    assert_array(out, shape, f"softmax(x,axis={axis})")
    assert_close(out, _softmax(x, axis=axis), f"softmax(x,axis={axis})")


@pytest.mark.task("3.6")
def test_softmax_backward_hand_worked_and_sums_to_zero(rng):
    # out = [1/2, 1/2], dout = [1, 0]: Σ dout·out = 1/2, dx = [1/2·(1 - 1/2), 1/2·(0 - 1/2)]
    dx = act.softmax_backward(np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    assert_close(dx, [0.25, -0.25], "softmax_backward([1,0],[0.5,0.5])")
    # adding a constant to x never changes softmax, so dL/dx sums to 0 along the axis
    out = _softmax(rng.standard_normal((3, 5)))
    dx = act.softmax_backward(np.ones((3, 5)), out)
    assert_close(
        dx,
        np.zeros((3, 5)),
        msg(
            en="dx for dout of all ones (L = Σ softmax = 1 is constant, so dx = 0)",
            ja="dout がすべて 1 のときの dx(L = Σ softmax = 1 は定数なので dx = 0)",
        ),
    )


@pytest.mark.task("3.6")
def test_softmax_backward_of_random_data_along_the_default_last_axis(rng):
    out = _softmax(rng.standard_normal((2, 3, 5)))
    dout = rng.standard_normal((2, 3, 5))
    dx = act.softmax_backward(dout, out)
    assert_array(dx, (2, 3, 5), "softmax_backward(dout,out)")
    assert_close(dx.sum(axis=-1), np.zeros((2, 3)), "softmax_backward(dout,out).sum(axis=-1)")
    assert_close(
        dx,
        _softmax_backward(dout, out),
        msg(
            en="softmax_backward(dout, out) of random 3-D data, against the explicit Jacobian "
            "of each row (last axis by default)",
            ja="ランダムな 3 次元データの softmax_backward(dout, out)(各行のヤコビ行列を"
            "作って計算した値と比較、既定は最後の軸)",
        ),
    )
    assert_close(act.softmax_backward(dout, out, axis=-1), dx, "softmax_backward(dout,out,axis=-1)")


@pytest.mark.task("3.6")
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_backward_matches_finite_differences(axis, rng):
    x = rng.standard_normal((4, 4))  # square: the wrong axis cannot hide behind a shape error
    w = rng.standard_normal((4, 4))  # L = Σ w·softmax(x), so dL/dout = w
    out = _softmax(x, axis=axis)
    dx = act.softmax_backward(w, out, axis=axis)
    assert_close(dx, _softmax_backward(w, out, axis=axis), f"softmax_backward(w,out,axis={axis})")
    assert_grad_close(
        dx, lambda: np.sum(w * _softmax(x, axis=axis)), x, f"softmax_backward(w,out,axis={axis})"
    )
