"""Hybrid retrieval: BM25 and dense search run side by side, fused by weighted z-scores."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..curated import CuratedBoard
from ..ports import Embedder, Index, Reranker, SentenceScorer
from ..text import fold, has_words
from ..translation import Translations
from ..types import Filters, Hit, Passage, Query, SearchRequest, Vector
from ..votes import VoteBoard
from .diversity import PER_PAGE, diversify
from .fusion import weighted_zscore, zscores

GEO_BOOST_USER = 0.6  # z-score units added to a passage at the very point where the person is
GEO_BOOST_PLACE = 0.3  # ... at the centre of the commune the question names
# In keyword search a place name the question uses counts this much: "Marseille" is in hundreds of passages and
# says less about which one answers "Où se baigner à Marseille ?" than the need does (the nearness boost and the
# dense search still see the place).
PLACE_TERM_WEIGHT = 0.3
# ... and the words other languages use for the need it names (core.intents), this much.
NEIGHBOUR_TERM_WEIGHT = 0.5
# A passage written for the person's audience (a student, an investor… given by the channel or the profile, or
# read from the question) gets this much, in standard deviations of the final scores: chosen on the tune part of
# the scripted conversations (0, 0.15, 0.3 -> right source 0.843; 0.5 -> 0.852; 0.75 and 1.0 -> 0.861).
AUDIENCE_BOOST = 0.75


@dataclass(frozen=True, slots=True)
class RetrievalWeights:
    """How much each retriever's z-score counts in the fusion.

    Tuned on the PIAF dev split (French questions, French passages): equal weights beat plain
    reciprocal-rank fusion by about 2 points of R@5 and MRR@10. For a passage in another language
    than the question, the question's words stemmed as its own language match little (``bm25_foreign``);
    read as the passage's language (``bm25_across``: names, numbers, dates and shared words such as
    "budget" or "constitution") they add to dense search (``dense_foreign``): on 100 PIAF questions
    translated into English, Spanish, Italian and German, R@5 0.69 (dense alone) -> 0.77, the same
    weights as within one language.
    """

    bm25: float = 0.5
    dense: float = 0.5
    bm25_foreign: float = 0.0
    bm25_across: float = 0.5
    dense_foreign: float = 0.5


class HybridRetriever:
    """Finds the passages that best answer a query, with ``bm25``, ``dense`` or ``hybrid`` search."""

    def __init__(self, index: Index, embedder: Embedder, *, weights: RetrievalWeights = RetrievalWeights(),
                 candidates: int = 25, reranker: Reranker | None = None, per_page: int = PER_PAGE,
                 votes: VoteBoard | None = None, curated: CuratedBoard | None = None,
                 sentences: SentenceScorer | None = None, translations: Translations | None = None,
                 main_language: str | None = None) -> None:
        self.votes = votes
        self._translations = translations
        self._main_language = main_language
        self._sentences = sentences
        self.curated = curated
        self._index = index
        self._per_page = per_page
        self._embedder = embedder
        self._reranker = reranker
        self._weights = weights
        self._candidates = candidates

    async def embed_query(self, query: Query) -> Vector:
        first: Vector = (await self.embed_questions([query.text]))[0]
        return first

    async def embed_questions(self, texts: Sequence[str]) -> Vector:
        """Questions' vectors, one row each, in one call to the embedder."""
        return await self._embedder.embed(list(texts), role="query")

    async def bm25(self, query: Query, k: int, filters: Filters = Filters()) -> list[Hit]:
        text, weighted = keyword_text(query)
        return await self._index.search(
            SearchRequest("bm25", k, text=text, language=query.language, filters=filters, weighted=weighted))

    async def bm25_across(self, query: Query, k: int, filters: Filters = Filters(),
                          translated: Query | None = None) -> list[Hit]:
        """Keyword search of the passages in each other language, the question read as that language
        (its own stop words removed), or, for the language of ``translated``, that translation of it: one list,
        each language's scores as z-scores."""
        others = sorted(self._index.languages() - {query.language})
        if filters.languages:
            others = [lang for lang in others if lang in filters.languages]

        own = keyword_text(query)
        in_translation = keyword_text(translated) if translated is not None else own

        def request(lang: str) -> SearchRequest:
            translation = translated is not None and lang == translated.language
            text, weighted = in_translation if translation else own
            return SearchRequest("bm25", k, text=text, language=lang, asked_in=None if translation else query.language,
                                 filters=replace(filters, languages=(lang,)), weighted=weighted)

        lists = await asyncio.gather(*(self._index.search(request(lang)) for lang in others))
        merged = []
        for hits in lists:
            z = zscores(hits)
            merged += [replace(h, score=z[h.passage.id]) for h in hits]
        merged.sort(key=lambda h: -h.score)
        return merged[:k]

    async def in_main_language(self, query: Query) -> Query | None:
        """The question translated into the corpus' main language by the language model, when one is configured,
        the question is in another language and the index holds passages in the main one; else None."""
        main = self._main_language
        if self._translations is None or main is None or query.language == main or main not in self._index.languages():
            return None
        text = await self._translations.translate(query.text, source=query.language, target=main, purpose="question")
        return None if text is None else replace(query, text=text, language=main)

    async def keyword(self, query: Query, k: int, filters: Filters = Filters()) -> tuple[list[Hit], list[Hit]]:
        """BM25 in the question's language and across the others (in the main one, the question's translation
        when there is one), side by side."""

        async def across() -> list[Hit]:
            return await self.bm25_across(query, k, filters, await self.in_main_language(query))

        same, other = await asyncio.gather(self.bm25(query, k, filters), across())
        return same, other

    async def dense(self, vector: Vector, k: int, filters: Filters = Filters()) -> list[Hit]:
        """The passages nearest the question's vector; with sentence scoring, each scored by the better of its
        whole vector and its best sentence's (the passage's own cosine kept as ``passage_dense``)."""
        hits = await self._index.search(SearchRequest("dense", k, vector=vector, filters=filters))
        if self._sentences is None or not hits:
            return hits
        best = await self._sentences.best(vector, [h.passage for h in hits])
        scored = [replace(h, score=max(h.score, b), scores={**h.scores, "dense": max(h.score, b),
                                                             "passage_dense": h.score})
                  for h, b in zip(hits, best, strict=True)]
        scored.sort(key=lambda h: -h.score)
        return scored

    def fuse(self, query: Query, bm25: list[Hit], dense: list[Hit], across: Sequence[Hit] = ()) -> list[Hit]:
        """Every candidate of the lists, best first."""
        w = self._weights

        def weight(method: str, passage: Passage) -> float:
            same = passage.language == query.language
            if method == "bm25":
                return w.bm25 if same else w.bm25_foreign
            if method == "across":
                return 0.0 if same else w.bm25_across
            return w.dense if same else w.dense_foreign

        lists = {"bm25": bm25, "dense": dense}
        if across:
            lists["across"] = list(across)
        fused = weighted_zscore(lists, weight)
        if query.geo is not None:
            fused = _boost_near(fused, query)
        return fused

    async def _keyword_prepared(self, query: Query, filters: Filters) -> tuple[list[Hit], list[Hit]]:
        same, across = await self.keyword(query, self._candidates, filters)
        if self._reranker is not None:
            await asyncio.to_thread(self._reranker.prepare, query, same)
        return same, across

    async def rerank(self, query: Query, fused: list[Hit]) -> list[Hit]:
        if self._reranker is None:
            return fused
        reranked = await self._reranker.rerank(query, fused)
        if reranked is None:
            return fused  # the fused order stands, its nearness bonus included
        if query.geo is None:
            return reranked
        # the reranker reads words and retrievers' scores, not places: nearness counts again on its scale
        spread = float(np.std([h.score for h in reranked])) or 1.0
        return _boost_near(reranked, query, spread)

    async def rank(self, query: Query, bm25: list[Hit], dense: list[Hit], across: Sequence[Hit] = ()) -> list[Hit]:
        """The final order: fusion, the reranker, the person's audience, then no more than ``per_page`` passages
        of one page ahead of the other pages."""
        ranked = _boost_audience(await self.rerank(query, self.fuse(query, bm25, dense, across)), query)
        return diversify(ranked, self._per_page)

    async def hybrid(self, query: Query, k: int, filters: Filters = Filters(),
                     vector: Vector | None = None) -> list[Hit]:
        if query.radius_km is not None and query.geo is not None:
            filters = replace(filters, near=query.geo, radius_km=query.radius_km)
        # the keyword search, and the reranker's reading of its hits, run while the question is embedded
        if vector is None:
            (bm25, across), embedded = await asyncio.gather(self._keyword_prepared(query, filters),
                                                            self.embed_query(query))
        else:
            (bm25, across), embedded = await self.keyword(query, self._candidates, filters), vector
        dense = await self.dense(embedded, self._candidates, filters)
        ranked = await self.rank(query, bm25, dense, across)
        if self.votes is not None:  # people's 👍 / 👎 on similar questions (core.votes)
            ranked = self.votes.adjust(embedded, ranked)
        if self.curated is not None:  # a partner's approved answer to questions like this one (core.curated)
            ranked = self.curated.prefer(embedded, ranked, query.needs)
        return ranked[:k]


def keyword_text(query: Query) -> tuple[str, tuple[tuple[str, float], ...]]:
    """What keyword search looks for: the question without the place names it uses, which count less, and the
    words other languages use for what it asks, which count less too. A question that is only a place name
    ("Cassis ?") keeps it whole."""
    weighted: list[tuple[str, float]] = []
    text = query.text
    if query.named:
        rest = fold(text)
        for name in query.named:
            rest = re.sub(rf"\b{re.escape(name)}\b", " ", rest)
        if has_words(rest):
            text = rest
            # the territory's own name too: "Marsiglia" is "Marseille" in the pages
            weighted.append((" ".join(dict.fromkeys((*query.named, *query.places))), PLACE_TERM_WEIGHT))
    if query.neighbours:
        weighted.append((query.neighbours, NEIGHBOUR_TERM_WEIGHT))
    return text, tuple(weighted)


def _boost_audience(hits: list[Hit], query: Query) -> list[Hit]:
    """Adds ``AUDIENCE_BOOST`` (times the scores' spread) to the passages written for the query's audience."""
    if query.audience is None or not hits or not AUDIENCE_BOOST:
        return hits
    spread = float(np.std([h.score for h in hits])) or 1.0
    boosted = [replace(h, score=h.score + AUDIENCE_BOOST * spread) if query.audience in h.passage.audiences else h
               for h in hits]
    boosted.sort(key=lambda h: -h.score)
    return boosted


def _boost_near(hits: list[Hit], query: Query, scale: float = 1.0) -> list[Hit]:
    """Adds the nearness bonus (z-score units, times ``scale`` for scores of another spread)."""
    assert query.geo is not None
    weight = (GEO_BOOST_USER if query.from_user else GEO_BOOST_PLACE) * scale
    boosted = []
    for hit in hits:
        geo = hit.passage.geo
        bonus = 0.0 if geo is None else weight * math.exp(-query.geo.distance_km(geo) / query.geo_scale_km)
        boosted.append(replace(hit, score=hit.score + bonus))
    boosted.sort(key=lambda h: -h.score)
    return boosted
