"""What a question asks for (swimming, eating, rents, schools…), recognised in any of the answer languages, and
the words other languages use for the same need: keyword search reaches "Les plages du Prado" from "Where can I
swim?" or "Wo kann man baden?", whatever words the page itself uses."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .text import fold

PREFIX_MIN = 5  # an entry this long also matches the words it starts ("baign" -> "baigner", "baignade")
NOT = "-"  # an entry starting with it is a phrase that holds a need's word but does not say the need


class Intents:
    """Groups of words, one group per need, matched accent-folded in a message."""

    def __init__(self, groups: Mapping[str, Sequence[str]]) -> None:
        self._groups: dict[str, tuple[str, ...]] = {}
        self._not: dict[str, re.Pattern[str]] = {}  # phrases that hold a need's word without saying the need
        for name, entries in groups.items():
            said, unsaid = _entries(entries)
            self._groups[name] = said
            if unsaid:
                self._not[name] = _pattern(unsaid)
        self._patterns = {name: _pattern(words) for name, words in self._groups.items() if words}

    def __len__(self) -> int:
        return len(self._groups)

    def of(self, text: str) -> tuple[str, ...]:
        """The needs ``text`` names, in the lexicon's order."""
        folded = " ".join(fold(text).split())
        return tuple(name for name, pattern in self._patterns.items() if pattern.search(self._without(name, folded)))

    def said(self, text: str) -> dict[str, list[str]]:
        """The words ``text`` says each need it names with, accent-folded ("fauteuil roulant" for accessible)."""
        folded = " ".join(fold(text).split())
        found = {name: [m.group(0) for m in pattern.finditer(self._without(name, folded))]
                 for name, pattern in self._patterns.items()}
        return {name: spans for name, spans in found.items() if spans}

    def _without(self, name: str, folded: str) -> str:
        """``folded`` without the phrases that do not say need ``name``."""
        unsaid = self._not.get(name)
        return unsaid.sub(" ", folded) if unsaid is not None else folded

    def vocabulary(self, text: str) -> list[str]:
        """The words of every need ``text`` names, in every language (accent-folded, each once)."""
        out: dict[str, None] = {}
        for name in self.of(text):
            for entry in self._groups[name]:
                for word in entry.split():
                    out.setdefault(word)
        return list(out)

    def neighbours(self, text: str) -> str:
        """The words of every need ``text`` names, in every language, but those it already uses."""
        said = set(fold(text).split())
        return " ".join(word for word in self.vocabulary(text) if word not in said)


def _entries(entries: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A need's entries accent-folded, each once: those that say it, and the phrases that do not (``NOT``)."""
    said: dict[str, None] = {}
    unsaid: dict[str, None] = {}
    for entry in entries:
        entry = entry.strip()
        if entry.startswith(NOT):
            unsaid.setdefault(" ".join(fold(entry[len(NOT):]).split()))
        elif entry:
            said.setdefault(" ".join(fold(entry).split()))
    return tuple(said), tuple(unsaid)


def _pattern(entries: Sequence[str]) -> re.Pattern[str]:
    parts = []
    for entry in sorted(entries, key=len, reverse=True):
        last = entry.split()[-1]
        tail = r"\w*" if len(last) >= PREFIX_MIN else ""
        parts.append(re.escape(entry) + tail)
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b")
