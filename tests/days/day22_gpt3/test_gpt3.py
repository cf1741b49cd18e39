"""day22 suite: GPT-3's scale (parameter counts, training compute), few-shot prompts,
multiple-choice scoring by log-likelihood, and the locally banded sparse attention masks.

Counts are checked against the published sizes (GPT-2 small 124,439,808 and its medium,
large and XL siblings; GPT-3 175B, Table D.1 of Brown et al. 2020: 174.6B parameters, 300B
tokens, 3.14e23 FLOPs) and against the sizes of a params dict built here array by array.
Prompts are checked against the paper's own example and lines joined here. Scores are checked
on models built here by hand, whose log-probabilities are known in closed form (zero blocks
and a scaled final layer norm make gpt2_forward a bigram table), and on a random model
against a token-by-token loop that calls day 21's gpt2_forward (the same one the learner's
gpt3.py imports) once per prefix. Masks are checked against double loops over (i, j) and
a hand-written 4 x 4 case. Shapes: V vocabulary, C width, L layers, T length, K choices."""

from __future__ import annotations

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    implementation,
    msg,
    num,
)

gpt3 = implementation("day22_gpt3.gpt3")

GPT2_SMALL = {
    "vocab_size": 50257, "max_len": 1024, "d_model": 768, "n_layers": 12, "n_heads": 12,
    "d_ff": 3072,
}  # fmt: skip
GPT3_175B = {
    "vocab_size": 50257, "max_len": 2048, "d_model": 12288, "n_layers": 96, "n_heads": 96,
    "d_ff": 49152,
}  # fmt: skip


def config_of(V, T_max, C, L, H, F) -> dict:
    return {"vocab_size": V, "max_len": T_max, "d_model": C, "n_layers": L, "n_heads": H,
            "d_ff": F}  # fmt: skip


def random_config(rng) -> dict:
    H = int(rng.integers(1, 4))
    return config_of(
        V=int(rng.integers(5, 60)),
        T_max=int(rng.integers(4, 40)),
        C=H * int(rng.integers(1, 6)),
        L=int(rng.integers(1, 4)),
        H=H,
        F=int(rng.integers(2, 30)),
    )


def random_params(rng, config: dict, std: float = 0.5) -> dict:
    """A model of day 21's layout, every array drawn at random (layer norms too)."""
    V, T_max, C = config["vocab_size"], config["max_len"], config["d_model"]
    L, F = config["n_layers"], config["d_ff"]

    def normal(*shape):
        return std * rng.standard_normal(shape)

    def ln():
        return {"gamma": 1 + normal(C), "beta": normal(C)}

    def block():
        attn = {"W" + n: normal(C, C) for n in "qkvo"} | {"b" + n: normal(C) for n in "qkvo"}
        ffn = {"W1": normal(C, F), "b1": normal(F), "W2": normal(F, C), "b2": normal(C)}
        return {"attn": attn, "ln1": ln(), "ffn": ffn, "ln2": ln()}

    return {
        "wte": normal(V, C),
        "wpe": normal(T_max, C),
        "blocks": [block() for _ in range(L)],
        "ln_f": ln(),
    }


def size_of(tree) -> int:
    """How many numbers a nested dict/list of arrays holds."""
    if isinstance(tree, dict):
        return sum(size_of(v) for v in tree.values())
    if isinstance(tree, list):
        return sum(size_of(v) for v in tree)
    return int(np.asarray(tree).size)


def log_softmax(z: np.ndarray) -> np.ndarray:
    return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)


# ---------------------------------------------------------------- 22.1 count_parameters


@pytest.mark.task("22.1")
@pytest.mark.checks("inputs")
def test_count_parameters_leaves_the_config_unchanged(rng):
    assert_inputs_unchanged(gpt3.count_parameters, random_config(rng))


@pytest.mark.task("22.1")
@pytest.mark.checks("types")
def test_count_parameters_returns_an_int():
    count = gpt3.count_parameters(dict(GPT2_SMALL))
    assert_scalar(count, msg(en="the count of count_parameters", ja="count_parameters の数"), int)


@pytest.mark.task("22.1")
@pytest.mark.checks("mistake")
def test_count_parameters_counts_every_array_once(rng):
    config = random_config(rng)
    V, T_max, C = config["vocab_size"], config["max_len"], config["d_model"]
    L, F = config["n_layers"], config["d_ff"]
    right = size_of(random_params(rng, config))  # the arrays of a model, counted one by one
    count = gpt3.count_parameters(config)
    shown = f"V={V}, T_max={T_max}, C={C}, L={L}, F={F}"
    assert_not_mistake(
        count,
        right + V * C,
        msg(
            en=f"count_parameters counted an output layer (C, V) of its own ({shown}): in "
            "GPT-2 and GPT-3 the output layer is tied to wte (logits = h @ wte.T), so its "
            "V·C numbers are already counted once, in wte",
            ja=f"count_parameters が出力層 (C, V) を別に数えています({shown})。GPT-2 と GPT-3 では"
            "出力層は wte と共有(tied: logits = h @ wte.T)なので、その V·C 個は wte として"
            "1 回だけ数えます",
        ),
        correct=right,
    )
    assert_not_mistake(
        count,
        right - L * (4 * C + F + C),
        msg(
            en=f"count_parameters left out the biases ({shown}): every block has bq, bk, bv, "
            "bo (C,) and the feed-forward's b1 (F,) and b2 (C,), L·(5·C + F) numbers in all",
            ja=f"count_parameters がバイアスを数えていません({shown})。各ブロックに bq, bk, bv, bo "
            "(C,) とフィードフォワードの b1 (F,), b2 (C,) があり、全部で L·(5·C + F) 個です",
        ),
        correct=right,
    )
    assert_not_mistake(
        count,
        right - L * 4 * C - 2 * C,
        msg(
            en=f"count_parameters left out the layer norms ({shown}): ln1 and ln2 of every "
            "block and the final ln_f each have a gamma (C,) and a beta (C,), "
            "(4·L + 2)·C numbers in all",
            ja=f"count_parameters が層正規化を数えていません({shown})。各ブロックの ln1 と ln2、"
            "最後の ln_f はそれぞれ gamma (C,) と beta (C,) を持ち、全部で (4·L + 2)·C 個です",
        ),
        correct=right,
    )
    assert_not_mistake(
        count,
        right - T_max * C,
        msg(
            en=f"count_parameters left out the position embedding wpe (T_max, C) ({shown}): "
            "GPT learns one vector per position, T_max·C numbers",
            ja=f"count_parameters が位置埋め込み wpe (T_max, C) を数えていません({shown})。"
            "GPT は位置ごとにベクトルを 1 本学習するので T_max·C 個あります",
        ),
        correct=right,
    )
    assert count == right, msg(
        en=f"count_parameters gives {count} for {shown}, but a params dict of day 21's layout "
        f"holds {right} numbers",
        ja=f"count_parameters は {shown} に対して {count} を返しましたが、21 日目の形の params が"
        f"持つ数は {right} 個です",
    )


@pytest.mark.task("22.1")
@pytest.mark.parametrize(
    ("name", "C", "L", "published"),
    [
        ("GPT-2 small", 768, 12, 124_439_808),
        ("GPT-2 medium", 1024, 24, 354_823_168),
        ("GPT-2 large", 1280, 36, 774_030_080),
        ("GPT-2 XL", 1600, 48, 1_557_611_200),
    ],
)
def test_count_parameters_gives_the_published_gpt2_sizes(name, C, L, published):
    config = config_of(V=50257, T_max=1024, C=C, L=L, H=C // 64, F=4 * C)
    count = gpt3.count_parameters(config)
    assert count == published, msg(
        en=f"{name} (V=50257, T_max=1024, C={C}, L={L}, F={4 * C}) has {published:,} "
        f"parameters, count_parameters gives {count:,}",
        ja=f"{name}(V=50257, T_max=1024, C={C}, L={L}, F={4 * C})のパラメータは {published:,} "
        f"個ですが、count_parameters は {count:,} を返しました",
    )


@pytest.mark.task("22.1")
def test_count_parameters_gives_gpt3_175b():
    count = gpt3.count_parameters(dict(GPT3_175B))
    assert abs(count - 175e9) <= 0.005 * 175e9, msg(
        en=f"GPT-3 175B (V=50257, T_max=2048, C=12288, L=96, F=49152) has about 175e9 "
        f"parameters (174.6e9, Table D.1 of the paper); count_parameters gives {count:,}",
        ja=f"GPT-3 175B(V=50257, T_max=2048, C=12288, L=96, F=49152)のパラメータは約 175e9 個"
        f"(論文の表 D.1 では 174.6e9)ですが、count_parameters は {count:,} を返しました",
    )


@pytest.mark.task("22.1")
def test_count_parameters_ignores_the_heads_and_handles_no_blocks(rng):
    config = random_config(rng)
    V, T_max, C = config["vocab_size"], config["max_len"], config["d_model"]
    other = config | {"n_heads": C}  # C heads of width 1: the same arrays
    assert gpt3.count_parameters(other) == gpt3.count_parameters(config), msg(
        en="count_parameters changed with n_heads: the heads split C, they add no parameters",
        ja="count_parameters が n_heads で変わりました。ヘッドは C を分けるだけで、パラメータは"
        "増えません",
    )
    empty = config | {"n_layers": 0}
    want = V * C + T_max * C + 2 * C  # wte, wpe and ln_f only
    got = gpt3.count_parameters(empty)
    assert got == want, msg(
        en=f"with n_layers = 0 a model is wte, wpe and ln_f: V·C + T_max·C + 2·C = {want}, "
        f"count_parameters gives {got}",
        ja=f"n_layers = 0 のモデルは wte, wpe, ln_f だけで V·C + T_max·C + 2·C = {want} 個ですが、"
        f"count_parameters は {got} を返しました",
    )


@pytest.mark.task("22.1")
def test_count_parameters_is_exact_beyond_float_precision():
    # About 8e19 parameters: more than an int64 holds (9.2e18), and more digits than a float64.
    V, T_max, C, L, F = 10**9 + 1, 10**9, 10**6, 10**7 + 1, 4 * 10**6 + 1
    config = config_of(V=V, T_max=T_max, C=C, L=L, H=1, F=F)
    want = V * C + T_max * C + L * (4 * C * C + 4 * C + 2 * C * F + F + C + 4 * C) + 2 * C
    got = gpt3.count_parameters(config)
    assert isinstance(got, int) and got == want, msg(
        en=f"count_parameters must be exact at any size (Python ints do not overflow or round): "
        f"expected {want}, got {got!r}; keep the arithmetic in Python ints (no float, no "
        "np.int64)",
        ja=f"count_parameters はどんな大きさでも正確なはずです(Python の int はあふれも丸めも"
        f"しません)。正しくは {want} ですが {got!r} でした。計算は Python の int のまま行いましょう"
        "(float や np.int64 を使わない)",
    )


# ---------------------------------------------------------------- 22.2 training_compute


@pytest.mark.task("22.2")
@pytest.mark.checks("types")
def test_training_compute_returns_a_float():
    flops = gpt3.training_compute(10**9, 10**10)  # ints in, a float out
    assert_scalar(flops, msg(en="the FLOPs of training_compute", ja="training_compute の FLOPs"))


@pytest.mark.task("22.2")
@pytest.mark.checks("mistake")
def test_training_compute_is_six_n_d(rng):
    N = float(rng.uniform(1e6, 1e12))
    D = float(rng.uniform(1e6, 1e12))
    flops = gpt3.training_compute(N, D)
    shown = f"N = {num(N)}, D = {num(D)}"
    assert_not_mistake(
        flops,
        2 * N * D,
        msg(
            en=f"training_compute gave 2·N·D ({shown}), the forward pass only: the backward "
            "pass costs twice the forward (4·N·D), so training is 6·N·D",
            ja=f"training_compute が 2·N·D を返しました({shown})。これは順伝播だけです。逆伝播は"
            "順伝播の 2 倍(4·N·D)かかるので、学習全体は 6·N·D です",
        ),
    )
    assert_not_mistake(
        flops,
        4 * N * D,
        msg(
            en=f"training_compute gave 4·N·D ({shown}), as if the backward pass cost as much as "
            "the forward: it costs twice as much (gradients for the activations and for the "
            "weights), 2·N·D + 4·N·D = 6·N·D",
            ja=f"training_compute が 4·N·D を返しました({shown})。逆伝播が順伝播と同じコストとして"
            "数えています。逆伝播は 2 倍かかり(活性と重みの両方の勾配)、2·N·D + 4·N·D = 6·N·D です",
        ),
    )
    assert_close(
        flops,
        6 * N * D,
        msg(en=f"training_compute for {shown}", ja=f"{shown} の training_compute"),
    )


@pytest.mark.task("22.2")
def test_training_compute_of_gpt3_is_3_14e23():
    # Table D.1 of Brown et al. (2020): 174.6B parameters, 300B tokens, 3.14E+23 FLOPs.
    flops = gpt3.training_compute(174.6e9, 300e9)
    assert abs(flops - 3.14e23) <= 0.005 * 3.14e23, msg(
        en=f"GPT-3 175B (174.6e9 parameters) trained on 300e9 tokens took about 3.14e23 FLOPs "
        f"(Table D.1 of the paper); training_compute gives {num(flops)}",
        ja=f"GPT-3 175B(174.6e9 パラメータ)を 300e9 トークンで学習した計算量は約 3.14e23 FLOPs "
        f"(論文の表 D.1)ですが、training_compute は {num(flops)} を返しました",
    )


@pytest.mark.task("22.2")
def test_training_compute_takes_ints_of_any_size():
    flops = gpt3.training_compute(175 * 10**9, 300 * 10**9)
    assert_close(
        flops,
        6 * 175 * 300 * 1e18,
        msg(
            en="training_compute for N = 175e9 and D = 300e9 given as ints",
            ja="N = 175e9, D = 300e9 を int で与えたときの training_compute",
        ),
    )


# ---------------------------------------------------------------- 22.3 few_shot_prompt

PAPER_INSTRUCTION = "Translate English to French:"
PAPER_EXAMPLES = [
    ("sea otter", "loutre de mer"),
    ("peppermint", "menthe poivrée"),
    ("plush girafe", "girafe peluche"),
]


def random_word(rng) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(letters[i] for i in rng.integers(0, 26, int(rng.integers(2, 8))))


def prompt_by_lines(instruction, examples, query, k) -> str:
    text = ""
    if instruction != "":
        text += instruction + "\n"
    for i in range(k):
        text += examples[i][0] + " => " + examples[i][1] + "\n"
    return text + query + " =>"


def show(text: str) -> str:
    """A prompt on one line of a message: newlines as \\n."""
    return repr(text)


@pytest.mark.task("22.3")
@pytest.mark.checks("inputs")
def test_few_shot_prompt_leaves_the_examples_unchanged():
    examples = [tuple(e) for e in PAPER_EXAMPLES]
    assert_inputs_unchanged(gpt3.few_shot_prompt, PAPER_INSTRUCTION, examples, "cheese", 2)


@pytest.mark.task("22.3")
@pytest.mark.checks("types")
def test_few_shot_prompt_returns_a_str():
    prompt = gpt3.few_shot_prompt(PAPER_INSTRUCTION, list(PAPER_EXAMPLES), "cheese", 1)
    assert isinstance(prompt, str), msg(
        en=f"few_shot_prompt should return one str, got {type(prompt).__name__}: join the "
        'lines with "\\n".join(lines)',
        ja=f"few_shot_prompt は str を 1 つ返すはずですが、{type(prompt).__name__} でした。"
        '"\\n".join(lines) で行をつなぎましょう',
    )


@pytest.mark.task("22.3")
@pytest.mark.checks("mistake")
def test_few_shot_prompt_follows_the_paper(rng):
    examples = [(random_word(rng), random_word(rng)) for _ in range(4)]
    query = random_word(rng)
    k = int(rng.integers(1, 4))  # fewer than all of them
    prompt = gpt3.few_shot_prompt(PAPER_INSTRUCTION, examples, query, k)
    right = prompt_by_lines(PAPER_INSTRUCTION, examples, query, k)
    wrong_k = [
        prompt_by_lines(PAPER_INSTRUCTION, examples, query, len(examples)),
        prompt_by_lines(PAPER_INSTRUCTION, examples[len(examples) - k :], query, k),
    ]
    assert prompt not in wrong_k, msg(
        en=f"few_shot_prompt with k = {k} of {len(examples)} examples did not use exactly the "
        f"first k as demonstrations: got {show(prompt)}; take examples[:k]",
        ja=f"few_shot_prompt が {len(examples)} 個の例のうち k = {k} 個のとき、最初の k 個だけを"
        f"お手本にしていません: {show(prompt)}。examples[:k] を使いましょう",
    )
    for end in (" ", "\n"):
        assert prompt != right + end, msg(
            en=f"few_shot_prompt ends with {end!r} after the final '=>': nothing may follow it, "
            "the model's answer begins with its own space (got " + show(prompt) + ")",
            ja=f"few_shot_prompt が最後の '=>' の後に {end!r} を付けています。後ろには何も付けません。"
            "モデルの答えが自分の空白から始まります(" + show(prompt) + ")",
        )
    assert prompt == right, msg(
        en=f"few_shot_prompt gives {show(prompt)}, expected {show(right)}",
        ja=f"few_shot_prompt は {show(prompt)} を返しましたが、正しくは {show(right)} です",
    )


@pytest.mark.task("22.3")
@pytest.mark.checks("mistake")
def test_few_shot_prompt_without_an_instruction_has_no_empty_line(rng):
    examples = [(random_word(rng), random_word(rng)) for _ in range(2)]
    prompt = gpt3.few_shot_prompt("", examples, "cheese", 2)
    right = prompt_by_lines("", examples, "cheese", 2)
    assert prompt != "\n" + right, msg(
        en='with instruction "" the prompt starts with an empty line: leave the '
        "instruction's line out altogether (got " + show(prompt) + ")",
        ja='instruction が "" なのにプロンプトが空行から始まっています。指示の行ごと省きましょう'
        "(" + show(prompt) + ")",
    )
    assert prompt == right, msg(
        en=f'few_shot_prompt with instruction "" gives {show(prompt)}, expected {show(right)}',
        ja=f'instruction が "" の few_shot_prompt は {show(prompt)} を返しましたが、正しくは '
        f"{show(right)} です",
    )


@pytest.mark.task("22.3")
def test_few_shot_prompt_readme_example():
    prompt = gpt3.few_shot_prompt(PAPER_INSTRUCTION, list(PAPER_EXAMPLES), "cheese", 1)
    right = "Translate English to French:\nsea otter => loutre de mer\ncheese =>"
    assert prompt == right, msg(
        en=f"the paper's one-shot example: expected {show(right)}, got {show(prompt)}",
        ja=f"論文の one-shot の例: 正しくは {show(right)} ですが、{show(prompt)} でした",
    )


@pytest.mark.task("22.3")
@pytest.mark.parametrize("k", [0, 3], ids=["zero-shot", "all"])
def test_few_shot_prompt_zero_shot_and_every_example(k):
    prompt = gpt3.few_shot_prompt(PAPER_INSTRUCTION, list(PAPER_EXAMPLES), "cheese", k)
    lines = [PAPER_INSTRUCTION] + [f"{x} => {y}" for x, y in PAPER_EXAMPLES[:k]] + ["cheese =>"]
    right = "\n".join(lines)
    assert prompt == right, msg(
        en=f"few_shot_prompt with k = {k}: expected {show(right)}, got {show(prompt)}",
        ja=f"k = {k} の few_shot_prompt: 正しくは {show(right)} ですが、{show(prompt)} でした",
    )


@pytest.mark.task("22.3")
def test_few_shot_prompt_zero_shot_without_instruction_is_the_query_line():
    prompt = gpt3.few_shot_prompt("", [], "cheese", 0)
    assert prompt == "cheese =>", msg(
        en=f'no instruction and k = 0: the prompt is the one line "cheese =>", got {show(prompt)}',
        ja=f'指示がなく k = 0 なら、プロンプトは 1 行 "cheese =>" のはずですが、{show(prompt)} でした',
    )


# ---------------------------------------------------------------- 22.4 score_choices

SCALE = 1000.0  # embeddings this large make every layer norm exact to ~eps / SCALE², 1e-11


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """Each row with mean 0 and (biased) variance 1, as a layer norm leaves it."""
    rows = rows - rows.mean(axis=1, keepdims=True)
    return rows / rows.std(axis=1, keepdims=True)


def bigram_model(W: np.ndarray, G: np.ndarray, b: np.ndarray, T_max: int, n_layers: int = 1):
    """Params of day 21's layout that make gpt2_forward a bigram model, and its table.

    W: (V, C) rows of mean 0, variance 1. wte = SCALE·W and wpe = 0, so x = SCALE·W[a] at a
    position holding token a; every block's weights and biases are 0, so a block adds
    nothing (attention and feed-forward output 0); ln_f(x) = W[a] (the layer norm removes
    SCALE), times gamma = G / SCALE plus beta = b / SCALE; logits = that @ wte.T, so
    logits after token a = table[a] = (G·W[a] + b) @ W.T, whatever came before."""
    V, C = W.shape
    zeros = {"W" + n: np.zeros((C, C)) for n in "qkvo"} | {"b" + n: np.zeros(C) for n in "qkvo"}

    def block():
        return {
            "attn": {key: value.copy() for key, value in zeros.items()},
            "ln1": {"gamma": np.ones(C), "beta": np.zeros(C)},
            "ffn": {
                "W1": np.zeros((C, 3)),
                "b1": np.zeros(3),
                "W2": np.zeros((3, C)),
                "b2": np.zeros(C),
            },  # fmt: skip
            "ln2": {"gamma": np.ones(C), "beta": np.zeros(C)},
        }

    params = {
        "wte": SCALE * W,
        "wpe": np.zeros((T_max, C)),
        "blocks": [block() for _ in range(n_layers)],
        "ln_f": {"gamma": G / SCALE, "beta": b / SCALE},
    }
    table = (W * G + b) @ W.T  # (V, V): logits of the next token after token a
    return params, table


# The hand-built model of the sum-versus-mean test: 6 tokens, C = 4, each row +1 twice and
# -1 twice (mean 0, variance 1).
HAND_W = np.array(
    [[1, 1, -1, -1], [-1, -1, 1, 1], [1, -1, 1, -1], [-1, 1, -1, 1], [1, -1, -1, 1],
     [-1, 1, 1, -1]],
    dtype=float,
)  # fmt: skip
HAND_G = np.array([0.5, 0.25, 0.0, 0.0])
HAND_B = np.array([0.0, 0.0, 0.3, 0.1])


def random_bigram(rng, V=6, C=5, T_max=12, scale=1.0):
    W = unit_rows(rng.standard_normal((V, C)))
    G = scale * rng.uniform(0.5, 1.5, C) * rng.choice([-1, 1], C)
    b = scale * 0.5 * rng.standard_normal(C)
    return bigram_model(W, G, b, T_max)


def random_choices(rng, V, K=3, longest=3) -> list:
    lengths = [1, 2, longest][:K] if K <= 3 else rng.integers(1, longest + 1, K)
    return [rng.integers(0, V, int(n)) for n in lengths]


def bigram_scores(table, context, choices, normalize):
    """scores by the table: log p(choice[i] | the token before it), token by token."""
    lp = log_softmax(table)
    scores = []
    for choice in choices:
        previous = [context[-1]] + list(choice[:-1])
        ll = [lp[a, c] for a, c in zip(previous, choice)]
        scores.append(np.mean(ll) if normalize else np.sum(ll))
    return np.array(scores)


def scores_by_prefix(params, n_heads, context, choices, normalize):
    """Token by token, one gpt2_forward per prefix: log-softmax of the last position."""
    scores = []
    for choice in choices:
        ll = []
        for i in range(len(choice)):
            prefix = np.concatenate([context, choice[:i]]).astype(np.int64)[None]
            logits, _ = gpt3.gpt2_forward(prefix, params, n_heads)
            row = np.asarray(logits, dtype=float)[0, -1]
            ll.append(row[choice[i]] - np.logaddexp.reduce(row))
        scores.append(sum(ll) / len(ll) if normalize else sum(ll))
    return np.array(scores)


@pytest.mark.task("22.4")
@pytest.mark.checks("inputs")
def test_score_choices_leaves_its_inputs_unchanged(rng):
    params, _ = random_bigram(rng)
    context = rng.integers(0, 6, 3)
    assert_inputs_unchanged(gpt3.score_choices, params, 1, context, random_choices(rng, 6))


@pytest.mark.task("22.4")
@pytest.mark.checks("types")
@pytest.mark.parametrize("normalize", [True, False], ids=["mean", "sum"])
def test_score_choices_returns_k_float64_scores(normalize, rng):
    params, _ = random_bigram(rng)
    choices = random_choices(rng, 6)
    scores = gpt3.score_choices(params, 1, rng.integers(0, 6, 2), choices, normalize)
    assert_array(scores, (3,), msg(en="the scores of score_choices", ja="score_choices のスコア"))
    one = gpt3.score_choices(params, 1, rng.integers(0, 6, 2), choices[:1], normalize)
    assert_array(
        one, (1,), msg(en="the scores of score_choices for K = 1", ja="K = 1 のときのスコア")
    )


@pytest.mark.task("22.4")
@pytest.mark.checks("mistake")
@pytest.mark.parametrize("normalize", [True, False], ids=["mean", "sum"])
def test_score_choices_is_the_log_likelihood_of_each_choice(normalize, rng):
    params, table = random_bigram(rng)
    context = rng.integers(0, 6, int(rng.integers(1, 4)))
    choices = random_choices(rng, 6)
    scores = gpt3.score_choices(params, 1, context, choices, normalize)
    right = bigram_scores(table, context, choices, normalize)
    what = "mean" if normalize else "sum"
    lp = log_softmax(table)
    good = []  # the right log-probabilities, one list per choice
    own = []  # the token's own position predicts it: logits[T0 + i] instead of logits[T0 + i - 1]
    raw = []  # logits instead of log-probabilities
    whole = []  # the context scored too
    for choice in choices:
        own.append([lp[c, c] for c in choice])
        previous = [context[-1]] + list(choice[:-1])
        good.append([lp[a, c] for a, c in zip(previous, choice)])
        raw.append([table[a, c] for a, c in zip(previous, choice)])
        ids = list(context) + list(choice)
        whole.append([lp[a, c] for a, c in zip(ids[:-1], ids[1:])])
    reduce = np.mean if normalize else np.sum
    assert_not_mistake(
        scores,
        [reduce(s) for s in own],
        msg(
            en="score_choices read the logits at each choice token's own position: the logits "
            "at position t predict the token at t + 1, so the first choice token is scored by "
            "the context's last position, logits[T0 - 1], and the last choice position's logits "
            "are not used",
            ja="score_choices が選択肢の各トークンをそのトークン自身の位置の logits で評価しています。"
            "位置 t の logits は t + 1 のトークンを予測するので、選択肢の最初のトークンは文脈の最後の"
            "位置 logits[T0 - 1] で評価し、選択肢の最後の位置の logits は使いません",
        ),
        correct=right,
    )
    assert_not_mistake(
        scores,
        [reduce(s) for s in raw],
        msg(
            en="score_choices added up raw logits: a score is a log-probability, the logits "
            "minus their log-sum-exp over the vocabulary (log-softmax), before picking the "
            "choice's token",
            ja="score_choices が logits をそのまま足しています。スコアは対数確率です。選択肢の"
            "トークンを取り出す前に、語彙全体の log-sum-exp を引きましょう(log-softmax)",
        ),
        correct=right,
    )
    assert_not_mistake(
        scores,
        [(np.sum if normalize else np.mean)(s) for s in good],
        msg(
            en=f"score_choices with normalize={normalize} gave the "
            f"{'sum' if normalize else 'mean'} of the choice's log-probabilities: normalize="
            "True is the mean per token (the sum divided by the choice's length), False the sum",
            ja=f"normalize={normalize} の score_choices が対数確率の"
            f"{'合計' if normalize else '平均'}を返しました。normalize=True はトークンあたりの平均"
            "(合計を選択肢の長さで割ったもの)、False は合計です",
        ),
        correct=right,
    )
    assert_not_mistake(
        scores,
        [reduce(s) for s in whole],
        msg(
            en="score_choices scored the context's tokens too: only the choice's tokens count, "
            "p(choice | context), from position T0 - 1 on",
            ja="score_choices が文脈のトークンまで評価しています。数えるのは選択肢のトークンだけ、"
            "p(選択肢 | 文脈) で、位置 T0 - 1 からです",
        ),
        correct=right,
    )
    assert_close(
        scores,
        right,
        msg(
            en=f"score_choices ({what} of the log-probabilities) on a bigram model built by "
            "hand, against its table",
            ja=f"手で作った bigram モデルでの score_choices(対数確率の{'平均' if normalize else '合計'})"
            "を、その表から計算した値と比較",
        ),
    )


@pytest.mark.task("22.4")
def test_score_choices_sum_and_mean_can_pick_different_answers():
    # The hand model's log-probabilities after token 3: p(1 | 3) = e^-1.394 (one token),
    # p(5 | 3) = p(5 | 5) = e^-1.094. Choice A = [1] is one fairly likely token; choice B =
    # [5, 5] is two tokens, each likelier than A's, but their product is smaller:
    # sum:  A -1.394 > B -2.188  -> A;   mean: A -1.394 < B -1.094  -> B.
    params, table = bigram_model(HAND_W, HAND_G, HAND_B, T_max=8)
    lp = log_softmax(table)
    context = np.array([0, 3])  # only the last token matters to a bigram model
    choices = [np.array([1]), np.array([5, 5])]
    summed = gpt3.score_choices(params, 2, context, choices, normalize=False)
    mean = gpt3.score_choices(params, 2, context, choices, normalize=True)
    assert_close(
        summed,
        [lp[3, 1], lp[3, 5] + lp[5, 5]],
        msg(
            en="summed scores of A = [1] and B = [5, 5] after [0, 3] (log p(1|3) and "
            "log p(5|3) + log p(5|5))",
            ja="[0, 3] の後の A = [1] と B = [5, 5] の合計スコア(log p(1|3) と "
            "log p(5|3) + log p(5|5))",
        ),
    )
    assert_close(
        mean,
        [lp[3, 1], (lp[3, 5] + lp[5, 5]) / 2],
        msg(
            en="length-normalised scores of A = [1] and B = [5, 5] (the sums divided by 1 and 2)",
            ja="A = [1] と B = [5, 5] の長さで正規化したスコア(合計をそれぞれ 1 と 2 で割ったもの)",
        ),
    )
    assert np.argmax(summed) == 0 and np.argmax(mean) == 1, msg(
        en="the summed score must prefer the short choice A and the mean per token the "
        f"longer B; got sums {num(summed)} and means {num(mean)}",
        ja=f"合計スコアでは短い A、トークンあたりの平均では長い B が選ばれるはずですが、合計 {num(summed)}、"
        f"平均 {num(mean)} でした",
    )


@pytest.mark.task("22.4")
def test_score_choices_normalizes_by_default(rng):
    params, table = random_bigram(rng)
    context = rng.integers(0, 6, 2)
    choices = random_choices(rng, 6)
    default = gpt3.score_choices(params, 1, context, choices)
    assert_close(
        default,
        bigram_scores(table, context, choices, normalize=True),
        msg(
            en="score_choices without normalize (the default, True, gives the mean per token)",
            ja="normalize を省いた score_choices(既定値 True はトークンあたりの平均)",
        ),
    )


@pytest.mark.task("22.4")
@pytest.mark.parametrize("normalize", [True, False], ids=["mean", "sum"])
def test_score_choices_uses_the_whole_model(normalize, rng):
    # A random model with 2 heads and 2 layers: attention reads the whole prefix, so only the
    # right positions (with the right n_heads) give the scores of a prefix-by-prefix loop.
    config = config_of(V=7, T_max=10, C=6, L=2, H=2, F=8)
    params = random_params(rng, config)
    context = rng.integers(0, 7, int(rng.integers(1, 4)))
    choices = random_choices(rng, 7)
    scores = gpt3.score_choices(params, 2, context, choices, normalize)
    assert_close(
        scores,
        scores_by_prefix(params, 2, context, choices, normalize),
        msg(
            en="score_choices on a random 2-layer model with 2 heads, against one gpt2_forward "
            "per prefix (the log-softmax at the last position, token by token)",
            ja="2 層・2 ヘッドのランダムなモデルでの score_choices を、接頭辞ごとに 1 回ずつ "
            "gpt2_forward を呼ぶ計算(最後の位置の log-softmax をトークンごとに)と比較",
        ),
    )


@pytest.mark.task("22.4")
def test_score_choices_one_token_context_and_choices_of_every_length(rng):
    params, table = random_bigram(rng, T_max=6)
    context = rng.integers(0, 6, 1)  # T0 = 1: the first choice token is predicted at position 0
    choices = [rng.integers(0, 6, n) for n in (5, 1, 3, 2)]  # the longest fills T_max
    scores = gpt3.score_choices(params, 1, context, choices, normalize=False)
    assert_close(
        scores,
        bigram_scores(table, context, choices, normalize=False),
        msg(
            en="score_choices with a one-token context and choices of lengths 5, 1, 3 and 2",
            ja="文脈が 1 トークンで、選択肢の長さが 5, 1, 3, 2 のときの score_choices",
        ),
    )


@pytest.mark.task("22.4")
def test_score_choices_survives_huge_logits(rng):
    params, table = random_bigram(rng, scale=400.0)  # logits in the thousands
    context = rng.integers(0, 6, 2)
    choices = random_choices(rng, 6)
    scores = gpt3.score_choices(params, 1, context, choices, normalize=False)
    assert_close(
        scores,
        bigram_scores(table, context, choices, normalize=False),
        msg(
            en=f"score_choices with logits up to {num(np.abs(table).max())} (a log-softmax that "
            "survives them is z - logsumexp(z) with np.logaddexp.reduce, never log(exp(z) / sum))",
            ja=f"logits が最大 {num(np.abs(table).max())} のときの score_choices(これに耐える "
            "log-softmax は np.logaddexp.reduce による z - logsumexp(z) で、log(exp(z) / sum) "
            "ではありません)",
        ),
        rtol=1e-9,
    )


# ---------------------------------------------------------------- 22.5 banded_causal_mask


def banded_by_loop(T: int, window: int) -> np.ndarray:
    mask = np.zeros((T, T), dtype=bool)
    for i in range(T):
        for j in range(T):
            mask[i, j] = i - window < j <= i
    return mask


def show_mask(mask) -> str:
    return "\n" + "\n".join("".join("x" if m else "." for m in row) for row in np.asarray(mask))


@pytest.mark.task("22.5")
@pytest.mark.checks("types")
def test_banded_causal_mask_returns_a_bool_t_by_t_array():
    mask = gpt3.banded_causal_mask(5, 2)
    assert_array(mask, (5, 5), msg(en="the banded mask", ja="帯状マスク"), dtype=bool)


@pytest.mark.task("22.5")
@pytest.mark.checks("mistake")
def test_banded_causal_mask_sees_the_window_most_recent_keys(rng):
    T = int(rng.integers(6, 12))
    window = int(rng.integers(2, T - 2))
    mask = np.asarray(gpt3.banded_causal_mask(T, window))
    right = banded_by_loop(T, window)
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    assert mask.shape != right.shape or not np.array_equal(mask, (j <= i) & (j >= i - window)), msg(
        en=f"banded_causal_mask(T={T}, window={window}) lets each query see window + 1 keys: "
        "the keys are j with i - window < j <= i, the query itself and the window - 1 "
        "before it" + show_mask(mask),
        ja=f"banded_causal_mask(T={T}, window={window}) で各クエリが window + 1 個のキーを"
        "見ています。キーは i - window < j <= i を満たす j で、クエリ自身とその前の "
        "window - 1 個です" + show_mask(mask),
    )
    assert mask.shape != right.shape or not np.array_equal(mask, np.abs(i - j) < window), msg(
        en=f"banded_causal_mask(T={T}, window={window}) lets a query see the future (keys "
        "after it): the band is causal, j <= i, as well as local" + show_mask(mask),
        ja=f"banded_causal_mask(T={T}, window={window}) でクエリが未来(自分より後のキー)を"
        "見ています。帯は局所的であるだけでなく因果的 (j <= i) です" + show_mask(mask),
    )
    assert mask.shape != right.shape or not np.array_equal(mask, ~right), msg(
        en=f"banded_causal_mask(T={T}, window={window}) is inverted: True marks the keys a "
        "query may attend to, not the blocked ones" + show_mask(mask),
        ja=f"banded_causal_mask(T={T}, window={window}) が反転しています。True は見てよいキーの"
        "印で、禁止するキーではありません" + show_mask(mask),
    )
    assert np.array_equal(mask, right), msg(
        en=f"banded_causal_mask(T={T}, window={window}) should be True exactly where "
        f"i - window < j <= i (x below); got{show_mask(mask)}\nexpected{show_mask(right)}",
        ja=f"banded_causal_mask(T={T}, window={window}) は i - window < j <= i のところだけ "
        f"True のはずです(x が True)。結果:{show_mask(mask)}\n正しくは:{show_mask(right)}",
    )


@pytest.mark.task("22.5")
def test_banded_causal_mask_readme_example():
    right = np.array(
        [[1, 0, 0, 0],
         [1, 1, 0, 0],
         [0, 1, 1, 0],
         [0, 0, 1, 1]],
        dtype=bool,
    )  # fmt: skip
    mask = gpt3.banded_causal_mask(4, 2)
    assert np.array_equal(mask, right), msg(
        en=f"banded_causal_mask(4, 2): each query sees itself and the one before{show_mask(right)}"
        f"\ngot{show_mask(mask)}",
        ja=f"banded_causal_mask(4, 2): 各クエリは自分と 1 つ前だけを見ます{show_mask(right)}"
        f"\n結果:{show_mask(mask)}",
    )


@pytest.mark.task("22.5")
@pytest.mark.parametrize(("T", "window"), [(5, 1), (5, 5), (4, 9), (1, 1)])
def test_banded_causal_mask_edges(T, window):
    mask = gpt3.banded_causal_mask(T, window)
    right = np.eye(T, dtype=bool) if window == 1 else np.tril(np.ones((T, T), dtype=bool))
    name = "the diagonal (each query sees itself only)" if window == 1 else "the dense causal mask"
    name_ja = "対角(各クエリは自分だけを見る)" if window == 1 else "密な因果マスク"
    assert np.array_equal(mask, right), msg(
        en=f"banded_causal_mask(T={T}, window={window}) should be {name}; got{show_mask(mask)}",
        ja=f"banded_causal_mask(T={T}, window={window}) は{name_ja}のはずです。結果:"
        f"{show_mask(mask)}",
    )


@pytest.mark.task("22.5")
def test_banded_causal_mask_rows_count_min_of_position_and_window(rng):
    T = int(rng.integers(5, 30))
    window = int(rng.integers(1, T))
    mask = np.asarray(gpt3.banded_causal_mask(T, window))
    counts = mask.sum(axis=1)
    want = np.minimum(np.arange(T) + 1, window)
    assert np.array_equal(counts, want), msg(
        en=f"row i of banded_causal_mask(T={T}, window={window}) should hold min(i + 1, window) "
        f"keys: {num(want)}; got {num(counts)}",
        ja=f"banded_causal_mask(T={T}, window={window}) の i 行目のキーの数は min(i + 1, window) "
        f"のはずです: {num(want)}。結果は {num(counts)} でした",
    )


# ---------------------------------------------------------------- 22.6 layer_attention_masks


@pytest.mark.task("22.6")
@pytest.mark.checks("types")
def test_layer_attention_masks_returns_a_bool_l_t_t_array():
    masks = gpt3.layer_attention_masks(3, 5, 2)
    assert_array(masks, (3, 5, 5), msg(en="the layers' masks", ja="各層のマスク"), dtype=bool)


@pytest.mark.task("22.6")
@pytest.mark.checks("mistake")
def test_layer_attention_masks_alternate_dense_and_banded(rng):
    L = int(rng.integers(2, 7))
    T = int(rng.integers(5, 10))
    window = int(rng.integers(2, T - 1))
    masks = np.asarray(gpt3.layer_attention_masks(L, T, window))
    dense = np.tril(np.ones((T, T), dtype=bool))
    banded = banded_by_loop(T, window)
    right = np.array([dense if layer % 2 == 0 else banded for layer in range(L)])
    swapped = np.array([banded if layer % 2 == 0 else dense for layer in range(L)])
    full = np.array(
        [np.ones((T, T), dtype=bool) if layer % 2 == 0 else banded for layer in range(L)]
    )
    assert masks.shape != right.shape or not np.array_equal(masks, swapped), msg(
        en=f"layer_attention_masks(L={L}) starts with a banded layer: layer 0 and every even "
        "layer are dense (causal), the odd layers banded",
        ja=f"layer_attention_masks(L={L}) が帯状の層から始まっています。0 層目と偶数番目の層が密"
        "(因果マスク)、奇数番目の層が帯状です",
    )
    assert masks.shape != right.shape or not np.array_equal(masks, full), msg(
        en=f"the dense layers of layer_attention_masks(L={L}) let queries see the future: "
        "dense means every earlier key, still causal (j <= i), a lower triangle"
        + show_mask(masks[0]),
        ja=f"layer_attention_masks(L={L}) の密な層でクエリが未来を見ています。密とは過去のキー"
        "すべてのことで、やはり因果的 (j <= i) な下三角です" + show_mask(masks[0]),
    )
    for layer in range(L):
        kind = "dense (causal)" if layer % 2 == 0 else f"banded (window {window})"
        kind_ja = "密(因果マスク)" if layer % 2 == 0 else f"帯状(window {window})"
        assert masks.shape == right.shape and np.array_equal(masks[layer], right[layer]), msg(
            en=f"layer {layer} of layer_attention_masks(L={L}, T={T}, window={window}) should be "
            f"{kind}:{show_mask(right[layer])}\ngot"
            + (show_mask(masks[layer]) if masks.shape == right.shape else f" shape {masks.shape}"),
            ja=f"layer_attention_masks(L={L}, T={T}, window={window}) の {layer} 層目は{kind_ja}の"
            f"はずです:{show_mask(right[layer])}\n結果:"
            + (show_mask(masks[layer]) if masks.shape == right.shape else f" 形 {masks.shape}"),
        )


@pytest.mark.task("22.6")
def test_layer_attention_masks_with_no_layers_and_one_layer():
    none = gpt3.layer_attention_masks(0, 4, 2)
    assert_array(none, (0, 4, 4), msg(en="the masks of 0 layers", ja="0 層のマスク"), dtype=bool)
    one = np.asarray(gpt3.layer_attention_masks(1, 4, 2))
    assert one.shape == (1, 4, 4) and np.array_equal(one[0], np.tril(np.ones((4, 4), bool))), msg(
        en="one layer is layer 0, a dense causal layer" + show_mask(one.reshape(-1, 4)),
        ja="1 層だけなら 0 層目で、密な因果マスクです" + show_mask(one.reshape(-1, 4)),
    )


@pytest.mark.task("22.6")
def test_layer_attention_masks_window_reaches_the_banded_layers(rng):
    T = 6
    for window in (1, 3):
        masks = np.asarray(gpt3.layer_attention_masks(4, T, window))
        for layer in (1, 3):
            want = banded_by_loop(T, window)
            assert np.array_equal(masks[layer], want), msg(
                en=f"layer {layer} of layer_attention_masks(4, {T}, {window}) should be the "
                f"window-{window} band{show_mask(want)}\ngot{show_mask(masks[layer])}",
                ja=f"layer_attention_masks(4, {T}, {window}) の {layer} 層目は window {window} の"
                f"帯のはずです{show_mask(want)}\n結果:{show_mask(masks[layer])}",
            )
