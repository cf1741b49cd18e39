"""day01_ml_basics suite: a seeded split that keeps rows paired, standardisation without
leakage, and a straight line fitted in closed form (with a ridge penalty that spares the
intercept) and by gradient descent, which converges to the same line.

Every value is checked against a computation written here (hand-worked examples from the
README, closed forms, a column-by-column loop, the normal equations of [X, 1], a plain
gradient-descent loop). Before a value is compared, `assert_no_known_mistake` names the
README's common mistake it matches, if any, so whichever test fails first says what to fix.
"""

import numpy as np
import pytest

from checker.core.testing import (
    ATOL,
    RTOL,
    assert_array,
    assert_close,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_scalar,
    implementation,
    msg,
    num,
)

linreg = implementation("day01_ml_basics.linear_regression")  # lazy; resolved at first use


# ---------------------------------------------------------------- naming a known mistake


def matches(actual, mistaken) -> bool:
    """Whether `actual`, a tuple of arrays and numbers, is `mistaken` part by part (NaN where
    the mistake gives NaN counts as the same)."""
    try:
        parts = [np.asarray(part, dtype=float) for part in actual]
    except (TypeError, ValueError):
        return False
    return len(parts) == len(mistaken) and all(
        part.shape == np.shape(wrong)
        and np.allclose(part, wrong, rtol=RTOL, atol=ATOL, equal_nan=True)
        for part, wrong in zip(parts, mistaken, strict=True)
    )


def assert_no_known_mistake(actual: tuple, expected: tuple, mistakes) -> None:
    """Fail with the message of the first of `mistakes` ((what it computes, message) pairs,
    worked out in the test) whose result `actual` is. A mistake counts only where it shows on
    the test's data, that is where what it computes differs from `expected`."""
    for mistaken, message in mistakes:
        if not matches(expected, mistaken):
            assert not matches(actual, mistaken), message


def assert_pair(result, function: str, names: str) -> None:
    assert isinstance(result, tuple) and len(result) == 2, msg(
        en=f"{function} should return a tuple of two, {names}",
        ja=f"{function} は {names} の 2 つをタプルで返すはずです",
    )


# ---------------------------------------------------------------- 1.1 train_test_split

SPLIT_PARTS = ("X_train", "X_test", "y_train", "y_test")


def rows_with_ids(N: int, D: int) -> tuple[np.ndarray, np.ndarray]:
    """X whose row i is [i, i + 0.1, i + 0.2, ...] and y = 10 * i, so every row shows where it
    came from and whether it is still whole and paired after any shuffle."""
    ids = np.arange(N, dtype=float)
    X = ids[:, None] + np.arange(D) / 10  # (N, D)
    return X, 10.0 * ids


def assert_four_arrays(result) -> None:
    assert isinstance(result, tuple) and len(result) == 4, msg(
        en="train_test_split should return a tuple of four arrays: "
        "X_train, X_test, y_train, y_test",
        ja="train_test_split は X_train, X_test, y_train, y_test の 4 つの配列をタプルで"
        "返すはずです",
    )


def split(X, y, **kwargs) -> tuple:
    result = linreg.train_test_split(X, y, **kwargs)
    assert_four_arrays(result)
    return result


def split_by(perm: np.ndarray, n_test: int, X, y) -> tuple:
    """Test rows perm[:n_test], training rows perm[n_test:]."""
    test, train = perm[:n_test], perm[n_test:]
    return X[train], X[test], y[train], y[test]


def assert_rows_stay_paired(result, N: int) -> None:
    """On rows_with_ids data: every target still sits beside its row, and every row is used
    exactly once."""
    for part, Xs, ys in (("train", result[0], result[2]), ("test", result[1], result[3])):
        Xs, ys = np.asarray(Xs), np.asarray(ys)
        if Xs.ndim != 2 or ys.shape != Xs.shape[:1]:
            continue  # the shapes are judged with the values
        targets = 10 * Xs[:, 0]
        moved = np.flatnonzero(~np.isclose(ys, targets))  # targets no longer beside their row
        if moved.size:
            i = moved[0]
            raise AssertionError(
                msg(
                    en=f"y_{part}[{i}] = {num(ys[i])} is not the target of X_{part}[{i}] (that "
                    f"is {num(targets[i])}): shuffle X and y with the SAME permutation, so "
                    "every row keeps its target",
                    ja=f"y_{part}[{i}] = {num(ys[i])} は X_{part}[{i}] の目的変数ではありません"
                    f"(正しくは {num(targets[i])})。X と y を同じ並べ替え (perm) で取り出して、"
                    "行と目的変数の組を保ちましょう",
                )
            )
    X_train, X_test = np.asarray(result[0]), np.asarray(result[1])
    if X_train.ndim != 2 or X_test.ndim != 2:
        return  # the shapes are judged with the values
    ids = np.sort(np.concatenate([X_train[:, 0], X_test[:, 0]]))
    assert np.array_equal(ids, np.arange(N)), msg(
        en="every row must land in exactly one of the two sets: some rows are missing or "
        "repeated (index X with the rows of one permutation of 0..N-1)",
        ja="どの行も学習用かテスト用のどちらか一方にちょうど 1 回入るはずですが、欠けた行か"
        "重複した行があります(0..N-1 の並べ替えひとつで X の行を取り出しましょう)",
    )


def assert_split(result, X, y, test_fraction: float, seed: int) -> None:
    """`result` is the split the docstring promises for rows_with_ids data (X, y), or fails
    naming the known mistake it is."""
    N = len(y)
    n_test = round(test_fraction * N)  # Python's round: to the nearest, halves to even
    perm = np.random.default_rng(seed).permutation(N)
    n_truncated = int(test_fraction * N)
    assert_rows_stay_paired(result, N)
    mistakes = [
        (
            split_by(perm, n_truncated, X, y),
            msg(
                en=f"int(test_fraction * N) truncates: with N = {N} and test_fraction = "
                f"{num(test_fraction)} the test set has round({num(test_fraction * N)}) = "
                f"{n_test} rows, not {n_truncated}; use round(test_fraction * N)",
                ja=f"int(test_fraction * N) は切り捨てです。N = {N}、test_fraction = "
                f"{num(test_fraction)} ならテスト用は round({num(test_fraction * N)}) = "
                f"{n_test} 行で、{n_truncated} 行ではありません。round(test_fraction * N) を"
                "使いましょう",
            ),
        ),
        (
            (X[perm[:-n_test]], X[perm[-n_test:]], y[perm[:-n_test]], y[perm[-n_test:]]),
            msg(
                en="the test rows were taken from the end, perm[-n_test:]: take the first "
                "n_test entries, perm[:n_test], for testing and the rest, perm[n_test:], for "
                "training (perm[-0:] is the whole array, so test_fraction = 0 would put every "
                "row in the test set)",
                ja="テスト用の行を末尾の perm[-n_test:] から取っています。先頭の perm[:n_test] "
                "をテスト用、残りの perm[n_test:] を学習用にしましょう(n_test = 0 のとき "
                "perm[-0:] は配列全体なので、全部の行がテスト用になってしまいます)",
            ),
        ),
        (
            split_by(np.random.RandomState(seed).permutation(N), n_test, X, y),
            msg(
                en="the shuffle came from NumPy's global generator (np.random.seed, "
                "np.random.permutation): use perm = np.random.default_rng(seed).permutation(N)",
                ja="シャッフルに NumPy のグローバルな乱数 (np.random.seed, "
                "np.random.permutation) を使っています。perm = "
                "np.random.default_rng(seed).permutation(N) を使いましょう",
            ),
        ),
    ]
    expected = split_by(perm, n_test, X, y)
    assert_no_known_mistake(result, expected, mistakes)
    for part, actual, want in zip(SPLIT_PARTS, result, expected, strict=True):
        assert_close(
            actual,
            want,
            msg(
                en=f"{part} (N = {N}, test_fraction = {num(test_fraction)}, seed = {seed}; "
                f"n_test = {n_test}; the test rows are perm[:n_test] and the training rows "
                "perm[n_test:] of perm = np.random.default_rng(seed).permutation(N))",
                ja=f"{part}(N = {N}、test_fraction = {num(test_fraction)}、seed = {seed}、"
                f"n_test = {n_test}。perm = np.random.default_rng(seed).permutation(N) の "
                "perm[:n_test] がテスト用、perm[n_test:] が学習用の行です)",
            ),
        )


@pytest.mark.task("1.1")
@pytest.mark.checks("inputs")
def test_split_splits_without_changing_X_or_y(rng):
    X, y = rows_with_ids(12, 3)
    seed = int(rng.integers(1000))
    result = assert_inputs_unchanged(
        linreg.train_test_split, X=X, y=y, test_fraction=0.25, seed=seed
    )
    assert_four_arrays(result)
    assert_split(result, X, y, 0.25, seed)


@pytest.mark.task("1.1")
@pytest.mark.checks("types")
def test_split_returns_the_split_as_four_float64_arrays(seed):
    X, y = rows_with_ids(8, 3)
    result = split(X, y, test_fraction=0.25, seed=seed)  # n_test = 2
    for part, actual, shape in zip(SPLIT_PARTS, result, [(6, 3), (2, 3), (6,), (2,)], strict=True):
        assert_array(actual, shape, part)
    assert_split(result, X, y, 0.25, seed)


@pytest.mark.task("1.1")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize(
    "N, test_fraction",
    [
        (7, 0.25),  # 1.75 -> 2; int() gives 1
        (9, 0.3),  # 2.7 -> 3; int() gives 2
        (6, 0.25),  # 1.5 -> 2 (halves go to the even neighbour); int() gives 1
        (10, 0.25),  # 2.5 -> 2 with Python's round; int(x + 0.5) and ceil give 3
    ],
)
def test_split_rounds_n_test_to_the_nearest_integer(N, test_fraction, seed):
    X, y = rows_with_ids(N, 2)
    assert_split(split(X, y, test_fraction=test_fraction, seed=seed), X, y, test_fraction, seed)


@pytest.mark.task("1.1")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("test_fraction", [0.0, 0.3, 1.0])  # 0 test rows, 3, all 10
def test_split_takes_the_first_n_test_entries_of_the_permutation(test_fraction, seed):
    X, y = rows_with_ids(10, 2)
    assert_split(split(X, y, test_fraction=test_fraction, seed=seed), X, y, test_fraction, seed)


@pytest.mark.task("1.1")
@pytest.mark.checks("mistake")
def test_split_keeps_each_target_with_its_row(rng):
    N = int(rng.integers(20, 40))
    X, y = rows_with_ids(N, 3)
    seed = int(rng.integers(1000))
    assert_split(split(X, y, test_fraction=0.3, seed=seed), X, y, 0.3, seed)


@pytest.mark.task("1.1")
@pytest.mark.checks("mistake")
def test_split_is_drawn_from_default_rng_of_the_seed(seed):
    X, y = rows_with_ids(40, 2)
    first = split(X, y, test_fraction=0.25, seed=seed)
    again = split(X, y, test_fraction=0.25, seed=seed)
    other = split(X, y, test_fraction=0.25, seed=seed + 1)
    assert matches(again, first), msg(
        en=f"two calls with seed={seed} gave different splits: draw the shuffle from "
        "np.random.default_rng(seed), not from unseeded or global randomness",
        ja=f"seed={seed} で 2 回呼ぶと分割が変わりました。シャッフルはシードなしの乱数や"
        "グローバルな乱数ではなく np.random.default_rng(seed) から作りましょう",
    )
    assert not matches(other, first), msg(
        en=f"seeds {seed} and {seed + 1} gave the same split: pass the seed to "
        "np.random.default_rng(seed)",
        ja=f"seed {seed} と {seed + 1} で同じ分割になりました。seed を "
        "np.random.default_rng(seed) に渡しましょう",
    )
    assert_split(first, X, y, 0.25, seed)


@pytest.mark.task("1.1")
@pytest.mark.points(2)
def test_split_of_generated_data_matches_the_seeded_permutation(rng):
    for _ in range(5):
        N, D = int(rng.integers(2, 60)), int(rng.integers(1, 5))
        test_fraction, seed = float(rng.uniform(0, 1)), int(rng.integers(10_000))
        X, y = rows_with_ids(N, D)
        result = split(X, y, test_fraction=test_fraction, seed=seed)
        assert_split(result, X, y, test_fraction, seed)


@pytest.mark.task("1.1")
def test_split_defaults_hold_out_a_quarter_with_seed_0():
    X, y = rows_with_ids(20, 2)
    result = split(X, y)  # round(0.25 * 20) = 5 test rows, shuffled by default_rng(0)
    assert np.shape(result[3]) == (5,), msg(
        en=f"called without test_fraction, the test set has {len(result[3])} of 20 rows: the "
        "default test_fraction is 0.25, so round(0.25 * 20) = 5",
        ja=f"test_fraction を省略すると、テスト用が 20 行中 {len(result[3])} 行になりました。"
        "test_fraction の既定値は 0.25 なので round(0.25 * 20) = 5 行のはずです",
    )
    assert matches(result, split(X, y, test_fraction=0.25, seed=0)), msg(
        en="called without seed, the split differs from seed=0: the default seed is 0",
        ja="seed を省略したときの分割が seed=0 のときと違います。seed の既定値は 0 です",
    )
    assert_split(result, X, y, 0.25, 0)


# ---------------------------------------------------------------- 1.2 standardize


def naive_standardize(X_train, X_test) -> tuple[np.ndarray, np.ndarray]:
    """The docstring's rule, column by column: training mean and population std; a column
    whose training values are all equal gets std 1."""
    N, D = X_train.shape
    mean, std = np.empty(D), np.empty(D)
    for j in range(D):
        column = X_train[:, j]
        mean[j] = sum(column) / N
        spread = sum((x - mean[j]) ** 2 for x in column) / N
        std[j] = 1.0 if np.all(column == column[0]) else np.sqrt(spread)
    return (X_train - mean) / std, (X_test - mean) / std


def scaled(X_train, X_test, mean, std) -> tuple[np.ndarray, np.ndarray]:
    return (X_train - mean) / std, (X_test - mean) / std


def assert_standardized(result, X_train, X_test) -> None:
    """`result` is (Z_train, Z_test) as the docstring defines them, or fails naming the
    known mistake it is."""
    assert_pair(result, "standardize", "(Z_train, Z_test)")
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    constant = X_train.max(axis=0) == X_train.min(axis=0)  # (D,)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)  # (D,), (D,)
    Z_train = (X_train - mean) / np.where(constant, 1.0, std)
    both = np.vstack([X_train, X_test])  # (N + N_test, D)
    with np.errstate(divide="ignore", invalid="ignore"):  # what the mistakes compute
        mistakes = [
            (
                scaled(X_train, X_test, mean, np.where(constant, 1.0, X_train.std(0, ddof=1))),
                msg(
                    en="the std was computed with ddof=1 (dividing by N - 1): use the "
                    "population std, ddof=0, which is np.std's default",
                    ja="標準偏差を ddof=1(N - 1 で割る不偏標準偏差)で計算しています。ここでは"
                    "母標準偏差 ddof=0(np.std の既定)を使います",
                ),
            ),
            (
                (Z_train, (X_test - X_test.mean(axis=0)) / X_test.std(axis=0)),
                msg(
                    en="X_test was standardised with its own mean and std: apply the "
                    "training rows' mean and std to both sets (the test rows must not shape "
                    "their own scaling, that is leakage; a single test row even gives 0/0)",
                    ja="X_test を X_test 自身の平均と標準偏差で標準化しています。学習用データ"
                    "の平均と標準偏差を両方に使いましょう(テスト用データの統計量を使うのは"
                    "リークです。テスト用が 1 行だと 0/0 にもなります)",
                ),
            ),
            (
                scaled(X_train, X_test, both.mean(axis=0), both.std(axis=0)),
                msg(
                    en="the mean and std were computed over the training and test rows "
                    "together: compute them from X_train alone (using the test rows is "
                    "leakage)",
                    ja="平均と標準偏差を学習用とテスト用をまとめて計算しています。X_train だけ"
                    "から計算しましょう(テスト用データを使うのはリークです)",
                ),
            ),
            (
                scaled(X_train, X_test, mean, np.where(std == 0, 1.0, std)),
                msg(
                    en="a constant training column was divided by its computed std, a tiny "
                    "number like 1e-17: rounding keeps np.std of equal values from being "
                    "exactly 0, so `std == 0` misses it; decide 'constant' from the values "
                    "(max == min) and use std 1 there",
                    ja="学習用データで値が一定の列を、計算された標準偏差(1e-17 のような小さな"
                    "数)で割っています。丸め誤差のため、等しい値の np.std は 0 ちょうどに"
                    "ならず、`std == 0` の判定では見逃します。一定かどうかは値そのもの "
                    "(max == min) で決め、その列の std は 1 にしましょう",
                ),
            ),
        ]
    expected = naive_standardize(X_train, X_test)
    assert_no_known_mistake(result, expected, mistakes)
    for j in np.flatnonzero(constant):
        finite = all(np.all(np.isfinite(np.asarray(Z, dtype=float)[:, j])) for Z in result)
        assert finite, msg(
            en=f"column {j} of X_train is constant ({num(X_train[0, j])}) and its "
            "standardised values hold NaN or inf: its std is 0, so divide by 1 instead "
            "(only centre it)",
            ja=f"X_train の {j} 列目は一定の値 ({num(X_train[0, j])}) で、標準化した値に NaN "
            "か inf があります。この列の標準偏差は 0 なので、代わりに 1 で割りましょう"
            "(中心化だけにします)",
        )
    for name, actual, want in zip(("Z_train", "Z_test"), result, expected, strict=True):
        assert_close(
            actual,
            want,
            msg(
                en=f"{name} ((x - mean) / std with the training rows' mean and population "
                "std; std 1 for a constant column)",
                ja=f"{name}(学習用データの平均と母標準偏差による (x - mean) / std。一定の列は "
                "std = 1)",
            ),
        )


def columns_of_many_scales(rng, N: int) -> np.ndarray:
    """(N, 4) columns of very different scales and offsets, none constant."""
    scales = np.array([1.0, 100.0, 1e-3, 5.0])
    return np.array([7.0, -300.0, 0.5, 42.0]) + rng.standard_normal((N, 4)) * scales


@pytest.mark.task("1.2")
@pytest.mark.checks("inputs")
def test_standardize_scales_without_changing_its_inputs(rng):
    X_train = columns_of_many_scales(rng, 9)
    X_test = columns_of_many_scales(rng, 4) + 3.0
    result = assert_inputs_unchanged(linreg.standardize, X_train=X_train, X_test=X_test)
    assert_standardized(result, X_train, X_test)


@pytest.mark.task("1.2")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_standardize_returns_the_scaled_rows_as_float64_arrays(dtype, rng):
    X_train = columns_of_many_scales(rng, 6)[:, :3].astype(dtype)
    X_test = columns_of_many_scales(rng, 2)[:, :3].astype(dtype)
    result = linreg.standardize(X_train, X_test)
    assert_pair(result, "standardize", "(Z_train, Z_test)")
    assert_array(result[0], (6, 3), "Z_train")
    assert_array(result[1], (2, 3), "Z_test")
    assert_standardized(result, X_train, X_test)


@pytest.mark.task("1.2")
@pytest.mark.checks("mistake")
def test_standardize_hand_worked_example_uses_the_population_std():
    X_train = np.array([[0.0, 10.0], [2.0, 30.0]])
    X_test = np.array([[4.0, 0.0]])
    # column 0: mean 1, population std sqrt(((0-1)^2 + (2-1)^2) / 2) = 1
    # column 1: mean 20, population std sqrt((100 + 100) / 2) = 10
    # test row: (4 - 1) / 1 = 3, (0 - 20) / 10 = -2; ddof=1 would give ±0.707 for Z_train
    result = linreg.standardize(X_train, X_test)
    assert_standardized(result, X_train, X_test)
    assert_close(result[0], [[-1.0, -1.0], [1.0, 1.0]], "Z_train")
    assert_close(result[1], [[3.0, -2.0]], "Z_test")


@pytest.mark.task("1.2")
@pytest.mark.checks("mistake")
def test_standardize_scales_test_rows_with_training_statistics(rng):
    X_train = rng.standard_normal((40, 3))
    X_test = 100.0 + 5.0 * rng.standard_normal((10, 3))  # a shifted test set: leakage shows
    assert_standardized(linreg.standardize(X_train, X_test), X_train, X_test)


@pytest.mark.task("1.2")
@pytest.mark.checks("mistake")
def test_standardize_a_single_test_row_with_training_statistics():
    X_train = np.array([[1.0, -2.0], [3.0, 2.0], [5.0, 0.0]])
    X_test = np.array([[3.0, 0.0]])  # exactly the training mean: it becomes [0, 0]
    # on its own a single row has std 0: only the training statistics make sense
    result = linreg.standardize(X_train, X_test)
    assert_standardized(result, X_train, X_test)
    assert_close(result[1], [[0.0, 0.0]], "Z_test")


@pytest.mark.task("1.2")
@pytest.mark.checks("mistake")
def test_standardize_only_centres_a_constant_column():
    # the constant column (2.5) is neither the largest nor the smallest value of X_train, so
    # a global X_train.max() or .min() instead of per column cannot find it by luck
    X_train = np.array([[-3.0, 2.5, 1.0], [0.0, 2.5, 2.0], [4.0, 2.5, 3.0], [8.0, 2.5, 5.0]])
    X_test = np.array([[0.0, 7.0, 2.0]])
    result = linreg.standardize(X_train, X_test)
    assert_standardized(result, X_train, X_test)
    assert_close(
        result[1][:, 1],
        [4.5],
        msg(
            en="the constant column of Z_test (7 - 2.5, divided by 1)",
            ja="Z_test の一定の列(7 - 2.5 を 1 で割った値)",
        ),
    )


@pytest.mark.task("1.2")
@pytest.mark.checks("mistake")
def test_standardize_treats_a_rounded_constant_column_as_constant():
    # np.std([0.1, 0.1, 0.1]) is about 1.4e-17, not 0: rounding in the mean
    X_train = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 6.0]])
    X_test = np.array([[0.3, 3.0]])
    result = linreg.standardize(X_train, X_test)
    assert_standardized(result, X_train, X_test)
    assert_close(
        result[1][:, 0],
        [0.2],
        msg(
            en="the constant column of Z_test (0.3 - 0.1, divided by 1)",
            ja="Z_test の一定の列(0.3 - 0.1 を 1 で割った値)",
        ),
    )


@pytest.mark.task("1.2")
@pytest.mark.points(2)
def test_standardize_matches_a_column_by_column_computation(rng):
    X_train = columns_of_many_scales(rng, 50)
    X_train[:, int(rng.integers(4))] = 0.3  # a constant column, at a place the seed picks
    X_test = columns_of_many_scales(rng, 9)
    assert_standardized(linreg.standardize(X_train, X_test), X_train, X_test)


@pytest.mark.task("1.2")
def test_standardize_gives_training_columns_mean_0_and_std_1(rng):
    X_train = columns_of_many_scales(rng, 30)
    X_test = columns_of_many_scales(rng, 5)
    result = linreg.standardize(X_train, X_test)
    Z_train = np.asarray(result[0], dtype=float)
    assert_close(
        Z_train.mean(axis=0),
        np.zeros(4),
        msg(en="the mean of every Z_train column", ja="Z_train の各列の平均"),
    )
    assert_close(
        Z_train.std(axis=0),
        np.ones(4),
        msg(en="the population std of every Z_train column", ja="Z_train の各列の母標準偏差"),
    )
    assert_standardized(result, X_train, X_test)


@pytest.mark.task("1.2")
def test_standardize_training_result_ignores_the_test_rows(rng):
    X_train = columns_of_many_scales(rng, 20)
    X_test = columns_of_many_scales(rng, 3)
    result = linreg.standardize(X_train, X_test)
    moved = linreg.standardize(X_train, X_test + 1000.0)
    assert_close(
        moved[0],
        result[0],
        msg(
            en="Z_train when only X_test changes: it must not change (the test rows must not "
            "influence the scaling)",
            ja="X_test だけを変えたときの Z_train。変わってはいけません(テスト用データがスケーリング"
            "に影響してはいけません)",
        ),
    )
    assert_standardized(moved, X_train, X_test + 1000.0)


# ---------------------------------------------------------------- 1.3 fit_linear_closed_form


def fit(function, *args, **kwargs) -> tuple:
    result = function(*args, **kwargs)
    assert_pair(result, function.__name__, "(w, b)")
    return result


def ridge_by_normal_equations(X, y, l2, penalise_b=False) -> tuple[np.ndarray, float]:
    """The minimiser of sum r**2 + l2 * sum w**2 (+ l2 * b**2 when penalise_b), written
    out with A = [X, 1], whose last column multiplies b."""
    N, D = X.shape
    A = np.hstack([X, np.ones((N, 1))])  # (N, D + 1)
    penalty = np.full(D + 1, float(l2))
    if not penalise_b:
        penalty[D] = 0.0  # b is never penalised
    theta = np.linalg.solve(A.T @ A + np.diag(penalty), A.T @ y)  # (D + 1,)
    return theta[:D], theta[D]


INTERCEPT = msg(
    en="the penalty also shrank the intercept b: with a column of ones in A, "
    "A.T @ A + l2 * I penalises b too; the diagonal entry that belongs to b must stay 0 (or "
    "centre X and y, solve for w, then b = mean(y) - mean(X) @ w). In the README's example "
    "this mistake gives w = 29/26 instead of 0.75",
    ja="罰則が切片 b まで縮めています。1 の列を足した A で A.T @ A + l2 * I を解くと b にも"
    "罰則がかかります。b に当たる対角成分は 0 のままにしましょう(または X と y を中心化して w "
    "を解き、b = mean(y) - mean(X) @ w とします)。README の例では、この間違いで w が 0.75 "
    "ではなく 29/26 になります",
)


def assert_fit(result, X, y, l2: float) -> None:
    """`result` is the (w, b) that minimises the docstring's loss, or fails naming the known
    mistake it is."""
    assert_scalar(result[1], "b")  # the docstring's type, before any value can be judged
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    N = len(y)
    mistakes = [
        (ridge_by_normal_equations(X, y, l2, penalise_b=True), INTERCEPT),
        (
            ridge_by_normal_equations(X, y, N * l2),
            msg(
                en="l2 acts N times too strongly: the Gram matrix was divided by N as if "
                "the loss were the MEAN of squared errors; here it is the SUM, so solve "
                "(Xc.T @ Xc + l2 * I) w = Xc.T @ yc",
                ja="l2 の効き方が N 倍になっています。損失関数を二乗誤差の平均とみなして"
                "グラム行列を N で割っていますが、ここでの損失関数は二乗誤差の和です。"
                "(Xc.T @ Xc + l2 * I) w = Xc.T @ yc を解きましょう",
            ),
        ),
    ]
    expected = ridge_by_normal_equations(X, y, l2)
    assert_no_known_mistake(result, expected, mistakes)
    w, b = result
    assert_close(
        w,
        expected[0],
        msg(
            en=f"w for l2 = {num(l2)} (the solution of (Xc.T @ Xc + l2 * I) w = Xc.T @ yc)",
            ja=f"l2 = {num(l2)} のときの w((Xc.T @ Xc + l2 * I) w = Xc.T @ yc の解)",
        ),
    )
    assert_close(
        b,
        expected[1],
        msg(
            en=f"b for l2 = {num(l2)} (mean(y) - mean(X) @ w: the line passes through the means)",
            ja=f"l2 = {num(l2)} のときの b(mean(y) - mean(X) @ w。直線は平均の点を通ります)",
        ),
    )


@pytest.mark.task("1.3")
@pytest.mark.checks("inputs")
def test_closed_form_fits_without_changing_X_or_y(rng):
    X = rng.standard_normal((15, 3)) + 2.0
    y = rng.standard_normal(15)
    result = assert_inputs_unchanged(linreg.fit_linear_closed_form, X=X, y=y, l2=0.5)
    assert_fit(result, X, y, 0.5)


@pytest.mark.task("1.3")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_closed_form_returns_the_fit_as_float64_w_and_float_b(dtype, rng):
    X = (rng.standard_normal((12, 3)) + 1.0).astype(dtype)
    y = rng.standard_normal(12).astype(dtype)
    w, b = result = fit(linreg.fit_linear_closed_form, X, y, l2=0.5)
    assert_array(w, (3,), "w")
    assert_scalar(b, "b")
    assert_fit(result, X, y, 0.5)


@pytest.mark.task("1.3")
@pytest.mark.checks("mistake")
def test_closed_form_ridge_by_hand_never_penalises_the_intercept():
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([1.0, 2.0, 4.0])
    # centred: sum (x-1)(y-7/3) = 3, sum (x-1)^2 = 2, so w = 3 / (2 + l2) = 3/4 with l2 = 2
    # b = 7/3 - 3/4 * 1 = 19/12. A penalised b would solve [[7, 3], [3, 5]] [w, b] = [10, 7]:
    # w = 29/26, b = 19/26
    result = fit(linreg.fit_linear_closed_form, X, y, l2=2.0)
    assert_fit(result, X, y, 2.0)
    assert_close(result[0], [0.75], "w")
    assert_close(result[1], 19 / 12, "b")


@pytest.mark.task("1.3")
@pytest.mark.checks("mistake")
def test_closed_form_penalty_is_added_to_the_sum_of_squared_errors(rng):
    X = rng.standard_normal((20, 2))
    X = X - X.mean(axis=0)  # centred columns: here only w can show a penalty's strength
    y = X @ np.array([2.0, -1.0]) + rng.standard_normal(20)
    assert_fit(fit(linreg.fit_linear_closed_form, X, y, l2=3.0), X, y, 3.0)


@pytest.mark.task("1.3")
def test_closed_form_fits_three_points_by_hand():
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([1.0, 2.0, 4.0])
    # means: x 1, y 7/3. slope = sum (x - 1)(y - 7/3) / sum (x - 1)^2 = (4/3 + 0 + 5/3) / 2 = 1.5
    # intercept = 7/3 - 1.5 * 1 = 5/6; residuals -1/6, 2/6, -1/6 sum to 0
    w, b = fit(linreg.fit_linear_closed_form, X, y)
    assert_close(
        w,
        [1.5],
        msg(
            en="the slope of the least-squares line through (0, 1), (1, 2), (2, 4)",
            ja="(0, 1), (1, 2), (2, 4) を通る最小二乗直線の傾き",
        ),
    )
    assert_close(
        b,
        5 / 6,
        msg(
            en="the intercept of the least-squares line through (0, 1), (1, 2), (2, 4)",
            ja="(0, 1), (1, 2), (2, 4) を通る最小二乗直線の切片",
        ),
    )


@pytest.mark.task("1.3")
@pytest.mark.points(2)
def test_closed_form_recovers_known_weights_from_noiseless_data(rng):
    X = rng.standard_normal((40, 3))
    w_true, b_true = rng.uniform(-3, 3, size=3), float(rng.uniform(-5, 5))
    y = X @ w_true + b_true  # no noise: the line through the data is exact
    w, b = fit(linreg.fit_linear_closed_form, X, y)
    assert_close(
        w,
        w_true,
        msg(
            en="w recovered from noiseless data y = X @ w_true + b_true",
            ja="ノイズのないデータ y = X @ w_true + b_true から求めた w",
        ),
    )
    assert_close(
        b,
        b_true,
        msg(
            en="b recovered from noiseless data y = X @ w_true + b_true",
            ja="ノイズのないデータ y = X @ w_true + b_true から求めた b",
        ),
    )


@pytest.mark.task("1.3")
@pytest.mark.parametrize("l2", [0.0, 1.5])
def test_closed_form_residual_sums_to_0_and_X_T_r_is_minus_l2_w(l2, rng):
    X = rng.standard_normal((50, 4)) + np.array([0.0, 3.0, -2.0, 10.0])
    y = rng.standard_normal(50) + X @ np.array([1.0, 0.0, -1.0, 0.5])
    w, b = fit(linreg.fit_linear_closed_form, X, y, l2=l2)
    r = X @ np.asarray(w, dtype=float) + float(b) - y  # (N,) prediction minus target
    # the normal equations: d/db and d/dw of sum r**2 + l2 * sum w**2 vanish at the minimum
    assert_close(
        r.sum(),
        0.0,
        msg(
            en="the sum of the residuals r = X @ w + b - y (0 at the minimum: b is free)",
            ja="残差 r = X @ w + b - y の和(最小点では 0。b は罰則を受けないため)",
        ),
        atol=1e-8,
    )
    assert_close(
        X.T @ r,
        -l2 * np.asarray(w, dtype=float),
        msg(
            en=f"X.T @ r with r = X @ w + b - y: at the minimum it equals -l2 * w (l2 = {num(l2)}; "
            "for l2 = 0 the residual is orthogonal to every column)",
            ja=f"r = X @ w + b - y のときの X.T @ r。最小点では -l2 * w に等しくなります"
            f"(l2 = {num(l2)}。l2 = 0 なら残差はどの列とも直交します)",
        ),
        atol=1e-8,
    )


@pytest.mark.task("1.3")
@pytest.mark.parametrize("l2", [0.0, 0.5, 10.0])
def test_closed_form_matches_the_normal_equations_of_generated_data(l2, rng):
    X = rng.standard_normal((15, 3)) * np.array([1.0, 4.0, 0.2]) + np.array([0.0, -5.0, 3.0])
    y = rng.standard_normal(15) + 2.0
    assert_fit(fit(linreg.fit_linear_closed_form, X, y, l2=l2), X, y, l2)


@pytest.mark.task("1.3")
def test_closed_form_l2_shrinks_the_weights(rng):
    X = rng.standard_normal((30, 3))
    y = X @ np.array([3.0, -2.0, 1.0]) + 0.1 * rng.standard_normal(30)
    norms = []
    for l2 in (0.0, 1.0, 10.0, 100.0, 1000.0):
        result = fit(linreg.fit_linear_closed_form, X, y, l2=l2)
        assert_fit(result, X, y, l2)
        norms.append(float(np.linalg.norm(result[0])))
    assert np.all(np.diff(norms) < 0), msg(
        en=f"||w|| should shrink as l2 grows (l2 = 0, 1, 10, 100, 1000), got {num(np.array(norms))}",
        ja=f"l2 を大きくすると ||w|| は小さくなるはずです(l2 = 0, 1, 10, 100, 1000)が、"
        f"{num(np.array(norms))} でした",
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
        msg(
            en="w after adding 100 to every y (l2 = 5): it must not change; if it does, the "
            "penalty is reaching the intercept",
            ja="すべての y に 100 を足した後の w(l2 = 5)。変わらないはずです。変わるなら罰則が"
            "切片にまで及んでいます",
        ),
    )
    assert_close(
        b_shifted,
        float(b) + 100.0,
        msg(
            en="b after adding 100 to every y: it should grow by exactly 100",
            ja="すべての y に 100 を足した後の b。ちょうど 100 増えるはずです",
        ),
    )
    assert_fit((w, b), X, y, 5.0)


@pytest.mark.task("1.3")
def test_closed_form_huge_l2_leaves_the_mean_of_y_as_intercept(rng):
    X = rng.standard_normal((20, 2)) + 3.0
    y = 5.0 + X @ np.array([2.0, 1.0]) + rng.standard_normal(20)
    w, b = fit(linreg.fit_linear_closed_form, X, y, l2=1e12)
    # w = O(1 / l2) ~ 1e-10: a bound far looser than that still catches a penalised b (b -> 0)
    assert np.all(np.abs(np.asarray(w, dtype=float)) < 1e-6), msg(
        en=f"w should be crushed to about 0 by l2 = 1e12, got {num(np.asarray(w))}",
        ja=f"l2 = 1e12 なら w はほぼ 0 に押しつぶされるはずですが、{num(np.asarray(w))} でした",
    )
    assert_close(
        b,
        y.mean(),
        msg(
            en="b with l2 = 1e12: w is about 0, so the best intercept is mean(y); if b went to 0, "
            "the penalty is also applied to the intercept",
            ja="l2 = 1e12 のときの b。w がほぼ 0 なので最良の切片は mean(y) です。b が 0 に"
            "近づくなら、罰則が切片にもかかっています",
        ),
        rtol=1e-6,
    )


@pytest.mark.task("1.3")
def test_a_straight_line_cannot_fit_a_parabola():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    y = x**2  # 4, 1, 0, 1, 4
    # by symmetry the best line is flat: w = 0, b = mean(y) = 2,
    # residuals -2, 1, 2, 1, -2 so the mean squared error is (4+1+4+1+4)/5 = 2.8
    w, b = fit(linreg.fit_linear_closed_form, x[:, None], y)
    assert_close(
        w,
        [0.0],
        msg(
            en="the slope of the best line through y = x^2 on symmetric x",
            ja="左右対称な x での y = x^2 に対する最良の直線の傾き",
        ),
    )
    assert_close(
        b,
        2.0,
        msg(
            en="the intercept of the best line through y = x^2 (mean of y)",
            ja="y = x^2 に対する最良の直線の切片(y の平均)",
        ),
    )
    mse = float(np.mean((x * float(np.asarray(w)[0]) + float(b) - y) ** 2))
    assert_close(
        mse,
        2.8,
        msg(en="the line's mean squared error on y = x^2", ja="y = x^2 に対する直線の平均二乗誤差"),
    )
    # give the model x^2 as a second feature and the same linear fit becomes exact
    X2 = np.stack([x, x**2], axis=1)  # (N, 2)
    w2, b2 = fit(linreg.fit_linear_closed_form, X2, y)
    assert_close(
        w2,
        [0.0, 1.0],
        msg(
            en="the weights on the features [x, x^2] for y = x^2",
            ja="y = x^2 に対する特徴量 [x, x^2] の重み",
        ),
    )
    assert_close(
        b2,
        0.0,
        msg(
            en="the intercept for y = x^2 with the feature x^2",
            ja="特徴量 x^2 を加えたときの y = x^2 の切片",
        ),
    )


@pytest.mark.task("1.3")
def test_closed_form_default_l2_is_0_plain_least_squares(rng):
    X = rng.standard_normal((10, 2)) + 1.0
    y = X @ np.array([1.0, 2.0]) + rng.standard_normal(10)
    default = fit(linreg.fit_linear_closed_form, X, y)
    theta, *_ = np.linalg.lstsq(np.hstack([X, np.ones((10, 1))]), y, rcond=None)
    assert matches(default, (theta[:2], theta[2])), msg(
        en="called without l2, the fit is not plain least squares: the default l2 is 0.0 "
        "(no penalty)",
        ja="l2 を省略したときの結果が、罰則なしの最小二乗法の解と違います。l2 の既定値は 0.0"
        "(罰則なし)です",
    )
    assert_fit(default, X, y, 0.0)


# ---------------------------------------------------------------- 1.4 gradient descent


def descend(X, y, lr, steps, *, two=2.0, average=True, together=True, sign=1.0):
    """Full-batch gradient descent on the mean squared error from w = 0, b = 0, written out
    here; the keywords switch on the README's mistakes (two=1: the factor 2 forgotten;
    average=False: summed over rows; together=False: b from residuals after the new w;
    sign=-1: stepping uphill)."""
    N, D = X.shape
    w, b = np.zeros(D), 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # some mistakes blow up, as they do
        for _ in range(steps):
            r = X @ w + b - y  # (N,)
            scale = two / N if average else two
            w_next = w - sign * lr * scale * (r[:, None] * X).sum(axis=0)  # sum over rows
            if not together:
                r = X @ w_next + b - y
            b = b - sign * lr * scale * r.sum()
            w = w_next
    return w, b


def assert_descent(result, X, y, lr: float, steps: int) -> None:
    """`result` is (w, b) after exactly `steps` updates from zeros, or fails naming the known
    mistake it is."""
    assert_scalar(result[1], "b")  # the docstring's type, before any value can be judged
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    mistakes = [
        (
            descend(X, y, lr, steps + 1),
            msg(
                en=f"that is {steps + 1} updates, one too many: loop exactly `steps` times, "
                "for _ in range(steps); steps = 0 returns the starting zeros",
                ja=f"これは {steps + 1} 回の更新で、1 回多すぎます。ループはちょうど steps 回"
                "(for _ in range(steps))です。steps = 0 なら初期値のゼロを返します",
            ),
        ),
        (
            descend(X, y, lr, steps, two=1.0),
            msg(
                en="the gradient is missing its factor 2: the derivative of r**2 is 2 * r, so "
                "dL/dw = (2 / N) * X.T @ r and dL/db = (2 / N) * sum(r)",
                ja="勾配の係数 2 が抜けています。r**2 の微分は 2 * r なので、dL/dw = "
                "(2 / N) * X.T @ r、dL/db = (2 / N) * sum(r) です",
            ),
        ),
        (
            descend(X, y, lr, steps, average=False),
            msg(
                en="the gradient was summed over the rows instead of averaged: the loss is "
                "the MEAN squared error, so divide by N, dL/dw = (2 / N) * X.T @ r",
                ja="勾配を行について平均せず合計しています。損失関数は平均二乗誤差なので N で"
                "割り、dL/dw = (2 / N) * X.T @ r としましょう",
            ),
        ),
        (
            descend(X, y, lr, steps, together=False),
            msg(
                en="b was updated with residuals recomputed after w had moved: compute r once "
                "per step, before either update, and take both gradients from it",
                ja="w を更新した後に残差を計算し直して b を更新しています。r は 1 ステップに"
                "1 回、どちらも更新する前に計算し、両方の勾配をそこから求めましょう",
            ),
        ),
        (
            descend(X, y, lr, steps, sign=-1.0),
            msg(
                en="the updates climb the loss: the gradient points uphill, so step against "
                "it, w -= lr * dL/dw and b -= lr * dL/db",
                ja="更新で損失関数が増えています。勾配は損失が増える向きなので、その逆へ進み"
                "ます: w -= lr * dL/dw、b -= lr * dL/db",
            ),
        ),
    ]
    expected = descend(X, y, lr, steps)
    assert_no_known_mistake(result, expected, mistakes)
    if steps == 0:
        assert matches(result, expected), msg(
            en="with steps = 0 the result must be the starting point, w = 0 and b = 0: start "
            "from np.zeros(D) and 0.0, not from random values",
            ja="steps = 0 では初期値 w = 0, b = 0 を返すはずです。乱数ではなく np.zeros(D) と "
            "0.0 から始めましょう",
        )
    for name, actual, want in zip(("w", "b"), result, expected, strict=True):
        assert_close(
            actual,
            want,
            msg(
                en=f"{name} after {steps} updates with lr = {num(lr)}, from w = 0, b = 0",
                ja=f"w = 0, b = 0 から学習率 lr = {num(lr)} で {steps} 回更新した後の {name}",
            ),
        )


def line_data(rng, N: int, D: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.standard_normal((N, D))
    return X, X @ rng.uniform(-2, 2, size=D) + 1.5 + 0.3 * rng.standard_normal(N)


@pytest.mark.task("1.4")
@pytest.mark.checks("inputs")
def test_gradient_descent_fits_without_changing_X_or_y(rng):
    X, y = line_data(rng, 10, 3)
    for steps in (0, 5):
        result = assert_inputs_unchanged(
            linreg.fit_linear_gradient_descent, X=X, y=y, lr=0.1, steps=steps
        )
        assert_descent(result, X, y, 0.1, steps)


@pytest.mark.task("1.4")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_descent_returns_the_fit_as_float64_w_and_float_b(dtype, rng):
    X, y = line_data(rng, 10, 3)
    X, y = X.astype(dtype), y.astype(dtype)
    for steps in (0, 5):
        w, b = result = fit(linreg.fit_linear_gradient_descent, X, y, lr=0.1, steps=steps)
        assert_array(w, (3,), "w")
        assert_scalar(b, "b")
        assert_descent(result, X, y, 0.1, steps)


@pytest.mark.task("1.4")
@pytest.mark.checks("mistake")
def test_gradient_descent_one_step_matches_the_hand_worked_update():
    X = np.array([[1.0], [3.0]])
    y = np.array([2.0, 4.0])
    # from w = 0, b = 0: r = X @ w + b - y = [-2, -4]
    # dL/dw = 2/N * X.T @ r = (1*-2 + 3*-4) = -14, dL/db = 2/N * sum(r) = -6   (N = 2)
    # w = 0 - 0.1 * -14 = 1.4, b = 0 - 0.1 * -6 = 0.6
    # (without the 2: w = 0.7; summed: 2.8; uphill: -1.4; b from the new w: 0.04)
    result = fit(linreg.fit_linear_gradient_descent, X, y, lr=0.1, steps=1)
    assert_descent(result, X, y, 0.1, 1)
    assert_close(result[0], [1.4], "w")
    assert_close(result[1], 0.6, "b")


@pytest.mark.task("1.4")
@pytest.mark.checks("mistake")
def test_gradient_descent_takes_exactly_steps_updates_from_zero():
    X = np.array([[1.0], [3.0]])
    y = np.array([2.0, 4.0])
    # step 2 from w = 1.4, b = 0.6: r = [1.4 + 0.6 - 2, 4.2 + 0.6 - 4] = [0, 0.8]
    # dL/dw = 1*0 + 3*0.8 = 2.4, dL/db = 0.8; w = 1.4 - 0.24 = 1.16, b = 0.6 - 0.08 = 0.52
    for steps, w, b in ((0, 0.0, 0.0), (2, 1.16, 0.52)):
        result = fit(linreg.fit_linear_gradient_descent, X, y, lr=0.1, steps=steps)
        assert_descent(result, X, y, 0.1, steps)
        assert_close(result[0], [w], "w")
        assert_close(result[1], b, "b")


@pytest.mark.task("1.4")
@pytest.mark.checks("mistake")
@pytest.mark.points(2)
def test_gradient_descent_few_steps_on_generated_data_follow_the_formula(rng):
    for N, D, lr, steps in ((6, 1, 0.05, 1), (12, 3, 0.1, 3), (30, 4, 0.02, 7)):
        X, y = line_data(rng, N, D)
        result = fit(linreg.fit_linear_gradient_descent, X, y, lr=lr, steps=steps)
        assert_descent(result, X, y, lr, steps)


@pytest.mark.task("1.4")
def test_gradient_descent_first_step_follows_the_mse_gradient(rng):
    N, D, lr = 10, 4, 0.01
    X = rng.standard_normal((N, D))
    y = rng.standard_normal(N) + 2.0
    w, b = fit(linreg.fit_linear_gradient_descent, X, y, lr=lr, steps=1)
    analytic = -np.append(np.asarray(w, dtype=float), float(b)) / lr  # one step from 0
    theta = np.zeros(D + 1)  # (w, b) at the start, perturbed in place by the check

    def loss():
        return float(np.mean((X @ theta[:D] + theta[D] - y) ** 2))

    assert_grad_close(
        analytic,
        loss,
        theta,
        msg(
            en="the gradient of the mean squared error implied by one step, -(w, b) / lr",
            ja="1 ステップの更新から逆算した平均二乗誤差の勾配 -(w, b) / lr",
        ),
    )
    # and its value: at w = 0, b = 0, r = -y, so dL/dw = -(2/N) X.T @ y, dL/db = -(2/N) sum(y)
    assert_close(
        analytic,
        -(2 / N) * np.append(X.T @ y, y.sum()),
        msg(
            en="the first step's gradient, (2/N) * [X.T @ r, sum(r)] with r = -y",
            ja="最初のステップの勾配 (2/N) * [X.T @ r, sum(r)](r = -y)",
        ),
    )


@pytest.mark.task("1.4")
@pytest.mark.points(2)
def test_gradient_descent_converges_to_the_closed_form_on_standardised_data(rng):
    N, D = 60, 3
    mix = np.array([[1.0, 0.4, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 1.0]])  # correlated features
    X = 50.0 + 10.0 * rng.standard_normal((N, D)) @ mix
    y = X @ np.array([0.5, -0.2, 0.1]) + 3.0 + rng.standard_normal(N)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)  # standardised here: 1.4 must not need 1.2
    theta, *_ = np.linalg.lstsq(np.hstack([Z, np.ones((N, 1))]), y, rcond=None)
    w, b = fit(linreg.fit_linear_gradient_descent, Z, y, lr=0.1, steps=1000)
    assert_close(
        w,
        theta[:D],
        msg(
            en="w after 1000 steps on standardised data (the least-squares w)",
            ja="標準化したデータで 1000 ステップ後の w(最小二乗法の w)",
        ),
    )
    assert_close(
        b,
        theta[D],
        msg(
            en="b after 1000 steps on standardised data (the least-squares b)",
            ja="標準化したデータで 1000 ステップ後の b(最小二乗法の b)",
        ),
    )


@pytest.mark.task("1.4")
def test_gradient_descent_loss_never_rises_with_more_steps(rng):
    X, y = line_data(rng, 30, 2)
    losses = []
    for steps in (0, 1, 2, 5, 10, 50, 200):
        result = fit(linreg.fit_linear_gradient_descent, X, y, lr=0.1, steps=steps)
        w, b = np.asarray(result[0], dtype=float), float(result[1])
        losses.append(float(np.mean((X @ w + b - y) ** 2)))
    # exact GD on a convex quadratic never rises; ATOL only forgives rounding near the minimum
    assert np.all(np.diff(losses) <= ATOL), msg(
        en=f"the mean squared error should never rise as steps grow (0, 1, 2, 5, 10, 50, 200), "
        f"got {num(np.array(losses))}: check the sign of the update, w -= lr * gradient",
        ja=f"ステップ数を増やしても平均二乗誤差は増えないはずです(0, 1, 2, 5, 10, 50, 200)が、"
        f"{num(np.array(losses))} でした。更新の符号 w -= lr * 勾配 を確かめましょう",
    )
    w_line, b_line = descend(X, y, 0.1, 200)
    best = float(np.mean((X @ w_line + b_line - y) ** 2))
    assert_close(
        losses[-1],
        best,
        msg(en="the mean squared error after 200 steps", ja="200 ステップ後の平均二乗誤差"),
    )


@pytest.mark.task("1.4")
def test_gradient_descent_defaults_are_lr_0_1_and_1000_steps(rng):
    # small features: far from converged after 1000 steps, so every step and lr shows
    X = 0.05 * rng.standard_normal((20, 2))
    y = X @ np.array([30.0, -20.0]) + 1.0 + 0.01 * rng.standard_normal(20)
    default = fit(linreg.fit_linear_gradient_descent, X, y)
    assert matches(default, descend(X, y, 0.1, 1000)), msg(
        en="called without lr and steps, the result differs from 1000 updates with lr = 0.1: "
        "the defaults are lr=0.1 and steps=1000",
        ja="lr と steps を省略したときの結果が、学習率 0.1 で 1000 回更新した結果と違います。"
        "既定値は lr=0.1、steps=1000 です",
    )
    assert_descent(default, X, y, 0.1, 1000)
