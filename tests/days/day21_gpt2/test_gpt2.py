"""day21 suite: GPT-2's initialisation, pre-LN block, tied-embedding model and its backward
pass, top-k / top-p filtering and sampling, and generation with a key/value cache.

Values are checked against a GPT-2 written out here with plain loops (a layer norm per
position, attention per head and per query, the tied output as a dot product per token),
against hand-worked cases, against properties (changing the future never changes the past;
with the sublayers switched off a block is x plus constants), against central finite
differences for every backward pass (the tied embedding's gradient split into its two uses by
untying it here), and, for the random parts, against the stated distributions with
Hoeffding bounds that hold for any seed (a right implementation fails one with probability
about 1e-9). Shapes: B batch, T length, C width, H heads, D head width, F feed-forward width,
V vocabulary, L layers."""

from __future__ import annotations

import numpy as np
import pytest

from checker.core.testing import (
    GRAD_RTOL,
    assert_array,
    assert_close,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_tuple,
    implementation,
    msg,
    num,
    numerical_grad,
)

gpt2 = implementation("day21_gpt2.gpt2")

BLOCK_KEYS = {"attn", "ln1", "ffn", "ln2"}
ATTN_KEYS = {"Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo"}
FFN_KEYS = {"W1", "b1", "W2", "b2"}
CHANCE = 2e-9  # the probability that a right implementation fails a statistical bound


def hoeffding(n: int) -> float:
    """How far a sum of n independent draws in [0, 1] may stray from its mean: it strays
    further with probability at most CHANCE (Hoeffding's inequality, for any seed)."""
    return float(np.sqrt(n * np.log(2 / CHANCE) / 2))


def config(V=7, T_max=6, C=8, L=2, H=2, F=12) -> dict:
    return {"vocab_size": V, "max_len": T_max, "d_model": C, "n_layers": L, "n_heads": H, "d_ff": F}


# ---------------------------------------------------------------- GPT-2 written out plainly


def random_block(rng, C, F, scale=0.5) -> dict:
    """A block whose every parameter matters: no zero bias, no unit gamma."""

    def normal(*shape):
        return scale * rng.standard_normal(shape)

    return {
        "attn": {"W" + n: normal(C, C) for n in "qkvo"} | {"b" + n: normal(C) for n in "qkvo"},
        "ln1": {"gamma": 1 + normal(C), "beta": normal(C)},
        "ffn": {"W1": normal(C, F), "b1": normal(F), "W2": normal(F, C), "b2": normal(C)},
        "ln2": {"gamma": 1 + normal(C), "beta": normal(C)},
    }


def random_params(rng, cfg, scale=0.5) -> dict:
    V, T_max, C = cfg["vocab_size"], cfg["max_len"], cfg["d_model"]
    return {
        "wte": rng.standard_normal((V, C)),
        "wpe": scale * rng.standard_normal((T_max, C)),
        "blocks": [random_block(rng, C, cfg["d_ff"], scale) for _ in range(cfg["n_layers"])],
        "ln_f": {
            "gamma": 1 + scale * rng.standard_normal(C),
            "beta": scale * rng.standard_normal(C),
        },
    }


def ln_row(x, p, eps=1e-5):
    """Day 15's layer norm of one vector."""
    return p["gamma"] * (x - x.mean()) / np.sqrt(x.var() + eps) + p["beta"]


def ln_rows(x, p):
    return np.array([[ln_row(x[b, t], p) for t in range(x.shape[1])] for b in range(x.shape[0])])


def attention_by_loop(x, p, H):
    """Causal multi-head self-attention, query by query; also each head's keys and values,
    (B, H, T, D), as a key/value cache holds them."""
    B, T, C = x.shape
    D = C // H
    out = np.zeros((B, T, C))
    K, Vs = np.zeros((B, H, T, D)), np.zeros((B, H, T, D))
    for b in range(B):
        concat = np.zeros((T, C))
        for h in range(H):
            cols = slice(h * D, (h + 1) * D)
            q = x[b] @ p["Wq"][:, cols] + p["bq"][cols]  # (T, D)
            K[b, h] = x[b] @ p["Wk"][:, cols] + p["bk"][cols]
            Vs[b, h] = x[b] @ p["Wv"][:, cols] + p["bv"][cols]
            for t in range(T):
                scores = np.array([q[t] @ K[b, h, s] / np.sqrt(D) for s in range(t + 1)])
                w = np.exp(scores - scores.max())
                concat[t, cols] = (w / w.sum()) @ Vs[b, h, : t + 1]
        out[b] = concat @ p["Wo"] + p["bo"]
    return out, K, Vs


def ffn_by_loop(x, p):
    pre = x @ p["W1"] + p["b1"]
    return np.maximum(pre, 0) @ p["W2"] + p["b2"], pre


def block_by_loop(x, p, H, layout="pre"):
    """One block. layout "pre": GPT-2's; "post": day 20's post-LN; "normed": the residual
    taken from the normalised input; "one_ln": ln1 used before both sublayers."""
    if layout == "post":
        a, K, Vs = attention_by_loop(x, p["attn"], H)
        h = ln_rows(x + a, p["ln1"])
        f, pre = ffn_by_loop(h, p["ffn"])
        return ln_rows(h + f, p["ln2"]), (K, Vs, pre)
    n1 = ln_rows(x, p["ln1"])
    a, K, Vs = attention_by_loop(n1, p["attn"], H)
    h = (n1 if layout == "normed" else x) + a
    n2 = ln_rows(h, p["ln1" if layout == "one_ln" else "ln2"])
    f, pre = ffn_by_loop(n2, p["ffn"])
    return (n2 if layout == "normed" else h) + f, (K, Vs, pre)


def forward_by_loop(ids, params, H, wte_in=None, wte_out=None, final_ln=True, wpe_rows=None):
    """GPT-2's logits, (B, T, V), and each block's (keys, values, FFN pre-activations).
    wte_in / wte_out untie the embedding (the tied model uses params["wte"] for both);
    final_ln=False leaves out ln_f; wpe_rows replaces the position rows read (a mistake)."""
    E = params["wte"] if wte_in is None else wte_in
    U = params["wte"] if wte_out is None else wte_out
    B, T = ids.shape
    rows = np.arange(T) if wpe_rows is None else wpe_rows
    x = np.array([[E[ids[b, t]] + params["wpe"][rows[t]] for t in range(T)] for b in range(B)])
    inner = []
    for block in params["blocks"]:
        x, cached = block_by_loop(x, block, H)
        inner.append(cached)
    h = ln_rows(x, params["ln_f"]) if final_ln else x
    logits = np.array(
        [[[h[b, t] @ U[v] for v in range(len(U))] for t in range(T)] for b in range(B)]
    )
    return logits, inner


def kink_free_case(rng, cfg, B=2, T=4, scale=0.5):
    """(ids, params) whose every ReLU input is at least 1e-3 from 0, so central differences
    (step 1e-5) never straddle the kink, whatever the seed."""
    while True:
        params = random_params(rng, cfg, scale)
        ids = rng.integers(0, cfg["vocab_size"], size=(B, T))
        _, inner = forward_by_loop(ids, params, cfg["n_heads"])
        if all(np.abs(pre).min() > 1e-3 for _, _, pre in inner):
            return ids, params


def leaves(tree, path=()):
    """(path, array) of every array of a nested params tree."""
    if isinstance(tree, dict):
        for key in tree:
            yield from leaves(tree[key], (*path, key))
    elif isinstance(tree, list | tuple):
        for i, item in enumerate(tree):
            yield from leaves(item, (*path, i))
    else:
        yield path, tree


def name(path) -> str:
    return "".join(f"[{p!r}]" for p in path)


def at(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def check_param_grad(analytic, loss, p, path):
    """Central differences for one parameter array. The key bias bk adds the same amount to
    every score of a softmax row, which changes nothing: its gradient is exactly 0."""
    if path[-1] == "bk":
        assert_close(analytic, np.zeros_like(p), f"grads{name(path)}")
    else:
        assert_grad_close(analytic, loss, p, f"grads{name(path)}")


def check_structure(tree, like, what):
    """tree has like's nested keys and lengths, each leaf a float64 array of like's shape."""
    for path, leaf in leaves(like):
        where = name(path)
        node = tree
        for key in path:
            ok = (
                isinstance(node, dict)
                and key in node
                or isinstance(node, list | tuple)
                and isinstance(key, int)
                and key < len(node)
            )
            assert ok, msg(
                en=f"{what} has no {where}: it should have the nested keys of the module "
                "docstring's params, with one entry per block",
                ja=f"{what} に {where} がありません。モジュールの docstring の params と同じ入れ子の"
                "キーを持ち、ブロックごとに 1 つずつのはずです",
            )
            node = node[key]
        assert_array(node, np.shape(leaf), f"{what}{where}")


# ---------------------------------------------------------------- 21.1 init_gpt2


def residual_std(L) -> float:
    return 0.02 / np.sqrt(2 * L)


@pytest.mark.task("21.1")
@pytest.mark.checks("inputs")
def test_init_gpt2_leaves_its_config_alone():
    assert_inputs_unchanged(gpt2.init_gpt2, config(), 0)


@pytest.mark.task("21.1")
@pytest.mark.checks("types")
def test_init_gpt2_has_ln_f_tied_output_and_float64_arrays():
    cfg = config(V=5, T_max=4, C=6, L=2, H=3, F=10)
    params = gpt2.init_gpt2(cfg, 0)
    assert isinstance(params, dict), msg(
        en=f"init_gpt2 should return a dict, got {type(params).__name__}",
        ja=f"init_gpt2 は dict を返すはずですが、{type(params).__name__} でした",
    )
    extra = sorted({"W_out", "b_out"} & set(params))
    assert not extra, msg(
        en=f"init_gpt2 returned {extra}: GPT-2 ties its output layer to the token embedding "
        "(logits = h @ wte.T), so it has no W_out and no b_out",
        ja=f"init_gpt2 が {extra} を返しています。GPT-2 は出力層をトークン埋め込みと共有する"
        "(logits = h @ wte.T)ので、W_out も b_out もありません",
    )
    assert "ln_f" in params, msg(
        en="init_gpt2 has no 'ln_f': GPT-2 adds a final layer norm after the last block "
        "({'gamma': ones(C), 'beta': zeros(C)})",
        ja="init_gpt2 に 'ln_f' がありません。GPT-2 は最後のブロックの後に最終層正規化"
        "({'gamma': ones(C), 'beta': zeros(C)})を置きます",
    )
    like = random_params(np.random.default_rng(0), cfg)
    check_structure(params, like, "params")
    assert set(params) == set(like), msg(
        en=f"params should have exactly the keys {sorted(like)}, got {sorted(params)}",
        ja=f"params のキーはちょうど {sorted(like)} のはずですが、{sorted(params)} でした",
    )


@pytest.mark.task("21.1")
@pytest.mark.checks("mistake")
def test_init_gpt2_scales_only_the_residual_projections():
    L, C, F = 3, 32, 64  # 1024 and 2048 draws per matrix: the measured std is within 3%
    blocks = gpt2.init_gpt2(config(V=5, T_max=4, C=C, L=L, H=4, F=F), 0)["blocks"]
    for i, block in enumerate(blocks):
        for group, key in [("attn", "Wo"), ("ffn", "W2")]:
            std = float(np.std(block[group][key]))
            for wrong, en, ja in [
                (0.02, "did not scale", "スケールしていません"),
                (
                    0.02 / np.sqrt(L),
                    "scaled by 1/sqrt(L), not 1/sqrt(2 L)",
                    "1/sqrt(2 L) ではなく 1/sqrt(L) でスケールしています",
                ),
                (
                    0.02 / (2 * L),
                    "scaled by 1/(2 L), not 1/sqrt(2 L)",
                    "1/sqrt(2 L) ではなく 1/(2 L) でスケールしています",
                ),
            ]:
                assert abs(std / wrong - 1) > 0.15, msg(
                    en=f"init_gpt2 {en} block {i}'s {key}: its standard deviation is {std:.5f}; "
                    f"GPT-2 draws each residual projection (Wo, W2) from N(0, (0.02 / sqrt(2 L))²), "
                    f"{residual_std(L):.5f} with L = {L}, because every block adds two of them to "
                    "the residual stream",
                    ja=f"init_gpt2 がブロック {i} の {key} を{ja}。標準偏差が {std:.5f} です。GPT-2 は"
                    f"残差への射影(Wo と W2)を N(0, (0.02 / sqrt(2 L))²) から引きます(L = {L} で "
                    f"{residual_std(L):.5f})。どのブロックも残差の流れにこの 2 つを足すからです",
                )
            assert abs(std / residual_std(L) - 1) < 0.15, msg(
                en=f"block {i}'s {key} should have standard deviation 0.02 / sqrt(2 L) = "
                f"{residual_std(L):.5f} (L = {L}), got {std:.5f}",
                ja=f"ブロック {i} の {key} の標準偏差は 0.02 / sqrt(2 L) = {residual_std(L):.5f}"
                f"(L = {L})のはずですが、{std:.5f} でした",
            )
        for group, key in [("attn", "Wq"), ("attn", "Wk"), ("attn", "Wv"), ("ffn", "W1")]:
            std = float(np.std(block[group][key]))
            assert abs(std / 0.02 - 1) < 0.15, msg(
                en=f"block {i}'s {key} has standard deviation {std:.5f}, expected 0.02: only the "
                "residual projections Wo and W2 are scaled by 1/sqrt(2 L); Wq, Wk, Wv and W1 "
                "stay N(0, 0.02²)",
                ja=f"ブロック {i} の {key} の標準偏差が {std:.5f} で、0.02 のはずです。1/sqrt(2 L) で"
                "スケールするのは残差への射影 Wo と W2 だけで、Wq・Wk・Wv・W1 は N(0, 0.02²) の"
                "ままです",
            )


@pytest.mark.task("21.1")
def test_init_gpt2_draws_embeddings_from_n_0_002_and_sets_biases_and_norms():
    C = 24
    params = gpt2.init_gpt2(config(V=300, T_max=100, C=C, L=2, H=4, F=48), 3)
    for key in ("wte", "wpe"):
        w = params[key]
        assert abs(float(np.std(w)) / 0.02 - 1) < 0.1 and abs(float(np.mean(w))) < 0.004, msg(
            en=f"{key} should be drawn from N(0, 0.02²); its mean is {num(np.mean(w))} and its "
            f"standard deviation {num(np.std(w))}",
            ja=f"{key} は N(0, 0.02²) から引くはずですが、平均が {num(np.mean(w))}、標準偏差が "
            f"{num(np.std(w))} です",
        )
    for path, leaf in leaves(params):
        if path[-1] in ("gamma",):
            ok, want = np.all(leaf == 1), "1"
        elif path[-1] in ("beta", "bq", "bk", "bv", "bo", "b1", "b2"):
            ok, want = np.all(leaf == 0), "0"
        else:
            continue
        assert ok, msg(
            en=f"params{name(path)} should start at {want} (every bias and beta 0, every gamma 1, "
            "ln_f's too)",
            ja=f"params{name(path)} の初期値は {want} のはずです(バイアスと beta はすべて 0、gamma は"
            "すべて 1。ln_f も同じ)",
        )


@pytest.mark.task("21.1")
def test_init_gpt2_is_the_same_for_a_seed_and_draws_every_matrix_anew(seed):
    cfg = config(L=3)
    first, again, other = (
        gpt2.init_gpt2(cfg, seed),
        gpt2.init_gpt2(cfg, seed),
        gpt2.init_gpt2(cfg, seed + 1),
    )
    for (path, a), (_, b) in zip(leaves(first), leaves(again)):
        assert np.array_equal(a, b), msg(
            en=f"init_gpt2 gave a different params{name(path)} for the same seed: draw everything "
            "from np.random.default_rng(seed)",
            ja=f"init_gpt2 が同じ seed で違う params{name(path)} を返しました。乱数はすべて "
            "np.random.default_rng(seed) から引きましょう",
        )
    assert not np.array_equal(first["wte"], other["wte"]), msg(
        en=f"init_gpt2 gave the same wte for seeds {seed} and {seed + 1}: use the seed argument",
        ja=f"init_gpt2 が seed {seed} と {seed + 1} で同じ wte を返しました。引数の seed を使いましょう",
    )
    matrices = [(name(p), a) for p, a in leaves(first) if a.ndim == 2]
    for i, (n1, a) in enumerate(matrices):
        for n2, b in matrices[i + 1 :]:
            same = a.shape == b.shape and np.allclose(a / np.std(a), b / np.std(b))
            assert not same, msg(
                en=f"params{n1} and params{n2} hold the same draws (up to scale): every matrix, "
                "in every block, gets draws of its own",
                ja=f"params{n1} と params{n2} が(スケールを除いて)同じ乱数です。どのブロックの"
                "どの行列も、それぞれ別に乱数を引きます",
            )


@pytest.mark.task("21.1")
def test_init_gpt2_with_no_blocks_and_with_one():
    params = gpt2.init_gpt2(config(L=0), 1)
    assert params["blocks"] == [], msg(
        en=f"with n_layers = 0, blocks should be an empty list, got {params['blocks']!r}",
        ja=f"n_layers = 0 なら blocks は空のリストのはずですが、{params['blocks']!r} でした",
    )
    check_structure(params, random_params(np.random.default_rng(0), config(L=0)), "params")
    one = gpt2.init_gpt2(config(C=64, F=64, L=1), 1)["blocks"][0]
    std = float(np.std(one["ffn"]["W2"]))
    assert abs(std / residual_std(1) - 1) < 0.1, msg(
        en=f"with L = 1, W2's standard deviation should be 0.02 / sqrt(2) = {residual_std(1):.5f}, "
        f"got {std:.5f}",
        ja=f"L = 1 なら W2 の標準偏差は 0.02 / sqrt(2) = {residual_std(1):.5f} のはずですが、"
        f"{std:.5f} でした",
    )


# ---------------------------------------------------------------- 21.2 gpt2_block


def block_case(rng, B=2, T=4, C=8, F=12, H=2):
    """(x, params, H) with every ReLU input at least 1e-3 from 0 (see kink_free_case)."""
    while True:
        x, params = rng.standard_normal((B, T, C)), random_block(rng, C, F)
        _, (_, _, pre) = block_by_loop(x, params, H)
        if np.abs(pre).min() > 1e-3:
            return x, params, H


@pytest.mark.task("21.2")
@pytest.mark.checks("inputs")
def test_gpt2_block_leaves_its_inputs_alone(rng):
    x, params, H = block_case(rng)
    out, cache = assert_inputs_unchanged(gpt2.gpt2_block, x, params, H)
    dout = rng.standard_normal(x.shape)
    assert_inputs_unchanged(gpt2.gpt2_block_backward, dout, cache)


@pytest.mark.task("21.2")
@pytest.mark.checks("types")
def test_gpt2_block_returns_float64_b_t_c_and_grads_like_params(rng):
    x, params, H = block_case(rng, B=2, T=3, C=6, F=4, H=3)
    out, cache = assert_tuple(
        gpt2.gpt2_block(x.astype(np.float32), params, H), 2, "gpt2_block", "(out, cache)"
    )
    assert_array(out, (2, 3, 6), "out")
    dx, grads = assert_tuple(
        gpt2.gpt2_block_backward(np.ones((2, 3, 6)), cache), 2, "gpt2_block_backward", "(dx, grads)"
    )
    assert_array(dx, (2, 3, 6), "dx")
    check_structure(grads, params, "grads")


@pytest.mark.task("21.2")
@pytest.mark.checks("mistake")
def test_gpt2_block_is_pre_ln(rng):
    x, params, H = block_case(rng)
    out, _ = gpt2.gpt2_block(x, params, H)
    right = block_by_loop(x, params, H)[0]
    for layout, en, ja in [
        (
            "post",
            "normalised after each residual addition (post-LN, day 20's block); GPT-2 is pre-LN: "
            "h = x + MHA(LN1(x)), out = h + FFN(LN2(h)), and the residual stream is never "
            "normalised",
            "残差を足した後で正規化しています(post-LN、20 日目のブロック)。GPT-2 は pre-LN です: "
            "h = x + MHA(LN1(x))、out = h + FFN(LN2(h))。残差の流れそのものは正規化しません",
        ),
        (
            "normed",
            "added the sublayers to the normalised input (LN1(x) + MHA(LN1(x))); the residual "
            "path carries x itself: h = x + MHA(LN1(x)), out = h + FFN(LN2(h))",
            "正規化した入力にサブレイヤーの出力を足しています(LN1(x) + MHA(LN1(x)))。残差の"
            "経路は x そのものを運びます: h = x + MHA(LN1(x))、out = h + FFN(LN2(h))",
        ),
        (
            "one_ln",
            "used ln1 before both sublayers; the feed-forward network reads LN2(h), with "
            "params['ln2']",
            "両方のサブレイヤーの前で ln1 を使っています。フィードフォワードが読むのは "
            "params['ln2'] による LN2(h) です",
        ),
    ]:
        mistaken = block_by_loop(x, params, H, layout)[0]
        assert_not_mistake(
            out, mistaken, msg(en="gpt2_block " + en, ja="gpt2_block が" + ja), correct=right
        )
    assert_close(out, right, msg(en="the block's output", ja="ブロックの出力"))


@pytest.mark.task("21.2")
def test_gpt2_block_never_looks_ahead(rng):
    x, params, H = block_case(rng, T=5)
    out, _ = gpt2.gpt2_block(x, params, H)
    changed = x.copy()
    changed[:, 3:] += 10 * rng.standard_normal(changed[:, 3:].shape)
    out2, _ = gpt2.gpt2_block(changed, params, H)
    assert_close(
        out2[:, :3],
        out[:, :3],
        msg(
            en="the block's outputs at positions 0..2 after changing the inputs at positions 3 "
            "and 4 (the self-attention must be causal: day 18's causal_mask(T))",
            ja="位置 3 と 4 の入力を変えた後の、位置 0〜2 のブロックの出力(自己注意は因果的な"
            "はずです: 18 日目の causal_mask(T))",
        ),
    )


@pytest.mark.task("21.2")
@pytest.mark.checks("mistake")
def test_gpt2_block_with_its_sublayers_off_is_x_plus_constants(rng):
    x, params, H = block_case(rng)
    for group, key in [("attn", "Wo"), ("ffn", "W2")]:
        params[group][key] = np.zeros_like(params[group][key])  # each sublayer outputs its bias
    out, cache = gpt2.gpt2_block(x, params, H)
    assert_close(
        out,
        x + params["attn"]["bo"] + params["ffn"]["b2"],
        msg(
            en="the output of a block whose Wo and W2 are 0 (it should be x + bo + b2: the "
            "residual stream passes through untouched)",
            ja="Wo と W2 が 0 のブロックの出力(x + bo + b2 のはずです。残差の流れはそのまま"
            "通り抜けます)",
        ),
    )
    dout = rng.standard_normal(x.shape)
    dx, grads = gpt2.gpt2_block_backward(dout, cache)
    assert_not_mistake(
        dx,
        np.zeros_like(x),
        msg(
            en="gpt2_block_backward dropped the residual paths: dx is 0 when the sublayers are "
            "switched off, but out = x + constants, so dx = dout. Add the gradient that flows "
            "straight through each residual connection (dh = dout + ..., dx = dh + ...)",
            ja="gpt2_block_backward が残差の経路を落としています。サブレイヤーを止めると dx が 0 "
            "ですが、out = x + 定数なので dx = dout のはずです。残差接続をまっすぐ通る勾配を"
            "足しましょう(dh = dout + ...、dx = dh + ...)",
        ),
    )
    assert_close(
        dx, dout, msg(en="dx of a block whose Wo and W2 are 0", ja="Wo と W2 が 0 のブロックの dx")
    )


@pytest.mark.task("21.2")
def test_gpt2_block_matches_a_loop_with_more_heads(rng):
    x, params, H = block_case(rng, B=1, T=5, C=12, F=6, H=4)
    out, _ = gpt2.gpt2_block(x, params, H)
    assert_close(
        out, block_by_loop(x, params, H)[0], msg(en="the block's output", ja="ブロックの出力")
    )
    x1 = x[:, :1]
    out1, _ = gpt2.gpt2_block(x1, params, H)
    assert_close(
        out1, block_by_loop(x1, params, H)[0], msg(en="the output for T = 1", ja="T = 1 の出力")
    )


@pytest.mark.task("21.2")
def test_gpt2_block_backward_matches_finite_differences(rng):
    x, params, H = block_case(rng, B=2, T=3, C=4, F=6, H=2)
    weights = rng.standard_normal(x.shape)  # loss = sum(weights * out)

    def loss():
        return float(np.sum(weights * gpt2.gpt2_block(x, params, H)[0]))

    _, cache = gpt2.gpt2_block(x, params, H)
    dx, grads = gpt2.gpt2_block_backward(weights, cache)
    assert_grad_close(dx, loss, x, "dx")
    for path, p in leaves(params):
        check_param_grad(at(grads, path), loss, p, path)
    delta = 1e-6 * rng.standard_normal(x.shape)  # a value check beside: the first-order change
    change = np.sum(weights * gpt2.gpt2_block(x + delta, params, H)[0]) - loss()
    assert_close(
        np.sum(dx * delta),
        change,
        msg(en="dx · δ, the first-order change of the loss", ja="dx · δ(損失の 1 次の変化)"),
        rtol=1e-4,
    )


# ---------------------------------------------------------------- 21.3 gpt2_forward / backward


@pytest.mark.task("21.3")
@pytest.mark.checks("inputs")
def test_gpt2_forward_and_backward_leave_their_inputs_alone(rng):
    ids, params = kink_free_case(rng, config())
    logits, cache = assert_inputs_unchanged(gpt2.gpt2_forward, ids, params, 2)
    assert_inputs_unchanged(gpt2.gpt2_backward, rng.standard_normal(logits.shape), cache)
    assert_inputs_unchanged(gpt2.gpt2_backward, rng.standard_normal(logits.shape), cache)


@pytest.mark.task("21.3")
@pytest.mark.checks("types")
def test_gpt2_forward_returns_float64_b_t_v_and_grads_like_params(rng):
    cfg = config(V=5, T_max=4, C=6, L=2, H=3, F=4)
    ids, params = kink_free_case(rng, cfg, B=2, T=3)
    logits, cache = assert_tuple(
        gpt2.gpt2_forward(ids, params, 3), 2, "gpt2_forward", "(logits, cache)"
    )
    assert_array(logits, (2, 3, 5), "logits")
    grads = gpt2.gpt2_backward(np.ones((2, 3, 5)), cache)
    assert isinstance(grads, dict), msg(
        en=f"gpt2_backward should return a dict of gradients, got {type(grads).__name__}",
        ja=f"gpt2_backward は勾配の dict を返すはずですが、{type(grads).__name__} でした",
    )
    check_structure(grads, params, "grads")


@pytest.mark.task("21.3")
@pytest.mark.checks("mistake")
def test_gpt2_forward_matches_a_loop(rng):
    ids, params = kink_free_case(rng, config(), B=3, T=5)
    logits, _ = gpt2.gpt2_forward(ids, params, 2)
    right, _ = forward_by_loop(ids, params, 2)
    assert_not_mistake(
        logits,
        forward_by_loop(ids, params, 2, final_ln=False)[0],
        msg(
            en="gpt2_forward left out the final layer norm: GPT-2 normalises the last block's "
            "output with params['ln_f'] before the tied output layer (h = LN_f(x), logits = "
            "h @ wte.T)",
            ja="gpt2_forward に最終層正規化がありません。GPT-2 は最後のブロックの出力を "
            "params['ln_f'] で正規化してから、共有した出力層に通します(h = LN_f(x)、logits = "
            "h @ wte.T)",
        ),
        correct=right,
    )
    scaled = forward_by_loop(ids, params, 2, wte_in=params["wte"] * np.sqrt(params["wte"].shape[1]))
    assert_not_mistake(
        logits,
        scaled[0],
        msg(
            en="gpt2_forward multiplied the token embedding by sqrt(C), as day 15's embed_tokens "
            "does; GPT-2 (like day 20's GPT) adds wte[ids] and wpe[:T] as they are",
            ja="gpt2_forward がトークン埋め込みに sqrt(C) を掛けています(15 日目の embed_tokens の"
            "ように)。GPT-2 は(20 日目の GPT と同じく)wte[ids] と wpe[:T] をそのまま足します",
        ),
        correct=right,
    )
    assert_close(logits, right, msg(en="the logits", ja="ロジット"))


@pytest.mark.task("21.3")
def test_gpt2_forward_by_hand_with_no_blocks():
    # L = 0, C = 2: x = wte[id] + wpe[t]; LN of a 2-vector (a, b) is (a - b, b - a) / 2 over
    # sqrt(((a - b) / 2)² + eps)
    params = {
        "wte": np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -2.0]]),
        "wpe": np.array([[0.0, 0.0], [3.0, 0.0]]),
        "blocks": [],
        "ln_f": {"gamma": np.ones(2), "beta": np.zeros(2)},
    }
    logits, _ = gpt2.gpt2_forward(np.array([[1, 0]]), params, 1)
    h0 = np.array([-0.5, 0.5]) / np.sqrt(0.25 + 1e-5)  # token 1 at position 0: (0, 1)
    h1 = np.array([2.0, -2.0]) / np.sqrt(4 + 1e-5)  # token 0 at position 1: (1, 0) + (3, 0)
    expected = np.stack([h0, h1]) @ params["wte"].T  # each row against every token's embedding
    assert_close(logits, expected[None], msg(en="the logits of [[1, 0]]", ja="[[1, 0]] のロジット"))


@pytest.mark.task("21.3")
def test_gpt2_forward_never_looks_ahead_and_reads_every_position(rng):
    ids, params = kink_free_case(rng, config(), B=2, T=6)
    logits, _ = gpt2.gpt2_forward(ids, params, 2)
    changed = ids.copy()
    changed[:, 4:] = (changed[:, 4:] + 1) % params["wte"].shape[0]
    logits2, _ = gpt2.gpt2_forward(changed, params, 2)
    assert_close(
        logits2[:, :4],
        logits[:, :4],
        msg(
            en="the logits at positions 0..3 after changing the tokens at positions 4 and 5",
            ja="位置 4 と 5 のトークンを変えた後の、位置 0〜3 のロジット",
        ),
    )
    assert_close(
        logits,
        forward_by_loop(ids, params, 2)[0],
        msg(en="the logits at T = T_max", ja="T = T_max のロジット"),
    )


@pytest.mark.task("21.3")
def test_gpt2_forward_output_layer_is_the_embedding(rng):
    ids, params = kink_free_case(rng, config(L=1), B=1, T=3)
    logits, _ = gpt2.gpt2_forward(ids, params, 2)
    unused = np.setdiff1d(np.arange(params["wte"].shape[0]), ids)  # tokens never read
    v = int(unused[0])
    changed = {**params, "wte": params["wte"].copy()}
    changed["wte"][v] += rng.standard_normal(params["wte"].shape[1])
    logits2, _ = gpt2.gpt2_forward(ids, changed, 2)
    moved = [
        u
        for u in range(params["wte"].shape[0])
        if u != v and not np.allclose(logits2[..., u], logits[..., u])
    ]
    assert not moved and not np.allclose(logits2[..., v], logits[..., v]), msg(
        en=f"changing row {v} of wte (a token no position reads) should change exactly the logits "
        f"of token {v}, at every position: the output layer is wte itself (logits = h @ wte.T)",
        ja=f"wte の {v} 行目(どの位置も読まないトークン)を変えると、すべての位置でトークン {v} の"
        "ロジットだけが変わるはずです。出力層は wte そのものです(logits = h @ wte.T)",
    )


def tied_uses(ids, params, weights, H):
    """d loss / d wte split into its two uses, by untying: central differences with respect to
    the input embedding (E) and to the output layer (U), both set to wte."""
    E, U = params["wte"].copy(), params["wte"].copy()

    def loss():
        return float(np.sum(weights * forward_by_loop(ids, params, H, wte_in=E, wte_out=U)[0]))

    return numerical_grad(loss, E), numerical_grad(loss, U)


@pytest.mark.task("21.3")
@pytest.mark.checks("mistake")
def test_gpt2_backward_sums_both_uses_of_wte(rng):
    cfg = config(V=5, T_max=4, C=4, L=1, H=2, F=6)
    ids, params = kink_free_case(rng, cfg, B=2, T=3)
    ids[0, :2] = ids[1, 2]  # a token read three times
    weights = rng.standard_normal((2, 3, 5))
    _, cache = gpt2.gpt2_forward(ids, params, 2)
    dwte = gpt2.gpt2_backward(weights, cache)["wte"]
    as_input, as_output = tied_uses(ids, params, weights, 2)
    for mistaken, en, ja in [
        (
            as_output,
            "holds only the output layer's gradient (dlogits^T h): add the embedding's, each "
            "position's dx added to the row of the token it read (np.add.at)",
            "が出力層の勾配(dlogits^T h)だけです。埋め込みとしての勾配(各位置の dx を読んだ"
            "トークンの行に足したもの、np.add.at)も足しましょう",
        ),
        (
            as_input,
            "holds only the embedding's gradient: wte is also the output layer, so add "
            "dlogits^T h (summed over every position) as well",
            "が埋め込みとしての勾配だけです。wte は出力層でもあるので、dlogits^T h(全位置の和)"
            "も足しましょう",
        ),
    ]:
        assert_not_mistake(
            dwte,
            mistaken,
            msg(
                en="grads['wte'] "
                + en
                + ". wte is used twice, so its gradient is the sum of both uses",
                ja="grads['wte'] " + ja + "。wte は 2 か所で使われるので、勾配は両方の和です",
            ),
            rtol=GRAD_RTOL,
            atol=1e-7,
        )
    assert_close(
        dwte,
        as_input + as_output,
        msg(en="grads['wte'], the sum of both uses", ja="grads['wte'](2 つの使い道の和)"),
        rtol=GRAD_RTOL,
        atol=1e-7,
    )


@pytest.mark.task("21.3")
def test_gpt2_backward_matches_finite_differences(rng):
    cfg = config(V=5, T_max=4, C=4, L=2, H=2, F=6)
    ids, params = kink_free_case(rng, cfg, B=2, T=3)
    weights = rng.standard_normal((2, 3, 5))

    def loss():
        return float(np.sum(weights * gpt2.gpt2_forward(ids, params, 2)[0]))

    _, cache = gpt2.gpt2_forward(ids, params, 2)
    grads = gpt2.gpt2_backward(weights, cache)
    for path, p in leaves(params):
        check_param_grad(at(grads, path), loss, p, path)
    assert np.all(grads["wpe"][3] == 0), msg(
        en="grads['wpe'] row 3 should be 0: with T = 3, no position reads it",
        ja="grads['wpe'] の 3 行目は 0 のはずです。T = 3 ではどの位置も読みません",
    )
    reference = forward_by_loop(ids, params, 2)[0]  # a value check beside: the loss itself
    assert_close(
        loss(),
        np.sum(weights * reference),
        msg(en="the loss sum(w * logits)", ja="損失 sum(w * logits)"),
    )


# ---------------------------------------------------------------- 21.4 filter_logits / sample_next


def filter_by_loop(logits, top_k=None, top_p=None):
    """The contract row by row: top-k keeps logits >= the k-th largest; top-p keeps the
    likeliest tokens until their probabilities reach p, and every token tied with the last."""
    out = np.array(logits, dtype=float)
    for row in out:
        if top_k is not None and top_k < len(row):
            kth = sorted(row, reverse=True)[top_k - 1]
            row[row < kth] = -np.inf
        if top_p is not None:
            p = np.exp(row - row.max())
            p /= p.sum()
            total, kept = 0.0, []
            for v in sorted(range(len(row)), key=lambda v: -p[v]):
                if total >= top_p and p[v] < p[kept[-1]]:
                    break
                kept.append(v)
                total += p[v]
            row[[v for v in range(len(row)) if v not in kept]] = -np.inf
    return out


def sample_by_hand(logits, temperature, top_k, top_p, seed):
    if temperature == 0:
        return np.array([int(np.argmax(row)) for row in logits])
    z = filter_by_loop(np.asarray(logits, dtype=float) / temperature, top_k, top_p)
    u = np.random.default_rng(seed).random(len(z))
    out = []
    for row, u_b in zip(z, u):
        p = np.exp(row - row.max())
        cdf = np.cumsum(p / p.sum())
        cdf /= cdf[-1]
        out.append(int(np.searchsorted(cdf, u_b, side="right")))
    return np.array(out)


def logits_of(probs) -> np.ndarray:
    return np.log(np.asarray(probs, dtype=float))


def check_filter(got, expected, what):
    expected = np.asarray(expected, dtype=float)
    kept, want = np.isfinite(np.asarray(got, dtype=float)), np.isfinite(expected)
    if np.shape(got) == expected.shape and not np.array_equal(kept, want):
        b = int(np.argwhere(kept != want)[0][0])
        assert_not_mistake(
            got,
            np.where(want, expected, 0.0),
            msg(
                en=f"{what}: the removed entries are 0, but a logit of 0 still has probability "
                "exp(0) / sum > 0; set them to -inf (exp(-inf) = 0)",
                ja=f"{what}: 取り除いた要素が 0 ですが、ロジット 0 の確率は exp(0) / 和 > 0 です。"
                "-inf にしましょう(exp(-inf) = 0)",
            ),
        )
        raise AssertionError(
            msg(
                en=f"{what}: row {b} should keep tokens {np.flatnonzero(want[b]).tolist()}, kept "
                f"{np.flatnonzero(kept[b]).tolist()}",
                ja=f"{what}: {b} 行目で残すトークンは {np.flatnonzero(want[b]).tolist()} のはずですが、"
                f"{np.flatnonzero(kept[b]).tolist()} を残しました",
            )
        )
    assert_close(got, expected, what)


@pytest.mark.task("21.4")
@pytest.mark.checks("inputs")
def test_filter_logits_and_sample_next_leave_their_inputs_alone(rng):
    logits = rng.standard_normal((3, 6))
    assert_inputs_unchanged(gpt2.filter_logits, logits, 2, 0.5)
    assert_inputs_unchanged(gpt2.filter_logits, logits, top_p=0.9)
    assert_inputs_unchanged(gpt2.sample_next, logits, 0.7, 3, 0.8, 1)


@pytest.mark.task("21.4")
@pytest.mark.checks("types")
def test_filter_logits_is_float64_b_v_and_sample_next_int64_b(rng):
    logits = rng.standard_normal((3, 6)).astype(np.float32)
    assert_array(
        gpt2.filter_logits(logits, 2, 0.9),
        (3, 6),
        msg(en="filter_logits' result", ja="filter_logits の結果"),
    )
    for temperature in (1.0, 0.0):
        ids = gpt2.sample_next(logits, temperature, seed=0)
        assert_array(
            ids,
            (3,),
            msg(
                en=f"sample_next's ids at temperature {temperature}",
                ja=f"温度 {temperature} での sample_next の ID",
            ),
            dtype=np.int64,
        )


@pytest.mark.task("21.4")
@pytest.mark.checks("mistake")
def test_filter_logits_top_k_by_hand():
    logits = np.array([[1.0, 5.0, 3.0, 4.0, 2.0], [0.0, 2.0, 2.0, 1.0, 2.0]])
    minf = -np.inf
    check_filter(
        gpt2.filter_logits(logits, top_k=2),
        [[minf, 5.0, minf, 4.0, minf], [minf, 2.0, 2.0, minf, 2.0]],
        msg(
            en="filter_logits(top_k=2) of [[1, 5, 3, 4, 2], [0, 2, 2, 1, 2]] (in row 1 three "
            "logits tie at the 2nd largest: all three are kept)",
            ja="[[1, 5, 3, 4, 2], [0, 2, 2, 1, 2]] の filter_logits(top_k=2)(1 行目は 3 つの"
            "ロジットが 2 番目の大きさで並ぶので 3 つとも残します)",
        ),
    )
    check_filter(
        gpt2.filter_logits(logits, top_k=1),
        [[minf, 5.0, minf, minf, minf], [minf, 2.0, 2.0, minf, 2.0]],
        msg(
            en="filter_logits(top_k=1), the argmax and its ties",
            ja="filter_logits(top_k=1)(最大とそれに並ぶもの)",
        ),
    )
    for k in (5, 9):
        check_filter(
            gpt2.filter_logits(logits, top_k=k),
            logits,
            msg(
                en=f"filter_logits(top_k={k}), V = 5: nothing removed",
                ja=f"filter_logits(top_k={k})、V = 5: 何も取り除かない",
            ),
        )


@pytest.mark.task("21.4")
@pytest.mark.checks("mistake")
def test_filter_logits_top_p_by_hand():
    probs = np.array([[0.1, 0.5, 0.25, 0.15], [0.01, 0.97, 0.01, 0.01]])
    logits = logits_of(probs)
    minf = -np.inf
    expected = [[minf, logits[0, 1], logits[0, 2], minf], [minf, logits[1, 1], minf, minf]]
    got = gpt2.filter_logits(logits, top_p=0.7)
    assert_not_mistake(
        np.isfinite(np.asarray(got, dtype=float))[0] if np.shape(got) == (2, 4) else got,
        [False, True, False, False],  # row 0 stopped before 0.25, whose sum 0.75 reaches 0.7
        msg(
            en="filter_logits(top_p) dropped the token whose probability carries the sum past "
            "p: keep the likeliest tokens until their sum reaches p, that last one included (so "
            "the likeliest token is always kept, even when it alone is above p)",
            ja="filter_logits(top_p) が、確率の和を p 以上にするトークンを落としています。和が p に"
            "達するまで確率の高い順に残し、達したそのトークンも残します(だから最も確率の高い"
            "トークンは、それだけで p を超えていても必ず残ります)",
        ),
    )
    check_filter(
        got,
        expected,
        msg(
            en="filter_logits(top_p=0.7) of probabilities [[0.1, 0.5, 0.25, 0.15], [0.01, 0.97, "
            "0.01, 0.01]] (0.5 + 0.25 reaches 0.7; 0.97 alone does)",
            ja="確率 [[0.1, 0.5, 0.25, 0.15], [0.01, 0.97, 0.01, 0.01]] の filter_logits(top_p=0.7)"
            "(0.5 + 0.25 で 0.7 に達する。0.97 は単独で達する)",
        ),
    )
    check_filter(
        gpt2.filter_logits(logits, top_p=1.0),
        logits,
        msg(
            en="filter_logits(top_p=1.0): nothing removed",
            ja="filter_logits(top_p=1.0): 何も取り除かない",
        ),
    )
    tied = logits_of([[0.3, 0.3, 0.3, 0.1]])
    check_filter(
        gpt2.filter_logits(tied, top_p=0.4),
        [[tied[0, 0], tied[0, 1], tied[0, 2], minf]],
        msg(
            en="filter_logits(top_p=0.4) of probabilities [0.3, 0.3, 0.3, 0.1] (the sum reaches "
            "0.4 at the second 0.3; the third ties with it, so it is kept too)",
            ja="確率 [0.3, 0.3, 0.3, 0.1] の filter_logits(top_p=0.4)(和は 2 つ目の 0.3 で 0.4 に"
            "達し、3 つ目はそれと並ぶので残します)",
        ),
    )


@pytest.mark.task("21.4")
@pytest.mark.checks("mistake")
def test_filter_logits_applies_top_p_after_top_k():
    logits = logits_of([[0.4, 0.3, 0.2, 0.1]])
    got = gpt2.filter_logits(logits, top_k=2, top_p=0.5)
    minf = -np.inf
    assert_not_mistake(
        got,
        [[logits[0, 0], logits[0, 1], minf, minf]],
        msg(
            en="filter_logits measured top_p on the probabilities before top_k; after top_k=2 the "
            "two kept tokens' probabilities become 4/7 and 3/7 (the softmax of what is left), "
            "and 4/7 alone reaches p = 0.5",
            ja="filter_logits が top_k の前の確率で top_p を測っています。top_k=2 の後に残った "
            "2 つの確率は 4/7 と 3/7(残りの softmax)になり、4/7 だけで p = 0.5 に達します",
        ),
    )
    check_filter(
        got,
        [[logits[0, 0], minf, minf, minf]],
        msg(en="filter_logits(top_k=2, top_p=0.5)", ja="filter_logits(top_k=2, top_p=0.5)"),
    )


@pytest.mark.task("21.4")
def test_filter_logits_matches_a_loop_on_random_logits(rng):
    logits = rng.standard_normal((6, 9)) * rng.uniform(0.5, 3, size=(6, 1))
    logits[0, 3] = -np.inf  # an entry removed before
    for top_k, top_p in [(None, None), (3, None), (None, 0.6), (4, 0.8), (1, 0.3), (None, 0.999)]:
        check_filter(
            gpt2.filter_logits(logits, top_k, top_p),
            filter_by_loop(logits, top_k, top_p),
            msg(
                en=f"filter_logits(top_k={top_k}, top_p={top_p})",
                ja=f"filter_logits(top_k={top_k}, top_p={top_p})",
            ),
        )
    same = gpt2.filter_logits(logits)  # the defaults: no filtering
    check_filter(
        same,
        logits,
        msg(
            en="filter_logits with the defaults (nothing removed)",
            ja="既定値の filter_logits(何も取り除かない)",
        ),
    )


@pytest.mark.task("21.4")
def test_filter_logits_top_p_1_keeps_a_row_whose_sum_rounds_below_1():
    logits = np.zeros(
        (1, 10)
    )  # ten probabilities 0.1, whose running sum ends at 0.9999999999999999
    check_filter(
        gpt2.filter_logits(logits, top_p=1.0),
        logits,
        msg(
            en="filter_logits(top_p=1.0) of ten equal logits: nothing is removed, even though "
            "the running sum of ten 0.1s ends just below 1 in floating point (when no sum "
            "reaches p, every token stays)",
            ja="10 個の等しいロジットの filter_logits(top_p=1.0): 何も取り除きません。浮動小数点"
            "では 0.1 を 10 回足した累積和が 1 にわずかに届きませんが、どの和も p に達しないなら"
            "すべてのトークンを残します",
        ),
    )


@pytest.mark.task("21.4")
def test_filter_logits_and_sample_next_stay_finite_at_huge_logits(rng, seed):
    # rows of about ±1e3 whose differences are of order 1: several tokens stay and are drawn
    logits = 1e3 * rng.choice([-1.0, 1.0], size=(20, 1)) + rng.standard_normal((20, 6))
    with np.errstate(all="ignore"):
        filtered = gpt2.filter_logits(logits, top_k=4, top_p=0.9)
        ids = gpt2.sample_next(logits, 1.0, top_k=4, top_p=0.9, seed=seed)
    assert not np.any(np.isnan(np.asarray(filtered, dtype=float))), msg(
        en="filter_logits returned NaN at logits of about 1e3: exp overflows. Subtract each "
        "row's largest logit before exp (the softmax does not change)",
        ja="ロジットが 1e3 程度のとき filter_logits が NaN を返しました。exp があふれています。"
        "exp の前に各行の最大のロジットを引きましょう(softmax は変わりません)",
    )
    check_filter(
        filtered,
        filter_by_loop(logits, 4, 0.9),
        msg(en="filter_logits at logits of about 1e3", ja="ロジット 1e3 程度での filter_logits"),
    )
    want = sample_by_hand(logits, 1.0, 4, 0.9, seed)
    assert np.array_equal(np.asarray(ids).reshape(-1), want), msg(
        en=f"sample_next at logits of about 1e3 gave {num(np.asarray(ids).reshape(-1)[:8])} …, "
        f"expected {num(want[:8])} …: subtract each row's largest logit before exp",
        ja=f"ロジット 1e3 程度で sample_next が {num(np.asarray(ids).reshape(-1)[:8])} … を返し"
        f"ましたが、{num(want[:8])} … のはずです。exp の前に各行の最大のロジットを引きましょう",
    )


@pytest.mark.task("21.4")
@pytest.mark.checks("mistake")
def test_sample_next_divides_by_the_temperature(rng, seed):
    logits = logits_of([[0.5, 0.25, 0.15, 0.1]])
    n = 20000
    rows = np.repeat(logits, n, axis=0)
    for temperature in (0.5, 2.0):
        ids = np.asarray(gpt2.sample_next(rows, temperature, seed=seed))
        counts = np.bincount(ids.reshape(-1), minlength=4)[:4]
        for wrong, en, ja in [
            (
                logits * temperature,
                "multiplied the logits by the temperature; divide them",
                "ロジットに温度を掛けています。割りましょう",
            ),
            (logits, "ignored the temperature", "温度を無視しています"),
        ]:
            q = np.exp(wrong[0]) / np.exp(wrong[0]).sum()
            assert np.any(np.abs(counts - n * q) > hoeffding(n)), msg(
                en=f"sample_next {en} (logits / temperature, then the softmax): at temperature "
                f"{temperature} the counts {counts.tolist()} of {n} draws match that mistake",
                ja=f"sample_next が{ja}(logits / 温度 の後に softmax)。温度 {temperature} で {n} 回"
                f"引いた回数 {counts.tolist()} が、この間違いの分布に一致しています",
            )
        p = np.exp(logits[0] / temperature)
        p /= p.sum()
        for v in range(4):
            assert abs(counts[v] - n * p[v]) < hoeffding(n), msg(
                en=f"at temperature {temperature}, token {v} was drawn {counts[v]} times in {n}, "
                f"expected about {n * p[v]:.0f} (give or take {hoeffding(n):.0f}): draw from "
                "softmax(logits / temperature)",
                ja=f"温度 {temperature} でトークン {v} が {n} 回中 {counts[v]} 回引かれました。約 "
                f"{n * p[v]:.0f} 回(± {hoeffding(n):.0f})のはずです。softmax(logits / 温度) から"
                "引きましょう",
            )


@pytest.mark.task("21.4")
def test_sample_next_draws_with_the_stated_uniforms(rng, seed):
    logits = rng.standard_normal((40, 7)) * 2
    for temperature, top_k, top_p in [
        (1.0, None, None),
        (0.7, 4, None),
        (1.3, None, 0.8),
        (1.0, 3, 0.9),
    ]:
        ids = gpt2.sample_next(logits, temperature, top_k, top_p, seed)
        want = sample_by_hand(logits, temperature, top_k, top_p, seed)
        differ = (
            np.flatnonzero(np.asarray(ids).reshape(-1) != want)
            if np.shape(ids) == want.shape
            else [0]
        )
        assert len(differ) == 0, msg(
            en=f"sample_next(temperature={temperature}, top_k={top_k}, top_p={top_p}, seed={seed}) "
            f"gave {num(np.asarray(ids).reshape(-1)[:8])} …, expected {num(want[:8])} …: draw "
            "u = np.random.default_rng(seed).random(B), one uniform per row, and take the "
            "smallest v with cdf[v] > u[b] (cdf the cumulative sum of the filtered softmax, "
            "divided by its last entry), as rng.choice(V, p=probs[b]) does row after row",
            ja=f"sample_next(temperature={temperature}, top_k={top_k}, top_p={top_p}, seed={seed}) "
            f"が {num(np.asarray(ids).reshape(-1)[:8])} … を返しましたが、{num(want[:8])} … のはず"
            "です。u = np.random.default_rng(seed).random(B) で行ごとに一様乱数を 1 つ引き、"
            "cdf[v] > u[b] となる最小の v を取ります(cdf はフィルタ後の softmax の累積和を最後の"
            "要素で割ったもの)。rng.choice(V, p=probs[b]) を行ごとに呼ぶのと同じです",
        )
    default = gpt2.sample_next(logits)  # temperature 1, no filtering, seed 0
    assert np.array_equal(
        np.asarray(default).reshape(-1), sample_by_hand(logits, 1.0, None, None, 0)
    ), msg(
        en="sample_next(logits) should use the defaults temperature=1.0, no top_k or top_p, seed=0",
        ja="sample_next(logits) は既定値 temperature=1.0、top_k と top_p なし、seed=0 を使うはずです",
    )


@pytest.mark.task("21.4")
@pytest.mark.checks("mistake")
def test_sample_next_applies_the_temperature_before_top_p(seed):
    logits = logits_of([[0.6, 0.3, 0.1]])
    rows = np.repeat(logits, 4000, axis=0)
    ids = np.asarray(gpt2.sample_next(rows, 3.0, top_p=0.55, seed=seed)).reshape(-1)
    # at T = 3 the probabilities are about [0.44, 0.35, 0.21]: top_p = 0.55 keeps two tokens;
    # filtering before the temperature would keep token 0 only
    assert np.any(ids != 0), msg(
        en="sample_next drew token 0 every time at temperature 3 with top_p = 0.55: it filtered "
        "before dividing by the temperature. Divide first, then filter (the nucleus is measured "
        "on softmax(logits / temperature))",
        ja="sample_next が温度 3、top_p = 0.55 で毎回トークン 0 を引きました。温度で割る前に"
        "フィルタしています。先に割ってからフィルタしましょう(核は softmax(logits / 温度) で"
        "測ります)",
    )
    drawn = sorted(set(np.unique(ids).tolist()))
    assert drawn == [0, 1], msg(
        en=f"at temperature 3 with top_p = 0.55 only tokens 0 and 1 may be drawn, got {drawn}",
        ja=f"温度 3、top_p = 0.55 で引けるのはトークン 0 と 1 だけのはずですが、{drawn} でした",
    )


@pytest.mark.task("21.4")
def test_sample_next_never_draws_a_filtered_token_and_keeps_the_proportions(seed):
    logits = logits_of([[0.4, 0.3, 0.2, 0.1], [0.05, 0.05, 0.1, 0.8]])
    n = 10000
    rows = np.repeat(logits, n, axis=0)
    ids = np.asarray(gpt2.sample_next(rows, 1.0, top_k=2, seed=seed)).reshape(2, n)
    first = ids[0]
    drawn = sorted(set(np.unique(first).tolist()))
    assert set(drawn) <= {0, 1}, msg(
        en=f"with top_k = 2 only tokens 0 and 1 of [0.4, 0.3, 0.2, 0.1] may be drawn, got {drawn}",
        ja=f"top_k = 2 なら [0.4, 0.3, 0.2, 0.1] から引けるのはトークン 0 と 1 だけのはずですが、"
        f"{drawn} でした",
    )
    zeros = int(np.sum(first == 0))
    assert abs(zeros - n * 4 / 7) < hoeffding(n), msg(
        en=f"with top_k = 2, token 0 was drawn {zeros} times in {n}, expected about {n * 4 / 7:.0f} "
        "(probability 0.4 / (0.4 + 0.3) = 4/7: renormalise over the kept tokens)",
        ja=f"top_k = 2 でトークン 0 が {n} 回中 {zeros} 回引かれました。約 {n * 4 / 7:.0f} 回のはず"
        "です(確率 0.4 / (0.4 + 0.3) = 4/7。残したトークンで正規化し直します)",
    )
    second = ids[1]
    threes = int(np.sum(second == 3))
    drawn = sorted(set(np.unique(second).tolist()))
    assert set(drawn) <= {2, 3} and abs(threes - n * 8 / 9) < hoeffding(n), msg(
        en=f"row [0.05, 0.05, 0.1, 0.8] with top_k = 2 should give tokens 3 and 2 only, 3 about "
        f"{n * 8 / 9:.0f} times in {n}; got {threes} threes and tokens {drawn}",
        ja=f"行 [0.05, 0.05, 0.1, 0.8] に top_k = 2 なら出るのはトークン 3 と 2 だけで、3 は {n} "
        f"回中約 {n * 8 / 9:.0f} 回のはずですが、3 が {threes} 回、トークンは {drawn} でした",
    )


@pytest.mark.task("21.4")
def test_sample_next_at_temperature_0_is_greedy(rng, seed):
    logits = rng.standard_normal((5, 8)) * 3
    logits[1, [2, 6]] = logits[1].max() + 1.0  # a tie: the first one
    want = np.argmax(logits, axis=-1)
    for top_k, top_p in [(None, None), (2, 0.5)]:
        ids = gpt2.sample_next(logits, 0.0, top_k, top_p, seed)
        assert np.array_equal(np.asarray(ids).reshape(-1), want), msg(
            en=f"temperature 0 is greedy: each row's argmax {num(want)} (the first on a tie), "
            f"got {num(np.asarray(ids).reshape(-1))}; do not divide by 0, return "
            "np.argmax(logits, axis=-1)",
            ja=f"温度 0 は貪欲法で、各行の argmax {num(want)}(並んだら最初)のはずですが、"
            f"{num(np.asarray(ids).reshape(-1))} でした。0 で割らず np.argmax(logits, axis=-1) を"
            "返しましょう",
        )


@pytest.mark.task("21.4")
def test_sample_next_is_the_same_for_a_seed_and_differs_across_seeds(seed):
    rows = np.zeros((200, 10))  # uniform: two seeds agree with chance 10**-200
    first, again, other = (gpt2.sample_next(rows, seed=s) for s in (seed, seed, seed + 1))
    assert np.array_equal(first, again) and not np.array_equal(first, other), msg(
        en="sample_next should give the same ids for the same seed and others for another seed: "
        "draw from np.random.default_rng(seed)",
        ja="sample_next は同じ seed で同じ ID を、別の seed では別の ID を返すはずです。"
        "np.random.default_rng(seed) から引きましょう",
    )


# ---------------------------------------------------------------- 21.5 gpt2_step / generate


def step_through(ids, params, H):
    """gpt2_step over every position of ids: the logits (B, T, V) and the last cache."""
    cache, rows = None, []
    for t in range(ids.shape[1]):
        logits_t, cache = gpt2.gpt2_step(ids[:, t], params, H, cache)
        rows.append(np.asarray(logits_t))
    return np.stack(rows, axis=1), cache


def generate_by_recomputing(params, prompt, n_new, H, temperature, top_k, top_p, seed, feed=None):
    """The contract, without a cache: the whole forward pass again before every token.
    feed(ids) is what the model reads (a mistake may change it)."""
    ids = np.array(prompt)
    for i in range(n_new):
        read = ids if feed is None else feed(ids)
        logits = forward_by_loop(read, params, H)[0][:, -1]
        ids = np.concatenate(
            [ids, sample_by_hand(logits, temperature, top_k, top_p, seed + i)[:, None]], 1
        )
    return ids


@pytest.mark.task("21.5")
@pytest.mark.checks("inputs")
def test_gpt2_step_and_generate_leave_their_inputs_alone(rng):
    ids, params = kink_free_case(rng, config(), B=2, T=3)
    _, cache = assert_inputs_unchanged(gpt2.gpt2_step, ids[:, 0], params, 2)
    assert_inputs_unchanged(gpt2.gpt2_step, ids[:, 1], params, 2, cache)
    assert_inputs_unchanged(gpt2.generate, params, ids, 2, 2, 0.8, 3, 0.9, 1)


@pytest.mark.task("21.5")
@pytest.mark.checks("types")
def test_gpt2_step_returns_float64_b_v_and_a_cache_of_b_h_t_d(rng):
    cfg = config(V=5, T_max=4, C=6, L=2, H=3, F=4)
    ids, params = kink_free_case(rng, cfg, B=2, T=2)
    logits, cache = assert_tuple(
        gpt2.gpt2_step(ids[:, 0], params, 3), 2, "gpt2_step", "(logits_t, new_cache)"
    )
    assert_array(logits, (2, 5), "logits_t")
    logits, cache = gpt2.gpt2_step(ids[:, 1], params, 3, cache)
    assert isinstance(cache, list) and len(cache) == 2, msg(
        en=f"new_cache should be a list of one (K, V) pair per block (2 here), got {type(cache).__name__}"
        + (f" of length {len(cache)}" if isinstance(cache, list | tuple) else ""),
        ja=f"new_cache はブロックごとに 1 つの (K, V) の組のリスト(ここでは 2 つ)のはずですが、"
        f"{type(cache).__name__}"
        + (f"(長さ {len(cache)})" if isinstance(cache, list | tuple) else "")
        + " でした",
    )
    for i, pair in enumerate(cache):
        K, V = assert_tuple(
            tuple(pair) if isinstance(pair, list) else pair, 2, f"new_cache[{i}]", "(K, V)"
        )
        assert_array(K, (2, 3, 2, 2), f"new_cache[{i}][0]")
        assert_array(V, (2, 3, 2, 2), f"new_cache[{i}][1]")


@pytest.mark.task("21.5")
def test_generate_returns_int64_b_t0_plus_n_new(rng):
    ids, params = kink_free_case(rng, config(), B=2, T=2)
    out = gpt2.generate(params, ids.astype(np.int32), 3, 2, seed=0)
    assert_array(out, (2, 5), msg(en="generate's ids", ja="generate の ID"), dtype=np.int64)
    none = gpt2.generate(params, ids, 0, 2)
    assert_array(
        none,
        (2, 2),
        msg(en="generate's ids with n_new = 0", ja="n_new = 0 の generate の ID"),
        dtype=np.int64,
    )
    assert np.array_equal(none, ids), msg(
        en="with n_new = 0, generate returns the prompt itself",
        ja="n_new = 0 なら generate はプロンプトをそのまま返します",
    )


@pytest.mark.task("21.5")
@pytest.mark.checks("mistake")
def test_gpt2_step_equals_the_forward_pass_at_every_position(rng):
    ids, params = kink_free_case(rng, config(T_max=6), B=2, T=6)
    right, inner = forward_by_loop(ids, params, 2)
    logits, cache = step_through(ids, params, 2)
    if logits.shape == right.shape:
        for mistaken, en, ja in [
            (
                forward_by_loop(ids, params, 2, wpe_rows=np.zeros(6, dtype=int))[0],
                "added the position embedding of position 0 at every step; the new token sits at "
                "position t = the number of cached positions (K.shape[2]), so add wpe[t]",
                "毎ステップ位置 0 の位置埋め込みを足しています。新しいトークンの位置は t = キャッシュ"
                "済みの位置の数(K.shape[2])なので、wpe[t] を足しましょう",
            ),
            (
                forward_by_loop(ids, params, 2, final_ln=False)[0],
                "left out the final layer norm ln_f before the tied output (h = LN_f(x); "
                "logits_t = h @ wte.T)",
                "共有した出力層の前の最終層正規化 ln_f がありません(h = LN_f(x); logits_t = h @ wte.T)",
            ),
        ]:
            assert_not_mistake(
                logits, mistaken, msg(en="gpt2_step " + en, ja="gpt2_step が" + ja), correct=right
            )
    assert_close(
        logits,
        right,
        msg(
            en="gpt2_step's logits, step by step, against the forward pass on all positions at once",
            ja="1 ステップずつの gpt2_step のロジットと、全位置を一度に通した順伝播との比較",
        ),
    )
    for i, (K, Vs, _) in enumerate(inner):
        for got, want, label in [(cache[i][0], K, "K"), (cache[i][1], Vs, "V")]:
            assert_close(
                got,
                want,
                msg(
                    en=f"the cache's {label} of block {i} after 6 steps (the keys and values of "
                    "LN1 of the block's input, heads split as split_heads does)",
                    ja=f"6 ステップ後のブロック {i} のキャッシュの {label}(ブロックの入力の LN1 から"
                    "作ったキーと値。ヘッドは split_heads と同じ分け方)",
                ),
            )


@pytest.mark.task("21.5")
def test_gpt2_step_extends_any_cache(rng):
    ids, params = kink_free_case(rng, config(L=1), B=3, T=5)
    _, inner = forward_by_loop(ids[:, :4], params, 2)
    given = [(K.copy(), Vs.copy()) for K, Vs, _ in inner]  # positions 0..3, made here
    logits, cache = gpt2.gpt2_step(ids[:, 4], params, 2, given)
    assert_close(
        logits,
        forward_by_loop(ids, params, 2)[0][:, 4],
        msg(
            en="gpt2_step's logits at position 4, given a cache of positions 0..3",
            ja="位置 0〜3 のキャッシュを渡したときの、位置 4 での gpt2_step のロジット",
        ),
    )
    assert_close(
        cache[0][0][:, :, :4],
        given[0][0],
        msg(
            en="the cached keys of positions 0..3, kept first",
            ja="先頭に残る位置 0〜3 のキャッシュ済みのキー",
        ),
    )


@pytest.mark.task("21.5")
def test_gpt2_step_stays_finite_at_huge_attention_scores(rng):
    ids, params = kink_free_case(rng, config(L=1), B=2, T=4)
    for key in ("Wq", "Wk"):
        params["blocks"][0]["attn"][key] = 30 * params["blocks"][0]["attn"][key]  # scores ~ 1e3
    with np.errstate(all="ignore"):
        logits, _ = step_through(ids, params, 2)
    assert_close(
        logits,
        forward_by_loop(ids, params, 2)[0],
        msg(
            en="gpt2_step's logits when the attention scores are about 1e3 (subtract each row's "
            "largest score before exp, or exp overflows)",
            ja="アテンションのスコアが 1e3 程度のときの gpt2_step のロジット(exp の前に各行の最大の"
            "スコアを引かないと exp があふれます)",
        ),
    )


@pytest.mark.task("21.5")
@pytest.mark.checks("mistake")
def test_generate_equals_recomputation(rng, seed):
    ids, params = kink_free_case(rng, config(T_max=8, V=9), B=3, T=3)
    for temperature, top_k, top_p in [(1.0, None, None), (0.8, 4, None), (1.5, None, 0.9)]:
        out = gpt2.generate(params, ids, 5, 2, temperature, top_k, top_p, seed)
        want = generate_by_recomputing(params, ids, 5, 2, temperature, top_k, top_p, seed)
        if np.shape(out) == want.shape and not np.array_equal(out, want):
            same_seed = ids.copy()
            for _ in range(5):
                logits = forward_by_loop(same_seed, params, 2)[0][:, -1]
                same_seed = np.concatenate(
                    [same_seed, sample_by_hand(logits, temperature, top_k, top_p, seed)[:, None]], 1
                )
            assert not np.array_equal(out, same_seed), msg(
                en="generate drew every token with the same seed; token i uses seed + i "
                "(sample_next(..., seed=seed + i)), so the draws differ from step to step",
                ja="generate がすべてのトークンを同じ seed で引いています。i 番目のトークンは "
                "seed + i を使うので(sample_next(..., seed=seed + i))、ステップごとに違う乱数です",
            )
            twice = generate_by_recomputing(
                params,
                ids,
                5,
                2,
                temperature,
                top_k,
                top_p,
                seed,
                feed=lambda s: np.concatenate([s[:, :3], s[:, 2:]], axis=1),
            )
            assert not np.array_equal(out, twice), msg(
                en="generate fed the prompt's last token twice (once while reading the prompt, "
                "again for the first new token): every position goes through gpt2_step once, so "
                "its logits from reading the prompt are the first new token's",
                ja="generate がプロンプトの最後のトークンを 2 回通しています(プロンプトを読むときと、"
                "最初の新しいトークンのときに)。どの位置も gpt2_step を 1 回だけ通るので、"
                "プロンプトを読んだときのロジットが最初の新しいトークンのためのものです",
            )
        assert np.shape(out) == want.shape and np.array_equal(out, want), msg(
            en=f"generate(temperature={temperature}, top_k={top_k}, top_p={top_p}, seed={seed}) gave "
            f"{num(np.asarray(out)[0])} for the first row, expected {num(want[0])}: running the "
            "whole forward pass again before every token and sampling its last position with "
            "sample_next(..., seed=seed + i) for new token i = 0, 1, ... gives that",
            ja=f"generate(temperature={temperature}, top_k={top_k}, top_p={top_p}, seed={seed}) の"
            f"最初の行が {num(np.asarray(out)[0])} でしたが、{num(want[0])} のはずです。毎トークン"
            "順伝播をやり直し、i 番目(0 から数える)の新しいトークンを最後の位置から "
            "sample_next(..., seed=seed + i) で引くとそうなります",
        )


@pytest.mark.task("21.5")
def test_generate_greedy_fills_the_context_and_uses_the_defaults(rng, seed):
    ids, params = kink_free_case(rng, config(T_max=7), B=2, T=1)
    out = gpt2.generate(params, ids, 6, 2, temperature=0.0)  # T0 + n_new = T_max
    want = np.array(ids)
    for _ in range(6):
        logits = forward_by_loop(want, params, 2)[0][:, -1]
        want = np.concatenate([want, np.argmax(logits, axis=-1)[:, None]], 1)
    assert np.array_equal(out, want), msg(
        en=f"greedy generate (temperature 0) up to T_max gave {num(np.asarray(out)[0])} for the "
        f"first row, expected {num(want[0])}: the argmax of the last position, token after token",
        ja=f"温度 0 の generate(T_max まで)の最初の行が {num(np.asarray(out)[0])} でしたが、"
        f"{num(want[0])} のはずです。トークンごとに最後の位置の argmax を取ります",
    )
    default = gpt2.generate(params, ids, 3, 2)
    assert np.array_equal(
        default, generate_by_recomputing(params, ids, 3, 2, 1.0, None, None, 0)
    ), msg(
        en="generate(params, prompt_ids, n_new, n_heads) should use the defaults temperature=1.0, "
        "no top_k or top_p, seed=0",
        ja="generate(params, prompt_ids, n_new, n_heads) は既定値 temperature=1.0、top_k と top_p "
        "なし、seed=0 を使うはずです",
    )
