"""A learned, calibrated confidence: the probability that the passages an answer is written from hold the
answer, from what retrieval already knows of the best hits.

Features: the reranker's features of the first hit (both retrievers' scores and ranks, how much of the
question's weight its best sentence and its best 25-word window cover, title and bigram coverage…), the
first hit's score and its margin over the second, whether it is in the question's language, and whether the
answer type the question asks for (a date for "when", an amount for "how much", a number for "how many")
appears in its best sentence; read with the territory's lexicon of needs (core.intents), in any language, how
many of the needs the question names (swimming, rents, getting there…) the first passages name too, whether
the place it names is the first passage's, and how much of the question the first passage's best sentence holds,
read under the page's title, when the words saying a need the passage names count as found ("talk to" on a page
about whom to contact); how rare the rarest word of the question the passages lack (their titles included) is. A
logistic model over them is trained by ``bench/train_confidence.py`` on questions whose gold passages are
sometimes hidden, so that "nothing here answers it" is learned too; it is shipped in ``config/confidence.json``
and needs only numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genius_loci.core.errors import ConfigError
from genius_loci.core.intents import Intents
from genius_loci.core.ports import Calibrator, Embedder
from genius_loci.core.types import Hit, Query

from ..analysis import sentences, terms
from ..answer_types import asked_type, asks_for_fact, has_type, holds_fact
from .features import BASE, AnalysisCache, features
from .features import NAMES as RERANK_NAMES
from .linear import TermStatistics, question_idf, read_model
from .named import WordVectors, named_in

NAMES = (*(f"top_{n}" for n in BASE), "top_score", "margin", "same_language", "type_asked", "type_found",
         "log_terms", "top_sentence_cosine", "best_sentence_cosine", "sentence_over_passage", "located",
         "missing_rare", "missing_rare_in_head", "missing_x_same_language", "needs_asked", "needs_in_top",
         "needs_in_head", "place_named", "place_in_top", "coverage_with_needs")
SENTENCE_HITS = 3  # the passages whose sentences are compared with the question (those an answer quotes)
# A question asking what something costs, when a place opens or what a rate is, when none of the passages an answer
# is written from gives an amount, a time or day, or a percentage: they cannot answer it, however close they are
# ("Combien coûte l'entrée ?" on the museum's page that gives none). The confidence is held below any sensible
# threshold.
MISSING_FACT_CEILING = 0.05
HEAD = 10  # hits whose features are computed together (z-scores are relative to them)
# Needs of config/intents.yaml whose answer is a fact (an amount, a time): a page that names them ("prix",
# "horaires") need not give it, so their words are not counted as found where the page names the need.
FACT_NEEDS = frozenset({"price", "opening_hours"})

@dataclass(frozen=True, slots=True)
class ConfidenceWeights:
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def load(cls, path: Path) -> ConfidenceWeights:
        data = read_model(path, NAMES, "bench/train_confidence.py")
        try:
            return cls(np.array(data["weights"]), float(data["bias"]), np.array(data["mean"]), np.array(data["scale"]))
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"cannot read the confidence model {path}: {exc}") from exc

    def probability(self, row: Sequence[float]) -> float:
        x = (np.asarray(row, dtype=np.float64) - self.mean) / self.scale
        logit = float(x @ self.weights + self.bias)
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))


class ConfidenceFeatures:
    """The feature row of a question's ranked hits (shared by the model and its training)."""

    def __init__(self, stats: TermStatistics, embedder: Embedder, intents: Intents | None = None) -> None:
        self._stats = stats
        self._embedder = embedder
        self._intents = intents or Intents({})
        self._analysis = AnalysisCache(intents=intents)

    async def row(self, query: Query, hits: Sequence[Hit]) -> list[float] | None:
        if not hits:
            return None
        head = list(hits[:HEAD])
        wanted, idf = question_idf(query, self._stats)
        n = max(1, self._stats.count())

        first_row = features(query, head, idf, self._analysis)[0]
        top = first_row[: len(BASE)]
        first = head[0]
        margin = first.score - head[1].score if len(head) > 1 else 1.0
        kind = asked_type(query.text)
        found = 0.0
        if kind is not None:
            best = _best_sentence(first.passage.text, wanted, first.passage.language, kind)
            found = float(has_type(best, kind))
        top_sentence, best_sentence = await self._sentence_cosines(query, head[:SENTENCE_HITS])
        given = [self._analysis.get(h.passage) for h in head[:SENTENCE_HITS]]  # those an answer quotes from
        analysed = given[0]
        # the question's most specific word, when the passages lack it ("chien" in "dogs on the beach?"); a page's
        # title is its own ("Venise provençale" in the title of the page on Martigues)
        top_words = analysed.present | analysed.title
        head_words = set().union(*(a.present | a.title for a in given))
        rarest = math.log(n + 1) or 1.0
        missing = max((idf(t) for t in wanted if t not in top_words), default=0.0) / rarest
        missing_head = max((idf(t) for t in wanted if t not in head_words), default=0.0) / rarest
        same = float(first.passage.language == query.language)
        asked = set(query.needs)
        in_head = set().union(*(a.needs for a in given))
        share_head = len(asked & in_head) / len(asked) if asked else 0.0
        # the first hit's needs and place, as the reranker read them
        share, place_in_top = first_row[RERANK_NAMES.index("needs_share")], first_row[RERANK_NAMES.index("place_in")]
        said = need_terms(query.text, wanted, (asked & analysed.needs) - FACT_NEEDS, self._intents)
        mass = sum(idf(t) for t in wanted) or 1.0
        # each sentence read under the page's title, which says what it speaks of ("Les feux … y sont interdits"
        # under "Le Parc national des Calanques")
        everywhere = analysed.title | said
        with_needs = max((sum(idf(t) for t in wanted if t in s or t in everywhere) / mass for s in analysed.sentences),
                         default=0.0)
        return [*top, first.score, margin, same, float(kind is not None), found, math.log(len(wanted) + 1),
                top_sentence, best_sentence, top_sentence - first.scores.get("dense", top_sentence),
                float(query.geo is not None and query.from_user), missing, missing_head, missing * same,
                float(bool(asked)), share, share_head, float(bool(query.named)), place_in_top, with_needs]

    async def _sentence_cosines(self, query: Query, hits: Sequence[Hit]) -> tuple[float, float]:
        """The question's best cosine with a sentence of the first hit, and of any of ``hits``: a question
        is usually answered by one sentence, which the whole passage's vector dilutes. Sentences are embedded
        as passages, as the extractive answerer does (the cache shares them)."""
        per_hit = [sentences(h.passage.text) or [h.passage.text] for h in hits]
        flat = [s for group in per_hit for s in group]
        question = await self._embedder.embed([query.text], role="query")
        vectors = await self._embedder.embed(flat, role="passage")
        cosines = vectors @ question[0]
        first = float(cosines[: len(per_hit[0])].max())
        return first, float(cosines.max())


def need_terms(text: str, wanted: Sequence[str], needs: set[str], intents: Intents) -> set[str]:
    """The question's terms (``wanted``) that say one of ``needs`` in its own words: "talk" in "Who should we talk
    to?" (contact), "kids" in "… with two kids" (children). A page that names the need answers those words in its
    own ("contact", "families"), so they count as found in it. A term is a stem: it starts the need's word as the
    question writes it ("kid" for "kids"), or, for a longer one, the word starts it."""
    spoken = {w for need, spans in intents.said(text).items() if need in needs for span in spans for w in span.split()}
    return {t for t in wanted if any(w.startswith(t) or (len(w) >= 4 and t.startswith(w)) for w in spoken)}


def _best_sentence(text: str, wanted: list[str], language: str, kind: str) -> str:
    """The sentence holding most of the question's words; of those holding as many, one holding the kind of thing
    asked (as the answerer favours it): "Depuis quand le vin de Cassis est-il une AOC ?" is answered by "Son vin
    blanc … en 1936", which holds as many of its words as the page's opening."""
    wanted_set = set(wanted)
    return max(sentences(text) or [text], key=lambda s: (len(wanted_set & set(terms(s, language))), has_type(s, kind)))


class LearnedConfidence:
    """``Calibrator`` of the core: the model's probability for a question's ranked hits."""

    def __init__(self, weights: ConfidenceWeights, stats: TermStatistics, embedder: Embedder,
                 intents: Intents | None = None) -> None:
        self._weights = weights
        self._features = ConfidenceFeatures(stats, embedder, intents)

    async def __call__(self, query: Query, hits: Sequence[Hit]) -> float:
        row = await self._features.row(query, hits)
        return 0.0 if row is None else self._weights.probability(row)


class MissingFactCeiling:
    """``Calibrator`` around any other (learned or similarity): a question asking for a price, opening hours or a
    rate (``answer_types.asks_for_fact``) gets at most ``MISSING_FACT_CEILING`` when none of the first
    ``passages`` hits — those an answer is written from — that name what the question asks it of (the needs it
    names besides the fact: rents for a rent's price) gives that kind of fact; so does a question asking
    whether something exists ("Is there a surf school in La Ciotat?"), or where to find, buy or eat it ("Where can I
    eat calissons?"), when none of them names the thing
    (``named.named_in``, across languages with ``embedder``)."""

    def __init__(self, inner: Calibrator, passages: int, intents: Intents | None = None,
                 stats: TermStatistics | None = None, embedder: Embedder | None = None) -> None:
        self._inner = inner
        # a word of another language that no passage holds is translated by the embedding model
        self._words = WordVectors(embedder) if embedder is not None else None
        self._passages = passages
        self._intents = intents or Intents({})
        self._stats = stats
        self._analysis = AnalysisCache(intents=self._intents)  # each passage's needs, read once

    async def __call__(self, query: Query, hits: Sequence[Hit]) -> float:
        confidence = await self._inner(query, hits)
        given = hits[: self._passages]
        fact = asks_for_fact(query.text)
        # the fact counts in a passage about what the question asks the fact of: the rent's amount is not in the
        # festival's ticket price ("¿Cuánto cuesta el alquiler en Aix?" given the living page and the festival's)
        topic = set(query.needs) - FACT_NEEDS
        if fact is not None and not holds([h for h in given if topic <= self._analysis.get(h.passage).needs], fact):
            return min(confidence, MISSING_FACT_CEILING)
        if self._stats is not None and await named_in(query, given, self._intents, self._stats, self._words,
                                                      self._analysis) is False:
            return min(confidence, MISSING_FACT_CEILING)
        return confidence


def holds(hits: Sequence[Hit], fact: str) -> bool:
    """Whether one of ``hits`` gives that kind of fact (``answer_types.holds_fact``)."""
    return any(holds_fact(h.passage.text, fact) for h in hits)
