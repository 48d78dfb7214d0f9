"""Language detection with lingua, which stays accurate on short messages."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from genius_loci.core.ports import LanguageGuess

# Besides the languages answered in, recognise the commonest others so that a message in one of
# them is reported as such instead of being forced into the closest supported language.
OTHER_LANGUAGES = ("pt", "nl", "ru", "ar", "zh", "ja", "ko", "pl", "tr", "uk", "sv", "ro")


class LinguaDetector:
    def __init__(self, languages: Iterable[str], others: Iterable[str] = OTHER_LANGUAGES) -> None:
        self._codes = tuple(dict.fromkeys([*languages, *others]))
        self._detector: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in self._codes]
                # models load up front (about 2 s, once per process) rather than on a first message
                self._detector = LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()
            return self._detector

    def warm_up(self) -> None:
        self._load()

    def detect(self, text: str) -> LanguageGuess | None:
        values = self._load().compute_language_confidence_values(text)
        if not values or values[0].value <= 0:
            return None
        best = values[0]
        return LanguageGuess(best.language.iso_code_639_1.name.lower(), float(best.value))
