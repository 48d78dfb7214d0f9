"""Small text helpers with no dependency: accent folding and word tests."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
_SEPARATORS = re.compile(r"[-'’`]")
# every combining mark of the Basic Multilingual Plane (accents, once decomposed), as one character class
_MARKS = re.compile("[" + "".join(re.escape(chr(c)) for c in range(0x10000)
                                  if not 0xD800 <= c <= 0xDFFF and unicodedata.combining(chr(c))) + "]+")


def fold(text: str) -> str:
    """Lower-case, strip accents, turn apostrophes and hyphens into spaces."""
    lowered = text.casefold()
    if not lowered.isascii():
        lowered = _MARKS.sub("", unicodedata.normalize("NFKD", lowered))
    return _SEPARATORS.sub(" ", lowered)


def has_words(text: str) -> bool:
    """True when the text holds a word of two letters or more (emoji, digits, punctuation and a
    lone letter do not count)."""
    return any(sum(ch.isalpha() for ch in w) >= 2 for w in text.split())


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def written_words(text: str) -> list[str]:
    """The words of ``text`` split as ``words`` splits them, lower-cased but with their accents ("adaptées"): a
    stemmer reads a word and its folded form apart."""
    return _WORD.findall(_SEPARATORS.sub(" ", text.casefold()))
