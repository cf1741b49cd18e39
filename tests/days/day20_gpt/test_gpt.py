"""day20 suite: GPT, a decoder-only Transformer, from its initialisation to a tiny pre-training
run on the course's corpus.

Values are checked against a plain GPT written out here (a layer norm, attention one query and
one head at a time with its causal window, the feed-forward network, the blocks, the
cross-entropy position by position), against central finite differences of that plain model
for every backward pass, against AdamW written entry by entry, against perturbations (changing
a later token or input never changes an earlier output), against statistics of the
initialisation with bounds many standard errors wide, and against a training run that must
beat the best model that ignores context: the corpus' unigram entropy.
Shapes: B batch, T length, C width, H heads, F feed-forward width, V vocabulary, L layers.
"""

from __future__ import annotations

import numpy as np
import pytest

from checker.core.corpus import corpus_text, encode, vocabulary
from checker.core.testing import (
    GRAD_ATOL,
    assert_array,
    assert_close,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    assert_tuple,
    implementation,
    msg,
    num,
    numerical_grad,
)

gpt = implementation("day20_gpt.gpt")

LN_EPS = 1e-5  # day 15's layer_norm default
TINY = {"vocab_size": 5, "max_len": 6, "d_model": 4, "n_layers": 2, "n_heads": 2, "d_ff": 6}
BLOCK_KEYS = {
    "attn": ("Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo"),
    "ln1": ("gamma", "beta"),
    "ffn": ("W1", "b1", "W2", "b2"),
    "ln2": ("gamma", "beta"),
}


# ---------------------------------------------------------------- a plain GPT, written out


def block_shapes(C: int, F: int) -> dict:
    return {
        "attn": {**{f"W{n}": (C, C) for n in "qkvo"}, **{f"b{n}": (C,) for n in "qkvo"}},
        "ln1": {"gamma": (C,), "beta": (C,)},
        "ffn": {"W1": (C, F), "b1": (F,), "W2": (F, C), "b2": (C,)},
        "ln2": {"gamma": (C,), "beta": (C,)},
    }


def param_shapes(config: dict) -> dict:
    V, T_max, C = config["vocab_size"], config["max_len"], config["d_model"]
    return {
        "wte": (V, C),
        "wpe": (T_max, C),
        "blocks": [block_shapes(C, config["d_ff"]) for _ in range(config["n_layers"])],
        "W_out": (C, V),
        "b_out": (V,),
    }


def leaves(tree, path=""):
    """(path, array) for every array of a nested params tree, in a fixed order."""
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in leaves(tree[key], f"{path}[{key!r}]")]
    if isinstance(tree, list | tuple):
        return [leaf for i, item in enumerate(tree) for leaf in leaves(item, f"{path}[{i}]")]
    return [(path, tree)]


def random_block(rng, C: int, F: int) -> dict:
    """Block params far from the initialisation (biases, gammas and betas not 0 or 1), so
    every parameter matters to the checks."""

    def matrix(*shape):
        return rng.standard_normal(shape) / np.sqrt(shape[0])

    return {
        "attn": {**{f"W{n}": matrix(C, C) for n in "qkvo"}}
        | {f"b{n}": 0.3 * rng.standard_normal(C) for n in "qkvo"},
        "ln1": {"gamma": 1 + 0.3 * rng.standard_normal(C), "beta": 0.3 * rng.standard_normal(C)},
        "ffn": {
            "W1": matrix(C, F),
            "b1": 0.3 * rng.standard_normal(F),
            "W2": matrix(F, C),
            "b2": 0.3 * rng.standard_normal(C),
        },
        "ln2": {"gamma": 1 + 0.3 * rng.standard_normal(C), "beta": 0.3 * rng.standard_normal(C)},
    }


def random_params(rng, config: dict) -> dict:
    V, T_max, C = config["vocab_size"], config["max_len"], config["d_model"]
    return {
        "wte": rng.standard_normal((V, C)),
        "wpe": rng.standard_normal((T_max, C)),
        "blocks": [random_block(rng, C, config["d_ff"]) for _ in range(config["n_layers"])],
        "W_out": rng.standard_normal((C, V)) / np.sqrt(C),
        "b_out": 0.3 * rng.standard_normal(V),
    }


def layer_norm_plain(x, p):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return p["gamma"] * (x - mean) / np.sqrt(var + LN_EPS) + p["beta"]


def attention_by_loop(x, p, H, causal=True):
    """Self-attention one sequence, head and query at a time: query t reads keys 0..t."""
    B, T, C = x.shape
    D = C // H
    q, k, v = (x @ p[f"W{n}"] + p[f"b{n}"] for n in "qkv")
    out = np.zeros((B, T, C))
    for b in range(B):
        for h in range(H):
            cols = slice(h * D, (h + 1) * D)
            for t in range(T):
                seen = t + 1 if causal else T
                scores = k[b, :seen, cols] @ q[b, t, cols] / np.sqrt(D)
                weights = np.exp(scores - scores.max())
                out[b, t, cols] = weights @ v[b, :seen, cols] / weights.sum()
    return out @ p["Wo"] + p["bo"]


def ffn_plain(x, p):
    return np.maximum(x @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]


def block_by_loop(x, p, H, causal=True, pre_ln=False, frozen=(None, None)):
    """The post-LN block (or, for the mistake, the pre-LN one). frozen = (x0, h0): a residual
    that adds a fixed array instead of the live input, as a backward pass that drops that
    residual path computes its gradient."""
    if pre_ln:
        h = x + attention_by_loop(layer_norm_plain(x, p["ln1"]), p["attn"], H, causal)
        return h + ffn_plain(layer_norm_plain(h, p["ln2"]), p["ffn"])
    x0, h0 = (x if frozen[0] is None else frozen[0]), frozen[1]
    h = layer_norm_plain(x0 + attention_by_loop(x, p["attn"], H, causal), p["ln1"])
    return layer_norm_plain((h if h0 is None else h0) + ffn_plain(h, p["ffn"]), p["ln2"])


def hidden_by_loop(ids, params, H, scale=1.0, positions=None):
    T = ids.shape[1]
    x = params["wte"][ids] * scale + params["wpe"][np.arange(T) if positions is None else positions]
    for block in params["blocks"]:
        x = block_by_loop(x, block, H)
    return x


def forward_by_loop(ids, params, H, **mistake):
    return hidden_by_loop(ids, params, H, **mistake) @ params["W_out"] + params["b_out"]


def loss_by_loop(logits, ids, shift=1, count=None, read=0):
    """-log softmax(logits[b, t])[ids[b, t + shift]] averaged over the B (T - 1) positions
    t < T - 1 (or divided by `count`), and its gradient. read=1 scores logits[b, t + 1]
    instead (a mistake: the shift applied to both arrays)."""
    B, T, V = logits.shape
    total, grad = 0.0, np.zeros((B, T, V))
    n = B * (T - 1) if count is None else count
    for b in range(B):
        for t in range(T - 1):
            z = logits[b, t + read] - logits[b, t + read].max()
            log_p = z - np.log(np.exp(z).sum())
            p = np.exp(log_p)
            target = ids[b, t + shift]
            total -= log_p[target]
            grad[b, t] = p
            grad[b, t, target] -= 1.0
    return total / max(n, 1), grad / max(n, 1)


def check_tree(actual, shapes, what):
    """actual has exactly the nested keys, list lengths and shapes of `shapes`, float64."""
    if isinstance(shapes, dict):
        assert isinstance(actual, dict), msg(
            en=f"{what} should be a dict with keys {sorted(shapes)}, got {type(actual).__name__}",
            ja=f"{what} はキー {sorted(shapes)} の辞書のはずですが、{type(actual).__name__} でした",
        )
        assert set(actual) == set(shapes), msg(
            en=f"{what} should have the keys {sorted(shapes)}, got {sorted(actual)}",
            ja=f"{what} のキーは {sorted(shapes)} のはずですが、{sorted(actual)} でした",
        )
        for key in shapes:
            check_tree(actual[key], shapes[key], f"{what}[{key!r}]")
    elif isinstance(shapes, list):
        assert isinstance(actual, list) and len(actual) == len(shapes), msg(
            en=f"{what} should be a list of {len(shapes)} blocks, got {type(actual).__name__}"
            + (f" of length {len(actual)}" if isinstance(actual, list | tuple) else ""),
            ja=f"{what} は {len(shapes)} 個のブロックのリストのはずですが、"
            f"{type(actual).__name__}"
            + (f"(長さ {len(actual)})" if isinstance(actual, list | tuple) else "")
            + " でした",
        )
        for i, (item, shape) in enumerate(zip(actual, shapes)):
            check_tree(item, shape, f"{what}[{i}]")
    else:
        assert_array(actual, shapes, what)


def ids_case(rng, B, T, V):
    return rng.integers(0, V, size=(B, T))


# ---------------------------------------------------------------- 20.1 init_gpt

BIG = {"vocab_size": 40, "max_len": 32, "d_model": 32, "n_layers": 2, "n_heads": 4, "d_ff": 48}


def weight_leaves(params):
    return [(path, a) for path, a in leaves(params) if np.ndim(a) == 2]


@pytest.mark.task("20.1")
@pytest.mark.checks("inputs")
def test_init_gpt_leaves_the_config_alone(seed):
    assert_inputs_unchanged(gpt.init_gpt, dict(TINY), seed)


@pytest.mark.task("20.1")
@pytest.mark.checks("types")
def test_init_gpt_has_the_documented_structure_shapes_and_dtype(seed):
    config = {"vocab_size": 7, "max_len": 5, "d_model": 6, "n_layers": 3, "n_heads": 2, "d_ff": 9}
    check_tree(gpt.init_gpt(config, seed), param_shapes(config), "params")


@pytest.mark.task("20.1")
@pytest.mark.checks("mistake")
def test_init_gpt_draws_weights_from_n_0_0_02(seed):
    params = gpt.init_gpt(BIG, seed)
    for path, w in weight_leaves(params):
        # n >= 1024 draws: the sample's std has standard error 0.02 / sqrt(2 n) <= 0.00045 and
        # its mean 0.02 / sqrt(n) <= 0.000625; the bounds are about seven of them.
        assert not abs(w.std() - 1.0) < 0.1, msg(
            en=f"params{path} has standard deviation {num(w.std())}, about 1: GPT draws "
            "its weights with standard deviation 0.02, 0.02 * rng.standard_normal(shape)",
            ja=f"params{path} の標準偏差が {num(w.std())} で、ほぼ 1 です。GPT の重みは標準偏差 "
            "0.02 で引きます: 0.02 * rng.standard_normal(shape)",
        )
        assert abs(w.std() - 0.02) < 0.003 and abs(w.mean()) < 0.005, msg(
            en=f"params{path} has mean {num(w.mean())} and standard deviation {num(w.std())}; "
            "every weight matrix is drawn from N(0, 0.02²): mean 0, standard deviation 0.02",
            ja=f"params{path} の平均は {num(w.mean())}、標準偏差は {num(w.std())} です。重み行列は"
            "すべて N(0, 0.02²)(平均 0、標準偏差 0.02)から引きます",
        )


@pytest.mark.task("20.1")
def test_init_gpt_biases_are_0_and_layer_norms_are_the_identity(seed):
    params = gpt.init_gpt(BIG, seed)
    for path, a in leaves(params):
        if "gamma" in path:
            assert_close(
                a,
                np.ones_like(a),
                msg(en=f"params{path} (gamma starts at 1)", ja=f"params{path}(gamma は 1 から)"),
            )
        elif np.ndim(a) == 1:
            assert_close(
                a,
                np.zeros_like(a),
                msg(
                    en=f"params{path} (biases and beta start at 0)",
                    ja=f"params{path}(バイアスと beta は 0 から)",
                ),
            )


@pytest.mark.task("20.1")
@pytest.mark.checks("mistake")
def test_init_gpt_gives_every_weight_draws_of_its_own(seed):
    params = gpt.init_gpt(BIG, seed)
    first, second = params["blocks"]
    assert not np.array_equal(first["attn"]["Wq"], second["attn"]["Wq"]), msg(
        en="the two blocks from init_gpt share their weights (the same Wq): build each block "
        "with draws of its own, [block() for _ in range(L)], not [block()] * L",
        ja="init_gpt の 2 つのブロックが重みを共有しています(同じ Wq)。ブロックは 1 つずつ別に"
        "引いて作ります: [block()] * L ではなく [block() for _ in range(L)]",
    )
    weights = weight_leaves(params)
    for i, (path_a, a) in enumerate(weights):
        for path_b, b in weights[i + 1 :]:
            same = a.shape == b.shape and np.array_equal(a, b)
            assert not same, msg(
                en=f"params{path_a} and params{path_b} are equal: every weight matrix gets "
                "draws of its own",
                ja=f"params{path_a} と params{path_b} が同じです。重み行列はそれぞれ別に引きます",
            )


@pytest.mark.task("20.1")
def test_init_gpt_is_the_same_for_a_seed_and_differs_across_seeds(seed):
    a, b, c = gpt.init_gpt(TINY, seed), gpt.init_gpt(TINY, seed), gpt.init_gpt(TINY, seed + 1)
    b, c = dict(leaves(b)), dict(leaves(c))
    for path, x in leaves(a):
        y, z = b.get(path), c.get(path)
        assert_close(
            x,
            y,
            msg(
                en=f"params{path} of two calls with the same seed",
                ja=f"同じ seed で 2 回呼んだときの params{path}",
            ),
        )
        if np.ndim(x) == 2:
            assert not np.array_equal(x, z), msg(
                en=f"params{path} is the same for seeds {seed} and {seed + 1}: draw from "
                "np.random.default_rng(seed)",
                ja=f"params{path} が seed {seed} と {seed + 1} で同じです。"
                "np.random.default_rng(seed) から引きましょう",
            )


@pytest.mark.task("20.1")
def test_init_gpt_with_no_layers_and_its_first_loss_is_about_log_v(seed):
    config = dict(TINY, n_layers=0)
    params = gpt.init_gpt(config, seed)
    check_tree(params, param_shapes(config), "params")
    # Small weights give nearly uniform predictions: the loss starts at about log V.
    config = dict(BIG, n_layers=1)
    params = gpt.init_gpt(config, seed)
    ids = np.random.default_rng(seed).integers(0, 40, size=(4, 32))
    logits = forward_by_loop(ids, params, config["n_heads"])
    loss, _ = loss_by_loop(logits, ids)
    assert abs(loss - np.log(40)) < 0.05, msg(
        en=f"a freshly initialised GPT should predict almost uniformly (loss about log V = "
        f"{num(np.log(40))}), got loss {num(loss)}: are the weights small, N(0, 0.02²)?",
        ja=f"初期化したばかりの GPT はほぼ一様に予測するはずです(損失は約 log V = "
        f"{num(np.log(40))})が、損失は {num(loss)} でした。重みは N(0, 0.02²) と小さいですか?",
    )


# ---------------------------------------------------------------- 20.2 gpt_block, backward


def block_case(rng, B=2, T=4, C=4, H=2, F=6, dtype=float):
    x = rng.standard_normal((B, T, C)).astype(dtype)
    return x, random_block(rng, C, F), H


@pytest.mark.task("20.2")
@pytest.mark.checks("inputs")
def test_gpt_block_leaves_its_inputs_alone(rng):
    x, p, H = block_case(rng)
    out, cache = assert_tuple(
        assert_inputs_unchanged(gpt.gpt_block, x, p, H), 2, "gpt_block", "(out, cache)"
    )
    dout = rng.standard_normal(out.shape)
    assert_inputs_unchanged(gpt.gpt_block_backward, dout, cache)


@pytest.mark.task("20.2")
@pytest.mark.checks("types")
def test_gpt_block_and_backward_return_float64_of_the_documented_shapes(rng):
    x, p, H = block_case(rng, B=2, T=3, C=6, H=3, F=5, dtype=np.float32)
    out, cache = assert_tuple(gpt.gpt_block(x, p, H), 2, "gpt_block", "(out, cache)")
    assert_array(out, (2, 3, 6), msg(en="the block's output", ja="ブロックの出力"))
    dx, grads = assert_tuple(
        gpt.gpt_block_backward(np.ones((2, 3, 6)), cache), 2, "gpt_block_backward", "(dx, grads)"
    )
    assert_array(dx, (2, 3, 6), "dx")
    check_tree(grads, block_shapes(6, 5), "grads")


@pytest.mark.task("20.2")
@pytest.mark.checks("mistake")
def test_gpt_block_is_post_ln_and_causal(rng):
    x, p, H = block_case(rng, B=2, T=5, C=6, H=3, F=7)
    out, _ = gpt.gpt_block(x, p, H)
    right = block_by_loop(x, p, H)
    assert_not_mistake(
        out,
        block_by_loop(x, p, H, pre_ln=True),
        msg(
            en="gpt_block normalises before each sublayer (pre-LN, GPT-2's order, day 21); GPT "
            "is post-LN: add first, then normalise, h = LN1(x + MHA(x)), out = LN2(h + FFN(h))",
            ja="gpt_block が各サブレイヤーの前で正規化しています(pre-LN、21 日目の GPT-2 の順)。"
            "GPT は post-LN です: 先に足してから正規化します。h = LN1(x + MHA(x))、"
            "out = LN2(h + FFN(h))",
        ),
        correct=right,
    )
    assert_not_mistake(
        out,
        block_by_loop(x, p, H, causal=False),
        msg(
            en="gpt_block lets position t attend to later positions: pass day 18's "
            "causal_mask(T) to multi_head_attention, so t reads positions 0..t only",
            ja="gpt_block で位置 t が後ろの位置を見ています。18 日目の causal_mask(T) を "
            "multi_head_attention に渡し、t が 0〜t の位置だけを読むようにしましょう",
        ),
        correct=right,
    )
    assert_close(out, right, msg(en="the block's output", ja="ブロックの出力"))


@pytest.mark.task("20.2")
def test_gpt_block_never_looks_ahead(rng):
    x, p, H = block_case(rng, B=2, T=6)
    out, _ = gpt.gpt_block(x, p, H)
    t0 = int(rng.integers(1, 6))
    later = x.copy()
    later[:, t0:] += 3.0 * rng.standard_normal(later[:, t0:].shape)
    out2, _ = gpt.gpt_block(later, p, H)
    assert_close(
        out2[:, :t0],
        out[:, :t0],
        msg(
            en=f"the block's outputs at positions 0..{t0 - 1} after changing only the inputs "
            f"from position {t0} on (the attention must be causal)",
            ja=f"位置 {t0} 以降の入力だけを変えたときの、位置 0〜{t0 - 1} のブロックの出力"
            "(attention は因果的でなければなりません)",
        ),
    )


@pytest.mark.task("20.2")
def test_gpt_block_of_length_1_and_a_batch_of_1(rng):
    for B, T in [(1, 1), (1, 3), (3, 1)]:
        x, p, H = block_case(rng, B=B, T=T)
        out, _ = gpt.gpt_block(x, p, H)
        assert_close(
            out,
            block_by_loop(x, p, H),
            msg(en=f"the block's output for B={B}, T={T}", ja=f"B={B}, T={T} のブロックの出力"),
        )


@pytest.mark.task("20.2")
@pytest.mark.checks("mistake")
def test_gpt_block_backward_keeps_both_residual_paths(rng):
    x, p, H = block_case(rng, B=1, T=3, C=4, H=2, F=5)
    out, cache = gpt.gpt_block(x, p, H)
    G = rng.standard_normal(out.shape)
    dx, _ = gpt.gpt_block_backward(G, cache)
    right = numerical_grad(lambda: np.sum(G * block_by_loop(x, p, H)), x)
    x0 = x.copy()
    h0 = layer_norm_plain(x0 + attention_by_loop(x0, p["attn"], H), p["ln1"])
    for frozen in [(None, h0), (x0, None)]:
        mistaken = numerical_grad(
            lambda frozen=frozen: np.sum(G * block_by_loop(x, p, H, frozen=frozen)), x
        )
        assert_not_mistake(
            dx,
            mistaken,
            msg(
                en="gpt_block_backward dropped a residual path: the gradient reaching h (and "
                "x) is the sum of the skip connection's and the sublayer's, dh = dz2 + dh_ffn "
                "and dx = dz1 + dx_attn",
                ja="gpt_block_backward で残差の経路が抜けています。h(と x)に届く勾配は"
                "スキップ接続の経路とサブレイヤーの経路の和です: dh = dz2 + dh_ffn、"
                "dx = dz1 + dx_attn",
            ),
            correct=right,
            rtol=1e-5,
            atol=1e-7,
        )


@pytest.mark.task("20.2")
def test_gpt_block_backward_matches_finite_differences(rng):
    x, p, H = block_case(rng, B=2, T=3, C=4, H=2, F=5)
    out, cache = gpt.gpt_block(x, p, H)
    G = rng.standard_normal(out.shape)
    dx, grads = gpt.gpt_block_backward(G, cache)

    def loss():
        return np.sum(G * block_by_loop(x, p, H))

    assert_grad_close(dx, loss, x, "dx")
    got = dict(leaves(grads))
    for path, a in leaves(p):
        if path == "['attn']['bk']":  # adding to every key's score is invisible to softmax
            assert_close(
                got[path],
                np.zeros_like(a),
                msg(
                    en="grads['attn']['bk'] (0: a bias on every key shifts each score row by a constant)",
                    ja="grads['attn']['bk'](0: すべてのキーへのバイアスはスコアの各行を定数だけずらすだけ)",
                ),
                atol=GRAD_ATOL,
            )
        else:
            assert_grad_close(got[path], loss, a, f"grads{path}")
    # value check beside it: LN2's beta gets the upstream gradient summed over positions
    assert_close(
        grads["ln2"]["beta"],
        G.sum(axis=(0, 1)),
        msg(
            en="grads['ln2']['beta'] (the sum of dout over B and T)",
            ja="grads['ln2']['beta'](dout の B と T についての和)",
        ),
    )


# ---------------------------------------------------------------- 20.3 gpt_forward


@pytest.mark.task("20.3")
@pytest.mark.checks("inputs")
def test_gpt_forward_leaves_its_inputs_alone(rng):
    params = random_params(rng, TINY)
    assert_inputs_unchanged(gpt.gpt_forward, ids_case(rng, 2, 4, 5), params, 2)


@pytest.mark.task("20.3")
@pytest.mark.checks("types")
def test_gpt_forward_returns_float64_b_t_v(rng):
    params = random_params(rng, TINY)
    logits, _ = assert_tuple(
        gpt.gpt_forward(ids_case(rng, 3, 2, 5), params, 2), 2, "gpt_forward", "(logits, cache)"
    )
    assert_array(logits, (3, 2, 5), "logits")


@pytest.mark.task("20.3")
@pytest.mark.checks("mistake")
def test_gpt_forward_matches_a_plain_gpt(rng):
    params = random_params(rng, TINY)
    ids = ids_case(rng, 2, 5, 5)
    logits, _ = gpt.gpt_forward(ids, params, 2)
    right = forward_by_loop(ids, params, 2)
    assert_not_mistake(
        logits,
        forward_by_loop(ids, params, 2, positions=ids),
        msg(
            en="gpt_forward looked the position embedding up by token id (wpe[ids]); position "
            "t reads row t: wpe[:T]",
            ja="gpt_forward が位置埋め込みをトークン ID で引いています(wpe[ids])。位置 t は "
            "t 行目を読みます: wpe[:T]",
        ),
        correct=right,
    )
    assert_not_mistake(
        logits,
        forward_by_loop(ids, params, 2, scale=np.sqrt(TINY["d_model"])),
        msg(
            en="gpt_forward multiplied the token embedding by sqrt(C), as day 15's embed_tokens "
            "does; GPT adds wte[ids] and wpe[:T] as they are",
            ja="gpt_forward がトークン埋め込みに sqrt(C) を掛けています(15 日目の embed_tokens "
            "のように)。GPT は wte[ids] と wpe[:T] をそのまま足します",
        ),
        correct=right,
    )
    assert_close(logits, right, msg(en="the logits", ja="ロジット"))


@pytest.mark.task("20.3")
def test_gpt_forward_never_looks_ahead(rng):
    params = random_params(rng, TINY)
    ids = ids_case(rng, 2, 6, 5)
    logits, _ = gpt.gpt_forward(ids, params, 2)
    t0 = int(rng.integers(1, 6))
    later = ids.copy()
    later[:, t0:] = (later[:, t0:] + rng.integers(1, 5, size=later[:, t0:].shape)) % 5
    logits2, _ = gpt.gpt_forward(later, params, 2)
    assert_close(
        logits2[:, :t0],
        logits[:, :t0],
        msg(
            en=f"the logits at positions 0..{t0 - 1} after changing only the tokens from "
            f"position {t0} on (position t reads tokens 0..t only)",
            ja=f"位置 {t0} 以降のトークンだけを変えたときの、位置 0〜{t0 - 1} のロジット"
            "(位置 t はトークン 0〜t だけを読みます)",
        ),
    )


@pytest.mark.task("20.3")
def test_gpt_forward_with_no_blocks_is_embeddings_then_the_output_layer(rng):
    params = random_params(rng, dict(TINY, n_layers=0))
    ids = np.array([[3, 0, 3]])
    logits, _ = gpt.gpt_forward(ids, params, 2)
    x = np.stack(
        [
            params["wte"][3] + params["wpe"][0],
            params["wte"][0] + params["wpe"][1],
            params["wte"][3] + params["wpe"][2],
        ]
    )
    expected = x @ params["W_out"] + params["b_out"]
    assert_close(
        logits,
        expected[None],
        msg(
            en="the logits of a GPT with no blocks (ids [[3, 0, 3]])",
            ja="ブロックのない GPT のロジット(ids [[3, 0, 3]])",
        ),
    )


@pytest.mark.task("20.3")
def test_gpt_forward_at_length_1_and_at_full_length(rng):
    params = random_params(rng, TINY)
    for B, T in [(1, 1), (2, TINY["max_len"])]:
        ids = ids_case(rng, B, T, 5)
        logits, _ = gpt.gpt_forward(ids, params, 2)
        assert_close(
            logits,
            forward_by_loop(ids, params, 2),
            msg(en=f"the logits for B={B}, T={T}", ja=f"B={B}, T={T} のロジット"),
        )


# ---------------------------------------------------------------- 20.4 next_token_loss


def loss_case(rng, B=3, T=5, V=6, scale=2.0):
    return scale * rng.standard_normal((B, T, V)), ids_case(rng, B, T, V)


@pytest.mark.task("20.4")
@pytest.mark.checks("inputs")
def test_next_token_loss_leaves_its_inputs_alone(rng):
    assert_inputs_unchanged(gpt.next_token_loss, *loss_case(rng))


@pytest.mark.task("20.4")
@pytest.mark.checks("types")
def test_next_token_loss_returns_a_float_and_float64_b_t_v(rng):
    logits, ids = loss_case(rng, 2, 3, 4)
    loss, dlogits = assert_tuple(
        gpt.next_token_loss(logits.astype(np.float32), ids), 2, "next_token_loss", "(loss, dlogits)"
    )
    assert_scalar(loss, msg(en="the loss", ja="損失"))
    assert_array(dlogits, (2, 3, 4), "dlogits")


@pytest.mark.task("20.4")
@pytest.mark.checks("mistake")
def test_next_token_loss_scores_the_next_token(rng):
    logits, ids = loss_case(rng)
    loss, dlogits = gpt.next_token_loss(logits, ids)
    right_loss, right_grad = loss_by_loop(logits, ids)
    assert_not_mistake(
        loss,
        loss_by_loop(logits, ids, shift=0)[0],
        msg(
            en="next_token_loss scored position t on the token it reads, ids[:, t]; its "
            "target is the next token, ids[:, t + 1] (logits[:, :-1] against ids[:, 1:])",
            ja="next_token_loss が位置 t を、その位置で読んだトークン ids[:, t] で採点しています。"
            "正解は次のトークン ids[:, t + 1] です(logits[:, :-1] と ids[:, 1:])",
        ),
        correct=right_loss,
    )
    B, T, _ = logits.shape
    assert_not_mistake(
        loss,
        loss_by_loop(logits, ids, count=B * T)[0],
        msg(
            en="next_token_loss divided by B * T; only B * (T - 1) positions have a next "
            "token to predict: divide by B * (T - 1)",
            ja="next_token_loss が B * T で割っています。次のトークンがあるのは B * (T - 1) 個の"
            "位置だけなので、B * (T - 1) で割りましょう",
        ),
        correct=right_loss,
    )
    assert_not_mistake(
        loss,
        loss_by_loop(logits, ids, read=1)[0],
        msg(
            en="next_token_loss scored logits[:, 1:] against ids[:, 1:]: shift only the "
            "targets. Position t's logits, logits[:, :-1], predict the next token, ids[:, 1:]",
            ja="next_token_loss が logits[:, 1:] を ids[:, 1:] で採点しています。ずらすのは正解"
            "だけです。位置 t のロジット logits[:, :-1] が次のトークン ids[:, 1:] を予測します",
        ),
        correct=right_loss,
    )
    assert_close(loss, right_loss, msg(en="the loss", ja="損失"))
    assert_close(dlogits, right_grad, msg(en="dlogits", ja="dlogits"))


@pytest.mark.task("20.4")
def test_next_token_loss_by_hand():
    logits = np.zeros((1, 3, 4))  # uniform: every scored position costs log 4
    logits[0, 2] = [9.0, -9.0, 5.0, 0.0]  # the last position is never scored
    loss, dlogits = gpt.next_token_loss(logits, np.array([[0, 1, 2]]))
    assert_close(loss, np.log(4), msg(en="the loss of uniform logits", ja="一様なロジットの損失"))
    expected = [[[0.125, -0.375, 0.125, 0.125], [0.125, 0.125, -0.375, 0.125], [0, 0, 0, 0]]]
    assert_close(
        dlogits,
        expected,
        msg(
            en="dlogits (softmax - one-hot, over 2 positions)",
            ja="dlogits(softmax - one-hot を 2 位置で平均)",
        ),
    )
    # One sequence of two tokens: a single scored position, so nothing is averaged.
    loss, dlogits = gpt.next_token_loss(np.log([[[1.0, 3.0], [5.0, 5.0]]]), np.array([[0, 1]]))
    assert_close(
        loss,
        -np.log(0.75),
        msg(
            en="the loss of ids [[0, 1]] with p(1) = 0.75 at position 0 (one scored position)",
            ja="ids [[0, 1]] で位置 0 の p(1) = 0.75 のときの損失(採点する位置は 1 つ)",
        ),
    )
    assert_close(
        dlogits,
        [[[0.25, -0.25], [0.0, 0.0]]],
        msg(en="dlogits of ids [[0, 1]]", ja="ids [[0, 1]] の dlogits"),
    )


@pytest.mark.task("20.4")
def test_next_token_loss_gradient_matches_finite_differences(rng):
    logits, ids = loss_case(rng, 2, 4, 5)
    _, dlogits = gpt.next_token_loss(logits, ids)
    assert_grad_close(dlogits, lambda: gpt.next_token_loss(logits, ids)[0], logits, "dlogits")
    assert_close(
        dlogits[:, -1],
        np.zeros((2, 5)),
        msg(
            en="dlogits at the last position (it has no next token)",
            ja="最後の位置の dlogits(次のトークンがない)",
        ),
    )
    assert_close(
        dlogits.sum(axis=-1),
        np.zeros((2, 4)),
        msg(
            en="each position's dlogits summed over V (softmax - one-hot sums to 0)",
            ja="各位置の dlogits の V についての和(softmax - one-hot の和は 0)",
        ),
    )


@pytest.mark.task("20.4")
def test_next_token_loss_of_length_1_predicts_nothing(rng):
    logits, ids = loss_case(rng, 2, 1, 3)
    loss, dlogits = gpt.next_token_loss(logits, ids)
    assert_close(
        loss,
        0.0,
        msg(en="the loss at T = 1 (nothing is predicted)", ja="T = 1 のときの損失(何も予測しない)"),
    )
    assert_close(
        dlogits, np.zeros((2, 1, 3)), msg(en="dlogits at T = 1", ja="T = 1 のときの dlogits")
    )


@pytest.mark.task("20.4")
@pytest.mark.checks("mistake")
def test_next_token_loss_stays_finite_at_huge_logits(rng):
    logits, ids = loss_case(rng, scale=1e4)
    with np.errstate(all="ignore"):
        loss, dlogits = gpt.next_token_loss(logits, ids)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits)), msg(
        en="next_token_loss is not finite at logits of about 1e4: exp overflows. Subtract "
        "each row's largest logit before exp (the softmax does not change)",
        ja="ロジットが 1e4 程度のとき next_token_loss が有限になりません。exp があふれています。"
        "exp の前に各行の最大のロジットを引きましょう(softmax は変わりません)",
    )
    right_loss, right_grad = loss_by_loop(logits, ids)
    assert_close(loss, right_loss, msg(en="the loss at huge logits", ja="巨大なロジットでの損失"))
    assert_close(
        dlogits, right_grad, msg(en="dlogits at huge logits", ja="巨大なロジットでの dlogits")
    )


# ---------------------------------------------------------------- 20.5 gpt_backward


@pytest.mark.task("20.5")
@pytest.mark.checks("inputs")
def test_gpt_backward_leaves_its_inputs_alone(rng):
    params = random_params(rng, TINY)
    logits, cache = gpt.gpt_forward(ids_case(rng, 2, 3, 5), params, 2)
    assert_inputs_unchanged(gpt.gpt_backward, rng.standard_normal(logits.shape), cache)


@pytest.mark.task("20.5")
@pytest.mark.checks("types")
def test_gpt_backward_returns_params_structure_float64(rng):
    params = random_params(rng, TINY)
    logits, cache = gpt.gpt_forward(ids_case(rng, 2, 3, 5), params, 2)
    grads = gpt.gpt_backward(np.ones(logits.shape), cache)
    check_tree(grads, param_shapes(TINY), "grads")


@pytest.mark.task("20.5")
def test_gpt_backward_matches_finite_differences(rng):
    params = random_params(rng, TINY)
    ids = ids_case(rng, 2, 4, 5)
    logits, cache = gpt.gpt_forward(ids, params, 2)
    G = rng.standard_normal(logits.shape)
    grads = gpt.gpt_backward(G, cache)

    def loss():
        return np.sum(G * forward_by_loop(ids, params, 2))

    got = dict(leaves(grads))
    for path, a in leaves(params):
        g = got[path]
        if path.endswith("['attn']['bk']"):  # softmax ignores a constant on every score
            assert_close(
                g,
                np.zeros_like(a),
                msg(
                    en=f"grads{path} (0: a bias on every key shifts each score row by a constant)",
                    ja=f"grads{path}(0: すべてのキーへのバイアスはスコアの各行を定数だけずらすだけ)",
                ),
                atol=GRAD_ATOL,
            )
        elif path == "['wpe']":  # rows t >= T are not read: their gradient is 0, checked below
            assert_grad_close(np.asarray(g)[:4], loss, a[:4], f"grads{path}[:T]")
        else:
            assert_grad_close(g, loss, a, f"grads{path}")
    h = hidden_by_loop(ids, params, 2)
    assert_close(
        grads["b_out"],
        G.sum(axis=(0, 1)),
        msg(
            en="grads['b_out'] (dlogits summed over B and T)",
            ja="grads['b_out'](dlogits の B と T についての和)",
        ),
    )
    assert_close(
        grads["W_out"],
        np.einsum("btc,btv->cv", h, G),
        msg(
            en="grads['W_out'] (h^T dlogits over every position)",
            ja="grads['W_out'](全位置での h^T dlogits)",
        ),
    )
    assert_close(
        grads["wpe"][4:],
        np.zeros((2, 4)),
        msg(
            en="grads['wpe'] rows t >= T (never read)", ja="grads['wpe'] の t >= T の行(読まれない)"
        ),
    )


@pytest.mark.task("20.5")
@pytest.mark.checks("mistake")
def test_gpt_backward_gives_each_block_its_own_gradient(rng):
    params = random_params(rng, TINY)
    ids = ids_case(rng, 1, 3, 5)
    logits, cache = gpt.gpt_forward(ids, params, 2)
    G = rng.standard_normal(logits.shape)
    grads = gpt.gpt_backward(G, cache)

    def loss():
        return np.sum(G * forward_by_loop(ids, params, 2))

    got = grads["blocks"][0]["ffn"]["b2"]
    right = numerical_grad(loss, params["blocks"][0]["ffn"]["b2"])
    assert_not_mistake(
        got,
        numerical_grad(loss, params["blocks"][1]["ffn"]["b2"]),
        msg(
            en="grads['blocks'][0] holds the last block's gradients: the backward pass meets "
            "the blocks last first, so reverse that list; grads['blocks'][i] belongs to "
            "params['blocks'][i]",
            ja="grads['blocks'][0] に最後のブロックの勾配が入っています。逆伝播は最後のブロック"
            "から順に通るので、そのリストを逆順にします。grads['blocks'][i] は "
            "params['blocks'][i] のものです",
        ),
        correct=right,
        rtol=1e-5,
        atol=1e-7,
    )
    assert_grad_close(
        got, loss, params["blocks"][0]["ffn"]["b2"], "grads['blocks'][0]['ffn']['b2']"
    )


@pytest.mark.task("20.5")
@pytest.mark.checks("mistake")
def test_gpt_backward_adds_up_a_token_read_twice(rng):
    params = random_params(rng, dict(TINY, n_layers=1))
    ids = np.array([[1, 3, 1, 1]])  # token 1 at three positions
    logits, cache = gpt.gpt_forward(ids, params, 2)
    G = rng.standard_normal(logits.shape)
    grads = gpt.gpt_backward(G, cache)
    x = params["wte"][ids] + params["wpe"][:4]  # (1, 4, C): the blocks' input

    def from_x():
        h = x
        for block in params["blocks"]:
            h = block_by_loop(h, block, 2)
        return np.sum(G * (h @ params["W_out"] + params["b_out"]))

    dx = numerical_grad(from_x, x)[0]  # (4, C)
    right = np.zeros_like(params["wte"])
    last_only = np.zeros_like(params["wte"])
    for t, token in enumerate(ids[0]):
        right[token] += dx[t]
        last_only[token] = dx[t]  # what dwte[ids] += dx keeps: one write per token
    assert_not_mistake(
        grads["wte"],
        last_only,
        msg(
            en="grads['wte'] counts a token read at several positions once: dwte[ids] += dx "
            "writes each row once; np.add.at(dwte, ids, dx) adds every position",
            ja="grads['wte'] で、いくつもの位置で読まれたトークンが 1 回しか数えられていません。"
            "dwte[ids] += dx は各行に 1 回しか書きません。np.add.at(dwte, ids, dx) ならすべての"
            "位置を足します",
        ),
        correct=right,
        rtol=1e-5,
        atol=1e-7,
    )
    assert_close(
        grads["wte"],
        right,
        msg(
            en="grads['wte'] (the sum over the positions of each token)",
            ja="grads['wte'](トークンごとの全位置の和)",
        ),
        rtol=1e-5,
        atol=1e-7,
    )


# ---------------------------------------------------------------- 20.6 adamw_step


def adam_case(rng):
    params = {
        "W": rng.standard_normal((3, 4)),
        "b": rng.standard_normal(4),
        "layers": [{"E": rng.standard_normal((2, 3, 2)), "gamma": 1 + rng.standard_normal(3)}],
    }
    grads = {
        "W": rng.standard_normal((3, 4)),
        "b": rng.standard_normal(4),
        "layers": [{"E": rng.standard_normal((2, 3, 2)), "gamma": rng.standard_normal(3)}],
    }
    return params, grads


def adamw_by_hand(
    params,
    grads_list,
    lr,
    betas=(0.9, 0.999),
    eps=1e-8,
    wd=0.01,
    correct=True,
    decay_all=False,
    coupled=False,
):
    """AdamW entry by entry over len(grads_list) steps; the keyword mistakes change it."""
    b1, b2 = betas
    out = []
    for i, (_, p) in enumerate(leaves(params)):
        p = p.copy()
        m, v = np.zeros_like(p), np.zeros_like(p)
        decays = decay_all or p.ndim >= 2
        for t, grads in enumerate(grads_list, start=1):
            g = leaves(grads)[i][1] + (wd * p if coupled and decays else 0.0)
            for idx in np.ndindex(p.shape):
                m[idx] = b1 * m[idx] + (1 - b1) * g[idx]
                v[idx] = b2 * v[idx] + (1 - b2) * g[idx] ** 2
                m_hat = m[idx] / (1 - b1**t) if correct else m[idx]
                v_hat = v[idx] / (1 - b2**t) if correct else v[idx]
                step = m_hat / (np.sqrt(v_hat) + eps)
                if decays and not coupled:
                    step += wd * p[idx]
                p[idx] = p[idx] - lr * step
        out.append(p)
    return out


def new_leaves(new_params, like):
    """new_params' arrays in the order of `like`'s leaves (whatever order its dicts are in)."""
    found = dict(leaves(new_params))
    return [np.asarray(found.get(path), dtype=float) for path, _ in leaves(like)]


@pytest.mark.task("20.6")
@pytest.mark.checks("inputs")
def test_adamw_step_leaves_its_inputs_alone(rng):
    params, grads = adam_case(rng)
    _, state = assert_inputs_unchanged(gpt.adamw_step, params, grads, None, 0.1)
    assert_inputs_unchanged(gpt.adamw_step, params, grads, state, 0.1)


@pytest.mark.task("20.6")
@pytest.mark.checks("types")
def test_adamw_step_returns_new_params_and_a_state(rng):
    params, grads = adam_case(rng)
    new_params, state = assert_tuple(
        gpt.adamw_step(params, grads, None, 0.1), 2, "adamw_step", "(new_params, new_state)"
    )
    shapes = {"W": (3, 4), "b": (4,), "layers": [{"E": (2, 3, 2), "gamma": (3,)}]}
    check_tree(new_params, shapes, "new_params")
    assert isinstance(state, dict) and {"t", "m", "v"} <= set(state), msg(
        en="new_state should be a dict with the keys 't', 'm' and 'v'",
        ja="new_state はキー 't'、'm'、'v' を持つ辞書のはずです",
    )
    assert_scalar(state["t"], "new_state['t']", kind=int)
    check_tree(state["m"], shapes, "new_state['m']")
    check_tree(state["v"], shapes, "new_state['v']")


@pytest.mark.task("20.6")
@pytest.mark.checks("mistake")
def test_adamw_step_matches_adamw_entry_by_entry(rng):
    params, grads = adam_case(rng)
    lr, betas, eps, wd = 0.05, (0.8, 0.95), 1e-6, 0.3
    new_params, _ = gpt.adamw_step(params, grads, None, lr, betas, eps, wd)
    got = new_leaves(new_params, params)
    right = adamw_by_hand(params, [grads], lr, betas, eps, wd)
    for what, kwargs in [
        (
            msg(
                en="adamw_step skipped the bias correction: the moments start at 0, so divide "
                "them by 1 - beta1**t and 1 - beta2**t (t = 1 on the first step)",
                ja="adamw_step でバイアス補正がありません。モーメントは 0 から始まるので "
                "1 - beta1**t と 1 - beta2**t で割ります(最初のステップで t = 1)",
            ),
            {"correct": False},
        ),
        (
            msg(
                en="adamw_step decayed every array; biases and layer norms' gamma and beta "
                "(arrays with ndim < 2) are never decayed",
                ja="adamw_step がすべての配列を減衰させています。バイアスや layer norm の "
                "gamma と beta(ndim < 2 の配列)は減衰させません",
            ),
            {"decay_all": True},
        ),
        (
            msg(
                en="adamw_step added the weight decay to the gradient (Adam with L2); AdamW "
                "decouples it: p - lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p)",
                ja="adamw_step が重み減衰を勾配に足しています(L2 付きの Adam)。AdamW は切り離して"
                "使います: p - lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p)",
            ),
            {"coupled": True},
        ),
    ]:
        mistaken = adamw_by_hand(params, [grads], lr, betas, eps, wd, **kwargs)
        assert_not_mistake(
            np.concatenate([a.ravel() for a in got]),
            np.concatenate([a.ravel() for a in mistaken]),
            what,
            correct=np.concatenate([a.ravel() for a in right]),
        )
    for (path, _), a, b in zip(leaves(params), got, right):
        assert_close(
            a, b, msg(en=f"new_params{path} after one step", ja=f"1 ステップ後の new_params{path}")
        )


@pytest.mark.task("20.6")
def test_adamw_step_carries_its_state_over_three_steps(rng):
    params, _ = adam_case(rng)
    grads_list = [adam_case(rng)[1] for _ in range(3)]
    state, p = None, params
    for grads in grads_list:
        p, state = gpt.adamw_step(p, grads, state, 0.02)
    assert state["t"] == 3, msg(
        en=f"new_state['t'] after three steps should be 3, got {num(state['t'])}",
        ja=f"3 ステップ後の new_state['t'] は 3 のはずですが、{num(state['t'])} でした",
    )
    right = adamw_by_hand(params, grads_list, 0.02)
    for (path, _), a, b in zip(leaves(params), new_leaves(p, params), right):
        assert_close(
            a, b, msg(en=f"params{path} after three steps", ja=f"3 ステップ後の params{path}")
        )
    m = sum(0.1 * 0.9 ** (2 - k) * grads_list[k]["b"] for k in range(3))
    assert_close(
        state["m"]["b"],
        m,
        msg(
            en="new_state['m'] after three steps (the moving average of the gradients)",
            ja="3 ステップ後の new_state['m'](勾配の移動平均)",
        ),
    )


@pytest.mark.task("20.6")
def test_adamw_step_defaults_and_its_first_step_of_about_lr(rng):
    params, grads = adam_case(rng)
    default, _ = gpt.adamw_step(params, grads, None, 0.01)
    explicit, _ = gpt.adamw_step(params, grads, None, 0.01, (0.9, 0.999), 1e-8, 0.01)
    for (path, _), a, b in zip(
        leaves(params), new_leaves(default, params), new_leaves(explicit, params)
    ):
        assert_close(
            a,
            b,
            msg(
                en=f"new_params{path} with the defaults omitted and given "
                "(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)",
                ja=f"既定値を省いたときと明示したときの new_params{path}"
                "(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)",
            ),
        )
    # Bias-corrected, the first step moves every entry by lr * sign(g), plus the decay.
    new_params, _ = gpt.adamw_step(params, grads, None, 0.01, weight_decay=0.0)
    assert_close(
        new_params["b"],
        params["b"] - 0.01 * np.sign(grads["b"]),
        msg(
            en="a bias after the first step without decay (p - lr * sign(g))",
            ja="減衰なしの最初のステップ後のバイアス(p - lr * sign(g))",
        ),
        rtol=1e-6,
    )


@pytest.mark.task("20.6")
def test_adamw_step_with_a_zero_gradient_only_decays(rng):
    params, grads = adam_case(rng)
    zero = {
        "W": np.zeros((3, 4)),
        "b": np.zeros(4),
        "layers": [{"E": np.zeros((2, 3, 2)), "gamma": np.zeros(3)}],
    }
    new_params, _ = gpt.adamw_step(params, zero, None, 0.1, weight_decay=0.5)
    assert_close(
        new_params["W"],
        params["W"] * (1 - 0.1 * 0.5),
        msg(
            en="a matrix after a zero gradient (only the decay, p - lr * weight_decay * p)",
            ja="勾配 0 のあとの行列(減衰だけ: p - lr * weight_decay * p)",
        ),
    )
    assert_close(
        new_params["layers"][0]["E"],
        params["layers"][0]["E"] * 0.95,
        msg(
            en="a 3-d array after a zero gradient (decayed: ndim >= 2)",
            ja="勾配 0 のあとの 3 次元配列(ndim >= 2 なので減衰)",
        ),
    )
    assert_close(
        new_params["b"],
        params["b"],
        msg(
            en="a bias after a zero gradient (not decayed, and eps keeps 0 / 0 away)",
            ja="勾配 0 のあとのバイアス(減衰せず、eps が 0 / 0 を防ぐ)",
        ),
    )


# ---------------------------------------------------------------- 20.7 train_gpt

CORPUS = encode(corpus_text(), vocabulary(corpus_text()))
SMALL = {"vocab_size": 7, "max_len": 4, "d_model": 4, "n_layers": 1, "n_heads": 2, "d_ff": 8}


def train_by_hand(ids, config, steps, B, lr, seed, fresh_state=False, fresh_rng=False):
    """train_gpt's docstring, written out with the learner's own parts (judged by their own
    tasks), so this checks how train_gpt wires them."""
    rng = np.random.default_rng(seed)
    params, state, losses = gpt.init_gpt(config, seed), None, []
    T = config["max_len"]
    for _ in range(steps):
        draw = np.random.default_rng(seed) if fresh_rng else rng
        starts = draw.integers(0, len(ids) - T + 1, size=B)
        batch = ids[starts[:, None] + np.arange(T)]
        logits, cache = gpt.gpt_forward(batch, params, config["n_heads"])
        loss, dlogits = gpt.next_token_loss(logits, batch)
        params, state = gpt.adamw_step(
            params, gpt.gpt_backward(dlogits, cache), None if fresh_state else state, lr
        )
        losses.append(loss)
    return params, losses


@pytest.mark.task("20.7")
@pytest.mark.checks("inputs")
def test_train_gpt_leaves_its_inputs_alone(rng):
    ids = rng.integers(0, 7, size=30)
    assert_inputs_unchanged(gpt.train_gpt, ids, dict(SMALL), 2, 3, 0.01, 0)


@pytest.mark.task("20.7")
@pytest.mark.checks("types")
def test_train_gpt_returns_params_and_a_list_of_floats(rng):
    ids = rng.integers(0, 7, size=30)
    params, losses = assert_tuple(
        gpt.train_gpt(ids, SMALL, 3, 2, 0.01, 0), 2, "train_gpt", "(params, losses)"
    )
    check_tree(params, param_shapes(SMALL), "params")
    assert isinstance(losses, list) and len(losses) == 3, msg(
        en=f"losses should be a list of 3 floats (one per step), got {type(losses).__name__}"
        + (f" of length {len(losses)}" if isinstance(losses, list | tuple) else ""),
        ja=f"losses は 3 個の float のリスト(ステップごとに 1 つ)のはずですが、"
        f"{type(losses).__name__}"
        + (f"(長さ {len(losses)})" if isinstance(losses, list | tuple) else "")
        + " でした",
    )
    for loss in losses:
        assert_scalar(loss, msg(en="each loss", ja="各ステップの損失"))


@pytest.mark.task("20.7")
@pytest.mark.checks("mistake")
def test_train_gpt_is_the_loop_its_docstring_describes(rng, seed):
    ids = rng.integers(0, 7, size=40)
    params, losses = gpt.train_gpt(ids, SMALL, 4, 3, 0.02, seed)
    right_params, right = train_by_hand(ids, SMALL, 4, 3, 0.02, seed)
    assert_not_mistake(
        losses,
        train_by_hand(ids, SMALL, 4, 3, 0.02, seed, fresh_state=True)[1],
        msg(
            en="train_gpt started AdamW afresh at every step (state None each time): carry "
            "the state adamw_step returns into the next step",
            ja="train_gpt が毎ステップ AdamW を最初からやり直しています(毎回 state が None)。"
            "adamw_step が返した state を次のステップに渡しましょう",
        ),
        correct=right,
    )
    assert_not_mistake(
        losses,
        train_by_hand(ids, SMALL, 4, 3, 0.02, seed, fresh_rng=True)[1],
        msg(
            en="train_gpt drew the same windows at every step: make rng = "
            "np.random.default_rng(seed) once, before the loop, and draw from it each step",
            ja="train_gpt が毎ステップ同じ窓を引いています。rng = np.random.default_rng(seed) "
            "はループの前に 1 回だけ作り、毎ステップそこから引きましょう",
        ),
        correct=right,
    )
    assert_close(losses, right, msg(en="the losses of each step", ja="各ステップの損失"))
    right_params = dict(leaves(right_params))
    for path, a in leaves(params):
        b = right_params[path]
        assert_close(a, b, msg(en=f"the trained params{path}", ja=f"学習後の params{path}"))


@pytest.mark.task("20.7")
def test_train_gpt_with_no_steps_is_the_initialisation(rng):
    ids = rng.integers(0, 7, size=20)
    params, losses = gpt.train_gpt(ids, SMALL, 0, 2, 0.01, 5)
    assert losses == [], msg(
        en=f"with steps=0 losses should be [], got {losses!r}",
        ja=f"steps=0 なら losses は [] のはずですが、{losses!r} でした",
    )
    init = dict(leaves(gpt.init_gpt(SMALL, 5)))
    for path, a in leaves(params):
        b = init[path]
        assert_close(
            a,
            b,
            msg(
                en=f"params{path} after 0 steps (init_gpt(config, seed))",
                ja=f"0 ステップ後の params{path}(init_gpt(config, seed))",
            ),
        )


@pytest.mark.task("20.7")
def test_train_gpt_windows_reach_the_corpus_end():
    # N = T_max: the only window is the whole corpus; starts come from [0, N - T_max + 1).
    ids = np.array([0, 1, 2, 3, 4, 5])
    config = dict(SMALL, max_len=6)
    _, losses = gpt.train_gpt(ids, config, 1, 2, 0.01, 0)
    logits, _ = gpt.gpt_forward(np.stack([ids, ids]), gpt.init_gpt(config, 0), 2)
    assert_close(
        losses,
        [loss_by_loop(logits, np.stack([ids, ids]))[0]],
        msg(
            en="the first loss when the corpus is one window long",
            ja="コーパスがちょうど 1 窓の長さのときの最初の損失",
        ),
    )


@pytest.mark.task("20.7")
@pytest.mark.points(3)
def test_a_tiny_gpt_learns_the_corpus_beyond_unigram_statistics(seed):
    """Pre-training on 吾輩は猫である (character level): the loss must fall below the corpus'
    unigram entropy, the least loss any model that ignores the context can reach."""
    V = int(CORPUS.max()) + 1
    counts = np.bincount(CORPUS, minlength=V) / len(CORPUS)
    unigram = float(-(counts[counts > 0] * np.log(counts[counts > 0])).sum())  # about 4.68
    config = {
        "vocab_size": V,
        "max_len": 16,
        "d_model": 32,
        "n_layers": 1,
        "n_heads": 2,
        "d_ff": 64,
    }
    params, losses = gpt.train_gpt(CORPUS, config, 60, 8, 1e-2, seed)
    assert abs(losses[0] - np.log(V)) < 0.1, msg(
        en=f"the first loss should be about log V = {num(np.log(V))} (a fresh GPT predicts "
        f"almost uniformly), got {num(losses[0])}",
        ja=f"最初の損失は約 log V = {num(np.log(V))} のはずです(初期化直後の GPT はほぼ一様に"
        f"予測します)が、{num(losses[0])} でした",
    )
    windows = CORPUS[np.arange(0, len(CORPUS) - 16, 16)[:, None] + np.arange(16)]  # (N / T, T)
    loss, _ = loss_by_loop(forward_by_loop(windows, params, 2), windows)
    assert loss < unigram, msg(
        en=f"after 60 steps (batch 8, lr 1e-2) the trained GPT's loss on the corpus is "
        f"{num(loss)}; it should be below the unigram entropy {num(unigram)}, the best a model "
        "that ignores the context can do. Check that train_gpt updates the params it "
        "returns, with your gradients and AdamW",
        ja=f"60 ステップ(バッチ 8、学習率 1e-2)学習した GPT のコーパスでの損失は {num(loss)} "
        f"です。文脈を使わないモデルの最良値であるユニグラムのエントロピー {num(unigram)} "
        "より小さくなるはずです。train_gpt が、自分の勾配と AdamW で更新したパラメータを"
        "返しているか確かめましょう",
    )
