"""Whether the passages an answer is written from name the thing a question asks whether it exists ("a surf school"
in "Is there a surf school in La Ciotat?") or where to find, buy or eat ("calissons" in "Where can I eat
calissons?"): when none does, they cannot say it exists or where it is, however close they are.

A word of the question is looked for in each passage's language: in the question's own language every word
counts; read as another language, a word some passage of the index holds counts as it is (names, numbers, shared
words). A word of another language that no passage holds ("piscina", "Hallenbad" read as French) is translated by
the embedding model, which places a word near its translation in any language: it is named when one of the
passages' words is its clear nearest ("coche" and "voiture", "Forschung" and "recherche"), not when its nearest is
only a neighbour ("surf" and "beach" are close; "piscina" has no word of an Aubagne page near it).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from genius_loci.core.followup import POINTING_BACK, QUESTION_WORDS
from genius_loci.core.intents import Intents
from genius_loci.core.ports import Embedder
from genius_loci.core.text import fold, words, written_words
from genius_loci.core.types import Hit, Query
from genius_loci.core.understanding import JOURNEY_WORDS, NEAR_WORDS, ORIGIN_WORDS

from ..analysis import read_as, without_stopwords
from ..answer_types import asked_where_to, asked_whether
from .features import Analysed, AnalysisCache

if TYPE_CHECKING:  # the reranker (.linear) reads the thing a question seeks with this module
    from .linear import TermStatistics

# A word is named when a word of the passages is near it (its translation, or its own part of a compound) or stands
# out from the others; it is not when nothing does, the nearest word being only what any word has. Measured with
# multilingual-e5-small, folded words embedded as queries, the cosine with the nearest word of the passages and
# how many standard deviations it stands above the mean cosine with them: translations "coche" / "voiture" 0.94,
# "Forschung" / "recherche" 0.94, "socorristas" / "secours" 0.90, "jubilados" / "seniors" 0.90 (3.3),
# "Krippenmarkt" / "market" 0.87 (3.8); nothing near: "piscina" 0.87 (2.6), "Hallenbad" 0.85 (2.9),
# "bicicletta" 0.86 (2.1), "Gepäckaufbewahrung" 0.84 (2.4). A close neighbour is not told from a translation
# ("surf" / "beach" 0.89 (4.5), "equipaje" / "aéroport" 0.89 (3.8)): such a word counts as named. Standing out
# alone is not enough: "Hund" / "down" 0.877 (3.8) and "Fahrrad" / "faire" 0.884 (6.1) stood out as much as
# "Krippenmarkt" / "market", so a word that stands out must also share four letters with the question's word.
TRANSLATION_COSINE = 0.89
TRANSLATION_Z = 3.5
TRANSLATED_LETTERS = 4  # shorter words are grammar or abbreviations, whose neighbours mean nothing

# Words that say where without naming a place ("in the region", "in der Region"): the place, not the thing.
AREA_WORDS = frozenset("""region regions regione regioni area zone zona territoire territory territorio gegend
    metropole metropolis metropoli ville city ciudad citta stadt""".split())
# Words that say how much of a thing or how good it is, not what it is ("algún tren bonito", "a nice beach", "qualche
# bella spiaggia"): the thing is the noun.
VAGUE_WORDS = frozenset("""quelque quelques beau belle beaux belles joli jolie jolis jolies sympa some nice beautiful
    pretty lovely cool algun alguna algunos algunas alguno bonito bonita bonitos bonitas lindo linda qualche
    qualcosa bello bella belli belle carino carina irgendein irgendeine irgendwelche schon schone schonen schoner
    hubsch""".split())
# ... and the verbs that say where it goes ("un tren que vaya por la costa", "a train that runs along the coast").
ROUTE_WORDS = frozenset("""passe passent longe longent vaya van vayan recorre pasa passa passano percorre goes
    runs passes follows fahrt geht entlang""".split())
_CAPITALISED = re.compile(r"(?<=\w )[A-ZÀ-Þ][\w'’-]*")


def thing_asked(query: Query, intents: Intents) -> list[str]:
    """The words naming what a question asks whether it exists ("surf", "school" in "Is there a surf school in La
    Ciotat?"), or where to find, buy or eat ("calissons" in "Where can I eat calissons?"): after the opening, without
    grammar, words pointing back ("dort"), place names, the words of a need it names (those are matched in any
    language), nor the words of a journey or of nearness. Each word is given as the question writes it
    (lower-cased): a stemmer reads "adaptées" and the folded "adaptees" apart, and the pages are stemmed accented. A
    capitalised word within a sentence is a name ("la gare Saint-Charles"), except in German, whose nouns are all
    capitalised: there only a hyphenated one is ("am Bahnhof Saint-Charles")."""
    rest = asked_whether(query.text)
    return _thing(query, intents, rest if rest is not None else asked_where_to(query.text))


def thing_sought(query: Query, intents: Intents) -> list[str]:
    """The words naming what a question asks where to find, buy or eat ("calissons" in "Where can I eat
    calissons?"), as ``thing_asked`` reads them; none for another question."""
    return _thing(query, intents, asked_where_to(query.text))


def _thing(query: Query, intents: Intents, rest: str | None) -> list[str]:
    if rest is None:
        return []
    needed = [w for w in intents.vocabulary(query.text) if len(w) >= 4]
    names = _CAPITALISED.findall(query.text)
    if query.language == "de":
        names = [n for n in names if "-" in n]
    placed = {w for name in query.named for w in name.split()} | set(words(" ".join(names)))
    written = {fold(w): w for w in written_words(query.text)}
    return [written.get(w, w) for w in words(rest) if len(w) > 2 and w not in QUESTION_WORDS and w not in placed
            and w not in POINTING_BACK  # "dort" in "Gibt es dort Ingenieurschulen?" is where, not what
            and w not in JOURNEY_WORDS and w not in NEAR_WORDS and w not in ORIGIN_WORDS and w not in AREA_WORDS
            and w not in VAGUE_WORDS and w not in ROUTE_WORDS
            and not any(w.startswith(n) for n in needed)]


def names_thing(query: Query, language: str, analysed: Analysed, thing: Sequence[str]) -> bool:
    """Whether a passage in ``language``, as ``analysed``, names one of the ``thing`` words, read as its language
    (no translation)."""
    held = analysed.present | analysed.title
    return any(set(read_as(word, query.language, language)) & held for word in thing)


async def named_in(query: Query, hits: Sequence[Hit], intents: Intents, stats: TermStatistics,
                   vectors: WordVectors | None = None, analysis: AnalysisCache | None = None) -> bool | None:
    """Whether one of ``hits`` names the thing a question asks whether it exists, a word of it found in some
    passage's language; without word ``vectors``, a word of another language that no passage holds says nothing. None
    when the question asks no such thing or none of its words could be looked for. ``analysis``: the passages'
    terms, kept between questions."""
    thing = thing_asked(query, intents)
    if not thing:
        return None
    analysis = analysis or AnalysisCache()
    present: dict[str, set[str]] = {}
    for h in hits:
        analysed = analysis.get(h.passage)
        present.setdefault(h.passage.language, set()).update(analysed.present | analysed.title)
    judged = False
    foreign: list[str] = []
    for word in thing:
        looked = False
        for language, held in present.items():
            read = read_as(word, query.language, language)
            # in the question's own language every word counts ("surf": no page names it); read as another, the
            # words some passage of the index holds count as they are (names, shared words)
            wanted = set(read) if language == query.language else set(stats.document_frequencies(read))
            if wanted:
                looked = True
                if wanted & held:
                    return True
        judged |= looked
        if not looked and len(word) >= TRANSLATED_LETTERS and without_stopwords(word, query.language):
            foreign.append(word)  # another language's word no passage holds ("piscina" read as French)
    if foreign and vectors is not None:
        own = sorted({w for h in hits if h.passage.language != query.language
                      for w in without_stopwords(f"{h.passage.title} {h.passage.text}", h.passage.language).split()
                      if len(w) >= TRANSLATED_LETTERS})
        if own:
            if await _translated(foreign, own, vectors):
                return True
            judged = True
    return False if judged else None


class WordVectors:
    """The embedding model's vectors of single words, as queries (the role that sets a word nearest its
    translation), kept in memory: the words of a passage are embedded the first time it is given, and looked up
    after that. Least recently used words go first beyond ``size``. An embedder that keeps vectors on disk on
    request (``CachedEmbedder.embed_kept``) keeps them for the next process too."""

    def __init__(self, embedder: Embedder, size: int = 50_000) -> None:
        self._embed = getattr(embedder, "embed_kept", embedder.embed)
        self._size = size
        self._known: OrderedDict[str, np.ndarray] = OrderedDict()

    async def of(self, texts: Sequence[str]) -> np.ndarray:
        found = {t: self._known[t] for t in texts if t in self._known}  # kept aside: another question may evict
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = np.asarray(await self._embed(missing, role="query"))
            found.update(zip(missing, vectors, strict=True))
        for text, vector in found.items():
            self._known[text] = vector
            self._known.move_to_end(text)
        while len(self._known) > self._size:
            self._known.popitem(last=False)
        return np.vstack([found[t] for t in texts])


async def _translated(asked: list[str], own: list[str], vectors: WordVectors) -> bool:
    """Whether one of the ``asked`` words has a translation among ``own``: a word of them near it, or clearly its
    nearest and a part of it ("Krippenmarkt" / "market": not "Hund" / "down", nor "Fahrrad" / "faire", which stand
    out as much but share nothing)."""
    for word, cosines in zip(asked, await vectors.of([" ".join(words(w)) for w in asked]) @ (await vectors.of(own)).T,
                             strict=True):
        best, spread = float(cosines.max()), float(cosines.std())
        if best >= TRANSLATION_COSINE:
            return True
        nearest = own[int(cosines.argmax())]
        if spread > 0 and (best - float(cosines.mean())) / spread >= TRANSLATION_Z and _shares_part(word, nearest):
            return True
    return False


def _shares_part(a: str, b: str) -> bool:
    """Whether two words share a stretch of ``TRANSLATED_LETTERS`` letters (accent-folded)."""
    a, b = fold(a), fold(b)
    return any(a[i:i + TRANSLATED_LETTERS] in b for i in range(len(a) - TRANSLATED_LETTERS + 1))
