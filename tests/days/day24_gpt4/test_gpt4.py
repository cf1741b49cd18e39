"""day24 suite: a scaling-law fit over a grid of irreducible losses, calibration (ECE and the
reliability table), patch embedding, and a top-k mixture-of-experts layer.

Every task has one `check_*` function that judges a result: first the type and shape, then
the README's common mistakes by name (each computed here, independently), then the values
against oracles written in this file (a closed-form line fit in a loop, a bin-by-bin loop
with explicit comparisons, a pixel-by-pixel patch loop, a token-by-token router). The tests
choose data; the checks judge.
"""

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    assert_tuple,
    implementation,
    msg,
    num,
)

gpt4 = implementation("day24_gpt4.gpt4")

FIT_RTOL = 1e-6  # two least-squares line fits in float64 agree to ~1e-12; the fit's own rounding


# ================================================================ 24.1 fit_scaling_law


def line_fit(u, v):
    """Least-squares slope and intercept of v on u, from the closed form cov / var."""
    slope = np.sum((u - u.mean()) * (v - v.mean())) / np.sum((u - u.mean()) ** 2)
    return slope, v.mean() - slope * u.mean()


def naive_scaling_fit(compute, loss, c_grid, in_log_space=False):
    """The README's method, written out: a line per candidate c, the best curve wins."""
    log_C = np.log(compute)
    best = None
    for c in c_grid:
        if c >= loss.min():
            continue
        b, log_a = line_fit(log_C, np.log(loss - c))
        if in_log_space:
            error = np.sum((log_a + b * log_C - np.log(loss - c)) ** 2)
        else:
            error = np.sum((np.exp(log_a) * compute**b + c - loss) ** 2)
        if best is None or error < best[0]:
            best = (error, np.exp(log_a), b, c)
    return best[1:]


def scaling_runs(rng, noise=0.0):
    """Small runs of a known law L = a C^b + c, with c on the grid 0, 0.1, ..., 3."""
    c_grid = np.round(np.arange(0.0, 3.01, 0.1), 10)
    a, b = rng.uniform(2.0, 6.0), rng.uniform(-0.5, -0.15)
    c = c_grid[rng.integers(5, 25)]
    compute = np.logspace(0, 4, 12) * rng.uniform(1.0, 2.0)  # (N,)
    loss = a * compute**b + c
    loss = loss * (1 + noise * rng.standard_normal(loss.shape))
    return compute, loss, c_grid, (a, b, c)


def check_fit(result, compute, loss, c_grid, expected):
    """(a, b, c) as three Python floats, not one of the README's mistakes, equal to `expected`."""
    a, b, c = assert_tuple(result, 3, "fit_scaling_law", "(a, b, c)")
    for value, name in ((a, "a"), (b, "b"), (c, "c")):
        assert_scalar(value, name)
    log_C, right = np.log(compute), np.asarray(expected)
    slope, intercept = line_fit(log_C, np.log(loss))
    assert_not_mistake(
        (a, b, c),
        (np.exp(intercept), slope, 0.0),
        msg(
            en="fit_scaling_law fitted log L on log C with no irreducible loss (c = 0): "
            "subtract each candidate c from the loss first, fit log(L - c), and keep the best",
            ja="fit_scaling_law が減らせない損失なし(c = 0)で log L を log C に当てはめています。"
            "まず候補の c を損失から引いて log(L - c) に直線を当てはめ、いちばん合う c を残しましょう",
        ),
        correct=right,
    )
    assert_not_mistake(
        (a, b, c),
        (np.log(right[0]), right[1], right[2]),
        msg(
            en="fit_scaling_law returned the intercept log a instead of a: the line's "
            "intercept is log a, so a = exp(intercept)",
            ja="fit_scaling_law が a ではなく切片 log a を返しています。直線の切片は log a なので "
            "a = exp(切片) です",
        ),
        correct=right,
    )
    log_best = naive_scaling_fit(compute, loss, c_grid, in_log_space=True)
    assert_not_mistake(
        (a, b, c),
        log_best,
        msg(
            en="fit_scaling_law chose c by the residuals in log space; compare the candidates "
            "by the squared error of a * C**b + c against the loss itself",
            ja="fit_scaling_law が log 空間の残差で c を選んでいます。候補は a * C**b + c と損失"
            "そのものとの二乗誤差で比べましょう",
        ),
        correct=right,
    )
    what = msg(en="(a, b, c) returned by fit_scaling_law", ja="fit_scaling_law が返す (a, b, c)")
    assert_close((a, b, c), right, what, rtol=FIT_RTOL)


@pytest.mark.task("24.1")
@pytest.mark.checks("inputs")
def test_fit_scaling_law_leaves_its_inputs_alone(rng):
    compute, loss, c_grid, _ = scaling_runs(rng, noise=0.01)
    assert_inputs_unchanged(gpt4.fit_scaling_law, compute, loss, c_grid)


@pytest.mark.task("24.1")
@pytest.mark.checks("types")
def test_fit_scaling_law_returns_three_python_floats(rng):
    compute, loss, c_grid, truth = scaling_runs(rng)
    result = gpt4.fit_scaling_law(compute.astype(np.float32), loss, list(c_grid))
    a, b, c = assert_tuple(result, 3, "fit_scaling_law", "(a, b, c)")
    for value, name in ((a, "a"), (b, "b"), (c, "c")):
        assert_scalar(value, name)


@pytest.mark.task("24.1")
def test_fit_scaling_law_recovers_a_known_law_and_extrapolates(rng):
    compute, loss, c_grid, truth = scaling_runs(rng)
    result = gpt4.fit_scaling_law(compute, loss, c_grid)
    check_fit(result, compute, loss, c_grid, truth)
    a, b, c = result
    big = compute.max() * 1000  # a run 1000x bigger than any small one
    predicted, actual = a * big**b + c, truth[0] * big ** truth[1] + truth[2]
    assert abs(predicted - actual) <= 1e-6 * actual, msg(
        en=f"the fitted law predicts a loss of {num(predicted)} at 1000x the largest compute; "
        f"the law that made the data gives {num(actual)}",
        ja=f"当てはめた法則は最大の計算量の 1000 倍で損失 {num(predicted)} を予測しますが、"
        f"データを作った法則では {num(actual)} です",
    )


@pytest.mark.task("24.1")
def test_fit_scaling_law_on_noisy_runs_picks_the_best_curve(rng):
    compute, loss, c_grid, _ = scaling_runs(rng, noise=0.02)
    result = gpt4.fit_scaling_law(compute, loss, c_grid)
    check_fit(result, compute, loss, c_grid, naive_scaling_fit(compute, loss, c_grid))


@pytest.mark.task("24.1")
def test_fit_scaling_law_skips_candidates_at_or_above_the_smallest_loss():
    compute = np.array([1.0, 10.0, 100.0, 1000.0])
    loss = 2.0 * compute**-0.5 + 1.0  # from 3 down to 1.063...
    c_grid = np.array([5.0, 2.0, loss.min(), 1.0, 0.5])  # 5, 2 and min(loss) give log(<= 0)
    result = gpt4.fit_scaling_law(compute, loss, c_grid)
    check_fit(result, compute, loss, c_grid, (2.0, -0.5, 1.0))


@pytest.mark.task("24.1")
@pytest.mark.checks("mistake")
def test_fit_scaling_law_keeps_the_irreducible_loss():
    noisy = scaling_runs(np.random.default_rng(1), noise=0.05)[
        :3
    ]  # log space picks c = 0.4, not 0.6
    check_fit(gpt4.fit_scaling_law(*noisy), *noisy, naive_scaling_fit(*noisy))
    compute = np.logspace(0, 3, 7)
    loss = 4.0 * compute**-0.3 + 2.0
    check_fit(
        gpt4.fit_scaling_law(compute, loss, np.array([0.0, 1.0, 2.0])),
        compute,
        loss,
        np.array([0.0, 1.0, 2.0]),
        (4.0, -0.3, 2.0),
    )


# ================================================================ 24.2 calibration


def naive_table(p, hit, M):
    """Bin by bin, with the edges compared one by one: (edges[m], edges[m+1]], 0 in bin 0."""
    edges = np.linspace(0, 1, M + 1)
    table = np.zeros((M, 3))
    for m in range(M):
        inside = (p > edges[m]) & (p <= edges[m + 1])
        if m == 0:
            inside |= p == 0
        if inside.any():
            table[m] = inside.sum(), p[inside].mean(), hit[inside].mean()
    ece = sum(row[0] / len(p) * abs(row[2] - row[1]) for row in table)
    return ece, table


def check_calibration(result, p, hit, M):
    ece, table = assert_tuple(result, 2, "calibration", "(ece, table)")
    assert_scalar(ece, "ece")
    assert_array(table, (M, 3), "table")
    right_ece, right = naive_table(p, hit, M)
    left = np.minimum(np.floor(p * M).astype(int), M - 1)
    left_table = np.zeros((M, 3))
    for m in range(M):
        if (left == m).any():
            left_table[m] = (left == m).sum(), p[left == m].mean(), hit[left == m].mean()
    assert_not_mistake(
        table,
        left_table,
        msg(
            en="calibration put a confidence that lies exactly on an edge into the bin above it: "
            "bins are closed on the right, (edges[m], edges[m+1]], so 0.5 belongs to the bin "
            "that ends at 0.5",
            ja="calibration が、ちょうど境界にある確信度を 1 つ上のビンに入れています。ビンは右閉じ "
            "(edges[m], edges[m+1]] なので、0.5 は 0.5 で終わるビンに入ります",
        ),
        correct=right,
    )
    filled = right[:, 0] > 0
    unweighted = np.mean(np.abs(right[filled, 2] - right[filled, 1]))
    assert_not_mistake(
        ece,
        unweighted,
        msg(
            en="calibration averaged the bins' gaps |acc - conf| equally; weight each bin by "
            "its share of the answers, n_m / N",
            ja="calibration が各ビンの差 |acc - conf| を同じ重みで平均しています。各ビンは答えの"
            "うちそのビンに入った割合 n_m / N で重み付けしましょう",
        ),
        correct=right_ece,
    )
    empty = ~filled
    assert not (np.isnan(np.asarray(table, dtype=float)[empty]).any()), msg(
        en=f"empty bins {np.flatnonzero(empty).tolist()} of the table hold NaN (0/0): an empty "
        "bin's row is [0, 0, 0], and it adds nothing to the ECE",
        ja=f"表の空のビン {np.flatnonzero(empty).tolist()} に NaN (0/0) があります。空のビンの行は "
        "[0, 0, 0] で、ECE には何も足しません",
    )
    assert_close(table, right, msg(en="the reliability table", ja="信頼度の表"))
    assert_close(ece, right_ece, "ece")


@pytest.mark.task("24.2")
@pytest.mark.checks("inputs")
def test_calibration_leaves_its_inputs_alone(rng):
    p, hit = rng.uniform(0, 1, 50), rng.uniform(0, 1, 50) < 0.6
    assert_inputs_unchanged(gpt4.calibration, p, hit, 5)


@pytest.mark.task("24.2")
@pytest.mark.checks("types")
def test_calibration_returns_a_float_and_an_m_by_3_table(rng):
    p = rng.uniform(0, 1, 30).astype(np.float32)
    ece, table = assert_tuple(
        gpt4.calibration(p, rng.integers(0, 2, 30), 4), 2, "calibration", "(ece, table)"
    )
    assert_scalar(ece, "ece")
    assert_array(table, (4, 3), "table")


@pytest.mark.task("24.2")
def test_calibration_of_the_readme_example():
    p = np.array([0.5, 0.5, 0.75, 0.9, 1.0])
    hit = np.array([1, 0, 0, 1, 1])
    result = gpt4.calibration(p, hit, 4)
    check_calibration(result, p, hit, 4)
    expected = [[0, 0, 0], [2, 0.5, 0.5], [1, 0.75, 0], [2, 0.95, 1]]
    assert_close(result[1], expected, msg(en="the reliability table", ja="信頼度の表"))
    assert_close(result[0], 0.17, "ece")


@pytest.mark.task("24.2")
def test_calibration_on_generated_answers_matches_a_bin_by_bin_loop(rng):
    p = rng.uniform(0, 1, 200)
    p[:20] = rng.integers(0, 8, 20) / 7  # some on the edges of 7 bins, 0 and 1 included
    hit = rng.uniform(0, 1, 200) < p
    check_calibration(gpt4.calibration(p, hit, 7), p, hit, 7)


@pytest.mark.task("24.2")
def test_calibration_uses_ten_bins_by_default(rng):
    p = np.concatenate([rng.uniform(0, 1, 40), [0.1, 0.5, 0.7]])
    hit = rng.uniform(0, 1, 43) < 0.5
    check_calibration(gpt4.calibration(p, hit), p, hit, 10)


@pytest.mark.task("24.2")
@pytest.mark.checks("mistake")
def test_calibration_edges_empty_bins_and_weights():
    p = np.array([0.05, 0.3, 0.35, 0.9, 1.0, 0.0])  # 0.3 on an edge; five empty bins
    hit = np.array([1, 0, 1, 1, 1, 0])
    result = gpt4.calibration(p, hit, 10)
    check_calibration(result, p, hit, 10)
    assert_close(result[0], 1 / 3, "ece")  # (2 * 0.475 + 0.3 + 0.65 + 0.1 + 0) / 6


@pytest.mark.task("24.2")
def test_calibration_is_zero_when_confidence_matches_accuracy():
    p = np.array([1.0, 1.0, 0.25, 0.25, 0.25, 0.25])
    hit = np.array([1, 1, 1, 0, 0, 0])
    result = gpt4.calibration(p, hit, 4)
    check_calibration(result, p, hit, 4)
    assert_close(result[0], 0.0, "ece")


# ================================================================ 24.3 patch_embedding


def naive_patches(images, weight, bias, P):
    B, H, W, C = images.shape
    tokens = []
    for b in range(B):
        row = []
        for i in range(H // P):
            for j in range(W // P):
                pixels = [
                    images[b, i * P + r, j * P + s, ch]
                    for r in range(P)
                    for s in range(P)
                    for ch in range(C)
                ]
                row.append(np.array(pixels) @ weight + bias)
        tokens.append(row)
    return np.array(tokens, dtype=float)


def check_patches(out, images, weight, bias, P):
    B, H, W, C = images.shape
    N = (H // P) * (W // P)
    assert_array(out, (B, N, weight.shape[1]), "patch_embedding")
    x = np.asarray(images, dtype=float)
    plain = x.reshape(B, N, P * P * C) @ weight + bias
    right = naive_patches(x, weight, bias, P)
    assert_not_mistake(
        out,
        plain,
        msg(
            en="patch_embedding reshaped the image straight to (B, N, P*P*C): that cuts strips "
            "of whole rows, not P x P squares. Reshape to (B, H/P, P, W/P, P, C) and move the "
            "two patch-grid axes before the pixel axes",
            ja="patch_embedding が画像をそのまま (B, N, P*P*C) に reshape しています。それでは "
            "P x P の正方形ではなく行の帯になります。(B, H/P, P, W/P, P, C) に reshape して、"
            "パッチの格子の 2 軸を画素の軸より前に移しましょう",
        ),
        correct=right,
    )
    columns = x.reshape(B, H // P, P, W // P, P, C).transpose(0, 3, 1, 2, 4, 5)
    assert_not_mistake(
        out,
        columns.reshape(B, N, P * P * C) @ weight + bias,
        msg(
            en="patch_embedding numbered the patches column by column; the order is row-major: "
            "patch (i, j) is token i * (W // P) + j",
            ja="patch_embedding がパッチを列ごとに番号付けしています。順番は行優先で、"
            "パッチ (i, j) はトークン i * (W // P) + j です",
        ),
        correct=right,
    )
    channels_first = x.reshape(B, H // P, P, W // P, P, C).transpose(0, 1, 3, 5, 2, 4)
    assert_not_mistake(
        out,
        channels_first.reshape(B, N, P * P * C) @ weight + bias,
        msg(
            en="patch_embedding flattened each patch channel first; flatten it in (row, column, "
            "channel) order, like .reshape(-1) of the (P, P, C) block",
            ja="patch_embedding が各パッチをチャンネル優先で平らにしています。(P, P, C) のブロックの "
            ".reshape(-1) と同じ (行, 列, チャンネル) の順にしましょう",
        ),
        correct=right,
    )
    assert_close(out, right, msg(en="the patch embeddings", ja="パッチ埋め込み"))


def patch_case(rng, B=2, H=6, W=8, C=3, P=2, D=5):
    images = rng.standard_normal((B, H, W, C))
    return images, rng.standard_normal((P * P * C, D)), rng.standard_normal(D), P


@pytest.mark.task("24.3")
@pytest.mark.checks("inputs")
def test_patch_embedding_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(gpt4.patch_embedding, *patch_case(rng))


@pytest.mark.task("24.3")
@pytest.mark.checks("types")
def test_patch_embedding_gives_float64_b_n_d_from_float32(rng):
    images, weight, bias, P = patch_case(rng, B=1, H=4, W=6, C=2, P=2, D=3)
    out = gpt4.patch_embedding(images.astype(np.float32), weight, bias, P)
    assert_array(out, (1, 6, 3), "patch_embedding")


@pytest.mark.task("24.3")
def test_patch_embedding_of_the_readme_example():
    images = np.arange(16.0).reshape(1, 4, 4, 1)
    out = gpt4.patch_embedding(images, np.eye(4), np.zeros(4), 2)
    check_patches(out, images, np.eye(4), np.zeros(4), 2)
    expected = [[[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]]
    assert_close(out, expected, msg(en="the patch embeddings", ja="パッチ埋め込み"))


@pytest.mark.task("24.3")
def test_patch_embedding_matches_a_pixel_by_pixel_loop(rng):
    images, weight, bias, P = patch_case(rng)
    check_patches(gpt4.patch_embedding(images, weight, bias, P), images, weight, bias, P)


@pytest.mark.task("24.3")
@pytest.mark.parametrize("P", [1, 3])
def test_patch_embedding_with_one_pixel_and_whole_image_patches(rng, P):
    images, weight, bias, _ = patch_case(rng, B=1, H=3, W=3, C=2, P=P, D=4)
    check_patches(gpt4.patch_embedding(images, weight, bias, P), images, weight, bias, P)


@pytest.mark.task("24.3")
@pytest.mark.checks("mistake")
def test_patch_embedding_patch_order_and_flattening(rng):
    images, weight, bias, P = patch_case(rng, B=1, H=4, W=6, C=2, P=2, D=24)
    check_patches(gpt4.patch_embedding(images, weight, bias, P), images, weight, bias, P)


# ================================================================ 24.4 moe_layer


def naive_moe(x, gate_weight, expert_weights, k, smallest=False):
    """Token by token: sort the router's logits, softmax the top k, mix the experts
    (`smallest`: the mistake of taking the k smallest logits instead)."""
    N, E = len(x), gate_weight.shape[1]
    out, gates = np.zeros((N, expert_weights.shape[2])), np.zeros((N, E))
    counts, probs = np.zeros(E), np.zeros((N, E))
    for n in range(N):
        logits = x[n] @ gate_weight
        sign = 1 if smallest else -1
        order = sorted(range(E), key=lambda e: (sign * logits[e], e))[:k]
        top = np.array([logits[e] for e in order])
        weights = np.exp(top - top.max()) / np.exp(top - top.max()).sum()
        for e, w in zip(order, weights):
            gates[n, e] = w
            counts[e] += 1
            out[n] += w * (x[n] @ expert_weights[e])
        probs[n] = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    aux = E * np.sum(counts / (N * k) * probs.mean(axis=0))
    return out, gates, aux, probs


def check_moe(result, x, gate_weight, expert_weights, k):
    out, gates, aux = assert_tuple(result, 3, "moe_layer", "(out, gates, aux)")
    N, E, F = len(x), gate_weight.shape[1], expert_weights.shape[2]
    assert_array(out, (N, F), "out")
    assert_array(gates, (N, E), "gates")
    assert_scalar(aux, "aux")
    right_out, right_gates, right_aux, probs = naive_moe(
        np.asarray(x, float), gate_weight, expert_weights, k
    )
    chosen_probs = np.where(right_gates > 0, probs, 0.0)
    assert_not_mistake(
        gates,
        chosen_probs,
        msg(
            en="moe_layer took the softmax over all E experts and kept the top k of it, so a "
            "token's routing weights do not sum to 1: take the softmax over the k chosen "
            "logits only",
            ja="moe_layer が E 個すべての専門家で softmax を取ってから上位 k 個を残しているので、"
            "トークンのルーティングの重みの和が 1 になりません。選んだ k 個のロジットだけで "
            "softmax を取りましょう",
        ),
        correct=right_gates,
    )
    smallest, _, _, _ = naive_moe(
        np.asarray(x, float), gate_weight, expert_weights, k, smallest=True
    )
    assert_not_mistake(
        out,
        smallest,
        msg(
            en="moe_layer sent each token to the experts with the smallest router logits; the "
            "top k are the largest (np.argsort(-logits) puts them first)",
            ja="moe_layer が各トークンをルーターのロジットが最も小さい専門家に送っています。"
            "上位 k 個は最も大きいものです(np.argsort(-logits) で先頭に来ます)",
        ),
        correct=right_out,
    )
    assert_not_mistake(
        aux,
        right_aux / E,
        msg(
            en="the load-balancing loss lacks the factor E: aux = E * sum_e f_e * P_e, which is "
            "1 when the experts are perfectly balanced",
            ja="負荷分散の損失に係数 E がありません。aux = E * sum_e f_e * P_e で、専門家が完全に"
            "均等なら 1 になります",
        ),
        correct=right_aux,
    )
    assert_not_mistake(
        aux,
        E * np.sum(right_gates.mean(axis=0) * probs.mean(axis=0)),
        msg(
            en="the load-balancing loss used the mean routing weight for f_e; f_e is the share "
            "of the N * k choices that went to expert e (a count, not a weight)",
            ja="負荷分散の損失で f_e にルーティングの重みの平均を使っています。f_e は N * k 回の"
            "選択のうち専門家 e に行った割合(重みではなく回数)です",
        ),
        correct=right_aux,
    )
    assert_close(
        gates, right_gates, msg(en="the routing weights gates", ja="ルーティングの重み gates")
    )
    assert_close(out, right_out, msg(en="the layer's output out", ja="層の出力 out"))
    assert_close(aux, right_aux, msg(en="the load-balancing loss aux", ja="負荷分散の損失 aux"))


def moe_case(rng, N=6, D=4, E=5, F=3):
    return rng.standard_normal((N, D)), rng.standard_normal((D, E)), rng.standard_normal((E, D, F))


@pytest.mark.task("24.4")
@pytest.mark.checks("inputs")
def test_moe_layer_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(gpt4.moe_layer, *moe_case(rng), 2)


@pytest.mark.task("24.4")
@pytest.mark.checks("types")
def test_moe_layer_returns_out_gates_and_a_float(rng):
    x, gate_weight, expert_weights = moe_case(rng)
    out, gates, aux = assert_tuple(
        gpt4.moe_layer(x.astype(np.float32), gate_weight, expert_weights, 2),
        3,
        "moe_layer",
        "(out, gates, aux)",
    )
    assert_array(out, (6, 3), "out")
    assert_array(gates, (6, 5), "gates")
    assert_scalar(aux, "aux")


@pytest.mark.task("24.4")
def test_moe_layer_of_the_readme_example():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    gate_weight = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    expert_weights = np.array([[[1.0], [0.0]], [[0.0], [1.0]], [[1.0], [1.0]]])  # (3, 2, 1)
    result = gpt4.moe_layer(x, gate_weight, expert_weights, 1)
    check_moe(result, x, gate_weight, expert_weights, 1)
    assert_close(
        result[1],
        [[1, 0, 0], [0, 0, 1]],
        msg(en="the routing weights gates", ja="ルーティングの重み gates"),
    )


@pytest.mark.task("24.4")
@pytest.mark.parametrize("k", [1, 2, 3])
def test_moe_layer_matches_a_token_by_token_router(rng, k):
    x, gate_weight, expert_weights = moe_case(rng, N=8)
    check_moe(gpt4.moe_layer(x, gate_weight, expert_weights, k), x, gate_weight, expert_weights, k)


@pytest.mark.task("24.4")
def test_moe_layer_routes_two_experts_by_default(rng):
    x, gate_weight, expert_weights = moe_case(rng)
    result = gpt4.moe_layer(x, gate_weight, expert_weights)
    check_moe(result, x, gate_weight, expert_weights, 2)


@pytest.mark.task("24.4")
def test_moe_layer_breaks_ties_toward_the_lower_expert_and_survives_huge_logits(rng):
    x = np.zeros((3, 4))
    x[2] = 1e4
    gate_weight = np.zeros((4, 20))
    gate_weight[:, 7] = 1.0
    expert_weights = rng.standard_normal((20, 4, 2))
    check_moe(gpt4.moe_layer(x, gate_weight, expert_weights, 3), x, gate_weight, expert_weights, 3)


@pytest.mark.task("24.4")
@pytest.mark.checks("mistake")
def test_moe_layer_routing_and_balancing_loss():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    gate_weight = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.5]])
    expert_weights = np.arange(12.0).reshape(3, 2, 2)
    check_moe(gpt4.moe_layer(x, gate_weight, expert_weights, 2), x, gate_weight, expert_weights, 2)
