"""Hybrid retrieval: BM25 and dense search run side by side, fused by weighted z-scores."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, replace

from ..ports import Embedder, Index, Reranker
from ..types import Filters, Hit, Passage, Query, SearchRequest, Vector
from .fusion import weighted_zscore

GEO_BOOST_USER = 0.6  # z-score units added to a passage at the very point where the person is
GEO_BOOST_PLACE = 0.3  # ... at the centre of the commune the question names


@dataclass(frozen=True, slots=True)
class RetrievalWeights:
    """How much each retriever's z-score counts in the fusion.

    Tuned on the PIAF dev split (French questions, French passages): equal weights beat plain
    reciprocal-rank fusion by about 2 points of R@5 and MRR@10. Keyword matching across languages
    only adds noise, so for a passage in another language than the question BM25 gets
    ``bm25_foreign`` and dense search ``dense_foreign``.
    """

    bm25: float = 0.5
    dense: float = 0.5
    bm25_foreign: float = 0.05
    dense_foreign: float = 0.95


class HybridRetriever:
    """Finds the passages that best answer a query, with ``bm25``, ``dense`` or ``hybrid`` search."""

    def __init__(self, index: Index, embedder: Embedder, *, weights: RetrievalWeights = RetrievalWeights(),
                 candidates: int = 50, reranker: Reranker | None = None) -> None:
        self._index = index
        self._embedder = embedder
        self._reranker = reranker
        self._weights = weights
        self._candidates = candidates

    async def embed_query(self, query: Query) -> Vector:
        vectors = await self._embedder.embed([query.text], role="query")
        first: Vector = vectors[0]
        return first

    async def bm25(self, query: Query, k: int, filters: Filters = Filters()) -> list[Hit]:
        return await self._index.search(
            SearchRequest("bm25", k, text=query.text, language=query.language, filters=filters))

    async def dense(self, vector: Vector, k: int, filters: Filters = Filters()) -> list[Hit]:
        return await self._index.search(SearchRequest("dense", k, vector=vector, filters=filters))

    def fuse(self, query: Query, bm25: list[Hit], dense: list[Hit]) -> list[Hit]:
        """Every candidate of both lists, best first."""
        w = self._weights

        def weight(method: str, passage: Passage) -> float:
            same = passage.language == query.language
            if method == "bm25":
                return w.bm25 if same else w.bm25_foreign
            return w.dense if same else w.dense_foreign

        fused = weighted_zscore({"bm25": bm25, "dense": dense}, weight)
        if query.geo is not None:
            fused = _boost_near(fused, query)
        return fused

    async def rerank(self, query: Query, fused: list[Hit]) -> list[Hit]:
        if self._reranker is None:
            return fused
        return await self._reranker.rerank(query, fused)

    async def hybrid(self, query: Query, k: int, filters: Filters = Filters(),
                     vector: Vector | None = None) -> list[Hit]:
        if query.radius_km is not None and query.geo is not None:
            filters = replace(filters, near=query.geo, radius_km=query.radius_km)
        # the keyword search runs while the question is embedded: both wait outside the interpreter
        if vector is None:
            bm25, embedded = await asyncio.gather(self.bm25(query, self._candidates, filters),
                                                  self.embed_query(query))
        else:
            bm25, embedded = await self.bm25(query, self._candidates, filters), vector
        dense = await self.dense(embedded, self._candidates, filters)
        return (await self.rerank(query, self.fuse(query, bm25, dense)))[:k]


def _boost_near(hits: list[Hit], query: Query) -> list[Hit]:
    assert query.geo is not None
    weight = GEO_BOOST_USER if query.from_user else GEO_BOOST_PLACE
    boosted = []
    for hit in hits:
        geo = hit.passage.geo
        bonus = 0.0 if geo is None else weight * math.exp(-query.geo.distance_km(geo) / query.geo_scale_km)
        boosted.append(replace(hit, score=hit.score + bonus))
    boosted.sort(key=lambda h: -h.score)
    return boosted
