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
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from checker.core.testing import (
    ATOL,
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
    dout, out = (np.moveaxis(np.asarray(a, dtype=float), axis, -1) for a in (dout, out))
    dx = np.empty(out.shape)
    for index in np.ndindex(out.shape[:-1]):
        p = out[index]
        dx[index] = dout[index] @ (np.diag(p) - np.outer(p, p))  # (V,) @ (V, V)
    return np.moveaxis(dx, -1, axis)


# what each function returns, worked out here, keyword arguments included
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
    "softmax": _softmax,
    "softmax_backward": _softmax_backward,
}


# ---------------------------------------------------------------- the README's mistakes


@dataclass(eq=False)
class Mistake:
    """A common mistake of the README that shows in ordinary values: what it computes,
    worked out here from the same arguments (None, or the right value, where it cannot
    show). The ones that only show at ±1e3 have tests of their own below."""

    task: str
    function: str
    name: str
    computes: Callable  # (*args, **kwargs) -> the mistaken value, a list of them, or None
    en: str
    ja: str
    kwargs: dict = field(default_factory=dict)  # how its own test calls the function

    def __str__(self) -> str:
        return f"{self.function}-{self.name}"

    def values(self, *args, **kwargs) -> list:
        found = self.computes(*args, **kwargs)
        return [] if found is None else found if isinstance(found, list) else [found]


def _gelu_grad_without_chain_factor(x, approximate=False):
    if not approximate:
        return None
    t = np.tanh(C * (x + K * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C  # the factor (1 + 3Kx²) left out


def _softmax_without_keepdims(x, axis=-1):
    """On a square matrix normalised along its rows, a row statistic without
    keepdims=True broadcasts along the columns: the max, or the sum."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] != x.shape[1] or axis % 2 == 0:
        return None
    e_cols = np.exp(x - x.max(axis=1))  # row i's max subtracted from column i
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return [e_cols / e_cols.sum(axis=1, keepdims=True), e / e.sum(axis=1)]


def _softmax_of_the_whole_array(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))  # with or without each row's shift
    return [np.exp(x) / np.exp(x).sum(), e / e.sum()]


MISTAKES = [
    Mistake(
        "3.1",
        "sigmoid",
        "abs_branch",
        lambda x: _sigmoid(np.abs(x)),
        en="sigmoid(x) is σ(|x|), at least 1/2 even for negative x: with "
        "z = np.exp(-np.abs(x)), use 1 / (1 + z) where x >= 0 and z / (1 + z) where x < 0 "
        "(np.where picks by the sign of x)",
        ja="sigmoid(x) が σ(|x|) になり、負の x でも 1/2 以上です。z = np.exp(-np.abs(x)) "
        "なら x >= 0 では 1 / (1 + z)、x < 0 では z / (1 + z) を使いましょう"
        "(np.where で x の符号によって選びます)",
    ),
    Mistake(
        "3.1",
        "sigmoid_grad",
        "output_form",
        lambda x: x * (1 - x),
        en="sigmoid_grad(x) returned x·(1 - x): s·(1 - s) is the derivative written with "
        "the OUTPUT s = σ(x), so compute s = sigmoid(x) first",
        ja="sigmoid_grad(x) が x·(1 - x) を返しました。s·(1 - s) は出力 s = σ(x) で書いた"
        "微分です。先に s = sigmoid(x) を計算しましょう",
    ),
    Mistake(
        "3.2",
        "tanh",
        "half_argument",
        lambda x: _tanh(np.asarray(x) / 2),
        en="tanh(x) returned 2σ(x) - 1, which is tanh(x/2): the identity is "
        "tanh(x) = 2σ(2x) - 1, with 2x inside the sigmoid",
        ja="tanh(x) が 2σ(x) - 1、つまり tanh(x/2) を返しました。正しい恒等式は "
        "tanh(x) = 2σ(2x) - 1 で、sigmoid の中は 2x です",
    ),
    Mistake(
        "3.2",
        "tanh_grad",
        "unsquared",
        lambda x: 1 - _tanh(x),
        en="tanh_grad(x) returned 1 - tanh(x): the derivative is 1 - tanh(x)², "
        "with the tanh squared",
        ja="tanh_grad(x) が 1 - tanh(x) を返しました。微分は tanh を 2 乗した 1 - tanh(x)² です",
    ),
    Mistake(
        "3.3",
        "relu_grad",
        "one_at_kink",
        lambda x: (np.asarray(x) >= 0).astype(float),
        en="relu_grad(0) is 1, but this course defines relu'(0) = 0: compare x > 0, not x >= 0",
        ja="relu_grad(0) が 1 ですが、このコースでは relu'(0) = 0 と決めています。"
        "x >= 0 ではなく x > 0 で比べましょう",
    ),
    *(
        Mistake(
            "3.4",
            name,
            "fixed_slope",
            lambda x, slope=0.01, oracle=oracle: oracle(x, slope=0.01),
            en=f"{name}(x, slope=0.2) used the slope 0.01: use the `slope` argument, "
            "not a hard-coded 0.01 (0.01 is only its default)",
            ja=f"{name}(x, slope=0.2) が傾き 0.01 を使いました。0.01 を書き込まず、"
            "引数 `slope` を使いましょう(0.01 はその既定値にすぎません)",
            kwargs={"slope": 0.2},
        )
        for name, oracle in [("leaky_relu", _leaky), ("leaky_relu_grad", _leaky_grad)]
    ),
    Mistake(
        "3.4",
        "leaky_relu",
        "wrong_side",
        lambda x, slope=0.01: np.where(np.asarray(x) > 0, slope * np.asarray(x), x),
        en="leaky_relu scaled the positive inputs and kept the negative ones: the slope "
        "belongs to x <= 0, np.where(x > 0, x, slope * x)",
        ja="leaky_relu が正の入力に傾きを掛け、負の入力をそのまま返しました。傾きを掛けるのは "
        "x <= 0 の側です: np.where(x > 0, x, slope * x)",
        kwargs={"slope": 0.2},
    ),
    Mistake(
        "3.4",
        "leaky_relu_grad",
        "one_at_kink",
        lambda x, slope=0.01: np.where(np.asarray(x) >= 0, 1.0, slope),
        en="leaky_relu_grad(0) is 1, but the derivative at the kink is defined as `slope` "
        "(as relu'(0) = 0 is slope 0): compare x > 0, not x >= 0",
        ja="leaky_relu_grad(0) が 1 ですが、折れ目での微分は `slope` と決めています"
        "(relu'(0) = 0 は slope = 0 の場合)。x >= 0 ではなく x > 0 で比べましょう",
        kwargs={"slope": 0.2},
    ),
    Mistake(
        "3.5",
        "gelu",
        "erf_of_x",
        lambda x, approximate=False: None if approximate else 0.5 * x * (1 + _each(math.erf, x)),
        en="gelu(x) used erf(x): the normal CDF is Φ(x) = (1 + erf(x / √2)) / 2, "
        "so divide by np.sqrt(2) inside erf",
        ja="gelu(x) が erf(x) を使っています。標準正規分布の累積分布関数は "
        "Φ(x) = (1 + erf(x / √2)) / 2 なので、erf の中で np.sqrt(2) で割りましょう",
    ),
    *(
        Mistake(
            "3.5",
            name,
            "ignores_approximate",
            lambda x, approximate=False, oracle=oracle: oracle(x),
            en=f"{name}(x, approximate=True) returned the exact erf form: with "
            "approximate=True use the tanh formula 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))",
            ja=f"{name}(x, approximate=True) が erf を使う厳密形を返しました。"
            "approximate=True のときは tanh の式 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) "
            "を使いましょう",
            kwargs={"approximate": True},
        )
        for name, oracle in [("gelu", _gelu), ("gelu_grad", _gelu_grad)]
    ),
    Mistake(
        "3.5",
        "gelu_grad",
        "no_product_rule",
        lambda x, approximate=False: None if approximate else _cdf(x),
        en="gelu_grad(x) returned Φ(x) alone: GELU(x) = x·Φ(x) is a product, so its "
        "derivative is Φ(x) + x·φ(x), with φ(x) = exp(-x²/2) / √(2π)",
        ja="gelu_grad(x) が Φ(x) だけを返しました。GELU(x) = x·Φ(x) は積なので、積の微分法則"
        "により微分は Φ(x) + x·φ(x) です(φ(x) = exp(-x²/2) / √(2π))",
    ),
    Mistake(
        "3.5",
        "gelu_grad",
        "no_chain_factor",
        _gelu_grad_without_chain_factor,
        en="gelu_grad(x, approximate=True) left out the chain-rule factor of the tanh's "
        "argument: d/dx √(2/π)(x + 0.044715x³) = √(2/π)(1 + 3·0.044715x²)",
        ja="gelu_grad(x, approximate=True) で、tanh の引数の微分(連鎖律の因子)が抜けています。"
        "d/dx √(2/π)(x + 0.044715x³) = √(2/π)(1 + 3·0.044715x²) を掛けましょう",
        kwargs={"approximate": True},
    ),
    Mistake(
        "3.6",
        "softmax",
        "no_keepdims",
        _softmax_without_keepdims,
        en="softmax of a square matrix mixed rows and columns: x.max(axis=axis) and "
        ".sum(axis=axis) drop the axis, so each row's result broadcasts along the columns; "
        "pass keepdims=True to both",
        ja="正方行列の softmax で行と列が混ざりました。x.max(axis=axis) や .sum(axis=axis) は"
        "軸を消すので、行ごとの値が列の方向にブロードキャストされます。どちらにも "
        "keepdims=True を付けましょう",
    ),
    Mistake(
        "3.6",
        "softmax",
        "whole_array",
        _softmax_of_the_whole_array,
        en="the whole output of softmax sums to 1, rather than each row: sum along `axis` "
        "with keepdims=True, e.sum(axis=axis, keepdims=True)",
        ja="softmax の出力が行ごとではなく全体で和 1 になっています。"
        "e.sum(axis=axis, keepdims=True) のように `axis` に沿って和をとりましょう",
    ),
    Mistake(
        "3.6",
        "softmax_backward",
        "whole_array",
        lambda dout, out, axis=-1: out * (dout - np.sum(dout * out)),
        en="softmax_backward summed dout·out over the whole array: the sum belongs to each "
        "row, np.sum(dout * out, axis=axis, keepdims=True)",
        ja="softmax_backward が dout·out を配列全体で合計しました。和は行ごとに "
        "np.sum(dout * out, axis=axis, keepdims=True) ととります",
    ),
    Mistake(
        "3.6",
        "softmax_backward",
        "elementwise",
        lambda dout, out, axis=-1: out * dout,
        en="softmax_backward returned out·dout, as if softmax were elementwise: every "
        "output depends on every input of its row, so subtract the row's Σ dout·out, "
        "out * (dout - Σ dout·out)",
        ja="softmax_backward が out·dout を返しました。softmax は要素ごとの関数ではなく、"
        "各出力が行のすべての入力に依存します。行の Σ dout·out を引いて "
        "out * (dout - Σ dout·out) としましょう",
    ),
]


def _mistakes_of(task):
    return [m for m in MISTAKES if m.task == task]


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


def _generated(name, rng, dtype=np.float64):
    """Arguments for one call of `name` on generated data: a square matrix, so a row
    statistic that lost its axis cannot hide behind a shape error."""
    x = _random(rng, (4, 4))
    if name == "softmax_backward":
        return rng.standard_normal((4, 4)).astype(dtype), _softmax(x).astype(dtype)
    return (x.astype(dtype),)


def _show(x):
    """[0,800] or [[1000,1000],[...]]: a small array as code, without NumPy's padding."""
    if np.ndim(x) == 0:
        return f"{float(x):g}"
    return "[" + ",".join(_show(v) for v in x) + "]"


def _on_random(name):
    return msg(en=f"{name} of random data", ja=f"ランダムなデータに対する {name}")


def _assert_not_mistaken(out, expected, mistake, args, kwargs):
    """Name `mistake` when `out` is what it computes (and that differs from `expected`)."""
    for wrong in mistake.values(*args, **kwargs):
        if not np.allclose(wrong, expected, rtol=RTOL, atol=ATOL):  # it shows on these args
            assert_not_mistake(out, wrong, msg(en=mistake.en, ja=mistake.ja))


def _assert_value(name, out, args, what, rtol=RTOL, **kwargs):
    """`out` of name(*args, **kwargs) equals the oracle's value; a README mistake that would
    give another value on these arguments is named first, whichever test meets it."""
    expected = ORACLE[name](*args, **kwargs)
    for mistake in MISTAKES:
        if mistake.function == name:
            _assert_not_mistaken(out, expected, mistake, args, kwargs)
    assert_close(out, expected, what, rtol=rtol)


def _check_leaves_inputs_alone(name, rng, **kwargs):
    args = _generated(name, rng)
    out = assert_inputs_unchanged(getattr(act, name), *args, **kwargs)
    _assert_value(name, out, args, _on_random(name), **kwargs)


def _check_returns_float64(name, rng, **kwargs):
    """float32 and integer input come back as float64 arrays of the input's shape, with
    the values of a float64 computation."""
    calls = [(_generated(name, rng, np.float32), f"{name}(float32_input)")]
    if name != "softmax_backward":
        calls.append(((np.array([[-3, -1, 0], [0, 2, 5]]),), f"{name}(int_input)"))
    for args, what in calls:
        out = getattr(act, name)(*args, **kwargs)
        assert not (isinstance(out, np.ndarray) and out.dtype == bool), msg(
            en=f"{what} returned booleans (True/False): turn the comparison into 0.0 and 1.0 "
            "with .astype(float)",
            ja=f"{what} が真偽値 (True/False) を返しました。比較の結果は .astype(float) で "
            "0.0 と 1.0 に変換しましょう",
        )
        assert_array(out, args[0].shape, what)
        _assert_value(name, out, args, what, rtol=PROMOTED_RTOL, **kwargs)


def _check_not_the_mistake(mistake, rng):
    args = _generated(mistake.function, rng)
    expected = ORACLE[mistake.function](*args, **mistake.kwargs)
    visible = [w for w in mistake.values(*args, **mistake.kwargs) if not np.allclose(w, expected)]
    assert visible, msg(
        en=f"test bug: the data cannot show the mistake {mistake}",
        ja=f"テストの不具合: このデータでは間違い {mistake} が現れません",
    )
    out = getattr(act, mistake.function)(*args, **mistake.kwargs)
    _assert_not_mistaken(out, expected, mistake, args, mistake.kwargs)
    _assert_value(mistake.function, out, args, _on_random(mistake.function), **mistake.kwargs)


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
    _check_leaves_inputs_alone(name, rng)


@pytest.mark.task("3.1")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])
def test_sigmoid_returns_float64_of_the_input_shape(name, rng):
    _check_returns_float64(name, rng)


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
@pytest.mark.parametrize("mistake", _mistakes_of("3.1"), ids=str)
def test_sigmoid_is_not_a_common_mistake(mistake, rng):
    _check_not_the_mistake(mistake, rng)


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
    _assert_value("sigmoid", out, (x,), _on_random("sigmoid"))
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
    _assert_value("sigmoid_grad", grad, (x,), _on_random("sigmoid_grad"))
    assert_grad_close(w * grad, lambda: np.sum(w * _sigmoid(x)), x, "w*sigmoid_grad(x)")


# ---------------------------------------------------------------- 3.2 tanh


@pytest.mark.task("3.2")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["tanh", "tanh_grad"])
def test_tanh_leaves_its_input_alone(name, rng):
    _check_leaves_inputs_alone(name, rng)


@pytest.mark.task("3.2")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["tanh", "tanh_grad"])
def test_tanh_returns_float64_of_the_input_shape(name, rng):
    _check_returns_float64(name, rng)


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
@pytest.mark.parametrize("mistake", _mistakes_of("3.2"), ids=str)
def test_tanh_is_not_a_common_mistake(mistake, rng):
    _check_not_the_mistake(mistake, rng)


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
        en="Compute tanh_grad as 1 - t*t from your stable tanh",
        ja="tanh_grad は安定な tanh から t を求めて 1 - t*t としましょう",
    )
    assert_array(grad, x.shape, "tanh_grad(x)")


@pytest.mark.task("3.2")
def test_tanh_of_random_values_is_odd(rng):
    x = 3.0 * rng.standard_normal((2, 3, 4))
    out = act.tanh(x)
    assert_array(out, x.shape, "tanh(x)")
    _assert_value("tanh", out, (x,), _on_random("tanh"))
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
    _assert_value("tanh_grad", grad, (x,), _on_random("tanh_grad"))
    assert_grad_close(w * grad, lambda: np.sum(w * np.tanh(x)), x, "w*tanh_grad(x)")


# ---------------------------------------------------------------- 3.3 ReLU


@pytest.mark.task("3.3")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_relu_leaves_its_input_alone(name, rng):
    _check_leaves_inputs_alone(name, rng)


@pytest.mark.task("3.3")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_relu_returns_float64_of_the_input_shape(name, rng):
    _check_returns_float64(name, rng)


@pytest.mark.task("3.3")
@pytest.mark.checks("types")
def test_relu_takes_a_list_of_ints():
    # the docstring: "an array-like of ints is fine"
    out = act.relu([-2, 0, 3])
    assert_array(out, (3,), "relu([-2,0,3])")
    assert_close(out, [0.0, 0.0, 3.0], "relu([-2,0,3])")


@pytest.mark.task("3.3")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("mistake", _mistakes_of("3.3"), ids=str)
def test_relu_is_not_a_common_mistake(mistake, rng):
    _check_not_the_mistake(mistake, rng)


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
    _assert_value("relu", out, (x,), _on_random("relu"))


@pytest.mark.task("3.3")
def test_relu_returns_a_new_array_even_when_nothing_changes(rng):
    x = 0.1 + rng.random((3, 4))  # all positive: relu(x) equals x, yet must be a new array
    out = act.relu(x)
    assert_close(out, x, msg(en="relu(x) of positive x", ja="正の x に対する relu(x)"))
    assert not np.shares_memory(out, x), msg(
        en="relu returned its input array itself: return a new array (np.maximum makes one), "
        "so that changing the result never changes x",
        ja="relu が入力の配列そのものを返しました。新しい配列を返しましょう(np.maximum は"
        "新しい配列を作ります)。結果を書き換えても x が変わらないようにするためです",
    )


@pytest.mark.task("3.3")
def test_relu_grad_matches_finite_differences_away_from_the_kink(rng):
    x = _away_from_zero(rng, (3, 4))
    w = rng.standard_normal((3, 4))  # L = Σ w·max(x, 0)
    grad = act.relu_grad(x)
    _assert_value("relu_grad", grad, (x,), _on_random("relu_grad"))
    assert_grad_close(w * grad, lambda: np.sum(w * np.maximum(x, 0.0)), x, "w*relu_grad(x)")


# ---------------------------------------------------------------- 3.4 leaky ReLU


@pytest.mark.task("3.4")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_leaky_relu_leaves_its_input_alone(name, slope, rng):
    _check_leaves_inputs_alone(name, rng, slope=slope)


@pytest.mark.task("3.4")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
def test_leaky_relu_returns_float64_of_the_input_shape(name, rng):
    _check_returns_float64(name, rng, slope=0.2)


@pytest.mark.task("3.4")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("mistake", _mistakes_of("3.4"), ids=str)
def test_leaky_relu_is_not_a_common_mistake(mistake, rng):
    _check_not_the_mistake(mistake, rng)


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
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
def test_leaky_relu_of_random_values_and_slope(name, rng):
    x = _random(rng, (2, 3, 4))
    slope = rng.uniform(0.05, 0.5)
    out = getattr(act, name)(x, slope)
    assert_array(out, x.shape, f"{name}(x,slope)")
    what = msg(
        en=f"{name}(x, slope) of random x and slope {num(slope)}",
        ja=f"ランダムな x と slope {num(slope)} に対する {name}(x, slope)",
    )
    _assert_value(name, out, (x,), what, slope=slope)


@pytest.mark.task("3.4")
def test_leaky_relu_grad_matches_finite_differences_away_from_the_kink(rng):
    x = _away_from_zero(rng, (4, 3))
    w = rng.standard_normal((4, 3))  # L = Σ w·leaky(x)
    grad = act.leaky_relu_grad(x, slope=0.1)
    _assert_value("leaky_relu_grad", grad, (x,), "leaky_relu_grad(x,slope=0.1)", slope=0.1)
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
    _check_leaves_inputs_alone(name, rng, approximate=approximate)


@pytest.mark.task("3.5")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["gelu", "gelu_grad"])
@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_returns_float64_of_the_input_shape(name, approximate, rng):
    _check_returns_float64(name, rng, approximate=approximate)


@pytest.mark.task("3.5")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("mistake", _mistakes_of("3.5"), ids=str)
def test_gelu_is_not_a_common_mistake(mistake, rng):
    _check_not_the_mistake(mistake, rng)


@pytest.mark.task("3.5")
def test_gelu_at_known_points_in_both_forms():
    # GELU(0) = 0·Φ(0) = 0;  GELU(±1) = ±Φ(±1);  ±1e3: Φ = 1 or 0, so 1e3 and 0
    # GELU'(0) = 1/2 + 0 = 1/2 (tanh form: 0.5·(1 + tanh 0) = 1/2);  GELU'(±1e3) = 1 and 0
    x = np.array([0.0, 1.0, -1.0, 1e3, -1e3])
    pdf1 = float(_pdf(1.0))
    cdf1, cdf_1 = float(_cdf(1.0)), float(_cdf(-1.0))
    assert_close(act.gelu(x), [0.0, cdf1, -cdf_1, 1e3, 0.0], "gelu([0,1,-1,1e3,-1e3])")
    grad_at = [0.5, cdf1 + pdf1, cdf_1 - pdf1, 1.0, 0.0]
    assert_close(act.gelu_grad(x), grad_at, "gelu_grad([0,1,-1,1e3,-1e3])")
    for approximate in (False, True):
        form = f"approximate={approximate}"
        for name, expected in [("gelu", [0.0, 1e3, 0.0]), ("gelu_grad", [0.5, 1.0, 0.0])]:
            _assert_stable(
                getattr(act, name),
                x[[0, 3, 4]],
                expected,
                f"{name}([0,1e3,-1e3],{form})",
                en="In both forms GELU(0) = 0, GELU(1e3) = 1e3, GELU(-1e3) = 0, and "
                "GELU'(0) = 0.5, GELU'(1e3) = 1, GELU'(-1e3) = 0",
                ja="どちらの形でも GELU(0) = 0、GELU(1e3) = 1e3、GELU(-1e3) = 0、"
                "GELU'(0) = 0.5、GELU'(1e3) = 1、GELU'(-1e3) = 0 です",
                approximate=approximate,
            )


@pytest.mark.task("3.5")
@pytest.mark.parametrize("name", ["gelu", "gelu_grad"])
def test_gelu_of_random_values_is_exact_by_default(name, rng):
    x = _random(rng, (2, 3, 4))
    function = getattr(act, name)
    out = function(x)
    assert_array(out, x.shape, f"{name}(x)")
    what = msg(
        en=f"{name}(x) of random x, whose default is the exact erf form,",
        ja=f"ランダムな x に対する {name}(x)(既定は erf を使う厳密形)",
    )
    _assert_value(name, out, (x,), what)
    assert_close(function(x, approximate=False), out, f"{name}(x,approximate=False)")


@pytest.mark.task("3.5")
@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_minus_its_mirror_image_is_x(approximate, rng):
    # Φ(x) + Φ(-x) = 1, so GELU(x) - GELU(-x) = x·Φ(x) + x·Φ(-x) = x; the tanh form too
    x = _random(rng, (3, 4))
    out = act.gelu(x, approximate=approximate)
    _assert_value("gelu", out, (x,), f"gelu(x,approximate={approximate})", approximate=approximate)
    assert_close(
        out - act.gelu(-x, approximate=approximate),
        x,
        msg(
            en=f"gelu(x) - gelu(-x) with approximate={approximate}, which must equal x,",
            ja=f"approximate={approximate} での gelu(x) - gelu(-x)(x に等しいはず)",
        ),
    )


@pytest.mark.task("3.5")
def test_gelu_tanh_approximation_is_within_5e_4_of_the_exact_form():
    grid = np.linspace(-6.0, 6.0, 241)
    approx = act.gelu(grid, approximate=True)
    _assert_value("gelu", approx, (grid,), "gelu(grid,approximate=True)", approximate=True)
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
    what = f"gelu_grad(x,approximate={approximate})"
    _assert_value("gelu_grad", grad, (x,), what, approximate=approximate)
    assert_grad_close(w * grad, lambda: np.sum(w * _gelu(x, approximate)), x, f"w*{what}")


# ---------------------------------------------------------------- 3.6 softmax


@pytest.mark.task("3.6")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("name", ["softmax", "softmax_backward"])
def test_softmax_leaves_its_inputs_alone(name, rng):
    _check_leaves_inputs_alone(name, rng)


@pytest.mark.task("3.6")
@pytest.mark.checks("types")
@pytest.mark.parametrize("name", ["softmax", "softmax_backward"])
def test_softmax_returns_float64_of_the_input_shape(name, rng):
    _check_returns_float64(name, rng)


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_subtracts_the_max_before_exp():
    # [a, a + ln 3] → [1, 3] / 4 for any a; np.exp(1000) = inf, and np.exp(-1000) = 0 gives 0/0
    for x in (np.array([[1e3, 1e3 + LN3], [1e3 + LN3, 1e3]]), np.array([[-1e3, -1e3 + LN3]])):
        _assert_stable(
            act.softmax,
            x,
            [[0.25, 0.75], [0.75, 0.25]][: len(x)],
            f"softmax({_show(x)})",
            en="np.exp(x) / np.exp(x).sum() overflows (inf / inf) at scores of 1000 and "
            "underflows (0 / 0) at -1000: subtract each row's maximum before np.exp",
            ja="np.exp(x) / np.exp(x).sum() はスコア 1000 でオーバーフロー (inf / inf)、"
            "-1000 でアンダーフロー (0 / 0) します。np.exp の前に各行の最大値を引きましょう",
        )


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([0.0, 800.0], [0.0, 1.0]),  # [e^-800, 1] / (1 + e^-800), and e^-800 is 0 in float64
        ([-1e3, 0.0, 1e3], [0.0, 0.0, 1.0]),
        ([800.0, 800.0 + LN3, 0.0], [0.25, 0.75, 0.0]),
    ],
    ids=["0,800", "-1000,0,1000", "800,800+ln3,0"],
)
def test_softmax_subtracts_the_maximum_not_the_minimum(x, expected):
    # shifting by the minimum leaves e^(max - min) = e^800 = inf
    _assert_stable(
        act.softmax,
        np.array(x),
        expected,
        f"softmax({_show(x)})",
        en="The largest exponent must be e^0 = 1: subtract the row's maximum, not its "
        "minimum (x - min reaches e^(max - min), which overflows once a row spans 710)",
        ja="最大の指数は e^0 = 1 でなければなりません。各行の最小値ではなく最大値を引き"
        "ましょう(x - min では e^(max - min) となり、行の幅が 710 を超えるとオーバーフロー"
        "します)",
    )


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
def test_softmax_subtracts_each_rows_own_maximum():
    # the global max (ln 3) leaves the second row at e^-2000 = 0 for both entries: 0 / 0
    _assert_stable(
        act.softmax,
        np.array([[0.0, LN3], [-2e3, -2e3 + LN3]]),
        [[0.25, 0.75], [0.25, 0.75]],
        "softmax([[0,ln3],[-2000,-2000+ln3]])",
        en="Subtract each row's own maximum, x.max(axis=axis, keepdims=True), not the "
        "maximum of the whole array: a row far below the others still becomes 0 / 0",
        ja="配列全体の最大値ではなく、各行の最大値 x.max(axis=axis, keepdims=True) を"
        "引きましょう。他の行よりずっと小さい行は 0 / 0 になってしまいます",
    )


@pytest.mark.task("3.6")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("mistake", _mistakes_of("3.6"), ids=str)
def test_softmax_is_not_a_common_mistake(mistake, rng):
    _check_not_the_mistake(mistake, rng)


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
    what = msg(
        en="softmax(x) of random 3-D x, normalised along the last axis by default,",
        ja="ランダムな 3 次元の x に対する softmax(x)(既定では最後の軸で正規化)",
    )
    _assert_value("softmax", out, (x,), what)
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
    _assert_value("softmax", out, (x,), f"softmax(x,axis={axis})", axis=axis)


@pytest.mark.task("3.6")
def test_softmax_backward_hand_worked_and_zero_for_a_constant_loss(rng):
    # out = [1/2, 1/2], dout = [1, 0]: Σ dout·out = 1/2, dx = [1/2·(1 - 1/2), 1/2·(0 - 1/2)]
    dx = act.softmax_backward(np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    assert_close(dx, [0.25, -0.25], "softmax_backward([1,0],[0.5,0.5])")
    out = _softmax(rng.standard_normal((3, 5)))
    assert_close(
        act.softmax_backward(np.ones((3, 5)), out),
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
    # adding a constant to x never changes softmax, so dL/dx sums to 0 along the axis
    assert_close(dx.sum(axis=-1), np.zeros((2, 3)), "softmax_backward(dout,out).sum(axis=-1)")
    what = msg(
        en="softmax_backward(dout, out) of random 3-D data, against the explicit Jacobian "
        "of each row (last axis by default),",
        ja="ランダムな 3 次元データの softmax_backward(dout, out)(各行のヤコビ行列を"
        "作って計算した値と比較、既定は最後の軸)",
    )
    _assert_value("softmax_backward", dx, (dout, out), what)
    assert_close(act.softmax_backward(dout, out, axis=-1), dx, "softmax_backward(dout,out,axis=-1)")


@pytest.mark.task("3.6")
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_backward_matches_finite_differences(axis, rng):
    x = rng.standard_normal((4, 4))  # square: the wrong axis cannot hide behind a shape error
    w = rng.standard_normal((4, 4))  # L = Σ w·softmax(x), so dL/dout = w
    out = _softmax(x, axis=axis)
    dx = act.softmax_backward(w, out, axis=axis)
    what = f"softmax_backward(w,out,axis={axis})"
    _assert_value("softmax_backward", dx, (w, out), what, axis=axis)
    assert_grad_close(dx, lambda: np.sum(w * _softmax(x, axis=axis)), x, what)
