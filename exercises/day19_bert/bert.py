"""Day 19 · BERT · BERT.

BERT is the Transformer encoder (day 17) trained on two self-made tasks: recover masked
tokens (the masked language model, MLM) and tell whether sentence B follows sentence A
(next-sentence prediction, read from the [CLS] position). Its input is a packed pair
[CLS] A [SEP] B [SEP] [PAD] ..., embedded as token + segment + position.
Shapes: B batch, T sequence length, C model width, V vocabulary (or classes).
Token ids, segment ids and labels are int64 arrays; masks are bool arrays.
"""

import numpy as np


def bert_embeddings(
    token_ids: np.ndarray, segment_ids: np.ndarray, params: dict[str, np.ndarray]
) -> np.ndarray:
    """BERT's input embeddings: the sum of a token, a segment and a position embedding.

    out[b, t] = params["token"][token_ids[b, t]] + params["segment"][segment_ids[b, t]]
                + params["position"][t]
    token_ids: (B, T) int, ids in [0, V).
    segment_ids: (B, T) int, 0 for sentence A (and [CLS], padding), 1 for sentence B.
    params: {"token": (V, C), "segment": (2, C), "position": (T_max, C)} with T <= T_max;
        not modified.
    Returns out: (B, T, C) float64.
    """
    # TODO(19.1): look ids up in their tables (params["token"][token_ids]); add params["position"][:T]
    raise NotImplementedError("19.1 bert_embeddings: see README.md")


def pack_pair(
    tokens_a: list[int], tokens_b: list[int], T: int, cls_id: int, sep_id: int, pad_id: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pack a sentence pair as BERT reads it: [CLS] A [SEP] B [SEP], padded to length T.

    tokens_a, tokens_b: the two sentences' token ids (B may be empty);
        len(tokens_a) + len(tokens_b) + 3 <= T (no truncation).
    T: the padded length.
    cls_id, sep_id, pad_id: the ids of [CLS], [SEP] and [PAD].
    Returns (ids, segment_ids, attention_mask), each of shape (T,):
        ids: int64, the packed ids, pad_id after the last [SEP];
        segment_ids: int64, 0 for [CLS], A and its [SEP]; 1 for B and its [SEP];
            0 on padding;
        attention_mask: bool, True on the real tokens (the specials included), False on
            padding.
    """
    # TODO(19.2): build [CLS] A [SEP] B [SEP], then fill up to T with pad_id; segment 1 starts after the first [SEP]
    raise NotImplementedError("19.2 pack_pair: see README.md")


def mask_tokens(
    ids: np.ndarray,
    special_ids: list[int],
    mask_id: int,
    vocab_size: int,
    seed: int,
    rate: float = 0.15,
) -> tuple[np.ndarray, np.ndarray]:
    """Masked-LM corruption: choose each ordinary token with probability `rate`; of the
    chosen, 80% become [MASK], 10% a random token, 10% stay as they are.

    ids: (B, T) int, token ids (padding and [CLS]/[SEP] included).
    special_ids: ids that are never chosen: [CLS], [SEP], [PAD] (and [MASK]).
    mask_id: the id of [MASK].
    vocab_size: V; a random replacement is uniform over [0, V).
    seed: seeds np.random.default_rng; the same seed gives the same result.
    rate: the probability of choosing each ordinary token (default 0.15), independently.
    Returns (corrupted, chosen): corrupted: (B, T) int64, the ids the model reads;
        chosen: (B, T) bool, True at the positions the MLM loss predicts (the original
        ids there are the labels). Where chosen is False, corrupted equals ids.
    """
    # TODO(19.3): choose ordinary tokens with rng = np.random.default_rng(seed); then 80/10/10
    raise NotImplementedError("19.3 mask_tokens: see README.md")


def mlm_loss(
    logits: np.ndarray, labels: np.ndarray, chosen: np.ndarray
) -> tuple[float, np.ndarray]:
    """The masked-LM loss: mean cross-entropy of softmax(logits) against the labels, over
    the chosen positions only.

    logits: (B, T, V) the model's scores at every position, any size (±1e4 included).
    labels: (B, T) int, the original ids (read only where chosen).
    chosen: (B, T) bool, the positions to predict (mask_tokens' second result).
    Returns (loss, dlogits): loss is a Python float, the mean over the M = chosen.sum()
        positions (0.0 when M = 0); dlogits: (B, T, V) float64, d loss / d logits, zero at
        the positions not chosen.
    """
    # TODO(19.4): cross-entropy at every position with a stable log-softmax, then average over the chosen positions only
    raise NotImplementedError("19.4 mlm_loss: see README.md")


def cls_logits(h: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A classification head on [CLS]: the encoder's output at position 0, times W, plus b.

    h: (B, T, C) the encoder's output; position 0 holds [CLS].
    W: (C, V) weights, V classes (2 for next-sentence prediction: 0 is next, 1 is random).
    b: (V,) bias.
    Returns logits: (B, V) float64.
    """
    # TODO(19.5): read position 0 of h, then a linear layer
    raise NotImplementedError("19.5 cls_logits: see README.md")


def next_sentence_pairs(
    documents: list[list[list[int]]], seed: int
) -> tuple[list[list[int]], list[list[int]], np.ndarray]:
    """Next-sentence prediction's training pairs (A, B): one for every sentence that has a
    successor in its document; B is that successor with probability 0.5 (IsNext), otherwise
    a random sentence of another document (NotNext).

    documents: D >= 2 documents, each a list of at least one sentence, each sentence a list
        of token ids; not modified.
    seed: seeds np.random.default_rng; the same seed gives the same pairs.
    Returns (first, second, is_next) for the N = sum(len(doc) - 1 for doc in documents)
        pairs, in order (document by document, sentence by sentence):
        first: list of the N sentences A; pair k's is sentence i of document d, i < len(doc) - 1;
        second: list of the N sentences B: where is_next[k], sentence i + 1 of document d;
            elsewhere a sentence of another document: a document e != d uniform over the
            D - 1 others, then one of its sentences, uniformly;
        is_next: (N,) bool, each True independently with probability 0.5.
    """
    # TODO(19.6): a pair per sentence with a successor; a coin: the next one, or another document's
    raise NotImplementedError("19.6 next_sentence_pairs: see README.md")
