"""The course's small Japanese corpus, one character per token (checker/data/README.md says
where the text comes from and why it may be shipped)."""

from pathlib import Path

import numpy as np

CORPUS_PATH = Path(__file__).resolve().parent.parent / "data" / "wagahai.txt"


def corpus_text() -> str:
    """The whole corpus as one string."""
    return CORPUS_PATH.read_text(encoding="utf-8")


def vocabulary(text: str) -> list[str]:
    """Every distinct character of text, sorted: token id i is vocabulary(text)[i]."""
    return sorted(set(text))


def encode(text: str, vocab: list[str]) -> np.ndarray:
    """(N,) int64 token ids of text's characters."""
    index = {char: i for i, char in enumerate(vocab)}
    return np.array([index[char] for char in text], dtype=np.int64)


def decode(ids, vocab: list[str]) -> str:
    """The characters of token ids, joined."""
    return "".join(vocab[int(i)] for i in ids)
