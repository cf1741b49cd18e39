"""day01_ml_basics suite: a seeded split that keeps rows paired, standardisation without
leakage, and a straight line fitted in closed form (with a ridge penalty that spares the
intercept) and by gradient descent, which converges to the same line."""

import numpy as np
import pytest

from checker.core.testing import ATOL, assert_close, assert_grad_close, assert_shape, implementation

linreg = implementation("day01_ml_basics.linear_regression")  # lazy; resolved at first use


def rows_with_ids(N: int, D: int) -> tuple[np.ndarray, np.ndarray]:
    """X whose row i is [i.0, i.1, i.2, ...] and y = 10 * i, so every row shows where it came
    from and whether it is still whole and paired after any shuffle."""
    ids = np.arange(N, dtype=float)
    X = ids[:, None] + np.arange(D) / 10  # (N, D)
    return X, 10.0 * ids


def split(X, y, test_fraction, seed):
    result = linreg.train_test_split(X, y, test_fraction=test_fraction, seed=seed)
    assert isinstance(result, tuple) and len(result) == 4, (
        "train_test_split should return four arrays: X_train, X_test, y_train, y_test"
    )
    return result


def fit(function, *args, **kwargs):
    result = function(*args, **kwargs)
    assert isinstance(result, tuple) and len(result) == 2, "return a pair (w, b)"
    w, b = result
    assert np.ndim(b) == 0, (
        f"b should be a single number (a float), got an array of shape {np.shape(b)}"
    )
    return np.asarray(w), float(b)


def mse(X, y, w, b):
    return float(np.mean((X @ w + b - y) ** 2))


# ---------------------------------------------------------------- 1.1 train_test_split


@pytest.mark.task("1.1")
def test_split_sizes_are_round_of_test_fraction_times_n():
    X, y = rows_with_ids(20, 3)
    X_train, X_test, y_train, y_test = split(X, y, 0.25, seed=0)
    # n_test = round(0.25 * 20) = 5, so 15 rows are left for training
    assert_shape(X_test, (5, 3), "X_test (n_test = round(0.25 * 20) = 5 rows, all D columns)")
    assert_shape(y_test, (5,), "y_test")
    assert_shape(X_train, (15, 3), "X_train (the other 20 - 5 = 15 rows)")
    assert_shape(y_train, (15,), "y_train")


@pytest.mark.task("1.1")
def test_split_rounds_n_test_to_nearest_instead_of_truncating():
    X, y = rows_with_ids(7, 2)
    X_train, X_test, y_train, y_test = split(X, y, 0.25, seed=1)
    # 0.25 * 7 = 1.75: round gives 2 test rows, int() would truncate to 1
    assert len(y_test) == 2, (
        f"with N=7 and test_fraction=0.25 the test set should have round(1.75) = 2 rows, "
        f"got {len(y_test)} — use round(test_fraction * N), not int(), which truncates"
    )
    assert len(y_train) == 5, f"the training set should have the other 5 rows, got {len(y_train)}"


@pytest.mark.task("1.1")
def test_split_keeps_rows_whole_and_paired_and_uses_every_row_once():
    X, y = rows_with_ids(30, 3)
    X_train, X_test, y_train, y_test = split(X, y, 0.3, seed=3)
    for name, Xs, ys in (("train", X_train, y_train), ("test", X_test, y_test)):
        ids = np.asarray(Xs)[:, 0]
        assert_close(
            Xs,
            ids[:, None] + np.arange(3) / 10,
            f"X_{name}: rows must move whole (shuffle rows, never columns or entries)",
        )
        assert_close(
            ys,
            10 * ids,
            f"y_{name}[i] must belong to X_{name}[i] — shuffle X and y with the SAME permutation",
        )
    ids = np.sort(np.concatenate([np.asarray(X_train)[:, 0], np.asarray(X_test)[:, 0]]))
    assert np.array_equal(ids, np.arange(30)), (
        "every row must appear exactly once in train or test: some rows are missing or repeated"
    )


@pytest.mark.task("1.1")
def test_split_is_the_same_for_the_same_seed_and_differs_for_another():
    X, y = rows_with_ids(40, 2)
    first = split(X, y, 0.25, seed=7)
    again = split(X, y, 0.25, seed=7)
    other = split(X, y, 0.25, seed=8)
    for name, a, b in zip(("X_train", "X_test", "y_train", "y_test"), first, again, strict=True):
        assert np.array_equal(a, b), (
            f"{name} changed between two calls with seed=7 — draw the shuffle from "
            "np.random.default_rng(seed), not from unseeded or global randomness"
        )
    assert not np.array_equal(first[3], other[3]), (
        "seeds 7 and 8 gave the same test set — is the seed passed to np.random.default_rng?"
    )


@pytest.mark.task("1.1")
def test_split_takes_the_first_n_test_indices_of_the_seeded_permutation():
    X, y = rows_with_ids(12, 2)
    perm = np.random.default_rng(5).permutation(12)  # the shuffle the docstring promises
    X_train, X_test, y_train, y_test = split(X, y, 0.25, seed=5)
    # n_test = round(0.25 * 12) = 3: test rows perm[:3], training rows perm[3:], in that order
    assert_close(
        y_test,
        y[perm[:3]],
        "y_test: the test rows are perm[:n_test] of "
        "np.random.default_rng(seed).permutation(N), in that order",
    )
    assert_close(y_train, y[perm[3:]], "y_train: the training rows are perm[n_test:], in order")


@pytest.mark.task("1.1")
def test_split_does_not_shuffle_the_callers_arrays_in_place():
    X, y = rows_with_ids(10, 3)
    X_before, y_before = X.copy(), y.copy()
    split(X, y, 0.3, seed=2)
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before), (
        "train_test_split changed the X or y it was given — shuffle indices "
        "(permutation) and index with them instead of rng.shuffle on the caller's arrays"
    )


@pytest.mark.task("1.1")
def test_split_handles_an_empty_test_set_and_an_empty_training_set():
    X, y = rows_with_ids(5, 2)
    X_train, X_test, y_train, y_test = split(X, y, 0.0, seed=0)
    # n_test = round(0 * 5) = 0; beware perm[-0:] is the WHOLE array, not an empty one
    assert_shape(X_test, (0, 2), "X_test with test_fraction=0 (an empty (0, D) array)")
    assert_shape(y_test, (0,), "y_test with test_fraction=0")
    assert_shape(X_train, (5, 2), "X_train with test_fraction=0 (every row)")
    X_train, X_test, y_train, y_test = split(X, y, 1.0, seed=0)
    assert_shape(X_train, (0, 2), "X_train with test_fraction=1 (an empty (0, D) array)")
    assert_shape(X_test, (5, 2), "X_test with test_fraction=1 (every row)")


# ---------------------------------------------------------------- 1.2 standardize


@pytest.mark.task("1.2")
def test_standardize_hand_worked_two_columns():
    X_train = np.array([[0.0, 10.0], [2.0, 30.0]])
    X_test = np.array([[4.0, 0.0]])
    # column 0: mean 1, population std sqrt(((0-1)^2 + (2-1)^2) / 2) = 1
    # column 1: mean 20, population std sqrt((100 + 100) / 2) = 10
    # test row: (4 - 1) / 1 = 3, (0 - 20) / 10 = -2
    Z_train, Z_test = linreg.standardize(X_train, X_test)
    assert_shape(Z_train, (2, 2), "Z_train")
    assert_shape(Z_test, (1, 2), "Z_test")
    assert_close(
        Z_train,
        [[-1.0, -1.0], [1.0, 1.0]],
        "Z_train (use the population std, ddof=0 — np.std's default; ddof=1 gives ±0.707 here)",
    )
    assert_close(Z_test, [[3.0, -2.0]], "Z_test (scaled with the training mean and std)")


@pytest.mark.task("1.2")
def test_standardize_training_columns_get_mean_zero_and_std_one(rng):
    scales = np.array([1.0, 100.0, 1e-3, 5.0])
    X_train = 7.0 + rng.standard_normal((50, 4)) * scales  # columns of very different scale
    X_test = 7.0 + rng.standard_normal((9, 4)) * scales
    Z_train, _ = linreg.standardize(X_train, X_test)
    assert_shape(Z_train, (50, 4), "Z_train")
    assert_close(Z_train.mean(axis=0), np.zeros(4), "the mean of every Z_train column")
    assert_close(Z_train.std(axis=0), np.ones(4), "the (population) std of every Z_train column")


@pytest.mark.task("1.2")
def test_standardize_uses_training_statistics_only(rng):
    X_train = rng.standard_normal((40, 3))
    X_test = 100.0 + 5.0 * rng.standard_normal((10, 3))  # a shifted test set: leakage shows
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)  # training rows only
    Z_train, Z_test = linreg.standardize(X_train, X_test)
    assert_shape(Z_test, (10, 3), "Z_test")
    assert_close(
        Z_test,
        (X_test - mean) / std,
        "Z_test must be (X_test - mean) / std with the TRAINING rows' mean and population "
        "std — statistics of the test rows "
        "(or of train and test together) leak the test set into the model",
    )
    Z_train_again, _ = linreg.standardize(X_train, X_test + 1000.0)
    assert_close(Z_train_again, Z_train, "Z_train must not change when only X_test changes")


@pytest.mark.task("1.2")
def test_standardize_a_single_test_row():
    X_train = np.array([[1.0, -2.0], [3.0, 2.0], [5.0, 0.0]])
    X_test = np.array([[3.0, 0.0]])  # exactly the training mean (3, 0)
    # a one-row test set has std 0 on its own: only the training statistics make sense
    _, Z_test = linreg.standardize(X_train, X_test)
    assert_shape(Z_test, (1, 2), "Z_test for a single test row")
    assert_close(
        Z_test,
        [[0.0, 0.0]],
        "a test row equal to the training mean must become 0 (not NaN: never "
        "standardise the test set with its own statistics)",
    )


@pytest.mark.task("1.2")
def test_standardize_constant_column_is_centred_not_divided_by_zero():
    X_train = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])  # column 1 is constant
    X_test = np.array([[2.0, 7.0]])
    Z_train, Z_test = linreg.standardize(X_train, X_test)
    assert np.all(np.isfinite(Z_train)) and np.all(np.isfinite(Z_test)), (
        "a constant column produced NaN or inf: its std is 0 — use 1 instead (only centre it)"
    )
    # constant column: std taken as 1, so train -> 5 - 5 = 0 and test -> 7 - 5 = 2
    assert_close(Z_train[:, 1], [0.0, 0.0, 0.0], "the constant column of Z_train")
    assert_close(Z_test[:, 1], [2.0], "the constant column of Z_test (7 - 5, divided by 1)")
    assert_close(Z_test[:, 0], [0.0], "the ordinary column of Z_test next to a constant one")


@pytest.mark.task("1.2")
def test_standardize_treats_a_rounded_constant_column_as_constant():
    X_train = np.full((3, 1), 0.1)  # np.std says ~1.4e-17 here, not 0: rounding in the mean
    X_test = np.array([[0.3]])
    Z_train, Z_test = linreg.standardize(X_train, X_test)
    assert_close(
        Z_train, np.zeros((3, 1)), "Z_train for the constant column [0.1, 0.1, 0.1] (only centred)"
    )
    assert_close(
        Z_test,
        [[0.2]],
        "Z_test for a constant training column [0.1, 0.1, 0.1]: 0.3 - 0.1 = 0.2. "
        "np.std gives ~1e-17 here, not exactly 0, so `std == 0` misses it — decide "
        "'constant' from the values (max == min)",
    )


@pytest.mark.task("1.2")
def test_standardize_leaves_its_inputs_untouched(rng):
    X_train = rng.standard_normal((6, 2)) + 3.0
    X_test = rng.standard_normal((2, 2)) + 3.0
    before = X_train.copy(), X_test.copy()
    linreg.standardize(X_train, X_test)
    assert np.array_equal(X_train, before[0]) and np.array_equal(X_test, before[1]), (
        "standardize changed the arrays it was given — write `(X - mean) / std` into new "
        "arrays rather than `X -= mean` in place"
    )


# ---------------------------------------------------------------- 1.3 fit_linear_closed_form


@pytest.mark.task("1.3")
def test_closed_form_fits_three_points_by_hand():
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([1.0, 2.0, 4.0])
    # means: x 1, y 7/3. slope = sum (x - 1)(y - 7/3) / sum (x - 1)^2 = (4/3 + 0 + 5/3) / 2 = 1.5
    # intercept = 7/3 - 1.5 * 1 = 5/6; residuals 1/6, -2/6, 1/6 sum to 0
    w, b = fit(linreg.fit_linear_closed_form, X, y)
    assert_shape(w, (1,), "w (one weight per feature, shape (D,))")
    assert_close(w, [1.5], "the slope of the least-squares line through (0,1), (1,2), (2,4)")
    assert_close(b, 5 / 6, "the intercept of the least-squares line through (0,1), (1,2), (2,4)")


@pytest.mark.task("1.3")
@pytest.mark.points(2)
def test_closed_form_recovers_known_weights_from_noiseless_data(rng):
    X = rng.standard_normal((40, 3))
    w_true, b_true = np.array([2.0, -3.0, 0.5]), 4.0
    y = X @ w_true + b_true  # no noise: the line through the data is exact
    w, b = fit(linreg.fit_linear_closed_form, X, y)
    assert_shape(w, (3,), "w")
    assert_close(w, w_true, "w recovered from noiseless data y = X @ [2, -3, 0.5] + 4")
    assert_close(b, b_true, "b recovered from noiseless data (the intercept is 4)")


@pytest.mark.task("1.3")
def test_closed_form_residual_is_orthogonal_to_every_column_and_sums_to_zero(rng):
    X = rng.standard_normal((50, 4)) + np.array([0.0, 3.0, -2.0, 10.0])
    y = rng.standard_normal(50) + X @ np.array([1.0, 0.0, -1.0, 0.5])
    w, b = fit(linreg.fit_linear_closed_form, X, y)
    r = y - (X @ w + b)
    # the normal equations: d/dw and d/db of sum r^2 vanish at the minimum
    assert_close(
        X.T @ r,
        np.zeros(4),
        "X.T @ (y - X @ w - b): at the least-squares solution the residual is "
        "orthogonal to every column",
    )
    assert_close(r.sum(), 0.0, "the sum of the residuals (0 whenever the model has an intercept)")


@pytest.mark.task("1.3")
def test_closed_form_ridge_by_hand():
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([1.0, 2.0, 4.0])
    # centred: sum (x-1)(y-7/3) = 3, sum (x-1)^2 = 2, so w = 3 / (2 + l2) = 3/4 with l2 = 2
    # b = 7/3 - 3/4 * 1 = 19/12 (b is not penalised: a penalised b would give w = 29/26)
    w, b = fit(linreg.fit_linear_closed_form, X, y, l2=2.0)
    assert_close(
        w,
        [0.75],
        "w with l2=2: solve (Xc.T @ Xc + l2 * I) w = Xc.T @ yc on centred data — the "
        "penalty is l2 * sum(w**2) added to the SUM of squared errors, not the mean",
    )
    assert_close(b, 19 / 12, "b with l2=2: y_mean - x_mean @ w, the intercept is never penalised")


@pytest.mark.task("1.3")
def test_closed_form_l2_shrinks_the_weights(rng):
    X = rng.standard_normal((30, 3))
    y = X @ np.array([3.0, -2.0, 1.0]) + 0.1 * rng.standard_normal(30)
    norms = [
        np.linalg.norm(fit(linreg.fit_linear_closed_form, X, y, l2=l2)[0])
        for l2 in (0.0, 1.0, 10.0, 100.0, 1000.0)
    ]
    assert np.all(np.diff(norms) < 0), (
        f"||w|| should shrink as l2 grows (l2 = 0, 1, 10, 100, 1000), got {np.round(norms, 4)}"
    )


@pytest.mark.task("1.3")
def test_closed_form_shifting_y_moves_only_the_intercept(rng):
    X = rng.standard_normal((25, 2)) + 4.0
    y = X @ np.array([1.0, -1.0]) + rng.standard_normal(25)
    w, b = fit(linreg.fit_linear_closed_form, X, y, l2=5.0)
    w_shifted, b_shifted = fit(linreg.fit_linear_closed_form, X, y + 100.0, l2=5.0)
    # with b free, adding 100 to every target is absorbed by b alone
    assert_close(
        w_shifted,
        w,
        "w after adding 100 to every y (l2=5): it must not change — if it does, the "
        "penalty is reaching the intercept",
    )
    assert_close(b_shifted, b + 100.0, "b after adding 100 to every y: it should grow by 100")


@pytest.mark.task("1.3")
def test_closed_form_huge_l2_leaves_the_mean_of_y_as_intercept(rng):
    X = rng.standard_normal((20, 2)) + 3.0
    y = 5.0 + X @ np.array([2.0, 1.0]) + rng.standard_normal(20)
    w, b = fit(linreg.fit_linear_closed_form, X, y, l2=1e12)
    # w = O(1 / l2) ~ 1e-10: a bound far looser than that still catches a penalised b (b -> 0)
    assert np.all(np.abs(w) < 1e-6), f"w should be crushed to ~0 by l2=1e12, got {w}"
    assert_close(
        b,
        y.mean(),
        "b with l2=1e12: w is ~0, so the best intercept is mean(y) — if b went to 0, "
        "the penalty is also applied to the intercept",
    )


@pytest.mark.task("1.3")
def test_closed_form_matches_a_naive_normal_equation_solve(rng):
    N, D = 15, 3
    X = rng.standard_normal((N, D))
    y = rng.standard_normal(N)
    A = np.hstack([X, np.ones((N, 1))])  # last column multiplies b
    for l2 in (0.0, 0.5):
        gram = np.zeros((D + 1, D + 1))
        for i in range(D + 1):
            for j in range(D + 1):
                gram[i, j] = sum(A[n, i] * A[n, j] for n in range(N))
        for i in range(D):  # the penalty on w only: the last diagonal entry (b) stays
            gram[i, i] += l2
        rhs = np.array([sum(A[n, i] * y[n] for n in range(N)) for i in range(D + 1)])
        theta = np.linalg.solve(gram, rhs)
        w, b = fit(linreg.fit_linear_closed_form, X, y, l2=l2)
        assert_close(w, theta[:D], f"w compared with a plain normal-equation solve (l2={l2})")
        assert_close(b, theta[D], f"b compared with a plain normal-equation solve (l2={l2})")


@pytest.mark.task("1.3")
def test_a_straight_line_cannot_fit_a_parabola():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    y = x**2  # 4, 1, 0, 1, 4
    # by symmetry the best line is flat: w = 0, b = mean(y) = 2,
    # residuals 2, -1, -2, -1, 2 so the mean squared error is (4+1+4+1+4)/5 = 2.8
    w, b = fit(linreg.fit_linear_closed_form, x[:, None], y)
    assert_close(w, [0.0], "the slope of the best line through y = x^2 on symmetric x")
    assert_close(b, 2.0, "the intercept of the best line through y = x^2 (mean of y)")
    assert_close(mse(x[:, None], y, w, b), 2.8, "the line's mean squared error on y = x^2")
    # give the model x^2 as a second feature and the same linear fit becomes exact
    X2 = np.stack([x, x**2], axis=1)  # (N, 2)
    w2, b2 = fit(linreg.fit_linear_closed_form, X2, y)
    assert_close(w2, [0.0, 1.0], "the weights on the features [x, x^2] for y = x^2")
    assert_close(b2, 0.0, "the intercept for y = x^2 with the feature x^2")


# ---------------------------------------------------------------- 1.4 gradient descent


@pytest.mark.task("1.4")
def test_gradient_descent_with_zero_steps_returns_zeros(rng):
    X = rng.standard_normal((8, 3))
    y = rng.standard_normal(8) + 5.0
    w, b = fit(linreg.fit_linear_gradient_descent, X, y, lr=0.1, steps=0)
    assert_shape(w, (3,), "w with steps=0")
    assert_close(w, np.zeros(3), "w with steps=0 (the starting point: zeros)")
    assert_close(b, 0.0, "b with steps=0 (the starting point: 0)")


@pytest.mark.task("1.4")
def test_gradient_descent_one_step_matches_the_hand_worked_update():
    X = np.array([[1.0], [3.0]])
    y = np.array([2.0, 4.0])
    # from w = 0, b = 0: r = X @ w + b - y = [-2, -4]
    # dL/dw = 2/N * X.T @ r = (1*-2 + 3*-4) = -14, dL/db = 2/N * sum(r) = -6   (N = 2)
    # w = 0 - 0.1 * -14 = 1.4, b = 0 - 0.1 * -6 = 0.6
    w, b = fit(linreg.fit_linear_gradient_descent, X, y, lr=0.1, steps=1)
    assert_shape(w, (1,), "w")
    assert_close(
        w,
        [1.4],
        "w after one step: the MSE gradient is (2 / N) * X.T @ r and the step goes "
        "AGAINST it (w -= lr * grad) — a missing 2 gives 0.7, a sum instead of a mean 2.8, "
        "a flipped sign -1.4",
    )
    assert_close(
        b,
        0.6,
        "b after one step: (2 / N) * sum(r) with r computed BEFORE updating w "
        "(updating w first gives 0.04)",
    )


@pytest.mark.task("1.4")
def test_gradient_descent_takes_exactly_steps_updates():
    X = np.array([[1.0], [3.0]])
    y = np.array([2.0, 4.0])
    # step 2 from w = 1.4, b = 0.6: r = [1.4 + 0.6 - 2, 4.2 + 0.6 - 4] = [0, 0.8]
    # dL/dw = 1*0 + 3*0.8 = 2.4, dL/db = 0.8; w = 1.4 - 0.24 = 1.16, b = 0.6 - 0.08 = 0.52
    w, b = fit(linreg.fit_linear_gradient_descent, X, y, lr=0.1, steps=2)
    assert_close(w, [1.16], "w after exactly two steps (one step gives 1.4)")
    assert_close(b, 0.52, "b after exactly two steps (one step gives 0.6)")


@pytest.mark.task("1.4")
def test_gradient_descent_first_step_follows_the_mse_gradient(rng):
    N, D, lr = 10, 4, 0.01
    X = rng.standard_normal((N, D))
    y = rng.standard_normal(N) + 2.0
    w, b = fit(linreg.fit_linear_gradient_descent, X, y, lr=lr, steps=1)
    analytic = -np.append(w, b) / lr  # one step from 0: (w, b) = -lr * gradient at 0
    theta = np.zeros(D + 1)  # (w, b) at the start, perturbed in place by the check

    def loss():
        return mse(X, y, theta[:D], theta[D])

    assert_grad_close(analytic, loss, theta, "the gradient of the MSE implied by one step")
    # and its value: at w = 0, b = 0, r = -y, so dL/dw = -(2/N) X.T @ y, dL/db = -(2/N) sum(y)
    assert_close(
        analytic,
        -(2 / N) * np.append(X.T @ y, y.sum()),
        "the first step's gradient, (2/N) * [X.T @ r, sum(r)] with r = -y",
    )


@pytest.mark.task("1.4")
@pytest.mark.points(2)
def test_gradient_descent_converges_to_the_closed_form_on_standardised_data(rng):
    N, D = 60, 3
    mix = np.array([[1.0, 0.4, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 1.0]])  # correlated features
    X = 50.0 + 10.0 * rng.standard_normal((N, D)) @ mix
    y = X @ np.array([0.5, -0.2, 0.1]) + 3.0 + rng.standard_normal(N)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)  # standardised here: 1.4 must not need 1.2
    A = np.hstack([Z, np.ones((N, 1))])
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)  # the least-squares line, independently
    w, b = fit(linreg.fit_linear_gradient_descent, Z, y, lr=0.1, steps=1000)
    assert_shape(w, (D,), "w")
    assert_close(w, theta[:D], "w after 1000 steps on standardised data (the least-squares w)")
    assert_close(b, theta[D], "b after 1000 steps on standardised data (the least-squares b)")


@pytest.mark.task("1.4")
def test_gradient_descent_loss_never_rises_with_more_steps(rng):
    X = rng.standard_normal((30, 2))
    y = X @ np.array([1.5, -0.5]) + 1.0 + 0.3 * rng.standard_normal(30)
    losses = [
        mse(X, y, *fit(linreg.fit_linear_gradient_descent, X, y, lr=0.1, steps=steps))
        for steps in (0, 1, 2, 5, 10, 50, 200)
    ]
    # exact GD on a convex quadratic never rises; ATOL only forgives rounding near the minimum
    assert np.all(np.diff(losses) <= ATOL), (
        f"the MSE should never rise as steps grow (0, 1, 2, 5, 10, 50, 200), got "
        f"{np.round(losses, 5)} — check the sign of the update: w -= lr * gradient"
    )
    assert losses[-1] < 0.5 * losses[0], "200 steps should at least halve the loss of w = 0, b = 0"
