"""day04 suite: the dense layer and the two-layer MLP compute the right values (hand-worked,
naive loops) and the right gradients (finite differences, with a value check beside each),
He/Xavier initialisation has the promised distribution, SGD steps without side effects, and
the trained MLP solves two spirals and XOR, which a linear model cannot."""

import math

import numpy as np
import pytest

from checker.core.testing import (
    assert_close,
    assert_fast_enough,
    assert_grad_close,
    assert_shape,
    implementation,
    msg,
)

network = implementation("day04_neural_networks.network")

PARAM_SHAPES = ("W1", "b1", "W2", "b2")


# ---------------------------------------------------------------- oracles written in the test


def naive_mlp_loss(params, X, y):
    """The MLP's mean cross-entropy, written plainly with loops: an independent oracle."""
    W1, b1, W2, b2 = (params[k] for k in PARAM_SHAPES)
    D, F, V = W1.shape[0], W1.shape[1], W2.shape[1]
    total = 0.0
    for x, target in zip(X, y, strict=True):
        h = [max(0.0, sum(x[d] * W1[d, j] for d in range(D)) + b1[j]) for j in range(F)]
        logits = [sum(h[j] * W2[j, v] for j in range(F)) + b2[v] for v in range(V)]
        top = max(logits)  # log-sum-exp: exp only of numbers <= 0
        log_norm = top + math.log(sum(math.exp(z - top) for z in logits))
        total += log_norm - logits[target]  # -log softmax(logits)[target]
    return total / len(X)


def random_params(rng, D=3, F=5, V=4, scale=1.0):
    return {
        "W1": scale * rng.standard_normal((D, F)),
        "b1": scale * rng.standard_normal(F),
        "W2": scale * rng.standard_normal((F, V)),
        "b2": scale * rng.standard_normal(V),
    }


def predict(params, X):
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return np.argmax(hidden @ params["W2"] + params["b2"], axis=1)


def linear_model_accuracy(X, y):
    """Training accuracy of a linear classifier: least squares on one-hot targets, plus a bias."""
    A = np.column_stack([X, np.ones(len(X))])  # (N, D + 1)
    Y = np.eye(int(y.max()) + 1)[y]  # (N, V) one-hot
    W = np.linalg.lstsq(A, Y, rcond=None)[0]
    return float(np.mean(np.argmax(A @ W, axis=1) == y))


def two_spirals(n=100, turns=1.5):
    """Two interleaved spiral arms, n points each, class 0 and its point reflection class 1."""
    t = np.sqrt(np.linspace(0.0, 1.0, n)) * turns * 2 * np.pi  # sqrt: even density along the arm
    r = t / (turns * 2 * np.pi)  # radius grows from 0 to 1
    arm = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)  # (n, 2)
    return np.concatenate([arm, -arm]), np.repeat([0, 1], n)


def xor_quadrants(n=50, seed=2023):
    """XOR: class 0 in the quadrants where x1 and x2 share a sign, class 1 elsewhere."""
    signs = np.repeat([[1, 1], [-1, -1], [1, -1], [-1, 1]], n, axis=0)  # n points per quadrant
    X = signs * np.random.default_rng(seed).uniform(0.1, 1.0, (4 * n, 2))
    return X, np.repeat([0, 0, 1, 1], n)


def check_params(params, shapes, what):
    assert isinstance(params, dict), f"{what} must return a dict of arrays, got {type(params)}"
    assert sorted(params) == sorted(shapes), (
        f"{what} must return the keys {sorted(shapes)}, got {sorted(params)}"
    )
    for key, shape in shapes.items():
        assert_shape(params[key], shape, f"{what}[{key!r}]")


# ---------------------------------------------------------------- 4.1 dense layer


@pytest.mark.task("4.1")
def test_dense_forward_hand_worked():
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, 0.0, -1.0])
    # row 0: [1*1 + 2*2, 1*0 + 2*1, 1*(-1) + 2*0] + b = [5, 2, -1] + b = [5.5, 2, -2]
    # row 1: [0*1 - 1*2, 0*0 - 1*1, 0*(-1) - 1*0] + b = [-2, -1, 0] + b = [-1.5, -1, -1]
    out, _ = network.dense_forward(x, W, b)
    assert_shape(out, (2, 3), "dense_forward's out for x (2, 2) and W (2, 3)")
    assert_close(
        out,
        [[5.5, 2.0, -2.0], [-1.5, -1.0, -1.0]],
        "dense_forward: x @ W + b, with b added to every row",
    )


@pytest.mark.task("4.1")
def test_dense_forward_matches_a_naive_loop(rng):
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    expected = np.zeros((4, 5))
    for n in range(4):
        for j in range(5):
            expected[n, j] = sum(x[n, d] * W[d, j] for d in range(3)) + b[j]
    out, _ = network.dense_forward(x, W, b)
    assert_shape(out, (4, 5), "dense_forward's out for x (4, 3) and W (3, 5)")
    assert_close(
        out,
        expected,
        "dense_forward compared with a loop: out[n, j] = sum_d x[n, d] W[d, j] + b[j]",
    )


@pytest.mark.task("4.1")
def test_dense_backward_hand_worked():
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, 0.0, -1.0])
    dout = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])
    # dx = dout @ W.T, W.T = [[1, 2], [0, 1], [-1, 0]]:
    #   row 0: [1*1 + 0*0 + 2*(-1), 1*2 + 0*1 + 2*0] = [-1, 2]
    #   row 1: [-1*1 + 1*0 + 0*(-1), -1*2 + 1*1 + 0*0] = [-1, -1]
    # dW = x.T @ dout: dW[0] = 1*[1, 0, 2] + 0*[-1, 1, 0] = [1, 0, 2]
    #                  dW[1] = 2*[1, 0, 2] - 1*[-1, 1, 0] = [3, -1, 4]
    # db = dout summed over the rows = [0, 1, 2]
    _, cache = network.dense_forward(x, W, b)
    dx, dW, db = network.dense_backward(dout, cache)
    assert_shape(dx, (2, 2), "dx (the shape of x)")
    assert_shape(dW, (2, 3), "dW (the shape of W)")
    assert_shape(db, (3,), "db (the shape of b)")
    assert_close(dx, [[-1.0, 2.0], [-1.0, -1.0]], "dx = dout @ W.T")
    assert_close(dW, [[1.0, 0.0, 2.0], [3.0, -1.0, 4.0]], "dW = x.T @ dout")
    assert_close(
        db,
        [0.0, 1.0, 2.0],
        "db: b was added to every row, so its gradient is dout summed (not averaged) over the rows",
    )


@pytest.mark.task("4.1")
def test_dense_backward_matches_finite_differences(rng):
    arrays = {
        "x": rng.standard_normal((4, 3)),
        "W": rng.standard_normal((3, 5)),
        "b": rng.standard_normal(5),
    }
    G = rng.standard_normal((4, 5))  # loss = sum(out * G), so d loss / d out = G

    def loss():  # the forward written here, so this checks backward on its own
        return float(np.sum((arrays["x"] @ arrays["W"] + arrays["b"]) * G))

    _, cache = network.dense_forward(arrays["x"], arrays["W"], arrays["b"])
    dx, dW, db = network.dense_backward(G, cache)
    grads = {"x": dx, "W": dW, "b": db}
    for wrt in ("x", "W", "b"):
        assert_shape(grads[wrt], arrays[wrt].shape, f"d{wrt} (the shape of {wrt})")
        assert_grad_close(grads[wrt], loss, arrays[wrt], f"d{wrt} of dense_backward")


@pytest.mark.task("4.1")
def test_dense_with_a_batch_of_one(rng):
    x, W, b = rng.standard_normal((1, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    dout = rng.standard_normal((1, 2))
    out, cache = network.dense_forward(x, W, b)
    assert_close(out, x @ W + b, "dense_forward of a single row")
    dx, dW, db = network.dense_backward(dout, cache)
    assert_shape(db, (2,), "db for a batch of one (sum over the rows: still shape (D_out,))")
    assert_close(dW, np.outer(x[0], dout[0]), "dW for one row: the outer product of x and dout")
    assert_close(db, dout[0], "db for one row is that row of dout")
    assert_close(dx, dout @ W.T, "dx for one row")


@pytest.mark.task("4.1")
def test_dense_with_an_empty_batch_has_zero_parameter_gradients(rng):
    x, W, b = np.zeros((0, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    out, cache = network.dense_forward(x, W, b)
    assert_shape(out, (0, 2), "dense_forward of an empty batch")
    dx, dW, db = network.dense_backward(np.zeros((0, 2)), cache)
    assert_shape(dx, (0, 3), "dx of an empty batch")
    assert_close(dW, np.zeros((3, 2)), "dW of an empty batch (no rows contribute: zeros)")
    assert_close(db, np.zeros(2), "db of an empty batch (a sum over no rows is 0, not NaN)")


# ---------------------------------------------------------------- 4.2 initialisation

# A sample variance of n normal draws has relative standard deviation sqrt(2 / n): 0.32% at
# n = 200_000, 0.45% at 100_000. The 3% bounds below are 6.7+ standard deviations away, so a
# correct implementation, whatever order it draws in, fails with probability below 1e-10.
VAR_RTOL = 0.03


def check_variance(W, expected_var, what):
    W = np.asarray(W)
    var = float(np.mean(W**2))  # the mean is 0 by design, so E[W^2] is the variance
    assert abs(var / expected_var - 1) < VAR_RTOL, (
        f"{what}: the weights' variance is {var:.6g}, expected {expected_var:.6g} — the "
        "variance is std**2, so scale standard normal draws by sqrt(variance)"
    )
    # the mean of n draws has standard deviation sqrt(var / n); 6 of them never flakes
    bound = 6 * math.sqrt(expected_var / W.size)
    assert abs(W.mean()) < bound, f"{what}: the weights' mean is {W.mean():.3g}, expected about 0"


@pytest.mark.task("4.2")
def test_init_weights_shape_and_dtype():
    for scheme in ("he", "xavier"):
        W = network.init_weights(3, 7, scheme, 0)
        assert_shape(W, (3, 7), f"init_weights(3, 7, {scheme!r}) (fan_in rows, fan_out columns)")
        assert np.asarray(W).dtype == np.float64, (
            f"the {scheme} weights should be float64, got {np.asarray(W).dtype}"
        )


@pytest.mark.task("4.2")
def test_he_variance_is_two_over_fan_in():
    W = network.init_weights(500, 400, "he", seed=1)
    check_variance(W, 2 / 500, "He initialisation with fan_in = 500 (variance 2 / fan_in)")


@pytest.mark.task("4.2")
def test_xavier_variance_is_two_over_fan_in_plus_fan_out():
    W = network.init_weights(500, 400, "xavier", seed=1)
    check_variance(
        W, 2 / 900, "Xavier initialisation, fan_in 500, fan_out 400 (variance 2 / (500 + 400))"
    )


@pytest.mark.task("4.2")
def test_he_variance_ignores_fan_out_even_for_a_fan_in_of_one():
    W = network.init_weights(1, 100_000, "he", seed=2)
    assert_shape(W, (1, 100_000), "init_weights(1, 100000)")
    check_variance(
        W, 2.0, "He initialisation with fan_in = 1 (variance 2 / 1 = 2, whatever fan_out is)"
    )


@pytest.mark.task("4.2")
def test_he_and_xavier_differ_as_their_formulas_say():
    fan_in, fan_out = 300, 600
    he = network.init_weights(fan_in, fan_out, "he", seed=3)
    xavier = network.init_weights(fan_in, fan_out, "xavier", seed=4)
    # (2 / fan_in) / (2 / (fan_in + fan_out)) = (300 + 600) / 300 = 3; the ratio of two
    # sample variances of 180_000 draws each has relative standard deviation ~0.5%
    ratio = float(np.mean(he**2) / np.mean(xavier**2))
    assert abs(ratio / 3 - 1) < 0.04, (
        f"for fan_in 300 and fan_out 600 He's variance should be 3 times Xavier's, got {ratio:.3f}"
    )


@pytest.mark.task("4.2")
def test_weights_are_normally_distributed():
    W = np.asarray(network.init_weights(400, 500, "he", seed=5))
    std = W.std()  # the weights' own spread: this test is about the shape, not the scale
    # a normal distribution puts 68.27% of its draws within 1 std and 95.45% within 2;
    # a uniform one puts 57.7% and 100%. Over 200_000 draws the fractions have standard
    # deviation below 0.11%, so a bound of 1% never flakes.
    within1 = float(np.mean(np.abs(W) < std))
    within2 = float(np.mean(np.abs(W) < 2 * std))
    assert abs(within1 - 0.6827) < 0.01 and abs(within2 - 0.9545) < 0.01, (
        f"{within1:.1%} of the weights lie within 1 std and {within2:.1%} within 2; a normal "
        "distribution gives 68.3% and 95.4% — draw with rng.standard_normal (or rng.normal), "
        "not rng.uniform"
    )


@pytest.mark.task("4.2")
def test_init_weights_is_deterministic_by_seed():
    first = network.init_weights(20, 30, "xavier", seed=7)
    again = network.init_weights(20, 30, "xavier", seed=7)
    assert np.array_equal(first, again), (
        "the same seed must give the same weights: use np.random.default_rng(seed)"
    )
    other = network.init_weights(20, 30, "xavier", seed=8)
    assert not np.array_equal(first, other), "different seeds must give different weights"
    assert np.array_equal(network.init_weights(20, 30), network.init_weights(20, 30, "he", 0)), (
        "the defaults are scheme='he' and seed=0"
    )


# ---------------------------------------------------------------- 4.3 the MLP's loss and gradients


@pytest.mark.task("4.3")
def test_mlp_loss_matches_a_naive_forward(rng):
    params = random_params(rng)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    loss, _ = network.mlp_loss_and_grads(params, X, y)
    assert np.ndim(loss) == 0, f"the loss must be one number (the mean), got shape {np.shape(loss)}"
    assert_close(
        loss,
        naive_mlp_loss(params, X, y),
        "the MLP's loss compared with a loop: mean over rows of "
        "-log softmax(relu(x @ W1 + b1) @ W2 + b2)[y]",
    )


@pytest.mark.task("4.3")
def test_mlp_gradients_match_finite_differences(rng):
    params = random_params(rng)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    loss, grads = network.mlp_loss_and_grads(params, X, y)
    check_params(grads, {k: v.shape for k, v in params.items()}, "mlp_loss_and_grads' grads")
    assert_close(loss, naive_mlp_loss(params, X, y), "the MLP's loss (before checking gradients)")
    for key in ("W2", "b2", "W1", "b1"):  # in backward order: the first wrong one is reported
        assert_grad_close(
            grads[key],
            lambda: naive_mlp_loss(params, X, y),
            params[key],
            f"grads[{key!r}] of the MLP",
        )


@pytest.mark.task("4.3")
def test_mlp_with_zero_weights_hand_worked():
    params = {"W1": np.zeros((3, 2)), "b1": np.zeros(2), "W2": np.zeros((2, 2)), "b2": np.zeros(2)}
    X = np.arange(12.0).reshape(4, 3)
    y = np.array([0, 0, 0, 1])
    # all logits are 0: softmax = [1/2, 1/2] in every row, loss = -log(1/2) = log 2
    # dlogits = (softmax - onehot) / N; summed over the rows for b2:
    #   ([1/2, 1/2] * 4 - [3, 1]) / 4 = ([2, 2] - [3, 1]) / 4 = [-1/4, 1/4]
    # h = relu(0) = 0, so dW2 = h.T @ dlogits = 0; W2 = 0, so nothing reaches W1 or b1
    loss, grads = network.mlp_loss_and_grads(params, X, y)
    assert_close(loss, math.log(2), "the loss with all-zero parameters and 2 classes (log 2)")
    assert_close(
        grads["b2"],
        [-0.25, 0.25],
        "grads['b2'] with zero weights: (softmax - onehot) averaged over the 4 rows, "
        "summed over rows",
    )
    for key in ("W1", "b1", "W2"):
        assert_close(
            grads[key],
            np.zeros_like(params[key]),
            f"grads[{key!r}] with zero weights (nothing flows there)",
        )


@pytest.mark.task("4.3")
def test_mlp_dead_hidden_units_get_no_gradient(rng):
    params = random_params(rng)
    params["b1"][[0, 2]] = -1e3  # units 0 and 2 are below 0 for every row: ReLU shuts them off
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    loss, grads = network.mlp_loss_and_grads(params, X, y)
    assert_close(
        grads["W1"][:, [0, 2]],
        np.zeros((3, 2)),
        "grads['W1'] of hidden units that ReLU switched off: multiply by relu_grad of "
        "the pre-activation (0 where x @ W1 + b1 <= 0)",
    )
    assert_close(grads["b1"][[0, 2]], np.zeros(2), "grads['b1'] of switched-off hidden units")
    assert_close(
        grads["W2"][[0, 2]],
        np.zeros((2, 4)),
        "grads['W2'] rows of switched-off units (their output h is 0)",
    )
    assert_close(loss, naive_mlp_loss(params, X, y), "the MLP's loss with two dead units")
    assert_grad_close(
        grads["W1"],
        lambda: naive_mlp_loss(params, X, y),
        params["W1"],
        "grads['W1'] with two dead units",
    )


@pytest.mark.task("4.3")
def test_mlp_with_a_batch_of_one(rng):
    params = random_params(rng)
    X, y = rng.standard_normal((1, 3)), np.array([2])
    loss, grads = network.mlp_loss_and_grads(params, X, y)
    assert_close(loss, naive_mlp_loss(params, X, y), "the MLP's loss for a single row")
    for key in PARAM_SHAPES:
        assert_shape(grads[key], params[key].shape, f"grads[{key!r}] for a single row")
        assert_grad_close(
            grads[key],
            lambda: naive_mlp_loss(params, X, y),
            params[key],
            f"grads[{key!r}] for a single row",
        )


@pytest.mark.task("4.3")
def test_mlp_stays_finite_at_huge_logits(rng):
    params = random_params(rng)
    params["W2"] *= 1e3  # logits in the thousands: exp(1000) is inf in float64
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    with np.errstate(all="ignore"):  # count the inf/NaN that reach the results, not warnings
        loss, grads = network.mlp_loss_and_grads(params, X, y)
    assert np.isfinite(loss), (
        f"the MLP's loss is {loss} at logits in the thousands — use cross_entropy_with_logits "
        "(log-sum-exp) rather than a softmax of your own"
    )
    assert_close(loss, naive_mlp_loss(params, X, y), "the MLP's loss at logits in the thousands")
    for key in PARAM_SHAPES:
        assert np.all(np.isfinite(grads[key])), (
            f"grads[{key!r}] contains inf or NaN at logits in the thousands"
        )


# ---------------------------------------------------------------- 4.4 SGD step


@pytest.mark.task("4.4")
def test_sgd_step_hand_worked():
    params = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5])}
    grads = {"W": np.array([[1.0, 0.0], [0.0, -2.0]]), "b": np.array([1.0])}
    # W - 0.1 * dW = [[1 - 0.1, 2], [3, 4 + 0.2]]; b - 0.1 * db = 0.5 - 0.1 = 0.4
    new = network.sgd_step(params, grads, 0.1)
    check_params(new, {"W": (2, 2), "b": (1,)}, "sgd_step")
    assert_close(
        new["W"],
        [[0.9, 2.0], [3.0, 4.2]],
        "sgd_step's W: params minus lr times grads (a step against the gradient)",
    )
    assert_close(new["b"], [0.4], "sgd_step's b")


@pytest.mark.task("4.4")
def test_sgd_step_leaves_params_and_grads_untouched(rng):
    params = random_params(rng)
    grads = random_params(rng)
    saved_params = {k: v.copy() for k, v in params.items()}
    saved_grads = {k: v.copy() for k, v in grads.items()}
    network.sgd_step(params, grads, 0.5)
    for key in PARAM_SHAPES:
        assert np.array_equal(params[key], saved_params[key]), (
            f"sgd_step changed the caller's params[{key!r}] — build new arrays "
            "(p - lr * g), do not update in place (p -= lr * g)"
        )
        assert np.array_equal(grads[key], saved_grads[key]), f"sgd_step changed grads[{key!r}]"


@pytest.mark.task("4.4")
def test_sgd_step_returns_new_arrays_even_at_learning_rate_zero(rng):
    params = random_params(rng)
    grads = random_params(rng)
    new = network.sgd_step(params, grads, 0.0)
    assert new is not params, "sgd_step must return a new dict, not the one it was given"
    for key in PARAM_SHAPES:
        assert_close(new[key], params[key], f"sgd_step with lr = 0 must leave {key} as it was")
        assert not np.shares_memory(new[key], params[key]), (
            f"sgd_step returned the caller's own params[{key!r}] array; return a new one, "
            "so a later in-place change cannot reach back into the old parameters"
        )


@pytest.mark.task("4.4")
def test_sgd_step_handles_any_keys_and_shapes(rng):
    params = {
        "embedding": rng.standard_normal((3, 2, 2)),
        "W3": np.array([1.0]),
        "gamma": rng.standard_normal(4),
    }
    grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
    new = network.sgd_step(params, grads, 0.25)
    check_params(new, {k: v.shape for k, v in params.items()}, "sgd_step on other parameters")
    for key in params:
        assert_close(
            new[key],
            params[key] - 0.25 * grads[key],
            f"sgd_step on {key!r}: every key of params gets the update, not only W1..b2",
        )


# ---------------------------------------------------------------- 4.5 training


@pytest.mark.task("4.5")
@pytest.mark.points(2)
def test_mlp_learns_two_spirals_where_a_linear_model_cannot():
    X, y = two_spirals()
    linear = linear_model_accuracy(X, y)
    assert linear < 0.75, f"test bug: a linear model already reaches {linear:.0%} on the spirals"
    params = network.train_mlp(X, y)
    check_params(params, {"W1": (2, 32), "b1": (32,), "W2": (32, 2), "b2": (2,)}, "train_mlp")
    accuracy = float(np.mean(predict(params, X) == y))
    assert accuracy >= 0.95, (
        f"after train_mlp the MLP classifies {accuracy:.1%} of the two spirals correctly (a "
        f"linear model: {linear:.0%}); it should reach 95% — check mlp_loss_and_grads and that "
        "each step uses all rows, the learning rate and W1 = He, b = 0"
    )


def vectorised_training_steps(X, y, params, steps, lr=1.0):
    """Full-batch gradient descent on the two-layer MLP, written plainly in NumPy: the
    work train_mlp does, for timing it."""
    N = len(X)
    onehot = np.eye(params["W2"].shape[1])[y]
    W1, b1, W2, b2 = (params[k].copy() for k in PARAM_SHAPES)
    for _ in range(steps):
        pre = X @ W1 + b1  # (N, F)
        h = np.maximum(pre, 0)
        logits = h @ W2 + b2  # (N, V)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        dlogits = (p - onehot) / N
        dh = (dlogits @ W2.T) * (pre > 0)
        W2 -= lr * h.T @ dlogits
        b2 -= lr * dlogits.sum(axis=0)
        W1 -= lr * X.T @ dh
        b1 -= lr * dh.sum(axis=0)


@pytest.mark.task("4.5")
@pytest.mark.perf
def test_train_mlp_is_vectorised():
    steps = 50
    X, y = two_spirals(n=1000)  # many rows, few steps: a loop over rows shows, noise does not
    start = network.train_mlp(X, y, steps=0)  # the initialisation, for the reference's shapes

    def inputs(k):  # each run its own points, so remembering an answer gains nothing
        return {"X": X + 1e-3 * (k + 1), "y": y, "steps": steps}

    assert_fast_enough(
        network.train_mlp,
        lambda X, y, steps: vectorised_training_steps(X, y, start, steps),
        inputs,
        f"train_mlp ({steps} steps on {len(X)} points)",
        msg(
            en="Each step should be a few matrix products over all rows at once: look for a "
            "Python loop over rows or hidden units in train_mlp, mlp_loss_and_grads or dense_*",
            ja="各ステップは全行まとめての行列積いくつかで済むはずです。train_mlp、"
            "mlp_loss_and_grads、dense_* に行や隠れユニットを回す Python のループがないか探しましょう",
        ),
        factor=8,  # here a vectorised tree takes 1–2.5×; a loop over rows in one layer ~14×
    )


@pytest.mark.task("4.5")
def test_mlp_learns_xor_where_a_linear_model_cannot():
    X, y = xor_quadrants()
    linear = linear_model_accuracy(X, y)
    assert linear < 0.6, f"test bug: a linear model already reaches {linear:.0%} on XOR"
    params = network.train_mlp(X, y, hidden=16, lr=1.0, steps=500, seed=1)
    accuracy = float(np.mean(predict(params, X) == y))
    assert accuracy >= 0.95, (
        f"after 500 steps the MLP classifies {accuracy:.1%} of the XOR points correctly (a "
        f"linear model: {linear:.0%}); it should reach 95% — check mlp_loss_and_grads (the "
        "ReLU's gradient) and that train_mlp steps against the gradient"
    )


@pytest.mark.task("4.5")
def test_zero_steps_returns_the_initialisation():
    X = np.random.default_rng(0).standard_normal((30, 4))
    y = np.arange(30) % 3  # V = y.max() + 1 = 3 classes
    X_saved, y_saved = X.copy(), y.copy()
    params = network.train_mlp(X, y, hidden=7, steps=0, seed=0)
    check_params(
        params,
        {"W1": (4, 7), "b1": (7,), "W2": (7, 3), "b2": (3,)},
        "train_mlp with D = 4, hidden = 7 and 3 classes",
    )
    assert_close(params["b1"], np.zeros(7), "b1 at initialisation (zeros)")
    assert_close(params["b2"], np.zeros(3), "b2 at initialisation (zeros)")
    for key in ("W1", "W2"):
        assert np.all(params[key] != 0) and np.all(np.isfinite(params[key])), (
            f"{key} at initialisation must be random (init_weights), not zeros: zero weights "
            "give every hidden unit the same gradient, so they never become different"
        )
    assert np.array_equal(X, X_saved) and np.array_equal(y, y_saved), "train_mlp changed X or y"


@pytest.mark.task("4.5")
def test_one_step_is_a_full_batch_gradient_descent_step():
    X = np.random.default_rng(1).standard_normal((20, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    lr = 0.5
    before = network.train_mlp(X, y, hidden=8, lr=lr, steps=0, seed=3)
    after = network.train_mlp(X, y, hidden=8, lr=lr, steps=1, seed=3)
    for key in PARAM_SHAPES:
        step = (before[key] - after[key]) / lr  # must be the gradient on all 20 rows
        assert_grad_close(
            step,
            lambda: naive_mlp_loss(before, X, y),
            before[key],
            f"(before - after) / lr for {key} after one step of train_mlp, which "
            "must be the gradient on all the rows,",
        )


@pytest.mark.task("4.5")
def test_training_lowers_the_loss():
    X, y = xor_quadrants(n=10)
    losses = [
        naive_mlp_loss(network.train_mlp(X, y, hidden=8, steps=steps, seed=2), X, y)
        for steps in (0, 10, 100)
    ]
    assert losses[0] > losses[1] > losses[2], (
        f"the training loss after 0, 10 and 100 steps is {losses[0]:.3f}, {losses[1]:.3f}, "
        f"{losses[2]:.3f}; it should go down — step against the gradient (params - lr * grads)"
    )


@pytest.mark.task("4.5")
def test_training_is_deterministic_by_seed():
    X, y = xor_quadrants(n=10)
    first = network.train_mlp(X, y, hidden=8, steps=20, seed=4)
    again = network.train_mlp(X, y, hidden=8, steps=20, seed=4)
    other = network.train_mlp(X, y, hidden=8, steps=20, seed=5)
    for key in PARAM_SHAPES:
        assert np.array_equal(first[key], again[key]), (
            f"two runs with the same seed gave different {key}: all randomness must come "
            "from the seed (init_weights(..., seed=...))"
        )
    assert not np.array_equal(first["W1"], other["W1"]), (
        "seeds 4 and 5 gave the same W1: pass the seed on to init_weights"
    )
