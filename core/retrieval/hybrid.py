"""Hybrid retrieval: BM25 and dense search run side by side, fused by weighted reciprocal rank."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Collection
from dataclasses import dataclass, replace

from ..ports import Embedder, Index
from ..types import Filters, Hit, Query, SearchRequest, Vector
from .fusion import weighted_rrf

GEO_BOOST = 0.1  # at most +10 % to a passage at the very place asked about
GEO_SCALE_KM = 10.0


@dataclass(frozen=True, slots=True)
class RetrievalWeights:
    """How much each retriever counts in the fusion.

    BM25 only helps when the question shares the passages' language: a question in a language
    the corpus is not written in gets ``bm25_foreign`` instead of ``bm25``.
    """

    bm25: float = 1.0
    dense: float = 1.0
    bm25_foreign: float = 0.25


class HybridRetriever:
    """Finds the passages that best answer a query, with ``bm25``, ``dense`` or ``hybrid`` search."""

    def __init__(self, index: Index, embedder: Embedder, *, corpus_languages: Collection[str],
                 weights: RetrievalWeights = RetrievalWeights(), candidates: int = 50) -> None:
        self._index = index
        self._embedder = embedder
        self._corpus_languages = frozenset(corpus_languages)
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

    def fuse(self, query: Query, bm25: list[Hit], dense: list[Hit], k: int) -> list[Hit]:
        w = self._weights
        bm25_weight = w.bm25 if query.language in self._corpus_languages else w.bm25_foreign
        fused = weighted_rrf({"bm25": bm25, "dense": dense}, {"bm25": bm25_weight, "dense": w.dense})
        if query.geo is not None:
            fused = _boost_near(fused, query)
        return fused[:k]

    async def hybrid(self, query: Query, k: int, filters: Filters = Filters(),
                     vector: Vector | None = None) -> list[Hit]:
        if vector is None:
            vector = await self.embed_query(query)
        bm25, dense = await asyncio.gather(
            self.bm25(query, self._candidates, filters), self.dense(vector, self._candidates, filters))
        return self.fuse(query, bm25, dense, k)


def _boost_near(hits: list[Hit], query: Query) -> list[Hit]:
    assert query.geo is not None
    boosted = []
    for hit in hits:
        geo = hit.passage.geo
        factor = 1.0 if geo is None else 1.0 + GEO_BOOST * math.exp(-query.geo.distance_km(geo) / GEO_SCALE_KM)
        boosted.append(replace(hit, score=hit.score * factor))
    boosted.sort(key=lambda h: -h.score)
    return boosted
