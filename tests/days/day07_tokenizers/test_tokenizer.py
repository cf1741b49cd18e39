"""day07 suite: byte-level BPE and WordPiece, each checked against a plain implementation
written here (str.replace for merging, a full recount of every pair for training, merges
applied one after another for encoding, ids expanded recursively for decoding), on hand-worked
cases (the BPE paper's low/lower/newest/widest, BERT's "unaffable") and on generated text with
Japanese, emoji and odd whitespace. Nothing is lost: decode(encode(s)) == s. Training on
100 kB of generated text must count pairs incrementally (a self-calibrated speed check)."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from checker.core.testing import (
    assert_fast_enough,
    assert_inputs_unchanged,
    implementation,
    msg,
)

tok = implementation("day07_tokenizers.tokenizer")

EOT = "<|endoftext|>"  # GPT-2's special token: its "|" means "or" inside a regular expression


# ---------------------------------------------------------------- plain versions, written here


def words_of(text: str) -> list[str]:
    """Maximal runs of whitespace and of everything else (the docstring's regex, by str.isspace)."""
    return ["".join(run) for _, run in itertools.groupby(text, key=str.isspace)]


def plain_merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """str.replace replaces from the left, without overlaps: one character per id."""
    text = "".join(map(chr, ids))
    return [ord(c) for c in text.replace(chr(pair[0]) + chr(pair[1]), chr(new_id))]


def plain_train(text: str, num_merges: int, tie=min, split=words_of) -> list[tuple[int, int]]:
    """A full recount of every pair of every word occurrence before each merge. `tie` picks
    among the most frequent pairs (min: the docstring's rule); `split` cuts the text."""
    words = [list(w.encode("utf-8")) for w in split(text)]
    merges = []
    for new_id in range(256, 256 + num_merges):
        counts = Counter(p for w in words for p in zip(w, w[1:]))
        if not counts:
            break
        top = max(counts.values())
        best = tie([p for p, c in counts.items() if c == top])
        merges.append(best)
        words = [plain_merge(w, best, new_id) for w in words]
    return merges


def first_seen(pairs: list[tuple[int, int]]) -> tuple[int, int]:
    return pairs[0]  # Counter keeps the order pairs were first counted in


def plain_encode(text: str, merges, special=None, split=words_of) -> list[int]:
    """Special tokens found by scanning (longest first at each place); every other run of text
    cut into words, and each merge applied to each word in the order learned."""
    special = special or {}
    ids, plain, i = [], "", 0

    def flush(run: str) -> None:
        for word in split(run):
            seq = list(word.encode("utf-8"))
            for k, pair in enumerate(merges):
                seq = plain_merge(seq, pair, 256 + k)
            ids.extend(seq)

    while i < len(text):
        found = max((s for s in special if text.startswith(s, i)), key=len, default=None)
        if found is None:
            plain, i = plain + text[i], i + 1
            continue
        flush(plain)
        plain, i = "", i + len(found)
        ids.append(special[found])
    flush(plain)
    return ids


def token_bytes(i: int, merges) -> bytes:
    if i < 256:
        return bytes([i])
    a, b = merges[i - 256]
    return token_bytes(a, merges) + token_bytes(b, merges)


def plain_decode(ids, merges, special=None) -> str:
    names = {i: s for s, i in (special or {}).items()}
    raw = b"".join(names[i].encode() if i in names else token_bytes(i, merges) for i in ids)
    return raw.decode("utf-8", errors="replace")


def plain_wordpiece(text, vocab, unk_token="[UNK]", max_chars=100) -> list[int]:
    """Greedy longest-match-first, written as a recursion over the rest of the word."""
    index = {t: i for i, t in enumerate(vocab)}

    def pieces(word: str, prefix: str) -> list[int] | None:
        if not word:
            return []
        for end in range(len(word), 0, -1):
            if prefix + word[:end] in index:
                rest = pieces(word[end:], "##")
                return None if rest is None else [index[prefix + word[:end]]] + rest
        return None

    out = []
    for word in text.split():
        found = pieces(word, "") if len(word) <= max_chars else None
        out += [index[unk_token]] if found is None else found
    return out


# ---------------------------------------------------------------- generated text

PIECES = [
    *"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.,!?'-",
    *"あいうえおかきくけこさしすせそんにちはー日本語東京大学習アイウエオカタナ",
    *"éñüßçΩπλЖж",
    "😀",
    "🎉",
    "🍣",
    "👍🏽",
    "👨\u200d👩\u200d👧",
    "e\u0301",
]
SPACES = [" ", " ", " ", "  ", "\n", "\t", "\u3000", " \n "]


def random_text(rng: np.random.Generator, words: int = 60) -> str:
    """Words drawn from a small bank (so pairs repeat and merges happen), joined by odd
    whitespace; Japanese, emoji (4 bytes, skin tones, ZWJ sequences) and accents included."""
    bank = ["".join(rng.choice(PIECES, size=rng.integers(1, 6))) for _ in range(12)]
    parts = [bank[i] for i in rng.integers(0, len(bank), size=words)]
    gaps = [SPACES[i] for i in rng.integers(0, len(SPACES), size=words)]
    return "".join(p + g for p, g in zip(parts, gaps))[: -int(rng.integers(0, 2)) or None]


def random_codepoints(rng: np.random.Generator, n: int = 40) -> str:
    """Any characters at all (surrogates excluded, which UTF-8 cannot hold)."""
    points = rng.integers(1, 0x110000, size=n)
    return "".join(chr(p) for p in points if not 0xD800 <= p < 0xE000)


# ---------------------------------------------------------------- shared checks


def assert_ids(actual, expected, name: str) -> None:
    """`actual` equals the id list `expected`; says where they first differ."""
    assert actual == expected, msg(
        en=f"{name} returned {len(actual)} ids, expected {len(expected)}"
        + first_difference(actual, expected, "en"),
        ja=f"{name} が返した id は {len(actual)} 個ですが、正しくは {len(expected)} 個です"
        + first_difference(actual, expected, "ja"),
    )


def first_difference(actual, expected, lang: str) -> str:
    i = next((k for k, (a, b) in enumerate(zip(actual, expected)) if a != b), None)
    if i is None:
        i = min(len(actual), len(expected))
    got = actual[i] if i < len(actual) else "(end)"
    want = expected[i] if i < len(expected) else "(end)"
    return (
        f"; the first difference is at position {i}: {got}, expected {want}"
        if lang == "en"
        else f"。最初の違いは位置 {i} で、{got} ですが正しくは {want} です"
    )


def assert_int_list(value, name: str) -> None:
    """A list of Python ints: later days index embeddings with these ids."""
    assert isinstance(value, list), msg(
        en=f"{name} should return a list of Python ints, got {type(value).__name__}",
        ja=f"{name} は Python の int のリストを返すはずですが、{type(value).__name__} でした",
    )
    bad = [v for v in value if not isinstance(v, int) or isinstance(v, bool)]
    assert not bad, msg(
        en=f"{name} should return Python ints, got a {type(bad[0]).__name__}: convert with int(...)",
        ja=f"{name} は Python の int を返すはずですが、{type(bad[0]).__name__} が入っていました。"
        "int(...) で変換しましょう",
    )


def as_text(merges) -> list[tuple[bytes, bytes]]:
    """Merges as the byte strings they join, the way the README writes them."""
    return [(token_bytes(a, merges), token_bytes(b, merges)) for a, b in merges]


# ---------------------------------------------------------------- 7.1 merge_pair


@pytest.mark.task("7.1")
@pytest.mark.checks("inputs")
def test_merge_pair_leaves_ids_alone():
    assert_inputs_unchanged(tok.merge_pair, [1, 2, 3, 1, 2], (1, 2), 256)


@pytest.mark.task("7.1")
@pytest.mark.checks("types")
def test_merge_pair_returns_a_list_of_ints():
    assert_int_list(tok.merge_pair([1, 2, 3, 1, 2], (1, 2), 256), "merge_pair")
    assert_int_list(tok.merge_pair([], (1, 2), 256), "merge_pair")


@pytest.mark.task("7.1")
def test_merge_pair_worked_examples():
    cases = [
        ([1, 2, 3, 1, 2], (1, 2), 9, [9, 3, 9]),
        ([5, 1, 2], (1, 2), 9, [5, 9]),  # the pair at the very end
        ([4, 1, 2, 5], (1, 2), 9, [4, 9, 5]),
        ([1, 2, 3, 1, 2, 1, 2], (1, 2), 9, [9, 3, 9, 9]),
        ([7, 7, 7], (7, 7), 9, [9, 7]),  # from the left, never overlapping
        ([7, 7, 7, 7, 7], (7, 7), 9, [9, 9, 7]),
        ([1, 3, 2], (1, 2), 9, [1, 3, 2]),  # 1 and 2, but not next to each other
        ([2, 1], (1, 2), 9, [2, 1]),  # the order matters
        ([1], (1, 2), 9, [1]),
        ([], (1, 2), 9, []),
    ]
    for ids, pair, new_id, expected in cases:
        assert_ids(tok.merge_pair(ids, pair, new_id), expected, f"merge_pair({ids}, {pair}, 9)")


@pytest.mark.task("7.1")
@pytest.mark.checks("mistake")
def test_merge_pair_moves_past_both_tokens():
    # moving on by one after a match keeps the pair's second token and merges overlaps
    for ids, pair, mistaken in [
        ([4, 1, 2, 5], (1, 2), [4, 256, 2, 5]),
        ([7, 7, 7, 7, 7], (7, 7), [256, 256, 256, 256, 7]),
    ]:
        assert tok.merge_pair(ids, pair, 256) != mistaken, msg(
            en=f"merge_pair({ids}, {pair}, 256) kept the second token of the pair (or merged "
            "overlapping occurrences): the new id replaces both tokens, so move past both "
            "(i += 2); [7, 7, 7] with (7, 7) gives [new_id, 7]",
            ja=f"merge_pair({ids}, {pair}, 256) がペアの 2 つ目のトークンを残しています"
            "(または重なった出現まで併合しています)。新しい id は 2 つをまとめて置き換えるので、"
            "両方を飛ばしましょう(i += 2)。[7, 7, 7] を (7, 7) で併合すると [new_id, 7] です",
        )


@pytest.mark.task("7.1")
@pytest.mark.checks("mistake")
def test_merge_pair_replaces_every_occurrence():
    actual = tok.merge_pair([1, 2, 3, 1, 2, 1, 2], (1, 2), 256)
    assert actual != [256, 3, 1, 2, 1, 2], msg(
        en="merge_pair replaced only the first occurrence of the pair: keep scanning to the end "
        "of ids, every occurrence becomes new_id",
        ja="merge_pair がペアの最初の出現しか置き換えていません。ids の最後まで調べ続け、"
        "すべての出現を new_id にしましょう",
    )


@pytest.mark.task("7.1")
def test_merge_pair_matches_str_replace(rng):
    for _ in range(30):
        ids = rng.integers(0, 3, size=rng.integers(0, 30)).tolist()  # few values: many pairs
        pair = tuple(rng.integers(0, 3, size=2).tolist())
        assert_ids(tok.merge_pair(ids, pair, 300), plain_merge(ids, pair, 300), "merge_pair")


# ---------------------------------------------------------------- 7.2 bpe_train

# The BPE paper's corpus (Sennrich et al. 2016), without its end-of-word mark: worked by hand in
# the README. Words: low ×5, lower ×2, newest ×6, widest ×3.
CLASSIC = "low " * 5 + "lower " * 2 + "newest " * 6 + "widest " * 3
CLASSIC_MERGES = [
    (b"e", b"s"),  # es: 6 (newest) + 3 (widest) = 9, ties with st; (e, s) < (s, t)
    (b"es", b"t"),  # est: 9
    (b"l", b"o"),  # lo: 7, ties with ow; (l, o) < (o, w)
    (b"lo", b"w"),  # low: 7
    (b"e", b"w"),  # ew: 6, ties with ne and w·est; e = 101 is the smallest first id
    (b"n", b"ew"),  # new: 6, ties with ew·est; n = 110 < ew = 260
    (b"new", b"est"),  # newest: 6
    (b"d", b"est"),  # dest: 3, ties with wi, id; d = 100 is the smallest
    (b"i", b"dest"),  # idest: 3, ties with wi; i = 105 < w = 119
    (b"w", b"idest"),  # widest: 3
    (b"e", b"r"),  # er: 2, ties with low·e; e = 101 < low = 259
    (b"low", b"er"),  # lower: 2; now every word is one token
]


def classic_merges() -> list[tuple[int, int]]:
    """The paper's merges as ids (from the README's table, not from the learner's training)."""
    ids, merges = {bytes([i]): i for i in range(256)}, []
    for k, (a, b) in enumerate(CLASSIC_MERGES):
        merges.append((ids[a], ids[b]))
        ids[a + b] = 256 + k
    return merges


def check_merges(actual, expected, name: str) -> None:
    assert actual == expected, msg(
        en=f"{name} learned {len(actual)} merges, expected {len(expected)}"
        + merge_difference(actual, expected, "en"),
        ja=f"{name} が学習した併合は {len(actual)} 個ですが、正しくは {len(expected)} 個です"
        + merge_difference(actual, expected, "ja"),
    )


def merge_difference(actual, expected, lang: str) -> str:
    k = next((k for k, (a, b) in enumerate(zip(actual, expected)) if a != b), None)
    if k is None:
        return ""
    got, want = as_text(actual[: k + 1])[k], as_text(expected[: k + 1])[k]
    return (
        f"; merge {k} is {got} (ids {actual[k]}), expected {want} (ids {expected[k]})"
        if lang == "en"
        else f"。{k} 番目の併合が {got}(id {actual[k]})ですが、正しくは {want}(id {expected[k]})です"
    )


def check_merge_types(merges) -> None:
    assert isinstance(merges, list), msg(
        en=f"bpe_train should return a list of pairs, got {type(merges).__name__}",
        ja=f"bpe_train はペアのリストを返すはずですが、{type(merges).__name__} でした",
    )
    for pair in merges:
        ok = isinstance(pair, tuple) and len(pair) == 2
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
        assert ok, msg(
            en=f"every merge should be a tuple (a, b) of two Python ints, got {pair!r}",
            ja=f"併合はそれぞれ Python の int 2 つのタプル (a, b) のはずですが、{pair!r} でした",
        )


@pytest.mark.task("7.2")
@pytest.mark.checks("types")
def test_bpe_train_returns_tuples_of_ints():
    check_merge_types(tok.bpe_train(CLASSIC, 5))


@pytest.mark.task("7.2")
def test_bpe_train_learns_the_papers_merges():
    merges = tok.bpe_train(CLASSIC, 12)
    check_merges(merges, classic_merges(), "bpe_train(low/lower/newest/widest, 12)")


@pytest.mark.task("7.2")
@pytest.mark.checks("mistake")
def test_bpe_train_stops_when_every_word_is_one_token():
    tok.bpe_train(CLASSIC, 12)  # an error here is not about stopping
    stop = msg(
        en="after 12 merges every word of low/lower/newest/widest is a single token, so "
        "there is no pair left to merge: when the highest count is 0, stop early",
        ja="low/lower/newest/widest では 12 回の併合で全単語が 1 トークンになり、併合できる"
        "ペアは残りません。最大の回数が 0 になったら、そこで止めましょう",
    )
    try:
        merges = tok.bpe_train(CLASSIC, 20)
    except Exception as error:
        crashed = msg(
            en=f"bpe_train(…, 20) raised {type(error).__name__}: ",
            ja=f"bpe_train(…, 20) が {type(error).__name__} を出しました。",
        )
        raised = crashed + stop
        raise AssertionError(raised) from None
    assert not (len(merges) > 12 and merges[:12] == classic_merges()), stop


@pytest.mark.task("7.2")
def test_bpe_train_without_pairs_learns_nothing():
    merges = tok.bpe_train(CLASSIC, 20)
    check_merges(merges, classic_merges(), "bpe_train(low/lower/newest/widest, 20)")
    for text, n in [("", 3), ("a b c", 3), ("a b a b a b", 2), ("", 0), (CLASSIC, 0)]:
        check_merges(tok.bpe_train(text, n), [], f"bpe_train({text[:12]!r}, {n})")


@pytest.mark.task("7.2")
def test_bpe_train_breaks_ties_by_the_smallest_pair():
    cases = [
        ("ab ac", [(97, 98)]),  # same first id: the smaller second one
        ("ca ba", [(98, 97)]),  # different first ids: the smaller first one
        ("ab cb", [(97, 98)]),
        ("zy zx", [(122, 120)]),
        ("ba ab", [(97, 98)]),  # not the first pair met
        ("ac ab", [(97, 98)]),
        ("cd cd ab", [(99, 100)]),  # (c, d) occurs twice: "cd" is there 2 times
    ]
    for text, expected in cases:
        check_merges(tok.bpe_train(text, 1), expected, f"bpe_train({text!r}, 1)")


@pytest.mark.task("7.2")
@pytest.mark.checks("mistake")
def test_bpe_train_does_not_pick_the_first_pair_seen():
    # every pair occurs once: the first one met is not the smallest
    for text, first in [("ba ab", (98, 97)), ("ac ab", (97, 99))]:
        actual = tok.bpe_train(text, 1)
        assert actual != [first], msg(
            en="bpe_train broke a tie between equally frequent pairs by the order it met them "
            "(max over a dict keeps the first); the docstring's rule is the smallest pair: "
            "min(pair for pair, count in counts.items() if count == top)",
            ja="bpe_train が同数のペアを出会った順で選んでいます(dict に max を使うと最初の"
            "ものが残ります)。docstring の規則は最小のペアです: "
            "min(pair for pair, count in counts.items() if count == top)",
        )


@pytest.mark.task("7.2")
@pytest.mark.checks("mistake")
def test_bpe_train_weights_pairs_by_word_frequency():
    # (a, b) is in one word, (c, d) in a word that occurs twice: counted once per word, they tie
    # and (a, b) wins the tie; counted per occurrence, (c, d) wins
    actual = tok.bpe_train("cd cd ab", 1)
    assert actual != [(97, 98)], msg(
        en="bpe_train counted each distinct word once: a pair in a word that occurs 2 times "
        "counts 2 times, so weight each word's pairs by how often it occurs",
        ja="bpe_train が異なる単語を 1 回ずつしか数えていません。2 回現れる単語のペアは 2 回と"
        "数えるので、各単語のペアを出現回数で重み付けしましょう",
    )


@pytest.mark.task("7.2")
@pytest.mark.checks("mistake")
def test_bpe_train_keeps_merges_inside_words():
    def whole(text):
        return [text]

    for text in ["a b a b a b", "x y x\ty x y"]:
        actual = tok.bpe_train(text, 1)
        assert actual != plain_train(text, 1, split=whole), msg(
            en="bpe_train merged a pair across two words (a space and a letter): cut the text "
            "into words first, WORD.findall(text), and count pairs only inside each word",
            ja="bpe_train が 2 つの単語をまたぐペア(空白と文字)を併合しています。先に "
            "WORD.findall(text) で単語に切り、ペアは各単語の中だけで数えましょう",
        )


@pytest.mark.task("7.2")
def test_bpe_train_counts_overlapping_pairs():
    # "aaa" holds (a, a) twice, so "aaa" ×2 counts 4 and beats (b, b)'s 3 ("bb" ×3); counted
    # without overlaps it would be 2, and (b, b) would come first
    actual = tok.bpe_train("aaa aaa bb bb bb", 3)
    check_merges(actual, [(97, 97), (98, 98), (256, 97)], "bpe_train('aaa aaa bb bb bb', 3)")


@pytest.mark.task("7.2")
def test_bpe_train_matches_a_full_recount(rng):
    for _ in range(6):
        text = random_text(rng)
        n = int(rng.integers(5, 40))
        check_merges(tok.bpe_train(text, n), plain_train(text, n), f"bpe_train(…, {n})")


# ---------------------------------------------------------------- 7.3 bpe_encode


@pytest.mark.task("7.3")
@pytest.mark.checks("inputs")
def test_bpe_encode_leaves_its_arguments_alone():
    assert_inputs_unchanged(tok.bpe_encode, "lowest newer", classic_merges(), {EOT: 300})


@pytest.mark.task("7.3")
@pytest.mark.checks("types")
def test_bpe_encode_returns_a_list_of_ints():
    assert_int_list(tok.bpe_encode("lowest 日本", classic_merges()), "bpe_encode")
    assert_int_list(tok.bpe_encode("", classic_merges()), "bpe_encode")


@pytest.mark.task("7.3")
def test_bpe_encode_worked_examples():
    merges = classic_merges()
    cases = [
        ("lowest", [259, 257]),  # low · est
        ("newer", [261, 266]),  # new · er
        ("lower widest", [267, 32, 265]),  # lower, the space, widest
        ("日", [230, 151, 165]),  # no merge knows these bytes: three byte tokens
        ("", []),
    ]
    for text, expected in cases:
        assert_ids(tok.bpe_encode(text, merges), expected, f"bpe_encode({text!r}, paper)")
    assert_ids(tok.bpe_encode("low", []), [108, 111, 119], "bpe_encode('low', [])")
    assert_ids(tok.bpe_encode("abc", [(98, 99), (97, 98)]), [97, 256], "bpe_encode('abc', …)")
    assert_ids(tok.bpe_encode("a a", [(32, 97)]), [97, 32, 97], "bpe_encode('a a', [(32, 97)])")


@pytest.mark.task("7.3")
@pytest.mark.checks("mistake")
def test_bpe_encode_applies_merges_in_the_order_learned():
    # (b, c) was learned first, so "abc" is a · bc, although (a, b) comes first in the word
    merges = [(98, 99), (97, 98)]
    actual = tok.bpe_encode("abc", merges)
    assert actual != [257, 99], msg(
        en="bpe_encode merged the first mergeable pair of the word from the left; merges apply "
        "in the order they were learned: always the pair of lowest rank (256 + k) first",
        ja="bpe_encode が単語の左から最初に見つかった併合可能なペアを併合しています。併合は"
        "学習した順に適用します。常に順位(256 + k)が最も小さいペアからです",
    )


@pytest.mark.task("7.3")
@pytest.mark.checks("mistake")
def test_bpe_encode_never_merges_across_words():
    merges = [(32, 97)]  # " a": a merge that would join a space to the next word
    actual = tok.bpe_encode("a a", merges)
    assert actual != [97, 256], msg(
        en="bpe_encode merged across a word boundary (a space with the next letter): cut the "
        "text into words with WORD.findall(text) and merge inside each word only, as in training",
        ja="bpe_encode が単語の境目(空白と次の文字)をまたいで併合しています。学習と同じく "
        "WORD.findall(text) で単語に切り、各単語の中だけで併合しましょう",
    )


@pytest.mark.task("7.3")
def test_bpe_encode_matches_merging_one_merge_at_a_time(rng):
    for _ in range(6):
        corpus, text = random_text(rng), random_text(rng, words=20)
        merges = plain_train(corpus, int(rng.integers(5, 40)))
        assert_ids(tok.bpe_encode(text, merges), plain_encode(text, merges), "bpe_encode")


@pytest.mark.task("7.3")
def test_bpe_encode_loses_nothing(rng):
    merges = plain_train(random_text(rng), 30)
    for text in [random_text(rng), random_codepoints(rng), "👨\u200d👩\u200d👧 　\n\t", "\x00"]:
        ids = tok.bpe_encode(text, merges)
        assert plain_decode(ids, merges) == text, msg(
            en=f"decoding what bpe_encode returned for {text[:20]!r} does not give the text back: "
            "every byte of every character must end up in some token",
            ja=f"{text[:20]!r} に対する bpe_encode の結果をデコードしても元のテキストに戻りません。"
            "すべての文字のすべてのバイトが、どれかのトークンに入るはずです",
        )


@pytest.mark.task("7.3")
def test_bpe_encode_keeps_special_tokens_whole():
    merges = [(60, 124), (124, 62)]  # "<|" and "|>": the special token must not be merged
    special = {EOT: 300, "<|end|>": 301}
    cases = [
        ("a" + EOT + "b", [97, 300, 98]),
        (EOT + EOT, [300, 300]),
        ("x<|end|>" + EOT, [120, 301, 300]),
        ("<|x|>", [256, 120, 257]),  # not a special token: ordinary bytes, merged
        ("a " + EOT + " b", [97, 32, 300, 32, 98]),
    ]
    longer = {"<s>": 300, "<s><s>": 301}  # both start at 0: the longer wins
    assert_ids(tok.bpe_encode("<s><s><s>", [], longer), [301, 300], "bpe_encode('<s><s><s>', …)")
    for text, expected in cases:
        actual = tok.bpe_encode(text, merges, special)
        assert_ids(actual, expected, f"bpe_encode({text!r}, ..., special)")
    assert_ids(tok.bpe_encode(EOT, merges, None), plain_encode(EOT, merges), "special=None")
    assert_ids(tok.bpe_encode(EOT, merges), plain_encode(EOT, merges), "no special")
    assert_ids(tok.bpe_encode(EOT, merges, {}), plain_encode(EOT, merges), "special={}")


@pytest.mark.task("7.3")
@pytest.mark.checks("mistake")
def test_bpe_encode_escapes_special_tokens():
    text = "a" + EOT + "b"
    try:
        tok.bpe_encode(text, [], {EOT: 300})
    except KeyError as error:
        raise AssertionError(
            msg(
                en=f"bpe_encode({text!r}, [], {{{EOT!r}: 300}}) raised KeyError {error}: the "
                "special token has | in it, which means 'or' in a regular expression; re.escape "
                "each special token before you build the pattern",
                ja=f"bpe_encode({text!r}, [], {{{EOT!r}: 300}}) が KeyError {error} を出しました。"
                "特殊トークンに含まれる | は正規表現では「または」の意味です。パターンを作る前に"
                "各特殊トークンを re.escape しましょう",
            )
        ) from None


@pytest.mark.task("7.3")
@pytest.mark.checks("mistake")
def test_bpe_encode_prefers_the_longer_special_token():
    special = {"<s>": 300, "<s><s>": 301}  # both start at 0
    actual = tok.bpe_encode("<s><s><s>", [], special)
    assert actual != [300, 300, 300], msg(
        en="bpe_encode took the shorter special token where a longer one starts at the same "
        "place: sort the special tokens longest first before building the pattern",
        ja="bpe_encode が、同じ位置から始まる長い特殊トークンではなく短いほうを取っています。"
        "パターンを作る前に特殊トークンを長い順に並べましょう",
    )


@pytest.mark.task("7.3")
def test_bpe_encode_with_special_tokens_matches_a_scan(rng):
    merges = plain_train(random_text(rng), 30)
    special = {EOT: 256 + len(merges), "[SEP]": 257 + len(merges), "。": 258 + len(merges)}
    for _ in range(5):
        parts = [random_text(rng, words=5) for _ in range(4)]
        marks = rng.choice(list(special), size=3)
        text = "".join(p + m for p, m in zip(parts, [*marks, ""]))
        expected = plain_encode(text, merges, special)
        assert_ids(tok.bpe_encode(text, merges, special), expected, "bpe_encode with special")


# ---------------------------------------------------------------- 7.4 bpe_decode


@pytest.mark.task("7.4")
@pytest.mark.checks("inputs")
def test_bpe_decode_leaves_its_arguments_alone():
    assert_inputs_unchanged(tok.bpe_decode, [259, 257, 300], classic_merges(), {EOT: 300})


@pytest.mark.task("7.4")
@pytest.mark.checks("types")
def test_bpe_decode_returns_a_str():
    for ids in ([259, 257], []):
        text = tok.bpe_decode(ids, classic_merges())
        assert isinstance(text, str), msg(
            en=f"bpe_decode should return a str, got {type(text).__name__}: "
            "bytes.decode('utf-8', errors='replace') turns the joined bytes into one",
            ja=f"bpe_decode は str を返すはずですが、{type(text).__name__} でした。"
            "つなげたバイト列は bytes.decode('utf-8', errors='replace') で str になります",
        )


def check_text(actual, expected, name: str) -> None:
    assert actual == expected, msg(
        en=f"{name} returned {actual!r}, expected {expected!r}",
        ja=f"{name} が {actual!r} を返しましたが、正しくは {expected!r} です",
    )


@pytest.mark.task("7.4")
def test_bpe_decode_worked_examples():
    merges = classic_merges()
    cases = [
        ([259, 257], "lowest"),
        ([267, 32, 265], "lower widest"),
        ([262, 10, 258], "newest\nlo"),
        ([230, 151, 165], "日"),
        ([], ""),
    ]
    for ids, expected in cases:
        check_text(tok.bpe_decode(ids, merges), expected, f"bpe_decode({ids}, paper)")
    check_text(tok.bpe_decode([108, 111, 119], []), "low", "bpe_decode([108, 111, 119], [])")
    ids = [256, 0x82, 0xF0, 0x9F, 0x8E, 0x89]
    check_text(tok.bpe_decode(ids, [(0xE3, 0x81)]), "あ🎉", f"bpe_decode({ids}, [(0xE3, 0x81)])")
    for ids, expected in [([0xE3, 0x81], "\ufffd"), ([104, 0xFF, 105], "h\ufffdi")]:
        check_text(tok.bpe_decode(ids, []), expected, f"bpe_decode({ids}, [])")


@pytest.mark.task("7.4")
@pytest.mark.checks("mistake")
def test_bpe_decode_joins_bytes_before_decoding():
    # あ is the 3 bytes e3 81 82; merged e3·81, it is two tokens that are not UTF-8 alone
    merges = [(0xE3, 0x81)]
    ids = [256, 0x82, 0xF0, 0x9F, 0x8E, 0x89]  # あ🎉, the emoji as four byte tokens
    mistaken = "".join(token_bytes(i, merges).decode("utf-8", errors="replace") for i in ids)
    actual = tok.bpe_decode(ids, merges)
    assert actual != mistaken, msg(
        en="bpe_decode decoded each token on its own: a Japanese character or an emoji is 3 or "
        "4 bytes and may be split over several tokens, so join the bytes of all the ids first "
        "and decode once",
        ja="bpe_decode がトークンを 1 つずつデコードしています。日本語の 1 文字や絵文字は "
        "3〜4 バイトで、複数のトークンに分かれることがあります。全 id のバイト列を先に"
        "つなげてから 1 回だけデコードしましょう",
    )


@pytest.mark.task("7.4")
@pytest.mark.checks("mistake")
def test_bpe_decode_replaces_invalid_bytes():
    for ids in ([0xE3, 0x81], [104, 0xFF, 105]):
        try:
            tok.bpe_decode(ids, [])
        except UnicodeDecodeError:
            raise AssertionError(
                msg(
                    en=f"bpe_decode({ids}, []) raised UnicodeDecodeError: ids can end in the "
                    "middle of a character (a model may generate any id), so decode with "
                    "errors='replace', which writes U+FFFD there",
                    ja=f"bpe_decode({ids}, []) が UnicodeDecodeError を出しました。id の列は"
                    "文字の途中で終わることがあります(モデルはどの id でも生成しえます)。"
                    "errors='replace' でデコードすれば、そこに U+FFFD が入ります",
                )
            ) from None


@pytest.mark.task("7.4")
def test_bpe_decode_inverts_encoding(rng):
    merges = plain_train(random_text(rng), 40)
    for text in [random_text(rng), random_codepoints(rng), random_text(rng, words=3)]:
        ids = plain_encode(text, merges)
        check_text(tok.bpe_decode(ids, merges), text, "bpe_decode(encode(text))")


@pytest.mark.task("7.4")
def test_bpe_decode_matches_expanding_each_id(rng):
    merges = plain_train(random_text(rng), 40)
    for _ in range(5):
        ids = rng.integers(0, 256 + len(merges), size=int(rng.integers(0, 30))).tolist()
        check_text(tok.bpe_decode(ids, merges), plain_decode(ids, merges), f"bpe_decode({ids})")


@pytest.mark.task("7.4")
def test_bpe_decode_writes_special_tokens(rng):
    merges = classic_merges()
    special = {EOT: 300, "[SEP]": 301}
    actual = tok.bpe_decode([259, 300, 301, 257], merges, special)
    check_text(actual, "low" + EOT + "[SEP]est", "bpe_decode([259, 300, 301, 257], …, special)")
    for _ in range(3):
        text = random_text(rng, words=6) + EOT + random_text(rng, words=6) + "[SEP]"
        ids = plain_encode(text, merges, special)
        check_text(tok.bpe_decode(ids, merges, special), text, "bpe_decode with special tokens")
    for none in (None, {}):
        check_text(tok.bpe_decode([259], merges, none), "low", f"bpe_decode([259], …, {none})")


# ---------------------------------------------------------------- 7.5 wordpiece_encode

# BERT's own docstring example: "unaffable" -> un, ##aff, ##able
VOCAB = ["[UNK]", "un", "##aff", "##able", "a", "##b", "##bc", "abc", "##c", "able", "aff"]


@pytest.mark.task("7.5")
@pytest.mark.checks("inputs")
def test_wordpiece_leaves_the_vocabulary_alone():
    assert_inputs_unchanged(tok.wordpiece_encode, "unaffable abc", VOCAB)


@pytest.mark.task("7.5")
@pytest.mark.checks("types")
def test_wordpiece_returns_a_list_of_ints():
    assert_int_list(tok.wordpiece_encode("unaffable abc", VOCAB), "wordpiece_encode")
    assert_int_list(tok.wordpiece_encode("", VOCAB), "wordpiece_encode")


@pytest.mark.task("7.5")
def test_wordpiece_worked_examples():
    cases = [
        ("unaffable", [1, 2, 3]),  # un · ##aff · ##able
        ("abc", [7]),  # the whole word is a token
        ("abcc", [7, 8]),  # abc · ##c
        ("ab", [4, 5]),  # a · ##b
        ("abbc", [4, 5, 6]),  # a · ##b · ##bc
        ("able  un\tabc\n", [9, 1, 7]),  # words are text.split()
        ("abc unx able", [7, 0, 9]),  # un matches, then nothing: the whole word is [UNK]
        ("", []),
    ]
    for text, expected in cases:
        assert_ids(tok.wordpiece_encode(text, VOCAB), expected, f"wordpiece_encode({text!r})")


@pytest.mark.task("7.5")
@pytest.mark.checks("mistake")
def test_wordpiece_unknown_word_is_one_unk():
    # "unx": "un" matches, then nothing matches "x" or "##x": the whole word is [UNK]
    actual = tok.wordpiece_encode("abc unx able", VOCAB)
    assert actual != [7, 1, 0, 9], msg(
        en="wordpiece_encode kept the pieces it had matched and put [UNK] only for the rest; "
        "when no token matches somewhere in a word, the whole word becomes one [UNK]",
        ja="wordpiece_encode が一致したピースを残し、残りだけを [UNK] にしています。単語の途中で"
        "どのトークンも一致しなければ、単語全体を 1 つの [UNK] にします",
    )


@pytest.mark.task("7.5")
@pytest.mark.checks("mistake")
def test_wordpiece_continuations_start_with_hashes():
    # "aff" and "able" exist as word starts only: "unaffable" must use ##aff and ##able
    vocab = ["[UNK]", "un", "aff", "able", "##aff", "##able"]
    actual = tok.wordpiece_encode("unaffable", vocab)
    assert actual != [1, 2, 3], msg(
        en="wordpiece_encode looked up a piece inside a word without '##': every piece after "
        "the first is a continuation and is written '##' + piece in the vocabulary",
        ja="wordpiece_encode が単語の途中のピースを '##' なしで探しています。2 つ目以降のピースは"
        "続きなので、語彙では '##' + piece と書かれています",
    )


@pytest.mark.task("7.5")
@pytest.mark.checks("mistake")
def test_wordpiece_takes_the_longest_match_first():
    actual = tok.wordpiece_encode("abc", VOCAB)
    assert actual != [4, 5, 8], msg(
        en="wordpiece_encode took the shortest matching piece: try the longest first "
        "(end from len(word) down), so 'abc' is the one token 'abc', not a · ##b · ##c",
        ja="wordpiece_encode が一致する最短のピースを取っています。最長のものから試しましょう"
        "(end を len(word) から減らす)。'abc' は a · ##b · ##c ではなく 1 つのトークン 'abc' です",
    )


@pytest.mark.task("7.5")
def test_wordpiece_long_words_and_the_unk_token():
    vocab = ["[PAD]", "a", "##a", "<unk>", "[UNK]"]
    word = "a" * 100
    expected = [1] + [2] * 99
    assert_ids(tok.wordpiece_encode(word, vocab), expected, "wordpiece_encode('a' * 100)")
    hashes = ["[UNK]", "un", "aff", "able", "##aff", "##able"]
    assert_ids(tok.wordpiece_encode("unaffable", hashes), [1, 4, 5], "wordpiece ##aff ##able")
    assert_ids(tok.wordpiece_encode(word + "a", vocab), [4], "wordpiece_encode('a' * 101)")
    assert_ids(
        tok.wordpiece_encode("aa b", vocab, unk_token="<unk>"), [1, 2, 3], "unk_token='<unk>'"
    )
    assert_ids(tok.wordpiece_encode("aaa aaaa", vocab, max_chars=3), [1, 2, 2, 4], "max_chars=3")
    explicit = tok.wordpiece_encode("ab " + word, vocab, "[UNK]", 100)
    assert_ids(tok.wordpiece_encode("ab " + word, vocab), explicit, "the defaults")


@pytest.mark.task("7.5")
def test_wordpiece_matches_a_recursive_version(rng):
    letters = list("abcdeあい")
    for _ in range(5):
        pieces = {"".join(rng.choice(letters, size=rng.integers(1, 4))) for _ in range(25)}
        vocab = ["[UNK]", *sorted(pieces), *sorted("##" + p for p in pieces)]
        text = " ".join("".join(rng.choice(letters, size=rng.integers(1, 8))) for _ in range(30))
        expected = plain_wordpiece(text, vocab)
        assert_ids(tok.wordpiece_encode(text, vocab), expected, "wordpiece_encode")


# ---------------------------------------------------------------- 7.2 speed: incremental counts


def corpus_100kb(rng: np.random.Generator) -> str:
    """~100 kB of words over a seeded vocabulary: 20 000 random words with a long-tailed
    (Zipf-like) frequency, so there are many distinct words (a full recount is expensive)
    and each pair sits in a few of them (an incremental update is cheap)."""
    ends = np.cumsum(rng.integers(2, 11, size=20_000))  # word lengths 2..10
    letters = rng.integers(ord("a"), ord("z") + 1, size=ends[-1]).astype(np.uint8)
    stream = letters.tobytes().decode("ascii")
    bank = [stream[a:b] for a, b in zip([0, *ends[:-1]], ends)]
    weights = 1.0 / (np.arange(len(bank)) + 1000.0)
    picks = rng.choice(len(bank), size=100_000 // 6, p=weights / weights.sum())
    return " ".join(bank[i] for i in picks)[:100_000]


def incremental_train(text: str, num_merges: int) -> list[tuple[int, int]]:
    """The same work with pair counts kept up to date: only the words holding the merged pair
    are recounted (the time to beat; its merges are compared with the learner's)."""
    freq = Counter(words_of(text))
    words = {w: list(w.encode("utf-8")) for w in freq}
    counts, holders = Counter(), {}
    for w, seq in words.items():
        for p in zip(seq, seq[1:]):
            counts[p] += freq[w]
            holders.setdefault(p, set()).add(w)
    merges = []
    for new_id in range(256, 256 + num_merges):
        top = max(counts.values(), default=0)
        if top == 0:
            break
        best = min(p for p, c in counts.items() if c == top)
        merges.append(best)
        for w in holders.pop(best):
            old = words[w]
            words[w] = new = plain_merge(old, best, new_id)
            counts.subtract({p: freq[w] * n for p, n in Counter(zip(old, old[1:])).items()})
            for p in zip(new, new[1:]):
                counts[p] += freq[w]
                holders.setdefault(p, set()).add(w)
    return merges


@pytest.mark.task("7.2")
@pytest.mark.perf
def test_bpe_train_counts_pairs_incrementally(seed):
    # 100 merges on 100 kB: recounting every pair of every distinct word (~8000 of them) before
    # each merge takes 15-19x as long as updating the counts of the words a merge touched
    # (measured on 2 busy cores; recounting every word occurrence, not each distinct word once,
    # is slower still); an incremental solution written less tightly (max with a key function,
    # zero counts dropped by rebuilding the Counter) takes 1-2x. Two runs, each on a
    # corpus of its own; the faster of each counts
    num_merges = 100

    def inputs(k):
        return (corpus_100kb(np.random.default_rng([seed, k])), num_merges)

    assert_fast_enough(
        tok.bpe_train,
        incremental_train,
        inputs,
        msg(en="bpe_train on 100 kB (100 merges)", ja="100 kB での bpe_train(併合 100 回)"),
        msg(
            en="A merge changes only the words that hold the merged pair: keep the pair counts "
            "and, for each pair, the words that hold it; after a merge subtract those words' old "
            "pairs and add their new ones, instead of counting every pair again",
            ja="1 回の併合で変わるのは、そのペアを含む単語だけです。ペアの回数と、ペアごとに"
            "それを含む単語を持っておき、併合のあとはその単語の古いペアを引いて新しいペアを"
            "足しましょう。毎回すべてのペアを数え直す必要はありません",
        ),
        factor=8,  # a full recount 15-19x; a correct solution 1-2x, up to 3x on a noisy machine
        runs=2,
    )
    text = corpus_100kb(np.random.default_rng([seed, 2]))
    check_merges(tok.bpe_train(text, num_merges), incremental_train(text, num_merges), "bpe_train")
