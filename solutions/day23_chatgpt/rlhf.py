"""Day 23 · ChatGPT: the losses of instruction tuning and RLHF, as InstructGPT trains them.

Every loss returns the loss as one Python float and its gradients as float64 arrays of the
shape of the argument they belong to. Log-probabilities are natural logs. N counts
prompt/response pairs, B sampled responses, T token positions, V the vocabulary.
"""

import numpy as np


def sft_loss(
    logits: np.ndarray, targets: np.ndarray, response_mask: np.ndarray
) -> tuple[float, np.ndarray]:
    """Supervised fine-tuning loss: next-token cross-entropy on the response tokens only.

    logits: (B, T, V) the model's scores for the token at each position, float64 or float32.
    targets: (B, T) int, the token at each position, in [0, V).
    response_mask: (B, T) bool, True where the token belongs to the response (it is
        learned), False for prompt and padding tokens (they are ignored).
    Returns (loss, dlogits): loss is the mean of -log softmax(logits)[target] over the
    M = response_mask.sum() response tokens (M >= 1), a Python float; dlogits: (B, T, V)
    float64, d loss / d logits, zero at every masked-out position.
    """
    z = np.asarray(logits, dtype=float)  # (B, T, V)
    log_probs = z - np.logaddexp.reduce(z, axis=-1, keepdims=True)  # (B, T, V)
    target_log_probs = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]  # (B, T)
    weights = response_mask / response_mask.sum()  # (B, T): 1/M on response tokens, 0 elsewhere
    loss = -np.sum(weights * target_log_probs)
    onehot = np.eye(z.shape[-1])[targets]  # (B, T, V)
    dlogits = (np.exp(log_probs) - onehot) * weights[..., None]  # (B, T, V)
    return float(loss), dlogits


def reward_model_loss(
    r_chosen: np.ndarray, r_rejected: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """The reward model's pairwise loss: mean over N pairs of -log sigmoid(r_chosen - r_rejected),
    finite for any difference (±1e4 included).

    r_chosen: (N,) rewards of the responses the labellers preferred, float64 or float32.
    r_rejected: (N,) rewards of the responses they rejected, same shape.
    Returns (loss, d_chosen, d_rejected): loss is a Python float; d_chosen, d_rejected: (N,)
    float64, d loss / d r_chosen and d loss / d r_rejected.
    """
    diff = np.asarray(r_chosen, dtype=float) - r_rejected  # (N,)
    loss = np.mean(np.logaddexp(0.0, -diff))  # -log sigmoid(d) = log(1 + e^-d), no overflow
    push = np.exp(-np.logaddexp(0.0, diff)) / diff.size  # sigmoid(-d) / N, in [0, 1/N]
    return float(loss), -push, push


def kl_penalised_rewards(
    score: np.ndarray, logp: np.ndarray, logp_ref: np.ndarray, beta: float = 0.02
) -> np.ndarray:
    """Per-token rewards for PPO: -beta * (logp - logp_ref) at every token, plus the reward
    model's score at the last token.

    score: (B,) the reward model's score of each whole response, float64 or float32.
    logp: (B, T) log pi(token) under the policy being trained, for each response token.
    logp_ref: (B, T) log pi_ref(token) under the frozen SFT model, same tokens.
    beta: >= 0, the weight of the KL penalty (default 0.02, as InstructGPT).
    Returns rewards: (B, T) float64; rewards[:, -1] includes score.
    """
    rewards = -beta * (np.asarray(logp, dtype=float) - logp_ref)  # (B, T) per-token KL penalty
    rewards[:, -1] += score  # the reward model judges the whole response, once, at its end
    return rewards


def gae(
    rewards: np.ndarray, values: np.ndarray, gamma: float = 1.0, lam: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimation over each response, backwards from its last token.

    rewards: (B, T) the reward at each token, float64 or float32.
    values: (B, T) the value model's estimate V(s_t) at each token; the response ends after
        token T - 1, so the value after it is 0.
    gamma: the discount, in [0, 1] (default 1.0, as InstructGPT).
    lam: the GAE lambda, in [0, 1] (default 0.95): 0 gives the one-step TD error, 1 the
        full return minus the value.
    Returns (advantages, returns): (B, T) float64 each, with
    delta_t = r_t + gamma * V(s_{t+1}) - V(s_t) and A_t = delta_t + gamma * lam * A_{t+1}
    (A_T = 0), and returns = advantages + values (the value model's targets).
    """
    rewards, values = np.asarray(rewards, dtype=float), np.asarray(values, dtype=float)
    T = rewards.shape[1]
    next_values = np.concatenate([values[:, 1:], np.zeros_like(values[:, :1])], axis=1)  # (B, T)
    deltas = rewards + gamma * next_values - values  # (B, T) one-step TD errors
    advantages = np.zeros_like(deltas)  # (B, T)
    running = np.zeros(len(deltas))  # (B,) A_{t+1}, 0 after the last token
    for t in reversed(range(T)):  # the recursion runs backwards in time
        running = deltas[:, t] + gamma * lam * running
        advantages[:, t] = running
    return advantages, advantages + values


def ppo_clip_loss(
    logp: np.ndarray, logp_old: np.ndarray, advantages: np.ndarray, eps: float = 0.2
) -> tuple[float, np.ndarray]:
    """PPO's clipped surrogate loss: -mean(min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A))
    with ratio = exp(logp - logp_old), over all n = logp.size tokens.

    logp: (B, T) log pi(token) under the policy being trained, float64 or float32.
    logp_old: (B, T) log pi_old(token) under the policy that sampled the tokens.
    advantages: (B, T) the advantage A of each token (held fixed).
    eps: > 0, the clip range (default 0.2).
    Returns (loss, dlogp): loss is a Python float; dlogp: (B, T) float64, d loss / d logp,
    exactly 0 where the clipped term is the smaller one (ratio > 1 + eps with A > 0, or
    ratio < 1 - eps with A < 0).
    """
    logp = np.asarray(logp, dtype=float)  # (B, T)
    ratio = np.exp(logp - logp_old)  # (B, T) pi / pi_old
    unclipped = ratio * advantages  # (B, T)
    clipped = np.clip(ratio, 1.0 - eps, 1.0 + eps) * advantages  # (B, T)
    loss = -np.mean(np.minimum(unclipped, clipped))
    active = unclipped <= clipped  # (B, T) the min is the unclipped term: it has a slope
    dlogp = np.where(active, -unclipped, 0.0) / logp.size  # d(ratio)/d(logp) = ratio
    return float(loss), dlogp


def ppo_value_loss(values: np.ndarray, returns: np.ndarray) -> tuple[float, np.ndarray]:
    """The value model's loss: 0.5 * mean((values - returns) ** 2) over all n = values.size tokens.

    values: (B, T) the value model's estimates, float64 or float32.
    returns: (B, T) their targets (from gae), held fixed.
    Returns (loss, dvalues): loss is a Python float; dvalues: (B, T) float64, d loss / d values.
    """
    error = np.asarray(values, dtype=float) - returns  # (B, T)
    return float(0.5 * np.mean(error**2)), error / error.size


def dpo_loss(
    logp_chosen: np.ndarray,
    logp_rejected: np.ndarray,
    ref_chosen: np.ndarray,
    ref_rejected: np.ndarray,
    beta: float = 0.1,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Direct preference optimisation: mean over N pairs of -log sigmoid(beta * margin), with
    margin = (logp_chosen - ref_chosen) - (logp_rejected - ref_rejected); finite for any margin.

    logp_chosen: (N,) log pi(response) of each preferred response (summed over its tokens)
        under the policy being trained, float64 or float32.
    logp_rejected: (N,) the same for each rejected response.
    ref_chosen: (N,) log pi_ref of each preferred response under the frozen SFT model.
    ref_rejected: (N,) log pi_ref of each rejected response.
    beta: > 0, how far the policy may move from the reference (default 0.1).
    Returns (loss, d_chosen, d_rejected): loss is a Python float; d_chosen, d_rejected: (N,)
    float64, d loss / d logp_chosen and d loss / d logp_rejected.
    """
    margin = (np.asarray(logp_chosen, dtype=float) - ref_chosen) - (
        np.asarray(logp_rejected, dtype=float) - ref_rejected
    )  # (N,) implicit reward difference / beta
    z = beta * margin  # (N,)
    loss = np.mean(np.logaddexp(0.0, -z))  # -log sigmoid(z)
    push = beta * np.exp(-np.logaddexp(0.0, z)) / z.size  # beta * sigmoid(-z) / N
    return float(loss), -push, push
