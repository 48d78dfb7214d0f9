"""Sentence vectors of passages, for scoring dense candidates by their best sentence as well as the whole
passage (``core.ports.SentenceScorer``).

Sentences are embedded as passages through the embedder (its persistent cache keeps them), once when the
passage is ingested, so that a question finds them ready; a passage met before ingestion warmed it (an index
filled by another machine) is embedded when first asked for. The matrices of the passages asked about most
recently are kept in memory.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from genius_loci.core.ports import Embedder
from genius_loci.core.types import Passage, Vector

from ..analysis import sentences

KEEP = 20_000  # passages whose sentence vectors stay in memory


def sentences_of(passage: Passage) -> list[str]:
    """What is embedded for a passage's sentences: none when it has one sentence or none (its passage vector
    says it all)."""
    found = sentences(passage.text)
    return found if len(found) > 1 else []


class SentenceVectors:
    """The question's best cosine with a sentence of each passage (its passage-level cosine is the caller's)."""

    def __init__(self, embedder: Embedder, *, keep: int = KEEP) -> None:
        self._embedder = embedder
        self._keep = keep
        self._matrices: OrderedDict[tuple[str, int], Vector] = OrderedDict()
        self._lock = asyncio.Lock()

    async def best(self, vector: Vector, passages: Sequence[Passage]) -> list[float]:
        """-1.0 for a passage of one sentence (its passage cosine says it all)."""
        matrices = await self._matrices_of(passages)
        return [float((m @ vector).max()) if len(m) else -1.0 for m in matrices]

    async def warm(self, passages: Sequence[Passage]) -> int:
        texts = [s for p in passages for s in sentences_of(p)]
        if texts:
            await self._embedder.embed(texts, role="passage")
        return len(texts)

    async def _matrices_of(self, passages: Sequence[Passage]) -> list[Vector]:
        keys = [(p.id, hash(p.text)) for p in passages]
        async with self._lock:
            known = {k: self._matrices[k] for k in keys if k in self._matrices}
            for k in known:
                self._matrices.move_to_end(k)
        missing = [(k, p) for k, p in zip(keys, passages, strict=True) if k not in known]
        if missing:
            per = [sentences_of(p) for _, p in missing]
            flat = [s for group in per for s in group]
            vectors = await self._embedder.embed(flat, role="passage") if flat else np.zeros((0, 0), np.float32)
            row = 0
            async with self._lock:
                for (key, _), group in zip(missing, per, strict=True):
                    known[key] = self._matrices[key] = vectors[row:row + len(group)]
                    row += len(group)
                while len(self._matrices) > self._keep:
                    self._matrices.popitem(last=False)
        return [known[k] for k in keys]
