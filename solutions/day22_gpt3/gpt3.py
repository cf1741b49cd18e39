"""Day 22 · GPT-3: what scale means and what a prompt can do.

GPT-3 (Brown et al., 2020) is GPT-2's model made a hundred times larger. Today: the parameter
count of a config, the compute of a training run (about 6·N·D), the zero-, one- and few-shot
prompts of the paper, multiple choice scored by the model's log-likelihood, and the locally
banded sparse attention that GPT-3 alternates with dense layers.
Models have day 21's layout and config: {"vocab_size": V, "max_len": T_max, "d_model": C,
"n_layers": L, "n_heads": H, "d_ff": F}; pre-LN blocks with biases, a final layer norm
"ln_f", and the output layer tied to the token embedding (logits = h @ wte.T).
"""

import numpy as np

from ..day21_gpt2.gpt2 import gpt2_forward


def count_parameters(config: dict) -> int:
    """The number of parameters of a GPT-2-style model (day 21's params) of this config.

    config: {"vocab_size": V, "max_len": T_max, "d_model": C, "n_layers": L, "n_heads": H,
        "d_ff": F}, ints (H changes no count: the heads split C); not modified.
    Counts wte (V, C), which is also the output layer (tied, so counted once); wpe
    (T_max, C); in each of the L blocks ln1 and ln2 ("gamma", "beta": (C,) each), the
    attention's "Wq", "Wk", "Wv", "Wo" (C, C) and "bq", "bk", "bv", "bo" (C,), the
    feed-forward's "W1" (C, F), "b1" (F,), "W2" (F, C), "b2" (C,); and ln_f (2·C).
    Returns the count, a Python int (exact at any size).
    """
    V, T_max, C = (int(config[key]) for key in ("vocab_size", "max_len", "d_model"))
    L, F = int(config["n_layers"]), int(config["d_ff"])
    attn = 4 * C * C + 4 * C  # Wq, Wk, Wv, Wo and their biases
    ffn = C * F + F + F * C + C  # W1, b1, W2, b2
    block = attn + ffn + 2 * 2 * C  # and ln1, ln2: a gamma and a beta each
    return V * C + T_max * C + L * block + 2 * C  # wte (the output too), wpe, blocks, ln_f


def training_compute(n_params: float, n_tokens: float) -> float:
    """The floating-point operations (FLOPs) of training N parameters on D tokens, 6·N·D:
    per token, the forward pass costs 2·N (a multiply and an add per parameter) and the
    backward pass twice that.

    n_params: N, the number of parameters, > 0 (int or float).
    n_tokens: D, the number of training tokens, > 0 (int or float).
    Returns the FLOPs, a Python float.
    """
    return float(6 * n_params * n_tokens)  # forward 2·N·D + backward 4·N·D


def few_shot_prompt(instruction: str, examples: list, query: str, k: int) -> str:
    """A prompt in the format of the GPT-3 paper: the task description, k demonstrations,
    then the query, one per line, e.g. for k = 1:

        Translate English to French:
        sea otter => loutre de mer
        cheese =>

    instruction: the task description, the first line; "" leaves that line out.
    examples: (input, answer) pairs of strings; the first k, in order, are the
        demonstrations, each the line "input => answer"; not modified.
    query: the input the model must answer, the last line "query =>".
    k: the number of demonstrations, 0 <= k <= len(examples): 0 is zero-shot, 1 one-shot,
        more few-shot.
    Returns the prompt: the lines joined with "\\n", nothing after the final "=>" (no space,
    no newline: the model's answer begins with its own space).
    """
    lines = [instruction] if instruction else []
    lines += [f"{x} => {y}" for x, y in examples[:k]]  # the demonstrations
    lines.append(f"{query} =>")  # the model completes this line
    return "\n".join(lines)


def score_choices(
    params: dict,
    n_heads: int,
    context_ids: np.ndarray,
    choices: list,
    normalize: bool = True,
) -> np.ndarray:
    """Multiple choice as the GPT-3 paper scores it: the log-likelihood the model gives each
    choice's tokens after the context, with day 21's gpt2_forward.

    params: the model's params (day 21's layout); not modified.
    n_heads: H.
    context_ids: (T0,) int, the prompt, T0 >= 1; not modified.
    choices: K arrays (n_k,) int, n_k >= 1, the candidate completions (their lengths may
        differ), T0 + n_k <= T_max; not modified.
    normalize: True (the default, as the paper does for most tasks): the mean log-probability
        per token of the choice, so a longer answer is not penalised for its length;
        False: the sum.
    Returns scores: (K,) float64, scores[k] the sum (or the mean) over i of the natural log of
    p(choices[k][i] | context, choices[k][:i]). The model's answer is np.argmax(scores).
    """
    T0 = len(context_ids)
    scores = []
    for choice in choices:  # lengths differ: one forward pass each
        ids = np.concatenate([context_ids, choice])[None]  # (1, T0 + n)
        logits, _ = gpt2_forward(ids, params, n_heads)  # (1, T0 + n, V)
        z = logits[0, T0 - 1 : -1]  # (n, V): position t predicts token t + 1
        log_probs = z - np.logaddexp.reduce(z, axis=-1, keepdims=True)  # (n, V)
        token_ll = log_probs[np.arange(len(choice)), choice]  # (n,)
        scores.append(token_ll.mean() if normalize else token_ll.sum())
    return np.array(scores, dtype=float)  # (K,)


def banded_causal_mask(T: int, window: int) -> np.ndarray:
    """GPT-3's locally banded sparse attention: query i attends only to the window most
    recent positions, itself included, the keys j with i - window < j <= i.

    T: the sequence length.
    window: >= 1, how many keys each query sees at most (window >= T gives the dense
        causal mask).
    Returns mask: (T, T) bool, mask[i, j] True where query i may attend to key j.
    """
    i = np.arange(T)[:, None]  # (T, 1) queries
    j = np.arange(T)[None, :]  # (1, T) keys
    return (j <= i) & (j > i - window)  # (T, T)


def layer_attention_masks(n_layers: int, T: int, window: int) -> np.ndarray:
    """The attention mask of every layer: GPT-3 alternates dense and locally banded sparse
    attention. Layer 0 and every even layer are dense (causal), every odd layer banded.

    n_layers: L, >= 0.
    T: the sequence length.
    window: the banded layers' window, as banded_causal_mask.
    Returns masks: (L, T, T) bool, masks[l] the mask of layer l.
    """
    dense = np.tril(np.ones((T, T), dtype=bool))  # (T, T): j <= i
    banded = banded_causal_mask(T, window)  # (T, T)
    odd = (np.arange(n_layers) % 2 == 1)[:, None, None]  # (L, 1, 1)
    return np.where(odd, banded, dense)  # (L, T, T)
