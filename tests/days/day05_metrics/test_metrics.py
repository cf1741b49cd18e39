"""day05_metrics suite: the confusion matrix, accuracy, precision/recall/F1, ROC-AUC and
perplexity, each checked against a plain counting loop written here, on hand-worked
examples and on generated data (so no table of known answers passes), with the
zero-division cases and the inferred number of classes exactly as the docstrings define
them. Every value goes through one `expect_*` helper per task, which names the README's
common mistakes when a result is what one of them computes."""

import math

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_fast_enough,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    implementation,
    msg,
    num,
)

metrics = implementation("day05_metrics.metrics")

# The README's worked examples.
#   3 classes:  y_true = 0 0 0 1 1 2,  y_pred = 0 0 1 1 2 2
#   binary:     y_true = 1 1 1 0 0 0 1 0,  y_pred = 1 0 1 1 0 0 0 0
#               TP = 2 (idx 0, 2), FP = 1 (idx 3), FN = 2 (idx 1, 6), TN = 3
Y_TRUE_3 = np.array([0, 0, 0, 1, 1, 2])
Y_PRED_3 = np.array([0, 0, 1, 1, 2, 2])
Y_TRUE_2 = np.array([1, 1, 1, 0, 0, 0, 1, 0])
Y_PRED_2 = np.array([1, 0, 1, 1, 0, 0, 0, 0])
EMPTY = np.array([], dtype=np.int64)


def noisy_labels(rng, n, K, right=0.6):
    """(y_true, y_pred): n labels in 0..K-1; about `right` of the predictions are right."""
    y_true = rng.integers(0, K, size=n)
    guess = rng.integers(0, K, size=n)
    return y_true, np.where(rng.random(n) < right, y_true, guess)


def ratio(top, bottom):
    """top / bottom, and 0.0 when bottom is 0: the day's zero-division rule."""
    return top / bottom if bottom else 0.0


def _differs(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape != b.shape or not np.allclose(a, b, equal_nan=True)


def _numbers(value):
    """value as a float array, or None when it is not numbers at all."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------- 5.1


def naive_confusion(y_true, y_pred, K):
    counts = np.zeros((K, K), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        counts[t, p] += 1
    return counts


def expect_confusion(cm, y_true, y_pred, K, what):
    """cm must be the counting loop's matrix; names the README's mistakes when it is not."""
    right = naive_confusion(y_true, y_pred, K)
    if _differs(right, right.T):
        assert_not_mistake(
            cm,
            right.T,
            msg(
                en=f"{what} has rows and columns swapped: entry [i, j] counts the examples of "
                "true class i predicted as j (rows = y_true, columns = y_pred), so the pair "
                "id is y_true * K + y_pred",
                ja=f"{what} の行と列が逆です。[i, j] は「正解クラス i を j と予測した件数」"
                "(行 = y_true、列 = y_pred)なので、ペアの番号は y_true * K + y_pred です",
            ),
        )
    seen = int(max(np.max(y_true, initial=0), np.max(y_pred, initial=0))) + 1
    if seen < K:
        assert_not_mistake(
            cm,
            right[:seen, :seen],
            msg(
                en=f"{what} is {seen}×{seen}: it was sized from the largest label seen, but it "
                f"must be num_classes × num_classes ({K}×{K}); classes that never occur keep "
                "their row and column of zeros",
                ja=f"{what} が {seen}×{seen} です。出てきた最大のラベルから大きさを決めています"
                f"が、num_classes × num_classes ({K}×{K}) のはずです。一度も出てこない"
                "クラスも、ゼロの行と列を持ちます",
            ),
        )
    assert_close(cm, right, what)


@pytest.mark.task("5.1")
@pytest.mark.checks("inputs")
def test_confusion_matrix_leaves_its_inputs_unchanged(rng):
    y_true, y_pred = noisy_labels(rng, 40, 4)
    cm = assert_inputs_unchanged(
        metrics.confusion_matrix, y_true=y_true, y_pred=y_pred, num_classes=4
    )
    expect_confusion(cm, y_true, y_pred, 4, msg(en="the confusion matrix", ja="混同行列"))


@pytest.mark.task("5.1")
@pytest.mark.checks("types")
@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_confusion_matrix_is_a_K_by_K_int64_array(rng, dtype):
    y_true, y_pred = (y.astype(dtype) for y in noisy_labels(rng, 30, 3))
    cm = metrics.confusion_matrix(y_true, y_pred, 3)
    what = msg(
        en=f"the confusion matrix of {np.dtype(dtype)} labels",
        ja=f"{np.dtype(dtype)} のラベルの混同行列",
    )
    assert_array(cm, (3, 3), what, dtype=np.int64)
    expect_confusion(cm, y_true, y_pred, 3, what)


@pytest.mark.task("5.1")
@pytest.mark.checks("mistake")
def test_confusion_matrix_rows_are_true_classes_and_columns_predictions(rng):
    # one example, true class 0 predicted as 1: it belongs in row 0, column 1
    expect_confusion(
        metrics.confusion_matrix(np.array([0]), np.array([1]), 2),
        [0],
        [1],
        2,
        msg(
            en="the confusion matrix of one true 0 predicted as 1",
            ja="正解 0 を 1 と予測した 1 件の混同行列",
        ),
    )
    y_true, y_pred = noisy_labels(rng, 60, 4, right=0.3)
    expect_confusion(
        metrics.confusion_matrix(y_true, y_pred, 4),
        y_true,
        y_pred,
        4,
        msg(en="the confusion matrix of 60 random labels", ja="ランダムな 60 件のラベルの混同行列"),
    )


@pytest.mark.task("5.1")
@pytest.mark.checks("mistake")
def test_confusion_matrix_keeps_rows_and_columns_of_absent_classes(rng):
    # only classes 0..2 occur, but num_classes = 5: classes 3 and 4 still get their zeros
    y_true, y_pred = noisy_labels(rng, 50, 3)
    y_true[0] = 2  # the largest label seen is 2, whatever the seed
    expect_confusion(
        metrics.confusion_matrix(y_true, y_pred, 5),
        y_true,
        y_pred,
        5,
        msg(
            en="the confusion matrix with num_classes=5 when only classes 0..2 occur",
            ja="クラス 0〜2 しか出てこないときの num_classes=5 の混同行列",
        ),
    )


@pytest.mark.task("5.1")
def test_confusion_matrix_of_the_hand_worked_example():
    cm = metrics.confusion_matrix(Y_TRUE_3, Y_PRED_3, 3)
    expected = [
        [2, 1, 0],  # true 0: predicted 0, 0, 1
        [0, 1, 1],  # true 1: predicted 1, 2
        [0, 0, 1],  # true 2: predicted 2
    ]
    assert_close(
        cm,
        expected,
        msg(
            en="the confusion matrix of the README's 6-example, 3-class case",
            ja="README の 6 件・3 クラスの例の混同行列",
        ),
    )


@pytest.mark.task("5.1")
def test_confusion_matrix_of_empty_input_is_all_zeros():
    cm = metrics.confusion_matrix(EMPTY, EMPTY, 3)
    what = msg(en="the confusion matrix of no examples", ja="例が 0 件のときの混同行列")
    assert_array(cm, (3, 3), what, dtype=np.int64)
    assert_close(cm, np.zeros((3, 3)), what)
    # ... and one example more makes a single 1, at [true, predicted] = [2, 0]
    expect_confusion(
        metrics.confusion_matrix(np.array([2]), np.array([0]), 3),
        [2],
        [0],
        3,
        msg(
            en="the confusion matrix of one true 2 predicted as 0",
            ja="正解 2 を 0 と予測した 1 件の混同行列",
        ),
    )


@pytest.mark.task("5.1")
@pytest.mark.parametrize("K", [1, 2, 5, 12])
def test_confusion_matrix_matches_a_counting_loop(rng, K):
    for n in (1, 7, 300):
        y_true, y_pred = noisy_labels(rng, n, K, right=0.5)
        expect_confusion(
            metrics.confusion_matrix(y_true, y_pred, K),
            y_true,
            y_pred,
            K,
            msg(
                en=f"the confusion matrix of {n} random labels in {K} classes (vs a counting loop)",
                ja=f"{K} クラスのランダムな {n} 件のラベルの混同行列(数え上げるループとの比較)",
            ),
        )


# ---------------------------------------------------------------------------- 5.2


def expect_accuracy(acc, y_true, y_pred, what):
    assert_scalar(acc, what)  # first: a list or an array fails here in words, not as a shape
    n = len(y_true)
    right = sum(int(t == p) for t, p in zip(y_true, y_pred))
    if n == 0:
        values = _numbers(acc)
        assert values is None or not np.any(np.isnan(values)), msg(
            en=f"{what} is nan: with no examples accuracy is 0.0 (the day's zero-division "
            "rule), not nan. np.mean of an empty array is nan; check for N = 0 before "
            "dividing, or use _safe_divide",
            ja=f"{what} が nan です。例が 0 件なら正解率は 0.0(今日のゼロ除算の約束)で、"
            "nan ではありません。空配列の np.mean は nan になるので、割る前に N = 0 を"
            "確かめるか _safe_divide を使いましょう",
        )
    assert_close(acc, ratio(right, n), what)


@pytest.mark.task("5.2")
@pytest.mark.checks("inputs")
def test_accuracy_leaves_its_inputs_unchanged(rng):
    y_true, y_pred = noisy_labels(rng, 40, 4)
    acc = assert_inputs_unchanged(metrics.accuracy, y_true=y_true, y_pred=y_pred)
    expect_accuracy(acc, y_true, y_pred, msg(en="accuracy", ja="正解率"))


@pytest.mark.task("5.2")
@pytest.mark.checks("types")
def test_accuracy_is_a_python_float(rng):
    for n in (25, 1, 0):
        y_true, y_pred = noisy_labels(rng, n, 3)
        acc = metrics.accuracy(y_true, y_pred)
        what = msg(en=f"accuracy of {n} examples", ja=f"{n} 件の正解率")
        assert_scalar(acc, what)
        expect_accuracy(acc, y_true, y_pred, what)


@pytest.mark.task("5.2")
@pytest.mark.checks("mistake")
def test_accuracy_of_no_examples_is_zero_not_nan(rng):
    expect_accuracy(
        metrics.accuracy(EMPTY, EMPTY),
        EMPTY,
        EMPTY,
        msg(en="accuracy of no examples", ja="例が 0 件のときの正解率"),
    )
    y_true, y_pred = noisy_labels(rng, 30, 3)  # ... and not 0.0 for every input
    expect_accuracy(
        metrics.accuracy(y_true, y_pred),
        y_true,
        y_pred,
        msg(en="accuracy of 30 random labels", ja="ランダムな 30 件の正解率"),
    )


@pytest.mark.task("5.2")
def test_accuracy_of_the_hand_worked_examples():
    # binary: right at indices 0, 2, 4, 5, 7 -> 5 of 8; 3 classes: 0, 1, 3, 5 -> 4 of 6
    for y_true, y_pred, right, n in [(Y_TRUE_2, Y_PRED_2, 5, 8), (Y_TRUE_3, Y_PRED_3, 4, 6)]:
        assert_close(
            metrics.accuracy(y_true, y_pred),
            right / n,
            msg(en=f"accuracy of {right} right out of {n}", ja=f"{n} 件中 {right} 件正解の正解率"),
        )


@pytest.mark.task("5.2")
@pytest.mark.parametrize("K", [2, 3, 7])
def test_accuracy_matches_a_counting_loop(rng, K):
    for n in (1, 9, 400):
        y_true, y_pred = noisy_labels(rng, n, K, right=0.4)
        expect_accuracy(
            metrics.accuracy(y_true, y_pred),
            y_true,
            y_pred,
            msg(
                en=f"accuracy of {n} random labels in {K} classes (vs counting the matches)",
                ja=f"{K} クラスのランダムな {n} 件の正解率(一致を数えた値との比較)",
            ),
        )


@pytest.mark.task("5.2")
def test_accuracy_is_one_when_all_right_and_zero_when_all_wrong(rng):
    y_true = rng.integers(0, 4, size=30)
    for y_pred, want, what in [
        (
            y_true.copy(),
            1.0,
            msg(en="accuracy of perfect predictions", ja="すべて正解のときの正解率"),
        ),
        (
            (y_true + 1) % 4,
            0.0,
            msg(en="accuracy when every prediction is wrong", ja="すべて不正解のときの正解率"),
        ),
    ]:
        assert_close(metrics.accuracy(y_true, y_pred), want, what)


# ---------------------------------------------------------------------------- 5.3


def inferred_classes(y_true, y_pred):
    """K as the docstring defines it for num_classes=None."""
    return 1 + max([0, *y_true, *y_pred])


def naive_counts(y_true, y_pred, label):
    """(TP, FP, FN) of class `label` against all the others, by counting."""
    tp = fp = fn = 0
    for t, p in zip(y_true, y_pred):
        tp += t == label and p == label
        fp += t != label and p == label
        fn += t == label and p != label
    return tp, fp, fn


def from_counts(tp, fp, fn):
    """(precision, recall, F1), each 0/0 counting as 0.0."""
    return ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn)


def naive_macro(y_true, y_pred, classes):
    per_class = [from_counts(*naive_counts(y_true, y_pred, k)) for k in classes]
    return tuple(float(np.mean(column)) for column in zip(*per_class))


def naive_micro(y_true, y_pred, K):
    pooled = np.sum([naive_counts(y_true, y_pred, k) for k in range(K)], axis=0)
    return from_counts(*pooled)


def naive_prf(y_true, y_pred, average, positive, num_classes):
    if average == "binary":
        return from_counts(*naive_counts(y_true, y_pred, positive))
    K = num_classes if num_classes is not None else inferred_classes(y_true, y_pred)
    if average == "micro":
        return naive_micro(y_true, y_pred, K)
    return naive_macro(y_true, y_pred, range(K))


def prf_mistakes(y_true, y_pred, average, positive, num_classes, right):
    """(what the mistake computes, the message naming it), for the README's mistakes."""
    p, r, f = right
    yield (
        (r, p, f),
        msg(
            en="precision and recall are swapped: precision = TP / (TP + FP) divides by the "
            "number PREDICTED positive, recall = TP / (TP + FN) by the number ACTUALLY positive",
            ja="適合率と再現率が入れ替わっています。適合率 = TP / (TP + FP) は「陽性と予測した数」"
            "で、再現率 = TP / (TP + FN) は「実際に陽性の数」で割ります",
        ),
    )
    K = num_classes if num_classes is not None else inferred_classes(y_true, y_pred)
    if average == "macro":
        yield (
            (p, r, ratio(2 * p * r, p + r)),
            msg(
                en="macro-F1 is the F1 of the mean precision and recall here; it must be the mean "
                "of the K per-class F1s",
                ja="macro-F1 が「平均した適合率と再現率」の F1 になっています。クラスごとの K 個の"
                " F1 の平均にしましょう",
            ),
        )
        present = sorted(set(y_true) | set(y_pred))
        if num_classes is not None:
            yield (
                naive_macro(y_true, y_pred, present),
                msg(
                    en=f"the macro mean left out the classes that never occur; num_classes={K} "
                    "names them, so each counts in the mean with precision = recall = F1 = 0.0",
                    ja=f"マクロ平均から、一度も出てこないクラスが落ちています。num_classes={K} が"
                    "それらもクラスだと言っているので、適合率 = 再現率 = F1 = 0.0 として平均に入れます",
                ),
            )
        else:
            distinct = len(present)
            yield (
                naive_macro(y_true, y_pred, range(distinct)),
                msg(
                    en=f"the macro mean covers classes 0..{distinct - 1}: K was counted as the "
                    f"number of distinct labels ({distinct}), but with num_classes=None, K = 1 + "
                    f"the largest id in y_true or y_pred (here {K}), gaps included",
                    ja=f"マクロ平均がクラス 0〜{distinct - 1} の平均になっています。K をラベルの"
                    f"種類数 ({distinct}) にしていますが、num_classes=None のときの K は y_true と"
                    f" y_pred を通して最大の番号 + 1(ここでは {K})で、間の番号も含みます",
                ),
            )
            seen_in_truth = 1 + max([0, *y_true])
            yield (
                naive_macro(y_true, y_pred, range(seen_in_truth)),
                msg(
                    en=f"the macro mean covers classes 0..{seen_in_truth - 1}, inferred from y_true "
                    f"alone; with num_classes=None, K = 1 + the largest id in y_true OR y_pred "
                    f"(here {K})",
                    ja=f"マクロ平均が y_true だけから推定したクラス 0〜{seen_in_truth - 1} の平均に"
                    f"なっています。num_classes=None のときの K は y_true と y_pred の両方で最大の"
                    f"番号 + 1(ここでは {K})です",
                ),
            )
    if average == "micro":
        yield (
            naive_macro(y_true, y_pred, range(K)),
            msg(
                en="micro averaging returned the macro average: pool TP, FP and FN over all "
                "classes first, then divide once (micro precision = recall = F1 = accuracy)",
                ja="マイクロ平均がマクロ平均になっています。全クラスの TP、FP、FN を先に合計して"
                "から一度だけ割りましょう(マイクロ平均の適合率 = 再現率 = F1 = 正解率)",
            ),
        )


def assert_three_floats(result):
    assert isinstance(result, tuple) and len(result) == 3, msg(
        en="precision_recall_f1 should return a tuple (precision, recall, f1), got "
        f"{type(result).__name__}",
        ja="precision_recall_f1 はタプル (precision, recall, f1) を返すはずですが、"
        f"{type(result).__name__} でした",
    )
    for value, name in zip(result, ("precision", "recall", "f1")):
        assert_scalar(value, name)


def expect_prf(result, y_true, y_pred, what, average="binary", positive=1, num_classes=None):
    """result must be the counting loop's (precision, recall, F1); names the README's
    mistakes when it is not."""
    assert_three_floats(result)
    right = naive_prf(y_true, y_pred, average, positive, num_classes)
    values = _numbers(result)
    shown = "(" + ", ".join(num(float(v)) for v in np.ravel(values)) + ")"
    assert not np.any(np.isnan(values)), msg(
        en=f"{what} is {shown}: a 0/0 (no predicted positives, or no actual positives) "
        "must count as 0.0, never nan — divide with _safe_divide",
        ja=f"{what} が {shown} です。0/0(陽性の予測が 0 件、または実際の陽性が 0 件)"
        "は nan ではなく 0.0 とします。_safe_divide で割りましょう",
    )
    for mistaken, message in prf_mistakes(y_true, y_pred, average, positive, num_classes, right):
        if _differs(mistaken, right):
            assert_not_mistake(values, mistaken, f"{what}: {message}")
    assert_close(
        values,
        right,
        msg(en=f"{what} (precision, recall, F1)", ja=f"{what}(適合率, 再現率, F1)"),
    )


def call_prf(y_true, y_pred, **kwargs):
    return metrics.precision_recall_f1(y_true, y_pred, **kwargs)


AVERAGES = ["binary", "macro", "micro"]


@pytest.mark.task("5.3")
@pytest.mark.checks("inputs")
@pytest.mark.parametrize("average", AVERAGES)
def test_precision_recall_f1_leave_their_inputs_unchanged(rng, average):
    y_true, y_pred = noisy_labels(rng, 60, 4)
    result = assert_inputs_unchanged(
        metrics.precision_recall_f1, y_true=y_true, y_pred=y_pred, average=average, num_classes=4
    )
    expect_prf(result, y_true, y_pred, f"average={average!r}", average, num_classes=4)


@pytest.mark.task("5.3")
@pytest.mark.checks("types")
@pytest.mark.parametrize("average", AVERAGES)
def test_precision_recall_f1_are_a_tuple_of_three_python_floats(rng, average):
    y_true, y_pred = noisy_labels(rng, 50, 3)
    result = call_prf(y_true, y_pred, average=average)
    assert_three_floats(result)
    expect_prf(result, y_true, y_pred, f"average={average!r}", average)


@pytest.mark.task("5.3")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("average", AVERAGES)
def test_zero_division_gives_zero_not_nan(rng, average):
    # no predicted positives: precision 0/0 := 0; no actual positives: recall 0/0 := 0;
    # neither, and no examples at all: everything 0/0 := 0 (and the rest is not all 0)
    for y_true, y_pred, what in [
        ([1, 0, 1], [0, 0, 0], msg(en="no predicted positives", ja="陽性の予測が 0 件")),
        ([0, 0, 0], [0, 1, 0], msg(en="no actual positives", ja="実際の陽性が 0 件")),
        ([0, 0], [0, 0], msg(en="no positives at all", ja="陽性がまったくない")),
        (EMPTY, EMPTY, msg(en="no examples", ja="例が 0 件")),
        (*noisy_labels(rng, 40, 3), msg(en="40 random labels", ja="ランダムな 40 件")),
    ]:
        y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
        result = call_prf(y_true, y_pred, average=average, num_classes=3)
        expect_prf(result, y_true, y_pred, f"{what}, average={average!r}", average, num_classes=3)


@pytest.mark.task("5.3")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("positive", [0, 1, 2])
def test_precision_divides_by_predicted_and_recall_by_actual(rng, positive):
    # class `positive` is predicted far more often than it occurs: precision < recall
    y_true = rng.integers(0, 3, size=60)
    y_pred = np.where(rng.random(60) < 0.5, positive, y_true)
    y_pred[:2], y_true[:2] = positive, [positive, (positive + 1) % 3]  # one TP and one FP
    result = call_prf(y_true, y_pred, positive=positive)
    expect_prf(result, y_true, y_pred, f"average='binary', positive={positive}", positive=positive)


@pytest.mark.task("5.3")
@pytest.mark.checks("mistake")
def test_macro_f1_is_the_mean_of_the_per_class_f1s(rng):
    # classes of very different sizes and quality, so mean F1 != F1 of the means
    y_true = np.repeat([0, 1, 2, 3], [40, 15, 5, 20])
    y_pred = np.where(rng.random(80) < 0.5, y_true, rng.integers(0, 4, size=80))
    y_pred[y_true == 2] = 2  # class 2: recall 1
    y_pred[:10] = 2  # ... and poor precision
    result = call_prf(y_true, y_pred, average="macro", num_classes=4)
    expect_prf(result, y_true, y_pred, "average='macro'", "macro", num_classes=4)


@pytest.mark.task("5.3")
@pytest.mark.checks("mistake")
def test_micro_average_pools_the_counts_before_dividing(rng):
    y_true = np.repeat([0, 1, 2], [50, 8, 2])  # imbalanced: micro and macro differ
    y_pred = np.where(rng.random(60) < 0.7, y_true, 0)
    y_pred[-1] = 1  # class 2 is missed at least once
    result = call_prf(y_true, y_pred, average="micro", num_classes=3)
    expect_prf(result, y_true, y_pred, "average='micro'", "micro", num_classes=3)


@pytest.mark.task("5.3")
@pytest.mark.checks("mistake")
def test_macro_average_counts_classes_that_never_occur(rng):
    y_true, y_pred = noisy_labels(rng, 40, 3)
    y_true[0] = 2
    result = call_prf(y_true, y_pred, average="macro", num_classes=5)
    expect_prf(
        result,
        y_true,
        y_pred,
        msg(
            en="average='macro', num_classes=5 with only classes 0..2 occurring",
            ja="クラス 0〜2 しか出てこないときの average='macro', num_classes=5",
        ),
        "macro",
        num_classes=5,
    )


@pytest.mark.task("5.3")
@pytest.mark.checks("mistake")
def test_inferred_classes_include_labels_only_predicted(rng):
    # the largest id, 4, occurs only in y_pred: K = 5, class 4 has precision 0
    y_true, y_pred = noisy_labels(rng, 40, 4)
    y_pred[:3] = 4
    result = call_prf(y_true, y_pred, average="macro")
    expect_prf(
        result,
        y_true,
        y_pred,
        msg(
            en="average='macro', num_classes=None, when class 4 occurs only in y_pred",
            ja="クラス 4 が y_pred にしか出てこないときの average='macro', num_classes=None",
        ),
        "macro",
    )


@pytest.mark.task("5.3")
@pytest.mark.checks("mistake")
def test_inferred_classes_include_the_ids_in_the_gaps(rng):
    # only the ids 0, 3 and 5 occur: K = 6, and the classes 1, 2, 4 count as 0 in the mean
    ids = np.array([0, 3, 5])
    y_true, y_pred = (ids[y] for y in noisy_labels(rng, 40, 3))
    y_true[:3] = ids  # each id occurs, whatever the seed
    expect_prf(
        call_prf(y_true, y_pred, average="macro"),
        y_true,
        y_pred,
        msg(
            en="average='macro', num_classes=None, with the ids 0, 3 and 5 only",
            ja="番号 0, 3, 5 しか出てこないときの average='macro', num_classes=None",
        ),
        "macro",
    )


INFERENCE_CASES = {
    # the largest id, 4, only in y_true: K = 5, class 4 has recall 0
    "top-only-in-y_true": ([0, 1, 4, 2, 4, 1], [0, 1, 1, 2, 0, 1]),
    # ids 0, 2, 5 only: K = 6, classes 1, 3, 4 count as 0 in the macro mean
    "gaps": ([0, 2, 5, 5, 2, 0, 0], [0, 2, 5, 2, 2, 5, 0]),
    # only class 0, right every time: K = 1, so all three are 1
    "only-class-0": ([0, 0, 0], [0, 0, 0]),
    # nothing at all: K = 1 (not 0: no mean of nothing), everything 0/0 := 0
    "empty": ([], []),
}


@pytest.mark.task("5.3")
@pytest.mark.parametrize("average", ["macro", "micro"])
def test_inferred_classes_are_one_plus_the_largest_id_in_either_array(average):
    for case in INFERENCE_CASES.values():
        y_true, y_pred = (np.asarray(y, dtype=np.int64) for y in case)
        expect_prf(
            call_prf(y_true, y_pred, average=average),
            y_true,
            y_pred,
            msg(
                en=f"average={average!r}, num_classes=None, y_true={y_true.tolist()}, "
                f"y_pred={y_pred.tolist()}",
                ja=f"y_true={y_true.tolist()}、y_pred={y_pred.tolist()} の "
                f"average={average!r}, num_classes=None",
            ),
            average,
        )


@pytest.mark.task("5.3")
def test_precision_recall_f1_of_the_hand_worked_examples():
    # binary: TP = 2, FP = 1, FN = 2 -> 2/3, 1/2, 4/7; positive = 0: 3/5, 3/4, 2/3
    # macro (3 classes): P = [1, 1/2, 1/2], R = [2/3, 1/2, 1], F1 = [4/5, 1/2, 2/3]
    # micro: 4/6 for all three; num_classes = 4 adds a class of zeros to the macro mean
    for y_true, y_pred, kwargs, expected in [
        (Y_TRUE_2, Y_PRED_2, {}, (2 / 3, 1 / 2, 4 / 7)),
        (Y_TRUE_2, Y_PRED_2, {"positive": 0}, (3 / 5, 3 / 4, 2 / 3)),
        (Y_TRUE_3, Y_PRED_3, {"average": "macro"}, (2 / 3, 13 / 18, 59 / 90)),
        (Y_TRUE_3, Y_PRED_3, {"average": "macro", "num_classes": 4}, (1 / 2, 13 / 24, 59 / 120)),
        (Y_TRUE_3, Y_PRED_3, {"average": "micro"}, (4 / 6, 4 / 6, 4 / 6)),
    ]:
        assert_close(
            call_prf(y_true, y_pred, **kwargs),
            expected,
            msg(
                en=f"the README's worked example with {kwargs or 'the defaults'} "
                "(precision, recall, F1)",
                ja=f"README の計算例({kwargs or '既定値'})の (適合率, 再現率, F1)",
            ),
        )


@pytest.mark.task("5.3")
@pytest.mark.parametrize("K", [2, 3, 6])
def test_binary_scores_match_a_counting_loop_for_any_positive_class(rng, K):
    for n, positive in [(1, 0), (1, K - 1), (12, 1), (500, 0), (500, K - 1)]:
        y_true, y_pred = noisy_labels(rng, n, K)
        expect_prf(
            call_prf(y_true, y_pred, average="binary", positive=positive),
            y_true,
            y_pred,
            msg(
                en=f"{n} random labels in {K} classes, positive={positive} against the others",
                ja=f"{K} クラスのランダムな {n} 件、positive={positive} 対 それ以外",
            ),
            positive=positive,
        )


@pytest.mark.task("5.3")
@pytest.mark.parametrize("average", ["macro", "micro"])
@pytest.mark.parametrize("K", [2, 4, 10])
def test_averaged_scores_match_a_counting_loop(rng, average, K):
    for n in (1, 9, 600):
        y_true, y_pred = noisy_labels(rng, n, K)
        expect_prf(
            call_prf(y_true, y_pred, average=average, num_classes=K),
            y_true,
            y_pred,
            msg(
                en=f"average={average!r} of {n} random labels in {K} classes (vs a counting loop)",
                ja=f"{K} クラスのランダムな {n} 件の average={average!r}(数え上げるループとの比較)",
            ),
            average,
            num_classes=K,
        )


@pytest.mark.task("5.3")
def test_micro_scores_equal_accuracy(rng):
    y_true, y_pred = noisy_labels(rng, 300, 5)
    acc = np.mean(y_true == y_pred)  # computed here, so 5.3 does not depend on 5.2
    assert_close(
        call_prf(y_true, y_pred, average="micro", num_classes=5),
        (acc, acc, acc),
        msg(
            en="micro precision, recall and F1 of single-label data (each must equal accuracy: "
            "every wrong prediction is one FP and one FN)",
            ja="1 例 1 ラベルのデータのマイクロ平均の適合率・再現率・F1(どれも正解率に等しい"
            "はず: 間違い一つが FP 一つと FN 一つです)",
        ),
    )


@pytest.mark.task("5.3")
def test_defaults_are_binary_positive_one_and_inferred_classes(rng):
    y_true, y_pred = noisy_labels(rng, 80, 3)
    y_pred[0] = 4  # the largest id, only predicted: inferred K = 5
    for omitted, explicit, default in [
        ({}, {"average": "binary"}, "average='binary'"),
        ({}, {"positive": 1}, "positive=1"),
        ({"average": "macro"}, {"average": "macro", "num_classes": None}, "num_classes=None"),
    ]:
        result = call_prf(y_true, y_pred, **omitted)
        what = msg(
            en=f"precision_recall_f1 with {default} left to its default",
            ja=f"{default} を既定値に任せた precision_recall_f1",
        )
        assert_close(result, call_prf(y_true, y_pred, **explicit), what)
        expect_prf(result, y_true, y_pred, what, **explicit)


@pytest.mark.task("5.3")
def test_arguments_another_average_ignores_change_nothing(rng):
    # positive is ignored by macro and micro; num_classes is ignored by binary
    y_true, y_pred = noisy_labels(rng, 60, 3)
    for kwargs, ignored in [
        ({"average": "macro", "num_classes": 3}, {"positive": 2}),
        ({"average": "micro", "num_classes": 3}, {"positive": 0}),
        ({"average": "binary", "positive": 2}, {"num_classes": 7}),
    ]:
        expect_prf(
            call_prf(y_true, y_pred, **kwargs, **ignored),
            y_true,
            y_pred,
            msg(
                en=f"{kwargs} with {ignored}, which it must ignore",
                ja=f"{kwargs} に、無視されるはずの {ignored} を渡した結果",
            ),
            **kwargs,
        )


# ---------------------------------------------------------------------------- 5.4


def pairwise_auc(y_true, scores, tie=0.5):
    """P(a random positive scores above a random negative), a tie counting `tie`; nan
    without a (positive, negative) pair."""
    positives = [s for s, y in zip(scores, y_true) if y == 1]
    negatives = [s for s, y in zip(scores, y_true) if y == 0]
    if not positives or not negatives:
        return math.nan
    won = sum(1.0 if p > n else tie if p == n else 0.0 for p in positives for n in negatives)
    return won / (len(positives) * len(negatives))


def expect_auc(auc, y_true, scores, what):
    """auc must be the pairwise-ranking probability; names the README's mistakes."""
    assert_scalar(auc, what)
    right = pairwise_auc(y_true, scores)
    if math.isnan(right):
        assert_not_mistake(
            auc,
            0.5,
            msg(
                en=f"{what} is 0.5, but with a single class there is no (positive, negative) "
                "pair to rank, so the AUC is undefined: return nan",
                ja=f"{what} が 0.5 です。クラスが一つしかないと(陽性, 陰性)のペアがなく AUC は"
                "定義できないので、nan を返しましょう",
            ),
        )
        values = _numbers(auc)
        assert values is not None and np.all(np.isnan(values)), msg(
            en=f"{what} is {num(auc)}: with a single class (no positives or no negatives) "
            "the AUC is undefined and the documented result is nan",
            ja=f"{what} が {num(auc)} です。クラスが一つしかない(陽性か陰性が 0 件)ときは "
            "AUC が定義できず、決められた結果は nan です",
        )
        return
    for tie in (0.0, 1.0):
        mistaken = pairwise_auc(y_true, scores, tie)
        if _differs(mistaken, right):
            assert_not_mistake(
                auc,
                mistaken,
                msg(
                    en=f"{what}: a tie between a positive and a negative counted as a "
                    f"{'win' if tie else 'loss'}; it counts 1/2 — give tied scores the mean "
                    "of their ranks (raw argsort ranks break ties by position)",
                    ja=f"{what}: 陽性と陰性の同点が{'勝ち' if tie else '負け'}として数えられて"
                    "います。同点は 1/2 です。同じスコアには順位の平均を与えましょう"
                    "(argsort の順位は同点を並び順で分けてしまいます)",
                ),
            )
    if _differs(right, 0.5):
        assert_not_mistake(
            auc,
            1 - right,
            msg(
                en=f"{what} is {num(1 - right)}, which is 1 − the right AUC ({num(right)}): the "
                "classes are swapped. Sum the ranks of the positives (y_true == 1); a higher "
                "score means 'more likely positive'",
                ja=f"{what} が {num(1 - right)} で、正しい AUC ({num(right)}) の 1 − AUC に"
                "なっています。陽性と陰性が逆です。陽性 (y_true == 1) の順位を合計しましょう。"
                "スコアが高いほど「陽性らしい」という意味です",
            ),
        )
    assert_close(auc, right, what)


def scored_labels(rng, n, levels=None):
    """(y_true, scores): both classes present; positives tend to score higher. With
    `levels`, scores are integers below it, so many of them tie."""
    y_true = (rng.random(n) < 0.4).astype(np.int64)
    y_true[0], y_true[-1] = 0, 1
    if levels is None:
        return y_true, y_true + rng.standard_normal(n)
    return y_true, np.minimum(rng.integers(0, levels, size=n) + y_true, levels - 1) * 1.0


@pytest.mark.task("5.4")
@pytest.mark.checks("inputs")
def test_roc_auc_leaves_its_inputs_unchanged(rng):
    y_true, scores = scored_labels(rng, 50)
    auc = assert_inputs_unchanged(metrics.roc_auc, y_true=y_true, scores=scores)
    expect_auc(auc, y_true, scores, "AUC")


@pytest.mark.task("5.4")
@pytest.mark.checks("types")
def test_roc_auc_is_a_python_float(rng):
    y_true, scores = scored_labels(rng, 30)
    auc = metrics.roc_auc(y_true, scores)
    assert_scalar(auc, "roc_auc")
    expect_auc(auc, y_true, scores, "AUC")
    single = metrics.roc_auc(np.zeros(3, dtype=np.int64), scores[:3])
    assert_scalar(single, msg(en="roc_auc of a single class", ja="クラスが一つのときの roc_auc"))


@pytest.mark.task("5.4")
@pytest.mark.checks("mistake")
def test_roc_auc_counts_a_tie_as_one_half(rng):
    # one positive and one negative with the same score: AUC = 1/2, whatever their order
    for y_true, scores in [([1, 0], [0.3, 0.3]), ([0, 1], [0.3, 0.3]), ([0, 1, 1], [2, 2, 2])]:
        y_true, scores = np.array(y_true), np.array(scores, dtype=np.float64)
        expect_auc(
            metrics.roc_auc(y_true, scores),
            y_true,
            scores,
            msg(
                en=f"AUC of labels {y_true.tolist()} with equal scores",
                ja=f"スコアがすべて同じラベル {y_true.tolist()} の AUC",
            ),
        )
    y_true, scores = scored_labels(rng, 40, levels=3)
    expect_auc(
        metrics.roc_auc(y_true, scores),
        y_true,
        scores,
        msg(en="AUC of 40 scores in 3 tied levels", ja="3 段階で同点の多い 40 個のスコアの AUC"),
    )


@pytest.mark.task("5.4")
@pytest.mark.checks("mistake")
def test_roc_auc_ranks_positives_above_negatives(rng):
    y_true, scores = scored_labels(rng, 60)
    expect_auc(
        metrics.roc_auc(y_true, scores),
        y_true,
        scores,
        msg(
            en="AUC of 60 scores where positives tend to score higher",
            ja="陽性のスコアが高めな 60 個のスコアの AUC",
        ),
    )


@pytest.mark.task("5.4")
@pytest.mark.checks("mistake")
def test_roc_auc_with_a_single_class_is_nan(rng):
    # no positives, no negatives, or no examples: nan; and both classes: a number
    for y_true, scores in [
        ([1, 1, 1], [0.2, 0.7, 0.4]),
        ([0, 0, 0], [0.2, 0.7, 0.4]),
        ([1], [0.5]),
        ([], []),
        scored_labels(rng, 12),
    ]:
        y_true, scores = np.asarray(y_true, dtype=np.int64), np.asarray(scores, dtype=float)
        expect_auc(
            metrics.roc_auc(y_true, scores),
            y_true,
            scores,
            msg(en=f"AUC of labels {y_true.tolist()}", ja=f"ラベル {y_true.tolist()} の AUC"),
        )


@pytest.mark.task("5.4")
def test_roc_auc_of_the_hand_worked_examples():
    # positives 0.35, 0.8; negatives 0.1, 0.4: 3 of 4 pairs won -> 0.75
    # positives 0.5, 0.9; negatives 0.5, 0.2: 1/2 + 1 + 1 + 1 of 4 -> 0.875
    for y_true, scores, expected in [
        ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75),
        ([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9], 0.875),
    ]:
        assert_close(
            metrics.roc_auc(np.array(y_true), np.array(scores)),
            expected,
            msg(
                en=f"the README's worked example, AUC of {scores}",
                ja=f"README の計算例 {scores} の AUC",
            ),
        )


@pytest.mark.task("5.4")
@pytest.mark.parametrize("levels", [2, 3, 5, 20, None])
def test_roc_auc_equals_the_pairwise_ranking_probability(rng, levels):
    # integer scores below `levels` tie often, within and across the classes
    ties = msg(en="tied scores share their mean rank", ja="同点のスコアは順位の平均を分け合います")
    for n in (2, 9, 250):
        y_true, scores = scored_labels(rng, n, levels)
        expect_auc(
            metrics.roc_auc(y_true, scores),
            y_true,
            scores,
            msg(
                en=f"AUC of {n} scores vs the pairwise-ranking probability counted in the test"
                + (f" ({ties})" if levels else ""),
                ja=f"{n} 個のスコアの AUC(テストで数えた「陽性が陰性より上に来る確率」との比較)"
                + (f"({ties})" if levels else ""),
            ),
        )


@pytest.mark.task("5.4")
def test_roc_auc_of_perfect_reversed_and_constant_scores(rng):
    y_true, _ = scored_labels(rng, 20)
    scores = y_true + 0.5 * rng.random(20)  # every positive above every negative
    for given, expected, what in [
        (scores, 1.0, msg(en="AUC of a perfect ranking", ja="完全な順位付けの AUC")),
        (-scores, 0.0, msg(en="AUC of a reversed ranking", ja="逆順の順位付けの AUC")),
        (
            np.full(20, 0.3),
            0.5,
            msg(en="AUC when every score is the same", ja="スコアがすべて同じときの AUC"),
        ),
    ]:
        assert_close(metrics.roc_auc(y_true, given), expected, what)


@pytest.mark.task("5.4")
def test_roc_auc_tells_apart_scores_a_hair_apart(rng):
    # every positive 1e-12 above a negative: distinct in float64 (a float32 copy would tie
    # them), so every pair at the same level is won and the AUC is that of distinct scores
    levels = rng.permutation(6) / 7.0
    scores = np.concatenate([levels, levels + 1e-12])  # negatives, then positives
    y_true = np.repeat([0, 1], 6)
    expect_auc(
        metrics.roc_auc(y_true, scores),
        y_true,
        scores,
        msg(
            en="AUC when each positive scores 1e-12 above a negative (no ties: compare the "
            "scores as given, in float64)",
            ja="各陽性が陰性より 1e-12 だけ高いときの AUC(同点ではありません。スコアは"
            "float64 のまま比べましょう)",
        ),
    )


@pytest.mark.task("5.4")
def test_roc_auc_only_depends_on_the_order_of_the_scores(rng):
    y_true, scores = scored_labels(rng, 80)
    right = pairwise_auc(y_true, scores)
    for name, transformed in [
        ("3 * s + 7", 3 * scores + 7),
        ("exp(s)", np.exp(scores)),
        ("s ** 3", scores**3),
        ("arctan(s)", np.arctan(scores)),
    ]:
        assert_close(
            metrics.roc_auc(y_true, transformed),
            right,
            msg(
                en=f"AUC after the increasing transform {name} (only the ranking may matter)",
                ja=f"単調増加な変換 {name} をした後の AUC(順位だけで決まるはず)",
            ),
        )


def ranked_auc(y_true, scores):
    """The test's own vectorised AUC by average ranks, to time roc_auc against."""
    _, group, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[group]
    positive = y_true == 1
    P, Q = positive.sum(), (~positive).sum()
    return (ranks[positive].sum() - P * (P + 1) / 2) / (P * Q)


@pytest.mark.task("5.4")
@pytest.mark.perf
def test_roc_auc_ranks_once_instead_of_comparing_every_pair():
    # scores 0..2M-1, the odd ones positive: positive 2a+1 beats the negatives 0, 2, .., 2a,
    # so the positives win 1 + 2 + .. + M = M(M+1)/2 of M·M pairs: AUC = (M + 1) / 2M
    M = 8000

    def inputs(k):
        order = np.random.default_rng(k).permutation(2 * M)  # shuffled: sort, don't assume
        return (np.arange(2 * M) % 2)[order], np.arange(2.0 * M)[order]

    assert_close(
        metrics.roc_auc(*inputs(3)),
        (M + 1) / (2 * M),
        msg(
            en=f"AUC of {2 * M} shuffled scores (closed form (M + 1) / 2M)",
            ja=f"シャッフルした {2 * M} 個のスコアの AUC(閉じた式 (M + 1) / 2M)",
        ),
    )
    assert_fast_enough(
        metrics.roc_auc,
        ranked_auc,
        inputs,
        "roc_auc",
        msg(
            en="Comparing every (positive, negative) pair is P·Q work (64 million pairs here): "
            "rank the scores once (np.unique or argsort) and use the Mann–Whitney U",
            ja="(陽性, 陰性) のペアを全部比べると P·Q 回(ここでは 6400 万ペア)かかります。"
            "スコアを一度だけ順位付けし(np.unique か argsort)、Mann–Whitney の U を使いましょう",
        ),
    )


# ---------------------------------------------------------------------------- 5.5


def real_tokens(log_probs, mask):
    """The unmasked log-probabilities (all of them when mask is None), by a plain loop."""
    mask = np.ones(np.shape(log_probs), dtype=bool) if mask is None else mask
    return [lp for lp, real in zip(np.ravel(log_probs), np.ravel(mask)) if real]


def perplexity_mistakes(log_probs, mask, real):
    """(what the mistake computes, the message naming it), for the README's mistakes."""
    mean = sum(real) / len(real)
    yield (
        math.exp(mean),
        msg(
            en="the minus sign is missing: perplexity = exp(−mean log-prob), and it is never "
            "below 1",
            ja="マイナスの符号が抜けています。パープレキシティ = exp(−平均対数確率) で、1 より"
            "小さくなることはありません",
        ),
    )
    for base in (2, 10):
        yield (
            base ** (-mean),
            msg(
                en=f"{base} ** (−mean) was used, but the log-probabilities are natural logs: "
                "use np.exp",
                ja=f"{base} ** (−平均) が使われていますが、対数確率は自然対数です。np.exp を"
                "使いましょう",
            ),
        )
    if mask is not None:
        yield (
            math.exp(-sum(real) / np.size(mask)),
            msg(
                en=f"the mean was divided by all {np.size(mask)} positions; divide by the "
                f"{len(real)} real tokens (mask.sum()), since padding is not a token",
                ja=f"全 {np.size(mask)} 位置で割っています。パディングはトークンではないので、"
                f"本物のトークン数 {len(real)}(mask.sum())で割りましょう",
            ),
        )
    if mask is not None and np.ndim(mask) == 2:
        rows = [real_tokens(row, keep) for row, keep in zip(log_probs, mask)]
        row_means = [sum(row) / len(row) for row in rows if row]
        yield (
            math.exp(-sum(row_means) / len(row_means)),
            msg(
                en="this is the mean of each row's mean; the mean is over all real tokens "
                "together (rows with more tokens weigh more)",
                ja="行ごとの平均の平均になっています。平均は本物のトークン全体でとります"
                "(トークンの多い行ほど重く効きます)",
            ),
        )


def expect_perplexity(ppl, log_probs, mask, what):
    """ppl must be exp(−mean) over the real tokens; names the README's mistakes."""
    assert_scalar(ppl, what)
    real = real_tokens(log_probs, mask)
    if not real:
        values = _numbers(ppl)
        assert values is not None and np.all(np.isnan(values)), msg(
            en=f"{what} is {num(ppl)}: with no unmasked tokens the mean is undefined and the "
            "documented result is nan",
            ja=f"{what} が {num(ppl)} です。マスクされていないトークンが一つもないと平均が"
            "定義できず、決められた結果は nan です",
        )
        return
    right = math.exp(-sum(real) / len(real))
    values = _numbers(ppl)
    padding = np.asarray(log_probs)[~np.asarray(mask)] if mask is not None else np.zeros(0)
    if values is not None and np.any(np.isnan(values)) and not np.all(np.isfinite(padding)):
        raise AssertionError(
            msg(
                en=f"{what} is nan: the padding holds -inf or nan, and log_probs * mask turns "
                "-inf · 0 into nan. Select with the mask (np.where(mask, log_probs, 0.0) or "
                "log_probs[mask]) instead of multiplying by it",
                ja=f"{what} が nan です。パディングに -inf や nan が入っていて、log_probs * mask "
                "では -inf · 0 が nan になります。マスクを掛けるのではなく、"
                "np.where(mask, log_probs, 0.0) や log_probs[mask] で選びましょう",
            )
        )
    for mistaken, message in perplexity_mistakes(log_probs, mask, real):
        if _differs(mistaken, right):
            assert_not_mistake(values, mistaken, f"{what}: {message}")
    assert_close(ppl, right, what)


def masked_log_probs(rng, B, T):
    """(log_probs, mask): (B, T) log-probabilities of tokens, each row with its own number
    of real tokens (at least one), the padding holding log 0 = -inf."""
    log_probs = np.log(rng.uniform(0.01, 1.0, size=(B, T)))
    lengths = np.arange(B) % T + 1  # rows of different lengths, whatever the seed
    mask = np.arange(T) < lengths[:, None]
    return np.where(mask, log_probs, -np.inf), mask


@pytest.mark.task("5.5")
@pytest.mark.checks("inputs")
def test_perplexity_leaves_its_inputs_unchanged(rng):
    log_probs, mask = masked_log_probs(rng, 4, 6)
    ppl = assert_inputs_unchanged(metrics.perplexity, log_probs=log_probs, mask=mask)
    expect_perplexity(ppl, log_probs, mask, msg(en="perplexity", ja="パープレキシティ"))


@pytest.mark.task("5.5")
@pytest.mark.checks("types")
@pytest.mark.parametrize("shape", [(7,), (3, 5)])
def test_perplexity_is_a_python_float(rng, shape):
    log_probs = np.log(rng.uniform(0.05, 1.0, size=shape))
    ppl = metrics.perplexity(log_probs)
    assert_scalar(ppl, "perplexity")
    expect_perplexity(
        ppl,
        log_probs,
        None,
        msg(en=f"perplexity of {shape} log-probs", ja=f"形 {shape} の対数確率のパープレキシティ"),
    )
    nothing = metrics.perplexity(log_probs, mask=np.zeros(shape, dtype=bool))
    assert_scalar(
        nothing, msg(en="perplexity of no tokens", ja="トークンが 0 個のときのパープレキシティ")
    )


@pytest.mark.task("5.5")
@pytest.mark.checks("mistake")
def test_perplexity_is_exp_of_minus_the_mean_natural_log(rng):
    log_probs = np.log(rng.uniform(0.05, 0.9, size=12))
    expect_perplexity(
        metrics.perplexity(log_probs),
        log_probs,
        None,
        msg(en="perplexity of 12 tokens", ja="12 トークンのパープレキシティ"),
    )


@pytest.mark.task("5.5")
@pytest.mark.checks("mistake")
def test_perplexity_averages_over_real_tokens_not_positions_or_rows(rng):
    log_probs, mask = masked_log_probs(rng, 3, 5)
    log_probs = np.where(mask, log_probs, 0.0)  # finite padding: only the counting differs
    expect_perplexity(
        metrics.perplexity(log_probs, mask=mask),
        log_probs,
        mask,
        msg(
            en="perplexity of a padded (3, 5) batch",
            ja="パディングのある (3, 5) バッチのパープレキシティ",
        ),
    )


@pytest.mark.task("5.5")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("padding", [-np.inf, np.nan])
def test_perplexity_ignores_whatever_the_padding_holds(rng, padding):
    log_probs, mask = masked_log_probs(rng, 3, 4)
    log_probs = np.where(mask, log_probs, padding)
    expect_perplexity(
        metrics.perplexity(log_probs, mask=mask),
        log_probs,
        mask,
        msg(
            en=f"perplexity when the padding holds {num(padding)}",
            ja=f"パディングに {num(padding)} が入っているときのパープレキシティ",
        ),
    )


@pytest.mark.task("5.5")
def test_perplexity_of_the_hand_worked_examples():
    # probabilities 1/2, 1/4, 1/8: mean log-prob −2 ln 2 -> perplexity 4
    # padded: 1/2, 1/4, 1/8 | 1/2, pad, pad -> −(7/4) ln 2 over 4 tokens -> 2 ** 1.75
    log_probs = np.log(np.array([0.5, 0.25, 0.125]))
    padded = np.log(np.array([[0.5, 0.25, 0.125], [0.5, 1.0, 1.0]]))
    mask = np.array([[True, True, True], [True, False, False]])
    for args, expected, what in [
        (
            (log_probs,),
            4.0,
            msg(
                en="perplexity of probabilities 1/2, 1/4, 1/8",
                ja="確率 1/2, 1/4, 1/8 のパープレキシティ",
            ),
        ),
        (
            (log_probs[None, :],),
            4.0,
            msg(
                en="the same tokens as a (1, 3) batch",
                ja="同じトークンを (1, 3) のバッチにしたもの",
            ),
        ),
        (
            (padded, mask),
            2**1.75,
            msg(
                en="the README's padded (2, 3) example", ja="README のパディングのある (2, 3) の例"
            ),
        ),
    ]:
        assert_close(metrics.perplexity(*args), expected, what)


@pytest.mark.task("5.5")
def test_perplexity_of_uniform_and_perfect_models(rng):
    V = int(rng.integers(2, 1000))
    for log_probs, expected, what in [
        (
            np.full((3, 7), -np.log(V)),
            V,
            msg(
                en=f"perplexity of a model uniform over V = {V} tokens",
                ja=f"V = {V} 語に一様なモデルのパープレキシティ",
            ),
        ),
        (
            np.zeros(5),
            1.0,
            msg(
                en="perplexity when every log-prob is 0",
                ja="対数確率がすべて 0 のときのパープレキシティ",
            ),
        ),
        (
            np.zeros((1, 1)),
            1.0,
            msg(
                en="perplexity of one certain token (B = T = 1)",
                ja="確率 1 のトークン 1 個のパープレキシティ (B = T = 1)",
            ),
        ),
    ]:
        assert_close(metrics.perplexity(log_probs), expected, what)


@pytest.mark.task("5.5")
@pytest.mark.parametrize("B, T", [(1, 1), (2, 3), (6, 9)])
def test_perplexity_matches_a_loop_over_the_real_tokens(rng, B, T):
    log_probs, mask = masked_log_probs(rng, B, T)
    mask[0, 0] = True
    expect_perplexity(
        metrics.perplexity(log_probs, mask=mask),
        log_probs,
        mask,
        msg(
            en=f"perplexity of a padded ({B}, {T}) batch",
            ja=f"パディングのある ({B}, {T}) バッチのパープレキシティ",
        ),
    )
    tokens = log_probs[mask]
    expect_perplexity(
        metrics.perplexity(tokens),
        tokens,
        None,
        msg(
            en=f"perplexity of its {tokens.size} real tokens as one (N,) array",
            ja=f"その本物のトークン {tokens.size} 個を (N,) の配列にしたもののパープレキシティ",
        ),
    )


@pytest.mark.task("5.5")
def test_perplexity_without_a_mask_counts_every_token(rng):
    log_probs = np.log(rng.uniform(0.05, 1.0, size=(4, 6)))
    everything = np.ones((4, 6), dtype=bool)
    ppl = metrics.perplexity(log_probs)
    what = msg(
        en="perplexity with mask left to its default (None)",
        ja="mask を既定値 (None) に任せたパープレキシティ",
    )
    expect_perplexity(ppl, log_probs, None, what)
    assert_close(
        metrics.perplexity(log_probs, mask=None),
        ppl,
        msg(en="perplexity with mask=None", ja="mask=None のパープレキシティ"),
    )
    assert_close(
        metrics.perplexity(log_probs, mask=everything),
        ppl,
        msg(en="perplexity with an all-True mask", ja="すべて True の mask のパープレキシティ"),
    )


@pytest.mark.task("5.5")
def test_perplexity_with_no_real_tokens_is_nan(rng):
    # every token masked, or none there at all: nan; and one real token: a number
    for log_probs, mask in [
        (np.full((2, 3), -1.0), np.zeros((2, 3), dtype=bool)),
        (np.full(4, -1.0), np.zeros(4, dtype=bool)),
        (np.zeros(0), None),
        masked_log_probs(rng, 1, 4),
    ]:
        shape = log_probs.shape
        expect_perplexity(
            metrics.perplexity(log_probs, mask=mask),
            log_probs,
            mask,
            msg(
                en=f"perplexity of {shape} log-probs with {len(real_tokens(log_probs, mask))} "
                "real tokens",
                ja=f"本物のトークンが {len(real_tokens(log_probs, mask))} 個の形 {shape} の"
                "対数確率のパープレキシティ",
            ),
        )
