"""The course speaks Japanese and English: one choice of language, and bilingual sentences.

The language is chosen once per process, in this order: `--lang` (the CLI calls
`set_language`), then the environment variable LLMROAD_LANG, then the locale (Japanese
when LC_ALL, LC_MESSAGES or LANG says `ja…`), else English. The runner hands the choice
to the pytest child through LLMROAD_LANG, so the suites' messages follow it.

A sentence is written once, in both languages, where it is used:

    msg(en=f"row {i} sums to {total:.4g}", ja=f"{i} 行目の和が {total:.4g} です")

returns the sentence in the chosen language. A project test proves every message of the
suites and the catalogue's hints exist in both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LANGUAGES = ("en", "ja")
ENV = "LLMROAD_LANG"
_chosen: str | None = None  # set_language's choice; None: decide from the environment


def from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """LLMROAD_LANG if it names a language, else the locale's language, else English."""
    explicit = environ.get(ENV, "").strip().lower()[:2]
    if explicit in LANGUAGES:
        return explicit
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:  # the first one set decides, as in the C library
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def set_language(language: str | None) -> str:
    """Choose the language for this process (None: from the environment); returns it."""
    global _chosen
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    _chosen = language
    return current()


def current() -> str:
    return _chosen or from_environment()


def msg(*, en: str, ja: str) -> str:
    """The sentence in the chosen language. Both are required: a project test checks that
    no message of the course exists in one language only."""
    return ja if current() == "ja" else en


def pick(texts: Mapping[str, str]) -> str:
    """The chosen language's entry of {"en": ..., "ja": ...} (the catalogue's hints)."""
    return texts.get(current()) or texts["en"]
