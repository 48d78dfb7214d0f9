"""Choosing the language to answer in."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .ports import LanguageDetector
from .text import words

MIN_CONFIDENCE = 0.5  # below this a short message is ambiguous ("ok", "Cassis?")
MIN_CONFIDENCE_UNSUPPORTED = 0.4
MIN_LETTERS_FOR_UNSUPPORTED = 12  # never call a one-word message "unsupported"

# Statistical detectors guess poorly on one-word messages; these words settle them.
SHORT_MESSAGE_WORDS: dict[str, str] = {
    **dict.fromkeys("bonjour bonsoir salut merci coucou oui non svp".split(), "fr"),
    **dict.fromkeys("hello hi thanks thank yes please hey".split(), "en"),
    **dict.fromkeys("hola gracias buenos buenas si".split(), "es"),
    **dict.fromkeys("ciao grazie buongiorno buonasera prego".split(), "it"),
    **dict.fromkeys("hallo danke guten bitte tschuss ja nein".split(), "de"),
}


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    language: str
    supported: bool
    detected: str | None
    confidence: float


def choose_language(text: str, detector: LanguageDetector, supported: Collection[str], default: str,
                    hint: str | None = None) -> LanguageChoice:
    """Detects the message's language, falling back on the hint (profile, channel locale) or default.

    A message confidently written in a language the territory does not serve is reported as
    unsupported, so the assistant can say which languages it speaks instead of answering badly.
    """
    fallback = hint if hint in supported else default
    tokens = words(text)
    if len(tokens) <= 3:
        for token in tokens:
            if SHORT_MESSAGE_WORDS.get(token) in supported:
                return LanguageChoice(SHORT_MESSAGE_WORDS[token], True, SHORT_MESSAGE_WORDS[token], 1.0)
    guess = detector.detect(text)
    if guess is None:
        return LanguageChoice(fallback, True, None, 0.0)
    if guess.language in supported:
        if guess.confidence >= MIN_CONFIDENCE or hint not in supported:
            return LanguageChoice(guess.language, True, guess.language, guess.confidence)
        return LanguageChoice(fallback, True, guess.language, guess.confidence)
    letters = sum(ch.isalpha() for ch in text)
    if guess.confidence >= MIN_CONFIDENCE_UNSUPPORTED and letters >= MIN_LETTERS_FOR_UNSUPPORTED:
        return LanguageChoice(fallback, False, guess.language, guess.confidence)
    return LanguageChoice(fallback, True, guess.language, guess.confidence)
