"""day02 suite: every loss returns (a Python float, a float64 gradient array), leaves its inputs
alone, has the right mean value (hand-worked, closed forms, a naive loop on generated data)
and the right gradient (finite differences, with a value check beside it), names each common
mistake of the README, and stays finite and right at logits of ±1e4."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    assert_scalar,
    implementation,
    msg,
    num,
)

losses = implementation("day02_loss_functions.losses")

# float32 inputs: a result computed in float32 and converted at the end is off by float32's
# rounding (~1e-7 relative), which is not what the float32 tests are about
FLOAT32_RTOL = 1e-5


# ---------------------------------------------------------------- the pair every loss returns


def unpack(result, name: str) -> tuple:
    """(loss, grad) of a loss function's result; the type tests judge their types."""
    assert isinstance(result, tuple | list) and len(result) == 2, msg(
        en=f"{name} should return a pair (loss, grad), got {type(result).__name__}",
        ja=f"{name} は (loss, grad) の組を返すはずですが、{type(result).__name__} でした",
    )
    return result


@dataclass
class Mistake:
    """What one of the README's common mistakes returns on given inputs, and its name."""

    message: str
    loss: float | None = None  # None: the mistake leaves this part right
    grad: np.ndarray | None = None


def named(actual, right, mistaken, message: str) -> None:
    """Fail with `message` when `actual` is what the mistake computes, wherever on this data
    the mistake gives another answer than the right one (NaN counts as a value here)."""
    if mistaken is None or np.allclose(mistaken, right, rtol=RTOL, atol=ATOL):
        return
    if np.isnan(mistaken).any():
        try:
            actual = np.asarray(actual, dtype=float)
        except (TypeError, ValueError):
            return
        same = actual.shape == np.shape(mistaken)
        assert not (same and np.allclose(actual, mistaken, equal_nan=True)), message
        return
    assert_not_mistake(actual, mistaken, message)


def check_result(result, name, loss, grad, mistakes=(), rtol=RTOL) -> None:
    """`result` is (loss, grad) with these values; a value one of `mistakes` computes is named
    as that mistake before it is called wrong."""
    actual_loss, actual_grad = unpack(result, name)
    for mistake in mistakes:
        named(actual_loss, loss, mistake.loss, mistake.message)
        named(actual_grad, grad, mistake.grad, mistake.message)
    the_loss = msg(en=f"the loss returned by {name}", ja=f"{name} が返す損失")
    the_grad = msg(en=f"the gradient returned by {name}", ja=f"{name} が返す勾配")
    assert_close(actual_loss, loss, the_loss, rtol=rtol)
    assert_close(actual_grad, grad, the_grad, rtol=rtol)


def check_types(result, name: str, shape: tuple) -> None:
    """A tuple of a Python float and a float64 np.ndarray of `shape`: later days add up and
    compare losses as numbers, and do array arithmetic on gradients (grad.sum(), grad @ W)."""
    assert isinstance(result, tuple) and len(result) == 2, msg(
        en=f"{name} should return a tuple (loss, grad), got {type(result).__name__}",
        ja=f"{name} はタプル (loss, grad) を返すはずですが、{type(result).__name__} でした",
    )
    loss, grad = result
    assert not isinstance(loss, np.ndarray), msg(
        en=f"the loss returned by {name} should be a Python float, got a {loss.ndim}-d NumPy array (shape "
        f"{loss.shape}): return float(loss)",
        ja=f"{name} が返す損失は Python の float のはずですが、{loss.ndim} 次元の NumPy 配列"
        f"(形 {loss.shape})でした。"
        "float(loss) を返しましょう",
    )
    assert_scalar(loss, msg(en=f"the loss returned by {name}", ja=f"{name} が返す損失"))
    assert_array(grad, shape, msg(en=f"the gradient returned by {name}", ja=f"{name} が返す勾配"))


@dataclass(frozen=True)
class Task:
    """One loss function: generated data that shows every common mistake of its task, and the
    right answer (and each mistake's answer) computed here, independently of the reference."""

    id: str
    name: str
    generate: Callable[[np.random.Generator], tuple]  # the function's arguments
    answer: Callable[..., tuple]  # (*arguments) -> (loss, grad, [Mistake, ...])

    @property
    def function(self):
        return getattr(losses, self.name)

    def check(self, result, *args, rtol=RTOL) -> None:
        loss, grad, mistakes = self.answer(*args)
        check_result(result, self.name, loss, grad, mistakes, rtol=rtol)


def as_float(*arrays) -> list[np.ndarray]:
    return [np.asarray(a, dtype=float) for a in arrays]


# ---------------------------------------------------------------- answers and mistakes


def mse_answer(pred, target):
    pred, target = as_float(pred, target)
    r = pred - target  # (N, ...)
    n, rows = r.size, len(r)
    mistakes = [
        Mistake(
            msg(
                en="mse_loss returned the sum of the squared errors, not their mean: divide by "
                "n = pred.size (np.mean does)",
                ja="mse_loss が二乗誤差の合計を返しています。損失は平均なので n = pred.size で"
                "割りましょう(np.mean ならそうなります)",
            ),
            loss=np.sum(r**2),
        ),
        Mistake(
            msg(
                en="mse_loss divided by the number of rows len(pred); the mean is over all "
                "n = pred.size elements, in the loss and in the gradient",
                ja="mse_loss が行数 len(pred) で割っています。平均は全要素数 n = pred.size で"
                "取ります(損失も勾配も)",
            ),
            loss=np.sum(r**2) / rows,
            grad=2 * r / rows,
        ),
        Mistake(
            msg(
                en="the gradient of mse_loss has the wrong sign: it is +2 (pred - target) / n, "
                "not 2 (target - pred) / n",
                ja="mse_loss の勾配の符号が逆です。2 (target - pred) / n ではなく "
                "+2 (pred - target) / n です",
            ),
            grad=-2 * r / n,
        ),
        Mistake(
            msg(
                en="the gradient of mse_loss lacks the factor 2: d(r**2)/dr = 2r, so it is "
                "2 (pred - target) / n",
                ja="mse_loss の勾配に係数 2 がありません。d(r**2)/dr = 2r なので "
                "2 (pred - target) / n です",
            ),
            grad=r / n,
        ),
        Mistake(
            msg(
                en="the gradient of mse_loss lacks the 1/n: the loss is a mean, so every "
                "entry of its gradient is divided by n = pred.size",
                ja="mse_loss の勾配に 1/n がありません。損失は平均なので、勾配の各要素も "
                "n = pred.size で割ります",
            ),
            grad=2 * r,
        ),
    ]
    return np.mean(r**2), 2 * r / n, mistakes


def mae_answer(pred, target):
    pred, target = as_float(pred, target)
    r = pred - target  # (N, ...)
    n, rows = r.size, len(r)
    with np.errstate(invalid="ignore"):
        zero_over_zero = r / np.abs(r) / n  # NaN where r == 0
    mistakes = [
        Mistake(
            msg(
                en="the gradient of mae_loss is NaN where pred == target: r / |r| is 0/0 there. "
                "Use np.sign(r), which is 0 at r = 0",
                ja="pred == target の要素で mae_loss の勾配が NaN です。そこでは r / |r| が 0/0 "
                "になります。r = 0 で 0 を返す np.sign(r) を使いましょう",
            ),
            grad=zero_over_zero,
        ),
        Mistake(
            msg(
                en="the gradient of mae_loss lacks the 1/n: it is sign(pred - target) / n, "
                "n = pred.size",
                ja="mae_loss の勾配に 1/n がありません。sign(pred - target) / n(n = pred.size)です",
            ),
            grad=np.sign(r),
        ),
        Mistake(
            msg(
                en="mae_loss divided by the number of rows len(pred); the mean is over all "
                "n = pred.size elements, in the loss and in the gradient",
                ja="mae_loss が行数 len(pred) で割っています。平均は全要素数 n = pred.size で"
                "取ります(損失も勾配も)",
            ),
            loss=np.sum(np.abs(r)) / rows,
            grad=np.sign(r) / rows,
        ),
    ]
    return np.mean(np.abs(r)), np.sign(r) / n, mistakes


def huber_pieces(r, delta):
    """The Huber loss of each residual, written piecewise as in the README."""
    return np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))


def huber_answer(pred, target, delta=1.0):
    pred, target = as_float(pred, target)
    r = pred - target  # (N, ...)
    n = r.size
    slope = np.where(np.abs(r) <= delta, r, delta * np.sign(r))
    mistakes = [
        Mistake(
            msg(
                en=f"huber_loss computed delta = 1, but it was given delta = {num(delta)}: use "
                "the delta argument everywhere (the pieces and the slope's cap)",
                ja=f"huber_loss が delta = 1 で計算していますが、渡したのは delta = {num(delta)} "
                "です。引数 delta をどこでも使いましょう(2 つの式と傾きの上限)",
            ),
            loss=np.mean(huber_pieces(r, 1.0)),
            grad=np.where(np.abs(r) <= 1.0, r, np.sign(r)) / n,
        ),
        Mistake(
            msg(
                en="huber_loss jumps at |r| = delta: the linear piece is "
                "delta * (|r| - delta / 2), not delta * |r|, so that both pieces give "
                "delta**2 / 2 at |r| = delta",
                ja="huber_loss が |r| = delta で跳んでいます。一次の部分は delta * |r| ではなく "
                "delta * (|r| - delta / 2) です。そうすれば |r| = delta で両方の式が "
                "delta**2 / 2 になります",
            ),
            loss=np.mean(np.where(np.abs(r) <= delta, 0.5 * r**2, delta * np.abs(r))),
        ),
        Mistake(
            msg(
                en="the gradient of huber_loss for errors larger than delta should be capped "
                "at ±delta / n; it is r / n only where |r| <= delta (np.clip(r, -delta, delta))",
                ja="delta より大きい誤差では huber_loss の勾配は ±delta / n で頭打ちです。"
                "r / n になるのは |r| <= delta のところだけです(np.clip(r, -delta, delta))",
            ),
            grad=r / n,
        ),
    ]
    return np.mean(huber_pieces(r, delta)), slope / n, mistakes


def sigmoid(z):
    """exp of a non-positive number only: logaddexp(0, -z) = log(1 + e^-z) = -log sigmoid(z)."""
    return np.exp(-np.logaddexp(0.0, -z))


def bce_answer(logits, labels):
    z, y = as_float(logits, labels)
    n = z.size
    # -log s = log(1 + e^-z) and -log(1 - s) = log(1 + e^z), both by logaddexp: no overflow
    each = y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)
    s = sigmoid(z)
    name = "binary_cross_entropy_with_logits"
    mistakes = [
        Mistake(
            msg(
                en=f"the gradient of {name} lacks the 1/n: it is (sigmoid(z) - y) / n, "
                "n = logits.size",
                ja=f"{name} の勾配に 1/n がありません。(sigmoid(z) - y) / n(n = logits.size)です",
            ),
            grad=s - y,
        ),
        Mistake(
            msg(
                en=f"the gradient of {name} has the wrong sign: it is (sigmoid(z) - y) / n, "
                "not (y - sigmoid(z)) / n",
                ja=f"{name} の勾配の符号が逆です。(y - sigmoid(z)) / n ではなく "
                "(sigmoid(z) - y) / n です",
            ),
            grad=(y - s) / n,
        ),
    ]
    return np.mean(each), (s - y) / n, mistakes


def log_softmax(z):
    """Row-wise log softmax by NumPy's own log-sum-exp reduction. (N, V)."""
    return z - np.logaddexp.reduce(z, axis=1, keepdims=True)


def ce_answer(logits, targets):
    (z,) = as_float(logits)
    N, V = z.shape
    log_p = log_softmax(z)  # (N, V)
    onehot = np.eye(V)[targets]  # (N, V)
    loss = -np.mean(log_p[np.arange(N), targets])
    grad = (np.exp(log_p) - onehot) / N
    name = "cross_entropy_with_logits"
    mistakes = [
        Mistake(
            msg(
                en=f"{name} averaged log_probs[:, targets], an N×N matrix: pick each row's own "
                "target with log_probs[np.arange(N), targets]",
                ja=f"{name} が log_probs[:, targets](N×N の行列)を平均しています。各行の"
                "正解は log_probs[np.arange(N), targets] で取り出しましょう",
            ),
            loss=-np.mean(log_p[:, targets]),
        ),
        Mistake(
            msg(
                en=f"{name} averaged over all N·V entries; the loss is the mean over the "
                "N rows (one -log probability per row), and the gradient is divided by N",
                ja=f"{name} が N·V 個の全要素で平均しています。損失は N 行の平均"
                "(1 行につき -log 確率 1 つ)で、勾配も N で割ります",
            ),
            loss=loss / V,
            grad=grad / V,
        ),
        Mistake(
            msg(
                en=f"the gradient of {name} lacks the 1/N: it is (softmax - onehot) / N, N rows",
                ja=f"{name} の勾配に 1/N がありません。(softmax - onehot) / N(N は行数)です",
            ),
            grad=grad * N,
        ),
    ]
    return loss, grad, mistakes


# ---------------------------------------------------------------- generated data


def pair(rng, shape=(4, 3)):
    pred, target = rng.standard_normal((2, *shape))
    return pred, target


def away_from_zero(rng, shape, low, high):
    """Residual sizes in [low, high] with random signs."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def mae_data(rng):
    target = rng.standard_normal((4, 3))
    pred = target + away_from_zero(rng, (4, 3), 0.1, 2.0)
    pred[1, 2], pred[3, 0] = target[1, 2], target[3, 0]  # two exact predictions: r = 0
    return pred, target


def huber_data(rng, delta=0.7):
    target = rng.standard_normal((3, 4))
    # residuals on both sides of delta, never within 0.05 of the kink at |r| = delta
    size = np.concatenate([rng.uniform(0.05, delta - 0.05, 6), rng.uniform(delta + 0.05, 3, 6)])
    pred = target + (size * rng.choice([-1.0, 1.0], 12)).reshape(3, 4)
    return pred, target, delta


def bce_data(rng):
    logits = rng.uniform(-4.0, 4.0, (5, 3))
    labels = rng.uniform(0.0, 1.0, (5, 3))  # soft labels
    labels[0] = [0.0, 1.0, 1.0]  # and hard ones
    return logits, labels


def ce_data(rng, N=6, V=5):
    logits = rng.standard_normal((N, V)) * 3
    targets = rng.integers(0, V, N)
    targets[:2] = [0, V - 1]  # the first and the last class, and never all the same
    return logits, targets


MSE = Task("2.1", "mse_loss", pair, mse_answer)
MAE = Task("2.2", "mae_loss", mae_data, mae_answer)
HUBER = Task("2.3", "huber_loss", huber_data, huber_answer)
BCE = Task("2.4", "binary_cross_entropy_with_logits", bce_data, bce_answer)
CE = Task("2.5", "cross_entropy_with_logits", ce_data, ce_answer)
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])


# ---------------------------------------------------------------- every task: inputs, types


def check_inputs_unchanged(task: Task, rng) -> None:
    """The learner's first message for the task: an input changed in place, then a wrong type,
    then a named mistake, then a wrong value."""
    args = task.generate(rng)
    result = assert_inputs_unchanged(task.function, *args)
    check_types(result, task.name, np.shape(args[0]))
    task.check(result, *args)


def check_returned_types(task: Task, dtype, rng) -> None:
    """float32 inputs too give a float64 gradient, as the docstrings promise."""
    args = tuple(
        a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
        for a in task.generate(rng)
    )
    result = task.function(*args)
    check_types(result, task.name, np.shape(args[0]))
    task.check(result, *args, rtol=RTOL if dtype == np.float64 else FLOAT32_RTOL)


# ---------------------------------------------------------------- at logits of ±1e4


def call_at_extremes(function, args, overflow: Callable[[], str], log_of_zero: Callable[[], str]):
    """Call `function` with NumPy's overflow, 0/0 and log(0) raised as errors, and say which
    one happened: `overflow`, or `log_of_zero` for the others."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            return function(*args)
        except Exception as error:  # in grading, the worker reports it as a LearnerError
            text = str(error)
            if not isinstance(error, FloatingPointError) and "FloatingPointError" not in text:
                raise
    word = next((w for w in ("overflow", "divide by zero", "invalid value") if w in text), "")
    numpy = text[text.find(word) :].splitlines()[0]  # "overflow encountered in exp"
    problem = overflow() if word == "overflow" else log_of_zero()
    raise AssertionError(msg(en=f"{problem} (NumPy: {numpy})", ja=f"{problem}(NumPy: {numpy})"))


# ---------------------------------------------------------------- 2.1 mean squared error


@pytest.mark.task("2.1")
@pytest.mark.checks("inputs")
def test_mse_is_right_and_leaves_its_inputs_unchanged(rng):
    check_inputs_unchanged(MSE, rng)


@pytest.mark.task("2.1")
@pytest.mark.checks("types")
@DTYPES
def test_mse_returns_a_python_float_and_a_float64_gradient(dtype, rng):
    check_returned_types(MSE, dtype, rng)


@pytest.mark.task("2.1")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2)])
def test_mse_names_each_common_mistake(rng, shape):
    pred, target = pair(rng, shape)
    MSE.check(losses.mse_loss(pred, target), pred, target)


@pytest.mark.task("2.1")
def test_mse_readme_example():
    # r = [2, 0] - [1, 2] = [1, -2]: loss = (1 + 4) / 2 = 2.5, grad = 2 [1, -2] / 2 = [1, -2]
    result = losses.mse_loss(np.array([2.0, 0.0]), np.array([1.0, 2.0]))
    check_result(result, "mse_loss", 2.5, [1.0, -2.0])


@pytest.mark.task("2.1")
def test_mse_hand_worked_value_and_gradient():
    # r = [1, 2, 3] - [1, 0, 6] = [0, 2, -3]: loss = (0 + 4 + 9) / 3 = 13/3,
    # grad = 2 r / 3 = [0, 4/3, -2]
    result = losses.mse_loss(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 6.0]))
    check_result(result, "mse_loss", 13 / 3, [0.0, 4 / 3, -2.0])


@pytest.mark.task("2.1")
def test_mse_averages_over_every_element_of_a_matrix():
    pred = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    # n = 6 elements: loss = (0 + 1 + 4 + 9 + 16 + 25) / 6 = 55/6; grad = 2 pred / 6 = pred / 3
    result = losses.mse_loss(pred, np.zeros((2, 3)))
    check_result(result, "mse_loss", 55 / 6, pred / 3, mse_answer(pred, np.zeros((2, 3)))[2])


@pytest.mark.task("2.1")
def test_mse_of_a_single_element_is_its_squared_error():
    # r = 2.5 - 0.5 = 2: loss = 4, grad = 2 * 2 / 1 = 4
    check_result(losses.mse_loss(np.array([2.5]), np.array([0.5])), "mse_loss", 4.0, [4.0])


@pytest.mark.task("2.1")
def test_mse_matches_a_loop_and_finite_differences(rng):
    pred, target = pair(rng, (2, 4, 3))  # any shape: here three axes
    naive = sum((p - t) ** 2 for p, t in zip(pred.ravel(), target.ravel())) / pred.size
    loss, grad = unpack(losses.mse_loss(pred, target), "mse_loss")
    assert_close(
        loss,
        naive,
        msg(en="mse_loss against a plain loop", ja="ループで計算した mse_loss との比較"),
    )
    assert_grad_close(grad, lambda: losses.mse_loss(pred, target)[0], pred, "dpred")


# ---------------------------------------------------------------- 2.2 mean absolute error


@pytest.mark.task("2.2")
@pytest.mark.checks("inputs")
def test_mae_is_right_and_leaves_its_inputs_unchanged(rng):
    check_inputs_unchanged(MAE, rng)


@pytest.mark.task("2.2")
@pytest.mark.checks("types")
@DTYPES
def test_mae_returns_a_python_float_and_a_float64_gradient(dtype, rng):
    check_returned_types(MAE, dtype, rng)


@pytest.mark.task("2.2")
@pytest.mark.checks("mistake")
def test_mae_names_each_common_mistake(rng):
    pred, target = mae_data(rng)
    MAE.check(losses.mae_loss(pred, target), pred, target)


@pytest.mark.task("2.2")
def test_mae_readme_example():
    # r = [2, 0, 5] - [1, 2, 5] = [1, -2, 0]: loss = 3/3 = 1, grad = [1, -1, 0] / 3
    pred, target = np.array([2.0, 0.0, 5.0]), np.array([1.0, 2.0, 5.0])
    check_result(
        losses.mae_loss(pred, target),
        "mae_loss",
        1.0,
        [1 / 3, -1 / 3, 0.0],
        mae_answer(pred, target)[2],
    )


@pytest.mark.task("2.2")
def test_mae_gradient_is_zero_where_the_prediction_is_exact():
    pred = np.array([[1.0, 5.0], [-2.0, 0.0]])
    target = np.array([[1.0, 3.0], [-2.0, 0.0]])
    # r = [[0, 2], [0, 0]]: loss = 2 / 4 = 0.5; grad = [[0, 1/4], [0, 0]]
    check_result(
        losses.mae_loss(pred, target),
        "mae_loss",
        0.5,
        [[0.0, 0.25], [0.0, 0.0]],
        mae_answer(pred, target)[2],
    )


@pytest.mark.task("2.2")
def test_mae_gradient_has_the_same_size_for_small_and_huge_errors():
    pred = np.array([[1e6, 0.5], [-3.0, -1e-3]])
    # n = 4: loss = (1e6 + 0.5 + 3 + 1e-3) / 4; every |grad| is 1/4, however big the error
    check_result(
        losses.mae_loss(pred, np.zeros((2, 2))),
        "mae_loss",
        (1e6 + 0.5 + 3.0 + 1e-3) / 4,
        [[0.25, 0.25], [-0.25, -0.25]],
    )


@pytest.mark.task("2.2")
def test_mae_matches_a_loop_and_finite_differences(rng):
    target = rng.standard_normal((5, 2))
    pred = target + away_from_zero(rng, (5, 2), 0.1, 2.0)  # far from the kink at r = 0
    naive = sum(abs(p - t) for p, t in zip(pred.ravel(), target.ravel())) / pred.size
    loss, grad = unpack(losses.mae_loss(pred, target), "mae_loss")
    assert_close(
        loss,
        naive,
        msg(en="mae_loss against a plain loop", ja="ループで計算した mae_loss との比較"),
    )
    assert_grad_close(grad, lambda: losses.mae_loss(pred, target)[0], pred, "dpred")


# ---------------------------------------------------------------- 2.3 Huber


@pytest.mark.task("2.3")
@pytest.mark.checks("inputs")
def test_huber_is_right_and_leaves_its_inputs_unchanged(rng):
    check_inputs_unchanged(HUBER, rng)


@pytest.mark.task("2.3")
@pytest.mark.checks("types")
@DTYPES
def test_huber_returns_a_python_float_and_a_float64_gradient(dtype, rng):
    check_returned_types(HUBER, dtype, rng)


@pytest.mark.task("2.3")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("delta", [0.7, 2.5])
def test_huber_names_each_common_mistake(rng, delta):
    pred, target, delta = huber_data(rng, delta)
    HUBER.check(losses.huber_loss(pred, target, delta), pred, target, delta)


@pytest.mark.task("2.3")
def test_huber_readme_example_with_the_default_delta_of_1():
    # delta = 1: r = [0.5, -3] -> [0.5 * 0.25, 1 * (3 - 0.5)] = [0.125, 2.5]
    # loss = 2.625 / 2 = 1.3125; grad = clip(r, -1, 1) / 2 = [0.25, -0.5]
    result = losses.huber_loss(np.array([0.5, -3.0]), np.zeros(2))
    check_result(result, "huber_loss", 1.3125, [0.25, -0.5])


@pytest.mark.task("2.3")
def test_huber_hand_worked_value_and_gradient():
    pred = np.array([0.5, -2.0, 3.0])
    # delta = 1: 0.5 * 0.5**2 = 0.125 (inside); 1 * (2 - 0.5) = 1.5; 1 * (3 - 0.5) = 2.5
    # loss = (0.125 + 1.5 + 2.5) / 3 = 1.375; grad = clip(r, -1, 1) / 3 = [0.5, -1, 1] / 3
    result = losses.huber_loss(pred, np.zeros(3), 1.0)
    check_result(result, "huber_loss", 1.375, [0.5 / 3, -1 / 3, 1 / 3])


@pytest.mark.task("2.3")
def test_huber_uses_the_delta_it_is_given():
    pred = np.array([1.0, -3.0, 5.0])
    # delta = 2: 0.5 * 1 = 0.5 (inside); 2 * (3 - 1) = 4; 2 * (5 - 1) = 8
    # loss = 12.5 / 3; grad = clip(r, -2, 2) / 3 = [1, -2, 2] / 3
    result = losses.huber_loss(pred, np.zeros(3), delta=2.0)
    check_result(
        result,
        "huber_loss",
        12.5 / 3,
        [1 / 3, -2 / 3, 2 / 3],
        huber_answer(pred, np.zeros(3), 2.0)[2],
    )


@pytest.mark.task("2.3")
def test_huber_default_delta_is_1(rng):
    pred, target, _ = huber_data(rng, 1.0)
    loss, grad, _ = huber_answer(pred, target, 1.0)
    for result in (
        losses.huber_loss(pred, target),
        losses.huber_loss(pred, target, 1.0),
        losses.huber_loss(pred, target, delta=1.0),
    ):
        check_result(result, "huber_loss", loss, grad)


@pytest.mark.task("2.3")
def test_huber_is_continuous_where_it_turns_linear():
    delta = 1.5
    # each piece has slope at most delta, so the loss of one element changes by at most
    # delta * step between neighbouring residuals: a jump at |r| = delta breaks this bound
    residuals = np.linspace(0.0, 2 * delta, 301)
    values = np.array([losses.huber_loss(np.array([r]), np.zeros(1), delta)[0] for r in residuals])
    step = residuals[1] - residuals[0]
    jumps = np.abs(np.diff(values))
    worst = int(np.argmax(jumps))
    assert jumps[worst] <= delta * step * (1 + 1e-6), msg(
        en=f"huber_loss jumps by {num(jumps[worst])} between r = {num(residuals[worst])} and "
        f"r = {num(residuals[worst + 1])}; the linear piece delta * (|r| - delta / 2) must meet "
        "the quadratic 0.5 r**2 at |r| = delta",
        ja=f"huber_loss が r = {num(residuals[worst])} と r = {num(residuals[worst + 1])} の間で "
        f"{num(jumps[worst])} 跳んでいます。一次の部分 delta * (|r| - delta / 2) は |r| = delta で"
        "二次の部分 0.5 r**2 とつながるはずです",
    )
    what = msg(
        en="huber_loss of one residual from 0 to 2 delta",
        ja="0 から 2 delta までの残差 1 つの huber_loss",
    )
    assert_close(values, huber_pieces(residuals, delta), what)
    # exactly at |r| = delta both pieces give 0.5 * delta**2 = 1.125, and the slope is delta
    result = losses.huber_loss(np.array([delta, -delta]), np.zeros(2), delta)
    check_result(result, "huber_loss", 0.5 * delta**2, [delta / 2, -delta / 2])


@pytest.mark.task("2.3")
def test_huber_is_half_mse_for_small_errors_and_has_capped_slope_for_large(rng):
    target = rng.standard_normal((4, 3))
    small = rng.uniform(-0.9, 0.9, (4, 3))  # every |r| < delta = 1
    result = losses.huber_loss(target + small, target)
    check_result(result, "huber_loss", 0.5 * np.mean(small**2), small / small.size)
    large = np.array([[10.0, -50.0], [1e3, -1e5]])  # all far outside delta = 1
    result = losses.huber_loss(large, np.zeros((2, 2)))
    check_result(result, "huber_loss", np.mean(np.abs(large) - 0.5), np.sign(large) / 4)


@pytest.mark.task("2.3")
@pytest.mark.parametrize("delta", [0.25, 0.7, 4.0])
def test_huber_matches_a_loop_and_finite_differences(rng, delta):
    target = rng.standard_normal(12)
    # residuals on both sides of delta, but never within 0.05 of a kink (0 and ±delta)
    size = np.concatenate(
        [rng.uniform(0.05, delta - 0.05, 6), rng.uniform(delta + 0.05, 3 * delta, 6)]
    )
    pred = target + size * rng.choice([-1.0, 1.0], 12)
    naive = 0.0
    for p, t in zip(pred, target):
        r = abs(p - t)
        naive += 0.5 * r * r if r <= delta else delta * (r - 0.5 * delta)
    loss, grad = unpack(losses.huber_loss(pred, target, delta), "huber_loss")
    assert_close(
        loss,
        naive / 12,
        msg(
            en=f"huber_loss (delta = {delta}) against a plain loop",
            ja=f"ループで計算した huber_loss(delta = {delta})との比較",
        ),
    )
    assert_grad_close(grad, lambda: losses.huber_loss(pred, target, delta)[0], pred, "dpred")


# ---------------------------------------------------------------- 2.4 binary cross-entropy

BCE_NAME = "binary_cross_entropy_with_logits"


def log_of_sigmoid() -> str:
    return msg(
        en="np.log of a probability that rounds to 0: sigmoid(-1e4) is 0 in float64, and so is "
        "1 - sigmoid(1e4), so log(sigmoid(z)) is log(0) = -inf. Do not take the log of the "
        "sigmoid: compute max(z, 0) - z*y + log1p(exp(-|z|))",
        ja="0 に丸められた確率の np.log を取っています。float64 では sigmoid(-1e4) も "
        "1 - sigmoid(1e4) も 0 なので、log(sigmoid(z)) は log(0) = -inf です。sigmoid の log は"
        "取らず、max(z, 0) - z*y + log1p(exp(-|z|)) を計算しましょう",
    )


def overflow_at_plus_1e4() -> str:
    return msg(
        en="exp overflowed at logits of +1e4: exp(z) is exp(1e4) = inf there, and "
        "np.exp(z) / (1 + np.exp(z)) is inf/inf = NaN. Build the sigmoid from "
        "e = exp(-|z|): 1/(1 + e) where z >= 0, e/(1 + e) where z < 0 (np.where computes "
        "both of its branches, so neither may overflow)",
        ja="ロジット +1e4 で exp がオーバーフローしました。そこでは exp(z) = exp(1e4) = inf "
        "で、np.exp(z) / (1 + np.exp(z)) は inf/inf = NaN です。sigmoid は e = exp(-|z|) "
        "から作りましょう: z >= 0 なら 1/(1 + e)、z < 0 なら e/(1 + e)(np.where は両方の枝を"
        "計算するので、どちらもオーバーフローしてはいけません)",
    )


def overflow_at_minus_1e4() -> str:
    return msg(
        en="exp overflowed at logits of -1e4: exp(-z) is exp(1e4) = inf there, so "
        "1/(1 + exp(-z)) and log(1 + exp(-z)) overflow. Take exp only of -|z|, which is "
        "never positive: max(z, 0) - z*y + log1p(exp(-|z|))",
        ja="ロジット -1e4 で exp がオーバーフローしました。そこでは exp(-z) が exp(1e4) = inf "
        "になり、1/(1 + exp(-z)) も log(1 + exp(-z)) もあふれます。exp は決して正にならない "
        "-|z| にだけ使いましょう: max(z, 0) - z*y + log1p(exp(-|z|))",
    )


BCE_EXTREMES = [
    pytest.param(1e4, overflow_at_plus_1e4, id="z=+1e4"),
    pytest.param(-1e4, overflow_at_minus_1e4, id="z=-1e4"),
]


@pytest.mark.task("2.4")
@pytest.mark.checks("inputs")
def test_binary_cross_entropy_is_right_and_leaves_its_inputs_unchanged(rng):
    check_inputs_unchanged(BCE, rng)


@pytest.mark.task("2.4")
@pytest.mark.checks("types")
@DTYPES
def test_binary_cross_entropy_returns_a_python_float_and_a_float64_gradient(dtype, rng):
    check_returned_types(BCE, dtype, rng)


@pytest.mark.task("2.4")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("z, overflow", BCE_EXTREMES)
def test_binary_cross_entropy_is_right_at_logits_of_1e4(z, overflow):
    logits = np.full((2, 2), z)
    labels = np.array([[1.0, 0.0], [0.5, 0.25]])
    # sigmoid(±1e4) is 1 or 0 to float64, and log1p(exp(-1e4)) = 0, so each element costs
    # max(z, 0) - z y: at z = 1e4, 1e4 (1 - y); at z = -1e4, 1e4 y
    s = (logits > 0).astype(float)  # sigmoid, exactly
    each = np.where(logits > 0, 1e4 * (1 - labels), 1e4 * labels)
    result = call_at_extremes(
        losses.binary_cross_entropy_with_logits, (logits, labels), overflow, log_of_sigmoid
    )
    check_result(result, BCE_NAME, np.mean(each), (s - labels) / 4)


@pytest.mark.task("2.4")
@pytest.mark.checks("mistake")
def test_binary_cross_entropy_names_each_common_mistake(rng):
    logits, labels = bce_data(rng)
    BCE.check(losses.binary_cross_entropy_with_logits(logits, labels), logits, labels)


@pytest.mark.task("2.4")
def test_binary_cross_entropy_readme_example():
    z = np.array([2.0, -1.0])
    # y = 1: loss = log(1 + e^-z) per element = [log(1 + e^-2), log(1 + e)]
    # grad = (sigmoid(z) - 1) / 2 = -1 / (1 + e^z) / 2
    loss = (np.log(1 + np.exp(-2.0)) + np.log(1 + np.e)) / 2
    grad = -1 / (1 + np.exp(z)) / 2
    result = losses.binary_cross_entropy_with_logits(z, np.ones(2))
    check_result(result, BCE_NAME, loss, grad)  # ≈ 0.7201, [-0.0596, -0.3655]


@pytest.mark.task("2.4")
def test_binary_cross_entropy_of_zero_logits_is_log_2():
    labels = np.array([0.0, 1.0, 1.0, 0.5])
    # z = 0: sigmoid = 1/2, so -y log(1/2) - (1 - y) log(1/2) = log 2 for any label y
    # grad = (1/2 - y) / 4 = [1/8, -1/8, -1/8, 0]
    result = losses.binary_cross_entropy_with_logits(np.zeros(4), labels)
    check_result(result, BCE_NAME, np.log(2.0), [1 / 8, -1 / 8, -1 / 8, 0.0])


@pytest.mark.task("2.4")
def test_binary_cross_entropy_hand_worked_value_and_gradient():
    logits = np.full(2, np.log(3.0))
    labels = np.array([1.0, 0.0])
    # sigmoid(log 3) = 3 / (3 + 1) = 3/4
    # y = 1: -log(3/4) = log(4/3); y = 0: -log(1 - 3/4) = log 4; mean = (log(4/3) + log 4) / 2
    # grad = (3/4 - [1, 0]) / 2 = [-1/8, 3/8]
    result = losses.binary_cross_entropy_with_logits(logits, labels)
    check_result(result, BCE_NAME, (np.log(4 / 3) + np.log(4.0)) / 2, [-1 / 8, 3 / 8])


@pytest.mark.task("2.4")
def test_binary_cross_entropy_matches_a_loop_and_finite_differences(rng):
    logits = rng.uniform(-4.0, 4.0, (3, 2, 2))  # any shape: here three axes
    labels = rng.uniform(0.0, 1.0, (3, 2, 2))
    naive = 0.0
    for z, y in zip(logits.ravel(), labels.ravel()):
        s = 1.0 / (1.0 + np.exp(-z))  # safe here: |z| <= 4
        naive += -y * np.log(s) - (1.0 - y) * np.log(1.0 - s)
    loss, grad = unpack(losses.binary_cross_entropy_with_logits(logits, labels), BCE_NAME)
    assert_close(
        loss,
        naive / logits.size,
        msg(
            en="binary cross-entropy against a plain loop of -y log s - (1 - y) log(1 - s), "
            "averaged over all 12 elements",
            ja="ループで計算した -y log s - (1 - y) log(1 - s) の全 12 要素の平均との比較",
        ),
    )
    assert_grad_close(
        grad,
        lambda: losses.binary_cross_entropy_with_logits(logits, labels)[0],
        logits,
        "dlogits",
    )


@pytest.mark.task("2.4")
def test_binary_cross_entropy_with_a_soft_label_is_smallest_at_its_logit():
    labels = np.array([0.25, 0.5, 0.9])
    best = np.log(labels / (1 - labels))  # sigmoid(z) = y exactly
    # at sigmoid(z) = y the gradient (sigmoid(z) - y) / n is 0, and the loss is the entropy
    # -y log y - (1 - y) log(1 - y) of each label, averaged
    entropy = -labels * np.log(labels) - (1 - labels) * np.log(1 - labels)
    result = losses.binary_cross_entropy_with_logits(best, labels)
    check_result(result, BCE_NAME, entropy.mean(), np.zeros(3))
    # half a unit either side the loss is larger, and the gradient points back to the best z
    for step in (-0.5, 0.5):
        s = 1 / (1 + np.exp(-(best + step)))
        each = -labels * np.log(s) - (1 - labels) * np.log(1 - s)
        result = losses.binary_cross_entropy_with_logits(best + step, labels)
        check_result(result, BCE_NAME, each.mean(), (s - labels) / 3)


# ---------------------------------------------------------------- 2.5 categorical cross-entropy

CE_NAME = "cross_entropy_with_logits"


def no_row_max() -> str:
    return msg(
        en="exp overflowed at logits near 1e4: exp(1e4) is inf, and inf/inf = NaN. Subtract each "
        "row's max before exp (logits.max(axis=1, keepdims=True)): softmax does not change",
        ja="1e4 近くのロジットで exp がオーバーフローしました。exp(1e4) は inf で、inf/inf = NaN "
        "です。exp の前に各行の最大値を引いてください(logits.max(axis=1, keepdims=True))。"
        "softmax は変わりません",
    )


# Each row is the hand-worked example's (softmax [1/4, 1/2, 1/4] and [3/5, 1/5, 1/5], targets
# 1 and 2, loss log(10) / 2) moved by a constant: softmax does not change.
HAND_WORKED = np.array([[0.0, np.log(2.0), 0.0], [np.log(3.0), 0.0, 0.0]])
HAND_WORKED_GRAD = np.array([[1 / 4, -1 / 2, 1 / 4], [3 / 5, 1 / 5, -4 / 5]]) / 2
CE_EXTREMES = [
    pytest.param(
        HAND_WORKED + 1e4,
        [1, 2],
        (np.log(10.0) / 2, HAND_WORKED_GRAD),
        lambda: msg(
            en="log(0) at logits near 1e4: compute log softmax as (z - max) - log(sum(exp(z - "
            "max))), each row's max subtracted",
            ja="1e4 近くのロジットで log(0) になりました。log softmax は各行の最大値を引いて "
            "(z - max) - log(sum(exp(z - max))) と計算しましょう",
        ),
        id="every-row-near-1e4",
    ),
    pytest.param(
        HAND_WORKED + [[1e4], [-1e4]],
        [1, 2],
        (np.log(10.0) / 2, HAND_WORKED_GRAD),
        lambda: msg(
            en="log(0) when one row is near +1e4 and another near -1e4: subtract each row's own "
            "max (axis=1, keepdims=True), not the max of the whole batch — a row far below the "
            "batch's max underflows to all zeros, and log(0) = -inf",
            ja="ある行が +1e4、別の行が -1e4 付近のとき log(0) になりました。バッチ全体の最大値"
            "ではなく各行自身の最大値(axis=1, keepdims=True)を引きましょう。バッチの最大値より"
            "ずっと小さい行は exp がすべて 0 に underflow し、log(0) = -inf になります",
        ),
        id="rows-at-+1e4-and--1e4",
    ),
    pytest.param(
        # row 0: the target's logit is 2e4 below the max: loss 2e4, softmax [1, 0, 0];
        # row 1: three equal logits: loss log 3, softmax 1/3 each
        np.array([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4]]),
        [1, 2],
        ((2e4 + np.log(3.0)) / 2, np.array([[1.0, -1.0, 0.0], [1 / 3, 1 / 3, -2 / 3]]) / 2),
        lambda: msg(
            en="log(0) for a confidently wrong row: its target's probability exp(-2e4) rounds "
            "to 0, so np.log(softmax) is -inf. Never take the log of a probability: compute "
            "log softmax directly, (z - max) - log(sum(exp(z - max))) (log-sum-exp)",
            ja="自信満々に間違えた行で log(0) になりました。正解の確率 exp(-2e4) は 0 に丸められる"
            "ので、np.log(softmax) は -inf です。確率の log は取らず、log softmax を "
            "(z - max) - log(sum(exp(z - max))) で直接計算しましょう(log-sum-exp)",
        ),
        id="confidently-wrong",
    ),
]


@pytest.mark.task("2.5")
@pytest.mark.checks("inputs")
def test_cross_entropy_is_right_and_leaves_its_inputs_unchanged(rng):
    check_inputs_unchanged(CE, rng)


@pytest.mark.task("2.5")
@pytest.mark.checks("types")
@DTYPES
def test_cross_entropy_returns_a_python_float_and_a_float64_gradient(dtype, rng):
    check_returned_types(CE, dtype, rng)


@pytest.mark.task("2.5")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("logits, targets, expected, log_of_zero", CE_EXTREMES)
def test_cross_entropy_is_right_at_logits_of_1e4(logits, targets, expected, log_of_zero):
    result = call_at_extremes(
        losses.cross_entropy_with_logits, (logits, np.array(targets)), no_row_max, log_of_zero
    )
    check_result(result, CE_NAME, *expected)


@pytest.mark.task("2.5")
@pytest.mark.checks("mistake")
def test_cross_entropy_names_each_common_mistake(rng):
    logits, targets = ce_data(rng)
    CE.check(losses.cross_entropy_with_logits(logits, targets), logits, targets)


@pytest.mark.task("2.5")
def test_cross_entropy_readme_example():
    # [2, 1, 0] - 2 = [0, -1, -2]; log softmax = [0, -1, -2] - log(1 + e^-1 + e^-2)
    # target 0: loss = log(1 + e^-1 + e^-2) ≈ 0.4076; grad = softmax - [1, 0, 0]
    total = 1 + np.exp(-1.0) + np.exp(-2.0)
    softmax = np.array([1.0, np.exp(-1.0), np.exp(-2.0)]) / total
    result = losses.cross_entropy_with_logits(np.array([[2.0, 1.0, 0.0]]), np.array([0]))
    check_result(result, CE_NAME, np.log(total), [softmax - [1.0, 0.0, 0.0]])


@pytest.mark.task("2.5")
def test_cross_entropy_hand_worked_value_and_gradient():
    # row 0: exp = [1, 2, 1], softmax = [1/4, 1/2, 1/4], target 1: -log(1/2) = log 2
    # row 1: exp = [3, 1, 1], softmax = [3/5, 1/5, 1/5], target 2: -log(1/5) = log 5
    # loss = (log 2 + log 5) / 2 = log(10) / 2 (mean over the 2 rows, not the 6 entries)
    targets = np.array([1, 2])
    result = losses.cross_entropy_with_logits(HAND_WORKED, targets)
    check_result(
        result, CE_NAME, np.log(10.0) / 2, HAND_WORKED_GRAD, ce_answer(HAND_WORKED, targets)[2]
    )


@pytest.mark.task("2.5")
def test_cross_entropy_matches_a_loop_and_finite_differences(rng):
    logits, targets = ce_data(rng, N=4, V=6)
    naive = 0.0
    for row, target in zip(logits, targets):
        softmax = np.exp(row) / np.sum(np.exp(row))  # safe here: |logits| is small
        naive += -np.log(softmax[target])
    loss, grad = unpack(losses.cross_entropy_with_logits(logits, targets), CE_NAME)
    assert_close(
        loss,
        naive / 4,
        msg(
            en="cross-entropy against a plain loop of -log softmax(row)[target], averaged "
            "over the 4 rows",
            ja="ループで計算した -log softmax(行)[正解] の 4 行平均との比較",
        ),
    )
    assert_grad_close(
        grad, lambda: losses.cross_entropy_with_logits(logits, targets)[0], logits, "dlogits"
    )


@pytest.mark.task("2.5")
@pytest.mark.parametrize("V", [2, 7, 50])
def test_cross_entropy_of_uniform_logits_is_log_V(V):
    N = 3
    targets = np.array([0, V - 1, V // 2])
    # equal logits: every class has probability 1/V, so each row costs -log(1/V) = log V
    # grad = (1/V - onehot) / N
    expected = np.full((N, V), 1.0 / V)
    expected[np.arange(N), targets] -= 1.0
    result = losses.cross_entropy_with_logits(np.full((N, V), 2.5), targets)
    check_result(result, CE_NAME, np.log(V), expected / N)


@pytest.mark.task("2.5")
def test_cross_entropy_ignores_a_constant_added_to_each_row(rng):
    logits, targets = ce_data(rng, N=4, V=5)
    shift = np.array([[1000.0], [-1000.0], [3.7], [0.0]])  # softmax(x + c) = softmax(x)
    loss, grad, _ = ce_answer(logits, targets)
    check_result(losses.cross_entropy_with_logits(logits + shift, targets), CE_NAME, loss, grad)


@pytest.mark.task("2.5")
def test_cross_entropy_gradient_rows_sum_to_zero(rng):
    logits, targets = ce_data(rng, N=5, V=8)
    loss, grad, mistakes = ce_answer(logits, targets)
    result = losses.cross_entropy_with_logits(logits, targets)
    # softmax sums to 1 and the one-hot sums to 1, so each row of (softmax - onehot) sums to 0
    assert_close(
        np.sum(unpack(result, CE_NAME)[1], axis=1),
        np.zeros(5),
        msg(
            en="the row sums of the cross-entropy gradient (softmax - onehot sums to 1 - 1 = 0)",
            ja="交差エントロピーの勾配の各行の和(softmax - onehot なので 1 - 1 = 0)",
        ),
    )
    check_result(result, CE_NAME, loss, grad, mistakes)


@pytest.mark.task("2.5")
def test_cross_entropy_of_a_batch_of_one(rng):
    logits = rng.standard_normal((1, 4))
    # N = 1: the mean over rows is that row's -log softmax, the gradient softmax - onehot
    probs = np.exp(logits[0]) / np.exp(logits[0]).sum()
    result = losses.cross_entropy_with_logits(logits, np.array([2]))
    check_result(result, CE_NAME, -np.log(probs[2]), [probs - np.eye(4)[2]])
