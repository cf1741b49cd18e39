"""Day 3 suite: each activation has the right values at known points, stays finite and
warning-free at ±1e3, and each derivative matches central finite differences."""

import math
import warnings

import numpy as np
import pytest

from checker.core.testing import assert_close, assert_grad_close, assert_shape, implementation

act = implementation("day03_activations.activations")

LN2, LN3 = math.log(2.0), math.log(3.0)


def _call_watching_overflow(fn, *args, **kwargs):
    """Call fn; return its result and the overflow / invalid / divide warnings NumPy raised.
    (Underflow, e.g. exp(-1000) = 0, is harmless and ignored.)"""
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"),
    ):
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def _away_from_zero(rng, shape, gap=0.1):
    """Random points with |x| >= gap, so no finite difference straddles a ReLU kink."""
    x = rng.standard_normal(shape)
    return np.sign(x) * (gap + np.abs(x))


def _normal_cdf(x):
    """Φ(x) = (1 + erf(x/√2)) / 2, entry by entry with the standard library."""
    return np.array([0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in np.ravel(x)]).reshape(
        np.shape(x)
    )


def _normal_pdf(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _softmax_plain(x, axis=-1):
    """Textbook softmax for moderate scores (no max subtraction needed at |x| < 10)."""
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------- 3.1 sigmoid


@pytest.mark.task("3.1")
def test_sigmoid_at_hand_worked_points():
    # σ(0) = 1/(1+1) = 1/2;  σ(ln 3) = 1/(1 + 1/3) = 3/4;  σ(-ln 3) = 1/(1 + 3) = 1/4
    out = act.sigmoid(np.array([0.0, LN3, -LN3]))
    assert_shape(out, (3,), "sigmoid of 3 numbers")
    assert_close(out, [0.5, 0.75, 0.25], "sigmoid at [0, ln 3, -ln 3]")


@pytest.mark.task("3.1")
def test_sigmoid_keeps_shape_and_is_point_symmetric(rng):
    x = 4.0 * rng.standard_normal((2, 3, 4))
    out = act.sigmoid(x)
    assert_shape(out, x.shape, "sigmoid works elementwise, so its output")
    assert out.dtype == np.float64, f"sigmoid should return float64, got {out.dtype}"
    assert_close(out, 1.0 / (1.0 + np.exp(-x)), "sigmoid of moderate values (1/(1+e^-x))")
    assert_close(act.sigmoid(-x), 1.0 - out, "sigmoid(-x), which must equal 1 - sigmoid(x)")


@pytest.mark.task("3.1")
def test_sigmoid_is_stable_at_plus_minus_1e3():
    # e^710 is beyond float64 (max ≈ e^709.8): 1/(1+np.exp(-x)) overflows at x = -710
    x = np.array([[-1e3, -710.0], [710.0, 1e3]])
    out, overflow = _call_watching_overflow(act.sigmoid, x)
    assert not overflow, (
        f"sigmoid overflowed inside np.exp at x = -1e3 ({overflow[0]}) — for x < 0 compute "
        "e^x / (1 + e^x), which only ever takes exp of a negative number"
    )
    assert_close(out, [[0.0, 0.0], [1.0, 1.0]], "sigmoid at ±710 and ±1e3 (saturated: 0 and 1)")


@pytest.mark.task("3.1")
def test_sigmoid_grad_at_hand_worked_points():
    # σ'(0) = 1/2·1/2 = 1/4;  σ'(±ln 3) = 3/4·1/4 = 3/16;  σ'(±1e3) = 0 (flat tails)
    x = np.array([0.0, LN3, -LN3, 1e3, -1e3])
    grad, overflow = _call_watching_overflow(act.sigmoid_grad, x)
    assert not overflow, f"sigmoid_grad overflowed at ±1e3 ({overflow[0]}) — reuse a stable sigmoid"
    assert_close(grad, [0.25, 0.1875, 0.1875, 0.0, 0.0], "sigmoid_grad at [0, ±ln 3, ±1e3]")


@pytest.mark.task("3.1")
def test_sigmoid_grad_matches_finite_differences(rng):
    x = 3.0 * rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))  # loss L = Σ w·σ(x), so dL/dx = w·σ'(x)
    analytic = w * act.sigmoid_grad(x)
    assert_grad_close(analytic, lambda: np.sum(w / (1.0 + np.exp(-x))), x, "w * sigmoid_grad(x)")


# ---------------------------------------------------------------- 3.2 tanh


@pytest.mark.task("3.2")
def test_tanh_at_hand_worked_points_and_matches_numpy(rng):
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 1.5 / 2.5 = 0.6; tanh is odd, tanh(0) = 0
    assert_close(act.tanh(np.array([0.0, LN2, -LN2])), [0.0, 0.6, -0.6], "tanh at [0, ±ln 2]")
    x = 3.0 * rng.standard_normal((2, 5))
    out = act.tanh(x)
    assert_shape(out, x.shape, "tanh works elementwise, so its output")
    assert_close(out, np.tanh(x), "tanh of random values (compared with np.tanh)")


@pytest.mark.task("3.2")
def test_tanh_is_stable_at_plus_minus_1e3():
    x = np.array([-1e3, -400.0, 400.0, 1e3])
    out, overflow = _call_watching_overflow(act.tanh, x)
    assert not np.any(np.isnan(out)), (
        "tanh(±1e3) is NaN — (e^x - e^-x)/(e^x + e^-x) becomes inf/inf; "
        "use tanh(x) = 2σ(2x) - 1 with your stable sigmoid"
    )
    assert not overflow, f"tanh overflowed at ±1e3 ({overflow[0]}) — build it on a stable sigmoid"
    assert_close(out, [-1.0, -1.0, 1.0, 1.0], "tanh at ±400 and ±1e3 (saturated: ±1)")


@pytest.mark.task("3.2")
def test_tanh_grad_at_hand_worked_points():
    # tanh'(0) = 1 - 0² = 1;  tanh'(ln 2) = 1 - 0.6² = 0.64;  tanh'(±1e3) = 1 - 1 = 0
    grad, overflow = _call_watching_overflow(act.tanh_grad, np.array([0.0, LN2, 1e3, -1e3]))
    assert not overflow, f"tanh_grad overflowed at ±1e3 ({overflow[0]}) — reuse a stable tanh"
    assert_close(grad, [1.0, 0.64, 0.0, 0.0], "tanh_grad at [0, ln 2, ±1e3]")


@pytest.mark.task("3.2")
def test_tanh_grad_matches_finite_differences(rng):
    x = 2.0 * rng.standard_normal((4, 3))
    w = rng.standard_normal((4, 3))  # L = Σ w·tanh(x)
    analytic = w * act.tanh_grad(x)
    assert_grad_close(analytic, lambda: np.sum(w * np.tanh(x)), x, "w * tanh_grad(x)")


# ---------------------------------------------------------------- 3.3 ReLU


@pytest.mark.task("3.3")
def test_relu_zeroes_negatives_and_keeps_positives(rng):
    # max(-2, 0) = 0, max(-0.5, 0) = 0, max(0, 0) = 0, max(0.5, 0) = 0.5, max(3, 0) = 3
    out = act.relu(np.array([-2.0, -0.5, 0.0, 0.5, 3.0]))
    assert_close(out, [0.0, 0.0, 0.0, 0.5, 3.0], "relu at [-2, -0.5, 0, 0.5, 3]")
    x = 1e3 * rng.standard_normal((2, 3, 4))
    out = act.relu(x)
    assert_shape(out, x.shape, "relu works elementwise, so its output")
    assert_close(out, np.where(x > 0, x, 0.0), "relu of values up to ±1e3")


@pytest.mark.task("3.3")
def test_relu_returns_a_new_float_array_and_leaves_its_input_alone():
    x = np.array([[-1.5, 2.0], [0.25, -3.0]])
    saved = x.copy()
    act.relu(x)
    assert np.array_equal(x, saved), (
        "relu changed its input array in place (x[x < 0] = 0?) — the forward pass needs x "
        "again for the backward pass; return a new array, e.g. np.maximum(x, 0)"
    )
    out = act.relu([-2, 0, 3])  # a plain list of ints
    assert np.asarray(out).dtype == np.float64, (
        f"relu([-2, 0, 3]) should return float64, got {np.asarray(out).dtype} — "
        "convert with np.asarray(x, dtype=float) first"
    )
    assert_close(out, [0.0, 0.0, 3.0], "relu of the list [-2, 0, 3]")


@pytest.mark.task("3.3")
def test_relu_grad_is_one_for_positives_and_zero_elsewhere_including_zero():
    out = act.relu_grad(np.array([-2.0, -1e-3, 0.0, 1e-3, 3.0]))
    assert_shape(out, (5,), "relu_grad of 5 numbers")
    assert np.asarray(out).dtype == np.float64, (
        f"relu_grad should return float64 0.0/1.0, got {np.asarray(out).dtype} — "
        "convert the comparison with .astype(float)"
    )
    assert out[2] == 0.0, (
        f"relu_grad(0) is {out[2]}, but this course defines relu'(0) = 0 — use x > 0, not x >= 0"
    )
    assert_close(out, [0.0, 0.0, 0.0, 1.0, 1.0], "relu_grad at [-2, -0.001, 0, 0.001, 3]")


@pytest.mark.task("3.3")
def test_relu_grad_matches_finite_differences_away_from_the_kink(rng):
    x = _away_from_zero(rng, (3, 4))
    w = rng.standard_normal((3, 4))  # L = Σ w·max(x, 0)
    analytic = w * act.relu_grad(x)
    assert_grad_close(analytic, lambda: np.sum(w * np.maximum(x, 0.0)), x, "w * relu_grad(x)")


# ---------------------------------------------------------------- 3.4 leaky ReLU


@pytest.mark.task("3.4")
def test_leaky_relu_scales_negatives_by_the_default_slope():
    # slope 0.01: -2 → -2·0.01 = -0.02;  0 → 0;  3 → 3
    out = act.leaky_relu(np.array([[-2.0, 0.0, 3.0]]))
    assert_shape(out, (1, 3), "leaky_relu works elementwise, so its output")
    assert_close(out, [[-0.02, 0.0, 3.0]], "leaky_relu at [-2, 0, 3] with the default slope 0.01")


@pytest.mark.task("3.4")
def test_leaky_relu_uses_the_given_slope_and_leaves_its_input_alone():
    # slope 0.2: -2 → -0.4;  -0.5 → -0.1;  0 → 0;  3 → 3.   slope 0 is plain ReLU.
    x = np.array([-2.0, -0.5, 0.0, 3.0])
    saved = x.copy()
    out = act.leaky_relu(x, slope=0.2)
    assert np.array_equal(x, saved), "leaky_relu changed its input in place — return a new array"
    assert_close(out, [-0.4, -0.1, 0.0, 3.0], "leaky_relu(x, slope=0.2) — is `slope` used?")
    assert_close(act.leaky_relu(x, slope=0.0), [0.0, 0.0, 0.0, 3.0], "leaky_relu with slope 0")


@pytest.mark.task("3.4")
def test_leaky_relu_grad_is_one_for_positives_and_slope_elsewhere():
    # the kink x = 0 takes the slope (documented), as relu'(0) = 0 is slope 0
    x = np.array([-2.0, 0.0, 3.0])
    out = act.leaky_relu_grad(x)
    assert np.asarray(out).dtype == np.float64, (
        f"leaky_relu_grad should return float64, got {np.asarray(out).dtype}"
    )
    assert_close(out, [0.01, 0.01, 1.0], "leaky_relu_grad at [-2, 0, 3], default slope 0.01")
    assert_close(
        act.leaky_relu_grad(x, slope=0.2),
        [0.2, 0.2, 1.0],
        "leaky_relu_grad(x, slope=0.2) at [-2, 0, 3] — is `slope` used?",
    )


@pytest.mark.task("3.4")
def test_leaky_relu_grad_matches_finite_differences_away_from_the_kink(rng):
    x = _away_from_zero(rng, (4, 3))
    w = rng.standard_normal((4, 3))  # L = Σ w·leaky(x)
    analytic = w * act.leaky_relu_grad(x, slope=0.1)
    assert_grad_close(
        analytic,
        lambda: np.sum(w * np.where(x > 0, x, 0.1 * x)),
        x,
        "w * leaky_relu_grad(x, slope=0.1)",
    )


# ---------------------------------------------------------------- 3.5 GELU


@pytest.mark.task("3.5")
def test_gelu_is_x_times_the_normal_cdf(rng):
    # GELU(0) = 0·Φ(0) = 0;  GELU(1) = Φ(1);  GELU(-1) = -Φ(-1);  ±1e3: Φ = 1 or 0
    x = np.array([0.0, 1.0, -1.0, 1e3, -1e3])
    expected = [0.0, _normal_cdf(1.0), -_normal_cdf(-1.0), 1e3, 0.0]
    out, overflow = _call_watching_overflow(act.gelu, x)
    assert not overflow, f"gelu overflowed at ±1e3 ({overflow[0]})"
    assert_close(out, expected, "gelu at [0, 1, -1, 1e3, -1e3] (exact form x·Φ(x))")
    # Φ(x) + Φ(-x) = 1, so GELU(x) - GELU(-x) = x·Φ(x) + x·Φ(-x) = x
    x = 2.0 * rng.standard_normal((3, 4))
    out = act.gelu(x)
    assert_shape(out, x.shape, "gelu works elementwise, so its output")
    assert_close(out - act.gelu(-x), x, "gelu(x) - gelu(-x), which must equal x")


@pytest.mark.task("3.5")
def test_gelu_tanh_approximation_follows_its_formula(rng):
    x = 3.0 * rng.standard_normal((2, 6))
    c = math.sqrt(2.0 / math.pi)
    expected = np.array([0.5 * v * (1.0 + math.tanh(c * (v + 0.044715 * v**3))) for v in x.ravel()])
    # at x = 1 the two forms differ by about 1.5e-4: a gelu that ignores the flag fails here
    at_one = act.gelu(np.array([1.0]), approximate=True)[0]
    assert abs(at_one - _normal_cdf(1.0)) > 1e-5, (
        "gelu(1, approximate=True) equals the exact 1·Φ(1) — is `approximate` ignored?"
    )
    out = act.gelu(x, approximate=True)
    assert_shape(out, x.shape, "gelu(x, approximate=True)")
    assert_close(
        out,
        expected.reshape(x.shape),
        "gelu(x, approximate=True): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))",
    )
    # the approximation's largest error is about 4.7e-4 (near |x| ≈ 2); 1e-3 leaves room
    grid = np.linspace(-6.0, 6.0, 241)
    gap = np.max(np.abs(act.gelu(grid, approximate=True) - grid * _normal_cdf(grid)))
    assert gap < 1e-3, f"the tanh approximation is {gap:.2g} away from x·Φ(x); it should be < 1e-3"


@pytest.mark.task("3.5")
def test_gelu_grad_at_known_points_in_both_forms():
    # GELU'(x) = Φ(x) + x·φ(x):  GELU'(0) = 1/2 + 0 = 1/2;  GELU'(±1) = Φ(±1) ± φ(1)
    # tanh form at 0: 0.5·(1 + tanh 0) + 0 = 1/2.   Far tails: 1 at 1e3, 0 at -1e3.
    x = np.array([0.0, 1.0, -1.0, 1e3, -1e3])
    pdf1 = _normal_pdf(1.0)
    expected = [0.5, _normal_cdf(1.0) + pdf1, _normal_cdf(-1.0) - pdf1, 1.0, 0.0]
    grad, overflow = _call_watching_overflow(act.gelu_grad, x)
    assert not overflow, f"gelu_grad overflowed at ±1e3 ({overflow[0]})"
    assert_close(grad, expected, "gelu_grad at [0, 1, -1, 1e3, -1e3] (exact form Φ(x) + x·φ(x))")
    grad, overflow = _call_watching_overflow(act.gelu_grad, x[[0, 3, 4]], approximate=True)
    assert not overflow, f"gelu_grad(approximate=True) overflowed at ±1e3 ({overflow[0]})"
    assert_close(grad, [0.5, 1.0, 0.0], "gelu_grad(approximate=True) at [0, 1e3, -1e3]")


@pytest.mark.task("3.5")
def test_gelu_grad_matches_finite_differences_exact(rng):
    x = 2.0 * rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))  # L = Σ w·x·Φ(x)
    analytic = w * act.gelu_grad(x)
    assert_grad_close(analytic, lambda: np.sum(w * x * _normal_cdf(x)), x, "w * gelu_grad(x)")


@pytest.mark.task("3.5")
def test_gelu_grad_matches_finite_differences_tanh_approximation(rng):
    x = 2.0 * rng.standard_normal((4, 3))
    w = rng.standard_normal((4, 3))
    c = math.sqrt(2.0 / math.pi)

    def loss():  # L = Σ w·0.5x(1 + tanh(c(x + 0.044715x³)))
        return np.sum(w * 0.5 * x * (1.0 + np.tanh(c * (x + 0.044715 * x**3))))

    analytic = w * act.gelu_grad(x, approximate=True)
    assert_grad_close(analytic, loss, x, "w * gelu_grad(x, approximate=True)")


# ---------------------------------------------------------------- 3.6 softmax


@pytest.mark.task("3.6")
def test_softmax_of_log_1_2_3_is_1_2_3_over_6():
    # e^0 = 1, e^ln2 = 2, e^ln3 = 3; the sum is 6, so the output is [1/6, 2/6, 3/6]
    out = act.softmax(np.array([0.0, LN2, LN3]))
    assert_shape(out, (3,), "softmax of 3 scores")
    assert_close(out, [1 / 6, 2 / 6, 3 / 6], "softmax([0, ln 2, ln 3])")


@pytest.mark.task("3.6")
def test_softmax_rows_are_distributions(rng):
    x = 3.0 * rng.standard_normal((2, 3, 5))
    out = act.softmax(x)
    assert_shape(out, x.shape, "softmax keeps the shape of its input")
    assert np.all(out >= 0), "softmax returned negative entries; exp is never negative"
    assert_close(out.sum(axis=-1), np.ones((2, 3)), "sums of softmax along the last axis")
    assert_close(out, _softmax_plain(x), "softmax of moderate scores (e^x / Σ e^x)")


@pytest.mark.task("3.6")
def test_softmax_ignores_a_constant_added_to_each_row(rng):
    x = rng.standard_normal((4, 6))
    shift = 50.0 * rng.standard_normal((4, 1))  # a different constant for each row
    assert_close(
        act.softmax(x + shift),
        act.softmax(x),
        "softmax(x + c) for a per-row constant c, which must equal softmax(x)",
    )


@pytest.mark.task("3.6")
def test_softmax_is_stable_at_plus_minus_1e3():
    # [a, a + ln 3] → [1, 3] / 4 for any a; with a = -2000 np.exp underflows to 0/0 = NaN
    # unless each row subtracts its own maximum (a global max of 0 is not enough)
    x = np.array([[1e3, 1e3 + LN3], [-1e3, -1e3 + LN3], [0.0, LN3], [-2e3, -2e3 + LN3]])
    out, overflow = _call_watching_overflow(act.softmax, x)
    assert not np.any(np.isnan(out)), (
        "softmax returned NaN for scores far below 0 — subtract each row's own maximum "
        "(x.max(axis, keepdims=True)), so the largest exponent is exactly e^0 = 1"
    )
    assert not overflow, (
        f"softmax overflowed at scores of 1e3 ({overflow[0]}) — subtract the max before np.exp"
    )
    assert_close(out, np.tile([0.25, 0.75], (4, 1)), "softmax of rows [a, a + ln 3], a = ±1e3...")


@pytest.mark.task("3.6")
def test_softmax_respects_axis_on_a_square_input(rng):
    # a square input hides a missing keepdims=True: the row maxima broadcast along columns
    x = rng.standard_normal((4, 4))
    assert_close(
        act.softmax(x),
        _softmax_plain(x, axis=-1),
        "softmax of a 4x4 input along the last axis — did you use keepdims=True?",
    )
    out = act.softmax(x, axis=0)
    assert_close(out.sum(axis=0), np.ones(4), "column sums of softmax(x, axis=0)")
    assert_close(out, _softmax_plain(x, axis=0), "softmax(x, axis=0)")
    x3 = rng.standard_normal((2, 3, 4))
    assert_close(act.softmax(x3, axis=1), _softmax_plain(x3, axis=1), "softmax(x, axis=1) of 3-D x")


@pytest.mark.task("3.6")
def test_softmax_backward_hand_worked_and_sums_to_zero(rng):
    # out = [1/2, 1/2], dout = [1, 0]: Σ dout·out = 1/2, dx = [1/2·(1 - 1/2), 1/2·(0 - 1/2)]
    dx = act.softmax_backward(np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    assert_close(dx, [0.25, -0.25], "softmax_backward(dout=[1, 0], out=[0.5, 0.5])")
    # adding a constant to x never changes softmax, so dL/dx sums to 0 along the axis
    out = _softmax_plain(rng.standard_normal((3, 5)))
    dx = act.softmax_backward(rng.standard_normal((3, 5)), out)
    assert_shape(dx, (3, 5), "softmax_backward's dx")
    assert_close(dx.sum(axis=-1), np.zeros(3), "row sums of softmax_backward's dx")
    assert_close(
        act.softmax_backward(np.ones((3, 5)), out),
        np.zeros((3, 5)),
        "dx for dout of all ones (L = Σ softmax = 1 is constant, so dx = 0)",
    )


@pytest.mark.task("3.6")
def test_softmax_backward_matches_finite_differences(rng):
    x = rng.standard_normal((3, 5))
    w = rng.standard_normal((3, 5))  # L = Σ w·softmax(x), so dL/dout = w
    analytic = act.softmax_backward(w, _softmax_plain(x))
    assert_grad_close(
        analytic,
        lambda: np.sum(w * _softmax_plain(x)),
        x,
        "softmax_backward(dout=w, out=softmax(x))",
    )


@pytest.mark.task("3.6")
def test_softmax_backward_respects_axis(rng):
    x = rng.standard_normal((4, 4))  # square, so the wrong axis cannot hide behind a shape error
    w = rng.standard_normal((4, 4))
    analytic = act.softmax_backward(w, _softmax_plain(x, axis=0), axis=0)
    assert_grad_close(
        analytic,
        lambda: np.sum(w * _softmax_plain(x, axis=0)),
        x,
        "softmax_backward(w, out, axis=0) — sum along `axis` with keepdims=True",
    )
