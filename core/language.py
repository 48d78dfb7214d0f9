"""Choosing the language to answer in."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from .ports import LanguageDetector
from .text import words

MIN_CONFIDENCE = 0.5  # below this a short message is ambiguous ("ok", "Cassis?")
MIN_CONFIDENCE_UNSUPPORTED = 0.4
MIN_LETTERS_FOR_UNSUPPORTED = 12  # never call a one-word message "unsupported"

# Statistical detectors guess poorly on one-word messages; these words settle them.
SHORT_MESSAGE_WORDS: dict[str, str] = {
    **dict.fromkeys(["bonjour", "bonsoir", "salut", "merci", "coucou", "oui", "non", "svp"], "fr"),
    **dict.fromkeys(["hello", "hi", "thanks", "thank", "yes", "please", "hey"], "en"),
    **dict.fromkeys(["hola", "gracias", "buenos", "buenas", "si"], "es"),
    **dict.fromkeys(["ciao", "grazie", "buongiorno", "buonasera", "prego"], "it"),
    **dict.fromkeys(["hallo", "danke", "guten", "bitte", "tschuss", "ja", "nein"], "de"),
}


_FUNCTION_WORDS = {
    "fr": "le les des du est une pour dans avec ou quel quelle quels quelles comment combien pourquoi qui que "
          "je vous nous sont au aux ce cette peut faut quand et sur mes mon ma aller faire voir trouver",
    "en": "the is are what where how when which who why do does can of to for and in with you my i there any "
          "good some much many should from get",
    "es": "el los las es esta donde como que cual cuando hay para por una un del y con puedo se",
    "it": "il gli dove come cosa che quando quale per una un del della di con posso sono si",
    "de": "der die das ist wo wie was wann welche gibt es ich kann man und mit fur ein eine nach den dem",
}
# Only words that belong to a single language count as evidence.
_ALL = [w for ws in _FUNCTION_WORDS.values() for w in set(ws.split())]
FUNCTION_WORDS = {lang: frozenset(w for w in ws.split() if _ALL.count(w) == 1)
                  for lang, ws in _FUNCTION_WORDS.items()}
FUNCTION_WORD_MARGIN = 2  # this many more function words of one language than of any other settles it
# French questions' inversions and elisions: "Y a-t-il", "Est-ce que", "Peut-on", "Qu'est-ce"
_FRENCH_INVERSION = re.compile(r"\b\w+-t-(?:il|elle|on)\b|\best-ce\b|\b(?:peut|faut|doit|sont)-(?:il|on|ils|elles)\b|"
                               r"\bqu['’]", re.IGNORECASE)


def _function_word_vote(text: str, tokens: list[str], supported: Collection[str]) -> str | None:
    if ("¿" in text or "¡" in text) and "es" in supported:
        return "es"
    if _FRENCH_INVERSION.search(text) and "fr" in supported:  # "Y a-t-il…", "Est-ce que…", "Peut-on…"
        return "fr"
    counts = sorted(((n, lang) for lang, n in _function_words(tokens, supported).items()), reverse=True)
    if not counts:
        return None
    runner_up = counts[1][0] if len(counts) > 1 else 0
    return counts[0][1] if counts[0][0] - runner_up >= FUNCTION_WORD_MARGIN else None


def _function_words(tokens: list[str], supported: Collection[str]) -> dict[str, int]:
    """How many of ``tokens`` are function words of each supported language."""
    return {lang: sum(t in FUNCTION_WORDS[lang] for t in tokens) for lang in FUNCTION_WORDS if lang in supported}


def _only_language(tokens: list[str], supported: Collection[str]) -> str | None:
    """The one supported language some of ``tokens`` are function words of, when no other language's are (one-letter
    words left out: English "I" is the Italian article in "E i musei?")."""
    found = [lang for lang, n in _function_words([t for t in tokens if len(t) > 1], supported).items() if n]
    return found[0] if len(found) == 1 else None


def _without_names(text: str) -> str:
    """The text without capitalised words after the first: names ("Sainte-Victoire", "Cézanne")
    say nothing of the language the question is asked in, and pull detectors towards French."""
    tokens = text.split()
    kept = tokens[:1] + [t for t in tokens[1:] if not t[:1].isupper()]
    return " ".join(kept) if len(kept) >= 2 else text


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    language: str
    supported: bool
    detected: str | None
    confidence: float


def choose_language(text: str, detector: LanguageDetector, supported: Collection[str], default: str,
                    hint: str | None = None, names: Collection[str] = ()) -> LanguageChoice:
    """Detects the message's language, falling back on the hint (profile, channel locale) or default.

    ``names``: the place names the text uses (accent-folded); a message that is nothing but them ("Cassis ?",
    "La Ciotat") says nothing of its language (the detector read "Cassis ?" as Italian).

    Function words ("what is", "où est") overrule the statistical detector, which is swayed by the
    place names and dishes that fill questions about a French territory.

    A message confidently written in a language the territory does not serve is reported as
    unsupported, so the assistant can say which languages it speaks instead of answering badly.
    """
    fallback = hint if hint is not None and hint in supported else default
    tokens = words(text)
    if tokens and set(tokens) <= {w for name in names for w in words(name)}:
        return LanguageChoice(fallback, True, None, 0.0)
    if len(tokens) <= 3:
        for token in tokens:
            said = SHORT_MESSAGE_WORDS.get(token)
            # … unless the other words are another language's grammar: "si" is Spanish "yes" and Italian's "si"
            # ("Dove si svolge?")
            others = _function_words([t for t in tokens if t != token], supported)
            if said is not None and said in supported and not any(n for lang, n in others.items() if lang != said):
                return LanguageChoice(said, True, said, 1.0)
    guess = detector.detect(_without_names(text))
    voted = _function_word_vote(text, tokens, supported)
    # a question's grammar words outweigh a loanword ("What is bouillabaisse?" is English) and the conversation's
    # language: "When did the Mucem open?" after French questions is English, though the detector is unsure
    if voted is not None:
        return LanguageChoice(voted, True, guess.language if guess else None, guess.confidence if guess else 0.0)
    if guess is None:
        return LanguageChoice(fallback, True, None, 0.0)
    if guess.language in supported:
        if guess.confidence >= MIN_CONFIDENCE or hint not in supported:
            return LanguageChoice(guess.language, True, guess.language, guess.confidence)
        alone = _only_language(tokens, supported)
        # an unsure detector ("Comment candidater en master ?" read as English, 0.25, after English questions): the
        # grammar words of one language, and of no other, tell the message's language better than the conversation's
        return LanguageChoice(alone or fallback, True, guess.language, guess.confidence)
    letters = sum(ch.isalpha() for ch in text)
    if guess.confidence >= MIN_CONFIDENCE_UNSUPPORTED and letters >= MIN_LETTERS_FOR_UNSUPPORTED:
        return LanguageChoice(fallback, False, guess.language, guess.confidence)
    return LanguageChoice(fallback, True, guess.language, guess.confidence)
