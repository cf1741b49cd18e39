"""day15 suite: the Transformer's parts around attention — sinusoidal positional encoding,
token embeddings scaled by sqrt(C), layer norm, the position-wise feed-forward network,
inverted dropout and the paper's warm-up learning-rate schedule.

Every task has `check_*` functions that judge a result: first the type and shape, then the
README's common mistakes by name (each computed here, independently), then the values against
oracles written in this file (naive loops over positions, closed forms, the rotation that
moves a positional encoding, central differences, statistics with wide bounds). The tests
choose data; the checks judge. So whichever test fails first, the learner reads the diagnosis.
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

transformer = implementation("day15_transformer.transformer")


# ---------------------------------------------------------------- shared helpers


def check_grads(grads, shapes, what):
    """`grads` is a dict with exactly the keys of `shapes`, each a float64 array of its shape."""
    assert isinstance(grads, dict), msg(
        en=f"{what} should return a dict of arrays as its grads, got {type(grads).__name__}",
        ja=f"{what} の grads は配列の dict のはずですが、{type(grads).__name__} でした",
    )
    assert sorted(grads) == sorted(shapes), msg(
        en=f"{what}'s grads should have the keys of params, {sorted(shapes)}, got {sorted(grads)}",
        ja=f"{what} の grads のキーは params と同じ {sorted(shapes)} のはずですが、"
        f"{sorted(grads)} でした",
    )
    for key, shape in shapes.items():
        assert_array(grads[key], shape, f"grads[{key!r}]")


# ---------------------------------------------------------------- 15.1 positional encoding


def naive_pe(T, C):
    """The paper's formula, one entry at a time."""
    pe = np.zeros((T, C))
    for pos in range(T):
        for j in range(C):
            two_i = j - j % 2  # columns 2i and 2i + 1 share 2i
            angle = pos / 10000 ** (two_i / C)
            pe[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe


def frequencies(C):
    """w_i = 1 / 10000**(2i / C), one per pair of columns (an odd C: a last, lone sin)."""
    return 1.0 / 10000.0 ** (np.arange(0, C, 2) / C)


def pe_from(angles, C):
    """Interleave sin (even columns) and cos (odd columns) of `angles`: (T, ceil(C/2))."""
    pe = np.zeros((len(angles), C))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : C // 2])
    return pe


def check_pe(pe, T, C):
    assert_array(pe, (T, C), "PE")
    pos = np.arange(T)[:, None]
    expected = naive_pe(T, C)
    if C >= 4:
        assert_not_mistake(
            pe,
            pe_from(pos / 10000.0 ** (np.arange(0, C, 2) / 2 / C), C),
            msg(
                en="the frequencies use i (0, 1, 2, ...) in 10000**(i / C); the paper's exponent "
                "is 2i / C with 2i the even column index (0, 2, 4, ...): np.arange(0, C, 2) / C",
                ja="周波数の指数に i (0, 1, 2, ...) を使って 10000**(i / C) にしています。"
                "論文の指数は 2i / C で、2i は偶数の列番号 (0, 2, 4, ...) です: "
                "np.arange(0, C, 2) / C",
            ),
            correct=expected,
        )
    swapped = np.zeros((T, C))
    angles = pos * frequencies(C)  # (T, ceil(C/2))
    swapped[:, 0::2], swapped[:, 1::2] = np.cos(angles), np.sin(angles[:, : C // 2])
    assert_not_mistake(
        pe,
        swapped,
        msg(
            en="sin and cos are swapped: the even columns 2i hold sin, the odd columns 2i + 1 "
            "cos (so position 0 reads [0, 1, 0, 1, ...])",
            ja="sin と cos が入れ替わっています。偶数列 2i が sin、奇数列 2i + 1 が cos です"
            "(位置 0 は [0, 1, 0, 1, ...] になります)",
        ),
        correct=expected,
    )
    if T >= 1:
        assert_not_mistake(
            pe,
            naive_pe(T + 1, C)[1:],
            msg(
                en="the positions start at 1; the first position is pos = 0, whose row is "
                "[0, 1, 0, 1, ...]: use np.arange(T)",
                ja="位置が 1 から始まっています。最初の位置は pos = 0 で、その行は "
                "[0, 1, 0, 1, ...] です。np.arange(T) を使いましょう",
            ),
            correct=expected,
        )
    assert_close(
        pe,
        expected,
        msg(
            en=f"PE (T={T}, C={C}) compared with the formula entry by entry: "
            "PE[pos, 2i] = sin(pos / 10000**(2i / C)), PE[pos, 2i + 1] = cos(the same angle)",
            ja=f"PE (T={T}, C={C}) を式と要素ごとに比較: "
            "PE[pos, 2i] = sin(pos / 10000**(2i / C))、PE[pos, 2i + 1] = cos(同じ角度)",
        ),
    )


@pytest.mark.task("15.1")
@pytest.mark.checks("types")
def test_positional_encoding_is_a_float64_array_of_T_by_C():
    check_pe(transformer.positional_encoding(6, 8), 6, 8)


@pytest.mark.task("15.1")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize(("T", "C"), [(7, 8), (5, 6)], ids=["C=8", "C=6"])
def test_positional_encoding_avoids_the_common_mistakes(T, C):
    check_pe(transformer.positional_encoding(T, C), T, C)


@pytest.mark.task("15.1")
def test_positional_encoding_hand_worked():
    # the README's example: C = 4, so the column pairs have 10000**(0/4) = 1 and
    # 10000**(2/4) = 100; row pos is [sin pos, cos pos, sin(pos/100), cos(pos/100)]
    pe = transformer.positional_encoding(3, 4)
    expected = [
        [0.0, 1.0, 0.0, 1.0],
        [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
        [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)],
    ]
    assert_close(
        pe,
        expected,
        msg(
            en="positional_encoding(3, 4), the README's example",
            ja="README の例 positional_encoding(3, 4)",
        ),
    )


@pytest.mark.task("15.1")
def test_positional_encoding_matches_the_formula_for_random_sizes(rng):
    for _ in range(3):
        T, C = int(rng.integers(1, 40)), int(rng.integers(2, 33))
        check_pe(transformer.positional_encoding(T, C), T, C)


@pytest.mark.task("15.1")
def test_positional_encoding_moves_by_a_fixed_rotation(rng):
    """PE(pos + k) = M_k PE(pos) for every pos, M_k rotating each column pair by k * w_i."""
    T, C, k = 60, 16, int(rng.integers(1, 20))
    pe = transformer.positional_encoding(T, C)
    check_pe(pe, T, C)
    M = np.zeros((C, C))
    for i, w in enumerate(frequencies(C)):
        c, s = math.cos(k * w), math.sin(k * w)
        # sin(a + b) = sin a cos b + cos a sin b; cos(a + b) = cos a cos b - sin a sin b
        M[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[c, s], [-s, c]]
    assert_close(
        pe[:-k] @ M.T,
        pe[k:],
        msg(
            en=f"PE(pos + {k}) must be PE(pos) with each column pair (sin, cos) rotated by the "
            f"angle {k} * w_i, the same map for every pos",
            ja=f"PE(pos + {k}) は、PE(pos) の各列ペア (sin, cos) を角度 {k} * w_i だけ回転した"
            "ものになるはずです。どの pos でも同じ写像です",
        ),
    )
    assert_close(
        np.sum(pe**2, axis=1),
        np.full(T, C / 2),
        msg(
            en="every row of PE has squared length C / 2 (each pair sin² + cos² = 1)",
            ja="PE の各行の長さの 2 乗は C / 2 です(各ペアで sin² + cos² = 1)",
        ),
    )


@pytest.mark.task("15.1")
def test_positional_encoding_edge_sizes():
    check_pe(transformer.positional_encoding(0, 4), 0, 4)
    pe = transformer.positional_encoding(1, 6)
    check_pe(pe, 1, 6)
    pe = transformer.positional_encoding(4, 5)  # odd C: the last column is a lone sin
    check_pe(pe, 4, 5)
    assert_close(
        pe[:, 4],
        np.sin(np.arange(4) / 10000 ** (4 / 5)),
        msg(
            en="with C = 5 the last column is sin(pos / 10000**(4 / 5))",
            ja="C = 5 のとき最後の列は sin(pos / 10000**(4 / 5)) です",
        ),
    )


# ---------------------------------------------------------------- 15.2 token embeddings


def embed(ids, W_emb):
    return assert_tuple(transformer.embed_tokens(ids, W_emb), 2, "embed_tokens", "(out, cache)")


def embedding_case(rng, B=2, T=5, V=4, C=6):
    """ids with repeats (V < B*T), a table and an upstream gradient."""
    ids = rng.integers(0, V, size=(B, T))
    ids[0, :2] = 1  # token 1 occurs at least twice
    return ids, rng.standard_normal((V, C)), rng.standard_normal((B, T, C))


def check_embedding(out, ids, W_emb):
    B, T = ids.shape
    C = W_emb.shape[1]
    assert_array(out, (B, T, C), "out")
    expected = np.zeros((B, T, C))
    for b in range(B):
        for t in range(T):
            expected[b, t] = W_emb[ids[b, t]] * math.sqrt(C)
    assert_not_mistake(
        out,
        expected / math.sqrt(C),
        msg(
            en=f"out is W_emb[ids] without the scale: the paper multiplies the embeddings by "
            f"sqrt(C) = {num(math.sqrt(C))}",
            ja=f"out が倍率なしの W_emb[ids] です。論文は埋め込みに sqrt(C) = {num(math.sqrt(C))} "
            "を掛けます",
        ),
        correct=expected,
    )
    assert_not_mistake(
        out,
        expected * math.sqrt(C),
        msg(
            en="out is W_emb[ids] * C: the scale is the square root, sqrt(C)",
            ja="out が W_emb[ids] * C になっています。倍率は平方根 sqrt(C) です",
        ),
        correct=expected,
    )
    assert_close(
        out,
        expected,
        msg(
            en="out[b, t] = W_emb[ids[b, t]] * sqrt(C)",
            ja="out[b, t] = W_emb[ids[b, t]] * sqrt(C)",
        ),
    )


def check_embedding_grad(dW_emb, ids, dout, V):
    C = dout.shape[-1]
    assert_array(dW_emb, (V, C), "dW_emb")
    expected = np.zeros((V, C))
    last_write = np.zeros((V, C))
    for b, t in np.ndindex(ids.shape):
        expected[ids[b, t]] += dout[b, t] * math.sqrt(C)
        last_write[ids[b, t]] = dout[b, t] * math.sqrt(C)  # what dW[ids] += ... keeps
    assert_not_mistake(
        dW_emb,
        last_write,
        msg(
            en="a token that occurs more than once gets only one position's gradient: "
            "dW_emb[ids] += ... writes each row once; np.add.at(dW_emb, ids, ...) adds them all",
            ja="2 回以上出てくるトークンが、1 つの位置の勾配しか受け取っていません。"
            "dW_emb[ids] += ... は各行に 1 回しか書き込みません。"
            "np.add.at(dW_emb, ids, ...) ならすべて足されます",
        ),
        correct=expected,
    )
    assert_not_mistake(
        dW_emb,
        expected / math.sqrt(C),
        msg(
            en="dW_emb is missing the sqrt(C) of the forward pass: out = W_emb[ids] * sqrt(C), "
            "so each position sends sqrt(C) * dout to its token's row",
            ja="dW_emb に順伝播の sqrt(C) が掛かっていません。out = W_emb[ids] * sqrt(C) なので、"
            "各位置はトークンの行に sqrt(C) * dout を送ります",
        ),
        correct=expected,
    )
    assert_close(
        dW_emb,
        expected,
        msg(
            en="dW_emb[v] = sqrt(C) * the sum of dout over the positions holding token v",
            ja="dW_emb[v] = sqrt(C) × (トークン v がある位置の dout の和)",
        ),
    )


@pytest.mark.task("15.2")
@pytest.mark.checks("inputs")
def test_embed_tokens_leaves_its_inputs_unchanged(rng):
    ids, W_emb, dout = embedding_case(rng)
    out, cache = assert_tuple(
        assert_inputs_unchanged(transformer.embed_tokens, ids, W_emb),
        2,
        "embed_tokens",
        "(out, cache)",
    )
    check_embedding(out, ids, W_emb)
    dW_emb = assert_inputs_unchanged(transformer.embed_tokens_backward, dout, cache)
    check_embedding_grad(dW_emb, ids, dout, len(W_emb))


@pytest.mark.task("15.2")
@pytest.mark.checks("types")
def test_embed_tokens_returns_float64_arrays_of_the_documented_shapes(rng):
    ids, W_emb, dout = embedding_case(rng, B=3, T=2, V=5, C=4)
    out, cache = embed(ids, W_emb)
    check_embedding(out, ids, W_emb)
    check_embedding_grad(transformer.embed_tokens_backward(dout, cache), ids, dout, 5)


@pytest.mark.task("15.2")
@pytest.mark.checks("mistake")
def test_embed_tokens_avoids_the_common_mistakes(rng):
    ids, W_emb, dout = embedding_case(rng, B=2, T=6, V=3, C=9)
    out, cache = embed(ids, W_emb)
    check_embedding(out, ids, W_emb)
    check_embedding_grad(transformer.embed_tokens_backward(dout, cache), ids, dout, 3)


@pytest.mark.task("15.2")
def test_embed_tokens_hand_worked():
    # the README's example: C = 4, so sqrt(C) = 2; token 0 occurs twice, token 1 never
    W_emb = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.5, 0.5, -1.0, 2.0]])
    ids = np.array([[0, 2, 0]])
    out, cache = embed(ids, W_emb)
    assert_close(
        out,
        [[[2.0, 0.0, 0.0, 0.0], [1.0, 1.0, -2.0, 4.0], [2.0, 0.0, 0.0, 0.0]]],
        msg(en="embed_tokens of the README's example", ja="README の例の embed_tokens"),
    )
    dW_emb = transformer.embed_tokens_backward(np.ones((1, 3, 4)), cache)
    assert_close(
        dW_emb,
        [[4.0, 4.0, 4.0, 4.0], [0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0]],
        msg(
            en="dW_emb of the README's example (dout all ones): token 0 twice gives 2 + 2",
            ja="README の例の dW_emb(dout はすべて 1): 2 回出てくるトークン 0 は 2 + 2",
        ),
    )


@pytest.mark.task("15.2")
def test_embed_tokens_backward_matches_finite_differences(rng):
    ids, W_emb, G = embedding_case(rng, B=2, T=4, V=3, C=4)  # loss = sum(out * G)
    _, cache = embed(ids, W_emb)
    dW_emb = transformer.embed_tokens_backward(G, cache)
    check_embedding_grad(dW_emb, ids, G, 3)

    def loss():  # the forward written here, so this checks the backward on its own
        return float(np.sum(W_emb[ids] * math.sqrt(W_emb.shape[1]) * G))

    assert_grad_close(dW_emb, loss, W_emb, "dW_emb")


@pytest.mark.task("15.2")
def test_embed_tokens_with_one_token_and_unused_rows(rng):
    W_emb = rng.standard_normal((6, 3))
    ids = np.array([[4]])
    out, cache = embed(ids, W_emb)
    check_embedding(out, ids, W_emb)
    dout = rng.standard_normal((1, 1, 3))
    dW_emb = transformer.embed_tokens_backward(dout, cache)
    check_embedding_grad(dW_emb, ids, dout, 6)


# ---------------------------------------------------------------- 15.3 layer norm

EPS = 1e-5  # the documented default


def ln_forward(x, params, **kw):
    return assert_tuple(transformer.layer_norm(x, params, **kw), 2, "layer_norm", "(out, cache)")


def ln_backward(dout, cache):
    return assert_tuple(
        transformer.layer_norm_backward(dout, cache), 2, "layer_norm_backward", "(dx, grads)"
    )


def ln_case(rng, shape=(2, 3, 5)):
    C = shape[-1]
    x = rng.standard_normal(shape) * 2.0 + rng.standard_normal(shape[:-1] + (1,))  # off-centre
    params = {"gamma": 1.0 + 0.5 * rng.standard_normal(C), "beta": rng.standard_normal(C)}
    return x, params, rng.standard_normal(shape)


def naive_layer_norm(x, gamma, beta, eps):
    """Row by row, with the sums written out."""
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape[:-1]):
        row = x[index]
        mean = sum(row) / len(row)
        var = sum((v - mean) ** 2 for v in row) / len(row)
        out[index] = gamma * (row - mean) / math.sqrt(var + eps) + beta
    return out


def naive_layer_norm_dx(x, gamma, dout, eps):
    """dx row by row through the Jacobian of xhat: d xhat_i / d x_j
    = rstd * (delta_ij - 1/C - xhat_i xhat_j / C)."""
    dx = np.zeros_like(x)
    C = x.shape[-1]
    for index in np.ndindex(x.shape[:-1]):
        row = x[index]
        rstd = 1 / math.sqrt(row.var() + eps)
        xhat = (row - row.mean()) * rstd
        J = rstd * (np.eye(C) - 1 / C - np.outer(xhat, xhat) / C)  # J[i, j] = dxhat_i / dx_j
        dx[index] = (dout[index] * gamma) @ J
    return dx


def check_layer_norm(out, x, params, eps=EPS):
    assert_array(out, x.shape, "out")
    gamma, beta = params["gamma"], params["beta"]
    expected = naive_layer_norm(x, gamma, beta, eps)
    C = x.shape[-1]
    if C > 1:
        mean, std = x.mean(-1, keepdims=True), x.std(-1, ddof=1, keepdims=True)
        assert_not_mistake(
            out,
            gamma * (x - mean) / np.sqrt(std**2 + eps) + beta,
            msg(
                en="out uses the unbiased variance (divided by C - 1); layer norm divides by C: "
                "x.var(axis=-1), whose default is ddof=0",
                ja="out が不偏分散(C - 1 で割る)を使っています。層正規化は C で割ります: "
                "x.var(axis=-1)(既定は ddof=0)",
            ),
            correct=expected,
            rtol=1e-6,
        )
        assert_not_mistake(
            out,
            gamma * (x - mean) / (x.std(-1, keepdims=True) + eps) + beta,
            msg(
                en="eps is added to the standard deviation; the formula adds it to the variance, "
                "inside the square root: (x - mean) / np.sqrt(var + eps)",
                ja="eps を標準偏差に足しています。式では分散に、平方根の中で足します: "
                "(x - mean) / np.sqrt(var + eps)",
            ),
            correct=expected,
            rtol=1e-9,
            atol=1e-12,
        )
    if x.ndim == 3 and x.shape[0] > 1:
        bm, bv = x.mean(0, keepdims=True), x.var(0, keepdims=True)
        assert_not_mistake(
            out,
            gamma * (x - bm) / np.sqrt(bv + eps) + beta,
            msg(
                en="out is normalised over the batch axis (that is batch norm); layer norm "
                "normalises each position over its own C features: axis=-1",
                ja="out がバッチ方向で正規化されています(それはバッチ正規化です)。層正規化は"
                "各位置をその C 個の特徴量で正規化します: axis=-1",
            ),
            correct=expected,
        )
    assert_close(
        out,
        expected,
        msg(
            en=f"layer norm compared with a row-by-row computation: gamma * (x - mean) / "
            f"sqrt(var + eps) + beta, eps = {num(eps)}",
            ja=f"層正規化を行ごとの計算と比較: gamma * (x - mean) / sqrt(var + eps) + beta、"
            f"eps = {num(eps)}",
        ),
    )


def check_layer_norm_grads(result, x, params, dout, eps=EPS):
    dx, grads = result
    C = x.shape[-1]
    assert_array(dx, x.shape, "dx")
    axes = tuple(range(x.ndim - 1))
    xhat = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    expected = {"gamma": (dout * xhat).sum(axis=axes), "beta": dout.sum(axis=axes)}
    if x.ndim == 3:
        for key, value in {"gamma": dout * xhat, "beta": dout}.items():
            assert_not_mistake(
                grads.get(key) if isinstance(grads, dict) else None,
                value.sum(axis=0),
                msg(
                    en=f"grads['{key}'] is summed over the batch axis only, giving shape "
                    f"{value.shape[1:]}; {key} is used at every position, so sum over every "
                    "axis but the last: shape (C,)",
                    ja=f"grads['{key}'] をバッチの軸だけで和をとり、形が {value.shape[1:]} に"
                    f"なっています。{key} はすべての位置で使われるので、最後以外のすべての軸で"
                    "和をとります: 形 (C,)",
                ),
            )
    check_grads(grads, {"gamma": (C,), "beta": (C,)}, "layer_norm_backward")
    dx_expected = naive_layer_norm_dx(x, params["gamma"], dout, eps)
    if C > 1:
        rstd = 1 / np.sqrt(x.var(-1, keepdims=True) + eps)
        assert_not_mistake(
            dx,
            dout * params["gamma"] * rstd,
            msg(
                en="dx treats the mean and the variance as constants (dx = dout * gamma / std); "
                "both depend on every x of the row: subtract the row mean of dxhat and "
                "xhat times the row mean of dxhat * xhat",
                ja="dx が平均と分散を定数として扱っています (dx = dout * gamma / std)。"
                "どちらも行のすべての x に依存します。dxhat の行平均と、xhat × (dxhat * xhat の"
                "行平均) を引きましょう",
            ),
            correct=dx_expected,
        )
    assert_close(
        dx,
        dx_expected,
        msg(
            en="dx compared with the Jacobian of layer norm, row by row",
            ja="dx を層正規化のヤコビ行列による行ごとの計算と比較",
        ),
    )
    for key in ("gamma", "beta"):
        formula = "sum of dout * xhat" if key == "gamma" else "sum of dout"
        assert_close(
            grads[key],
            expected[key],
            msg(
                en=f"grads['{key}'] = the {formula} over every position",
                ja=f"grads['{key}'] = すべての位置にわたる {formula.replace('sum of ', '')} の和",
            ),
        )


@pytest.mark.task("15.3")
@pytest.mark.checks("inputs")
def test_layer_norm_leaves_its_inputs_unchanged(rng):
    x, params, dout = ln_case(rng)
    out, cache = assert_tuple(
        assert_inputs_unchanged(transformer.layer_norm, x, params),
        2,
        "layer_norm",
        "(out, cache)",
    )
    check_layer_norm(out, x, params)
    result = assert_inputs_unchanged(transformer.layer_norm_backward, dout, cache)
    check_layer_norm_grads(
        assert_tuple(result, 2, "layer_norm_backward", "(dx, grads)"), x, params, dout
    )


@pytest.mark.task("15.3")
@pytest.mark.checks("types")
def test_layer_norm_returns_float64_arrays_and_a_grads_dict(rng):
    x, params, dout = ln_case(rng, (3, 2, 4))
    out, cache = ln_forward(x, params)
    check_layer_norm(out, x, params)
    check_layer_norm_grads(ln_backward(dout, cache), x, params, dout)


@pytest.mark.task("15.3")
@pytest.mark.checks("mistake")
def test_layer_norm_avoids_the_common_mistakes(rng):
    x, params, dout = ln_case(rng, (4, 3, 6))
    x[0, 0] = [0.0, 1e-3, -1e-3, 2e-3, 0.0, -2e-3]  # a row whose variance is close to eps
    out, cache = ln_forward(x, params)
    check_layer_norm(out, x, params)
    check_layer_norm_grads(ln_backward(dout, cache), x, params, dout)


@pytest.mark.task("15.3")
def test_layer_norm_rows_have_mean_0_and_variance_1(rng):
    x, _, _ = ln_case(rng, (2, 7, 8))
    C = x.shape[-1]
    identity = {"gamma": np.ones(C), "beta": np.zeros(C)}
    out, _ = ln_forward(x, identity, eps=0.0)
    assert_array(out, x.shape, "out")
    assert_close(
        out.mean(axis=-1),
        np.zeros(x.shape[:-1]),
        msg(
            en="with gamma = 1 and beta = 0, every row of out must have mean 0",
            ja="gamma = 1、beta = 0 のとき、out の各行の平均は 0 のはずです",
        ),
    )
    assert_close(
        out.var(axis=-1),
        np.ones(x.shape[:-1]),
        msg(
            en="with gamma = 1, beta = 0 and eps = 0, every row of out must have variance 1",
            ja="gamma = 1、beta = 0、eps = 0 のとき、out の各行の分散は 1 のはずです",
        ),
    )


@pytest.mark.task("15.3")
def test_layer_norm_hand_worked():
    # the README's example: row [1, 2, 3, 6] has mean 3 and variance (4 + 1 + 0 + 9) / 4 = 3.5
    x = np.array([[[1.0, 2.0, 3.0, 6.0]]])
    params = {"gamma": np.array([1.0, 1.0, 2.0, 1.0]), "beta": np.array([0.0, 0.0, 0.0, 1.0])}
    out, cache = ln_forward(x, params, eps=0.0)
    s = math.sqrt(3.5)
    assert_close(
        out,
        [[[-2 / s, -1 / s, 0.0, 3 / s + 1]]],
        msg(en="layer_norm of the README's example", ja="README の例の layer_norm"),
    )
    dx, grads = ln_backward(np.array([[[0.0, 0.0, 0.0, 1.0]]]), cache)
    # dout only on the last entry, gamma_3 = 1: dx_j = rstd * (delta_3j - 1/4 - xhat_3 xhat_j / 4)
    xhat = np.array([-2, -1, 0, 3]) / s
    assert_close(
        dx,
        [[(np.eye(4)[3] - 0.25 - xhat[3] * xhat / 4) / s]],
        msg(en="dx of the README's example", ja="README の例の dx"),
    )
    assert_close(
        grads["gamma"],
        [0.0, 0.0, 0.0, 3 / s],
        msg(en="grads['gamma'] of the README's example", ja="README の例の grads['gamma']"),
    )


@pytest.mark.task("15.3")
def test_layer_norm_default_eps_is_1e_5(rng):
    x, params, _ = ln_case(rng, (1, 3, 4))
    x[0, 1] = [1.0, 1.0 + 4e-3, 1.0 - 4e-3, 1.0]  # variance 8e-6, of the order of eps
    x[0, 2] = 2.5  # a constant row: xhat = 0, out = beta, not NaN
    out, _ = ln_forward(x, params)
    check_layer_norm(out, x, params, eps=1e-5)
    explicit, _ = ln_forward(x, params, eps=1e-5)
    assert_close(
        out,
        explicit,
        msg(
            en="layer_norm without eps must equal layer_norm with eps=1e-5, the default",
            ja="eps を省いた layer_norm は eps=1e-5(既定値)を渡したときと等しいはずです",
        ),
    )
    other, _ = ln_forward(x, params, eps=1e-2)
    check_layer_norm(other, x, params, eps=1e-2)


@pytest.mark.task("15.3")
def test_layer_norm_backward_matches_finite_differences(rng):
    x, params, G = ln_case(rng, (2, 2, 5))  # loss = sum(out * G)
    _, cache = ln_forward(x, params)
    dx, grads = ln_backward(G, cache)
    check_layer_norm_grads((dx, grads), x, params, G)
    arrays = {"x": x, **params}

    def loss():  # the forward written here, so this checks the backward on its own
        z = arrays["x"]
        xhat = (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + EPS)
        return float(np.sum((arrays["gamma"] * xhat + arrays["beta"]) * G))

    assert_grad_close(dx, loss, x, "dx")  # x is arrays["x"], perturbed in place
    for key, value in params.items():
        assert_grad_close(grads[key], loss, value, f"grads['{key}']")


@pytest.mark.task("15.3")
def test_layer_norm_backward_rows_of_dx_sum_to_0(rng):
    """out does not change when a constant is added to a row, so each row of dx sums to 0."""
    x, params, dout = ln_case(rng, (3, 4, 6))
    _, cache = ln_forward(x, params)
    dx, grads = ln_backward(dout, cache)
    check_layer_norm_grads((dx, grads), x, params, dout)
    assert_close(
        dx.sum(axis=-1),
        np.zeros(x.shape[:-1]),
        msg(
            en="every row of dx must sum to 0: adding a constant to a row of x does not change "
            "out, so the gradient has no component along [1, 1, ..., 1]",
            ja="dx の各行の和は 0 のはずです。x の行に定数を足しても out は変わらないので、"
            "勾配は [1, 1, ..., 1] 方向の成分を持ちません",
        ),
        atol=1e-9,
    )


@pytest.mark.task("15.3")
def test_layer_norm_on_rows_and_on_a_single_position(rng):
    x, params, dout = ln_case(rng, (4, 3))  # 2-D: any leading axes work the same way
    out, cache = ln_forward(x, params)
    check_layer_norm(out, x, params)
    check_layer_norm_grads(ln_backward(dout, cache), x, params, dout)
    x, params, dout = ln_case(rng, (1, 1, 7))  # B = T = 1
    out, cache = ln_forward(x, params)
    check_layer_norm(out, x, params)
    check_layer_norm_grads(ln_backward(dout, cache), x, params, dout)


@pytest.mark.task("15.3")
@pytest.mark.perf
def test_layer_norm_is_vectorised(rng):
    # many thin positions: a Python loop over the B*T rows costs ~100 ms, the vectorised
    # version around the 1 ms floor; the fastest of five runs, each on its own inputs, counts
    B, T, C, runs = 40, 400, 8, 5
    x0, params, dout0 = ln_case(rng, (B, T, C))
    advice = msg(
        en="Mean, variance and the normalisation work on every row at once with axis=-1 and "
        "keepdims=True: look for a Python loop over the positions in layer_norm and "
        "layer_norm_backward",
        ja="平均・分散・正規化は axis=-1、keepdims=True ですべての行をまとめて計算できます。"
        "layer_norm と layer_norm_backward に位置を回す Python のループがないか探しましょう",
    )

    def plain_forward(x, params):
        xhat = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + EPS)
        return params["gamma"] * xhat + params["beta"], xhat

    assert_fast_enough(
        transformer.layer_norm,
        plain_forward,
        lambda k: (x0 + 1e-3 * k, params),
        msg(en=f"layer_norm on {B * T} positions", ja=f"{B * T} 位置に対する layer_norm"),
        advice,
        runs=runs,
    )
    out, cache = ln_forward(x0, params)

    def plain_backward(dout, xhat):
        dxhat = dout * params["gamma"]
        dx = dxhat - dxhat.mean(-1, keepdims=True) - xhat * (dxhat * xhat).mean(-1, keepdims=True)
        return dx, (dout * xhat).sum((0, 1)), dout.sum((0, 1))

    _, xhat = plain_forward(x0, params)
    assert_fast_enough(
        lambda dout, xhat: transformer.layer_norm_backward(dout, cache),
        plain_backward,
        lambda k: (dout0 + 1e-3 * k, xhat),
        msg(
            en=f"layer_norm_backward on {B * T} positions",
            ja=f"{B * T} 位置に対する layer_norm_backward",
        ),
        advice,
        runs=runs,
    )
    check_layer_norm(out, x0, params)


# ---------------------------------------------------------------- 15.4 feed-forward

FF_SHAPES = ("W1", "b1", "W2", "b2")


def ff_forward(x, params):
    return assert_tuple(transformer.feed_forward(x, params), 2, "feed_forward", "(out, cache)")


def ff_backward(dout, cache):
    return assert_tuple(
        transformer.feed_forward_backward(dout, cache), 2, "feed_forward_backward", "(dx, grads)"
    )


def ff_case(rng, shape=(2, 3, 4), F=6):
    C = shape[-1]
    params = {
        "W1": rng.standard_normal((C, F)),
        "b1": 0.5 * rng.standard_normal(F),
        "W2": rng.standard_normal((F, C)),
        "b2": rng.standard_normal(C),
    }
    return rng.standard_normal(shape), params, rng.standard_normal(shape)


def ff_shapes(params):
    return {k: params[k].shape for k in FF_SHAPES}


def naive_ff(x, params):
    """Each position on its own: relu(x[b, t] @ W1 + b1) @ W2 + b2."""
    out = np.zeros(x.shape[:-1] + (params["W2"].shape[1],))
    for index in np.ndindex(x.shape[:-1]):
        h = np.maximum(x[index] @ params["W1"] + params["b1"], 0)
        out[index] = h @ params["W2"] + params["b2"]
    return out


def naive_ff_grads(x, params, dout):
    """Day 4's dense backward at each position, the parameter gradients added up."""
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dx = np.zeros_like(x)
    for index in np.ndindex(x.shape[:-1]):
        pre = x[index] @ params["W1"] + params["b1"]
        h = np.maximum(pre, 0)
        grads["W2"] += np.outer(h, dout[index])
        grads["b2"] += dout[index]
        dpre = (params["W2"] @ dout[index]) * (pre > 0)
        grads["W1"] += np.outer(x[index], dpre)
        grads["b1"] += dpre
        dx[index] = params["W1"] @ dpre
    return dx, grads


def check_ff(out, x, params):
    assert_array(out, x.shape, "out")
    assert_close(
        out,
        naive_ff(x, params),
        msg(
            en="feed_forward compared with each position on its own: "
            "relu(x[b, t] @ W1 + b1) @ W2 + b2",
            ja="feed_forward を位置ごとの計算と比較: relu(x[b, t] @ W1 + b1) @ W2 + b2",
        ),
    )


def check_ff_grads(result, x, params, dout):
    dx, grads = result
    dx_expected, expected = naive_ff_grads(x, params, dout)
    if x.ndim == 3 and isinstance(grads, dict):
        pre = x @ params["W1"] + params["b1"]
        for key, per_position in {"b1": (dout @ params["W2"].T) * (pre > 0), "b2": dout}.items():
            assert_not_mistake(
                grads.get(key),
                per_position.sum(axis=0),
                msg(
                    en=f"grads['{key}'] is summed over the batch axis only, giving shape "
                    f"{per_position.shape[1:]}; the bias is added at every position, so sum "
                    "over all B*T of them: reshape to (B*T, .) rows first, or sum axes (0, 1)",
                    ja=f"grads['{key}'] をバッチの軸だけで和をとり、形が {per_position.shape[1:]} "
                    "になっています。バイアスはすべての位置で足されるので、B*T 個すべての和を"
                    "とります。先に (B*T, .) の行に並べ直すか、軸 (0, 1) で和をとりましょう",
                ),
            )
    assert_array(dx, x.shape, "dx")
    check_grads(grads, ff_shapes(params), "feed_forward_backward")
    x2, dout2 = x.reshape(-1, x.shape[-1]), dout.reshape(-1, dout.shape[-1])
    unmasked_W1 = x2.T @ (dout2 @ params["W2"].T)  # the ReLU forgotten: every unit passes
    assert_not_mistake(
        grads["W1"],
        unmasked_W1,
        msg(
            en="grads['W1'] lets the gradient through units that were off: between the two "
            "layers multiply by relu_grad(h_pre), 1 where x @ W1 + b1 > 0 and 0 elsewhere",
            ja="grads['W1'] がオフだったユニットにも勾配を通しています。2 つの層のあいだで "
            "relu_grad(h_pre)(x @ W1 + b1 > 0 のところ 1、ほかは 0)を掛けましょう",
        ),
        correct=expected["W1"],
    )
    assert_close(
        dx,
        dx_expected,
        msg(
            en="dx compared with day 4's dense backward applied at each position",
            ja="dx を、位置ごとに 4日目の全結合層の逆伝播を当てはめた計算と比較",
        ),
    )
    for key in FF_SHAPES:
        assert_close(
            grads[key],
            expected[key],
            msg(
                en=f"grads['{key}'] compared with the sum over every position of its gradient",
                ja=f"grads['{key}'] を、すべての位置の勾配の和と比較",
            ),
        )


@pytest.mark.task("15.4")
@pytest.mark.checks("inputs")
def test_feed_forward_leaves_its_inputs_unchanged(rng):
    x, params, dout = ff_case(rng)
    out, cache = assert_tuple(
        assert_inputs_unchanged(transformer.feed_forward, x, params),
        2,
        "feed_forward",
        "(out, cache)",
    )
    check_ff(out, x, params)
    result = assert_inputs_unchanged(transformer.feed_forward_backward, dout, cache)
    check_ff_grads(assert_tuple(result, 2, "feed_forward_backward", "(dx, grads)"), x, params, dout)


@pytest.mark.task("15.4")
@pytest.mark.checks("types")
def test_feed_forward_returns_float64_arrays_and_a_grads_dict(rng):
    x, params, dout = ff_case(rng, (3, 2, 5), F=4)
    out, cache = ff_forward(x, params)
    check_ff(out, x, params)
    check_ff_grads(ff_backward(dout, cache), x, params, dout)


@pytest.mark.task("15.4")
@pytest.mark.checks("mistake")
def test_feed_forward_backward_avoids_the_common_mistakes(rng):
    x, params, dout = ff_case(rng, (4, 3, 5), F=7)
    out, cache = ff_forward(x, params)
    check_ff(out, x, params)
    check_ff_grads(ff_backward(dout, cache), x, params, dout)


@pytest.mark.task("15.4")
def test_feed_forward_hand_worked():
    # the README's example: C = 2, F = 3, one position x = [1, -1]
    params = {
        "W1": np.array([[1.0, -1.0, 2.0], [1.0, 1.0, 1.0]]),
        "b1": np.array([0.5, 0.0, -0.5]),
        "W2": np.array([[1.0, 0.0], [2.0, 1.0], [-1.0, 1.0]]),
        "b2": np.array([0.0, 1.0]),
    }
    x = np.array([[[1.0, -1.0]]])
    # h_pre = [1 - 1 + 0.5, -1 - 1 + 0, 2 - 1 - 0.5] = [0.5, -2, 0.5]; h = [0.5, 0, 0.5]
    # out = 0.5 * [1, 0] + 0.5 * [-1, 1] + b2 = [0, 0.5] + [0, 1] = [0, 1.5]
    out, cache = ff_forward(x, params)
    assert_close(
        out, [[[0.0, 1.5]]], msg(en="feed_forward of the README's example", ja="README の例")
    )
    dx, grads = ff_backward(np.array([[[1.0, 0.0]]]), cache)
    # dh = W2 @ [1, 0] = [1, 2, -1]; unit 1 was off: dh_pre = [1, 0, -1]
    # dx = W1 @ dh_pre = [1 - 2, 1 - 1] = [-1, 0]
    assert_close(dx, [[[-1.0, 0.0]]], msg(en="dx of the README's example", ja="README の例の dx"))
    assert_close(
        grads["b1"],
        [1.0, 0.0, -1.0],
        msg(en="grads['b1'] of the README's example", ja="README の例の grads['b1']"),
    )


@pytest.mark.task("15.4")
def test_feed_forward_acts_on_each_position_on_its_own(rng):
    x, params, _ = ff_case(rng, (2, 5, 4))
    out, _ = ff_forward(x, params)
    check_ff(out, x, params)
    changed = x.copy()
    changed[1, 3] += 10.0  # one position moves ...
    out2, _ = ff_forward(changed, params)
    others = np.ones(x.shape[:-1], dtype=bool)
    others[1, 3] = False
    assert_close(
        out2[others],
        out[others],
        msg(
            en="changing the input at one position changed the output at another: the "
            "feed-forward network acts on every position on its own",
            ja="1 つの位置の入力を変えたら別の位置の出力が変わりました。フィードフォワードは"
            "各位置に別々に作用します",
        ),
    )


@pytest.mark.task("15.4")
def test_feed_forward_backward_matches_finite_differences(rng):
    x, params, G = ff_case(rng, (2, 2, 3), F=5)  # loss = sum(out * G)
    _, cache = ff_forward(x, params)
    dx, grads = ff_backward(G, cache)
    check_ff_grads((dx, grads), x, params, G)
    arrays = {"x": x, **params}

    def loss():  # the forward written here, so this checks the backward on its own
        h = np.maximum(arrays["x"] @ arrays["W1"] + arrays["b1"], 0)
        return float(np.sum((h @ arrays["W2"] + arrays["b2"]) * G))

    assert_grad_close(dx, loss, x, "dx")  # x is arrays["x"], perturbed in place
    for key, value in params.items():
        assert_grad_close(grads[key], loss, value, f"grads['{key}']")


@pytest.mark.task("15.4")
def test_feed_forward_on_rows_and_on_a_single_position(rng):
    x, params, dout = ff_case(rng, (5, 3), F=4)  # 2-D: any leading axes work the same way
    out, cache = ff_forward(x, params)
    check_ff(out, x, params)
    check_ff_grads(ff_backward(dout, cache), x, params, dout)
    x, params, dout = ff_case(rng, (1, 1, 3), F=2)
    out, cache = ff_forward(x, params)
    check_ff(out, x, params)
    check_ff_grads(ff_backward(dout, cache), x, params, dout)


@pytest.mark.task("15.4")
@pytest.mark.perf
def test_feed_forward_is_vectorised(rng):
    # many thin positions: a Python loop over the B*T rows costs ~50 ms, the two matrix
    # products around the 1 ms floor (small enough that OpenBLAS stays on one thread)
    B, T, C, F, runs = 40, 400, 4, 8, 5
    x0, params, dout0 = ff_case(rng, (B, T, C), F=F)
    advice = msg(
        en="@ works on (B, T, C) directly, and reshape(-1, C) turns every position into a row "
        "for the weight gradients: look for a Python loop over the positions in feed_forward "
        "and feed_forward_backward",
        ja="@ は (B, T, C) にそのまま使え、重みの勾配は reshape(-1, C) ですべての位置を行に"
        "並べれば求まります。feed_forward と feed_forward_backward に位置を回す Python の"
        "ループがないか探しましょう",
    )

    def plain_forward(x, params):
        return np.maximum(x @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]

    assert_fast_enough(
        transformer.feed_forward,
        plain_forward,
        lambda k: (x0 + 1e-3 * k, params),
        msg(en=f"feed_forward on {B * T} positions", ja=f"{B * T} 位置に対する feed_forward"),
        advice,
        runs=runs,
    )
    out, cache = ff_forward(x0, params)
    pre = x0 @ params["W1"] + params["b1"]

    def plain_backward(dout):
        dpre = (dout @ params["W2"].T) * (pre > 0)
        rows = dpre.reshape(-1, F)
        return dpre @ params["W1"].T, x0.reshape(-1, C).T @ rows, rows.sum(0)

    assert_fast_enough(
        lambda dout: transformer.feed_forward_backward(dout, cache),
        plain_backward,
        lambda k: (dout0 + 1e-3 * k,),
        msg(
            en=f"feed_forward_backward on {B * T} positions",
            ja=f"{B * T} 位置に対する feed_forward_backward",
        ),
        advice,
        runs=runs,
    )
    check_ff(out, x0, params)


# ---------------------------------------------------------------- 15.5 dropout

# Over n entries, the fraction dropped has standard deviation sqrt(p (1 - p) / n): 0.1% at
# n = 200_000 and p = 0.3. The bound 0.01 is 10 standard deviations away, so a correct
# implementation never fails it, whatever it draws; a wrong rate (1 - p, or none) is far off.
DROP_SHAPE = (400, 500)
RATE_TOL = 0.01


def drop(x, p, seed, **kw):
    return assert_tuple(transformer.dropout(x, p, seed, **kw), 2, "dropout", "(out, cache)")


def check_dropout_values(out, x, p):
    """One draw of dropout(x, p, seed): every entry 0 or x / (1 - p)."""
    assert_array(out, x.shape, "out")
    kept = out != 0
    assert_not_mistake(
        out[kept],
        x[kept],
        msg(
            en=f"the kept entries equal x: inverted dropout divides them by 1 - p = {num(1 - p)}, "
            "so each entry's expected value stays x",
            ja=f"残った要素が x のままです。inverted dropout では 1 - p = {num(1 - p)} で割り、"
            "各要素の期待値を x に保ちます",
        ),
    )
    assert_not_mistake(
        out[kept],
        x[kept] * (1 - p),
        msg(
            en=f"the kept entries are multiplied by 1 - p = {num(1 - p)}; inverted dropout "
            "divides by it, so the expected value stays x",
            ja=f"残った要素に 1 - p = {num(1 - p)} を掛けています。inverted dropout では"
            "それで割り、期待値を x に保ちます",
        ),
    )
    assert_close(
        out[kept],
        x[kept] / (1 - p),
        msg(
            en=f"every kept entry must be x / (1 - p), with 1 - p = {num(1 - p)}",
            ja=f"残った要素はすべて x / (1 - p)(1 - p = {num(1 - p)})のはずです",
        ),
    )


def check_dropout(out, x, p):
    """One draw of dropout(x, p, seed) on many entries: zeros and x / (1 - p), at the rate p."""
    check_dropout_values(out, x, p)
    rate = float(np.mean(out == 0))
    if abs(p - 0.5) > 5 * RATE_TOL:
        assert abs(rate - (1 - p)) > RATE_TOL, msg(
            en=f"{rate:.1%} of the entries were dropped, about 1 - p: p is the probability to "
            "drop an entry, so keep one where its random number is >= p",
            ja=f"要素の {rate:.1%} が落とされていて、ほぼ 1 - p です。p は要素を落とす確率なので、"
            "乱数が p 以上の要素を残します",
        )
    assert abs(rate - p) < RATE_TOL, msg(
        en=f"{rate:.1%} of the entries were dropped; with p = {num(p)} about {p:.0%} should be "
        f"(within {RATE_TOL:.0%})",
        ja=f"要素の {rate:.1%} が落とされました。p = {num(p)} なら約 {p:.0%} のはずです"
        f"(許容 {RATE_TOL:.0%})",
    )


def check_dropout_backward(dx, out, x, dout, p):
    assert_array(dx, x.shape, "dx")
    kept = out != 0
    assert_not_mistake(
        dx,
        dout * kept,
        msg(
            en=f"dx is dout times the 0/1 mask; the forward pass scaled the kept entries by "
            f"1 / (1 - p) = {num(1 / (1 - p))}, so their gradient is scaled too",
            ja=f"dx が dout に 0/1 のマスクを掛けただけです。順伝播で残った要素は "
            f"1 / (1 - p) = {num(1 / (1 - p))} 倍されたので、勾配も同じ倍率です",
        ),
    )
    assert_close(
        dx,
        np.where(kept, dout / (1 - p), 0.0),
        msg(
            en="dx = dout / (1 - p) where the entry was kept, 0 where it was dropped",
            ja="dx = 残った要素では dout / (1 - p)、落とした要素では 0",
        ),
    )


def nonzero_x(rng, shape):
    """Inputs none of which is 0, so a 0 in out means dropped."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)


@pytest.mark.task("15.5")
@pytest.mark.checks("inputs")
def test_dropout_leaves_its_inputs_unchanged(rng):
    x = nonzero_x(rng, (30, 40))
    dout = rng.standard_normal(x.shape)
    out, cache = assert_tuple(
        assert_inputs_unchanged(transformer.dropout, x, 0.25, 3), 2, "dropout", "(out, cache)"
    )
    check_dropout_values(out, x, 0.25)
    dx = assert_inputs_unchanged(transformer.dropout_backward, dout, cache)
    check_dropout_backward(dx, out, x, dout, 0.25)


@pytest.mark.task("15.5")
@pytest.mark.checks("types")
def test_dropout_returns_float64_arrays_of_the_shape_of_x(rng):
    x = nonzero_x(rng, (2, 3, 4))
    out, cache = drop(x, 0.5, 0)
    check_dropout_values(out, x, 0.5)
    dout = rng.standard_normal(x.shape)
    check_dropout_backward(transformer.dropout_backward(dout, cache), out, x, dout, 0.5)


@pytest.mark.task("15.5")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("p", [0.3, 0.8])
def test_dropout_avoids_the_common_mistakes(rng, p):
    x = nonzero_x(rng, DROP_SHAPE)
    out, cache = drop(x, p, int(rng.integers(1000)))
    check_dropout(out, x, p)
    dout = rng.standard_normal(x.shape)
    check_dropout_backward(transformer.dropout_backward(dout, cache), out, x, dout, p)


@pytest.mark.task("15.5")
def test_dropout_keeps_the_expected_value(rng):
    """The mean over many seeds of dropout(x) is x, within 6 standard deviations."""
    x, p, draws = nonzero_x(rng, (3, 8)), 0.4, 2000
    seeds = rng.choice(10**6, size=draws, replace=False)
    outs = np.stack([drop(x, p, int(s))[0] for s in seeds])  # (draws, 3, 8)
    assert_array(outs[0], x.shape, "out")
    mean = outs.mean(axis=0)
    bound = 6 * np.abs(x) * math.sqrt(p / (1 - p) / draws)  # std of the mean of the draws
    worst = int(np.argmax(np.abs(mean - x) / bound))
    assert np.all(np.abs(mean - x) < bound), msg(
        en=f"averaged over {draws} seeds, dropout(x) must be x (inverted dropout keeps the "
        f"expected value); entry {np.unravel_index(worst, x.shape)} averages "
        f"{num(mean.flat[worst])} for x = {num(x.flat[worst])}",
        ja=f"{draws} 個のシードで平均した dropout(x) は x のはずです(inverted dropout は期待値を"
        f"保ちます)。要素 {np.unravel_index(worst, x.shape)} の平均は {num(mean.flat[worst])}、"
        f"x = {num(x.flat[worst])} です",
    )


@pytest.mark.task("15.5")
def test_dropout_with_p_0_or_not_training_returns_x(rng):
    x = nonzero_x(rng, (4, 5))
    for kwargs, what in (
        ({"p": 0.0, "seed": 1}, "p = 0"),
        ({"p": 0.5, "seed": 1, "train": False}, "train=False"),
    ):
        out, cache = drop(x, **kwargs)
        assert_array(out, x.shape, "out")
        assert_close(
            out,
            x,
            msg(
                en=f"dropout with {what} must return x unchanged",
                ja=f"{what} の dropout は x をそのまま返すはずです",
            ),
            rtol=0,
            atol=0,
        )
        assert not np.shares_memory(out, x), msg(
            en=f"dropout with {what} returned x itself; return a copy (x.copy()), so a caller "
            "writing into out never changes x",
            ja=f"{what} の dropout が x そのものを返しました。コピー (x.copy()) を返しましょう。"
            "呼び出し側が out に書き込んでも x が変わらないように",
        )
        dout = rng.standard_normal(x.shape)
        assert_close(
            transformer.dropout_backward(dout, cache),
            dout,
            msg(en=f"with {what}, dx = dout", ja=f"{what} のとき dx = dout"),
        )
    out, _ = drop(x, 0.5, 1)
    assert np.any(out == 0), msg(
        en="dropout with p = 0.5 and train left at its default dropped nothing: train "
        "defaults to True",
        ja="p = 0.5、train を省いた dropout が何も落としませんでした。train の既定値は True です",
    )


@pytest.mark.task("15.5")
def test_dropout_is_reproducible_from_its_seed_alone(rng):
    x = nonzero_x(rng, (50, 60))
    seed = int(rng.integers(1000))
    state = np.random.get_state()
    np.random.seed(1)
    first, _ = drop(x, 0.5, seed)
    np.random.seed(2)
    again, _ = drop(x, 0.5, seed)
    np.random.set_state(state)
    assert_array(first, x.shape, "out")
    assert np.array_equal(first, again), msg(
        en="the same seed must drop the same entries, whatever NumPy's global random state: "
        "draw from np.random.default_rng(seed)",
        ja="同じシードなら、NumPy のグローバルな乱数状態にかかわらず同じ要素を落とすはずです。"
        "np.random.default_rng(seed) から引きましょう",
    )
    other, _ = drop(x, 0.5, seed + 1)
    assert not np.array_equal(first == 0, other == 0), msg(
        en="two different seeds dropped exactly the same entries: the seed must choose the draws",
        ja="異なる 2 つのシードでまったく同じ要素が落とされました。シードで乱数を決めましょう",
    )
    np.random.seed(5)
    drop(x, 0.5, seed)
    assert np.random.random() == np.random.RandomState(5).random_sample(), msg(
        en="dropout changed NumPy's global random state (np.random.seed?): use a generator of "
        "your own, np.random.default_rng(seed)",
        ja="dropout が NumPy のグローバルな乱数状態を変えました (np.random.seed?)。"
        "自分の生成器 np.random.default_rng(seed) を使いましょう",
    )
    np.random.set_state(state)


@pytest.mark.task("15.5")
def test_dropout_backward_matches_finite_differences(rng):
    x, p, seed = nonzero_x(rng, (4, 5)), 0.5, int(rng.integers(1000))
    G = rng.standard_normal(x.shape)  # loss = sum(dropout(x) * G), the same seed every time
    out, cache = drop(x, p, seed)
    dx = transformer.dropout_backward(G, cache)
    check_dropout_backward(dx, out, x, G, p)

    def loss():
        return float(np.sum(transformer.dropout(x, p, seed)[0] * G))

    assert_grad_close(dx, loss, x, "dx")


# ---------------------------------------------------------------- 15.6 warm-up schedule


def lr_formula(step, C, warmup):
    return C**-0.5 * min(step**-0.5, step * warmup**-1.5)


def lr(step, C, **kw):
    return assert_scalar(transformer.warmup_lr(step, C, **kw), "warmup_lr")


def check_schedule(step, C, warmup):
    value = lr(step, C, warmup=warmup)
    expected = lr_formula(step, C, warmup)
    if step != warmup:
        assert_not_mistake(
            value,
            C**-0.5 * max(step**-0.5, step * warmup**-1.5),
            msg(
                en="the schedule takes the larger of step**-0.5 and step * warmup**-1.5; it "
                "follows the smaller one (min), so it rises, peaks at warmup and falls",
                ja="スケジュールが step**-0.5 と step * warmup**-1.5 の大きい方をとっています。"
                "小さい方 (min) をたどるので、増えて warmup でピークになり、減っていきます",
            ),
            correct=expected,
        )
    assert_not_mistake(
        value,
        C**-0.5 * min(step**-0.5, step * warmup**-0.5),
        msg(
            en="the warm-up branch uses warmup**-0.5; the paper's is step * warmup**-1.5, "
            "which meets step**-0.5 exactly at step = warmup",
            ja="ウォームアップ側に warmup**-0.5 を使っています。論文の式は step * warmup**-1.5 "
            "で、ちょうど step = warmup で step**-0.5 と交わります",
        ),
        correct=expected,
    )
    assert_not_mistake(
        value,
        min(step**-0.5, step * warmup**-1.5),
        msg(
            en=f"the factor C**-0.5 = {num(C**-0.5)} is missing: a wider model trains with a "
            "smaller learning rate",
            ja=f"係数 C**-0.5 = {num(C**-0.5)} が抜けています。幅の大きいモデルほど学習率は"
            "小さくなります",
        ),
        correct=expected,
    )
    assert_close(
        value,
        expected,
        msg(
            en=f"warmup_lr(step={step}, C={C}, warmup={warmup}) = "
            "C**-0.5 * min(step**-0.5, step * warmup**-1.5)",
            ja=f"warmup_lr(step={step}, C={C}, warmup={warmup}) = "
            "C**-0.5 * min(step**-0.5, step * warmup**-1.5)",
        ),
    )


@pytest.mark.task("15.6")
@pytest.mark.checks("types")
def test_warmup_lr_returns_a_python_float():
    for step in (1, 10, 100):
        lr(step, 16, warmup=10)
        check_schedule(step, 16, 10)


@pytest.mark.task("15.6")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("step", [3, 50])
def test_warmup_lr_avoids_the_common_mistakes(step):
    check_schedule(step, 64, 9)


@pytest.mark.task("15.6")
def test_warmup_lr_hand_worked():
    # the README's example, the paper's sizes: C = 512, warmup = 4000; the peak is
    # (512 * 4000)**-0.5 = 1 / sqrt(2_048_000), and at 4 * warmup the rate is half the peak
    peak = 1 / math.sqrt(2_048_000)
    for step, expected in ((4000, peak), (16000, peak / 2), (1, peak / 4000), (2000, peak / 2)):
        assert_close(
            lr(step, 512, warmup=4000),
            expected,
            msg(
                en=f"warmup_lr({step}, 512, warmup=4000), the README's example",
                ja=f"README の例 warmup_lr({step}, 512, warmup=4000)",
            ),
        )


@pytest.mark.task("15.6")
def test_warmup_lr_peaks_at_the_warmup_step(rng):
    C, warmup = int(rng.integers(8, 1024)), int(rng.integers(5, 60))
    steps = np.arange(1, 4 * warmup + 1)
    rates = np.array([lr(int(s), C, warmup=warmup) for s in steps])
    best = int(steps[np.argmax(rates)])
    assert best == warmup, msg(
        en=f"the schedule must peak at step = warmup = {warmup}; it peaks at step {best}",
        ja=f"スケジュールは step = warmup = {warmup} でピークになるはずですが、step {best} で"
        "ピークになっています",
    )
    assert_close(
        rates[:warmup],
        steps[:warmup] * rates[0],
        msg(
            en="during the warm-up the rate must grow linearly: lr(step) = step * lr(1)",
            ja="ウォームアップ中、学習率は直線的に増えるはずです: lr(step) = step * lr(1)",
        ),
    )
    after = steps[warmup - 1 :]
    assert_close(
        rates[warmup - 1 :] * np.sqrt(after),
        np.full(len(after), rates[warmup - 1] * math.sqrt(warmup)),
        msg(
            en="after the warm-up the rate must fall as 1 / sqrt(step)",
            ja="ウォームアップ後、学習率は 1 / sqrt(step) で減るはずです",
        ),
    )


@pytest.mark.task("15.6")
def test_warmup_lr_matches_the_formula_for_random_sizes(rng):
    for _ in range(5):
        C, warmup = int(rng.integers(4, 2048)), int(rng.integers(1, 10_000))
        check_schedule(int(rng.integers(1, 3 * warmup + 2)), C, warmup)


@pytest.mark.task("15.6")
def test_warmup_lr_default_warmup_is_4000(rng):
    C = int(rng.integers(8, 1024))
    for step in (1, 3999, 4000, 4001, 20000):
        assert_close(
            lr(step, C),
            lr_formula(step, C, 4000),
            msg(
                en=f"warmup_lr({step}, {C}) without warmup must use the paper's warmup = 4000",
                ja=f"warmup を省いた warmup_lr({step}, {C}) は論文の warmup = 4000 を使うはずです",
            ),
        )
