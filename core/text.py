"""Small text helpers with no dependency: accent folding and word tests."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, strip accents, turn apostrophes and hyphens into spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[-'’`]", " ", stripped)


def has_words(text: str) -> bool:
    """True when the text holds a word of two letters or more (emoji, digits, punctuation and a
    lone letter do not count)."""
    return any(sum(ch.isalpha() for ch in w) >= 2 for w in text.split())


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))
