"""day05_metrics suite: the confusion matrix, accuracy, precision/recall/F1, ROC-AUC and
perplexity give hand-worked values, define their zero-division cases, and agree with
plain definitions (pairwise ranking for AUC, accuracy for micro-F1) written in the tests."""

import math

import numpy as np
import pytest

from checker.core.testing import assert_close, assert_shape, implementation

metrics = implementation("day05_metrics.metrics")

# The 3-class example used by 5.1 and 5.3 (worked by hand in the README too):
#   y_true = 0 0 0 1 1 2
#   y_pred = 0 0 1 1 2 2
# true 0 -> predicted 0, 0, 1 : row [2, 1, 0]
# true 1 -> predicted 1, 2    : row [0, 1, 1]
# true 2 -> predicted 2       : row [0, 0, 1]
Y_TRUE_3 = np.array([0, 0, 0, 1, 1, 2])
Y_PRED_3 = np.array([0, 0, 1, 1, 2, 2])

# The binary example used by 5.2 and 5.3:
#   index   0 1 2 3 4 5 6 7
#   y_true  1 1 1 0 0 0 1 0
#   y_pred  1 0 1 1 0 0 0 0
# TP (true 1, pred 1): 0, 2       -> 2
# FP (true 0, pred 1): 3          -> 1
# FN (true 1, pred 0): 1, 6       -> 2
# TN (true 0, pred 0): 4, 5, 7    -> 3
Y_TRUE_2 = np.array([1, 1, 1, 0, 0, 0, 1, 0])
Y_PRED_2 = np.array([1, 0, 1, 1, 0, 0, 0, 0])


def _naive_confusion(y_true, y_pred, k):
    counts = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        counts[t, p] += 1
    return counts


def _naive_pairwise_auc(y_true, scores):
    """P(score of a random positive > score of a random negative), a tie counting 1/2."""
    positives = [s for s, y in zip(scores, y_true) if y == 1]
    negatives = [s for s, y in zip(scores, y_true) if y == 0]
    total = 0.0
    for sp in positives:
        for sn in negatives:
            total += 1.0 if sp > sn else 0.5 if sp == sn else 0.0
    return total / (len(positives) * len(negatives))


def _is_float(value):
    return isinstance(value, (float, np.floating)) and np.ndim(value) == 0


# ---------------------------------------------------------------------------- 5.1


@pytest.mark.task("5.1")
def test_confusion_matrix_counts_the_hand_worked_example():
    cm = metrics.confusion_matrix(Y_TRUE_3, Y_PRED_3, 3)
    assert_shape(cm, (3, 3), "the confusion matrix for 3 classes")
    assert np.asarray(cm).dtype == np.int64, (
        f"the confusion matrix holds counts and should be int64, got {np.asarray(cm).dtype}"
    )
    expected = [
        [2, 1, 0],  # true 0: predicted 0, 0, 1
        [0, 1, 1],  # true 1: predicted 1, 2
        [0, 0, 1],
    ]  # true 2: predicted 2
    assert_close(cm, expected, "the confusion matrix of the 6-example, 3-class case")


@pytest.mark.task("5.1")
def test_confusion_matrix_rows_are_true_classes_and_columns_predictions():
    # one example, true class 0 predicted as class 1: it belongs in row 0, column 1
    cm = np.asarray(metrics.confusion_matrix(np.array([0]), np.array([1]), 2))
    assert_shape(cm, (2, 2), "the confusion matrix for 2 classes")
    assert cm[0, 1] == 1 and cm[1, 0] == 0, (
        "a true 0 predicted as 1 must be counted at [0, 1] (row = true class, column = "
        f"predicted class); got\n{cm}\n— are rows and columns swapped?"
    )


@pytest.mark.task("5.1")
def test_confusion_matrix_of_empty_input_is_all_zeros():
    empty = np.array([], dtype=np.int64)
    cm = metrics.confusion_matrix(empty, empty, 3)
    assert_shape(cm, (3, 3), "the confusion matrix of no examples")
    assert np.asarray(cm).dtype == np.int64, (
        f"the confusion matrix should be int64 even when empty, got {np.asarray(cm).dtype}"
    )
    assert_close(cm, np.zeros((3, 3)), "the confusion matrix of no examples (all zeros)")


@pytest.mark.task("5.1")
def test_confusion_matrix_keeps_rows_and_columns_of_absent_classes():
    # only classes 0 and 1 occur, but num_classes = 4: classes 2 and 3 still get zeros
    # true 0 -> pred 0, 1 : row [1, 1, 0, 0];  true 1 -> pred 1 : row [0, 1, 0, 0]
    cm = metrics.confusion_matrix(np.array([0, 0, 1]), np.array([0, 1, 1]), 4)
    assert_shape(
        cm,
        (4, 4),
        "the confusion matrix must be (K, K) for K = num_classes = 4, "
        "even when classes 2 and 3 never occur; its shape",
    )
    expected = [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert_close(cm, expected, "the confusion matrix with two absent classes")


@pytest.mark.task("5.1")
def test_confusion_matrix_matches_a_counting_loop_on_random_labels(rng):
    k = 5
    y_true = rng.integers(0, k, size=500)
    y_pred = rng.integers(0, k, size=500)
    cm = metrics.confusion_matrix(y_true, y_pred, k)
    assert_close(
        cm,
        _naive_confusion(y_true, y_pred, k),
        "the confusion matrix of 500 random labels (vs a counting loop)",
    )
    assert int(np.sum(cm)) == 500, "every example is counted exactly once: the entries sum to N"


# ---------------------------------------------------------------------------- 5.2


@pytest.mark.task("5.2")
def test_accuracy_of_the_hand_worked_example():
    # right at indices 0, 2, 4, 5, 7 -> 5 of 8 = 0.625
    acc = metrics.accuracy(Y_TRUE_2, Y_PRED_2)
    assert _is_float(acc), f"accuracy should return a float, got {type(acc).__name__}"
    assert_close(acc, 5 / 8, "accuracy of 5 right out of 8")


@pytest.mark.task("5.2")
def test_accuracy_counts_matches_not_classes():
    # 3-class example: right at indices 0, 1, 3, 5 -> 4 of 6
    assert_close(metrics.accuracy(Y_TRUE_3, Y_PRED_3), 4 / 6, "accuracy of 4 right out of 6")
    assert_close(metrics.accuracy(Y_TRUE_3, Y_TRUE_3), 1.0, "accuracy of perfect predictions")
    assert_close(
        metrics.accuracy(Y_TRUE_3, (Y_TRUE_3 + 1) % 3),
        0.0,
        "accuracy when every prediction is wrong",
    )


@pytest.mark.task("5.2")
def test_accuracy_of_a_single_example_is_zero_or_one():
    assert_close(
        metrics.accuracy(np.array([2]), np.array([2])), 1.0, "accuracy of one right prediction"
    )
    assert_close(
        metrics.accuracy(np.array([2]), np.array([0])), 0.0, "accuracy of one wrong prediction"
    )


@pytest.mark.task("5.2")
def test_accuracy_of_empty_input_is_zero_not_nan():
    empty = np.array([], dtype=np.int64)
    acc = metrics.accuracy(empty, empty)
    assert not np.isnan(acc), (
        "accuracy of no examples must be 0.0 (the day's zero-division rule), not nan — "
        "np.mean of an empty array is nan; check for N = 0 before dividing"
    )
    assert_close(acc, 0.0, "accuracy of no examples")


# ---------------------------------------------------------------------------- 5.3


def _check_prf(result, expected, what):
    assert isinstance(result, tuple) and len(result) == 3, (
        f"{what}: precision_recall_f1 should return a tuple (precision, recall, f1), "
        f"got {type(result).__name__}"
    )
    for value, want, name in zip(result, expected, ("precision", "recall", "F1")):
        assert _is_float(value), f"{what}: {name} should be a float, got {type(value).__name__}"
        assert_close(value, want, f"{what}: {name}")


@pytest.mark.task("5.3")
def test_binary_precision_recall_f1_of_the_hand_worked_example():
    # TP = 2, FP = 1, FN = 2
    # precision = 2 / (2 + 1) = 2/3 ; recall = 2 / (2 + 2) = 1/2
    # F1 = 2 * (2/3) * (1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7 = 2*2 / (2*2 + 1 + 2)
    result = metrics.precision_recall_f1(Y_TRUE_2, Y_PRED_2)
    _check_prf(result, (2 / 3, 1 / 2, 4 / 7), "binary, positive class 1")


@pytest.mark.task("5.3")
def test_binary_precision_recall_f1_follow_the_positive_class():
    # positive = 0: TP (true 0, pred 0) = 3 (4, 5, 7); FP (pred 0, true 1) = 2 (1, 6);
    # FN (true 0, pred 1) = 1 (3)
    # precision = 3/5, recall = 3/4, F1 = 2*3 / (2*3 + 2 + 1) = 6/9 = 2/3
    result = metrics.precision_recall_f1(Y_TRUE_2, Y_PRED_2, average="binary", positive=0)
    _check_prf(result, (3 / 5, 3 / 4, 2 / 3), "binary with positive=0 (class 0 is 'positive')")


@pytest.mark.task("5.3")
def test_zero_division_gives_zero_not_nan():
    # no predicted positives: TP = FP = 0 -> precision = 0/0 := 0; recall = 0/2 = 0; F1 = 0
    no_predicted = metrics.precision_recall_f1(np.array([1, 0, 1]), np.array([0, 0, 0]))
    assert not np.any(np.isnan(no_predicted)), (
        "with no predicted positives precision is 0/0; the documented value is 0.0, not nan "
        f"— got {no_predicted}"
    )
    _check_prf(no_predicted, (0.0, 0.0, 0.0), "no predicted positives")
    # no actual positives: TP = FN = 0 -> recall = 0/0 := 0; precision = 0/1 = 0; F1 = 0
    no_actual = metrics.precision_recall_f1(np.array([0, 0, 0]), np.array([0, 1, 0]))
    assert not np.any(np.isnan(no_actual)), (
        "with no actual positives recall is 0/0; the documented value is 0.0, not nan "
        f"— got {no_actual}"
    )
    _check_prf(no_actual, (0.0, 0.0, 0.0), "no actual positives")
    # neither (and empty input): everything 0/0 := 0
    _check_prf(
        metrics.precision_recall_f1(np.array([0, 0]), np.array([0, 0])),
        (0.0, 0.0, 0.0),
        "no positives at all",
    )
    empty = np.array([], dtype=np.int64)
    for average in ("binary", "macro", "micro"):
        _check_prf(
            metrics.precision_recall_f1(empty, empty, average=average),
            (0.0, 0.0, 0.0),
            f"empty input, average={average!r}",
        )


@pytest.mark.task("5.3")
def test_macro_average_is_the_mean_of_per_class_scores():
    # per class k: TP_k = diagonal, predicted_k = column sum, actual_k = row sum
    #   cm = [[2,1,0],[0,1,1],[0,0,1]] -> TP = [2,1,1], predicted = [2,2,2], actual = [3,2,1]
    #   precision = [1, 1/2, 1/2]          -> mean 2/3
    #   recall    = [2/3, 1/2, 1]          -> mean (4/6 + 3/6 + 6/6) / 3 = 13/18
    #   F1 = 2TP / (predicted + actual) = [4/5, 1/2, 2/3] -> mean (24 + 15 + 20)/30 / 3 = 59/90
    # (the F1 of the mean precision and recall would be 468/675 = 0.693..., not 59/90)
    result = metrics.precision_recall_f1(Y_TRUE_3, Y_PRED_3, average="macro")
    _check_prf(
        result,
        (2 / 3, 13 / 18, 59 / 90),
        "macro average (macro-F1 is the mean of the per-class F1s)",
    )


@pytest.mark.task("5.3")
def test_macro_average_counts_absent_classes_as_zero():
    # num_classes = 4: class 3 never occurs, so its precision, recall and F1 are 0/0 := 0
    # and it still counts in the mean: sums as above, divided by 4 instead of 3
    #   precision = 2/4, recall = (13/6)/4 = 13/24, F1 = (59/30)/4 = 59/120
    result = metrics.precision_recall_f1(Y_TRUE_3, Y_PRED_3, average="macro", num_classes=4)
    _check_prf(
        result,
        (1 / 2, 13 / 24, 59 / 120),
        "macro average over num_classes=4 (class 3 absent, counted as 0)",
    )


@pytest.mark.task("5.3")
def test_micro_average_pools_counts_before_dividing():
    # pooled: TP = 2 + 1 + 1 = 4; predicted = 6; actual = 6 -> 4/6 for all three
    result = metrics.precision_recall_f1(Y_TRUE_3, Y_PRED_3, average="micro")
    _check_prf(result, (4 / 6, 4 / 6, 4 / 6), "micro average (counts pooled over classes)")


@pytest.mark.task("5.3")
def test_micro_f1_equals_accuracy_for_single_label_multiclass(rng):
    for n, k in [(1, 3), (7, 2), (200, 4), (1000, 10)]:
        y_true = rng.integers(0, k, size=n)
        y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, size=n))
        acc = np.mean(y_true == y_pred)  # accuracy, computed here so 5.3 does not need 5.2
        result = metrics.precision_recall_f1(y_true, y_pred, average="micro", num_classes=k)
        _check_prf(
            result,
            (acc, acc, acc),
            f"micro average of {n} examples in {k} classes (must equal accuracy, "
            "since every wrong prediction is one FP and one FN)",
        )


# ---------------------------------------------------------------------------- 5.4


@pytest.mark.task("5.4")
def test_roc_auc_of_the_hand_worked_examples():
    # positives score 0.35, 0.8; negatives 0.1, 0.4
    # pairs: 0.35 > 0.1 (1), 0.35 < 0.4 (0), 0.8 > 0.1 (1), 0.8 > 0.4 (1) -> 3/4
    auc = metrics.roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert _is_float(auc), f"roc_auc should return a float, got {type(auc).__name__}"
    assert_close(auc, 0.75, "AUC with 3 of 4 (positive, negative) pairs ranked right")
    # with a tie: positives 0.5, 0.9; negatives 0.5, 0.2
    # pairs: 0.5 = 0.5 (1/2), 0.5 > 0.2 (1), 0.9 > 0.5 (1), 0.9 > 0.2 (1) -> 3.5/4 = 0.875
    # by ranks: 0.2 -> 1, the two 0.5s -> (2 + 3)/2 = 2.5 each, 0.9 -> 4
    #   positives' rank sum 2.5 + 4 = 6.5; minus 2*3/2 = 3 -> 3.5 pairs won; / (2*2) = 0.875
    auc = metrics.roc_auc(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.2, 0.9]))
    assert_close(auc, 0.875, "AUC where a positive and a negative tie (a tie counts 1/2)")


@pytest.mark.task("5.4")
def test_roc_auc_equals_the_pairwise_ranking_probability(rng):
    # integer scores in a small range: many ties, between and within the classes
    for n, high, p_positive in [(2, 2, 0.5), (9, 3, 0.5), (60, 5, 0.2), (300, 20, 0.7)]:
        y_true = (rng.random(n) < p_positive).astype(np.int64)
        y_true[0], y_true[-1] = 0, 1  # both classes present
        scores = rng.integers(0, high, size=n).astype(np.float64)
        assert_close(
            metrics.roc_auc(y_true, scores),
            _naive_pairwise_auc(y_true, scores),
            f"AUC of {n} tied-heavy scores vs the pairwise-ranking probability "
            "(give tied scores their average rank)",
        )


@pytest.mark.task("5.4")
def test_roc_auc_of_perfect_reversed_and_constant_scores(rng):
    y_true = np.array([0, 1, 0, 0, 1, 1, 0])
    scores = y_true + 0.1 * rng.random(7)  # every positive above every negative
    assert_close(metrics.roc_auc(y_true, scores), 1.0, "AUC of a perfect ranking")
    assert_close(metrics.roc_auc(y_true, -scores), 0.0, "AUC of a reversed ranking")
    assert_close(
        metrics.roc_auc(y_true, np.full(7, 0.3)),
        0.5,
        "AUC when every score is the same (every pair is a tie worth 1/2)",
    )


@pytest.mark.task("5.4")
def test_roc_auc_only_depends_on_the_order_of_the_scores(rng):
    y_true = rng.integers(0, 2, size=80)
    y_true[:2] = [0, 1]
    scores = rng.standard_normal(80)
    auc = metrics.roc_auc(y_true, scores)
    for name, transformed in [
        ("3 * s + 7", 3 * scores + 7),
        ("exp(s)", np.exp(scores)),
        ("s ** 3", scores**3),
        ("arctan(s)", np.arctan(scores)),
    ]:
        assert_close(
            metrics.roc_auc(y_true, transformed),
            auc,
            f"AUC after the increasing transform {name} (only the ranking may matter)",
        )


@pytest.mark.task("5.4")
def test_roc_auc_with_a_single_class_is_nan():
    scores = np.array([0.2, 0.7, 0.4])
    for y_true, what in [
        (np.array([1, 1, 1]), "only positives"),
        (np.array([0, 0, 0]), "only negatives"),
        (np.array([], dtype=np.int64), "no examples"),
    ]:
        auc = metrics.roc_auc(y_true, scores[: len(y_true)])
        assert _is_float(auc) and np.isnan(auc), (
            f"with {what} there is no (positive, negative) pair, so the AUC is undefined: "
            f"the documented result is nan, got {auc!r}"
        )


@pytest.mark.task("5.4")
@pytest.mark.timeout(10)
def test_roc_auc_handles_100k_scores_by_ranking_not_pairs(rng):
    # scores 0..2M-1 with the odd ones positive: positive 2a+1 beats negative 2b iff a >= b,
    # so positive a wins a + 1 pairs; sum over a = 0..M-1 is M(M+1)/2 of M*M pairs:
    # AUC = (M + 1) / (2M). A loop over the 2.5e9 pairs (or a (P, Q) matrix) cannot finish.
    M = 50_000
    order = rng.permutation(2 * M)  # shuffled: the function must sort, not assume order
    scores = np.arange(2 * M, dtype=np.float64)[order]
    y_true = (np.arange(2 * M) % 2)[order]
    assert_close(
        metrics.roc_auc(y_true, scores),
        (M + 1) / (2 * M),
        "AUC of 100k scores (closed form (M + 1) / 2M) — rank the scores once "
        "(Mann–Whitney) instead of comparing every pair",
    )


# ---------------------------------------------------------------------------- 5.5


@pytest.mark.task("5.5")
def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    # every token gets probability 1/V: mean log-prob = -log V, so exp(log V) = V
    V = 50
    ppl = metrics.perplexity(np.full((3, 7), -np.log(V)))
    assert _is_float(ppl), f"perplexity should return a float, got {type(ppl).__name__}"
    assert_close(ppl, V, "perplexity of a model uniform over V = 50 tokens (natural logs)")


@pytest.mark.task("5.5")
def test_perplexity_of_a_perfect_model_is_one():
    # probability 1 for every actual next token: log 1 = 0 -> exp(0) = 1
    assert_close(metrics.perplexity(np.zeros(5)), 1.0, "perplexity when every log-prob is 0")
    assert_close(
        metrics.perplexity(np.zeros((1, 1))),
        1.0,
        "perplexity of a single token with log-prob 0 (B = T = 1)",
    )


@pytest.mark.task("5.5")
def test_perplexity_of_the_hand_worked_example():
    # probabilities 1/2, 1/4, 1/8: log-probs -ln 2, -2 ln 2, -3 ln 2
    # mean = -6 ln 2 / 3 = -2 ln 2 -> perplexity = exp(2 ln 2) = 4
    log_probs = np.log(np.array([0.5, 0.25, 0.125]))
    assert_close(
        metrics.perplexity(log_probs),
        4.0,
        "perplexity of tokens with probabilities 1/2, 1/4, 1/8 "
        "(exp of minus the mean natural-log probability)",
    )
    assert_close(
        metrics.perplexity(log_probs[None, :]),
        4.0,
        "perplexity of the same tokens as a (1, 3) batch",
    )


@pytest.mark.task("5.5")
def test_perplexity_averages_over_unmasked_tokens_not_rows():
    # row 0: three real tokens, probabilities 1/2, 1/4, 1/8
    # row 1: one real token, probability 1/2, then two padding positions (log-prob 0 here)
    # real log-probs: -(1 + 2 + 3 + 1) ln 2 over 4 tokens -> mean -7/4 ln 2 -> 2 ** 1.75
    # (the mean of the row means would give 2 ** 1.5; counting the padding, 2 ** (7/6))
    log_probs = np.log(np.array([[0.5, 0.25, 0.125], [0.5, 1.0, 1.0]]))
    mask = np.array([[True, True, True], [True, False, False]])
    assert_close(
        metrics.perplexity(log_probs, mask=mask),
        2**1.75,
        "perplexity with padding: the mean is over the 4 real tokens, "
        "not all 6 positions and not the mean of each row's mean",
    )


@pytest.mark.task("5.5")
def test_perplexity_ignores_whatever_the_padding_holds():
    # padding often holds log 0 = -inf (or garbage): -inf * 0 is nan, so do not multiply by
    # the mask — select with it. Real tokens: 1/2, 1/4, 1/8 as before -> 4
    log_probs = np.array([[-np.log(2), -2 * np.log(2), -np.inf], [-3 * np.log(2), np.nan, -np.inf]])
    mask = np.array([[True, True, False], [True, False, False]])
    ppl = metrics.perplexity(log_probs, mask=mask)
    assert np.isfinite(ppl), (
        f"perplexity is {ppl} when padded positions hold -inf or nan; padded positions must "
        "not enter the sum at all (use np.where(mask, log_probs, 0) or log_probs[mask], "
        "not log_probs * mask)"
    )
    assert_close(ppl, 4.0, "perplexity of 3 real tokens (1/2, 1/4, 1/8) among padding")


@pytest.mark.task("5.5")
def test_perplexity_of_a_batch_equals_perplexity_of_its_tokens(rng):
    log_probs = np.log(rng.uniform(0.01, 1.0, size=(4, 6)))
    mask = rng.random((4, 6)) < 0.7
    mask[0, 0] = True
    assert_close(
        metrics.perplexity(log_probs, mask=mask),
        metrics.perplexity(log_probs[mask]),
        "perplexity of a masked (B, T) batch vs the same real tokens as one (N,) list",
    )
    assert_close(
        metrics.perplexity(log_probs),
        math.exp(-np.mean(log_probs)),
        "perplexity without a mask (every token counts)",
    )


@pytest.mark.task("5.5")
def test_perplexity_with_every_token_masked_is_nan():
    ppl = metrics.perplexity(np.full((2, 3), -1.0), mask=np.zeros((2, 3), dtype=bool))
    assert _is_float(ppl) and np.isnan(ppl), (
        f"with no unmasked tokens the mean is undefined: the documented result is nan, got {ppl!r}"
    )
