"""The agency's phrases, per answer language (from ``territory.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Voice:
    """Phrases keyed by language then by purpose (``intro``, ``dont_know``, ``more``...)."""

    phrases: Mapping[str, Mapping[str, str]]
    default_language: str
    unsupported_language: str
    language_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.phrases)

    def say(self, key: str, language: str, **values: object) -> str:
        table = self.phrases.get(language) or self.phrases[self.default_language]
        template = table.get(key) or self.phrases[self.default_language][key]
        return template.format(**values)

    def language_name(self, code: str, in_language: str) -> str:
        return self.language_names.get(code, {}).get(in_language, code)
