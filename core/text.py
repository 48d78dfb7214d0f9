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
    """True when the text holds at least one letter (emoji, digits and punctuation alone do not count)."""
    return any(ch.isalpha() for ch in text)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))
