"""day23 suite: the InstructGPT recipe's losses and DPO.

Every value is checked against the formulas written out here (plain loops over tokens, the
GAE recursion step by step, sigmoid by logaddexp), against hand-worked cases, against central
finite differences with a value check beside them, and at huge differences (±1e4), where a
naive log(sigmoid(d)) overflows. PPO's gradient must be exactly 0 where the paper's clip
removes the incentive, and only there. Shapes: N pairs, B responses, T tokens, V vocabulary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from checker.core.testing import (
    assert_array,
    assert_close,
    assert_grad_close,
    assert_inputs_unchanged,
    assert_not_mistake,
    assert_scalar,
    assert_tuple,
    implementation,
    msg,
)

rlhf = implementation("day23_chatgpt.rlhf")

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])


# ---------------------------------------------------------------- shared checks


def returned(result, name: str, names: str, count: int) -> tuple:
    return assert_tuple(result, count, name, names)


def check_loss_and_grads(result, name: str, names: str, shapes: list[tuple]) -> tuple:
    """(loss, *grads): a Python float and float64 arrays of the given shapes."""
    loss, *grads = returned(result, name, names, 1 + len(shapes))
    assert not isinstance(loss, np.ndarray), msg(
        en=f"the loss returned by {name} should be a Python float, got a NumPy array: "
        "return float(loss)",
        ja=f"{name} が返す損失は Python の float のはずですが、NumPy 配列でした。"
        "float(loss) を返しましょう",
    )
    assert_scalar(loss, msg(en=f"the loss returned by {name}", ja=f"{name} が返す損失"))
    for grad, shape in zip(grads, shapes):
        assert_array(grad, shape, msg(en=f"a gradient returned by {name}", ja=f"{name} が返す勾配"))
    return (loss, *grads)


def close(actual, expected, en: str, ja: str, rtol: float = 1e-7) -> None:
    assert_close(actual, expected, msg(en=en, ja=ja), rtol=rtol)


def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def softplus(x):
    """log(1 + e^x) = -log sigmoid(-x), without overflow."""
    return np.logaddexp(0.0, x)


# ---------------------------------------------------------------- 23.1 sft_loss


def sft_data(rng, B=2, T=5, V=4):
    logits = rng.standard_normal((B, T, V)) * 2
    targets = rng.integers(0, V, (B, T))
    prompt_lengths = [2, 3][:B] if B == 2 else [1] * B
    mask = np.arange(T)[None, :] >= np.array(prompt_lengths)[:, None]  # prompt first, then response
    mask[0, -1] = False  # and one padding token after a response
    return logits, targets, mask


def sft_naive(logits, targets, mask):
    """Token by token: -log softmax at the target, averaged over the response tokens."""
    logits = np.asarray(logits, dtype=float)
    B, T, V = logits.shape
    total, count = 0.0, 0
    per_token = np.zeros((B, T))
    for b in range(B):
        for t in range(T):
            row = logits[b, t]
            per_token[b, t] = np.logaddexp.reduce(row) - row[targets[b, t]]
            if mask[b, t]:
                total += per_token[b, t]
                count += 1
    return total / count, per_token


def sft_grad(logits, targets, mask):
    logits = np.asarray(logits, dtype=float)
    probs = np.exp(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[targets]
    return (probs - onehot) * mask[..., None] / mask.sum()


@pytest.mark.task("23.1")
@pytest.mark.checks("inputs")
def test_sft_loss_leaves_its_inputs_unchanged(rng):
    assert_inputs_unchanged(rlhf.sft_loss, *sft_data(rng))


@pytest.mark.task("23.1")
@pytest.mark.checks("types")
@DTYPES
def test_sft_loss_returns_a_float_and_float64_dlogits(dtype, rng):
    logits, targets, mask = sft_data(rng)
    result = rlhf.sft_loss(logits.astype(dtype), targets, mask)
    check_loss_and_grads(result, "sft_loss", "(loss, dlogits)", [logits.shape])


@pytest.mark.task("23.1")
@pytest.mark.checks("mistake")
def test_sft_loss_learns_the_response_only(rng):
    logits, targets, mask = sft_data(rng)
    loss, dlogits = rlhf.sft_loss(logits, targets, mask)
    right, per_token = sft_naive(logits, targets, mask)
    assert_not_mistake(
        loss,
        per_token.mean(),
        msg(
            en="sft_loss averaged over every token, prompt and padding included: SFT learns "
            "the response only, so average over the tokens where response_mask is True",
            ja="sft_loss がプロンプトやパディングも含めた全トークンで平均しています。SFT が学習するのは"
            "応答だけなので、response_mask が True のトークンだけで平均しましょう",
        ),
        correct=right,
    )
    assert_not_mistake(
        loss,
        (per_token * mask).sum() / mask.size,
        msg(
            en="sft_loss divided by all B·T positions; the mean is over the M response tokens "
            "(M = response_mask.sum()), in the loss and in the gradient",
            ja="sft_loss が B·T 個の全位置で割っています。平均は応答トークンの数 "
            "M = response_mask.sum() で取ります(損失も勾配も)",
        ),
        correct=right,
    )
    close(
        loss,
        right,
        "sft_loss against a token-by-token loop",
        "トークンごとのループで計算した sft_loss との比較",
    )
    close(
        dlogits,
        sft_grad(logits, targets, mask),
        "dlogits of sft_loss: (softmax - onehot) / M on response tokens, 0 elsewhere",
        "sft_loss の dlogits: 応答トークンでは (softmax - onehot) / M、それ以外は 0",
    )


@pytest.mark.task("23.1")
def test_sft_loss_readme_example():
    # V = 2, equal logits: every token has probability 1/2, loss = log 2 whatever is masked.
    # Positions 1 and 2 are the response (M = 2): dlogits = (1/2 - onehot) / 2 there, 0 at 0.
    logits = np.zeros((1, 3, 2))
    targets = np.array([[0, 1, 0]])
    mask = np.array([[False, True, True]])
    loss, dlogits = rlhf.sft_loss(logits, targets, mask)
    close(
        loss,
        math.log(2),
        "sft_loss with equal logits over 2 tokens",
        "2 トークンで logits が等しいときの sft_loss",
    )
    close(
        dlogits,
        [[[0.0, 0.0], [0.25, -0.25], [-0.25, 0.25]]],
        "dlogits of the README example",
        "README の例の dlogits",
    )


@pytest.mark.task("23.1")
def test_sft_loss_never_looks_at_the_prompt(rng):
    logits, targets, mask = sft_data(rng)
    loss, dlogits = rlhf.sft_loss(logits, targets, mask)
    assert np.all(dlogits[~mask] == 0), msg(
        en="dlogits must be exactly 0 at prompt and padding positions (response_mask False)",
        ja="プロンプトとパディングの位置(response_mask が False)では dlogits はちょうど 0 のはずです",
    )
    moved = logits.copy()
    moved[~mask] += 10 * rng.standard_normal(moved[~mask].shape)
    close(
        rlhf.sft_loss(moved, targets, mask)[0],
        loss,
        "sft_loss after changing only the prompt's logits (it must not change)",
        "プロンプトの logits だけを変えた後の sft_loss(変わらないはずです)",
    )


@pytest.mark.task("23.1")
def test_sft_loss_gradient_matches_finite_differences(rng):
    logits, targets, mask = sft_data(rng, B=2, T=4, V=3)
    loss, dlogits = rlhf.sft_loss(logits, targets, mask)
    close(
        loss,
        sft_naive(logits, targets, mask)[0],
        "sft_loss against a loop",
        "ループで計算した sft_loss との比較",
    )
    assert_grad_close(dlogits, lambda: rlhf.sft_loss(logits, targets, mask)[0], logits, "dlogits")


@pytest.mark.task("23.1")
def test_sft_loss_is_finite_at_huge_logits():
    # logits of ±1e4: the target has logit +1e4 at position 1 (loss 0) and -1e4 at 2 (loss 2e4)
    logits = np.array([[[1e4, -1e4], [1e4, -1e4], [1e4, -1e4]]])
    targets = np.array([[1, 0, 1]])
    mask = np.array([[False, True, True]])
    loss, dlogits = rlhf.sft_loss(logits, targets, mask)
    close(
        loss,
        1e4,
        "sft_loss at logits of ±1e4 (use log-sum-exp)",
        "logits が ±1e4 のときの sft_loss(log-sum-exp を使いましょう)",
    )
    close(
        dlogits,
        [[[0, 0], [0, 0], [0.5, -0.5]]],
        "dlogits at logits of ±1e4",
        "logits が ±1e4 のときの dlogits",
    )


# ---------------------------------------------------------------- 23.2 reward_model_loss


def pairs(rng, N=6, scale=3.0):
    r_chosen, r_rejected = rng.standard_normal((2, N)) * scale
    return r_chosen, r_rejected


@pytest.mark.task("23.2")
@pytest.mark.checks("inputs")
def test_reward_model_loss_leaves_its_inputs_unchanged(rng):
    assert_inputs_unchanged(rlhf.reward_model_loss, *pairs(rng))


@pytest.mark.task("23.2")
@pytest.mark.checks("types")
@DTYPES
def test_reward_model_loss_returns_a_float_and_two_float64_gradients(dtype, rng):
    r_chosen, r_rejected = pairs(rng)
    result = rlhf.reward_model_loss(r_chosen.astype(dtype), r_rejected.astype(dtype))
    shapes = [r_chosen.shape] * 2
    check_loss_and_grads(result, "reward_model_loss", "(loss, d_chosen, d_rejected)", shapes)


@pytest.mark.task("23.2")
@pytest.mark.checks("mistake")
def test_reward_model_loss_prefers_the_chosen_response(rng):
    r_chosen, r_rejected = pairs(rng)
    d = r_chosen - r_rejected
    loss, d_chosen, d_rejected = rlhf.reward_model_loss(r_chosen, r_rejected)
    right = softplus(-d).mean()
    assert_not_mistake(
        loss,
        softplus(d).mean(),
        msg(
            en="reward_model_loss rewards the rejected response: the loss is "
            "-log sigmoid(r_chosen - r_rejected), which is small when r_chosen is the larger",
            ja="reward_model_loss が却下された応答のほうを高く評価しています。損失は "
            "-log sigmoid(r_chosen - r_rejected) で、r_chosen が大きいほど小さくなります",
        ),
        correct=right,
    )
    assert_not_mistake(
        loss,
        softplus(-d).sum(),
        msg(
            en="reward_model_loss summed over the N pairs; it is their mean",
            ja="reward_model_loss が N 組の合計になっています。平均を取りましょう",
        ),
        correct=right,
    )
    close(
        loss,
        right,
        "reward_model_loss against -log sigmoid(d) computed here",
        "ここで計算した -log sigmoid(d) との比較",
    )
    push = sigmoid(-d) / d.size
    close(d_chosen, -push, "d_chosen: -sigmoid(-d) / N", "d_chosen: -sigmoid(-d) / N")
    close(d_rejected, push, "d_rejected: +sigmoid(-d) / N", "d_rejected: +sigmoid(-d) / N")


@pytest.mark.task("23.2")
def test_reward_model_loss_readme_example():
    # d = [0, log 3]: sigmoid(d) = [1/2, 3/4], loss = (log 2 + log 4/3) / 2 = log(8/3) / 2,
    # d_chosen = -sigmoid(-d) / 2 = [-1/4, -1/8]
    loss, d_chosen, d_rejected = rlhf.reward_model_loss(
        np.array([1.0, math.log(3)]), np.array([1.0, 0.0])
    )
    close(
        loss,
        math.log(8 / 3) / 2,
        "reward_model_loss of the README example",
        "README の例の reward_model_loss",
    )
    close(d_chosen, [-0.25, -0.125], "d_chosen of the README example", "README の例の d_chosen")
    close(d_rejected, [0.25, 0.125], "d_rejected of the README example", "README の例の d_rejected")


@pytest.mark.task("23.2")
def test_reward_model_loss_is_finite_at_huge_differences():
    # d = +1e4: loss e^-1e4 ≈ 0, no push; d = -1e4: loss 1e4, full push 1/N
    loss, d_chosen, d_rejected = rlhf.reward_model_loss(np.array([1e4, -1e4]), np.array([0.0, 0.0]))
    close(
        loss,
        1e4 / 2,
        "reward_model_loss at d = ±1e4 (use np.logaddexp(0, -d))",
        "d = ±1e4 での reward_model_loss(np.logaddexp(0, -d) を使いましょう)",
    )
    close(d_chosen, [0.0, -0.5], "d_chosen at d = ±1e4", "d = ±1e4 での d_chosen")
    close(d_rejected, [0.0, 0.5], "d_rejected at d = ±1e4", "d = ±1e4 での d_rejected")


@pytest.mark.task("23.2")
def test_reward_model_loss_gradient_matches_finite_differences(rng):
    r_chosen, r_rejected = pairs(rng, N=5, scale=1.5)
    loss, d_chosen, d_rejected = rlhf.reward_model_loss(r_chosen, r_rejected)
    close(loss, softplus(r_rejected - r_chosen).mean(), "reward_model_loss", "reward_model_loss")
    assert_grad_close(
        d_chosen, lambda: rlhf.reward_model_loss(r_chosen, r_rejected)[0], r_chosen, "d_chosen"
    )
    assert_grad_close(
        d_rejected,
        lambda: rlhf.reward_model_loss(r_chosen, r_rejected)[0],
        r_rejected,
        "d_rejected",
    )


# ---------------------------------------------------------------- 23.3 kl_penalised_rewards


def kl_data(rng, B=3, T=4):
    score = rng.standard_normal(B) * 2
    logp_ref = -rng.uniform(0.1, 3.0, (B, T))
    logp = logp_ref + rng.standard_normal((B, T))
    return score, logp, logp_ref


def kl_naive(score, logp, logp_ref, beta):
    B, T = np.shape(logp)
    out = np.zeros((B, T))
    for b in range(B):
        for t in range(T):
            out[b, t] = -beta * (float(logp[b, t]) - float(logp_ref[b, t]))
            if t == T - 1:
                out[b, t] += float(score[b])
    return out


@pytest.mark.task("23.3")
@pytest.mark.checks("inputs")
def test_kl_penalised_rewards_leave_their_inputs_unchanged(rng):
    assert_inputs_unchanged(rlhf.kl_penalised_rewards, *kl_data(rng), 0.1)


@pytest.mark.task("23.3")
@pytest.mark.checks("types")
@DTYPES
def test_kl_penalised_rewards_are_a_float64_array(dtype, rng):
    score, logp, logp_ref = (a.astype(dtype) for a in kl_data(rng))
    rewards = rlhf.kl_penalised_rewards(score, logp, logp_ref, 0.1)
    assert_array(rewards, logp.shape, "rewards")


@pytest.mark.task("23.3")
@pytest.mark.checks("mistake")
def test_kl_penalised_rewards_name_each_common_mistake(rng):
    score, logp, logp_ref = kl_data(rng)
    beta = 0.1
    rewards = rlhf.kl_penalised_rewards(score, logp, logp_ref, beta)
    right = kl_naive(score, logp, logp_ref, beta)
    first = -beta * (logp - logp_ref)
    first[:, 0] += score
    assert_not_mistake(
        rewards,
        first,
        msg(
            en="kl_penalised_rewards added the score at the first token; the reward model "
            "judges the whole response, so its score goes at the last token, rewards[:, -1]",
            ja="kl_penalised_rewards がスコアを最初のトークンに足しています。報酬モデルは応答全体を"
            "評価するので、スコアは最後のトークン rewards[:, -1] に足します",
        ),
    )
    assert_not_mistake(
        rewards,
        kl_naive(score, logp_ref, logp, beta),
        msg(
            en="the KL penalty of kl_penalised_rewards has the wrong sign: it is "
            "-beta * (logp - logp_ref), a cost when the policy gives a token more "
            "probability than the SFT model",
            ja="kl_penalised_rewards の KL ペナルティの符号が逆です。-beta * (logp - logp_ref) で、"
            "方策が SFT モデルより高い確率をトークンに与えるとコストになります",
        ),
    )
    every = -beta * (logp - logp_ref) + score[:, None]
    assert_not_mistake(
        rewards,
        every,
        msg(
            en="kl_penalised_rewards added the score at every token; it is added once, at the last",
            ja="kl_penalised_rewards がスコアを全トークンに足しています。足すのは最後の 1 回だけです",
        ),
    )
    close(
        rewards,
        right,
        "rewards against a loop over tokens",
        "トークンごとのループで計算した rewards との比較",
    )


@pytest.mark.task("23.3")
def test_kl_penalised_rewards_readme_example():
    # logp - logp_ref = [0.5, -1, 2], beta = 0.1: penalties [-0.05, 0.1, -0.2], score 1 at the end
    logp_ref = np.array([[-1.0, -2.0, -3.0]])
    logp = logp_ref + np.array([[0.5, -1.0, 2.0]])
    rewards = rlhf.kl_penalised_rewards(np.array([1.0]), logp, logp_ref, 0.1)
    close(rewards, [[-0.05, 0.1, 0.8]], "rewards of the README example", "README の例の rewards")


@pytest.mark.task("23.3")
def test_kl_penalised_rewards_default_beta_is_0_02(rng):
    score, logp, logp_ref = kl_data(rng)
    close(
        rlhf.kl_penalised_rewards(score, logp, logp_ref),
        kl_naive(score, logp, logp_ref, 0.02),
        "rewards with the default beta (0.02, as the docstring says)",
        "既定の beta(docstring のとおり 0.02)での rewards",
    )


@pytest.mark.task("23.3")
def test_kl_penalised_rewards_without_drift_are_the_score_alone(rng):
    score = rng.standard_normal(2)
    logp = -rng.uniform(0.1, 3.0, (2, 3))
    rewards = rlhf.kl_penalised_rewards(score, logp, logp.copy(), 0.5)
    close(
        rewards,
        np.stack([[0.0, 0.0, s] for s in score]),
        "rewards when the policy equals the SFT model: 0, then the score at the last token",
        "方策が SFT モデルと同じときの rewards: 0 が並び、最後のトークンだけスコア",
    )
    one = rlhf.kl_penalised_rewards(score, logp[:, :1], logp[:, :1] - 1.0, 0.5)
    close(
        one, (score - 0.5)[:, None], "rewards of a one-token response", "1 トークンの応答の rewards"
    )


# ---------------------------------------------------------------- 23.4 gae


def gae_data(rng, B=3, T=6):
    return rng.standard_normal((B, T)), rng.standard_normal((B, T))


def gae_naive(rewards, values, gamma, lam):
    """The recursion as written in the paper, one response and one step at a time."""
    B, T = np.shape(rewards)
    advantages = np.zeros((B, T))
    for b in range(B):
        following = 0.0  # A_{t+1}
        for t in range(T - 1, -1, -1):
            next_value = float(values[b, t + 1]) if t + 1 < T else 0.0
            delta = float(rewards[b, t]) + gamma * next_value - float(values[b, t])
            following = delta + gamma * lam * following
            advantages[b, t] = following
    return advantages, advantages + np.asarray(values, dtype=float)


def check_gae(result, rewards, values, gamma, lam, what_en, what_ja, rtol=1e-7):
    advantages, returns = assert_tuple(result, 2, "gae", "(advantages, returns)")
    want_a, want_r = gae_naive(rewards, values, gamma, lam)
    close(advantages, want_a, f"advantages {what_en}", f"{what_ja}の advantages", rtol=rtol)
    close(returns, want_r, f"returns {what_en}", f"{what_ja}の returns", rtol=rtol)


@pytest.mark.task("23.4")
@pytest.mark.checks("inputs")
def test_gae_leaves_its_inputs_unchanged(rng):
    assert_inputs_unchanged(rlhf.gae, *gae_data(rng), 0.9, 0.8)


@pytest.mark.task("23.4")
@pytest.mark.checks("types")
@DTYPES
def test_gae_returns_two_float64_arrays(dtype, rng):
    rewards, values = (a.astype(dtype) for a in gae_data(rng))
    advantages, returns = assert_tuple(
        rlhf.gae(rewards, values, 0.9, 0.8), 2, "gae", "(advantages, returns)"
    )
    assert_array(advantages, rewards.shape, "advantages")
    assert_array(returns, rewards.shape, "returns")


@pytest.mark.task("23.4")
@pytest.mark.checks("mistake")
def test_gae_names_each_common_mistake(rng):
    rewards, values = gae_data(rng)
    gamma, lam = 0.9, 0.8
    advantages, returns = rlhf.gae(rewards, values, gamma, lam)
    right_a, right_r = gae_naive(rewards, values, gamma, lam)
    assert_not_mistake(
        advantages,
        gae_naive(rewards, values, gamma, 1.0)[0],
        msg(
            en="gae forgot lambda in the recursion: A_t = delta_t + gamma * lam * A_{t+1}",
            ja="gae の漸化式で lambda を忘れています。A_t = delta_t + gamma * lam * A_{t+1} です",
        ),
        correct=right_a,
    )
    wrapped = rewards + gamma * np.roll(values, -1, axis=1) - values  # V(s_T) read from V(s_0)
    assert_not_mistake(
        advantages[:, -1],
        wrapped[:, -1],
        msg(
            en="gae used a value after the last token (np.roll wraps V(s_0) round to the end); "
            "the response ends there, so the value after token T - 1 is 0",
            ja="gae が最後のトークンの次の価値を使っています(np.roll は V(s_0) を末尾に回します)。"
            "応答はそこで終わるので、トークン T - 1 の次の価値は 0 です",
        ),
        correct=right_a[:, -1],
    )
    assert_not_mistake(
        returns,
        right_a,
        msg(
            en="gae returned the advantages as the returns; the value model's targets are "
            "returns = advantages + values",
            ja="gae が advantages をそのまま returns として返しています。価値モデルの目標は "
            "returns = advantages + values です",
        ),
        correct=right_r,
    )
    check_gae(
        (advantages, returns),
        rewards,
        values,
        gamma,
        lam,
        "against the recursion",
        "漸化式で計算したもの",
    )


@pytest.mark.task("23.4")
def test_gae_readme_example():
    # rewards [0, 0, 1], values 0.5 everywhere, gamma = 1: deltas [0, 0, 0.5];
    # lam = 0.5: A = [0.125, 0.25, 0.5], returns = A + 0.5
    advantages, returns = rlhf.gae(np.array([[0.0, 0.0, 1.0]]), np.full((1, 3), 0.5), 1.0, 0.5)
    close(
        advantages,
        [[0.125, 0.25, 0.5]],
        "advantages of the README example",
        "README の例の advantages",
    )
    close(returns, [[0.625, 0.75, 1.0]], "returns of the README example", "README の例の returns")


@pytest.mark.task("23.4")
@pytest.mark.parametrize("gamma, lam", [(1.0, 0.95), (0.9, 0.0), (0.95, 1.0), (0.5, 0.7)])
def test_gae_equals_the_naive_recursion(rng, gamma, lam):
    rewards, values = gae_data(rng)
    check_gae(
        rlhf.gae(rewards, values, gamma, lam),
        rewards,
        values,
        gamma,
        lam,
        "against the recursion",
        "漸化式で計算したもの",
    )


@pytest.mark.task("23.4")
def test_gae_defaults_are_gamma_1_and_lambda_0_95(rng):
    rewards, values = gae_data(rng)
    check_gae(
        rlhf.gae(rewards, values),
        rewards,
        values,
        1.0,
        0.95,
        "with the defaults gamma = 1, lam = 0.95",
        "既定値 gamma = 1, lam = 0.95 で",
    )


@pytest.mark.task("23.4")
def test_gae_limits_td_error_and_reward_to_go(rng):
    rewards, values = gae_data(rng, B=2, T=5)
    next_values = np.concatenate([values[:, 1:], np.zeros((2, 1))], axis=1)
    advantages, _ = rlhf.gae(rewards, values, 0.9, 0.0)
    close(
        advantages,
        rewards + 0.9 * next_values - values,
        "advantages with lam = 0: the one-step TD errors",
        "lam = 0 の advantages: 1 ステップの TD 誤差",
    )
    _, returns = rlhf.gae(rewards, values, 1.0, 1.0)
    to_go = np.cumsum(rewards[:, ::-1], axis=1)[:, ::-1]
    close(
        returns,
        to_go,
        "returns with gamma = lam = 1: the sum of the rewards still to come",
        "gamma = lam = 1 の returns: これから得る報酬の合計",
    )
    one_a, _ = rlhf.gae(rewards[:, :1], values[:, :1], 0.9, 0.8)
    close(
        one_a,
        rewards[:, :1] - values[:, :1],
        "advantages of a one-token response: r - V",
        "1 トークンの応答の advantages: r - V",
    )


# ---------------------------------------------------------------- 23.5 PPO


def ppo_data(rng, B=3, T=4):
    logp_old = -rng.uniform(0.5, 3.0, (B, T))
    logp = logp_old + rng.uniform(-0.6, 0.6, (B, T))
    advantages = rng.uniform(0.2, 2.0, (B, T)) * rng.choice([-1.0, 1.0], (B, T))
    return logp, logp_old, advantages


def ppo_naive(logp, logp_old, advantages, eps):
    """Token by token: the surrogate and its slope, with the kinks left to the caller."""
    n = np.size(logp)
    loss, grad = 0.0, np.zeros(np.shape(logp))
    for index in np.ndindex(np.shape(logp)):
        ratio = math.exp(float(logp[index]) - float(logp_old[index]))
        a = float(advantages[index])
        unclipped, clipped = ratio * a, min(max(ratio, 1 - eps), 1 + eps) * a
        loss -= min(unclipped, clipped) / n
        grad[index] = -a * ratio / n if unclipped <= clipped else 0.0
    return loss, grad


def away_from_kinks(logp, logp_old, eps):
    """True where the ratio is not within 1e-3 of 1 ± eps (finite differences cross a kink)."""
    ratio = np.exp(logp - logp_old)
    return (np.abs(ratio - (1 - eps)) > 1e-3) & (np.abs(ratio - (1 + eps)) > 1e-3)


@pytest.mark.task("23.5")
@pytest.mark.checks("inputs")
def test_ppo_losses_leave_their_inputs_unchanged(rng):
    assert_inputs_unchanged(rlhf.ppo_clip_loss, *ppo_data(rng), 0.2)
    values, returns = rng.standard_normal((2, 3, 4))
    assert_inputs_unchanged(rlhf.ppo_value_loss, values, returns)


@pytest.mark.task("23.5")
@pytest.mark.checks("types")
@DTYPES
def test_ppo_losses_return_a_float_and_a_float64_gradient(dtype, rng):
    logp, logp_old, advantages = (a.astype(dtype) for a in ppo_data(rng))
    result = rlhf.ppo_clip_loss(logp, logp_old, advantages, 0.2)
    check_loss_and_grads(result, "ppo_clip_loss", "(loss, dlogp)", [logp.shape])
    values, returns = rng.standard_normal((2, 3, 4)).astype(dtype)
    check_loss_and_grads(
        rlhf.ppo_value_loss(values, returns), "ppo_value_loss", "(loss, dvalues)", [values.shape]
    )


def ratio_grid():
    """Ratios on both sides of the clip range and inside it, each with A = +1 and A = -1."""
    ratio = np.array([0.5, 0.9, 1.0, 1.1, 1.5] * 2)
    advantages = np.repeat([1.0, -1.0], 5)
    logp_old = np.full(10, -1.0)
    return (logp_old + np.log(ratio))[None], logp_old[None], advantages[None], ratio[None]


@pytest.mark.task("23.5")
@pytest.mark.checks("mistake")
def test_ppo_clip_loss_names_each_common_mistake(rng):
    logp, logp_old, advantages, ratio = ratio_grid()
    loss, dlogp = rlhf.ppo_clip_loss(logp, logp_old, advantages, 0.2)
    right_loss, right_grad = ppo_naive(logp, logp_old, advantages, 0.2)
    clipped = np.clip(ratio, 0.8, 1.2) * advantages
    assert_not_mistake(
        loss,
        -np.maximum(ratio * advantages, clipped).mean(),
        msg(
            en="ppo_clip_loss took the max of the two terms; PPO takes the min (the "
            "pessimistic bound), so a large step is never rewarded",
            ja="ppo_clip_loss が 2 つの項の max を取っています。PPO は min(悲観的な下限)を取るので、"
            "大きすぎる更新が得をすることはありません",
        ),
        correct=right_loss,
    )
    outside = (ratio < 0.8) | (ratio > 1.2)
    assert_not_mistake(
        dlogp,
        np.where(outside, 0.0, -ratio * advantages / ratio.size),
        msg(
            en="ppo_clip_loss zeroed the gradient wherever the ratio is outside [1 - eps, 1 + eps]; "
            "it is 0 only on the side the advantage pushes towards (ratio > 1 + eps with A > 0, "
            "ratio < 1 - eps with A < 0): elsewhere the min picks the unclipped term",
            ja="ppo_clip_loss が ratio が [1 - eps, 1 + eps] の外ならどこでも勾配を 0 にしています。"
            "0 になるのはアドバンテージが押す側だけです(A > 0 で ratio > 1 + eps、A < 0 で "
            "ratio < 1 - eps)。それ以外では min がクリップしない項を選びます",
        ),
        correct=right_grad,
    )
    close(
        loss,
        right_loss,
        "ppo_clip_loss against a loop over tokens",
        "トークンごとのループで計算した ppo_clip_loss との比較",
    )
    close(dlogp, right_grad, "dlogp of ppo_clip_loss", "ppo_clip_loss の dlogp")


@pytest.mark.task("23.5")
def test_ppo_gradient_is_exactly_zero_where_the_paper_says():
    logp, logp_old, advantages, ratio = ratio_grid()
    _, dlogp = rlhf.ppo_clip_loss(logp, logp_old, advantages, 0.2)
    zero = ((ratio > 1.2) & (advantages > 0)) | ((ratio < 0.8) & (advantages < 0))
    assert np.all(dlogp[zero] == 0), msg(
        en="dlogp must be exactly 0 where the clip removes the incentive (ratio > 1 + eps with "
        "A > 0, ratio < 1 - eps with A < 0)",
        ja="クリップが更新の動機を消すところ(A > 0 で ratio > 1 + eps、A < 0 で ratio < 1 - eps)"
        "では dlogp はちょうど 0 のはずです",
    )
    # everywhere else the slope is -A * ratio / n: at ratio 0.5, A = +1 it is -0.5 / 10
    close(
        dlogp[~zero],
        (-advantages * ratio / 10)[~zero],
        "dlogp where the clip is not active",
        "クリップが効いていないところの dlogp",
    )


@pytest.mark.task("23.5")
def test_ppo_clip_loss_readme_example():
    # ratio 1.5, A = +1, eps = 0.2: min(1.5, 1.2) = 1.2, loss -1.2, slope 0;
    # ratio 0.5, A = +1: min(0.5, 0.8) = 0.5, slope -0.5 → mean of the two: loss -0.85
    logp_old = np.array([[0.0, 0.0]])
    loss, dlogp = rlhf.ppo_clip_loss(np.log([[1.5, 0.5]]), logp_old, np.array([[1.0, 1.0]]))
    close(
        loss,
        -0.85,
        "ppo_clip_loss of the README example (default eps = 0.2)",
        "README の例の ppo_clip_loss(既定の eps = 0.2)",
    )
    close(dlogp, [[0.0, -0.25]], "dlogp of the README example", "README の例の dlogp")


@pytest.mark.task("23.5")
@pytest.mark.parametrize("eps", [0.1, 0.3])
def test_ppo_clip_loss_matches_a_loop_and_finite_differences(rng, eps):
    logp, logp_old, advantages = ppo_data(rng)
    logp = np.where(
        away_from_kinks(logp, logp_old, eps), logp, logp + 0.01
    )  # the slope jumps at a kink
    logp[0, 0] = logp_old[0, 0]  # ratio 1: at least one token with a slope, for any seed
    loss, dlogp = rlhf.ppo_clip_loss(logp, logp_old, advantages, eps)
    right_loss, right_grad = ppo_naive(logp, logp_old, advantages, eps)
    close(
        loss, right_loss, "ppo_clip_loss against a loop", "ループで計算した ppo_clip_loss との比較"
    )
    close(dlogp, right_grad, "dlogp against a loop", "ループで計算した dlogp との比較")
    assert_grad_close(
        dlogp, lambda: rlhf.ppo_clip_loss(logp, logp_old, advantages, eps)[0], logp, "dlogp"
    )


@pytest.mark.task("23.5")
@pytest.mark.checks("mistake")
def test_ppo_value_loss_hand_worked_and_finite_differences(rng):
    # errors [1, -2]: loss = 0.5 * (1 + 4) / 2 = 1.25, dvalues = [1, -2] / 2
    loss, dvalues = rlhf.ppo_value_loss(np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]]))
    assert_not_mistake(
        loss,
        2.5,
        msg(
            en="ppo_value_loss lacks the 1/2: it is 0.5 * mean((values - returns)**2), "
            "and its gradient (values - returns) / n",
            ja="ppo_value_loss に 1/2 がありません。0.5 * mean((values - returns)**2) で、"
            "勾配は (values - returns) / n です",
        ),
    )
    close(loss, 1.25, "ppo_value_loss of the README example", "README の例の ppo_value_loss")
    close(dvalues, [[0.5, -1.0]], "dvalues of the README example", "README の例の dvalues")
    values, returns = rng.standard_normal((2, 3, 4))
    loss, dvalues = rlhf.ppo_value_loss(values, returns)
    close(loss, 0.5 * np.mean((values - returns) ** 2), "ppo_value_loss", "ppo_value_loss")
    assert_grad_close(dvalues, lambda: rlhf.ppo_value_loss(values, returns)[0], values, "dvalues")


# ---------------------------------------------------------------- 23.6 dpo_loss


def dpo_data(rng, N=5):
    ref_chosen, ref_rejected = -rng.uniform(5.0, 30.0, (2, N))
    logp_chosen = ref_chosen + rng.standard_normal(N) * 4
    logp_rejected = ref_rejected + rng.standard_normal(N) * 4
    return logp_chosen, logp_rejected, ref_chosen, ref_rejected


def dpo_naive(logp_chosen, logp_rejected, ref_chosen, ref_rejected, beta):
    z = beta * ((logp_chosen - ref_chosen) - (logp_rejected - ref_rejected))
    push = beta * sigmoid(-z) / z.size
    return softplus(-z).mean(), -push, push


@pytest.mark.task("23.6")
@pytest.mark.checks("inputs")
def test_dpo_loss_leaves_its_inputs_unchanged(rng):
    assert_inputs_unchanged(rlhf.dpo_loss, *dpo_data(rng), 0.2)


@pytest.mark.task("23.6")
@pytest.mark.checks("types")
@DTYPES
def test_dpo_loss_returns_a_float_and_two_float64_gradients(dtype, rng):
    args = [a.astype(dtype) for a in dpo_data(rng)]
    shapes = [args[0].shape] * 2
    check_loss_and_grads(
        rlhf.dpo_loss(*args, 0.2), "dpo_loss", "(loss, d_chosen, d_rejected)", shapes
    )


@pytest.mark.task("23.6")
@pytest.mark.checks("mistake")
def test_dpo_loss_names_each_common_mistake(rng):
    args = dpo_data(rng)
    logp_chosen, logp_rejected, _, _ = args
    beta = 0.2
    loss, d_chosen, d_rejected = rlhf.dpo_loss(*args, beta)
    right, right_c, right_r = dpo_naive(*args, beta)
    assert_not_mistake(
        loss,
        softplus(-beta * (logp_chosen - logp_rejected)).mean(),
        msg(
            en="dpo_loss left out the reference model: the margin is "
            "(logp_chosen - ref_chosen) - (logp_rejected - ref_rejected)",
            ja="dpo_loss が参照モデルを使っていません。マージンは "
            "(logp_chosen - ref_chosen) - (logp_rejected - ref_rejected) です",
        ),
        correct=right,
    )
    assert_not_mistake(
        d_chosen,
        right_c / beta,
        msg(
            en="the gradient of dpo_loss lacks the factor beta (chain rule through beta * margin)",
            ja="dpo_loss の勾配に係数 beta がありません(beta * margin を通る連鎖律)",
        ),
        correct=right_c,
    )
    close(
        loss,
        right,
        "dpo_loss against -log sigmoid(beta * margin)",
        "-log sigmoid(beta * margin) との比較",
    )
    close(d_chosen, right_c, "d_chosen of dpo_loss", "dpo_loss の d_chosen")
    close(d_rejected, right_r, "d_rejected of dpo_loss", "dpo_loss の d_rejected")


@pytest.mark.task("23.6")
def test_dpo_loss_readme_example():
    # the policy equals the reference: margin 0, loss log 2, d_chosen = -beta * 1/2 / N
    logp = np.array([-3.0, -7.0])
    loss, d_chosen, d_rejected = rlhf.dpo_loss(logp, logp[::-1], logp, logp[::-1], 0.1)
    close(
        loss,
        math.log(2),
        "dpo_loss when the policy equals the reference",
        "方策が参照モデルと同じときの dpo_loss",
    )
    close(
        d_chosen,
        [-0.025, -0.025],
        "d_chosen when the policy equals the reference",
        "方策が参照モデルと同じときの d_chosen",
    )
    close(
        d_rejected,
        [0.025, 0.025],
        "d_rejected when the policy equals the reference",
        "方策が参照モデルと同じときの d_rejected",
    )


@pytest.mark.task("23.6")
def test_dpo_loss_default_beta_is_0_1(rng):
    args = dpo_data(rng)
    result = rlhf.dpo_loss(*args)
    for actual, expected, name in zip(
        result, dpo_naive(*args, 0.1), ("loss", "d_chosen", "d_rejected")
    ):
        close(
            actual, expected, f"{name} with the default beta (0.1)", f"既定の beta(0.1)での {name}"
        )


@pytest.mark.task("23.6")
def test_dpo_loss_finite_differences_and_huge_margins(rng):
    args = [a.copy() for a in dpo_data(rng)]
    loss, d_chosen, d_rejected = rlhf.dpo_loss(*args, 0.5)
    close(loss, dpo_naive(*args, 0.5)[0], "dpo_loss", "dpo_loss")
    assert_grad_close(d_chosen, lambda: rlhf.dpo_loss(*args, 0.5)[0], args[0], "d_chosen")
    assert_grad_close(d_rejected, lambda: rlhf.dpo_loss(*args, 0.5)[0], args[1], "d_rejected")
    # margins of ±1e5 with beta = 0.1: z = ±1e4, loss (0 + 1e4) / 2, full push on the second
    zero = np.zeros(2)
    loss, d_chosen, _ = rlhf.dpo_loss(np.array([1e5, -1e5]), zero, zero, zero, 0.1)
    close(
        loss,
        5e3,
        "dpo_loss at beta * margin = ±1e4 (use np.logaddexp)",
        "beta * margin = ±1e4 での dpo_loss(np.logaddexp を使いましょう)",
    )
    close(
        d_chosen,
        [0.0, -0.05],
        "d_chosen at beta * margin = ±1e4",
        "beta * margin = ±1e4 での d_chosen",
    )
