"""Text analysis for keyword search: folding, stop words and Snowball stemming per language."""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

import Stemmer

from genius_loci.core.text import fold

STEMMER_NAMES = {"fr": "french", "en": "english", "es": "spanish", "it": "italian", "de": "german",
                 "pt": "portuguese", "nl": "dutch"}

# Short lists of the commonest function words (accent-folded): enough to keep OR-queries lean. English's
# contractions split at the apostrophe ("don't" -> "don", "t"): their first halves are function words too.
_STOPWORDS = {
    "fr": "a au aux avec ce ces cet cette dans de des du elle en est et etre il ils je la le les leur lui "
          "ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta "
          "te tes toi ton tu un une vos votre vous y c d j l m n s t quel quelle quels quelles est ce sont "
          "comment combien quand faut peut peux dis dites voudrais aimerais pouvez pourriez svp stp parlez",
    "en": "a an and are as at be by can do does for from has have how i in is it its me my of on or our "
          "that the their there this to was we were what when where which who why will with you your "
          "about more tell please would could should know want like any some they them he she his her "
          "don isn aren won wouldn couldn doesn didn shouldn wasn weren hasn haven hadn mustn needn ll ve re",
    "es": "a al como con de del el en es esta este hay la las lo los mas me mi para pero por que se su sus "
          "un una y donde cuando cual cuanto quiero quisiera puedes puede favor dime cuentame "
          "hablame sobre",
    "it": "a ai al alla anche che chi ci come con da dei del della di dove e gli ha i il in la le lo ma mi "
          "nel non per quale quando quanto se si sono su un una piu vorrei puoi puo favore dimmi "
          "parlami sul sullo sulla sui sulle",
    "de": "am an auf aus bei bin das dem den der des die du ein eine einen er es fur gibt hat ich im in "
          "ist kann man mit nach nicht oder sie sind und von was wie wo zu zum zur wann welche mehr uber mochte "
          "bitte erzahl erzahlen konnen mir mich dir dich",
}
STOPWORDS = {lang: frozenset(ws.split()) for lang, ws in _STOPWORDS.items()}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ0-9«\"(])")


# The version of ``terms``: an index stamps each document's fingerprint with it, so that documents analysed by an
# earlier version read as changed and the next `loci ingest` writes them again (their vectors come from the cache).
ANALYSIS_VERSION = "5"  # 2: words stemmed before their accents are folded; 3: conversational stop words; 4: French
# plurals in -eux; 5: French verbs in -ent
_STAMP = "~terms"


def stamped(fingerprint: str) -> str:
    """A document's fingerprint as an index stores it: with the analysis its keyword terms were written by."""
    return f"{fingerprint.split(_STAMP, 1)[0]}{_STAMP}{ANALYSIS_VERSION}"


def written(stored: str) -> str:
    """The fingerprint an index stored, whichever analysis its terms were written by (an export: the index it is
    moved to analyses the passages again)."""
    return stored.partition(_STAMP)[0]


def current(stored: str) -> str:
    """The fingerprint an index stored, or "" when its terms were written by another analysis (stale)."""
    head, _, version = stored.partition(_STAMP)
    return head if version == ANALYSIS_VERSION else ""


_local = threading.local()  # a stemmer object serves one thread at a time


def _stemmer(language: str) -> Stemmer.Stemmer | None:
    name = STEMMER_NAMES.get(language)
    if not name:
        return None
    cache: dict[str, Stemmer.Stemmer] = _local.__dict__.setdefault("stemmers", {})
    if name not in cache:
        cache[name] = Stemmer.Stemmer(name)
    return cache[name]


def terms(text: str, language: str) -> list[str]:
    """Stop-word-free, stemmed, then accent-folded tokens of ``text`` read as ``language``. Snowball reads the
    accents (French "randonnée" and "randonner" share "randon" only when the é is there), so words are stemmed
    before they are folded."""
    return _folded_terms(_stemmed(text, language)[1], language)


def _stemmed(text: str, language: str) -> tuple[list[str], list[str]]:
    """The stop-word-free tokens of ``text`` read as ``language``, and their stems (accents kept)."""
    stop = STOPWORDS.get(language, frozenset())
    tokens = [t for t in _TOKEN.findall(unicodedata.normalize("NFC", text).casefold())
              if (len(t) > 1 or t.isdigit()) and _folded(t) not in stop]
    stemmer = _stemmer(language)
    return tokens, (stemmer.stemWords(tokens) if stemmer else tokens)


def _folded_terms(stemmed: list[str], language: str) -> list[str]:
    stems = [_folded(t) for t in stemmed]
    endings = PLURAL_ENDINGS.get(language)
    return [_singular(t, endings) for t in stems] if endings else stems


# Plurals a language's Snowball stemmer leaves whole, read as their singular: French "feux", "jeux", "lieux" (the
# stemmer keeps "feux" and "feu" apart; "bateaux" and "bateau" it joins).
PLURAL_ENDINGS = {"fr": (("eux", "eu"),)}


def _verb_stems(tokens: list[str], stemmed: list[str], language: str) -> list[str]:
    """The French words in -ent among ``tokens`` that Snowball leaves whole (``stemmed``), read as verbs of the third
    person plural ("accostent", "desservent", "relient"): the stems of their infinitives in -er ("accost", as
    "accoste" and "accoster" give). Indexed beside the words' own terms, never in their place: "parent", "client",
    "différent" are nouns and adjectives too, whose other forms must still meet them."""
    stemmer = _stemmer(language) if language == "fr" else None
    if stemmer is None:
        return []
    return [_folded(stemmer.stemWord(t[:-2] + "r")) for t, s in zip(tokens, stemmed, strict=True)
            if s == t and t.endswith("ent") and len(t) >= 6]


def _singular(stem: str, endings: tuple[tuple[str, str], ...]) -> str:
    for plural, singular in endings:
        if stem.endswith(plural) and len(stem) > len(plural):
            return stem[: -len(plural)] + singular
    return stem


def indexed_terms(title: str, text: str, language: str) -> str:
    """What keyword search indexes of a passage: its title's and text's terms, and the French verbs' infinitive
    stems (``_verb_stems``), space-separated."""
    tokens, stemmed = _stemmed(f"{title}\n{text}", language)
    return " ".join([*_folded_terms(stemmed, language), *_verb_stems(tokens, stemmed, language)])


@functools.lru_cache(maxsize=200_000)
def _folded(word: str) -> str:
    """``fold`` of one word (words and stems repeat: each is folded once)."""
    return fold(word)


def without_stopwords(text: str, language: str) -> str:
    """``text`` without ``language``'s stop words (to read a question's words as another language's), accent-folded:
    another language's accents would mislead this language's stemmer ("microelectrónica" read as French)."""
    stop = STOPWORDS.get(language, frozenset())
    return " ".join(t for t in _TOKEN.findall(fold(text)) if t not in stop)


def read_as(text: str, asked_in: str | None, language: str) -> list[str]:
    """The terms of ``text``, asked in ``asked_in``, read as ``language``: its own terms when the two are the same
    language (or ``asked_in`` is unknown), else without ``asked_in``'s stop words, accent-folded, stemmed as
    ``language`` (names, numbers and words the languages share then match), as keyword search reads a question
    across languages."""
    if asked_in is None or asked_in == language:
        return terms(text, language)
    return terms(without_stopwords(text, asked_in), language)


def sentences(text: str) -> list[str]:
    """Sentences of a text, split after end punctuation followed by a capital or a digit."""
    return [s.strip() for para in re.split(r"\n\s*\n", text) for s in SENTENCE_END.split(" ".join(para.split()))
            if s.strip()]
