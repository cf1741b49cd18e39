"""Day 1: learning from data with the simplest model, a straight line.

Split the rows into training and test sets, standardise the features with statistics
of the training rows only, then fit y ≈ X @ w + b twice: in closed form (the normal
equations, optionally with an L2 penalty) and by gradient descent.

Shapes: N rows (examples), D features. Arrays are float64.
"""

import numpy as np


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows with a seeded generator and split them into training and test sets.

    X: (N, D) features; y: (N,) targets, y[i] belongs to X[i].
    test_fraction: the share of rows held out for testing, between 0 and 1.
    seed: the shuffle is perm = np.random.default_rng(seed).permutation(N), so the same
        seed always gives the same split.

    With n_test = round(test_fraction * N) (Python's round, to the nearest integer), the
    test rows are perm[:n_test] and the training rows perm[n_test:], both in that order.
    Every row lands in exactly one of the two sets, and X and y stay paired. The input
    arrays are not modified. test_fraction = 0 gives an empty test set (0 rows).

    Returns X_train (N - n_test, D), X_test (n_test, D), y_train (N - n_test,), y_test (n_test,).
    """
    N = X.shape[0]
    n_test = round(test_fraction * N)  # nearest integer: 0.25 * 7 = 1.75 -> 2 test rows
    perm = np.random.default_rng(seed).permutation(N)  # (N,) one shuffle for X and y alike
    test, train = perm[:n_test], perm[n_test:]  # slicing, so n_test = 0 is an empty test set
    return X[train], X[test], y[train], y[test]


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rescale every column to mean 0 and standard deviation 1, using the training rows only.

    X_train: (N, D) training features; X_test: (N_test, D) test features.

    Each column j becomes (x - mean_j) / std_j, where mean_j and std_j (the population
    standard deviation, ddof=0) are computed from X_train alone and applied to both sets:
    the test rows must not influence their own scaling (no leakage). A column whose
    training values are all equal is only centred: its std is taken as 1 (no division
    by zero), even where rounding makes the computed std a tiny number like 1e-17
    instead of exactly 0. The input arrays are not modified.

    Returns Z_train (N, D), Z_test (N_test, D), float64 even for float32 input.
    """
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    mean = X_train.mean(axis=0)  # (D,) from the training rows only
    constant = X_train.max(axis=0) == X_train.min(axis=0)  # (D,) np.std may say 1e-17 here
    std = np.where(constant, 1.0, X_train.std(axis=0))  # (D,) population std, ddof=0
    return (X_train - mean) / std, (X_test - mean) / std


def fit_linear_closed_form(
    X: np.ndarray, y: np.ndarray, l2: float = 0.0
) -> tuple[np.ndarray, float]:
    """Least-squares line with an intercept, in closed form, with an optional L2 penalty.

    X: (N, D) features; y: (N,) targets; l2 >= 0, the strength of the penalty.

    Minimises  sum_i (X[i] @ w + b - y[i])**2 + l2 * sum_j w[j]**2.
    The penalty shrinks the weights w only, never the intercept b. At the minimum the
    residual r = X @ w + b - y (prediction minus target) sums to 0 and
    X.T @ r = -l2 * w (for l2 = 0: the residual is orthogonal to every column). With
    l2 = 0 the columns of X must not be collinear (after subtracting their means), so
    that the solution is unique.

    Returns w (D,), float64 even for float32 input, and b, a Python float.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)  # float64 for float32 too
    D = X.shape[1]
    x_mean, y_mean = X.mean(axis=0), y.mean()  # (D,), ()
    Xc, yc = X - x_mean, y - y_mean  # (N, D), (N,) centred: b drops out of the problem
    w = np.linalg.solve(Xc.T @ Xc + l2 * np.eye(D), Xc.T @ yc)  # (D,) l2 on w only, not b
    b = y_mean - x_mean @ w  # dL/db = 0: the fitted line passes through the means
    return w, float(b)


def fit_linear_gradient_descent(
    X: np.ndarray, y: np.ndarray, lr: float = 0.1, steps: int = 1000
) -> tuple[np.ndarray, float]:
    """Fit y ≈ X @ w + b by full-batch gradient descent on the mean squared error.

    X: (N, D) features; y: (N,) targets; lr: the learning rate; steps: how many updates.

    The loss is L(w, b) = mean_i (X[i] @ w + b - y[i])**2, with gradients
    dL/dw = (2 / N) * X.T @ r and dL/db = (2 / N) * sum(r), where r = X @ w + b - y.
    Start from w = 0, b = 0 and take exactly `steps` updates w -= lr * dL/dw,
    b -= lr * dL/db, both computed from the same r (the values before the update).
    steps = 0 returns the starting point, zeros.

    Returns w (D,), float64 even for float32 input, and b, a Python float.
    """
    N, D = X.shape
    w, b = np.zeros(D), 0.0
    for _ in range(steps):  # the loop is over updates, never over rows
        r = X @ w + b - y  # (N,) residuals of the current line
        w, b = w - lr * (2 / N) * (X.T @ r), b - lr * (2 / N) * r.sum()  # one r for both
    return w, float(b)
