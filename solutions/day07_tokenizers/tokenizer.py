"""Day 7 · トークナイザー · Tokenizers.

Byte-level BPE works on the UTF-8 bytes of a text: ids 0..255 are the 256 bytes, and the
k-th learned merge (a, b) makes the new id 256 + k, whose bytes are those of a then b. A
tokenizer is its list of merges. Words are the maximal runs of whitespace and of other
characters, `re.findall(r"\\s+|\\S+", text)`, which join back to the text; merges never
cross from one word to the next. Token id sequences are lists of Python ints, (T,).
"""

import re
from collections import Counter, defaultdict

WORD = re.compile(r"\s+|\S+")  # runs of whitespace, runs of everything else


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in `ids` by `new_id`, scanning left to right.

    ids: (T,) list of int, token ids.
    pair: (a, b), two token ids; an occurrence is ids[i] == a and ids[i + 1] == b.
    new_id: the id that stands for the pair.
    Returns a new list (T',) of int, T' <= T; `ids` is left unchanged. Occurrences are
    replaced from the left and never overlap: [7, 7, 7] with pair (7, 7) gives [new_id, 7].
    """
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)  # the pair becomes one token
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def bpe_train(text: str, num_merges: int) -> list[tuple[int, int]]:
    """Learn byte-level BPE merges from `text`.

    text: the training corpus, any string; it is cut into words as the module says, and
        each word starts as the list of its UTF-8 bytes.
    num_merges: how many merges to learn, >= 0.
    Returns merges: a list of num_merges pairs (a, b) of Python ints, in the order learned;
    merges[k] makes id 256 + k. Each step counts every adjacent pair of ids inside every
    word (overlapping occurrences included: the word [7, 7, 7] holds (7, 7) twice), weighted
    by how often the word occurs, takes the pair with the highest count, and replaces it in
    every word with merge_pair. Ties: the smallest pair, comparing (a, b) as tuples of ids.
    Stops early, returning fewer merges, when no word has two tokens left.
    Counts are updated incrementally (only the words that held the merged pair are
    recounted), so ~100 kB of text trains in well under a second per hundred merges.
    """
    words = Counter(WORD.findall(text))  # word -> how often it occurs
    seqs = [list(word.encode("utf-8")) for word in words]  # each distinct word as ids
    freqs = list(words.values())
    counts = Counter()  # pair -> occurrences in the corpus (0 once merged away)
    where = defaultdict(set)  # pair -> the words holding it
    for i, seq in enumerate(seqs):
        for pair in zip(seq, seq[1:]):
            counts[pair] += freqs[i]
            where[pair].add(i)
    merges = []
    for new_id in range(256, 256 + num_merges):
        top = max(counts.values(), default=0)
        if top == 0:
            break  # every word is a single token
        best = min(pair for pair, count in counts.items() if count == top)  # ties: smallest
        merges.append(best)
        for i in where.pop(best):
            old = seqs[i]
            seqs[i] = new = merge_pair(old, best, new_id)
            for pair in zip(old, old[1:]):
                counts[pair] -= freqs[i]  # forget this word's old pairs ...
            for pair in zip(new, new[1:]):
                counts[pair] += freqs[i]  # ... and count its new ones
                where[pair].add(i)
    return merges


def bpe_encode(
    text: str, merges: list[tuple[int, int]], special: dict[str, int] | None = None
) -> list[int]:
    """Encode `text` into token ids with learned merges.

    text: any string (Japanese and emoji included).
    merges: (V - 256,) list of pairs (a, b) from bpe_train; merges[k] makes id 256 + k,
        and a, b < 256 + k.
    special: special tokens, their text -> their id (each id >= 256 + len(merges)); None
        or {} means none. Wherever a special token's text occurs in `text` (the leftmost
        first; where two start at the same place, the longer), it becomes its id and is
        never merged with its neighbours.
    Returns ids: (T,) list of Python ints. Every other part of the text is cut into words;
    each word starts as its UTF-8 bytes, and the merges are applied to it in the order
    learned (the same result as merging, again and again, the pair of lowest rank present).
    """
    ranks = {tuple(pair): 256 + k for k, pair in enumerate(merges)}  # pair -> new id
    names = sorted(special or {}, key=len, reverse=True)  # longest first wins a tie
    parts = re.split("(" + "|".join(map(re.escape, names)) + ")", text) if names else [text]
    ids = []
    for i, part in enumerate(parts):
        if i % 2:  # re.split puts the matched special tokens at odd places
            ids.append(special[part])
            continue
        for word in WORD.findall(part):
            seq = list(word.encode("utf-8"))
            while len(seq) >= 2:
                pair = min(zip(seq, seq[1:]), key=lambda p: ranks.get(p, float("inf")))
                if pair not in ranks:
                    break  # no learned merge left in this word
                seq = merge_pair(seq, pair, ranks[pair])
            ids += seq
    return ids


def bpe_decode(
    ids: list[int], merges: list[tuple[int, int]], special: dict[str, int] | None = None
) -> str:
    """Turn token ids back into text: bpe_decode(bpe_encode(s, m, sp), m, sp) == s for
    every string s.

    ids: (T,) list of int, each < 256 + len(merges) or the id of a special token.
    merges: (V - 256,) list of pairs (a, b) from bpe_train.
    special: special tokens, their text -> their id, as for bpe_encode; None or {} means none.
    Returns the text: the bytes of all the tokens joined, then decoded as UTF-8 once. Bytes
    that are not valid UTF-8 (a token sequence can end in the middle of a character)
    become U+FFFD "�" (errors="replace"), never an exception.
    """
    vocab = {i: bytes([i]) for i in range(256)}  # id -> its bytes
    for k, (a, b) in enumerate(merges):
        vocab[256 + k] = vocab[a] + vocab[b]
    for name, i in (special or {}).items():
        vocab[i] = name.encode("utf-8")
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")


def wordpiece_encode(
    text: str, vocab: list[str], unk_token: str = "[UNK]", max_chars: int = 100
) -> list[int]:
    """WordPiece encoding (BERT's), greedy longest-match-first.

    text: any string; words are its whitespace-separated parts, text.split().
    vocab: (V,) list of distinct token strings; a token's id is its index. Tokens that
        continue a word start with "##" ("##able"); unk_token must be in vocab.
    unk_token: the token for a word that cannot be encoded (default "[UNK]").
    max_chars: a word of more characters than this is unk_token at once (default 100).
    Returns ids: (T,) list of Python ints. Each word is encoded from its start: take the
    longest vocab token that matches there (written with "##" after the first piece), move
    past it, repeat. If at some point no token matches, the whole word becomes the one id
    of unk_token (not only the rest of it).
    """
    index = {token: i for i, token in enumerate(vocab)}  # token -> id
    ids = []
    for word in text.split():
        pieces, start = [], 0
        while start < len(word) <= max_chars:
            for end in range(len(word), start, -1):  # the longest piece first
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in index:
                    pieces.append(index[piece])
                    start = end
                    break
            else:
                break  # no token matches here
        ids += pieces if start == len(word) else [index[unk_token]]
    return ids
