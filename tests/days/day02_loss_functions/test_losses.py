"""day02 suite: each loss has the right mean value (hand-worked, closed forms, a naive loop),
the right gradient (finite differences, with a value check beside it), and stays finite and
correct at logits of ±1e4."""

import numpy as np
import pytest

from checker.core.testing import assert_close, assert_grad_close, assert_shape, implementation

losses = implementation("day02_loss_functions.losses")


def check_loss_and_grad(result, shape, what):
    """Unpack (loss, grad), checking it is one number and an array of `shape`, in that order."""
    assert isinstance(result, tuple) and len(result) == 2, (
        f"{what} must return a pair (loss, grad), got {type(result).__name__}"
    )
    loss, grad = result
    assert np.ndim(loss) == 0, (
        f"the {what} loss must be one number (the mean), got an array of shape {np.shape(loss)}"
    )
    assert_shape(grad, shape, f"the gradient of {what}")
    assert np.asarray(grad).dtype == np.float64, (
        f"the gradient of {what} should be float64, got {np.asarray(grad).dtype}"
    )
    return float(loss), np.asarray(grad)


def call_without_overflow(function, *args):
    """Call `function` with NumPy overflow and invalid operations turned into errors."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            return function(*args)
        except FloatingPointError as error:
            raise AssertionError(
                f"at logits of ±1e4 your code hit '{error}': exp(1e4) overflows to inf and "
                "log of a probability that rounds to 0 is -inf. Only take exp of numbers <= 0 "
                "(exp(-|z|), or logits minus each row's max), use log1p or log-sum-exp rather "
                "than log(probability), and note that np.where computes both of its branches"
            ) from None


# ---------------------------------------------------------------- 2.1 mean squared error


@pytest.mark.task("2.1")
def test_mse_hand_worked_value_and_gradient():
    pred = np.array([1.0, 2.0, 3.0])
    target = np.array([1.0, 0.0, 6.0])
    # r = pred - target = [0, 2, -3]; loss = (0 + 4 + 9) / 3 = 13/3
    # grad = 2 r / 3 = [0, 4/3, -2]
    loss, grad = check_loss_and_grad(losses.mse_loss(pred, target), (3,), "mse_loss")
    assert_close(loss, 13 / 3, "mse_loss of r = [0, 2, -3] (the mean of r**2, not the sum)")
    assert_close(
        grad,
        [0.0, 4 / 3, -2.0],
        "the gradient of mse_loss (2 (pred - target) / n: mind the sign and the 1/n)",
    )


@pytest.mark.task("2.1")
def test_mse_averages_over_every_element_of_a_matrix():
    pred = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    target = np.zeros((2, 3))
    # n = 6 elements: loss = (0 + 1 + 4 + 9 + 16 + 25) / 6 = 55/6; grad = 2 pred / 6 = pred / 3
    loss, grad = check_loss_and_grad(losses.mse_loss(pred, target), (2, 3), "mse_loss")
    assert_close(
        loss,
        55 / 6,
        "mse_loss of a (2, 3) matrix (the mean over all 6 elements, not over the 2 rows)",
    )
    assert_close(grad, pred / 3, "the gradient of mse_loss for a (2, 3) matrix (divide by 6)")


@pytest.mark.task("2.1")
def test_mse_of_a_single_element_is_its_squared_error():
    # r = 2.5 - 0.5 = 2: loss = 4, grad = 2 * 2 / 1 = 4
    loss, grad = check_loss_and_grad(
        losses.mse_loss(np.array([2.5]), np.array([0.5])), (1,), "mse_loss"
    )
    assert_close(loss, 4.0, "mse_loss of one element with error 2")
    assert_close(grad, [4.0], "the gradient of mse_loss of one element with error 2")


@pytest.mark.task("2.1")
def test_mse_gradient_matches_finite_differences(rng):
    pred, target = rng.standard_normal((2, 4, 3))
    loss, grad = check_loss_and_grad(losses.mse_loss(pred, target), (4, 3), "mse_loss")
    naive = sum((p - t) ** 2 for p, t in zip(pred.ravel(), target.ravel())) / pred.size
    assert_close(loss, naive, "mse_loss against a plain loop over the elements")
    assert_grad_close(
        grad, lambda: losses.mse_loss(pred, target)[0], pred, "the gradient of mse_loss"
    )


# ---------------------------------------------------------------- 2.2 mean absolute error


@pytest.mark.task("2.2")
def test_mae_hand_worked_value_and_gradient():
    pred = np.array([3.0, -1.0, 2.0])
    target = np.array([1.0, 1.0, 2.5])
    # r = [2, -2, -0.5]; loss = (2 + 2 + 0.5) / 3 = 1.5; grad = sign(r) / 3 = [1, -1, -1] / 3
    loss, grad = check_loss_and_grad(losses.mae_loss(pred, target), (3,), "mae_loss")
    assert_close(loss, 1.5, "mae_loss of r = [2, -2, -0.5] (the mean of |r|)")
    assert_close(
        grad, [1 / 3, -1 / 3, -1 / 3], "the gradient of mae_loss (sign(pred - target) / n)"
    )


@pytest.mark.task("2.2")
def test_mae_gradient_is_zero_where_the_prediction_is_exact():
    pred = np.array([1.0, 5.0, -2.0, 0.0])
    target = np.array([1.0, 3.0, -2.0, 0.0])
    # r = [0, 2, 0, 0]: loss = 2 / 4 = 0.5; grad = [0, 1/4, 0, 0] (|r| at 0: defined as 0)
    loss, grad = check_loss_and_grad(losses.mae_loss(pred, target), (4,), "mae_loss")
    assert np.all(np.isfinite(grad)), (
        "the gradient of mae_loss is NaN where pred == target — r / |r| is 0/0 there; "
        "np.sign(r) gives 0"
    )
    assert_close(loss, 0.5, "mae_loss when three of four predictions are exact")
    assert_close(
        grad, [0.0, 0.25, 0.0, 0.0], "the gradient of mae_loss (0 where pred == target exactly)"
    )


@pytest.mark.task("2.2")
def test_mae_gradient_has_the_same_size_for_small_and_huge_errors():
    pred = np.array([[1e6, 0.5], [-3.0, 1e-3]])
    target = np.zeros((2, 2))
    # n = 4: loss = (1e6 + 0.5 + 3 + 1e-3) / 4; every |grad| is 1/4, however big the error
    loss, grad = check_loss_and_grad(losses.mae_loss(pred, target), (2, 2), "mae_loss")
    assert_close(
        loss,
        (1e6 + 0.5 + 3.0 + 1e-3) / 4,
        "mae_loss of a (2, 2) matrix, averaged over all 4 elements",
    )
    assert_close(
        grad, np.sign(pred) / 4, "the gradient of mae_loss (±1/n whether the error is 1e-3 or 1e6)"
    )


@pytest.mark.task("2.2")
def test_mae_gradient_matches_finite_differences(rng):
    target = rng.standard_normal((5, 2))
    offset = rng.uniform(0.1, 2.0, (5, 2)) * rng.choice([-1.0, 1.0], (5, 2))
    pred = target + offset  # every |r| >= 0.1: far from the kink at 0
    loss, grad = check_loss_and_grad(losses.mae_loss(pred, target), (5, 2), "mae_loss")
    naive = sum(abs(p - t) for p, t in zip(pred.ravel(), target.ravel())) / pred.size
    assert_close(loss, naive, "mae_loss against a plain loop over the elements")
    assert_grad_close(
        grad, lambda: losses.mae_loss(pred, target)[0], pred, "the gradient of mae_loss"
    )


# ---------------------------------------------------------------- 2.3 Huber


@pytest.mark.task("2.3")
def test_huber_hand_worked_value_and_gradient():
    pred = np.array([0.5, -2.0, 3.0])
    target = np.zeros(3)
    # delta = 1: 0.5 * 0.5**2 = 0.125 (inside); 1 * (2 - 0.5) = 1.5; 1 * (3 - 0.5) = 2.5
    # loss = (0.125 + 1.5 + 2.5) / 3 = 1.375; grad = clip(r, -1, 1) / 3 = [0.5, -1, 1] / 3
    loss, grad = check_loss_and_grad(losses.huber_loss(pred, target), (3,), "huber_loss")
    assert_close(loss, 1.375, "huber_loss of r = [0.5, -2, 3] with delta = 1")
    assert_close(
        grad,
        [0.5 / 3, -1 / 3, 1 / 3],
        "the gradient of huber_loss (r / n inside |r| <= delta, ±delta / n outside)",
    )


@pytest.mark.task("2.3")
def test_huber_uses_the_delta_it_is_given():
    pred = np.array([1.0, -3.0, 5.0])
    target = np.zeros(3)
    # delta = 2: 0.5 * 1 = 0.5 (inside); 2 * (3 - 1) = 4; 2 * (5 - 1) = 8
    # loss = 12.5 / 3; grad = clip(r, -2, 2) / 3 = [1, -2, 2] / 3
    loss, grad = check_loss_and_grad(losses.huber_loss(pred, target, delta=2.0), (3,), "huber_loss")
    assert_close(
        loss, 12.5 / 3, "huber_loss with delta = 2 (use the delta argument; do not assume 1)"
    )
    assert_close(grad, [1 / 3, -2 / 3, 2 / 3], "the gradient of huber_loss with delta = 2")


@pytest.mark.task("2.3")
def test_huber_is_continuous_where_it_turns_linear():
    delta = 1.5
    # exactly at |r| = delta both pieces give 0.5 * delta**2 = 1.125, and the slope is delta
    loss, grad = check_loss_and_grad(
        losses.huber_loss(np.array([delta, -delta]), np.zeros(2), delta=delta), (2,), "huber_loss"
    )
    assert_close(loss, 0.5 * delta**2, "huber_loss exactly at |r| = delta")
    assert_close(grad, [delta / 2, -delta / 2], "the gradient of huber_loss at |r| = delta")
    # each piece has slope at most delta, so the loss of one element can change by at most
    # delta * step between neighbouring residuals: a jump at |r| = delta breaks this bound
    residuals = np.linspace(0.0, 2 * delta, 301)
    values = np.array(
        [losses.huber_loss(np.array([r]), np.zeros(1), delta=delta)[0] for r in residuals]
    )
    step = residuals[1] - residuals[0]
    jumps = np.abs(np.diff(values))
    worst = int(np.argmax(jumps))
    assert jumps[worst] <= delta * step * (1 + 1e-6), (
        f"huber_loss jumps by {jumps[worst]:.4g} between r = {residuals[worst]:.4f} and "
        f"r = {residuals[worst + 1]:.4f}; the linear piece delta * (|r| - delta / 2) must meet "
        "the quadratic 0.5 r**2 at |r| = delta"
    )


@pytest.mark.task("2.3")
def test_huber_is_half_mse_for_small_errors_and_has_capped_slope_for_large(rng):
    target = rng.standard_normal((4, 3))
    small = rng.uniform(-0.9, 0.9, (4, 3))  # every |r| < delta = 1
    loss, grad = check_loss_and_grad(
        losses.huber_loss(target + small, target), (4, 3), "huber_loss"
    )
    assert_close(
        loss,
        0.5 * np.mean(small**2),
        "huber_loss with every |r| <= delta (should be mean(0.5 r**2))",
    )
    assert_close(grad, small / small.size, "the gradient of huber_loss inside |r| <= delta")
    large = np.array([[10.0, -50.0], [1e3, -1e5]])  # all far outside delta = 1
    loss, grad = check_loss_and_grad(
        losses.huber_loss(large, np.zeros((2, 2))), (2, 2), "huber_loss"
    )
    assert_close(
        loss,
        np.mean(np.abs(large) - 0.5),
        "huber_loss with every |r| > delta (should be mean(delta (|r| - delta / 2)))",
    )
    assert_close(
        grad,
        np.sign(large) / 4,
        "the gradient of huber_loss for large errors (±delta / n, not r / n)",
    )


@pytest.mark.task("2.3")
def test_huber_gradient_matches_finite_differences(rng):
    delta = 0.7
    target = rng.standard_normal(12)
    # residuals on both sides of delta but never within 0.05 of the kink at |r| = delta
    size = np.concatenate([rng.uniform(0.05, 0.65, 6), rng.uniform(0.75, 3.0, 6)])
    pred = target + size * rng.choice([-1.0, 1.0], 12)
    loss, grad = check_loss_and_grad(losses.huber_loss(pred, target, delta), (12,), "huber_loss")
    naive = 0.0
    for p, t in zip(pred, target):
        r = abs(p - t)
        naive += 0.5 * r * r if r <= delta else delta * (r - 0.5 * delta)
    assert_close(loss, naive / 12, "huber_loss against a plain loop over the elements")
    assert_grad_close(
        grad, lambda: losses.huber_loss(pred, target, delta)[0], pred, "the gradient of huber_loss"
    )


# ---------------------------------------------------------------- 2.4 binary cross-entropy


@pytest.mark.task("2.4")
def test_binary_cross_entropy_of_zero_logits_is_log_2():
    labels = np.array([0.0, 1.0, 1.0, 0.5])
    # z = 0: sigmoid = 1/2, so -y log(1/2) - (1 - y) log(1/2) = log 2 for any label y
    # grad = (1/2 - y) / 4 = [1/8, -1/8, -1/8, 0]
    loss, grad = check_loss_and_grad(
        losses.binary_cross_entropy_with_logits(np.zeros(4), labels),
        (4,),
        "binary_cross_entropy_with_logits",
    )
    assert_close(loss, np.log(2.0), "binary cross-entropy of logits 0 (a 50/50 guess)")
    assert_close(
        grad,
        [1 / 8, -1 / 8, -1 / 8, 0.0],
        "the gradient of binary cross-entropy ((sigmoid(z) - y) / n)",
    )


@pytest.mark.task("2.4")
def test_binary_cross_entropy_hand_worked_value_and_gradient():
    logits = np.full(2, np.log(3.0))
    labels = np.array([1.0, 0.0])
    # sigmoid(log 3) = 3 / (3 + 1) = 3/4
    # y = 1: -log(3/4) = log(4/3); y = 0: -log(1 - 3/4) = log 4; mean = (log(4/3) + log 4) / 2
    # grad = (3/4 - [1, 0]) / 2 = [-1/8, 3/8]
    loss, grad = check_loss_and_grad(
        losses.binary_cross_entropy_with_logits(logits, labels),
        (2,),
        "binary_cross_entropy_with_logits",
    )
    assert_close(
        loss,
        (np.log(4 / 3) + np.log(4.0)) / 2,
        "binary cross-entropy of logits log 3 (probability 3/4) for labels [1, 0]",
    )
    assert_close(grad, [-1 / 8, 3 / 8], "the gradient of binary cross-entropy at z = log 3")


@pytest.mark.task("2.4")
def test_binary_cross_entropy_matches_the_formula_and_finite_differences(rng):
    logits = rng.uniform(-4.0, 4.0, (5, 3))
    labels = rng.uniform(0.0, 1.0, (5, 3))  # soft labels are allowed too
    loss, grad = check_loss_and_grad(
        losses.binary_cross_entropy_with_logits(logits, labels),
        (5, 3),
        "binary_cross_entropy_with_logits",
    )
    naive = 0.0
    for z, y in zip(logits.ravel(), labels.ravel()):
        s = 1.0 / (1.0 + np.exp(-z))  # safe here: |z| <= 4
        naive += -y * np.log(s) - (1.0 - y) * np.log(1.0 - s)
    assert_close(
        loss,
        naive / logits.size,
        "binary cross-entropy (should be -y log s - (1 - y) log(1 - s), averaged over "
        "all 15 elements)",
    )
    assert_grad_close(
        grad,
        lambda: losses.binary_cross_entropy_with_logits(logits, labels)[0],
        logits,
        "the gradient of binary cross-entropy",
    )


@pytest.mark.task("2.4")
def test_binary_cross_entropy_is_finite_and_right_at_logits_of_1e4():
    logits = np.array([1e4, -1e4, 1e4, -1e4])
    labels = np.array([0.0, 1.0, 1.0, 0.0])
    # confidently wrong: max(z, 0) - z y + log1p(exp(-|z|)) = 1e4 + log1p(e^-1e4) = 1e4 (twice)
    # confidently right: 0 (twice); mean = 2e4 / 4 = 5000
    # sigmoid = [1, 0, 1, 0]: grad = ([1, 0, 1, 0] - y) / 4 = [1/4, -1/4, 0, 0]
    result = call_without_overflow(losses.binary_cross_entropy_with_logits, logits, labels)
    loss, grad = check_loss_and_grad(result, (4,), "binary_cross_entropy_with_logits")
    assert np.isfinite(loss) and np.all(np.isfinite(grad)), (
        "binary cross-entropy is inf or NaN at logits of ±1e4 — log(sigmoid(z)) hits log(0); "
        "use max(z, 0) - z*y + log1p(exp(-|z|))"
    )
    assert_close(
        loss,
        5000.0,
        "binary cross-entropy at ±1e4 (a confident wrong answer costs 1e4, a "
        "confident right one 0)",
    )
    assert_close(grad, [0.25, -0.25, 0.0, 0.0], "the gradient of binary cross-entropy at ±1e4")


@pytest.mark.task("2.4")
def test_binary_cross_entropy_with_a_soft_label_is_smallest_at_its_logit():
    labels = np.array([0.25, 0.5, 0.9])
    logits = np.log(labels / (1 - labels))  # sigmoid(z) = y exactly
    # at sigmoid(z) = y the gradient (sigmoid(z) - y) / n is 0, and the loss is the entropy
    # -y log y - (1 - y) log(1 - y) of each label, averaged
    entropy = -labels * np.log(labels) - (1 - labels) * np.log(1 - labels)
    loss, grad = check_loss_and_grad(
        losses.binary_cross_entropy_with_logits(logits, labels),
        (3,),
        "binary_cross_entropy_with_logits",
    )
    assert_close(
        loss,
        entropy.mean(),
        "binary cross-entropy where sigmoid(z) equals the soft label y (the entropy)",
    )
    assert_close(
        grad, np.zeros(3), "the gradient of binary cross-entropy where sigmoid(z) = y (should be 0)"
    )


# ---------------------------------------------------------------- 2.5 categorical cross-entropy


@pytest.mark.task("2.5")
def test_cross_entropy_hand_worked_value_and_gradient():
    logits = np.array([[0.0, np.log(2.0), 0.0], [np.log(3.0), 0.0, 0.0]])
    targets = np.array([1, 2])
    # row 0: exp = [1, 2, 1], softmax = [1/4, 1/2, 1/4], target 1: -log(1/2) = log 2
    # row 1: exp = [3, 1, 1], softmax = [3/5, 1/5, 1/5], target 2: -log(1/5) = log 5
    # loss = (log 2 + log 5) / 2 = log(10) / 2 (mean over the 2 rows, not the 6 entries)
    # grad = (softmax - onehot) / 2
    loss, grad = check_loss_and_grad(
        losses.cross_entropy_with_logits(logits, targets), (2, 3), "cross_entropy_with_logits"
    )
    assert_close(
        loss, np.log(10.0) / 2, "cross-entropy of two hand-worked rows (the mean over N rows)"
    )
    assert_close(
        grad,
        np.array([[1 / 4, -1 / 2, 1 / 4], [3 / 5, 1 / 5, -4 / 5]]) / 2,
        "the gradient of cross-entropy ((softmax - onehot) / N)",
    )


@pytest.mark.task("2.5")
def test_cross_entropy_equals_negative_log_softmax_of_target(rng):
    logits = rng.standard_normal((6, 5)) * 3
    targets = np.array([4, 0, 2, 2, 1, 3])
    naive = 0.0
    for row, target in zip(logits, targets):
        softmax = np.exp(row) / np.sum(np.exp(row))  # safe here: |logits| is small
        naive += -np.log(softmax[target])
    loss, _ = check_loss_and_grad(
        losses.cross_entropy_with_logits(logits, targets), (6, 5), "cross_entropy_with_logits"
    )
    assert_close(
        loss,
        naive / 6,
        "cross-entropy (should be the mean over rows of -log softmax(row)[target]; "
        "pick each row's own target with [np.arange(N), targets])",
    )


@pytest.mark.task("2.5")
def test_cross_entropy_gradient_matches_finite_differences(rng):
    logits = rng.standard_normal((4, 6))
    targets = np.array([5, 0, 3, 0])
    loss, grad = check_loss_and_grad(
        losses.cross_entropy_with_logits(logits, targets), (4, 6), "cross_entropy_with_logits"
    )
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    assert_close(
        loss,
        -np.mean(np.log(probs[np.arange(4), targets])),
        "cross-entropy of a random (4, 6) batch",
    )
    assert_grad_close(
        grad,
        lambda: losses.cross_entropy_with_logits(logits, targets)[0],
        logits,
        "the gradient of cross-entropy",
    )


@pytest.mark.task("2.5")
@pytest.mark.parametrize("V", [2, 7, 50])
def test_cross_entropy_of_uniform_logits_is_log_V(V):
    N = 3
    targets = np.array([0, V - 1, V // 2])
    # equal logits: every class has probability 1/V, so each row costs -log(1/V) = log V
    # grad = (1/V - onehot) / N
    loss, grad = check_loss_and_grad(
        losses.cross_entropy_with_logits(np.full((N, V), 2.5), targets),
        (N, V),
        "cross_entropy_with_logits",
    )
    assert_close(loss, np.log(V), f"cross-entropy of uniform logits over V = {V} classes")
    expected = np.full((N, V), 1.0 / V)
    expected[np.arange(N), targets] -= 1.0
    assert_close(grad, expected / N, f"the gradient of cross-entropy of uniform logits, V = {V}")


@pytest.mark.task("2.5")
def test_cross_entropy_is_finite_and_right_at_logits_of_1e4():
    # row 2's max is -1e4: subtracting the max of the whole batch instead of each row's
    # would leave it all below -2e4, where every exp underflows to 0 and log(0) = -inf
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [-1e4, -1e4, -2e4]])
    targets = np.array([0, 0, 1])
    # row 0: softmax = [1, 0, 0], target 0: loss 0
    # row 1: log-sum-exp = 1e4, target logit -1e4: loss 2e4 (confidently wrong)
    # row 2: softmax = [1/2, 1/2, e^-1e4 / 2 = 0], target 1: loss log 2
    # mean = (2e4 + log 2) / 3; grad = (softmax - onehot) / 3
    result = call_without_overflow(losses.cross_entropy_with_logits, logits, targets)
    loss, grad = check_loss_and_grad(result, (3, 3), "cross_entropy_with_logits")
    assert np.isfinite(loss) and np.all(np.isfinite(grad)), (
        "cross-entropy is inf or NaN at logits of ±1e4 — exp(1e4) overflows; subtract each "
        "row's max before exp (log-sum-exp)"
    )
    assert_close(loss, (2e4 + np.log(2.0)) / 3, "cross-entropy at logits of ±1e4")
    expected = np.array([[0.0, 0.0, 0.0], [-1.0, 1.0, 0.0], [0.5, -0.5, 0.0]]) / 3
    assert_close(grad, expected, "the gradient of cross-entropy at logits of ±1e4")


@pytest.mark.task("2.5")
def test_cross_entropy_ignores_a_constant_added_to_each_row(rng):
    logits = rng.standard_normal((4, 5))
    targets = np.array([1, 4, 0, 1])
    shift = np.array([[1000.0], [-1000.0], [3.7], [0.0]])  # softmax(x + c) = softmax(x)
    loss, grad = check_loss_and_grad(
        losses.cross_entropy_with_logits(logits, targets), (4, 5), "cross_entropy_with_logits"
    )
    moved, moved_grad = check_loss_and_grad(
        losses.cross_entropy_with_logits(logits + shift, targets),
        (4, 5),
        "cross_entropy_with_logits",
    )
    assert_close(moved, loss, "cross-entropy after adding a constant (up to ±1000) to each row")
    assert_close(
        moved_grad, grad, "the gradient of cross-entropy after adding a constant to each row"
    )


@pytest.mark.task("2.5")
def test_cross_entropy_gradient_rows_sum_to_zero(rng):
    N, V = 5, 8
    logits = rng.standard_normal((N, V)) * 4
    targets = rng.integers(0, V, N)
    _, grad = check_loss_and_grad(
        losses.cross_entropy_with_logits(logits, targets), (N, V), "cross_entropy_with_logits"
    )
    # softmax sums to 1 and the one-hot sums to 1, so each row of (softmax - onehot) sums to 0
    assert_close(
        grad.sum(axis=1),
        np.zeros(N),
        "the row sums of the cross-entropy gradient (should be 0: softmax - onehot)",
    )
    assert np.all(grad[np.arange(N), targets] < 0), (
        "the gradient at each row's target must be negative: raising the right logit lowers "
        "the loss"
    )
    others = np.ones((N, V), dtype=bool)
    others[np.arange(N), targets] = False
    assert np.all(grad[others] > 0), "the gradient at every wrong class must be positive"


@pytest.mark.task("2.5")
def test_cross_entropy_of_a_batch_of_one(rng):
    logits = rng.standard_normal((1, 4))
    targets = np.array([2])
    # N = 1: the mean over rows is that row's -log softmax, the gradient softmax - onehot
    probs = np.exp(logits[0]) / np.exp(logits[0]).sum()
    loss, grad = check_loss_and_grad(
        losses.cross_entropy_with_logits(logits, targets), (1, 4), "cross_entropy_with_logits"
    )
    assert_close(loss, -np.log(probs[2]), "cross-entropy of a batch of one row")
    assert_close(grad, [probs - np.eye(4)[2]], "the gradient of cross-entropy of one row")
