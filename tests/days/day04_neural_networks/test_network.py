"""day04 suite: a dense layer, He/Xavier initialisation, a two-layer MLP's loss and gradients,
an SGD step and a training loop.

Every task has one `check_*` function that judges a result: first the type and shape, then
the README's common mistakes by name (each computed here, independently), then the values
against oracles written in this file (naive loops, closed forms, central differences, a
plain gradient-descent loop). The tests choose data; the checks judge. So whichever test
fails first, the learner reads the diagnosis. Every test of 4.5 depends on the network
actually learning: a train_mlp that returns its initialisation fails all of them.
"""

import math

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_fast_enough,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    assert_tuple,
    implementation,
    msg,
    num,
)

network = implementation("day04_neural_networks.network")

PARAM_KEYS = ("W1", "b1", "W2", "b2")
TRAIN_RTOL = 1e-6  # a few training steps: two float64 implementations drift apart ~1e-14
TRAIN_ATOL = 1e-9


# ---------------------------------------------------------------- shared helpers


def mlp_shapes(D, F, V):
    return {"W1": (D, F), "b1": (F,), "W2": (F, V), "b2": (V,)}


def check_params(params, shapes, function, name="params"):
    """What `function` returned, called `name` here, is a dict with exactly the keys of
    `shapes`, each a float64 array of its shape."""
    assert isinstance(params, dict), msg(
        en=f"{function} should return a dict of arrays, got {type(params).__name__}",
        ja=f"{function} は配列の dict を返すはずですが、{type(params).__name__} でした",
    )
    assert sorted(params) == sorted(shapes), msg(
        en=f"{function} should return the keys {sorted(shapes)}, got {sorted(params)}",
        ja=f"{function} が返す dict のキーは {sorted(shapes)} のはずですが、{sorted(params)} でした",
    )
    for key, shape in shapes.items():
        assert_array(params[key], shape, f"{name}[{key!r}]")


def flat(params):
    return np.concatenate([np.ravel(params[k]) for k in PARAM_KEYS])


# ---------------------------------------------------------------- 4.1 dense layer


def forward(x, W, b):
    return assert_tuple(network.dense_forward(x, W, b), 2, "dense_forward", "(out, cache)")


def backward(dout, cache):
    return assert_tuple(network.dense_backward(dout, cache), 3, "dense_backward", "(dx, dW, db)")


def dense_case(rng, N=4, D_in=3, D_out=5):
    """x, W, b and an upstream gradient dout for a layer of those sizes."""
    x, W = rng.standard_normal((N, D_in)), rng.standard_normal((D_in, D_out))
    return x, W, rng.standard_normal(D_out), rng.standard_normal((N, D_out))


def check_dense_forward(out, x, W, b):
    assert_array(
        out, (len(x), W.shape[1]), msg(en="dense_forward's out", ja="dense_forward の out")
    )
    assert_close(
        out,
        x @ W + b,
        msg(en="out = x @ W + b (b added to every row)", ja="out = x @ W + b(b は各行に足す)"),
    )


def check_dense_backward(grads, x, W, dout):
    """(dx, dW, db) from dense_backward(dout, cache of dense_forward(x, W, b))."""
    dx, dW, db = grads
    expected = {"dx": dout @ W.T, "dW": x.T @ dout, "db": dout.sum(axis=0)}
    assert_not_mistake(
        dW,
        expected["dW"].T,
        msg(
            en="dW is transposed: it must have W's shape (D_in, D_out), which x.T @ dout gives "
            "(dout.T @ x gives (D_out, D_in))",
            ja="dW が転置されています。dW は W と同じ形 (D_in, D_out) で、x.T @ dout で求まります"
            "(dout.T @ x だと (D_out, D_in) になります)",
        ),
        correct=expected["dW"],
    )
    for name, value in zip(expected, (dx, dW, db), strict=True):
        assert_array(
            value,
            expected[name].shape,
            msg(en=f"dense_backward's {name}", ja=f"dense_backward の {name}"),
        )
    if len(x) > 1:
        assert_not_mistake(
            db,
            dout.mean(axis=0),
            msg(
                en="db is dout averaged over the rows; b was added to every row, so its "
                "gradient is the sum over the rows: dout.sum(axis=0)",
                ja="db が dout の行方向の平均になっています。b はすべての行に足されたので、"
                "勾配は行方向の和 dout.sum(axis=0) です",
            ),
            correct=expected["db"],
        )
    formulas = {"dx": "dout @ W.T", "dW": "x.T @ dout", "db": "dout.sum(axis=0)"}
    for name, value in zip(expected, (dx, dW, db), strict=True):
        assert_close(
            value,
            expected[name],
            msg(en=f"{name} = {formulas[name]}", ja=f"{name} = {formulas[name]}"),
        )


@pytest.mark.task("4.1")
@pytest.mark.checks("inputs")
def test_dense_layer_on_a_random_batch(rng):
    """Inputs come back unchanged; then types, the named mistakes and the values."""
    x, W, b, dout = dense_case(rng)
    result = assert_inputs_unchanged(network.dense_forward, x, W, b)
    out, cache = assert_tuple(result, 2, "dense_forward", "(out, cache)")
    check_dense_forward(out, x, W, b)
    grads = assert_inputs_unchanged(network.dense_backward, dout, cache)
    check_dense_backward(assert_tuple(grads, 3, "dense_backward", "(dx, dW, db)"), x, W, dout)


@pytest.mark.task("4.1")
@pytest.mark.checks("types")
def test_dense_layer_returns_float64_arrays_of_the_documented_shapes(rng):
    x, W, b, dout = dense_case(rng, N=5, D_in=2, D_out=3)
    out, cache = forward(x, W, b)
    check_dense_forward(out, x, W, b)
    check_dense_backward(backward(dout, cache), x, W, dout)


@pytest.mark.task("4.1")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize(
    ("N", "D_in", "D_out"),
    [(5, 3, 3), (6, 2, 4)],
    ids=["db-is-a-sum-not-a-mean", "dW-has-the-shape-of-W"],
)
def test_dense_backward_avoids_the_common_mistakes(rng, N, D_in, D_out):
    x, W, b, dout = dense_case(rng, N, D_in, D_out)
    _, cache = forward(x, W, b)
    check_dense_backward(backward(dout, cache), x, W, dout)


@pytest.mark.task("4.1")
def test_dense_layer_hand_worked():
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, 0.0, -1.0])
    dout = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])
    # the README's example. row 0: [1*1 + 2*2, 1*0 + 2*1, 1*(-1) + 2*0] + b = [5.5, 2, -2]
    #                       row 1: [0*1 - 1*2, 0*0 - 1*1, 0*(-1) - 1*0] + b = [-1.5, -1, -1]
    out, cache = forward(x, W, b)
    assert_close(
        out,
        [[5.5, 2.0, -2.0], [-1.5, -1.0, -1.0]],
        msg(en="dense_forward of the README's example", ja="README の例の dense_forward"),
    )
    # dx = dout @ W.T = [[1 - 2, 2], [-1, -2 + 1]]; dW = x.T @ dout: row 0 = 1*[1, 0, 2],
    # row 1 = 2*[1, 0, 2] - 1*[-1, 1, 0]; db = the column sums of dout
    dx, dW, db = backward(dout, cache)
    expected = {"dx": [[-1.0, 2.0], [-1.0, -1.0]], "dW": [[1.0, 0.0, 2.0], [3.0, -1.0, 4.0]]}
    expected["db"] = [0.0, 1.0, 2.0]
    for name, value in zip(expected, (dx, dW, db), strict=True):
        assert_close(
            value,
            expected[name],
            msg(en=f"{name} of the README's example", ja=f"README の例の {name}"),
        )


@pytest.mark.task("4.1")
def test_dense_forward_matches_a_naive_loop(rng):
    x, W, b, _ = dense_case(rng, N=4, D_in=3, D_out=5)
    expected = np.zeros((4, 5))
    for n in range(4):
        for j in range(5):
            expected[n, j] = sum(x[n, d] * W[d, j] for d in range(3)) + b[j]
    out, _ = forward(x, W, b)
    assert_close(
        out,
        expected,
        msg(
            en="dense_forward compared with a loop: out[n, j] = sum over d of x[n, d] W[d, j], "
            "plus b[j]",
            ja="dense_forward をループと比較: out[n, j] = Σ_d x[n, d] W[d, j] + b[j]",
        ),
    )


@pytest.mark.task("4.1")
def test_dense_backward_matches_finite_differences(rng):
    x, W, b, G = dense_case(rng)  # loss = sum(out * G), so d loss / d out = G
    arrays = {"x": x, "W": W, "b": b}

    def loss():  # the forward written here, so this checks backward on its own
        return float(np.sum((arrays["x"] @ arrays["W"] + arrays["b"]) * G))

    _, cache = forward(x, W, b)
    grads = backward(G, cache)
    check_dense_backward(grads, x, W, G)
    for name, grad in zip(arrays, grads, strict=True):
        assert_grad_close(grad, loss, arrays[name], f"d{name}")


@pytest.mark.task("4.1")
def test_dense_layer_with_a_batch_of_one(rng):
    x, W, b, dout = dense_case(rng, N=1, D_in=3, D_out=2)
    out, cache = forward(x, W, b)
    check_dense_forward(out, x, W, b)
    dx, dW, db = backward(dout, cache)
    check_dense_backward((dx, dW, db), x, W, dout)
    assert_close(
        dW,
        np.outer(x[0], dout[0]),
        msg(en="dW for one row: the outer product of x and dout", ja="1 行の dW: x と dout の外積"),
    )


@pytest.mark.task("4.1")
def test_dense_layer_with_an_empty_batch_gives_zero_parameter_gradients(rng):
    x, W, b, dout = dense_case(rng, N=0, D_in=3, D_out=2)
    out, cache = forward(x, W, b)
    check_dense_forward(out, x, W, b)
    dx, dW, db = backward(dout, cache)
    check_dense_backward((dx, dW, db), x, W, dout)
    for name, value, shape in (("dW", dW, (3, 2)), ("db", db, (2,))):
        assert_close(
            value,
            np.zeros(shape),
            msg(
                en=f"{name} of an empty batch: no rows contribute, so zeros (a sum over no rows "
                "is 0, a mean is NaN)",
                ja=f"空のバッチの {name}: 寄与する行がないので 0 です"
                "(行のない和は 0、平均なら NaN になります)",
            ),
        )


@pytest.mark.task("4.1")
@pytest.mark.perf
def test_dense_layer_is_vectorised(rng):
    # many thin rows (2 features, like the spirals): a loop over them costs ~50 ms, the matrix
    # product well under the 1 ms floor. Small enough (N·D_in·D_out <= 65536 · 4) that OpenBLAS
    # keeps it on one thread, so it never waits for a busy second core; the fastest of seven
    # runs counts, so a moment of preemption does not either
    N, D_in, D_out, runs = 16_000, 2, 8, 7
    W, b = rng.standard_normal((D_in, D_out)), rng.standard_normal(D_out)
    x0, dout0 = rng.standard_normal((N, D_in)), rng.standard_normal((N, D_out))
    advice = msg(
        en="One matrix product handles every row at once: look for a Python loop over the rows "
        "in dense_forward and dense_backward",
        ja="行列積ひとつで全行をまとめて計算できます。dense_forward と dense_backward に"
        "行を回す Python のループがないか探しましょう",
    )
    assert_fast_enough(
        network.dense_forward,
        lambda x, W, b: x @ W + b,
        lambda k: (x0 + 1e-3 * k, W, b),  # each run its own batch
        msg(en=f"dense_forward on {N} rows", ja=f"{N} 行に対する dense_forward"),
        advice,
        runs=runs,
    )
    _, cache = forward(x0, W, b)
    assert_fast_enough(
        network.dense_backward,
        lambda dout, cache: (dout @ W.T, x0.T @ dout, dout.sum(axis=0)),  # the same work
        lambda k: (dout0 + 1e-3 * k, cache),
        msg(en=f"dense_backward on {N} rows", ja=f"{N} 行に対する dense_backward"),
        advice,
        runs=runs,
    )
    out, cache = forward(x0, W, b)
    check_dense_forward(out, x0, W, b)
    check_dense_backward(backward(dout0, cache), x0, W, dout0)


# ---------------------------------------------------------------- 4.2 initialisation

# A sample variance of n normal draws has relative standard deviation sqrt(2 / n): 0.45% at
# n = 100_000. The 3% bound is 6.7 standard deviations away, so a correct implementation,
# whatever order it draws in, fails with probability below 1e-10. Every check below uses
# at least 100_000 draws.
VAR_RTOL = 0.03
MIN_DRAWS = 100_000
VARIANCE = {
    "he": lambda fan_in, fan_out: 2 / fan_in,
    "xavier": lambda fan_in, fan_out: 2 / (fan_in + fan_out),
}
FORMULA = {"he": "2 / fan_in", "xavier": "2 / (fan_in + fan_out)"}


def check_weights(W, fan_in, fan_out, scheme):
    """W = init_weights(fan_in, fan_out, scheme, ...): its type, then its distribution."""
    assert fan_in * fan_out >= MIN_DRAWS, msg(
        en="test bug: too few draws for a variance check",
        ja="テストの不具合: 分散を確かめるには乱数が少なすぎます",
    )
    assert_array(W, (fan_in, fan_out), msg(en="init_weights' W", ja="init_weights の W"))
    var, want = float(np.mean(W**2)), VARIANCE[scheme](fan_in, fan_out)  # the mean is 0
    if abs(want - 1) > 0.1:  # variance and variance ** 2 differ
        assert_not_mistake(
            var,
            want**2,
            msg(
                en=f"the {scheme} weights' variance is {num(var)}, the square of {num(want)}: "
                "the draws were multiplied by the variance; multiply standard normal draws by "
                "the standard deviation, np.sqrt(variance)",
                ja=f"{scheme} の重みの分散が {num(var)} で、{num(want)} の 2 乗になっています。"
                "分散そのものを掛けています。標準正規分布の乱数に掛けるのは標準偏差 "
                "np.sqrt(分散) です",
            ),
            correct=want,
            rtol=VAR_RTOL,
            atol=0.0,
        )
    if scheme == "he" and abs(fan_in / fan_out - 1) > 0.1:
        assert_not_mistake(
            var,
            2 / fan_out,
            msg(
                en=f"the He weights' variance is {num(var)} = 2 / fan_out; He uses fan_in "
                f"only: 2 / fan_in = {num(want)}",
                ja=f"He の重みの分散が {num(var)} = 2 / fan_out になっています。He は fan_in "
                f"だけで決まり、2 / fan_in = {num(want)} です",
            ),
            correct=want,
            rtol=VAR_RTOL,
            atol=0.0,
        )
    # a normal distribution puts 68.27% of its draws within 1 std and 95.45% within 2; a
    # uniform one 57.7% and 100%. Over 100_000 draws these fractions have standard deviation
    # below 0.15%, so 1% never flakes.
    std = W.std()
    within1, within2 = float(np.mean(np.abs(W) < std)), float(np.mean(np.abs(W) < 2 * std))
    assert abs(within1 - 0.6827) < 0.01 and abs(within2 - 0.9545) < 0.01, msg(
        en=f"{within1:.1%} of the weights lie within 1 standard deviation and {within2:.1%} "
        "within 2; a normal distribution gives 68.3% and 95.4%. Draw from a normal "
        "distribution (rng.standard_normal), not a uniform one (rng.uniform)",
        ja=f"重みの {within1:.1%} が標準偏差 1 つ分、{within2:.1%} が 2 つ分の範囲に入っています。"
        "正規分布なら 68.3% と 95.4% です。一様分布 (rng.uniform) ではなく正規分布 "
        "(rng.standard_normal) から引きましょう",
    )
    assert abs(var / want - 1) < VAR_RTOL, msg(
        en=f"the {scheme} weights' variance is {num(var)}, expected {FORMULA[scheme]} = "
        f"{num(want)} (fan_in {fan_in}, fan_out {fan_out})",
        ja=f"{scheme} の重みの分散が {num(var)} ですが、{FORMULA[scheme]} = {num(want)} のはず"
        f"です(fan_in {fan_in}、fan_out {fan_out})",
    )
    bound = 6 * math.sqrt(want / W.size)  # the mean of n draws has std sqrt(var / n)
    assert abs(W.mean()) < bound, msg(
        en=f"the weights' mean is {num(W.mean())}, expected 0 (within {num(bound)})",
        ja=f"重みの平均が {num(W.mean())} ですが、0 のはずです(許容 {num(bound)})",
    )


@pytest.mark.task("4.2")
@pytest.mark.checks("types")
@pytest.mark.parametrize("scheme", ["he", "xavier"])
def test_init_weights_returns_a_float64_array_fan_in_by_fan_out(scheme):
    W = network.init_weights(400, 300, scheme, 0)
    check_weights(W, 400, 300, scheme)


@pytest.mark.task("4.2")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize(
    ("fan_in", "fan_out", "scheme"),
    [(500, 400, "he"), (200, 800, "he"), (300, 500, "xavier")],
    ids=["scaled-by-the-std", "he-uses-fan-in-only", "normal-not-uniform"],
)
def test_init_weights_avoids_the_common_mistakes(fan_in, fan_out, scheme):
    check_weights(network.init_weights(fan_in, fan_out, scheme, 3), fan_in, fan_out, scheme)


@pytest.mark.task("4.2")
@pytest.mark.checks("mistake")
def test_init_weights_draws_from_its_own_generator_seeded_by_seed():
    saved = np.random.get_state()
    try:
        np.random.seed(0)  # two different global states: global draws would differ
        before = np.random.get_state()
        first = network.init_weights(400, 250, "xavier", seed=7)
        after = np.random.get_state()
        np.random.seed(1)
        again = network.init_weights(400, 250, "xavier", seed=7)
    finally:
        np.random.set_state(saved)
    touched = not (np.array_equal(before[1], after[1]) and before[2] == after[2])
    assert np.array_equal(first, again) and not touched, msg(
        en="init_weights used NumPy's global random state (np.random.randn, np.random.seed, …): "
        "the same seed must give the same weights and nothing else random may change. "
        "Draw from a generator of your own, rng = np.random.default_rng(seed)",
        ja="init_weights が NumPy のグローバルな乱数 (np.random.randn、np.random.seed など) を"
        "使っています。同じ seed なら同じ重みになり、ほかの乱数には影響しないはずです。"
        "自分専用の生成器 rng = np.random.default_rng(seed) から引きましょう",
    )
    other = network.init_weights(400, 250, "xavier", seed=8)
    assert not np.array_equal(first, other), msg(
        en="seeds 7 and 8 gave the same weights: the seed must choose the draws",
        ja="seed 7 と 8 で同じ重みになりました。seed で乱数が決まるようにしましょう",
    )
    check_weights(first, 400, 250, "xavier")


@pytest.mark.task("4.2")
@pytest.mark.parametrize("scheme", ["he", "xavier"])
def test_variance_follows_the_scheme_on_generated_sizes(rng, scheme):
    fan_in = int(rng.integers(50, 2000))
    fan_out = math.ceil(MIN_DRAWS / fan_in) + int(rng.integers(0, 300))
    W = network.init_weights(fan_in, fan_out, scheme, int(rng.integers(2**31)))
    check_weights(W, fan_in, fan_out, scheme)


@pytest.mark.task("4.2")
def test_he_variance_ignores_fan_out_even_for_a_fan_in_of_one():
    check_weights(network.init_weights(1, 100_000, "he", seed=2), 1, 100_000, "he")


@pytest.mark.task("4.2")
def test_he_is_three_times_xavier_when_fan_out_is_twice_fan_in():
    he = network.init_weights(300, 600, "he", seed=3)
    xavier = network.init_weights(300, 600, "xavier", seed=4)
    check_weights(he, 300, 600, "he")
    # (2 / 300) / (2 / 900) = 3; the ratio of two sample variances of 180_000 draws each has
    # relative standard deviation ~0.5%, so 4% never flakes
    ratio = float(np.mean(he**2) / np.mean(xavier**2))
    assert abs(ratio / 3 - 1) < 0.04, msg(
        en=f"for fan_in 300 and fan_out 600 the He variance should be 3 times the Xavier "
        f"variance (2/300 against 2/900), got {ratio:.3f} times",
        ja=f"fan_in 300、fan_out 600 では He の分散は Xavier の 3 倍 (2/300 と 2/900) のはず"
        f"ですが、{ratio:.3f} 倍でした",
    )


@pytest.mark.task("4.2")
def test_init_weights_defaults_are_he_and_seed_zero():
    W = network.init_weights(400, 300)
    check_weights(W, 400, 300, "he")
    assert np.array_equal(W, network.init_weights(400, 300, "he", 0)), msg(
        en="init_weights(400, 300) should equal init_weights(400, 300, 'he', 0): the defaults "
        "are scheme='he' and seed=0",
        ja="init_weights(400, 300) は init_weights(400, 300, 'he', 0) と同じはずです。"
        "既定値は scheme='he'、seed=0 です",
    )


# ---------------------------------------------------------------- 4.3 the MLP's loss and gradients

KINK = 0.01  # pre-activations stay this far from 0: a finite difference across ReLU's kink
# (step 1e-5) is no derivative


def mlp_case(rng, N=6, D=3, F=5, V=4, dead=()):
    """Random parameters and data, redrawn until every hidden pre-activation is clear of
    ReLU's kink and some are on and some off (so the ReLU matters); the units `dead` are
    off for every row. Holds for any seed."""
    while True:
        params = {
            "W1": rng.standard_normal((D, F)),
            "b1": rng.standard_normal(F),
            "W2": rng.standard_normal((F, V)),
            "b2": rng.standard_normal(V),
        }
        params["b1"][list(dead)] = -1e3
        X = rng.standard_normal((N, D))
        pre = X @ params["W1"] + params["b1"]  # (N, F)
        if np.abs(pre).min() > KINK and (pre > 0).any() and (pre < 0).any():
            return params, X, rng.integers(0, V, N)


def naive_mlp_loss(params, X, y):
    """The MLP's mean cross-entropy, written plainly with loops: an independent oracle."""
    W1, b1, W2, b2 = (params[k] for k in PARAM_KEYS)
    D, F, V = W1.shape[0], W1.shape[1], W2.shape[1]
    total = 0.0
    for x, target in zip(X, y, strict=True):
        h = [max(0.0, sum(x[d] * W1[d, j] for d in range(D)) + b1[j]) for j in range(F)]
        logits = [sum(h[j] * W2[j, v] for j in range(F)) + b2[v] for v in range(V)]
        top = max(logits)  # log-sum-exp: exp only of numbers <= 0
        log_norm = top + math.log(sum(math.exp(z - top) for z in logits))
        total += log_norm - logits[target]  # -log softmax(logits)[target]
    return total / len(X)


def mlp_forward(params, X, relu=True):
    pre = X @ params["W1"] + params["b1"]  # (N, F)
    h = np.maximum(pre, 0.0) if relu else pre
    return pre, h, h @ params["W2"] + params["b2"]  # (N, F), (N, F), (N, V)


def mlp_loss(params, X, y, relu=True):
    _, _, logits = mlp_forward(params, X, relu)
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def mlp_grads(params, X, y, relu_backward=True):
    """The MLP's gradients, backpropagation written plainly; `relu_backward=False` is the
    mistake of letting the gradient through switched-off units."""
    pre, h, logits = mlp_forward(params, X)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)  # (N, V) softmax
    dlogits = (p - np.eye(logits.shape[1])[y]) / len(X)  # the mean's 1/N, once
    dh = dlogits @ params["W2"].T  # (N, F)
    dpre = dh * (pre > 0) if relu_backward else dh
    return {
        "W1": X.T @ dpre,
        "b1": dpre.sum(axis=0),
        "W2": h.T @ dlogits,
        "b2": dlogits.sum(axis=0),
    }


def check_mlp(result, params, X, y):
    """(loss, grads) = mlp_loss_and_grads(params, X, y): types, the named mistakes, values."""
    loss, grads = assert_tuple(result, 2, "mlp_loss_and_grads", "(loss, grads)")
    assert_scalar(loss, msg(en="mlp_loss_and_grads' loss", ja="mlp_loss_and_grads の loss"))
    check_params(grads, {k: v.shape for k, v in params.items()}, "mlp_loss_and_grads", "grads")
    X = np.asarray(X, dtype=float)
    expected_loss, expected = naive_mlp_loss(params, X, y), mlp_grads(params, X, y)
    assert np.isfinite(loss), msg(
        en=f"the loss is {num(loss)}: a softmax of your own overflows (exp of a large logit is "
        "inf); use day 2's cross_entropy_with_logits, which subtracts the row maximum",
        ja=f"損失が {num(loss)} です。自作の softmax があふれています(大きなロジットの exp は "
        "inf)。行の最大値を引いてくれる 2日目の cross_entropy_with_logits を使いましょう",
    )
    assert_not_mistake(
        loss,
        mlp_loss(params, X, y, relu=False),
        msg(
            en="the loss is that of a network without ReLU: the second layer must get "
            "h = relu(h_pre), not h_pre (without the activation function two dense layers "
            "are one linear layer)",
            ja="損失が ReLU のないネットワークのものになっています。2 層目に渡すのは h_pre ではなく "
            "h = relu(h_pre) です(活性化関数がなければ 2 つの全結合層は 1 つの線形層と同じです)",
        ),
        correct=expected_loss,
    )
    for key in PARAM_KEYS:
        assert_not_mistake(
            grads[key],
            expected[key] / len(X),
            msg(
                en=f"grads[{key!r}] is divided by N twice: the dlogits of "
                "cross_entropy_with_logits already holds the mean's 1/N",
                ja=f"grads[{key!r}] が N で 2 回割られています。cross_entropy_with_logits の "
                "dlogits にはすでに平均の 1/N が入っています",
            ),
            correct=expected[key],
        )
    leaky = mlp_grads(params, X, y, relu_backward=False)
    for key in ("W1", "b1"):
        assert_not_mistake(
            grads[key],
            leaky[key],
            msg(
                en=f"grads[{key!r}] lets the gradient through hidden units that ReLU switched "
                "off: multiply by relu_grad(h_pre) (dh_pre = dh * relu_grad(h_pre))",
                ja=f"grads[{key!r}] で、ReLU が 0 にした隠れユニットにも勾配が流れています。"
                "relu_grad(h_pre) を掛けましょう (dh_pre = dh * relu_grad(h_pre))",
            ),
            correct=expected[key],
        )
    assert_close(
        loss,
        expected_loss,
        msg(
            en="the loss: the mean over rows of -log softmax(relu(x @ W1 + b1) @ W2 + b2)[y]",
            ja="損失: 各行の -log softmax(relu(x @ W1 + b1) @ W2 + b2)[y] の平均",
        ),
    )
    for key in ("W2", "b2", "W1", "b1"):  # backward order: the first wrong one is reported
        assert_close(grads[key], expected[key], f"grads[{key!r}]")


@pytest.mark.task("4.3")
@pytest.mark.checks("inputs")
def test_mlp_loss_and_grads_on_a_random_batch(rng):
    """Inputs come back unchanged; then types, the named mistakes and the values."""
    params, X, y = mlp_case(rng)
    result = assert_inputs_unchanged(network.mlp_loss_and_grads, params, X, y)
    check_mlp(result, params, X, y)


@pytest.mark.task("4.3")
@pytest.mark.checks("types")
def test_mlp_loss_is_a_float_and_grads_are_float64_arrays(rng):
    params, X, y = mlp_case(rng, N=7, D=4, F=6, V=3)
    X32 = X.astype(np.float32)  # float32 inputs still give float64 gradients
    check_mlp(network.mlp_loss_and_grads(params, X32, y), params, X32, y)


@pytest.mark.task("4.3")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("N", [5, 9], ids=["relu-forward-and-backward", "mean-taken-once"])
def test_mlp_avoids_the_common_mistakes(rng, N):
    params, X, y = mlp_case(rng, N=N)
    check_mlp(network.mlp_loss_and_grads(params, X, y), params, X, y)


@pytest.mark.task("4.3")
@pytest.mark.checks("mistake")
def test_mlp_stays_finite_at_huge_logits(rng):
    params, X, y = mlp_case(rng)
    params["W2"] *= 1e3  # logits in the thousands: exp(1000) is inf in float64
    with np.errstate(all="ignore"):  # count the inf/NaN that reach the results, not warnings
        result = network.mlp_loss_and_grads(params, X, y)
    check_mlp(result, params, X, y)


@pytest.mark.task("4.3")
def test_mlp_gradients_match_finite_differences(rng):
    params, X, y = mlp_case(rng)
    result = network.mlp_loss_and_grads(params, X, y)
    check_mlp(result, params, X, y)
    _, grads = result
    for key in ("W2", "b2", "W1", "b1"):
        assert_grad_close(grads[key], lambda: naive_mlp_loss(params, X, y), params[key], key)


@pytest.mark.task("4.3")
def test_mlp_readme_worked_example():
    params = {
        "W1": np.array([[1.0, -1.0], [0.0, -1.0]]),
        "b1": np.zeros(2),
        "W2": np.array([[2.0, 0.0], [5.0, 5.0]]),
        "b2": np.zeros(2),
    }
    X, y = np.array([[1.0, 2.0]]), np.array([0])
    # h_pre = [1, -3], h = [1, 0], logits = [2, 0]; softmax = [1 - s, s] with s = 1/(e² + 1)
    # loss = -log(1 - s) = log(1 + e⁻²); dlogits = [-s, s]; dh = dlogits @ W2.T = [-2s, 0]
    s = 1 / (math.e**2 + 1)
    expected = {
        "W1": [[-2 * s, 0.0], [-4 * s, 0.0]],  # x.T @ dh_pre, the second unit is off
        "b1": [-2 * s, 0.0],
        "W2": [[-s, s], [0.0, 0.0]],  # h.T @ dlogits
        "b2": [-s, s],
    }
    loss, grads = assert_tuple(
        network.mlp_loss_and_grads(params, X, y), 2, "mlp_loss_and_grads", "(loss, grads)"
    )
    assert_close(
        loss,
        math.log(1 + math.e**-2),
        msg(en="the loss of the README's example", ja="README の例の損失"),
    )
    for key in PARAM_KEYS:
        assert_close(
            grads[key],
            expected[key],
            msg(en=f"grads[{key!r}] of the README's example", ja=f"README の例の grads[{key!r}]"),
        )


@pytest.mark.task("4.3")
def test_mlp_with_zero_weights_hand_worked():
    params = {"W1": np.zeros((3, 2)), "b1": np.zeros(2), "W2": np.zeros((2, 2)), "b2": np.zeros(2)}
    X = np.arange(12.0).reshape(4, 3)
    y = np.array([0, 0, 0, 1])
    # all logits are 0: softmax = [1/2, 1/2] in every row, loss = -log(1/2) = log 2
    # db2 = sum over rows of (softmax - onehot) / 4 = ([2, 2] - [3, 1]) / 4 = [-1/4, 1/4]
    # h = relu(0) = 0, so dW2 = h.T @ dlogits = 0; W2 = 0, so nothing reaches W1 or b1
    loss, grads = assert_tuple(
        network.mlp_loss_and_grads(params, X, y), 2, "mlp_loss_and_grads", "(loss, grads)"
    )
    assert_close(
        loss,
        math.log(2),
        msg(
            en="the loss with all-zero parameters, 2 classes (log 2)",
            ja="パラメータがすべて 0、2 クラスのときの損失 (log 2)",
        ),
    )
    expected = {"W1": np.zeros((3, 2)), "b1": np.zeros(2), "W2": np.zeros((2, 2))}
    expected["b2"] = [-0.25, 0.25]
    for key in PARAM_KEYS:
        assert_close(
            grads[key],
            expected[key],
            msg(
                en=f"grads[{key!r}] with zero weights (only b2 gets a gradient: "
                "(softmax - onehot) / N summed over the rows)",
                ja=f"重みが 0 のときの grads[{key!r}](勾配が届くのは b2 だけで、"
                "(softmax - onehot) / N の行方向の和です)",
            ),
        )


@pytest.mark.task("4.3")
def test_mlp_dead_hidden_units_get_no_gradient(rng):
    params, X, y = mlp_case(rng, dead=(0, 2))  # units 0 and 2 are off for every row
    result = network.mlp_loss_and_grads(params, X, y)
    check_mlp(result, params, X, y)
    _, grads = result
    for key, dead in (("W1", (slice(None), [0, 2])), ("b1", [0, 2]), ("W2", [0, 2])):
        assert_close(
            grads[key][dead],
            np.zeros_like(params[key][dead]),
            msg(
                en=f"grads[{key!r}] of hidden units 0 and 2, which ReLU switched off for every "
                "row, must be 0",
                ja=f"ReLU がすべての行で 0 にした隠れユニット 0 と 2 の grads[{key!r}] は 0 のはずです",
            ),
        )
    assert_grad_close(grads["W1"], lambda: naive_mlp_loss(params, X, y), params["W1"], "W1")


@pytest.mark.task("4.3")
def test_mlp_with_a_batch_of_one(rng):
    params, X, y = mlp_case(rng, N=1)
    result = network.mlp_loss_and_grads(params, X, y)
    check_mlp(result, params, X, y)
    _, grads = result
    for key in PARAM_KEYS:
        assert_grad_close(grads[key], lambda: naive_mlp_loss(params, X, y), params[key], key)


# ---------------------------------------------------------------- 4.4 SGD step

IN_PLACE = msg(
    en=". Note that params.copy() copies the dict only: the arrays inside are still the "
    "caller's, so new[k] -= ... changes them too.",
    ja="。なお params.copy() は dict だけのコピー(浅いコピー)で、中の配列は呼び出し側のものの"
    "ままです。new[k] -= ... もそれを書き換えます。",
)


def sgd_step(params, grads, lr):
    """network.sgd_step, with a KeyError (the four MLP keys hard-coded) named."""
    try:
        return network.sgd_step(params, grads, lr)
    except NotImplementedError:
        raise
    except Exception as error:  # the grader's worker reports a KeyError as its own error
        if "KeyError" not in f"{type(error).__name__}: {error}":
            raise
        raise AssertionError(
            msg(
                en=f"sgd_step raised a KeyError for params with the keys {sorted(params)}: "
                "update every key the dict has (for k in params), not only W1, b1, W2, b2",
                ja=f"キーが {sorted(params)} の params で sgd_step が KeyError になりました。"
                "W1, b1, W2, b2 に決め打ちせず、dict のすべてのキーを更新しましょう (for k in params)",
            )
        ) from None


def check_sgd_step(new, params, grads, lr):
    assert isinstance(new, dict), msg(
        en=f"sgd_step should return a dict of arrays, got {type(new).__name__}",
        ja=f"sgd_step は配列の dict を返すはずですが、{type(new).__name__} でした",
    )
    assert new is not params, msg(
        en="sgd_step returned the dict it was given; return a new dict of new arrays",
        ja="sgd_step が受け取った dict をそのまま返しました。新しい配列の新しい dict を返しましょう",
    )
    assert sorted(new) == sorted(params), msg(
        en=f"sgd_step returned the keys {sorted(new)} for params with the keys {sorted(params)}: "
        "update every key the dict has (for k in params), not only W1, b1, W2, b2",
        ja=f"キーが {sorted(params)} の params に対して sgd_step がキー {sorted(new)} を返しました。"
        "W1, b1, W2, b2 に決め打ちせず、dict のすべてのキーを更新しましょう (for k in params)",
    )
    check_params(new, {k: np.shape(v) for k, v in params.items()}, "sgd_step", "new")
    for key in params:
        expected = params[key] - lr * grads[key]
        assert_not_mistake(
            new[key],
            params[key] + lr * grads[key],
            msg(
                en=f"sgd_step added lr * grads[{key!r}]: the gradient points uphill, so step "
                "against it, params - lr * grads",
                ja=f"sgd_step が lr * grads[{key!r}] を足しています。勾配は上り坂の向きなので、"
                "逆向きに params - lr * grads と進みます",
            ),
            correct=expected,
        )
        assert_close(new[key], expected, f"new[{key!r}]")
        assert not np.shares_memory(new[key], params[key]), msg(
            en=f"sgd_step returned the caller's own params[{key!r}] array; return a new one, "
            "so a later change cannot reach back into the old parameters",
            ja=f"sgd_step が呼び出し側の params[{key!r}] の配列そのものを返しました。"
            "あとの変更が古いパラメータに及ばないよう、新しい配列を返しましょう",
        )


def random_dict(rng, shapes):
    return {key: rng.standard_normal(shape) for key, shape in shapes.items()}


@pytest.mark.task("4.4")
@pytest.mark.checks("inputs")
def test_sgd_step_on_random_mlp_parameters(rng):
    """Inputs come back unchanged; then types, the named mistakes and the values."""
    params, grads = random_dict(rng, mlp_shapes(3, 5, 4)), random_dict(rng, mlp_shapes(3, 5, 4))
    try:
        new = assert_inputs_unchanged(network.sgd_step, params, grads, 0.5)
    except AssertionError as error:
        raise AssertionError(f"{error}{IN_PLACE}") from None
    check_sgd_step(new, params, grads, 0.5)


@pytest.mark.task("4.4")
@pytest.mark.checks("types")
def test_sgd_step_returns_a_new_dict_of_float64_arrays(rng):
    params, grads = random_dict(rng, mlp_shapes(2, 3, 2)), random_dict(rng, mlp_shapes(2, 3, 2))
    check_sgd_step(sgd_step(params, grads, 0.1), params, grads, 0.1)


@pytest.mark.task("4.4")
@pytest.mark.checks("mistake")
def test_sgd_step_steps_against_the_gradient(rng):
    params, grads = random_dict(rng, {"W": (3, 2)}), random_dict(rng, {"W": (3, 2)})
    check_sgd_step(sgd_step(params, grads, 0.3), params, grads, 0.3)


@pytest.mark.task("4.4")
@pytest.mark.checks("mistake")
def test_sgd_step_updates_every_key_not_only_the_mlps(rng):
    shapes = {"embedding": (3, 2, 2), "W3": (1,), "gamma": (4,)}
    params, grads = random_dict(rng, shapes), random_dict(rng, shapes)
    check_sgd_step(sgd_step(params, grads, 0.25), params, grads, 0.25)


@pytest.mark.task("4.4")
def test_sgd_step_hand_worked():
    params = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5])}
    grads = {"W": np.array([[1.0, 0.0], [0.0, -2.0]]), "b": np.array([1.0])}
    # the README's example: W - 0.1 dW = [[1 - 0.1, 2], [3, 4 + 0.2]]; b - 0.1 db = 0.4
    new = sgd_step(params, grads, 0.1)
    check_params(new, {"W": (2, 2), "b": (1,)}, "sgd_step", "new")
    expected = {"W": [[0.9, 2.0], [3.0, 4.2]], "b": [0.4]}
    for key in expected:
        assert_close(
            new[key],
            expected[key],
            msg(en=f"new[{key!r}] of the README's example", ja=f"README の例の new[{key!r}]"),
        )


@pytest.mark.task("4.4")
def test_sgd_step_on_generated_parameters(rng):
    shapes = {f"p{i}": tuple(rng.integers(1, 5, size=int(rng.integers(1, 4)))) for i in range(4)}
    params, grads = random_dict(rng, shapes), random_dict(rng, shapes)
    lr = float(rng.uniform(0.01, 2.0))
    new = sgd_step(params, grads, lr)
    check_sgd_step(new, params, grads, lr)
    for key in params:  # one entry at a time, as a loop would compute it
        for index in np.ndindex(params[key].shape):
            assert_close(
                new[key][index],
                params[key][index] - lr * grads[key][index],
                f"new[{key!r}][{','.join(map(str, index))}]",
            )


@pytest.mark.task("4.4")
def test_sgd_step_at_learning_rate_zero_returns_equal_copies(rng):
    params, grads = random_dict(rng, mlp_shapes(3, 4, 2)), random_dict(rng, mlp_shapes(3, 4, 2))
    new = sgd_step(params, grads, 0.0)
    check_sgd_step(new, params, grads, 0.0)  # equal values, new arrays
    check_sgd_step(sgd_step(params, grads, 0.7), params, grads, 0.7)  # and lr does step


# ---------------------------------------------------------------- 4.5 training


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


def linear_model_accuracy(X, y):
    """Training accuracy of a linear classifier: least squares on one-hot targets, plus a bias."""
    A = np.column_stack([X, np.ones(len(X))])  # (N, D + 1)
    Y = np.eye(int(y.max()) + 1)[y]  # (N, V) one-hot
    W = np.linalg.lstsq(A, Y, rcond=None)[0]
    return float(np.mean(np.argmax(A @ W, axis=1) == y))


def accuracy(params, X, y):
    _, _, logits = mlp_forward(params, X)
    return float(np.mean(np.argmax(logits, axis=1) == y))


def gradient_descent(X, y, start, lr, steps):
    """`steps` steps of full-batch gradient descent from `start`, written plainly: the
    oracle for train_mlp, and the vectorised work its speed is compared with."""
    X = np.asarray(X, dtype=float)
    params = {k: np.array(v, dtype=float) for k, v in start.items()}
    for _ in range(steps):
        grads = mlp_grads(params, X, y)
        params = {k: params[k] - lr * grads[k] for k in PARAM_KEYS}
    return params


def check_initialisation(start, D, F, V, seed, y):
    """start = train_mlp(X, y, hidden=F, steps=0, seed=seed): the documented initialisation."""
    W2 = start.get("W2") if isinstance(start, dict) else None
    if np.ndim(W2) == 2 and np.shape(W2)[1] != V:
        present = len(np.unique(y))
        assert np.shape(start["W2"])[1] != present, msg(
            en=f"W2 has {present} columns, one per class that occurs in y; but V = y.max() + 1 "
            f"= {V}: a class absent from y still has its own output (len(np.unique(y)) "
            "misses it)",
            ja=f"W2 の列が y に現れるクラスの数 {present} になっていますが、V = y.max() + 1 = {V} "
            "です。y に現れないクラスにも出力があります(len(np.unique(y)) では数え漏れます)",
        )
    check_params(start, mlp_shapes(D, F, V), "train_mlp")
    for key, scheme, fans, key_seed in (
        ("W1", "he", (D, F), seed),
        ("W2", "xavier", (F, V), seed + 1),
    ):
        expected = network.init_weights(*fans, scheme, key_seed)
        assert_not_mistake(
            start[key],
            np.zeros(fans),
            msg(
                en=f"{key} starts at zeros: then every hidden unit gets the same gradient and "
                f"they never become different. Use init_weights({fans[0]}, {fans[1]}, "
                f"{scheme!r}, ...)",
                ja=f"{key} が 0 から始まっています。それではすべての隠れユニットが同じ勾配を受け取り、"
                f"いつまでも同じままです。init_weights({fans[0]}, {fans[1]}, {scheme!r}, ...) を"
                "使いましょう",
            ),
            correct=expected,
        )
        assert_not_mistake(
            start[key],
            network.init_weights(*fans, scheme, 0),
            msg(
                en=f"with seed={seed}, {key} is the seed-0 initialisation: pass the seed on to "
                "init_weights, so the seed chooses the parameters",
                ja=f"seed={seed} なのに {key} が seed 0 の初期値になっています。seed を "
                "init_weights に渡しましょう",
            ),
            correct=expected,
        )
        seed_name = "seed" if key == "W1" else "seed + 1"
        assert_close(
            start[key],
            expected,
            msg(
                en=f"{key} at steps=0 should be init_weights({fans[0]}, {fans[1]}, {scheme!r}, "
                f"{seed_name})",
                ja=f"steps=0 の {key} は init_weights({fans[0]}, {fans[1]}, {scheme!r}, "
                f"{seed_name}) のはずです",
            ),
        )
    for key in ("b1", "b2"):
        assert_close(
            start[key],
            np.zeros(np.shape(start[key])),
            msg(en=f"{key} starts at zeros", ja=f"{key} の初期値は 0"),
        )


def check_training(params, X, y, *, hidden, lr, steps, seed):
    """params = train_mlp(X, y, hidden, lr, steps, seed) must be `steps` steps of full-batch
    gradient descent from the documented initialisation; the first mistake is named."""
    D, V = np.shape(X)[1], int(y.max()) + 1
    start = network.train_mlp(X, y, hidden=hidden, lr=lr, steps=0, seed=seed)
    check_initialisation(start, D, hidden, V, seed, y)
    check_params(params, mlp_shapes(D, hidden, V), "train_mlp")
    expected = gradient_descent(X, y, start, lr, steps)
    assert_not_mistake(
        flat(params),
        flat(start),
        msg(
            en=f"after {steps} steps train_mlp returned its initialisation: it never learned. "
            "sgd_step returns new parameters and leaves its argument alone, so keep them: "
            "params = sgd_step(params, grads, lr)",
            ja=f"{steps} ステップ後の train_mlp が初期値のままで、まったく学習していません。"
            "sgd_step は引数を変えずに新しいパラメータを返すので、"
            "params = sgd_step(params, grads, lr) と受け取りましょう",
        ),
        correct=flat(expected),
    )
    for key in PARAM_KEYS:
        assert_close(
            params[key],
            expected[key],
            msg(
                en=f"train_mlp's {key} after {steps} steps, compared with {steps} steps of "
                "full-batch gradient descent from its initialisation: each step takes the "
                "gradient on all N rows, then params = sgd_step(params, grads, lr)",
                ja=f"{steps} ステップ後の train_mlp の {key} を、初期値からの全バッチ勾配降下法 "
                f"{steps} ステップと比較: 各ステップで全 N 行の勾配を求め、"
                "params = sgd_step(params, grads, lr) とします",
            ),
            rtol=TRAIN_RTOL,
            atol=TRAIN_ATOL,
        )


@pytest.mark.task("4.5")
@pytest.mark.checks("inputs")
def test_train_mlp_for_five_steps_on_xor():
    """Inputs come back unchanged; then types, the named mistakes and the values."""
    X, y = xor_quadrants(n=10)
    params = assert_inputs_unchanged(network.train_mlp, X, y, hidden=8, lr=0.5, steps=5, seed=3)
    check_training(params, X, y, hidden=8, lr=0.5, steps=5, seed=3)


@pytest.mark.task("4.5")
@pytest.mark.checks("types")
def test_train_mlp_returns_float64_parameters_of_the_documented_shapes():
    X, y = xor_quadrants(n=10)
    X32 = X.astype(np.float32)  # float32 inputs still give float64 parameters
    params = network.train_mlp(X32, y, hidden=6, lr=0.5, steps=5, seed=2)
    check_training(params, X32, y, hidden=6, lr=0.5, steps=5, seed=2)


@pytest.mark.task("4.5")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize(
    ("classes", "seed"),
    [((0, 1, 2), 5), ((0, 1, 3), 4)],
    ids=["random-weights-and-the-seed", "a-class-absent-from-y"],
)
def test_train_mlp_avoids_the_common_mistakes(classes, seed):
    X = np.random.default_rng(seed).standard_normal((30, 3))
    y = np.array(classes)[np.arange(30) % len(classes)]  # V = y.max() + 1
    start = network.train_mlp(X, y, hidden=7, steps=0, seed=seed)  # before a training crash
    check_initialisation(start, 3, 7, max(classes) + 1, seed, y)
    params = network.train_mlp(X, y, hidden=7, lr=0.5, steps=5, seed=seed)
    check_training(params, X, y, hidden=7, lr=0.5, steps=5, seed=seed)


@pytest.mark.task("4.5")
def test_train_mlp_is_gradient_descent_on_generated_data(rng):
    N, D, V = int(rng.integers(10, 40)), int(rng.integers(1, 5)), int(rng.integers(2, 5))
    X, y = rng.standard_normal((N, D)), rng.integers(0, V, N)
    hidden, lr, seed = (
        int(rng.integers(2, 12)),
        float(rng.uniform(0.1, 1.0)),
        int(rng.integers(100)),
    )
    params = network.train_mlp(X, y, hidden=hidden, lr=lr, steps=10, seed=seed)
    check_training(params, X, y, hidden=hidden, lr=lr, steps=10, seed=seed)


@pytest.mark.task("4.5")
def test_one_step_moves_against_the_gradient_of_all_rows():
    X = np.random.default_rng(1).standard_normal((20, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    lr = 0.5
    before = network.train_mlp(X, y, hidden=8, lr=lr, steps=0, seed=3)
    after = network.train_mlp(X, y, hidden=8, lr=lr, steps=1, seed=3)
    check_params(after, mlp_shapes(2, 8, 2), "train_mlp")
    for key in PARAM_KEYS:
        step = (before[key] - after[key]) / lr  # must be the gradient on all 20 rows
        assert_grad_close(
            step,
            lambda: naive_mlp_loss(before, X, y),
            before[key],
            msg(
                en=f"(before - after) / lr for {key} after one step of train_mlp (the gradient "
                "of the loss on all the rows)",
                ja=f"train_mlp を 1 ステップ進めたときの {key} の (before - after) / lr"
                "(全行での損失関数の勾配のはず)",
            ),
        )


@pytest.mark.task("4.5")
def test_training_lowers_the_loss():
    X, y = xor_quadrants(n=10)
    losses = [
        naive_mlp_loss(network.train_mlp(X, y, hidden=8, steps=steps, seed=2), X, y)
        for steps in (0, 10, 100)
    ]
    assert losses[0] > losses[1] > losses[2], msg(
        en=f"the training loss after 0, 10 and 100 steps is {losses[0]:.3f}, {losses[1]:.3f}, "
        f"{losses[2]:.3f}; it should go down — step against the gradient and keep each step",
        ja=f"0、10、100 ステップ後の訓練損失が {losses[0]:.3f}、{losses[1]:.3f}、{losses[2]:.3f} "
        "です。下がっていくはずです。勾配と逆向きに進み、各ステップの結果を受け取りましょう",
    )


@pytest.mark.task("4.5")
def test_training_is_deterministic_by_seed():
    X, y = xor_quadrants(n=10)
    first = network.train_mlp(X, y, hidden=8, lr=0.5, steps=20, seed=4)
    again = network.train_mlp(X, y, hidden=8, lr=0.5, steps=20, seed=4)
    other = network.train_mlp(X, y, hidden=8, lr=0.5, steps=20, seed=5)
    check_training(first, X, y, hidden=8, lr=0.5, steps=20, seed=4)
    for key in PARAM_KEYS:
        assert np.array_equal(first[key], again[key]), msg(
            en=f"two runs with the same seed gave different {key}: all randomness must come "
            "from the seed (init_weights(..., seed))",
            ja=f"同じ seed の 2 回の実行で {key} が違いました。乱数はすべて seed から"
            "(init_weights(..., seed))にしましょう",
        )
    assert not np.array_equal(first["W1"], other["W1"]), msg(
        en="seeds 4 and 5 gave the same W1: pass the seed on to init_weights",
        ja="seed 4 と 5 で同じ W1 になりました。seed を init_weights に渡しましょう",
    )


@pytest.mark.task("4.5")
@pytest.mark.points(2)
def test_mlp_learns_two_spirals_with_the_defaults_where_a_linear_model_cannot():
    X, y = two_spirals()
    linear = linear_model_accuracy(X, y)
    assert linear < 0.75, msg(
        en=f"test bug: a linear model already reaches {linear:.0%} on the spirals",
        ja=f"テストの不具合: 線形モデルですでに渦巻きの正解率が {linear:.0%} です",
    )
    params = network.train_mlp(X, y)  # hidden 32, lr 1.0, steps 2000, seed 0
    check_params(params, mlp_shapes(2, 32, 2), "train_mlp")
    reached = accuracy(params, X, y)
    assert reached >= 0.95, msg(
        en=f"after train_mlp with its defaults the MLP classifies {reached:.1%} of the two "
        f"spirals correctly (a linear model: {linear:.0%}); it should reach 95%. Check "
        "mlp_loss_and_grads, that each step uses all rows and keeps sgd_step's result, and the "
        "defaults hidden=32, lr=1.0, steps=2000",
        ja=f"既定値で train_mlp を実行した MLP の 2 本の渦巻きに対する正解率が {reached:.1%} です"
        f"(線形モデルは {linear:.0%})。95% に届くはずです。mlp_loss_and_grads、各ステップが全行を"
        "使い sgd_step の結果を受け取っているか、既定値 hidden=32、lr=1.0、steps=2000 を確認しましょう",
    )
    explicit = network.train_mlp(X, y, hidden=32, lr=1.0, steps=2000, seed=0)
    assert all(np.array_equal(params[k], explicit[k]) for k in PARAM_KEYS), msg(
        en="train_mlp(X, y) should equal train_mlp(X, y, hidden=32, lr=1.0, steps=2000, seed=0): "
        "those are the defaults",
        ja="train_mlp(X, y) は train_mlp(X, y, hidden=32, lr=1.0, steps=2000, seed=0) と"
        "同じはずです。それが既定値です",
    )


@pytest.mark.task("4.5")
def test_mlp_learns_xor_where_a_linear_model_cannot():
    X, y = xor_quadrants()
    linear = linear_model_accuracy(X, y)
    assert linear < 0.6, msg(
        en=f"test bug: a linear model already reaches {linear:.0%} on XOR",
        ja=f"テストの不具合: 線形モデルですでに XOR の正解率が {linear:.0%} です",
    )
    params = network.train_mlp(X, y, hidden=16, lr=1.0, steps=500, seed=1)
    check_params(params, mlp_shapes(2, 16, 2), "train_mlp")
    reached = accuracy(params, X, y)
    assert reached >= 0.95, msg(
        en=f"after 500 steps the MLP classifies {reached:.1%} of the XOR points correctly (a "
        f"linear model: {linear:.0%}); it should reach 95%. Check mlp_loss_and_grads (the "
        "ReLU's gradient) and that train_mlp keeps each step against the gradient",
        ja=f"500 ステップ後の MLP の XOR に対する正解率が {reached:.1%} です(線形モデルは "
        f"{linear:.0%})。95% に届くはずです。mlp_loss_and_grads(ReLU の勾配)と、train_mlp が"
        "勾配と逆向きの各ステップを受け取っているかを確認しましょう",
    )


@pytest.mark.task("4.5")
@pytest.mark.perf
def test_train_mlp_is_vectorised():
    steps = 50
    X, y = two_spirals(n=1000)  # many rows, few steps: a loop over rows shows, noise does not
    start = network.train_mlp(X, y, steps=0)  # the initialisation the reference starts from

    def inputs(k):  # each run its own points, so remembering an answer gains nothing
        return {"X": X + 1e-3 * (k + 1), "y": y, "steps": steps}

    assert_fast_enough(
        network.train_mlp,
        lambda X, y, steps: gradient_descent(X, y, start, 1.0, steps),
        inputs,
        msg(
            en=f"train_mlp ({steps} steps on {len(X)} points)",
            ja=f"train_mlp({len(X)} 点で {steps} ステップ)",
        ),
        msg(
            en="Each step should be a few matrix products over all rows at once: look for a "
            "Python loop over rows or hidden units in train_mlp, mlp_loss_and_grads or dense_*",
            ja="各ステップは全行まとめての行列積いくつかで済むはずです。train_mlp、"
            "mlp_loss_and_grads、dense_* に行や隠れユニットを回す Python のループがないか探しましょう",
        ),
        factor=8,  # here a vectorised tree takes 1–2.5×; a loop over rows in one layer ~14×
    )
    params = network.train_mlp(X, y, steps=steps)
    check_training(params, X, y, hidden=32, lr=1.0, steps=steps, seed=0)
