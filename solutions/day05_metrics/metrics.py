"""Day 5 · 評価指標 · Evaluation metrics: how good is a model, in one number?

Counts first (the confusion matrix), then the numbers made from them: accuracy,
precision, recall and F1; ROC-AUC, which judges scores by how they rank; and
perplexity, the metric of language models. Labels are integer class ids 0..K-1
(K is `num_classes`); every metric returns a Python float.

Zero division, once for the whole day: a ratio whose denominator counts nothing
(no examples, no predicted positives, no actual positives) is 0.0 — except ROC-AUC
with a single class and perplexity over no tokens, which are nan (see each docstring).
"""

from __future__ import annotations

import numpy as np


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator elementwise, and 0.0 where the denominator is 0.

    numerator, denominator: the same shape (or scalars); returns that shape, float64.
    """
    out = np.zeros(np.broadcast(numerator, denominator).shape)  # 0.0 stays where we skip
    return np.divide(numerator, denominator, out=out, where=denominator != 0)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Count every (true class, predicted class) pair.

    y_true: (N,) int, true class ids in 0..K-1 (K = num_classes).
    y_pred: (N,) int, predicted class ids in 0..K-1.
    Returns (K, K) int64: entry [i, j] is how many examples of true class i were
    predicted as class j (rows = true, columns = predicted). Classes that never occur
    still have their row and column (of zeros); empty input gives all zeros.
    """
    K = num_classes
    pairs = y_true * K + y_pred  # (N,) one id per (true, pred) cell
    counts = np.bincount(pairs, minlength=K * K)  # (K*K,) how often each cell occurs
    return counts.reshape(K, K).astype(np.int64)  # (K, K) row = true, column = pred


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of examples whose prediction equals the true class.

    y_true: (N,) int, true class ids.
    y_pred: (N,) int, predicted class ids.
    Returns a float in [0, 1]. Empty input (N = 0) returns 0.0, the day's
    zero-division rule (not nan: there is nothing to divide by, so nothing is right).
    """
    correct = np.sum(y_true == y_pred)
    return float(_safe_divide(correct, y_true.size))  # 0.0 when N = 0


def precision_recall_f1(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    average: str = "binary",
    positive: int = 1,
    num_classes: int | None = None,
) -> tuple[float, float, float]:
    """Precision, recall and F1, for one positive class or averaged over all classes.

    y_true: (N,) int, true class ids in 0..K-1.
    y_pred: (N,) int, predicted class ids in 0..K-1.
    average: "binary" — class `positive` against all the others;
             "macro"  — compute precision, recall and F1 for each of the K classes,
                        then take their plain means (macro-F1 is the mean of the
                        per-class F1s, not the F1 of the mean precision and recall);
             "micro"  — pool the counts of all classes first, then compute once
                        (for single-label data all three equal accuracy).
    positive: the positive class for "binary" (ignored otherwise).
    num_classes: K for "macro" and "micro" (ignored for "binary"). None means
                 K = 1 + the largest id in y_true or y_pred, whichever is larger
                 (K = 1 for empty input), so an id that never occurs below it is
                 still a class. Classes that never occur count in the macro mean
                 with precision = recall = F1 = 0.0.
    Returns (precision, recall, f1), three floats, where
        precision = TP / (TP + FP),  recall = TP / (TP + FN),
        f1 = 2·precision·recall / (precision + recall) = 2·TP / (2·TP + FP + FN).
    Zero division gives 0.0: no predicted positives -> precision 0.0; no actual
    positives -> recall 0.0; TP = 0 -> f1 0.0 (never nan).
    """
    if average == "binary":
        is_true, is_pred = y_true == positive, y_pred == positive
        tp, predicted, actual = np.sum(is_true & is_pred), np.sum(is_pred), np.sum(is_true)
    else:
        K = num_classes
        if K is None:  # 1 + the largest id in either array
            K = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
        tp = np.bincount(y_true[y_true == y_pred], minlength=K)  # (K,) right, per class
        predicted = np.bincount(y_pred, minlength=K)  # (K,) TP + FP: column sums of the matrix
        actual = np.bincount(y_true, minlength=K)  # (K,) TP + FN: row sums of the matrix
        if average == "micro":  # pool the counts before dividing
            tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()
    precision = _safe_divide(tp, predicted)  # TP / (TP + FP)
    recall = _safe_divide(tp, actual)  # TP / (TP + FN)
    f1 = _safe_divide(2 * tp, predicted + actual)  # harmonic mean, safe when TP = 0
    return float(precision.mean()), float(recall.mean()), float(f1.mean())  # macro: mean over K


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve, from the ranks of the scores (Mann–Whitney U).

    y_true: (N,) int in {0, 1}, 1 for a positive example.
    scores: (N,) the model's scores; higher means "more likely positive".
    Returns the probability that a random positive scores higher than a random
    negative, a tie counting as one half: 1.0 for a perfect ranking, 0.0 for a
    reversed one, 0.5 when every score is the same. Only the order of the scores
    matters. With a single class (no positives or no negatives, or N = 0) the
    AUC is undefined and the result is nan.
    """
    positive = y_true == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")  # no (positive, negative) pair exists
    # G distinct scores, sorted; group[n] says which one scores[n] is
    _, group, counts = np.unique(scores, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)  # (G,) 1-based rank of a group's last item
    ranks = (last - (counts - 1) / 2)[group]  # (N,) tied scores share their mean rank
    # positives' rank sum minus the smallest it could be = pairs won (+ half the ties)
    wins = ranks[positive].sum() - n_pos * (n_pos + 1) / 2
    return float(wins / (n_pos * n_neg))


def perplexity(log_probs: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Perplexity: exp of the mean negative log-probability per token.

    log_probs: (N,) or (B, T), the natural log of the probability the model gave
               each actual next token (so every entry is <= 0).
    mask: None (every token counts) or the shape of log_probs, bool: True for a real
          token, False for padding. Padded entries are ignored whatever they hold
          (even -inf or nan).
    Returns exp(-(sum of unmasked log_probs) / (number of unmasked tokens)), a float
    >= 1: 1.0 for a model that is always certain and right, V for a model that is
    uniform over a vocabulary of V. The mean is over tokens, not over rows. With no
    unmasked tokens the mean is undefined and the result is nan.
    """
    real = log_probs if mask is None else log_probs[mask]  # select: padding never enters
    if real.size == 0:
        return float("nan")  # no tokens, no average
    return float(np.exp(-real.mean()))  # the mean over tokens, not over rows
