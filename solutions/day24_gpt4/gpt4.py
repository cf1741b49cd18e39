"""Day 24 · GPT-4 · GPT-4.

Four ideas the GPT-4 technical report leans on: predicting a big run's loss from small runs
(a power law with an irreducible term), checking that confidences are calibrated, turning
an image into tokens (patch embedding), and a mixture-of-experts layer that routes each
token to a few experts (how models of this size are widely believed to scale).
"""

import numpy as np


def fit_scaling_law(
    compute: np.ndarray, loss: np.ndarray, c_grid: np.ndarray
) -> tuple[float, float, float]:
    """Fit L(C) = a * C**b + c to small runs: a power law plus an irreducible loss c.

    compute: (N,) positive training compute C of each run, N >= 3, not all equal.
    loss: (N,) final loss L of each run.
    c_grid: (G,) candidate irreducible losses. Only candidates below min(loss) are tried
        (at least one is); the others would take the log of a number <= 0.
    For each candidate c: fit the straight line log(L - c) = log(a) + b * log(C) by least
    squares (np.polyfit(log C, log(L - c), 1) gives b, then log a). The candidate whose
    curve a * C**b + c has the smallest sum of squared errors against `loss` (measured in
    loss, not in log space) wins; on a tie the earlier candidate in c_grid wins.
    Returns (a, b, c) as Python floats; a > 0, and b < 0 when loss falls with compute.
    """
    log_C = np.log(np.asarray(compute, dtype=float))  # (N,)
    L = np.asarray(loss, dtype=float)  # (N,)
    best = None
    for c in np.asarray(c_grid, dtype=float):
        if c >= L.min():
            continue
        b, log_a = np.polyfit(log_C, np.log(L - c), 1)
        sse = np.sum((np.exp(log_a + b * log_C) + c - L) ** 2)
        if best is None or sse < best[0]:
            best = (sse, np.exp(log_a), b, c)
    _, a, b, c = best
    return float(a), float(b), float(c)


def calibration(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10
) -> tuple[float, np.ndarray]:
    """Expected calibration error (ECE) and the reliability table, with equal-width bins.

    confidence: (N,) the probability the model gave its own answer, in [0, 1], N >= 1.
    correct: (N,) bool or 0/1, whether that answer was right.
    n_bins: M equal-width bins (default 10), edges = np.linspace(0, 1, M + 1). Bin m holds
        edges[m] < p <= edges[m + 1] (closed on the right); p = 0 goes to bin 0.
    Returns (ece, table):
        table: (M, 3) float64, row m = [n_m, conf_m, acc_m]: how many answers fell in bin m,
            their mean confidence and their accuracy (share correct). An empty bin's row is
            [0, 0, 0].
        ece: Python float, sum over bins of (n_m / N) * |acc_m - conf_m| (empty bins add 0).
    """
    p = np.asarray(confidence, dtype=float)  # (N,)
    hit = np.asarray(correct, dtype=float)  # (N,)
    edges = np.linspace(0.0, 1.0, n_bins + 1)  # (M + 1,)
    bins = np.maximum(np.searchsorted(edges, p, side="left") - 1, 0)  # (N,) in [0, M)
    count = np.bincount(bins, minlength=n_bins).astype(float)  # (M,)
    filled = np.maximum(count, 1.0)  # an empty bin divides 0 by 1
    conf = np.bincount(bins, weights=p, minlength=n_bins) / filled  # (M,)
    acc = np.bincount(bins, weights=hit, minlength=n_bins) / filled  # (M,)
    ece = np.sum(count / len(p) * np.abs(acc - conf))
    return float(ece), np.stack([count, conf, acc], axis=1)  # (M, 3)


def patch_embedding(
    images: np.ndarray, weight: np.ndarray, bias: np.ndarray, patch: int
) -> np.ndarray:
    """Images as tokens: cut each image into P x P patches, flatten each, project it to D.

    images: (B, H, W, C), H and W multiples of patch; float64 or float32.
    weight: (P * P * C, D) the projection; bias: (D,).
    patch: P, the side of a square patch.
    Patch (i, j), the i-th row of patches from the top and the j-th from the left, becomes
    token i * (W // P) + j (row-major). Its pixels images[b, i*P:(i+1)*P, j*P:(j+1)*P, :]
    are flattened in (row, column, channel) order, like .reshape(-1) of that (P, P, C)
    block, then multiplied by weight and added to bias.
    Returns (B, N, D) float64 (float32 inputs too), N = (H // P) * (W // P).
    """
    B, H, W, C = images.shape
    P = patch
    x = np.asarray(images, dtype=float).reshape(B, H // P, P, W // P, P, C)
    x = x.transpose(0, 1, 3, 2, 4, 5)  # (B, H/P, W/P, P, P, C)
    x = x.reshape(B, (H // P) * (W // P), P * P * C)  # (B, N, P*P*C)
    return x @ weight + bias  # (B, N, D)


def moe_layer(
    x: np.ndarray, gate_weight: np.ndarray, expert_weights: np.ndarray, k: int = 2
) -> tuple[np.ndarray, np.ndarray, float]:
    """A mixture-of-experts layer: each token goes to its top-k experts, mixed by a softmax.

    x: (N, D) tokens. gate_weight: (D, E) the router. expert_weights: (E, D, F): expert e
        maps a token t to t @ expert_weights[e].
    k: experts per token, 1 <= k <= E (default 2).
    Routing: logits = x @ gate_weight, (N, E). Each token picks the k experts with the
    largest logits (on a tie the lower expert index first). Its routing weights are the
    softmax over those k logits only; every other expert gets weight 0.
    out[n] = sum over the chosen e of gates[n, e] * (x[n] @ expert_weights[e]).
    Load-balancing loss (Switch Transformer, with k choices per token): probs = softmax
    over all E logits, (N, E); f_e = the share of the N * k choices that went to expert e;
    P_e = the mean of probs[:, e] over tokens; aux = E * sum_e f_e * P_e (1 when perfectly
    balanced, E when every choice goes to one expert that takes all the probability).
    Returns (out, gates, aux): out (N, F) float64; gates (N, E) float64, the routing
    weights (k nonzero per row, summing to 1); aux a Python float.
    """
    logits = x @ gate_weight  # (N, E)
    N, E = logits.shape
    chosen = np.argsort(-logits, axis=1, kind="stable")[:, :k]  # (N, k)
    top = np.take_along_axis(logits, chosen, axis=1)  # (N, k), largest first
    weights = np.exp(top - top[:, :1])  # (N, k), the largest logit is top[:, 0]
    weights = weights / weights.sum(axis=1, keepdims=True)
    gates = np.zeros((N, E))
    np.put_along_axis(gates, chosen, weights, axis=1)  # (N, E)
    expert_out = np.einsum("nd,edf->nef", x, expert_weights)  # (N, E, F)
    out = np.einsum("ne,nef->nf", gates, expert_out)  # (N, F)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = probs / probs.sum(axis=1, keepdims=True)  # (N, E)
    f = np.bincount(chosen.ravel(), minlength=E) / (N * k)  # (E,)
    aux = E * np.sum(f * probs.mean(axis=0))
    return out, gates, float(aux)
